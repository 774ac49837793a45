/*
 * Container log housekeeping, as the kubelet does it: a link per container
 * in <podLogsDir>/../containers/<pod>_<namespace>_<container>-<id>.log
 * (what log shippers read), and rotation by size through
 * ReopenContainerLog, keeping containerLogMaxFiles files a container.
 * A removed container's log files go with it, and a removed pod's log
 * directory with the pod, so a crash loop does not fill the disk.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"

#define ROTATED_MAX	256	/* rotated files looked at, one container */

/* <podLogsDir>/../containers: /var/log/containers for the default. */
void
logs_links_dir(const struct agent *a, char *buf, size_t len)
{
	const char	*slash = strrchr(a->cfg.podlogsdir, '/');
	int		 n = slash != NULL ? (int)(slash - a->cfg.podlogsdir) : 0;

	snprintf(buf, len, "%.*s/containers", n, a->cfg.podlogsdir);
}

static int
link_name(const struct agent *a, const char *pod, const char *ns,
    const char *ctr, const char *id, char *buf, size_t len)
{
	char	dir[PATH_MAX];
	int	n;

	logs_links_dir(a, dir, sizeof(dir));
	n = snprintf(buf, len, "%s/%s_%s_%s-%s.log", dir, pod, ns, ctr, id);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void
logs_link(const struct agent *a, const char *pod, const char *ns,
    const char *ctr, const char *id, const char *target)
{
	char path[PATH_MAX];

	if (link_name(a, pod, ns, ctr, id, path, sizeof(path)) == -1)
		return;
	if (symlink(target, path) == -1 && errno != EEXIST)
		log_warn("log link %s", path);
}

void
logs_unlink(const struct agent *a, const char *pod, const char *ns,
    const char *ctr, const char *id)
{
	char path[PATH_MAX];

	if (pod == NULL || ns == NULL || ctr == NULL || id == NULL ||
	    link_name(a, pod, ns, ctr, id, path, sizeof(path)) == -1)
		return;
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("log link %s", path);
}

static int
cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Keeps the newest keep rotated files of "<attempt>.log.<time>" in dir. */
static void
prune(const char *dir, uint32_t attempt, int keep)
{
	struct dirent	*de;
	DIR		*d;
	char		 prefix[32], path[PATH_MAX], *names[ROTATED_MAX];
	size_t		 n = 0, i;

	snprintf(prefix, sizeof(prefix), "%u.log.", attempt);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < ROTATED_MAX)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);	/* time order */
	for (i = 0; i < n; i++) {
		if ((int)(n - i) > keep) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			if (unlink(path) == -1)
				log_warn("%s", path);
		}
		free(names[i]);
	}
}

/*
 * Rotates a running container's log once it passes containerLogMaxSize:
 * the file is renamed aside, the runtime reopens a fresh one, and the
 * oldest rotated files beyond containerLogMaxFiles go.
 */
int
logs_rotate(struct cri *cri, struct cri_call *call, const struct agent *a,
    const char *dir, uint32_t attempt, const char *id)
{
	struct stat	 st;
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 path[PATH_MAX], aside[PATH_MAX + 32];

	if (snprintf(path, sizeof(path), "%s/%u.log", dir, attempt) >=
	    (int)sizeof(path) || stat(path, &st) == -1 ||
	    st.st_size <= a->cfg.containerlogmaxbytes)
		return 0;
	gmtime_r(&now, &tm);
	snprintf(aside, sizeof(aside), "%s.%04d%02d%02d-%02d%02d%02d", path,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (rename(path, aside) == -1) {
		log_warn("rotate %s", path);
		return -1;
	}
	if (cri_reopen_container_log(cri, call, id) == -1) {
		/* the runtime still writes the old file: give it its name back */
		log_warnx("rotate %s: %s", path, call->err.message);
		if (rename(aside, path) == -1)
			log_warn("rotate %s: restore", path);
		return -1;
	}
	prune(dir, attempt, a->cfg.containerlogmaxfiles - 1);
	return 1;
}

/*
 * One component of a log path, read back from the runtime's labels: the
 * agent set them, but nothing the runtime lists may climb out of
 * podLogsDir.
 */
static bool
plain(const char *s)
{
	return s != NULL && s[0] != '\0' && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0 && strchr(s, '/') == NULL;
}

/* <ns>_<pod>_<uid>, the pod's directory below podLogsDir. */
static int
pod_logs_name(const char *ns, const char *pod, const char *uid, char *buf,
    size_t len)
{
	int n;

	if (!plain(ns) || !plain(pod) || !plain(uid))
		return -1;
	n = snprintf(buf, len, "%s_%s_%s", ns, pod, uid);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* A removed container's <attempt>.log and its rotated files. */
void
logs_remove_container(const struct agent *a, const char *ns, const char *pod,
    const char *uid, const char *ctr, uint32_t attempt)
{
	char	name[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 16];

	if (!plain(ctr) || pod_logs_name(ns, pod, uid, name, sizeof(name)) ==
	    -1 || snprintf(dir, sizeof(dir), "%s/%s/%s", a->cfg.podlogsdir,
	    name, ctr) >= (int)sizeof(dir))
		return;
	snprintf(path, sizeof(path), "%s/%u.log", dir, attempt);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s", path);
	prune(dir, attempt, 0);
	/* the container's last file: its directory goes too (unlinkat: the
	 * seccomp allowlist has no rmdir) */
	if (unlinkat(AT_FDCWD, dir, AT_REMOVEDIR) == -1 &&
	    errno != ENOTEMPTY && errno != ENOENT)
		log_warn("%s", dir);
}

/* A removed pod's log directory, whatever is left in it. */
void
logs_remove_pod(const struct agent *a, const char *ns, const char *pod,
    const char *uid)
{
	char	name[PATH_MAX];
	int	dfd;

	if (pod_logs_name(ns, pod, uid, name, sizeof(name)) == -1)
		return;
	if ((dfd = open(a->cfg.podlogsdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		log_warn("%s", a->cfg.podlogsdir);
		return;
	}
	remove_beneath(dfd, name);
	close(dfd);
}
