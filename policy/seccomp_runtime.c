/*
 * The runtime's sandbox. It stays uid 0 because the CRI socket, the pod
 * log directory and the manifests are root's, but it parses nothing a
 * fetcher says beyond fixed protobuf messages, so it keeps only: its
 * channels to the fetchers, the broker's opens, its own directories, the
 * CRI socket, and the few capabilities below. It starts no process after
 * the filter: the fetchers are executed before it.
 */
#include <sys/socket.h>


#include <linux/capability.h>

#include "sandbox.h"
#include "seccomp_table.h"
#include "syscall_policy.h"

const struct sandbox_syscall policy_runtime_syscalls[] = {
	/* memory */
	SC_ALLOW("brk", "malloc grows the heap"),
	SC_ALLOW_ARG("mmap", ARG_NO_EXEC, "malloc's large blocks; never "
	    "executable"),
	SC_ALLOW_ARG("mprotect", ARG_NO_EXEC, "never executable"),
	SC_ALLOW("munmap", "free returns large blocks"),
	SC_ALLOW("mremap", "realloc of a large block"),
	SC_ALLOW("madvise", "free returns pages"),

	/* files: Landlock says which */
	SC_ALLOW("openat", "the broker's opens, state, logs, run files"),
	SC_ALLOW("read", "messages, manifests, inotify, signalfd, timers"),
	SC_ALLOW("pread64", "a manifest from its start"),
	SC_ALLOW("write", "log lines, state, audit records, memfds"),
	SC_ALLOW("pwrite64", "fill a memfd"),
	SC_ALLOW("lseek", "rewind a memfd before it is passed"),
	SC_ALLOW("close", "every fd it is done with"),
	SC_ALLOW("fstat", "a manifest's type, owner, mode and size"),
	SC_ALLOW("newfstatat", "glibc's fstat and fstatat"),
	SC_ALLOW("statx", "glibc's stat on newer releases"),
	SC_ALLOW("fcntl", "F_ADD_SEALS on a memfd, O_NONBLOCK, "
	    "FD_CLOEXEC"),
	SC_ALLOW("getdents64", "list state and emptyDir directories"),
	SC_ALLOW("mkdirat", "state, pod log and emptyDir directories"),
	SC_ALLOW("unlinkat", "remove state files, emptyDir contents and "
	    "removed containers' logs"),
	SC_ALLOW("renameat", "replace a state file atomically"),
	SC_ALLOW("renameat2", "glibc's renameat on some architectures"),
	SC_ALLOW("mkdir", "glibc's mkdir() where the architecture has it"),
	SC_ALLOW("rename", "glibc's rename() where the architecture has it"),
	SC_ALLOW("unlink", "glibc's unlink() where the architecture has it"),
	SC_ALLOW("symlink", "a container's log link in the containers log "
	    "directory, as the kubelet makes it"),
	SC_ALLOW("symlinkat", "the same, where glibc uses the *at call"),
	SC_ALLOW("fsync", "a state file is on disk before it is renamed"),
	SC_ALLOW("fdatasync", "the audit log is on disk"),
	SC_ALLOW("ftruncate", "size a memfd"),
	SC_ALLOW("fchmod", "an emptyDir's mode; needs CAP_FOWNER"),
	SC_ALLOW("fchmodat", "open a container's 0700 directory to remove "
	    "it; needs CAP_FOWNER"),
	SC_ALLOW("fchown", "fsGroup of an emptyDir; needs CAP_CHOWN"),
	SC_ALLOW("fchownat", "fsGroup of an emptyDir; needs CAP_CHOWN"),
	SC_ALLOW("memfd_create", "the broker copies a manifest into a "
	    "sealed memfd"),
	SC_ALLOW("inotify_init1", "the watch on the manifest directory"),
	SC_ALLOW("inotify_add_watch", "the watch is made before the fd is "
	    "passed"),
	SC_ALLOW("inotify_rm_watch", "a directory re-opened after it "
	    "vanished"),

	/* the event loop */
	SC_ALLOW("poll", "wait on channels, CRI socket, timers, signals"),
	SC_ALLOW("ppoll", "glibc's poll on some architectures"),
	SC_ALLOW("epoll_create1", "the event loop"),
	SC_ALLOW("epoll_ctl", "the event loop"),
	SC_ALLOW("epoll_wait", "the event loop"),
	SC_ALLOW("epoll_pwait", "glibc's epoll_wait on some architectures"),
	SC_ALLOW("timerfd_create", "restart back-off, grace periods"),
	SC_ALLOW("timerfd_settime", "restart back-off, grace periods"),
	SC_ALLOW("timerfd_gettime", "restart back-off, grace periods"),
	SC_ALLOW("signalfd4", "SIGTERM, SIGCHLD as events"),
	SC_ALLOW("rt_sigprocmask", "block the signals signalfd reads"),
	SC_ALLOW("rt_sigaction", "SIGPIPE ignored: a dead fetcher is an "
	    "EPIPE"),
	SC_ALLOW("rt_sigreturn", "return from a signal handler"),
	SC_ALLOW("restart_syscall", "a call interrupted by a signal "
	    "resumes"),
	SC_ALLOW("clock_gettime", "timestamps, when the vDSO is not used"),
	SC_ALLOW("clock_nanosleep", "a pause between CRI retries"),
	SC_ALLOW("nanosleep", "a pause between CRI retries"),

	/* channels to the fetchers, and the CRI socket */
	SC_ALLOW_ARG("socket", ARG_EQ(0, AF_UNIX), "the CRI socket; no "
	    "network at all"),
	SC_ALLOW("connect", "the CRI socket (a path: file modes guard "
	    "it)"),
	SC_ALLOW("recvmsg", "messages from the fetchers"),
	SC_ALLOW("sendmsg", "messages and fds (SCM_RIGHTS) to the "
	    "fetchers"),
	SC_ALLOW("recvfrom", "recv(2) on the CRI socket"),
	SC_ALLOW("sendto", "send(2) on the CRI socket"),
	SC_ALLOW("getsockopt", "SO_ERROR, SO_PEERCRED of the CRI socket"),
	SC_ALLOW("shutdown", "close the CRI connection"),

	/*
	 * Its children, the fetchers, and the end. No kill: a fetcher is
	 * another uid (CAP_KILL is not kept) and ends when its channel
	 * closes; uid 0 could otherwise signal every root process.
	 */
	SC_ALLOW("wait4", "reap a fetcher, say how it died"),
	SC_ALLOW("waitid", "reap a fetcher, say how it died"),
	SC_ALLOW("getpid", "its own pid in logs and status"),
	SC_ALLOW("sysinfo", "node memory for resourceFieldRef; glibc's "
	    "qsort sizes its buffer by it"),
	SC_ALLOW("sched_getaffinity", "node CPUs for resourceFieldRef: glibc "
	    "asks this when Landlock hides /sys and /proc/stat"),
	SC_ALLOW("futex", "glibc's locks"),
	SC_ALLOW("exit_group", "the process ends"),
};
const size_t policy_runtime_nsyscalls = NELEMS(policy_runtime_syscalls);

/*
 * Capabilities the runtime keeps, each for a feature. Never
 * CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH, CAP_SETUID or CAP_NET_ADMIN: the
 * files it needs are root's, so uid 0 reaches them without them.
 */
const int policy_runtime_caps[] = {
	CAP_CHOWN,	/* fsGroup: an emptyDir gets the pod's group */
	CAP_FSETID,	/* fsGroup: and keeps its setgid bit, which chmod
			   drops for a group root is not in */
	CAP_FOWNER,	/* remove an emptyDir a container filled with its
			   own 0700 directories: chmod them first */
};
const size_t policy_runtime_ncaps = NELEMS(policy_runtime_caps);

void
policy_runtime_sandbox(struct sandbox_policy *p,
    const struct policy_runtime_dirs *d)
{
	static const unsigned int rw = SANDBOX_FS_READ | SANDBOX_FS_WRITE;
	size_t	i;

	sandbox_policy_init(p, "runtime");
	p->scope = SANDBOX_SCOPE_SIGNAL | SANDBOX_SCOPE_ABSTRACT_UNIX;
	for (i = 0; i < policy_runtime_ncaps; i++)
		sandbox_policy_add_cap(p, policy_runtime_caps[i]);
	if (d->manifest_parent != NULL)
		sandbox_policy_add_path(p, d->manifest_parent,
		    SANDBOX_FS_READ, 0);
	if (d->state_dir != NULL)
		sandbox_policy_add_path(p, d->state_dir, rw, 0);
	if (d->log_dir != NULL)
		sandbox_policy_add_path(p, d->log_dir, rw, 0);
	if (d->run_dir != NULL)
		sandbox_policy_add_path(p, d->run_dir, rw, 0);
	if (d->audit_dir != NULL)
		sandbox_policy_add_path(p, d->audit_dir, rw, 0);
	sandbox_policy_add_table(p, policy_runtime_syscalls,
	    policy_runtime_nsyscalls);
	if (policy_sanitizer_nsyscalls > 0)
		sandbox_policy_add_table(p, policy_sanitizer_syscalls,
		    policy_sanitizer_nsyscalls);
}
