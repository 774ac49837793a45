/*
 * The invariants of a canonical Pod: the kubelet's validation of a static
 * pod (pkg/apis/core/validation), plus the agent's own rules. The parser
 * calls it to explain errors to the operator; the runtime calls it again
 * on every pod it receives and treats any error as a protocol violation.
 * Errors name the field in the kubelet's form, spec.containers[0].image.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "podcheck.h"
#include "sha256.h"

#define PATH_COMPONENT_MAX	4096
#define IMAGE_NAME_MAX		255
#define IMAGE_TAG_MAX		128
#define ENV_MAX			4096
#define PORTS_MAX		256
#define MOUNTS_MAX		256
#define PROBE_HEADERS_MAX	32
#define DNS_NAMESERVERS_MAX	3
#define DNS_SEARCHES_MAX	32
#define DNS_SEARCH_CHARS_MAX	2048
#define HOST_ALIASES_MAX	64
#define SYSCTLS_MAX		64
#define CAPS_MAX		64
#define ID_MAX			2147483647LL	/* uids and gids, as the API */
#define MODE_MAX		0777

struct check {
	struct diags	*d;
	char		 path[DIAG_PATH_MAX];
	size_t		 plen;
	const Spd__Pod	*pod;
};

static int
bad(struct check *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an error at path + field; always returns -1. */
static int
bad(struct check *c, const char *field, const char *fmt, ...)
{
	char	path[DIAG_PATH_MAX], msg[DIAG_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a path too long for the buffer is cut; the message still says what */
	if (snprintf(path, sizeof(path), "%s%s%s", c->path,
	    c->plen > 0 && field[0] != '\0' && field[0] != '[' ? "." : "",
	    field) < 0)
		path[0] = '\0';
	return diag_add(c->d, 0, 0, path, "%s", msg);
}

static size_t
push(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t
push(struct check *c, const char *fmt, ...)
{
	size_t	old = c->plen;
	va_list	ap;
	int	n;

	if (c->plen > 0 && fmt[0] != '[' && c->plen < sizeof(c->path) - 1)
		c->path[c->plen++] = '.';
	va_start(ap, fmt);
	n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(c->path) - c->plen)
		c->plen = sizeof(c->path) - 1;
	else
		c->plen += (size_t)n;
	return old;
}

static void
pop(struct check *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static const char *
q(const char *s, char *buf, size_t len)
{
	return diag_quote(s, buf, len);
}

static bool
one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static int
check_enum(struct check *c, const char *field, const char *v,
    const char *const *set, const char *accepted)
{
	char b[64];

	if (v == NULL || one_of(v, set))
		return 0;
	return bad(c, field, "\"%s\" is not one of %s", q(v, b, sizeof(b)),
	    accepted);
}

static int
require_enum(struct check *c, const char *field, const char *v,
    const char *const *set, const char *accepted)
{
	if (v == NULL)
		return bad(c, field, "required (%s)", accepted);
	return check_enum(c, field, v, set, accepted);
}

static bool
is_alnum_lower(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

int
is_dns1123_label(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > POD_LABEL_MAX)
		return 0;
	if (!is_alnum_lower(s[0]) || !is_alnum_lower(s[len - 1]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alnum_lower(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
is_dns1123_subdomain(const char *s)
{
	char	label[POD_NAME_MAX + 1];
	size_t	len = strlen(s);
	char	*p, *dot;

	if (len == 0 || len > POD_NAME_MAX)
		return 0;
	memcpy(label, s, len + 1);
	for (p = label;; p = dot + 1) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot = '\0';
		if (!is_dns1123_label(p))
			return 0;
		if (dot == NULL)
			return 1;
	}
}

/* A label value or the name part of a qualified name. */
static bool
is_label_value(const char *s, size_t max)
{
	size_t i, len = strlen(s);

	if (len > max)
		return false;
	if (len == 0)
		return true;
	if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static bool
is_qualified_name(const char *s)
{
	char		 prefix[POD_NAME_MAX + 1];
	const char	*slash = strchr(s, '/'), *name = s;
	size_t		 plen;

	if (slash != NULL) {
		plen = (size_t)(slash - s);
		if (plen == 0 || plen > POD_NAME_MAX)
			return false;
		memcpy(prefix, s, plen);
		prefix[plen] = '\0';
		if (!is_dns1123_subdomain(prefix))
			return false;
		name = slash + 1;
	}
	return name[0] != '\0' && is_label_value(name, POD_LABEL_MAX);
}

static bool
is_reserved_key(const char *key)
{
	return strncmp(key, "io.kubernetes.", 14) == 0 ||
	    strncmp(key, AGENT_LABEL_PREFIX, strlen(AGENT_LABEL_PREFIX)) == 0 ||
	    strncmp(key, "kubernetes.io/config.", 21) == 0;
}

static bool
is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/* An absolute path with no ".." component and no empty name. */
static int
check_abs_path(struct check *c, const char *field, const char *p)
{
	char		 b[96];
	const char	*s;

	if (p == NULL || p[0] == '\0')
		return bad(c, field, "required (an absolute path)");
	if (p[0] != '/')
		return bad(c, field, "\"%s\" is not an absolute path",
		    q(p, b, sizeof(b)));
	if (strlen(p) > PATH_COMPONENT_MAX)
		return bad(c, field, "longer than %d bytes", PATH_COMPONENT_MAX);
	for (s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if (s[-1] == '/' && (s[2] == '/' || s[2] == '\0'))
			return bad(c, field, "\"%s\" may not contain '..'",
			    q(p, b, sizeof(b)));
	return 0;
}

/* A relative path that stays beneath its base. */
static int
check_rel_path(struct check *c, const char *field, const char *p,
    bool required)
{
	char		 b[96];
	const char	*s;

	if (p == NULL || p[0] == '\0')
		return required ? bad(c, field, "required (a relative path)") :
		    0;
	if (p[0] == '/')
		return bad(c, field, "\"%s\" must be a relative path",
		    q(p, b, sizeof(b)));
	if (strlen(p) > PATH_COMPONENT_MAX)
		return bad(c, field, "longer than %d bytes", PATH_COMPONENT_MAX);
	for (s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return bad(c, field, "\"%s\" may not contain '..'",
			    q(p, b, sizeof(b)));
	return 0;
}

/*
 * Whether an absolute path names /proc or something in it, however it is
 * spelt: //proc, /./proc/self, /proc/ (".." is refused before this).
 */
static bool
under_proc(const char *p)
{
	for (;;) {
		while (*p == '/')
			p++;
		if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
			p++;
			continue;
		}
		return strncmp(p, "proc", 4) == 0 && (p[4] == '/' ||
		    p[4] == '\0');
	}
}

static int
check_map_keys(struct check *c, const char *field, Spd__StringEntry **e,
    size_t n, bool labels)
{
	char	 b[96], b2[96];
	size_t	 i, total = 0;
	int	 ret = 0;

	for (i = 0; i < n; i++) {
		if (e[i]->key == NULL || e[i]->value == NULL)
			return bad(c, field, "entry without key or value");
		if (i > 0 && strcmp(e[i - 1]->key, e[i]->key) >= 0)
			return bad(c, field, "keys not sorted and unique");
		if (!is_qualified_name(e[i]->key))
			ret = bad(c, field, "\"%s\" is not a valid key (an "
			    "optional DNS subdomain prefix and '/', then up to "
			    "63 letters, digits, '-', '_' or '.')",
			    q(e[i]->key, b, sizeof(b)));
		else if (is_reserved_key(e[i]->key))
			ret = bad(c, field, "\"%s\" uses a prefix the agent "
			    "sets itself (io.kubernetes., %s, "
			    "kubernetes.io/config.)", q(e[i]->key, b,
			    sizeof(b)), AGENT_LABEL_PREFIX);
		if (labels && !is_label_value(e[i]->value, POD_LABEL_MAX))
			ret = bad(c, field, "value \"%s\" of \"%s\" is not a "
			    "valid label value (up to 63 letters, digits, "
			    "'-', '_' or '.')", q(e[i]->value, b, sizeof(b)),
			    q(e[i]->key, b2, sizeof(b2)));
		total += strlen(e[i]->key) + strlen(e[i]->value);
	}
	if (!labels && total > POD_ANNOTATIONS_MAX)
		ret = bad(c, field, "%zu bytes in total, over the limit of %d",
		    total, POD_ANNOTATIONS_MAX);
	return ret;
}

static int
check_metadata(struct check *c, const Spd__ObjectMeta *m)
{
	char	b[96];
	int	ret = 0;

	if (m == NULL)
		return bad(c, "metadata", "required");
	if (m->name == NULL || m->name[0] == '\0')
		ret = bad(c, "metadata.name", "required");
	else if (!is_dns1123_subdomain(m->name))
		ret = bad(c, "metadata.name", "\"%s\" is not a DNS-1123 "
		    "subdomain (lower case letters, digits, '-' and '.', at "
		    "most %d, and at most %d between dots)", q(m->name, b,
		    sizeof(b)), POD_NAME_MAX, POD_LABEL_MAX);
	if (m->namespace_ == NULL)
		ret = bad(c, "metadata.namespace", "required");
	else if (!is_dns1123_label(m->namespace_))
		ret = bad(c, "metadata.namespace", "\"%s\" is not a DNS-1123 "
		    "label (lower case letters, digits and '-', at most 63)",
		    q(m->namespace_, b, sizeof(b)));
	if (check_map_keys(c, "metadata.labels", m->labels, m->n_labels,
	    true) == -1)
		ret = -1;
	if (check_map_keys(c, "metadata.annotations", m->annotations,
	    m->n_annotations, false) == -1)
		ret = -1;
	return ret;
}

/* [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*, as the reference grammar. */
static bool
is_name_component(const char *s, size_t len)
{
	size_t i = 0, run;

	for (;;) {
		for (run = 0; i < len && is_alnum_lower(s[i]); i++)
			run++;
		if (run == 0)
			return false;
		if (i == len)
			return true;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += i + 1 < len && s[i + 1] == '_' ? 2 : 1;
		else if (s[i] == '-')
			while (i < len && s[i] == '-')
				i++;
		else
			return false;
	}
}

static bool
is_host_label(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool
has_upper(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

/* host[:port], host a DNS name or a bracketed IPv6 address. */
static bool
is_domain(const char *s, size_t len)
{
	const char	*end = s + len, *hostend, *p, *dot;
	unsigned char	 addr[16];
	char		 v6[INET6_ADDRSTRLEN];

	if (len > 0 && s[0] == '[') {
		if ((hostend = memchr(s, ']', len)) == NULL ||
		    (size_t)(hostend - s - 1) >= sizeof(v6))
			return false;
		memcpy(v6, s + 1, (size_t)(hostend - s - 1));
		v6[hostend - s - 1] = '\0';
		if (inet_pton(AF_INET6, v6, addr) != 1)
			return false;
		p = hostend + 1;
	} else {
		hostend = memchr(s, ':', len);
		if (hostend == NULL)
			hostend = end;
		for (p = s;; p = dot + 1) {
			dot = memchr(p, '.', (size_t)(hostend - p));
			if (!is_host_label(p, (size_t)((dot != NULL ? dot :
			    hostend) - p)))
				return false;
			if (dot == NULL)
				break;
		}
		p = hostend;
	}
	if (p == end)
		return true;
	if (*p != ':' || ++p == end)
		return false;
	for (; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* The distribution reference grammar: [domain/]path[:tag][@algo:hex]. */
int
image_ref_valid(const char *ref)
{
	const char	*at, *colon, *slash, *p, *end;
	size_t		 len, i;

	at = strchr(ref, '@');
	end = at != NULL ? at : ref + strlen(ref);
	if (at != NULL) {
		if (strncmp(at + 1, "sha256:", 7) != 0 || strlen(at + 8) != 64)
			return 0;
		for (p = at + 8; *p != '\0'; p++)
			if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
				return 0;
	}
	slash = memrchr(ref, '/', (size_t)(end - ref));
	colon = memrchr(ref, ':', (size_t)(end - ref));
	if (colon != NULL && (slash == NULL || colon > slash)) {
		len = (size_t)(end - colon - 1);
		if (len == 0 || len > IMAGE_TAG_MAX ||
		    !(isalnum((unsigned char)colon[1]) || colon[1] == '_'))
			return 0;
		for (i = 1; i <= len; i++)
			if (!isalnum((unsigned char)colon[i]) &&
			    colon[i] != '_' && colon[i] != '.' &&
			    colon[i] != '-')
				return 0;
		end = colon;
	}
	if ((size_t)(end - ref) > IMAGE_NAME_MAX || end == ref)
		return 0;
	p = ref;
	slash = memchr(p, '/', (size_t)(end - p));
	/* the first component is a registry when docker would take it so */
	if (slash != NULL && (memchr(p, '.', (size_t)(slash - p)) != NULL ||
	    memchr(p, ':', (size_t)(slash - p)) != NULL ||
	    (slash - p == 9 && memcmp(p, "localhost", 9) == 0) ||
	    has_upper(p, (size_t)(slash - p)))) {
		if (!is_domain(p, (size_t)(slash - p)))
			return 0;
		p = slash + 1;
	}
	for (;;) {
		slash = memchr(p, '/', (size_t)(end - p));
		len = slash != NULL ? (size_t)(slash - p) : (size_t)(end - p);
		if (!is_name_component(p, len))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}

static const char *const pull_policies[] = { "Always", "IfNotPresent",
    "Never", NULL };
#define PULL_POLICIES "Always, IfNotPresent, Never"

static bool
is_standard_resource(const char *k)
{
	static const char *const std[] = { "cpu", "memory",
	    "ephemeral-storage", NULL };

	return one_of(k, std) || (strncmp(k, "hugepages-", 10) == 0 &&
	    k[10] != '\0');
}

static const Spd__Quantity *
find_qty(Spd__QuantityEntry **e, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(e[i]->key, key) == 0)
			return e[i]->value;
	return NULL;
}

static int
check_resource_list(struct check *c, const char *field,
    Spd__QuantityEntry **e, size_t n)
{
	char	 b[96];
	size_t	 i, old;
	int	 ret = 0;

	old = push(c, "%s", field);
	for (i = 0; i < n; i++) {
		if (e[i]->key == NULL || e[i]->value == NULL ||
		    !e[i]->value->has_milli) {
			ret = bad(c, "", "entry without name or quantity");
			break;
		}
		if (i > 0 && strcmp(e[i - 1]->key, e[i]->key) >= 0) {
			ret = bad(c, "", "names not sorted and unique");
			break;
		}
		if (!is_standard_resource(e[i]->key) &&
		    (strchr(e[i]->key, '/') == NULL ||
		    !is_qualified_name(e[i]->key)))
			ret = bad(c, "", "\"%s\" is not a resource name (cpu, "
			    "memory, ephemeral-storage, hugepages-<size>, or a "
			    "name with a domain prefix)",
			    q(e[i]->key, b, sizeof(b)));
		else if (e[i]->value->milli < 0)
			ret = bad(c, "", "\"%s\" must not be negative",
			    q(e[i]->key, b, sizeof(b)));
		else if (!is_standard_resource(e[i]->key) &&
		    e[i]->value->milli % 1000 != 0)
			ret = bad(c, "", "\"%s\" must be a whole number",
			    q(e[i]->key, b, sizeof(b)));
	}
	pop(c, old);
	return ret;
}

static int
check_resources(struct check *c, const Spd__ResourceRequirements *r)
{
	const Spd__Quantity	*lim;
	char			 b[96];
	size_t			 i, old;
	int			 ret = 0;

	if (r == NULL)
		return 0;
	old = push(c, "resources");
	if (check_resource_list(c, "limits", r->limits, r->n_limits) == -1 ||
	    check_resource_list(c, "requests", r->requests,
	    r->n_requests) == -1) {
		pop(c, old);
		return -1;
	}
	for (i = 0; i < r->n_requests; i++) {
		lim = find_qty(r->limits, r->n_limits, r->requests[i]->key);
		if (lim != NULL && r->requests[i]->value->milli > lim->milli)
			ret = bad(c, "requests", "\"%s\" must be less than or "
			    "equal to its limit", q(r->requests[i]->key, b,
			    sizeof(b)));
		else if (lim == NULL &&
		    !is_standard_resource(r->requests[i]->key))
			ret = bad(c, "requests", "\"%s\" needs a limit equal to "
			    "the request", q(r->requests[i]->key, b, sizeof(b)));
		else if (lim != NULL &&
		    !is_standard_resource(r->requests[i]->key) &&
		    lim->milli != r->requests[i]->value->milli)
			ret = bad(c, "requests", "\"%s\" must equal its limit",
			    q(r->requests[i]->key, b, sizeof(b)));
	}
	pop(c, old);
	return ret;
}

static bool
is_port_name(const char *s)
{
	size_t	i, len = strlen(s);
	bool	letter = false;

	if (len == 0 || len > 15 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (s[i] == '-' && s[i + 1] == '-')
			return false;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

static const Spd__ContainerPort *
find_port(const Spd__Container *ct, const char *name)
{
	size_t i;

	for (i = 0; i < ct->n_ports; i++)
		if (ct->ports[i]->name != NULL &&
		    strcmp(ct->ports[i]->name, name) == 0)
			return ct->ports[i];
	return NULL;
}

static int
check_port_ref(struct check *c, const char *field,
    const Spd__IntOrString *p, const Spd__Container *ct)
{
	char b[64];

	if (p == NULL)
		return bad(c, field, "required");
	if (p->has_intval && p->strval == NULL) {
		if (p->intval < 1 || p->intval > 65535)
			return bad(c, field, "%d is not a port (1-65535)",
			    p->intval);
		return 0;
	}
	if (p->has_intval || p->strval == NULL)
		return bad(c, field, "must be a number or a name, not both");
	if (!is_port_name(p->strval))
		return bad(c, field, "\"%s\" is not a port name (up to 15 lower "
		    "case letters, digits and '-')", q(p->strval, b, sizeof(b)));
	if (find_port(ct, p->strval) == NULL)
		return bad(c, field, "\"%s\" names no port of this container",
		    q(p->strval, b, sizeof(b)));
	return 0;
}

/* A port number; 0 is the same as none, which only an optional one may be. */
static int
check_port(struct check *c, const char *field, bool has, int32_t port,
    bool optional)
{
	if (!has || port == 0)
		return optional ? 0 : bad(c, field, "required (a port, "
		    "1-65535)");
	if (port < 1 || port > 65535)
		return bad(c, field, "%d is not a port (1-65535)", port);
	return 0;
}

static bool
is_http_token(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~",
		    *s) == NULL)
			return false;
	return true;
}

static int
check_http_get(struct check *c, const Spd__HTTPGetAction *h,
    const Spd__Container *ct)
{
	static const char *const schemes[] = { "HTTP", "HTTPS", NULL };
	char	 b[64];
	size_t	 i;
	int	 ret = 0;

	if (check_port_ref(c, "port", h->port, ct) == -1)
		ret = -1;
	if (require_enum(c, "scheme", h->scheme, schemes, "HTTP, HTTPS") == -1)
		ret = -1;
	if (h->path == NULL || h->path[0] != '/')
		ret = bad(c, "path", "\"%s\" must start with '/'",
		    h->path != NULL ? q(h->path, b, sizeof(b)) : "");
	if (h->host != NULL && h->host[0] != '\0' && !is_ip(h->host) &&
	    !is_dns1123_subdomain(h->host))
		ret = bad(c, "host", "\"%s\" is not an address or host name",
		    q(h->host, b, sizeof(b)));
	if (h->n_httpheaders > PROBE_HEADERS_MAX)
		return bad(c, "httpHeaders", "more than %d", PROBE_HEADERS_MAX);
	for (i = 0; i < h->n_httpheaders; i++) {
		const Spd__HTTPHeader *hd = h->httpheaders[i];

		if (hd->name == NULL || hd->name[0] == '\0')
			ret = bad(c, "httpHeaders", "entry %zu needs a name", i);
		else if (!is_http_token(hd->name))
			ret = bad(c, "httpHeaders", "\"%s\" is not a header name "
			    "(letters, digits and !#$%%&'*+-.^_`|~)", q(hd->name,
			    b, sizeof(b)));
		else if (hd->value == NULL || strpbrk(hd->value, "\r\n") !=
		    NULL)
			ret = bad(c, "httpHeaders", "the value of \"%s\" must "
			    "be one line", q(hd->name, b, sizeof(b)));
	}
	return ret;
}

/* Exactly one action: exec, httpGet, tcpSocket, grpc or sleep. */
static int
check_handler(struct check *c, const Spd__ExecAction *ex,
    const Spd__HTTPGetAction *hg, const Spd__TCPSocketAction *ts,
    const Spd__GRPCAction *grpc, const Spd__SleepAction *sl,
    const Spd__Container *ct, bool probe)
{
	size_t	old;
	int	n = (ex != NULL) + (hg != NULL) + (ts != NULL) + (grpc != NULL) +
		    (sl != NULL), ret = 0;

	if (n != 1)
		return bad(c, "", "must specify exactly one handler, not %d "
		    "(exec, httpGet, tcpSocket or %s)", n, probe ? "grpc" :
		    "sleep");
	if (ex != NULL && ex->n_command == 0)
		ret = bad(c, "exec.command", "required");
	if (hg != NULL) {
		old = push(c, "httpGet");
		ret |= check_http_get(c, hg, ct);
		pop(c, old);
	}
	if (ts != NULL) {
		old = push(c, "tcpSocket");
		ret |= check_port_ref(c, "port", ts->port, ct);
		pop(c, old);
	}
	if (grpc != NULL)
		ret |= check_port(c, "grpc.port", grpc->has_port, grpc->port,
		    false);
	/* seconds: 0 is the same as leaving it out */
	if (sl != NULL && sl->has_seconds && sl->seconds < 0)
		ret = bad(c, "sleep.seconds", "%lld is negative (zero or more "
		    "seconds)", (long long)sl->seconds);
	return ret;
}

/* A number the parser always sets (a default), at least min. */
static int
at_least(struct check *c, const char *field, bool has, int64_t v, int64_t min)
{
	if (!has)
		return bad(c, field, "required (%lld or more)", (long long)min);
	if (v < min && min == 0)
		return bad(c, field, "%lld is negative", (long long)v);
	if (v < min)
		return bad(c, field, "%lld is less than %lld", (long long)v,
		    (long long)min);
	return 0;
}

static int
check_probe(struct check *c, const char *field, const Spd__Probe *p,
    const Spd__Container *ct, bool success_one)
{
	size_t	old;
	int	ret;

	if (p == NULL)
		return 0;
	old = push(c, "%s", field);
	ret = check_handler(c, p->exec, p->httpget, p->tcpsocket, p->grpc,
	    NULL, ct, true);
	ret |= at_least(c, "initialDelaySeconds", p->has_initialdelayseconds,
	    p->initialdelayseconds, 0);
	ret |= at_least(c, "timeoutSeconds", p->has_timeoutseconds,
	    p->timeoutseconds, 1);
	ret |= at_least(c, "periodSeconds", p->has_periodseconds,
	    p->periodseconds, 1);
	if (at_least(c, "successThreshold", p->has_successthreshold,
	    p->successthreshold, 1) == -1)
		ret = -1;
	else if (success_one && p->successthreshold != 1)
		ret = bad(c, "successThreshold", "%d is not accepted: a liveness "
		    "or startup probe needs 1", p->successthreshold);
	ret |= at_least(c, "failureThreshold", p->has_failurethreshold,
	    p->failurethreshold, 1);
	if (p->has_terminationgraceperiodseconds)
		ret |= at_least(c, "terminationGracePeriodSeconds", 1,
		    p->terminationgraceperiodseconds, 1);
	pop(c, old);
	return ret;
}

static int
check_lifecycle(struct check *c, const Spd__Lifecycle *l,
    const Spd__Container *ct)
{
	const Spd__LifecycleHandler	*h;
	size_t				 old, i;
	int				 ret = 0;

	if (l == NULL)
		return 0;
	for (i = 0; i < 2; i++) {
		h = i == 0 ? l->poststart : l->prestop;
		if (h == NULL)
			continue;
		old = push(c, "lifecycle.%s", i == 0 ? "postStart" : "preStop");
		ret |= check_handler(c, h->exec, h->httpget, h->tcpsocket, NULL,
		    h->sleep, ct, false);
		pop(c, old);
	}
	return ret;
}

static int
check_profile(struct check *c, const char *field, const char *type,
    const char *localhost)
{
	static const char *const types[] = { "RuntimeDefault", "Unconfined",
	    "Localhost", NULL };
	size_t	old = push(c, "%s", field);
	int	ret;

	ret = require_enum(c, "type", type, types,
	    "RuntimeDefault, Unconfined, Localhost");
	if (ret == 0 && strcmp(type, "Localhost") == 0)
		ret = check_rel_path(c, "localhostProfile", localhost, true);
	else if (ret == 0 && localhost != NULL)
		ret = bad(c, "localhostProfile", "only with type Localhost");
	pop(c, old);
	return ret;
}

static int
check_id(struct check *c, const char *field, bool has, int64_t v)
{
	if (has && (v < 0 || v > ID_MAX))
		return bad(c, field, "%lld is not between 0 and %lld",
		    (long long)v, ID_MAX);
	return 0;
}

static bool
is_capability(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 40)
		return false;
	for (; *s != '\0'; s++)
		if (!isupper((unsigned char)*s) && *s != '_' &&
		    !isdigit((unsigned char)*s))
			return false;
	return true;
}

static int
check_caps(struct check *c, const char *field, char **caps, size_t n)
{
	char	b[64];
	size_t	i;

	if (n > CAPS_MAX)
		return bad(c, field, "more than %d", CAPS_MAX);
	for (i = 0; i < n; i++)
		if (!is_capability(caps[i]))
			return bad(c, field, "\"%s\" is not a capability name "
			    "(such as NET_ADMIN, or ALL)", q(caps[i], b,
			    sizeof(b)));
	return 0;
}

static int
check_container_security(struct check *c, const Spd__SecurityContext *s)
{
	static const char *const proc_mounts[] = { "Default", "Unmasked",
	    NULL };
	size_t	old;
	int	ret = 0;

	if (s == NULL)
		return 0;
	old = push(c, "securityContext");
	if (s->capabilities != NULL) {
		ret |= check_caps(c, "capabilities.add", s->capabilities->add,
		    s->capabilities->n_add);
		ret |= check_caps(c, "capabilities.drop", s->capabilities->drop,
		    s->capabilities->n_drop);
	}
	ret |= check_id(c, "runAsUser", s->has_runasuser, s->runasuser);
	ret |= check_id(c, "runAsGroup", s->has_runasgroup, s->runasgroup);
	ret |= check_enum(c, "procMount", s->procmount, proc_mounts,
	    "Default, Unmasked");
	if (s->has_privileged && s->privileged &&
	    s->has_allowprivilegeescalation && !s->allowprivilegeescalation)
		ret = bad(c, "allowPrivilegeEscalation", "cannot be false for "
		    "a privileged container");
	if (s->seccompprofile != NULL)
		ret |= check_profile(c, "seccompProfile",
		    s->seccompprofile->type, s->seccompprofile->localhostprofile);
	if (s->apparmorprofile != NULL)
		ret |= check_profile(c, "appArmorProfile",
		    s->apparmorprofile->type,
		    s->apparmorprofile->localhostprofile);
	pop(c, old);
	return ret;
}

static const Spd__Volume *
find_volume(const Spd__PodSpec *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_volumes; i++)
		if (s->volumes[i]->name != NULL &&
		    strcmp(s->volumes[i]->name, name) == 0)
			return s->volumes[i];
	return NULL;
}

static int
check_mounts(struct check *c, const Spd__Container *ct, const Spd__PodSpec *s)
{
	static const char *const props[] = { "None", "HostToContainer",
	    "Bidirectional", NULL };
	const Spd__VolumeMount	*m;
	char			 b[96];
	size_t			 i, j, old;
	int			 ret = 0;

	if (ct->n_volumemounts > MOUNTS_MAX)
		return bad(c, "volumeMounts", "more than %d", MOUNTS_MAX);
	for (i = 0; i < ct->n_volumemounts; i++) {
		m = ct->volumemounts[i];
		old = push(c, "volumeMounts[%zu]", i);
		if (m->name == NULL)
			ret = bad(c, "name", "required");
		else if (find_volume(s, m->name) == NULL)
			ret = bad(c, "name", "\"%s\" names no volume in "
			    "spec.volumes", q(m->name, b, sizeof(b)));
		ret |= check_abs_path(c, "mountPath", m->mountpath);
		for (j = 0; j < i && m->mountpath != NULL; j++)
			if (ct->volumemounts[j]->mountpath != NULL &&
			    strcmp(ct->volumemounts[j]->mountpath,
			    m->mountpath) == 0)
				ret = bad(c, "mountPath", "\"%s\" is mounted "
				    "twice", q(m->mountpath, b, sizeof(b)));
		ret |= check_rel_path(c, "subPath", m->subpath, false);
		ret |= check_enum(c, "mountPropagation", m->mountpropagation,
		    props, "None, HostToContainer, Bidirectional");
		if (m->mountpropagation != NULL &&
		    strcmp(m->mountpropagation, "Bidirectional") == 0 &&
		    (ct->securitycontext == NULL ||
		    !ct->securitycontext->privileged))
			ret = bad(c, "mountPropagation", "\"Bidirectional\" needs "
			    "a privileged container");
		pop(c, old);
	}
	return ret;
}

static int
check_ports(struct check *c, const Spd__Container *ct, const Spd__PodSpec *s)
{
	static const char *const protos[] = { "TCP", "UDP", "SCTP", NULL };
	const Spd__ContainerPort	*p;
	char				 b[64];
	size_t				 i, j, old;
	int				 ret = 0;

	if (ct->n_ports > PORTS_MAX)
		return bad(c, "ports", "more than %d", PORTS_MAX);
	for (i = 0; i < ct->n_ports; i++) {
		p = ct->ports[i];
		old = push(c, "ports[%zu]", i);
		ret |= check_port(c, "containerPort", p->has_containerport,
		    p->containerport, false);
		if (check_port(c, "hostPort", p->has_hostport, p->hostport,
		    true) == -1)
			ret = -1;
		else if (s->hostnetwork && p->has_hostport &&
		    p->hostport != p->containerport)
			ret = bad(c, "hostPort", "%d must equal containerPort "
			    "(%d) with hostNetwork", p->hostport,
			    p->containerport);
		ret |= require_enum(c, "protocol", p->protocol, protos,
		    "TCP, UDP, SCTP");
		if (p->hostip != NULL && !is_ip(p->hostip))
			ret = bad(c, "hostIP", "\"%s\" is not an IP address",
			    q(p->hostip, b, sizeof(b)));
		if (p->name != NULL && !is_port_name(p->name))
			ret = bad(c, "name", "\"%s\" is not a port name (up to "
			    "15 lower case letters, digits and '-')",
			    q(p->name, b, sizeof(b)));
		for (j = 0; j < i && p->name != NULL; j++)
			if (ct->ports[j]->name != NULL &&
			    strcmp(ct->ports[j]->name, p->name) == 0)
				ret = bad(c, "name", "\"%s\" is used twice",
				    q(p->name, b, sizeof(b)));
		pop(c, old);
	}
	return ret;
}

static bool
is_field_path(const char *p, bool env)
{
	static const char *const plain[] = { "metadata.name",
	    "metadata.namespace", "metadata.uid", NULL };
	static const char *const env_only[] = { "spec.nodeName",
	    "spec.serviceAccountName", "status.hostIP", "status.hostIPs",
	    "status.podIP", "status.podIPs", NULL };
	const char	*key;
	size_t		 len;

	if (one_of(p, plain) || (env && one_of(p, env_only)))
		return true;
	if (!env && (strcmp(p, "metadata.labels") == 0 ||
	    strcmp(p, "metadata.annotations") == 0))
		return true;
	if (strncmp(p, "metadata.labels['", 17) == 0)
		key = p + 17;
	else if (strncmp(p, "metadata.annotations['", 22) == 0)
		key = p + 22;
	else
		return false;
	len = strlen(key);
	return len > 2 && strcmp(key + len - 2, "']") == 0;
}

static int
check_field_ref(struct check *c, const char *field,
    const Spd__ObjectFieldSelector *f, bool env)
{
	char	b[96];
	size_t	old = push(c, "%s", field);
	int	ret = 0;

	if (f->apiversion == NULL || strcmp(f->apiversion, "v1") != 0)
		ret = bad(c, "apiVersion", "must be \"v1\"");
	if (f->fieldpath == NULL)
		ret = bad(c, "fieldPath", "required");
	else if (!is_field_path(f->fieldpath, env))
		ret = bad(c, "fieldPath", "\"%s\" is not a supported field",
		    q(f->fieldpath, b, sizeof(b)));
	pop(c, old);
	return ret;
}

static bool
has_container(const Spd__PodSpec *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_containers; i++)
		if (s->containers[i]->name != NULL &&
		    strcmp(s->containers[i]->name, name) == 0)
			return true;
	for (i = 0; i < s->n_initcontainers; i++)
		if (s->initcontainers[i]->name != NULL &&
		    strcmp(s->initcontainers[i]->name, name) == 0)
			return true;
	return false;
}

static int
check_resource_ref(struct check *c, const char *field,
    const Spd__ResourceFieldSelector *r, const Spd__PodSpec *s,
    bool need_container)
{
	static const char *const res[] = { "limits.cpu", "limits.memory",
	    "limits.ephemeral-storage", "requests.cpu", "requests.memory",
	    "requests.ephemeral-storage", NULL };
	char	b[96];
	size_t	old = push(c, "%s", field);
	int	ret = 0;

	if (require_enum(c, "resource", r->resource, res,
	    "limits.cpu, limits.memory, limits.ephemeral-storage, "
	    "requests.cpu, requests.memory, requests.ephemeral-storage") == -1)
		ret = -1;
	if (r->containername == NULL) {
		if (need_container)
			ret = bad(c, "containerName", "required");
	} else if (!has_container(s, r->containername))
		ret = bad(c, "containerName", "\"%s\" names no container",
		    q(r->containername, b, sizeof(b)));
	if (r->divisor != NULL && (!r->divisor->has_milli ||
	    r->divisor->milli <= 0))
		ret = bad(c, "divisor", "must be more than zero");
	pop(c, old);
	return ret;
}

static int
check_env(struct check *c, const Spd__Container *ct, const Spd__PodSpec *s)
{
	const Spd__EnvVar	*e;
	const Spd__EnvVarSource	*src;
	char			 b[96];
	size_t			 i, old;
	int			 ret = 0;

	if (ct->n_env > ENV_MAX)
		return bad(c, "env", "more than %d", ENV_MAX);
	for (i = 0; i < ct->n_env; i++) {
		e = ct->env[i];
		src = e->valuefrom;
		old = push(c, "env[%zu]", i);
		if (e->name == NULL || e->name[0] == '\0')
			ret = bad(c, "name", "required");
		else if (strchr(e->name, '=') != NULL)
			ret = bad(c, "name", "\"%s\" may not contain '='",
			    q(e->name, b, sizeof(b)));
		if (src != NULL && e->value != NULL && e->value[0] != '\0')
			ret = bad(c, "valueFrom", "may not be set with value");
		if (src != NULL && (src->fieldref != NULL) +
		    (src->resourcefieldref != NULL) != 1)
			ret = bad(c, "valueFrom", "must specify exactly one of "
			    "fieldRef or resourceFieldRef");
		else if (src != NULL && src->fieldref != NULL)
			ret |= check_field_ref(c, "valueFrom.fieldRef",
			    src->fieldref, true);
		else if (src != NULL)
			ret |= check_resource_ref(c,
			    "valueFrom.resourceFieldRef", src->resourcefieldref,
			    s, false);
		pop(c, old);
	}
	if (ct->n_envfrom > 0)
		ret = bad(c, "envFrom", "a static pod has no ConfigMap or "
		    "Secret to take variables from");
	return ret;
}

static int
check_container(struct check *c, const Spd__Container *ct,
    const Spd__PodSpec *s, bool init)
{
	static const char *const msg_policies[] = { "File",
	    "FallbackToLogsOnError", NULL };
	static const char *const resize_res[] = { "cpu", "memory", NULL };
	static const char *const resize_pol[] = { "NotRequired",
	    "RestartContainer", NULL };
	bool	sidecar = init && ct->restartpolicy != NULL &&
		    strcmp(ct->restartpolicy, "Always") == 0;
	char	b[96];
	size_t	i, old;
	int	ret = 0;

	if (ct->name == NULL)
		ret = bad(c, "name", "required");
	else if (!is_dns1123_label(ct->name))
		ret = bad(c, "name", "\"%s\" is not a DNS-1123 label (lower "
		    "case letters, digits and '-', at most 63)",
		    q(ct->name, b, sizeof(b)));
	if (ct->image == NULL || ct->image[0] == '\0')
		ret = bad(c, "image", "required");
	else if (!image_ref_valid(ct->image))
		ret = bad(c, "image", "\"%s\" is not a valid image reference "
		    "([registry/]name[:tag][@sha256:digest], name in lower "
		    "case)", q(ct->image, b, sizeof(b)));
	if (ct->workingdir != NULL) {
		if (check_abs_path(c, "workingDir", ct->workingdir) == -1)
			ret = -1;
		else if (under_proc(ct->workingdir))
			ret = bad(c, "workingDir", "\"%s\" is under /proc (a "
			    "working directory there can reach the runtime's "
			    "open files)", q(ct->workingdir, b, sizeof(b)));
	}
	ret |= check_ports(c, ct, s);
	ret |= check_env(c, ct, s);
	ret |= check_resources(c, ct->resources);
	ret |= check_mounts(c, ct, s);
	if (init && !sidecar && (ct->livenessprobe != NULL ||
	    ct->readinessprobe != NULL || ct->startupprobe != NULL ||
	    ct->lifecycle != NULL))
		ret = bad(c, "", "an init container may not have probes or "
		    "lifecycle hooks unless its restartPolicy is Always");
	ret |= check_probe(c, "livenessProbe", ct->livenessprobe, ct, true);
	ret |= check_probe(c, "readinessProbe", ct->readinessprobe, ct, false);
	ret |= check_probe(c, "startupProbe", ct->startupprobe, ct, true);
	ret |= check_lifecycle(c, ct->lifecycle, ct);
	ret |= check_abs_path(c, "terminationMessagePath",
	    ct->terminationmessagepath);
	ret |= require_enum(c, "terminationMessagePolicy",
	    ct->terminationmessagepolicy, msg_policies,
	    "File, FallbackToLogsOnError");
	ret |= require_enum(c, "imagePullPolicy", ct->imagepullpolicy,
	    pull_policies, PULL_POLICIES);
	ret |= check_container_security(c, ct->securitycontext);
	if (ct->restartpolicy != NULL && (!init || !sidecar))
		ret = bad(c, "restartPolicy", init ? "\"%s\" is not accepted: "
		    "an init container may set only Always (a sidecar)" :
		    "\"%s\" is not accepted: only init containers may set it "
		    "(to Always, for a sidecar)", q(ct->restartpolicy, b,
		    sizeof(b)));
	if (ct->has_stdinonce && ct->stdinonce && !ct->stdin)
		ret = bad(c, "stdinOnce", "needs stdin");
	for (i = 0; i < ct->n_resizepolicy; i++) {
		old = push(c, "resizePolicy[%zu]", i);
		ret |= require_enum(c, "resourceName",
		    ct->resizepolicy[i]->resourcename, resize_res,
		    "cpu, memory");
		ret |= require_enum(c, "restartPolicy",
		    ct->resizepolicy[i]->restartpolicy, resize_pol,
		    "NotRequired, RestartContainer");
		pop(c, old);
	}
	return ret;
}

static int
check_volume(struct check *c, const Spd__Volume *v, const Spd__PodSpec *s)
{
	static const char *const hp_types[] = { "", "DirectoryOrCreate",
	    "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
	    "BlockDevice", NULL };
	static const char *const media[] = { "", "Memory", NULL };
	const Spd__DownwardAPIVolumeSource	*dw = v->downwardapi;
	const Spd__DownwardAPIVolumeFile	*f;
	char					 b[96];
	size_t					 i, old;
	int					 ret = 0, n;

	if (v->name == NULL)
		ret = bad(c, "name", "required");
	else if (!is_dns1123_label(v->name))
		ret = bad(c, "name", "\"%s\" is not a DNS-1123 label (lower "
		    "case letters, digits and '-', at most 63)",
		    q(v->name, b, sizeof(b)));
	n = (v->hostpath != NULL) + (v->emptydir != NULL) + (dw != NULL) +
	    (v->image != NULL);
	if (n != 1)
		return bad(c, "", "must specify exactly one volume type "
		    "(hostPath, emptyDir, downwardAPI, image)");
	if (v->hostpath != NULL) {
		ret |= check_abs_path(c, "hostPath.path", v->hostpath->path);
		ret |= require_enum(c, "hostPath.type", v->hostpath->type,
		    hp_types, "\"\", DirectoryOrCreate, Directory, "
		    "FileOrCreate, File, Socket, CharDevice, BlockDevice");
	}
	if (v->emptydir != NULL) {
		ret |= check_enum(c, "emptyDir.medium", v->emptydir->medium,
		    media, "\"\", Memory");
		if (v->emptydir->sizelimit != NULL &&
		    v->emptydir->sizelimit->milli < 0)
			ret = bad(c, "emptyDir.sizeLimit", "must not be "
			    "negative");
	}
	if (v->image != NULL) {
		if (v->image->reference == NULL ||
		    !image_ref_valid(v->image->reference))
			ret = bad(c, "image.reference", "must be a valid image "
			    "reference");
		ret |= require_enum(c, "image.pullPolicy", v->image->pullpolicy,
		    pull_policies, PULL_POLICIES);
	}
	if (dw == NULL)
		return ret;
	if (!dw->has_defaultmode || dw->defaultmode < 0 ||
	    dw->defaultmode > MODE_MAX)
		ret = !dw->has_defaultmode ? bad(c, "downwardAPI.defaultMode",
		    "required") : bad(c, "downwardAPI.defaultMode", "%#o is not "
		    "a file mode (0 to 0777)", (unsigned)dw->defaultmode);
	for (i = 0; i < dw->n_items; i++) {
		f = dw->items[i];
		old = push(c, "downwardAPI.items[%zu]", i);
		ret |= check_rel_path(c, "path", f->path, true);
		if (f->has_mode && (f->mode < 0 || f->mode > MODE_MAX))
			ret = bad(c, "mode", "%#o is not a file mode (0 to "
			    "0777)", (unsigned)f->mode);
		if ((f->fieldref != NULL) + (f->resourcefieldref != NULL) != 1)
			ret = bad(c, "", "must specify exactly one of fieldRef "
			    "or resourceFieldRef");
		else if (f->fieldref != NULL)
			ret |= check_field_ref(c, "fieldRef", f->fieldref,
			    false);
		else
			ret |= check_resource_ref(c, "resourceFieldRef",
			    f->resourcefieldref, s, true);
		pop(c, old);
	}
	return ret;
}

static int
check_pod_security(struct check *c, const Spd__PodSecurityContext *s)
{
	static const char *const change[] = { "OnRootMismatch", "Always",
	    NULL };
	char	b[96];
	size_t	i, j, old;
	int	ret = 0;

	if (s == NULL)
		return 0;
	old = push(c, "securityContext");
	ret |= check_id(c, "runAsUser", s->has_runasuser, s->runasuser);
	ret |= check_id(c, "runAsGroup", s->has_runasgroup, s->runasgroup);
	ret |= check_id(c, "fsGroup", s->has_fsgroup, s->fsgroup);
	for (i = 0; i < s->n_supplementalgroups; i++)
		ret |= check_id(c, "supplementalGroups", 1,
		    s->supplementalgroups[i]);
	ret |= check_enum(c, "fsGroupChangePolicy", s->fsgroupchangepolicy,
	    change, "OnRootMismatch, Always");
	if (s->n_sysctls > SYSCTLS_MAX)
		ret = bad(c, "sysctls", "more than %d", SYSCTLS_MAX);
	for (i = 0; i < s->n_sysctls && i < SYSCTLS_MAX; i++) {
		const Spd__Sysctl *sc = s->sysctls[i];
		const char *p;

		if (sc->name == NULL || sc->name[0] == '\0' ||
		    sc->value == NULL) {
			ret = bad(c, "sysctls", "entry %zu needs a name and a "
			    "value", i);
			continue;
		}
		for (p = sc->name; *p != '\0'; p++)
			if (!is_alnum_lower(*p) && *p != '.' && *p != '_' &&
			    *p != '-' && *p != '/')
				break;
		if (*p != '\0' || strlen(sc->name) > POD_NAME_MAX)
			ret = bad(c, "sysctls", "\"%s\" is not a sysctl name "
			    "(lower case letters, digits, '.', '_', '-', '/')",
			    q(sc->name, b, sizeof(b)));
		for (j = 0; j < i; j++)
			if (s->sysctls[j]->name != NULL &&
			    strcmp(s->sysctls[j]->name, sc->name) == 0)
				ret = bad(c, "sysctls", "\"%s\" is set twice",
				    q(sc->name, b, sizeof(b)));
	}
	if (s->seccompprofile != NULL)
		ret |= check_profile(c, "seccompProfile",
		    s->seccompprofile->type, s->seccompprofile->localhostprofile);
	if (s->apparmorprofile != NULL)
		ret |= check_profile(c, "appArmorProfile",
		    s->apparmorprofile->type,
		    s->apparmorprofile->localhostprofile);
	pop(c, old);
	return ret;
}

static int
check_dns(struct check *c, const Spd__PodSpec *s)
{
	static const char *const policies[] = { "ClusterFirst",
	    "ClusterFirstWithHostNet", "Default", "None", NULL };
	const Spd__PodDNSConfig	*d = s->dnsconfig;
	char			 b[96];
	size_t			 i, total = 0;
	int			 ret;

	ret = require_enum(c, "dnsPolicy", s->dnspolicy, policies,
	    "ClusterFirst, ClusterFirstWithHostNet, Default, None");
	if (ret == 0 && strcmp(s->dnspolicy, "None") == 0 && (d == NULL ||
	    d->n_nameservers == 0))
		ret = bad(c, "dnsConfig.nameservers", "required with dnsPolicy "
		    "None");
	if (d == NULL)
		return ret;
	if (d->n_nameservers > DNS_NAMESERVERS_MAX)
		ret = bad(c, "dnsConfig.nameservers", "more than %d",
		    DNS_NAMESERVERS_MAX);
	for (i = 0; i < d->n_nameservers; i++)
		if (!is_ip(d->nameservers[i]))
			ret = bad(c, "dnsConfig.nameservers", "\"%s\" is not "
			    "an IP address", q(d->nameservers[i], b,
			    sizeof(b)));
	if (d->n_searches > DNS_SEARCHES_MAX)
		ret = bad(c, "dnsConfig.searches", "more than %d",
		    DNS_SEARCHES_MAX);
	for (i = 0; i < d->n_searches && i < DNS_SEARCHES_MAX; i++) {
		const char *sr = d->searches[i];
		size_t len = strlen(sr);

		total += len;
		if (len > 0 && sr[len - 1] == '.')
			len--;
		if (len == 0 || len > POD_NAME_MAX ||
		    !is_dns1123_subdomain(sr))
			ret = bad(c, "dnsConfig.searches", "\"%s\" is not a "
			    "DNS name", q(sr, b, sizeof(b)));
	}
	if (total > DNS_SEARCH_CHARS_MAX)
		ret = bad(c, "dnsConfig.searches", "more than %d characters",
		    DNS_SEARCH_CHARS_MAX);
	for (i = 0; i < d->n_options; i++)
		if (d->options[i]->name == NULL || d->options[i]->name[0] == '\0')
			ret = bad(c, "dnsConfig.options", "entry %zu needs a "
			    "name", i);
	return ret;
}

static int
check_names_unique(struct check *c, const Spd__PodSpec *s)
{
	const Spd__Container	*a, *b;
	char			 q1[96];
	size_t			 i, j, n = s->n_containers + s->n_initcontainers;

	for (i = 0; i < n; i++) {
		a = i < s->n_containers ? s->containers[i] :
		    s->initcontainers[i - s->n_containers];
		for (j = 0; j < i && a->name != NULL; j++) {
			b = j < s->n_containers ? s->containers[j] :
			    s->initcontainers[j - s->n_containers];
			if (b->name != NULL && strcmp(a->name, b->name) == 0)
				return bad(c, i < s->n_containers ?
				    "containers" : "initContainers",
				    "container name \"%s\" is used twice",
				    q(a->name, q1, sizeof(q1)));
		}
	}
	for (i = 0; i < s->n_volumes; i++)
		for (j = 0; j < i; j++)
			if (s->volumes[i]->name != NULL &&
			    s->volumes[j]->name != NULL &&
			    strcmp(s->volumes[i]->name,
			    s->volumes[j]->name) == 0)
				return bad(c, "volumes", "volume name \"%s\" is "
				    "used twice", q(s->volumes[i]->name, q1,
				    sizeof(q1)));
	return 0;
}

static int
check_scheduler_fields_dropped(struct check *c, const Spd__PodSpec *s)
{
	if (s->affinity != NULL || s->n_tolerations > 0 ||
	    s->n_nodeselector > 0 || s->nodename != NULL || s->has_priority ||
	    s->priorityclassname != NULL || s->preemptionpolicy != NULL ||
	    s->schedulername != NULL || s->n_topologyspreadconstraints > 0 ||
	    s->n_schedulinggates > 0 || s->n_readinessgates > 0 ||
	    s->has_enableservicelinks)
		return bad(c, "", "scheduler-only fields must not reach the "
		    "runtime");
	return 0;
}

static int
check_host_aliases(struct check *c, const Spd__PodSpec *s)
{
	char	b[96];
	size_t	i, j;
	int	ret = 0;

	if (s->n_hostaliases > HOST_ALIASES_MAX)
		return bad(c, "hostAliases", "more than %d", HOST_ALIASES_MAX);
	for (i = 0; i < s->n_hostaliases; i++) {
		if (s->hostaliases[i]->ip == NULL)
			ret = bad(c, "hostAliases", "entry %zu needs an IP "
			    "address", i);
		else if (!is_ip(s->hostaliases[i]->ip))
			ret = bad(c, "hostAliases", "\"%s\" is not an IP "
			    "address", q(s->hostaliases[i]->ip, b, sizeof(b)));
		for (j = 0; j < s->hostaliases[i]->n_hostnames; j++)
			if (!is_dns1123_subdomain(
			    s->hostaliases[i]->hostnames[j]))
				ret = bad(c, "hostAliases", "\"%s\" is not a "
				    "host name", q(s->hostaliases[i]->
				    hostnames[j], b, sizeof(b)));
	}
	return ret;
}

static int
check_spec(struct check *c, const Spd__PodSpec *s)
{
	static const char *const restart[] = { "Always", "OnFailure", "Never",
	    NULL };
	static const char *const oses[] = { "linux", NULL };
	char	b[96];
	size_t	i, old;
	int	ret = 0;

	if (s == NULL)
		return bad(c, "spec", "required");
	old = push(c, "spec");
	if (s->n_containers == 0)
		ret = bad(c, "containers", "at least one container is "
		    "required");
	if (s->n_containers + s->n_initcontainers > POD_CONTAINERS_MAX)
		ret = bad(c, "containers", "more than %d containers",
		    POD_CONTAINERS_MAX);
	if (s->n_volumes > POD_VOLUMES_MAX)
		ret = bad(c, "volumes", "more than %d", POD_VOLUMES_MAX);
	if (ret == -1) {
		pop(c, old);
		return -1;
	}
	ret |= check_scheduler_fields_dropped(c, s);
	ret |= check_names_unique(c, s);
	for (i = 0; i < s->n_volumes; i++) {
		size_t o = push(c, "volumes[%zu]", i);
		ret |= check_volume(c, s->volumes[i], s);
		pop(c, o);
	}
	for (i = 0; i < s->n_initcontainers; i++) {
		size_t o = push(c, "initContainers[%zu]", i);
		ret |= check_container(c, s->initcontainers[i], s, true);
		pop(c, o);
	}
	for (i = 0; i < s->n_containers; i++) {
		size_t o = push(c, "containers[%zu]", i);
		ret |= check_container(c, s->containers[i], s, false);
		pop(c, o);
	}
	ret |= require_enum(c, "restartPolicy", s->restartpolicy, restart,
	    "Always, OnFailure, Never");
	ret |= at_least(c, "terminationGracePeriodSeconds",
	    s->has_terminationgraceperiodseconds,
	    s->terminationgraceperiodseconds, 0);
	if (s->has_activedeadlineseconds)
		ret |= at_least(c, "activeDeadlineSeconds", 1,
		    s->activedeadlineseconds, 1);
	if (s->hostname != NULL && !is_dns1123_label(s->hostname))
		ret = bad(c, "hostname", "\"%s\" is not a DNS-1123 label",
		    q(s->hostname, b, sizeof(b)));
	if (s->subdomain != NULL && !is_dns1123_label(s->subdomain))
		ret = bad(c, "subdomain", "\"%s\" is not a DNS-1123 label",
		    q(s->subdomain, b, sizeof(b)));
	if (s->runtimeclassname != NULL &&
	    !is_dns1123_subdomain(s->runtimeclassname))
		ret = bad(c, "runtimeClassName", "\"%s\" is not a DNS-1123 "
		    "subdomain", q(s->runtimeclassname, b, sizeof(b)));
	if (s->os != NULL)
		ret |= require_enum(c, "os.name", s->os->name, oses,
		    "linux (this agent runs Linux pods)");
	if (s->has_hostusers && !s->hostusers && (s->hostnetwork ||
	    s->hostpid || s->hostipc))
		ret = bad(c, "hostUsers", "false is not allowed with "
		    "hostNetwork, hostPID or hostIPC");
	if (s->has_shareprocessnamespace && s->shareprocessnamespace &&
	    s->hostpid)
		ret = bad(c, "shareProcessNamespace", "cannot be set with "
		    "hostPID");
	ret |= check_host_aliases(c, s);
	ret |= check_dns(c, s);
	ret |= check_pod_security(c, s->securitycontext);
	ret |= check_resources(c, s->resources);
	pop(c, old);
	return ret;
}

int
podcheck_pod(const Spd__Pod *pod, struct diags *d)
{
	struct check	c;
	int		ret = 0;

	memset(&c, 0, sizeof(c));
	c.d = d;
	c.pod = pod;
	if (pod->apiversion == NULL || strcmp(pod->apiversion, "v1") != 0)
		ret = bad(&c, "apiVersion", "must be \"v1\"");
	if (pod->kind == NULL || strcmp(pod->kind, "Pod") != 0)
		ret = bad(&c, "kind", "must be \"Pod\"");
	ret |= check_metadata(&c, pod->metadata);
	ret |= check_spec(&c, pod->spec);
	return ret == 0 ? 0 : -1;
}

void
pod_uid(const uint8_t *canon, size_t len, const char *node,
    const char *source, char out[POD_UID_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 md[SHA256_LEN];
	struct sha256		 ctx;
	unsigned int		 i;

	sha256_init(&ctx);
	sha256_update(&ctx, canon, len);
	sha256_update(&ctx, "\0host:", 6);
	sha256_update(&ctx, node, strlen(node));
	sha256_update(&ctx, "\0", 1);
	sha256_update(&ctx, source, strlen(source));
	sha256_final(&ctx, md);
	for (i = 0; i < POD_UID_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[POD_UID_LEN] = '\0';
}
