/*
 * Unary gRPC over HTTP/2 (h2c, prior knowledge) on a unix socket.
 *
 * libnghttp2 does the framing, HPACK and flow control; this file owns the
 * socket (non-blocking, driven by poll so every call keeps its deadline),
 * the gRPC message framing, the size cap, the mapping of everything that
 * can go wrong onto a gRPC status, and reconnection.
 *
 * There is at most one call in flight, and its state lives in struct grpc,
 * never on the stack: nghttp2 may still hold a cancelled stream when the
 * call has returned, and must find nothing of it to touch then. Callbacks
 * act only on frames of the current stream; anything else is ignored.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "grpc.h"
#include "log.h"

#define GRPC_READ_CHUNK		(16 * 1024)
#define GRPC_HEADER_LIST_MAX	(64 * 1024)	/* what we accept in HEADERS */
#define GRPC_TIMEOUT_DIGITS	8		/* the spec's limit */
#define GRPC_CTYPE_MAX		64
#define GRPC_OUT_BATCH		(64 * 1024)	/* frames gathered for one send */

struct grpc_call {
	int32_t		 stream_id;	/* 0: no call, frames are ignored */
	size_t		 sent;		/* bytes of g->sendbuf handed over */
	size_t		 recv_max;
	uint32_t	 expect;	/* message length from its prefix */
	int		 http_status;	/* 0 until :status */
	int		 headers;	/* the response HEADERS arrived */
	int		 trailers;	/* HEADERS ended the server's stream */
	int		 ended;		/* the server ended its stream */
	int		 grpc_status;	/* -1 absent, -2 not a status */
	char		 ctype[GRPC_CTYPE_MAX];
	char		 grpc_message[CRI_ERROR_MAX];
	int		 closed;	/* nghttp2 closed the stream */
	uint32_t	 rst_code;	/* its HTTP/2 error code */
	int		 refused;	/* the server never processed it */
	int		 failed;	/* err holds our own verdict */
	struct cri_error err;
};

struct grpc {
	char		*path;
	int		 fd;
	nghttp2_session	*h2;
	int		 draining;	/* GOAWAY seen: no new streams here */
	int		 ping_acked;
	struct grpc_call cur;

	uint8_t		*out;		/* frames nghttp2 has serialized */
	size_t		 outlen, outoff, outcap;
	uint8_t		*sendbuf;	/* gRPC prefix + request message */
	size_t		 sendlen, sendcap;
	uint8_t		*buf;		/* gRPC prefix + reply message */
	size_t		 len, cap;

	int		 backoff_ms;
	int64_t		 next_connect;	/* monotonic ms */
	char		 connect_error[256];
	uint64_t	 connections;
};

enum grpc_run {
	RUN_DONE,
	RUN_TIMEOUT,
	RUN_BROKEN,	/* the connection is gone, err says why */
};

static int	grpc_err(struct cri_error *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
grpc_err(struct cri_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
ms_left(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

struct grpc *
grpc_new(const char *sockpath)
{
	struct sockaddr_un	 sun;
	struct grpc		*g;

	if (sockpath != NULL && strlen(sockpath) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal("grpc");
	if (sockpath != NULL && (g->path = strdup(sockpath)) == NULL)
		fatal("grpc");
	g->fd = -1;
	g->backoff_ms = GRPC_BACKOFF_MIN_MS;
	return g;
}

void
grpc_disconnect(struct grpc *g)
{
	g->cur.stream_id = 0;
	if (g->h2 != NULL)
		nghttp2_session_del(g->h2);
	g->h2 = NULL;
	if (g->fd != -1)
		close(g->fd);
	g->fd = -1;
	g->draining = 0;
	g->outlen = g->outoff = 0;
}

void
grpc_free(struct grpc *g)
{
	if (g == NULL)
		return;
	grpc_disconnect(g);
	free(g->out);
	free(g->sendbuf);
	free(g->buf);
	free(g->path);
	free(g);
}

uint64_t
grpc_connections(const struct grpc *g)
{
	return g->connections;
}

void
grpc_release(struct grpc *g)
{
	g->len = 0;
	if (g->cap > GRPC_KEEP_BUF) {
		free(g->buf);
		g->buf = NULL;
		g->cap = 0;
	}
	if (g->sendcap > GRPC_KEEP_BUF) {
		free(g->sendbuf);
		g->sendbuf = NULL;
		g->sendcap = 0;
	}
	if (g->outcap > GRPC_KEEP_BUF && g->outoff == g->outlen) {
		free(g->out);
		g->out = NULL;
		g->outcap = g->outlen = g->outoff = 0;
	}
}

/*
 * grpc-message is percent-encoded UTF-8. Control characters become '?'
 * so that a message can go into a log line whole.
 */
static int
grpc_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
grpc_percent_decode(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t		i, o = 0;
	unsigned char	ch;
	int		hi, lo;

	if (outlen == 0)
		return 0;
	for (i = 0; i < inlen && o + 1 < outlen; i++) {
		ch = (unsigned char)in[i];
		if (ch == '%' && inlen - i > 2 &&
		    (hi = grpc_hexval(in[i + 1])) != -1 &&
		    (lo = grpc_hexval(in[i + 2])) != -1) {
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	out[o] = '\0';
	return o;
}

/* At most 8 digits and a unit, as the gRPC spec allows. */
int
grpc_timeout_header(int ms, char *buf, size_t len)
{
	int n;

	if (ms < 1)
		ms = 1;
	if (ms < 100000000)
		n = snprintf(buf, len, "%dm", ms);
	else
		n = snprintf(buf, len, "%dS", ms / 1000);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static int
grpc_http_to_code(int status)
{
	/* gRPC's doc/http-grpc-status-mapping.md */
	switch (status) {
	case 400:
		return CRI_INTERNAL;
	case 401:
		return CRI_UNAUTHENTICATED;
	case 403:
		return CRI_PERMISSION_DENIED;
	case 404:
		return CRI_UNIMPLEMENTED;
	case 429:
	case 502:
	case 503:
	case 504:
		return CRI_UNAVAILABLE;
	default:
		return CRI_UNKNOWN;
	}
}

/* ---- nghttp2 callbacks: user_data is the struct grpc ---- */

/* The request body: the gRPC prefix and message, as one buffer. */
static ssize_t
grpc_read_cb(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct grpc		*g = ud;
	struct grpc_call	*c = &g->cur;
	size_t			 n;

	(void)s;
	(void)src;
	if (stream_id != c->stream_id || c->stream_id == 0)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;	/* resets it */
	n = g->sendlen - c->sent;
	if (n > len)
		n = len;
	memcpy(buf, g->sendbuf + c->sent, n);
	c->sent += n;
	if (c->sent == g->sendlen)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int
grpc_header_is(const uint8_t *name, size_t namelen, const char *want)
{
	return namelen == strlen(want) && memcmp(name, want, namelen) == 0;
}

static int
grpc_parse_status(const uint8_t *v, size_t len)
{
	int	 n = 0;
	size_t	 i;

	if (len == 0 || len > 3)
		return -2;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -2;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

static int
grpc_header_cb(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
    size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
    void *ud)
{
	struct grpc		*g = ud;
	struct grpc_call	*c = &g->cur;
	size_t			 n;

	(void)s;
	(void)flags;
	if (f->hd.type != NGHTTP2_HEADERS || c->stream_id == 0 ||
	    f->hd.stream_id != c->stream_id)
		return 0;
	if (grpc_header_is(name, namelen, ":status"))
		c->http_status = grpc_parse_status(value, valuelen);
	else if (grpc_header_is(name, namelen, "content-type")) {
		n = valuelen < sizeof(c->ctype) ? valuelen : sizeof(c->ctype) - 1;
		memcpy(c->ctype, value, n);
		c->ctype[n] = '\0';
	} else if (grpc_header_is(name, namelen, "grpc-status"))
		c->grpc_status = grpc_parse_status(value, valuelen);
	else if (grpc_header_is(name, namelen, "grpc-message"))
		grpc_percent_decode((const char *)value, valuelen,
		    c->grpc_message, sizeof(c->grpc_message));
	return 0;
}

static int
grpc_frame_recv_cb(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
	struct grpc		*g = ud;
	struct grpc_call	*c = &g->cur;

	(void)s;
	switch (f->hd.type) {
	case NGHTTP2_HEADERS:
		if (c->stream_id == 0 || f->hd.stream_id != c->stream_id)
			break;
		if (f->headers.cat == NGHTTP2_HCAT_RESPONSE)
			c->headers = c->http_status >= 200;
		if (f->hd.flags & NGHTTP2_FLAG_END_STREAM)
			c->trailers = c->ended = 1;	/* or Trailers-Only */
		break;
	case NGHTTP2_DATA:
		/* ended without trailers: judged in grpc_finish */
		if (c->stream_id != 0 && f->hd.stream_id == c->stream_id &&
		    (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
			c->ended = 1;
		break;
	case NGHTTP2_GOAWAY:
		g->draining = 1;
		if (c->stream_id > f->goaway.last_stream_id)
			c->refused = 1;
		log_debug("cri: GOAWAY from the runtime (%s), last stream %d",
		    nghttp2_http2_strerror(f->goaway.error_code),
		    f->goaway.last_stream_id);
		break;
	case NGHTTP2_PING:
		if (f->hd.flags & NGHTTP2_FLAG_ACK)
			g->ping_acked = 1;
		break;
	case NGHTTP2_SETTINGS:
		/* The runtime is up and speaks HTTP/2: forget past failures. */
		if (!(f->hd.flags & NGHTTP2_FLAG_ACK))
			g->backoff_ms = GRPC_BACKOFF_MIN_MS;
		break;
	}
	return 0;
}

static int
grpc_reserve(struct grpc *g, size_t need, size_t limit)
{
	size_t	 ncap;
	uint8_t	*p;

	if (need <= g->cap)
		return 0;
	ncap = g->cap < 4096 ? 4096 : g->cap;
	while (ncap < need)
		ncap *= 2;
	if (ncap > limit)
		ncap = limit;
	if ((p = realloc(g->buf, ncap)) == NULL)
		return -1;
	g->buf = p;
	g->cap = ncap;
	return 0;
}

/*
 * Reply bytes, which may be split anywhere across DATA frames. The prefix
 * tells the size before the bytes arrive, so an oversized reply is refused
 * without buffering it.
 */
static int
grpc_append(struct grpc *g, struct grpc_call *c, const uint8_t *data,
    size_t len)
{
	size_t	 k;
	uint32_t n;

	while (len > 0) {
		if (g->len < GRPC_PREFIX_LEN) {
			if (grpc_reserve(g, GRPC_PREFIX_LEN, GRPC_PREFIX_LEN) == -1)
				return grpc_err(&c->err, CRI_RESOURCE_EXHAUSTED,
				    "out of memory");
			k = GRPC_PREFIX_LEN - g->len;
			if (k > len)
				k = len;
			memcpy(g->buf + g->len, data, k);
			g->len += k;
			data += k;
			len -= k;
			if (g->len < GRPC_PREFIX_LEN)
				continue;
			n = (uint32_t)g->buf[1] << 24 | (uint32_t)g->buf[2] << 16 |
			    (uint32_t)g->buf[3] << 8 | g->buf[4];
			if (g->buf[0] != 0)
				return grpc_err(&c->err, CRI_INTERNAL,
				    "compressed reply (flag %u), but no "
				    "compression was offered", g->buf[0]);
			if (n > c->recv_max)
				return grpc_err(&c->err, CRI_RESOURCE_EXHAUSTED,
				    "reply of %u bytes is larger than the "
				    "%zu-byte cap", n, c->recv_max);
			c->expect = n;
			continue;
		}
		if (g->len - GRPC_PREFIX_LEN + len > c->expect)
			return grpc_err(&c->err, CRI_INTERNAL,
			    "more than one message in the reply to a unary call");
		if (grpc_reserve(g, g->len + len,
		    GRPC_PREFIX_LEN + (size_t)c->expect) == -1)
			return grpc_err(&c->err, CRI_RESOURCE_EXHAUSTED,
			    "out of memory for a reply of %u bytes", c->expect);
		memcpy(g->buf + g->len, data, len);
		g->len += len;
		len = 0;
	}
	return 0;
}

static int
grpc_data_cb(nghttp2_session *s, uint8_t flags, int32_t stream_id,
    const uint8_t *data, size_t len, void *ud)
{
	struct grpc		*g = ud;
	struct grpc_call	*c = &g->cur;

	(void)flags;
	if (c->stream_id == 0 || stream_id != c->stream_id || c->failed)
		return 0;
	if (grpc_append(g, c, data, len) == -1) {
		c->failed = 1;
		/* Stop the rest: flow control will not let it pile up. */
		if (nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, stream_id,
		    NGHTTP2_CANCEL) != 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

static int
grpc_stream_close_cb(nghttp2_session *s, int32_t stream_id,
    uint32_t error_code, void *ud)
{
	struct grpc		*g = ud;
	struct grpc_call	*c = &g->cur;

	(void)s;
	if (c->stream_id == 0 || stream_id != c->stream_id)
		return 0;
	c->closed = 1;
	c->rst_code = error_code;
	if (error_code == NGHTTP2_REFUSED_STREAM && !c->headers)
		c->refused = 1;
	return 0;
}

/* ---- the connection ---- */

static int
grpc_dial(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);	/* checked in new */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	/* A unix socket connects at once or fails (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
grpc_session_new(struct grpc *g, int fd, struct cri_error *err)
{
	nghttp2_session_callbacks	*cb;
	nghttp2_settings_entry		 iv[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, GRPC_STREAM_WINDOW },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, GRPC_HEADER_LIST_MAX },
	};
	int				 rv;

	if (nghttp2_session_callbacks_new(&cb) != 0)
		fatalx("grpc: out of memory");
	nghttp2_session_callbacks_set_on_header_callback(cb, grpc_header_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb,
	    grpc_frame_recv_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
	    grpc_data_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb,
	    grpc_stream_close_cb);
	rv = nghttp2_session_client_new(&g->h2, cb, g);
	nghttp2_session_callbacks_del(cb);
	if (rv != 0)
		fatalx("grpc: nghttp2_session_client_new: %s",
		    nghttp2_strerror(rv));
	g->fd = fd;
	if ((rv = nghttp2_submit_settings(g->h2, NGHTTP2_FLAG_NONE, iv,
	    sizeof(iv) / sizeof(iv[0]))) != 0 ||
	    (rv = nghttp2_session_set_local_window_size(g->h2,
	    NGHTTP2_FLAG_NONE, 0, GRPC_CONN_WINDOW)) != 0) {
		grpc_disconnect(g);
		return grpc_err(err, CRI_INTERNAL, "HTTP/2 settings: %s",
		    nghttp2_strerror(rv));
	}
	g->connections++;
	log_debug("cri: connected to %s (connection %llu)", g->path,
	    (unsigned long long)g->connections);
	return 0;
}

/*
 * Connects, waiting out the backoff of earlier failures while the deadline
 * allows: a runtime that is restarting, or whose socket appears late, is
 * reached as soon as it listens, and is not hammered meanwhile.
 */
static int
grpc_connect(struct grpc *g, int64_t deadline, struct cri_error *err)
{
	int64_t	now;
	int	fd;

	if (g->path == NULL)
		return grpc_err(err, CRI_UNAVAILABLE, "no socket to connect to");
	for (;;) {
		now = now_ms();
		if (now < g->next_connect) {
			if (g->next_connect >= deadline)
				return grpc_err(err, CRI_UNAVAILABLE,
				    "%s (next attempt in %lld ms)",
				    g->connect_error,
				    (long long)(g->next_connect - now));
			if (poll(NULL, 0, (int)(g->next_connect - now)) == -1 &&
			    errno != EINTR)
				fatal("poll");
			continue;
		}
		if ((fd = grpc_dial(g->path)) != -1)
			break;
		(void)snprintf(g->connect_error, sizeof(g->connect_error),
		    "connect %s: %s", g->path, strerror(errno));
		g->next_connect = now_ms() + g->backoff_ms;
		g->backoff_ms = g->backoff_ms * 2 > GRPC_BACKOFF_MAX_MS ?
		    GRPC_BACKOFF_MAX_MS : g->backoff_ms * 2;
	}
	g->next_connect = 0;
	return grpc_session_new(g, fd, err);
}

static int	grpc_broken(struct grpc *, struct cri_error *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
grpc_broken(struct grpc *g, struct cri_error *err, const char *fmt, ...)
{
	va_list	ap;
	char	why[256];

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	grpc_err(err, CRI_UNAVAILABLE, "connection to %s lost: %s",
	    g->path != NULL ? g->path : "the runtime", why);
	log_debug("cri: %s", err->message);
	grpc_disconnect(g);
	return RUN_BROKEN;
}

/* Hands nghttp2 the received bytes; -1 when the connection is unusable. */
static int
grpc_feed(struct grpc *g, struct cri_error *err)
{
	uint8_t	buf[GRPC_READ_CHUNK];
	ssize_t	n;
	int	rv;

	n = recv(g->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	if (n == -1) {
		grpc_broken(g, err, "recv: %s", strerror(errno));
		return -1;
	}
	if (n == 0) {
		grpc_broken(g, err, "closed by the runtime");
		return -1;
	}
	if ((rv = (int)nghttp2_session_mem_recv(g->h2, buf, (size_t)n)) < 0) {
		grpc_broken(g, err, "HTTP/2: %s", nghttp2_strerror(rv));
		return -1;
	}
	return 0;
}

/* Copies what nghttp2 has to send into g->out, up to a batch. */
static int
grpc_gather(struct grpc *g, struct cri_error *err)
{
	const uint8_t	*p;
	uint8_t		*np;
	ssize_t		 n;
	size_t		 ncap;

	while (g->outlen < GRPC_OUT_BATCH) {
		if ((n = nghttp2_session_mem_send(g->h2, &p)) < 0) {
			grpc_broken(g, err, "HTTP/2: %s",
			    nghttp2_strerror((int)n));
			return -1;
		}
		if (n == 0)
			break;
		if (g->outlen + (size_t)n > g->outcap) {
			ncap = g->outcap < 4096 ? 4096 : g->outcap;
			while (ncap < g->outlen + (size_t)n)
				ncap *= 2;
			if ((np = realloc(g->out, ncap)) == NULL)
				fatal("grpc");
			g->out = np;
			g->outcap = ncap;
		}
		memcpy(g->out + g->outlen, p, (size_t)n);
		g->outlen += (size_t)n;
	}
	return 0;
}

/*
 * Sends what nghttp2 has queued, as few writes as the socket allows: a
 * request's HEADERS and DATA go out in one. What the socket does not take
 * now waits in g->out for POLLOUT.
 */
static int
grpc_flush(struct grpc *g, struct cri_error *err)
{
	ssize_t n;

	for (;;) {
		if (g->outoff == g->outlen) {
			g->outoff = g->outlen = 0;
			if (grpc_gather(g, err) == -1)
				return -1;
			if (g->outlen == 0)
				return 0;
		}
		n = send(g->fd, g->out + g->outoff, g->outlen - g->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1) {
			grpc_broken(g, err, "send: %s", strerror(errno));
			return -1;
		}
		g->outoff += (size_t)n;
	}
}

static int
grpc_want_write(struct grpc *g)
{
	return g->outoff < g->outlen || nghttp2_session_want_write(g->h2);
}

/*
 * Before a request goes out on a connection that sat idle: a runtime that
 * restarted (EOF) or is shutting down (GOAWAY) meanwhile is noticed now,
 * and the request goes to a new connection instead of a dead one.
 */
static void
grpc_check_idle(struct grpc *g)
{
	struct cri_error	ignored;
	struct pollfd		pfd;

	for (;;) {
		if (g->h2 == NULL)
			return;
		if (g->draining) {
			grpc_disconnect(g);
			return;
		}
		pfd.fd = g->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 1)
			break;
		if (grpc_feed(g, &ignored) == -1)
			return;
	}
	(void)grpc_flush(g, &ignored);
}

static int
grpc_unary_done(const struct grpc *g)
{
	return g->cur.closed || g->cur.failed || g->cur.ended;
}

static int
grpc_ping_done(const struct grpc *g)
{
	return g->ping_acked;
}

/* Drives the connection until done(g) or the deadline. */
static enum grpc_run
grpc_run(struct grpc *g, int64_t deadline, int (*done)(const struct grpc *),
    struct cri_error *err)
{
	struct pollfd	pfd;
	int		left, rv;

	for (;;) {
		if (grpc_flush(g, err) == -1)
			return RUN_BROKEN;
		if (done(g))
			return RUN_DONE;
		if (!nghttp2_session_want_read(g->h2) && !grpc_want_write(g))
			return grpc_broken(g, err, "ended by the runtime");
		if ((left = ms_left(deadline)) == 0)
			return RUN_TIMEOUT;
		pfd.fd = g->fd;
		pfd.events = POLLIN;
		if (grpc_want_write(g))
			pfd.events |= POLLOUT;
		if ((rv = poll(&pfd, 1, left)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (rv == 1 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    grpc_feed(g, err) == -1)
			return RUN_BROKEN;
	}
}

/* Leaves the current stream to nghttp2 (reset with code) and forgets it. */
static void
grpc_detach(struct grpc *g, uint32_t code)
{
	struct cri_error ignored;

	/* a failed stream was reset when it failed */
	if (g->h2 != NULL && g->cur.stream_id != 0 && !g->cur.closed &&
	    !g->cur.failed) {
		if (nghttp2_submit_rst_stream(g->h2, NGHTTP2_FLAG_NONE,
		    g->cur.stream_id, code) != 0) {
			grpc_disconnect(g);
			return;
		}
		g->cur.stream_id = 0;
		(void)grpc_flush(g, &ignored);	/* at once if the socket takes it */
	}
	g->cur.stream_id = 0;
}

static int
grpc_prepare(struct grpc *g, const uint8_t *msg, size_t len,
    struct cri_error *err)
{
	size_t	 need = GRPC_PREFIX_LEN + len;
	uint8_t	*p;

	if (len > UINT32_MAX || len > SIZE_MAX - GRPC_PREFIX_LEN)
		return grpc_err(err, CRI_RESOURCE_EXHAUSTED,
		    "request of %zu bytes is too large", len);
	if (need > g->sendcap) {
		if ((p = realloc(g->sendbuf, need)) == NULL)
			return grpc_err(err, CRI_RESOURCE_EXHAUSTED,
			    "out of memory for a request of %zu bytes", len);
		g->sendbuf = p;
		g->sendcap = need;
	}
	g->sendbuf[0] = 0;	/* not compressed */
	g->sendbuf[1] = (uint8_t)(len >> 24);
	g->sendbuf[2] = (uint8_t)(len >> 16);
	g->sendbuf[3] = (uint8_t)(len >> 8);
	g->sendbuf[4] = (uint8_t)len;
	if (len > 0)
		memcpy(g->sendbuf + GRPC_PREFIX_LEN, msg, len);
	g->sendlen = need;
	return 0;
}

#define GRPC_NV_TIMEOUT	6	/* grpc-timeout's index in the request headers */
#define NV(n, v)	{ (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
			  sizeof(v) - 1, NGHTTP2_NV_FLAG_NO_COPY_NAME | \
			  NGHTTP2_NV_FLAG_NO_COPY_VALUE }

/*
 * Submits the request as a new stream. 1: this connection cannot take
 * another stream (exhausted ids, GOAWAY), so a new one is needed.
 */
static int
grpc_submit(struct grpc *g, const char *path, int64_t deadline,
    size_t recv_max, struct cri_error *err)
{
	char			 timeout[GRPC_TIMEOUT_DIGITS + 2];
	nghttp2_data_provider	 dp;
	int32_t			 id;
	nghttp2_nv		 nva[] = {
		NV(":method", "POST"),
		NV(":scheme", "http"),
		{ (uint8_t *)":path", (uint8_t *)(uintptr_t)path,
		    sizeof(":path") - 1, strlen(path),
		    NGHTTP2_NV_FLAG_NO_COPY_NAME },
		NV(":authority", GRPC_AUTHORITY),
		NV("content-type", "application/grpc"),
		NV("te", "trailers"),
		{ (uint8_t *)"grpc-timeout", (uint8_t *)timeout,
		    sizeof("grpc-timeout") - 1, 0,
		    NGHTTP2_NV_FLAG_NO_COPY_NAME },
		NV("user-agent", "staticpodd"),
	};

	/* The server gives up when we do, not later. */
	if (grpc_timeout_header(ms_left(deadline), timeout,
	    sizeof(timeout)) == -1)
		fatalx("grpc: timeout header");
	nva[GRPC_NV_TIMEOUT].valuelen = strlen(timeout);

	memset(&g->cur, 0, sizeof(g->cur));
	g->cur.grpc_status = -1;
	g->cur.recv_max = recv_max;
	g->len = 0;
	memset(&dp, 0, sizeof(dp));
	dp.read_callback = grpc_read_cb;
	id = nghttp2_submit_request(g->h2, NULL, nva, sizeof(nva) / sizeof(nva[0]),
	    &dp, NULL);
	if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE ||
	    id == NGHTTP2_ERR_START_STREAM_NOT_ALLOWED)
		return 1;
	if (id < 0)
		return grpc_err(err, CRI_INTERNAL, "HTTP/2 request: %s",
		    nghttp2_strerror(id));
	g->cur.stream_id = id;
	return 0;
}

/* The reply of a finished stream, judged as the gRPC spec says. */
static int
grpc_finish(struct grpc *g, const uint8_t **reply, size_t *replylen,
    struct cri_error *err)
{
	struct grpc_call *c = &g->cur;

	if (c->failed) {
		*err = c->err;
		return -1;
	}
	if (!c->headers) {
		if (c->refused)
			return grpc_err(err, CRI_UNAVAILABLE,
			    "the runtime refused the request");
		return grpc_err(err, CRI_INTERNAL,
		    "stream reset before any reply (HTTP/2 %s)",
		    nghttp2_http2_strerror(c->rst_code));
	}
	if (c->http_status != 200)
		return grpc_err(err, grpc_http_to_code(c->http_status),
		    "HTTP status %d from the runtime%s%s", c->http_status,
		    c->grpc_message[0] != '\0' ? ": " : "", c->grpc_message);
	if (strncmp(c->ctype, "application/grpc", 16) != 0 ||
	    (c->ctype[16] != '\0' && c->ctype[16] != '+' &&
	    c->ctype[16] != ';'))
		return grpc_err(err, CRI_UNKNOWN,
		    "the reply is not gRPC (content-type \"%s\")", c->ctype);
	if (!c->ended) {
		if (c->rst_code == NGHTTP2_CANCEL)
			return grpc_err(err, CRI_CANCELLED,
			    "the runtime cancelled the call");
		return grpc_err(err, CRI_INTERNAL,
		    "stream reset in the middle of the reply (HTTP/2 %s)",
		    nghttp2_http2_strerror(c->rst_code));
	}
	if (!c->trailers || c->grpc_status == -1)
		return grpc_err(err, CRI_INTERNAL, "the reply has no grpc-status");
	if (c->grpc_status < 0 || c->grpc_status > CRI_UNAUTHENTICATED)
		return grpc_err(err, CRI_UNKNOWN,
		    "grpc-status is not a known code%s%s",
		    c->grpc_message[0] != '\0' ? ": " : "", c->grpc_message);
	if (c->grpc_status != CRI_OK)
		return grpc_err(err, c->grpc_status, "%s",
		    c->grpc_message[0] != '\0' ? c->grpc_message : "no message");
	if (g->len < GRPC_PREFIX_LEN)
		return grpc_err(err, CRI_INTERNAL,
		    "the reply to a unary call has no message");
	if (g->len - GRPC_PREFIX_LEN != c->expect)
		return grpc_err(err, CRI_INTERNAL,
		    "the reply message is cut short (%zu of %u bytes)",
		    g->len - GRPC_PREFIX_LEN, c->expect);
	*reply = g->buf + GRPC_PREFIX_LEN;
	*replylen = c->expect;
	return 0;
}

int
grpc_unary(struct grpc *g, const char *path, const uint8_t *msg, size_t len,
    int timeout_ms, size_t recv_max, const uint8_t **reply, size_t *replylen,
    struct cri_error *err)
{
	int64_t	deadline;
	int	attempt, rv;

	memset(err, 0, sizeof(*err));
	*reply = NULL;
	*replylen = 0;
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	grpc_release(g);
	if (grpc_prepare(g, msg, len, err) == -1)
		return -1;
	/*
	 * A second attempt only for a request the runtime never saw: the
	 * connection could take no new stream, or the server refused it.
	 */
	for (attempt = 0; attempt < 2; attempt++) {
		if (ms_left(deadline) == 0)
			return grpc_err(err, CRI_DEADLINE_EXCEEDED,
			    "deadline of %d ms exceeded", timeout_ms);
		grpc_check_idle(g);
		if (g->h2 == NULL && grpc_connect(g, deadline, err) == -1)
			return -1;
		if ((rv = grpc_submit(g, path, deadline, recv_max, err)) == -1)
			return -1;
		if (rv == 1) {
			grpc_disconnect(g);
			continue;
		}
		switch (grpc_run(g, deadline, grpc_unary_done, err)) {
		case RUN_TIMEOUT:
			grpc_detach(g, NGHTTP2_CANCEL);
			return grpc_err(err, CRI_DEADLINE_EXCEEDED,
			    "deadline of %d ms exceeded", timeout_ms);
		case RUN_BROKEN:
			if (g->cur.refused)
				continue;
			return -1;
		case RUN_DONE:
			break;
		}
		if (g->cur.refused && !g->cur.headers) {
			grpc_detach(g, NGHTTP2_CANCEL);
			grpc_disconnect(g);
			continue;
		}
		rv = grpc_finish(g, reply, replylen, err);
		/* The server is done: it needs no more of our request. */
		grpc_detach(g, g->cur.failed ? NGHTTP2_CANCEL : NGHTTP2_NO_ERROR);
		return rv;
	}
	if (err->code == CRI_OK)
		grpc_err(err, CRI_UNAVAILABLE, "the runtime refused the request");
	return -1;
}

int
grpc_ping(struct grpc *g, int timeout_ms, struct cri_error *err)
{
	int64_t deadline;

	memset(err, 0, sizeof(*err));
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	grpc_check_idle(g);
	if (g->h2 == NULL && grpc_connect(g, deadline, err) == -1)
		return -1;
	g->ping_acked = 0;
	if (nghttp2_submit_ping(g->h2, NGHTTP2_FLAG_NONE, NULL) != 0)
		return grpc_err(err, CRI_INTERNAL, "HTTP/2 ping");
	switch (grpc_run(g, deadline, grpc_ping_done, err)) {
	case RUN_DONE:
		return 0;
	case RUN_TIMEOUT:
		/* A peer that does not answer a ping is not worth keeping. */
		grpc_disconnect(g);
		return grpc_err(err, CRI_DEADLINE_EXCEEDED,
		    "no ping reply in %d ms", timeout_ms);
	case RUN_BROKEN:
		break;
	}
	return -1;
}
