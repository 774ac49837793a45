/*
 * The admission rules: a compiled policy against a canonical pod, which
 * podcheck has already found valid. Each rule is a function in the table
 * at the end, run in that order; a refusal names the rule and the field,
 * `policy hostPath: spec.volumes[2].hostPath.path "/" is not allowed
 * (the host's root)`. Values from the manifest are quoted with
 * diag_quote, so a hostile one cannot forge a line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podcheck.h"
#include "policy.h"
#include "policy_int.h"

#define QUOTE_MAX	128	/* a quoted manifest value in a message */
#define LIST_TEXT_MAX	160	/* "allowed: a, b, ..." in a message */
#define CPATH_MAX	48	/* "spec.initContainers[63]" */
#define SYSCTL_VALUE_MAX 1024

struct judge {
	const struct policy	*pol;
	const Spd__Pod		*pod;
	const Spd__PodSpec	*spec;
	struct policy_verdict	*v;
	const char		*rule;
};

static void
refuse(struct judge *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
refuse(struct judge *j, const char *fmt, ...)
{
	struct policy_violation	*pv;
	va_list			 ap;

	if (j->v->n == POLICY_VIOLATIONS_MAX) {
		j->v->dropped++;
		return;
	}
	pv = &j->v->v[j->v->n++];
	snprintf(pv->rule, sizeof(pv->rule), "%s", j->rule);
	va_start(ap, fmt);
	vsnprintf(pv->reason, sizeof(pv->reason), fmt, ap);
	va_end(ap);
}

static const char *
q(const char *s, char *buf, size_t len)
{
	return diag_quote(s != NULL ? s : "", buf, len);
}

#define CUT_MARK	", ..."

/*
 * Ends a list with ", ..." at o, the end of its last whole entry: entries
 * are added only while that much room is left after them.
 */
static void
cut(char *buf, size_t o)
{
	memcpy(buf + o, CUT_MARK, sizeof(CUT_MARK));
}

/* "a, b, c" for a message, cut with "..." when long; "none" when empty. */
static const char *
join(const struct policy_strings *s, char *buf, size_t len)
{
	size_t	i, o = 0;
	int	n;

	if (s->n == 0)
		return "none";
	buf[0] = '\0';
	for (i = 0; i < s->n; i++) {
		n = snprintf(buf + o, len - o, "%s%s", i > 0 ? ", " : "",
		    s->v[i]);
		if (n < 0 || (size_t)n >= len - o - sizeof(CUT_MARK)) {
			cut(buf, o);
			break;
		}
		o += (size_t)n;
	}
	return buf;
}

static bool
in_list(const struct policy_strings *s, const char *v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return true;
	return false;
}

/* Entries are names, "*", or prefixes ending in '*'. */
static bool
matches_pattern(const struct policy_strings *s, const char *v)
{
	size_t i, len;

	for (i = 0; i < s->n; i++) {
		len = strlen(s->v[i]);
		if (len > 0 && s->v[i][len - 1] == '*') {
			if (strncmp(s->v[i], v, len - 1) == 0)
				return true;
		} else if (strcmp(s->v[i], v) == 0)
			return true;
	}
	return false;
}

/* Containers first, then initContainers; k counts both. */
static const Spd__Container *
container_at(const Spd__PodSpec *s, size_t k, char path[CPATH_MAX])
{
	if (k < s->n_containers) {
		snprintf(path, CPATH_MAX, "spec.containers[%zu]", k);
		return s->containers[k];
	}
	k -= s->n_containers;
	snprintf(path, CPATH_MAX, "spec.initContainers[%zu]", k);
	return s->initcontainers[k];
}

static size_t
ncontainers(const Spd__PodSpec *s)
{
	return s->n_containers + s->n_initcontainers;
}

/* ---- namespaces, counts ---- */

static void
r_namespaces(struct judge *j)
{
	const char	*ns = j->pod->metadata->namespace_;
	char		 b[QUOTE_MAX], l[LIST_TEXT_MAX];

	if (in_list(&j->pol->namespaces, "*") ||
	    in_list(&j->pol->namespaces, ns))
		return;
	refuse(j, "metadata.namespace \"%s\" is not allowed (allowed: %s)",
	    q(ns, b, sizeof(b)), join(&j->pol->namespaces, l, sizeof(l)));
}

static void
r_max_containers(struct judge *j)
{
	size_t n = ncontainers(j->spec);

	if (j->pol->max_containers > 0 &&
	    n > (size_t)j->pol->max_containers)
		refuse(j, "spec.containers: %zu containers, initContainers "
		    "included, over the limit of %d", n,
		    (int)j->pol->max_containers);
}

/* ---- images ---- */

struct imageref {
	char		 norm[512];
	const char	*tag;		/* in norm, or NULL */
	bool		 digest;
};

static int
image_parse(const char *ref, struct imageref *r)
{
	char	*at, *slash, *colon;

	if (policy_image_normalize(ref, r->norm, sizeof(r->norm)) == -1)
		return -1;
	at = strchr(r->norm, '@');
	r->digest = at != NULL;
	if (at != NULL)
		*at = '\0';
	slash = strrchr(r->norm, '/');
	colon = strrchr(r->norm, ':');
	r->tag = colon != NULL && (slash == NULL || colon > slash) ?
	    colon + 1 : NULL;
	/* the tag is read in place; the name is restored whole */
	if (at != NULL)
		*at = '@';
	return 0;
}

/* A prefix matches at a component boundary: '/', ':', '@' or the end. */
static bool
image_allowed(const struct policy_strings *s, const char *norm)
{
	size_t	i, len;
	char	last, next;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], "*") == 0)
			return true;
		len = strlen(s->v[i]);
		if (strncmp(norm, s->v[i], len) != 0)
			continue;
		last = s->v[i][len - 1];
		next = norm[len];
		if (last == '/' || last == ':' || last == '@' || next == '\0' ||
		    next == '/' || next == ':' || next == '@')
			return true;
	}
	return false;
}

static void
check_image(struct judge *j, const char *field, const char *ref)
{
	struct imageref	 r;
	char		 b[QUOTE_MAX], l[LIST_TEXT_MAX], tag[QUOTE_MAX];
	size_t		 taglen;

	if (image_parse(ref, &r) == -1) {
		refuse(j, "%s \"%s\" is not an image reference", field,
		    q(ref, b, sizeof(b)));
		return;
	}
	if (!image_allowed(&j->pol->image_prefixes, r.norm))
		refuse(j, "%s \"%s\" (%s) is not from an allowed registry or "
		    "repository (allowed: %s)", field, q(ref, b, sizeof(b)),
		    r.norm, join(&j->pol->image_prefixes, l, sizeof(l)));
	if (j->pol->require_digest && !r.digest)
		refuse(j, "%s \"%s\" has no digest (@sha256:...), which the "
		    "node policy requires", field, q(ref, b, sizeof(b)));
	if (r.digest)
		return;		/* a digest pins it, whatever the tag says */
	if (r.tag == NULL) {
		if (in_list(&j->pol->forbidden_tags, "latest"))
			refuse(j, "%s \"%s\" has no tag, which means \"latest\", "
			    "a forbidden tag (pin a version or a digest)", field,
			    q(ref, b, sizeof(b)));
		return;
	}
	taglen = strcspn(r.tag, "@");
	snprintf(tag, sizeof(tag), "%.*s", (int)taglen, r.tag);
	if (in_list(&j->pol->forbidden_tags, tag))
		refuse(j, "%s \"%s\" uses the forbidden tag \"%s\" (pin a "
		    "version or a digest)", field, q(ref, b, sizeof(b)), tag);
}

static void
r_images(struct judge *j)
{
	const Spd__Container	*c;
	char			 path[CPATH_MAX + 16];
	char			 cp[CPATH_MAX];
	size_t			 k;

	for (k = 0; k < ncontainers(j->spec); k++) {
		c = container_at(j->spec, k, cp);
		snprintf(path, sizeof(path), "%s.image", cp);
		check_image(j, path, c->image);
	}
	for (k = 0; k < j->spec->n_volumes; k++) {
		if (j->spec->volumes[k]->image == NULL)
			continue;
		snprintf(path, sizeof(path), "spec.volumes[%zu].image.reference",
		    k);
		check_image(j, path, j->spec->volumes[k]->image->reference);
	}
}

/* ---- container security contexts ---- */

static void
r_privileged(struct judge *j)
{
	const Spd__Container	*c;
	char			 cp[CPATH_MAX];
	size_t			 k;

	if (j->pol->allow_privileged)
		return;
	for (k = 0; k < ncontainers(j->spec); k++) {
		c = container_at(j->spec, k, cp);
		if (c->securitycontext != NULL &&
		    c->securitycontext->has_privileged &&
		    c->securitycontext->privileged)
			refuse(j, "%s.securityContext.privileged: privileged "
			    "containers are not allowed", cp);
	}
}

static void
r_privilege_escalation(struct judge *j)
{
	const Spd__SecurityContext	*sc;
	char				 cp[CPATH_MAX];
	size_t				 k;

	if (j->pol->allow_privilege_escalation)
		return;
	for (k = 0; k < ncontainers(j->spec); k++) {
		sc = container_at(j->spec, k, cp)->securitycontext;
		/* unset means allowed, as the runtimes default it */
		if (sc == NULL || !sc->has_allowprivilegeescalation ||
		    sc->allowprivilegeescalation)
			refuse(j, "%s.securityContext.allowPrivilegeEscalation: "
			    "must be false (the node policy forbids privilege "
			    "escalation)", cp);
	}
}

static bool
cap_allowed(const struct policy_strings *allowed, const char *cap)
{
	char	name[64];
	size_t	i;

	if (in_list(allowed, "*") || in_list(allowed, "ALL"))
		return true;
	snprintf(name, sizeof(name), "%s", cap);
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] = (char)(name[i] - 'a' + 'A');
	return in_list(allowed, strncmp(name, "CAP_", 4) == 0 ? name + 4 :
	    name);
}

static void
r_capabilities(struct judge *j)
{
	const Spd__Capabilities	*caps;
	const Spd__Container	*c;
	char			 cp[CPATH_MAX], b[QUOTE_MAX], l[LIST_TEXT_MAX];
	size_t			 k, i;
	bool			 drops_all;

	for (k = 0; k < ncontainers(j->spec); k++) {
		c = container_at(j->spec, k, cp);
		caps = c->securitycontext != NULL ?
		    c->securitycontext->capabilities : NULL;
		for (i = 0; caps != NULL && i < caps->n_add; i++)
			if (!cap_allowed(&j->pol->caps_add, caps->add[i]))
				refuse(j, "%s.securityContext.capabilities.add[%zu] "
				    "\"%s\" is not allowed (allowed: %s)", cp, i,
				    q(caps->add[i], b, sizeof(b)),
				    join(&j->pol->caps_add, l, sizeof(l)));
		if (!j->pol->require_drop_all)
			continue;
		drops_all = false;
		for (i = 0; caps != NULL && i < caps->n_drop; i++)
			drops_all |= strcmp(caps->drop[i], "ALL") == 0;
		if (!drops_all)
			refuse(j, "%s.securityContext.capabilities.drop: must "
			    "include ALL", cp);
	}
}

static void
r_procmount(struct judge *j)
{
	const Spd__SecurityContext	*sc;
	char				 cp[CPATH_MAX];
	size_t				 k;

	if (j->pol->allow_unmasked_procmount)
		return;
	for (k = 0; k < ncontainers(j->spec); k++) {
		sc = container_at(j->spec, k, cp)->securitycontext;
		if (sc != NULL && sc->procmount != NULL &&
		    strcmp(sc->procmount, "Unmasked") == 0)
			refuse(j, "%s.securityContext.procMount \"Unmasked\" is "
			    "not allowed (it shows the /proc paths the runtime "
			    "masks)", cp);
	}
}

/* ---- host namespaces and ports ---- */

static void
r_host_network(struct judge *j)
{
	if (!j->pol->allow_host_network && j->spec->has_hostnetwork &&
	    j->spec->hostnetwork)
		refuse(j, "spec.hostNetwork: the host's network namespace is "
		    "not allowed");
}

static void
r_host_pid(struct judge *j)
{
	if (!j->pol->allow_host_pid && j->spec->has_hostpid &&
	    j->spec->hostpid)
		refuse(j, "spec.hostPID: the host's process namespace is not "
		    "allowed");
}

static void
r_host_ipc(struct judge *j)
{
	if (!j->pol->allow_host_ipc && j->spec->has_hostipc &&
	    j->spec->hostipc)
		refuse(j, "spec.hostIPC: the host's IPC namespace is not "
		    "allowed");
}

static const char *
join_ports(const struct policy *p, char *buf, size_t len)
{
	size_t	i, o = 0;
	int	n;

	if (p->nhost_ports == 0)
		return "none";
	buf[0] = '\0';
	for (i = 0; i < p->nhost_ports && o < len; i++) {
		if (p->host_ports[i].min == p->host_ports[i].max)
			n = snprintf(buf + o, len - o, "%s%d", i ? ", " : "",
			    (int)p->host_ports[i].min);
		else
			n = snprintf(buf + o, len - o, "%s%d-%d", i ? ", " : "",
			    (int)p->host_ports[i].min,
			    (int)p->host_ports[i].max);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

static void
r_host_ports(struct judge *j)
{
	const Spd__Container	*c;
	char			 cp[CPATH_MAX], l[LIST_TEXT_MAX];
	size_t			 k, i, r;
	int32_t			 port;

	for (k = 0; k < ncontainers(j->spec); k++) {
		c = container_at(j->spec, k, cp);
		for (i = 0; i < c->n_ports; i++) {
			if (!c->ports[i]->has_hostport ||
			    (port = c->ports[i]->hostport) == 0)
				continue;
			for (r = 0; r < j->pol->nhost_ports; r++)
				if (port >= j->pol->host_ports[r].min &&
				    port <= j->pol->host_ports[r].max)
					break;
			if (r == j->pol->nhost_ports)
				refuse(j, "%s.ports[%zu].hostPort %d is not "
				    "allowed (allowed: %s)", cp, i, (int)port,
				    join_ports(j->pol, l, sizeof(l)));
		}
	}
}

/* ---- hostPath ---- */

/*
 * One '/' between components, no '.' components, no trailing '/'.
 * podcheck refused '..'; it is refused here again rather than resolved.
 */
static int
path_clean(const char *in, char *out, size_t len)
{
	size_t	o = 0, n;

	if (in == NULL || in[0] != '/' || len < 2)
		return -1;
	while (*in != '\0') {
		while (*in == '/')
			in++;
		n = strcspn(in, "/");
		if (n == 0)
			break;
		if (n == 1 && in[0] == '.') {
			in += n;
			continue;
		}
		if (n == 2 && in[0] == '.' && in[1] == '.')
			return -1;
		if (o + 1 + n >= len)
			return -1;
		out[o++] = '/';
		memcpy(out + o, in, n);
		o += n;
		in += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

/* Is path the prefix itself or below it, whole components only? */
static bool
within(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	if (strcmp(prefix, "/") == 0)
		return true;
	return strncmp(path, prefix, len) == 0 &&
	    (path[len] == '\0' || path[len] == '/');
}

/* The longest allowed prefix the path is within, or NULL. */
static const struct policy_hostpath *
allowed_prefix(const struct policy *p, const char *path)
{
	const struct policy_hostpath	*best = NULL;
	size_t				 i;

	for (i = 0; i < p->nhost_paths; i++)
		if (within(path, p->host_paths[i].prefix) && (best == NULL ||
		    strlen(p->host_paths[i].prefix) > strlen(best->prefix)))
			best = &p->host_paths[i];
	return best;
}

static const struct policy_protected *
protected_inode(const struct policy *p, const struct stat *st)
{
	size_t i;

	for (i = 0; i < p->nprotected; i++)
		if (p->protected[i].has_ino &&
		    p->protected[i].dev == (uint64_t)st->st_dev &&
		    p->protected[i].ino == (uint64_t)st->st_ino)
			return &p->protected[i];
	return NULL;
}

enum walk { WALK_OK, WALK_MISSING, WALK_LINK, WALK_NOTDIR, WALK_PROTECTED,
	WALK_ERROR };

/*
 * Opens each component with O_PATH|O_NOFOLLOW from the root fd, so no
 * symbolic link is followed anywhere (the rule openat2's
 * RESOLVE_NO_SYMLINKS states, which the runtime's seccomp allowlist does
 * not include), and a missing path's existing prefix is still checked:
 * CRI runtimes create what is missing (DirectoryOrCreate) below it. `at`
 * is the prefix the walk stopped at.
 */
static enum walk
walk_nofollow(const struct policy *p, const char *path, char *at,
    size_t atlen, int *err, const struct policy_protected **hit)
{
	struct stat	 st;
	const char	*s = path, *e;
	char		 comp[NAME_MAX + 1];
	enum walk	 ret = WALK_OK;
	int		 fd, nfd;

	if ((fd = openat(p->rootfd, ".", O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		*err = errno;
		snprintf(at, atlen, "/");
		return WALK_ERROR;
	}
	for (;;) {
		while (*s == '/')
			s++;
		if (*s == '\0')
			break;
		e = s + strcspn(s, "/");
		snprintf(at, atlen, "%.*s", (int)(e - path), path);
		if ((size_t)(e - s) > NAME_MAX) {
			*err = ENAMETOOLONG;
			ret = WALK_ERROR;
			break;
		}
		memcpy(comp, s, (size_t)(e - s));
		comp[e - s] = '\0';
		if ((nfd = openat(fd, comp, O_PATH | O_NOFOLLOW |
		    O_CLOEXEC)) == -1) {
			*err = errno;
			ret = errno == ENOENT ? WALK_MISSING : WALK_ERROR;
			break;
		}
		close(fd);
		fd = nfd;
		if (fstat(fd, &st) == -1) {
			*err = errno;
			ret = WALK_ERROR;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			ret = WALK_LINK;
			break;
		}
		if ((*hit = protected_inode(p, &st)) != NULL) {
			ret = WALK_PROTECTED;
			break;
		}
		if (*e != '\0' && !S_ISDIR(st.st_mode)) {
			ret = WALK_NOTDIR;
			break;
		}
		s = e;
	}
	close(fd);
	return ret;
}

/* Refused whatever the policy lists: the host, the agent's own paths. */
static bool
check_protected(struct judge *j, const char *field, const char *path)
{
	static const char *const kernel[] = { "/proc", "/sys", "/dev" };
	const struct policy_hostpath	*ap;
	const struct policy_protected	*pp;
	char				 b[QUOTE_MAX];
	size_t				 i;

	if (strcmp(path, "/") == 0) {
		refuse(j, "%s \"/\" is not allowed (the host's root "
		    "filesystem)", field);
		return true;
	}
	for (i = 0; i < j->pol->nprotected; i++) {
		pp = &j->pol->protected[i];
		if (!within(path, pp->path) && !within(pp->path, path))
			continue;
		refuse(j, "%s \"%s\" is not allowed (%s %s, %s)", field,
		    q(path, b, sizeof(b)), within(path, pp->path) ? "it is in" :
		    "it holds", pp->what, pp->path);
		return true;
	}
	/* only an allowed prefix at or below /proc, /sys or /dev opens them */
	for (i = 0; i < NELEMS(kernel); i++) {
		if (!within(path, kernel[i]))
			continue;
		ap = allowed_prefix(j->pol, path);
		if (ap != NULL && within(ap->prefix, kernel[i]))
			return false;
		refuse(j, "%s \"%s\" is not allowed (%s is not mounted unless "
		    "the node policy lists it)", field, q(path, b, sizeof(b)),
		    kernel[i]);
		return true;
	}
	return false;
}

static void
check_on_disk(struct judge *j, const char *field, const char *path)
{
	const struct policy_protected	*hit = NULL;
	char				 b[QUOTE_MAX], at[PATH_MAX];
	int				 err = 0;

	if (j->pol->rootfd == -1)
		return;
	switch (walk_nofollow(j->pol, path, at, sizeof(at), &err, &hit)) {
	case WALK_OK:
	case WALK_MISSING:
		return;
	case WALK_LINK:
		refuse(j, "%s \"%s\": %s is a symbolic link (host paths are "
		    "resolved without following links)", field,
		    q(path, b, sizeof(b)), at);
		return;
	case WALK_NOTDIR:
		refuse(j, "%s \"%s\": %s is not a directory", field,
		    q(path, b, sizeof(b)), at);
		return;
	case WALK_PROTECTED:
		refuse(j, "%s \"%s\" is not allowed (%s is %s, %s)", field,
		    q(path, b, sizeof(b)), at, hit->what, hit->path);
		return;
	case WALK_ERROR:
		refuse(j, "%s \"%s\": %s cannot be checked: %s", field,
		    q(path, b, sizeof(b)), at, strerror(err));
		return;
	}
}

/* Every mount of a read-only hostPath must be readOnly, and its subPath safe. */
static void
check_mounts(struct judge *j, const Spd__Volume *vol, const char *path,
    const struct policy_hostpath *ap)
{
	const Spd__Container	*c;
	const Spd__VolumeMount	*m;
	char			 cp[CPATH_MAX], field[CPATH_MAX + 64];
	char			 b[QUOTE_MAX], sub[PATH_MAX], joined[PATH_MAX];
	size_t			 k, i;
	int			 n;

	for (k = 0; k < ncontainers(j->spec); k++) {
		c = container_at(j->spec, k, cp);
		for (i = 0; i < c->n_volumemounts; i++) {
			m = c->volumemounts[i];
			if (m->name == NULL || strcmp(m->name, vol->name) != 0)
				continue;
			if (ap->read_only && !(m->has_readonly && m->readonly))
				refuse(j, "%s.volumeMounts[%zu].readOnly: volume "
				    "\"%s\" is hostPath %s, under the read-only "
				    "prefix %s: mount it readOnly", cp, i,
				    q(vol->name, b, sizeof(b)), path,
				    ap->prefix);
			if (m->subpath == NULL || m->subpath[0] == '\0')
				continue;
			n = snprintf(sub, sizeof(sub), "%s/%s", path,
			    m->subpath);
			if (n < 0 || (size_t)n >= sizeof(sub) ||
			    path_clean(sub, joined, sizeof(joined)) == -1)
				continue;	/* podcheck refused it */
			snprintf(field, sizeof(field),
			    "%s.volumeMounts[%zu].subPath", cp, i);
			check_on_disk(j, field, joined);
		}
	}
}

static void
r_host_path(struct judge *j)
{
	const struct policy_hostpath	*ap;
	const Spd__Volume		*vol;
	char				 field[64], path[PATH_MAX];
	char				 b[QUOTE_MAX];
	size_t				 k, i, o;
	int				 n;

	for (k = 0; k < j->spec->n_volumes; k++) {
		vol = j->spec->volumes[k];
		if (vol->hostpath == NULL)
			continue;
		snprintf(field, sizeof(field), "spec.volumes[%zu].hostPath.path",
		    k);
		if (path_clean(vol->hostpath->path, path, sizeof(path)) == -1) {
			refuse(j, "%s \"%s\" is not a clean absolute path", field,
			    q(vol->hostpath->path, b, sizeof(b)));
			continue;
		}
		if (check_protected(j, field, path))
			continue;
		if ((ap = allowed_prefix(j->pol, path)) == NULL) {
			char l[LIST_TEXT_MAX] = "none";

			for (i = 0, o = 0; i < j->pol->nhost_paths; i++) {
				n = snprintf(l + o, sizeof(l) - o, "%s%s%s",
				    i ? ", " : "", j->pol->host_paths[i].prefix,
				    j->pol->host_paths[i].read_only ? " (ro)" :
				    "");
				if (n < 0 || (size_t)n >= sizeof(l) - o -
				    sizeof(CUT_MARK)) {
					cut(l, o);
					break;
				}
				o += (size_t)n;
			}
			refuse(j, "%s \"%s\" is not under an allowed prefix "
			    "(allowed: %s)", field, q(path, b, sizeof(b)), l);
			continue;
		}
		check_on_disk(j, field, path);
		check_mounts(j, vol, path, ap);
	}
}

/* ---- sysctls ---- */

/* The namespaced sysctls the Pod Security Standards call safe. */
static const char *const safe_sysctls[] = {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.ping_group_range",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.tcp_wmem",
};

static bool
is_safe_sysctl(const char *name)
{
	size_t i;

	for (i = 0; i < NELEMS(safe_sysctls); i++)
		if (strcmp(safe_sysctls[i], name) == 0)
			return true;
	return false;
}

/* The IPC namespace's sysctls, as the kubelet groups them. */
static bool
is_ipc_sysctl(const char *name)
{
	return strncmp(name, "kernel.shm", 10) == 0 ||
	    strncmp(name, "kernel.msg", 10) == 0 ||
	    strcmp(name, "kernel.sem") == 0 ||
	    strncmp(name, "fs.mqueue.", 10) == 0;
}

/*
 * CRI-O once joined sysctls as key=value+key=value for its helper, so a
 * '+' or '=' in a value set another sysctl (CVE-2022-0811, "cr8escape").
 * Values are refused if they hold a separator, a control character or
 * any whitespace but one space between words, which range sysctls such
 * as net.ipv4.ip_local_port_range ("1024 65535") need.
 */
static int
sysctl_value_refusal(const char *v, char *why, size_t len)
{
	const unsigned char	*p;
	size_t			 n = strlen(v);

	if (n == 0 || n > SYSCTL_VALUE_MAX) {
		snprintf(why, len, "is empty or longer than %d bytes",
		    SYSCTL_VALUE_MAX);
		return -1;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '+' || *p == '=' || *p == ',') {
			snprintf(why, len, "holds '%c', which could set another "
			    "sysctl through the runtime (CVE-2022-0811)", *p);
			return -1;
		}
		if (*p == ' ' && p != (const unsigned char *)v && p[1] != '\0' &&
		    p[1] != ' ')
			continue;
		if (*p <= 0x20 || *p >= 0x7f) {
			snprintf(why, len, "holds whitespace or a control "
			    "character (only single spaces between values)");
			return -1;
		}
	}
	return 0;
}

static void
r_sysctls(struct judge *j)
{
	const Spd__PodSecurityContext	*sc = j->spec->securitycontext;
	const Spd__Sysctl		*s;
	char				 name[POD_NAME_MAX + 1], why[160];
	char				 b[QUOTE_MAX], b2[QUOTE_MAX];
	size_t				 i;

	for (i = 0; sc != NULL && i < sc->n_sysctls; i++) {
		s = sc->sysctls[i];
		snprintf(name, sizeof(name), "%s", s->name);
		policy_sysctl_normalize(name);
		if (sysctl_value_refusal(s->value, why, sizeof(why)) == -1)
			refuse(j, "spec.securityContext.sysctls[%zu].value "
			    "\"%s\" of \"%s\" %s", i, q(s->value, b, sizeof(b)),
			    q(name, b2, sizeof(b2)), why);
		if (!is_safe_sysctl(name) &&
		    !matches_pattern(&j->pol->sysctls, name)) {
			refuse(j, "spec.securityContext.sysctls[%zu].name "
			    "\"%s\" is not allowed (the namespaced safe set, "
			    "and the node policy's sysctls)", i,
			    q(name, b, sizeof(b)));
			continue;
		}
		/* in the host's namespace it would be the host's value */
		if (strncmp(name, "net.", 4) == 0 && j->spec->has_hostnetwork &&
		    j->spec->hostnetwork)
			refuse(j, "spec.securityContext.sysctls[%zu].name "
			    "\"%s\" cannot be set with hostNetwork (it would "
			    "change the host's value)", i, q(name, b, sizeof(b)));
		if (is_ipc_sysctl(name) && j->spec->has_hostipc &&
		    j->spec->hostipc)
			refuse(j, "spec.securityContext.sysctls[%zu].name "
			    "\"%s\" cannot be set with hostIPC (it would change "
			    "the host's value)", i, q(name, b, sizeof(b)));
	}
}

/* ---- seccomp, AppArmor ---- */

static bool
is_unconfined(const char *type)
{
	return type != NULL && strcmp(type, "Unconfined") == 0;
}

static void
r_seccomp(struct judge *j)
{
	const Spd__PodSecurityContext	*psc = j->spec->securitycontext;
	const Spd__SeccompProfile	*pod = psc != NULL ?
					    psc->seccompprofile : NULL, *eff;
	const Spd__SecurityContext	*sc;
	char				 cp[CPATH_MAX];
	size_t				 k;

	if (!j->pol->allow_unconfined_seccomp && pod != NULL &&
	    is_unconfined(pod->type))
		refuse(j, "spec.securityContext.seccompProfile.type "
		    "\"Unconfined\" is not allowed");
	for (k = 0; k < ncontainers(j->spec); k++) {
		sc = container_at(j->spec, k, cp)->securitycontext;
		eff = sc != NULL && sc->seccompprofile != NULL ?
		    sc->seccompprofile : pod;
		if (!j->pol->allow_unconfined_seccomp && sc != NULL &&
		    sc->seccompprofile != NULL &&
		    is_unconfined(sc->seccompprofile->type))
			refuse(j, "%s.securityContext.seccompProfile.type "
			    "\"Unconfined\" is not allowed", cp);
		else if (j->pol->require_seccomp_profile && (eff == NULL ||
		    eff->type == NULL || (strcmp(eff->type, "RuntimeDefault") !=
		    0 && strcmp(eff->type, "Localhost") != 0)))
			refuse(j, "%s.securityContext.seccompProfile: must be "
			    "RuntimeDefault or Localhost, on the container or "
			    "the pod", cp);
	}
}

static void
r_apparmor(struct judge *j)
{
	const Spd__PodSecurityContext	*psc = j->spec->securitycontext;
	const Spd__SecurityContext	*sc;
	char				 cp[CPATH_MAX];
	size_t				 k;

	if (j->pol->allow_unconfined_apparmor)
		return;
	if (psc != NULL && psc->apparmorprofile != NULL &&
	    is_unconfined(psc->apparmorprofile->type))
		refuse(j, "spec.securityContext.appArmorProfile.type "
		    "\"Unconfined\" is not allowed");
	for (k = 0; k < ncontainers(j->spec); k++) {
		sc = container_at(j->spec, k, cp)->securitycontext;
		if (sc != NULL && sc->apparmorprofile != NULL &&
		    is_unconfined(sc->apparmorprofile->type))
			refuse(j, "%s.securityContext.appArmorProfile.type "
			    "\"Unconfined\" is not allowed", cp);
	}
}

/* ---- users ---- */

struct effective_user {
	bool		 non_root;	/* runAsNonRoot, container over pod */
	bool		 has_uid;
	int64_t		 uid;
	bool		 uid_in_container;
};

static void
effective_user(const Spd__PodSpec *s, const Spd__Container *c,
    struct effective_user *u)
{
	const Spd__PodSecurityContext	*p = s->securitycontext;
	const Spd__SecurityContext	*sc = c->securitycontext;

	memset(u, 0, sizeof(*u));
	if (sc != NULL && sc->has_runasnonroot)
		u->non_root = sc->runasnonroot;
	else if (p != NULL && p->has_runasnonroot)
		u->non_root = p->runasnonroot;
	if (sc != NULL && sc->has_runasuser) {
		u->has_uid = true;
		u->uid = sc->runasuser;
		u->uid_in_container = true;
	} else if (p != NULL && p->has_runasuser) {
		u->has_uid = true;
		u->uid = p->runasuser;
	}
}

static void
r_run_as_non_root(struct judge *j)
{
	struct effective_user	 u;
	char			 cp[CPATH_MAX];
	size_t			 k;

	for (k = 0; k < ncontainers(j->spec); k++) {
		effective_user(j->spec, container_at(j->spec, k, cp), &u);
		if (j->pol->require_run_as_non_root && !u.non_root) {
			refuse(j, "%s.securityContext.runAsNonRoot: must be true, "
			    "on the container or the pod", cp);
			continue;
		}
		/* the kubelet refuses this container too; say so up front */
		if (u.non_root && u.has_uid && u.uid == 0)
			refuse(j, "%s.securityContext.runAsUser 0 contradicts "
			    "runAsNonRoot", u.uid_in_container ? cp : "spec");
	}
}

static void
r_run_as_user(struct judge *j)
{
	const Spd__PodSecurityContext	*p = j->spec->securitycontext;
	const Spd__SecurityContext	*sc;
	char				 cp[CPATH_MAX];
	size_t				 k;

	if (j->pol->allow_run_as_root)
		return;
	if (p != NULL && p->has_runasuser && p->runasuser == 0)
		refuse(j, "spec.securityContext.runAsUser 0 is not allowed (the "
		    "node policy forbids root)");
	for (k = 0; k < ncontainers(j->spec); k++) {
		sc = container_at(j->spec, k, cp)->securitycontext;
		if (sc != NULL && sc->has_runasuser && sc->runasuser == 0)
			refuse(j, "%s.securityContext.runAsUser 0 is not allowed "
			    "(the node policy forbids root)", cp);
	}
}

/* ---- resources ---- */

static bool
limit_of(const Spd__ResourceRequirements *r, const char *res, int64_t *milli)
{
	size_t i;

	for (i = 0; r != NULL && i < r->n_limits; i++)
		if (strcmp(r->limits[i]->key, res) == 0 &&
		    r->limits[i]->value != NULL) {
			*milli = r->limits[i]->value->milli;
			return true;
		}
	return false;
}

/* 500m, 4; 64Mi, 1Gi, 1000 (bytes) */
static const char *
quantity_text(int64_t milli, bool memory, char *buf, size_t len)
{
	static const struct {
		const char	*suffix;
		int64_t		 bytes;
	} bin[] = {
		{ "Ti", INT64_C(1) << 40 }, { "Gi", INT64_C(1) << 30 },
		{ "Mi", INT64_C(1) << 20 }, { "Ki", INT64_C(1) << 10 },
	};
	int64_t	v;
	size_t	i;

	if (milli % 1000 != 0) {
		snprintf(buf, len, "%lldm", (long long)milli);
		return buf;
	}
	v = milli / 1000;
	for (i = 0; memory && v != 0 && i < NELEMS(bin); i++)
		if (v % bin[i].bytes == 0) {
			snprintf(buf, len, "%lld%s", (long long)(v / bin[i].bytes),
			    bin[i].suffix);
			return buf;
		}
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/*
 * A pod's limit: its pod-level limit when it sets one, else what its
 * containers may use at once: regular containers and sidecars (init
 * containers that keep running) summed, or the largest other init
 * container, which runs alone before them.
 */
static void
check_resource(struct judge *j, const char *res, int64_t cap)
{
	const Spd__Container	*c;
	char			 cp[CPATH_MAX], t1[32], t2[32];
	bool			 memory = strcmp(res, "memory") == 0, missing = false;
	int64_t			 v, sum = 0, init_max = 0;
	size_t			 k;

	if (cap == 0)
		return;
	if (limit_of(j->spec->resources, res, &v)) {
		if (v > cap)
			refuse(j, "spec.resources.limits.%s %s is over the node "
			    "policy's limit of %s", res, quantity_text(v, memory,
			    t1, sizeof(t1)), quantity_text(cap, memory, t2,
			    sizeof(t2)));
		return;
	}
	for (k = 0; k < ncontainers(j->spec); k++) {
		c = container_at(j->spec, k, cp);
		if (!limit_of(c->resources, res, &v)) {
			refuse(j, "%s.resources.limits.%s: required (the node "
			    "policy limits a pod to %s)", cp, res,
			    quantity_text(cap, memory, t1, sizeof(t1)));
			missing = true;
			continue;
		}
		if (k >= j->spec->n_containers && (c->restartpolicy == NULL ||
		    strcmp(c->restartpolicy, "Always") != 0))
			init_max = v > init_max ? v : init_max;
		else
			sum = sat_add(sum, v);
	}
	if (missing)
		return;
	if (init_max > sum)
		sum = init_max;
	if (sum > cap)
		refuse(j, "spec.containers: the %s limits add up to %s, over the "
		    "node policy's limit of %s", res, quantity_text(sum, memory,
		    t1, sizeof(t1)), quantity_text(cap, memory, t2, sizeof(t2)));
}

static void
r_max_cpu(struct judge *j)
{
	check_resource(j, "cpu", j->pol->max_cpu_milli);
}

static void
r_max_memory(struct judge *j)
{
	check_resource(j, "memory", j->pol->max_memory_milli);
}

/* The rules, in the order their refusals are reported. */
static const struct rule {
	const char	*name;
	void		(*check)(struct judge *);
} rules[] = {
	{ "namespaces", r_namespaces },
	{ "maxContainers", r_max_containers },
	{ "images", r_images },
	{ "privileged", r_privileged },
	{ "allowPrivilegeEscalation", r_privilege_escalation },
	{ "capabilities", r_capabilities },
	{ "procMount", r_procmount },
	{ "hostNetwork", r_host_network },
	{ "hostPID", r_host_pid },
	{ "hostIPC", r_host_ipc },
	{ "hostPorts", r_host_ports },
	{ "hostPath", r_host_path },
	{ "sysctls", r_sysctls },
	{ "seccomp", r_seccomp },
	{ "appArmor", r_apparmor },
	{ "runAsNonRoot", r_run_as_non_root },
	{ "runAsUser", r_run_as_user },
	{ "maxCPU", r_max_cpu },
	{ "maxMemory", r_max_memory },
};

int
policy_admit(const struct policy *pol, const Spd__Pod *pod,
    struct policy_verdict *v)
{
	struct judge	j;
	size_t		i;

	memset(v, 0, sizeof(*v));
	j.pol = pol;
	j.pod = pod;
	j.spec = pod->spec;
	j.v = v;
	for (i = 0; i < NELEMS(rules); i++) {
		j.rule = rules[i].name;
		rules[i].check(&j);
	}
	return v->n == 0 ? 0 : -1;
}

int
policy_verdict_format(const struct policy_verdict *v, char *buf, size_t len)
{
	size_t more = v->n + v->dropped - 1;

	if (v->n == 0)
		return snprintf(buf, len, "admitted");
	if (more == 0)
		return snprintf(buf, len, "policy %s: %s", v->v[0].rule,
		    v->v[0].reason);
	return snprintf(buf, len, "policy %s: %s (and %zu more)", v->v[0].rule,
	    v->v[0].reason, more);
}

/* ---- after ImageStatus ---- */

static const Spd__Container *
container_by(const Spd__PodSpec *s, bool init, size_t i, char cp[CPATH_MAX])
{
	if (init ? i >= s->n_initcontainers : i >= s->n_containers)
		return NULL;
	return container_at(s, init ? s->n_containers + i : i, cp);
}

bool
policy_needs_image_user(const struct policy *pol, const Spd__Pod *pod,
    bool init, size_t i)
{
	const Spd__Container	*c;
	struct effective_user	 u;
	char			 cp[CPATH_MAX];

	if ((c = container_by(pod->spec, init, i, cp)) == NULL)
		return false;
	effective_user(pod->spec, c, &u);
	return !u.has_uid && (u.non_root || pol->require_run_as_non_root ||
	    !pol->allow_run_as_root);
}

/* "1000" or "1000:1000" is numeric; "nginx" cannot be checked here. */
static bool
numeric_user(const char *s, int64_t *uid)
{
	int64_t	v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > INT32_MAX)
			return false;
	}
	if (*s != '\0' && *s != ':')
		return false;
	*uid = v;
	return true;
}

int
policy_admit_image_user(const struct policy *pol, const Spd__Pod *pod,
    bool init, size_t i, const struct policy_image_user *iu,
    struct policy_verdict *v)
{
	const Spd__Container	*c;
	struct effective_user	 u;
	struct judge		 j;
	char			 cp[CPATH_MAX], b[QUOTE_MAX], b2[QUOTE_MAX];
	int64_t			 uid = 0;
	bool			 known = true, non_root;

	memset(v, 0, sizeof(*v));
	memset(&j, 0, sizeof(j));
	j.pol = pol;
	j.pod = pod;
	j.spec = pod->spec;
	j.v = v;
	if ((c = container_by(pod->spec, init, i, cp)) == NULL)
		return 0;
	effective_user(pod->spec, c, &u);
	if (u.has_uid)
		return 0;	/* judged by policy_admit */
	if (iu->has_uid)
		uid = iu->uid;
	else if (iu->username != NULL && iu->username[0] != '\0')
		known = numeric_user(iu->username, &uid);
	non_root = u.non_root || pol->require_run_as_non_root;
	j.rule = non_root ? "runAsNonRoot" : "runAsUser";
	if (!non_root && pol->allow_run_as_root)
		return 0;
	if (!known)
		refuse(&j, "%s: image \"%s\" runs as user \"%s\", which cannot be "
		    "checked against %s; set a numeric runAsUser", cp,
		    q(c->image, b, sizeof(b)), q(iu->username, b2, sizeof(b2)),
		    non_root ? "runAsNonRoot" : "the node policy's ban on root");
	else if (uid == 0)
		refuse(&j, "%s: image \"%s\" runs as root (uid 0), which %s; set "
		    "runAsUser", cp, q(c->image, b, sizeof(b)), non_root ?
		    "runAsNonRoot forbids" : "the node policy forbids");
	return v->n == 0 ? 0 : -1;
}

/* ---- annotations, image names ---- */

bool
policy_annotation_allowed(const struct policy *pol, const char *key)
{
	if (strncmp(key, AGENT_LABEL_PREFIX, strlen(AGENT_LABEL_PREFIX)) == 0)
		return false;
	return in_list(&pol->annotations, "*") ||
	    matches_pattern(&pol->annotations, key);
}

int
policy_image_normalize(const char *ref, char *out, size_t len)
{
	const char	*slash, *host = NULL, *rest = ref;
	size_t		 hlen = 0;
	int		 n;

	if (ref == NULL || ref[0] == '\0')
		return -1;
	/* a first component with '.' or ':', or localhost, is a host */
	if ((slash = strchr(ref, '/')) != NULL) {
		hlen = (size_t)(slash - ref);
		if (memchr(ref, '.', hlen) != NULL ||
		    memchr(ref, ':', hlen) != NULL ||
		    (hlen == 9 && strncmp(ref, "localhost", 9) == 0)) {
			host = ref;
			rest = slash + 1;
		}
	}
	if (host != NULL && !(hlen == 9 && strncmp(host, "docker.io", 9) ==
	    0) && !(hlen == 15 && strncmp(host, "index.docker.io", 15) == 0))
		n = snprintf(out, len, "%s", ref);
	else
		n = snprintf(out, len, "docker.io/%s%s",
		    strchr(rest, '/') == NULL ? "library/" : "", rest);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
