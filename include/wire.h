/*
 * wire: framing of the messages between staticpodd and its fetchers over
 * SOCK_SEQPACKET socketpairs. A datagram is bounded by the socket buffer
 * (about 208 KiB by default), so a message goes as numbered chunks with a
 * total cap, reassembled without blocking: a fetcher that stops half-way
 * through a message cannot stall the runtime.
 */
#ifndef STATICPODD_WIRE_H
#define STATICPODD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "wire.pb-c.h"

#define WIRE_CHUNK_MAX	(64 * 1024)	/* payload bytes per datagram */
#define WIRE_MSG_MAX	(8 * 1024 * 1024)	/* one whole message */
#define WIRE_FDS_MAX	2		/* a directory fd and an inotify fd */
#define WIRE_UNPACK_FACTOR 16		/* memory to decode: bytes times this */
#define WIRE_ERR_MAX	160

struct wire_hdr {
	uint32_t	type;	/* the Wire body case, repeated on every chunk */
	uint32_t	total;	/* payload bytes of the whole message */
	uint32_t	offset;	/* of this chunk's payload */
	uint32_t	nfds;	/* on the first chunk only */
};

/* Reassembly state of one receiving end. */
struct wire_rx {
	uint8_t		*buf;
	uint32_t	 type;
	uint32_t	 total;
	uint32_t	 got;
	int		 fds[WIRE_FDS_MAX];
	size_t		 nfds;
	int		 active;
};

/* One received, decoded message. Unreceived fd slots are -1. */
struct wire_msg {
	struct arena	 arena;
	Spw__Wire	*w;
	int		 fds[WIRE_FDS_MAX];
	size_t		 nfds;
};

enum wire_rx_status {
	WIRE_RX_EMPTY,	/* nothing to read now */
	WIRE_RX_MORE,	/* a chunk arrived; the message is not complete */
	WIRE_RX_DONE,
	WIRE_RX_EOF,
	WIRE_RX_ERROR,
};

void	wire_rx_init(struct wire_rx *);
void	wire_rx_clear(struct wire_rx *);
/*
 * Reads one datagram (the socket is non-blocking). DONE when a whole
 * message has arrived and decoded into *m; ERROR with the reason in err
 * for anything malformed, oversized, truncated or non-canonical.
 */
enum wire_rx_status wire_rx_read(int sock, struct wire_rx *, struct wire_msg *m,
	    char err[WIRE_ERR_MAX]);
void	wire_msg_free(struct wire_msg *);

/*
 * Sends a whole message, waiting at most timeout_ms for the peer to make
 * room. -1 with errno set on failure (ETIMEDOUT when the peer stopped
 * reading).
 */
int	wire_send(int sock, const Spw__Wire *, const int *fds, size_t nfds,
	    int timeout_ms);

/* Decodes a complete payload: exact schema, canonical bytes, size cap. */
int	wire_decode(const uint8_t *, size_t, uint32_t type, struct wire_msg *,
	    char err[WIRE_ERR_MAX]);

#endif
