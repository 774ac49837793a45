/*
 * The gRPC/HTTP/2 layer against byte streams: replies recorded from
 * containerd 1.6 (the .bin files in tests/data/grpc, see record.py) and replies
 * built here frame by frame for what containerd does not send on demand
 * (split DATA, oversized and compressed messages, RST_STREAM, GOAWAY, a
 * connection cut mid-reply, HTTP errors).
 *
 * The peer is a forked process on a unix socket that knows no HTTP/2
 * beyond frame boundaries: it waits for each request to end, answers with
 * the scripted bytes (stream IDs rewritten to the request's), acknowledges
 * PINGs, and checks every request's headers with nghttp2's HPACK decoder.
 * It is a replay device, not a stand-in for containerd: the client is
 * proven against the real one in tests/integration. TAP.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "cri.h"
#include "grpc.h"

#define STEPS_MAX	4
#define CONNS_MAX	3
#define BLOB_MAX	(1024 * 1024)
#define PEER_BUF	(256 * 1024)
#define CALL_MS		5000

/* The peer's exit status: a bit per broken expectation. */
#define PEER_BAD_HEADERS	0x01
#define PEER_NO_PING_ACK	0x02
#define PEER_BAD_FRAMES		0x04
#define PEER_IO			0x08

enum { F_DATA = 0, F_HEADERS = 1, F_RST = 3, F_SETTINGS = 4, F_PING = 6,
    F_GOAWAY = 7, F_WINDOW_UPDATE = 8, F_CONTINUATION = 9 };
#define FL_END_STREAM	0x01
#define FL_ACK		0x01
#define FL_END_HEADERS	0x04

struct blob {
	uint8_t	*b;
	size_t	 len;
};

struct step {
	struct blob	 reply;		/* sent when a request has ended */
	int		 close_after;	/* then cut the connection */
	int		 hold;		/* never answer this request */
	int		 delay_ms;	/* answer this late */
};

struct conn {
	struct blob	preface;	/* sent at once, as servers do */
	struct step	steps[STEPS_MAX];
	size_t		nsteps;
};

struct script {
	struct conn	conns[CONNS_MAX];
	size_t		nconns;
	int		expect_ping_ack;
	int		listen_after_ms;	/* the socket appears late */
};

struct peer {
	pid_t	pid;
	char	path[108];
};

static int	ntest, nfail;
static char	tmpdir[64];
static const char *datadir;

static void	ok(int, const char *, ...) __attribute__((format(printf, 2, 3)));

static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	if (!cond)
		nfail++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- building frames ---- */

static void
blob_put(struct blob *bl, const void *p, size_t n)
{
	if (bl->b == NULL && (bl->b = malloc(BLOB_MAX)) == NULL)
		abort();
	if (bl->len + n > BLOB_MAX)
		abort();
	memcpy(bl->b + bl->len, p, n);
	bl->len += n;
}

static void
frame(struct blob *bl, int type, int flags, uint32_t sid, const void *p,
    size_t n)
{
	uint8_t h[9];

	h[0] = (uint8_t)(n >> 16);
	h[1] = (uint8_t)(n >> 8);
	h[2] = (uint8_t)n;
	h[3] = (uint8_t)type;
	h[4] = (uint8_t)flags;
	h[5] = (uint8_t)(sid >> 24);
	h[6] = (uint8_t)(sid >> 16);
	h[7] = (uint8_t)(sid >> 8);
	h[8] = (uint8_t)sid;
	blob_put(bl, h, 9);
	if (n > 0)
		blob_put(bl, p, n);
}

/* HPACK integer with a 7-bit prefix (RFC 7541 5.1), then the string. */
static void
hpack_str(struct blob *bl, const char *s)
{
	size_t	n = strlen(s);
	uint8_t	b;

	if (n < 127) {
		b = (uint8_t)n;
		blob_put(bl, &b, 1);
	} else {
		b = 127;
		blob_put(bl, &b, 1);
		for (n -= 127; n >= 128; n >>= 7) {
			b = (uint8_t)(n % 128 + 128);
			blob_put(bl, &b, 1);
		}
		b = (uint8_t)n;
		blob_put(bl, &b, 1);
	}
	blob_put(bl, s, strlen(s));
}

/* A HEADERS frame of literal fields without indexing: name, value, ... */
static void
headers(struct blob *bl, int flags, const char *const *nv, size_t n)
{
	struct blob	hb = { NULL, 0 };
	uint8_t		zero = 0;
	size_t		i;

	for (i = 0; i + 1 < n; i += 2) {
		blob_put(&hb, &zero, 1);
		hpack_str(&hb, nv[i]);
		hpack_str(&hb, nv[i + 1]);
	}
	frame(bl, F_HEADERS, flags | FL_END_HEADERS, 1, hb.b, hb.len);
	free(hb.b);
}

static void
server_preface(struct blob *bl)
{
	frame(bl, F_SETTINGS, 0, 0, NULL, 0);
	frame(bl, F_SETTINGS, FL_ACK, 0, NULL, 0);
}

static void
response_headers(struct blob *bl)
{
	static const char *const nv[] = {
		":status", "200", "content-type", "application/grpc",
	};

	headers(bl, 0, nv, 4);
}

static void
trailers(struct blob *bl, const char *status, const char *message)
{
	const char *nv[] = { "grpc-status", status, "grpc-message", message };

	headers(bl, FL_END_STREAM, nv, message != NULL ? 4 : 2);
}

static void
grpc_prefix(uint8_t *p, int flag, uint32_t len)
{
	p[0] = (uint8_t)flag;
	p[1] = (uint8_t)(len >> 24);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
}

/* A whole gRPC message, cut into DATA frames of at most chunk bytes. */
static void
data_message(struct blob *bl, const uint8_t *msg, size_t len, size_t chunk)
{
	uint8_t	*all;
	size_t	 off, n;

	if ((all = malloc(len + 5)) == NULL)
		abort();
	grpc_prefix(all, 0, (uint32_t)len);
	memcpy(all + 5, msg, len);
	for (off = 0; off < len + 5; off += n) {
		n = len + 5 - off < chunk ? len + 5 - off : chunk;
		frame(bl, F_DATA, 0, 1, all + off, n);
	}
	free(all);
}

static size_t
version_reply_named(uint8_t *buf, size_t cap, const char *name)
{
	Runtime__V1__VersionResponse v = RUNTIME__V1__VERSION_RESPONSE__INIT;

	v.version = (char *)"0.1.0";
	v.runtime_name = (char *)(uintptr_t)name;
	v.runtime_version = (char *)"9.9.9";
	v.runtime_api_version = (char *)"v1";
	if (runtime__v1__version_response__get_packed_size(&v) > cap)
		abort();
	return runtime__v1__version_response__pack(&v, buf);
}

static size_t
version_reply(uint8_t *buf, size_t cap)
{
	return version_reply_named(buf, cap, "replayed");
}

/* HEADERS, the Version reply in chunk-byte DATA frames, OK trailers. */
static struct blob
ok_version(size_t chunk)
{
	struct blob	bl = { NULL, 0 };
	uint8_t		msg[256];
	size_t		n = version_reply(msg, sizeof(msg));

	response_headers(&bl);
	data_message(&bl, msg, n, chunk);
	trailers(&bl, "0", NULL);
	return bl;
}

/* The same, from a runtime that calls itself name. */
static struct blob
named_version(const char *name)
{
	struct blob	bl = { NULL, 0 };
	uint8_t		msg[256];
	size_t		n = version_reply_named(msg, sizeof(msg), name);

	response_headers(&bl);
	data_message(&bl, msg, n, 16384);
	trailers(&bl, "0", NULL);
	return bl;
}

static struct blob
with_preface(struct blob body)
{
	struct blob bl = { NULL, 0 };

	server_preface(&bl);
	blob_put(&bl, body.b, body.len);
	free(body.b);
	return bl;
}

static struct blob
load(const char *name)
{
	struct blob	 bl = { NULL, 0 };
	char		 path[1024];
	uint8_t		 buf[4096];
	size_t		 n;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	if ((fp = fopen(path, "rb")) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		blob_put(&bl, buf, n);
	fclose(fp);
	return bl;
}

/* ---- the peer ---- */

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends a scripted reply with every stream ID rewritten to sid. */
static int
send_reply(int fd, const struct blob *bl, uint32_t sid)
{
	uint8_t	*p;
	size_t	 off, len;
	uint32_t id;
	int	 rv;

	if ((p = malloc(bl->len)) == NULL)
		abort();
	memcpy(p, bl->b, bl->len);
	for (off = 0; off + 9 <= bl->len; off += 9 + len) {
		len = (size_t)p[off] << 16 | (size_t)p[off + 1] << 8 | p[off + 2];
		id = (uint32_t)p[off + 5] << 24 | (uint32_t)p[off + 6] << 16 |
		    (uint32_t)p[off + 7] << 8 | p[off + 8];
		if (id != 0 && p[off + 3] != F_GOAWAY) {
			p[off + 5] = (uint8_t)(sid >> 24);
			p[off + 6] = (uint8_t)(sid >> 16);
			p[off + 7] = (uint8_t)(sid >> 8);
			p[off + 8] = (uint8_t)sid;
		}
	}
	rv = write_all(fd, p, bl->len);
	free(p);
	return rv;
}

struct reader {
	int			 fd;
	uint8_t			 buf[PEER_BUF];
	size_t			 len;
	int			 preface_seen;
	nghttp2_hd_inflater	*hd;
	int			 status;	/* PEER_* bits */
	int			 ping_acks;
};

static int
has(const char *want, const uint8_t *v, size_t len)
{
	return strlen(want) == len && memcmp(want, v, len) == 0;
}

/* Every request must carry what a gRPC server needs, and a deadline. */
static void
check_headers(struct reader *r, const uint8_t *block, size_t len)
{
	nghttp2_nv	nv;
	ssize_t		n;
	size_t		i;
	int		flags, seen = 0, digits;

	for (;;) {
		n = nghttp2_hd_inflate_hd2(r->hd, &nv, &flags, block, len, 1);
		if (n < 0) {
			r->status |= PEER_BAD_HEADERS;
			return;
		}
		block += n;
		len -= (size_t)n;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			if (has(":method", nv.name, nv.namelen))
				seen |= has("POST", nv.value, nv.valuelen) << 0;
			else if (has(":scheme", nv.name, nv.namelen))
				seen |= has("http", nv.value, nv.valuelen) << 1;
			else if (has(":authority", nv.name, nv.namelen))
				seen |= has("localhost", nv.value, nv.valuelen) << 2;
			else if (has("content-type", nv.name, nv.namelen))
				seen |= has("application/grpc", nv.value,
				    nv.valuelen) << 3;
			else if (has("te", nv.name, nv.namelen))
				seen |= has("trailers", nv.value, nv.valuelen) << 4;
			else if (has(":path", nv.name, nv.namelen))
				seen |= (nv.valuelen > 12 && memcmp(nv.value,
				    "/runtime.v1.", 12) == 0) << 5;
			else if (has("grpc-timeout", nv.name, nv.namelen)) {
				for (i = 0, digits = 0; i + 1 < nv.valuelen &&
				    nv.value[i] >= '0' && nv.value[i] <= '9'; i++)
					digits++;
				seen |= (digits >= 1 && digits <= 8 &&
				    i + 1 == nv.valuelen &&
				    strchr("HMSmun", nv.value[i]) != NULL) << 6;
			}
			continue;
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL)
			nghttp2_hd_inflate_end_headers(r->hd);
		break;
	}
	if (seen != 0x7f)
		r->status |= PEER_BAD_HEADERS;
}

/*
 * Reads client frames until a request ends (END_STREAM on a client
 * stream): its stream ID, or 0 at EOF.
 */
static uint32_t
wait_request(struct reader *r)
{
	static const uint8_t	 ack_hdr[4] = { 0, 0, 8, F_PING };
	ssize_t			 n;
	size_t			 len;
	uint8_t			*f, ack[17];
	uint32_t		 sid;
	int			 type, flags;

	for (;;) {
		if (!r->preface_seen && r->len >= 24) {
			if (memcmp(r->buf, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) != 0)
				r->status |= PEER_BAD_FRAMES;
			memmove(r->buf, r->buf + 24, r->len - 24);
			r->len -= 24;
			r->preface_seen = 1;
		}
		while (r->preface_seen && r->len >= 9) {
			f = r->buf;
			len = (size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2];
			if (r->len < 9 + len)
				break;
			type = f[3];
			flags = f[4];
			sid = ((uint32_t)f[5] << 24 | (uint32_t)f[6] << 16 |
			    (uint32_t)f[7] << 8 | f[8]) & 0x7fffffff;
			if (type == F_PING && (flags & FL_ACK))
				r->ping_acks++;
			else if (type == F_PING && len == 8) {
				memcpy(ack, ack_hdr, 4);
				ack[4] = FL_ACK;
				memset(ack + 5, 0, 4);
				memcpy(ack + 9, f + 9, 8);
				if (write_all(r->fd, ack, sizeof(ack)) == -1)
					r->status |= PEER_IO;
			} else if (type == F_HEADERS && !(flags & FL_END_HEADERS))
				r->status |= PEER_BAD_FRAMES;	/* ours are small */
			else if (type == F_HEADERS)
				check_headers(r, f + 9, len);
			memmove(r->buf, r->buf + 9 + len, r->len - 9 - len);
			r->len -= 9 + len;
			if ((type == F_DATA || type == F_HEADERS) &&
			    (flags & FL_END_STREAM) && sid % 2 == 1)
				return sid;
		}
		if (r->len == sizeof(r->buf)) {
			r->status |= PEER_BAD_FRAMES;
			return 0;
		}
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		r->len += (size_t)n;
	}
}

static int
listen_on(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 4) == -1)
		return -1;
	return fd;
}

static void
peer_main(const struct script *sc, const char *path, int lfd)
{
	static struct reader	 r;
	size_t			 c, s;
	uint32_t		 sid;
	int			 cfd;

	if (sc->listen_after_ms > 0) {
		poll(NULL, 0, sc->listen_after_ms);
		if ((lfd = listen_on(path)) == -1)
			_exit(PEER_IO);
	}
	if (nghttp2_hd_inflate_new(&r.hd) != 0)
		_exit(PEER_IO);
	for (c = 0; c < sc->nconns; c++) {
		if ((cfd = accept(lfd, NULL, NULL)) == -1)
			_exit(PEER_IO);
		if (sc->conns[c].preface.len > 0 && write_all(cfd,
		    sc->conns[c].preface.b, sc->conns[c].preface.len) == -1)
			r.status |= PEER_IO;
		r.fd = cfd;
		r.len = 0;
		r.preface_seen = 0;
		nghttp2_hd_inflate_del(r.hd);	/* HPACK state is per connection */
		if (nghttp2_hd_inflate_new(&r.hd) != 0)
			_exit(PEER_IO);
		for (s = 0; s < sc->conns[c].nsteps; s++) {
			const struct step *st = &sc->conns[c].steps[s];

			if ((sid = wait_request(&r)) == 0)
				break;
			if (st->hold)
				continue;
			if (st->delay_ms > 0)
				poll(NULL, 0, st->delay_ms);
			if (send_reply(cfd, &st->reply, sid) == -1)
				r.status |= PEER_IO;
			if (st->close_after)
				break;
		}
		if (s == sc->conns[c].nsteps || !sc->conns[c].steps[s].close_after)
			while (wait_request(&r) != 0)
				;	/* until the client hangs up */
		close(cfd);
	}
	if (sc->expect_ping_ack && r.ping_acks == 0)
		r.status |= PEER_NO_PING_ACK;
	nghttp2_hd_inflate_del(r.hd);
	_exit(r.status);
}

static void
peer_start(struct peer *p, const struct script *sc)
{
	static int	n;
	int		lfd = -1;

	snprintf(p->path, sizeof(p->path), "%s/peer%d.sock", tmpdir, n++);
	if (sc->listen_after_ms == 0 && (lfd = listen_on(p->path)) == -1) {
		printf("Bail out! listen %s: %s\n", p->path, strerror(errno));
		exit(1);
	}
	fflush(stdout);
	if ((p->pid = fork()) == -1) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(1);
	}
	if (p->pid == 0)
		peer_main(sc, p->path, lfd);
	if (lfd != -1)
		close(lfd);
}

/* The peer's verdict once the client has gone: 0 when all held. */
static int
peer_wait(struct peer *p)
{
	int status;

	if (waitpid(p->pid, &status, 0) == -1)
		return -1;
	(void)unlink(p->path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 0x100;
}

static void
script_free(struct script *sc)
{
	size_t c, s;

	for (c = 0; c < sc->nconns; c++) {
		free(sc->conns[c].preface.b);
		for (s = 0; s < sc->conns[c].nsteps; s++)
			free(sc->conns[c].steps[s].reply.b);
	}
}

static struct cri *
client(const struct peer *p)
{
	struct cri_error	 err;
	struct cri		*c;
	char			 ep[160];

	snprintf(ep, sizeof(ep), "unix://%s", p->path);
	if ((c = cri_open(ep, &err)) == NULL) {
		printf("Bail out! %s\n", err.message);
		exit(1);
	}
	return c;
}

static void
call_init(struct cri_call *call, struct arena *a, int ms)
{
	memset(call, 0, sizeof(*call));
	call->arena = a;
	call->timeout_ms = ms;
}

/* One Version call against a one-connection, one-reply script. */
static int
version_against(struct blob reply, int expect_ping_ack, struct cri_call *call,
    Runtime__V1__VersionResponse **v, int *peer_status, struct arena *a)
{
	struct script	 sc;
	struct peer	 p;
	struct cri	*c;
	int		 rv;

	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = reply;
	sc.expect_ping_ack = expect_ping_ack;
	peer_start(&p, &sc);
	c = client(&p);
	call_init(call, a, CALL_MS);
	rv = cri_version(c, call, v);
	cri_close(c);
	*peer_status = peer_wait(&p);
	script_free(&sc);
	return rv;
}

/* ---- the tests ---- */

static void
test_grpc_replays_recorded_containerd_version(void)
{
	Runtime__V1__VersionResponse	*v;
	struct cri_call			 call;
	struct arena			 a;
	int				 rv, ps;

	arena_init(&a, 1024 * 1024);
	rv = version_against(load("containerd-version.bin"), 1, &call, &v, &ps,
	    &a);
	ok(rv == 0 && strcmp(v->runtime_name, "containerd") == 0 &&
	    strcmp(v->runtime_version, "1.6.20~ds1") == 0 &&
	    strcmp(v->runtime_api_version, "v1") == 0,
	    "test_grpc_replays_recorded_containerd_version");
	ok(ps == 0, "test_grpc_request_headers_are_grpc_and_the_server_ping_"
	    "is_acked (peer status %#x)", ps);
	arena_free(&a);
}

static void
test_grpc_recorded_not_found_is_trailers_only(void)
{
	Runtime__V1__ContainerStatus	*st;
	struct script			 sc;
	struct cri_call			 call;
	struct arena			 a;
	struct peer			 p;
	struct cri			*c;
	int				 rv;

	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply =
	    load("containerd-container-status-not-found.bin");
	peer_start(&p, &sc);
	c = client(&p);
	arena_init(&a, 1024 * 1024);
	call_init(&call, &a, CALL_MS);
	rv = cri_container_status(c, &call, "0123456789abcdef", &st);
	ok(rv == -1 && call.err.code == CRI_NOT_FOUND &&
	    strcmp(call.err.message, "ContainerStatus: an error occurred when "
	    "try to find container \"0123456789abcdef\": not found") == 0,
	    "test_grpc_recorded_not_found_is_trailers_only (%s)",
	    call.err.message);
	cri_close(c);
	ok(peer_wait(&p) == 0, "test_grpc_recorded_not_found_peer_content");
	arena_free(&a);
	script_free(&sc);
}

static void
test_grpc_recorded_absent_image_is_empty(void)
{
	static Runtime__V1__Image unset;	/* must be replaced by NULL */
	Runtime__V1__Image	*img = &unset;
	struct script		 sc;
	struct cri_call		 call;
	struct arena		 a;
	struct peer		 p;
	struct cri		*c;
	int			 rv;

	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = load("containerd-image-status-absent.bin");
	peer_start(&p, &sc);
	c = client(&p);
	arena_init(&a, 1024 * 1024);
	call_init(&call, &a, CALL_MS);
	rv = cri_image_status(c, &call, "localhost/absent:0", &img);
	ok(rv == 0 && img == NULL,
	    "test_grpc_recorded_absent_image_is_an_empty_reply_not_an_error");
	cri_close(c);
	peer_wait(&p);
	arena_free(&a);
	script_free(&sc);
}

static void
test_grpc_joins_a_reply_split_over_data_frames(void)
{
	Runtime__V1__VersionResponse	*v;
	struct cri_call			 call;
	struct arena			 a;
	size_t				 chunks[] = { 1, 3, 7 };
	size_t				 i;
	int				 rv, ps, all = 1;

	arena_init(&a, 1024 * 1024);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		rv = version_against(with_preface(ok_version(chunks[i])), 0,
		    &call, &v, &ps, &a);
		all &= rv == 0 && ps == 0 &&
		    strcmp(v->runtime_name, "replayed") == 0 &&
		    strcmp(v->runtime_version, "9.9.9") == 0;
	}
	ok(all, "test_grpc_joins_a_reply_split_over_data_frames "
	    "(1, 3 and 7 bytes a frame, the prefix split too)");
	arena_free(&a);
}

static void
test_grpc_large_reply_over_many_frames(void)
{
	Runtime__V1__ListContainersResponse	 r =
	    RUNTIME__V1__LIST_CONTAINERS_RESPONSE__INIT;
	Runtime__V1__Container			*ctrs, **pp, **got;
	struct script				 sc;
	struct cri_call				 call;
	struct arena				 a;
	struct peer				 p;
	struct blob				 bl = { NULL, 0 };
	struct cri				*c;
	uint8_t					*msg;
	size_t					 i, n, len;
	char					 ids[2000][65];
	int					 rv;

	/* ~200 KiB: beyond HTTP/2's default 64 KiB window and frame size */
	n = 2000;
	ctrs = calloc(n, sizeof(*ctrs));
	pp = calloc(n, sizeof(*pp));
	if (ctrs == NULL || pp == NULL)
		abort();
	for (i = 0; i < n; i++) {
		runtime__v1__container__init(&ctrs[i]);
		snprintf(ids[i], sizeof(ids[i]), "%064zx", i);
		ctrs[i].id = ids[i];
		ctrs[i].pod_sandbox_id = ids[i];
		pp[i] = &ctrs[i];
	}
	r.containers = pp;
	r.n_containers = n;
	len = runtime__v1__list_containers_response__get_packed_size(&r);
	if ((msg = malloc(len)) == NULL)
		abort();
	runtime__v1__list_containers_response__pack(&r, msg);
	server_preface(&bl);
	response_headers(&bl);
	data_message(&bl, msg, len, 16384);
	trailers(&bl, "0", NULL);

	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = bl;
	peer_start(&p, &sc);
	c = client(&p);
	arena_init(&a, 4 * 1024 * 1024);
	call_init(&call, &a, CALL_MS);
	rv = cri_list_containers(c, &call, NULL, &got, &n);
	ok(rv == 0 && n == 2000 && strcmp(got[1999]->id, ids[1999]) == 0,
	    "test_grpc_large_reply_over_many_frames (%zu bytes)", len);
	arena_free(&a);

	/* the same reply into an arena too small for it: refused, not grown */
	arena_init(&a, 64 * 1024);
	cri_close(c);
	peer_wait(&p);
	peer_start(&p, &sc);
	c = client(&p);
	call_init(&call, &a, CALL_MS);
	rv = cri_list_containers(c, &call, NULL, &got, &n);
	ok(rv == -1 && call.err.code == CRI_RESOURCE_EXHAUSTED,
	    "test_grpc_reply_larger_than_its_arena_is_refused (%s)",
	    call.err.message);
	cri_close(c);
	peer_wait(&p);
	arena_free(&a);
	script_free(&sc);
	free(msg);
	free(pp);
	free(ctrs);
}

static void
test_grpc_refuses_an_oversized_reply(void)
{
	Runtime__V1__VersionResponse	*v;
	struct script			 sc;
	struct cri_call			 call;
	struct arena			 a;
	struct peer			 p;
	struct blob			 bl = { NULL, 0 };
	struct cri			*c;
	uint8_t				 pfx[5];
	int64_t				 t0;
	int				 rv, rv2;

	/* announces 16 MiB + 1, then sends nothing more: refused at once */
	server_preface(&bl);
	response_headers(&bl);
	grpc_prefix(pfx, 0, CRI_RECV_MAX + 1);
	frame(&bl, F_DATA, 0, 1, pfx, 5);
	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 2;
	sc.conns[0].steps[0].reply = bl;
	sc.conns[0].steps[1].reply = ok_version(16384);
	peer_start(&p, &sc);
	c = client(&p);
	arena_init(&a, 1024 * 1024);
	call_init(&call, &a, CALL_MS);
	t0 = now_ms();
	rv = cri_version(c, &call, &v);
	ok(rv == -1 && call.err.code == CRI_RESOURCE_EXHAUSTED &&
	    now_ms() - t0 < 1000 && strstr(call.err.message, "16777217") != NULL,
	    "test_grpc_refuses_an_oversized_reply_from_its_prefix (%s)",
	    call.err.message);
	call_init(&call, &a, CALL_MS);
	rv2 = cri_version(c, &call, &v);
	ok(rv2 == 0 && cri_connections(c) == 1,
	    "test_grpc_connection_serves_the_next_call_after_a_refused_reply");
	cri_close(c);
	ok(peer_wait(&p) == 0, "test_grpc_oversized_peer_content");
	arena_free(&a);
	script_free(&sc);
}

static void
test_grpc_small_cap_refuses_a_real_reply(void)
{
	struct script	 sc;
	struct cri_error err;
	struct peer	 p;
	struct grpc	*g;
	const uint8_t	*reply;
	size_t		 len;
	int		 rv;

	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = with_preface(ok_version(4));
	peer_start(&p, &sc);
	g = grpc_new(p.path);
	rv = grpc_unary(g, "/runtime.v1.RuntimeService/Version",
	    (const uint8_t *)"", 0, CALL_MS, 10, &reply, &len, &err);
	ok(rv == -1 && err.code == CRI_RESOURCE_EXHAUSTED,
	    "test_grpc_reply_over_the_cap_is_refused (%s)", err.message);
	grpc_free(g);
	peer_wait(&p);
	script_free(&sc);
}

/* One call whose whole reply is body (after a preface): its error. */
static struct cri_error
error_of(struct blob body)
{
	Runtime__V1__VersionResponse	*v;
	struct cri_call			 call;
	struct arena			 a;
	int				 ps;

	arena_init(&a, 1024 * 1024);
	if (version_against(with_preface(body), 0, &call, &v, &ps, &a) == 0)
		call.err.code = CRI_OK;
	arena_free(&a);
	return call.err;
}

static void
test_grpc_reply_errors(void)
{
	static const char *const status404[] = { ":status", "404" };
	static const char *const html[] = {
		":status", "200", "content-type", "text/html",
	};
	struct cri_error	 e;
	struct blob		 bl;
	uint8_t			 msg[256], pfx[5], rst[4] = { 0, 0, 0, 2 };
	size_t			 n;

	/* Trailers-Only, with a percent-encoded message */
	bl = (struct blob){ NULL, 0 };
	{
		const char *nv[] = {
			":status", "200", "content-type", "application/grpc",
			"grpc-status", "5", "grpc-message",
			"no%20such%20pod%3A%20%22x%22%0Aline2%zz%",
		};

		headers(&bl, FL_END_STREAM, nv, 8);
	}
	e = error_of(bl);
	ok(e.code == CRI_NOT_FOUND && strcmp(e.message,
	    "Version: no such pod: \"x\"?line2%zz%") == 0,
	    "test_grpc_trailers_only_error_with_a_percent_decoded_message (%s)",
	    e.message);

	bl = (struct blob){ NULL, 0 };
	response_headers(&bl);
	n = version_reply(msg, sizeof(msg));
	data_message(&bl, msg, n, 16384);
	frame(&bl, F_DATA, FL_END_STREAM, 1, NULL, 0);
	e = error_of(bl);
	ok(e.code == CRI_INTERNAL && strstr(e.message, "no grpc-status") != NULL,
	    "test_grpc_reply_without_grpc_status_is_internal (%s)", e.message);

	bl = (struct blob){ NULL, 0 };
	headers(&bl, FL_END_STREAM, status404, 2);
	e = error_of(bl);
	ok(e.code == CRI_UNIMPLEMENTED && strstr(e.message, "404") != NULL,
	    "test_grpc_http_404_is_unimplemented (%s)", e.message);

	bl = (struct blob){ NULL, 0 };
	headers(&bl, FL_END_STREAM, html, 4);
	e = error_of(bl);
	ok(e.code == CRI_UNKNOWN && strstr(e.message, "text/html") != NULL,
	    "test_grpc_non_grpc_content_type_is_unknown (%s)", e.message);

	bl = (struct blob){ NULL, 0 };
	frame(&bl, F_RST, 0, 1, rst, 4);	/* INTERNAL_ERROR */
	e = error_of(bl);
	ok(e.code == CRI_INTERNAL && strstr(e.message, "reset") != NULL,
	    "test_grpc_rst_stream_before_a_reply_is_internal (%s)", e.message);

	bl = (struct blob){ NULL, 0 };
	response_headers(&bl);
	n = version_reply(msg, sizeof(msg));
	grpc_prefix(pfx, 1, (uint32_t)n);
	frame(&bl, F_DATA, 0, 1, pfx, 5);
	frame(&bl, F_DATA, 0, 1, msg, n);
	trailers(&bl, "0", NULL);
	e = error_of(bl);
	ok(e.code == CRI_INTERNAL && strstr(e.message, "compress") != NULL,
	    "test_grpc_compressed_reply_is_refused (%s)", e.message);

	bl = (struct blob){ NULL, 0 };
	response_headers(&bl);
	data_message(&bl, msg, n, 16384);
	data_message(&bl, msg, n, 16384);
	trailers(&bl, "0", NULL);
	e = error_of(bl);
	ok(e.code == CRI_INTERNAL && strstr(e.message, "more than one") != NULL,
	    "test_grpc_two_messages_in_a_unary_reply_are_refused (%s)",
	    e.message);

	bl = (struct blob){ NULL, 0 };
	response_headers(&bl);
	trailers(&bl, "0", NULL);
	e = error_of(bl);
	ok(e.code == CRI_INTERNAL && strstr(e.message, "no message") != NULL,
	    "test_grpc_ok_without_a_message_is_internal (%s)", e.message);

	bl = (struct blob){ NULL, 0 };
	response_headers(&bl);
	trailers(&bl, "99", "odd");
	e = error_of(bl);
	ok(e.code == CRI_UNKNOWN,
	    "test_grpc_unknown_status_code_is_unknown (%s)", e.message);
}

static void
test_grpc_connection_cut_mid_reply(void)
{
	Runtime__V1__VersionResponse	*v;
	struct script			 sc;
	struct cri_call			 call;
	struct arena			 a;
	struct peer			 p;
	struct blob			 bl = { NULL, 0 };
	struct cri			*c;
	uint8_t				 pfx[5];
	int				 rv;

	server_preface(&bl);
	response_headers(&bl);
	grpc_prefix(pfx, 0, 100);
	frame(&bl, F_DATA, 0, 1, pfx, 5);
	memset(&sc, 0, sizeof(sc));
	sc.nconns = 2;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = bl;
	sc.conns[0].steps[0].close_after = 1;
	sc.conns[1].nsteps = 1;
	sc.conns[1].steps[0].reply = with_preface(ok_version(16384));
	peer_start(&p, &sc);
	c = client(&p);
	arena_init(&a, 1024 * 1024);
	call_init(&call, &a, CALL_MS);
	rv = cri_version(c, &call, &v);
	ok(rv == -1 && call.err.code == CRI_UNAVAILABLE,
	    "test_grpc_connection_cut_mid_reply_is_unavailable (%s)",
	    call.err.message);
	call_init(&call, &a, CALL_MS);
	rv = cri_version(c, &call, &v);
	ok(rv == 0 && cri_connections(c) == 2,
	    "test_grpc_next_call_after_a_cut_reconnects");
	cri_close(c);
	ok(peer_wait(&p) == 0, "test_grpc_cut_peer_content");
	arena_free(&a);
	script_free(&sc);
}

static void
goaway(struct blob *bl, uint32_t last, uint32_t code)
{
	uint8_t p[8];

	p[0] = (uint8_t)(last >> 24);
	p[1] = (uint8_t)(last >> 16);
	p[2] = (uint8_t)(last >> 8);
	p[3] = (uint8_t)last;
	p[4] = (uint8_t)(code >> 24);
	p[5] = (uint8_t)(code >> 16);
	p[6] = (uint8_t)(code >> 8);
	p[7] = (uint8_t)code;
	frame(bl, F_GOAWAY, 0, 0, p, 8);
}

static void
test_grpc_goaway_and_refused_streams(void)
{
	Runtime__V1__VersionResponse	*v;
	struct script			 sc;
	struct cri_call			 call;
	struct arena			 a;
	struct peer			 p;
	struct blob			 bl;
	struct cri			*c;
	uint8_t				 refused[4] = { 0, 0, 0, 7 };
	int				 rv;

	arena_init(&a, 1024 * 1024);

	/* a reply, then GOAWAY: the next call goes to a new connection */
	bl = with_preface(ok_version(16384));
	goaway(&bl, 1, 0);
	memset(&sc, 0, sizeof(sc));
	sc.nconns = 2;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = bl;
	sc.conns[1].nsteps = 1;
	sc.conns[1].steps[0].reply = with_preface(ok_version(16384));
	peer_start(&p, &sc);
	c = client(&p);
	call_init(&call, &a, CALL_MS);
	rv = cri_version(c, &call, &v);
	call_init(&call, &a, CALL_MS);
	if (rv == 0)
		rv = cri_version(c, &call, &v);
	ok(rv == 0 && cri_connections(c) == 2,
	    "test_grpc_goaway_after_a_reply_moves_to_a_new_connection");
	cri_close(c);
	ok(peer_wait(&p) == 0, "test_grpc_goaway_peer_content");
	script_free(&sc);

	/* GOAWAY below our stream: never processed, so sent again */
	bl = (struct blob){ NULL, 0 };
	server_preface(&bl);
	goaway(&bl, 0, 0);
	memset(&sc, 0, sizeof(sc));
	sc.nconns = 2;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = bl;
	sc.conns[1].nsteps = 1;
	sc.conns[1].steps[0].reply = with_preface(ok_version(16384));
	peer_start(&p, &sc);
	c = client(&p);
	call_init(&call, &a, CALL_MS);
	rv = cri_version(c, &call, &v);
	ok(rv == 0 && cri_connections(c) == 2,
	    "test_grpc_request_refused_by_goaway_is_retried_once (%s)",
	    call.err.message);
	cri_close(c);
	peer_wait(&p);
	script_free(&sc);

	/* REFUSED_STREAM: likewise */
	bl = (struct blob){ NULL, 0 };
	server_preface(&bl);
	frame(&bl, F_RST, 0, 1, refused, 4);
	memset(&sc, 0, sizeof(sc));
	sc.nconns = 2;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = bl;
	sc.conns[1].nsteps = 1;
	sc.conns[1].steps[0].reply = with_preface(ok_version(16384));
	peer_start(&p, &sc);
	c = client(&p);
	call_init(&call, &a, CALL_MS);
	rv = cri_version(c, &call, &v);
	ok(rv == 0 && cri_connections(c) == 2,
	    "test_grpc_refused_stream_is_retried_once (%s)", call.err.message);
	cri_close(c);
	peer_wait(&p);
	script_free(&sc);
	arena_free(&a);
}

static void
test_grpc_deadlines(void)
{
	Runtime__V1__VersionResponse	*v;
	struct script			 sc;
	struct cri_call			 call;
	struct arena			 a;
	struct peer			 p;
	struct cri			*c;
	int64_t				 t0, el;
	int				 rv;

	/* the peer never answers the first request */
	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 2;
	sc.conns[0].steps[0].hold = 1;
	sc.conns[0].steps[1].reply = with_preface(ok_version(16384));
	peer_start(&p, &sc);
	c = client(&p);
	arena_init(&a, 1024 * 1024);
	call_init(&call, &a, 200);
	t0 = now_ms();
	rv = cri_version(c, &call, &v);
	el = now_ms() - t0;
	ok(rv == -1 && call.err.code == CRI_DEADLINE_EXCEEDED && el >= 200 &&
	    el < 1000, "test_grpc_silent_server_hits_the_deadline (%lld ms)",
	    (long long)el);
	call_init(&call, &a, CALL_MS);
	rv = cri_version(c, &call, &v);
	ok(rv == 0 && cri_connections(c) == 1,
	    "test_grpc_timed_out_stream_leaves_the_connection_usable");
	cri_close(c);
	peer_wait(&p);
	script_free(&sc);

	/* the answer to a timed-out call arrives late: it must not be taken */
	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 2;
	sc.conns[0].steps[0].reply = with_preface(named_version("late"));
	sc.conns[0].steps[0].delay_ms = 400;
	sc.conns[0].steps[1].reply = named_version("current");
	peer_start(&p, &sc);
	c = client(&p);
	call_init(&call, &a, 200);
	rv = cri_version(c, &call, &v);
	if (rv == -1 && call.err.code == CRI_DEADLINE_EXCEEDED) {
		call_init(&call, &a, CALL_MS);
		rv = cri_version(c, &call, &v);
	} else
		rv = -1;
	ok(rv == 0 && strcmp(v->runtime_name, "current") == 0 &&
	    cri_connections(c) == 1,
	    "test_grpc_late_reply_to_a_timed_out_call_is_ignored (%s)",
	    rv == 0 ? v->runtime_name : call.err.message);
	cri_close(c);
	ok(peer_wait(&p) == 0, "test_grpc_late_reply_peer_content");
	script_free(&sc);
	arena_free(&a);
}

static void
test_grpc_connecting(void)
{
	Runtime__V1__VersionResponse	*v;
	struct script			 sc;
	struct cri_error		 err;
	struct cri_call			 call;
	struct arena			 a;
	struct peer			 p;
	struct cri			*c;
	int64_t				 t0, el;
	char				 ep[160];
	int				 rv;

	arena_init(&a, 1024 * 1024);
	snprintf(ep, sizeof(ep), "unix://%s/nobody-listens.sock", tmpdir);
	c = cri_open(ep, &err);
	call_init(&call, &a, 250);
	t0 = now_ms();
	rv = cri_version(c, &call, &v);
	el = now_ms() - t0;
	ok(rv == -1 && call.err.code == CRI_UNAVAILABLE &&
	    strstr(call.err.message, "No such file or directory") != NULL &&
	    el < 1000, "test_grpc_unreachable_runtime_is_unavailable (%s)",
	    call.err.message);
	cri_close(c);

	/* the socket appears 300 ms after the first attempt */
	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].reply = with_preface(ok_version(16384));
	sc.listen_after_ms = 300;
	peer_start(&p, &sc);
	c = client(&p);
	call_init(&call, &a, CALL_MS);
	t0 = now_ms();
	rv = cri_version(c, &call, &v);
	el = now_ms() - t0;
	ok(rv == 0 && el >= 250 && cri_connections(c) == 1,
	    "test_grpc_waits_with_backoff_for_a_socket_that_appears_late "
	    "(%lld ms)", (long long)el);
	cri_close(c);
	peer_wait(&p);
	script_free(&sc);

	ok(cri_open("tcp://localhost:1234", &err) == NULL &&
	    err.code == CRI_INVALID_ARGUMENT,
	    "test_cri_open_refuses_a_non_unix_endpoint (%s)", err.message);
	arena_free(&a);
}

static void
test_grpc_ping(void)
{
	struct script	 sc;
	struct cri_error err;
	struct peer	 p;
	struct grpc	*g;
	int		 rv;

	memset(&sc, 0, sizeof(sc));
	sc.nconns = 1;
	sc.conns[0].nsteps = 1;
	sc.conns[0].steps[0].hold = 1;
	server_preface(&sc.conns[0].preface);
	peer_start(&p, &sc);
	g = grpc_new(p.path);
	rv = grpc_ping(g, CALL_MS, &err);
	ok(rv == 0 && grpc_connections(g) == 1, "test_grpc_ping_round_trip (%s)",
	    err.message);
	rv = grpc_ping(g, CALL_MS, &err);
	ok(rv == 0 && grpc_connections(g) == 1,
	    "test_grpc_second_ping_on_the_same_connection");
	grpc_free(g);
	peer_wait(&p);
	script_free(&sc);
}

static void
test_grpc_helpers(void)
{
	char	buf[64];
	size_t	n;

	n = grpc_percent_decode("a%2", 3, buf, sizeof(buf));
	ok(n == 3 && strcmp(buf, "a%2") == 0,
	    "test_grpc_percent_decode_keeps_a_truncated_escape");
	n = grpc_percent_decode("%e2%9c%93%7f", 12, buf, sizeof(buf));
	ok(n == 4 && strcmp(buf, "\xe2\x9c\x93?") == 0,
	    "test_grpc_percent_decode_utf8_and_masks_controls");
	n = grpc_percent_decode("abcdef", 6, buf, 4);
	ok(n == 3 && strcmp(buf, "abc") == 0,
	    "test_grpc_percent_decode_truncates");
	ok(grpc_timeout_header(1500, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "1500m") == 0, "test_grpc_timeout_in_milliseconds");
	ok(grpc_timeout_header(0, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "1m") == 0, "test_grpc_timeout_never_zero");
	ok(grpc_timeout_header(2000000000, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "2000000S") == 0,
	    "test_grpc_timeout_of_eight_digits_at_most");
	ok(strcmp(cri_code_name(CRI_DEADLINE_EXCEEDED),
	    "DEADLINE_EXCEEDED") == 0 && strcmp(cri_code_name(42), "UNKNOWN") == 0,
	    "test_cri_code_names");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_grpc DATADIR\n");
		return 2;
	}
	datadir = argv[1];
	signal(SIGPIPE, SIG_IGN);	/* the peer may write to a closed socket */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/spd-grpc.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_grpc_helpers();
	test_grpc_replays_recorded_containerd_version();
	test_grpc_recorded_not_found_is_trailers_only();
	test_grpc_recorded_absent_image_is_empty();
	test_grpc_joins_a_reply_split_over_data_frames();
	test_grpc_large_reply_over_many_frames();
	test_grpc_refuses_an_oversized_reply();
	test_grpc_small_cap_refuses_a_real_reply();
	test_grpc_reply_errors();
	test_grpc_connection_cut_mid_reply();
	test_grpc_goaway_and_refused_streams();
	test_grpc_deadlines();
	test_grpc_connecting();
	test_grpc_ping();
	rmdir(tmpdir);
	printf("1..%d\n", ntest);
	return nfail == 0 ? 0 : 1;
}
