/*
 * The reconciler's decisions against recorded CRI replies: what a pass
 * asks the runtime, in what order, with what in the requests, when CRI-O
 * and containerd answer the way they really do. The config-side
 * differences are tests/unit/test_podconfig.c's; these are the ones that
 * show in replies ("name is reserved", NOT_FOUND and OK for unknown IDs,
 * an absent image, the cgroup driver, a runtime that is not ready).
 *
 * The peer is a forked gRPC server (nghttp2's server session, h2c on a
 * unix socket) and a replay device: each case scripts the calls it
 * expects in order and the reply to each, the peer answers them and
 * records what it was asked, and the test asserts the sequence and the
 * requests' fields. A call off the script is answered UNIMPLEMENTED and
 * recorded as such.
 *
 * Where a reply comes from:
 *  - containerd 1.6.20: the .bin files in tests/data/grpc, recorded from a
 *    harness containerd (record.py, record_replies.c); the message or
 *    status of stream 1 is replayed exactly as containerd sent it, so a
 *    message may name the ID the recording asked about, not this test's.
 *  - CRI-O: built here, each with the CRI-O source file (cri-o/cri-o at
 *    f954a17) whose reply it copies named beside it.
 *  - Otherwise built here from the CRI messages, and said so.
 * TAP.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "agent.h"
#include "audit.h"
#include "log.h"
#include "policy.h"
#include "reconcile.h"

#define STEPS_MAX	64
#define RECS_MAX	128
#define TEXT_MAX	1024
#define ID_MAX		128
#define BLOB_MAX	(1024 * 1024)	/* a recording, a reply */
#define PEER_READ	16384

#define TEST_UID	"0123456789abcdef0123456789abcdef"
#define OLD_UID		"fedcba9876543210fedcba9876543210"
#define TEST_IMAGE	"registry.example/web:1.0"
#define IMAGE_ID	"sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define PULLED_REF	"sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define SB_ID		"a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2"
#define SB_ID2		"b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3"
#define CT_ID		"c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"
#define CT_ID2		"d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5"
#define ANY_ATTEMPT	(-1)

/* A reply as the runtime sends it. */
struct reply {
	int		 status;		/* grpc-status */
	char		 message[TEXT_MAX];	/* grpc-message, as sent */
	uint8_t		*msg;			/* the protobuf, status 0 */
	size_t		 len;
};

/* One expected call, its reply, and what its request must carry. */
struct step {
	const char	*method;
	struct reply	 r;
	const char	*want_id;	/* sandbox or container ID, or NULL */
	int		 want_attempt;	/* or ANY_ATTEMPT */
};

struct script {
	struct step	steps[STEPS_MAX];
	size_t		n;
};

/* What the peer was asked, decoded. */
struct rec {
	int		pass;
	bool		off_script;
	char		method[128];
	char		id[ID_MAX];		/* sandbox or container */
	char		sandbox[ID_MAX];	/* CreateContainer's */
	char		image[256];
	char		cgroup_parent[256];
	int		attempt;		/* RunPodSandbox, CreateContainer */
	int		userns_mode;		/* -1: not said */
	uint32_t	userns_uid_host;	/* the one UID mapping */
	uint32_t	userns_gid_host;
	uint32_t	userns_len;
};

struct shared {
	int		pass;		/* set by the test before each pass */
	size_t		next;		/* the script's next step */
	size_t		n;
	struct rec	recs[RECS_MAX];
};

struct fixture {
	const char	*name;
	char		 dir[PATH_MAX];
	char		 sock[108];
	struct agent	 a;
	struct script	 sc;
	struct shared	*sh;
	pid_t		 peer;
	int		 pass;
};

struct pod_opts {
	bool		 host_network;
	const char	*pull_policy;
	const char	*restart_policy;
	const char	*uid;
	int64_t		 active_deadline_s;	/* 0: none */
	int		 host_users;		/* -1 unset, 0 false, 1 true */
};

static int	 ntest, nfail;
static char	 tmpdir[64];
static const char *datadir;

static void	ok(int, const char *, ...) __attribute__((format(printf, 2, 3)));
static void	diag(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	if (!cond)
		nfail++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n > 0 ? n : 1)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

/* ---- replies built here ---- */

/* grpc-message is percent-encoded as grpc-go does it. */
static struct reply
error_reply(int status, const char *text)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct reply		 r;
	const unsigned char	*s;
	size_t			 o = 0;

	memset(&r, 0, sizeof(r));
	r.status = status;
	for (s = (const unsigned char *)text; *s != '\0' &&
	    o + 4 < sizeof(r.message); s++) {
		if (*s < 0x20 || *s > 0x7e || *s == '%') {
			r.message[o++] = '%';
			r.message[o++] = hex[*s >> 4];
			r.message[o++] = hex[*s & 0xf];
		} else
			r.message[o++] = (char)*s;
	}
	r.message[o] = '\0';
	return r;
}

static struct reply
packed(const ProtobufCMessage *m)
{
	struct reply r;

	memset(&r, 0, sizeof(r));
	r.len = protobuf_c_message_get_packed_size(m);
	r.msg = xmalloc(r.len);
	if (protobuf_c_message_pack(m, r.msg) != r.len) {
		printf("Bail out! pack\n");
		exit(1);
	}
	return r;
}

/* An empty message: Start, Stop, Remove replies. */
static struct reply
empty_ok(void)
{
	struct reply r;

	memset(&r, 0, sizeof(r));
	return r;
}

/* server/version.go: containerName "cri-o", kubeAPIVersion "0.1.0". */
static struct reply
crio_version(void)
{
	Runtime__V1__VersionResponse v = RUNTIME__V1__VERSION_RESPONSE__INIT;

	v.version = (char *)"0.1.0";
	v.runtime_name = (char *)"cri-o";
	v.runtime_version = (char *)"1.37.0";	/* internal/version/version.go */
	v.runtime_api_version = (char *)"v1";
	return packed(&v.base);
}

/*
 * server/runtime_status.go: RuntimeReady is always true; NetworkReady is
 * false with "NetworkPluginNotReady" when the CNI plugin is not. A false
 * RuntimeReady comes from neither runtime's status code as it stands (the
 * CRI allows it): built here, with a reason and message in CRI-O's form.
 */
static struct reply
status_userns(bool runtime_ready, const char *reason, const char *message,
    bool userns)
{
	Runtime__V1__StatusResponse	r = RUNTIME__V1__STATUS_RESPONSE__INIT;
	Runtime__V1__RuntimeStatus	st = RUNTIME__V1__RUNTIME_STATUS__INIT;
	Runtime__V1__RuntimeCondition	rc = RUNTIME__V1__RUNTIME_CONDITION__INIT;
	Runtime__V1__RuntimeCondition	nc = RUNTIME__V1__RUNTIME_CONDITION__INIT;
	Runtime__V1__RuntimeCondition	*cs[2] = { &rc, &nc };
	Runtime__V1__RuntimeHandler	 h = RUNTIME__V1__RUNTIME_HANDLER__INIT;
	Runtime__V1__RuntimeHandlerFeatures feat =
	    RUNTIME__V1__RUNTIME_HANDLER_FEATURES__INIT;
	Runtime__V1__RuntimeHandler	*hs[1];

	rc.type = (char *)"RuntimeReady";
	rc.status = runtime_ready;
	if (!runtime_ready) {
		rc.reason = (char *)(uintptr_t)reason;
		rc.message = (char *)(uintptr_t)message;
	}
	nc.type = (char *)"NetworkReady";
	nc.status = true;
	st.conditions = cs;
	st.n_conditions = 2;
	r.status = &st;
	if (userns) {
		/* the default handler's features, as CRI-O 1.30+ says them */
		h.name = (char *)"";
		h.features = &feat;
		feat.user_namespaces = true;
		hs[0] = &h;
		r.runtime_handlers = hs;
		r.n_runtime_handlers = 1;
	}
	return packed(&r.base);
}

static struct reply
status_reply(bool runtime_ready, const char *reason, const char *message)
{
	return status_userns(runtime_ready, reason, message, false);
}

/* server/runtime_config.go: the cgroup manager's driver. */
static struct reply
runtime_config(Runtime__V1__CgroupDriver d)
{
	Runtime__V1__RuntimeConfigResponse r =
	    RUNTIME__V1__RUNTIME_CONFIG_RESPONSE__INIT;
	Runtime__V1__LinuxRuntimeConfiguration l =
	    RUNTIME__V1__LINUX_RUNTIME_CONFIGURATION__INIT;

	l.cgroup_driver = d;
	r.linux = &l;
	return packed(&r.base);
}

/*
 * server/sandbox_run_linux.go (reservePodNameOrGetExisting) and
 * server/utils.go (getResourceOrWait): a RunPodSandbox for a name whose
 * first create is still under way waits, then fails with this; the names
 * are internal/lib/sandbox/builder.go's, the reservation error
 * internal/lib/container_server.go's (ReservePodName) around
 * internal/registrar/registrar.go's ErrNameReserved. A plain Go error:
 * grpc-go sends it as UNKNOWN.
 */
static struct reply
crio_name_reserved(const char *why)
{
	char text[TEXT_MAX];

	snprintf(text, sizeof(text), "kubelet may be retrying requests that "
	    "are timing out in CRI-O due to system load. Currently at stage "
	    "sandbox network ready: %s: error reserving pod name "
	    "k8s_web-node1_default_" TEST_UID "_0 for id "
	    "e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6: "
	    "name is reserved", why);
	return error_reply(CRI_UNKNOWN, text);
}

/* server/container_status.go, via internal/lib/container.go. */
static struct reply
crio_container_not_found(const char *id)
{
	char text[TEXT_MAX];

	snprintf(text, sizeof(text), "could not find container \"%s\": "
	    "container with ID starting with %s not found: ID does not exist",
	    id, id);
	return error_reply(CRI_NOT_FOUND, text);
}

/* server/sandbox_status.go, via server/server.go. */
static struct reply
crio_pod_not_found(const char *id)
{
	char text[TEXT_MAX];

	snprintf(text, sizeof(text), "could not find pod \"%s\": PodSandbox "
	    "with ID starting with %s not found: ID does not exist", id, id);
	return error_reply(CRI_NOT_FOUND, text);
}

static void
sandbox_labels(Runtime__V1__PodSandbox__LabelsEntry *l,
    Runtime__V1__PodSandbox__LabelsEntry **lp, const char *name,
    const char *uid)
{
	const char *const kv[4][2] = {
		{ LABEL_POD_NAME, name },
		{ LABEL_POD_NAMESPACE, "default" },
		{ LABEL_POD_UID, uid },
		{ LABEL_MANAGED, "true" },
	};
	size_t i;

	for (i = 0; i < 4; i++) {
		runtime__v1__pod_sandbox__labels_entry__init(&l[i]);
		l[i].key = (char *)(uintptr_t)kv[i][0];
		l[i].value = (char *)(uintptr_t)kv[i][1];
		lp[i] = &l[i];
	}
}

/* A ListPodSandbox reply of one sandbox of pod name, or none. */
static struct reply
named_sandboxes(const char *id, const char *name, const char *uid,
    uint32_t attempt, int state)
{
	Runtime__V1__ListPodSandboxResponse r =
	    RUNTIME__V1__LIST_POD_SANDBOX_RESPONSE__INIT;
	Runtime__V1__PodSandbox		 sb = RUNTIME__V1__POD_SANDBOX__INIT;
	Runtime__V1__PodSandbox		*items[1] = { &sb };
	Runtime__V1__PodSandboxMetadata	 md =
	    RUNTIME__V1__POD_SANDBOX_METADATA__INIT;
	Runtime__V1__PodSandbox__LabelsEntry l[4], *lp[4];

	if (id == NULL)
		return packed(&r.base);
	md.name = (char *)(uintptr_t)name;
	md.namespace_ = (char *)"default";
	md.uid = (char *)(uintptr_t)uid;
	md.attempt = attempt;
	sb.id = (char *)(uintptr_t)id;
	sb.metadata = &md;
	sb.state = (Runtime__V1__PodSandboxState)state;
	sb.created_at = 1764355200LL * 1000000000;
	sandbox_labels(l, lp, name, uid);
	sb.labels = lp;
	sb.n_labels = 4;
	r.items = items;
	r.n_items = 1;
	return packed(&r.base);
}

/* The same, of the test's pod. */
static struct reply
sandboxes(const char *id, const char *uid, uint32_t attempt, int state)
{
	return named_sandboxes(id, "web-node1", uid, attempt, state);
}

static struct reply
no_sandboxes(void)
{
	return sandboxes(NULL, NULL, 0, 0);
}

/* A ListContainers reply of one container "web" of pod uid, or none. */
static struct reply
pod_containers(const char *id, const char *sandbox, const char *uid,
    uint32_t attempt, int state)
{
	Runtime__V1__ListContainersResponse r =
	    RUNTIME__V1__LIST_CONTAINERS_RESPONSE__INIT;
	Runtime__V1__Container		 c = RUNTIME__V1__CONTAINER__INIT;
	Runtime__V1__Container		*items[1] = { &c };
	Runtime__V1__ContainerMetadata	 md =
	    RUNTIME__V1__CONTAINER_METADATA__INIT;
	Runtime__V1__Container__LabelsEntry l[5], *lp[5];
	const char *const kv[5][2] = {
		{ LABEL_CONTAINER_NAME, "web" },
		{ LABEL_MANAGED, "true" },
		{ LABEL_POD_NAME, "web-node1" },
		{ LABEL_POD_NAMESPACE, "default" },
		{ LABEL_POD_UID, uid },
	};
	size_t i;

	if (id == NULL)
		return packed(&r.base);
	md.name = (char *)"web";
	md.attempt = attempt;
	c.id = (char *)(uintptr_t)id;
	c.pod_sandbox_id = (char *)(uintptr_t)sandbox;
	c.metadata = &md;
	c.state = (Runtime__V1__ContainerState)state;
	c.image_ref = (char *)IMAGE_ID;
	for (i = 0; i < 5; i++) {
		runtime__v1__container__labels_entry__init(&l[i]);
		l[i].key = (char *)(uintptr_t)kv[i][0];
		l[i].value = (char *)(uintptr_t)kv[i][1];
		lp[i] = &l[i];
	}
	c.labels = lp;
	c.n_labels = 5;
	r.containers = items;
	r.n_containers = 1;
	return packed(&r.base);
}

static struct reply
containers(const char *id, const char *sandbox, uint32_t attempt, int state)
{
	return pod_containers(id, sandbox, TEST_UID, attempt, state);
}

static struct reply
no_containers(void)
{
	return containers(NULL, NULL, 0, 0);
}

static struct reply
image_present(void)
{
	Runtime__V1__ImageStatusResponse r =
	    RUNTIME__V1__IMAGE_STATUS_RESPONSE__INIT;
	Runtime__V1__Image img = RUNTIME__V1__IMAGE__INIT;

	img.id = (char *)IMAGE_ID;
	img.size = 4096;
	r.image = &img;
	return packed(&r.base);
}

/* server/image_status.go: an unknown image is an empty reply, not an error. */
static struct reply
crio_image_absent(void)
{
	Runtime__V1__ImageStatusResponse r =
	    RUNTIME__V1__IMAGE_STATUS_RESPONSE__INIT;

	return packed(&r.base);
}

static struct reply
pulled(void)
{
	Runtime__V1__PullImageResponse r =
	    RUNTIME__V1__PULL_IMAGE_RESPONSE__INIT;

	r.image_ref = (char *)PULLED_REF;
	return packed(&r.base);
}

static struct reply
sandbox_made(const char *id)
{
	Runtime__V1__RunPodSandboxResponse r =
	    RUNTIME__V1__RUN_POD_SANDBOX_RESPONSE__INIT;

	r.pod_sandbox_id = (char *)(uintptr_t)id;
	return packed(&r.base);
}

static struct reply
container_made(const char *id)
{
	Runtime__V1__CreateContainerResponse r =
	    RUNTIME__V1__CREATE_CONTAINER_RESPONSE__INIT;

	r.container_id = (char *)(uintptr_t)id;
	return packed(&r.base);
}

static struct reply
sandbox_ip(const char *id, const char *ip)
{
	Runtime__V1__PodSandboxStatusResponse r =
	    RUNTIME__V1__POD_SANDBOX_STATUS_RESPONSE__INIT;
	Runtime__V1__PodSandboxStatus st = RUNTIME__V1__POD_SANDBOX_STATUS__INIT;
	Runtime__V1__PodSandboxNetworkStatus net =
	    RUNTIME__V1__POD_SANDBOX_NETWORK_STATUS__INIT;

	st.id = (char *)(uintptr_t)id;
	st.state = RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY;
	net.ip = (char *)(uintptr_t)ip;
	st.network = &net;
	r.status = &st;
	return packed(&r.base);
}

/* ---- replies recorded from containerd ---- */

static size_t
read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE	*fp;
	size_t	 n;

	if ((fp = fopen(path, "rb")) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		exit(1);
	}
	n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

static void
recorded_header(struct reply *r, const nghttp2_nv *nv)
{
	if (nv->namelen == 11 && memcmp(nv->name, "grpc-status", 11) == 0)
		r->status = atoi((const char *)nv->value);
	else if (nv->namelen == 12 && memcmp(nv->name, "grpc-message", 12) ==
	    0)
		snprintf(r->message, sizeof(r->message), "%.*s",
		    (int)nv->valuelen, nv->value);
}

static void
recorded_headers(struct reply *r, nghttp2_hd_inflater *hd, const uint8_t *b,
    size_t len)
{
	nghttp2_nv	nv;
	ssize_t		n;
	int		flags;

	for (;;) {
		n = nghttp2_hd_inflate_hd2(hd, &nv, &flags, b, len, 1);
		if (n < 0) {
			printf("Bail out! a recording's headers do not "
			    "decode\n");
			exit(1);
		}
		b += n;
		len -= (size_t)n;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			recorded_header(r, &nv);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(hd);
			return;
		}
		if (n == 0 && len == 0)
			return;
	}
}

/*
 * What a recording (everything containerd sent on one connection) says on
 * stream 1: the message of its DATA, the grpc-status and grpc-message of
 * its headers, the message text kept as it was sent.
 */
static struct reply
recorded(const char *name)
{
	struct reply		 r;
	nghttp2_hd_inflater	*hd;
	uint8_t			*buf = xmalloc(BLOB_MAX), *data;
	char			 path[PATH_MAX];
	size_t			 n, off, len, dlen = 0, pad;
	uint32_t		 sid;
	const uint8_t		*f, *p;

	memset(&r, 0, sizeof(r));
	r.status = -1;
	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	n = read_file(path, buf, BLOB_MAX);
	data = xmalloc(n);
	if (nghttp2_hd_inflate_new(&hd) != 0)
		abort();
	for (off = 0; off + 9 <= n; off += 9 + len) {
		f = buf + off;
		len = (size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2];
		sid = ((uint32_t)f[5] << 24 | (uint32_t)f[6] << 16 |
		    (uint32_t)f[7] << 8 | f[8]) & 0x7fffffff;
		if (off + 9 + len > n || sid != 1)
			continue;
		p = f + 9;
		pad = 0;
		if ((f[4] & 0x08) != 0 && len > 0)	/* PADDED */
			pad = 1 + p[0];
		if (f[3] == 0 && len >= pad) {		/* DATA */
			memcpy(data + dlen, p + (pad ? 1 : 0), len - pad);
			dlen += len - pad;
		} else if (f[3] == 1) {			/* HEADERS */
			p += pad ? 1 : 0;
			if (f[4] & 0x20)		/* PRIORITY */
				p += 5;
			recorded_headers(&r, hd, p, (size_t)(f + 9 + len - p) -
			    (pad ? pad - 1 : 0));
		}
	}
	nghttp2_hd_inflate_del(hd);
	free(buf);
	if (r.status == -1 || (dlen > 0 && dlen < 5)) {
		printf("Bail out! %s: no gRPC reply on stream 1\n", name);
		exit(1);
	}
	if (dlen >= 5) {
		r.len = dlen - 5;
		r.msg = xmalloc(r.len);
		memcpy(r.msg, data + 5, r.len);
	}
	free(data);
	return r;
}

/* ---- the script ---- */

static struct step *
expect(struct fixture *f, const char *method, struct reply r)
{
	struct step *s;

	if (f->sc.n == STEPS_MAX) {
		printf("Bail out! more than %d steps\n", STEPS_MAX);
		exit(1);
	}
	s = &f->sc.steps[f->sc.n++];
	memset(s, 0, sizeof(*s));
	s->method = method;
	s->r = r;
	s->want_attempt = ANY_ATTEMPT;
	return s;
}

/*
 * The lists a pass makes when it removes nothing: once. A pass that
 * removes lists again (replaced_pod scripts that).
 */
static void
expect_lists(struct fixture *f, struct reply sb, struct reply ct)
{
	expect(f, "ListPodSandbox", sb);
	expect(f, "ListContainers", ct);
}

/* Version, Status and RuntimeConfig, as CRI-O answers them. */
static void
expect_crio_ready(struct fixture *f)
{
	expect(f, "Version", crio_version());
	expect(f, "Status", status_reply(true, NULL, NULL));
	expect(f, "RuntimeConfig",
	    runtime_config(RUNTIME__V1__CGROUP_DRIVER__SYSTEMD));
}

/* The same, from a CRI-O whose default handler has user namespaces. */
static void
expect_crio_ready_with_userns(struct fixture *f)
{
	expect(f, "Version", crio_version());
	expect(f, "Status", status_userns(true, NULL, NULL, true));
	expect(f, "RuntimeConfig",
	    runtime_config(RUNTIME__V1__CGROUP_DRIVER__SYSTEMD));
}

static void
expect_containerd_ready(struct fixture *f)
{
	expect(f, "Version", recorded("containerd-version.bin"));
	expect(f, "Status", recorded("containerd-status.bin"));
	expect(f, "RuntimeConfig",
	    recorded("containerd-runtime-config-unimplemented.bin"));
}

/* ImageStatus (present), CreateContainer and StartContainer of "web". */
static void
expect_start(struct fixture *f, const char *sandbox, uint32_t attempt,
    const char *id)
{
	struct step *s;

	expect(f, "ImageStatus", image_present());
	s = expect(f, "CreateContainer", container_made(id));
	s->want_id = sandbox;
	s->want_attempt = (int)attempt;
	expect(f, "StartContainer", empty_ok())->want_id = id;
}

static struct step *
expect_run(struct fixture *f, uint32_t attempt, struct reply r)
{
	struct step *s = expect(f, "RunPodSandbox", r);

	s->want_attempt = (int)attempt;
	return s;
}

/* ---- the peer: a gRPC server on nghttp2's server session ---- */

struct pstream {
	char		 path[128];
	uint8_t		*body;
	size_t		 len;
	uint8_t		*out;		/* the reply, gRPC-framed */
	size_t		 outlen;
	size_t		 outoff;
};

struct peer {
	int		 fd;
	struct fixture	*f;
};

static ssize_t
peer_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags,
    void *ud)
{
	struct peer	*p = ud;
	size_t		 off = 0;
	ssize_t		 w;

	(void)s;
	(void)flags;
	while (off < len) {
		if ((w = write(p->fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		}
		off += (size_t)w;
	}
	return (ssize_t)len;
}

static int
peer_begin_headers(nghttp2_session *s, const nghttp2_frame *fr, void *ud)
{
	struct pstream *st;

	(void)ud;
	if (fr->hd.type != NGHTTP2_HEADERS ||
	    fr->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	nghttp2_session_set_stream_user_data(s, fr->hd.stream_id, st);
	return 0;
}

static int
peer_header(nghttp2_session *s, const nghttp2_frame *fr, const uint8_t *name,
    size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
    void *ud)
{
	struct pstream *st;

	(void)flags;
	(void)ud;
	st = nghttp2_session_get_stream_user_data(s, fr->hd.stream_id);
	if (st != NULL && namelen == 5 && memcmp(name, ":path", 5) == 0)
		snprintf(st->path, sizeof(st->path), "%.*s", (int)valuelen,
		    value);
	return 0;
}

static int
peer_data(nghttp2_session *s, uint8_t flags, int32_t sid, const uint8_t *data,
    size_t len, void *ud)
{
	struct pstream	*st;
	uint8_t		*nb;

	(void)flags;
	(void)ud;
	if ((st = nghttp2_session_get_stream_user_data(s, sid)) == NULL)
		return 0;
	if ((nb = realloc(st->body, st->len + len)) == NULL)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->body = nb;
	memcpy(st->body + st->len, data, len);
	st->len += len;
	return 0;
}

static int
peer_close(nghttp2_session *s, int32_t sid, uint32_t code, void *ud)
{
	struct pstream *st;

	(void)code;
	(void)ud;
	if ((st = nghttp2_session_get_stream_user_data(s, sid)) == NULL)
		return 0;
	free(st->body);
	free(st->out);
	free(st);
	return 0;
}

static void
decode_userns(struct rec *r, const Runtime__V1__NamespaceOption *ns)
{
	const Runtime__V1__UserNamespace *u;

	r->userns_mode = -1;
	if (ns == NULL || (u = ns->userns_options) == NULL)
		return;
	r->userns_mode = (int)u->mode;
	if (u->n_uids == 1 && u->uids[0]->container_id == 0) {
		r->userns_uid_host = u->uids[0]->host_id;
		r->userns_len = u->uids[0]->length;
	}
	if (u->n_gids == 1 && u->gids[0]->container_id == 0 &&
	    u->gids[0]->length == r->userns_len)
		r->userns_gid_host = u->gids[0]->host_id;
}

/* What the test looks at in a request, by method. */
static void
decode_request(struct rec *r, const uint8_t *msg, size_t len)
{
	if (strcmp(r->method, "RunPodSandbox") == 0) {
		Runtime__V1__RunPodSandboxRequest *q =
		    runtime__v1__run_pod_sandbox_request__unpack(NULL, len, msg);

		if (q == NULL || q->config == NULL)
			return;
		if (q->config->metadata != NULL)
			r->attempt = (int)q->config->metadata->attempt;
		if (q->config->linux != NULL)
			snprintf(r->cgroup_parent, sizeof(r->cgroup_parent),
			    "%s", q->config->linux->cgroup_parent);
		decode_userns(r, q->config->linux != NULL &&
		    q->config->linux->security_context != NULL ?
		    q->config->linux->security_context->namespace_options :
		    NULL);
		runtime__v1__run_pod_sandbox_request__free_unpacked(q, NULL);
	} else if (strcmp(r->method, "CreateContainer") == 0) {
		Runtime__V1__CreateContainerRequest *q =
		    runtime__v1__create_container_request__unpack(NULL, len,
		    msg);

		if (q == NULL)
			return;
		snprintf(r->sandbox, sizeof(r->sandbox), "%s",
		    q->pod_sandbox_id);
		snprintf(r->id, sizeof(r->id), "%s", q->pod_sandbox_id);
		if (q->config != NULL && q->config->metadata != NULL)
			r->attempt = (int)q->config->metadata->attempt;
		if (q->config != NULL && q->config->image != NULL)
			snprintf(r->image, sizeof(r->image), "%s",
			    q->config->image->image);
		decode_userns(r, q->config != NULL && q->config->linux != NULL &&
		    q->config->linux->security_context != NULL ?
		    q->config->linux->security_context->namespace_options :
		    NULL);
		runtime__v1__create_container_request__free_unpacked(q, NULL);
	} else if (strstr(r->method, "PodSandbox") != NULL &&
	    strcmp(r->method, "ListPodSandbox") != 0) {
		/* Stop, Remove, Status: field 1 is pod_sandbox_id */
		Runtime__V1__StopPodSandboxRequest *q =
		    runtime__v1__stop_pod_sandbox_request__unpack(NULL, len,
		    msg);

		if (q == NULL)
			return;
		snprintf(r->id, sizeof(r->id), "%s", q->pod_sandbox_id);
		runtime__v1__stop_pod_sandbox_request__free_unpacked(q, NULL);
	} else if (strcmp(r->method, "StartContainer") == 0 ||
	    strcmp(r->method, "StopContainer") == 0 ||
	    strcmp(r->method, "RemoveContainer") == 0 ||
	    strcmp(r->method, "ContainerStatus") == 0) {
		/* field 1 is container_id in each */
		Runtime__V1__StartContainerRequest *q =
		    runtime__v1__start_container_request__unpack(NULL, len,
		    msg);

		if (q == NULL)
			return;
		snprintf(r->id, sizeof(r->id), "%s", q->container_id);
		runtime__v1__start_container_request__free_unpacked(q, NULL);
	} else if (strcmp(r->method, "ImageStatus") == 0 ||
	    strcmp(r->method, "PullImage") == 0) {
		/* field 1 is the ImageSpec in both */
		Runtime__V1__ImageStatusRequest *q =
		    runtime__v1__image_status_request__unpack(NULL, len, msg);

		if (q == NULL)
			return;
		if (q->image != NULL)
			snprintf(r->image, sizeof(r->image), "%s",
			    q->image->image);
		runtime__v1__image_status_request__free_unpacked(q, NULL);
	}
}

static ssize_t
peer_read_data(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	static const nghttp2_nv ok_trailer[] = {
		{ (uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1,
		    NGHTTP2_NV_FLAG_NONE },
	};
	struct pstream	*st = src->ptr;
	size_t		 n = st->outlen - st->outoff;

	(void)ud;
	if (n > len)
		n = len;
	memcpy(buf, st->out + st->outoff, n);
	st->outoff += n;
	if (st->outoff == st->outlen) {
		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		if (nghttp2_submit_trailer(s, sid, ok_trailer, 1) != 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	return (ssize_t)n;
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
	strlen(v), NGHTTP2_NV_FLAG_NONE }

/* HEADERS, the message in DATA, then trailers; or Trailers-Only. */
static int
peer_reply(nghttp2_session *s, int32_t sid, struct pstream *st,
    const struct reply *r)
{
	char			code[16];
	nghttp2_data_provider	dp;

	if (r->status != 0) {
		snprintf(code, sizeof(code), "%d", r->status);
		nghttp2_nv nv[] = {
			NV(":status", "200"),
			NV("content-type", "application/grpc"),
			NV("grpc-status", code),
			NV("grpc-message", r->message),
		};
		return nghttp2_submit_response(s, sid, nv,
		    r->message[0] != '\0' ? 4 : 3, NULL);
	}
	nghttp2_nv nv[] = {
		NV(":status", "200"),
		NV("content-type", "application/grpc"),
	};
	st->outlen = r->len + 5;
	st->out = xmalloc(st->outlen);
	st->out[0] = 0;
	st->out[1] = (uint8_t)(r->len >> 24);
	st->out[2] = (uint8_t)(r->len >> 16);
	st->out[3] = (uint8_t)(r->len >> 8);
	st->out[4] = (uint8_t)r->len;
	if (r->len > 0)
		memcpy(st->out + 5, r->msg, r->len);
	dp.source.ptr = st;
	dp.read_callback = peer_read_data;
	return nghttp2_submit_response(s, sid, nv, 2, &dp);
}

/*
 * A request has ended: record it, and answer with the script's next step
 * if it is the call expected there; anything else is off the script,
 * answered UNIMPLEMENTED, and the script waits.
 */
static int
peer_request(nghttp2_session *s, int32_t sid, struct peer *p)
{
	struct shared	*sh = p->f->sh;
	struct pstream	*st = nghttp2_session_get_stream_user_data(s, sid);
	const struct step *step = NULL;
	struct reply	 off;
	struct rec	*r;
	const char	*m;

	if (st == NULL || sh->n == RECS_MAX)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	r = &sh->recs[sh->n];
	memset(r, 0, sizeof(*r));
	r->pass = sh->pass;
	r->attempt = ANY_ATTEMPT;
	m = strrchr(st->path, '/');
	snprintf(r->method, sizeof(r->method), "%s", m != NULL ? m + 1 :
	    st->path);
	if (st->len >= 5)
		decode_request(r, st->body + 5, st->len - 5);
	if (sh->next < p->f->sc.n &&
	    strcmp(p->f->sc.steps[sh->next].method, r->method) == 0)
		step = &p->f->sc.steps[sh->next++];
	r->off_script = step == NULL;
	sh->n++;
	if (step != NULL)
		return peer_reply(s, sid, st, &step->r);
	off = error_reply(CRI_UNIMPLEMENTED, "replay: not the scripted call");
	return peer_reply(s, sid, st, &off);
}

static int
peer_frame(nghttp2_session *s, const nghttp2_frame *fr, void *ud)
{
	if ((fr->hd.type == NGHTTP2_DATA || fr->hd.type == NGHTTP2_HEADERS) &&
	    (fr->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    nghttp2_session_get_stream_user_data(s, fr->hd.stream_id) != NULL)
		return peer_request(s, fr->hd.stream_id, ud);
	return 0;
}

static void
peer_serve(struct peer *p)
{
	nghttp2_session_callbacks	*cb;
	nghttp2_session			*s;
	uint8_t				 buf[PEER_READ];
	ssize_t				 n;

	if (nghttp2_session_callbacks_new(&cb) != 0)
		_exit(1);
	nghttp2_session_callbacks_set_send_callback(cb, peer_send);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
	    peer_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, peer_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
	    peer_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, peer_frame);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, peer_close);
	if (nghttp2_session_server_new(&s, cb, p) != 0 ||
	    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0) != 0)
		_exit(1);
	nghttp2_session_callbacks_del(cb);
	for (;;) {
		if (nghttp2_session_send(s) != 0)
			break;
		if ((n = read(p->fd, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n <= 0 || nghttp2_session_mem_recv(s, buf, (size_t)n) < 0)
			break;
	}
	nghttp2_session_del(s);
	close(p->fd);
}

static int
listen_on(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 4) == -1)
		return -1;
	return fd;
}

/* Listens before the fork, so the agent's first call finds the socket. */
static void
peer_start(struct fixture *f)
{
	struct peer	p;
	int		lfd;

	if ((lfd = listen_on(f->sock)) == -1) {
		printf("Bail out! %s: %s\n", f->sock, strerror(errno));
		exit(1);
	}
	fflush(stdout);
	if ((f->peer = fork()) == -1) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(1);
	}
	if (f->peer == 0) {
		p.f = f;
		/* one connection at a time, as the agent keeps one */
		while ((p.fd = accept(lfd, NULL, NULL)) != -1)
			peer_serve(&p);
		_exit(0);
	}
	close(lfd);
}

/* ---- the agent ---- */

static Spd__Pod *
pod(const struct pod_opts *o)
{
	static Spd__Pod			p;
	static Spd__ObjectMeta		m;
	static Spd__PodSpec		s;
	static Spd__Container		c, *cs[1];

	spd__pod__init(&p);
	spd__object_meta__init(&m);
	spd__pod_spec__init(&s);
	spd__container__init(&c);
	p.apiversion = "v1";
	p.kind = "Pod";
	p.metadata = &m;
	p.spec = &s;
	m.name = "web-node1";
	m.namespace_ = "default";
	s.hostnetwork = o->host_network;
	s.has_hostnetwork = 1;
	s.restartpolicy = (char *)(uintptr_t)(o->restart_policy != NULL ?
	    o->restart_policy : "Always");
	s.has_terminationgraceperiodseconds = 1;
	s.terminationgraceperiodseconds = 30;
	s.has_hostusers = o->host_users >= 0;
	s.hostusers = o->host_users == 1;
	s.has_activedeadlineseconds = o->active_deadline_s > 0;
	s.activedeadlineseconds = o->active_deadline_s;
	c.name = "web";
	c.image = TEST_IMAGE;
	c.imagepullpolicy = (char *)(uintptr_t)(o->pull_policy != NULL ?
	    o->pull_policy : "IfNotPresent");
	c.terminationmessagepath = "/dev/termination-log";
	c.terminationmessagepolicy = "File";
	cs[0] = &c;
	s.containers = cs;
	s.n_containers = 1;
	return &p;
}

static char *
sub(struct fixture *f, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", f->dir, name) == -1 ||
	    (mkdir_p(p, 0755) == -1)) {
		printf("Bail out! %s/%s: %s\n", f->dir, name, strerror(errno));
		exit(1);
	}
	return p;
}

/* A runtime's agent as daemon.c leaves it, without the fetchers. */
static void
fixture_begin(struct fixture *f, const char *name, const struct pod_opts *o)
{
	static uint8_t	 canon[4096];
	Spd__Pod	*p = pod(o);
	uint8_t		 sha[32];
	char		 endpoint[128];
	size_t		 len;

	memset(f, 0, sizeof(*f));
	f->name = name;
	snprintf(f->dir, sizeof(f->dir), "%s/%s", tmpdir, name);
	snprintf(f->sock, sizeof(f->sock), "%s/%s.sock", tmpdir, name);
	if ((f->sh = mmap(NULL, sizeof(*f->sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		exit(1);
	}
	memset(f->sh, 0, sizeof(*f->sh));
	spw__config__init(&f->a.cfg);
	snprintf(endpoint, sizeof(endpoint), "unix://%s", f->sock);
	f->a.cfg.containerruntimeendpoint = strdup(endpoint);
	f->a.cfg.podlogsdir = sub(f, "log/pods");
	f->a.cfg.statedir = sub(f, "state");
	f->a.cfg.rundir = sub(f, "run");
	f->a.cfg.staticpodpath = sub(f, "manifests");
	f->a.cfg.cgroupdriver = "cgroupfs";	/* the config's default */
	f->a.cfg.has_containerlogmaxbytes = 1;
	f->a.cfg.containerlogmaxbytes = 10 * 1024 * 1024;
	f->a.cfg.has_containerlogmaxfiles = 1;
	f->a.cfg.containerlogmaxfiles = 5;
	free(sub(f, "log/containers"));
	f->a.node_name = "node1";
	f->a.dirfd = -1;
	f->a.chan[CHAN_DIR].ready = true;	/* its first view is in */
	snprintf(f->a.host_ip, sizeof(f->a.host_ip), "192.0.2.10");
	snprintf(f->a.manifest_dir, sizeof(f->a.manifest_dir), "%s",
	    f->a.cfg.staticpodpath);
	reconcile_init(&f->a);
	len = spd__pod__get_packed_size(p);
	if (len > sizeof(canon))
		abort();
	spd__pod__pack(p, canon);
	memset(sha, 0x5a, sizeof(sha));
	desired_upsert(&f->a, CHAN_DIR, "web.yaml", p, canon, len,
	    o->uid != NULL ? o->uid : TEST_UID, sha, true);
}

static void
pass(struct fixture *f)
{
	f->sh->pass = ++f->pass;
	reconcile_tick(&f->a);
}

static void
agent_free(struct agent *a)
{
	struct reconciler	*rc = a->rc;
	size_t			 i;

	for (i = 0; i < rc->npods; i++) {
		free(rc->pods[i].ctrs);
		free(rc->pods[i].full_name);
		spd__pod__free_unpacked(rc->pods[i].pod, NULL);
	}
	free(rc->pods);
	free(rc->last_status);
	free(rc->last_metrics);
	cri_close(rc->cri);
	free(rc);
	close(a->tickfd);
	desired_free(&a->desired);
	if (a->policy != NULL) {
		policy_free(a->policy);
		free(a->policy);
	}
	free(a->cfg.containerruntimeendpoint);
	free(a->cfg.podlogsdir);
	free(a->cfg.statedir);
	free(a->cfg.rundir);
	free(a->cfg.staticpodpath);
}

static void
show_calls(const struct fixture *f)
{
	const struct rec	*r;
	char			 att[32];
	size_t			 i;

	for (i = 0; i < f->sh->n; i++) {
		r = &f->sh->recs[i];
		att[0] = '\0';
		if (r->attempt != ANY_ATTEMPT)
			snprintf(att, sizeof(att), " attempt %d", r->attempt);
		diag("  pass %d: %s%s%s%s%s%s%s", r->pass, r->method,
		    r->id[0] != '\0' ? " id " : "", r->id,
		    r->cgroup_parent[0] != '\0' ? " cgroup_parent " : "",
		    r->cgroup_parent, att,
		    r->off_script ? " (off the script)" : "");
	}
}

/* Every scripted call came, in order, with the fields it must carry. */
static void
check_script(struct fixture *f)
{
	const struct step	*s;
	const struct rec	*r;
	char			 why[512] = "";
	size_t			 i, j = 0;

	for (i = 0; i < f->sh->n && why[0] == '\0'; i++) {
		r = &f->sh->recs[i];
		if (r->off_script) {
			snprintf(why, sizeof(why), "call %zu, %s, is off the "
			    "script (expected %s)", i + 1, r->method,
			    j < f->sc.n ? f->sc.steps[j].method : "nothing");
			break;
		}
		s = &f->sc.steps[j++];
		if (s->want_id != NULL && strcmp(s->want_id, r->id) != 0)
			snprintf(why, sizeof(why), "call %zu, %s: ID %s, not "
			    "%s", i + 1, r->method, r->id, s->want_id);
		else if (s->want_attempt != ANY_ATTEMPT &&
		    s->want_attempt != r->attempt)
			snprintf(why, sizeof(why), "call %zu, %s: attempt %d, "
			    "not %d", i + 1, r->method, r->attempt,
			    s->want_attempt);
	}
	if (why[0] == '\0' && j < f->sc.n)
		snprintf(why, sizeof(why), "%zu scripted calls never came, "
		    "from %s", f->sc.n - j, f->sc.steps[j].method);
	ok(why[0] == '\0', "%s: the calls and requests are as scripted",
	    f->name);
	if (why[0] != '\0') {
		diag("%s", why);
		show_calls(f);
	}
}

static void
fixture_end(struct fixture *f)
{
	size_t i;

	check_script(f);
	agent_free(&f->a);
	(void)kill(f->peer, SIGTERM);
	(void)waitpid(f->peer, NULL, 0);
	(void)unlink(f->sock);
	for (i = 0; i < f->sc.n; i++)
		free(f->sc.steps[i].r.msg);
	munmap(f->sh, sizeof(*f->sh));
}

/* The nth (from 0) call of a method, in a pass (0: any). */
static const struct rec *
call_of(const struct fixture *f, const char *method, int pass, int nth)
{
	size_t i;

	for (i = 0; i < f->sh->n; i++)
		if (strcmp(f->sh->recs[i].method, method) == 0 &&
		    (pass == 0 || f->sh->recs[i].pass == pass) && nth-- == 0)
			return &f->sh->recs[i];
	return NULL;
}

static int
calls_of(const struct fixture *f, const char *method, int pass)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < f->sh->n; i++)
		n += strcmp(f->sh->recs[i].method, method) == 0 &&
		    (pass == 0 || f->sh->recs[i].pass == pass);
	return n;
}

/* status.json as the last pass wrote it. */
static const char *
status_json(struct fixture *f)
{
	static char	buf[65536];
	char		path[PATH_MAX];
	size_t		n;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/status.json", f->a.cfg.rundir);
	buf[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The pod's record, or an empty one (no sandbox, no containers). */
static const struct pod_rt *
pod_rt(const struct fixture *f)
{
	static struct ctr_rt	none_ctr = { .state = -1 };
	static struct pod_rt	none = { .ctrs = &none_ctr };

	return f->a.rc->npods > 0 ? &f->a.rc->pods[0] : &none;
}

/* Time passes: every back-off of the pod and its containers is over. */
static void
backoffs_over(struct fixture *f)
{
	struct pod_rt	*rt;
	size_t		 i;

	if (f->a.rc->npods == 0)
		return;
	rt = &f->a.rc->pods[0];
	rt->retry_at_ms = 0;
	for (i = 0; i < rt->nctrs; i++)
		rt->ctrs[i].retry_at_ms = 0;
}

/* ---- the cases ---- */

/*
 * CRI-O's "name is reserved": the first create of that name finished
 * meanwhile, so the next list shows it READY with attempt 0. It is
 * adopted; no second RunPodSandbox, least of all with attempt 1.
 */
static void
test_crio_name_reserved_adopts_the_listed_sandbox(void)
{
	struct pod_opts		 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture		 f;
	const struct rec	*cc;

	fixture_begin(&f, "crio_name_reserved", &o);
	expect_crio_ready(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, crio_name_reserved("the requested sandbox "
	    "k8s_web-node1_default_" TEST_UID "_0 is now ready and will be "
	    "provided to the kubelet on next retry"));
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), no_containers());
	expect_start(&f, SB_ID, 0, CT_ID);
	peer_start(&f);
	pass(&f);
	ok(calls_of(&f, "CreateContainer", 1) == 0 &&
	    calls_of(&f, "ImageStatus", 1) == 0 &&
	    strstr(pod_rt(&f)->error, "name is reserved") != NULL,
	    "crio_name_reserved: no container that pass, the pod shows the "
	    "error");
	pass(&f);
	ok(calls_of(&f, "RunPodSandbox", 0) == 1,
	    "crio_name_reserved: the listed sandbox is adopted, not made "
	    "again (%d RunPodSandbox calls)", calls_of(&f, "RunPodSandbox", 0));
	cc = call_of(&f, "CreateContainer", 2, 0);
	ok(cc != NULL && strcmp(cc->sandbox, SB_ID) == 0,
	    "crio_name_reserved: the container goes to the adopted sandbox");
	ok(pod_rt(&f)->attempt == 0 && strcmp(pod_rt(&f)->sandbox_id,
	    SB_ID) == 0 && pod_rt(&f)->error[0] == '\0',
	    "crio_name_reserved: the pod holds sandbox attempt 0, no error");
	fixture_end(&f);
}

/* The sandbox ID at the end of containerd's message: is reserved for "ID". */
static void
reserved_for(const struct reply *r, char *id, size_t len)
{
	const char	*p = strstr(r->message, "is reserved for \"");
	const char	*q;

	id[0] = '\0';
	if (p == NULL)
		return;
	p += strlen("is reserved for \"");
	if ((q = strchr(p, '"')) != NULL)
		snprintf(id, len, "%.*s", (int)(q - p), p);
}

/* containerd says which sandbox holds the name; the list shows it. */
static void
test_containerd_name_reserved_adopts_the_holder(void)
{
	struct pod_opts		 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture		 f;
	struct reply		 rr;
	const struct rec	*run;
	char			 holder[ID_MAX];

	fixture_begin(&f, "containerd_name_reserved", &o);
	rr = recorded("containerd-run-pod-sandbox-name-reserved.bin");
	reserved_for(&rr, holder, sizeof(holder));
	ok(rr.status == CRI_UNKNOWN && holder[0] != '\0',
	    "containerd_name_reserved: the recording is UNKNOWN, \"failed to "
	    "reserve sandbox name\", and names the holder");
	expect_containerd_ready(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, rr);
	expect_lists(&f, recorded("containerd-list-pod-sandbox-ready.bin"),
	    no_containers());
	expect_start(&f, holder, 0, CT_ID);
	peer_start(&f);
	pass(&f);
	pass(&f);
	ok(calls_of(&f, "RunPodSandbox", 0) == 1 &&
	    strcmp(pod_rt(&f)->sandbox_id, holder) == 0,
	    "containerd_name_reserved: the holder is adopted, no second "
	    "RunPodSandbox");
	run = call_of(&f, "RunPodSandbox", 1, 0);
	ok(run != NULL && strcmp(run->cgroup_parent,
	    "/staticpodd/pod" TEST_UID) == 0,
	    "containerd_16_has_no_runtime_config: the configured cgroupfs "
	    "driver stays (%s)", run != NULL ? run->cgroup_parent : "no call");
	fixture_end(&f);
}

/*
 * CRI-O lists no sandbox whose create is still under way (it keeps it
 * aside until a retry of the same name takes it, server/utils.go), so a
 * retry finds the list empty: it must ask for attempt 0 again, and gets
 * the sandbox when it is done.
 */
static void
test_crio_retry_in_progress_keeps_the_attempt(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;
	int		 i, bumped = 0;

	fixture_begin(&f, "crio_retry_in_progress", &o);
	expect_crio_ready(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	/* the agent's own deadline passed; grpc-go's text for it */
	expect_run(&f, 0, error_reply(CRI_DEADLINE_EXCEEDED,
	    "context deadline exceeded"));
	expect_lists(&f, no_sandboxes(), no_containers());	/* backing off */
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, crio_name_reserved("context deadline exceeded"));
	expect_lists(&f, no_sandboxes(), no_containers());
	/* "Found sandbox ... in resource cache; using it" */
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect_start(&f, SB_ID, 0, CT_ID);
	peer_start(&f);
	pass(&f);
	/* a failed sandbox waits out its back-off: no call at all */
	pass(&f);
	ok(calls_of(&f, "RunPodSandbox", 0) == 1 &&
	    pod_rt(&f)->retry_at_ms > 0,
	    "crio_retry_in_progress: no retry before the back-off is over");
	for (i = 0; i < 2; i++) {
		backoffs_over(&f);
		pass(&f);
	}
	for (i = 0; call_of(&f, "RunPodSandbox", 0, i) != NULL; i++)
		bumped += call_of(&f, "RunPodSandbox", 0, i)->attempt != 0;
	ok(i == 3 && bumped == 0,
	    "crio_retry_in_progress: every retry asks for attempt 0 (%d of %d "
	    "did not)", bumped, i);
	fixture_end(&f);
}

/* An absent image is an empty ImageStatus reply: pull it, use its ref. */
static void
test_absent_image_is_pulled(void)
{
	struct pod_opts		 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture		 f;
	const struct rec	*cc, *pi;
	struct step		*s;

	fixture_begin(&f, "absent_image_pulled", &o);
	expect_containerd_ready(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect(&f, "ImageStatus", recorded("containerd-image-status-absent.bin"));
	expect(&f, "PullImage", pulled());
	s = expect(&f, "CreateContainer", container_made(CT_ID));
	s->want_id = SB_ID;
	expect(&f, "StartContainer", empty_ok())->want_id = CT_ID;
	peer_start(&f);
	pass(&f);
	pi = call_of(&f, "PullImage", 1, 0);
	cc = call_of(&f, "CreateContainer", 1, 0);
	ok(pi != NULL && strcmp(pi->image, TEST_IMAGE) == 0 && cc != NULL &&
	    strcmp(cc->image, PULLED_REF) == 0,
	    "absent_image_pulled: the pull's image_ref is what the container "
	    "is made from (%s)", cc != NULL ? cc->image : "no CreateContainer");
	fixture_end(&f);
}

/* imagePullPolicy Never with the image absent: ErrImageNeverPull. */
static void
test_absent_image_never_pulled(void)
{
	struct pod_opts	 o = { true, "Never", NULL, NULL, 0, -1 };
	struct fixture	 f;

	fixture_begin(&f, "absent_image_never", &o);
	expect_crio_ready(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect(&f, "ImageStatus", crio_image_absent());
	peer_start(&f);
	pass(&f);
	ok(calls_of(&f, "PullImage", 0) == 0 &&
	    calls_of(&f, "CreateContainer", 0) == 0 &&
	    strstr(status_json(&f), "ErrImageNeverPull") != NULL,
	    "absent_image_never: no pull, no container, the pod shows "
	    "ErrImageNeverPull");
	fixture_end(&f);
}

/*
 * PodSandboxStatus of a sandbox that vanished after the list is NOT_FOUND
 * (CRI-O's text, or containerd's recorded). The pod makes nothing in it;
 * the next pass lists it gone and makes a sandbox anew.
 */
static void
sandbox_vanished(const char *name, bool crio)
{
	struct pod_opts	 o = { false, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;

	fixture_begin(&f, name, &o);
	if (crio)
		expect_crio_ready(&f);
	else
		expect_containerd_ready(&f);
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), no_containers());
	expect(&f, "PodSandboxStatus", crio ? crio_pod_not_found(SB_ID) :
	    recorded("containerd-pod-sandbox-status-not-found.bin"))->want_id =
	    SB_ID;
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID2));
	expect(&f, "PodSandboxStatus", sandbox_ip(SB_ID2, "10.88.0.7"))->
	    want_id = SB_ID2;
	expect_start(&f, SB_ID2, 0, CT_ID);
	peer_start(&f);
	pass(&f);
	ok(calls_of(&f, "CreateContainer", 1) == 0 &&
	    calls_of(&f, "ImageStatus", 1) == 0,
	    "%s: nothing is made in a sandbox its status calls NOT_FOUND",
	    name);
	pass(&f);
	ok(strcmp(pod_rt(&f)->sandbox_id, SB_ID2) == 0 &&
	    strcmp(pod_rt(&f)->pod_ip, "10.88.0.7") == 0 &&
	    pod_rt(&f)->error[0] == '\0',
	    "%s: the next pass runs in a new sandbox (%.12s, ip %s)", name,
	    pod_rt(&f)->sandbox_id, pod_rt(&f)->pod_ip);
	fixture_end(&f);
}

/*
 * CRI-O: ContainerStatus of an exited container that vanished is
 * NOT_FOUND; with restartPolicy Always the container is made again, the
 * next attempt, in the same sandbox.
 */
static void
test_crio_container_status_not_found_restarts(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;

	fixture_begin(&f, "crio_container_vanished", &o);
	expect_crio_ready(&f);
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED));
	expect(&f, "ContainerStatus", crio_container_not_found(CT_ID))->
	    want_id = CT_ID;
	expect_start(&f, SB_ID, 1, CT_ID2);
	peer_start(&f);
	pass(&f);
	ok(pod_rt(&f)->error[0] == '\0' && pod_rt(&f)->ctrs[0].state ==
	    RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING,
	    "crio_container_vanished: restarted, no error (%s)",
	    pod_rt(&f)->error);
	fixture_end(&f);
}

/*
 * A pod replaced by a new version (same name, new UID): its old sandbox
 * and running container are stopped and removed. CRI-O answers OK for IDs
 * it no longer knows (server/container_stop.go, container_remove.go,
 * sandbox_stop.go, sandbox_remove.go); containerd (recorded) answers
 * NOT_FOUND to the stops and OK to the removes. Either way the new pod
 * starts in the same pass.
 */
static void
replaced_pod(const char *name, bool crio)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;
	char		 logdir[PATH_MAX], logfile[PATH_MAX + 16];
	char		 link[PATH_MAX + 128], tmp[PATH_MAX + 16];

	fixture_begin(&f, name, &o);
	if (crio)
		expect_crio_ready(&f);
	else
		expect_containerd_ready(&f);
	expect(&f, "ListPodSandbox", sandboxes(SB_ID, OLD_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY));
	expect(&f, "ListContainers", pod_containers(CT_ID, SB_ID, OLD_UID, 0,
	    RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING));
	expect(&f, "StopContainer", crio ? empty_ok() :
	    recorded("containerd-stop-container-not-found.bin"))->want_id =
	    CT_ID;
	expect(&f, "StopPodSandbox", crio ? empty_ok() :
	    recorded("containerd-stop-pod-sandbox-not-found.bin"))->want_id =
	    SB_ID;
	expect(&f, "RemoveContainer", crio ? empty_ok() :
	    recorded("containerd-remove-container-unknown.bin"))->want_id =
	    CT_ID;
	expect(&f, "RemovePodSandbox", crio ? empty_ok() :
	    recorded("containerd-remove-pod-sandbox-unknown.bin"))->want_id =
	    SB_ID;
	expect(&f, "ListPodSandbox", no_sandboxes());
	expect(&f, "ListContainers", no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID2));
	expect_start(&f, SB_ID2, 0, CT_ID2);
	snprintf(logdir, sizeof(logdir), "%s/default_web-node1_%s",
	    f.a.cfg.podlogsdir, OLD_UID);
	snprintf(logfile, sizeof(logfile), "%s/web/0.log", logdir);
	snprintf(link, sizeof(link), "%s/log/containers/"
	    "web-node1_default_web-%s.log", f.dir, CT_ID);
	free(sub(&f, "log/pods/keep"));	/* no pod's: left alone */
	snprintf(tmp, sizeof(tmp), "%s/web", logdir);
	if (mkdir_p(tmp, 0755) == -1 ||
	    close(open(logfile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    symlink(logfile, link) == -1)
		diag("setting up the old pod's logs: %s", strerror(errno));
	peer_start(&f);
	pass(&f);
	ok(pod_rt(&f)->error[0] == '\0' &&
	    strcmp(pod_rt(&f)->sandbox_id, SB_ID2) == 0,
	    "%s: unknown IDs in stops and removes do not stall the new pod",
	    name);
	snprintf(tmp, sizeof(tmp), "%s/keep", f.a.cfg.podlogsdir);
	ok(access(logdir, F_OK) == -1 && errno == ENOENT &&
	    access(link, F_OK) == -1 && access(tmp, F_OK) == 0,
	    "%s: the old pod's log directory and link go with it, nothing "
	    "else", name);
	fixture_end(&f);
}

/*
 * CRI-O under systemd: RuntimeConfig says SYSTEMD, so the sandbox's
 * cgroup parent is a slice (internal/config/cgmgr/systemd_linux.go
 * refuses anything else) even where the config kept the default cgroupfs.
 */
static void
test_crio_systemd_driver_gives_a_slice(void)
{
	struct pod_opts		 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture		 f;
	const struct rec	*run;

	fixture_begin(&f, "crio_systemd_driver", &o);
	expect_crio_ready(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect_start(&f, SB_ID, 0, CT_ID);
	peer_start(&f);
	pass(&f);
	run = call_of(&f, "RunPodSandbox", 1, 0);
	ok(strstr(f.a.rc->runtime, "cri-o 1.37.0") != NULL,
	    "crio_systemd_driver: the runtime is known as cri-o (%s)",
	    f.a.rc->runtime);
	ok(run != NULL && strlen(run->cgroup_parent) > 6 &&
	    strcmp(run->cgroup_parent + strlen(run->cgroup_parent) - 6,
	    ".slice") == 0, "crio_systemd_driver: the cgroup parent is a "
	    "slice (%s)", run != NULL ? run->cgroup_parent : "no call");
	fixture_end(&f);
}

/*
 * After a reboot the sandbox is NOTREADY and its container exited: both
 * are removed and the pod is made anew with the next attempt.
 */
static void
test_notready_sandbox_made_anew_with_next_attempt(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;

	fixture_begin(&f, "notready_after_reboot", &o);
	expect_crio_ready(&f);
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED));
	expect(&f, "StopPodSandbox", empty_ok())->want_id = SB_ID;
	expect(&f, "RemoveContainer", empty_ok())->want_id = CT_ID;
	expect(&f, "RemovePodSandbox", empty_ok())->want_id = SB_ID;
	expect_run(&f, 1, sandbox_made(SB_ID2));
	expect_start(&f, SB_ID2, 0, CT_ID2);
	peer_start(&f);
	pass(&f);
	ok(pod_rt(&f)->attempt == 1 && strcmp(pod_rt(&f)->sandbox_id, SB_ID2)
	    == 0, "notready_after_reboot: the new sandbox is attempt 1");
	fixture_end(&f);
}

/*
 * activeDeadlineSeconds counts from the pod's start, on the wall clock the
 * CRI's created_at is on: an adopted sandbox made long ago is past it at
 * once, and its running container is stopped.
 */
static void
test_deadline_counts_from_an_adopted_sandboxs_start(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 60, -1 };
	struct fixture	 f;

	fixture_begin(&f, "deadline_of_an_adopted_pod", &o);
	expect_crio_ready(&f);
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING));
	expect(&f, "StopContainer", empty_ok())->want_id = CT_ID;
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED));
	peer_start(&f);
	pass(&f);
	pass(&f);
	ok(pod_rt(&f)->phase == PHASE_FAILED && strstr(pod_rt(&f)->error,
	    "DeadlineExceeded") != NULL && calls_of(&f, "StopContainer", 0) == 1,
	    "deadline_of_an_adopted_pod: failed and stopped once (%s)",
	    pod_rt(&f)->error);
	fixture_end(&f);
}

/*
 * A container the runtime made and could not start is removed, not left
 * CREATED, and is made again only after the back-off: no call in between.
 */
static void
test_a_failed_start_is_removed_and_retried_after_the_back_off(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;
	struct step	*s;

	fixture_begin(&f, "failed_start_backs_off", &o);
	expect_crio_ready(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect(&f, "ImageStatus", image_present());
	s = expect(&f, "CreateContainer", container_made(CT_ID));
	s->want_id = SB_ID;
	expect(&f, "StartContainer", error_reply(CRI_UNKNOWN,
	    "failed to start container: exec: \"/bin/web\": no such file"))->
	    want_id = CT_ID;
	expect(&f, "RemoveContainer", empty_ok())->want_id = CT_ID;
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), no_containers());
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), no_containers());
	expect_start(&f, SB_ID, 0, CT_ID2);
	peer_start(&f);
	pass(&f);
	pass(&f);
	ok(calls_of(&f, "CreateContainer", 2) == 0 &&
	    strstr(pod_rt(&f)->error, "no such file") != NULL,
	    "failed_start_backs_off: no new container before the back-off, "
	    "the error stays (%s)", pod_rt(&f)->error);
	backoffs_over(&f);
	pass(&f);
	ok(pod_rt(&f)->ctrs[0].state ==
	    RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING &&
	    pod_rt(&f)->error[0] == '\0',
	    "failed_start_backs_off: made and started after it (%s)",
	    pod_rt(&f)->error);
	fixture_end(&f);
}

/*
 * A container left CREATED (the agent stopped between create and start)
 * is removed and made anew with the next attempt, as the kubelet does.
 */
static void
test_a_container_left_created_is_made_anew(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;

	fixture_begin(&f, "left_created", &o);
	expect_crio_ready(&f);
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED));
	expect(&f, "RemoveContainer", empty_ok())->want_id = CT_ID;
	expect_start(&f, SB_ID, 1, CT_ID2);
	peer_start(&f);
	pass(&f);
	ok(strcmp(pod_rt(&f)->ctrs[0].id, CT_ID2) == 0 &&
	    pod_rt(&f)->ctrs[0].attempt == 1,
	    "left_created: removed, and attempt 1 runs (%.12s)",
	    pod_rt(&f)->ctrs[0].id);
	fixture_end(&f);
}

/*
 * A bridge pod's sandbox made anew has a new address: the pod's IP (its
 * env, /etc/hosts, the status) is the new sandbox's, not the old one's.
 */
static void
test_a_new_sandbox_gives_the_pod_its_new_ip(void)
{
	struct pod_opts	 o = { false, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;

	fixture_begin(&f, "new_sandbox_new_ip", &o);
	expect_crio_ready(&f);
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING));
	expect(&f, "PodSandboxStatus", sandbox_ip(SB_ID, "10.88.0.5"))->
	    want_id = SB_ID;
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED));
	expect(&f, "StopPodSandbox", empty_ok())->want_id = SB_ID;
	expect(&f, "RemoveContainer", empty_ok())->want_id = CT_ID;
	expect(&f, "RemovePodSandbox", empty_ok())->want_id = SB_ID;
	expect_run(&f, 1, sandbox_made(SB_ID2));
	expect(&f, "PodSandboxStatus", sandbox_ip(SB_ID2, "10.88.0.9"))->
	    want_id = SB_ID2;
	expect_start(&f, SB_ID2, 0, CT_ID2);
	peer_start(&f);
	pass(&f);
	ok(strcmp(pod_rt(&f)->pod_ip, "10.88.0.5") == 0,
	    "new_sandbox_new_ip: the adopted sandbox's IP (%s)",
	    pod_rt(&f)->pod_ip);
	pass(&f);
	ok(strcmp(pod_rt(&f)->pod_ip, "10.88.0.9") == 0,
	    "new_sandbox_new_ip: the new sandbox's IP (%s)", pod_rt(&f)->pod_ip);
	fixture_end(&f);
}

/*
 * Volumes no removal accounted for (a pod gone while the agent was away)
 * are swept once every source has given its view; the wanted pod's stay,
 * and so does anything in the directory that is not a pod UID.
 */
static void
test_leftover_volumes_are_swept(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;
	char		 gone[PATH_MAX], kept[PATH_MAX], other[PATH_MAX];

	fixture_begin(&f, "leftover_volumes", &o);
	expect_crio_ready(&f);
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING));
	snprintf(gone, sizeof(gone), "%s/pods/%s/volumes/cache",
	    f.a.cfg.statedir, OLD_UID);
	snprintf(kept, sizeof(kept), "%s/pods/%s/volumes/www",
	    f.a.cfg.statedir, TEST_UID);
	snprintf(other, sizeof(other), "%s/pods/lost+found", f.a.cfg.statedir);
	if (mkdir_p(gone, 0755) == -1 || mkdir_p(kept, 0755) == -1 ||
	    mkdir_p(other, 0755) == -1)
		diag("setting up the volumes: %s", strerror(errno));
	snprintf(gone, sizeof(gone), "%s/pods/%s", f.a.cfg.statedir, OLD_UID);
	peer_start(&f);
	pass(&f);
	ok(access(gone, F_OK) == -1 && access(kept, F_OK) == 0 &&
	    access(other, F_OK) == 0,
	    "leftover_volumes: the gone pod's are removed, nothing else");
	fixture_end(&f);
}

/*
 * hostUsers: false on a runtime with user namespaces: the sandbox and its
 * container get the pod's own range (never the host's IDs), the same
 * range, one no other pod's directory holds; it is written for the
 * containers an agent restarted later makes in the adopted sandbox.
 */
static void
test_host_users_false_gets_its_own_range(void)
{
	struct pod_opts		 o = { true, NULL, NULL, NULL, 0, 0 };
	struct fixture		 f;
	const struct rec	*run, *cc;
	char			 path[PATH_MAX + 16], other[PATH_MAX];
	FILE			*fp;

	fixture_begin(&f, "userns_own_range", &o);
	/* a source still to give its view: the other pod's is not swept */
	f.a.chan[CHAN_DIR].ready = false;
	/* another pod holds the first range already */
	snprintf(other, sizeof(other), "%s/pods/%s", f.a.cfg.statedir,
	    OLD_UID);
	snprintf(path, sizeof(path), "%s/userns", other);
	if (mkdir_p(other, 0711) == -1 || (fp = fopen(path, "w")) == NULL ||
	    fprintf(fp, "%d\n", USERNS_FIRST) < 0 || fclose(fp) != 0)
		diag("setting up the other pod's range: %s", strerror(errno));
	expect_crio_ready_with_userns(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect_start(&f, SB_ID, 0, CT_ID);
	peer_start(&f);
	pass(&f);
	run = call_of(&f, "RunPodSandbox", 1, 0);
	cc = call_of(&f, "CreateContainer", 1, 0);
	ok(run != NULL && run->userns_mode == RUNTIME__V1__NAMESPACE_MODE__POD &&
	    run->userns_uid_host == USERNS_FIRST + USERNS_LENGTH &&
	    run->userns_gid_host == run->userns_uid_host &&
	    run->userns_len == USERNS_LENGTH,
	    "userns_own_range: the sandbox maps 0 to the next free range "
	    "(%u, %u)", run != NULL ? run->userns_uid_host : 0,
	    run != NULL ? run->userns_len : 0);
	ok(cc != NULL && cc->userns_mode == RUNTIME__V1__NAMESPACE_MODE__POD &&
	    cc->userns_uid_host == USERNS_FIRST + USERNS_LENGTH,
	    "userns_own_range: its container has the same range");
	snprintf(path, sizeof(path), "%s/pods/%s/userns", f.a.cfg.statedir,
	    TEST_UID);
	ok(access(path, F_OK) == 0,
	    "userns_own_range: the range is written in the pod's directory");
	fixture_end(&f);
}

/*
 * An adopted sandbox whose range is not written (the state directory
 * lost) gets no container: one with another range would not be the
 * isolation its sandbox has.
 */
static void
test_host_users_false_without_its_range_makes_nothing(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, 0 };
	struct fixture	 f;

	fixture_begin(&f, "userns_range_lost", &o);
	expect_crio_ready_with_userns(&f);
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), no_containers());
	peer_start(&f);
	pass(&f);
	ok(calls_of(&f, "CreateContainer", 0) == 0 &&
	    strstr(pod_rt(&f)->error, "user namespace: the range of the pod's "
	    "sandbox is not in") != NULL,
	    "userns_range_lost: no container, and the pod says why (%s)",
	    pod_rt(&f)->error);
	fixture_end(&f);
}

/* A pod that does not ask for one is said to use the node's. */
static void
test_host_users_unset_is_the_nodes(void)
{
	struct pod_opts		 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture		 f;
	const struct rec	*run;

	fixture_begin(&f, "userns_node", &o);
	expect_crio_ready_with_userns(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect_start(&f, SB_ID, 0, CT_ID);
	peer_start(&f);
	pass(&f);
	run = call_of(&f, "RunPodSandbox", 1, 0);
	ok(run != NULL && run->userns_mode == RUNTIME__V1__NAMESPACE_MODE__NODE,
	    "userns_node: NODE is said explicitly (%d)",
	    run != NULL ? run->userns_mode : -2);
	fixture_end(&f);
}

/* hostUsers: false on a runtime without user namespaces: refused. */
static void
test_host_users_false_without_runtime_support_is_refused(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, 0 };
	struct fixture	 f;

	char		 path[PATH_MAX + 16], buf[4096];
	const char	*q;
	FILE		*fp;
	size_t		 n = 0;
	int		 records = 0;

	fixture_begin(&f, "userns_unsupported", &o);
	snprintf(path, sizeof(path), "%s/audit.log", f.dir);
	f.a.audit = audit_open(path);
	expect_containerd_ready(&f);
	expect_lists(&f, no_sandboxes(), no_containers());
	expect_lists(&f, no_sandboxes(), no_containers());
	peer_start(&f);
	pass(&f);
	backoffs_over(&f);
	pass(&f);
	ok(calls_of(&f, "RunPodSandbox", 0) == 0 &&
	    strstr(pod_rt(&f)->error, "hostUsers: false asks for a user "
	    "namespace, and the CRI runtime has none") != NULL,
	    "userns_unsupported: no sandbox, and the pod says why (%s)",
	    pod_rt(&f)->error);
	if ((fp = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	for (q = buf; (q = strstr(q, "\"decision\":\"refused\"")) != NULL;
	    q++)
		records++;
	buf[strcspn(buf, "\n")] = '\0';	/* the first record, on the line */
	ok(records == 1 && strstr(buf, "\"rule\":\"runtime\"") != NULL,
	    "userns_unsupported: refused in the audit log, once (%s)", buf);
	audit_close(f.a.audit);
	f.a.audit = NULL;
	fixture_end(&f);
}

/*
 * A sandbox without the ownership label (a kubelet's, listed by a runtime
 * that ignored the selector), even one of the same pod name: never
 * stopped or removed, and not taken for the pod's own.
 */
static void
test_a_sandbox_not_ours_is_never_touched(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;
	Runtime__V1__ListPodSandboxResponse r =
	    RUNTIME__V1__LIST_POD_SANDBOX_RESPONSE__INIT;
	Runtime__V1__PodSandbox		 sb = RUNTIME__V1__POD_SANDBOX__INIT;
	Runtime__V1__PodSandbox		*items[1] = { &sb };
	Runtime__V1__PodSandbox__LabelsEntry l[4], *lp[4];

	fixture_begin(&f, "not_ours", &o);
	sb.id = (char *)SB_ID2;
	sb.state = RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY;
	sandbox_labels(l, lp, "web-node1", OLD_UID);
	sb.labels = lp;
	sb.n_labels = 3;	/* name, namespace, UID: no ownership label */
	r.items = items;
	r.n_items = 1;
	expect_crio_ready(&f);
	expect_lists(&f, packed(&r.base), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect_start(&f, SB_ID, 0, CT_ID);
	peer_start(&f);
	pass(&f);
	ok(calls_of(&f, "StopPodSandbox", 0) == 0 &&
	    calls_of(&f, "RemovePodSandbox", 0) == 0 &&
	    strcmp(pod_rt(&f)->sandbox_id, SB_ID) == 0,
	    "not_ours: left alone; the pod runs in a sandbox of its own");
	fixture_end(&f);
}

/*
 * A pod no source wants any more is removed only once every source has
 * given its first complete view: until then a source not yet read (a
 * URL still being fetched after a restart) may want it yet.
 */
static void
test_removal_waits_for_every_source(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;

	fixture_begin(&f, "removal_waits", &o);
	f.a.chan[CHAN_DIR].ready = false;
	expect_crio_ready(&f);
	expect_lists(&f, named_sandboxes(SB_ID2, "gone-node1", OLD_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), no_containers());
	expect_run(&f, 0, sandbox_made(SB_ID));
	expect_start(&f, SB_ID, 0, CT_ID);
	expect_lists(&f, named_sandboxes(SB_ID2, "gone-node1", OLD_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), no_containers());
	expect(&f, "StopPodSandbox", empty_ok())->want_id = SB_ID2;
	expect(&f, "RemovePodSandbox", empty_ok())->want_id = SB_ID2;
	expect_lists(&f, sandboxes(SB_ID, TEST_UID, 0,
	    RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY), containers(CT_ID,
	    SB_ID, 0, RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING));
	peer_start(&f);
	pass(&f);
	ok(calls_of(&f, "StopPodSandbox", 1) == 0 &&
	    calls_of(&f, "RemovePodSandbox", 1) == 0,
	    "removal_waits: not while a source has not given its view");
	f.a.chan[CHAN_DIR].ready = true;
	pass(&f);
	ok(calls_of(&f, "RemovePodSandbox", 2) == 1,
	    "removal_waits: removed once every source has");
	fixture_end(&f);
}

/*
 * The crash back-off on a clock the test sets: the first restart at once,
 * then 10 s doubling to the 300 s cap, and back to at once after a run of
 * ten minutes.
 */
static void
test_crash_backoff_doubles_to_its_cap_and_resets(void)
{
	static const int64_t	 want[] = { 0, 10000, 20000, 40000, 80000,
				    160000, 300000, 300000 };
	struct ctr_rt		 cr;
	int64_t			 t = 1764355200000LL, left, waited[8];
	size_t			 i;
	bool			 same = true;

	memset(&cr, 0, sizeof(cr));
	for (i = 0; i < 8; i++) {
		/* it ran a second and exited; wait until it may go again */
		cr.started_ms = t;
		cr.finished_ms = t + 1000;
		t = cr.finished_ms;
		waited[i] = 0;
		while ((left = restart_backoff(&cr, t)) > 0) {
			waited[i] += left;
			t += left;
		}
		same = same && waited[i] == want[i];
	}
	ok(same, "crash_backoff: waits 0, 10, 20, 40, 80, 160, 300, 300 s "
	    "(%lld, %lld, ..., %lld)", (long long)waited[0],
	    (long long)waited[1], (long long)waited[7]);
	cr.started_ms = t;
	cr.finished_ms = t + BACKOFF_RESET_MS;
	t = cr.finished_ms;
	left = restart_backoff(&cr, t);
	ok(left == 0 && cr.backoff_ms == BACKOFF_FIRST_MS,
	    "crash_backoff: after ten minutes of running, at once again "
	    "(%lld left)", (long long)left);
}

/* RuntimeReady false: nothing is listed or made; the pod says why. */
static void
test_runtime_not_ready_does_nothing(void)
{
	struct pod_opts	 o = { true, NULL, NULL, NULL, 0, -1 };
	struct fixture	 f;
	const char	*st;

	fixture_begin(&f, "runtime_not_ready", &o);
	expect(&f, "Version", crio_version());
	expect(&f, "Status", status_reply(false, "RuntimeNotReady",
	    "runtime is starting"));
	expect(&f, "Version", crio_version());
	expect(&f, "Status", status_reply(false, "RuntimeNotReady",
	    "runtime is starting"));
	peer_start(&f);
	pass(&f);
	pass(&f);
	st = status_json(&f);
	ok(f.sh->n == 4 && strstr(st, "\"runtimeReady\":false") != NULL &&
	    strstr(st, "\"phase\":\"Pending\"") != NULL,
	    "runtime_not_ready: only Version and Status, each pass");
	ok(strstr(st, "\"error\":\"CRI runtime not ready: RuntimeNotReady: "
	    "runtime is starting\"") != NULL,
	    "runtime_not_ready: the pod shows the runtime's reason");
	if (strstr(st, "runtime is starting\"}") == NULL)
		diag("%s", st);
	fixture_end(&f);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		printf("Bail out! usage: test_reconcile DATADIR\n");
		return 1;
	}
	datadir = argv[1];
	signal(SIGPIPE, SIG_IGN);
	log_init("test_reconcile", 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/spd-rec.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_crio_name_reserved_adopts_the_listed_sandbox();
	test_containerd_name_reserved_adopts_the_holder();
	test_crio_retry_in_progress_keeps_the_attempt();
	test_absent_image_is_pulled();
	test_absent_image_never_pulled();
	sandbox_vanished("crio_sandbox_vanished", true);
	sandbox_vanished("containerd_sandbox_vanished", false);
	test_crio_container_status_not_found_restarts();
	replaced_pod("crio_unknown_ids_are_gone", true);
	replaced_pod("containerd_unknown_ids_are_gone", false);
	test_crio_systemd_driver_gives_a_slice();
	test_notready_sandbox_made_anew_with_next_attempt();
	test_runtime_not_ready_does_nothing();
	test_deadline_counts_from_an_adopted_sandboxs_start();
	test_a_failed_start_is_removed_and_retried_after_the_back_off();
	test_a_container_left_created_is_made_anew();
	test_a_new_sandbox_gives_the_pod_its_new_ip();
	test_leftover_volumes_are_swept();
	test_host_users_false_gets_its_own_range();
	test_host_users_false_without_its_range_makes_nothing();
	test_host_users_unset_is_the_nodes();
	test_host_users_false_without_runtime_support_is_refused();
	test_a_sandbox_not_ours_is_never_touched();
	test_removal_waits_for_every_source();
	test_crash_backoff_doubles_to_its_cap_and_resets();
	(void)nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("1..%d\n", ntest);
	return nfail > 0;
}
