/*
 * User namespaces for pods with hostUsers: false, as the kubelet gives
 * them: each pod its own range of USERNS_LENGTH host IDs, container ID 0
 * mapped to the range's first, for UIDs and GIDs alike, ranges never
 * shared and never holding host ID 0..65535.
 *
 * A pod's range is written in its state directory (<stateDir>/pods/<uid>/
 * userns), before its sandbox is asked for, so an agent restarted later
 * gives its new containers the range its sandbox has; it goes with the
 * pod's directory, and the range is free again. The ranges in use are the
 * files there: nothing else is remembered, and nothing can disagree.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"

#define USERNS_FILE	"userns"
#define USERNS_TEXT_MAX	32	/* a decimal host ID and a newline */

/* The range's first host ID from a pod's file; -1 if none or not ours. */
static int
read_range(int dfd, const char *uid, uint32_t *first)
{
	char		 path[PATH_MAX], buf[USERNS_TEXT_MAX];
	char		*end;
	unsigned long	 v;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "%s/" USERNS_FILE, uid);
	if ((fd = openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v < USERNS_FIRST || v % USERNS_LENGTH != 0 ||
	    (v - USERNS_FIRST) / USERNS_LENGTH >= USERNS_SLOTS)
		return -1;
	*first = (uint32_t)v;
	return 0;
}

/* The lowest range no pod directory holds; -1 when all are taken. */
static int
free_range(int dfd, uint32_t *first)
{
	static uint8_t	 used[USERNS_SLOTS / 8];
	struct dirent	*de;
	DIR		*d;
	uint32_t	 v;
	size_t		 i;
	int		 fd;

	memset(used, 0, sizeof(used));
	/* its own fd for the walk (and no dup in the seccomp allowlist) */
	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && read_range(dfd, de->d_name, &v) ==
		    0) {
			i = (v - USERNS_FIRST) / USERNS_LENGTH;
			used[i / 8] |= (uint8_t)(1u << (i % 8));
		}
	closedir(d);
	for (i = 0; i < USERNS_SLOTS; i++)
		if ((used[i / 8] & (1u << (i % 8))) == 0) {
			*first = USERNS_FIRST + (uint32_t)i * USERNS_LENGTH;
			return 0;
		}
	return -1;
}

/* Written aside, synced and renamed in: a crash leaves it or nothing. */
static int
write_range(int dfd, const char *uid, uint32_t first)
{
	char	path[PATH_MAX], tmp[PATH_MAX], buf[USERNS_TEXT_MAX];
	int	fd, len, pfd;

	snprintf(path, sizeof(path), "%s/" USERNS_FILE, uid);
	snprintf(tmp, sizeof(tmp), "%s/." USERNS_FILE ".tmp", uid);
	len = snprintf(buf, sizeof(buf), "%" PRIu32 "\n", first);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) == -1) {
		close(fd);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	close(fd);
	if (renameat(dfd, tmp, dfd, path) == -1) {
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	if ((pfd = openat(dfd, uid, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)fsync(pfd);
		close(pfd);
	}
	return 0;
}

/*
 * The pod's range: the one written, or (create) a free one, written now.
 * Without create, a pod whose range is not written has lost it: its
 * sandbox has a range the agent no longer knows, and no container is
 * made in it with another.
 */
int
userns_range(const struct agent *a, const char *uid, bool create,
    uint32_t *first, char *err, size_t errlen)
{
	char	dir[PATH_MAX];
	int	dfd, ret = -1;

	snprintf(dir, sizeof(dir), "%s/pods", a->cfg.statedir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 &&
	    (create || errno != ENOENT)) {
		snprintf(err, errlen, "user namespace: %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (dfd != -1 && read_range(dfd, uid, first) == 0) {
		ret = 0;
		goto out;
	}
	if (!create) {
		snprintf(err, errlen, "user namespace: the range of the pod's "
		    "sandbox is not in %s/%s/" USERNS_FILE "; the sandbox is "
		    "made anew once removed", dir, uid);
		goto out;
	}
	if (free_range(dfd, first) == -1) {
		snprintf(err, errlen, "user namespace: all %d ranges of %d IDs "
		    "are in use", USERNS_SLOTS, USERNS_LENGTH);
		goto out;
	}
	if (write_range(dfd, uid, *first) == -1) {
		snprintf(err, errlen, "user namespace: %s/%s/" USERNS_FILE
		    ": %s", dir, uid, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (dfd != -1)
		close(dfd);
	return ret;
}
