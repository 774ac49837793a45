/*
 * Builds the node tree from libyaml's event API. libyaml 0.2.5 has no
 * depth or alias limits of its own, and its loader would share aliased
 * nodes so that a naive walk explodes; here every alias is charged the size
 * of the subtree it repeats, and the walk stops at the first limit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "log.h"
#include "ytree.h"

#define TAG_PREFIX	"tag:yaml.org,2002:"

struct frame {
	struct ynode	 *node;
	struct ynode	**items;	/* grows; copied into the arena at end */
	size_t		  n;
	size_t		  cap;
};

struct anchor {
	const char	*name;
	struct ynode	*node;
};

struct builder {
	struct arena		*a;
	const struct ylimits	*lim;
	struct diags		*d;
	bool			 json;
	struct frame		*stack;
	size_t			 depth;
	size_t			 nodes;
	size_t			 aliases;
	struct anchor		*anchors;
	size_t			 nanchors;
	struct ynode		*root;
};

/*
 * The field path of the node being built, from the open collections: a
 * mapping contributes its pending key, a list the index of the next item.
 * Errors found before a key's value is complete name the field they hit.
 */
static void
build_path(const struct builder *b, char *buf, size_t len)
{
	const struct frame	*f;
	const struct ynode	*key;
	size_t			 i, o = 0;
	int			 n;

	buf[0] = '\0';
	for (i = 0; i < b->depth && o < len; i++) {
		f = &b->stack[i];
		if (f->node->kind == YN_SEQ)
			n = snprintf(buf + o, len - o, "[%zu]", f->n);
		else if (f->n % 2 == 1) {
			key = f->items[f->n - 1];
			n = snprintf(buf + o, len - o, "%s%s", o > 0 ? "." : "",
			    key->str);
		} else
			break;
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (o >= len)
		buf[len - 1] = '\0';
}

static int
yerr(struct builder *b, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
yerr(struct builder *b, unsigned line, unsigned col, const char *fmt, ...)
{
	char	path[DIAG_PATH_MAX], msg[DIAG_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	build_path(b, path, sizeof(path));
	return diag_add(b->d, line, col, path, "%s", msg);
}

static int
nomem(struct builder *b, const yaml_mark_t *m)
{
	return yerr(b, m->line + 1, m->column + 1,
	    "manifest needs more memory than its limit allows");
}

static bool
match_int(const char *s, size_t len)
{
	size_t i = 0;

	if (len > 0 && (s[0] == '-' || s[0] == '+'))
		i++;
	if (i == len)
		return false;
	if (len - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
		const char *digits = s[i + 1] == 'x' ? "0123456789abcdefABCDEF" :
		    "01234567";
		for (i += 2; i < len; i++)
			if (strchr(digits, s[i]) == NULL)
				return false;
		return true;
	}
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool
match_float(const char *s, size_t len)
{
	size_t	i = 0, digits = 0;

	if (len > 0 && (s[0] == '-' || s[0] == '+'))
		i++;
	if (len - i == 4 && s[i] == '.' && (strncmp(s + i, ".inf", 4) == 0 ||
	    strncmp(s + i, ".Inf", 4) == 0 || strncmp(s + i, ".INF", 4) == 0))
		return true;
	if (len == 4 && (strncmp(s, ".nan", 4) == 0 ||
	    strncmp(s, ".NaN", 4) == 0 || strncmp(s, ".NAN", 4) == 0))
		return true;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i == len)
			return false;
		for (; i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
	}
	return i == len;
}

static bool
is_one_of(const char *s, size_t len, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strlen(*words) == len && memcmp(s, *words, len) == 0)
			return true;
	return false;
}

static enum ytype
resolve_plain(const char *s, size_t len)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL",
	    NULL };
	static const char *const bools[] = { "true", "True", "TRUE", "false",
	    "False", "FALSE", NULL };

	if (is_one_of(s, len, nulls))
		return YT_NULL;
	if (is_one_of(s, len, bools))
		return YT_BOOL;
	if (match_int(s, len))
		return YT_INT;
	if (match_float(s, len))
		return YT_FLOAT;
	return YT_STR;
}

/* JSON's own literals; anything else unquoted is not JSON. */
static bool
json_literal(const char *s, size_t len, enum ytype *t)
{
	size_t i = 0;

	if (len == 4 && memcmp(s, "null", 4) == 0)
		return (*t = YT_NULL), true;
	if ((len == 4 && memcmp(s, "true", 4) == 0) ||
	    (len == 5 && memcmp(s, "false", 5) == 0))
		return (*t = YT_BOOL), true;
	if (len > 0 && s[0] == '-')
		i++;
	if (i == len || s[i] < '0' || s[i] > '9')
		return false;
	if (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
		return false;	/* no leading zeros in JSON */
	if (s[0] == '+' || !match_float(s, len))
		return false;
	*t = match_int(s, len) ? YT_INT : YT_FLOAT;
	return true;
}

static int
check_tag(struct builder *b, const yaml_mark_t *m, const char *tag,
    enum ykind kind, enum ytype *type)
{
	static const struct {
		const char	*name;
		enum ykind	 kind;
		enum ytype	 type;
	} core[] = {
		{ "str", YN_SCALAR, YT_STR }, { "int", YN_SCALAR, YT_INT },
		{ "float", YN_SCALAR, YT_FLOAT }, { "bool", YN_SCALAR, YT_BOOL },
		{ "null", YN_SCALAR, YT_NULL }, { "map", YN_MAP, YT_STR },
		{ "seq", YN_SEQ, YT_STR },
	};
	size_t i;

	if (tag == NULL)
		return 0;
	if (b->json)
		return yerr(b, m->line + 1, m->column + 1,
		    "JSON has no tags");
	if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
		tag += strlen(TAG_PREFIX);
		for (i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
			if (strcmp(core[i].name, tag) != 0 ||
			    core[i].kind != kind)
				continue;
			if (kind == YN_SCALAR && *type != core[i].type &&
			    core[i].type != YT_STR)
				return yerr(b, m->line + 1, m->column + 1,
				    "value does not match its tag !!%s",
				    tag);
			if (kind == YN_SCALAR)
				*type = core[i].type;
			return 0;
		}
	}
	return yerr(b, m->line + 1, m->column + 1,
	    "tag \"%.64s\" is not in the YAML core schema (only !!str, !!int, "
	    "!!float, !!bool, !!null, !!map and !!seq are accepted)", tag);
}

static int
add_child(struct builder *b, struct ynode *n, size_t weight,
    const yaml_mark_t *m)
{
	struct frame	*f;
	struct ynode	**items;
	size_t		 cap;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if ((f->node->kind == YN_SEQ && f->n == b->lim->max_items) ||
	    (f->node->kind == YN_MAP && f->n == 2 * b->lim->max_items))
		return yerr(b, m->line + 1, m->column + 1,
		    "more than %zu entries in one %s", b->lim->max_items,
		    f->node->kind == YN_SEQ ? "list" : "mapping");
	if (f->n == f->cap) {
		cap = f->cap == 0 ? 8 : f->cap * 2;
		if ((items = reallocarray(f->items, cap, sizeof(*items))) == NULL)
			fatal("ytree");
		f->items = items;
		f->cap = cap;
	}
	f->items[f->n++] = n;
	f->node->weight += weight;
	return 0;
}

static int
count_nodes(struct builder *b, size_t weight, const yaml_mark_t *m)
{
	if (weight > b->lim->max_nodes || b->nodes > b->lim->max_nodes - weight)
		return yerr(b, m->line + 1, m->column + 1,
		    "more than %zu nodes (aliases count as the nodes they "
		    "repeat)", b->lim->max_nodes);
	b->nodes += weight;
	return 0;
}

static int
remember_anchor(struct builder *b, const yaml_mark_t *m, const char *name,
    struct ynode *n)
{
	struct anchor *an;

	if (name == NULL)
		return 0;
	if (b->json)
		return yerr(b, m->line + 1, m->column + 1,
		    "JSON has no anchors");
	if (b->nanchors == b->lim->max_aliases)
		return yerr(b, m->line + 1, m->column + 1,
		    "more than %zu anchors", b->lim->max_aliases);
	if (b->anchors == NULL &&
	    (b->anchors = calloc(b->lim->max_aliases, sizeof(*an))) == NULL)
		fatal("ytree");
	an = &b->anchors[b->nanchors++];
	an->node = n;
	if ((an->name = arena_strdup(b->a, name)) == NULL)
		return nomem(b, m);
	return 0;
}

static struct ynode *
new_node(struct builder *b, enum ykind kind, const yaml_mark_t *m)
{
	struct ynode *n;

	if ((n = arena_alloc(b->a, sizeof(*n))) == NULL)
		return NULL;
	n->kind = kind;
	n->line = m->line + 1;
	n->col = m->column + 1;
	n->weight = 1;
	return n;
}

static int
on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t	*m = &ev->start_mark;
	const char		*v = (const char *)ev->data.scalar.value;
	size_t			 len = ev->data.scalar.length;
	struct ynode		*n;
	enum ytype		 type = YT_STR;

	if (len > b->lim->max_scalar)
		return yerr(b, m->line + 1, m->column + 1,
		    "value longer than %zu bytes", b->lim->max_scalar);
	if (memchr(v, '\0', len) != NULL)
		return yerr(b, m->line + 1, m->column + 1,
		    "value contains a NUL character");
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (b->json && !json_literal(v, len, &type))
			return yerr(b, m->line + 1, m->column + 1,
			    "JSON strings must be double-quoted");
		if (!b->json)
			type = resolve_plain(v, len);
	} else if (b->json &&
	    ev->data.scalar.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		return yerr(b, m->line + 1, m->column + 1,
		    "JSON strings must be double-quoted");
	if (check_tag(b, m, (const char *)ev->data.scalar.tag, YN_SCALAR,
	    &type) == -1)
		return -1;
	if (count_nodes(b, 1, m) == -1)
		return -1;
	if ((n = new_node(b, YN_SCALAR, m)) == NULL ||
	    (n->str = arena_strndup(b->a, v, len)) == NULL)
		return nomem(b, m);
	n->len = len;
	n->type = type;
	n->complete = true;
	if (remember_anchor(b, m, (const char *)ev->data.scalar.anchor, n) == -1)
		return -1;
	return add_child(b, n, 1, m);
}

static int
on_start(struct builder *b, const yaml_event_t *ev, enum ykind kind)
{
	const yaml_mark_t	*m = &ev->start_mark;
	const char		*tag, *anchor;
	struct ynode		*n;
	struct frame		*f;
	enum ytype		 unused = YT_STR;

	if (kind == YN_SEQ) {
		tag = (const char *)ev->data.sequence_start.tag;
		anchor = (const char *)ev->data.sequence_start.anchor;
	} else {
		tag = (const char *)ev->data.mapping_start.tag;
		anchor = (const char *)ev->data.mapping_start.anchor;
	}
	if (b->depth == b->lim->max_depth)
		return yerr(b, m->line + 1, m->column + 1,
		    "nested deeper than %zu levels", b->lim->max_depth);
	if (check_tag(b, m, tag, kind, &unused) == -1 ||
	    count_nodes(b, 1, m) == -1)
		return -1;
	if ((n = new_node(b, kind, m)) == NULL)
		return nomem(b, m);
	if (remember_anchor(b, m, anchor, n) == -1)
		return -1;
	f = &b->stack[b->depth++];
	f->node = n;
	f->n = 0;
	return 0;
}

static int
check_map_keys(struct builder *b, struct ynode *map)
{
	struct ynode	*k, *other;
	size_t		 i, j;

	for (i = 0; i < map->n; i++) {
		k = map->items[2 * i];
		if (k->kind != YN_SCALAR || k->type == YT_NULL)
			return yerr(b, k->line, k->col,
			    "mapping keys must be strings");
		if (k->len == 2 && memcmp(k->str, "<<", 2) == 0 &&
		    k->type == YT_STR)
			return yerr(b, k->line, k->col,
			    "merge keys (<<) are not accepted: write the "
			    "fields out");
		/*
		 * Quadratic, but bounded by max_items and run once per
		 * mapping; real manifests have a handful of keys each.
		 */
		for (j = 0; j < i; j++) {
			other = map->items[2 * j];
			if (other->len == k->len &&
			    memcmp(other->str, k->str, k->len) == 0) {
				char path[DIAG_PATH_MAX], q[96];
				size_t o;

				build_path(b, path, sizeof(path));
				o = strlen(path);
				snprintf(path + o, sizeof(path) - o, "%s%s",
				    o > 0 ? "." : "", k->str);
				return diag_add(b->d, k->line, k->col, path,
				    "duplicate key \"%s\" (first at line %u)",
				    diag_quote(k->str, q, sizeof(q)),
				    other->line);
			}
		}
	}
	return 0;
}

static int
on_end(struct builder *b, const yaml_event_t *ev)
{
	struct frame	*f = &b->stack[--b->depth];
	struct ynode	*n = f->node;

	if (f->n > 0) {
		n->items = arena_alloc(b->a, f->n * sizeof(*n->items));
		if (n->items == NULL)
			return nomem(b, &ev->start_mark);
		memcpy(n->items, f->items, f->n * sizeof(*n->items));
	}
	n->n = n->kind == YN_MAP ? f->n / 2 : f->n;
	n->complete = true;
	if (n->kind == YN_MAP && check_map_keys(b, n) == -1)
		return -1;
	return add_child(b, n, n->weight, &ev->start_mark);
}

static int
on_alias(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t	*m = &ev->start_mark;
	const char		*name = (const char *)ev->data.alias.anchor;
	struct ynode		*target = NULL;
	size_t			 i;

	if (b->json)
		return yerr(b, m->line + 1, m->column + 1,
		    "JSON has no aliases");
	if (++b->aliases > b->lim->max_aliases)
		return yerr(b, m->line + 1, m->column + 1,
		    "more than %zu aliases", b->lim->max_aliases);
	/* The latest anchor of a name wins, as YAML says. */
	for (i = b->nanchors; i-- > 0;)
		if (strcmp(b->anchors[i].name, name) == 0) {
			target = b->anchors[i].node;
			break;
		}
	if (target == NULL)
		return yerr(b, m->line + 1, m->column + 1,
		    "alias *%.64s names no anchor", name);
	if (!target->complete)
		return yerr(b, m->line + 1, m->column + 1,
		    "alias *%.64s refers to a node that contains it", name);
	if (count_nodes(b, target->weight, m) == -1)
		return -1;
	return add_child(b, target, target->weight, m);
}

static int
parse_error(struct builder *b, const yaml_parser_t *p)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		fatalx("libyaml: out of memory");
	if (p->context != NULL)
		return yerr(b, m->line + 1, m->column + 1,
		    "%s: %s %s", b->json ? "JSON" : "YAML", p->problem,
		    p->context);
	return yerr(b, m->line + 1, m->column + 1, "%s: %s",
	    b->json ? "JSON" : "YAML", p->problem != NULL ? p->problem :
	    "syntax error");
}

static int
on_event(struct builder *b, const yaml_event_t *ev, int *docs)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return yerr(b, ev->start_mark.line + 1,
			    ev->start_mark.column + 1,
			    "a second YAML document: one Pod per file");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, YN_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, YN_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	default:
		return 0;
	}
}

/* A raw NUL is named with its position; libyaml would say less. */
static int
check_nul(struct builder *b, const uint8_t *buf, size_t len)
{
	const uint8_t	*nul, *p;
	unsigned	 line = 1, col = 1;

	if ((nul = memchr(buf, '\0', len)) == NULL)
		return 0;
	for (p = buf; p < nul; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else if ((*p & 0xc0) != 0x80)
			col++;
	}
	return diag_add(b->d, line, col, NULL, "NUL byte in manifest");
}

int
ytree_parse(struct arena *a, const struct ylimits *lim, const uint8_t *buf,
    size_t len, bool json, struct ynode **root, struct diags *d)
{
	struct builder	 b;
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	int		 docs = 0, ret = -1, done = 0;
	size_t		 i;

	memset(&b, 0, sizeof(b));
	b.a = a;
	b.lim = lim;
	b.d = d;
	b.json = json;
	if (check_nul(&b, buf, len) == -1)
		return -1;
	if ((b.stack = calloc(lim->max_depth, sizeof(*b.stack))) == NULL)
		fatal("ytree");
	if (!yaml_parser_initialize(&p))
		fatalx("libyaml: cannot initialise parser");
	yaml_parser_set_input_string(&p, buf, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			parse_error(&b, &p);
			goto out;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		if (on_event(&b, &ev, &docs) == -1) {
			yaml_event_delete(&ev);
			goto out;
		}
		yaml_event_delete(&ev);
	}
	if (b.root == NULL) {
		diag_add(d, 0, 0, NULL, "empty manifest");
		goto out;
	}
	*root = b.root;
	ret = 0;
out:
	yaml_parser_delete(&p);
	for (i = 0; i < lim->max_depth; i++)
		free(b.stack[i].items);
	free(b.stack);
	free(b.anchors);
	return ret;
}
