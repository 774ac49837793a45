/*
 * The operations a sandboxed child tries, each reduced to one outcome
 * string: "ok", "errno EACCES", "gai ...", "curl N ...". A signal that
 * kills the child is seen by the runner, not here.
 */
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "parser.h"
#include "try_sandbox.h"

#define READ_MAX	(64 * 1024)	/* bytes a step reads of a file */
#define HTTPS_TIMEOUT_S	10L
#define DIRENT_BUF	4096
#define SORT_NAMES	((size_t)2000)	/* a burst the directory test makes */
#define SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

void
op_errno(char *res, size_t len, int err)
{
	const char	*name = strerrorname_np(err);

	if (name != NULL)
		snprintf(res, len, "errno %s", name);
	else
		snprintf(res, len, "errno %d", err);
}

/* "errno E at what": a multi-call step says which call failed. */
static void
op_errno_at(char *res, size_t len, int err, const char *what)
{
	char	e[48];

	op_errno(e, sizeof(e), err);
	snprintf(res, len, "%s at %s", e, what);
}

static void
op_open_read(const char *path, char *res, size_t len)
{
	char	c;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		op_errno(res, len, errno);
		return;
	}
	if (read(fd, &c, 1) == -1)
		op_errno_at(res, len, errno, "read");
	else
		snprintf(res, len, "ok");
	close(fd);
}

static void
op_mkdir(const struct env *e, const char *rel, char *res, size_t len)
{
	char path[PATH_MAX];

	/* a name of this run's own: the control run's stays behind */
	snprintf(path, sizeof(path), "%s/%s.%d", e->base, rel, (int)getpid());
	if (mkdir(path, 0755) == -1)
		op_errno(res, len, errno);
	else
		snprintf(res, len, "ok");
}

static void
op_create(const struct env *e, const char *rel, char *res, size_t len)
{
	char	path[PATH_MAX];
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", e->base, rel);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		op_errno(res, len, errno);
		return;
	}
	if (write(fd, "x", 1) != 1)
		op_errno_at(res, len, errno, "write");
	else if (unlink(path) == -1)
		op_errno_at(res, len, errno, "unlink");
	else
		snprintf(res, len, "ok");
	close(fd);
}

static void
op_execve(const char *path, char *res, size_t len)
{
	char	*argv[] = { (char *)path, NULL };
	char	*envp[] = { NULL };

	execve(path, argv, envp);
	op_errno(res, len, errno);
}

static void
op_socket(int family, char *res, size_t len)
{
	int	fd, type = SOCK_STREAM, proto = 0;

	if (family == AF_NETLINK) {
		type = SOCK_RAW;
		proto = 0;	/* NETLINK_ROUTE, what getaddrinfo asks */
	}
	if ((fd = socket(family, type | SOCK_CLOEXEC, proto)) == -1) {
		op_errno(res, len, errno);
		return;
	}
	close(fd);
	snprintf(res, len, "ok");
}

static void
op_fork(char *res, size_t len)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1) {
		op_errno(res, len, errno);
		return;
	}
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) == -1)
		op_errno_at(res, len, errno, "waitpid");
	else
		snprintf(res, len, "ok");
}

static void *
thread_main(void *arg)
{
	return arg;
}

static void
op_thread(char *res, size_t len)
{
	pthread_t	 t;
	void		*out = NULL;
	int		 rc;

	if ((rc = pthread_create(&t, NULL, thread_main, res)) != 0) {
		op_errno(res, len, rc);
		return;
	}
	if ((rc = pthread_join(t, &out)) != 0)
		op_errno_at(res, len, rc, "pthread_join");
	else if (out != res)
		snprintf(res, len, "thread returned %p", out);
	else
		snprintf(res, len, "ok");
}

static void
op_getaddrinfo(const char *host, char *res, size_t len)
{
	struct addrinfo	 hints, *ai = NULL;
	int		 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, "443", &hints, &ai)) != 0) {
		snprintf(res, len, "gai %s", gai_strerror(rc));
		return;
	}
	freeaddrinfo(ai);
	snprintf(res, len, "ok");
}

struct body {
	char	buf[sizeof(HTTPS_BODY) + 64];
	size_t	len;
};

static size_t
https_write(char *p, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 want = size * n;

	if (want > sizeof(b->buf) - 1 - b->len)
		return 0;	/* more than the server sends: a failure */
	memcpy(b->buf + b->len, p, want);
	b->len += want;
	b->buf[b->len] = '\0';
	return want;
}

/*
 * As the URL fetcher will: a host name through libcurl's threaded
 * resolver (glibc's getaddrinfo in a thread), TLS with a pinned CA.
 */
static void
op_https(const struct env *e, const char *host, char *res, size_t len)
{
	char		 url[256], err[CURL_ERROR_SIZE] = "";
	struct body	 b;
	CURL		*c;
	CURLcode	 rc;
	long		 code = 0;

	memset(&b, 0, sizeof(b));
	snprintf(url, sizeof(url), "https://%s:%d/", host, e->https_port);
	if ((c = curl_easy_init()) == NULL) {
		snprintf(res, len, "curl_easy_init failed");
		return;
	}
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CAINFO, e->ca) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, HTTPS_TIMEOUT_S) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, https_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b) != CURLE_OK) {
		snprintf(res, len, "curl_easy_setopt failed");
		goto out;
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(res, len, "curl %d %s", (int)rc,
		    err[0] != '\0' ? err : curl_easy_strerror(rc));
		goto out;
	}
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK ||
	    code != 200 || strcmp(b.buf, HTTPS_BODY) != 0)
		snprintf(res, len, "http %ld body %zu bytes", code, b.len);
	else
		snprintf(res, len, "ok");
out:
	curl_easy_cleanup(c);
}

static void
op_connect_tcp(const struct env *e, char *res, size_t len)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		op_errno_at(res, len, errno, "socket");
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)e->tcp_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		op_errno(res, len, errno);
	else
		snprintf(res, len, "ok");
	close(fd);
}

/*
 * State files as runtime/state.c writes them, by path (glibc calls
 * mkdir, rename and unlink by their own syscalls on x86_64), then the
 * same by directory fd (mkdirat, openat, renameat, unlinkat).
 */
static void
op_state_write(const struct env *e, char *res, size_t len)
{
	char	dir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX];
	int	dfd = -1, fd = -1;

	snprintf(res, len, "ok");
	snprintf(dir, sizeof(dir), "%s/state/pods", e->base);
	snprintf(tmp, sizeof(tmp), "%s/state/pods/.web.tmp", e->base);
	snprintf(path, sizeof(path), "%s/state/pods/web", e->base);
	if (mkdir(dir, 0700) == -1) {
		op_errno_at(res, len, errno, "mkdir");
		return;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || write(fd, "{}", 2) != 2 ||
	    fsync(fd) == -1) {
		op_errno_at(res, len, errno, "open, write, fsync");
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) == -1 || unlink(path) == -1) {
		op_errno_at(res, len, errno, "rename, unlink");
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1 || mkdirat(dfd, "sub", 0700) == -1) {
		op_errno_at(res, len, errno, "open dir, fsync, mkdirat");
		goto out;
	}
	if ((fd = openat(dfd, "web.json.tmp", O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) == -1 || write(fd, "{}", 2) != 2 ||
	    fdatasync(fd) == -1) {
		op_errno_at(res, len, errno, "openat, write, fdatasync");
		goto out;
	}
	if (renameat(dfd, "web.json.tmp", dfd, "web.json") == -1 ||
	    unlinkat(dfd, "web.json", 0) == -1 ||
	    unlinkat(dfd, "sub", AT_REMOVEDIR) == -1)
		op_errno_at(res, len, errno, "renameat, unlinkat");
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	if (unlinkat(AT_FDCWD, dir, AT_REMOVEDIR) == -1 &&
	    strcmp(res, "ok") == 0)
		op_errno_at(res, len, errno, "unlinkat dir");
}

static int
sha256(const unsigned char *p, size_t n, unsigned char *md)
{
	unsigned int	mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	return 0;
}

/*
 * The broker's part, end to end: watch and list the manifest directory,
 * open a manifest beneath it safely, hash it, seal it into a memfd, and
 * the event loop's fds.
 */
static void
op_broker(const struct env *e, char *res, size_t len)
{
	char			 dir[PATH_MAX], ents[DIRENT_BUF];
	unsigned char		*buf = NULL, md[32];
	struct epoll_event	 ev;
	struct itimerspec	 its;
	struct stat		 st;
	sigset_t		 mask;
	ssize_t			 n;
	int			 dfd = -1, ifd = -1, fd = -1, mfd = -1;
	int			 ep = -1, tfd = -1, sfd = -1;

	snprintf(res, len, "ok");
	snprintf(dir, sizeof(dir), "%s/etc/manifests", e->base);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		op_errno_at(res, len, errno, "open dir");
		goto out;
	}
	if ((ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) == -1 ||
	    inotify_add_watch(ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF) == -1) {
		op_errno_at(res, len, errno, "inotify");
		goto out;
	}
	if ((n = syscall(SYS_getdents64, dfd, ents, sizeof(ents))) <= 0) {
		op_errno_at(res, len, n == 0 ? ENOENT : errno, "getdents64");
		goto out;
	}
	if ((fd = openat(dfd, "web.yaml", O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		op_errno_at(res, len, errno, "openat manifest");
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > READ_MAX ||
	    (buf = malloc((size_t)st.st_size)) == NULL ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size ||
	    sha256(buf, (size_t)st.st_size, md) == -1) {
		snprintf(res, len, "manifest read or hash failed");
		goto out;
	}
	if ((mfd = memfd_create("manifest", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1 ||
	    write(mfd, buf, (size_t)st.st_size) != st.st_size ||
	    fcntl(mfd, F_ADD_SEALS, SEALS) == -1 ||
	    lseek(mfd, 0, SEEK_SET) == -1) {
		op_errno_at(res, len, errno, "memfd");
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = 20;
	if (sigemptyset(&mask) == -1 || sigaddset(&mask, SIGTERM) == -1 ||
	    sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC |
	    TFD_NONBLOCK)) == -1 ||
	    timerfd_settime(tfd, 0, &its, NULL) == -1 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, ifd, &ev) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) == -1 ||
	    epoll_wait(ep, &ev, 1, 0) == -1) {
		op_errno_at(res, len, errno, "event loop fds");
		goto out;
	}
out:
	free(buf);
	if (sfd != -1)
		close(sfd);
	if (tfd != -1)
		close(tfd);
	if (ep != -1)
		close(ep);
	if (mfd != -1)
		close(mfd);
	if (fd != -1)
		close(fd);
	if (ifd != -1)
		close(ifd);
	if (dfd != -1)
		close(dfd);
}

static int
send_fd(int sock, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;
	char		 byte = 'F';

	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static void
op_cri_send_fd(const struct env *e, char *res, size_t len)
{
	struct sockaddr_un	sun;
	int			s, mfd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/run/cri.sock", e->base) >= sizeof(sun.sun_path)) {
		snprintf(res, len, "socket path too long");
		return;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		op_errno_at(res, len, errno, "socket");
		return;
	}
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		op_errno_at(res, len, errno, "connect");
	else if ((mfd = memfd_create("fd", MFD_CLOEXEC)) == -1)
		op_errno_at(res, len, errno, "memfd_create");
	else if (send_fd(s, mfd) == -1)
		op_errno_at(res, len, errno, "sendmsg");
	else
		snprintf(res, len, "ok");
	if (mfd != -1)
		close(mfd);
	close(s);
}

static int
recv_fd(int sock)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;
	char		 byte;
	int		 fd;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	if ((c = CMSG_FIRSTHDR(&msg)) == NULL || c->cmsg_level != SOL_SOCKET ||
	    c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The directory fetcher's work: a memfd from the broker, parsed. */
static void
op_recv_parse(const struct env *e, char *res, size_t len)
{
	struct parse_opts	 opts;
	struct parse_result	 pr;
	struct stat		 st;
	uint8_t			*buf = NULL;
	int			 fd;

	if ((fd = recv_fd(e->chan[1])) == -1) {
		op_errno_at(res, len, errno, "recvmsg");
		return;
	}
	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    st.st_size > READ_MAX ||
	    (buf = malloc((size_t)st.st_size)) == NULL ||
	    pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		op_errno_at(res, len, errno, "read memfd");
		goto out;
	}
	memset(&opts, 0, sizeof(opts));
	opts.node_name = "node1";
	opts.source = "file:/etc/kubernetes/manifests/web.yaml";
	if (parser_parse(buf, (size_t)st.st_size, &opts, &pr) == -1 ||
	    pr.npods != 1)
		snprintf(res, len, "parse failed: %zu pods, %zu errors",
		    pr.npods, pr.diags.n);
	else
		snprintf(res, len, "ok");
	parse_result_free(&pr);
out:
	free(buf);
	close(fd);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A burst of files, sorted as fetcher/source_dir.c sorts them: glibc's
 * qsort sizes its merge buffer by physical memory (sysinfo) once the
 * array passes a few kilobytes.
 */
static void
op_sort_listing(char *res, size_t len)
{
	char	**names;
	size_t	  i;

	if ((names = calloc(SORT_NAMES, sizeof(*names))) == NULL) {
		op_errno(res, len, errno);
		return;
	}
	for (i = 0; i < SORT_NAMES; i++)
		if (asprintf(&names[i], "burst%zu.yaml", SORT_NAMES - i) == -1)
			names[i] = NULL;
	for (i = 0; i < SORT_NAMES && names[i] != NULL; i++)
		;
	if (i < SORT_NAMES)
		snprintf(res, len, "asprintf failed");
	else {
		qsort(names, SORT_NAMES, sizeof(*names), cmp_names);
		snprintf(res, len, "ok");
	}
	for (i = 0; i < SORT_NAMES; i++)
		free(names[i]);
	free(names);
}

/* What runtime/env.c reads for a resourceFieldRef without a limit. */
static void
op_node_resources(char *res, size_t len)
{
	long	cpus, pages, psize;

	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pages = sysconf(_SC_PHYS_PAGES);
	psize = sysconf(_SC_PAGESIZE);
	if (cpus < 1 || pages < 1 || psize < 1)
		snprintf(res, len, "sysconf: %ld CPUs, %ld pages of %ld", cpus,
		    pages, psize);
	else
		snprintf(res, len, "ok");
}

/*
 * fsGroup as runtime/volumes.c does it: the group changed (CAP_CHOWN: it
 * is not one of root's) and the setgid bit set, which chmod silently
 * drops without CAP_FSETID for a group the caller is not in.
 */
static void
op_fsgroup(const struct env *e, char *res, size_t len)
{
	char		dir[PATH_MAX];
	struct stat	st;
	int		fd;

	snprintf(dir, sizeof(dir), "%s/state/fsgroup", e->base);
	if (mkdir(dir, 0755) == -1) {
		op_errno_at(res, len, errno, "mkdir");
		return;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		op_errno_at(res, len, errno, "open");
		goto out;
	}
	if (fchown(fd, (uid_t)-1, POD_FSGROUP) == -1)
		op_errno_at(res, len, errno, "fchown");
	else if (fchmod(fd, 02777) == -1 || fstat(fd, &st) == -1)
		op_errno_at(res, len, errno, "fchmod");
	else if (st.st_gid != POD_FSGROUP || (st.st_mode & 07777) != 02777)
		snprintf(res, len, "mode %04o group %u", st.st_mode & 07777,
		    (unsigned int)st.st_gid);
	else
		snprintf(res, len, "ok");
	close(fd);
out:
	if (unlinkat(AT_FDCWD, dir, AT_REMOVEDIR) == -1 &&
	    strcmp(res, "ok") == 0)
		op_errno_at(res, len, errno, "unlinkat");
}

/*
 * A volume a container filled with its own 0700 directory, removed as
 * runtime/volumes.c's rm_tree does: opened up with fchmodat (CAP_FOWNER),
 * listed through fdopendir, emptied with unlinkat.
 */
static void
op_empty_volume(const struct env *e, char *res, size_t len)
{
	char		 dir[PATH_MAX];
	struct dirent	*de;
	DIR		*d = NULL;
	int		 dfd = -1, fd = -1;

	snprintf(res, len, "ok");
	snprintf(dir, sizeof(dir), "%s/state", e->base);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		op_errno_at(res, len, errno, "open state");
		return;
	}
	if (fchmodat(dfd, "vol", 0777, 0) == -1) {
		op_errno_at(res, len, errno, "fchmodat");
		goto out;
	}
	if ((fd = openat(dfd, "vol", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		op_errno_at(res, len, errno, "open vol");
		goto out;
	}
	fd = -1;	/* the DIR owns it */
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			op_errno_at(res, len, errno, "unlinkat");
			goto out;
		}
	}
	if (errno != 0)
		op_errno_at(res, len, errno, "readdir");
	else if (unlinkat(dfd, "vol", AT_REMOVEDIR) == -1)
		op_errno_at(res, len, errno, "unlinkat vol");
out:
	if (d != NULL)
		closedir(d);
	if (fd != -1)
		close(fd);
	close(dfd);
}

void
op_run(enum op op, const char *arg, int num, const struct env *e, char *res,
    size_t len)
{
	snprintf(res, len, "ok");
	switch (op) {
	case OP_NOP:
	case OP_PAUSE:
		break;
	case OP_OPEN_READ:
		op_open_read(arg, res, len);
		break;
	case OP_CREATE:
		op_create(e, arg, res, len);
		break;
	case OP_MKDIR:
		op_mkdir(e, arg, res, len);
		break;
	case OP_EXECVE:
		op_execve(arg, res, len);
		break;
	case OP_PTRACE:
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1)
			op_errno(res, len, errno);
		break;
	case OP_SOCKET:
		op_socket(num, res, len);
		break;
	case OP_CLONE3:
		/* invalid arguments: EINVAL from the kernel, if it is asked */
		if (syscall(SYS_clone3, NULL, (size_t)0) == -1)
			op_errno(res, len, errno);
		break;
	case OP_FORK:
		op_fork(res, len);
		break;
	case OP_THREAD:
		op_thread(res, len);
		break;
	case OP_GETADDRINFO:
		op_getaddrinfo(arg, res, len);
		break;
	case OP_HTTPS:
		op_https(e, arg, res, len);
		break;
	case OP_CONNECT_TCP:
		op_connect_tcp(e, res, len);
		break;
	case OP_STATE_WRITE:
		op_state_write(e, res, len);
		break;
	case OP_BROKER:
		op_broker(e, res, len);
		break;
	case OP_CRI_SEND_FD:
		op_cri_send_fd(e, res, len);
		break;
	case OP_RECV_PARSE:
		op_recv_parse(e, res, len);
		break;
	case OP_SORT_LISTING:
		op_sort_listing(res, len);
		break;
	case OP_NODE_RESOURCES:
		op_node_resources(res, len);
		break;
	case OP_FSGROUP:
		op_fsgroup(e, res, len);
		break;
	case OP_EMPTY_VOLUME:
		op_empty_volume(e, res, len);
		break;
	default:
		snprintf(res, len, "unknown op %d", (int)op);
		break;
	}
}
