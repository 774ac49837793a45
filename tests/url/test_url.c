/*
 * The URL fetcher against real servers: this program plays the runtime's
 * side of the socketpair. It starts `staticpodd-fetcher --role url` with
 * fd 3 on a SOCK_SEQPACKET pair, sends ROLE with a configuration, and
 * asserts exactly what comes back: which messages, which keys, which
 * hash, which error text. run_url.sh starts the servers (nginx over
 * HTTPS with a CA made at test time, and hostile.c) and passes where they
 * are in the environment. Output is TAP; `test_url NAME` runs one case.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "wire.h"

#define EV_MAX		64	/* events kept of one fetcher */
#define EV_LEN		1200
#define WAIT_MS		8000	/* for a message that should come */
#define QUIET_MS	2500	/* two polls at 1s without a message */
#define POLL_MS		1000	/* httpCheckFrequency in these tests */
#define NODE		"node1"
#define DIAG_MAX	8192

struct fetcher {
	pid_t		 pid;
	int		 sock;
	struct wire_rx	 rx;
	char		 errfile[512];
	char		 ev[EV_MAX][EV_LEN];	/* what it said, as text */
	size_t		 nev;
	size_t		 next;			/* first not yet matched */
	bool		 eof;
	int		 status;
};

struct env {
	const char	*fetcher;
	const char	*dir;
	const char	*ca;
	const char	*pubkey;
	int		 https;		/* nginx, certificate for 127.0.0.1 */
	int		 wrongname;	/* nginx, a certificate for another */
	int		 hostile;
	int		 dead;		/* nothing listens there */
};

/* One run's results: TAP numbering and what to print when a case fails. */
struct run {
	const struct env *env;
	int		 n;
	int		 failed;
	char		 diag[DIAG_MAX];
	const char	*only;
};

static void
diagf(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
diagf(struct run *r, const char *fmt, ...)
{
	size_t	used = strlen(r->diag);
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(r->diag + used, sizeof(r->diag) - used, fmt, ap);
	va_end(ap);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
hexs(const uint8_t *b, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[b[i] >> 4];
		out[2 * i + 1] = x[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* sha256 of a file of the test's web root, in hex. */
static void
file_sha(const struct env *e, const char *name, char out[65])
{
	char		 path[1024];
	static uint8_t	 buf[4 * 1024 * 1024];
	uint8_t		 md[32];
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "%s/www/%s", e->dir, name);
	out[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return;
	SHA256(buf, (size_t)n, md);
	hexs(md, 32, out);
}

static void
event_text(const struct wire_msg *m, char *out, size_t len)
{
	const Spw__Wire	*w = m->w;
	char		 sha[65] = "-";

	switch (w->body_case) {
	case SPW__WIRE__BODY_SNAPSHOT_BEGIN:
		snprintf(out, len, "BEGIN");
		break;
	case SPW__WIRE__BODY_SNAPSHOT_END:
		snprintf(out, len, "END");
		break;
	case SPW__WIRE__BODY_POD_UPSERT:
		if (w->podupsert->has_sha256 && w->podupsert->sha256.len == 32)
			hexs(w->podupsert->sha256.data, 32, sha);
		snprintf(out, len, "UPSERT %s %s %s",
		    w->podupsert->key ? w->podupsert->key : "(null)", sha,
		    w->podupsert->pod && w->podupsert->pod->metadata ?
		    w->podupsert->pod->metadata->name : "(no pod)");
		break;
	case SPW__WIRE__BODY_SOURCE_ERROR:
		snprintf(out, len, "ERROR%s%s %s",
		    w->sourceerror->unchanged ? " unchanged" : "",
		    w->sourceerror->key != NULL ? " keyed" : "",
		    w->sourceerror->message ? w->sourceerror->message : "");
		break;
	default:
		snprintf(out, len, "TYPE %d", (int)w->body_case);
	}
}

/* Reads what has arrived within ms; false when nothing did. */
static bool
pump(struct fetcher *f, int ms)
{
	struct pollfd		 pfd = { .fd = f->sock, .events = POLLIN };
	struct wire_msg		 m;
	char			 err[WIRE_ERR_MAX];
	enum wire_rx_status	 st;
	int64_t			 end = now_ms() + ms;
	bool			 got = false;

	while (!f->eof) {
		st = wire_rx_read(f->sock, &f->rx, &m, err);
		if (st == WIRE_RX_DONE) {
			if (f->nev < EV_MAX)
				event_text(&m, f->ev[f->nev++], EV_LEN);
			wire_msg_free(&m);
			got = true;
			continue;
		}
		if (st == WIRE_RX_MORE)
			continue;
		if (st == WIRE_RX_EOF || st == WIRE_RX_ERROR) {
			f->eof = true;
			if (f->nev < EV_MAX)
				snprintf(f->ev[f->nev++], EV_LEN, "EOF%s%s",
				    st == WIRE_RX_ERROR ? " " : "",
				    st == WIRE_RX_ERROR ? err : "");
			return true;
		}
		if (got || now_ms() >= end)
			return got;
		if (poll(&pfd, 1, (int)(end - now_ms())) == -1 &&
		    errno != EINTR)
			return got;
	}
	return got;
}

/* '*' matches any run of characters; everything else itself. */
static bool
glob(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '*')
		return glob(p + 1, s) || (*s != '\0' && glob(p, s + 1));
	return *p == *s && glob(p + 1, s + 1);
}

/* The next event must match pattern, within WAIT_MS. */
static bool
expect(struct run *r, struct fetcher *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool
expect(struct run *r, struct fetcher *f, const char *fmt, ...)
{
	char	pat[EV_LEN];
	va_list	ap;
	int64_t	end = now_ms() + WAIT_MS;

	va_start(ap, fmt);
	(void)vsnprintf(pat, sizeof(pat), fmt, ap);
	va_end(ap);
	while (f->next >= f->nev && now_ms() < end && !f->eof)
		pump(f, (int)(end - now_ms()));
	if (f->next >= f->nev) {
		diagf(r, "expected \"%s\", got nothing\n", pat);
		return false;
	}
	if (!glob(pat, f->ev[f->next])) {
		diagf(r, "expected \"%s\"\n     got \"%s\"\n", pat,
		    f->ev[f->next]);
		return false;
	}
	f->next++;
	return true;
}

/*
 * The next event that does not match skip must match fmt: for a poll
 * whose repeats may come any number of times before the awaited change.
 */
static bool
expect_after(struct run *r, struct fetcher *f, const char *skip,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static bool
expect_after(struct run *r, struct fetcher *f, const char *skip,
    const char *fmt, ...)
{
	char	pat[EV_LEN];
	va_list	ap;
	int64_t	end = now_ms() + WAIT_MS;

	va_start(ap, fmt);
	(void)vsnprintf(pat, sizeof(pat), fmt, ap);
	va_end(ap);
	for (;;) {
		while (f->next >= f->nev && now_ms() < end && !f->eof)
			pump(f, (int)(end - now_ms()));
		if (f->next >= f->nev) {
			diagf(r, "expected \"%s\", got nothing\n", pat);
			return false;
		}
		if (!glob(skip, f->ev[f->next]))
			break;
		f->next++;
	}
	if (!glob(pat, f->ev[f->next])) {
		diagf(r, "expected \"%s\"\n     got \"%s\"\n", pat,
		    f->ev[f->next]);
		return false;
	}
	f->next++;
	return true;
}

/* Nothing more arrives within ms. */
static bool
expect_quiet(struct run *r, struct fetcher *f, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end && !f->eof)
		pump(f, (int)(end - now_ms()));
	if (f->next < f->nev) {
		diagf(r, "expected nothing more, got \"%s\"\n",
		    f->ev[f->next]);
		return false;
	}
	return true;
}

static void
config_init(Spw__Config *c, const char *url)
{
	spw__config__init(c);
	c->staticpodurl = (char *)url;
	c->has_httpcheckfrequencyms = 1;
	c->httpcheckfrequencyms = POLL_MS;
	c->has_maxmanifestbytes = 1;
	c->maxmanifestbytes = 1024 * 1024;
	c->nodename = NODE;
}

static bool
fetcher_start(struct run *r, struct fetcher *f, const Spw__Config *c,
    bool own_netns)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__Role	role = SPW__ROLE__INIT;
	int		sp[2], fd;
	static int	seq;

	memset(f, 0, sizeof(*f));
	f->sock = -1;
	wire_rx_init(&f->rx);
	snprintf(f->errfile, sizeof(f->errfile), "%s/fetcher-%d.err",
	    r->env->dir, ++seq);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		return false;
	if ((f->pid = fork()) == -1)
		return false;
	if (f->pid == 0) {
		/* a name must fail to resolve without asking any server */
		if (own_netns && unshare(CLONE_NEWNET) == -1)
			_exit(125);
		if ((fd = open(f->errfile, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) == -1 || dup2(fd, 2) == -1 || dup2(sp[1], 3) == -1)
			_exit(126);
		execl(r->env->fetcher, "staticpodd-fetcher", "--role", "url",
		    "-v", (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	f->sock = sp[0];
	if (fcntl(f->sock, F_SETFL, O_NONBLOCK) == -1)
		return false;
	role.has_kind = 1;
	role.kind = SPW__ROLE__KIND__URL;
	role.config = (Spw__Config *)c;
	role.nodename = NODE;
	w.body_case = SPW__WIRE__BODY_ROLE;
	w.role = &role;
	return wire_send(f->sock, &w, NULL, 0, 1000) == 0;
}

/* Stops it by its pid; its stderr is kept for the case to read. */
static void
fetcher_stop(struct fetcher *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, &f->status, 0);
		f->pid = -1;
	}
	if (f->sock != -1)
		close(f->sock);
	f->sock = -1;
	wire_rx_clear(&f->rx);
}

/* Waits for it to exit by itself. */
static bool
fetcher_exits(struct fetcher *f, int ms)
{
	int64_t	end = now_ms() + ms;
	pid_t	p;

	while (now_ms() < end) {
		if ((p = waitpid(f->pid, &f->status, WNOHANG)) == f->pid) {
			f->pid = -1;
			return true;
		}
		usleep(20000);
	}
	return false;
}

static bool
file_has(const char *path, const char *needle)
{
	char	 buf[1 << 16];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void
dump_events(struct run *r, const struct fetcher *f)
{
	size_t i;

	for (i = 0; i < f->nev; i++)
		diagf(r, "  event %zu: %s\n", i, f->ev[i]);
}

static void
report(struct run *r, const char *name, bool ok, const struct fetcher *f)
{
	char	*line, *save = NULL;

	r->n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", r->n, name);
	if (!ok || getenv("URLT_VERBOSE") != NULL) {
		r->failed += !ok;
		if (f != NULL)
			dump_events(r, f);
		for (line = strtok_r(r->diag, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			printf("# %s\n", line);
	}
	fflush(stdout);
	r->diag[0] = '\0';
}

static char *
url(const struct run *r, int port, const char *scheme, const char *path)
{
	static char	buf[8][512];
	static int	i;
	char		*b = buf[i++ % 8];

	snprintf(b, 512, "%s://127.0.0.1:%d%s", scheme, port, path);
	(void)r;
	return b;
}

static void
www_write(const struct env *e, const char *name, const char *text)
{
	char	path[1024], tmp[1100];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/www/%s", e->dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return;
	fputs(text, fp);
	fclose(fp);
	chmod(tmp, 0644);
	rename(tmp, path);
}

static void
www_remove(const struct env *e, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/www/%s", e->dir, name);
	unlink(path);
}

#define POD_YAML(name) "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " \
	name "\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n"

/* ---- the cases ---- */

/* A single Pod over HTTPS with the pinned CA: one complete view. */
static void
t_url_serves_one_pod_over_https_with_its_sha256(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	char		sha[65];
	bool		ok;

	config_init(&c, url(r, r->env->https, "https", "/pod.yaml"));
	c.urlcafile = (char *)r->env->ca;
	file_sha(r->env, "pod.yaml", sha);
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "BEGIN") &&
	    expect(r, &f, "UPSERT default/web-" NODE " %s web-" NODE, sha) &&
	    expect(r, &f, "END");
	fetcher_stop(&f);
	report(r, "url_serves_one_pod_over_https_with_its_sha256", ok, &f);
}

/*
 * By host name: libcurl's resolver thread and glibc's resolver, under the
 * sandbox the fetcher applied after loading them.
 */
static void
t_url_resolves_a_host_name_in_its_sandbox(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	char		u[512], sha[65];
	bool		ok;

	snprintf(u, sizeof(u), "https://localhost:%d/pod.yaml", r->env->https);
	config_init(&c, u);
	c.urlcafile = (char *)r->env->ca;
	file_sha(r->env, "pod.yaml", sha);
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "BEGIN") &&
	    expect(r, &f, "UPSERT default/web-" NODE " %s web-" NODE, sha) &&
	    expect(r, &f, "END");
	fetcher_stop(&f);
	if (ok && !file_has(f.errfile, "sandboxed")) {
		diagf(r, "%s does not say the fetcher was sandboxed\n",
		    f.errfile);
		ok = false;
	}
	report(r, "url_resolves_a_host_name_in_its_sandbox", ok, &f);
}

/* A JSON PodList: every item, keyed namespace/name, one body hash. */
static void
t_url_serves_a_json_podlist_keyed_by_namespace_and_name(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	char		sha[65];
	bool		ok;

	config_init(&c, url(r, r->env->https, "https", "/list.json"));
	c.urlcafile = (char *)r->env->ca;
	file_sha(r->env, "list.json", sha);
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "BEGIN") &&
	    expect(r, &f, "UPSERT default/alpha-" NODE " %s *", sha) &&
	    expect(r, &f, "UPSERT infra/beta-" NODE " %s *", sha) &&
	    expect(r, &f, "END");
	fetcher_stop(&f);
	report(r, "url_serves_a_json_podlist_keyed_by_namespace_and_name", ok,
	    &f);
}

/*
 * nginx answers 304 to the ETag / If-Modified-Since of the first answer:
 * no message at all; its access log shows the 304s.
 */
static void
t_url_304_costs_no_message(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	char		log[1024];
	bool		ok;

	config_init(&c, url(r, r->env->https, "https", "/pod.yaml?t304"));
	c.urlcafile = (char *)r->env->ca;
	snprintf(log, sizeof(log), "%s/nginx/access.log", r->env->dir);
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "BEGIN") && expect(r, &f, "UPSERT *") &&
	    expect(r, &f, "END") && expect_quiet(r, &f, QUIET_MS);
	if (ok && !file_has(log, "\"GET /pod.yaml?t304 HTTP/1.1\" 304")) {
		diagf(r, "no 304 in %s\n", log);
		ok = false;
	}
	fetcher_stop(&f);
	report(r, "url_304_costs_no_message", ok, &f);
}

/* A changed body is a new view with the new hash; an unchanged one is not. */
static void
t_url_changed_body_sends_a_new_view(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	char		sha[65];
	bool		ok;

	www_write(r->env, "change.yaml", POD_YAML("first"));
	config_init(&c, url(r, r->env->https, "https", "/change.yaml"));
	c.urlcafile = (char *)r->env->ca;
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "BEGIN") && expect(r, &f, "UPSERT default/first-*") &&
	    expect(r, &f, "END");
	/* a different length: nginx's ETag is mtime and size */
	www_write(r->env, "change.yaml", POD_YAML("second-pod"));
	file_sha(r->env, "change.yaml", sha);
	ok = ok && expect(r, &f, "BEGIN") &&
	    expect(r, &f, "UPSERT default/second-pod-" NODE " %s *", sha) &&
	    expect(r, &f, "END") && expect_quiet(r, &f, QUIET_MS);
	fetcher_stop(&f);
	report(r, "url_changed_body_sends_a_new_view", ok, &f);
}

/* An empty PodList is a complete view of nothing: how to remove all. */
static void
t_url_empty_podlist_is_an_empty_view(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, url(r, r->env->https, "https", "/empty-list.yaml"));
	c.urlcafile = (char *)r->env->ca;
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "BEGIN") && expect(r, &f, "END");
	fetcher_stop(&f);
	report(r, "url_empty_podlist_is_an_empty_view", ok, &f);
}

/*
 * One bad item refuses the whole list: an error, no view, so the pods
 * stay. The same body again is not parsed again: the same error, marked
 * unchanged.
 */
static void
t_url_podlist_with_one_bad_item_is_refused_whole(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, url(r, r->env->https, "https", "/bad-list.yaml"));
	c.urlcafile = (char *)r->env->ca;
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "ERROR manifest https://127.0.0.1:%d/bad-list.yaml:"
	    "*items[1].spec.containers[0].image*", r->env->https) &&
	    expect(r, &f, "ERROR unchanged manifest https://*/bad-list.yaml:*")
	    && expect(r, &f, "ERROR unchanged *");
	fetcher_stop(&f);
	report(r, "url_podlist_with_one_bad_item_is_refused_whole", ok, &f);
}

static void
t_url_podlist_naming_a_pod_twice_is_refused(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, url(r, r->env->https, "https", "/dup-list.yaml"));
	c.urlcafile = (char *)r->env->ca;
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "ERROR manifest https://*/dup-list.yaml: items[1]: "
	    "pod default/twin-" NODE " is also items[0]; a list names a pod "
	    "once");
	fetcher_stop(&f);
	report(r, "url_podlist_naming_a_pod_twice_is_refused", ok, &f);
}

/*
 * After a failure (the file gone: 404), the same body again re-sends the
 * cached view without parsing, so the runtime sees the source recover;
 * then quiet again.
 */
static void
t_url_recovers_with_the_cached_view_after_an_error(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	char		sha[65];
	bool		ok;

	www_write(r->env, "toggle.yaml", POD_YAML("toggle"));
	file_sha(r->env, "toggle.yaml", sha);
	config_init(&c, url(r, r->env->https, "https", "/toggle.yaml"));
	c.urlcafile = (char *)r->env->ca;
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "BEGIN") && expect(r, &f, "UPSERT *") &&
	    expect(r, &f, "END");
	www_remove(r->env, "toggle.yaml");
	ok = ok && expect(r, &f, "ERROR manifest https://*/toggle.yaml: HTTP "
	    "404 (200 is expected)");
	www_write(r->env, "toggle.yaml", POD_YAML("toggle"));
	ok = ok && expect_after(r, &f, "ERROR unchanged *", "BEGIN") &&
	    expect(r, &f, "UPSERT default/toggle-" NODE " %s *", sha) &&
	    expect(r, &f, "END") && expect_quiet(r, &f, QUIET_MS);
	fetcher_stop(&f);
	report(r, "url_recovers_with_the_cached_view_after_an_error", ok, &f);
}

/* Without the pinned CA, the test CA is unknown: a TLS error, no view. */
static void
t_url_untrusted_certificate_is_a_tls_error(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, url(r, r->env->https, "https", "/pod.yaml"));
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "ERROR manifest https://127.0.0.1:%d/pod.yaml: TLS: "
	    "SSL certificate problem: *", r->env->https) &&
	    expect(r, &f, "ERROR unchanged manifest *: TLS: *");
	fetcher_stop(&f);
	report(r, "url_untrusted_certificate_is_a_tls_error", ok, &f);
}

static void
t_url_certificate_for_another_name_is_a_tls_error(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, url(r, r->env->wrongname, "https", "/pod.yaml"));
	c.urlcafile = (char *)r->env->ca;
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "ERROR manifest *: TLS: *no alternative certificate "
	    "subject name matches target host name '127.0.0.1'");
	fetcher_stop(&f);
	report(r, "url_certificate_for_another_name_is_a_tls_error", ok, &f);
}

static void
t_url_connection_refused_is_reported_once(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, url(r, r->env->dead, "https", "/pod.yaml"));
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "ERROR manifest https://127.0.0.1:%d/pod.yaml: "
	    "cannot connect to 127.0.0.1 port %d: Connection refused",
	    r->env->dead, r->env->dead) &&
	    expect(r, &f, "ERROR unchanged manifest *: cannot connect *") &&
	    expect(r, &f, "ERROR unchanged manifest *: cannot connect *");
	fetcher_stop(&f);
	report(r, "url_connection_refused_is_reported_once", ok, &f);
}

/* In a network namespace of its own nothing resolves and nothing leaks. */
static void
t_url_dns_failure_is_an_error(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, "https://manifests.invalid/pod.yaml");
	ok = fetcher_start(r, &f, &c, true) &&
	    expect(r, &f, "ERROR manifest https://manifests.invalid:443/"
	    "pod.yaml: cannot resolve manifests.invalid");
	fetcher_stop(&f);
	report(r, "url_dns_failure_is_an_error", ok, &f);
}

/*
 * The configured header reaches the server (nginx refuses /secret/
 * without it) and appears in no log line, even at -v, even on failure.
 */
static void
t_url_sends_configured_headers_and_never_logs_them(struct run *r)
{
	struct fetcher	f, g;
	Spw__Config	c;
	Spw__Header	h = SPW__HEADER__INIT, *hs[1] = { &h };
	bool		ok;

	memset(&g, 0, sizeof(g));
	g.sock = -1;

	config_init(&c, url(r, r->env->https, "https", "/secret/pod.yaml"));
	c.urlcafile = (char *)r->env->ca;
	h.name = "X-Token";
	h.value = "s3cret-value";
	c.n_staticpodurlheader = 1;
	c.staticpodurlheader = hs;
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "BEGIN") && expect(r, &f, "UPSERT default/web-*") &&
	    expect(r, &f, "END");
	fetcher_stop(&f);
	h.value = "wrong-s3cret";
	ok = ok && fetcher_start(r, &g, &c, false) &&
	    expect(r, &g, "ERROR manifest *: HTTP 403 (200 is expected)");
	fetcher_stop(&g);
	if (ok && (file_has(f.errfile, "s3cret") ||
	    file_has(g.errfile, "s3cret"))) {
		diagf(r, "a header value is in %s or %s\n", f.errfile,
		    g.errfile);
		ok = false;
	}
	report(r, "url_sends_configured_headers_and_never_logs_them", ok, &g);
}

/* http:// without allowHTTP: the fetcher refuses to start at all. */
static void
t_url_plain_http_needs_allow_http(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, url(r, r->env->hostile, "http", "/file/pod.yaml"));
	ok = fetcher_start(r, &f, &c, false) && fetcher_exits(&f, WAIT_MS) &&
	    WIFEXITED(f.status) && WEXITSTATUS(f.status) != 0 &&
	    file_has(f.errfile, "https is required");
	if (!ok)
		diagf(r, "status %d\n", f.status);
	fetcher_stop(&f);
	report(r, "url_plain_http_needs_allow_http", ok, &f);
}

/* One case against the hostile server: the first message, exactly. */
static void
hostile_case(struct run *r, const char *name, const char *path,
    int64_t timeout_ms, size_t max, bool redirects, const char *want)
{
	struct fetcher	f;
	Spw__Config	c;
	bool		ok;

	config_init(&c, url(r, r->env->hostile, "http", path));
	c.has_allowhttp = 1;
	c.allowhttp = 1;
	if (timeout_ms > 0) {
		c.has_urltimeoutms = 1;
		c.urltimeoutms = timeout_ms;
	}
	if (max > 0)
		c.maxmanifestbytes = (int64_t)max;
	if (redirects) {
		c.has_urlallowredirects = 1;
		c.urlallowredirects = 1;
	}
	ok = fetcher_start(r, &f, &c, false) && expect(r, &f, "%s", want);
	fetcher_stop(&f);
	report(r, name, ok, &f);
}

static void
t_hostile(struct run *r)
{
	hostile_case(r, "url_drip_fed_body_is_cut_off_by_the_low_speed_limit",
	    "/drip", 60000, 0, false,
	    "ERROR manifest http://*/drip: cut off: less than 1024 bytes a "
	    "second for 5 seconds");
	hostile_case(r, "url_endless_body_is_cut_at_the_body_cap",
	    "/endless", 0, 65536, false,
	    "ERROR manifest http://*/endless: the body is larger than the "
	    "limit of 65536 bytes (staticpodd.maxManifestBytes)");
	hostile_case(r, "url_oversized_content_length_is_refused_early",
	    "/big-length", 0, 0, false,
	    "ERROR manifest http://*/big-length: the body is larger than the "
	    "limit of 1048576 bytes (staticpodd.maxManifestBytes)");
	hostile_case(r, "url_huge_headers_are_cut_at_the_header_cap",
	    "/huge-headers", 0, 0, false,
	    "ERROR manifest http://*/huge-headers: the response headers are "
	    "larger than the limit of 32768 bytes");
	hostile_case(r, "url_one_giant_header_line_is_refused",
	    "/giant-header", 0, 0, false,
	    "ERROR manifest http://*/giant-header: the response headers could "
	    "not be read (a header line over libcurl's limit of 100 KiB, or "
	    "out of memory)");
	hostile_case(r, "url_redirect_is_refused_when_redirects_are_off",
	    "/redirect-same", 0, 0, false,
	    "ERROR manifest http://*/redirect-same: HTTP 302: a redirect, and "
	    "redirects are off (staticpodd.urlAllowRedirects)");
	hostile_case(r, "url_redirect_to_file_scheme_is_refused",
	    "/redirect-file", 0, 0, true,
	    "ERROR manifest http://*/redirect-file: HTTP 302: a redirect to "
	    "another scheme, host or port is refused");
	hostile_case(r, "url_redirect_to_another_host_is_refused",
	    "/redirect-other-host", 0, 0, true,
	    "ERROR manifest http://*/redirect-other-host: HTTP 302: a redirect "
	    "to another scheme, host or port is refused");
	hostile_case(r, "url_redirect_on_the_same_origin_is_followed",
	    "/redirect-same", 0, 0, true, "BEGIN");
	hostile_case(r, "url_redirect_loop_ends",
	    "/redirect-loop", 0, 0, true,
	    "ERROR manifest http://*/redirect-loop: more than 4 redirects");
	hostile_case(r, "url_status_500_is_an_error",
	    "/500", 0, 0, false,
	    "ERROR manifest http://*/500: HTTP 500 (200 is expected)");
	hostile_case(r, "url_unsolicited_304_is_an_error",
	    "/304", 0, 0, false,
	    "ERROR manifest http://*/304: HTTP 304 to a request that was not "
	    "conditional");
	hostile_case(r, "url_empty_200_is_an_error_not_an_empty_view",
	    "/empty", 0, 0, false,
	    "ERROR manifest http://*/empty: the server sent an empty body; to "
	    "remove every URL pod, serve an empty PodList");
	hostile_case(r, "url_truncated_body_is_an_error",
	    "/truncated", 0, 0, false,
	    "ERROR manifest http://*/truncated: the connection closed before "
	    "the whole body arrived");
	hostile_case(r, "url_body_without_framing_is_refused",
	    "/unframed", 0, 0, false,
	    "ERROR manifest http://*/unframed: the answer has neither a "
	    "Content-Length nor chunked encoding*");
	hostile_case(r, "url_compressed_body_is_refused_not_decompressed",
	    "/gzip", 0, 0, false,
	    "ERROR manifest http://*/gzip: the body has a Content-Encoding; "
	    "only identity is accepted (nothing is decompressed)");
	hostile_case(r, "url_silent_server_hits_the_total_timeout",
	    "/silent", 1500, 0, false,
	    "ERROR manifest http://*/silent: no complete answer within 1500 "
	    "ms (staticpodd.urlTimeout)");
	hostile_case(r, "url_server_status_text_never_reaches_the_runtime",
	    "/control-chars", 0, 0, false,
	    "ERROR manifest http://*/control-chars: HTTP 418 (200 is "
	    "expected)");
}

/* The user, password and query of a URL may be secrets: never shown. */
static void
t_url_messages_leave_out_credentials_and_query(struct run *r)
{
	struct fetcher	f;
	Spw__Config	c;
	char		u[512];
	bool		ok;

	snprintf(u, sizeof(u), "http://user:pa55word@127.0.0.1:%d/500?token="
	    "t0ken", r->env->hostile);
	config_init(&c, u);
	c.has_allowhttp = 1;
	c.allowhttp = 1;
	ok = fetcher_start(r, &f, &c, false) &&
	    expect(r, &f, "ERROR manifest http://127.0.0.1:%d/500: HTTP 500 "
	    "(200 is expected)", r->env->hostile);
	fetcher_stop(&f);
	if (ok && (file_has(f.errfile, "pa55word") ||
	    file_has(f.errfile, "t0ken"))) {
		diagf(r, "a credential is in %s\n", f.errfile);
		ok = false;
	}
	report(r, "url_messages_leave_out_credentials_and_query", ok, &f);
}

/* ---- signatures (minisign) ---- */

static void
sig_case(struct run *r, const char *name, const char *path,
    const char *want)
{
	struct fetcher	f;
	Spw__Config	c;
	char		sha[65];
	bool		ok;

	config_init(&c, url(r, r->env->https, "https", path));
	c.urlcafile = (char *)r->env->ca;
	c.urlsignaturepublickey = (char *)r->env->pubkey;
	ok = fetcher_start(r, &f, &c, false);
	if (want == NULL) {
		file_sha(r->env, path + 1, sha);
		ok = ok && expect(r, &f, "BEGIN") &&
		    expect(r, &f, "UPSERT default/* %s *", sha) &&
		    expect(r, &f, "END");
	} else
		ok = ok && expect(r, &f, "%s", want);
	fetcher_stop(&f);
	report(r, name, ok, &f);
}

static void
t_signatures(struct run *r)
{
	sig_case(r, "url_prehashed_minisign_signature_is_accepted",
	    "/signed.yaml", NULL);
	sig_case(r, "url_legacy_minisign_signature_is_accepted",
	    "/legacy.yaml", NULL);
	sig_case(r, "url_signature_by_another_key_is_refused",
	    "/wrongkey.yaml",
	    "ERROR signature https://*/wrongkey.yaml.minisig: the manifest is "
	    "refused: signed by key * not by the configured key *");
	sig_case(r, "url_body_changed_after_signing_is_refused",
	    "/tampered.yaml",
	    "ERROR signature https://*/tampered.yaml.minisig: the manifest is "
	    "refused: the signature does not match the body");
	sig_case(r, "url_edited_trusted_comment_is_refused",
	    "/badcomment.yaml",
	    "ERROR signature https://*/badcomment.yaml.minisig: the manifest "
	    "is refused: the global signature (over the trusted comment) "
	    "does not verify");
	sig_case(r, "url_missing_signature_is_refused",
	    "/nosig.yaml",
	    "ERROR signature https://*/nosig.yaml.minisig: HTTP 404 (200 is "
	    "expected)");
	sig_case(r, "url_signature_file_that_is_not_minisign_is_refused",
	    "/garbage.yaml",
	    "ERROR signature https://*/garbage.yaml.minisig: the manifest is "
	    "refused: not a minisign signature file*");
}

/* A bad signature never lets the body reach the parser. */
static void
t_url_bad_signature_stops_the_body_before_the_parser(struct run *r)
{
	/* tampered-bad.yaml does not parse; its error must not appear */
	sig_case(r, "url_bad_signature_stops_the_body_before_the_parser",
	    "/tampered-bad.yaml",
	    "ERROR signature https://*: the manifest is refused: the signature "
	    "does not match the body");
}

static const struct tcase {
	const char	*name;
	void		(*fn)(struct run *);
} cases[] = {
	{ "https", t_url_serves_one_pod_over_https_with_its_sha256 },
	{ "hostname", t_url_resolves_a_host_name_in_its_sandbox },
	{ "list", t_url_serves_a_json_podlist_keyed_by_namespace_and_name },
	{ "304", t_url_304_costs_no_message },
	{ "change", t_url_changed_body_sends_a_new_view },
	{ "emptylist", t_url_empty_podlist_is_an_empty_view },
	{ "badlist", t_url_podlist_with_one_bad_item_is_refused_whole },
	{ "duplist", t_url_podlist_naming_a_pod_twice_is_refused },
	{ "recover", t_url_recovers_with_the_cached_view_after_an_error },
	{ "untrusted", t_url_untrusted_certificate_is_a_tls_error },
	{ "wrongname", t_url_certificate_for_another_name_is_a_tls_error },
	{ "refused", t_url_connection_refused_is_reported_once },
	{ "dns", t_url_dns_failure_is_an_error },
	{ "headers", t_url_sends_configured_headers_and_never_logs_them },
	{ "http", t_url_plain_http_needs_allow_http },
	{ "hostile", t_hostile },
	{ "secrets", t_url_messages_leave_out_credentials_and_query },
	{ "signatures", t_signatures },
	{ "sigfirst", t_url_bad_signature_stops_the_body_before_the_parser },
};

/*
 * A loopback port nothing listens on, for the servers and the dead end.
 * Chosen below the ephemeral range, never from it: a port bind(0) handed
 * out here could be handed again to a test running beside this one (a
 * containerd's stream server) before nginx binds it.
 */
#define PORT_LOW	20000
#define PORT_SPAN	12000	/* up to 32000; the ephemeral range is above */
#define PORT_TRIES	200

static int
free_port(void)
{
	struct sockaddr_in	sin;
	int			s, i, port;

	srand((unsigned int)(time(NULL) ^ getpid()));
	for (i = 0; i < PORT_TRIES; i++) {
		port = PORT_LOW + rand() % PORT_SPAN;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((uint16_t)port);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return 1;
		if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			close(s);
			printf("%d\n", port);
			return 0;
		}
		close(s);
	}
	return 1;
}

static int
env_port(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? atoi(v) : 0;
}

int
main(int argc, char **argv)
{
	struct env	e;
	struct run	r;
	size_t		i;

	if (argc == 2 && strcmp(argv[1], "--free-port") == 0)
		return free_port();
	memset(&e, 0, sizeof(e));
	memset(&r, 0, sizeof(r));
	e.fetcher = getenv("URLT_FETCHER");
	e.dir = getenv("URLT_DIR");
	e.ca = getenv("URLT_CA");
	e.pubkey = getenv("URLT_PUBKEY");
	e.https = env_port("URLT_HTTPS_PORT");
	e.wrongname = env_port("URLT_WRONGNAME_PORT");
	e.hostile = env_port("URLT_HOSTILE_PORT");
	e.dead = env_port("URLT_DEAD_PORT");
	if (e.fetcher == NULL || e.dir == NULL || e.ca == NULL ||
	    e.pubkey == NULL || e.https == 0 || e.hostile == 0) {
		fprintf(stderr, "test_url is run by run_url.sh\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	r.env = &e;
	r.only = argc > 1 ? argv[1] : NULL;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (r.only == NULL || strcmp(r.only, cases[i].name) == 0)
			cases[i].fn(&r);
	printf("1..%d\n", r.n);
	return r.failed > 0;
}
