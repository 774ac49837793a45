/*
 * ytree: libyaml events -> a bounded tree of nodes with positions.
 * Private to parser/. Every limit is checked while the events arrive, so a
 * hostile document is refused before it costs more than the limits allow.
 */
#ifndef STATICPODD_YTREE_H
#define STATICPODD_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

enum ykind { YN_SCALAR, YN_SEQ, YN_MAP };

/* What a scalar resolves to under YAML 1.2's core schema. */
enum ytype { YT_STR, YT_INT, YT_FLOAT, YT_BOOL, YT_NULL };

struct ynode {
	enum ykind	  kind;
	enum ytype	  type;		/* scalars only */
	unsigned	  line;		/* 1-based */
	unsigned	  col;
	size_t		  weight;	/* nodes beneath, aliases expanded */
	const char	 *str;		/* scalars: NUL-free, NUL-terminated */
	size_t		  len;
	bool		  plain;	/* scalars: unquoted and untagged */
	enum ytype	  type11;	/* scalars: what YAML 1.1 reads */
	struct ynode	**items;	/* seq: n items; map: key, value pairs */
	size_t		  n;		/* items, or pairs for a map */
	bool		  complete;
};

struct ylimits {
	size_t	max_depth;
	size_t	max_nodes;	/* aliases count as the nodes they repeat */
	size_t	max_aliases;
	size_t	max_scalar;
	size_t	max_items;	/* entries in one list or mapping */
};

/*
 * Parses exactly one document. With json set, the input must also be
 * JSON: double-quoted strings, JSON literals, no anchors or tags.
 */
int	ytree_parse(struct arena *, const struct ylimits *, const uint8_t *,
	    size_t, bool json, struct ynode **root, struct diags *);

/*
 * json.c: RFC 8259 syntax, checked on the bytes before libyaml reads them
 * as YAML's flow style. Nesting deeper than max_depth is left for the tree
 * builder, which refuses it with the field path.
 */
int	json_syntax_check(const uint8_t *, size_t, size_t max_depth,
	    struct diags *);

/* The line and column (1-based, in characters) of a byte offset. */
void	text_position(const uint8_t *, size_t len, size_t off, unsigned *line,
	    unsigned *col);

#endif
