/*
 * JSON string escaping for the runtime's own writers. json-c would do it,
 * but json-c is a parser and stays out of the privileged binary; this is
 * the one piece of JSON the runtime needs, small enough to fuzz whole.
 * Invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
 */
#include <stdint.h>
#include <string.h>

#include "audit.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		len, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t
json_escape(const char *in, size_t inlen, char *out, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)in;
	char			 tmp[8];
	size_t			 o = 0, i = 0, n, k;

	if (len == 0)
		return 0;
	while (i < inlen) {
		n = utf8_len(s + i, inlen - i);
		if (n == 0) {
			memcpy(tmp, "\\ufffd", 6);
			k = 6;
			n = 1;
		} else if (s[i] == '"' || s[i] == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)s[i];
			k = 2;
		} else if (s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
			tmp[0] = '\\';
			tmp[1] = s[i] == '\n' ? 'n' : s[i] == '\t' ? 't' : 'r';
			k = 2;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			memcpy(tmp, "\\u00", 4);
			tmp[4] = hex[s[i] >> 4];
			tmp[5] = hex[s[i] & 0xf];
			k = 6;
		} else {
			memcpy(tmp, s + i, n);
			k = n;
		}
		if (o + k >= len)
			break;		/* never half a character or escape */
		memcpy(out + o, tmp, k);
		o += k;
		i += n;
	}
	out[o] = '\0';
	return o;
}
