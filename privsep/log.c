/*
 * Logging for every staticpodd process. The process name and verbosity are
 * set once by main() before anything else runs and never change after, so
 * this is the one piece of file-level state outside main's context.
 *
 * Under systemd, stderr is the journal's stream (JOURNAL_STREAM names it):
 * each line then starts with its syslog priority, <4> warning, <6> info,
 * as sd-daemon(3) has it, so `journalctl -p warning` finds the warnings.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define PRIO_CRIT	2
#define PRIO_WARNING	4
#define PRIO_INFO	6
#define PRIO_DEBUG	7

static struct {
	const char	*procname;
	int		 verbose;
	int		 journal;	/* stderr is the journal's stream */
} log_cfg = { "staticpodd", 0, 0 };

/* JOURNAL_STREAM is "<st_dev>:<st_ino>" of the stream systemd gave. */
static int
stderr_is_journal(void)
{
	const char		*v = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;

	if (v == NULL || sscanf(v, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *procname, int verbose)
{
	log_cfg.procname = procname;
	log_cfg.verbose = verbose;
	log_cfg.journal = stderr_is_journal();
}

int
log_verbose(void)
{
	return log_cfg.verbose;
}

static void
vlog(int, const char *, const char *, va_list, int)
    __attribute__((format(printf, 3, 0)));

static void
vlog(int level, const char *prio, const char *fmt, va_list ap,
    int with_errno)
{
	char	 line[LOG_LINE_MAX], lvl[8] = "";
	int	 saved = errno, n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		line[0] = '\0';
	if (log_cfg.journal)
		snprintf(lvl, sizeof(lvl), "<%d>", level);
	if (with_errno)
		dprintf(STDERR_FILENO, "%s%s: %s%s: %s\n", lvl,
		    log_cfg.procname, prio, line, strerror(saved));
	else
		dprintf(STDERR_FILENO, "%s%s: %s%s\n", lvl, log_cfg.procname,
		    prio, line);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_WARNING, "", fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_WARNING, "", fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_INFO, "", fmt, ap, 0);
	va_end(ap);
}

/*
 * A diagnostic already in its own form ("file:line:col: field: message"),
 * without the process name: a warning.
 */
void
log_diag(const char *fmt, ...)
{
	char	line[LOG_LINE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_cfg.journal)
		dprintf(STDERR_FILENO, "<%d>%s\n", PRIO_WARNING, line);
	else
		dprintf(STDERR_FILENO, "%s\n", line);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_cfg.verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(PRIO_DEBUG, "debug: ", fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_CRIT, "fatal: ", fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_CRIT, "fatal: ", fmt, ap, 0);
	va_end(ap);
	exit(1);
}
