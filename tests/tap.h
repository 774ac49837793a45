/*
 * The TAP output the C tests share: a line a check, the diagnostic after
 * a failed one, the plan last. Header-only: each test is one program.
 */
#ifndef STATICPODD_TAP_H
#define STATICPODD_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static inline void
tap(int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void
tap(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", tap_n, name);
	if (!ok) {
		tap_failed++;
		printf("# ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	/* a test that forks must not print a check twice */
	fflush(stdout);
}

/* The plan; the exit status says whether every check passed. */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed > 0;
}

#endif
