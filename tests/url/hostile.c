/*
 * A plain-HTTP server on 127.0.0.1 that misbehaves on purpose, for what
 * nginx will not do: drip bytes, send an endless body, huge headers, a
 * redirect off the origin, a bare 304, an empty 200, a body cut short.
 * One forked child per connection answers one request. Every child dies
 * with the server (PR_SET_PDEATHSIG) and none runs longer than
 * HOSTILE_CHILD_MAX_S, so stopping the server's pid stops everything.
 *
 * usage: hostile PORTFILE DOCROOT
 *	writes the port it listens on to PORTFILE; /file/NAME serves
 *	DOCROOT/NAME with a Content-Length, the rest is in routes[].
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOSTILE_CHILD_MAX_S	60	/* no answer lasts longer */
#define HOSTILE_REQUEST_MAX	8192
#define HOSTILE_FILE_MAX	(4 * 1024 * 1024)
#define HOSTILE_HEADER_LINES	2000	/* 2000 x 48 bytes: past 32 KiB */
#define HOSTILE_GIANT_HEADER	(200 * 1024)	/* past libcurl's 100 KiB */

struct server {
	char	docroot[PATH_MAX];
	int	port;
};

static void
put(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(0);	/* the client went away */
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
puts_fd(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* DOCROOT/name, or NULL. */
static char *
slurp(const struct server *sv, const char *name, size_t *len)
{
	char		 path[PATH_MAX + 1024];
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	if (strchr(name, '/') != NULL || name[0] == '.')
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", sv->docroot, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || st.st_size > HOSTILE_FILE_MAX ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

static void
serve_file(int fd, const struct server *sv, const char *name)
{
	char	 hdr[256];
	char	*body;
	size_t	 len;

	if ((body = slurp(sv, name, &len)) == NULL) {
		puts_fd(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
		return;
	}
	snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", len);
	puts_fd(fd, hdr);
	put(fd, body, len);
	free(body);
}

static void
r_drip(int fd, const struct server *sv)
{
	int i;

	(void)sv;
	puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
	for (i = 0; i < HOSTILE_CHILD_MAX_S; i++) {
		put(fd, "#", 1);
		sleep(1);
	}
}

static void
r_endless(int fd, const struct server *sv)
{
	char	chunk[8192 + 16];
	time_t	end = time(NULL) + HOSTILE_CHILD_MAX_S;

	(void)sv;
	puts_fd(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	memset(chunk, '#', sizeof(chunk));
	memcpy(chunk, "2000\r\n", 6);
	memcpy(chunk + 6 + 8192, "\r\n", 2);
	while (time(NULL) < end)
		put(fd, chunk, 6 + 8192 + 2);
}

static void
r_big_length(int fd, const struct server *sv)
{
	char	buf[8192];
	time_t	end = time(NULL) + HOSTILE_CHILD_MAX_S;

	(void)sv;
	puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n");
	memset(buf, '#', sizeof(buf));
	while (time(NULL) < end)
		put(fd, buf, sizeof(buf));
}

static void
r_huge_headers(int fd, const struct server *sv)
{
	char	line[64];
	int	i;

	(void)sv;
	puts_fd(fd, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < HOSTILE_HEADER_LINES; i++) {
		snprintf(line, sizeof(line), "X-Filler-%05d: %032d\r\n", i, i);
		puts_fd(fd, line);
	}
	puts_fd(fd, "Content-Length: 0\r\n\r\n");
}

static void
r_giant_header(int fd, const struct server *sv)
{
	char *v;

	(void)sv;
	if ((v = malloc(HOSTILE_GIANT_HEADER)) == NULL)
		return;
	memset(v, 'a', HOSTILE_GIANT_HEADER);
	puts_fd(fd, "HTTP/1.1 200 OK\r\nX-Giant: ");
	put(fd, v, HOSTILE_GIANT_HEADER);
	puts_fd(fd, "\r\nContent-Length: 0\r\n\r\n");
	free(v);
}

static void
redirect(int fd, const char *to)
{
	puts_fd(fd, "HTTP/1.1 302 Found\r\nLocation: ");
	puts_fd(fd, to);
	puts_fd(fd, "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

static void
r_redirect_file(int fd, const struct server *sv)
{
	(void)sv;
	redirect(fd, "file:///etc/passwd");
}

static void
r_redirect_other_host(int fd, const struct server *sv)
{
	char to[128];

	snprintf(to, sizeof(to), "http://localhost:%d/file/pod.yaml",
	    sv->port);
	redirect(fd, to);
}

static void
r_redirect_same(int fd, const struct server *sv)
{
	(void)sv;
	redirect(fd, "/file/pod.yaml");
}

static void
r_redirect_loop(int fd, const struct server *sv)
{
	(void)sv;
	redirect(fd, "/redirect-loop");
}

static void
r_500(int fd, const struct server *sv)
{
	(void)sv;
	puts_fd(fd, "HTTP/1.1 500 Internal Server Error\r\n"
	    "Content-Length: 6\r\n"
	    "Connection: close\r\n\r\noops\r\n");
}

static void
r_304(int fd, const struct server *sv)
{
	(void)sv;
	puts_fd(fd, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n"
	    "Connection: close\r\n\r\n");
}

static void
r_empty(int fd, const struct server *sv)
{
	(void)sv;
	puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n");
}

static void
r_truncated(int fd, const struct server *sv)
{
	char	*body;
	size_t	 len;

	if ((body = slurp(sv, "pod.yaml", &len)) == NULL)
		return;
	puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n"
	    "Connection: close\r\n\r\n");
	put(fd, body, len);
	free(body);
}

static void
r_unframed(int fd, const struct server *sv)
{
	char	*body;
	size_t	 len;

	if ((body = slurp(sv, "pod.yaml", &len)) == NULL)
		return;
	puts_fd(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	put(fd, body, len);
	free(body);
}

static void
r_gzip(int fd, const struct server *sv)
{
	static const char r[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
	    "Content-Length: 4\r\nConnection: close\r\n\r\n\x1f\x8b\x08\x00";

	(void)sv;
	put(fd, r, sizeof(r) - 1);	/* the body holds a NUL */
}

static void
r_silent(int fd, const struct server *sv)
{
	(void)sv;
	(void)fd;
	sleep(HOSTILE_CHILD_MAX_S);
}

static void
r_control_chars(int fd, const struct server *sv)
{
	(void)sv;
	/* a status line libcurl accepts, with bytes no log line may carry */
	puts_fd(fd, "HTTP/1.1 418 \x1b[31mtea\x07\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n");
}

static const struct route {
	const char	*path;
	void		(*fn)(int, const struct server *);
} routes[] = {
	{ "/drip", r_drip },
	{ "/endless", r_endless },
	{ "/big-length", r_big_length },
	{ "/huge-headers", r_huge_headers },
	{ "/giant-header", r_giant_header },
	{ "/redirect-file", r_redirect_file },
	{ "/redirect-other-host", r_redirect_other_host },
	{ "/redirect-same", r_redirect_same },
	{ "/redirect-loop", r_redirect_loop },
	{ "/500", r_500 },
	{ "/304", r_304 },
	{ "/empty", r_empty },
	{ "/truncated", r_truncated },
	{ "/unframed", r_unframed },
	{ "/gzip", r_gzip },
	{ "/silent", r_silent },
	{ "/control-chars", r_control_chars },
};

/* Reads the request head; the path of its request line. */
static int
read_request(int fd, char *path, size_t len)
{
	char	 buf[HOSTILE_REQUEST_MAX + 1];
	size_t	 got = 0;
	ssize_t	 n;
	char	*sp, *end;

	while (got < HOSTILE_REQUEST_MAX) {
		if ((n = read(fd, buf + got, HOSTILE_REQUEST_MAX - got)) <= 0)
			return -1;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	if (strncmp(buf, "GET ", 4) != 0 || (sp = strchr(buf + 4, ' ')) == NULL)
		return -1;
	*sp = '\0';
	if ((end = strchr(buf + 4, '?')) != NULL)
		*end = '\0';
	if (strlen(buf + 4) >= len)
		return -1;
	memcpy(path, buf + 4, strlen(buf + 4) + 1);
	return 0;
}

static void __attribute__((noreturn))
child(int fd, const struct server *sv)
{
	char	path[1024];
	size_t	i;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(1);
	alarm(HOSTILE_CHILD_MAX_S + 5);
	if (read_request(fd, path, sizeof(path)) == -1)
		_exit(0);
	if (strncmp(path, "/file/", 6) == 0)
		serve_file(fd, sv, path + 6);
	else {
		for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
			if (strcmp(path, routes[i].path) == 0)
				break;
		if (i < sizeof(routes) / sizeof(routes[0]))
			routes[i].fn(fd, sv);
		else
			puts_fd(fd, "HTTP/1.1 404 Not Found\r\n"
			    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	}
	shutdown(fd, SHUT_WR);
	_exit(0);
}

int
main(int argc, char **argv)
{
	struct server		 sv;
	struct sockaddr_in	 sin;
	struct sigaction	 sa;
	char			 tmp[PATH_MAX];
	socklen_t		 slen = sizeof(sin);
	FILE			*fp;
	int			 s, c, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: hostile PORTFILE DOCROOT\n");
		return 2;
	}
	snprintf(sv.docroot, sizeof(sv.docroot), "%s", argv[2]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_NOCLDWAIT;	/* children reap themselves */
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		return 1;
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		return 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 64) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1)
		return 1;
	sv.port = ntohs(sin.sin_port);
	/* the port appears whole or not at all: the script polls for it */
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	if ((fp = fopen(tmp, "w")) == NULL)
		return 1;
	fprintf(fp, "%d\n", sv.port);
	if (fclose(fp) == EOF || rename(tmp, argv[1]) == -1)
		return 1;
	for (;;) {
		if ((c = accept4(s, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		switch (fork()) {
		case -1:
			close(c);
			break;
		case 0:
			close(s);
			child(c, &sv);
		default:
			close(c);
		}
	}
}
