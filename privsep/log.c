/*
 * Logging for every staticpodd process. The process name and verbosity are
 * set once by main() before anything else runs and never change after, so
 * this is the one piece of file-level state outside main's context.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static struct {
	const char	*procname;
	int		 verbose;
} log_cfg = { "staticpodd", 0 };

void
log_init(const char *procname, int verbose)
{
	log_cfg.procname = procname;
	log_cfg.verbose = verbose;
}

int
log_verbose(void)
{
	return log_cfg.verbose;
}

static void
vlog(const char *, const char *, va_list, int)
    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *prio, const char *fmt, va_list ap, int with_errno)
{
	char	 line[LOG_LINE_MAX];
	int	 saved = errno, n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		line[0] = '\0';
	if (with_errno)
		dprintf(STDERR_FILENO, "%s: %s%s: %s\n", log_cfg.procname,
		    prio, line, strerror(saved));
	else
		dprintf(STDERR_FILENO, "%s: %s%s\n", log_cfg.procname, prio,
		    line);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_cfg.verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, 0);
	va_end(ap);
	exit(1);
}
