#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

int
diag_add(struct diags *d, unsigned line, unsigned col, const char *path,
    const char *fmt, ...)
{
	struct diag	*e;
	va_list		 ap;

	if (d->n == DIAGS_MAX) {
		d->dropped++;
		return -1;
	}
	e = &d->item[d->n++];
	e->line = line;
	e->col = col;
	snprintf(e->path, sizeof(e->path), "%s", path != NULL ? path : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

size_t
diag_count(const struct diags *d)
{
	return d->n + d->dropped;
}

int
diag_format(const struct diag *e, const char *file, char *buf, size_t len)
{
	char	pos[32] = "";

	if (e->line > 0)
		snprintf(pos, sizeof(pos), ":%u:%u", e->line, e->col);
	if (e->path[0] != '\0')
		return snprintf(buf, len, "%s%s: %s: %s", file, pos, e->path,
		    e->msg);
	return snprintf(buf, len, "%s%s: %s", file, pos, e->msg);
}

/*
 * Values from a manifest are shown to operators and written to logs:
 * control characters, quotes and backslashes are escaped and long values
 * cut, between characters, so one line stays one line of UTF-8 and cannot
 * forge another.
 */
const char *
diag_quote(const char *s, char *buf, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0;
	unsigned char		 c;

	if (len < 8) {
		if (len > 0)
			buf[0] = '\0';
		return buf;
	}
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (o + 5 >= len - 3) {
			/* never cut a UTF-8 character in two */
			if ((c & 0xc0) == 0x80) {
				while (o > 0 &&
				    ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
					o--;
				if (o > 0 && (unsigned char)buf[o - 1] >= 0xc0)
					o--;
			}
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
			buf[o++] = '\\';
			if (c == '"' || c == '\\')
				buf[o++] = (char)c;
			else {
				buf[o++] = 'x';
				buf[o++] = hex[c >> 4];
				buf[o++] = hex[c & 0xf];
			}
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}
