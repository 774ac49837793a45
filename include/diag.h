/*
 * diag: the errors found in one manifest, each rendered as
 * FILE:LINE:COLUMN: field.path: message. The parser fills in positions;
 * podcheck, shared with the runtime, knows only field paths.
 */
#ifndef STATICPODD_DIAG_H
#define STATICPODD_DIAG_H

#include <stddef.h>

#define DIAGS_MAX	16	/* more errors in one file are counted, not kept */
#define DIAG_PATH_MAX	256
#define DIAG_MSG_MAX	320

struct diag {
	unsigned	line;	/* 0 when unknown */
	unsigned	col;
	char		path[DIAG_PATH_MAX];
	char		msg[DIAG_MSG_MAX];
};

struct diags {
	size_t		n;
	size_t		dropped;
	struct diag	item[DIAGS_MAX];
};

/* Always returns -1, so callers can write `return diag_add(...)`. */
int	diag_add(struct diags *, unsigned line, unsigned col, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
size_t	diag_count(const struct diags *);
/* One line, no newline: "file:line:col: path: msg". */
int	diag_format(const struct diag *, const char *file, char *buf,
	    size_t len);
/* Copies a string into buf so it is safe to print inside quotes. */
const char *diag_quote(const char *s, char *buf, size_t len);

#endif
