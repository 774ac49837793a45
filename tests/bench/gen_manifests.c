/*
 * gen_manifests: writes realistic static Pod manifests for the validate
 * throughput benchmark. The output depends only on the count and the seed,
 * so runs on two machines, or before and after a change, time the same
 * bytes. About half are block YAML as people write it, half JSON as
 * kubectl prints it; each pod has one to three containers with the fields
 * node agents use (command and args, env with a fieldRef, ports, resources,
 * volume mounts, probes, a securityContext) and hostPath and emptyDir
 * volumes. Every manifest is valid for `staticpodd validate`, and pod names
 * are unique, so a whole directory of them validates with exit 0.
 *
 * usage: gen_manifests [-n count] [-s seed] DIR
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GEN_COUNT_DEFAULT	2000
#define GEN_COUNT_MAX		100000	/* validate reads at most 10000 a run */
#define GEN_SEED_DEFAULT	1
#define GEN_NODES_MAX		2048	/* one manifest; the largest use ~400 */
#define GEN_TEXT_MAX		(64 * 1024)	/* its scalars and keys */
#define GEN_CONTAINERS_MAX	3
#define GEN_INDENT		2

enum nkind { N_MAP, N_SEQ, N_STR, N_RAW };

/*
 * One node of the manifest being written. N_RAW is a number or a boolean,
 * unquoted in both formats; N_STR is quoted in YAML only where a plain
 * scalar would be read as something else.
 */
struct node {
	enum nkind	 kind;
	const char	*key;		/* member of a mapping; NULL in a list */
	const char	*text;		/* scalars */
	bool		 flow;		/* YAML: a short list written [a, b] */
	struct node	*first;
	struct node	*last;
	struct node	*next;
};

struct doc {
	struct node	 nodes[GEN_NODES_MAX];
	size_t		 n;
	char		 text[GEN_TEXT_MAX];
	size_t		 tlen;
};

/* One program a container runs; a pod takes one to three of them. */
struct profile {
	const char	*name;
	const char	*image;		/* repository, without a tag */
	const char	*tags[3];
	const char	*cmd;
	const char	*health;	/* HTTP health path; NULL: TCP only */
	int		 port;
	const char	*port_name;
	bool		 host_net;	/* usually runs with hostNetwork */
};

static const struct profile profiles[] = {
	{ "node-exporter", "quay.io/prometheus/node-exporter",
	    { "v1.7.0", "v1.8.1", "v1.8.2" }, "/bin/node_exporter", "/metrics",
	    9100, "metrics", true },
	{ "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit",
	    { "2.2.2", "3.0.7", "3.1.4" }, "/fluent-bit/bin/fluent-bit",
	    "/api/v1/health", 2020, "http", false },
	{ "haproxy", "docker.io/library/haproxy",
	    { "2.8.5-alpine", "2.9.7", "3.0.2" }, "haproxy", "/healthz",
	    8404, "stats", true },
	{ "keepalived", "registry.example.com/infra/keepalived",
	    { "2.2.8", "2.3.1", "2.3.1-r1" }, "/usr/sbin/keepalived", NULL,
	    8405, "vrrp-check", true },
	{ "coredns", "registry.k8s.io/coredns/coredns",
	    { "v1.11.1", "v1.11.3", "v1.10.1" }, "/coredns", "/health",
	    8080, "health", false },
	{ "envoy", "docker.io/envoyproxy/envoy",
	    { "v1.29.2", "v1.30.4", "v1.31.0" }, "envoy", "/ready", 9901,
	    "admin", false },
	{ "vector", "docker.io/timberio/vector",
	    { "0.37.1-debian", "0.39.0-distroless-libc", "0.40.1-alpine" },
	    "/usr/bin/vector", "/health", 8686, "api", false },
	{ "registry-mirror", "docker.io/library/registry",
	    { "2.8.3", "2.8.2", "3.0.0-beta.1" }, "/bin/registry", "/",
	    5000, "registry", false },
	{ "etcd", "registry.k8s.io/etcd", { "3.5.15-0", "3.5.12-0",
	    "3.5.16-0" }, "etcd", "/livez", 2381, "probe", true },
	{ "kube-vip", "ghcr.io/kube-vip/kube-vip",
	    { "v0.8.0", "v0.8.2", "v0.7.2" }, "/kube-vip", NULL, 2112,
	    "prometheus", true },
};
#define NPROFILES	(sizeof(profiles) / sizeof(profiles[0]))

/*
 * Volumes a pod may declare, each with the path containers mount it at;
 * '@' in a path stands for the application's name.
 */
struct volume {
	const char	*name;
	const char	*host_path;	/* NULL: an emptyDir */
	const char	*host_type;
	const char	*mount_path;
	bool		 memory;	/* emptyDir in memory, with a limit */
	bool		 read_only;
};

static const struct volume volumes[] = {
	{ "config", "/etc/@", "DirectoryOrCreate", "/etc/@", false, true },
	{ "data", "/var/lib/@", "DirectoryOrCreate", "/var/lib/@", false,
	    false },
	{ "logs", "/var/log/@", "DirectoryOrCreate", "/var/log/@", false,
	    false },
	{ "localtime", "/etc/localtime", "File", "/etc/localtime", false,
	    true },
	{ "k8s-certs", "/etc/kubernetes/pki", "Directory",
	    "/etc/kubernetes/pki", false, true },
	{ "run", "/run/@", "", "/run/@", false, false },
	{ "tmp", NULL, NULL, "/tmp", false, false },
	{ "cache", NULL, NULL, "/var/cache/@", true, false },
};
#define NVOLUMES	(sizeof(volumes) / sizeof(volumes[0]))

static const char *const namespaces[] = { "kube-system", "monitoring",
    "default", "ingress", "logging" };
static const char *const words[] = { "node", "local", "agent", "collects",
    "metrics", "from", "the", "host", "and", "forwards", "them", "to",
    "central", "store", "runs", "before", "kubelet", "is", "ready",
    "owned", "by", "platform", "team", "see", "runbook", "for", "paging",
    "rules", "static", "pod", "managed", "configuration" };
static const char *const cpu_req[] = { "10m", "25m", "50m", "100m", "250m" };
static const char *const cpu_lim[] = { "500m", "1", "2", "1500m" };
static const char *const mem_req[] = { "32Mi", "64Mi", "128Mi", "200Mi" };
static const char *const mem_lim[] = { "256Mi", "512Mi", "1Gi", "768Mi" };
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
rnd(size_t n)
{
	return (size_t)(rng_next() % n);
}

static bool
chance(unsigned percent)
{
	return rnd(100) < percent;
}

static const char *
pick(const char *const *set, size_t n)
{
	return set[rnd(n)];
}

/* A volume's path with its '@' replaced by the application's name. */
static const char *
vol_path(char *buf, size_t len, const char *tmpl, const char *app)
{
	const char *at = strchr(tmpl, '@');

	if (at == NULL)
		return tmpl;
	if (snprintf(buf, len, "%.*s%s%s", (int)(at - tmpl), tmpl, app,
	    at + 1) >= (int)len)
		errx(1, "%s: volume path too long", app);
	return buf;
}

static const char *
save(struct doc *d, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static const char *
save(struct doc *d, const char *fmt, va_list ap)
{
	char	*p = d->text + d->tlen;
	size_t	 room = sizeof(d->text) - d->tlen;
	int	 n;

	n = vsnprintf(p, room, fmt, ap);
	if (n < 0 || (size_t)n >= room)
		errx(1, "a manifest outgrew GEN_TEXT_MAX");
	d->tlen += (size_t)n + 1;
	return p;
}

static struct node *
add(struct doc *d, struct node *parent, const char *key, enum nkind kind)
{
	struct node *n;

	if (d->n == GEN_NODES_MAX)
		errx(1, "a manifest outgrew GEN_NODES_MAX");
	n = &d->nodes[d->n++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->key = key;
	if (parent == NULL)
		return n;
	if ((parent->kind == N_MAP) != (key != NULL))
		errx(1, "a mapping member needs a key, a list item none");
	if (parent->last == NULL)
		parent->first = n;
	else
		parent->last->next = n;
	parent->last = n;
	return n;
}

static struct node *
map(struct doc *d, struct node *parent, const char *key)
{
	return add(d, parent, key, N_MAP);
}

static struct node *
seq(struct doc *d, struct node *parent, const char *key)
{
	return add(d, parent, key, N_SEQ);
}

static struct node *
str(struct doc *d, struct node *parent, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct node *
str(struct doc *d, struct node *parent, const char *key, const char *fmt, ...)
{
	struct node	*n = add(d, parent, key, N_STR);
	va_list		 ap;

	va_start(ap, fmt);
	n->text = save(d, fmt, ap);
	va_end(ap);
	return n;
}

static struct node *
raw(struct doc *d, struct node *parent, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct node *
raw(struct doc *d, struct node *parent, const char *key, const char *fmt, ...)
{
	struct node	*n = add(d, parent, key, N_RAW);
	va_list		 ap;

	va_start(ap, fmt);
	n->text = save(d, fmt, ap);
	va_end(ap);
	return n;
}

static void
field_ref_env(struct doc *d, struct node *env, const char *name,
    const char *path)
{
	struct node *e = map(d, env, NULL), *ref;

	str(d, e, "name", "%s", name);
	ref = map(d, map(d, e, "valueFrom"), "fieldRef");
	if (chance(30))
		str(d, ref, "apiVersion", "v1");
	str(d, ref, "fieldPath", "%s", path);
}

static void
gen_env(struct doc *d, struct node *ct, const struct profile *p)
{
	static const struct {
		const char	*name;
		const char	*path;
	} refs[] = {
		{ "NODE_NAME", "spec.nodeName" },
		{ "POD_NAMESPACE", "metadata.namespace" },
		{ "POD_IP", "status.podIP" },
		{ "HOST_IP", "status.hostIP" },
	};
	struct node	*env = seq(d, ct, "env"), *e, *ref;
	size_t		 i, n = rnd(NELEM(refs) + 1);

	field_ref_env(d, env, "POD_NAME", "metadata.name");
	for (i = 0; i < n; i++)
		field_ref_env(d, env, refs[i].name, refs[i].path);
	e = map(d, env, NULL);
	str(d, e, "name", "LOG_LEVEL");
	str(d, e, "value", "%s", chance(70) ? "info" : "debug");
	if (chance(50)) {
		e = map(d, env, NULL);
		str(d, e, "name", "TZ");
		str(d, e, "value", "UTC");
	}
	if (chance(40)) {
		e = map(d, env, NULL);
		str(d, e, "name", "GOMAXPROCS");
		ref = map(d, map(d, e, "valueFrom"), "resourceFieldRef");
		str(d, ref, "resource", "limits.cpu");
		if (chance(50))
			str(d, ref, "divisor", "1");
	}
	if (chance(30)) {
		e = map(d, env, NULL);
		str(d, e, "name", "%s_LISTEN_PORT", p->port_name[0] == 'h' ?
		    "HTTP" : "METRICS");
		str(d, e, "value", "%d", p->port);
	}
}

static void
gen_resources(struct doc *d, struct node *ct)
{
	struct node	*r = map(d, ct, "resources"), *req, *lim;
	bool		 storage = chance(20);

	req = map(d, r, "requests");
	str(d, req, "cpu", "%s", pick(cpu_req, NELEM(cpu_req)));
	str(d, req, "memory", "%s", pick(mem_req, NELEM(mem_req)));
	if (storage)
		str(d, req, "ephemeral-storage", "512Mi");
	if (chance(15))
		return;		/* requests only: best effort above them */
	lim = map(d, r, "limits");
	if (chance(60)) {
		/* written as a YAML integer as often as a string */
		if (chance(50))
			raw(d, lim, "cpu", "%d", 1 + (int)rnd(2));
		else
			str(d, lim, "cpu", "%s", pick(cpu_lim, NELEM(cpu_lim)));
	}
	str(d, lim, "memory", "%s", pick(mem_lim, NELEM(mem_lim)));
	if (storage)
		str(d, lim, "ephemeral-storage", "2Gi");
}

static void
probe_timing(struct doc *d, struct node *pr, bool liveness)
{
	if (chance(70))
		raw(d, pr, "initialDelaySeconds", "%d", 5 * (int)rnd(7));
	raw(d, pr, "periodSeconds", "%d", 5 + 5 * (int)rnd(4));
	if (chance(60))
		raw(d, pr, "timeoutSeconds", "%d", 1 + (int)rnd(5));
	if (liveness || chance(50))
		raw(d, pr, "failureThreshold", "%d", 3 + (int)rnd(6));
	if (!liveness && chance(30))
		raw(d, pr, "successThreshold", "%d", 1 + (int)rnd(2));
}

static void
gen_probes(struct doc *d, struct node *ct, const struct profile *p, int port,
    bool host_net)
{
	struct node *pr, *act, *cmd;

	pr = map(d, ct, "livenessProbe");
	if (p->health != NULL) {
		act = map(d, pr, "httpGet");
		if (host_net && chance(50))
			str(d, act, "host", "127.0.0.1");
		str(d, act, "path", "%s", p->health);
		if (chance(50))
			str(d, act, "port", "%s", p->port_name);
		else
			raw(d, act, "port", "%d", port);
		if (chance(50))
			str(d, act, "scheme", "HTTP");
	} else {
		act = map(d, pr, "tcpSocket");
		raw(d, act, "port", "%d", port);
	}
	probe_timing(d, pr, true);
	if (chance(70)) {
		pr = map(d, ct, "readinessProbe");
		act = map(d, pr, "tcpSocket");
		if (chance(50))
			str(d, act, "port", "%s", p->port_name);
		else
			raw(d, act, "port", "%d", port);
		probe_timing(d, pr, false);
	}
	if (chance(30)) {
		pr = map(d, ct, "startupProbe");
		cmd = seq(d, map(d, pr, "exec"), "command");
		cmd->flow = chance(60);
		str(d, cmd, NULL, "/bin/sh");
		str(d, cmd, NULL, "-c");
		str(d, cmd, NULL, "test -e /run/%s/ready || exit 1", p->name);
		raw(d, pr, "failureThreshold", "%d", 30);
		raw(d, pr, "periodSeconds", "%d", 2);
	}
}

static void
gen_security(struct doc *d, struct node *ct, bool host_net)
{
	struct node *sc = map(d, ct, "securityContext"), *caps, *l;

	if (host_net && chance(25)) {
		raw(d, sc, "privileged", "true");
		return;
	}
	raw(d, sc, "allowPrivilegeEscalation", "false");
	if (chance(70))
		raw(d, sc, "readOnlyRootFilesystem", "true");
	caps = map(d, sc, "capabilities");
	if (host_net && chance(60)) {
		l = seq(d, caps, "add");
		l->flow = chance(50);
		str(d, l, NULL, "NET_ADMIN");
		if (chance(50))
			str(d, l, NULL, "NET_RAW");
	} else {
		raw(d, sc, "runAsNonRoot", "true");
		raw(d, sc, "runAsUser", "%d", 65534);
		raw(d, sc, "runAsGroup", "%d", 65534);
	}
	l = seq(d, caps, "drop");
	l->flow = chance(60);
	str(d, l, NULL, "ALL");
	if (chance(50))
		str(d, map(d, sc, "seccompProfile"), "type", "RuntimeDefault");
}

static void
gen_container(struct doc *d, struct node *cts, const struct profile *p,
    const char *name, int port, bool host_net, const bool *vols)
{
	struct node	*ct = map(d, cts, NULL), *l, *pt, *m;
	char		 path[PATH_MAX];
	size_t		 i, n;

	str(d, ct, "name", "%s", name);
	str(d, ct, "image", "%s:%s", p->image, p->tags[rnd(NELEM(p->tags))]);
	if (chance(60))
		str(d, ct, "imagePullPolicy", "IfNotPresent");
	l = seq(d, ct, "command");
	l->flow = chance(40);
	str(d, l, NULL, "%s", p->cmd);
	l = seq(d, ct, "args");
	str(d, l, NULL, "--config.file=/etc/%s/config.yaml", p->name);
	str(d, l, NULL, "--web.listen-address=%s:%d", host_net ? "127.0.0.1" :
	    "0.0.0.0", port);
	str(d, l, NULL, "--log.level=%s", chance(80) ? "info" : "debug");
	n = rnd(4);
	for (i = 0; i < n; i++)
		str(d, l, NULL, "--%s.%s=%s", words[rnd(NELEM(words))],
		    words[rnd(NELEM(words))], chance(50) ? "true" :
		    "/var/lib/data");
	if (chance(20))
		str(d, ct, "workingDir", "/var/lib/%s", p->name);
	l = seq(d, ct, "ports");
	pt = map(d, l, NULL);
	str(d, pt, "name", "%s", p->port_name);
	raw(d, pt, "containerPort", "%d", port);
	if (chance(60))
		str(d, pt, "protocol", "TCP");
	if (chance(25)) {
		pt = map(d, l, NULL);
		str(d, pt, "name", "syslog");
		raw(d, pt, "containerPort", "%d", port + 1000);
		str(d, pt, "protocol", "UDP");
	}
	gen_env(d, ct, p);
	gen_resources(d, ct);
	l = seq(d, ct, "volumeMounts");
	for (i = 0; i < NVOLUMES; i++) {
		if (!vols[i] || (i > 0 && chance(40)))
			continue;
		m = map(d, l, NULL);
		str(d, m, "name", "%s", volumes[i].name);
		str(d, m, "mountPath", "%s", vol_path(path, sizeof(path),
		    volumes[i].mount_path, p->name));
		if (volumes[i].read_only)
			raw(d, m, "readOnly", "true");
	}
	gen_probes(d, ct, p, port, host_net);
	gen_security(d, ct, host_net);
	if (chance(30))
		str(d, ct, "terminationMessagePolicy", "FallbackToLogsOnError");
}

static void
choose_volumes(bool *vols)
{
	size_t i;

	vols[0] = true;		/* every app has a config directory */
	for (i = 1; i < NVOLUMES; i++)
		vols[i] = chance(40);
}

static void
gen_volumes(struct doc *d, struct node *spec, const char *app,
    const bool *vols)
{
	struct node	*l = seq(d, spec, "volumes"), *v, *src;
	char		 path[PATH_MAX];
	size_t		 i;

	for (i = 0; i < NVOLUMES; i++) {
		if (!vols[i])
			continue;
		v = map(d, l, NULL);
		str(d, v, "name", "%s", volumes[i].name);
		if (volumes[i].host_path != NULL) {
			src = map(d, v, "hostPath");
			str(d, src, "path", "%s", vol_path(path, sizeof(path),
			    volumes[i].host_path, app));
			if (volumes[i].host_type[0] != '\0' || chance(50))
				str(d, src, "type", "%s", volumes[i].host_type);
		} else {
			src = map(d, v, "emptyDir");
			if (volumes[i].memory) {
				str(d, src, "medium", "Memory");
				str(d, src, "sizeLimit", "64Mi");
			}
		}
	}
}

static void
gen_metadata(struct doc *d, struct node *root, const char *name,
    const struct profile *p, const char *tag)
{
	struct node	*md = map(d, root, "metadata"), *lb, *an;
	char		 desc[512];
	size_t		 i, n, o = 0;

	str(d, md, "name", "%s", name);
	if (chance(90))
		str(d, md, "namespace", "%s", pick(namespaces,
		    NELEM(namespaces)));
	lb = map(d, md, "labels");
	str(d, lb, "app.kubernetes.io/name", "%s", p->name);
	str(d, lb, "app.kubernetes.io/instance", "%s", name);
	str(d, lb, "app.kubernetes.io/version", "%s", tag);
	if (chance(60))
		str(d, lb, "app.kubernetes.io/component", "%s", chance(50) ?
		    "node-agent" : "control-plane");
	str(d, lb, "tier", "%s", chance(50) ? "node" : "infra");
	an = map(d, md, "annotations");
	n = 8 + rnd(24);
	for (i = 0; i < n && o < sizeof(desc) - 32; i++)
		o += (size_t)snprintf(desc + o, sizeof(desc) - o, "%s%s",
		    i > 0 ? " " : "", words[rnd(NELEM(words))]);
	str(d, an, "kubernetes.io/description", "%s.", desc);
	if (chance(60)) {
		str(d, an, "prometheus.io/scrape", "true");
		str(d, an, "prometheus.io/port", "%d", p->port);
	}
	str(d, an, "example.com/owner", "team-%s@example.com",
	    words[rnd(NELEM(words))]);
	if (chance(40))
		str(d, an, "checksum/config", "%016" PRIx64 "%016" PRIx64
		    "%016" PRIx64 "%016" PRIx64, rng_next(), rng_next(),
		    rng_next(), rng_next());
}

static struct node *
gen_pod(struct doc *d, size_t idx)
{
	const struct profile	*p[GEN_CONTAINERS_MAX];
	struct node		*root, *spec, *cts, *sc, *tl;
	char			 name[64], cname[GEN_CONTAINERS_MAX][32];
	bool			 vols[NVOLUMES], host_net;
	size_t			 i, j, n = 1 + rnd(GEN_CONTAINERS_MAX);
	const char		*tag;

	for (i = 0; i < n; i++) {
		p[i] = &profiles[rnd(NPROFILES)];
		snprintf(cname[i], sizeof(cname[i]), "%s", p[i]->name);
		for (j = 0; j < i; j++)
			if (strcmp(cname[j], cname[i]) == 0)
				snprintf(cname[i], sizeof(cname[i]), "%s-%zu",
				    p[i]->name, i + 1);
	}
	host_net = p[0]->host_net ? chance(80) : chance(10);
	tag = p[0]->tags[rnd(NELEM(p[0]->tags))];
	/* the index keeps names unique: validate refuses a second one */
	snprintf(name, sizeof(name), "%s-%05zu", p[0]->name, idx);

	d->n = 0;
	d->tlen = 0;
	root = map(d, NULL, NULL);
	str(d, root, "apiVersion", "v1");
	str(d, root, "kind", "Pod");
	gen_metadata(d, root, name, p[0], tag);
	spec = map(d, root, "spec");
	if (host_net) {
		raw(d, spec, "hostNetwork", "true");
		str(d, spec, "dnsPolicy", "ClusterFirstWithHostNet");
	}
	if (chance(50))
		str(d, spec, "priorityClassName", "system-node-critical");
	if (chance(30)) {
		tl = map(d, seq(d, spec, "tolerations"), NULL);
		str(d, tl, "operator", "Exists");
		if (chance(50))
			str(d, tl, "effect", "NoExecute");
	}
	if (chance(40))
		str(d, spec, "restartPolicy", "Always");
	raw(d, spec, "terminationGracePeriodSeconds", "%d", chance(50) ? 30 :
	    10);
	if (chance(60)) {
		sc = map(d, spec, "securityContext");
		if (chance(50))
			raw(d, sc, "fsGroup", "%d", 65534);
		str(d, map(d, sc, "seccompProfile"), "type", "RuntimeDefault");
	}
	/* what containers may mount is chosen before they are written */
	choose_volumes(vols);
	cts = seq(d, spec, "containers");
	for (i = 0; i < n; i++)
		gen_container(d, cts, p[i], cname[i], p[i]->port + (int)i,
		    host_net, vols);
	gen_volumes(d, spec, p[0]->name, vols);
	return root;
}

/* A plain YAML scalar that a reader would take for anything else is quoted. */
static bool
yaml_needs_quotes(const char *s)
{
	static const char *const special[] = { "true", "false", "yes", "no",
	    "on", "off", "null", "y", "n", "~" };
	size_t	i, len = strlen(s);
	bool	numeric = true;

	if (len == 0 || s[0] == ' ' || s[len - 1] == ' ' || s[len - 1] == ':')
		return true;
	if (strchr("?:,[]{}#&*!|>'\"%@`", s[0]) != NULL)
		return true;
	if (s[0] == '-' && (len == 1 || s[1] == ' ' || (s[1] >= '0' &&
	    s[1] <= '9')))
		return true;
	if (strstr(s, ": ") != NULL || strstr(s, " #") != NULL ||
	    strpbrk(s, "\"\\\t\n") != NULL)
		return true;
	for (i = 0; i < NELEM(special); i++)
		if (strcasecmp(s, special[i]) == 0)
			return true;
	for (i = 0; i < len; i++)
		if (strchr("0123456789.+-_eExXoObB", s[i]) == NULL)
			numeric = false;
	return numeric;
}

static int
json_string(FILE *fp, const char *s)
{
	if (fputc('"', fp) == EOF)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			if (fputc('\\', fp) == EOF || fputc(*s, fp) == EOF)
				return -1;
		} else if ((unsigned char)*s < 0x20) {
			if (fprintf(fp, "\\u%04x", (unsigned char)*s) < 0)
				return -1;
		} else if (fputc(*s, fp) == EOF)
			return -1;
	}
	return fputc('"', fp) == EOF ? -1 : 0;
}

static int
pad(FILE *fp, int indent)
{
	return fprintf(fp, "%*s", indent, "") < 0 ? -1 : 0;
}

/* kubectl's layout: two spaces a level, one member a line. */
static int
emit_json(FILE *fp, const struct node *n, int indent)
{
	const struct node *c;

	if (n->kind == N_RAW)
		return fputs(n->text, fp) == EOF ? -1 : 0;
	if (n->kind == N_STR)
		return json_string(fp, n->text);
	if (n->first == NULL)
		return fputs(n->kind == N_MAP ? "{}" : "[]", fp) == EOF ? -1 :
		    0;
	if (fputs(n->kind == N_MAP ? "{\n" : "[\n", fp) == EOF)
		return -1;
	for (c = n->first; c != NULL; c = c->next) {
		if (pad(fp, indent + GEN_INDENT) == -1)
			return -1;
		if (c->key != NULL && (json_string(fp, c->key) == -1 ||
		    fputs(": ", fp) == EOF))
			return -1;
		if (emit_json(fp, c, indent + GEN_INDENT) == -1 ||
		    fputs(c->next != NULL ? ",\n" : "\n", fp) == EOF)
			return -1;
	}
	if (pad(fp, indent) == -1)
		return -1;
	return fputs(n->kind == N_MAP ? "}" : "]", fp) == EOF ? -1 : 0;
}

static int
yaml_scalar(FILE *fp, const struct node *n)
{
	if (n->kind == N_STR && yaml_needs_quotes(n->text))
		return json_string(fp, n->text);
	return fputs(n->text, fp) == EOF ? -1 : 0;
}

static int	yaml_map(FILE *, const struct node *, int, bool);
static int	yaml_seq(FILE *, const struct node *, int);

/* A list of scalars on one line, as people write command: [a, b]. */
static int
yaml_flow(FILE *fp, const struct node *n)
{
	const struct node *c;

	if (fputc('[', fp) == EOF)
		return -1;
	for (c = n->first; c != NULL; c = c->next)
		if (yaml_scalar(fp, c) == -1 || (c->next != NULL &&
		    fputs(", ", fp) == EOF))
			return -1;
	return fputs("]\n", fp) == EOF ? -1 : 0;
}

/* What follows "key:" */
static int
yaml_value(FILE *fp, const struct node *n, int indent)
{
	if (n->kind == N_STR || n->kind == N_RAW)
		return fputc(' ', fp) == EOF || yaml_scalar(fp, n) == -1 ||
		    fputc('\n', fp) == EOF ? -1 : 0;
	if (n->first == NULL)
		return fputs(n->kind == N_MAP ? " {}\n" : " []\n", fp) == EOF ?
		    -1 : 0;
	if (n->kind == N_SEQ && n->flow)
		return fputc(' ', fp) == EOF ? -1 : yaml_flow(fp, n);
	if (fputc('\n', fp) == EOF)
		return -1;
	if (n->kind == N_MAP)
		return yaml_map(fp, n, indent + GEN_INDENT, false);
	return yaml_seq(fp, n, indent + GEN_INDENT);
}

/* With inline set, the first key follows a "- " already written. */
static int
yaml_map(FILE *fp, const struct node *n, int indent, bool inline_first)
{
	const struct node *c;

	for (c = n->first; c != NULL; c = c->next) {
		if ((c != n->first || !inline_first) && pad(fp, indent) == -1)
			return -1;
		if (fprintf(fp, "%s:", c->key) < 0 ||
		    yaml_value(fp, c, indent) == -1)
			return -1;
	}
	return 0;
}

static int
yaml_seq(FILE *fp, const struct node *n, int indent)
{
	const struct node *c;

	for (c = n->first; c != NULL; c = c->next) {
		if (pad(fp, indent) == -1 || fputs("- ", fp) == EOF)
			return -1;
		if (c->kind == N_STR || c->kind == N_RAW) {
			if (yaml_scalar(fp, c) == -1 || fputc('\n', fp) == EOF)
				return -1;
		} else if (c->kind == N_MAP && c->first != NULL) {
			if (yaml_map(fp, c, indent + GEN_INDENT, true) == -1)
				return -1;
		} else
			errx(1, "a list of lists or an empty mapping in a list "
			    "is not generated");
	}
	return 0;
}

static void
write_manifest(const char *dir, const struct node *root, bool json)
{
	const struct node	*md, *name;
	char			 path[PATH_MAX];
	FILE			*fp;
	int			 ret = 0;

	for (md = root->first; strcmp(md->key, "metadata") != 0; md = md->next)
		;
	name = md->first;
	if (snprintf(path, sizeof(path), "%s/%s.%s", dir, name->text,
	    json ? "json" : "yaml") >= (int)sizeof(path))
		errx(1, "%s: path too long", dir);
	if ((fp = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	if (json) {
		if (emit_json(fp, root, 0) == -1 || fputc('\n', fp) == EOF)
			ret = -1;
	} else {
		if (chance(30) && fprintf(fp, "# %s: static pod, generated for "
		    "the validate benchmark\n", name->text) < 0)
			ret = -1;
		if (chance(20) && fputs("---\n", fp) == EOF)
			ret = -1;
		if (ret == 0 && yaml_map(fp, root, 0, false) == -1)
			ret = -1;
	}
	if (fclose(fp) == EOF || ret == -1)
		err(1, "%s", path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen_manifests [-n count] [-s seed] DIR\n");
	exit(2);
}

static unsigned long long
number(const char *s, unsigned long long max)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > max)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	static struct doc	 d;	/* 120 KiB: not on the stack */
	const struct node	*root;
	struct stat		 st;
	size_t			 i, count = GEN_COUNT_DEFAULT;
	int			 ch;

	rng_state = GEN_SEED_DEFAULT;
	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		switch (ch) {
		case 'n':
			count = (size_t)number(optarg, GEN_COUNT_MAX);
			break;
		case 's':
			rng_state = number(optarg, UINT64_MAX);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (stat(argv[optind], &st) == -1)
		err(1, "%s", argv[optind]);
	if (!S_ISDIR(st.st_mode))
		errx(1, "%s: not a directory", argv[optind]);
	for (i = 0; i < count; i++) {
		root = gen_pod(&d, i);
		write_manifest(argv[optind], root, chance(50));
	}
	return 0;
}
