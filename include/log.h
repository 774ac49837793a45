/*
 * log: one-line diagnostics on stderr, in a form journald keeps whole.
 * fatal() and fatalx() are for broken invariants and protocol violations:
 * they never return.
 */
#ifndef STATICPODD_LOG_H
#define STATICPODD_LOG_H

#include <stdarg.h>

#define LOG_LINE_MAX	1024	/* a longer message is cut, never split */

void	log_init(const char *procname, int verbose);
int	log_verbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_diag(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
