/*
 * The fetcher's end of its channel to the runtime (fd 3). The runtime
 * answers promptly, so waiting for an answer may block; the runtime going
 * away ends the fetcher.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "fetcher.h"
#include "log.h"

#define CHAN_SEND_TIMEOUT_MS	30000

/*
 * The runtime closed the channel: it exited (a SIGTERM, or its own fatal,
 * which it logs). Not a failure of this process: said as information.
 */
static void __attribute__((noreturn))
runtime_gone(void)
{
	log_info("the runtime is gone; exiting");
	exit(1);
}

void
chan_send(int sock, Spw__Wire *w, Spw__Wire__BodyCase c)
{
	w->body_case = c;
	if (wire_send(sock, w, NULL, 0, CHAN_SEND_TIMEOUT_MS) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			runtime_gone();
		fatal("send to the runtime");
	}
}

/* Blocks until a whole message from the runtime has arrived. */
void
chan_recv(int sock, struct wire_rx *rx, struct wire_msg *m)
{
	struct pollfd		 pfd = { .fd = sock, .events = POLLIN };
	char			 err[WIRE_ERR_MAX];
	enum wire_rx_status	 st;

	for (;;) {
		st = wire_rx_read(sock, rx, m, err);
		if (st == WIRE_RX_DONE)
			return;
		if (st == WIRE_RX_EOF)
			runtime_gone();
		if (st == WIRE_RX_ERROR)
			fatalx("from the runtime: %s", err);
		if (st == WIRE_RX_MORE)
			continue;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			fatal("poll");
	}
}

/* Waits for the one message type expected next; anything else is fatal. */
void
chan_expect(int sock, struct wire_rx *rx, struct wire_msg *m,
    Spw__Wire__BodyCase want, size_t max_fds)
{
	chan_recv(sock, rx, m);
	if (m->w->body_case != want || m->nfds > max_fds)
		fatalx("from the runtime: message type %d with %zu fds, "
		    "expected type %d", (int)m->w->body_case, m->nfds,
		    (int)want);
}
