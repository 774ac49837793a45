/*
 * Feeds one input to parser_parse as a URL body would arrive (a Pod or a
 * PodList), then renders every error, so the formatting of hostile values
 * is fuzzed too. Inputs of the other format are passed over, so each
 * target spends its time on its own path. tests/fuzz/manifest.dict holds
 * the field names and YAML tokens worth trying (-dict=); run with
 * UBSAN_OPTIONS=halt_on_error=1 so that undefined behaviour stops a run.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_manifest.h"
#include "parser.h"

/* As parser/manifest.c decides, byte order mark included. */
static bool
starts_as_json(const uint8_t *buf, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' &&
		    buf[i] != '\n')
			return buf[i] == '{' || buf[i] == '[';
	return false;
}

void
fuzz_manifest(const uint8_t *buf, size_t len, bool json)
{
	struct parse_opts	 o = { 0 };
	struct parse_result	 res;
	char			 line[2048];
	size_t			 i;

	if (starts_as_json(buf, len) != json)
		return;
	o.node_name = "node1";
	o.source = "url:https://manifests.example/pods";
	o.allow_list = true;
	if (parser_parse(buf, len, &o, &res) == -1)
		for (i = 0; i < res.diags.n; i++)
			diag_format(&res.diags.item[i], "fuzz", line,
			    sizeof(line));
	parse_result_free(&res);
}
