/*
 * The syscall tables and the runtime's capability list, read as data
 * (TAP): every name is a syscall of this architecture and has a reason;
 * nothing dangerous is allowed; the calls that are only safe with
 * argument conditions have them; the runtime keeps none of the
 * capabilities the design forbids.
 */
#include <stdio.h>
#include <string.h>

#include <linux/capability.h>
#include <seccomp.h>

#include "sandbox.h"
#include "syscall_policy.h"

/* Never in any table, whatever the action. */
static const char *const forbidden[] = {
	"execve", "execveat", "ptrace", "process_vm_readv",
	"process_vm_writev", "process_madvise", "pidfd_getfd", "bpf",
	"mount", "umount2", "pivot_root", "chroot", "setns", "unshare",
	"move_mount", "open_tree", "fsopen", "fsmount", "fsconfig",
	"mount_setattr", "init_module", "finit_module", "delete_module",
	"kexec_load", "kexec_file_load", "keyctl", "add_key", "request_key",
	"perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "personality", "setuid", "setgid", "setreuid",
	"setregid", "setresuid", "setresgid", "setgroups", "capset",
	"open_by_handle_at", "name_to_handle_at", "fanotify_init", "vfork",
	"fork", "kill", "tkill", "tgkill", "pidfd_send_signal", "prctl",
	"seccomp", "landlock_create_ruleset", "landlock_add_rule",
	"landlock_restrict_self", "reboot", "swapon", "swapoff", "syslog",
	"acct", "quotactl", "iopl", "ioperm", "modify_ldt",
	"link", "linkat", "mknod", "mknodat",
};

/*
 * The runtime makes the kubelet's container log links, and Landlock lets
 * it make symbolic links in that one directory only; no fetcher may.
 */
static const char *const fetcher_forbidden[] = { "symlink", "symlinkat" };

/* Allowed only with an argument condition (or refused with an errno). */
static const char *const conditional[] = {
	"socket", "clone", "mmap", "mprotect", "socketpair", "ioctl",
};

static const int forbidden_caps[] = {
	CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE, CAP_SETUID,
	CAP_SETGID, CAP_SETPCAP, CAP_NET_ADMIN, CAP_SYS_PTRACE,
	CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_KILL, CAP_BPF, CAP_SYS_CHROOT,
};

static int	ntest;

static void
tap(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++ntest, what);
}

static int
listed(const char *const *list, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static int
check_table(const char *table, const struct sandbox_syscall *t, size_t n)
{
	const struct sandbox_syscall	*sc;
	size_t				 i;
	int				 bad = 0, ok;

	printf("# %s: %zu entries\n", table, n);
	for (i = 0; i < n; i++) {
		sc = &t[i];
		if (seccomp_syscall_resolve_name(sc->name) == __NR_SCMP_ERROR) {
			printf("# %s: %s is no syscall here\n", table,
			    sc->name);
			bad++;
		}
		if (sc->why == NULL || strlen(sc->why) < 8) {
			printf("# %s: %s has no reason\n", table, sc->name);
			bad++;
		}
		if (listed(forbidden, sizeof(forbidden) / sizeof(forbidden[0]),
		    sc->name) || (strncmp(table, "runtime", 7) != 0 &&
		    listed(fetcher_forbidden, sizeof(fetcher_forbidden) /
		    sizeof(fetcher_forbidden[0]), sc->name))) {
			printf("# %s: %s is forbidden\n", table, sc->name);
			bad++;
		}
		ok = sc->action != SANDBOX_ALLOW || sc->nargs > 0 ||
		    !listed(conditional, sizeof(conditional) /
		    sizeof(conditional[0]), sc->name);
		if (!ok) {
			printf("# %s: %s allowed without a condition\n", table,
			    sc->name);
			bad++;
		}
		if (sc->action == SANDBOX_ERRNO && sc->err <= 0) {
			printf("# %s: %s refused without an errno\n", table,
			    sc->name);
			bad++;
		}
	}
	return bad;
}

int
main(void)
{
	size_t	i, j;
	int	bad;

	printf("1..5\n");
	tap(check_table("fetcher", policy_fetcher_syscalls,
	    policy_fetcher_nsyscalls) == 0,
	    "fetcher table: real syscalls, each with a reason, none forbidden");
	tap(check_table("fetcher[url]", policy_fetcher_url_syscalls,
	    policy_fetcher_url_nsyscalls) == 0,
	    "fetcher[url] table: real syscalls, reasons, none forbidden");
	tap(check_table("runtime", policy_runtime_syscalls,
	    policy_runtime_nsyscalls) == 0,
	    "runtime table: real syscalls, each with a reason, none forbidden");
	tap(check_table("sanitizer", policy_sanitizer_syscalls,
	    policy_sanitizer_nsyscalls) == 0,
	    "sanitizer table: real syscalls, reasons, none forbidden");
	for (bad = 0, i = 0; i < policy_runtime_ncaps; i++)
		for (j = 0; j < sizeof(forbidden_caps) /
		    sizeof(forbidden_caps[0]); j++)
			if (policy_runtime_caps[i] == forbidden_caps[j]) {
				printf("# runtime keeps forbidden capability "
				    "%d\n", policy_runtime_caps[i]);
				bad++;
			}
	tap(bad == 0 && policy_runtime_ncaps <= SANDBOX_CAPS_MAX,
	    "the runtime keeps no forbidden capability");
	return 0;
}
