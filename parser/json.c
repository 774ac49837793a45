/*
 * JSON is YAML's flow style, so libyaml builds the tree for both. But
 * libyaml also takes what JSON does not: comments, trailing commas,
 * single quotes, YAML escapes (\x41, \e, a line break inside a string),
 * explicit keys (?), single-pair mappings inside lists, document markers,
 * tags and anchors. This pass holds the bytes to RFC 8259 first, so a
 * manifest that starts with '{' means what every JSON reader takes it to
 * mean. It reads, never allocates beyond its stack, and stops at the first
 * error, with the line, the column and the field path so far.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ytree.h"

#define JSON_KEY_SHOWN	96	/* bytes of a key kept for the field path */
#define JSON_KEY_MAX	1024	/* libyaml's longest implicit key */

enum jstate {
	J_VALUE,		/* a value must come */
	J_VALUE_OR_CLOSE,	/* after '[' */
	J_KEY,			/* after ',' in an object */
	J_KEY_OR_CLOSE,		/* after '{' */
	J_COLON,
	J_AFTER,		/* after a value: ',', a close, or the end */
};

struct jframe {
	bool		 object;
	const uint8_t	*key;		/* the current key, as written */
	size_t		 keylen;
	size_t		 index;		/* lists: the current item */
};

struct jscan {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 off;
	struct jframe	*stack;
	size_t		 depth;
	size_t		 max_depth;
	struct diags	*d;
};

static void
jpath(const struct jscan *s, char *buf, size_t len)
{
	char	key[JSON_KEY_SHOWN + 1], q[JSON_KEY_SHOWN * 2];
	size_t	i, o = 0, n;
	int	r;

	buf[0] = '\0';
	for (i = 0; i < s->depth && o < len; i++) {
		if (!s->stack[i].object)
			r = snprintf(buf + o, len - o, "[%zu]",
			    s->stack[i].index);
		else if (s->stack[i].key != NULL) {
			n = s->stack[i].keylen < JSON_KEY_SHOWN ?
			    s->stack[i].keylen : JSON_KEY_SHOWN;
			memcpy(key, s->stack[i].key, n);
			key[n] = '\0';
			r = snprintf(buf + o, len - o, "%s%s", o > 0 ? "." : "",
			    diag_quote(key, q, sizeof(q)));
		} else
			break;
		if (r < 0)
			break;
		o += (size_t)r;
	}
	if (o >= len)
		buf[len - 1] = '\0';
}

static int
jerr(struct jscan *s, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
jerr(struct jscan *s, size_t off, const char *fmt, ...)
{
	char		path[DIAG_PATH_MAX], msg[DIAG_MSG_MAX];
	unsigned	line, col;
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	text_position(s->buf, s->len, off, &line, &col);
	jpath(s, path, sizeof(path));
	return diag_add(s->d, line, col, path, "JSON: %s", msg);
}

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_delim(const struct jscan *s, size_t off)
{
	return off == s->len || is_ws(s->buf[off]) || s->buf[off] == ',' ||
	    s->buf[off] == ']' || s->buf[off] == '}' || s->buf[off] == ':';
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string from its opening quote; off ends past the closing one. */
static int
scan_string(struct jscan *s)
{
	size_t		start = s->off, i;
	unsigned	u;
	uint8_t		c;
	int		h;

	for (s->off++; s->off < s->len; s->off++) {
		c = s->buf[s->off];
		if (c == '"') {
			s->off++;
			return 0;
		}
		if (c < 0x20)
			return jerr(s, s->off, "control character 0x%02x in a "
			    "string must be escaped (\\n, \\t, \\u00XX)", c);
		if (c != '\\')
			continue;
		if (++s->off == s->len)
			break;
		c = s->buf[s->off];
		if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
			continue;
		if (c != 'u')
			return jerr(s, s->off - 1, "\\%c is not a JSON escape "
			    "(\\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t, \\uXXXX)",
			    c >= 0x20 && c < 0x7f ? c : '?');
		for (u = 0, i = 1; i <= 4; i++) {
			if (s->off + i >= s->len ||
			    (h = hexval(s->buf[s->off + i])) == -1)
				return jerr(s, s->off - 1, "\\u needs four hex "
				    "digits");
			u = u << 4 | (unsigned)h;
		}
		/* libyaml cannot join surrogate pairs: say so plainly */
		if (u >= 0xd800 && u <= 0xdfff)
			return jerr(s, s->off - 1, "\\u%04x is half of a UTF-16 "
			    "surrogate pair, which is not accepted: write the "
			    "character itself, in UTF-8", u);
		s->off += 4;
	}
	return jerr(s, start, "string not closed");
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and then a delimiter. */
static int
scan_number(struct jscan *s)
{
	const uint8_t	*b = s->buf;
	size_t		 start = s->off, o = s->off, n, end;
	char		 text[40], q[64];

	if (o < s->len && b[o] == '-')
		o++;
	if (o < s->len && b[o] == '0')
		o++;
	else if (o < s->len && b[o] >= '1' && b[o] <= '9')
		while (o < s->len && b[o] >= '0' && b[o] <= '9')
			o++;
	else
		goto bad;
	if (o < s->len && b[o] == '.') {
		for (n = ++o; o < s->len && b[o] >= '0' && b[o] <= '9'; o++)
			;
		if (o == n)
			goto bad;
	}
	if (o < s->len && (b[o] == 'e' || b[o] == 'E')) {
		if (++o < s->len && (b[o] == '+' || b[o] == '-'))
			o++;
		for (n = o; o < s->len && b[o] >= '0' && b[o] <= '9'; o++)
			;
		if (o == n)
			goto bad;
	}
	if (is_delim(s, o)) {
		s->off = o;
		return 0;
	}
bad:
	for (end = start; !is_delim(s, end) && end - start < 32; end++)
		;
	memcpy(text, b + start, end - start);
	text[end - start] = '\0';
	return jerr(s, start, "\"%s\" is not a JSON number (no leading zeros, "
	    "no '+', digits on both sides of '.')", diag_quote(text, q,
	    sizeof(q)));
}

static int
scan_word(struct jscan *s)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t	i, n, end;
	char	text[40], q[64];

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if (s->len - s->off >= n &&
		    memcmp(s->buf + s->off, words[i], n) == 0 &&
		    is_delim(s, s->off + n)) {
			s->off += n;
			return 0;
		}
	}
	for (end = s->off; !is_delim(s, end) && end - s->off < 32; end++)
		;
	memcpy(text, s->buf + s->off, end - s->off);
	text[end - s->off] = '\0';
	return jerr(s, s->off, "%s is not a JSON value (strings must be "
	    "double-quoted; the literals are true, false and null)",
	    diag_quote(text, q, sizeof(q)));
}

static int
unexpected(struct jscan *s, const char *want)
{
	uint8_t c;

	if (s->off == s->len)
		return jerr(s, s->off, "the text ends where %s should be",
		    want);
	c = s->buf[s->off];
	if (c == '#' || (c == '/' && s->off + 1 < s->len &&
	    (s->buf[s->off + 1] == '/' || s->buf[s->off + 1] == '*')))
		return jerr(s, s->off, "comments are not allowed");
	if (c == '\'')
		return jerr(s, s->off, "strings must be double-quoted");
	if (c >= 0x20 && c < 0x7f)
		return jerr(s, s->off, "'%c' where %s should be", c, want);
	return jerr(s, s->off, "byte 0x%02x where %s should be", c, want);
}

static void
open_container(struct jscan *s, bool object)
{
	struct jframe *f;

	f = &s->stack[s->depth++];
	f->object = object;
	f->key = NULL;
	f->keylen = 0;
	f->index = 0;
	s->off++;
}

int
json_syntax_check(const uint8_t *buf, size_t len, size_t max_depth,
    struct diags *d)
{
	struct jscan	 s;
	enum jstate	 st = J_VALUE;
	size_t		 comma = 0, keystart, keyend = 0;
	uint8_t		 c;
	int		 ret = -1;

	memset(&s, 0, sizeof(s));
	s.buf = buf;
	s.len = len;
	s.d = d;
	s.max_depth = max_depth;
	if ((s.stack = calloc(max_depth + 1, sizeof(*s.stack))) == NULL)
		fatal("json");
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		s.off = 3;
	for (;;) {
		while (s.off < len && is_ws(buf[s.off]))
			s.off++;
		c = s.off < len ? buf[s.off] : 0;
		switch (st) {
		case J_VALUE:
		case J_VALUE_OR_CLOSE:
			if (st == J_VALUE_OR_CLOSE && c == ']' && s.off < len) {
				s.depth--;
				s.off++;
				st = J_AFTER;
				break;
			}
			if (st == J_VALUE && c == ']' && s.off < len &&
			    s.depth > 0 && !s.stack[s.depth - 1].object) {
				jerr(&s, comma, "a comma before ']' (trailing "
				    "commas are not allowed)");
				goto out;
			}
			if ((c == '{' || c == '[') && s.off < len) {
				/*
				 * Deeper than the limit: the tree builder
				 * refuses it at this very point, with the
				 * field path, and everything before it has
				 * passed this check.
				 */
				if (s.depth == max_depth) {
					ret = 0;
					goto out;
				}
				open_container(&s, c == '{');
				st = c == '{' ? J_KEY_OR_CLOSE :
				    J_VALUE_OR_CLOSE;
				break;
			}
			if (c == '"' && s.off < len) {
				if (scan_string(&s) == -1)
					goto out;
			} else if ((c == '-' || c == '+' || c == '.' ||
			    (c >= '0' && c <= '9')) && s.off < len) {
				if (scan_number(&s) == -1)
					goto out;
			} else if (c >= 'a' && c <= 'z' && s.off < len) {
				if (scan_word(&s) == -1)
					goto out;
			} else if (c >= 'A' && c <= 'Z' && s.off < len) {
				if (scan_word(&s) == -1)
					goto out;
			} else {
				unexpected(&s, "a value");
				goto out;
			}
			st = J_AFTER;
			break;
		case J_KEY:
		case J_KEY_OR_CLOSE:
			if (st == J_KEY_OR_CLOSE && c == '}' && s.off < len) {
				s.depth--;
				s.off++;
				st = J_AFTER;
				break;
			}
			if (st == J_KEY && c == '}' && s.off < len) {
				jerr(&s, comma, "a comma before '}' (trailing "
				    "commas are not allowed)");
				goto out;
			}
			if (c != '"' || s.off == len) {
				unexpected(&s, "a key (a double-quoted string)");
				goto out;
			}
			keystart = s.off;
			if (scan_string(&s) == -1)
				goto out;
			/*
			 * libyaml reads a key as YAML's implicit key: at most
			 * 1024 characters, on the line of its ':'. Valid JSON
			 * beyond that is refused here with the reason rather
			 * than with libyaml's puzzling words; no key a pod can
			 * use is that long.
			 */
			if (s.off - keystart > JSON_KEY_MAX) {
				jerr(&s, keystart, "a key longer than %d bytes is "
				    "not accepted", JSON_KEY_MAX);
				goto out;
			}
			keyend = s.off;
			s.stack[s.depth - 1].key = buf + keystart + 1;
			s.stack[s.depth - 1].keylen = s.off - keystart - 2;
			st = J_COLON;
			break;
		case J_COLON:
			if (c != ':' || s.off == len) {
				unexpected(&s, "':' after the key");
				goto out;
			}
			if (memchr(buf + keyend, '\n', s.off - keyend) != NULL ||
			    memchr(buf + keyend, '\r', s.off - keyend) != NULL) {
				jerr(&s, s.off, "the ':' after a key must be on "
				    "the key's line (libyaml reads JSON as YAML)");
				goto out;
			}
			s.off++;
			st = J_VALUE;
			break;
		case J_AFTER:
			if (s.depth == 0) {
				if (s.off == len) {
					ret = 0;
					goto out;
				}
				unexpected(&s, "the end of the text (one value "
				    "per file)");
				goto out;
			}
			if (s.off == len) {
				unexpected(&s, s.stack[s.depth - 1].object ?
				    "',' or '}'" : "',' or ']'");
				goto out;
			}
			if (c == ',') {
				comma = s.off++;
				if (s.stack[s.depth - 1].object) {
					s.stack[s.depth - 1].key = NULL;
					st = J_KEY;
				} else {
					s.stack[s.depth - 1].index++;
					st = J_VALUE;
				}
				break;
			}
			if (c == (s.stack[s.depth - 1].object ? '}' : ']')) {
				s.depth--;
				s.off++;
				break;
			}
			unexpected(&s, s.stack[s.depth - 1].object ?
			    "',' or '}'" : "',' or ']'");
			goto out;
		}
	}
out:
	free(s.stack);
	return ret;
}
