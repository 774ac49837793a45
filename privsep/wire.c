/*
 * Message framing over SOCK_SEQPACKET, as OpenSSH's monitor and OpenBSD's
 * imsg frame theirs: a fixed header, a hard cap, fds only where the type
 * permits, and any deviation from the schema is an error the caller treats
 * as fatal.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "wire.h"

static int
rx_error(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rx_error(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, WIRE_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

void
wire_rx_init(struct wire_rx *rx)
{
	size_t i;

	memset(rx, 0, sizeof(*rx));
	for (i = 0; i < WIRE_FDS_MAX; i++)
		rx->fds[i] = -1;
}

void
wire_rx_clear(struct wire_rx *rx)
{
	size_t i;

	free(rx->buf);
	for (i = 0; i < rx->nfds; i++)
		if (rx->fds[i] != -1)
			close(rx->fds[i]);
	wire_rx_init(rx);
}

void
wire_msg_free(struct wire_msg *m)
{
	size_t i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] != -1)
			close(m->fds[i]);
	m->nfds = 0;
	arena_free(&m->arena);
	m->w = NULL;
}

/*
 * protobuf-c keeps fields its schema does not know and packs them again,
 * so a canonical re-pack would not notice them: refuse them everywhere.
 */
static int
has_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const ProtobufCFieldDescriptor		*fd;
	const char				*base = (const char *)m;
	ProtobufCMessage			**sub;
	size_t					 i, j, n;

	if (m->n_unknown_fields > 0)
		return 1;
	for (i = 0; i < d->n_fields; i++) {
		fd = &d->fields[i];
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)(base + fd->quantifier_offset);
			sub = *(ProtobufCMessage **const *)(base + fd->offset);
			for (j = 0; j < n; j++)
				if (has_unknown(sub[j]))
					return 1;
			continue;
		}
		if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
		    *(const uint32_t *)(base + fd->quantifier_offset) !=
		    fd->id)
			continue;
		sub = (ProtobufCMessage **)(base + fd->offset);
		if (*sub != NULL && has_unknown(*sub))
			return 1;
	}
	return 0;
}

int
wire_decode(const uint8_t *buf, size_t len, uint32_t type, struct wire_msg *m,
    char err[WIRE_ERR_MAX])
{
	uint8_t	*again;
	size_t	 cap = len * WIRE_UNPACK_FACTOR + 4096;

	arena_init(&m->arena, cap);
	m->w = (Spw__Wire *)protobuf_c_message_unpack(&spw__wire__descriptor,
	    &m->arena.pb, len, buf);
	if (m->w == NULL)
		return rx_error(err, "message of %zu bytes does not decode", len);
	if ((uint32_t)m->w->body_case != type || type == 0)
		return rx_error(err, "frame type %u carries body %d", type,
		    (int)m->w->body_case);
	if (has_unknown(&m->w->base))
		return rx_error(err, "message has fields its schema does not "
		    "know");
	/*
	 * protobuf-c keeps unknown fields and accepts repeated scalars that a
	 * check would look at only once; requiring the canonical encoding
	 * leaves nothing in the bytes that the decoded struct does not show.
	 */
	if (protobuf_c_message_get_packed_size(&m->w->base) != len)
		return rx_error(err, "message is not in canonical form");
	if ((again = malloc(len + 1)) == NULL)
		fatal("wire_decode");
	protobuf_c_message_pack(&m->w->base, again);
	if (memcmp(again, buf, len) != 0) {
		free(again);
		return rx_error(err, "message is not in canonical form");
	}
	free(again);
	return 0;
}

static void
take_fds(struct msghdr *mh, int *fds, size_t *nfds, size_t *extra)
{
	struct cmsghdr	*c;
	size_t		 n, i;
	int		*p;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			(*extra)++;
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		p = (int *)CMSG_DATA(c);
		for (i = 0; i < n; i++) {
			if (*nfds < WIRE_FDS_MAX)
				fds[(*nfds)++] = p[i];
			else {
				close(p[i]);
				(*extra)++;
			}
		}
	}
}

enum wire_rx_status
wire_rx_read(int sock, struct wire_rx *rx, struct wire_msg *m,
    char err[WIRE_ERR_MAX])
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * WIRE_FDS_MAX)];
	} cmsg;
	struct wire_hdr	 h;
	struct msghdr	 mh;
	struct iovec	 iov[2];
	uint8_t		*chunk;
	ssize_t		 n;
	size_t		 extra = 0, len, i;
	int		 fds[WIRE_FDS_MAX], ret;
	size_t		 nfds = 0;

	if ((chunk = malloc(WIRE_CHUNK_MAX + 1)) == NULL)
		fatal("wire_rx_read");
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = chunk;
	iov[1].iov_len = WIRE_CHUNK_MAX + 1;	/* one more: see a too-long one */
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = cmsg.buf;
	mh.msg_controllen = sizeof(cmsg.buf);
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		free(chunk);
		return WIRE_RX_EMPTY;
	}
	if (n == -1) {
		free(chunk);
		rx_error(err, "recvmsg: %s", strerror(errno));
		return WIRE_RX_ERROR;
	}
	take_fds(&mh, fds, &nfds, &extra);
	ret = WIRE_RX_ERROR;
	if (n == 0 && nfds == 0) {
		ret = WIRE_RX_EOF;
		goto out;
	}
	if (extra > 0 || (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0) {
		rx_error(err, "truncated datagram or unexpected control data");
		goto out;
	}
	if ((size_t)n < sizeof(h)) {
		rx_error(err, "datagram of %zd bytes is shorter than a header",
		    n);
		goto out;
	}
	len = (size_t)n - sizeof(h);
	if (h.total > WIRE_MSG_MAX || h.total == 0) {
		rx_error(err, "message of %u bytes (limit %d)", h.total,
		    WIRE_MSG_MAX);
		goto out;
	}
	if (!rx->active) {
		if (h.offset != 0 || h.nfds != nfds) {
			rx_error(err, "first chunk at offset %u with %zu of %u "
			    "fds", h.offset, nfds, h.nfds);
			goto out;
		}
		if ((rx->buf = malloc(h.total)) == NULL)
			fatal("wire_rx_read");
		rx->active = 1;
		rx->type = h.type;
		rx->total = h.total;
		rx->got = 0;
		for (i = 0; i < nfds; i++)
			rx->fds[i] = fds[i];
		rx->nfds = nfds;
		nfds = 0;
	} else if (h.type != rx->type || h.total != rx->total ||
	    h.offset != rx->got || nfds != 0 || h.nfds != 0) {
		rx_error(err, "chunk out of sequence (type %u offset %u, "
		    "expected type %u offset %u)", h.type, h.offset, rx->type,
		    rx->got);
		goto out;
	}
	if (len == 0 || len > WIRE_CHUNK_MAX || len > rx->total - rx->got) {
		rx_error(err, "chunk of %zu bytes at offset %u of %u", len,
		    rx->got, rx->total);
		goto out;
	}
	memcpy(rx->buf + rx->got, chunk, len);
	rx->got += (uint32_t)len;
	if (rx->got < rx->total) {
		ret = WIRE_RX_MORE;
		goto out;
	}
	memset(m, 0, sizeof(*m));
	for (i = 0; i < WIRE_FDS_MAX; i++)
		m->fds[i] = -1;
	if (wire_decode(rx->buf, rx->total, rx->type, m, err) == -1) {
		arena_free(&m->arena);
		goto out;
	}
	for (i = 0; i < rx->nfds; i++) {
		m->fds[i] = rx->fds[i];
		rx->fds[i] = -1;
	}
	m->nfds = rx->nfds;
	rx->nfds = 0;
	wire_rx_clear(rx);
	ret = WIRE_RX_DONE;
out:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	free(chunk);
	return ret;
}

static int
wait_writable(int sock, int timeout_ms)
{
	struct pollfd	pfd = { .fd = sock, .events = POLLOUT };
	int		n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n == -1 && errno == EINTR);
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return n == -1 ? -1 : 0;
}

static int
send_chunk(int sock, const struct wire_hdr *h, const uint8_t *p, size_t len,
    const int *fds, size_t nfds, int timeout_ms)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * WIRE_FDS_MAX)];
	} cmsg;
	struct msghdr	 mh;
	struct iovec	 iov[2];
	struct cmsghdr	*c;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	memset(&cmsg, 0, sizeof(cmsg));
	iov[0].iov_base = (void *)h;
	iov[0].iov_len = sizeof(*h);
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (nfds > 0) {
		mh.msg_control = cmsg.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	for (;;) {
		n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_writable(sock, timeout_ms) == -1)
			return -1;
	}
}

int
wire_send(int sock, const Spw__Wire *w, const int *fds, size_t nfds,
    int timeout_ms)
{
	struct wire_hdr	 h;
	uint8_t		*buf;
	size_t		 len, off, n;
	int		 ret = 0;

	if (nfds > WIRE_FDS_MAX)
		fatalx("wire_send: %zu fds", nfds);
	len = protobuf_c_message_get_packed_size(&w->base);
	if (len == 0 || len > WIRE_MSG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((buf = malloc(len)) == NULL)
		fatal("wire_send");
	protobuf_c_message_pack(&w->base, buf);
	memset(&h, 0, sizeof(h));
	h.type = (uint32_t)w->body_case;
	h.total = (uint32_t)len;
	for (off = 0; off < len && ret == 0; off += n) {
		n = len - off < WIRE_CHUNK_MAX ? len - off : WIRE_CHUNK_MAX;
		h.offset = (uint32_t)off;
		h.nfds = off == 0 ? (uint32_t)nfds : 0;
		ret = send_chunk(sock, &h, buf + off, n, off == 0 ? fds : NULL,
		    off == 0 ? nfds : 0, timeout_ms);
	}
	free(buf);
	return ret;
}
