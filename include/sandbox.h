/*
 * sandbox: the mechanism that locks a staticpodd process down, in this
 * order: user and groups, capabilities, no_new_privs, Landlock, seccomp.
 * What each process may do is data (policy/, syscall_policy.h); nothing
 * here decides it. Every call either does all it was asked or ends the
 * process: a half-applied sandbox must never meet untrusted input.
 * Capabilities and Landlock bind the calling thread only, so the sandbox
 * is applied while the process has one thread, and that is checked.
 */
#ifndef STATICPODD_SANDBOX_H
#define STATICPODD_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SANDBOX_CAPS_MAX	8	/* capabilities one process may keep */
#define SANDBOX_PATHS_MAX	16	/* Landlock path rules */
#define SANDBOX_PORTS_MAX	8	/* Landlock TCP port rules */
#define SANDBOX_TABLES_MAX	4	/* syscall tables in one filter */
#define SANDBOX_ARGS_MAX	3	/* argument conditions of one entry */

/* Landlock: what a path grants to everything beneath it. */
#define SANDBOX_FS_READ		0x1	/* read files, list directories */
#define SANDBOX_FS_WRITE	0x2	/* write, truncate, create, remove,
					   rename; never devices, FIFOs,
					   sockets or symlinks */
#define SANDBOX_FS_EXEC		0x4	/* execute */
#define SANDBOX_FS_SYMLINK	0x8	/* make symbolic links (log links) */
#define SANDBOX_FS_MKDIR	0x10	/* make directories, nothing else */

struct sandbox_path {
	const char	*path;
	unsigned int	 access;	/* SANDBOX_FS_* */
	int		 optional;	/* missing: skipped, not fatal */
};

/* Landlock from ABI 4: TCP ports, everything else refused. */
#define SANDBOX_NET_CONNECT	0x1
#define SANDBOX_NET_BIND	0x2

struct sandbox_port {
	uint16_t	 port;
	unsigned int	 access;	/* SANDBOX_NET_* */
};

/* Landlock from ABI 6: nothing reaches outside the process's domain. */
#define SANDBOX_SCOPE_SIGNAL		0x1
#define SANDBOX_SCOPE_ABSTRACT_UNIX	0x2

enum sandbox_landlock_need {
	SANDBOX_LANDLOCK_PREFERRED = 0,	/* a kernel without it: a warning */
	SANDBOX_LANDLOCK_REQUIRED,	/* a kernel without it: fatal */
};

enum sandbox_action {
	SANDBOX_ALLOW = 0,
	SANDBOX_ERRNO,		/* fail with .err; the process lives on */
};

enum sandbox_cmp {
	SANDBOX_CMP_EQ = 1,	/* arg == value */
	SANDBOX_CMP_NE,		/* arg != value */
	SANDBOX_CMP_MASKED_EQ,	/* (arg & mask) == value */
};

struct sandbox_arg {
	unsigned int	 index;		/* 0 is the first argument */
	enum sandbox_cmp op;
	uint64_t	 mask;		/* SANDBOX_CMP_MASKED_EQ only */
	uint64_t	 value;
};

/*
 * One line of a seccomp allowlist. Several entries may name the same
 * syscall with different conditions: any one that matches decides. A
 * call no entry matches kills the process.
 */
struct sandbox_syscall {
	const char		*name;
	enum sandbox_action	 action;
	int			 err;		/* SANDBOX_ERRNO: the errno */
	size_t			 nargs;
	struct sandbox_arg	 args[SANDBOX_ARGS_MAX];	/* all hold */
	const char		*why;
};

struct sandbox_table {
	const struct sandbox_syscall	*calls;
	size_t				 n;
};

/*
 * Debug only, for writing the tables: a denied syscall raises SIGSYS, a
 * handler prints its number on stderr and the call fails with ENOSYS,
 * instead of the process being killed. Never set in production; a build
 * with -DSANDBOX_SECCOMP_DEBUG sets it for every filter.
 */
#define SANDBOX_SECCOMP_TRAP	0x1

struct sandbox_policy {
	const char		*name;	/* in log lines: "fetcher", "runtime" */
	int			 caps[SANDBOX_CAPS_MAX];
	size_t			 ncaps;
	struct sandbox_path	 paths[SANDBOX_PATHS_MAX];
	size_t			 npaths;
	struct sandbox_port	 ports[SANDBOX_PORTS_MAX];
	size_t			 nports;
	unsigned int		 scope;		/* SANDBOX_SCOPE_* */
	enum sandbox_landlock_need landlock;
	struct sandbox_table	 tables[SANDBOX_TABLES_MAX];
	size_t			 ntables;
	unsigned int		 flags;		/* SANDBOX_SECCOMP_TRAP */
};

/* Building a policy; a full array is a bug of ours and fatal. */
void	sandbox_policy_init(struct sandbox_policy *, const char *name);
void	sandbox_policy_add_cap(struct sandbox_policy *, int cap);
void	sandbox_policy_add_path(struct sandbox_policy *, const char *path,
	    unsigned int access, int optional);
void	sandbox_policy_add_port(struct sandbox_policy *, uint16_t port,
	    unsigned int access);
void	sandbox_policy_add_table(struct sandbox_policy *,
	    const struct sandbox_syscall *, size_t n);

/*
 * For a child about to execute the fetcher: supplementary groups dropped,
 * bounding and ambient sets cleared, real, effective and saved uid and gid
 * set and verified, no way back to uid 0, no capabilities, no_new_privs.
 * Needs uid 0 (CAP_SETUID, CAP_SETGID, CAP_SETPCAP).
 */
void	sandbox_drop_to_user(uid_t, gid_t);

/*
 * Keep exactly these capabilities, effective and permitted, and nothing
 * in any other set (inheritable, ambient; bounding holds just these).
 * Verified in /proc/self/status.
 */
void	sandbox_keep_caps(const int *caps, size_t ncaps);

/* PR_SET_NO_NEW_PRIVS, verified. */
void	sandbox_no_new_privs(void);

/*
 * The kernel's Landlock ABI version, or -errno when it has none
 * (-ENOSYS: not built; -EOPNOTSUPP: built but not enabled at boot).
 */
int	sandbox_landlock_abi(void);

/*
 * Every right the kernel's ABI knows is denied except what the policy's
 * paths and ports grant. Returns the ABI enforced, or 0 when the kernel
 * has no Landlock and the policy only prefers it (logged as a warning).
 */
int	sandbox_landlock(const struct sandbox_policy *);

/* The allowlist filter; anything else kills the process. */
void	sandbox_seccomp(const struct sandbox_policy *);

/*
 * All of it, in order: one thread checked, capabilities, no_new_privs,
 * Landlock, seccomp. Returns the Landlock ABI enforced (0: none).
 */
int	sandbox_apply(const struct sandbox_policy *);

#endif
