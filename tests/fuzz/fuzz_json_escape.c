/*
 * The runtime's JSON escaper against json-c, differentially. Any bytes
 * are escaped, wrapped in quotes and parsed back by json-c with strict
 * mode and UTF-8 validation (json-c is linked here, in the test, never in
 * staticpodd). The output must always parse as one string; that string
 * must be the input byte for byte when the input is well-formed UTF-8,
 * and otherwise the input with each byte of every ill-formed sequence
 * replaced by U+FFFD, as decoded by an independent decoder below. The
 * escaper must also stop cleanly in a short buffer: never past it, never
 * inside a character or an escape, always a prefix of the whole output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "audit.h"
#include "fuzz_manifest.h"

#define FUZZ_INPUT_MAX	(64 * 1024)

/*
 * The expected text, decoded by code points (not by the escaper's byte
 * ranges): a sequence is taken when its lead byte's length is complete,
 * its value is the shortest form, is not a surrogate and is at most
 * U+10FFFF; otherwise its first byte becomes U+FFFD.
 */
static size_t
expected(const uint8_t *in, size_t n, uint8_t *out, bool *valid)
{
	size_t		i = 0, o = 0, len, k;
	uint32_t	cp, min;

	*valid = true;
	while (i < n) {
		if (in[i] < 0x80) {
			out[o++] = in[i++];
			continue;
		}
		if (in[i] >> 5 == 0x6) {
			len = 2; cp = in[i] & 0x1f; min = 0x80;
		} else if (in[i] >> 4 == 0xe) {
			len = 3; cp = in[i] & 0x0f; min = 0x800;
		} else if (in[i] >> 3 == 0x1e) {
			len = 4; cp = in[i] & 0x07; min = 0x10000;
		} else
			len = 0, cp = 0, min = 0;
		for (k = 1; len > 0 && k < len; k++) {
			if (i + k >= n || (in[i + k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = cp << 6 | (in[i + k] & 0x3f);
		}
		if (len == 0 || cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			*valid = false;
			continue;
		}
		memcpy(out + o, in + i, len);
		o += len;
		i += len;
	}
	return o;
}

/* The escaped text must parse as exactly one JSON string; returns it. */
static json_object *
parse_string(const char *esc, size_t len)
{
	struct json_tokener	*tok;
	json_object		*obj;
	char			*doc;

	if ((doc = malloc(len + 3)) == NULL)
		abort();
	doc[0] = '"';
	memcpy(doc + 1, esc, len);
	doc[len + 1] = '"';
	doc[len + 2] = '\0';
	if ((tok = json_tokener_new()) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, doc, (int)len + 2);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_string)) {
		fprintf(stderr, "not one JSON string: %s\n", doc);
		abort();
	}
	json_tokener_free(tok);
	free(doc);
	return obj;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	json_object	*obj;
	uint8_t		*want;
	char		*full, *part;
	size_t		 cap, n, wn, pn, plen;
	bool		 valid;

	if (len > FUZZ_INPUT_MAX)
		return 0;
	cap = 6 * len + 1;	/* the widest escape is \u00XX for one byte */
	if ((full = malloc(cap)) == NULL || (want = malloc(3 * len + 1)) ==
	    NULL || (part = malloc(cap + 2)) == NULL)
		abort();
	n = json_escape((const char *)buf, len, full, cap);
	if (n >= cap || full[n] != '\0')
		abort();
	obj = parse_string(full, n);
	wn = expected(buf, len, want, &valid);
	if ((size_t)json_object_get_string_len(obj) != wn ||
	    memcmp(json_object_get_string(obj), want, wn) != 0) {
		fprintf(stderr, "round trip differs (input %s UTF-8)\n",
		    valid ? "valid" : "invalid");
		abort();
	}
	json_object_put(obj);

	/* a short buffer: a clean prefix, NUL-terminated, never overrun */
	plen = len > 0 ? buf[0] % (n + 2) + 1 : 1;
	memset(part, 'X', cap + 2);
	pn = json_escape((const char *)buf, len, part, plen);
	if (pn >= plen || part[pn] != '\0' || part[plen] != 'X' ||
	    memcmp(part, full, pn) != 0)
		abort();
	json_object_put(parse_string(part, pn));
	free(full);
	free(want);
	free(part);
	return 0;
}
