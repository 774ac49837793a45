/*
 * The CRI client against a real containerd (CRI plugin, runc, CNI bridge)
 * and a real registry, both started by tests/integration/lib.sh; see
 * run_cri.sh. Every call goes through cri.h on one client, as the runtime
 * makes them. TAP on stdout; the per-call overhead is reported as "# "
 * lines.
 *
 * Environment: SPD_CRI_SOCKET, SPD_DIR, SPD_IMAGE, SPD_PULL_IMAGE (empty:
 * no registry), SPD_BRIDGE_OK, SPD_RESTART (a command restarting
 * containerd in place).
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cri.h"

#define TEST_ARENA	(4 * 1024 * 1024)
#define CALL_MS		30000	/* ordinary calls; RunPodSandbox takes ~100 ms */
#define BENCH_CALLS	200
#define LOG_WAIT_MS	10000
#define TEST_NS		"spd-integration"
#define LABEL_RUN	"staticpodd.test/run"

static int ntest, nfail;

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
	fflush(stdout);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? v : "";
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
call_init(struct cri_call *call, struct arena *a, int timeout_ms)
{
	memset(call, 0, sizeof(*call));
	call->timeout_ms = timeout_ms;
	call->arena = a;
}

/* Reports a failed call's error, and whether it failed. */
static int
failed(int rv, const struct cri_call *call)
{
	if (rv == 0)
		return 0;
	diag("%s: %s", cri_code_name(call->err.code), call->err.message);
	return 1;
}

static char *
xstrdup(struct arena *a, const char *s)
{
	char *p;

	if ((p = arena_strdup(a, s)) == NULL)
		abort();
	return p;
}

static void *
xalloc(struct arena *a, size_t n)
{
	void *p;

	if ((p = arena_alloc(a, n)) == NULL)
		abort();
	return p;
}

/* ---- building configs, everything in one arena ---- */

struct kv {
	const char *k, *v;
};

#define MAP_BUILDER(fn, T, init)					\
static T **								\
fn(struct arena *a, const struct kv *kv, size_t n)			\
{									\
	T	**pp = xalloc(a, n * sizeof(*pp));			\
	size_t	  i;							\
									\
	for (i = 0; i < n; i++) {					\
		pp[i] = xalloc(a, sizeof(**pp));			\
		init(pp[i]);						\
		pp[i]->key = xstrdup(a, kv[i].k);			\
		pp[i]->value = xstrdup(a, kv[i].v);			\
	}								\
	return pp;							\
}
MAP_BUILDER(sandbox_labels, Runtime__V1__PodSandboxConfig__LabelsEntry,
    runtime__v1__pod_sandbox_config__labels_entry__init)
MAP_BUILDER(container_labels, Runtime__V1__ContainerConfig__LabelsEntry,
    runtime__v1__container_config__labels_entry__init)

static Runtime__V1__SecurityProfile *
runtime_default_profile(struct arena *a)
{
	Runtime__V1__SecurityProfile *p = xalloc(a, sizeof(*p));

	/* sent even though it is the default: CRI-O reads absent as unconfined */
	runtime__v1__security_profile__init(p);
	p->profile_type =
	    RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault;
	return p;
}

static Runtime__V1__PodSandboxConfig *
sandbox_config(struct arena *a, const char *name, const char *run,
    int host_network)
{
	Runtime__V1__PodSandboxConfig		*c = xalloc(a, sizeof(*c));
	Runtime__V1__PodSandboxMetadata		*m = xalloc(a, sizeof(*m));
	Runtime__V1__LinuxPodSandboxConfig	*l = xalloc(a, sizeof(*l));
	Runtime__V1__LinuxSandboxSecurityContext *sc = xalloc(a, sizeof(*sc));
	Runtime__V1__NamespaceOption		*ns = xalloc(a, sizeof(*ns));
	Runtime__V1__PortMapping		*pm = xalloc(a, sizeof(*pm));
	char					 uid[128], logdir[512];
	const struct kv				 labels[] = {
		{ "io.kubernetes.pod.name", name },
		{ "io.kubernetes.pod.namespace", TEST_NS },
		{ "io.kubernetes.pod.uid", uid },
		{ LABEL_RUN, run },
	};

	snprintf(uid, sizeof(uid), "%s-%s-uid", run, name);
	snprintf(logdir, sizeof(logdir), "%s/logs/%s_%s_%s", env("SPD_DIR"),
	    TEST_NS, name, uid);
	runtime__v1__pod_sandbox_config__init(c);
	runtime__v1__pod_sandbox_metadata__init(m);
	runtime__v1__linux_pod_sandbox_config__init(l);
	runtime__v1__linux_sandbox_security_context__init(sc);
	runtime__v1__namespace_option__init(ns);
	runtime__v1__port_mapping__init(pm);
	m->name = xstrdup(a, name);
	m->uid = xstrdup(a, uid);
	m->namespace_ = xstrdup(a, TEST_NS);
	c->metadata = m;
	c->log_directory = xstrdup(a, logdir);
	c->labels = sandbox_labels(a, labels, 4);
	c->n_labels = 4;
	ns->network = host_network ? RUNTIME__V1__NAMESPACE_MODE__NODE :
	    RUNTIME__V1__NAMESPACE_MODE__POD;
	ns->pid = RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
	ns->ipc = RUNTIME__V1__NAMESPACE_MODE__POD;
	sc->namespace_options = ns;
	sc->seccomp = runtime_default_profile(a);
	l->security_context = sc;
	l->cgroup_parent = xstrdup(a, "");
	c->linux = l;
	if (!host_network) {
		/* runc cannot set a hostname without a private UTS namespace */
		c->hostname = xstrdup(a, name);
		/* host_port 0: declared, not published, as the kubelet sends */
		pm->protocol = RUNTIME__V1__PROTOCOL__TCP;
		pm->container_port = 80;
		c->port_mappings = xalloc(a, sizeof(*c->port_mappings));
		c->port_mappings[0] = pm;
		c->n_port_mappings = 1;
	}
	return c;
}

static Runtime__V1__ContainerConfig *
container_config(struct arena *a, const char *name, const char *run,
    const char *const *argv, size_t argc)
{
	Runtime__V1__ContainerConfig		*c = xalloc(a, sizeof(*c));
	Runtime__V1__ContainerMetadata		*m = xalloc(a, sizeof(*m));
	Runtime__V1__ImageSpec			*img = xalloc(a, sizeof(*img));
	Runtime__V1__KeyValue			*kv = xalloc(a, sizeof(*kv));
	Runtime__V1__LinuxContainerConfig	*l = xalloc(a, sizeof(*l));
	Runtime__V1__LinuxContainerSecurityContext *sc = xalloc(a, sizeof(*sc));
	Runtime__V1__LinuxContainerResources	*res = xalloc(a, sizeof(*res));
	Runtime__V1__Capability			*caps = xalloc(a, sizeof(*caps));
	char					 logpath[256];
	const struct kv				 labels[] = {
		{ "io.kubernetes.container.name", name },
		{ LABEL_RUN, run },
	};
	size_t					 i;

	snprintf(logpath, sizeof(logpath), "%s/0.log", name);
	runtime__v1__container_config__init(c);
	runtime__v1__container_metadata__init(m);
	runtime__v1__image_spec__init(img);
	runtime__v1__key_value__init(kv);
	runtime__v1__linux_container_config__init(l);
	runtime__v1__linux_container_security_context__init(sc);
	runtime__v1__linux_container_resources__init(res);
	runtime__v1__capability__init(caps);
	m->name = xstrdup(a, name);
	c->metadata = m;
	img->image = xstrdup(a, env("SPD_IMAGE"));
	c->image = img;
	c->command = xalloc(a, argc * sizeof(char *));
	for (i = 0; i < argc; i++)
		c->command[i] = xstrdup(a, argv[i]);
	c->n_command = argc;
	c->working_dir = xstrdup(a, "/");
	kv->key = xstrdup(a, "SPD_TEST");
	kv->value.data = (uint8_t *)xstrdup(a, "1");
	kv->value.len = 1;
	c->envs = xalloc(a, sizeof(*c->envs));
	c->envs[0] = kv;
	c->n_envs = 1;
	c->labels = container_labels(a, labels, 2);
	c->n_labels = 2;
	c->log_path = xstrdup(a, logpath);
	caps->drop_capabilities = xalloc(a, sizeof(char *));
	caps->drop_capabilities[0] = xstrdup(a, "ALL");
	caps->n_drop_capabilities = 1;
	sc->capabilities = caps;
	sc->no_new_privs = 1;
	sc->readonly_rootfs = 1;
	sc->seccomp = runtime_default_profile(a);
	l->security_context = sc;
	res->cpu_shares = 256;
	res->memory_limit_in_bytes = 64 * 1024 * 1024;
	l->resources = res;
	c->linux = l;
	return c;
}

/* ---- the tests ---- */

struct ctx {
	struct cri	*cri;
	struct arena	 cfg;	/* configs and IDs that live for the run */
	char		 run[32];
	char		*host_pod, *bridge_pod;
	Runtime__V1__PodSandboxConfig *host_cfg, *bridge_cfg;
	char		*sleeper, *hello;
};

static void
test_version_and_status(struct ctx *t)
{
	Runtime__V1__VersionResponse	*v;
	struct cri_runtime_status	 st;
	Runtime__V1__CgroupDriver	 drv;
	struct cri_call			 call;
	struct arena			 a;
	int				 rv;

	arena_init(&a, TEST_ARENA);
	call_init(&call, &a, CALL_MS);
	rv = cri_version(t->cri, &call, &v);
	ok(!failed(rv, &call) && strcmp(v->runtime_name, "containerd") == 0 &&
	    strcmp(v->runtime_api_version, "v1") == 0,
	    "test_cri_version_names_the_runtime");
	if (rv == 0)
		diag("runtime %s %s, CRI %s", v->runtime_name,
		    v->runtime_version, v->runtime_api_version);

	rv = cri_status(t->cri, &call, &st);
	ok(!failed(rv, &call) && st.runtime_ready,
	    "test_cri_status_reports_runtime_ready");
	ok(rv == 0 && st.network_ready == (strcmp(env("SPD_BRIDGE_OK"), "1") == 0),
	    "test_cri_status_reports_network_ready_as_the_cni_config_allows "
	    "(network_ready=%d%s%s)", st.network_ready,
	    st.network_ready ? "" : ": ", st.network_reason);

	/* containerd 1.6 predates RuntimeConfig: a real gRPC error status */
	rv = cri_runtime_config(t->cri, &call, &drv);
	ok((rv == -1 && call.err.code == CRI_UNIMPLEMENTED &&
	    strncmp(call.err.message, "RuntimeConfig: ", 15) == 0) ||
	    (rv == 0 && drv == RUNTIME__V1__CGROUP_DRIVER__CGROUPFS),
	    "test_cri_maps_a_grpc_error_status (%s: %s)",
	    cri_code_name(call.err.code), call.err.message);
	arena_free(&a);
}

static void
test_images(struct ctx *t)
{
	Runtime__V1__Image	*img;
	struct cri_call		 call;
	struct arena		 a;
	char			*ref, absent[256];
	int			 rv, tagged = 0;
	size_t			 i;

	arena_init(&a, TEST_ARENA);
	call_init(&call, &a, CALL_MS);
	rv = cri_image_status(t->cri, &call, "localhost/absent-image:0", &img);
	ok(!failed(rv, &call) && img == NULL,
	    "test_cri_image_status_of_an_absent_image_is_empty_not_an_error");

	rv = cri_image_status(t->cri, &call, env("SPD_IMAGE"), &img);
	for (i = 0; rv == 0 && img != NULL && i < img->n_repo_tags; i++)
		tagged |= strcmp(img->repo_tags[i], env("SPD_IMAGE")) == 0;
	ok(!failed(rv, &call) && img != NULL &&
	    strncmp(img->id, "sha256:", 7) == 0 && tagged,
	    "test_cri_image_status_of_an_imported_image");

	if (env("SPD_PULL_IMAGE")[0] == '\0') {
		printf("ok %d # SKIP no registry\n", ++ntest);
		arena_free(&a);
		return;
	}
	rv = cri_pull_image(t->cri, &call, env("SPD_PULL_IMAGE"),
	    t->host_cfg, &ref);
	ok(!failed(rv, &call) && strncmp(ref, "sha256:", 7) == 0,
	    "test_cri_pull_image_from_the_loopback_registry (%s)",
	    rv == 0 ? ref : "");
	rv = cri_image_status(t->cri, &call, env("SPD_PULL_IMAGE"), &img);
	ok(!failed(rv, &call) && img != NULL,
	    "test_cri_pulled_image_has_a_status");

	snprintf(absent, sizeof(absent), "%s", env("SPD_PULL_IMAGE"));
	if (strrchr(absent, '/') != NULL)
		snprintf(strrchr(absent, '/'), sizeof(absent) -
		    (size_t)(strrchr(absent, '/') - absent), "/absent:1");
	rv = cri_pull_image(t->cri, &call, absent, NULL, &ref);
	ok(rv == -1 && call.err.code != CRI_OK &&
	    strncmp(call.err.message, "PullImage: ", 11) == 0,
	    "test_cri_pull_of_an_absent_image_fails_with_the_runtime_reason");
	diag("%s: %s", cri_code_name(call.err.code), call.err.message);
	arena_free(&a);
}

static void
test_sandboxes(struct ctx *t)
{
	Runtime__V1__PodSandboxStatus	*st;
	struct cri_call			 call;
	int				 rv;

	call_init(&call, &t->cfg, CALL_MS);
	t->host_cfg = sandbox_config(&t->cfg, "hostnet", t->run, 1);
	rv = cri_run_pod_sandbox(t->cri, &call, t->host_cfg, NULL,
	    &t->host_pod);
	ok(!failed(rv, &call), "test_cri_run_pod_sandbox_with_host_network");
	if (rv == 0) {
		rv = cri_pod_sandbox_status(t->cri, &call, t->host_pod, &st);
		ok(!failed(rv, &call) &&
		    st->state == RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY &&
		    strcmp(st->metadata->name, "hostnet") == 0 &&
		    st->linux != NULL && st->linux->namespaces != NULL &&
		    st->linux->namespaces->options->network ==
		    RUNTIME__V1__NAMESPACE_MODE__NODE,
		    "test_cri_pod_sandbox_status_is_ready_on_the_node_network");
	} else
		ok(0, "test_cri_pod_sandbox_status_is_ready_on_the_node_network");

	if (strcmp(env("SPD_BRIDGE_OK"), "1") != 0) {
		printf("ok %d # SKIP the kernel cannot make a bridge\n", ++ntest);
		printf("ok %d # SKIP the kernel cannot make a bridge\n", ++ntest);
		return;
	}
	t->bridge_cfg = sandbox_config(&t->cfg, "bridged", t->run, 0);
	rv = cri_run_pod_sandbox(t->cri, &call, t->bridge_cfg, NULL,
	    &t->bridge_pod);
	ok(!failed(rv, &call), "test_cri_run_pod_sandbox_on_the_cni_bridge");
	if (rv == 0) {
		rv = cri_pod_sandbox_status(t->cri, &call, t->bridge_pod, &st);
		ok(!failed(rv, &call) && st->network != NULL &&
		    strncmp(st->network->ip, "10.", 3) == 0,
		    "test_cri_bridge_pod_has_an_ip_on_the_private_network (%s)",
		    rv == 0 && st->network != NULL ? st->network->ip : "");
	} else
		ok(0, "test_cri_bridge_pod_has_an_ip_on_the_private_network");
}

static int
wait_exited(struct ctx *t, const char *id, Runtime__V1__ContainerStatus **out,
    struct cri_call *call)
{
	int i;

	for (i = 0; i < LOG_WAIT_MS / 50; i++) {
		if (cri_container_status(t->cri, call, id, out) == -1)
			return -1;
		if ((*out)->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED)
			return 0;
		usleep(50 * 1000);
	}
	return -1;
}

static void
test_containers(struct ctx *t)
{
	/* ignores SIGTERM, as a slow-to-stop service would */
	const char *const		 sleep_argv[] = { "/bin/sh", "-c",
	    "trap '' TERM; sleep 3600 & wait" };
	const char *const		 hello_argv[] = { "/bin/sh", "-c",
	    "echo hello-from-$SPD_TEST" };
	Runtime__V1__ContainerConfig	*cc;
	Runtime__V1__ContainerStatus	*st;
	Runtime__V1__PodSandboxConfig	*pod_cfg;
	const char			*pod;
	struct cri_call			 call;
	char				 path[1024], line[512];
	FILE				*fp;
	int				 rv, found = 0;

	call_init(&call, &t->cfg, CALL_MS);
	if (t->host_pod == NULL) {
		ok(0, "test_cri_create_and_start_a_container (no sandbox)");
		return;
	}
	cc = container_config(&t->cfg, "sleeper", t->run, sleep_argv, 3);
	rv = cri_create_container(t->cri, &call, t->host_pod, cc, t->host_cfg,
	    &t->sleeper);
	if (!failed(rv, &call))
		rv = cri_start_container(t->cri, &call, t->sleeper);
	ok(!failed(rv, &call), "test_cri_create_and_start_a_container");
	if (rv == 0) {
		rv = cri_container_status(t->cri, &call, t->sleeper, &st);
		ok(!failed(rv, &call) &&
		    st->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING &&
		    strcmp(st->metadata->name, "sleeper") == 0 &&
		    st->started_at > 0,
		    "test_cri_container_status_is_running");
	} else
		ok(0, "test_cri_container_status_is_running");

	/* its output lands at <log_directory>/<log_path>, in CRI format */
	pod = t->bridge_pod != NULL ? t->bridge_pod : t->host_pod;
	pod_cfg = t->bridge_pod != NULL ? t->bridge_cfg : t->host_cfg;
	cc = container_config(&t->cfg, "hello", t->run, hello_argv, 3);
	rv = cri_create_container(t->cri, &call, pod, cc, pod_cfg, &t->hello);
	if (!failed(rv, &call))
		rv = cri_start_container(t->cri, &call, t->hello);
	if (rv == 0)
		rv = wait_exited(t, t->hello, &st, &call);
	ok(!failed(rv, &call) && st->exit_code == 0,
	    "test_cri_container_runs_to_completion (exit %d)",
	    rv == 0 ? st->exit_code : -1);
	snprintf(path, sizeof(path), "%s/hello/0.log", pod_cfg->log_directory);
	if ((fp = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			found |= strstr(line, " stdout F hello-from-1") != NULL;
		fclose(fp);
	}
	ok(found, "test_cri_container_log_is_written_where_log_path_says");
}

static void
test_lists(struct ctx *t)
{
	Runtime__V1__PodSandbox		**pods;
	Runtime__V1__Container		**ctrs;
	struct cri_label		 sel[2] = {
		{ LABEL_RUN, t->run },
		{ "io.kubernetes.pod.name", "hostnet" },
	};
	struct cri_label		 nomatch[1] = { { LABEL_RUN, "no-such-run" } };
	struct cri_filter		 f = CRI_FILTER_ANY;
	struct cri_call			 call;
	struct arena			 a;
	size_t				 n, npods = t->bridge_pod != NULL ? 2 : 1;
	int				 rv;

	arena_init(&a, TEST_ARENA);
	call_init(&call, &a, CALL_MS);
	f.labels = sel;
	f.nlabels = 1;
	rv = cri_list_pod_sandbox(t->cri, &call, &f, &pods, &n);
	ok(!failed(rv, &call) && n == npods,
	    "test_cri_list_pod_sandbox_by_label_selector (%zu of %zu)", n,
	    npods);
	f.nlabels = 2;
	rv = cri_list_pod_sandbox(t->cri, &call, &f, &pods, &n);
	ok(!failed(rv, &call) && n == 1 && t->host_pod != NULL &&
	    strcmp(pods[0]->id, t->host_pod) == 0,
	    "test_cri_list_pod_sandbox_selector_labels_all_must_match");
	f.labels = nomatch;
	f.nlabels = 1;
	rv = cri_list_pod_sandbox(t->cri, &call, &f, &pods, &n);
	ok(!failed(rv, &call) && n == 0,
	    "test_cri_list_pod_sandbox_by_unmatched_label_is_empty");
	f.labels = sel;
	f.state = RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY;
	rv = cri_list_pod_sandbox(t->cri, &call, &f, &pods, &n);
	ok(!failed(rv, &call) && n == npods,
	    "test_cri_list_pod_sandbox_by_state");

	f = (struct cri_filter)CRI_FILTER_ANY;
	f.labels = sel;
	f.nlabels = 1;
	rv = cri_list_containers(t->cri, &call, &f, &ctrs, &n);
	ok(!failed(rv, &call) && n == 2,
	    "test_cri_list_containers_by_label_selector (%zu)", n);
	f.state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
	rv = cri_list_containers(t->cri, &call, &f, &ctrs, &n);
	ok(!failed(rv, &call) && n == 1 && t->sleeper != NULL &&
	    strcmp(ctrs[0]->id, t->sleeper) == 0 &&
	    strcmp(ctrs[0]->pod_sandbox_id, t->host_pod) == 0,
	    "test_cri_list_containers_by_state");
	f.state = -1;
	f.pod_sandbox_id = t->host_pod;
	rv = cri_list_containers(t->cri, &call, &f, &ctrs, &n);
	ok(!failed(rv, &call) && n == 1,
	    "test_cri_list_containers_of_one_sandbox");
	arena_free(&a);
}

static void
test_deadlines(struct ctx *t)
{
	Runtime__V1__VersionResponse	*v;
	struct cri_call			 call;
	struct arena			 a;
	uint64_t			 conns = cri_connections(t->cri);
	int64_t				 t0, el;
	int				 rv;

	arena_init(&a, TEST_ARENA);
	call_init(&call, &a, 0);
	rv = cri_version(t->cri, &call, &v);
	ok(rv == -1 && call.err.code == CRI_DEADLINE_EXCEEDED,
	    "test_cri_call_with_no_time_left_fails_at_once");

	/*
	 * The sleeper ignores SIGTERM, so a stop with a 10 s grace period
	 * takes 10 s: a 300 ms deadline must cut it short, cleanly.
	 */
	if (t->sleeper == NULL) {
		ok(0, "test_cri_call_past_its_deadline_times_out_cleanly");
		arena_free(&a);
		return;
	}
	call_init(&call, &a, 300);
	t0 = now_us();
	rv = cri_stop_container(t->cri, &call, t->sleeper, 10);
	el = (now_us() - t0) / 1000;
	ok(rv == -1 && call.err.code == CRI_DEADLINE_EXCEEDED && el >= 290 &&
	    el < 1500, "test_cri_call_past_its_deadline_times_out_cleanly "
	    "(%lld ms: %s)", (long long)el, call.err.message);

	call_init(&call, &a, 1);
	rv = cri_version(t->cri, &call, &v);
	ok(rv == 0 || call.err.code == CRI_DEADLINE_EXCEEDED,
	    "test_cri_call_with_a_1ms_deadline_succeeds_or_times_out (%s)",
	    cri_code_name(call.err.code));

	call_init(&call, &a, CALL_MS);
	rv = cri_version(t->cri, &call, &v);
	ok(!failed(rv, &call) && cri_connections(t->cri) == conns,
	    "test_cri_connection_survives_timed_out_calls (%llu connections)",
	    (unsigned long long)cri_connections(t->cri));
	arena_free(&a);
}

static void
test_stop_with_timeout(struct ctx *t)
{
	Runtime__V1__ContainerStatus	*st;
	struct cri_call			 call;
	int64_t				 t0, el;
	int				 rv;

	if (t->sleeper == NULL) {
		ok(0, "test_cri_stop_container_kills_after_its_timeout");
		return;
	}
	call_init(&call, &t->cfg, CALL_MS);
	t0 = now_us();
	rv = cri_stop_container(t->cri, &call, t->sleeper, 1);
	el = (now_us() - t0) / 1000;
	if (!failed(rv, &call))
		rv = cri_container_status(t->cri, &call, t->sleeper, &st);
	ok(!failed(rv, &call) &&
	    st->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED &&
	    st->exit_code == 137 && el >= 900,
	    "test_cri_stop_container_kills_after_its_timeout (%lld ms, exit %d)",
	    (long long)el, rv == 0 ? st->exit_code : -1);
}

static int
run_command(const char *cmd)
{
	int status = system(cmd);

	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
test_runtime_restart(struct ctx *t)
{
	Runtime__V1__VersionResponse	*v;
	Runtime__V1__PodSandbox		**pods;
	struct cri_label		 sel[1] = { { LABEL_RUN, t->run } };
	struct cri_filter		 f = CRI_FILTER_ANY;
	struct cri_call			 call;
	struct arena			 a;
	uint64_t			 conns;
	size_t				 n;
	int				 rv;

	arena_init(&a, TEST_ARENA);
	call_init(&call, &a, CALL_MS);
	rv = cri_version(t->cri, &call, &v);
	conns = cri_connections(t->cri);
	ok(!failed(rv, &call) && run_command(env("SPD_RESTART")),
	    "test_harness_restarts_containerd");
	/* The old connection is dead: the call must notice and reconnect. */
	rv = cri_version(t->cri, &call, &v);
	ok(!failed(rv, &call) && cri_connections(t->cri) == conns + 1,
	    "test_cri_reconnects_after_the_runtime_restarts (%llu connections)",
	    (unsigned long long)cri_connections(t->cri));
	f.labels = sel;
	f.nlabels = 1;
	rv = cri_list_pod_sandbox(t->cri, &call, &f, &pods, &n);
	ok(!failed(rv, &call) && n == (t->bridge_pod != NULL ? 2u : 1u),
	    "test_cri_pods_outlive_the_runtime_restart");
	arena_free(&a);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t
cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/*
 * Median and 90th percentile of BENCH_CALLS Version calls, in µs, and
 * this process's own CPU time a call: the client's share of the cost.
 */
static int
bench_version(struct ctx *t, int fresh, int64_t *median, int64_t *p90,
    int64_t *cpu)
{
	Runtime__V1__VersionResponse	*v;
	int64_t				 us[BENCH_CALLS], t0, c0;
	struct cri_call			 call;
	struct arena			 a;
	int				 i;

	arena_init(&a, TEST_ARENA);
	c0 = cpu_us();
	for (i = 0; i < BENCH_CALLS; i++) {
		if (fresh)
			cri_disconnect(t->cri);
		call_init(&call, &a, CALL_MS);
		t0 = now_us();
		if (cri_version(t->cri, &call, &v) == -1) {
			failed(-1, &call);
			arena_free(&a);
			return -1;
		}
		us[i] = now_us() - t0;
		arena_free(&a);
		arena_init(&a, TEST_ARENA);
	}
	arena_free(&a);
	*cpu = (cpu_us() - c0) / BENCH_CALLS;
	qsort(us, BENCH_CALLS, sizeof(us[0]), cmp_i64);
	*median = (us[BENCH_CALLS / 2 - 1] + us[BENCH_CALLS / 2]) / 2;
	*p90 = us[BENCH_CALLS * 9 / 10];
	return 0;
}

static void
test_overhead(struct ctx *t)
{
	int64_t		med, p90, cpu, fmed, fp90, fcpu;
	uint64_t	conns;
	int		rv;

	/* warm: the first call on a connection pays for its setup */
	rv = bench_version(t, 0, &med, &p90, &cpu);
	conns = cri_connections(t->cri);
	rv = rv == 0 ? bench_version(t, 0, &med, &p90, &cpu) : -1;
	ok(rv == 0 && cri_connections(t->cri) == conns,
	    "test_cri_reuses_one_connection_for_%d_calls", BENCH_CALLS);
	if (rv == 0)
		diag("Version on one persistent connection: median %lld us, "
		    "p90 %lld us, client CPU %lld us a call (%d calls)",
		    (long long)med, (long long)p90, (long long)cpu, BENCH_CALLS);
	rv = bench_version(t, 1, &fmed, &fp90, &fcpu);
	ok(rv == 0 && cri_connections(t->cri) == conns + BENCH_CALLS,
	    "test_cri_fresh_connection_per_call_for_comparison");
	if (rv == 0)
		diag("Version on a fresh connection per call: median %lld us, "
		    "p90 %lld us, client CPU %lld us a call (%d calls)",
		    (long long)fmed, (long long)fp90, (long long)fcpu,
		    BENCH_CALLS);
}

static void
test_teardown(struct ctx *t)
{
	Runtime__V1__ContainerStatus	*st;
	Runtime__V1__PodSandbox		**pods;
	struct cri_label		 sel[1] = { { LABEL_RUN, t->run } };
	struct cri_filter		 f = CRI_FILTER_ANY;
	struct cri_call			 call;
	struct arena			 a;
	char				*ctrs[2] = { t->sleeper, t->hello };
	char				*podids[2] = { t->host_pod, t->bridge_pod };
	size_t				 i, n;
	int				 rv, all = 1;

	arena_init(&a, TEST_ARENA);
	call_init(&call, &a, CALL_MS);
	for (i = 0; i < 2; i++) {
		if (ctrs[i] == NULL)
			continue;
		rv = cri_stop_container(t->cri, &call, ctrs[i], 0);
		if (!failed(rv, &call))
			rv = cri_remove_container(t->cri, &call, ctrs[i]);
		all &= !failed(rv, &call);
	}
	ok(all, "test_cri_stop_and_remove_containers");
	if (t->sleeper != NULL) {
		rv = cri_container_status(t->cri, &call, t->sleeper, &st);
		ok(rv == -1 && call.err.code == CRI_NOT_FOUND &&
		    strncmp(call.err.message, "ContainerStatus: ", 17) == 0,
		    "test_cri_status_of_a_removed_container_is_not_found (%s)",
		    call.err.message);
	}
	for (i = 0, all = 1; i < 2; i++) {
		if (podids[i] == NULL)
			continue;
		rv = cri_stop_pod_sandbox(t->cri, &call, podids[i]);
		if (!failed(rv, &call))
			rv = cri_remove_pod_sandbox(t->cri, &call, podids[i]);
		all &= !failed(rv, &call);
	}
	ok(all, "test_cri_stop_and_remove_pod_sandboxes");
	if (t->host_pod != NULL) {
		rv = cri_remove_pod_sandbox(t->cri, &call, t->host_pod);
		ok(!failed(rv, &call),
		    "test_cri_remove_pod_sandbox_is_idempotent");
	}
	f.labels = sel;
	f.nlabels = 1;
	rv = cri_list_pod_sandbox(t->cri, &call, &f, &pods, &n);
	ok(!failed(rv, &call) && n == 0, "test_cri_no_pod_is_left");
	arena_free(&a);
}

int
main(void)
{
	struct ctx		t;
	struct cri_error	err;
	char			endpoint[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env("SPD_CRI_SOCKET")[0] == '\0' || env("SPD_IMAGE")[0] == '\0') {
		fprintf(stderr, "usage: run_cri.sh test_cri (SPD_CRI_SOCKET and "
		    "SPD_IMAGE come from the harness)\n");
		return 2;
	}
	memset(&t, 0, sizeof(t));
	arena_init(&t.cfg, TEST_ARENA);
	snprintf(t.run, sizeof(t.run), "run-%ld", (long)getpid());
	snprintf(endpoint, sizeof(endpoint), "unix://%s", env("SPD_CRI_SOCKET"));
	if ((t.cri = cri_open(endpoint, &err)) == NULL) {
		printf("Bail out! %s\n", err.message);
		return 1;
	}

	test_version_and_status(&t);
	test_sandboxes(&t);
	test_images(&t);
	test_containers(&t);
	test_lists(&t);
	test_deadlines(&t);
	test_stop_with_timeout(&t);
	test_runtime_restart(&t);
	test_overhead(&t);
	test_teardown(&t);

	cri_close(t.cri);
	arena_free(&t.cfg);
	printf("1..%d\n", ntest);
	return nfail == 0 ? 0 : 1;
}
