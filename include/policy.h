/*
 * policy: the node admission policy. A NodePolicy message (decoded from
 * the policy file by the first fetcher, carried inside CONFIG) is checked
 * and compiled over a preset into a struct policy, and every pod is judged
 * against it on its canonical, re-checked spec. Shared by the runtime,
 * which enforces it, and `staticpodd validate --policy`, which shows the
 * same decision offline. It reads decoded messages and the host's file
 * tree (hostPath checks, never following a symbolic link); it parses
 * nothing and must never link a parser.
 */
#ifndef STATICPODD_POLICY_H
#define STATICPODD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "pod.pb-c.h"
#include "policy.pb-c.h"

#define POLICY_API_VERSION	"staticpodd.io/v1"
#define POLICY_KIND		"NodePolicy"
#define POLICY_PRESET_DEFAULT	"default"
#define POLICY_LIST_MAX		256	/* entries of one list in the file */
#define POLICY_ENTRY_MAX	253	/* bytes of one name or prefix */
#define POLICY_PROTECTED_MAX	32	/* host paths never mounted */
#define POLICY_ARENA_MAX	(4 * 1024 * 1024)	/* lists are capped */
#define POLICY_RULE_MAX		32
#define POLICY_REASON_MAX	512
#define POLICY_VIOLATIONS_MAX	8	/* kept per pod; more are counted */
#define POLICY_DEFAULT_MAX_CONTAINERS 16

struct policy_strings {
	const char *const	*v;
	size_t			 n;
};

struct policy_hostpath {
	const char	*prefix;
	bool		 read_only;
};

struct policy_ports {
	int32_t		 min;
	int32_t		 max;
};

struct policy_protected {
	const char	*path;
	const char	*what;	/* "the manifest directory" */
	bool		 has_ino;	/* it exists: an alias is seen too */
	uint64_t	 dev;
	uint64_t	 ino;
};

/* A compiled policy: a preset with the file's overrides applied. */
struct policy {
	struct arena		 arena;
	const char		*preset;
	bool			 dry_run;
	struct policy_strings	 image_prefixes;	/* "*": any */
	bool			 require_digest;
	struct policy_strings	 forbidden_tags;
	bool			 allow_privileged;
	bool			 allow_privilege_escalation;
	struct policy_strings	 caps_add;		/* "*" or "ALL": any */
	bool			 require_drop_all;
	bool			 allow_unmasked_procmount;
	bool			 allow_host_network;
	bool			 allow_host_pid;
	bool			 allow_host_ipc;
	const struct policy_ports *host_ports;
	size_t			 nhost_ports;
	const struct policy_hostpath *host_paths;
	size_t			 nhost_paths;
	struct policy_strings	 sysctls;	/* beyond the safe set */
	bool			 allow_unconfined_seccomp;
	bool			 require_seccomp_profile;
	bool			 allow_unconfined_apparmor;
	bool			 require_run_as_non_root;
	bool			 allow_run_as_root;
	struct policy_strings	 namespaces;		/* "*": any */
	int32_t			 max_containers;	/* 0: no cap */
	int64_t			 max_cpu_milli;		/* 0: no cap */
	int64_t			 max_memory_milli;	/* 0: no cap */
	struct policy_strings	 annotations;
	struct policy_protected	 protected[POLICY_PROTECTED_MAX];
	size_t			 nprotected;
	int			 rootfd;	/* "/", for hostPath; -1: none */
};

/* The agent's own paths, which no pod may mount in any mode. */
struct policy_host {
	const char	*manifest_dir;
	const char	*cri_socket;	/* a path, not a unix:// URL */
	const char	*state_dir;
	const char	*run_dir;
	const char	*audit_log;
	const char	*config_file;
	const char	*policy_file;
	int		 rootfd;	/* "/" opened O_PATH; -1: no file checks */
};

struct policy_violation {
	char	rule[POLICY_RULE_MAX];		/* "hostPath" */
	char	reason[POLICY_REASON_MAX];	/* the field and why */
};

struct policy_verdict {
	size_t			n;	/* 0: admitted */
	size_t			dropped;
	struct policy_violation	v[POLICY_VIOLATIONS_MAX];
};

/*
 * Checks a policy message, as the fetcher read it and again as the
 * runtime received it: 0, or -1 with the errors by field.
 */
int	policy_check(const Spp__NodePolicy *, struct diags *);

/*
 * The preset the message names (or "default"; msg may be NULL) with its
 * overrides, checked first. The strings are copied: msg may go after.
 * -1 with the errors in d.
 */
int	policy_compile(const Spp__NodePolicy *msg, const struct policy_host *,
	    struct policy *, struct diags *d);
void	policy_free(struct policy *);

/* Every rule against a pod: 0 admitted, -1 refused with the verdict. */
int	policy_admit(const struct policy *, const Spd__Pod *,
	    struct policy_verdict *);
/* "policy RULE: REASON" of the first violation, and how many more. */
int	policy_verdict_format(const struct policy_verdict *, char *, size_t);

/*
 * What CRI ImageStatus says of an image's user: uid when the image names
 * a numeric one, else username (may be empty: root).
 */
struct policy_image_user {
	bool		 has_uid;
	int64_t		 uid;
	const char	*username;
};

/*
 * runAsNonRoot and runAsRoot for a container that sets no runAsUser
 * depend on the image's user, which only the CRI runtime knows: the
 * reconciler asks policy_needs_image_user once it has the container's
 * spec, and if so calls policy_admit_image_user with ImageStatus's answer
 * before creating the container. init selects spec.initContainers.
 */
bool	policy_needs_image_user(const struct policy *, const Spd__Pod *,
	    bool init, size_t index);
int	policy_admit_image_user(const struct policy *, const Spd__Pod *,
	    bool init, size_t index, const struct policy_image_user *,
	    struct policy_verdict *);

/*
 * Whether a pod annotation may be passed on to the CRI runtime: some
 * runtimes change behaviour by annotation (CRI-O CVE-2024-3154). The
 * others stay in the pod; the reconciler leaves them out of the CRI
 * configs.
 */
bool	policy_annotation_allowed(const struct policy *, const char *key);

/*
 * An image reference as the registries resolve it: "nginx" is
 * docker.io/library/nginx. -1 when it does not fit out.
 */
int	policy_image_normalize(const char *ref, char *out, size_t len);

#endif
