/*
 * try_sandbox: the sandbox tests, in the manner of Chromium's
 * BPF_DEATH_TEST and bubblewrap's try-syscall. A case forks a child that
 * takes one process's sandbox (the fetcher's or the runtime's, built from
 * policy/ exactly as the daemon builds it), then tries its steps in turn
 * and reports each outcome: "ok", an errno, or the signal that killed it.
 * The same steps run first in a control child, same user, no sandbox: a
 * case whose control already gives the expected outcomes proves nothing,
 * and fails.
 *
 *   try_sandbox CASE            run it: exit 0 pass, 1 fail, 77 skip
 *   try_sandbox --control CASE  only the control, printed
 *   try_sandbox --list          the case names
 *   try_sandbox --registered NAME...  fail unless these are all the cases
 *
 * STATICPODD_SANDBOX_TRAP=1 (read here, never by the library) loads the
 * filters in trap mode: a denied call prints its number instead of
 * killing, for writing tables; `strace -f try_sandbox CASE` shows what
 * glibc really calls. Children end with _exit and the tests set
 * ASAN_OPTIONS=detect_leaks=0: LeakSanitizer's exit check needs ptrace,
 * which no sandbox allows.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <linux/capability.h>
#include <seccomp.h>

#include "log.h"
#include "sandbox.h"
#include "syscall_policy.h"
#include "try_sandbox.h"

#ifndef SANDBOX_DATA
#define SANDBOX_DATA	"tests/data/sandbox"
#endif

#define STEPS_MAX	4
#define CHILD_SECONDS	30	/* a hung child is killed by SIGALRM */
#define STATUS_MAX	(16 * 1024)
#define STDERR_MAX	(16 * 1024)
#define EXIT_SKIP	77
#define EXIT_SETUP	3	/* the child could not prepare itself */
#define NFTW_FDS	16
#define CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"

enum profile {
	PROF_FETCHER_URL,	/* uid 65534, the URL fetcher's policy */
	PROF_FETCHER_DIR,	/* uid 65534, the directory fetcher's */
	PROF_RUNTIME,		/* uid 0, the runtime's policy */
	PROF_KEEP_CAPS,		/* uid 0, sandbox_keep_caps alone */
};

static const char *const profile_name[] = {
	"fetcher[url] as uid 65534", "fetcher[dir] as uid 65534",
	"runtime as uid 0", "sandbox_keep_caps as uid 0",
};

#define NEED_LANDLOCK		0x001	/* skipped where the kernel has none */
#define NEED_LANDLOCK_NET	0x002	/* ... or no TCP rules (ABI < 4) */
#define NEED_HTTPS		0x004	/* the local HTTPS server */
#define PREP_THREAD		0x008	/* a second thread before the sandbox */
#define PREP_HIDE_LANDLOCK	0x010	/* the kernel seems to lack Landlock */
#define PREP_AMBIENT		0x020	/* CAP_NET_RAW inheritable, ambient */
#define LANDLOCK_REQUIRED	0x040
#define SECCOMP_TRAP		0x080
#define PREP_VOLUME		0x100	/* state/vol, filled by uid 1000 */
#define MKDIR_RULE		0x200	/* base/hp: a directories-only rule,
					   as for a hostPath prefix not there
					   yet (privsep/daemon.c) */

struct step {
	enum op		 op;
	const char	*arg;
	int		 num;
	const char	*expect;
};

struct tcase {
	const char	*name;
	enum profile	 profile;
	unsigned int	 flags;
	const char	*proves;
	struct step	 steps[STEPS_MAX];
	/* OP_PAUSE: judges /proc/PID/status of the paused child */
	void		(*check)(const char *status, char *res, size_t len);
	const char	*stderr_has;	/* in the sandboxed child's stderr */
};

/* sandbox_keep_caps's own test keeps these two. */
static const int kept_caps[] = { CAP_NET_BIND_SERVICE, CAP_SYS_TIME };

static void	check_fetcher_status(const char *, char *, size_t);
static void	check_runtime_status(const char *, char *, size_t);
static void	check_kept_caps(const char *, char *, size_t);

#define OK		"ok"
#define EACCES_		"errno EACCES"
#define SIGSYS_		"signal SIGSYS"
#define PROOF_LANDLOCK	{ OP_OPEN_READ, "/etc/passwd", 0, EACCES_ }
#define PROOF_SECCOMP	{ OP_SOCKET, NULL, AF_UNIX, EACCES_ }

static const struct tcase cases[] = {
	/* the fetcher: what file modes allow and the sandbox does not */
	{ .name = "fetcher_cannot_read_etc_passwd",
	  .profile = PROF_FETCHER_URL,
	  .flags = NEED_LANDLOCK,
	  .proves = "Landlock: a world-readable file outside the rules is "
	      "refused",
	  .steps = { PROOF_LANDLOCK } },
	{ .name = "fetcher_cannot_execve",
	  .profile = PROF_FETCHER_URL,
	  .proves = "seccomp kills the fetcher on execve",
	  .steps = { { OP_EXECVE, "/bin/true", 0, SIGSYS_ } } },
	{ .name = "fetcher_cannot_ptrace",
	  .profile = PROF_FETCHER_URL,
	  .proves = "seccomp kills the fetcher on ptrace",
	  .steps = { { OP_PTRACE, NULL, 0, SIGSYS_ } } },
	{ .name = "fetcher_cannot_open_netlink_socket",
	  .profile = PROF_FETCHER_URL,
	  .proves = "seccomp refuses AF_NETLINK (glibc's getaddrinfo falls "
	      "back)",
	  .steps = { { OP_SOCKET, NULL, AF_NETLINK, EACCES_ } } },
	{ .name = "fetcher_cannot_open_unix_socket",
	  .profile = PROF_FETCHER_URL,
	  .proves = "seccomp refuses AF_UNIX: no CRI socket, glibc's nscd "
	      "probe fails soft",
	  .steps = { { OP_SOCKET, NULL, AF_UNIX, EACCES_ } } },
	{ .name = "fetcher_cannot_fork",
	  .profile = PROF_FETCHER_URL,
	  .proves = "seccomp kills a clone without CLONE_THREAD",
	  .steps = { { OP_FORK, NULL, 0, SIGSYS_ } } },
	{ .name = "fetcher_clone3_answers_enosys",
	  .profile = PROF_FETCHER_URL,
	  .proves = "clone3, whose flags seccomp cannot see, fails with ENOSYS",
	  .steps = { { OP_CLONE3, NULL, 0, "errno ENOSYS" } } },
	{ .name = "fetcher_cannot_connect_unlisted_tcp_port",
	  .profile = PROF_FETCHER_URL,
	  .flags = NEED_LANDLOCK | NEED_LANDLOCK_NET,
	  .proves = "Landlock: TCP connect only to the ports the policy names",
	  .steps = { { OP_CONNECT_TCP, NULL, 0, EACCES_ } } },
	{ .name = "fetcher_dir_cannot_open_inet_socket",
	  .profile = PROF_FETCHER_DIR,
	  .proves = "the directory fetcher has no network at all",
	  .steps = { { OP_SOCKET, NULL, AF_INET, SIGSYS_ } } },
	{ .name = "fetcher_status_has_no_privileges",
	  .profile = PROF_FETCHER_URL,
	  .proves = "uid/gid 65534 everywhere, no groups, every capability "
	      "set empty, NoNewPrivs 1, Seccomp 2",
	  .steps = { { OP_PAUSE, NULL, 0, "status ok" } },
	  .check = check_fetcher_status },
	/* the fetcher: what it needs still works, under the sandbox */
	{ .name = "fetcher_reads_ca_bundle",
	  .profile = PROF_FETCHER_URL,
	  .flags = NEED_LANDLOCK,
	  .proves = "the system CA bundle is readable; /etc/passwd is not",
	  .steps = { { OP_OPEN_READ, CA_BUNDLE, 0, OK }, PROOF_LANDLOCK } },
	{ .name = "fetcher_creates_thread",
	  .profile = PROF_FETCHER_URL,
	  .proves = "pthread_create works (clone3 refused, clone with "
	      "CLONE_THREAD)",
	  .steps = { { OP_THREAD, NULL, 0, OK }, PROOF_SECCOMP } },
	{ .name = "fetcher_resolves_localhost",
	  .profile = PROF_FETCHER_URL,
	  .proves = "glibc's getaddrinfo works under the filter",
	  .steps = { { OP_GETADDRINFO, "localhost", 0, OK }, PROOF_SECCOMP } },
	{ .name = "fetcher_fetches_https_by_host_name",
	  .profile = PROF_FETCHER_URL,
	  .flags = NEED_LANDLOCK | NEED_HTTPS,
	  .proves = "libcurl: threaded resolver, TLS, pinned CA, under the "
	      "sandbox",
	  .steps = { { OP_HTTPS, HTTPS_HOST, 0, OK }, PROOF_LANDLOCK } },
	{ .name = "fetcher_dir_parses_manifest_from_broker",
	  .profile = PROF_FETCHER_DIR,
	  .proves = "a memfd received over the channel is parsed (libyaml)",
	  .steps = { { OP_RECV_PARSE, NULL, 0, OK },
	      { OP_SOCKET, NULL, AF_INET, SIGSYS_ } } },
	{ .name = "fetcher_dir_sorts_a_burst_of_names",
	  .profile = PROF_FETCHER_DIR,
	  .proves = "glibc's qsort of a large listing (it asks sysinfo)",
	  .steps = { { OP_SORT_LISTING, NULL, 0, OK },
	      { OP_SOCKET, NULL, AF_INET, SIGSYS_ } } },
	/* the runtime: uid 0, yet confined */
	{ .name = "runtime_cannot_read_etc_shadow",
	  .profile = PROF_RUNTIME,
	  .flags = NEED_LANDLOCK,
	  .proves = "Landlock: root cannot read /etc/shadow",
	  .steps = { { OP_OPEN_READ, "/etc/shadow", 0, EACCES_ } } },
	{ .name = "runtime_cannot_execve",
	  .profile = PROF_RUNTIME,
	  .proves = "seccomp kills the runtime on execve",
	  .steps = { { OP_EXECVE, "/bin/true", 0, SIGSYS_ } } },
	{ .name = "runtime_cannot_open_inet_socket",
	  .profile = PROF_RUNTIME,
	  .proves = "the runtime has no network, only unix sockets",
	  .steps = { { OP_SOCKET, NULL, AF_INET, SIGSYS_ } } },
	{ .name = "runtime_cannot_write_outside_its_dirs",
	  .profile = PROF_RUNTIME,
	  .flags = NEED_LANDLOCK,
	  .proves = "Landlock: root cannot create a file beside its state dir",
	  .steps = { { OP_CREATE, "escape", 0, EACCES_ } } },
	{ .name = "runtime_writes_under_state_dir",
	  .profile = PROF_RUNTIME,
	  .flags = NEED_LANDLOCK,
	  .proves = "mkdir, create, fsync, rename, unlink under the state dir",
	  .steps = { { OP_STATE_WRITE, NULL, 0, OK },
	      { OP_CREATE, "escape", 0, EACCES_ } } },
	{ .name = "runtime_makes_only_directories_where_a_host_path_may_be_made",
	  .profile = PROF_RUNTIME,
	  .flags = NEED_LANDLOCK | MKDIR_RULE,
	  .proves = "Landlock: a directories-only rule lets root make "
	      "directories there, no file, and nothing elsewhere",
	  .steps = { { OP_MKDIR, "hp/etcd", 0, OK },
	      { OP_CREATE, "hp/file", 0, EACCES_ },
	      { OP_MKDIR, "etc/new", 0, EACCES_ } } },
	{ .name = "runtime_brokers_a_manifest",
	  .profile = PROF_RUNTIME,
	  .flags = NEED_LANDLOCK,
	  .proves = "inotify, getdents64, openat O_NOFOLLOW, sealed memfd, "
	      "epoll, timerfd, signalfd",
	  .steps = { { OP_BROKER, NULL, 0, OK },
	      { OP_OPEN_READ, "/etc/shadow", 0, EACCES_ } } },
	{ .name = "runtime_passes_fd_over_cri_socket",
	  .profile = PROF_RUNTIME,
	  .proves = "connect to a unix socket path and pass an fd (SCM_RIGHTS)",
	  .steps = { { OP_CRI_SEND_FD, NULL, 0, OK },
	      { OP_SOCKET, NULL, AF_INET, SIGSYS_ } } },
	{ .name = "runtime_reads_node_resources",
	  .profile = PROF_RUNTIME,
	  .proves = "sysconf of CPUs and memory, as resourceFieldRef needs",
	  .steps = { { OP_NODE_RESOURCES, NULL, 0, OK },
	      { OP_SORT_LISTING, NULL, 0, OK },
	      { OP_SOCKET, NULL, AF_INET, SIGSYS_ } } },
	{ .name = "runtime_sets_fsgroup_on_an_emptydir",
	  .profile = PROF_RUNTIME,
	  .flags = NEED_LANDLOCK,
	  .proves = "its capabilities suffice: group change and setgid bit",
	  .steps = { { OP_FSGROUP, NULL, 0, OK },
	      { OP_OPEN_READ, "/etc/shadow", 0, EACCES_ } } },
	{ .name = "runtime_empties_a_volume_a_container_filled",
	  .profile = PROF_RUNTIME,
	  .flags = NEED_LANDLOCK | PREP_VOLUME,
	  .proves = "its capabilities suffice: another user's 0700 "
	      "directory opened up and removed",
	  .steps = { { OP_EMPTY_VOLUME, NULL, 0, OK },
	      { OP_OPEN_READ, "/etc/shadow", 0, EACCES_ } } },
	{ .name = "runtime_status_keeps_exactly_listed_caps",
	  .profile = PROF_RUNTIME,
	  .proves = "CapEff/CapPrm/CapBnd are the policy's list, "
	      "CapInh/CapAmb empty, NoNewPrivs 1, Seccomp 2",
	  .steps = { { OP_PAUSE, NULL, 0, "status ok" } },
	  .check = check_runtime_status },
	/* the mechanism itself */
	{ .name = "keep_caps_leaves_exactly_the_requested_set",
	  .profile = PROF_KEEP_CAPS,
	  .flags = PREP_AMBIENT,
	  .proves = "two capabilities kept; inheritable and ambient ones "
	      "cleared",
	  .steps = { { OP_PAUSE, NULL, 0, "status ok" } },
	  .check = check_kept_caps },
	{ .name = "sandbox_refuses_a_second_thread",
	  .profile = PROF_FETCHER_DIR,
	  .flags = PREP_THREAD,
	  .proves = "a thread started before the sandbox would escape it: "
	      "fatal",
	  .steps = { { OP_NOP, NULL, 0, "exit 1" } },
	  .stderr_has = "the sandbox binds one thread" },
	{ .name = "landlock_required_is_fatal_without_it",
	  .profile = PROF_FETCHER_DIR,
	  .flags = PREP_HIDE_LANDLOCK | LANDLOCK_REQUIRED,
	  .proves = "required Landlock on a kernel without it ends the process",
	  .steps = { { OP_NOP, NULL, 0, "exit 1" } },
	  .stderr_has = "Landlock is required and this kernel has none" },
	{ .name = "landlock_preferred_warns_without_it",
	  .profile = PROF_FETCHER_DIR,
	  .flags = PREP_HIDE_LANDLOCK,
	  .proves = "preferred Landlock: a warning, and seccomp still applies",
	  .steps = { PROOF_SECCOMP },
	  .stderr_has = "this kernel has no Landlock" },
	{ .name = "seccomp_trap_mode_reports_the_syscall",
	  .profile = PROF_FETCHER_DIR,
	  .flags = SECCOMP_TRAP,
	  .proves = "debug mode: execve is reported by number and fails, no "
	      "kill",
	  .steps = { { OP_EXECVE, "/bin/true", 0, "errno ENOSYS" } },
	  .stderr_has = "seccomp trap: syscall " },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static const char *const op_name[] = {
	[OP_NOP] = "nothing", [OP_OPEN_READ] = "open for reading",
	[OP_CREATE] = "create", [OP_MKDIR] = "mkdir", [OP_EXECVE] = "execve",
	[OP_PTRACE] = "ptrace(PTRACE_TRACEME)", [OP_SOCKET] = "socket",
	[OP_CLONE3] = "clone3", [OP_FORK] = "fork",
	[OP_THREAD] = "pthread_create", [OP_GETADDRINFO] = "getaddrinfo",
	[OP_HTTPS] = "HTTPS GET", [OP_CONNECT_TCP] = "connect TCP",
	[OP_PAUSE] = "pause for /proc/PID/status",
	[OP_STATE_WRITE] = "state file write",
	[OP_BROKER] = "broker calls", [OP_CRI_SEND_FD] = "CRI socket fd pass",
	[OP_RECV_PARSE] = "receive and parse",
	[OP_SORT_LISTING] = "qsort 2000 names",
	[OP_NODE_RESOURCES] = "sysconf CPUs and memory",
	[OP_FSGROUP] = "fsGroup on a directory",
	[OP_EMPTY_VOLUME] = "remove another user's volume",
};

static const char *
family_name(int af)
{
	switch (af) {
	case AF_UNIX:
		return "AF_UNIX";
	case AF_INET:
		return "AF_INET";
	case AF_NETLINK:
		return "AF_NETLINK";
	default:
		return "?";
	}
}

/* --- /proc/PID/status judged by the runner -------------------------- */

/* The value of "Key:", whitespace runs made single spaces. */
static int
status_get(const char *status, const char *key, char *val, size_t len)
{
	const char	*p = status, *end;
	size_t		 klen = strlen(key), n = 0;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			p += klen + 1;
			end = strchr(p, '\n');
			p += strspn(p, " \t");
			while (*p != '\0' && p != end && n + 1 < len) {
				if (*p == ' ' || *p == '\t') {
					p += strspn(p, " \t");
					if (*p != '\n' && *p != '\0')
						val[n++] = ' ';
					continue;
				}
				val[n++] = *p++;
			}
			val[n] = '\0';
			return 0;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

struct want {
	const char	*key;
	char		 val[64];
};

static void
status_expect(const char *status, const struct want *w, size_t n, char *res,
    size_t len)
{
	char	have[256];
	size_t	i;

	for (i = 0; i < n; i++) {
		if (status_get(status, w[i].key, have, sizeof(have)) == -1) {
			snprintf(res, len, "status has no %s", w[i].key);
			return;
		}
		if (strcmp(have, w[i].val) != 0) {
			snprintf(res, len, "status %s is \"%s\", expected "
			    "\"%s\"", w[i].key, have, w[i].val);
			return;
		}
	}
	snprintf(res, len, "status ok");
}

static void
want_mask(struct want *w, const char *key, const int *caps, size_t n)
{
	uint64_t	m = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		m |= UINT64_C(1) << caps[i];
	w->key = key;
	snprintf(w->val, sizeof(w->val), "%016llx", (unsigned long long)m);
}

static void
want_str(struct want *w, const char *key, const char *val)
{
	w->key = key;
	snprintf(w->val, sizeof(w->val), "%s", val);
}

static size_t
want_caps(struct want *w, const int *caps, size_t n)
{
	want_mask(&w[0], "CapInh", NULL, 0);
	want_mask(&w[1], "CapPrm", caps, n);
	want_mask(&w[2], "CapEff", caps, n);
	want_mask(&w[3], "CapBnd", caps, n);
	want_mask(&w[4], "CapAmb", NULL, 0);
	return 5;
}

static void
check_fetcher_status(const char *status, char *res, size_t len)
{
	struct want	w[12];
	size_t		n;

	n = want_caps(w, NULL, 0);
	want_str(&w[n++], "Uid", "65534 65534 65534 65534");
	want_str(&w[n++], "Gid", "65534 65534 65534 65534");
	want_str(&w[n++], "Groups", "");
	want_str(&w[n++], "NoNewPrivs", "1");
	want_str(&w[n++], "Seccomp", "2");
	status_expect(status, w, n, res, len);
}

static void
check_runtime_status(const char *status, char *res, size_t len)
{
	struct want	w[12];
	size_t		n;

	n = want_caps(w, policy_runtime_caps, policy_runtime_ncaps);
	want_str(&w[n++], "Uid", "0 0 0 0");
	want_str(&w[n++], "NoNewPrivs", "1");
	want_str(&w[n++], "Seccomp", "2");
	status_expect(status, w, n, res, len);
}

static void
check_kept_caps(const char *status, char *res, size_t len)
{
	struct want	w[8];
	size_t		n;

	n = want_caps(w, kept_caps, sizeof(kept_caps) / sizeof(kept_caps[0]));
	status_expect(status, w, n, res, len);
}

/* --- the child ------------------------------------------------------ */

static void
setup_fail(const char *what)
{
	dprintf(STDERR_FILENO, "setup: %s: %s\n", what, strerror(errno));
	_exit(EXIT_SETUP);
}

static void *
idle_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* A filter that makes Landlock look absent, as on a kernel without it. */
static void
hide_landlock(void)
{
	scmp_filter_ctx	ctx;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(landlock_create_ruleset), 0) < 0 ||
	    seccomp_load(ctx) < 0)
		setup_fail("hide landlock");
	seccomp_release(ctx);
}

static void
raise_ambient(void)
{
	struct __user_cap_header_struct	h;
	struct __user_cap_data_struct	d[_LINUX_CAPABILITY_U32S_3];

	memset(&h, 0, sizeof(h));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &h, d) == -1)
		setup_fail("capget");
	/* ambient needs the capability inheritable first */
	d[CAP_TO_INDEX(CAP_NET_RAW)].inheritable |= CAP_TO_MASK(CAP_NET_RAW);
	if (syscall(SYS_capset, &h, d) == -1)
		setup_fail("capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) ==
	    -1)
		setup_fail("ambient raise");
}

/* What a container left: its own 0700 directory, a file inside. */
static void
fill_volume(const struct env *e)
{
	char	path[PATH_MAX];
	int	fd;

	snprintf(path, sizeof(path), "%s/state/vol", e->base);
	if (mkdir(path, 0700) == -1 || chown(path, POD_UID, POD_UID) == -1)
		setup_fail("volume");
	snprintf(path, sizeof(path), "%s/state/vol/data", e->base);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || fchown(fd, POD_UID, POD_UID) == -1 ||
	    close(fd) == -1)
		setup_fail("volume data");
}

/* Everything a real process would have done before its sandbox. */
static void
prepare(const struct tcase *t, const struct env *e)
{
	static const gid_t	groups[] = { 1, 2, 3 };
	pthread_t		th;

	if (t->profile == PROF_FETCHER_URL) {
		/* a name only the private hosts file knows */
		if (unshare(CLONE_NEWNS) == -1 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
		    mount(e->hosts, "/etc/hosts", NULL, MS_BIND, NULL) == -1)
			setup_fail("private /etc/hosts");
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			setup_fail("curl_global_init");
	}
	/* groups a fetcher must not keep */
	if ((t->profile == PROF_FETCHER_URL ||
	    t->profile == PROF_FETCHER_DIR) && setgroups(3, groups) == -1)
		setup_fail("setgroups");
	if (t->flags & PREP_AMBIENT)
		raise_ambient();
	if (t->flags & PREP_VOLUME)
		fill_volume(e);
	if (t->flags & MKDIR_RULE) {
		char hp[PATH_MAX];

		snprintf(hp, sizeof(hp), "%s/hp", e->base);
		if (mkdir(hp, 0755) == -1 && errno != EEXIST)
			setup_fail("mkdir hp");
	}
	if ((t->flags & PREP_HIDE_LANDLOCK))
		hide_landlock();
	if ((t->flags & PREP_THREAD) &&
	    pthread_create(&th, NULL, idle_thread, NULL) != 0)
		setup_fail("pthread_create");
}

/* The same user as the sandboxed run, by plain syscalls. */
static void
become_plain(const struct tcase *t)
{
	if (t->profile != PROF_FETCHER_URL && t->profile != PROF_FETCHER_DIR)
		return;
	if (setgroups(0, NULL) == -1 ||
	    setresgid(FETCHER_GID, FETCHER_GID, FETCHER_GID) == -1 ||
	    setresuid(FETCHER_UID, FETCHER_UID, FETCHER_UID) == -1)
		setup_fail("drop to uid 65534");
}

static void
lock(const struct tcase *t, const struct env *e)
{
	struct policy_runtime_dirs	d;
	struct sandbox_policy		p;
	char				etc[PATH_MAX], state[PATH_MAX];
	char				logd[PATH_MAX], run[PATH_MAX];
	char				hp[PATH_MAX];
	const char			*trap;

	switch (t->profile) {
	case PROF_FETCHER_URL:
		sandbox_drop_to_user(FETCHER_UID, FETCHER_GID);
		policy_fetcher_sandbox(&p, POLICY_FETCHER_URL);
		/* what the daemon adds from its config: pinned CA, URL port */
		sandbox_policy_add_path(&p, e->ca, SANDBOX_FS_READ, 1);
		sandbox_policy_add_port(&p, (uint16_t)e->https_port,
		    SANDBOX_NET_CONNECT);
		break;
	case PROF_FETCHER_DIR:
		sandbox_drop_to_user(FETCHER_UID, FETCHER_GID);
		policy_fetcher_sandbox(&p, POLICY_FETCHER_DIR);
		break;
	case PROF_RUNTIME:
		snprintf(etc, sizeof(etc), "%s/etc", e->base);
		snprintf(state, sizeof(state), "%s/state", e->base);
		snprintf(logd, sizeof(logd), "%s/log", e->base);
		snprintf(run, sizeof(run), "%s/run", e->base);
		memset(&d, 0, sizeof(d));
		d.manifest_parent = etc;
		d.state_dir = state;
		d.log_dir = logd;
		d.run_dir = run;
		policy_runtime_sandbox(&p, &d);
		if (t->flags & MKDIR_RULE) {
			snprintf(hp, sizeof(hp), "%s/hp", e->base);
			sandbox_policy_add_path(&p, hp, SANDBOX_FS_MKDIR, 0);
		}
		break;
	case PROF_KEEP_CAPS:
	default:
		sandbox_keep_caps(kept_caps,
		    sizeof(kept_caps) / sizeof(kept_caps[0]));
		return;
	}
	if (t->flags & (NEED_LANDLOCK | LANDLOCK_REQUIRED))
		p.landlock = SANDBOX_LANDLOCK_REQUIRED;
	if ((t->flags & SECCOMP_TRAP) ||
	    ((trap = getenv("STATICPODD_SANDBOX_TRAP")) != NULL &&
	    strcmp(trap, "1") == 0))
		p.flags |= SANDBOX_SECCOMP_TRAP;
	sandbox_apply(&p);
}

static void __attribute__((noreturn))
child_main(const struct tcase *t, const struct env *e, int sandboxed,
    int out, int release, int errfd)
{
	char	res[RESULT_MAX], c;
	size_t	i;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    dup2(errfd, STDERR_FILENO) == -1)
		_exit(EXIT_SETUP);
	alarm(CHILD_SECONDS);
	log_init(sandboxed ? "sandboxed" : "control", 1);
	prepare(t, e);
	if (sandboxed)
		lock(t, e);
	else
		become_plain(t);
	for (i = 0; i < STEPS_MAX && t->steps[i].expect != NULL; i++) {
		if (t->steps[i].op == OP_PAUSE) {
			dprintf(out, "%zu pause\n", i);
			if (read(release, &c, 1) == -1)
				_exit(EXIT_SETUP);
			continue;
		}
		op_run(t->steps[i].op, t->steps[i].arg, t->steps[i].num, e,
		    res, sizeof(res));
		dprintf(out, "%zu %s\n", i, res);
	}
	_exit(0);
}

/* --- the runner ------------------------------------------------------ */

static int
read_status(pid_t pid, char *buf, size_t len)
{
	char	path[64];
	ssize_t	n;
	size_t	off = 0;
	int	fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (off < len - 1 && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	return 0;
}

static int
send_manifest(const struct env *e)
{
	char		 path[PATH_MAX], buf[4096];
	union {
		struct cmsghdr	hdr;
		char		b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;
	ssize_t		 n;
	int		 fd, mfd, ret = -1;

	snprintf(path, sizeof(path), "%s/web.yaml", SANDBOX_DATA);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((mfd = memfd_create("manifest", MFD_CLOEXEC)) == -1)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			goto out;
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = buf;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.b;
	msg.msg_controllen = sizeof(cm.b);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &mfd, sizeof(int));
	if (sendmsg(e->chan[0], &msg, 0) == 1)
		ret = 0;
out:
	if (mfd != -1)
		close(mfd);
	close(fd);
	return ret;
}

/*
 * One child, sandboxed or not; res[i] gets step i's outcome, errbuf its
 * stderr. Returns -1 when the harness itself failed.
 */
static int
run_child(const struct tcase *t, const struct env *e, int sandboxed,
    char res[][RESULT_MAX], char *errbuf, size_t errlen)
{
	char	 line[RESULT_MAX + 32], status[STATUS_MAX], *p;
	FILE	*fp;
	size_t	 i, next = 0, nsteps = 0;
	pid_t	 pid;
	ssize_t	 n;
	int	 outp[2], relp[2], errfd, ws;

	while (nsteps < STEPS_MAX && t->steps[nsteps].expect != NULL)
		nsteps++;
	for (i = 0; i < nsteps; i++)
		snprintf(res[i], RESULT_MAX, "not run");
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(relp, O_CLOEXEC) == -1 ||
	    (errfd = memfd_create("stderr", 0)) == -1)
		return -1;
	if (t->steps[0].op == OP_RECV_PARSE && send_manifest(e) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(outp[0]);
		close(relp[1]);
		child_main(t, e, sandboxed, outp[1], relp[0], errfd);
	}
	close(outp[1]);
	close(relp[0]);
	if ((fp = fdopen(outp[0], "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		i = strtoul(line, &p, 10);
		if (p == line || *p != ' ' || i >= nsteps)
			continue;
		p++;
		if (strcmp(p, "pause") == 0 && t->check != NULL) {
			if (read_status(pid, status, sizeof(status)) == -1)
				snprintf(res[i], RESULT_MAX, "no status");
			else
				t->check(status, res[i], RESULT_MAX);
			if (write(relp[1], "", 1) != 1)
				return -1;
		} else
			snprintf(res[i], RESULT_MAX, "%s", p);
		next = i + 1;
	}
	fclose(fp);
	close(relp[1]);
	if (waitpid(pid, &ws, 0) == -1)
		return -1;
	if (next < nsteps) {
		if (WIFSIGNALED(ws))
			snprintf(res[next], RESULT_MAX, "signal SIG%s",
			    sigabbrev_np(WTERMSIG(ws)));
		else if (WEXITSTATUS(ws) == 0 &&
		    t->steps[next].op == OP_EXECVE)
			snprintf(res[next], RESULT_MAX, "ok");	/* it ran */
		else
			snprintf(res[next], RESULT_MAX, "exit %d",
			    WEXITSTATUS(ws));
	}
	n = pread(errfd, errbuf, errlen - 1, 0);
	errbuf[n > 0 ? n : 0] = '\0';
	close(errfd);
	return 0;
}

static void
print_run(const struct tcase *t, const char *label, char res[][RESULT_MAX],
    const char *errbuf)
{
	const struct step	*s;
	const char		*line, *end;
	size_t			 i;

	for (i = 0; i < STEPS_MAX && t->steps[i].expect != NULL; i++) {
		s = &t->steps[i];
		printf("  %-9s %zu. %s%s%s: %s", label, i + 1, op_name[s->op],
		    s->op == OP_SOCKET || s->arg != NULL ? " " : "",
		    s->op == OP_SOCKET ? family_name(s->num) :
		    s->arg != NULL ? s->arg : "", res[i]);
		if (strcmp(label, "sandboxed") == 0)
			printf(" (expected: %s)", s->expect);
		printf("\n");
	}
	for (line = errbuf; *line != '\0'; line = end) {
		if ((end = strchr(line, '\n')) == NULL)
			end = line + strlen(line);
		printf("  %-9s stderr: %.*s\n", label, (int)(end - line), line);
		if (*end == '\n')
			end++;
	}
}

/* Why this case cannot run on this kernel, or NULL. */
static const char *
skip_reason(const struct tcase *t, char *buf, size_t len)
{
	char	lsm[256];
	ssize_t	n;
	int	fd, abi;

	if ((t->flags & (NEED_LANDLOCK | NEED_LANDLOCK_NET)) == 0)
		return NULL;
	if ((fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC)) !=
	    -1) {
		n = read(fd, lsm, sizeof(lsm) - 1);
		close(fd);
		lsm[n > 0 ? n : 0] = '\0';
		if (n > 0 && strstr(lsm, "landlock") == NULL) {
			snprintf(buf, len, "Landlock is not among the active "
			    "LSMs (/sys/kernel/security/lsm: %s)", lsm);
			return buf;
		}
	}
	abi = sandbox_landlock_abi();
	if (abi == -ENOSYS || abi == -EOPNOTSUPP) {
		snprintf(buf, len, "the kernel has no Landlock: the ABI probe "
		    "fails with %s", strerrorname_np(-abi));
		return buf;
	}
	if ((t->flags & NEED_LANDLOCK_NET) && abi > 0 && abi < 4) {
		snprintf(buf, len, "Landlock ABI %d has no TCP rules (ABI 4)",
		    abi);
		return buf;
	}
	return NULL;
}

static int
write_file(const char *path, const char *s, mode_t mode)
{
	int	fd, ret = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		return -1;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -1;
	if (close(fd) == -1)
		ret = -1;
	return ret;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un	sun;
	int			s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s, 8) == -1) {
		close(s);
		return -1;
	}
	return s;
}

static int
listen_tcp(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);
	int			s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 8) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1) {
		close(s);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return s;
}

static int
env_setup(const struct tcase *t, struct env *e)
{
	char	path[PATH_MAX], data[PATH_MAX], buf[4096];
	ssize_t	n;
	int	in, rc;

	memset(e, 0, sizeof(*e));
	e->tcp_fd = e->cri_fd = e->chan[0] = e->chan[1] = -1;
	snprintf(e->base, sizeof(e->base), "/tmp/staticpodd-sandbox-XXXXXX");
	if (mkdtemp(e->base) == NULL || chmod(e->base, 0755) == -1)
		return -1;
	/* the runtime's layout: manifests root's and 0700, as CIS asks */
	snprintf(path, sizeof(path), "%s/etc", e->base);
	if (mkdir(path, 0755) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/etc/manifests", e->base);
	if (mkdir(path, 0700) == -1)
		return -1;
	snprintf(data, sizeof(data), "%s/web.yaml", SANDBOX_DATA);
	snprintf(path, sizeof(path), "%s/etc/manifests/web.yaml", e->base);
	if ((in = open(data, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(in, buf, sizeof(buf) - 1);
	close(in);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (write_file(path, buf, 0600) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/state", e->base);
	if (mkdir(path, 0700) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/log", e->base);
	if (mkdir(path, 0755) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/run", e->base);
	if (mkdir(path, 0755) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/run/cri.sock", e->base);
	if ((e->cri_fd = listen_unix(path)) == -1)
		return -1;
	if ((e->tcp_fd = listen_tcp(&e->tcp_port)) == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    e->chan) == -1)
		return -1;
	snprintf(e->hosts, sizeof(e->hosts), "%s/hosts", e->base);
	rc = write_file(e->hosts, "127.0.0.1\tlocalhost\n"
	    "::1\tlocalhost ip6-localhost\n"
	    "127.0.0.1\t" HTTPS_HOST "\n", 0644);
	if (rc == -1)
		return -1;
	if ((t->flags & NEED_HTTPS) && tls_server_start(e) == -1)
		return -1;
	if ((t->flags & NEED_HTTPS) == 0)
		snprintf(e->ca, sizeof(e->ca), "%s/ca.pem", e->base);
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
env_cleanup(struct env *e)
{
	tls_server_stop(e);
	if (e->tcp_fd != -1)
		close(e->tcp_fd);
	if (e->cri_fd != -1)
		close(e->cri_fd);
	if (e->chan[0] != -1)
		close(e->chan[0]);
	if (e->chan[1] != -1)
		close(e->chan[1]);
	if (e->base[0] != '\0' &&
	    nftw(e->base, rm_one, NFTW_FDS, FTW_DEPTH | FTW_PHYS) == -1)
		log_warn("cannot remove %s", e->base);
}

static const struct tcase *
case_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NCASES; i++)
		if (strcmp(cases[i].name, name) == 0)
			return &cases[i];
	return NULL;
}

static int
run_case(const struct tcase *t, int control_only)
{
	char		 ctl[STEPS_MAX][RESULT_MAX], sbx[STEPS_MAX][RESULT_MAX];
	char		 cerr[STDERR_MAX], serr[STDERR_MAX], why[512];
	struct env	 e;
	size_t		 i;
	int		 differs = 0, ok = 1, ret = 1;

	printf("case %s: %s\n  profile: %s\n", t->name, t->proves,
	    profile_name[t->profile]);
	if (skip_reason(t, why, sizeof(why)) != NULL) {
		printf("SKIP: %s\n", why);
		return EXIT_SKIP;
	}
	if (env_setup(t, &e) == -1) {
		log_warn("case %s: setup", t->name);
		env_cleanup(&e);
		return 1;
	}
	if (run_child(t, &e, 0, ctl, cerr, sizeof(cerr)) == -1) {
		log_warn("case %s: control run", t->name);
		goto out;
	}
	print_run(t, "control", ctl, cerr);
	if (control_only) {
		ret = 0;
		goto out;
	}
	if (run_child(t, &e, 1, sbx, serr, sizeof(serr)) == -1) {
		log_warn("case %s: sandboxed run", t->name);
		goto out;
	}
	print_run(t, "sandboxed", sbx, serr);
	for (i = 0; i < STEPS_MAX && t->steps[i].expect != NULL; i++) {
		if (strcmp(sbx[i], t->steps[i].expect) != 0)
			ok = 0;
		if (strcmp(ctl[i], t->steps[i].expect) != 0)
			differs = 1;
	}
	if (t->stderr_has != NULL && strstr(serr, t->stderr_has) == NULL) {
		printf("  the sandboxed child's stderr lacks \"%s\"\n",
		    t->stderr_has);
		ok = 0;
	}
	if (!differs) {
		printf("  without the sandbox the outcomes are the same: this "
		    "case proves nothing\n");
		ok = 0;
	}
	printf("%s\n", ok ? "PASS" : "FAIL");
	ret = ok ? 0 : 1;
out:
	env_cleanup(&e);
	return ret;
}

static int
check_registered(int argc, char **argv)
{
	size_t	i;
	int	j, found, ret = 0;

	for (i = 0; i < NCASES; i++) {
		for (found = 0, j = 0; j < argc && !found; j++)
			found = strcmp(argv[j], cases[i].name) == 0;
		if (!found) {
			printf("case %s is not a meson test\n", cases[i].name);
			ret = 1;
		}
	}
	for (j = 0; j < argc; j++)
		if (case_find(argv[j]) == NULL) {
			printf("meson test %s has no case\n", argv[j]);
			ret = 1;
		}
	return ret;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: try_sandbox [--control] CASE\n"
	    "       try_sandbox --list\n"
	    "       try_sandbox --registered NAME...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const struct tcase	*t;
	size_t			 i;
	int			 control = 0;

	log_init("try_sandbox", 0);
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
		return 1;
	if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < NCASES; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--registered") == 0)
		return check_registered(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "--control") == 0) {
		control = 1;
		argv++;
		argc--;
	}
	if (argc != 2)
		usage();
	if ((t = case_find(argv[1])) == NULL) {
		fprintf(stderr, "try_sandbox: no case %s\n", argv[1]);
		return 2;
	}
	/* not a skip: only a kernel without a feature is one */
	if (getuid() != 0) {
		printf("FAIL: the sandbox tests need root, as CI runs them\n");
		return 1;
	}
	return run_case(t, control);
}
