/*
 * Decodes the node tree into the Pod messages, driven by the descriptors
 * protobuf-c generates from privsep/pod.proto: a key that names no field
 * is an error (fail closed), and each value must have its field's type.
 * Fields a static pod may not use are refused by name here, with the
 * reason; fields that mean nothing on one node are listed in ignored.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "log.h"

struct refusal {
	const char	*message;	/* descriptor name, without package */
	const char	*key;
	const char	*why;
};

#define API_REF	"a static pod may not reference API objects"
#define VOL_UNSUP "volume type not supported for static pods " \
	"(hostPath, emptyDir, downwardAPI and image are)"

static const struct refusal refusals[] = {
	{ "PodSpec", "serviceAccountName", API_REF " (ServiceAccount)" },
	{ "PodSpec", "serviceAccount", API_REF " (ServiceAccount)" },
	{ "PodSpec", "imagePullSecrets", API_REF " (Secret)" },
	{ "PodSpec", "resourceClaims", API_REF " (ResourceClaim)" },
	{ "PodSpec", "ephemeralContainers", "ephemeral containers are added "
	    "to a running pod through the API; a static pod cannot have them" },
	{ "Volume", "configMap", API_REF " (ConfigMap)" },
	{ "Volume", "secret", API_REF " (Secret)" },
	{ "Volume", "persistentVolumeClaim", API_REF
	    " (PersistentVolumeClaim)" },
	{ "Volume", "projected", API_REF " (projected volumes carry "
	    "service account tokens, secrets and config maps; use downwardAPI "
	    "for pod fields)" },
	{ "Volume", "csi", API_REF " (CSIDriver)" },
	{ "Volume", "ephemeral", API_REF " (PersistentVolumeClaim)" },
	{ "Volume", "nfs", VOL_UNSUP },
	{ "Volume", "iscsi", VOL_UNSUP },
	{ "Volume", "glusterfs", VOL_UNSUP },
	{ "Volume", "azureFile", VOL_UNSUP },
	{ "Volume", "azureDisk", VOL_UNSUP },
	{ "Volume", "awsElasticBlockStore", VOL_UNSUP },
	{ "Volume", "gcePersistentDisk", VOL_UNSUP },
	{ "Volume", "gitRepo", VOL_UNSUP },
	{ "Volume", "rbd", VOL_UNSUP },
	{ "Volume", "cephfs", VOL_UNSUP },
	{ "Volume", "cinder", VOL_UNSUP },
	{ "Volume", "fc", VOL_UNSUP },
	{ "Volume", "flexVolume", VOL_UNSUP },
	{ "Volume", "flocker", VOL_UNSUP },
	{ "Volume", "vsphereVolume", VOL_UNSUP },
	{ "Volume", "portworxVolume", VOL_UNSUP },
	{ "Volume", "quobyte", VOL_UNSUP },
	{ "Volume", "scaleIO", VOL_UNSUP },
	{ "Volume", "storageos", VOL_UNSUP },
	{ "Volume", "photonPersistentDisk", VOL_UNSUP },
	{ "EnvFromSource", "configMapRef", API_REF " (ConfigMap)" },
	{ "EnvFromSource", "secretRef", API_REF " (Secret)" },
	{ "EnvVarSource", "configMapKeyRef", API_REF " (ConfigMap)" },
	{ "EnvVarSource", "secretKeyRef", API_REF " (Secret)" },
	{ "EnvVarSource", "fileKeyRef", "fileKeyRef is not supported (set "
	    "the variable with value or fieldRef)" },
	{ "ResourceRequirements", "claims", API_REF " (ResourceClaim)" },
	{ "Container", "restartPolicyRules", "restartPolicyRules is not "
	    "supported (it changes when a container restarts; set "
	    "restartPolicy)" },
};

struct decoder {
	struct arena		*a;
	struct diags		*d;
	struct decode_unknown	*unknown;	/* lenient top level, or NULL */
	int			 depth;
	char			 path[DIAG_PATH_MAX];
	size_t			 plen;
};

static int
err(struct decoder *dc, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
err(struct decoder *dc, const struct ynode *n, const char *fmt, ...)
{
	char	msg[DIAG_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return diag_add(dc->d, n->line, n->col, dc->path, "%s", msg);
}

static size_t
path_push(struct decoder *dc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t
path_push(struct decoder *dc, const char *fmt, ...)
{
	size_t	old = dc->plen;
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(dc->path + old, sizeof(dc->path) - old, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(dc->path) - old)
		dc->plen = sizeof(dc->path) - 1;
	else
		dc->plen = old + (size_t)n;
	return old;
}

/*
 * The hot path: a key of plain printable characters is copied as it is,
 * without a printf per field; anything else is escaped as before.
 */
static size_t
path_push_key(struct decoder *dc, const char *sep, const struct ynode *k,
    const char *end)
{
	size_t	 old = dc->plen, slen = strlen(sep), elen = strlen(end), i;
	char	 q[128];

	for (i = 0; i < k->len; i++)
		if (k->str[i] < 0x20 || k->str[i] > 0x7e || k->str[i] == '"' ||
		    k->str[i] == '\\')
			break;
	if (i < k->len || k->len >= sizeof(q) - 8 ||
	    old + slen + k->len + elen >= sizeof(dc->path))
		return path_push(dc, "%s%s%s", sep, diag_quote(k->str, q,
		    sizeof(q)), end);
	memcpy(dc->path + old, sep, slen);
	memcpy(dc->path + old + slen, k->str, k->len);
	memcpy(dc->path + old + slen + k->len, end, elen + 1);
	dc->plen = old + slen + k->len + elen;
	return old;
}

static void
path_pop(struct decoder *dc, size_t old)
{
	dc->plen = old;
	dc->path[old] = '\0';
}

static const char *
type_name(const struct ynode *n)
{
	if (n->kind == YN_MAP)
		return "a mapping";
	if (n->kind == YN_SEQ)
		return "a list";
	switch (n->type) {
	case YT_INT:
		return "an integer";
	case YT_FLOAT:
		return "a number";
	case YT_BOOL:
		return "a boolean";
	case YT_NULL:
		return "null";
	default:
		return "a string";
	}
}

static const char *
short_name(const ProtobufCMessageDescriptor *desc)
{
	const char *dot = strrchr(desc->name, '.');

	return dot != NULL ? dot + 1 : desc->name;
}

static bool
is_map_entry(const ProtobufCMessageDescriptor *desc)
{
	return desc->n_fields == 2 && strcmp(desc->fields[0].name, "key") == 0 &&
	    strcmp(desc->fields[1].name, "value") == 0;
}

#define INT_BAD_DIGIT	-1
#define INT_RANGE	-2

/*
 * YAML 1.2 reads 0644 as decimal, but the kubelet's YAML 1.1 decoder reads
 * it as octal, and file modes are written that way: follow the kubelet.
 * 0o644 and 0x1a4 mean the same in both. The text is an integer as the
 * tree resolved it; what can still go wrong is an 8 or 9 after a leading
 * 0 (INT_BAD_DIGIT) or a value outside lo..hi (INT_RANGE).
 */
static int
parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	const char	*p = s;
	uint64_t	 v = 0, limit;
	unsigned	 base = 10, d;
	bool		 neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
		base = p[1] == 'x' ? 16 : 8;
		p += 2;
	} else if (p[0] == '0' && p[1] != '\0')
		base = 8;
	if (*p == '\0')
		return INT_BAD_DIGIT;
	/* INT64_MIN has no positive twin */
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return INT_BAD_DIGIT;
		if (d >= base)
			return INT_BAD_DIGIT;
		if (v > (limit - d) / base)
			return INT_RANGE;
		v = v * base + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	if (*out < lo || *out > hi)
		return INT_RANGE;
	return 0;
}

static int dec_message(struct decoder *, const struct ynode *,
    const ProtobufCMessageDescriptor *, ProtobufCMessage *);
static int dec_repeated(struct decoder *, const struct ynode *,
    const ProtobufCFieldDescriptor *, ProtobufCMessage *);

static bool
is_decimal(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* "a string", or "a string (\"80\")" when the value helps. */
static const char *
describe(const struct ynode *n, char *buf, size_t len)
{
	char q[64];

	if (n->kind != YN_SCALAR || n->type == YT_NULL)
		return type_name(n);
	snprintf(buf, len, n->type == YT_STR ? "%s (\"%s\")" : "%s (%s)",
	    type_name(n), diag_quote(n->str, q, sizeof(q)));
	return buf;
}

static int
dec_int(struct decoder *dc, const struct ynode *n, int64_t lo, int64_t hi,
    int64_t *out)
{
	char	d[96], q[64];
	int	rc;

	if (n->kind == YN_SCALAR && n->type == YT_STR && is_decimal(n->str))
		return err(dc, n, "must be an integer, not a string (\"%s\"): "
		    "unquote it", diag_quote(n->str, q, sizeof(q)));
	if (n->kind != YN_SCALAR || n->type != YT_INT)
		return err(dc, n, "must be an integer, not %s",
		    describe(n, d, sizeof(d)));
	if ((rc = parse_int(n->str, lo, hi, out)) == INT_BAD_DIGIT)
		return err(dc, n, "%s is not an integer: a leading 0 means "
		    "octal, as the kubelet reads it, and octal has no 8 or 9",
		    diag_quote(n->str, q, sizeof(q)));
	if (rc != 0)
		return err(dc, n, "%s is out of range (%" PRId64 " to %"
		    PRId64 ")", diag_quote(n->str, q, sizeof(q)), lo, hi);
	return 0;
}

#define MILLI_MAX	(INT64_MAX / 1000)

static int
dec_quantity(struct decoder *dc, const struct ynode *n, Spd__Quantity *q)
{
	char	buf[96], d[96];
	int64_t	v;
	int	rc;

	if (n->kind != YN_SCALAR ||
	    (n->type != YT_STR && n->type != YT_INT && n->type != YT_FLOAT))
		return err(dc, n, "must be a quantity such as \"500m\" or "
		    "\"64Mi\", not %s", describe(n, d, sizeof(d)));
	/*
	 * An unquoted integer is read as the kubelet's YAML reads it, so
	 * memory: 0644 is 420 bytes there and here alike.
	 */
	if (n->type == YT_INT) {
		if ((rc = parse_int(n->str, -MILLI_MAX, MILLI_MAX, &v)) == 0) {
			q->milli = v * 1000;
			q->has_milli = 1;
			return 0;
		}
		if (rc == INT_BAD_DIGIT)
			return dec_int(dc, n, -MILLI_MAX, MILLI_MAX, &v);
	} else
		rc = quantity_parse(n->str, &q->milli);
	if (rc == INT_RANGE || rc == QUANTITY_RANGE)
		return err(dc, n, n->type == YT_STR ? "\"%s\" is out of range "
		    "(at most %" PRId64 " units either way: thousandths of a "
		    "unit must fit in 64 bits)" : "%s is out of range (at most "
		    "%" PRId64 " units either way: thousandths of a unit must "
		    "fit in 64 bits)", diag_quote(n->str, buf, sizeof(buf)),
		    MILLI_MAX);
	if (rc != 0)
		return err(dc, n, "\"%s\" is not a quantity (a number with an "
		    "optional suffix: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, "
		    "Ei, or an exponent such as e3)", diag_quote(n->str, buf,
		    sizeof(buf)));
	q->has_milli = 1;
	return 0;
}

/* A plain yes, on, 0b1, 1_000: a string here, not to the kubelet. */
static int
ambiguous(struct decoder *dc, const struct ynode *n)
{
	char q[64];

	return err(dc, n, "%s is %s to YAML 1.1, which the kubelet reads, and "
	    "a string to YAML 1.2: quote it if a string is meant",
	    diag_quote(n->str, q, sizeof(q)), n->type11 == YT_BOOL ?
	    "a boolean" : "a number");
}

static int
dec_int_or_string(struct decoder *dc, const struct ynode *n,
    Spd__IntOrString *v)
{
	int64_t i;

	if (n->kind == YN_SCALAR && n->type == YT_INT) {
		if (dec_int(dc, n, INT32_MIN, INT32_MAX, &i) == -1)
			return -1;
		v->has_intval = 1;
		v->intval = (int32_t)i;
		return 0;
	}
	if (n->kind == YN_SCALAR && n->type == YT_STR) {
		if (n->type11 != YT_STR)
			return ambiguous(dc, n);
		v->strval = (char *)n->str;
		return 0;
	}
	return err(dc, n, "must be an integer or a string, not %s",
	    type_name(n));
}

/* Decodes one value of the field's type into *dst. */
static int
dec_value(struct decoder *dc, const struct ynode *n,
    const ProtobufCFieldDescriptor *fd, void *dst)
{
	const ProtobufCMessageDescriptor	*md;
	ProtobufCMessage			*m;
	int64_t					 i;
	char					 d[96];

	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (n->kind == YN_SCALAR && n->type == YT_NULL)
			return err(dc, n, "must be a string, not null (write "
			    "\"\" for an empty one)");
		if (n->kind != YN_SCALAR || n->type != YT_STR)
			return err(dc, n, "must be a string, not %s%s",
			    describe(n, d, sizeof(d)), n->kind == YN_SCALAR ?
			    ": quote it" : "");
		if (n->type11 != YT_STR)
			return ambiguous(dc, n);
		*(const char **)dst = n->str;
		return 0;
	case PROTOBUF_C_TYPE_INT32:
		if (dec_int(dc, n, INT32_MIN, INT32_MAX, &i) == -1)
			return -1;
		*(int32_t *)dst = (int32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
		if (dec_int(dc, n, INT64_MIN, INT64_MAX, &i) == -1)
			return -1;
		*(int64_t *)dst = i;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (n->kind == YN_SCALAR && n->type11 == YT_BOOL &&
		    n->type != YT_BOOL)
			return err(dc, n, "must be true or false, not %s: only "
			    "YAML 1.1 reads it as a boolean, and this agent "
			    "reads YAML 1.2", diag_quote(n->str, d, sizeof(d)));
		if (n->kind == YN_SCALAR && n->type == YT_STR &&
		    (strcmp(n->str, "true") == 0 ||
		    strcmp(n->str, "false") == 0))
			return err(dc, n, "must be true or false, not a string "
			    "(\"%s\"): unquote it", n->str);
		if (n->kind != YN_SCALAR || n->type != YT_BOOL)
			return err(dc, n, "must be true or false, not %s",
			    describe(n, d, sizeof(d)));
		*(protobuf_c_boolean *)dst = n->str[0] == 't' ||
		    n->str[0] == 'T';
		return 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		md = fd->descriptor;
		if ((m = arena_alloc(dc->a, md->sizeof_message)) == NULL)
			return err(dc, n, "manifest needs more memory than its "
			    "limit allows");
		protobuf_c_message_init(md, m);
		*(ProtobufCMessage **)dst = m;
		if (md == &spd__quantity__descriptor)
			return dec_quantity(dc, n, (Spd__Quantity *)m);
		if (md == &spd__int_or_string__descriptor)
			return dec_int_or_string(dc, n, (Spd__IntOrString *)m);
		return dec_message(dc, n, md, m);
	default:
		fatalx("decode: field %s has a type the schema does not use",
		    fd->name);
	}
}

static size_t
elem_size(const ProtobufCFieldDescriptor *fd)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
		return sizeof(int32_t);
	case PROTOBUF_C_TYPE_INT64:
		return sizeof(int64_t);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return sizeof(void *);
	}
}

static int
cmp_entry(const void *a, const void *b)
{
	const Spd__StringEntry *x = *(Spd__StringEntry *const *)a;
	const Spd__StringEntry *y = *(Spd__StringEntry *const *)b;

	return strcmp(x->key, y->key);
}

/* A YAML mapping into repeated key/value messages, sorted by key. */
static int
dec_map(struct decoder *dc, const struct ynode *n,
    const ProtobufCFieldDescriptor *fd, size_t *count, void ***arr)
{
	const ProtobufCMessageDescriptor	*md = fd->descriptor;
	const ProtobufCFieldDescriptor		*vfd = &md->fields[1];
	ProtobufCMessage			*e;
	const struct ynode			*k;
	size_t					 i, old;
	int					 ret = 0;

	if (n->kind != YN_MAP)
		return err(dc, n, "must be a mapping, not %s", type_name(n));
	if ((*arr = arena_alloc(dc->a, n->n * sizeof(void *) + 1)) == NULL)
		return err(dc, n, "manifest needs more memory than its limit "
		    "allows");
	for (i = 0; i < n->n; i++) {
		k = n->items[2 * i];
		if ((e = arena_alloc(dc->a, md->sizeof_message)) == NULL)
			return err(dc, n, "manifest needs more memory than "
			    "its limit allows");
		protobuf_c_message_init(md, e);
		/* key first: the entry layout is { base, key, value } */
		*(const char **)((char *)e + md->fields[0].offset) = k->str;
		old = path_push_key(dc, "[", k, "]");
		if (vfd->label == PROTOBUF_C_LABEL_REPEATED) {
			if (dec_repeated(dc, n->items[2 * i + 1], vfd, e) == -1)
				ret = -1;
		} else if (dec_value(dc, n->items[2 * i + 1], vfd,
		    (char *)e + vfd->offset) == -1)
			ret = -1;
		path_pop(dc, old);
		(*arr)[i] = e;
	}
	*count = n->n;
	qsort(*arr, n->n, sizeof(void *), cmp_entry);
	return ret;
}

static int
dec_repeated(struct decoder *dc, const struct ynode *n,
    const ProtobufCFieldDescriptor *fd, ProtobufCMessage *msg)
{
	size_t	*count = (size_t *)((char *)msg + fd->quantifier_offset);
	void	**arr = (void **)((char *)msg + fd->offset);
	size_t	 i, old, esz = elem_size(fd);
	char	*elems;
	int	 ret = 0;

	if (fd->type == PROTOBUF_C_TYPE_MESSAGE && is_map_entry(fd->descriptor))
		return dec_map(dc, n, fd, count, (void ***)arr);
	if (n->kind != YN_SEQ)
		return err(dc, n, "must be a list, not %s", type_name(n));
	if ((elems = arena_alloc(dc->a, n->n * esz + 1)) == NULL)
		return err(dc, n, "manifest needs more memory than its limit "
		    "allows");
	for (i = 0; i < n->n; i++) {
		old = path_push(dc, "[%zu]", i);
		if (n->items[i]->kind == YN_SCALAR &&
		    n->items[i]->type == YT_NULL)
			ret = err(dc, n->items[i], "a list entry may not be "
			    "null");
		else if (dec_value(dc, n->items[i], fd, elems + i * esz) == -1)
			ret = -1;
		path_pop(dc, old);
	}
	*count = n->n;
	*arr = elems;
	return ret;
}

/* null, "" and [] name no object: the kubelet reads them as unset too. */
static bool
refers_to_nothing(const struct ynode *v)
{
	if (v->kind == YN_SEQ)
		return v->n == 0;
	return v->kind == YN_SCALAR && (v->type == YT_NULL ||
	    (v->type == YT_STR && v->len == 0));
}

static const struct refusal *
find_refusal(const ProtobufCMessageDescriptor *desc, const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(refusals[i].message, short_name(desc)) == 0 &&
		    strcmp(refusals[i].key, key) == 0)
			return &refusals[i];
	return NULL;
}

/* A document read leniently lists its unknown top-level keys instead. */
static int
note_unknown(struct decoder *dc, const struct ynode *key)
{
	struct decode_unknown *u = dc->unknown;

	if (u->n == DECODE_UNKNOWN_MAX)
		return 0;
	u->keys[u->n].key = key->str;
	u->keys[u->n].line = key->line;
	u->keys[u->n].col = key->col;
	u->n++;
	return 0;
}

static int
dec_field(struct decoder *dc, const struct ynode *key, const struct ynode *v,
    const ProtobufCMessageDescriptor *desc, ProtobufCMessage *msg)
{
	const ProtobufCFieldDescriptor	*fd;
	const struct refusal		*r;
	char				 q[96];

	fd = protobuf_c_message_descriptor_get_field_by_name(desc, key->str);
	if (fd == NULL) {
		if (ignored_unchecked(short_name(desc), key->str))
			return 0;
		if (dc->unknown != NULL && dc->depth == 1)
			return note_unknown(dc, key);
		if ((r = find_refusal(desc, key->str)) != NULL) {
			/* serviceAccountName: "" or imagePullSecrets: [] */
			if (refers_to_nothing(v))
				return 0;
			return err(dc, key, "%s", r->why);
		}
		return err(dc, key, "unknown field \"%s\" (unknown fields are "
		    "refused, not ignored)", diag_quote(key->str, q,
		    sizeof(q)));
	}
	if (v->kind == YN_SCALAR && v->type == YT_NULL)
		return 0;	/* null means unset, as in the API */
	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return dec_repeated(dc, v, fd, msg);
	if (dec_value(dc, v, fd, (char *)msg + fd->offset) == -1)
		return -1;
	if (fd->quantifier_offset != 0 && fd->type != PROTOBUF_C_TYPE_STRING &&
	    fd->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)((char *)msg + fd->quantifier_offset) = 1;
	return 0;
}

static int
dec_message(struct decoder *dc, const struct ynode *n,
    const ProtobufCMessageDescriptor *desc, ProtobufCMessage *msg)
{
	const struct ynode	*key;
	size_t			 i, old;
	int			 ret = 0;

	if (n->kind != YN_MAP)
		return err(dc, n, "must be a mapping (%s), not %s",
		    short_name(desc), type_name(n));
	dc->depth++;
	for (i = 0; i < n->n; i++) {
		key = n->items[2 * i];
		/* escaped, so a hostile key cannot break the error line */
		old = path_push_key(dc, dc->plen == 0 ? "" : ".", key, "");
		if (dec_field(dc, key, n->items[2 * i + 1], desc, msg) == -1)
			ret = -1;
		path_pop(dc, old);
		if (diag_count(dc->d) >= DIAGS_MAX)
			break;
	}
	dc->depth--;
	return ret;
}

int
decode_message(struct arena *a, const struct ynode *root,
    const ProtobufCMessageDescriptor *desc, const char *path,
    ProtobufCMessage *msg, struct diags *d, struct decode_unknown *unknown)
{
	struct decoder dc;

	memset(&dc, 0, sizeof(dc));
	dc.a = a;
	dc.d = d;
	dc.unknown = unknown;
	path_push(&dc, "%s", path);
	protobuf_c_message_init(desc, msg);
	return dec_message(&dc, root, desc, msg);
}
