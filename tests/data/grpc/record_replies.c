/*
 * Makes the calls whose replies tests/unit/test_reconcile.c replays, one
 * connection per call, so that record.py (a proxy in front of a harness
 * containerd) writes each reply to a file of its own. The sandbox is the
 * test's pod (same name, namespace, UID and labels), host network.
 *
 * usage: record_replies unix:///PROXY.sock unix:///CONTAINERD.sock LOGDIR
 * The proxy must be set to record RECORD_CALLS connections; the sandbox is
 * then stopped and removed through containerd's own socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri.h"

#define RECORD_CALLS	10
#define CALL_MS		30000
#define TEST_UID	"0123456789abcdef0123456789abcdef"
#define UNKNOWN_ID	"0000000000000000000000000000000000000000000000000000000000000000"

static Runtime__V1__PodSandboxConfig *
sandbox(const char *logdir)
{
	static Runtime__V1__PodSandboxConfig		c;
	static Runtime__V1__PodSandboxMetadata		md;
	static Runtime__V1__LinuxPodSandboxConfig	lx;
	static Runtime__V1__LinuxSandboxSecurityContext	sc;
	static Runtime__V1__NamespaceOption		ns;
	static Runtime__V1__PodSandboxConfig__LabelsEntry l[4], *lp[4];
	static const char *const kv[4][2] = {
		{ "io.kubernetes.pod.name", "web-node1" },
		{ "io.kubernetes.pod.namespace", "default" },
		{ "io.kubernetes.pod.uid", TEST_UID },
		{ "io.staticpodd.managed", "true" },
	};
	size_t i;

	runtime__v1__pod_sandbox_config__init(&c);
	runtime__v1__pod_sandbox_metadata__init(&md);
	runtime__v1__linux_pod_sandbox_config__init(&lx);
	runtime__v1__linux_sandbox_security_context__init(&sc);
	runtime__v1__namespace_option__init(&ns);
	md.name = (char *)"web-node1";
	md.namespace_ = (char *)"default";
	md.uid = (char *)TEST_UID;
	md.attempt = 0;
	c.metadata = &md;
	c.log_directory = (char *)logdir;
	for (i = 0; i < 4; i++) {
		runtime__v1__pod_sandbox_config__labels_entry__init(&l[i]);
		l[i].key = (char *)kv[i][0];
		l[i].value = (char *)kv[i][1];
		lp[i] = &l[i];
	}
	c.labels = lp;
	c.n_labels = 4;
	ns.network = RUNTIME__V1__NAMESPACE_MODE__NODE;
	ns.pid = RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
	sc.namespace_options = &ns;
	lx.security_context = &sc;
	c.linux = &lx;
	return &c;
}

static void
said(const char *what, int rv, const struct cri_call *c)
{
	printf("%s: %s\n", what, rv == 0 ? "ok" : c->err.message);
}

int
main(int argc, char **argv)
{
	static const struct cri_label	 owned = { "io.staticpodd.managed",
					    "true" };
	struct cri_filter		 f = CRI_FILTER_ANY;
	struct cri_runtime_status	 st;
	Runtime__V1__PodSandboxConfig	*sbc;
	Runtime__V1__PodSandbox		**items;
	Runtime__V1__PodSandboxStatus	*pst;
	Runtime__V1__CgroupDriver	 drv;
	struct cri_error		 err;
	struct cri_call			 c;
	struct arena			 ar;
	struct cri			*cri;
	size_t				 n;
	char				*id = NULL, *id2, sid[128];
	int				 rv;

	if (argc != 4) {
		fprintf(stderr, "usage: record_replies PROXY CONTAINERD LOGDIR\n");
		return 2;
	}
	if ((cri = cri_open(argv[1], &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], err.message);
		return 1;
	}
	arena_init(&ar, 4 * 1024 * 1024);
	memset(&c, 0, sizeof(c));
	c.timeout_ms = CALL_MS;
	c.arena = &ar;
	sbc = sandbox(argv[3]);
	f.labels = &owned;
	f.nlabels = 1;

	/* 1: the sandbox; 2: the same name again */
	said("RunPodSandbox", rv = cri_run_pod_sandbox(cri, &c, sbc, NULL,
	    &id), &c);
	if (rv == -1)
		return 1;
	snprintf(sid, sizeof(sid), "%s", id);
	cri_disconnect(cri);
	said("RunPodSandbox again", cri_run_pod_sandbox(cri, &c, sbc, NULL,
	    &id2), &c);
	cri_disconnect(cri);
	/* 3: what the reconciler lists */
	said("ListPodSandbox", rv = cri_list_pod_sandbox(cri, &c, &f, &items,
	    &n), &c);
	cri_disconnect(cri);
	/* 4, 5: what ensure_ready asks */
	said("RuntimeConfig", cri_runtime_config(cri, &c, &drv), &c);
	cri_disconnect(cri);
	said("Status", cri_status(cri, &c, &st), &c);
	cri_disconnect(cri);
	/* 6-10: an ID the runtime does not know */
	said("PodSandboxStatus", cri_pod_sandbox_status(cri, &c, UNKNOWN_ID,
	    &pst), &c);
	cri_disconnect(cri);
	said("StopPodSandbox", cri_stop_pod_sandbox(cri, &c, UNKNOWN_ID), &c);
	cri_disconnect(cri);
	said("RemovePodSandbox", cri_remove_pod_sandbox(cri, &c, UNKNOWN_ID),
	    &c);
	cri_disconnect(cri);
	said("StopContainer", cri_stop_container(cri, &c, UNKNOWN_ID, 0), &c);
	cri_disconnect(cri);
	said("RemoveContainer", cri_remove_container(cri, &c, UNKNOWN_ID), &c);
	cri_close(cri);

	if ((cri = cri_open(argv[2], &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[2], err.message);
		return 1;
	}
	said("cleanup: StopPodSandbox", cri_stop_pod_sandbox(cri, &c, sid), &c);
	said("cleanup: RemovePodSandbox", cri_remove_pod_sandbox(cri, &c, sid),
	    &c);
	cri_close(cri);
	arena_free(&ar);
	return 0;
}
