/*
 * A pod's volumes on the node. emptyDir and downwardAPI volumes live under
 * <stateDir>/pods/<uid>/volumes/<name>, owned by the agent and removed
 * with the pod; an emptyDir of medium Memory under <memoryVolumeDir>/<uid>/
 * <name>, on a tmpfs the operator mounted and sized (never one the agent
 * would have to size, nor /run that pods could fill). sizeLimit is
 * enforced as the kubelet's eviction manager does, by measuring. hostPath
 * volumes are checked against their type (and created for the *OrCreate
 * types), as the kubelet does. The runtime needs no mount capability: the
 * CRI runtime mounts.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"

#define EMPTYDIR_MODE	0777	/* any container user may write, as upstream */
#define SWEEP_MAX	1024	/* leftovers removed in one sweep */
#define HOSTS_MAX	(64 * 1024)
#define RM_DEPTH_MAX	64
#define DU_DEPTH_MAX	64	/* deeper than this is over any sizeLimit */
#define DU_ENTRIES_MAX	1000000	/* and so is a volume with more entries */

static int
fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* snprintf for paths: -1 (ENAMETOOLONG) instead of a silently cut path. */
static int
pathf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char	buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static void
pod_dir(const struct agent *a, const char *uid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/pods/%s", a->cfg.statedir, uid);
}

static void
volume_dir(const struct agent *a, const char *uid, const char *name,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s/pods/%s/volumes/%s", a->cfg.statedir, uid, name);
}

static bool
in_memory(const Spd__Volume *v)
{
	return v->emptydir != NULL && v->emptydir->medium != NULL &&
	    strcmp(v->emptydir->medium, "Memory") == 0;
}

/* An emptyDir in memory lives on the operator's tmpfs, the rest on disk. */
static void
vol_dir(const struct agent *a, const char *uid, const Spd__Volume *v,
    char *buf, size_t len)
{
	if (in_memory(v) && a->cfg.memoryvolumedir != NULL)
		snprintf(buf, len, "%s/%s/%s", a->cfg.memoryvolumedir, uid,
		    v->name);
	else
		volume_dir(a, uid, v->name, buf, len);
}

/*
 * Root, at start: memory-backed emptyDirs only on a tmpfs the operator
 * mounted there for them, so its size bounds what all such pods together
 * may take. A directory on a tmpfs mounted above it (/run/x on /run) is
 * refused: the pods would share, and could fill, what the node needs.
 */
int
volumes_setup(const struct agent *a)
{
	const char	*dir = a->cfg.memoryvolumedir;
	struct statfs	 sf;
	struct statx	 sx;

	if (dir == NULL)
		return 0;
	if (statfs(dir, &sf) == -1 || statx(AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW,
	    STATX_TYPE, &sx) == -1) {
		log_warn("configuration: staticpodd.memoryVolumeDir %s", dir);
		return -1;
	}
	if (sf.f_type != TMPFS_MAGIC) {
		log_warnx("configuration: staticpodd.memoryVolumeDir %s is not "
		    "a tmpfs: mount one sized for the pods' memory volumes",
		    dir);
		return -1;
	}
	if ((sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0 ||
	    (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) == 0) {
		log_warnx("configuration: staticpodd.memoryVolumeDir %s is on "
		    "a tmpfs mounted above it, which pods would share: mount "
		    "one there, sized for the pods' memory volumes", dir);
		return -1;
	}
	if (sf.f_flags & ST_RDONLY) {
		log_warnx("configuration: staticpodd.memoryVolumeDir %s is "
		    "mounted read-only", dir);
		return -1;
	}
	return 0;
}

/* Writes a whole file through a temporary name, so a reader never sees half. */
static int
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	char	tmp[PATH_MAX];
	int	fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1)
		return -1;
	if ((len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    fchmod(fd, mode) == -1) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

static const Spd__Container *
first_container(const Spd__PodSpec *s)
{
	return s->n_containers > 0 ? s->containers[0] : NULL;
}

/* labels and annotations as the downward API writes them: k="v" lines */
static const char *
map_file(struct arena *a, Spd__StringEntry **e, size_t n)
{
	char	*out;
	size_t	 i, o = 0, cap = 1;

	for (i = 0; i < n; i++)
		cap += strlen(e[i]->key) + strlen(e[i]->value) * 2 + 8;
	if ((out = arena_alloc(a, cap)) == NULL)
		fatalx("volumes: arena exhausted");
	for (i = 0; i < n; i++) {
		const char *v;

		o += (size_t)snprintf(out + o, cap - o, "%s=\"", e[i]->key);
		for (v = e[i]->value; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\')
				out[o++] = '\\';
			out[o++] = *v;
		}
		o += (size_t)snprintf(out + o, cap - o, "\"%s", i + 1 < n ?
		    "\n" : "");
	}
	out[o] = '\0';
	return out;
}

static int
downward_files(const struct agent *a, const struct pod_ctx *pc,
    const Spd__Volume *v, char *err, size_t errlen)
{
	const Spd__DownwardAPIVolumeFile	*f;
	const Spd__ObjectMeta			*m = pc->pod->metadata;
	struct arena				 ar;
	char					 dir[PATH_MAX], path[PATH_MAX];
	char					*slash;
	const char				*val;
	size_t					 i;
	int					 ret = 0;

	arena_init(&ar, 4 * 1024 * 1024);
	volume_dir(a, pc->uid, v->name, dir, sizeof(dir));
	for (i = 0; i < v->downwardapi->n_items && ret == 0; i++) {
		f = v->downwardapi->items[i];
		if (f->fieldref != NULL && strcmp(f->fieldref->fieldpath,
		    "metadata.labels") == 0)
			val = map_file(&ar, m->labels, m->n_labels);
		else if (f->fieldref != NULL && strcmp(f->fieldref->fieldpath,
		    "metadata.annotations") == 0)
			val = map_file(&ar, m->annotations, m->n_annotations);
		else if (f->fieldref != NULL)
			val = field_value(&ar, a, pc, f->fieldref->fieldpath,
			    "");
		else
			val = resource_value(&ar, pc, f->resourcefieldref,
			    first_container(pc->pod->spec));
		if (pathf(path, sizeof(path), "%s/%s", dir, f->path) == -1) {
			ret = fail(err, errlen, "downwardAPI %s: path too long",
			    v->name);
			break;
		}
		if ((slash = strrchr(path, '/')) != NULL) {
			*slash = '\0';
			if (mkdir_p(path, 0755) == -1)
				ret = fail(err, errlen, "downwardAPI %s: %s",
				    v->name, strerror(errno));
			*slash = '/';
		}
		if (ret == 0 && write_file(path, val, strlen(val), (mode_t)
		    (f->has_mode ? f->mode : v->downwardapi->defaultmode)) == -1)
			ret = fail(err, errlen, "downwardAPI %s: %s: %s",
			    v->name, f->path, strerror(errno));
	}
	arena_free(&ar);
	return ret;
}

static int
host_path(const Spd__HostPathVolumeSource *h, char *err, size_t errlen)
{
	const char	*t = h->type;
	struct stat	 st;
	int		 fd;

	if (strcmp(t, "DirectoryOrCreate") == 0) {
		if (mkdir_p(h->path, 0755) == -1)
			return fail(err, errlen, "hostPath %s: %s%s", h->path,
			    strerror(errno), errno == EACCES ? " (the agent "
			    "makes paths only below the hostPath prefixes the "
			    "node policy lets pods write)" : "");
		return 0;
	}
	if (strcmp(t, "FileOrCreate") == 0) {
		if (stat(h->path, &st) == 0)
			return S_ISREG(st.st_mode) ? 0 : fail(err, errlen,
			    "hostPath %s: exists and is not a file", h->path);
		if ((fd = open(h->path, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644)) == -1)
			return fail(err, errlen, "hostPath %s: %s%s", h->path,
			    strerror(errno), errno == EACCES ? " (the agent "
			    "makes files only below the hostPath prefixes the "
			    "node policy lets pods write)" : "");
		close(fd);
		return 0;
	}
	if (t[0] == '\0')
		return 0;
	if (stat(h->path, &st) == -1)
		return fail(err, errlen, "hostPath %s: %s (type %s)", h->path,
		    strerror(errno), t);
	if ((strcmp(t, "Directory") == 0 && !S_ISDIR(st.st_mode)) ||
	    (strcmp(t, "File") == 0 && !S_ISREG(st.st_mode)) ||
	    (strcmp(t, "Socket") == 0 && !S_ISSOCK(st.st_mode)) ||
	    (strcmp(t, "CharDevice") == 0 && !S_ISCHR(st.st_mode)) ||
	    (strcmp(t, "BlockDevice") == 0 && !S_ISBLK(st.st_mode)))
		return fail(err, errlen, "hostPath %s is not of type %s",
		    h->path, t);
	return 0;
}

static int
empty_dir(const struct agent *a, const struct pod_ctx *pc,
    const Spd__Volume *v, char *err, size_t errlen)
{
	const Spd__PodSecurityContext	*psc = pc->pod->spec->securitycontext;
	char				 dir[PATH_MAX];
	mode_t				 mode = EMPTYDIR_MODE;
	int				 fd;

	if (in_memory(v) && a->cfg.memoryvolumedir == NULL)
		return fail(err, errlen, "volume %s: emptyDir medium Memory "
		    "needs a tmpfs the operator sized for it "
		    "(staticpodd.memoryVolumeDir); none is configured",
		    v->name);
	if (v->emptydir->medium != NULL && v->emptydir->medium[0] != '\0' &&
	    !in_memory(v))
		return fail(err, errlen, "volume %s: emptyDir medium %s is not "
		    "supported", v->name, v->emptydir->medium);
	vol_dir(a, pc->uid, v, dir, sizeof(dir));
	if (mkdir_p(dir, 0755) == -1)
		return fail(err, errlen, "emptyDir %s: %s", v->name,
		    strerror(errno));
	/* through an fd that did not follow a link to somewhere else */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return fail(err, errlen, "emptyDir %s: %s", v->name,
		    strerror(errno));
	if (psc != NULL && psc->has_fsgroup) {
		if (fchown(fd, (uid_t)-1, (gid_t)psc->fsgroup) == -1) {
			close(fd);
			return fail(err, errlen, "emptyDir %s: fsGroup: %s",
			    v->name, strerror(errno));
		}
		mode |= S_ISGID;
	}
	if (fchmod(fd, mode) == -1) {
		close(fd);
		return fail(err, errlen, "emptyDir %s: %s", v->name,
		    strerror(errno));
	}
	close(fd);
	return 0;
}

/*
 * What no CRI runtime the agent speaks to is asked for: image volumes
 * (the CRI's ImageSpec mount of kubelet 1.31+) are not made; checked
 * before anything of the pod is made on the node.
 */
int
volumes_unhonoured(const Spd__PodSpec *s, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < s->n_volumes; i++)
		if (s->volumes[i]->image != NULL)
			return fail(err, errlen, "volume %s: image volumes are "
			    "not supported by this CRI runtime; the pod is not "
			    "run with less than it asked for",
			    s->volumes[i]->name);
	return 0;
}

/* The node-side state a pod needs before its sandbox starts. */
int
volumes_prepare(const struct agent *a, const struct pod_ctx *pc, char *err,
    size_t errlen)
{
	const Spd__PodSpec	*s = pc->pod->spec;
	const Spd__Volume	*v;
	char			 dir[PATH_MAX];
	size_t			 i;

	pod_dir(a, pc->uid, dir, sizeof(dir));
	if (mkdir_p(dir, 0711) == -1)
		return fail(err, errlen, "%s: %s", dir, strerror(errno));
	for (i = 0; i < s->n_volumes; i++) {
		v = s->volumes[i];
		if (v->emptydir != NULL && empty_dir(a, pc, v, err, errlen) ==
		    -1)
			return -1;
		if (v->hostpath != NULL && host_path(v->hostpath, err,
		    errlen) == -1)
			return -1;
		if (v->downwardapi != NULL) {
			volume_dir(a, pc->uid, v->name, dir, sizeof(dir));
			if (mkdir_p(dir, 0755) == -1)
				return fail(err, errlen, "%s: %s", dir,
				    strerror(errno));
			if (downward_files(a, pc, v, err, errlen) == -1)
				return -1;
		}
	}
	return 0;
}

static const Spd__Volume *
find_volume(const Spd__PodSpec *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_volumes; i++)
		if (strcmp(s->volumes[i]->name, name) == 0)
			return s->volumes[i];
	return NULL;
}

static Runtime__V1__Mount *
new_mount(struct arena *ar, const char *host, const char *ctr, bool ro)
{
	Runtime__V1__Mount *m;

	if ((m = arena_alloc(ar, sizeof(*m))) == NULL)
		fatalx("volumes: arena exhausted");
	runtime__v1__mount__init(m);
	m->host_path = arena_strdup(ar, host);
	m->container_path = arena_strdup(ar, ctr);
	m->readonly = ro;
	if (m->host_path == NULL || m->container_path == NULL)
		fatalx("volumes: arena exhausted");
	return m;
}

/* /etc/hosts for a pod-network pod, as the kubelet writes it. */
static int
hosts_file(const struct agent *a, const struct pod_ctx *pc,
    const char *pod_ip, char *path, size_t pathlen)
{
	const Spd__PodSpec	*s = pc->pod->spec;
	char			*buf;
	size_t			 o = 0, i, j;
	int			 ret;

	if ((buf = malloc(HOSTS_MAX)) == NULL)
		fatal("hosts");
	o += (size_t)snprintf(buf + o, HOSTS_MAX - o,
	    "# Kubernetes-managed hosts file (staticpodd).\n"
	    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
	    "ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n"
	    "fe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n");
	if (pod_ip != NULL && pod_ip[0] != '\0')
		o += (size_t)snprintf(buf + o, HOSTS_MAX - o, "%s\t%s\n",
		    pod_ip, s->hostname != NULL ? s->hostname :
		    pc->pod->metadata->name);
	for (i = 0; i < s->n_hostaliases && o < HOSTS_MAX - 256; i++) {
		o += (size_t)snprintf(buf + o, HOSTS_MAX - o, "%s\t",
		    s->hostaliases[i]->ip);
		for (j = 0; j < s->hostaliases[i]->n_hostnames &&
		    o < HOSTS_MAX - 256; j++)
			o += (size_t)snprintf(buf + o, HOSTS_MAX - o, "%s%s",
			    j ? " " : "", s->hostaliases[i]->hostnames[j]);
		buf[o++] = '\n';
	}
	snprintf(path, pathlen, "%s/pods/%s/etc-hosts", a->cfg.statedir,
	    pc->uid);
	ret = write_file(path, buf, o, 0644);
	free(buf);
	return ret;
}

int
volumes_mounts(struct arena *ar, const struct agent *a,
    const struct pod_ctx *pc, const Spd__Container *ct, uint32_t attempt,
    const char *pod_ip, Runtime__V1__Mount ***out, size_t *nout, char *err,
    size_t errlen)
{
	const Spd__VolumeMount	*vm;
	const Spd__Volume	*v;
	Runtime__V1__Mount	**m;
	char			 host[PATH_MAX], dir[PATH_MAX];
	size_t			 i, n = 0;
	int			 fd;

	if ((m = arena_alloc(ar, (ct->n_volumemounts + 3) * sizeof(*m))) ==
	    NULL)
		fatalx("volumes: arena exhausted");
	for (i = 0; i < ct->n_volumemounts; i++) {
		vm = ct->volumemounts[i];
		v = find_volume(pc->pod->spec, vm->name);
		if (v->hostpath != NULL)
			snprintf(host, sizeof(host), "%s", v->hostpath->path);
		else
			vol_dir(a, pc->uid, v, host, sizeof(host));
		if (vm->subpath != NULL && vm->subpath[0] != '\0') {
			if (pathf(dir, sizeof(dir), "%s/%s", host,
			    vm->subpath) == -1 || (v->hostpath == NULL &&
			    mkdir_p(dir, 0755) == -1))
				return fail(err, errlen, "subPath %s: %s",
				    vm->subpath, strerror(errno));
			snprintf(host, sizeof(host), "%s", dir);
		}
		m[n] = new_mount(ar, host, vm->mountpath, vm->readonly ||
		    v->downwardapi != NULL);
		if (vm->mountpropagation != NULL && strcmp(vm->mountpropagation,
		    "HostToContainer") == 0)
			m[n]->propagation =
			    RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_HOST_TO_CONTAINER;
		else if (vm->mountpropagation != NULL &&
		    strcmp(vm->mountpropagation, "Bidirectional") == 0)
			m[n]->propagation =
			    RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_BIDIRECTIONAL;
		n++;
	}
	/* the termination log, a file the container may write */
	snprintf(dir, sizeof(dir), "%s/pods/%s/containers/%s", a->cfg.statedir,
	    pc->uid, ct->name);
	if (mkdir_p(dir, 0755) == -1)
		return fail(err, errlen, "%s: %s", dir, strerror(errno));
	if (pathf(host, sizeof(host), "%s/%u-termination-log", dir, attempt)
	    == -1)
		return fail(err, errlen, "%s: %s", dir, strerror(errno));
	if ((fd = open(host, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0666)) == -1 || fchmod(fd, 0666) == -1)
		return fail(err, errlen, "%s: %s", host, strerror(errno));
	close(fd);
	m[n++] = new_mount(ar, host, ct->terminationmessagepath, false);
	if (!pc->pod->spec->hostnetwork) {
		if (hosts_file(a, pc, pod_ip, host, sizeof(host)) == -1)
			return fail(err, errlen, "/etc/hosts: %s",
			    strerror(errno));
		m[n++] = new_mount(ar, host, "/etc/hosts", false);
	}
	*out = m;
	*nout = n;
	return 0;
}

/*
 * rm -rf beneath the pod's directory, without following links. A
 * container may have left 0700 directories of another user: the runtime
 * keeps CAP_FOWNER to open them up before removing them.
 */
static void
rm_tree(int dfd, const char *name, int depth)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if (depth > RM_DEPTH_MAX)
		return;
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return;
	/* another user's 0700 directory: open it up (CAP_FOWNER) to empty it */
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 && errno == EACCES) {
		if (fchmodat(dfd, name, 0777, 0) == -1)
			return;
		fd = -1;
	}
	if (fd != -1)
		close(fd);
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..")
		    != 0)
			rm_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		log_warn("remove %s", name);
}

/* rm -rf of name below dfd, links not followed; for the pods' logs too. */
void
remove_beneath(int dfd, const char *name)
{
	rm_tree(dfd, name, 0);
}

void
volumes_remove(const struct agent *a, const char *uid)
{
	char	dir[PATH_MAX];
	int	dfd;

	snprintf(dir, sizeof(dir), "%s/pods", a->cfg.statedir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		rm_tree(dfd, uid, 0);
		close(dfd);
	}
	if (a->cfg.memoryvolumedir == NULL || (dfd =
	    open(a->cfg.memoryvolumedir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	rm_tree(dfd, uid, 0);
	close(dfd);
}

/* The agent's UIDs only: anything else in the directory is not its own. */
static bool
is_uid(const char *s)
{
	size_t i;

	for (i = 0; i < POD_UID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return false;
	return s[POD_UID_LEN] == '\0';
}

/* Removes what dir holds for a UID keep() does not keep. */
static void
sweep_dir(const char *dir, bool (*keep)(const char *, void *), void *arg)
{
	struct dirent	*de;
	DIR		*d;
	char		*names[SWEEP_MAX];
	size_t		 n = 0, i;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < SWEEP_MAX)
		if (is_uid(de->d_name) && !keep(de->d_name, arg) &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	for (i = 0; i < n; i++) {
		log_info("%s/%s: no pod of that UID is wanted or runs; "
		    "removed", dir, names[i]);
		rm_tree(dirfd(d), names[i], 0);
		free(names[i]);
	}
	closedir(d);
}

/*
 * The volumes of pods that went while the agent was away, or whose
 * sandbox was never made: what a removal did not find to remove.
 */
void
volumes_sweep(const struct agent *a, bool (*keep)(const char *uid, void *),
    void *arg)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/pods", a->cfg.statedir);
	sweep_dir(dir, keep, arg);
	if (a->cfg.memoryvolumedir != NULL)
		sweep_dir(a->cfg.memoryvolumedir, keep, arg);
}

/*
 * Bytes a tree holds on disk, as du counts them, links not followed.
 * Counting stops once past `stop`; a tree deeper or larger than the
 * walk's limits counts as past it, so no pod hides its use in depth. A
 * directory the runtime cannot read (a non-root container's 0700; the
 * runtime keeps no CAP_DAC_READ_SEARCH) counts for itself only.
 */
struct du {
	size_t	entries;
	bool	too_deep;
};

static int64_t
du_tree(int dfd, const char *name, int depth, int64_t total, int64_t stop,
    struct du *du)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if (depth > DU_DEPTH_MAX)
		du->too_deep = true;
	if (du->too_deep || ++du->entries > DU_ENTRIES_MAX)
		return stop + 1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return total;
	total += (int64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode) || total > stop)
		return total;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return total;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return total;
	}
	while (total <= stop && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..")
		    != 0)
			total = du_tree(dirfd(d), de->d_name, depth + 1, total,
			    stop, du);
	closedir(d);
	return total;
}

/*
 * The first emptyDir over its sizeLimit, as the kubelet's eviction
 * manager finds it, or NULL. Costs nothing for a pod without sizeLimits.
 */
const Spd__Volume *
volumes_over_limit(const struct agent *a, const Spd__PodSpec *s,
    const char *uid, char *err, size_t errlen)
{
	const Spd__Volume	*v;
	char			 dir[PATH_MAX];
	struct du		 du;
	int64_t			 limit, used;
	size_t			 i;

	for (i = 0; i < s->n_volumes; i++) {
		v = s->volumes[i];
		if (v->emptydir == NULL || v->emptydir->sizelimit == NULL)
			continue;
		limit = v->emptydir->sizelimit->milli / 1000;
		vol_dir(a, uid, v, dir, sizeof(dir));
		memset(&du, 0, sizeof(du));
		used = du_tree(AT_FDCWD, dir, 0, 0, limit, &du);
		if (used <= limit)
			continue;
		if (du.too_deep)
			snprintf(err, errlen, "emptyDir %s is deeper than %d "
			    "levels, past what its sizeLimit is checked to",
			    v->name, DU_DEPTH_MAX);
		else if (du.entries > DU_ENTRIES_MAX)
			snprintf(err, errlen, "emptyDir %s holds more than %d "
			    "entries, past what its sizeLimit is checked to",
			    v->name, DU_ENTRIES_MAX);
		else
			snprintf(err, errlen, "emptyDir %s uses more than its "
			    "sizeLimit of %lld bytes", v->name,
			    (long long)limit);
		return v;
	}
	return NULL;
}

/* An evicted pod's volume: its space is given back, as the kubelet does. */
void
volumes_clear(const struct agent *a, const char *uid, const Spd__Volume *v)
{
	char	dir[PATH_MAX], *slash;
	int	dfd;

	vol_dir(a, uid, v, dir, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL)
		return;
	*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	rm_tree(dfd, v->name, 0);
	close(dfd);
}
