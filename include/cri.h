/*
 * cri: the privileged runtime's client of the node's CRI runtime (CRI-O,
 * containerd), runtime.v1 over gRPC on one persistent HTTP/2 connection to
 * a unix socket. Linked only into staticpodd's runtime side.
 *
 * Every call has a deadline, and a reply is capped in size and decoded
 * into the caller's arena, so a misbehaving runtime costs at most those.
 * No threads: a call blocks its caller until the reply or the deadline.
 * A broken connection is noticed before the next call, which connects
 * again (with backoff while the runtime is away). A request is never sent
 * twice unless the runtime said it did not process it.
 */
#ifndef STATICPODD_CRI_H
#define STATICPODD_CRI_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#ifdef linux
#error "the CRI messages have fields named linux: build with -std=c11, not gnu11"
#endif
#include "cri.pb-c.h"

#define CRI_DEFAULT_ENDPOINT	"unix:///var/run/crio/crio.sock"
#define CRI_RECV_MAX	(16 * 1024 * 1024)	/* reply cap, as the kubelet's */
#define CRI_SEND_MAX	(4 * 1024 * 1024)	/* a pod's config is far smaller */
#define CRI_ERROR_MAX	1024

/* gRPC status codes; transport failures map onto them as grpc does. */
enum cri_code {
	CRI_OK = 0,
	CRI_CANCELLED = 1,
	CRI_UNKNOWN = 2,
	CRI_INVALID_ARGUMENT = 3,
	CRI_DEADLINE_EXCEEDED = 4,
	CRI_NOT_FOUND = 5,
	CRI_ALREADY_EXISTS = 6,
	CRI_PERMISSION_DENIED = 7,
	CRI_RESOURCE_EXHAUSTED = 8,
	CRI_FAILED_PRECONDITION = 9,
	CRI_ABORTED = 10,
	CRI_OUT_OF_RANGE = 11,
	CRI_UNIMPLEMENTED = 12,
	CRI_INTERNAL = 13,
	CRI_UNAVAILABLE = 14,	/* also: the runtime cannot be reached */
	CRI_DATA_LOSS = 15,
	CRI_UNAUTHENTICATED = 16,
};

struct cri_error {
	int	code;			/* enum cri_code; CRI_OK after success */
	char	message[CRI_ERROR_MAX];	/* "Method: text", printable */
};

/*
 * One call's context. The deadline runs from the start of the call, and
 * covers connecting. Replies live in the arena until it is freed; a reply
 * that does not fit fails with CRI_RESOURCE_EXHAUSTED.
 */
struct cri_call {
	int			 timeout_ms;
	struct arena		*arena;
	struct cri_error	 err;	/* set by every call */
};

struct cri_label {
	const char	*key;
	const char	*value;
};

/* What ListPodSandbox and ListContainers are narrowed by; all optional. */
struct cri_filter {
	const char		*id;
	int			 state;	/* a *_STATE enum value, or -1: any */
	const char		*pod_sandbox_id;	/* containers only */
	const struct cri_label	*labels;	/* all must match exactly */
	size_t			 nlabels;
};
#define CRI_FILTER_ANY	{ NULL, -1, NULL, NULL, 0 }

struct cri_runtime_status {
	int		 runtime_ready;	/* RuntimeReady is true */
	int		 network_ready;	/* NetworkReady is true */
	const char	*runtime_reason;	/* "reason: message" when not ready */
	const char	*network_reason;
	int		 user_namespaces;	/* the default handler has them */
	int		 recursive_read_only_mounts;
};

struct cri;

/*
 * "unix:///path" or "/path". Does not connect: the first call does, so a
 * runtime that starts later is fine. NULL with err set on a bad endpoint.
 */
struct cri	*cri_open(const char *endpoint, struct cri_error *err);
void		 cri_close(struct cri *);
/* Drops the connection; the next call makes a new one. */
void		 cri_disconnect(struct cri *);
/* Connections made so far: 1 while one connection serves every call. */
uint64_t	 cri_connections(const struct cri *);
/* An HTTP/2 PING round trip, connecting first if need be. */
int		 cri_ping(struct cri *, int timeout_ms, struct cri_error *);

const char	*cri_code_name(int code);
/* Calls made, and the time spent in them, since cri_open. */
void		 cri_counters(const struct cri *, uint64_t *calls,
		    uint64_t *busy_us);

/*
 * Each returns 0, or -1 with call->err set. Worth retrying later:
 * CRI_UNAVAILABLE, CRI_DEADLINE_EXCEEDED, and containerd's CRI_UNKNOWN
 * "server is not initialized yet" in the first moments after it starts.
 */
int	cri_version(struct cri *, struct cri_call *,
	    Runtime__V1__VersionResponse **);
int	cri_status(struct cri *, struct cri_call *, struct cri_runtime_status *);
/* CRI_UNIMPLEMENTED on runtimes older than the call (containerd 1.6). */
int	cri_runtime_config(struct cri *, struct cri_call *,
	    Runtime__V1__CgroupDriver *);

/* *image is NULL when the runtime does not have it: that is not an error. */
int	cri_image_status(struct cri *, struct cri_call *, const char *image,
	    Runtime__V1__Image **image_out);
/* sandbox may be NULL; *image_ref is the pulled image's reference. */
int	cri_pull_image(struct cri *, struct cri_call *, const char *image,
	    const Runtime__V1__PodSandboxConfig *sandbox, char **image_ref);

int	cri_run_pod_sandbox(struct cri *, struct cri_call *,
	    const Runtime__V1__PodSandboxConfig *, const char *runtime_handler,
	    char **id);
int	cri_stop_pod_sandbox(struct cri *, struct cri_call *, const char *id);
int	cri_remove_pod_sandbox(struct cri *, struct cri_call *, const char *id);
int	cri_pod_sandbox_status(struct cri *, struct cri_call *, const char *id,
	    Runtime__V1__PodSandboxStatus **);
int	cri_list_pod_sandbox(struct cri *, struct cri_call *,
	    const struct cri_filter *, Runtime__V1__PodSandbox ***items,
	    size_t *nitems);

int	cri_create_container(struct cri *, struct cri_call *,
	    const char *pod_sandbox_id, const Runtime__V1__ContainerConfig *,
	    const Runtime__V1__PodSandboxConfig *, char **id);
int	cri_start_container(struct cri *, struct cri_call *, const char *id);
/*
 * The runtime waits timeout_s seconds after the stop signal before it
 * kills: the call's deadline must leave room for that.
 */
int	cri_stop_container(struct cri *, struct cri_call *, const char *id,
	    int64_t timeout_s);
int	cri_remove_container(struct cri *, struct cri_call *, const char *id);
int	cri_container_status(struct cri *, struct cri_call *, const char *id,
	    Runtime__V1__ContainerStatus **);
int	cri_list_containers(struct cri *, struct cri_call *,
	    const struct cri_filter *, Runtime__V1__Container ***items,
	    size_t *nitems);
int	cri_reopen_container_log(struct cri *, struct cri_call *,
	    const char *id);

#endif
