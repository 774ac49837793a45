/*
 * The directory source: turns the manifest directory into the runtime's
 * view of the pods it wants. It lists through the directory fd and watches
 * through the inotify fd the runtime gave it, and has the runtime open
 * each file (the files are root's 0600; this process cannot read them).
 *
 * inotify gives immediate pick-up; a full re-list every fileCheckFrequency
 * is the safety net and the only time a view is declared complete. A file
 * that fails to parse keeps its last admitted pod, and its error is
 * reported once per change of the file, not once per re-list.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetcher.h"
#include "log.h"
#include "names.h"

#define DIR_FILES_MAX		4000	/* names considered in one listing */
#define DIR_GETDENTS_BUF	(32 * 1024)
#define DIR_REOPEN_MS		1000	/* a missing directory is retried */
#define DIR_INOTIFY_BUF		(64 * 1024)
#define DIR_ERR_MAX		1024

struct dfile {
	char			 name[NAME_MAX + 1];
	bool			 have_sha;
	uint8_t			 sha256[32];
	bool			 ok;		/* res holds its pod */
	struct parse_result	 res;
	char			 err[DIR_ERR_MAX];	/* last reported */
	bool			 listed;	/* in the current listing */
	bool			 sent;		/* the runtime knows the key */
};

struct dir_source {
	int			 sock;
	struct wire_rx		*rx;
	const Spw__Role		*role;
	int			 dirfd;
	int			 inofd;
	const char		*only_name;
	const char		*path;
	size_t			 max_bytes;
	int64_t			 relist_ms;
	struct dfile		*files;
	size_t			 nfiles;
	bool			 missing_said;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
wanted(const struct dir_source *s, const char *name)
{
	if (s->only_name != NULL)
		return strcmp(name, s->only_name) == 0;
	return manifest_name_refusal(name) == NULL;
}

static struct dfile *
file_get(struct dir_source *s, const char *name, bool create)
{
	struct dfile	*f;
	size_t		 i;

	for (i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i].name, name) == 0)
			return &s->files[i];
	if (!create || s->nfiles == DIR_FILES_MAX)
		return NULL;
	if ((f = reallocarray(s->files, s->nfiles + 1, sizeof(*f))) == NULL)
		fatal("dir");
	s->files = f;
	f = &s->files[s->nfiles++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

static void
file_forget(struct dir_source *s, struct dfile *f)
{
	if (f->ok)
		parse_result_free(&f->res);
	*f = s->files[--s->nfiles];
}

static void
send_upsert(struct dir_source *s, struct dfile *f)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__PodUpsert	u = SPW__POD_UPSERT__INIT;

	u.key = f->name;
	u.pod = f->res.pods[0].pod;
	u.has_sha256 = 1;
	u.sha256.data = f->sha256;
	u.sha256.len = 32;
	w.podupsert = &u;
	chan_send(s->sock, &w, SPW__WIRE__BODY_POD_UPSERT);
	f->sent = true;
}

/* Reports an error for a file once; repeats only keep its pod. */
static void
send_error(struct dir_source *s, struct dfile *f, const char *msg)
{
	Spw__Wire	  w = SPW__WIRE__INIT;
	Spw__SourceError e = SPW__SOURCE_ERROR__INIT;

	e.key = f->name;
	e.message = (char *)msg;
	e.has_unchanged = 1;
	e.unchanged = strcmp(f->err, msg) == 0;
	w.sourceerror = &e;
	chan_send(s->sock, &w, SPW__WIRE__BODY_SOURCE_ERROR);
	snprintf(f->err, sizeof(f->err), "%s", msg);
}

static void
send_remove(struct dir_source *s, const char *name)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__PodRemove	r = SPW__POD_REMOVE__INIT;

	r.key = (char *)name;
	w.podremove = &r;
	chan_send(s->sock, &w, SPW__WIRE__BODY_POD_REMOVE);
}

static uint8_t *
read_memfd(int fd, size_t size, size_t max)
{
	uint8_t	*buf;
	size_t	 off = 0;
	ssize_t	 n;

	if (size > max || (buf = malloc(size + 1)) == NULL)
		return NULL;
	while (off < size) {
		n = pread(fd, buf + off, size - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		off += (size_t)n;
	}
	return buf;
}

static void
parse_into(struct dir_source *s, struct dfile *f, const uint8_t *buf,
    size_t len)
{
	struct parse_opts	o = { 0 };
	struct parse_result	res;
	char			source[PATH_MAX + 8], line[DIR_ERR_MAX];

	if (s->only_name != NULL)
		snprintf(source, sizeof(source), "file:%s", s->path);
	else
		snprintf(source, sizeof(source), "file:%s/%s", s->path,
		    f->name);
	o.node_name = s->role->nodename;
	o.source = source;
	o.max_bytes = s->max_bytes;
	if (parser_parse(buf, len, &o, &res) == -1) {
		diag_format(&res.diags.item[0], f->name, line, sizeof(line));
		if (diag_count(&res.diags) > 1)
			snprintf(line + strlen(line), sizeof(line) -
			    strlen(line), " (and %zu more errors)",
			    diag_count(&res.diags) - 1);
		parse_result_free(&res);
		send_error(s, f, line);
		return;
	}
	if (f->ok)
		parse_result_free(&f->res);
	f->res = res;
	f->ok = true;
	f->err[0] = '\0';
	send_upsert(s, f);
}

/*
 * One file, through the broker: unchanged bytes (same hash) are not parsed
 * again; the runtime is told what it needs to keep its view exact.
 */
static void
process(struct dir_source *s, const char *name)
{
	Spw__Wire	 w = SPW__WIRE__INIT;
	Spw__Open	 o = SPW__OPEN__INIT;
	struct wire_msg	 m;
	struct dfile	*f;
	const Spw__Opened *r;
	uint8_t		*buf;
	char		 msg[DIR_ERR_MAX];

	if ((f = file_get(s, name, true)) == NULL) {
		log_warnx("%s: more than %d manifests; %s ignored", s->path,
		    DIR_FILES_MAX, name);
		return;
	}
	f->listed = true;
	o.name = (char *)name;
	w.open = &o;
	chan_send(s->sock, &w, SPW__WIRE__BODY_OPEN);
	chan_expect(s->sock, s->rx, &m, SPW__WIRE__BODY_OPENED, 1);
	r = m.w->opened;
	if (r->name == NULL || strcmp(r->name, name) != 0)
		fatalx("from the runtime: an answer for another file");
	if (!r->ok || m.nfds != 1) {
		snprintf(msg, sizeof(msg), "%s: skipped: %s", name,
		    r->reason != NULL ? r->reason : "refused");
		send_error(s, f, msg);
		goto out;
	}
	if (f->ok && f->have_sha && r->sha256.len == 32 &&
	    memcmp(f->sha256, r->sha256.data, 32) == 0) {
		send_upsert(s, f);	/* unchanged: same pod, no parsing */
		goto out;
	}
	if (r->sha256.len == 32) {
		memcpy(f->sha256, r->sha256.data, 32);
		f->have_sha = true;
	}
	if ((buf = read_memfd(m.fds[0], r->size, s->max_bytes)) == NULL) {
		snprintf(msg, sizeof(msg), "%s: cannot read", name);
		send_error(s, f, msg);
		goto out;
	}
	parse_into(s, f, buf, r->size);
	free(buf);
out:
	wire_msg_free(&m);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the directory, through the fd the runtime gave us. */
static size_t
list_names(struct dir_source *s, char ***out)
{
	struct dirent64	*de;
	char		*buf, **names = NULL;
	size_t		 n = 0;
	long		 got, off;

	if ((buf = malloc(DIR_GETDENTS_BUF)) == NULL)
		fatal("dir");
	if (lseek(s->dirfd, 0, SEEK_SET) == -1)
		log_warn("%s: rewind", s->path);
	while ((got = syscall(SYS_getdents64, s->dirfd, buf,
	    DIR_GETDENTS_BUF)) > 0) {
		for (off = 0; off < got; off += de->d_reclen) {
			de = (struct dirent64 *)(buf + off);
			if (!wanted(s, de->d_name) || n == DIR_FILES_MAX)
				continue;
			if ((names = reallocarray(names, n + 1,
			    sizeof(*names))) == NULL ||
			    (names[n] = strdup(de->d_name)) == NULL)
				fatal("dir");
			n++;
		}
	}
	if (got == -1)
		log_warn("%s: list", s->path);
	free(buf);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	return n;
}

/* A complete view: every file the directory holds, then END. */
static void
relist(struct dir_source *s)
{
	Spw__Wire	  w = SPW__WIRE__INIT;
	Spw__SnapshotBegin b = SPW__SNAPSHOT_BEGIN__INIT;
	Spw__SnapshotEnd  e = SPW__SNAPSHOT_END__INIT;
	char		**names = NULL;
	size_t		  n, i;

	w.snapshotbegin = &b;
	chan_send(s->sock, &w, SPW__WIRE__BODY_SNAPSHOT_BEGIN);
	for (i = 0; i < s->nfiles; i++)
		s->files[i].listed = false;
	n = s->dirfd != -1 ? list_names(s, &names) : 0;
	for (i = 0; i < n; i++) {
		process(s, names[i]);
		free(names[i]);
	}
	free(names);
	for (i = s->nfiles; i-- > 0;)
		if (!s->files[i].listed)
			file_forget(s, &s->files[i]);
	w.snapshotend = &e;
	chan_send(s->sock, &w, SPW__WIRE__BODY_SNAPSHOT_END);
}

static void
lost_dir(struct dir_source *s)
{
	if (s->dirfd != -1)
		close(s->dirfd);
	if (s->inofd != -1)
		close(s->inofd);
	s->dirfd = s->inofd = -1;
}

/* Asks the runtime for fresh fds; false while the directory is missing. */
static bool
reopen(struct dir_source *s)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__Reopen	r = SPW__REOPEN__INIT;
	struct wire_msg	m;
	bool		ok;

	w.reopen = &r;
	chan_send(s->sock, &w, SPW__WIRE__BODY_REOPEN);
	chan_expect(s->sock, s->rx, &m, SPW__WIRE__BODY_REOPENED, 2);
	ok = m.w->reopened->ok && m.nfds == 2;
	if (ok) {
		s->dirfd = m.fds[0];
		s->inofd = m.fds[1];
		m.fds[0] = m.fds[1] = -1;
		log_info("%s: watching again", s->path);
		s->missing_said = false;
	} else if (!s->missing_said) {
		log_warnx("%s: %s; retrying every %d ms", s->path,
		    m.w->reopened->reason != NULL ? m.w->reopened->reason :
		    "missing", DIR_REOPEN_MS);
		s->missing_said = true;
	}
	wire_msg_free(&m);
	return ok;
}

static void
on_removed(struct dir_source *s, const char *name)
{
	struct dfile *f;

	if ((f = file_get(s, name, false)) == NULL)
		return;
	if (f->sent)
		send_remove(s, name);
	file_forget(s, f);
}

/* Returns false when the directory itself went away. */
static bool
on_inotify(struct dir_source *s)
{
	const struct inotify_event	*ev;
	char				*buf;
	ssize_t				 n;
	size_t				 off;
	bool				 alive = true, overflow = false;

	if ((buf = malloc(DIR_INOTIFY_BUF)) == NULL)
		fatal("dir");
	while ((n = read(s->inofd, buf, DIR_INOTIFY_BUF)) > 0) {
		for (off = 0; off < (size_t)n; off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
			    IN_IGNORED | IN_UNMOUNT))
				alive = false;
			if (ev->mask & IN_Q_OVERFLOW)
				overflow = true;
			if (ev->len == 0 || !wanted(s, ev->name))
				continue;
			if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
				on_removed(s, ev->name);
			else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO |
			    IN_ATTRIB))
				process(s, ev->name);
		}
	}
	free(buf);
	if (overflow && alive)
		relist(s);
	return alive;
}

void
dir_run(int sock, struct wire_rx *rx, const Spw__Role *role, int dirfd,
    int inofd)
{
	struct dir_source	 s;
	struct pollfd		 pfd[2];
	int64_t			 next, now;
	int			 n, timeout;

	memset(&s, 0, sizeof(s));
	s.sock = sock;
	s.rx = rx;
	s.role = role;
	s.dirfd = dirfd;
	s.inofd = inofd;
	s.only_name = role->onlyname;
	s.path = role->config->staticpodpath;
	s.max_bytes = (size_t)role->config->maxmanifestbytes;
	s.relist_ms = role->config->filecheckfrequencyms;
	/* no view at all while the directory is missing: its pods stay */
	if (s.dirfd != -1 || reopen(&s))
		relist(&s);
	next = mono_ms() + s.relist_ms;
	for (;;) {
		now = mono_ms();
		timeout = (int)(next - now);
		if (s.dirfd == -1 && timeout > DIR_REOPEN_MS)
			timeout = DIR_REOPEN_MS;
		pfd[0].fd = sock;
		pfd[0].events = POLLIN;
		pfd[1].fd = s.inofd;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, timeout < 0 ? 0 : timeout);
		if (n == -1 && errno != EINTR)
			fatal("poll");
		if (n > 0 && (pfd[0].revents & (POLLHUP | POLLERR)) != 0) {
			log_warnx("the runtime closed the channel; exiting");
			exit(1);
		}
		if (n > 0 && pfd[0].revents != 0)
			fatalx("the runtime sent a message out of turn");
		if (n > 0 && s.inofd != -1 && pfd[1].revents != 0 &&
		    !on_inotify(&s)) {
			log_warnx("%s: the directory went away; its pods "
			    "stay until it is back", s.path);
			lost_dir(&s);
		}
		if (s.dirfd == -1 && reopen(&s))
			relist(&s);
		if (mono_ms() >= next) {
			if (s.dirfd != -1)
				relist(&s);
			next = mono_ms() + s.relist_ms;
		}
	}
}
