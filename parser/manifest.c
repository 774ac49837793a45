/*
 * The parser's entry point: bytes in, canonical pods or positioned errors
 * out. YAML or JSON is chosen by content, not by file name; both go through
 * libyaml's event API (JSON is YAML's flow style), JSON with its own
 * stricter rules, because json-c 0.16 keeps the last of two duplicate keys
 * silently, accepts \u0000 and reports only byte offsets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "log.h"
#include "parser.h"
#include "ytree.h"

static const struct ylimits limits = {
	.max_depth = YAML_MAX_DEPTH,
	.max_nodes = YAML_MAX_NODES,
	.max_aliases = YAML_MAX_ALIASES,
	.max_scalar = YAML_MAX_SCALAR,
	.max_items = YAML_MAX_ITEMS,
};

static bool
looks_like_json(const uint8_t *buf, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
		    buf[i] == '\n')
			continue;
		return buf[i] == '{' || buf[i] == '[';
	}
	return false;
}

static const struct ynode *
map_get(const struct ynode *n, const char *key, size_t len)
{
	size_t i;

	if (n == NULL || n->kind != YN_MAP)
		return NULL;
	for (i = 0; i < n->n; i++)
		if (n->items[2 * i]->len == len &&
		    memcmp(n->items[2 * i]->str, key, len) == 0)
			return n->items[2 * i + 1];
	return NULL;
}

/* The deepest node a field path reaches, for the position of an error. */
static const struct ynode *
locate(const struct ynode *n, const char *path)
{
	const struct ynode	*next;
	const char		*p = path, *end;
	char			*num_end;
	unsigned long		 idx;

	while (*p != '\0') {
		if (*p == '.')
			p++;
		if (*p == '[') {
			if ((end = strchr(p, ']')) == NULL)
				break;
			if (n->kind == YN_SEQ) {
				idx = strtoul(p + 1, &num_end, 10);
				if (num_end != end || idx >= n->n)
					break;
				next = n->items[idx];
			} else
				next = map_get(n, p + 1, (size_t)(end - p - 1));
			p = end + 1;
		} else {
			end = p + strcspn(p, ".[");
			next = map_get(n, p, (size_t)(end - p));
			p = end;
		}
		if (next == NULL)
			break;
		n = next;
	}
	return n;
}

static void
place_diags(struct diags *d, size_t from, const struct ynode *base,
    const char *prefix)
{
	const struct ynode	*n;
	struct diag		*e;
	char			 full[DIAG_PATH_MAX];
	size_t			 i;

	for (i = from; i < d->n; i++) {
		e = &d->item[i];
		if (e->line == 0) {
			n = locate(base, e->path);
			e->line = n->line;
			e->col = n->col;
		}
		if (prefix[0] != '\0' && strncmp(e->path, prefix,
		    strlen(prefix)) != 0) {
			snprintf(full, sizeof(full), "%s%s%s", prefix,
			    e->path[0] != '\0' ? "." : "", e->path);
			memcpy(e->path, full, sizeof(e->path));
		}
	}
}

/*
 * apiVersion and kind must name a v1 Pod. A key whose value the decoder
 * already refused (kind: 5) is not reported twice. In a PodList the items
 * may leave both out, as the API server writes them.
 */
static int
check_type(const char **got, const char *want, const char *field,
    const struct ynode *root, const char *prefix, bool optional,
    struct diags *d)
{
	const struct ynode	*n, *base;
	char			 path[64], q[64];

	snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "",
	    field);
	if (*got != NULL && strcmp(*got, want) == 0)
		return 0;
	base = locate(root, prefix);
	n = locate(root, path);
	if (*got == NULL && (n = map_get(base, field, strlen(field))) != NULL &&
	    !(n->kind == YN_SCALAR && n->type == YT_NULL))
		return -1;
	if (*got == NULL && optional) {
		*got = want;
		return 0;
	}
	if (n == NULL)
		n = base;
	if (*got == NULL)
		return diag_add(d, n->line, n->col, path,
		    "required (\"%s\")", want);
	return diag_add(d, n->line, n->col, path, "must be \"%s\", not \"%s\"",
	    want, diag_quote(*got, q, sizeof(q)));
}

static int
finish_pod(struct parse_result *res, const struct parse_opts *o,
    Spd__Pod *pod, const struct ynode *root, const char *prefix,
    struct parsed_pod *out)
{
	size_t	 from = res->diags.n;
	bool	 item = prefix[0] != '\0';
	int	 ret = 0;

	if (check_type((const char **)&pod->apiversion, "v1", "apiVersion",
	    root, prefix, item, &res->diags) == -1)
		ret = -1;
	if (check_type((const char **)&pod->kind, "Pod", "kind", root, prefix,
	    item, &res->diags) == -1)
		ret = -1;
	if (ret == 0) {
		ignored_clear(pod);
		if (defaults_apply(&res->arena, pod, o->node_name,
		    &res->diags) == -1)
			ret = -1;
		if (podcheck_pod(pod, &res->diags) == -1)
			ret = -1;
	}
	place_diags(&res->diags, from, locate(root, prefix), prefix);
	if (ret == -1)
		return -1;
	out->pod = pod;
	out->canon_len = protobuf_c_message_get_packed_size(&pod->base);
	if ((out->canon = arena_alloc(&res->arena, out->canon_len)) == NULL)
		return diag_add(&res->diags, 0, 0, NULL,
		    "manifest needs more memory than its limit allows");
	protobuf_c_message_pack(&pod->base, out->canon);
	pod_uid(out->canon, out->canon_len, o->node_name, o->source, out->uid);
	return 0;
}

static int
parse_list(struct parse_result *res, const struct parse_opts *o,
    const struct ynode *root)
{
	Spd__PodList	*list;
	char		 prefix[32];
	size_t		 i;
	int		 ret = 0;

	if ((list = arena_alloc(&res->arena, sizeof(*list))) == NULL)
		return diag_add(&res->diags, 0, 0, NULL,
		    "manifest needs more memory than its limit allows");
	if (decode_message(&res->arena, root, &spd__pod_list__descriptor, "",
	    &list->base, &res->diags, NULL) == -1)
		return -1;
	if (check_type((const char **)&list->apiversion, "v1", "apiVersion",
	    root, "", false, &res->diags) == -1)
		return -1;
	if (list->n_items > PODLIST_MAX_ITEMS)
		return diag_add(&res->diags, root->line, root->col, "items",
		    "more than %d pods in one list", PODLIST_MAX_ITEMS);
	res->pods = arena_alloc(&res->arena,
	    (list->n_items + 1) * sizeof(*res->pods));
	if (res->pods == NULL)
		return diag_add(&res->diags, 0, 0, NULL,
		    "manifest needs more memory than its limit allows");
	for (i = 0; i < list->n_items; i++) {
		snprintf(prefix, sizeof(prefix), "items[%zu]", i);
		if (finish_pod(res, o, list->items[i], root, prefix,
		    &res->pods[i]) == -1)
			ret = -1;
	}
	res->npods = ret == 0 ? list->n_items : 0;
	return ret;
}

static int
parse_root(struct parse_result *res, const struct parse_opts *o,
    const struct ynode *root)
{
	const struct ynode	*kind;
	Spd__Pod		*pod;

	if (root->kind == YN_SCALAR && root->type == YT_NULL)
		return diag_add(&res->diags, 0, 0, NULL, "empty manifest (a "
		    "Pod%s is expected)", o->allow_list ? " or a PodList" : "");
	if (root->kind != YN_MAP)
		return diag_add(&res->diags, root->line, root->col, NULL,
		    "a manifest must be a mapping (a Pod%s), not a %s",
		    o->allow_list ? " or a PodList" : "",
		    root->kind == YN_SEQ ? "list" : "scalar");
	kind = map_get(root, "kind", 4);
	if (kind != NULL && kind->kind == YN_SCALAR &&
	    strcmp(kind->str, "PodList") == 0) {
		if (!o->allow_list)
			return diag_add(&res->diags, kind->line, kind->col,
			    "kind", "a PodList is accepted from a URL only; "
			    "a file holds one Pod");
		res->is_list = true;
		return parse_list(res, o, root);
	}
	if ((pod = arena_alloc(&res->arena, sizeof(*pod))) == NULL ||
	    (res->pods = arena_alloc(&res->arena, sizeof(*res->pods))) == NULL)
		return diag_add(&res->diags, 0, 0, NULL,
		    "manifest needs more memory than its limit allows");
	if (decode_message(&res->arena, root, &spd__pod__descriptor, "",
	    &pod->base, &res->diags, NULL) == -1) {
		check_type((const char **)&pod->apiversion, "v1",
		    "apiVersion", root, "", false, &res->diags);
		check_type((const char **)&pod->kind, "Pod", "kind", root, "",
		    false, &res->diags);
		return -1;
	}
	if (finish_pod(res, o, pod, root, "", &res->pods[0]) == -1)
		return -1;
	res->npods = 1;
	return 0;
}

int
parser_parse(const uint8_t *buf, size_t len, const struct parse_opts *o,
    struct parse_result *res)
{
	struct ynode	*root;
	size_t		 max = o->max_bytes ? o->max_bytes : MANIFEST_MAX_BYTES;
	size_t		 cap;

	memset(res, 0, sizeof(*res));
	if (len > max) {
		arena_init(&res->arena, 0);
		/* the reader may have stopped at max + 1: the size is unknown */
		return diag_add(&res->diags, 0, 0, NULL,
		    "manifest is larger than the limit of %zu bytes", max);
	}
	cap = len * PARSE_ARENA_FACTOR;
	arena_init(&res->arena, cap > PARSE_ARENA_MIN ? cap : PARSE_ARENA_MIN);
	if (len == 0)
		return diag_add(&res->diags, 0, 0, NULL, "empty manifest (a "
		    "Pod%s is expected)", o->allow_list ? " or a PodList" : "");
	res->json = looks_like_json(buf, len);
	if (ytree_parse(&res->arena, &limits, buf, len, res->json, &root,
	    &res->diags) == -1)
		return -1;
	return parse_root(res, o, root);
}

void
parse_result_free(struct parse_result *res)
{
	arena_free(&res->arena);
	res->pods = NULL;
	res->npods = 0;
}

int
parser_decode_document(const uint8_t *buf, size_t len,
    const ProtobufCMessageDescriptor *desc, bool lenient_root,
    struct decoded_doc *doc)
{
	struct ynode *root;

	memset(doc, 0, sizeof(*doc));
	arena_init(&doc->arena, PARSE_ARENA_MIN + len * PARSE_ARENA_FACTOR);
	if (len > MANIFEST_MAX_BYTES)
		return diag_add(&doc->diags, 0, 0, NULL,
		    "file is %zu bytes, over the limit of %d", len,
		    MANIFEST_MAX_BYTES);
	if (ytree_parse(&doc->arena, &limits, buf, len,
	    looks_like_json(buf, len), &root, &doc->diags) == -1)
		return -1;
	doc->root = root;
	if ((doc->msg = arena_alloc(&doc->arena, desc->sizeof_message)) == NULL)
		return diag_add(&doc->diags, 0, 0, NULL,
		    "file needs more memory than its limit allows");
	return decode_message(&doc->arena, root, desc, "", doc->msg,
	    &doc->diags, lenient_root ? &doc->unknown : NULL);
}

void
decoded_doc_place(const struct decoded_doc *doc, struct diags *d)
{
	if (doc->root != NULL)
		place_diags(d, 0, doc->root, "");
}

void
decoded_doc_free(struct decoded_doc *doc)
{
	arena_free(&doc->arena);
	doc->msg = NULL;
}
