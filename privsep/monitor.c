/*
 * The monitor: every message a fetcher sends is checked here, as
 * OpenSSH's monitor checks sshd-auth's. A message type is permitted only
 * from the kind of fetcher that may send it and only in the state where it
 * is expected; anything unknown, out of order, malformed or semantically
 * invalid ends the agent with the reason. A fetcher is assumed compromised:
 * each pod is checked again (podcheck), bound to the channel it came from,
 * and given a UID computed here from the bytes as re-packed here.
 */
#include <sys/time.h>
#include <sys/wait.h>

#include <poll.h>
#include <signal.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "names.h"

#define KIND_DIR	(1u << CHAN_DIR)
#define KIND_URL	(1u << CHAN_URL)
#define KEY_MAX		(POD_NAME_MAX + 64 + 2)
#define SOURCE_MSG_MAX	1024

static void __attribute__((noreturn))
violation(const struct channel *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void __attribute__((noreturn))
violation(const struct channel *c, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s (pid %ld): protocol violation: %s", c->what,
	    (long)c->pid, msg);
	exit(EXIT_LOST_CHILD);
}

int64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
bucket_take(struct bucket *b, int64_t now)
{
	if (b->last_ms != 0)
		b->tokens += (double)(now - b->last_ms) * b->rate / 1000.0;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	b->last_ms = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static const struct served *
find_served(const struct channel *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nserved; i++)
		if (strcmp(c->served[i].name, name) == 0)
			return &c->served[i];
	return NULL;
}

static bool
printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || n >= max)
			return false;
	return true;
}

/* A key names a file of the directory, or a namespace/name of the URL. */
static void
check_key(const struct agent *a, const struct channel *c, const char *key)
{
	const char *r, *slash;

	if (key == NULL || key[0] == '\0' || strlen(key) > KEY_MAX ||
	    !printable(key, KEY_MAX))
		violation(c, "missing or malformed key");
	if (c->kind == CHAN_DIR) {
		if (a->only_name[0] != '\0' ? strcmp(key, a->only_name) != 0 :
		    (r = manifest_name_refusal(key)) != NULL)
			violation(c, "key is not a manifest name");
		return;
	}
	if ((slash = strchr(key, '/')) == NULL)
		violation(c, "URL key without a namespace");
}

static void
m_open(struct agent *a, struct channel *c, struct wire_msg *m)
{
	const char *name = m->w->open->name;

	if (name == NULL || strlen(name) > MANIFEST_NAME_MAX ||
	    !printable(name, MANIFEST_NAME_MAX))
		violation(c, "OPEN without a printable name");
	broker_open(a, c, name);
}

static void
m_reopen(struct agent *a, struct channel *c, struct wire_msg *m)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__Reopened	r = SPW__REOPENED__INIT;
	char		why[256];
	int		fds[2] = { -1, -1 };

	(void)m;
	r.has_ok = 1;
	if (!bucket_take(&c->reopens, now_ms())) {
		r.ok = 0;
		r.reason = "asked too often; try again shortly";
	} else if (broker_open_dir(a, &fds[0], &fds[1], why,
	    sizeof(why)) == -1) {
		r.ok = 0;
		r.reason = why;
	} else
		r.ok = 1;
	w.body_case = SPW__WIRE__BODY_REOPENED;
	w.reopened = &r;
	if (wire_send(c->fd, &w, r.ok ? fds : NULL, r.ok ? 2 : 0,
	    AGENT_SEND_TIMEOUT_MS) == -1)
		fatal("%s: send", c->what);
	if (r.ok) {
		close(fds[0]);
		close(fds[1]);
	}
}

static void
m_begin(struct agent *a, struct channel *c, struct wire_msg *m)
{
	(void)m;
	if (c->in_snapshot)
		violation(c, "SNAPSHOT_BEGIN inside a snapshot");
	c->in_snapshot = true;
	desired_snapshot_begin(&a->desired, c->kind);
}

static void
m_end(struct agent *a, struct channel *c, struct wire_msg *m)
{
	(void)m;
	if (!c->in_snapshot)
		violation(c, "SNAPSHOT_END without SNAPSHOT_BEGIN");
	c->in_snapshot = false;
	desired_snapshot_end(a, c->kind);
	if (!c->ready)
		log_info("%s: first complete view received", c->what);
	c->ready = true;
}

static void
source_of(const struct agent *a, const struct channel *c, const char *key,
    char *buf, size_t len)
{
	if (c->kind == CHAN_URL)
		snprintf(buf, len, "url:%s", a->cfg.staticpodurl);
	else if (a->only_name[0] != '\0')
		snprintf(buf, len, "file:%s", a->cfg.staticpodpath);
	else
		snprintf(buf, len, "file:%s/%s", a->manifest_dir, key);
}

/* The invariants the parser promised, checked again on what arrived. */
static void
check_pod(const struct agent *a, const struct channel *c, const char *key,
    const Spd__Pod *pod)
{
	struct diags	 d;
	const char	*name, *ns;
	size_t		 nlen, hlen;
	char		 line[1024], full[KEY_MAX + 2];

	memset(&d, 0, sizeof(d));
	if (pod == NULL)
		violation(c, "POD_UPSERT without a pod");
	if (podcheck_pod(pod, &d) == -1) {
		diag_format(&d.item[0], key, line, sizeof(line));
		violation(c, "invalid pod: %s", line);
	}
	name = pod->metadata->name;
	ns = pod->metadata->namespace_;
	nlen = strlen(name);
	hlen = strlen(a->node_name);
	if (nlen <= hlen + 1 || name[nlen - hlen - 1] != '-' ||
	    strcmp(name + nlen - hlen, a->node_name) != 0)
		violation(c, "pod name %s does not end in -%s", name,
		    a->node_name);
	if (c->kind == CHAN_URL) {
		snprintf(full, sizeof(full), "%s/%s", ns, name);
		if (strcmp(full, key) != 0)
			violation(c, "key %s names another pod than %s", key,
			    full);
	}
}

static void
m_upsert(struct agent *a, struct channel *c, struct wire_msg *m)
{
	const Spw__PodUpsert	*u = m->w->podupsert;
	const struct served	*s = NULL;
	uint8_t			*canon;
	size_t			 len;
	char			 uid[POD_UID_LEN + 1], source[PATH_MAX + 8];

	check_key(a, c, u->key);
	check_pod(a, c, u->key, u->pod);
	if (c->kind == CHAN_DIR && (s = find_served(c, u->key)) == NULL) {
		admit_forged(a, c->kind, u->key, u->pod, "a pod for a file the "
		    "broker never served");
		violation(c, "pod for %s, which the broker never served",
		    u->key);
	}
	if (c->kind == CHAN_URL && (!u->has_sha256 || u->sha256.len != 32))
		violation(c, "pod without the body's sha256");
	len = protobuf_c_message_get_packed_size(&u->pod->base);
	if ((canon = malloc(len + 1)) == NULL)
		fatal("monitor");
	protobuf_c_message_pack(&u->pod->base, canon);
	source_of(a, c, u->key, source, sizeof(source));
	pod_uid(canon, len, a->node_name, source, uid);
	desired_upsert(a, c->kind, u->key, u->pod, canon, len, uid,
	    s != NULL ? s->sha256 : u->sha256.data, s != NULL);
	free(canon);
}

static void
m_remove(struct agent *a, struct channel *c, struct wire_msg *m)
{
	check_key(a, c, m->w->podremove->key);
	desired_remove(a, c->kind, m->w->podremove->key);
}

static void
m_error(struct agent *a, struct channel *c, struct wire_msg *m)
{
	const Spw__SourceError	*e = m->w->sourceerror;
	const struct served	*s = NULL;

	if (e->message == NULL || !printable(e->message, SOURCE_MSG_MAX))
		violation(c, "SOURCE_ERROR without a printable message");
	if (e->key != NULL)
		check_key(a, c, e->key);
	/* the broker's own hash of the bytes, where it served them */
	if (e->key != NULL && c->kind == CHAN_DIR)
		s = find_served(c, e->key);
	if (!e->unchanged)
		admit_source_error(a, c->kind, e->key, e->message, s != NULL ?
		    s->sha256 : e->has_sha256 && e->sha256.len == 32 ?
		    e->sha256.data : NULL, s != NULL);
	if (e->key != NULL) {
		desired_keep(&a->desired, c->kind, e->key);
		if (!e->unchanged)
			log_warnx("%s: %s (the last admitted version, if any, "
			    "stays)", c->what, e->message);
	} else if (!e->unchanged)
		log_warnx("%s: %s (the pods it served stay)", c->what,
		    e->message);
}

static const struct dispatch {
	Spw__Wire__BodyCase	 type;
	unsigned int		 kinds;		/* who may send it */
	enum chan_state		 allowed_in;
	void			(*handle)(struct agent *, struct channel *,
				    struct wire_msg *);
} dispatch[] = {
	{ SPW__WIRE__BODY_OPEN, KIND_DIR, CHAN_RUNNING, m_open },
	{ SPW__WIRE__BODY_REOPEN, KIND_DIR, CHAN_RUNNING, m_reopen },
	{ SPW__WIRE__BODY_SNAPSHOT_BEGIN, KIND_DIR | KIND_URL, CHAN_RUNNING,
	    m_begin },
	{ SPW__WIRE__BODY_SNAPSHOT_END, KIND_DIR | KIND_URL, CHAN_RUNNING,
	    m_end },
	{ SPW__WIRE__BODY_POD_UPSERT, KIND_DIR | KIND_URL, CHAN_RUNNING,
	    m_upsert },
	{ SPW__WIRE__BODY_POD_REMOVE, KIND_DIR | KIND_URL, CHAN_RUNNING,
	    m_remove },
	{ SPW__WIRE__BODY_SOURCE_ERROR, KIND_DIR | KIND_URL, CHAN_RUNNING,
	    m_error },
};

/*
 * CONFIG is not in the table: it is read once, before the event loop, by
 * daemon.c, and is a violation anywhere else.
 */
void
monitor_dispatch(struct agent *a, struct channel *c, struct wire_msg *m)
{
	const struct dispatch	*d = NULL;
	size_t			 i;

	for (i = 0; i < sizeof(dispatch) / sizeof(dispatch[0]); i++)
		if (dispatch[i].type == m->w->body_case) {
			d = &dispatch[i];
			break;
		}
	if (d == NULL)
		violation(c, "message type %d is not permitted here",
		    (int)m->w->body_case);
	if ((d->kinds & (1u << c->kind)) == 0)
		violation(c, "message type %d is not permitted from this "
		    "fetcher", (int)m->w->body_case);
	if (c->state != d->allowed_in)
		violation(c, "message type %d is not permitted in state %d",
		    (int)m->w->body_case, (int)c->state);
	if (m->nfds != 0)
		violation(c, "file descriptors attached to message type %d",
		    (int)m->w->body_case);
	d->handle(a, c, m);
}

/*
 * A fetcher's channel closed: it is dying or dead. Say how (a signal, a
 * seccomp kill, an exit code), waiting for it a moment, then end the
 * agent; pods are not touched on the way out.
 */
static void __attribute__((noreturn))
lost(const struct channel *c)
{
	int	status, i;

	for (i = 0; i < 100; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			if (WIFSIGNALED(status))
				log_warnx("%s (pid %ld) was killed by signal "
				    "%d%s", c->what, (long)c->pid,
				    WTERMSIG(status), WTERMSIG(status) ==
				    SIGSYS ? " (a system call its sandbox "
				    "forbids)" : "");
			else
				log_warnx("%s (pid %ld) exited with status %d",
				    c->what, (long)c->pid, WEXITSTATUS(status));
			goto out;
		}
		(void)poll(NULL, 0, 10);
	}
	log_warnx("%s (pid %ld) closed its channel", c->what, (long)c->pid);
out:
	log_warnx("exiting: a fetcher is gone; running pods are left as they "
	    "are");
	exit(EXIT_LOST_CHILD);
}

/* Reads what is there; a whole message is dispatched as it completes. */
void
monitor_read(struct agent *a, struct channel *c)
{
	struct wire_msg		 m;
	char			 err[WIRE_ERR_MAX];
	enum wire_rx_status	 st;
	int			 budget;

	/* a bounded batch, so one busy fetcher cannot starve the other */
	for (budget = 64; budget > 0; budget--) {
		st = wire_rx_read(c->fd, &c->rx, &m, err);
		if (st == WIRE_RX_EMPTY)
			return;
		if (st == WIRE_RX_MORE)
			continue;
		if (st == WIRE_RX_EOF)
			lost(c);
		if (st == WIRE_RX_ERROR)
			violation(c, "%s", err);
		monitor_dispatch(a, c, &m);
		wire_msg_free(&m);
	}
}
