/*
 * The file broker (Chromium's syscall-broker pattern). Manifests are
 * root:root 0600 in a 0700 directory, as the CIS benchmark requires, so
 * the directory fetcher cannot open them: it asks, and the runtime checks
 * the name, opens the file without following links or blocking, checks
 * what it opened, copies the bytes into a sealed memfd and hashes them.
 * The runtime reads the bytes but never parses them; the hash it computes
 * is the one the audit log records.
 */
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "names.h"
#include "sha256.h"

#define BROKER_INOTIFY_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
	IN_DELETE | IN_ATTRIB | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | \
	IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define BROKER_READ_CHUNK	(64 * 1024)

static const char *
file_type(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "not a regular file";
}

/*
 * Opens the manifest directory (or, when staticPodPath is one file, its
 * parent) and an inotify fd watching it, for the fetcher to list and
 * watch through. The runtime keeps its own dirfd for opening.
 */
int
broker_open_dir(struct agent *a, int *dirfd, int *inofd, char *why,
    size_t len)
{
	int fd, ino;

	fd = open(a->manifest_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, len, "%s: %s", a->manifest_dir, strerror(errno));
		return -1;
	}
	if ((ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		fatal("inotify_init1");
	if (inotify_add_watch(ino, a->manifest_dir, BROKER_INOTIFY_MASK) ==
	    -1) {
		snprintf(why, len, "watch %s: %s", a->manifest_dir,
		    strerror(errno));
		close(fd);
		close(ino);
		return -1;
	}
	if (a->dirfd != -1)
		close(a->dirfd);
	if ((a->dirfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		fatal("dup");
	*dirfd = fd;
	*inofd = ino;
	return 0;
}

static int
refuse(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int
check_stat(const struct agent *a, const struct stat *st, char *why,
    size_t len)
{
	if (!S_ISREG(st->st_mode))
		return refuse(why, len, "%s", file_type(st->st_mode));
	if (a->cfg.manifestownercheck && st->st_uid != 0)
		return refuse(why, len, "owned by uid %u, not root",
		    (unsigned)st->st_uid);
	if (a->cfg.manifestownercheck &&
	    (st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return refuse(why, len, "mode %04o lets others write it",
		    (unsigned)(st->st_mode & 07777));
	if (st->st_size > a->cfg.maxmanifestbytes)
		return refuse(why, len, "%lld bytes, over the limit of %lld",
		    (long long)st->st_size, (long long)a->cfg.maxmanifestbytes);
	return 0;
}

/* Copies at most max bytes into a sealed memfd, hashing as it goes. */
static int
copy_sealed(int fd, size_t max, int *memfd, uint8_t sha256[32], size_t *size,
    char *why, size_t len)
{
	struct sha256	 ctx;
	uint8_t		*buf;
	size_t		 total = 0;
	ssize_t		 n;
	int		 mfd, ret = -1;

	if ((mfd = memfd_create("manifest", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		fatal("memfd_create");
	if ((buf = malloc(BROKER_READ_CHUNK)) == NULL)
		fatal("broker");
	sha256_init(&ctx);
	for (;;) {
		n = read(fd, buf, BROKER_READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			refuse(why, len, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (total + (size_t)n > max) {
			refuse(why, len, "grew over the limit of %zu bytes "
			    "while being read", max);
			goto out;
		}
		if (write(mfd, buf, (size_t)n) != n)
			fatal("memfd write");
		sha256_update(&ctx, buf, (size_t)n);
		total += (size_t)n;
	}
	sha256_final(&ctx, sha256);
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		fatal("memfd seal");
	if (lseek(mfd, 0, SEEK_SET) == -1)
		fatal("memfd seek");
	*memfd = mfd;
	mfd = -1;
	*size = total;
	ret = 0;
out:
	if (mfd != -1)
		close(mfd);
	free(buf);
	return ret;
}

/*
 * Opens one manifest for the fetcher. Checks the type before opening, so
 * a device is never opened, and again after, on the fd itself, so a file
 * swapped in between is caught.
 */
static int
broker_read(struct agent *a, const char *name, int *memfd, uint8_t sha[32],
    size_t *size, char *why, size_t len)
{
	struct stat	 before, st;
	const char	*r;
	int		 fd, ret;

	if (a->only_name[0] != '\0') {
		if (strcmp(name, a->only_name) != 0)
			return refuse(why, len, "not the configured file");
	} else if ((r = manifest_name_refusal(name)) != NULL)
		return refuse(why, len, "%s", r);
	if (a->dirfd == -1)
		return refuse(why, len, "the manifest directory is missing");
	if (fstatat(a->dirfd, name, &before, AT_SYMLINK_NOFOLLOW) == -1)
		return refuse(why, len, "%s", strerror(errno));
	if (check_stat(a, &before, why, len) == -1)
		return -1;
	fd = openat(a->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return refuse(why, len, "open: %s", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
	if (fstat(fd, &st) == -1)
		fatal("fstat");
	if (st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
		close(fd);
		return refuse(why, len, "replaced while being opened");
	}
	ret = check_stat(a, &st, why, len);
	if (ret == 0)
		ret = copy_sealed(fd, (size_t)a->cfg.maxmanifestbytes, memfd,
		    sha, size, why, len);
	close(fd);
	return ret;
}

static void
remember(struct channel *c, const char *name, const uint8_t sha[32])
{
	struct served	*s;
	size_t		 i;

	for (i = 0; i < c->nserved; i++)
		if (strcmp(c->served[i].name, name) == 0) {
			memcpy(c->served[i].sha256, sha, 32);
			return;
		}
	if (c->nserved == AGENT_PODS_MAX * 4)
		fatalx("%s: more than %d files served", c->what,
		    AGENT_PODS_MAX * 4);
	if ((s = reallocarray(c->served, c->nserved + 1, sizeof(*s))) == NULL)
		fatal("broker");
	c->served = s;
	s = &c->served[c->nserved++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	memcpy(s->sha256, sha, 32);
}

void
broker_open(struct agent *a, struct channel *c, const char *name)
{
	Spw__Wire	 w = SPW__WIRE__INIT;
	Spw__Opened	 o = SPW__OPENED__INIT;
	uint8_t		 sha[32];
	char		 why[256];
	size_t		 size = 0;
	int		 memfd = -1;

	o.name = (char *)name;
	o.has_ok = 1;
	if (!bucket_take(&c->opens, now_ms())) {
		o.ok = 0;
		o.reason = "too many requests; retried at the next re-list";
	} else if (broker_read(a, name, &memfd, sha, &size, why,
	    sizeof(why)) == -1) {
		o.ok = 0;
		o.reason = why;
		log_debug("broker: refused %s: %s", name, why);
	} else {
		o.ok = 1;
		o.has_sha256 = 1;
		o.sha256.data = sha;
		o.sha256.len = sizeof(sha);
		o.has_size = 1;
		o.size = size;
		remember(c, name, sha);
	}
	w.body_case = SPW__WIRE__BODY_OPENED;
	w.opened = &o;
	if (wire_send(c->fd, &w, memfd != -1 ? &memfd : NULL,
	    memfd != -1 ? 1 : 0, AGENT_SEND_TIMEOUT_MS) == -1)
		fatal("%s: send", c->what);
	if (memfd != -1)
		close(memfd);
}
