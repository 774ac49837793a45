/*
 * The runtime's monitor and broker against a forged fetcher. A child runs
 * the real monitor on one end of a socketpair, as the runtime would for the
 * directory fetcher; the test is the (compromised) fetcher on the other
 * end. Each hostile message must end the runtime with status 3 and the
 * right reason on stderr; each OPEN the broker must refuse is refused with
 * the right reason, and never blocks. A well-formed pod the node policy
 * refuses (the fetcher "validated" it) is refused by the runtime all the
 * same, and the audit log says so with the broker's own sha256. TAP.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "agent.h"
#include "log.h"
#include "../tap.h"

#define NODE		"node1"
#define REPLY_WAIT_MS	5000

struct harness {
	char	dir[64];
	char	errfile[96];
	char	auditfile[96];
	pid_t	pid;
	int	sock;
};


/* The runtime side: the real monitor, in RUNNING state, on a channel. */
static void __attribute__((noreturn))
run_monitor(struct harness *h, int sock)
{
	struct agent	 a;
	struct channel	*c = &a.chan[CHAN_DIR];
	struct pollfd	 pfd;
	Spw__Config	 none = SPW__CONFIG__INIT;
	int		 errfd;

	if ((errfd = open(h->errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
	    -1 || dup2(errfd, STDERR_FILENO) == -1)
		_exit(100);
	memset(&a, 0, sizeof(a));
	a.dirfd = -1;
	none.statedir = h->dir;
	none.auditlog = h->auditfile;
	if (config_merge(&a, NULL, &none) == -1)
		_exit(101);
	a.cfg.nodename = NODE;
	a.cfg.staticpodpath = h->dir;
	a.cfg.maxmanifestbytes = 4096;
	a.node_name = NODE;
	snprintf(a.manifest_dir, sizeof(a.manifest_dir), "%s", h->dir);
	admit_setup(&a, NULL, NULL, NULL);	/* the default preset */
	memset(c, 0, sizeof(*c));
	c->kind = CHAN_DIR;
	c->what = "directory fetcher";
	c->state = CHAN_RUNNING;
	c->fd = sock;
	c->pid = getppid();
	c->opens.burst = c->opens.tokens = 100;
	c->opens.rate = 1;
	c->reopens.burst = c->reopens.tokens = 1;
	wire_rx_init(&c->rx);
	if ((a.dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		_exit(102);
	if (fcntl(sock, F_SETFL, O_NONBLOCK) == -1)
		_exit(103);
	for (;;) {
		pfd.fd = sock;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			_exit(104);
		monitor_read(&a, c);
	}
}

static void
start(struct harness *h)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		abort();
	fflush(stdout);		/* the child's exit must not repeat our lines */
	if ((h->pid = fork()) == -1)
		abort();
	if (h->pid == 0) {
		close(sp[0]);
		run_monitor(h, sp[1]);
	}
	close(sp[1]);
	h->sock = sp[0];
}

/* The runtime's exit status and what it said, once it has ended. */
static int
finish(struct harness *h, char *err, size_t len)
{
	int	status, fd;
	ssize_t	n;

	close(h->sock);
	if (waitpid(h->pid, &status, 0) == -1)
		abort();
	err[0] = '\0';
	if ((fd = open(h->errfile, O_RDONLY)) != -1) {
		n = read(fd, err, len - 1);
		err[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Waits for the runtime to end by itself after a hostile message. */
static int
ended(struct harness *h, char *err, size_t len)
{
	int i, status;

	for (i = 0; i < REPLY_WAIT_MS / 10; i++) {
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->pid = -1;
			close(h->sock);
			err[0] = '\0';
			int fd = open(h->errfile, O_RDONLY);
			if (fd != -1) {
				ssize_t n = read(fd, err, len - 1);
				err[n > 0 ? n : 0] = '\0';
				close(fd);
			}
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
		}
		usleep(10000);
	}
	kill(h->pid, SIGKILL);
	return finish(h, err, len) == 0 ? -1 : -1;
}

static void
send_wire(struct harness *h, Spw__Wire *w, const int *fds, size_t nfds)
{
	if (wire_send(h->sock, w, fds, nfds, 1000) == -1)
		abort();
}

static void
send_raw(struct harness *h, const void *buf, size_t len)
{
	if (send(h->sock, buf, len, 0) != (ssize_t)len)
		abort();
}

/* A valid, defaulted pod as the parser would send it. */
static Spd__Pod *
make_pod(const char *name)
{
	static Spd__Pod			pod;
	static Spd__ObjectMeta		meta;
	static Spd__PodSpec		spec;
	static Spd__Container		ct, *cts[1];

	spd__pod__init(&pod);
	spd__object_meta__init(&meta);
	spd__pod_spec__init(&spec);
	spd__container__init(&ct);
	pod.apiversion = "v1";
	pod.kind = "Pod";
	pod.metadata = &meta;
	pod.spec = &spec;
	meta.name = (char *)name;
	meta.namespace_ = "default";
	spec.restartpolicy = "Always";
	spec.dnspolicy = "ClusterFirst";
	spec.has_terminationgraceperiodseconds = 1;
	spec.terminationgraceperiodseconds = 30;
	ct.name = "c";
	ct.image = "busybox:1.36";
	ct.imagepullpolicy = "IfNotPresent";
	ct.terminationmessagepath = "/dev/termination-log";
	ct.terminationmessagepolicy = "File";
	cts[0] = &ct;
	spec.containers = cts;
	spec.n_containers = 1;
	return &pod;
}

static void
upsert(struct harness *h, const char *key, Spd__Pod *pod, const int *fds,
    size_t nfds)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__PodUpsert	u = SPW__POD_UPSERT__INIT;
	uint8_t		sha[32] = { 0 };

	u.key = (char *)key;
	u.pod = pod;
	u.has_sha256 = 1;
	u.sha256.data = sha;
	u.sha256.len = 32;
	w.body_case = SPW__WIRE__BODY_POD_UPSERT;
	w.podupsert = &u;
	send_wire(h, &w, fds, nfds);
}

static void
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char	path[256];
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) == -1)
		abort();
	close(fd);
}

static void
setup_dir(struct harness *h)
{
	char	path[256], big[8192];

	snprintf(h->dir, sizeof(h->dir), "/tmp/spd-monitor-XXXXXX");
	if (mkdtemp(h->dir) == NULL)
		abort();
	snprintf(h->errfile, sizeof(h->errfile), "%s.err", h->dir);
	snprintf(h->auditfile, sizeof(h->auditfile), "%s.audit", h->dir);
	write_file(h->dir, "good.yaml", "apiVersion: v1\n", 0600);
	write_file(h->dir, ".hidden.yaml", "x", 0600);
	write_file(h->dir, "world.yaml", "x", 0666);
	write_file(h->dir, "group.yaml", "x", 0620);
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	write_file(h->dir, "big.yaml", big, 0600);
	write_file(h->dir, "notroot.yaml", "x", 0600);
	snprintf(path, sizeof(path), "%s/notroot.yaml", h->dir);
	if (chown(path, 1000, 1000) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/link.yaml", h->dir);
	if (symlink("good.yaml", path) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/fifo.yaml", h->dir);
	if (mkfifo(path, 0600) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/sub.yaml", h->dir);
	if (mkdir(path, 0700) == -1)
		abort();
}

/* OPEN one name; the reply's reason, or "ok" with the memfd checked. */
static void
open_case(struct harness *h, const char *name, const char *want,
    const char *test)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__Open	o = SPW__OPEN__INIT;
	struct wire_rx	rx;
	struct wire_msg	m;
	struct pollfd	pfd = { .fd = h->sock, .events = POLLIN };
	char		err[WIRE_ERR_MAX];
	const char	*got;
	int		seals, st = WIRE_RX_EMPTY;

	o.name = (char *)name;
	w.body_case = SPW__WIRE__BODY_OPEN;
	w.open = &o;
	send_wire(h, &w, NULL, 0);
	wire_rx_init(&rx);
	while (st != WIRE_RX_DONE) {
		if (poll(&pfd, 1, REPLY_WAIT_MS) != 1) {
			tap(0, test, "no answer within %d ms", REPLY_WAIT_MS);
			return;
		}
		st = wire_rx_read(h->sock, &rx, &m, err);
		if (st == WIRE_RX_EOF || st == WIRE_RX_ERROR) {
			tap(0, test, "channel ended: %s", err);
			return;
		}
	}
	if (m.w->opened->ok) {
		seals = m.nfds == 1 ? fcntl(m.fds[0], F_GET_SEALS) : 0;
		got = (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL) &&
		    m.w->opened->sha256.len == 32 ? "ok" : "unsealed";
	} else
		got = m.w->opened->reason;
	tap(got != NULL && strstr(got, want) != NULL, test,
	    "expected \"%s\", got \"%s\"", want, got ? got : "(null)");
	wire_msg_free(&m);
}

static void
test_broker(struct harness *h)
{
	char err[4096];

	start(h);
	open_case(h, "good.yaml", "ok", "broker_serves_a_root_0600_file_sealed");
	open_case(h, "../x.yaml", "not a plain file name",
	    "broker_refuses_dotdot");
	open_case(h, "a/b.yaml", "not a plain file name",
	    "broker_refuses_a_path");
	open_case(h, ".hidden.yaml", "hidden file", "broker_refuses_dotfiles");
	open_case(h, "good.yaml.bak", "not a .yaml, .yml or .json file",
	    "broker_refuses_editor_backups");
	open_case(h, "link.yaml", "a symbolic link", "broker_refuses_symlinks");
	open_case(h, "fifo.yaml", "a FIFO", "broker_refuses_a_fifo_without_blocking");
	open_case(h, "sub.yaml", "a directory", "broker_refuses_a_directory");
	open_case(h, "world.yaml", "mode 0666 lets others write it",
	    "broker_refuses_a_world_writable_file");
	open_case(h, "group.yaml", "mode 0620 lets others write it",
	    "broker_refuses_a_group_writable_file");
	open_case(h, "notroot.yaml", "owned by uid 1000, not root",
	    "broker_refuses_a_file_not_owned_by_root");
	open_case(h, "big.yaml", "8191 bytes, over the limit of 4096",
	    "broker_refuses_a_file_over_the_size_cap");
	open_case(h, "missing.yaml", "No such file",
	    "broker_refuses_a_missing_file");
	tap(finish(h, err, sizeof(err)) == 3 &&
	    strstr(err, "closed its channel") != NULL,
	    "runtime_exits_3_when_the_fetcher_closes_its_channel",
	    "stderr: %s", err);
}

typedef void (*forge_fn)(struct harness *);

static void
forge_short(struct harness *h)
{
	send_raw(h, "abc", 3);
}

static void
forge_huge(struct harness *h)
{
	struct wire_hdr hd = { SPW__WIRE__BODY_OPEN, WIRE_MSG_MAX + 1, 0, 0 };
	char buf[sizeof(hd) + 4];

	memcpy(buf, &hd, sizeof(hd));
	memcpy(buf + sizeof(hd), "abcd", 4);
	send_raw(h, buf, sizeof(buf));
}

static void
forge_sequence(struct harness *h)
{
	struct wire_hdr hd = { SPW__WIRE__BODY_OPEN, 100, 0, 0 };
	char buf[sizeof(hd) + 10];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &hd, sizeof(hd));
	send_raw(h, buf, sizeof(buf));
	hd.offset = 50;		/* skips 40 bytes */
	memcpy(buf, &hd, sizeof(hd));
	send_raw(h, buf, sizeof(buf));
}

static void
forge_noncanonical(struct harness *h)
{
	/* OPEN{name:"a.yaml"} followed by an unknown field 15 */
	static const uint8_t body[] = { 0x1a, 0x08, 0x0a, 0x06, 'a', '.', 'y',
	    'a', 'm', 'l', 0x78, 0x01 };
	struct wire_hdr hd = { SPW__WIRE__BODY_OPEN, sizeof(body), 0, 0 };
	char buf[sizeof(hd) + sizeof(body)];

	memcpy(buf, &hd, sizeof(hd));
	memcpy(buf + sizeof(hd), body, sizeof(body));
	send_raw(h, buf, sizeof(buf));
}

static void
forge_repeated(struct harness *h)
{
	/* OPEN{name:"a.yaml", name:"b.yaml"}: protobuf-c keeps the last */
	static const uint8_t body[] = { 0x1a, 0x10, 0x0a, 0x06, 'a', '.', 'y',
	    'a', 'm', 'l', 0x0a, 0x06, 'b', '.', 'y', 'a', 'm', 'l' };
	struct wire_hdr hd = { SPW__WIRE__BODY_OPEN, sizeof(body), 0, 0 };
	char buf[sizeof(hd) + sizeof(body)];

	memcpy(buf, &hd, sizeof(hd));
	memcpy(buf + sizeof(hd), body, sizeof(body));
	send_raw(h, buf, sizeof(buf));
}

static void
forge_type_mismatch(struct harness *h)
{
	static const uint8_t body[] = { 0x1a, 0x03, 0x0a, 0x01, 'a' };
	struct wire_hdr hd = { SPW__WIRE__BODY_REOPEN, sizeof(body), 0, 0 };
	char buf[sizeof(hd) + sizeof(body)];

	memcpy(buf, &hd, sizeof(hd));
	memcpy(buf + sizeof(hd), body, sizeof(body));
	send_raw(h, buf, sizeof(buf));
}

static void
forge_config_again(struct harness *h)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__Config	c = SPW__CONFIG__INIT;

	c.staticpodpath = "/";
	w.body_case = SPW__WIRE__BODY_CONFIG;
	w.config = &c;
	send_wire(h, &w, NULL, 0);
}

static void
forge_role(struct harness *h)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__Role	r = SPW__ROLE__INIT;

	w.body_case = SPW__WIRE__BODY_ROLE;
	w.role = &r;
	send_wire(h, &w, NULL, 0);
}

static void
forge_fds(struct harness *h)
{
	int fd = open("/dev/null", O_RDONLY);

	upsert(h, "good.yaml", make_pod("p-" NODE), &fd, 1);
	close(fd);
}

static void
forge_unserved(struct harness *h)
{
	upsert(h, "good.yaml", make_pod("p-" NODE), NULL, 0);
}

static void
forge_other_node(struct harness *h)
{
	upsert(h, "good.yaml", make_pod("p-node2"), NULL, 0);
}

static void
forge_bad_name(struct harness *h)
{
	upsert(h, "good.yaml", make_pod("Bad_Name-" NODE), NULL, 0);
}

static void
forge_scheduler_field(struct harness *h)
{
	Spd__Pod *p = make_pod("p-" NODE);

	p->spec->nodename = "elsewhere";
	upsert(h, "good.yaml", p, NULL, 0);
}

static void
forge_undefaulted(struct harness *h)
{
	Spd__Pod *p = make_pod("p-" NODE);

	p->spec->restartpolicy = NULL;
	upsert(h, "good.yaml", p, NULL, 0);
}

static void
forge_bad_key(struct harness *h)
{
	upsert(h, "../etc/x.yaml", make_pod("p-" NODE), NULL, 0);
}

static void
forge_end_without_begin(struct harness *h)
{
	Spw__Wire		w = SPW__WIRE__INIT;
	Spw__SnapshotEnd	e = SPW__SNAPSHOT_END__INIT;

	w.body_case = SPW__WIRE__BODY_SNAPSHOT_END;
	w.snapshotend = &e;
	send_wire(h, &w, NULL, 0);
}

static void
forge_control_chars(struct harness *h)
{
	Spw__Wire		w = SPW__WIRE__INIT;
	Spw__SourceError	e = SPW__SOURCE_ERROR__INIT;

	e.message = "fine\nstaticpodd: pod admitted";
	w.body_case = SPW__WIRE__BODY_SOURCE_ERROR;
	w.sourceerror = &e;
	send_wire(h, &w, NULL, 0);
}

static void
test_forged(struct harness *h)
{
	static const struct {
		const char	*name;
		forge_fn	 fn;
		const char	*reason;
	} cases[] = {
		{ "monitor_refuses_a_datagram_shorter_than_a_header",
		    forge_short, "shorter than a header" },
		{ "monitor_refuses_a_message_over_the_cap", forge_huge,
		    "(limit 8388608)" },
		{ "monitor_refuses_chunks_out_of_sequence", forge_sequence,
		    "chunk out of sequence" },
		{ "monitor_refuses_unknown_fields", forge_noncanonical,
		    "fields its schema does not know" },
		{ "monitor_refuses_non_canonical_bytes", forge_repeated,
		    "not in canonical form" },
		{ "monitor_refuses_a_frame_type_that_is_not_its_body",
		    forge_type_mismatch, "carries body" },
		{ "monitor_refuses_config_after_start", forge_config_again,
		    "type 1 is not permitted here" },
		{ "monitor_refuses_a_role_from_a_fetcher", forge_role,
		    "type 2 is not permitted here" },
		{ "monitor_refuses_fds_on_a_pod", forge_fds,
		    "file descriptors attached" },
		{ "monitor_refuses_a_pod_for_a_file_it_never_served",
		    forge_unserved, "which the broker never served" },
		{ "monitor_refuses_a_pod_named_for_another_node",
		    forge_other_node, "does not end in -node1" },
		{ "monitor_refuses_a_pod_with_an_invalid_name", forge_bad_name,
		    "metadata.name: \"Bad_Name-node1\" is not a DNS-1123" },
		{ "monitor_refuses_a_pod_with_scheduler_fields",
		    forge_scheduler_field, "scheduler-only fields" },
		{ "monitor_refuses_a_pod_without_its_defaults",
		    forge_undefaulted, "spec.restartPolicy: required" },
		{ "monitor_refuses_a_key_outside_the_directory", forge_bad_key,
		    "key is not a manifest name" },
		{ "monitor_refuses_snapshot_end_without_begin",
		    forge_end_without_begin, "SNAPSHOT_END without" },
		{ "monitor_refuses_control_characters_in_messages",
		    forge_control_chars, "without a printable message" },
	};
	char	err[4096];
	size_t	i;
	int	st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start(h);
		cases[i].fn(h);
		st = ended(h, err, sizeof(err));
		tap(st == EXIT_LOST_CHILD && strstr(err, "protocol violation") !=
		    NULL && strstr(err, cases[i].reason) != NULL, cases[i].name,
		    "exit %d, expected %d with \"%s\"; stderr: %s", st,
		    EXIT_LOST_CHILD, cases[i].reason, err);
	}
}

/*
 * Pods a compromised fetcher might send once it has had a manifest
 * opened: well-formed, so podcheck passes them, but not for this node.
 */
static void
forge_privileged(Spd__Pod *p)
{
	static Spd__SecurityContext sc;

	spd__security_context__init(&sc);
	sc.has_privileged = 1;
	sc.privileged = 1;
	p->spec->containers[0]->securitycontext = &sc;
}

static void
forge_host_root(Spd__Pod *p)
{
	static Spd__Volume		 v, *vs[1];
	static Spd__HostPathVolumeSource hp;
	static Spd__VolumeMount		 m, *ms[1];

	spd__volume__init(&v);
	spd__host_path_volume_source__init(&hp);
	spd__volume_mount__init(&m);
	hp.path = "/";
	hp.type = "";
	v.name = "host";
	v.hostpath = &hp;
	vs[0] = &v;
	p->spec->volumes = vs;
	p->spec->n_volumes = 1;
	m.name = "host";
	m.mountpath = "/host";
	ms[0] = &m;
	p->spec->containers[0]->volumemounts = ms;
	p->spec->containers[0]->n_volumemounts = 1;
}

static const char *forged_dir;	/* the manifest directory, per harness */

static void
forge_manifest_dir(Spd__Pod *p)
{
	forge_host_root(p);
	p->spec->volumes[0]->hostpath->path = (char *)forged_dir;
}

static void
forge_sysctl(Spd__Pod *p, const char *name, const char *value)
{
	static Spd__PodSecurityContext	psc;
	static Spd__Sysctl		s, *ss[1];

	spd__pod_security_context__init(&psc);
	spd__sysctl__init(&s);
	s.name = (char *)name;
	s.value = (char *)value;
	ss[0] = &s;
	psc.sysctls = ss;
	psc.n_sysctls = 1;
	p->spec->securitycontext = &psc;
}

static void
forge_cr8escape(Spd__Pod *p)
{
	forge_sysctl(p, "kernel.shm_rmid_forced",
	    "1+kernel.core_pattern=|/var/lib/x/evil.sh #");
}

static void
forge_core_pattern(Spd__Pod *p)
{
	forge_sysctl(p, "kernel.core_pattern", "|/var/lib/x/evil.sh");
}

static void
forge_nothing(Spd__Pod *p)
{
	(void)p;
}

static void
hex32(const uint8_t *b, char out[65])
{
	size_t i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The runtime's own hash of good.yaml, as the broker served it. */
static void
good_sha256(struct harness *h, char out[65])
{
	uint8_t		md[32];
	unsigned int	n = 0;
	char		path[256], buf[256];
	ssize_t		len;
	int		fd;

	snprintf(path, sizeof(path), "%s/good.yaml", h->dir);
	if ((fd = open(path, O_RDONLY)) == -1 ||
	    (len = read(fd, buf, sizeof(buf))) <= 0 ||
	    EVP_Digest(buf, (size_t)len, md, &n, EVP_sha256(), NULL) != 1)
		abort();
	close(fd);
	hex32(md, out);
}

/* Waits for an audit line holding every needle; the line, or "". */
static int
audit_line(struct harness *h, const char *const *needles, char *line,
    size_t len)
{
	char	buf[16384], *s, *nl;
	ssize_t	n;
	int	i, k, fd;

	for (i = 0; i < REPLY_WAIT_MS / 10; i++, usleep(10000)) {
		if ((fd = open(h->auditfile, O_RDONLY)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		for (s = buf; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
			*nl = '\0';
			for (k = 0; needles[k] != NULL; k++)
				if (strstr(s, needles[k]) == NULL)
					break;
			if (needles[k] == NULL) {
				snprintf(line, len, "%s", s);
				return 1;
			}
		}
	}
	snprintf(line, len, "%s", buf);
	return 0;
}

static void
test_policy(struct harness *h)
{
	static const struct {
		const char	*name;
		void		(*forge)(Spd__Pod *);
		const char	*decision;
		const char	*rule;
		const char	*reason;
	} cases[] = {
		{ "runtime_refuses_a_privileged_pod_the_fetcher_passed",
		    forge_privileged, "refused", "privileged",
		    "spec.containers[0].securityContext.privileged: privileged "
		    "containers are not allowed" },
		{ "runtime_refuses_a_host_root_mount_the_fetcher_passed",
		    forge_host_root, "refused", "hostPath",
		    "spec.volumes[0].hostPath.path \\\"/\\\" is not allowed "
		    "(the host's root filesystem)" },
		{ "runtime_refuses_a_mount_of_its_manifest_directory",
		    forge_manifest_dir, "refused", "hostPath",
		    "is not allowed (it is in the manifest directory" },
		{ "runtime_refuses_a_sysctl_value_smuggling_core_pattern",
		    forge_cr8escape, "refused", "sysctls",
		    "holds '+', which could set another sysctl through the "
		    "runtime (CVE-2022-0811)" },
		{ "runtime_refuses_kernel_core_pattern",
		    forge_core_pattern, "refused", "sysctls",
		    "spec.securityContext.sysctls[0].name "
		    "\\\"kernel.core_pattern\\\" is not allowed" },
		{ "runtime_admits_a_plain_pod_and_audits_it", forge_nothing,
		    "admitted", NULL, NULL },
	};
	char		 sha[65], want_sha[80], want_dec[64], want_rule[64];
	char		 want_reason[512], want_origin[256], line[16384];
	char		 err[4096];
	const char	*needles[8];
	size_t		 i, k;
	Spd__Pod	*p;
	int		 st, found;

	forged_dir = h->dir;
	good_sha256(h, sha);
	snprintf(want_sha, sizeof(want_sha), "\"sha256\":\"%s\"", sha);
	snprintf(want_origin, sizeof(want_origin), "\"origin\":\"%s/good.yaml\"",
	    h->dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(h->auditfile);
		start(h);
		/* the broker serves the file; the fetcher then lies about it */
		open_case(h, "good.yaml", "ok", "broker_serves_the_file_to_forge");
		p = make_pod("p-" NODE);
		cases[i].forge(p);
		upsert(h, "good.yaml", p, NULL, 0);
		snprintf(want_dec, sizeof(want_dec), "\"decision\":\"%s\"",
		    cases[i].decision);
		k = 0;
		needles[k++] = want_dec;
		needles[k++] = want_sha;
		needles[k++] = "\"sha256Reported\":false";
		needles[k++] = want_origin;
		needles[k++] = "\"pod\":\"default/p-" NODE "\"";
		if (cases[i].rule != NULL) {
			snprintf(want_rule, sizeof(want_rule), "\"rule\":\"%s\"",
			    cases[i].rule);
			snprintf(want_reason, sizeof(want_reason), "%s",
			    cases[i].reason);
			needles[k++] = want_rule;
			needles[k++] = want_reason;
		}
		needles[k] = NULL;
		found = audit_line(h, needles, line, sizeof(line));
		st = finish(h, err, sizeof(err));
		tap(found && st == EXIT_LOST_CHILD, cases[i].name,
		    "no audit record with %s %s; exit %d; audit: %s; stderr: %s",
		    want_dec, cases[i].rule != NULL ? cases[i].reason : "", st,
		    line, err);
	}

	/* a pod for a file the broker never served: audited, then fatal */
	unlink(h->auditfile);
	start(h);
	upsert(h, "other.yaml", make_pod("p-" NODE), NULL, 0);
	st = ended(h, err, sizeof(err));
	snprintf(want_origin, sizeof(want_origin),
	    "\"origin\":\"%s/other.yaml\"", h->dir);
	needles[0] = "\"decision\":\"refused\"";
	needles[1] = "\"rule\":\"protocol\"";
	needles[2] = "a pod for a file the broker never served";
	needles[3] = want_origin;
	needles[4] = NULL;
	found = audit_line(h, needles, line, sizeof(line));
	tap(found && st == EXIT_LOST_CHILD &&
	    strstr(err, "which the broker never served") != NULL,
	    "runtime_refuses_a_pod_attributed_to_a_file_it_did_not_serve",
	    "exit %d; audit: %s; stderr: %s", st, line, err);

	/* a file that did not parse: audited with the broker's hash */
	{
		Spw__Wire		w = SPW__WIRE__INIT;
		Spw__SourceError	e = SPW__SOURCE_ERROR__INIT;

		unlink(h->auditfile);
		start(h);
		open_case(h, "good.yaml", "ok", "broker_serves_the_file_to_fail");
		e.key = "good.yaml";
		e.message = "good.yaml:1:1: kind: required";
		w.body_case = SPW__WIRE__BODY_SOURCE_ERROR;
		w.sourceerror = &e;
		send_wire(h, &w, NULL, 0);
		snprintf(want_origin, sizeof(want_origin),
		    "\"origin\":\"%s/good.yaml\"", h->dir);
		needles[0] = "\"decision\":\"source-error\"";
		needles[1] = want_sha;
		needles[2] = "\"reason\":\"good.yaml:1:1: kind: required\"";
		needles[3] = want_origin;
		needles[4] = NULL;
		found = audit_line(h, needles, line, sizeof(line));
		st = finish(h, err, sizeof(err));
		tap(found, "runtime_audits_a_source_error_with_its_own_hash",
		    "audit: %s; stderr: %s", line, err);
	}
}

int
main(void)
{
	struct harness	h;
	char		cmd[512];

	if (geteuid() != 0) {
		printf("1..0 # SKIP the broker's owner checks need root "
		    "(CI runs as root)\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	log_init("test", 0);
	memset(&h, 0, sizeof(h));
	setup_dir(&h);
	test_broker(&h);
	test_forged(&h);
	test_policy(&h);
	printf("1..%d\n", tap_n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s'", h.dir, h.errfile,
	    h.auditfile);
	if (system(cmd) != 0)
		tap_failed++;
	return tap_failed > 0;
}
