/*
 * The typed CRI calls: build a runtime.v1 request, send it through grpc.c,
 * decode the reply into the caller's arena, and check what the agent
 * relies on (an ID where one must be).
 *
 * protobuf-c's request structs take char * where we hold const char *;
 * packing only reads them, hence the casts through cri_str().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cri.h"
#include "grpc.h"
#include "log.h"

#define CRI_RUNTIME(m)	"/runtime.v1.RuntimeService/" m
#define CRI_IMAGE(m)	"/runtime.v1.ImageService/" m
#define CRI_UNIX	"unix://"
#define CRI_SMALL_ARENA	(64 * 1024)	/* replies with nothing we keep */
#define CRI_SELECTOR_MAX 32		/* labels in one list filter */
#define CRI_ID_MAX	128		/* containerd, CRI-O: 64 hex digits */

struct cri {
	struct grpc	*g;
	size_t		 recv_max;
	uint64_t	 calls;
	uint64_t	 busy_us;	/* spent waiting on the runtime */
};

static uint64_t
mono_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
cri_counters(const struct cri *c, uint64_t *calls, uint64_t *busy_us)
{
	*calls = c->calls;
	*busy_us = c->busy_us;
}

/* Unpacking into an arena: a reply costs at most the arena's cap. */
struct cri_alloc {
	ProtobufCAllocator	 pb;
	struct arena		*arena;
	int			 exhausted;
};

static char *
cri_str(const char *s)
{
	return (char *)(uintptr_t)s;
}

static int	cri_fail(struct cri_call *, int, const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static int
cri_fail(struct cri_call *call, int code, const char *method,
    const char *fmt, ...)
{
	char	text[CRI_ERROR_MAX], *out;
	size_t	n, k;
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	call->err.code = code;
	/* "Method: text", a long text cut at its end */
	out = call->err.message;
	n = strlen(method);
	if (n > sizeof(call->err.message) - 3)
		n = sizeof(call->err.message) - 3;
	memcpy(out, method, n);
	out[n++] = ':';
	out[n++] = ' ';
	k = strlen(text);
	if (k > sizeof(call->err.message) - 1 - n)
		k = sizeof(call->err.message) - 1 - n;
	memcpy(out + n, text, k);
	out[n + k] = '\0';
	return -1;
}

const char *
cri_code_name(int code)
{
	static const char *const names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
		"PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
		"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
		"UNAUTHENTICATED",
	};

	if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]))
		return "UNKNOWN";
	return names[code];
}

struct cri *
cri_open(const char *endpoint, struct cri_error *err)
{
	const char	*path = endpoint;
	struct cri	*c;

	memset(err, 0, sizeof(*err));
	if (strncmp(endpoint, CRI_UNIX, strlen(CRI_UNIX)) == 0)
		path = endpoint + strlen(CRI_UNIX);
	if (path[0] != '/') {
		err->code = CRI_INVALID_ARGUMENT;
		(void)snprintf(err->message, sizeof(err->message),
		    "endpoint \"%s\" is not unix:///absolute/path", endpoint);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("cri");
	if ((c->g = grpc_new(path)) == NULL) {
		err->code = CRI_INVALID_ARGUMENT;
		(void)snprintf(err->message, sizeof(err->message),
		    "endpoint %s: %s", path, strerror(errno));
		free(c);
		return NULL;
	}
	c->recv_max = CRI_RECV_MAX;
	return c;
}

void
cri_close(struct cri *c)
{
	if (c == NULL)
		return;
	grpc_free(c->g);
	free(c);
}

void
cri_disconnect(struct cri *c)
{
	grpc_disconnect(c->g);
}

uint64_t
cri_connections(const struct cri *c)
{
	return grpc_connections(c->g);
}

int
cri_ping(struct cri *c, int timeout_ms, struct cri_error *err)
{
	return grpc_ping(c->g, timeout_ms, err);
}

static void *
cri_alloc_fn(void *ctx, size_t n)
{
	struct cri_alloc	*al = ctx;
	void			*p;

	if ((p = arena_alloc(al->arena, n)) == NULL)
		al->exhausted = 1;
	return p;
}

static void
cri_free_fn(void *ctx, void *p)
{
	(void)ctx;
	(void)p;	/* the arena is freed as a whole */
}

static const char *
cri_method(const char *path)
{
	const char *m = strrchr(path, '/');

	return m != NULL ? m + 1 : path;
}

/* One unary call: req out, *resp decoded into the arena a. */
static int
cri_unary(struct cri *c, struct cri_call *call, const char *path,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
    struct arena *a, ProtobufCMessage **resp)
{
	const char		*method = cri_method(path);
	struct cri_alloc	 al;
	const uint8_t		*reply;
	uint8_t			*buf;
	uint64_t		 t0;
	size_t			 len, rlen;
	int			 rv;

	memset(&call->err, 0, sizeof(call->err));
	*resp = NULL;
	len = protobuf_c_message_get_packed_size(req);
	if (len > CRI_SEND_MAX)
		return cri_fail(call, CRI_RESOURCE_EXHAUSTED, method,
		    "request of %zu bytes is larger than the %d-byte cap", len,
		    CRI_SEND_MAX);
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		fatal("cri");
	if (protobuf_c_message_pack(req, buf) != len)
		fatalx("cri: %s: packed size changed", method);
	t0 = mono_us();
	rv = grpc_unary(c->g, path, buf, len, call->timeout_ms, c->recv_max,
	    &reply, &rlen, &call->err);
	c->calls++;
	c->busy_us += mono_us() - t0;
	free(buf);
	if (rv == -1)
		return cri_fail(call, call->err.code, method, "%s",
		    call->err.message);

	al.pb.alloc = cri_alloc_fn;
	al.pb.free = cri_free_fn;
	al.pb.allocator_data = &al;
	al.arena = a;
	al.exhausted = 0;
	*resp = protobuf_c_message_unpack(desc, &al.pb, rlen, reply);
	grpc_release(c->g);
	if (*resp == NULL && al.exhausted)
		return cri_fail(call, CRI_RESOURCE_EXHAUSTED, method,
		    "the reply (%zu bytes) does not fit the memory allowed "
		    "for it", rlen);
	if (*resp == NULL)
		return cri_fail(call, CRI_INTERNAL, method,
		    "the reply (%zu bytes) is not a valid %s", rlen,
		    desc->name);
	return 0;
}

/* For replies with nothing in them the agent keeps. */
static int
cri_unary_empty(struct cri *c, struct cri_call *call, const char *path,
    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc)
{
	struct arena		 a;
	ProtobufCMessage	*resp;
	int			 rv;

	arena_init(&a, CRI_SMALL_ARENA);
	rv = cri_unary(c, call, path, req, desc, &a, &resp);
	arena_free(&a);
	return rv;
}

static struct arena *
cri_arena(const struct cri_call *call, const char *path)
{
	if (call->arena == NULL)
		fatalx("cri: %s called without an arena for its reply",
		    cri_method(path));
	return call->arena;
}

/* IDs end up in file names (log links): only what runtimes generate. */
static int
cri_id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > CRI_ID_MAX || id[0] == '.' || id[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') ||
		    id[i] == '-' || id[i] == '_' || id[i] == '.'))
			return 0;
	return 1;
}

int
cri_version(struct cri *c, struct cri_call *call,
    Runtime__V1__VersionResponse **out)
{
	const char			*path = CRI_RUNTIME("Version");
	Runtime__V1__VersionRequest	 req = RUNTIME__V1__VERSION_REQUEST__INIT;
	ProtobufCMessage		*resp;

	req.version = cri_str("v1");
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__version_response__descriptor, cri_arena(call, path),
	    &resp) == -1)
		return -1;
	*out = (Runtime__V1__VersionResponse *)resp;
	return 0;
}

static const char *
cri_condition_reason(struct arena *a, const Runtime__V1__RuntimeCondition *rc)
{
	size_t	 n;
	char	*s;

	n = strlen(rc->reason) + strlen(rc->message) + 3;
	if ((s = arena_alloc(a, n)) == NULL)
		return "";
	(void)snprintf(s, n, "%s%s%s", rc->reason,
	    rc->reason[0] != '\0' && rc->message[0] != '\0' ? ": " : "",
	    rc->message);
	return s;
}

int
cri_status(struct cri *c, struct cri_call *call, struct cri_runtime_status *st)
{
	const char			*path = CRI_RUNTIME("Status");
	Runtime__V1__StatusRequest	 req = RUNTIME__V1__STATUS_REQUEST__INIT;
	Runtime__V1__StatusResponse	*r;
	Runtime__V1__RuntimeCondition	*rc;
	Runtime__V1__RuntimeHandler	*h;
	ProtobufCMessage		*resp;
	struct arena			*a = cri_arena(call, path);
	size_t				 i;

	memset(st, 0, sizeof(*st));
	st->runtime_reason = "RuntimeReady not reported";
	st->network_reason = "NetworkReady not reported";
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__status_response__descriptor, a, &resp) == -1)
		return -1;
	r = (Runtime__V1__StatusResponse *)resp;
	for (i = 0; r->status != NULL && i < r->status->n_conditions; i++) {
		rc = r->status->conditions[i];
		if (strcmp(rc->type, "RuntimeReady") == 0) {
			st->runtime_ready = rc->status;
			st->runtime_reason = rc->status ? "" :
			    cri_condition_reason(a, rc);
		} else if (strcmp(rc->type, "NetworkReady") == 0) {
			st->network_ready = rc->status;
			st->network_reason = rc->status ? "" :
			    cri_condition_reason(a, rc);
		}
	}
	for (i = 0; i < r->n_runtime_handlers; i++) {
		h = r->runtime_handlers[i];
		if (h->name[0] != '\0' || h->features == NULL)
			continue;
		st->user_namespaces = h->features->user_namespaces;
		st->recursive_read_only_mounts =
		    h->features->recursive_read_only_mounts;
	}
	return 0;
}

int
cri_runtime_config(struct cri *c, struct cri_call *call,
    Runtime__V1__CgroupDriver *driver)
{
	const char			*path = CRI_RUNTIME("RuntimeConfig");
	Runtime__V1__RuntimeConfigRequest req =
	    RUNTIME__V1__RUNTIME_CONFIG_REQUEST__INIT;
	Runtime__V1__RuntimeConfigResponse *r;
	ProtobufCMessage		*resp;
	struct arena			 a;
	int				 rv;

	arena_init(&a, CRI_SMALL_ARENA);
	rv = cri_unary(c, call, path, &req.base,
	    &runtime__v1__runtime_config_response__descriptor, &a, &resp);
	if (rv == 0) {
		r = (Runtime__V1__RuntimeConfigResponse *)resp;
		*driver = r->linux != NULL ? r->linux->cgroup_driver :
		    RUNTIME__V1__CGROUP_DRIVER__SYSTEMD;
	}
	arena_free(&a);
	return rv;
}

int
cri_image_status(struct cri *c, struct cri_call *call, const char *image,
    Runtime__V1__Image **out)
{
	const char			*path = CRI_IMAGE("ImageStatus");
	Runtime__V1__ImageStatusRequest	 req =
	    RUNTIME__V1__IMAGE_STATUS_REQUEST__INIT;
	Runtime__V1__ImageSpec		 spec = RUNTIME__V1__IMAGE_SPEC__INIT;
	ProtobufCMessage		*resp;

	*out = NULL;
	spec.image = cri_str(image);
	req.image = &spec;
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__image_status_response__descriptor,
	    cri_arena(call, path), &resp) == -1)
		return -1;
	/* An absent image is an empty reply, as the kubelet reads it. */
	*out = ((Runtime__V1__ImageStatusResponse *)resp)->image;
	return 0;
}

int
cri_pull_image(struct cri *c, struct cri_call *call, const char *image,
    const Runtime__V1__PodSandboxConfig *sandbox, char **image_ref)
{
	const char			*path = CRI_IMAGE("PullImage");
	Runtime__V1__PullImageRequest	 req =
	    RUNTIME__V1__PULL_IMAGE_REQUEST__INIT;
	Runtime__V1__ImageSpec		 spec = RUNTIME__V1__IMAGE_SPEC__INIT;
	Runtime__V1__PullImageResponse	*r;
	ProtobufCMessage		*resp;

	*image_ref = NULL;
	spec.image = cri_str(image);
	req.image = &spec;
	req.sandbox_config = (Runtime__V1__PodSandboxConfig *)(uintptr_t)sandbox;
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__pull_image_response__descriptor,
	    cri_arena(call, path), &resp) == -1)
		return -1;
	r = (Runtime__V1__PullImageResponse *)resp;
	if (r->image_ref[0] == '\0')
		return cri_fail(call, CRI_INTERNAL, cri_method(path),
		    "the runtime returned no image reference for %s", image);
	*image_ref = r->image_ref;
	return 0;
}

int
cri_run_pod_sandbox(struct cri *c, struct cri_call *call,
    const Runtime__V1__PodSandboxConfig *config, const char *runtime_handler,
    char **id)
{
	const char			*path = CRI_RUNTIME("RunPodSandbox");
	Runtime__V1__RunPodSandboxRequest req =
	    RUNTIME__V1__RUN_POD_SANDBOX_REQUEST__INIT;
	Runtime__V1__RunPodSandboxResponse *r;
	ProtobufCMessage		*resp;

	*id = NULL;
	req.config = (Runtime__V1__PodSandboxConfig *)(uintptr_t)config;
	if (runtime_handler != NULL)
		req.runtime_handler = cri_str(runtime_handler);
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__run_pod_sandbox_response__descriptor,
	    cri_arena(call, path), &resp) == -1)
		return -1;
	r = (Runtime__V1__RunPodSandboxResponse *)resp;
	if (!cri_id_ok(r->pod_sandbox_id))
		return cri_fail(call, CRI_INTERNAL, cri_method(path),
		    "the runtime returned an unusable sandbox ID");
	*id = r->pod_sandbox_id;
	return 0;
}

int
cri_stop_pod_sandbox(struct cri *c, struct cri_call *call, const char *id)
{
	Runtime__V1__StopPodSandboxRequest req =
	    RUNTIME__V1__STOP_POD_SANDBOX_REQUEST__INIT;

	req.pod_sandbox_id = cri_str(id);
	return cri_unary_empty(c, call, CRI_RUNTIME("StopPodSandbox"),
	    &req.base, &runtime__v1__stop_pod_sandbox_response__descriptor);
}

int
cri_remove_pod_sandbox(struct cri *c, struct cri_call *call, const char *id)
{
	Runtime__V1__RemovePodSandboxRequest req =
	    RUNTIME__V1__REMOVE_POD_SANDBOX_REQUEST__INIT;

	req.pod_sandbox_id = cri_str(id);
	return cri_unary_empty(c, call, CRI_RUNTIME("RemovePodSandbox"),
	    &req.base, &runtime__v1__remove_pod_sandbox_response__descriptor);
}

int
cri_pod_sandbox_status(struct cri *c, struct cri_call *call, const char *id,
    Runtime__V1__PodSandboxStatus **out)
{
	const char			*path = CRI_RUNTIME("PodSandboxStatus");
	Runtime__V1__PodSandboxStatusRequest req =
	    RUNTIME__V1__POD_SANDBOX_STATUS_REQUEST__INIT;
	Runtime__V1__PodSandboxStatusResponse *r;
	ProtobufCMessage		*resp;

	*out = NULL;
	req.pod_sandbox_id = cri_str(id);
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__pod_sandbox_status_response__descriptor,
	    cri_arena(call, path), &resp) == -1)
		return -1;
	r = (Runtime__V1__PodSandboxStatusResponse *)resp;
	if (r->status == NULL)
		return cri_fail(call, CRI_INTERNAL, cri_method(path),
		    "the runtime returned no status for sandbox %s", id);
	*out = r->status;
	return 0;
}

static int
cri_selector_check(struct cri_call *call, const char *method,
    const struct cri_filter *f)
{
	if (f->nlabels > CRI_SELECTOR_MAX)
		return cri_fail(call, CRI_INVALID_ARGUMENT, method,
		    "%zu labels in a selector, at most %d", f->nlabels,
		    CRI_SELECTOR_MAX);
	return 0;
}

int
cri_list_pod_sandbox(struct cri *c, struct cri_call *call,
    const struct cri_filter *f, Runtime__V1__PodSandbox ***items,
    size_t *nitems)
{
	const char			*path = CRI_RUNTIME("ListPodSandbox");
	Runtime__V1__ListPodSandboxRequest req =
	    RUNTIME__V1__LIST_POD_SANDBOX_REQUEST__INIT;
	Runtime__V1__PodSandboxFilter	 filter =
	    RUNTIME__V1__POD_SANDBOX_FILTER__INIT;
	Runtime__V1__PodSandboxStateValue state =
	    RUNTIME__V1__POD_SANDBOX_STATE_VALUE__INIT;
	Runtime__V1__PodSandboxFilter__LabelSelectorEntry ents[CRI_SELECTOR_MAX];
	Runtime__V1__PodSandboxFilter__LabelSelectorEntry *ptrs[CRI_SELECTOR_MAX];
	Runtime__V1__ListPodSandboxResponse *r;
	ProtobufCMessage		*resp;
	size_t				 i;

	*items = NULL;
	*nitems = 0;
	if (f != NULL) {
		if (cri_selector_check(call, cri_method(path), f) == -1)
			return -1;
		for (i = 0; i < f->nlabels; i++) {
			runtime__v1__pod_sandbox_filter__label_selector_entry__init(
			    &ents[i]);
			ents[i].key = cri_str(f->labels[i].key);
			ents[i].value = cri_str(f->labels[i].value);
			ptrs[i] = &ents[i];
		}
		filter.label_selector = ptrs;
		filter.n_label_selector = f->nlabels;
		if (f->id != NULL)
			filter.id = cri_str(f->id);
		if (f->state >= 0) {
			state.state = (Runtime__V1__PodSandboxState)f->state;
			filter.state = &state;
		}
		req.filter = &filter;
	}
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__list_pod_sandbox_response__descriptor,
	    cri_arena(call, path), &resp) == -1)
		return -1;
	r = (Runtime__V1__ListPodSandboxResponse *)resp;
	*items = r->items;
	*nitems = r->n_items;
	return 0;
}

int
cri_create_container(struct cri *c, struct cri_call *call,
    const char *pod_sandbox_id, const Runtime__V1__ContainerConfig *config,
    const Runtime__V1__PodSandboxConfig *sandbox, char **id)
{
	const char			*path = CRI_RUNTIME("CreateContainer");
	Runtime__V1__CreateContainerRequest req =
	    RUNTIME__V1__CREATE_CONTAINER_REQUEST__INIT;
	Runtime__V1__CreateContainerResponse *r;
	ProtobufCMessage		*resp;

	*id = NULL;
	req.pod_sandbox_id = cri_str(pod_sandbox_id);
	req.config = (Runtime__V1__ContainerConfig *)(uintptr_t)config;
	req.sandbox_config = (Runtime__V1__PodSandboxConfig *)(uintptr_t)sandbox;
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__create_container_response__descriptor,
	    cri_arena(call, path), &resp) == -1)
		return -1;
	r = (Runtime__V1__CreateContainerResponse *)resp;
	if (!cri_id_ok(r->container_id))
		return cri_fail(call, CRI_INTERNAL, cri_method(path),
		    "the runtime returned an unusable container ID");
	*id = r->container_id;
	return 0;
}

int
cri_start_container(struct cri *c, struct cri_call *call, const char *id)
{
	Runtime__V1__StartContainerRequest req =
	    RUNTIME__V1__START_CONTAINER_REQUEST__INIT;

	req.container_id = cri_str(id);
	return cri_unary_empty(c, call, CRI_RUNTIME("StartContainer"),
	    &req.base, &runtime__v1__start_container_response__descriptor);
}

int
cri_stop_container(struct cri *c, struct cri_call *call, const char *id,
    int64_t timeout_s)
{
	Runtime__V1__StopContainerRequest req =
	    RUNTIME__V1__STOP_CONTAINER_REQUEST__INIT;

	req.container_id = cri_str(id);
	req.timeout = timeout_s;
	return cri_unary_empty(c, call, CRI_RUNTIME("StopContainer"),
	    &req.base, &runtime__v1__stop_container_response__descriptor);
}

int
cri_remove_container(struct cri *c, struct cri_call *call, const char *id)
{
	Runtime__V1__RemoveContainerRequest req =
	    RUNTIME__V1__REMOVE_CONTAINER_REQUEST__INIT;

	req.container_id = cri_str(id);
	return cri_unary_empty(c, call, CRI_RUNTIME("RemoveContainer"),
	    &req.base, &runtime__v1__remove_container_response__descriptor);
}

int
cri_container_status(struct cri *c, struct cri_call *call, const char *id,
    Runtime__V1__ContainerStatus **out)
{
	const char			*path = CRI_RUNTIME("ContainerStatus");
	Runtime__V1__ContainerStatusRequest req =
	    RUNTIME__V1__CONTAINER_STATUS_REQUEST__INIT;
	Runtime__V1__ContainerStatusResponse *r;
	ProtobufCMessage		*resp;

	*out = NULL;
	req.container_id = cri_str(id);
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__container_status_response__descriptor,
	    cri_arena(call, path), &resp) == -1)
		return -1;
	r = (Runtime__V1__ContainerStatusResponse *)resp;
	if (r->status == NULL)
		return cri_fail(call, CRI_INTERNAL, cri_method(path),
		    "the runtime returned no status for container %s", id);
	*out = r->status;
	return 0;
}

int
cri_list_containers(struct cri *c, struct cri_call *call,
    const struct cri_filter *f, Runtime__V1__Container ***items,
    size_t *nitems)
{
	const char			*path = CRI_RUNTIME("ListContainers");
	Runtime__V1__ListContainersRequest req =
	    RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
	Runtime__V1__ContainerFilter	 filter =
	    RUNTIME__V1__CONTAINER_FILTER__INIT;
	Runtime__V1__ContainerStateValue state =
	    RUNTIME__V1__CONTAINER_STATE_VALUE__INIT;
	Runtime__V1__ContainerFilter__LabelSelectorEntry ents[CRI_SELECTOR_MAX];
	Runtime__V1__ContainerFilter__LabelSelectorEntry *ptrs[CRI_SELECTOR_MAX];
	Runtime__V1__ListContainersResponse *r;
	ProtobufCMessage		*resp;
	size_t				 i;

	*items = NULL;
	*nitems = 0;
	if (f != NULL) {
		if (cri_selector_check(call, cri_method(path), f) == -1)
			return -1;
		for (i = 0; i < f->nlabels; i++) {
			runtime__v1__container_filter__label_selector_entry__init(
			    &ents[i]);
			ents[i].key = cri_str(f->labels[i].key);
			ents[i].value = cri_str(f->labels[i].value);
			ptrs[i] = &ents[i];
		}
		filter.label_selector = ptrs;
		filter.n_label_selector = f->nlabels;
		if (f->id != NULL)
			filter.id = cri_str(f->id);
		if (f->pod_sandbox_id != NULL)
			filter.pod_sandbox_id = cri_str(f->pod_sandbox_id);
		if (f->state >= 0) {
			state.state = (Runtime__V1__ContainerState)f->state;
			filter.state = &state;
		}
		req.filter = &filter;
	}
	if (cri_unary(c, call, path, &req.base,
	    &runtime__v1__list_containers_response__descriptor,
	    cri_arena(call, path), &resp) == -1)
		return -1;
	r = (Runtime__V1__ListContainersResponse *)resp;
	*items = r->containers;
	*nitems = r->n_containers;
	return 0;
}

int
cri_reopen_container_log(struct cri *c, struct cri_call *call, const char *id)
{
	Runtime__V1__ReopenContainerLogRequest req =
	    RUNTIME__V1__REOPEN_CONTAINER_LOG_REQUEST__INIT;

	req.container_id = cri_str(id);
	return cri_unary_empty(c, call, CRI_RUNTIME("ReopenContainerLog"),
	    &req.base,
	    &runtime__v1__reopen_container_log_response__descriptor);
}
