/*
 * reconcile: private to runtime/. The desired pods against what the CRI
 * runtime actually runs, found by label, the way the kubelet runs static
 * pods: images by pull policy, sandbox, init containers in order, then the
 * containers, restarts with backoff, graceful stops, garbage collection.
 */
#ifndef STATICPODD_RECONCILE_H
#define STATICPODD_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "cri.h"

#define LABEL_POD_NAME		"io.kubernetes.pod.name"
#define LABEL_POD_NAMESPACE	"io.kubernetes.pod.namespace"
#define LABEL_POD_UID		"io.kubernetes.pod.uid"
#define LABEL_CONTAINER_NAME	"io.kubernetes.container.name"
#define LABEL_MANAGED		AGENT_LABEL_PREFIX "managed"
#define ANNOTATION_SHA256	AGENT_LABEL_PREFIX "manifest-sha256"
#define ANNOTATION_GRACE	"io.kubernetes.pod.terminationGracePeriod"
#define GRACE_DEFAULT_S		30	/* the kubelet's */
#define GRACE_MAX_S		86400	/* read back from a container */

#define KV_MAX			256
#define RECONCILE_PERIOD_MS	2000	/* the kubelet relists every 1 s */
#define RECONCILE_SETTLED_MS	5000	/* every pod as wanted: look less often */
#define BACKOFF_FIRST_MS	10000
#define BACKOFF_MAX_MS		300000
#define BACKOFF_RESET_MS	600000	/* ten minutes running resets it */
#define CREATED_STALE_MS	30000	/* a container created, never started */
#define SWEEP_PERIOD_MS		60000	/* leftover pod volumes looked for */
#define USERNS_LENGTH		65536	/* host IDs a pod's user namespace maps */
#define USERNS_FIRST		65536	/* never 0..65535: the host's own IDs */
#define USERNS_SLOTS		1024	/* pods with a user namespace at once */
#define CRI_LIST_TIMEOUT_MS	10000
#define CRI_CREATE_TIMEOUT_MS	240000	/* CRI-O waits on "name is reserved" */
#define CRI_SHORT_TIMEOUT_MS	30000
#define CRI_PROBE_TIMEOUT_MS	500	/* while the runtime is away: the
					   loop must keep serving fetchers */
#define CRI_PULL_TIMEOUT_MS	600000
#define STOP_SLACK_MS		15000	/* beyond the grace period */
#define RECONCILE_ARENA		(64 * 1024 * 1024)
#define ERROR_MAX		(CRI_ERROR_MAX + 256)

struct kv_list {
	char	*key[KV_MAX];
	char	*value[KV_MAX];
	size_t	 n;
};

struct kv {
	const char	*key;
	const char	*value;
};

/* What the configs of one pod are built from. */
struct pod_ctx {
	const Spd__Pod	*pod;
	const char	*uid;
	const char	*source_kind;	/* "file" or "http" */
	const char	*seen;		/* RFC 3339, first seen */
	const char	*sha256_hex;
	const struct kv	*annotations;	/* the pod's, as policy allows */
	size_t		 nannotations;
	uint32_t	 userns_first;	/* hostUsers false: its range's start */
};

enum phase { PHASE_PENDING, PHASE_RUNNING, PHASE_SUCCEEDED, PHASE_FAILED };

/* What the agent remembers of a container between passes. */
struct ctr_rt {
	char		name[64];
	bool		init;
	bool		sidecar;
	char		id[128];	/* the latest attempt's */
	uint32_t	attempt;
	int		state;		/* CONTAINER_*, or -1: none yet */
	int32_t		exit_code;
	bool		exit_known;
	int64_t		finished_ms;
	int64_t		started_ms;
	int64_t		backoff_ms;	/* wait before the next restart */
	int64_t		retry_at_ms;	/* a failed start (pull, create, */
	int64_t		retry_backoff_ms; /* start) is tried again then */
	int64_t		log_checked_ms;
	char		reason[64];
};

struct pod_rt {
	char		 uid[POD_UID_LEN + 1];
	char		*full_name;
	Spd__Pod	*pod;		/* unpacked from the desired bytes */
	char		 seen[40];
	char		 sha256_hex[65];
	const char	*source_kind;
	char		 sandbox_id[128];
	uint32_t	 attempt;
	char		 pod_ip[64];
	uint32_t	 userns_first;	/* hostUsers false: its range's start */
	bool		 refusal_audited;	/* the runtime cannot honour it */
	enum phase	 phase;
	bool		 finished;	/* will not be started again */
	bool		 adopted;
	bool		 limits_set;	/* the pod cgroup's, this sandbox */
	int64_t		 usage_checked_ms;	/* emptyDir sizeLimits */
	bool		 would_stop_said;	/* a policy dry run told */
	int64_t		 started_ms;	/* wall: first start, for the deadline */
	int64_t		 retry_at_ms;	/* a failed sandbox is made again then */
	int64_t		 retry_backoff_ms;
	char		 error[ERROR_MAX];
	char		 reported[ERROR_MAX];	/* the error last logged */
	struct ctr_rt	*ctrs;		/* init containers, then the others */
	size_t		 nctrs;
	bool		 mark;
};

struct reconciler {
	struct cri	*cri;
	uint64_t	 checked_conn;	/* connection Version/Status ran on */
	bool		 ready;
	bool		 user_namespaces;
	char		 runtime[128];	/* name and version, for the status */
	char		 not_ready[ERROR_MAX];
	struct pod_rt	*pods;
	size_t		 npods;
	size_t		 find_next;	/* where rt_find looks first */
	int64_t		 last_tick_ms;
	bool		 settled;	/* the last pass found nothing to do */
	int64_t		 tick_ms;	/* duration of the last pass */
	uint64_t	 cri_calls;
	int64_t		 cri_ms;
	char		*last_status;
	char		*last_metrics;
	uint64_t	 restarts_total;
	uint64_t	 passes;
	uint64_t	 pass_us_total;	/* wall time inside passes */
	int64_t		 swept_ms;	/* the last sweep of leftover volumes */
};

/* reconcile.c: the crash back-off, on the wall clock the CRI's times are */
int64_t	restart_backoff(struct ctr_rt *, int64_t wall_ms);

/* podconfig.c */
void	kv_add(struct arena *, struct kv_list *, const char *, const char *);
void	**kv_build(struct arena *, const ProtobufCMessageDescriptor *,
	    const struct kv_list *, size_t *);
const char *pod_log_dir(struct arena *, const struct agent *,
	    const Spd__Pod *, const char *uid);
const char *pod_cgroup_parent(struct arena *, const struct agent *,
	    const char *uid);
Runtime__V1__PodSandboxConfig *podconfig_sandbox(struct arena *,
	    const struct agent *, const struct pod_ctx *, uint32_t attempt);
Runtime__V1__ContainerConfig *podconfig_container(struct arena *,
	    const struct agent *, const struct pod_ctx *, const Spd__Container *,
	    uint32_t attempt, const char *image, Runtime__V1__KeyValue **,
	    size_t, Runtime__V1__Mount **, size_t);

/* cgroup.c: a pod's own limits, or its containers' sum; -1: none */
struct pod_limits {
	int64_t	memory_bytes;
	int64_t	cpu_milli;
	int64_t	cpu_shares;
	bool	memory_own;	/* from spec.resources: required */
	bool	cpu_own;
};
void	pod_limits(const Spd__PodSpec *, struct pod_limits *);
int	pod_cgroup_apply(const struct agent *, const Spd__PodSpec *,
	    const char *uid, bool *required, char *err, size_t errlen);

/* userns.c */
int	userns_range(const struct agent *, const char *uid, bool create,
	    uint32_t *first, char *err, size_t errlen);

/* dns.c */
Runtime__V1__DNSConfig *podconfig_dns(struct arena *, const struct agent *,
	    const Spd__Pod *);

/* env.c */
int	env_build(struct arena *, const struct agent *, const struct pod_ctx *,
	    const Spd__Container *, const char *pod_ip,
	    Runtime__V1__KeyValue ***, size_t *, char ***cmd, size_t *ncmd,
	    char ***args, size_t *nargs, char *err, size_t errlen);

const char *field_value(struct arena *, const struct agent *,
	    const struct pod_ctx *, const char *path, const char *pod_ip);
const char *resource_value(struct arena *, const struct pod_ctx *,
	    const Spd__ResourceFieldSelector *, const Spd__Container *);

/* volumes.c */
int	volumes_prepare(const struct agent *, const struct pod_ctx *,
	    char *err, size_t errlen);
int	volumes_mounts(struct arena *, const struct agent *,
	    const struct pod_ctx *, const Spd__Container *, uint32_t attempt,
	    const char *pod_ip, Runtime__V1__Mount ***, size_t *, char *err,
	    size_t errlen);
void	volumes_remove(const struct agent *, const char *uid);
int	volumes_unhonoured(const Spd__PodSpec *, char *err, size_t errlen);
void	remove_beneath(int dfd, const char *name);
void	volumes_sweep(const struct agent *, bool (*keep)(const char *uid,
	    void *), void *);
#define USAGE_CHECK_MS	10000	/* emptyDir use, looked at (the kubelet's
				   housekeeping period) */
const Spd__Volume *volumes_over_limit(const struct agent *,
	    const Spd__PodSpec *, const char *uid, char *err, size_t errlen);
void	volumes_clear(const struct agent *, const char *uid,
	    const Spd__Volume *);

/* logs.c */
#define LOG_CHECK_MS	10000	/* a running container's log size, looked at */
void	logs_links_dir(const struct agent *, char *, size_t);
void	logs_link(const struct agent *, const char *pod, const char *ns,
	    const char *ctr, const char *id, const char *target);
void	logs_unlink(const struct agent *, const char *pod, const char *ns,
	    const char *ctr, const char *id);
void	logs_remove_container(const struct agent *, const char *ns,
	    const char *pod, const char *uid, const char *ctr, uint32_t attempt);
void	logs_remove_pod(const struct agent *, const char *ns, const char *pod,
	    const char *uid);
int	logs_rotate(struct cri *, struct cri_call *, const struct agent *,
	    const char *dir, uint32_t attempt, const char *id);

/* reconcile.c */
struct pod_rt *rt_find(struct reconciler *, const char *uid);

/* status.c */
void	status_write(struct agent *, struct reconciler *);

#endif
