/*
 * syscall_policy: what each staticpodd process may still do once it is
 * sandboxed: its seccomp allowlist, the paths and ports Landlock leaves
 * it, the capabilities it keeps. Tables of data, one line a right, each
 * with its reason; the mechanism is sandbox.h. A line is added when a test
 * shows the process needs it. No table allows execve, ptrace, another
 * process's memory, mount, bpf, module loading or new namespaces, and
 * tests/sandbox checks that.
 */
#ifndef STATICPODD_SYSCALL_POLICY_H
#define STATICPODD_SYSCALL_POLICY_H

#include <stddef.h>

#include "sandbox.h"

enum policy_fetcher_role {
	POLICY_FETCHER_DIR,	/* reads fds the runtime's broker passes */
	POLICY_FETCHER_URL,	/* also HTTPS through libcurl */
};

/* The runtime's directories; NULL when a feature is off. */
struct policy_runtime_dirs {
	const char	*manifest_parent;	/* read: a recreated manifest
						   directory is a new inode */
	const char	*state_dir;		/* read-write */
	const char	*log_dir;		/* read-write: /var/log/pods */
	const char	*run_dir;		/* read-write */
	const char	*audit_dir;		/* read-write: log reopening */
};

extern const struct sandbox_syscall	policy_fetcher_syscalls[];
extern const size_t			policy_fetcher_nsyscalls;
extern const struct sandbox_syscall	policy_fetcher_url_syscalls[];
extern const size_t			policy_fetcher_url_nsyscalls;
extern const struct sandbox_syscall	policy_runtime_syscalls[];
extern const size_t			policy_runtime_nsyscalls;
/* What sanitizer runtimes add; empty (n = 0) in other builds. */
extern const struct sandbox_syscall	policy_sanitizer_syscalls[];
extern const size_t			policy_sanitizer_nsyscalls;

extern const int	policy_runtime_caps[];
extern const size_t	policy_runtime_ncaps;

/*
 * A fetcher's sandbox: no capabilities, read-only on the CA bundle and
 * the resolver's files (URL role), no signal or abstract socket out of
 * its Landlock domain. The caller adds the URL's port (and a pinned CA
 * file) with sandbox_policy_add_port and sandbox_policy_add_path.
 */
void	policy_fetcher_sandbox(struct sandbox_policy *,
	    enum policy_fetcher_role);

/* The runtime's sandbox: uid 0, the capabilities above, its directories. */
void	policy_runtime_sandbox(struct sandbox_policy *,
	    const struct policy_runtime_dirs *);

#endif
