/*
 * Builds the node tree from libyaml's event API. libyaml 0.2.5 has no
 * depth or alias limits of its own, and its loader would share aliased
 * nodes so that a naive walk explodes; here every alias is charged the size
 * of the subtree it repeats, and the walk stops at the first limit.
 */
#include <stdarg.h>
#include <stdint.h>
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
	char			 q[DIAG_PATH_MAX];
	size_t			 i, o = 0;
	int			 n;

	buf[0] = '\0';
	for (i = 0; i < b->depth && o < len; i++) {
		f = &b->stack[i];
		if (f->node->kind == YN_SEQ)
			n = snprintf(buf + o, len - o, "[%zu]", f->n);
		else if (f->n % 2 == 1) {
			key = f->items[f->n - 1];
			/* a key is shown escaped, so it cannot break the line */
			n = snprintf(buf + o, len - o, "%s%s", o > 0 ? "." : "",
			    key->kind == YN_SCALAR ? diag_quote(key->str, q,
			    sizeof(q)) : "?");
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

/*
 * What YAML 1.1, which the kubelet's decoder speaks, makes of a plain
 * scalar that the core schema reads as a string: yes, no, on, off, y and
 * n are booleans there, and 0b1010, 0X1F or 1_000 are numbers. Such a
 * value is refused wherever it lands, so that a manifest cannot mean one
 * thing to this agent and another to a kubelet.
 */
static enum ytype
resolve_yaml11(const char *s, size_t len)
{
	static const char *const bools[] = { "y", "Y", "yes", "Yes", "YES",
	    "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
	    NULL };
	char	digits[64];
	size_t	i, o = 0, j = 0;

	if (is_one_of(s, len, bools))
		return YT_BOOL;
	if (len >= sizeof(digits))
		return YT_STR;
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			digits[o++] = s[i];
	if (o == 0)
		return YT_STR;
	if (digits[0] == '-' || digits[0] == '+')
		j++;
	if (o - j > 2 && digits[j] == '0' && strchr("xXoObB",
	    digits[j + 1]) != NULL) {
		const char *set = strchr("xX", digits[j + 1]) != NULL ?
		    "0123456789abcdefABCDEF" : strchr("oO", digits[j + 1]) !=
		    NULL ? "01234567" : "01";

		for (i = j + 2; i < o; i++)
			if (strchr(set, digits[i]) == NULL)
				return YT_STR;
		return YT_INT;
	}
	if (match_int(digits, o))
		return YT_INT;
	if (match_float(digits, o))
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
    enum ykind kind, const char *v, size_t len, enum ytype *type)
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
	enum ytype	 t;
	char		 q[80], shown[80];
	size_t		 i;

	if (tag == NULL)
		return 0;
	if (b->json)
		return yerr(b, m->line + 1, m->column + 1,
		    "JSON has no tags");
	snprintf(shown, sizeof(shown), "%s", tag);
	if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
		tag += strlen(TAG_PREFIX);
		snprintf(shown, sizeof(shown), "!!%s", tag);
		for (i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
			if (strcmp(core[i].name, tag) != 0)
				continue;
			if (core[i].kind != kind)
				return yerr(b, m->line + 1, m->column + 1,
				    "a %s cannot have the tag !!%s",
				    kind == YN_MAP ? "mapping" : kind == YN_SEQ ?
				    "list" : "scalar", tag);
			if (kind != YN_SCALAR || core[i].type == YT_STR) {
				*type = core[i].type;
				return 0;
			}
			/* !!int "80" is 80; the text must still be an int */
			t = resolve_plain(v, len);
			if (t != core[i].type && !(t == YT_INT &&
			    core[i].type == YT_FLOAT))
				return yerr(b, m->line + 1, m->column + 1,
				    "\"%s\" does not match its tag !!%s",
				    diag_quote(v, q, sizeof(q)), tag);
			*type = core[i].type;
			return 0;
		}
	}
	return yerr(b, m->line + 1, m->column + 1,
	    "tag %s is not in the YAML core schema (only !!str, !!int, "
	    "!!float, !!bool, !!null, !!map and !!seq are accepted)",
	    diag_quote(shown, q, sizeof(q)));
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
	const char		*tag = (const char *)ev->data.scalar.tag;
	size_t			 len = ev->data.scalar.length;
	struct ynode		*n;
	enum ytype		 type = YT_STR;
	bool			 plain;

	plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (len > b->lim->max_scalar)
		return yerr(b, m->line + 1, m->column + 1,
		    "value longer than %zu bytes", b->lim->max_scalar);
	if (memchr(v, '\0', len) != NULL)
		return yerr(b, m->line + 1, m->column + 1,
		    "value contains a NUL character");
	if (plain) {
		if (b->json && !json_literal(v, len, &type))
			return yerr(b, m->line + 1, m->column + 1,
			    "JSON strings must be double-quoted");
		if (!b->json)
			type = resolve_plain(v, len);
	} else if (b->json &&
	    ev->data.scalar.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		return yerr(b, m->line + 1, m->column + 1,
		    "JSON strings must be double-quoted");
	if (check_tag(b, m, tag, YN_SCALAR, v, len, &type) == -1)
		return -1;
	if (count_nodes(b, 1, m) == -1)
		return -1;
	if ((n = new_node(b, YN_SCALAR, m)) == NULL ||
	    (n->str = arena_strndup(b->a, v, len)) == NULL)
		return nomem(b, m);
	n->len = len;
	n->type = type;
	n->plain = plain && tag == NULL;
	n->type11 = n->plain && !b->json && type == YT_STR ?
	    resolve_yaml11(v, len) : type;
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
	if (check_tag(b, m, tag, kind, NULL, 0, &unused) == -1 ||
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

struct keyref {
	const struct ynode	*key;
	size_t			 i;	/* position in the mapping */
};

static bool
same_key(const struct ynode *x, const struct ynode *y)
{
	return x->len == y->len && memcmp(x->str, y->str, x->len) == 0;
}

/* Equal keys sort together, in the order they were written. */
static int
cmp_keyref(const void *a, const void *b)
{
	const struct keyref	*x = a, *y = b;
	int			 c;

	if (x->key->len != y->key->len)
		return x->key->len < y->key->len ? -1 : 1;
	if ((c = memcmp(x->key->str, y->key->str, x->key->len)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
key_error(struct builder *b, const struct ynode *k)
{
	char q[96];

	if (k->kind != YN_SCALAR)
		return yerr(b, k->line, k->col, "mapping keys must be strings, "
		    "not %s", k->kind == YN_MAP ? "mappings" : "lists");
	if (k->type == YT_NULL && k->len == 0)
		return yerr(b, k->line, k->col, "a mapping key is missing");
	if (k->type != YT_STR)
		return yerr(b, k->line, k->col, "mapping key %s is read as %s; "
		    "keys must be strings (quote it)", diag_quote(k->str, q,
		    sizeof(q)), k->type == YT_INT ? "an integer" :
		    k->type == YT_FLOAT ? "a number" : k->type == YT_BOOL ?
		    "a boolean" : "null");
	if (k->plain && k->len == 2 && memcmp(k->str, "<<", 2) == 0)
		return yerr(b, k->line, k->col, "merge keys (<<) are not "
		    "accepted: write the fields out");
	if (k->type11 != YT_STR)
		return yerr(b, k->line, k->col, "mapping key %s is %s to YAML "
		    "1.1 readers such as the kubelet; keys must be strings "
		    "(quote it)", diag_quote(k->str, q, sizeof(q)),
		    k->type11 == YT_BOOL ? "a boolean" : "a number");
	return 0;
}

/*
 * Keys must be strings and unique. Duplicates are found by sorting, so a
 * mapping of max_items keys costs n log n, not n squared.
 */
static int
check_map_keys(struct builder *b, struct ynode *map)
{
	struct keyref	*refs;
	const struct ynode *k, *first = NULL;
	char		 path[DIAG_PATH_MAX], q[96];
	size_t		 i, dup = SIZE_MAX, o;

	for (i = 0; i < map->n; i++)
		if (key_error(b, map->items[2 * i]) == -1)
			return -1;
	if (map->n < 2)
		return 0;
	if ((refs = reallocarray(NULL, map->n, sizeof(*refs))) == NULL)
		fatal("ytree");
	for (i = 0; i < map->n; i++) {
		refs[i].key = map->items[2 * i];
		refs[i].i = i;
	}
	qsort(refs, map->n, sizeof(*refs), cmp_keyref);
	/*
	 * The second of each run of equal keys is its first repetition; the
	 * earliest of those in the document is reported, with the key it
	 * repeats, as a reader going down the file would meet them.
	 */
	for (i = 1; i < map->n; i++)
		if (same_key(refs[i].key, refs[i - 1].key) &&
		    (i == 1 || !same_key(refs[i - 1].key, refs[i - 2].key)) &&
		    refs[i].i < dup) {
			dup = refs[i].i;
			first = refs[i - 1].key;
		}
	free(refs);
	if (first == NULL)
		return 0;
	k = map->items[2 * dup];
	build_path(b, path, sizeof(path));
	o = strlen(path);
	snprintf(path + o, sizeof(path) - o, "%s%s", o > 0 ? "." : "",
	    diag_quote(k->str, q, sizeof(q)));
	return diag_add(b->d, k->line, k->col, path,
	    "duplicate key \"%s\" (first at line %u)", diag_quote(k->str, q,
	    sizeof(q)), first->line);
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

void
text_position(const uint8_t *buf, size_t len, size_t off, unsigned *line,
    unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if ((buf[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

/* The byte libyaml's mark points at, found by line and column. */
static int
byte_at(const uint8_t *buf, size_t len, const yaml_mark_t *m)
{
	size_t	i = 0, line = 0, col = 0;

	for (; i < len && line < m->line; i++)
		if (buf[i] == '\n')
			line++;
	for (; i < len && col < m->column; col++) {
		if (buf[i] == '\n')
			return -1;
		for (i++; i < len && (buf[i] & 0xc0) == 0x80; i++)
			;
	}
	return i < len ? buf[i] : -1;
}

/*
 * libyaml's words, made plainer where they are known to puzzle: a tab
 * used for indentation, a character YAML reserves, bytes that are not
 * UTF-8 (libyaml reports those by offset, not by line and column).
 */
static int
parse_error(struct builder *b, const yaml_parser_t *p, const uint8_t *buf,
    size_t len)
{
	const yaml_mark_t	*m = &p->problem_mark;
	const char		*lang = b->json ? "JSON" : "YAML";
	const char		*problem = p->problem != NULL ? p->problem :
				    "syntax error";
	unsigned		 line, col;
	int			 ch;

	if (p->error == YAML_MEMORY_ERROR)
		fatalx("libyaml: out of memory");
	if (p->error == YAML_READER_ERROR) {
		text_position(buf, len, p->problem_offset, &line, &col);
		if (strstr(problem, "control characters") != NULL)
			return diag_add(b->d, line, col, NULL, "control "
			    "character U+%04X is not allowed (write it as an "
			    "escape in a double-quoted string)",
			    (unsigned)p->problem_value);
		if (strstr(problem, "octet") != NULL && p->problem_value != -1)
			return diag_add(b->d, line, col, NULL, "not UTF-8 (%s "
			    "0x%02x): a manifest must be UTF-8 text", problem,
			    (unsigned)p->problem_value);
		if (strstr(problem, "character") != NULL &&
		    p->problem_value != -1)
			return diag_add(b->d, line, col, NULL, "not UTF-8 (%s "
			    "U+%04X): a manifest must be UTF-8 text", problem,
			    (unsigned)p->problem_value);
		return diag_add(b->d, line, col, NULL, "not UTF-8 (%s): a "
		    "manifest must be UTF-8 text", problem);
	}
	if (strcmp(problem, "found character that cannot start any token") ==
	    0 && (ch = byte_at(buf, len, m)) != -1) {
		if (ch == '\t' && b->json)
			return yerr(b, m->line + 1, m->column + 1, "JSON: a "
			    "tab before the first '{' is not accepted (libyaml "
			    "reads JSON as YAML; use spaces)");
		if (ch == '\t')
			return yerr(b, m->line + 1, m->column + 1, "YAML: tabs "
			    "may not be used for indentation (use spaces)");
		if (ch == '@' || ch == '`')
			return yerr(b, m->line + 1, m->column + 1, "%s: '%c' "
			    "is reserved and cannot start a value (quote the "
			    "value)", lang, ch);
	}
	if (p->context != NULL)
		return yerr(b, m->line + 1, m->column + 1, "%s: %s %s", lang,
		    problem, p->context);
	return yerr(b, m->line + 1, m->column + 1, "%s: %s", lang, problem);
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

/*
 * UTF-8 is checked here rather than left to libyaml, which reports a bad
 * byte by offset, sometimes at the byte after it: this names the byte that
 * begins the broken sequence, where an editor shows it. Overlong forms,
 * surrogates and code points past U+10FFFF are refused, as libyaml does.
 */
static int
check_utf8(struct builder *b, const uint8_t *buf, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	cp, min;
	unsigned	line, col;

	while (i < len) {
		if (buf[i] < 0x80) {
			i++;
			continue;
		}
		if ((buf[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = buf[i] & 0x1f;
			min = 0x80;
		} else if ((buf[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = buf[i] & 0x0f;
			min = 0x800;
		} else if ((buf[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = buf[i] & 0x07;
			min = 0x10000;
		} else
			goto bad;
		if (len - i < n)
			goto bad;
		for (k = 1; k < n; k++) {
			if ((buf[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (buf[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += n;
	}
	return 0;
bad:
	text_position(buf, len, i, &line, &col);
	return diag_add(b->d, line, col, NULL, "byte 0x%02x does not begin a "
	    "valid UTF-8 character: a manifest must be UTF-8 text", buf[i]);
}

/* A raw NUL is named with its position; libyaml would say less. */
static int
check_nul(struct builder *b, const uint8_t *buf, size_t len)
{
	const uint8_t	*nul;
	unsigned	 line, col;

	if ((nul = memchr(buf, '\0', len)) == NULL)
		return 0;
	text_position(buf, len, (size_t)(nul - buf), &line, &col);
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
	/* a byte order mark is no column: libyaml would count it as one */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	if (check_nul(&b, buf, len) == -1 || check_utf8(&b, buf, len) == -1)
		return -1;
	if (json && json_syntax_check(buf, len, lim->max_depth, d) == -1)
		return -1;
	if ((b.stack = calloc(lim->max_depth, sizeof(*b.stack))) == NULL)
		fatal("ytree");
	if (!yaml_parser_initialize(&p))
		fatalx("libyaml: cannot initialise parser");
	yaml_parser_set_input_string(&p, buf, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			parse_error(&b, &p, buf, len);
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
		diag_add(d, 0, 0, NULL, "empty manifest: nothing but "
		    "comments and blank lines");
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
