/*
 * parser: untrusted manifest bytes -> validated, defaulted, canonical Pods.
 * Runs only inside staticpodd-fetcher; the privileged binary never links
 * it. Never allocates without a limit: everything lives in one arena.
 */
#ifndef STATICPODD_PARSER_H
#define STATICPODD_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "pod.pb-c.h"
#include "podcheck.h"

#define MANIFEST_MAX_BYTES	(1024 * 1024)	/* the API server stores 1.5 MiB */
#define YAML_MAX_DEPTH		64
#define YAML_MAX_NODES		100000
#define YAML_MAX_ALIASES	128	/* a billion-laughs file needs 9 levels */
#define YAML_MAX_SCALAR		(256 * 1024)	/* all annotations of a pod */
#define YAML_MAX_ITEMS		10000
#define PODLIST_MAX_ITEMS	1000
#define PARSE_ARENA_FACTOR	48	/* memory cap: bytes of input times this */
#define PARSE_ARENA_MIN		(4 * 1024 * 1024)

struct parse_opts {
	const char	*node_name;	/* lower case, a DNS-1123 subdomain */
	const char	*source;	/* "file:/path" or "url:https://..." */
	size_t		 max_bytes;	/* 0: MANIFEST_MAX_BYTES */
	bool		 allow_list;	/* a PodList is accepted (URL source) */
};

struct parsed_pod {
	Spd__Pod	*pod;		/* defaulted; name is <name>-<node> */
	uint8_t		*canon;		/* its packed bytes */
	size_t		 canon_len;
	char		 uid[POD_UID_LEN + 1];
};

struct parse_result {
	struct arena		 arena;
	bool			 json;
	bool			 is_list;
	struct parsed_pod	*pods;
	size_t			 npods;
	struct diags		 diags;
};

/* 0 when every pod is valid; -1 with res->diags filled in otherwise. */
int	parser_parse(const uint8_t *buf, size_t len, const struct parse_opts *,
	    struct parse_result *res);
void	parse_result_free(struct parse_result *);

#define DECODE_UNKNOWN_MAX	64

/* Top-level keys a leniently read document has that its schema does not. */
struct decode_unknown {
	size_t	n;
	struct {
		const char	*key;
		unsigned	 line, col;
	} keys[DECODE_UNKNOWN_MAX];
};

struct decoded_doc {
	struct arena		 arena;
	ProtobufCMessage	*msg;
	const void		*root;		/* the parsed tree, for positions */
	struct diags		 diags;
	struct decode_unknown	 unknown;
};

/*
 * One YAML or JSON document into desc's message, as strictly as a
 * manifest; with lenient_root, unknown top-level keys are listed in
 * doc->unknown instead of refused (a kubelet configuration file).
 */
int	parser_decode_document(const uint8_t *, size_t,
	    const ProtobufCMessageDescriptor *, bool lenient_root,
	    struct decoded_doc *);
void	decoded_doc_free(struct decoded_doc *);
/* Gives errors found later, by field path only, the line they refer to. */
void	decoded_doc_place(const struct decoded_doc *, struct diags *);

/*
 * Quantities such as "100m", "64Mi", "1e3", in thousandths of a unit: 0,
 * -1 when the text is not a quantity, QUANTITY_RANGE when it is one but
 * beyond int64 thousandths.
 */
#define QUANTITY_RANGE	-2
int	quantity_parse(const char *, int64_t *milli);

#endif
