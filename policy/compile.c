/*
 * The policy's presets, the checks on a policy message and its
 * compilation over a preset. The same checks run in the fetcher (which
 * reports them with the file's line and column) and in the runtime, on
 * what arrived inside CONFIG: the runtime trusts no decoded message.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "podcheck.h"
#include "policy.h"
#include "policy_int.h"

#define LIST(a)		{ (a), NELEMS(a) }
#define PORT_MAX	65535
#define TAG_MAX		128

static const char *const any[] = { "*" };
static const char *const latest[] = { "latest" };

/* What the container runtimes grant by default: adding them changes nothing. */
static const char *const baseline_caps[] = {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
	"MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
	"SYS_CHROOT",
};
static const char *const restricted_caps[] = { "NET_BIND_SERVICE" };

/* Informational keys no container runtime acts on. */
static const char *const passed_annotations[] = {
	"kubeadm.kubernetes.io/*",
	"kubectl.kubernetes.io/default-container",
};

static const struct policy_ports all_ports[] = { { 1, PORT_MAX } };

/*
 * What kubeadm's etcd and kube-apiserver mount: certificates and CA
 * bundles read-only, etcd's data read-write, and the two kubeconfigs the
 * controller manager and the scheduler read. Not /etc/kubernetes itself:
 * it holds the manifests and admin.conf.
 */
static const struct policy_hostpath control_plane_paths[] = {
	{ "/etc/kubernetes/pki", true },
	{ "/etc/kubernetes/controller-manager.conf", true },
	{ "/etc/kubernetes/scheduler.conf", true },
	{ "/etc/ssl/certs", true },
	{ "/etc/ca-certificates", true },
	{ "/etc/pki", true },
	{ "/usr/share/ca-certificates", true },
	{ "/usr/local/share/ca-certificates", true },
	{ "/var/lib/etcd", false },
};

/*
 * The presets. "default" lets a control plane's static pods run (host
 * network, the paths above, root) and refuses what turns a manifest into
 * root on the node; "baseline" and "restricted" follow the Pod Security
 * Standards of those names.
 */
static const struct preset {
	const char	*name;
	struct policy	 p;
} presets[] = {
	{ "default", {
		.image_prefixes = LIST(any),
		.forbidden_tags = LIST(latest),
		.allow_privilege_escalation = true,
		.caps_add = LIST(baseline_caps),
		.allow_host_network = true,
		.host_ports = all_ports, .nhost_ports = NELEMS(all_ports),
		.host_paths = control_plane_paths,
		.nhost_paths = NELEMS(control_plane_paths),
		.allow_run_as_root = true,
		.namespaces = LIST(any),
		.max_containers = POLICY_DEFAULT_MAX_CONTAINERS,
		.annotations = LIST(passed_annotations),
	} },
	{ "baseline", {
		.image_prefixes = LIST(any),
		.forbidden_tags = LIST(latest),
		.allow_privilege_escalation = true,
		.caps_add = LIST(baseline_caps),
		.allow_run_as_root = true,
		.namespaces = LIST(any),
		.max_containers = POLICY_DEFAULT_MAX_CONTAINERS,
		.annotations = LIST(passed_annotations),
	} },
	{ "restricted", {
		.image_prefixes = LIST(any),
		.forbidden_tags = LIST(latest),
		.caps_add = LIST(restricted_caps),
		.require_drop_all = true,
		.require_seccomp_profile = true,
		.require_run_as_non_root = true,
		.namespaces = LIST(any),
		.max_containers = POLICY_DEFAULT_MAX_CONTAINERS,
		.annotations = LIST(passed_annotations),
	} },
};

static const struct preset *
find_preset(const char *name)
{
	size_t i;

	for (i = 0; i < NELEMS(presets); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* A name, or a prefix of names ending in '*'. */
static bool
is_pattern(const char *s, const char *extra)
{
	size_t len = strlen(s);

	if (len == 0 || len > POLICY_ENTRY_MAX)
		return false;
	if (s[len - 1] == '*')
		len--;
	for (; len > 0; s++, len--)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return false;
	return true;
}

/* The first component of a normalized reference is a registry host. */
static bool
is_image_prefix(const char *s)
{
	const char	*slash;
	size_t		 hlen;

	if (strcmp(s, "*") == 0)
		return true;
	if (!is_pattern(s, "._-/:@") || s[strlen(s) - 1] == '*')
		return false;
	slash = strchr(s, '/');
	hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	return memchr(s, '.', hlen) != NULL || memchr(s, ':', hlen) != NULL ||
	    (hlen == 9 && strncmp(s, "localhost", 9) == 0);
}

static bool
is_tag(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > TAG_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' &&
		    *s != '-')
			return false;
	return true;
}

static bool
is_capability(const char *s)
{
	if (strcmp(s, "*") == 0)
		return true;
	if (*s == '\0' || strlen(s) > POLICY_ENTRY_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool
is_sysctl_pattern(const char *s)
{
	return strcmp(s, "*") != 0 && s[0] != '*' && is_pattern(s, "._-/");
}

static bool
is_namespace(const char *s)
{
	return strcmp(s, "*") == 0 || is_dns1123_label(s);
}

static bool
is_annotation_pattern(const char *s)
{
	return strcmp(s, "*") == 0 || is_pattern(s, "._-/");
}

/* Absolute, no empty, '.' or '..' component, no trailing '/', not "/". */
static bool
is_clean_prefix(const char *p)
{
	const char *s;

	if (p[0] != '/' || p[1] == '\0' || strlen(p) >= PATH_MAX)
		return false;
	for (s = p; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	for (s = p; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		if (s[1] == '/' || s[1] == '\0')
			return false;
		if (s[1] == '.' && (s[2] == '/' || s[2] == '\0'))
			return false;
		if (s[1] == '.' && s[2] == '.' && (s[3] == '/' || s[3] == '\0'))
			return false;
	}
	return true;
}

static int
check_strings(struct diags *d, const char *field, char **v, size_t n,
    bool (*valid)(const char *), const char *want, bool nonempty)
{
	char	path[DIAG_PATH_MAX], b[96];
	size_t	i;
	int	ret = 0;

	if (n > POLICY_LIST_MAX)
		return diag_add(d, 0, 0, field, "more than %d entries",
		    POLICY_LIST_MAX);
	if (nonempty && n == 0)
		return diag_add(d, 0, 0, field, "empty: it would refuse every "
		    "pod (write \"*\" to allow any)");
	for (i = 0; i < n; i++) {
		if (v[i] != NULL && valid(v[i]) && printable(v[i]))
			continue;
		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		ret = diag_add(d, 0, 0, path, "\"%s\" is not %s",
		    diag_quote(v[i] != NULL ? v[i] : "", b, sizeof(b)), want);
	}
	return ret;
}

static int
check_images(struct diags *d, const Spp__ImagePolicy *im)
{
	int ret = 0;

	if (im == NULL)
		return 0;
	ret |= check_strings(d, "images.allowedPrefixes", im->allowedprefixes,
	    im->n_allowedprefixes, is_image_prefix, "\"*\" or a normalized "
	    "reference prefix starting with a registry host, such as "
	    "registry.k8s.io/ or docker.io/library/nginx", true);
	ret |= check_strings(d, "images.forbiddenTags", im->forbiddentags,
	    im->n_forbiddentags, is_tag, "a tag", false);
	return ret;
}

static int
check_ports(struct diags *d, const Spp__HostPortPolicy *hp)
{
	char	path[DIAG_PATH_MAX];
	size_t	i;
	int	ret = 0;

	if (hp == NULL)
		return 0;
	if (hp->n_allowed > POLICY_LIST_MAX)
		return diag_add(d, 0, 0, "hostPorts.allowed", "more than %d "
		    "entries", POLICY_LIST_MAX);
	for (i = 0; i < hp->n_allowed; i++) {
		const Spp__PortRange *r = hp->allowed[i];

		snprintf(path, sizeof(path), "hostPorts.allowed[%zu]", i);
		if (!r->has_min || r->min < 1 || r->min > PORT_MAX)
			ret = diag_add(d, 0, 0, path, "min must be a port "
			    "between 1 and %d", PORT_MAX);
		else if (r->has_max && (r->max < r->min || r->max > PORT_MAX))
			ret = diag_add(d, 0, 0, path, "max must be between min "
			    "and %d", PORT_MAX);
	}
	return ret;
}

static int
check_paths(struct diags *d, const Spp__HostPathPolicy *hp)
{
	char	path[DIAG_PATH_MAX], b[96];
	size_t	i;
	int	ret = 0;

	if (hp == NULL)
		return 0;
	if (hp->n_allowed > POLICY_LIST_MAX)
		return diag_add(d, 0, 0, "hostPaths.allowed", "more than %d "
		    "entries", POLICY_LIST_MAX);
	for (i = 0; i < hp->n_allowed; i++) {
		const char *p = hp->allowed[i]->pathprefix;

		snprintf(path, sizeof(path), "hostPaths.allowed[%zu].pathPrefix",
		    i);
		if (p == NULL)
			ret = diag_add(d, 0, 0, path, "required");
		else if (strcmp(p, "/") == 0)
			ret = diag_add(d, 0, 0, path, "\"/\" would allow the "
			    "whole host: list the directories pods need");
		else if (!is_clean_prefix(p))
			ret = diag_add(d, 0, 0, path, "\"%s\" is not an "
			    "absolute path without '.', '..', empty components "
			    "or a trailing '/'", diag_quote(p, b, sizeof(b)));
	}
	return ret;
}

int
policy_check(const Spp__NodePolicy *m, struct diags *d)
{
	char	b[96];
	int	ret = 0;

	if (m->apiversion == NULL || strcmp(m->apiversion,
	    POLICY_API_VERSION) != 0)
		ret = diag_add(d, 0, 0, "apiVersion", "must be %s",
		    POLICY_API_VERSION);
	if (m->kind == NULL || strcmp(m->kind, POLICY_KIND) != 0)
		ret = diag_add(d, 0, 0, "kind", "must be %s", POLICY_KIND);
	if (m->preset != NULL && find_preset(m->preset) == NULL)
		ret = diag_add(d, 0, 0, "preset", "\"%s\" is not a preset "
		    "(default, baseline, restricted)",
		    diag_quote(m->preset, b, sizeof(b)));
	ret |= check_images(d, m->images);
	if (m->capabilities != NULL)
		ret |= check_strings(d, "capabilities.allowedAdd",
		    m->capabilities->allowedadd, m->capabilities->n_allowedadd,
		    is_capability, "a capability name (NET_BIND_SERVICE) or "
		    "\"*\"", false);
	ret |= check_ports(d, m->hostports);
	ret |= check_paths(d, m->hostpaths);
	if (m->sysctls != NULL)
		ret |= check_strings(d, "sysctls.allowed", m->sysctls->allowed,
		    m->sysctls->n_allowed, is_sysctl_pattern, "a sysctl name, "
		    "or a prefix ending in '*' (not \"*\" alone)", false);
	if (m->namespaces != NULL)
		ret |= check_strings(d, "namespaces.allowed",
		    m->namespaces->allowed, m->namespaces->n_allowed,
		    is_namespace, "a namespace name or \"*\"", true);
	if (m->annotations != NULL)
		ret |= check_strings(d, "annotations.allowed",
		    m->annotations->allowed, m->annotations->n_allowed,
		    is_annotation_pattern, "an annotation key, a prefix "
		    "ending in '*', or \"*\"", false);
	if (m->has_maxcontainers && (m->maxcontainers < 0 ||
	    m->maxcontainers > POD_CONTAINERS_MAX))
		ret = diag_add(d, 0, 0, "maxContainers", "must be between 0 "
		    "(no limit) and %d", POD_CONTAINERS_MAX);
	if (m->maxcpu != NULL && m->maxcpu->milli < 0)
		ret = diag_add(d, 0, 0, "maxCPU", "must not be negative");
	if (m->maxmemory != NULL && m->maxmemory->milli < 0)
		ret = diag_add(d, 0, 0, "maxMemory", "must not be negative");
	return ret;
}

static struct policy_strings
copy_strings(struct policy *p, char **v, size_t n,
    void (*normalize)(char *))
{
	struct policy_strings	 s = { NULL, 0 };
	const char		**out;
	char			*c;
	size_t			 i;

	if (n == 0)
		return s;
	/* the lists are capped: their total fits POLICY_ARENA_MAX */
	if ((out = arena_alloc(&p->arena, n * sizeof(*out))) == NULL)
		fatalx("policy: larger than its memory limit");
	for (i = 0; i < n; i++) {
		if ((c = arena_strdup(&p->arena, v[i])) == NULL)
			fatalx("policy: larger than its memory limit");
		if (normalize != NULL)
			normalize(c);
		out[i] = c;
	}
	s.v = out;
	s.n = n;
	return s;
}

/* "cap_net_admin" and "CAP_NET_ADMIN" are NET_ADMIN, as runtimes read them. */
static void
normalize_cap(char *s)
{
	size_t i, skip = strncasecmp(s, "CAP_", 4) == 0 ? 4 : 0;

	for (i = 0; s[i + skip] != '\0'; i++)
		s[i] = (char)toupper((unsigned char)s[i + skip]);
	s[i] = '\0';
}

/*
 * Kubernetes accepts net/ipv4/ip_forward for net.ipv4.ip_forward: when
 * the first separator is '/', '.' and '/' swap.
 */
void
policy_sysctl_normalize(char *s)
{
	char *p = s + strcspn(s, "./");

	if (*p != '/')
		return;
	for (p = s; *p != '\0'; p++) {
		if (*p == '/')
			*p = '.';
		else if (*p == '.')
			*p = '/';
	}
}

static void
override_lists(struct policy *p, const Spp__NodePolicy *m)
{
	if (m->images != NULL) {
		p->image_prefixes = copy_strings(p, m->images->allowedprefixes,
		    m->images->n_allowedprefixes, NULL);
		p->require_digest = m->images->has_requiredigest &&
		    m->images->requiredigest;
		p->forbidden_tags = copy_strings(p, m->images->forbiddentags,
		    m->images->n_forbiddentags, NULL);
	}
	if (m->capabilities != NULL) {
		p->caps_add = copy_strings(p, m->capabilities->allowedadd,
		    m->capabilities->n_allowedadd, normalize_cap);
		p->require_drop_all = m->capabilities->has_requiredropall &&
		    m->capabilities->requiredropall;
	}
	if (m->sysctls != NULL)
		p->sysctls = copy_strings(p, m->sysctls->allowed,
		    m->sysctls->n_allowed, policy_sysctl_normalize);
	if (m->namespaces != NULL)
		p->namespaces = copy_strings(p, m->namespaces->allowed,
		    m->namespaces->n_allowed, NULL);
	if (m->annotations != NULL)
		p->annotations = copy_strings(p, m->annotations->allowed,
		    m->annotations->n_allowed, NULL);
}

static void
override_tables(struct policy *p, const Spp__NodePolicy *m)
{
	struct policy_ports	*pr;
	struct policy_hostpath	*hp;
	size_t			 i, n;

	if (m->hostports != NULL) {
		n = m->hostports->n_allowed;
		pr = n > 0 ? arena_alloc(&p->arena, n * sizeof(*pr)) : NULL;
		if (n > 0 && pr == NULL)
			fatalx("policy: larger than its memory limit");
		for (i = 0; pr != NULL && i < n; i++) {
			pr[i].min = m->hostports->allowed[i]->min;
			pr[i].max = m->hostports->allowed[i]->has_max ?
			    m->hostports->allowed[i]->max : pr[i].min;
		}
		p->host_ports = pr;
		p->nhost_ports = pr != NULL ? n : 0;
	}
	if (m->hostpaths != NULL) {
		n = m->hostpaths->n_allowed;
		hp = n > 0 ? arena_alloc(&p->arena, n * sizeof(*hp)) : NULL;
		if (n > 0 && hp == NULL)
			fatalx("policy: larger than its memory limit");
		for (i = 0; hp != NULL && i < n; i++) {
			if ((hp[i].prefix = arena_strdup(&p->arena,
			    m->hostpaths->allowed[i]->pathprefix)) == NULL)
				fatalx("policy: larger than its memory limit");
			hp[i].read_only = !m->hostpaths->allowed[i]->has_readonly
			    || m->hostpaths->allowed[i]->readonly;
		}
		p->host_paths = hp;
		p->nhost_paths = hp != NULL ? n : 0;
	}
}

static void
override_scalars(struct policy *p, const Spp__NodePolicy *m)
{
#define OVERRIDE(field, member) do {				\
	if (m->has_##field)					\
		p->member = m->field;				\
} while (0)
	OVERRIDE(dryrun, dry_run);
	OVERRIDE(allowprivileged, allow_privileged);
	OVERRIDE(allowprivilegeescalation, allow_privilege_escalation);
	OVERRIDE(allowunmaskedprocmount, allow_unmasked_procmount);
	OVERRIDE(allowhostnetwork, allow_host_network);
	OVERRIDE(allowhostpid, allow_host_pid);
	OVERRIDE(allowhostipc, allow_host_ipc);
	OVERRIDE(allowunconfinedseccomp, allow_unconfined_seccomp);
	OVERRIDE(requireseccompprofile, require_seccomp_profile);
	OVERRIDE(allowunconfinedapparmor, allow_unconfined_apparmor);
	OVERRIDE(requirerunasnonroot, require_run_as_non_root);
	OVERRIDE(allowrunasroot, allow_run_as_root);
	OVERRIDE(maxcontainers, max_containers);
#undef OVERRIDE
	if (m->maxcpu != NULL)
		p->max_cpu_milli = m->maxcpu->milli;
	if (m->maxmemory != NULL)
		p->max_memory_milli = m->maxmemory->milli;
}

/* One of the agent's paths, as named and as it resolves now. */
static void
protect(struct policy *p, const char *path, const char *what)
{
	struct policy_protected	*pp;
	struct stat		 st;
	char			 real[PATH_MAX];

	if (path == NULL || p->nprotected + 2 > POLICY_PROTECTED_MAX)
		return;
	/* a relative --policy or --config: only its real name is known */
	if (path[0] != '/') {
		if (realpath(path, real) == NULL)
			return;
		path = real;
	}
	pp = &p->protected[p->nprotected++];
	if ((pp->path = arena_strdup(&p->arena, path)) == NULL)
		fatalx("policy: larger than its memory limit");
	pp->what = what;
	/* from the root the hostPath walk starts at: "/" but in tests */
	if ((p->rootfd != -1 ? fstatat(p->rootfd, path[1] != '\0' ? path + 1 :
	    ".", &st, 0) : stat(path, &st)) == 0) {
		pp->has_ino = true;
		pp->dev = (uint64_t)st.st_dev;
		pp->ino = (uint64_t)st.st_ino;
	}
	/* /var/run is /run on most systems: protect the real name too */
	if (path != real && realpath(path, real) != NULL &&
	    strcmp(real, path) != 0) {
		p->protected[p->nprotected] = *pp;
		if ((p->protected[p->nprotected].path = arena_strdup(&p->arena,
		    real)) == NULL)
			fatalx("policy: larger than its memory limit");
		p->nprotected++;
	}
}

static void
protect_dir_of(struct policy *p, const char *path, const char *what)
{
	char	dir[PATH_MAX];
	char	*slash;

	if (path == NULL || snprintf(dir, sizeof(dir), "%s", path) >=
	    (int)sizeof(dir))
		return;
	if ((slash = strrchr(dir, '/')) == NULL)
		return;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	protect(p, dir, what);
}

int
policy_compile(const Spp__NodePolicy *m, const struct policy_host *h,
    struct policy *p, struct diags *d)
{
	const struct preset	*pre;

	memset(p, 0, sizeof(*p));
	p->rootfd = -1;
	if (m != NULL && policy_check(m, d) == -1)
		return -1;
	pre = find_preset(m != NULL && m->preset != NULL ? m->preset :
	    POLICY_PRESET_DEFAULT);
	*p = pre->p;
	p->preset = pre->name;
	arena_init(&p->arena, POLICY_ARENA_MAX);
	p->rootfd = h != NULL ? h->rootfd : -1;
	if (m != NULL) {
		override_lists(p, m);
		override_tables(p, m);
		override_scalars(p, m);
	}
	if (h == NULL)
		return 0;
	protect(p, h->manifest_dir, "the manifest directory");
	protect_dir_of(p, h->cri_socket, "the CRI socket's directory");
	protect(p, h->state_dir, "staticpodd's state directory");
	protect(p, h->run_dir, "staticpodd's run directory");
	protect(p, h->audit_log, "staticpodd's audit log");
	protect(p, h->config_file, "staticpodd's configuration");
	protect(p, h->policy_file, "the node policy");
	return 0;
}

void
policy_free(struct policy *p)
{
	arena_free(&p->arena);
	memset(p, 0, sizeof(*p));
	p->rootfd = -1;
}
