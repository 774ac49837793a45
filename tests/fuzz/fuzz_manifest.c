/*
 * Feeds one input to parser_parse as a URL body would arrive (a Pod or a
 * PodList), then renders every error, so the formatting of hostile values
 * is fuzzed too. Inputs of the other format are passed over, so each
 * target spends its time on its own path. tests/fuzz/manifest.dict holds
 * the field names and YAML tokens worth trying (-dict=); run with
 * UBSAN_OPTIONS=halt_on_error=1 so that undefined behaviour stops a run.
 */
#include <stdio.h>
#include <stdlib.h>
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

/*
 * What the runtime will do with an accepted pod: unpack the canonical
 * bytes, run podcheck again, compute the UID. A pod the parser accepts
 * and the runtime would refuse, bytes that do not pack back to themselves,
 * or a UID the runtime would not compute, stop the run.
 */
static void
as_the_runtime(const struct parsed_pod *pp, const struct parse_opts *o)
{
	Spd__Pod	*pod;
	struct diags	 d;
	uint8_t		*again;
	size_t		 len;
	char		 uid[POD_UID_LEN + 1];

	if ((pod = spd__pod__unpack(NULL, pp->canon_len, pp->canon)) == NULL)
		abort();
	memset(&d, 0, sizeof(d));
	if (podcheck_pod(pod, &d) == -1)
		abort();
	len = protobuf_c_message_get_packed_size(&pod->base);
	if (len != pp->canon_len || (again = malloc(len + 1)) == NULL)
		abort();
	protobuf_c_message_pack(&pod->base, again);
	if (memcmp(again, pp->canon, len) != 0)
		abort();
	free(again);
	pod_uid(pp->canon, pp->canon_len, o->node_name, o->source, uid);
	if (strcmp(uid, pp->uid) != 0)
		abort();
	spd__pod__free_unpacked(pod, NULL);
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
	else
		for (i = 0; i < res.npods; i++)
			as_the_runtime(&res.pods[i], &o);
	parse_result_free(&res);
}
