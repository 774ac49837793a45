/*
 * The fetcher's sandbox. It runs as its own user with no capabilities and
 * handles hostile bytes, so it keeps only what reading a manifest needs:
 * messages and fds from the runtime, memory, time, and, for a URL source,
 * HTTPS through libcurl and OpenSSL with the threaded resolver. Both are
 * initialised (curl_global_init, a first lookup) before the filter.
 */
#include <sys/socket.h>

#include <errno.h>
#include <sched.h>

#include "sandbox.h"
#include "seccomp_table.h"
#include "syscall_policy.h"

#define DNS_PORT	53	/* a truncated UDP answer is retried on TCP */

/* A new thread, never a process, never a new namespace. */
#define CLONE_THREAD_ONLY ARG_MASKED_EQ(0, CLONE_THREAD | CLONE_NEWNS | \
	CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	CLONE_NEWPID | CLONE_NEWNET, CLONE_THREAD)

/* Every fetcher, whatever its source. */
const struct sandbox_syscall policy_fetcher_syscalls[] = {
	/* memory */
	SC_ALLOW("brk", "malloc grows the heap"),
	SC_ALLOW_ARG("mmap", ARG_NO_EXEC, "malloc's large blocks; "
	    "never executable"),
	SC_ALLOW_ARG("mprotect", ARG_NO_EXEC, "guard pages; never "
	    "executable"),
	SC_ALLOW("munmap", "free returns large blocks"),
	SC_ALLOW("mremap", "realloc of a large block"),
	SC_ALLOW("madvise", "free returns pages"),

	/* descriptors it was given or opened before the filter */
	SC_ALLOW("read", "messages, memfds, inotify events, files"),
	SC_ALLOW("pread64", "a memfd from its start"),
	SC_ALLOW("write", "log lines on stderr"),
	SC_ALLOW("lseek", "rewind a memfd"),
	SC_ALLOW("close", "every fd it is done with"),
	SC_ALLOW("fstat", "size of a memfd"),
	SC_ALLOW("getrandom", "OpenSSL's random numbers for TLS; json-c "
	    "seeds its hash tables (validate -o json|yaml)"),
	SC_ALLOW("readlink", "validate --policy: the policy's path checks "
	    "resolve names as the runtime does (realpath)"),
	SC_ALLOW("newfstatat", "glibc's fstat; the resolver's stat of "
	    "/etc/resolv.conf"),
	SC_ALLOW("statx", "glibc's stat on newer releases"),
	SC_ALLOW("openat", "the resolver's files, the CA bundle: Landlock "
	    "says which"),
	SC_ALLOW("fcntl", "O_NONBLOCK, FD_CLOEXEC, F_GET_SEALS on a memfd"),
	SC_ALLOW("getdents64", "list the manifest directory by the broker's "
	    "fd"),

	/* the event loop */
	SC_ALLOW("poll", "wait on the channel, inotify, timers, sockets"),
	SC_ALLOW("ppoll", "glibc's poll on some architectures"),
	SC_ALLOW("epoll_create1", "the event loop"),
	SC_ALLOW("epoll_ctl", "the event loop"),
	SC_ALLOW("epoll_wait", "the event loop"),
	SC_ALLOW("epoll_pwait", "glibc's epoll_wait on some architectures"),
	SC_ALLOW("timerfd_create", "the re-list and poll intervals"),
	SC_ALLOW("timerfd_settime", "the re-list and poll intervals"),
	SC_ALLOW("timerfd_gettime", "the re-list and poll intervals"),
	SC_ALLOW("clock_gettime", "timeouts, when the vDSO is not used"),
	SC_ALLOW("clock_nanosleep", "a back-off between attempts"),
	SC_ALLOW("nanosleep", "a back-off between attempts"),

	/* the channel to the runtime */
	SC_ALLOW("recvmsg", "messages and fds (SCM_RIGHTS) from the runtime"),
	SC_ALLOW("sendmsg", "messages to the runtime"),
	SC_ALLOW("recvfrom", "recv(2) on a socket"),
	SC_ALLOW("sendto", "send(2) on a socket"),

	/* sockets it must not have, refused softly so libc goes on */
	SC_ERRNO_ARG("socket", EACCES, ARG_EQ(0, AF_UNIX), "glibc's nscd "
	    "probe; no path socket, no CRI socket"),
	SC_ERRNO_ARG("socket", EACCES, ARG_EQ(0, AF_NETLINK), "getaddrinfo "
	    "asks the routing table; it assumes both families without"),

	/* signals and the end */
	SC_ALLOW("rt_sigprocmask", "glibc blocks signals around clone, "
	    "abort"),
	SC_ALLOW("rt_sigreturn", "return from a signal handler"),
	SC_ALLOW("restart_syscall", "a call interrupted by a signal "
	    "resumes"),
	SC_ALLOW("futex", "glibc's locks"),
	SC_ALLOW("getpid", "glibc, OpenSSL fork checks"),
	SC_ALLOW("sysinfo", "glibc's qsort sizes its buffer by physical "
	    "memory (a large listing)"),
	SC_ALLOW("exit_group", "the process ends"),
};
const size_t policy_fetcher_nsyscalls = NELEMS(policy_fetcher_syscalls);

/* A URL fetcher: libcurl, OpenSSL, glibc's resolver, resolver threads. */
const struct sandbox_syscall policy_fetcher_url_syscalls[] = {
	SC_ALLOW_ARG("socket", ARG_EQ(0, AF_INET), "HTTPS and DNS over "
	    "IPv4; Landlock says which TCP ports"),
	SC_ALLOW_ARG("socket", ARG_EQ(0, AF_INET6), "HTTPS and DNS over "
	    "IPv6; Landlock says which TCP ports"),
	SC_ALLOW_ARG("socketpair", ARG_EQ(0, AF_UNIX), "libcurl wakes its "
	    "multi handle and resolver through a pair"),
	SC_ALLOW("connect", "the manifest server, DNS servers; glibc "
	    "connects UDP sockets to sort answers"),
	SC_ALLOW("getsockopt", "SO_ERROR after a non-blocking connect"),
	SC_ALLOW("setsockopt", "TCP_NODELAY, keepalive, buffer sizes"),
	SC_ALLOW("getsockname", "libcurl logs the local address; glibc "
	    "sorts answers by source address"),
	SC_ALLOW("getpeername", "libcurl checks the connected peer"),
	SC_ALLOW("sendmmsg", "glibc's resolver sends A and AAAA queries "
	    "together"),
	SC_ALLOW("shutdown", "libcurl closes a connection"),
	SC_ALLOW("uname", "glibc's resolver takes its default domain from "
	    "the host name"),
	SC_ALLOW("rt_sigaction", "libcurl ignores SIGPIPE during a "
	    "transfer"),

	/* libcurl's threaded resolver */
	SC_ALLOW_ARG("clone", CLONE_THREAD_ONLY, "a resolver thread; never "
	    "a process or a namespace"),
	SC_ERRNO("clone3", ENOSYS, "its flags are in memory, out of the "
	    "filter's sight; glibc falls back to clone"),
	SC_ALLOW("set_robust_list", "a new thread registers its mutexes"),
	SC_ALLOW("rseq", "a new thread registers with the scheduler"),
	SC_ALLOW("gettid", "glibc's thread bookkeeping"),
	SC_ALLOW("sched_yield", "a contended lock"),
	SC_ALLOW("exit", "a resolver thread ends"),
};
const size_t policy_fetcher_url_nsyscalls =
    NELEMS(policy_fetcher_url_syscalls);

/*
 * Only what the fetcher's user may read anyway, and only what it needs:
 * a manifest's own bytes come through memfds from the broker.
 */
static const struct sandbox_path fetcher_url_paths[] = {
	{ "/etc/ssl/certs", SANDBOX_FS_READ, 1 },	/* bundle, OpenSSL's
							   hashed CA dir */
	{ "/usr/share/ca-certificates", SANDBOX_FS_READ, 1 },	/* what
							   the hashed links
							   point to */
	{ "/etc/pki/tls/certs", SANDBOX_FS_READ, 1 },	/* Fedora, RHEL */
	{ "/etc/pki/ca-trust/extracted", SANDBOX_FS_READ, 1 },
	{ "/etc/resolv.conf", SANDBOX_FS_READ, 1 },
	{ "/etc/hosts", SANDBOX_FS_READ, 1 },
	{ "/etc/nsswitch.conf", SANDBOX_FS_READ, 1 },
	{ "/etc/host.conf", SANDBOX_FS_READ, 1 },
	{ "/etc/gai.conf", SANDBOX_FS_READ, 1 },
};

void
policy_fetcher_sandbox(struct sandbox_policy *p, enum policy_fetcher_role r)
{
	size_t	i;

	sandbox_policy_init(p, r == POLICY_FETCHER_URL ? "fetcher[url]" :
	    "fetcher[dir]");
	p->scope = SANDBOX_SCOPE_SIGNAL | SANDBOX_SCOPE_ABSTRACT_UNIX;
	sandbox_policy_add_table(p, policy_fetcher_syscalls,
	    policy_fetcher_nsyscalls);
	if (policy_sanitizer_nsyscalls > 0)
		sandbox_policy_add_table(p, policy_sanitizer_syscalls,
		    policy_sanitizer_nsyscalls);
	if (r != POLICY_FETCHER_URL)
		return;
	sandbox_policy_add_table(p, policy_fetcher_url_syscalls,
	    policy_fetcher_url_nsyscalls);
	for (i = 0; i < NELEMS(fetcher_url_paths); i++)
		sandbox_policy_add_path(p, fetcher_url_paths[i].path,
		    fetcher_url_paths[i].access, fetcher_url_paths[i].optional);
	sandbox_policy_add_port(p, DNS_PORT, SANDBOX_NET_CONNECT);
}
