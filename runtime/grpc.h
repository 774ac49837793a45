/*
 * grpc: unary gRPC calls over HTTP/2 with prior knowledge (h2c) on a unix
 * socket, with libnghttp2 doing the framing, HPACK and flow control.
 * Private to runtime/: cri.c is its only user besides the unit tests.
 *
 * One connection, one call at a time, no threads. Never sends a request
 * twice unless the server said (GOAWAY, REFUSED_STREAM) it did not see it.
 */
#ifndef STATICPODD_GRPC_H
#define STATICPODD_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "cri.h"

#define GRPC_PREFIX_LEN		5	/* compressed flag + 32-bit length */
#define GRPC_BACKOFF_MIN_MS	100	/* first wait after a failed connect */
#define GRPC_BACKOFF_MAX_MS	5000	/* as grpc's reconnect backoff, less */
#define GRPC_STREAM_WINDOW	(1024 * 1024)	/* a reply in few round trips */
#define GRPC_CONN_WINDOW	(4 * 1024 * 1024)
#define GRPC_KEEP_BUF		(64 * 1024)	/* larger reply buffers are freed */
#define GRPC_AUTHORITY		"localhost"

struct grpc;

/* sockpath: a unix socket path; nothing is connected until a call. */
struct grpc	*grpc_new(const char *sockpath);
void		 grpc_free(struct grpc *);
void		 grpc_disconnect(struct grpc *);
uint64_t	 grpc_connections(const struct grpc *);

/*
 * Sends msg (a serialized protobuf) to path ("/pkg.Service/Method") and
 * waits at most timeout_ms for the one reply message, which must not be
 * larger than recv_max. On success *reply points into a buffer owned by g,
 * valid until the next call or grpc_release(). On failure err holds the
 * gRPC status (a transport failure is mapped onto one) and a message.
 */
int	grpc_unary(struct grpc *g, const char *path, const uint8_t *msg,
	    size_t len, int timeout_ms, size_t recv_max, const uint8_t **reply,
	    size_t *replylen, struct cri_error *err);
/* Frees a large reply buffer once its contents have been decoded. */
void	grpc_release(struct grpc *g);
/* An HTTP/2 PING round trip: is the runtime's end still answering? */
int	grpc_ping(struct grpc *g, int timeout_ms, struct cri_error *err);

/* Exposed for the unit tests. */
size_t	grpc_percent_decode(const char *in, size_t inlen, char *out,
	    size_t outlen);
int	grpc_timeout_header(int ms, char *buf, size_t len);

#endif
