/*
 * What sanitizer runtimes call beyond the program itself, for ASan/UBSan
 * builds only (meson -Db_sanitize=...). Production builds get an empty
 * table. LeakSanitizer's exit check needs ptrace, which no table grants:
 * sandboxed processes run with ASAN_OPTIONS=detect_leaks=0.
 */
#include <sys/ioctl.h>

#include "sandbox.h"
#include "seccomp_table.h"
#include "syscall_policy.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define SANITIZED	1
#endif
#endif

#ifdef SANITIZED
const struct sandbox_syscall policy_sanitizer_syscalls[] = {
	SC_ALLOW("sigaltstack", "ASan checks its signal stack as a thread "
	    "ends"),
	SC_ALLOW("sched_getaffinity", "ASan's pthread_create counts CPUs"),
	/* a report, so it prints instead of dying half-way */
	SC_ALLOW("readlink", "a report names the binary (/proc/self/exe)"),
	SC_ALLOW("open", "a report reads /proc/self files; Landlock may "
	    "refuse, the report still prints"),
	SC_ALLOW_ARG("ioctl", ARG_EQ(1, TCGETS), "a report asks whether "
	    "stderr is a terminal"),
};
const size_t policy_sanitizer_nsyscalls = NELEMS(policy_sanitizer_syscalls);
#else
/* C has no empty arrays: one line that is never read. */
const struct sandbox_syscall policy_sanitizer_syscalls[] = {
	SC_ALLOW("exit_group", "unused: not a sanitizer build"),
};
const size_t policy_sanitizer_nsyscalls = 0;
#endif
