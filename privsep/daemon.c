/*
 * The agent's start and its event loop, in the order the design gives:
 * root parses the command line and opens the configuration; the first
 * fetcher parses it and sends CONFIG; the runtime merges its flags over
 * it, checks the result, starts a fetcher per source, hands the directory
 * fetcher its fds, locks itself down and serves. If any fetcher dies or
 * breaks the protocol the agent exits (crash-only); pods are never touched
 * on the way out, and the service manager restarts the agent.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "audit.h"
#include "config.h"
#include "log.h"
#include "policy.h"
#include "sandbox.h"
#include "syscall_policy.h"

#define OPEN_BURST	4096	/* a burst of files at once is served */
#define OPEN_RATE	2000.0	/* a second, after the burst */
#define REOPEN_BURST	3
#define REOPEN_RATE	1.0
#define RECONCILE_DEBOUNCE_MS	50	/* a burst of changes, one pass */

static void
channel_init(struct channel *c, enum chan_kind kind, const char *what)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->what = what;
	c->fd = -1;
	c->pid = -1;
	wire_rx_init(&c->rx);
	c->opens.burst = c->opens.tokens = OPEN_BURST;
	c->opens.rate = OPEN_RATE;
	c->reopens.burst = c->reopens.tokens = REOPEN_BURST;
	c->reopens.rate = REOPEN_RATE;
}

static void
child_died(const struct channel *c, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("%s (pid %ld) was killed by signal %d%s", c->what,
		    (long)c->pid, WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
		    " (a system call its sandbox forbids)" : "");
	else
		log_warnx("%s (pid %ld) exited with status %d", c->what,
		    (long)c->pid, WEXITSTATUS(status));
}

/*
 * Waits for the first fetcher's CONFIG. A fetcher that exits first has
 * printed why (a bad configuration file): exit as it did.
 */
static void
await_config(struct channel *c, struct wire_msg *m)
{
	struct pollfd		 pfd = { .fd = c->fd, .events = POLLIN };
	char			 err[WIRE_ERR_MAX];
	enum wire_rx_status	 st;
	int64_t			 deadline = now_ms() + AGENT_CONFIG_WAIT_MS;
	int			 status, n;

	for (;;) {
		n = poll(&pfd, 1, (int)(deadline - now_ms()));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			fatalx("%s sent no configuration within %d ms", c->what,
			    AGENT_CONFIG_WAIT_MS);
		st = wire_rx_read(c->fd, &c->rx, m, err);
		if (st == WIRE_RX_DONE)
			break;
		if (st == WIRE_RX_ERROR) {
			log_warnx("%s: protocol violation: %s", c->what, err);
			exit(EXIT_LOST_CHILD);
		}
		if (st == WIRE_RX_EOF) {
			if (waitpid(c->pid, &status, 0) == -1)
				fatal("waitpid");
			if (WIFEXITED(status) && WEXITSTATUS(status) ==
			    EXIT_CONFIG)
				exit(EXIT_CONFIG);
			child_died(c, status);
			exit(EXIT_LOST_CHILD);
		}
	}
	if (m->w->body_case != SPW__WIRE__BODY_CONFIG || m->nfds != 0) {
		log_warnx("%s: protocol violation: expected CONFIG first, got "
		    "type %d", c->what, (int)m->w->body_case);
		exit(EXIT_LOST_CHILD);
	}
}

static void
send_role(struct channel *c, Spw__Role__Kind kind, struct agent *a,
    const int *fds, size_t nfds)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__Role	r = SPW__ROLE__INIT;

	r.has_kind = 1;
	r.kind = kind;
	r.config = &a->cfg;
	r.nodename = (char *)a->node_name;
	if (a->only_name[0] != '\0')
		r.onlyname = a->only_name;
	w.body_case = SPW__WIRE__BODY_ROLE;
	w.role = &r;
	if (wire_send(c->fd, &w, fds, nfds, AGENT_SEND_TIMEOUT_MS) == -1)
		fatal("%s: send role", c->what);
	c->state = kind == SPW__ROLE__KIND__NONE ? CHAN_DONE : CHAN_RUNNING;
	if (c->state == CHAN_DONE) {
		/* nothing more to hear from it; its clean exit is expected */
		close(c->fd);
		c->fd = -1;
		wire_rx_clear(&c->rx);
	}
}

/* staticPodPath may name a directory or one file, as for the kubelet. */
static void
locate_manifests(struct agent *a)
{
	struct stat	 st;
	const char	*p = a->cfg.staticpodpath, *slash;

	if (stat(p, &st) == 0 && !S_ISDIR(st.st_mode)) {
		slash = strrchr(p, '/');
		snprintf(a->only_name, sizeof(a->only_name), "%s", slash + 1);
		snprintf(a->manifest_dir, sizeof(a->manifest_dir), "%.*s",
		    slash == p ? 1 : (int)(slash - p), p);
		return;
	}
	snprintf(a->manifest_dir, sizeof(a->manifest_dir), "%s", p);
}

static void
start_dir_source(struct agent *a, struct channel *c)
{
	char	why[512];
	int	fds[2];

	if (broker_open_dir(a, &fds[0], &fds[1], why, sizeof(why)) == -1) {
		/* the fetcher asks again (REOPEN) until it appears */
		log_warnx("manifest directory: %s; waiting for it", why);
		send_role(c, SPW__ROLE__KIND__DIR, a, NULL, 0);
		return;
	}
	send_role(c, SPW__ROLE__KIND__DIR, a, fds, 2);
	close(fds[0]);
	close(fds[1]);
}

/*
 * The first fetcher, told it has no role, exits on its own; the directory
 * is served by a new one running as the configured user. Its channel slot
 * is reused, and the old process is reaped as an expected exit.
 */
static void
restart_dir_fetcher(struct agent *a, struct channel *c)
{
	pid_t	old = c->pid;
	int	status;

	if (waitpid(old, &status, 0) == -1)
		fatal("waitpid");
	c->pid = proc_spawn_fetcher(a->fetcher_exe, a->fetcher_uid,
	    a->fetcher_gid, "dir", &c->fd, -1, NULL, -1, NULL, a->verbose);
	c->state = CHAN_WAIT_ROLE;
}

static void
start_url_source(struct agent *a, struct channel *c)
{
	c->pid = proc_spawn_fetcher(a->fetcher_exe, a->fetcher_uid,
	    a->fetcher_gid, "url", &c->fd, -1, NULL, -1, NULL, a->verbose);
	send_role(c, SPW__ROLE__KIND__URL, a, NULL, 0);
}

static void
notice_ignored(const Spw__Config *c, const char *file)
{
	char	 list[512] = "";
	size_t	 i, o = 0;
	int	 n;

	for (i = 0; i < c->n_ignoredfields && o < sizeof(list); i++) {
		n = snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
		    c->ignoredfields[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (c->n_ignoredfields > 0)
		log_info("%s: kubelet settings staticpodd does not use, "
		    "ignored: %s", file, list);
}

static void
setup_signals(struct agent *a)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1)
		fatal("sigprocmask");
	if ((a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		fatal("signalfd");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
}

static struct channel *
channel_by_pid(struct agent *a, pid_t pid)
{
	size_t i;

	for (i = 0; i < CHAN_MAX; i++)
		if (a->chan[i].pid == pid)
			return &a->chan[i];
	return NULL;
}

static void
reap(struct agent *a)
{
	struct channel	*c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = channel_by_pid(a, pid)) == NULL)
			continue;
		if (c->state == CHAN_DONE && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0) {
			c->pid = -1;
			continue;
		}
		child_died(c, status);
		log_warnx("exiting: a fetcher is gone; running pods are left "
		    "as they are");
		exit(EXIT_LOST_CHILD);
	}
}

/* Returns when asked to stop; pods keep running. */
static void
on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(a);
			break;
		case SIGHUP:
			log_info("SIGHUP: restart the agent to reload its "
			    "configuration");
			break;
		case SIGUSR1:
			reconcile_counters(a);
			break;
		default:
			log_info("signal %u: exiting; running pods are left "
			    "as they are", si.ssi_signo);
			status_remove(a);
			exit(0);
		}
	}
}

static void
on_tick(struct agent *a)
{
	uint64_t n;

	if (read(a->tickfd, &n, sizeof(n)) != sizeof(n) && errno != EAGAIN)
		fatal("timerfd read");
	reconcile_tick(a);
}

/* True once, when the last configured source delivers its first view. */
static bool
sources_became_ready(struct agent *a)
{
	size_t	i;
	bool	all = true;

	for (i = 0; i < CHAN_MAX; i++)
		if (source_base(a, (enum chan_kind)i) != NULL &&
		    !a->chan[i].ready)
			all = false;
	if (!all || a->all_ready_seen)
		return false;
	a->all_ready_seen = true;
	log_info("every source has delivered its first complete view");
	return true;
}

/* status.hostIP: the first address of an interface that is up. */
static void
find_host_ip(struct agent *a)
{
	struct ifaddrs	*ifa, *i;
	void		*addr;

	snprintf(a->host_ip, sizeof(a->host_ip), "127.0.0.1");
	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_UP) == 0 ||
		    (i->ifa_flags & IFF_LOOPBACK) != 0)
			continue;
		addr = &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
		if (inet_ntop(AF_INET, addr, a->host_ip,
		    sizeof(a->host_ip)) != NULL)
			break;
	}
	freeifaddrs(ifa);
}

static bool
apparmor_enabled(void)
{
	char	c = 'N';
	int	fd;

	if ((fd = open("/sys/module/apparmor/parameters/enabled",
	    O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 'N';
	close(fd);
	return c == 'Y';
}

static void
event_loop(struct agent *a)
{
	struct epoll_event	 ev, evs[8];
	size_t			 i;
	int			 n, k;

	if ((a->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.u32 = CHAN_MAX;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev) == -1)
		fatal("epoll_ctl");
	ev.data.u32 = CHAN_MAX + 1;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->tickfd, &ev) == -1)
		fatal("epoll_ctl");
	for (i = 0; i < CHAN_MAX; i++) {
		if (a->chan[i].fd == -1)
			continue;
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->chan[i].fd, &ev) == -1)
			fatal("epoll_ctl");
	}
	for (;;) {
		n = epoll_wait(a->epfd, evs, 8, -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("epoll_wait");
		for (k = 0; k < n; k++) {
			if (evs[k].data.u32 == CHAN_MAX)
				on_signal(a);
			else if (evs[k].data.u32 == CHAN_MAX + 1)
				on_tick(a);
			else
				monitor_read(a, &a->chan[evs[k].data.u32]);
		}
		/* a changed view is saved, and acted on shortly */
		if (a->desired.dirty[CHAN_DIR] || a->desired.dirty[CHAN_URL] ||
		    sources_became_ready(a))
			reconcile_soon(a, RECONCILE_DEBOUNCE_MS);
		state_flush(a);
	}
}

static char *
parent_of(struct agent *a, const char *path)
{
	char	*copy, *slash;

	if (path == NULL || (copy = arena_strdup(&a->cfg_arena, path)) == NULL)
		return NULL;
	if ((slash = strrchr(copy, '/')) == NULL)
		return NULL;
	if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	return copy;
}

/*
 * hostPath volumes of type DirectoryOrCreate and FileOrCreate are made by
 * the runtime (runtime/volumes.c), only below the prefixes the node policy
 * lets pods write: those get read and write. A prefix not there yet gets
 * only the making of directories, on its nearest existing ancestor, so a
 * fresh node's /var/lib/etcd can still be made, and nothing else written.
 */
static void
hostpath_rules(struct agent *a, struct sandbox_policy *p)
{
	const struct policy_hostpath	*hp;
	struct stat			 st;
	char				*dir, *slash;
	size_t				 i;

	for (i = 0; a->policy != NULL && i < a->policy->nhost_paths; i++) {
		hp = &a->policy->host_paths[i];
		if (hp->read_only)
			continue;
		if (stat(hp->prefix, &st) == 0) {
			sandbox_policy_add_path(p, hp->prefix,
			    SANDBOX_FS_READ | SANDBOX_FS_WRITE, 1);
			continue;
		}
		if ((dir = arena_strdup(&a->cfg_arena, hp->prefix)) == NULL)
			fatal("hostpath_rules");
		do {
			if ((slash = strrchr(dir, '/')) == NULL)
				break;
			slash[slash == dir ? 1 : 0] = '\0';
		} while (stat(dir, &st) == -1 && strcmp(dir, "/") != 0);
		if (S_ISDIR(st.st_mode))
			sandbox_policy_add_path(p, dir, SANDBOX_FS_MKDIR, 1);
	}
}

/*
 * The runtime's own sandbox, once every fetcher is started and every file
 * it needs is open: the capabilities its table lists, no_new_privs,
 * Landlock on its directories, the seccomp allowlist (policy/).
 */
static void
lockdown(struct agent *a)
{
	struct sandbox_policy		p;
	struct policy_runtime_dirs	d;
	char				links[PATH_MAX];
	size_t				i;
	int				abi;

	memset(&d, 0, sizeof(d));
	/* the directory's parent: a recreated directory is a new inode */
	d.manifest_parent = a->manifest_dir[0] != '\0' ?
	    parent_of(a, a->manifest_dir) : NULL;
	d.state_dir = a->cfg.statedir;
	d.log_dir = a->cfg.podlogsdir;
	d.run_dir = a->cfg.rundir;
	if (a->cfg.auditlog != NULL && strcmp(a->cfg.auditlog, "-") != 0)
		d.audit_dir = parent_of(a, a->cfg.auditlog);
	policy_runtime_sandbox(&p, &d);
	/* the containers log links, beside the pod logs */
	logs_links_dir(a, links, sizeof(links));
	sandbox_policy_add_path(&p, links, SANDBOX_FS_READ | SANDBOX_FS_WRITE |
	    SANDBOX_FS_SYMLINK, 0);
	hostpath_rules(a, &p);
	if (a->cfg.memoryvolumedir != NULL)
		sandbox_policy_add_path(&p, a->cfg.memoryvolumedir,
		    SANDBOX_FS_READ | SANDBOX_FS_WRITE, 0);
	/* the pod cgroups' limits (runtime/cgroup.c) */
	for (i = 0; i < a->cgroup.ndirs; i++)
		sandbox_policy_add_path(&p, a->cgroup.dirs[i],
		    SANDBOX_FS_READ | SANDBOX_FS_WRITE, 1);
	if (a->cfg.requirelandlock)
		p.landlock = SANDBOX_LANDLOCK_REQUIRED;
	abi = sandbox_apply(&p);
	log_debug("sandboxed (Landlock ABI %d)", abi);
}

int
daemon_main(int argc, char **argv)
{
	struct agent	 a;
	struct flags	 f;
	struct channel	*first;
	struct wire_msg	 m;
	char		 links[PATH_MAX];
	int		 cfd = -1, pfd = -1;

	memset(&a, 0, sizeof(a));
	flags_parse(argc, argv, &f);
	log_init("staticpodd", f.verbose);
	a.verbose = f.verbose;
	a.dirfd = -1;
	if (geteuid() != 0) {
		log_warnx("must be started as root");
		return EXIT_CONFIG;
	}
	if (f.config_file != NULL &&
	    (cfd = proc_strict_open(f.config_file, "configuration")) == -1)
		return EXIT_CONFIG;
	if (f.policy_file != NULL &&
	    (pfd = proc_strict_open(f.policy_file, "policy")) == -1)
		return EXIT_CONFIG;
	setup_signals(&a);
	channel_init(&a.chan[CHAN_DIR], CHAN_DIR, "directory fetcher");
	channel_init(&a.chan[CHAN_URL], CHAN_URL, "URL fetcher");
	if ((a.fetcher_exe = proc_open_fetcher()) == -1)
		return EXIT_CONFIG;
	proc_resolve_user(f.cfg.user, &a.fetcher_uid, &a.fetcher_gid);

	first = &a.chan[CHAN_DIR];
	first->pid = proc_spawn_fetcher(a.fetcher_exe, a.fetcher_uid,
	    a.fetcher_gid, "first", &first->fd, cfd, f.config_file, pfd,
	    f.policy_file, a.verbose);
	first->state = CHAN_START;
	if (cfd != -1)
		close(cfd);
	if (pfd != -1)
		close(pfd);
	await_config(first, &m);
	first->state = CHAN_WAIT_ROLE;
	if (config_merge(&a, m.w->config, &f.cfg) == -1)
		return EXIT_CONFIG;
	admit_setup(&a, m.w->config, f.policy_file, f.config_file);
	notice_ignored(&a.cfg, f.config_file != NULL ? f.config_file : "");
	wire_msg_free(&m);
	a.node_name = a.cfg.nodename;
	if (volumes_setup(&a) == -1)
		return EXIT_CONFIG;
	if (a.cfg.staticpodpath == NULL && a.cfg.staticpodurl == NULL)
		log_warnx("no manifest source configured (staticPodPath, "
		    "staticPodURL): nothing to run");
	if (mkdir_p(a.cfg.statedir, 0700) == -1 ||
	    mkdir_p(a.cfg.rundir, 0755) == -1)
		fatal("state or run directory");
	if (a.cfg.staticpodpath != NULL)
		locate_manifests(&a);
	state_load(&a);
	if (a.cfg.user != NULL && (f.cfg.user == NULL ||
	    strcmp(a.cfg.user, f.cfg.user) != 0)) {
		/* the file names another user: the sources run as that one */
		proc_resolve_user(a.cfg.user, &a.fetcher_uid, &a.fetcher_gid);
		send_role(first, SPW__ROLE__KIND__NONE, &a, NULL, 0);
		first = &a.chan[CHAN_DIR];
		if (a.cfg.staticpodpath != NULL)
			restart_dir_fetcher(&a, first);
	}
	if (a.cfg.staticpodpath != NULL)
		start_dir_source(&a, first);
	else if (first->state == CHAN_WAIT_ROLE)
		send_role(first, SPW__ROLE__KIND__NONE, &a, NULL, 0);
	if (a.cfg.staticpodurl != NULL)
		start_url_source(&a, &a.chan[CHAN_URL]);
	find_host_ip(&a);
	a.apparmor = apparmor_enabled();
	dns_load_host(&a);
	pod_cgroup_setup(&a);
	if (mkdir_p(a.cfg.podlogsdir, 0755) == -1)
		fatal("%s", a.cfg.podlogsdir);
	logs_links_dir(&a, links, sizeof(links));
	if (mkdir_p(links, 0755) == -1)
		fatal("%s", links);
	if (a.audit == NULL && (a.audit = audit_open(a.cfg.auditlog)) == NULL)
		return EXIT_CONFIG;
	reconcile_init(&a);
	lockdown(&a);
	log_info("running on node %s", a.node_name);
	event_loop(&a);
	return 0;
}
