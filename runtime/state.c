/*
 * Each source's last admitted view, kept in the state directory, so that
 * after a reboot with the manifest server unreachable the URL pods still
 * start, and the directory's pods are known before its first re-list.
 * Written atomically (temporary file, fsync, rename, fsync of the
 * directory); read back with the same checks as a pod off the wire,
 * because a file on disk is no more trusted than its writer's process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

static const char *const view_file[CHAN_MAX] = {
	"source-directory.pb", "source-url.pb",
};

const char *
source_base(const struct agent *a, enum chan_kind k)
{
	if (k == CHAN_URL)
		return a->cfg.staticpodurl;
	return a->cfg.staticpodpath;
}

static int
write_all(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
save(struct agent *a, enum chan_kind k)
{
	Spw__SourceView	  v = SPW__SOURCE_VIEW__INIT;
	Spw__SavedPod	 *saved, **ptrs;
	struct desired	 *d = &a->desired;
	uint8_t		 *buf;
	char		  tmp[PATH_MAX], path[PATH_MAX];
	size_t		  i, n = 0, len;
	int		  fd, dfd, ret = -1;

	if ((saved = calloc(d->n + 1, sizeof(*saved))) == NULL ||
	    (ptrs = calloc(d->n + 1, sizeof(*ptrs))) == NULL)
		fatal("state");
	for (i = 0; i < d->n; i++) {
		if (d->pods[i].source != k)
			continue;
		spw__saved_pod__init(&saved[n]);
		saved[n].key = d->pods[i].key;
		saved[n].has_pod = 1;
		saved[n].pod.data = d->pods[i].canon;
		saved[n].pod.len = d->pods[i].canon_len;
		saved[n].has_sha256 = 1;
		saved[n].sha256.data = d->pods[i].sha256;
		saved[n].sha256.len = 32;
		saved[n].has_sha256own = 1;
		saved[n].sha256own = d->pods[i].sha256_own;
		ptrs[n] = &saved[n];
		n++;
	}
	v.origin = (char *)source_base(a, k);
	v.nodename = (char *)a->node_name;
	v.pods = ptrs;
	v.n_pods = n;
	len = spw__source_view__get_packed_size(&v);
	if ((buf = malloc(len + 1)) == NULL)
		fatal("state");
	spw__source_view__pack(&v, buf);
	snprintf(path, sizeof(path), "%s/%s", a->cfg.statedir, view_file[k]);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", a->cfg.statedir,
	    view_file[k]);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("state %s", tmp);
		goto out;
	}
	if (write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		log_warn("state %s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		log_warn("state %s", path);
		unlink(tmp);
		goto out;
	}
	if ((dfd = open(a->cfg.statedir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		if (fsync(dfd) == -1)
			log_warn("fsync %s", a->cfg.statedir);
		close(dfd);
	}
	ret = 0;
out:
	free(buf);
	free(saved);
	free(ptrs);
	return ret;
}

void
state_flush(struct agent *a)
{
	int k;

	for (k = 0; k < CHAN_MAX; k++) {
		if (!a->desired.dirty[k])
			continue;
		if (source_base(a, (enum chan_kind)k) == NULL)
			continue;
		if (save(a, (enum chan_kind)k) == 0)
			a->desired.dirty[k] = false;
	}
}

static uint8_t *
read_view(const char *path, size_t *len)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("state %s", path);
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    st.st_size > STATE_VIEW_MAX || (st.st_mode & 022) != 0) {
		log_warnx("state %s: not a root-owned file of at most %d bytes "
		    "that only root may write; ignored", path, STATE_VIEW_MAX);
		close(fd);
		return NULL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		fatal("state");
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		log_warnx("state %s: short read; ignored", path);
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

/* One saved pod, checked as the monitor checks one from a fetcher. */
static void
restore_pod(struct agent *a, enum chan_kind k, const Spw__SavedPod *s,
    const char *path)
{
	Spd__Pod	*pod;
	struct diags	 d;
	uint8_t		*again;
	char		 uid[POD_UID_LEN + 1], source[PATH_MAX + 8];
	size_t		 len;

	if (s->key == NULL || !s->has_pod || !s->has_sha256 ||
	    s->sha256.len != 32) {
		log_warnx("state %s: an incomplete entry; ignored", path);
		return;
	}
	pod = spd__pod__unpack(NULL, s->pod.len, s->pod.data);
	memset(&d, 0, sizeof(d));
	if (pod == NULL || podcheck_pod(pod, &d) == -1) {
		log_warnx("state %s: %s does not hold a valid pod; ignored",
		    path, s->key);
		goto out;
	}
	len = spd__pod__get_packed_size(pod);
	if ((again = malloc(len + 1)) == NULL)
		fatal("state");
	spd__pod__pack(pod, again);
	if (len != s->pod.len || memcmp(again, s->pod.data, len) != 0) {
		log_warnx("state %s: %s is not canonical; ignored", path,
		    s->key);
		free(again);
		goto out;
	}
	free(again);
	if (k == CHAN_URL)
		snprintf(source, sizeof(source), "url:%s", a->cfg.staticpodurl);
	else if (a->only_name[0] != '\0')
		snprintf(source, sizeof(source), "file:%s", a->cfg.staticpodpath);
	else
		snprintf(source, sizeof(source), "file:%s/%s", a->manifest_dir,
		    s->key);
	pod_uid(s->pod.data, s->pod.len, a->node_name, source, uid);
	desired_upsert(a, k, s->key, pod, s->pod.data, s->pod.len, uid,
	    s->sha256.data, s->sha256own);
out:
	if (pod != NULL)
		spd__pod__free_unpacked(pod, NULL);
}

/*
 * The saved views, as desired pods, until each source's first complete
 * view replaces them. A view saved for another directory, URL or node
 * name is not used.
 */
void
state_load(struct agent *a)
{
	Spw__SourceView	*v;
	uint8_t		*buf;
	char		 path[PATH_MAX];
	size_t		 len, i;
	int		 k;

	for (k = 0; k < CHAN_MAX; k++) {
		if (source_base(a, (enum chan_kind)k) == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", a->cfg.statedir,
		    view_file[k]);
		if ((buf = read_view(path, &len)) == NULL)
			continue;
		v = spw__source_view__unpack(NULL, len, buf);
		free(buf);
		if (v == NULL || v->origin == NULL || v->nodename == NULL) {
			log_warnx("state %s: does not decode; ignored", path);
			if (v != NULL)
				spw__source_view__free_unpacked(v, NULL);
			continue;
		}
		if (strcmp(v->origin, source_base(a, (enum chan_kind)k)) != 0 ||
		    strcmp(v->nodename, a->node_name) != 0) {
			log_info("state %s: saved for another source or node; "
			    "not used", path);
			spw__source_view__free_unpacked(v, NULL);
			continue;
		}
		for (i = 0; i < v->n_pods && i < AGENT_PODS_MAX; i++)
			restore_pod(a, (enum chan_kind)k, v->pods[i], path);
		log_info("state %s: %zu pods from the last admitted view", path,
		    v->n_pods);
		spw__source_view__free_unpacked(v, NULL);
		a->desired.dirty[k] = false;
	}
}
