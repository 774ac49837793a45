/*
 * The CRI configs the runtime builds for a pod, checked field by field for
 * what the CRI runtimes differ on (../shared/reference/cri-and-peers.md):
 * CRI-O reads an absent seccomp profile as unconfined, needs a .slice
 * cgroup parent under systemd, rejects an empty name, uid or namespace;
 * runc cannot set a hostname without a UTS namespace; masked /proc paths
 * and namespace modes must be explicit. Only containerd runs here, so
 * these are checked on the messages themselves. TAP.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"
#include "../tap.h"


static Spd__Pod *
pod(bool host_network)
{
	static Spd__Pod			p;
	static Spd__ObjectMeta		m;
	static Spd__PodSpec		s;
	static Spd__Container		c, *cs[1];
	static Spd__ResourceRequirements r;
	static Spd__QuantityEntry	lc, lm, *lims[2];
	static Spd__Quantity		qc, qm;
	static Spd__StringEntry		app, *labels[1];

	spd__pod__init(&p);
	spd__string_entry__init(&app);
	app.key = "app";
	app.value = "web";
	labels[0] = &app;
	spd__object_meta__init(&m);
	spd__pod_spec__init(&s);
	spd__container__init(&c);
	spd__resource_requirements__init(&r);
	spd__quantity_entry__init(&lc);
	spd__quantity_entry__init(&lm);
	spd__quantity__init(&qc);
	spd__quantity__init(&qm);
	p.apiversion = "v1";
	p.kind = "Pod";
	p.metadata = &m;
	p.spec = &s;
	m.name = "web-node1";
	m.namespace_ = "default";
	m.labels = labels;
	m.n_labels = 1;
	s.hostnetwork = host_network;
	s.has_hostnetwork = 1;
	s.restartpolicy = "Always";
	s.has_terminationgraceperiodseconds = 1;
	s.terminationgraceperiodseconds = 30;
	c.name = "web";
	c.image = "registry.example/web:1.0";
	c.imagepullpolicy = "IfNotPresent";
	c.terminationmessagepath = "/dev/termination-log";
	c.terminationmessagepolicy = "File";
	qc.has_milli = 1;
	qc.milli = 500;
	qm.has_milli = 1;
	qm.milli = 64LL * 1024 * 1024 * 1000;
	lc.key = "cpu";
	lc.value = &qc;
	lm.key = "memory";
	lm.value = &qm;
	lims[0] = &lc;
	lims[1] = &lm;
	r.limits = lims;
	r.n_limits = 2;
	c.resources = &r;
	cs[0] = &c;
	s.containers = cs;
	s.n_containers = 1;
	return &p;
}

/* The value of key in a map of the CRI's (all are key 1, value 2). */
#define KV(map, n, key)	kv_find((void **)(map), (n), (key))

static const char *
kv_find(void **map, size_t n, const char *key)
{
	const Runtime__V1__PodSandboxConfig__LabelsEntry *e;
	size_t i;

	for (i = 0; i < n; i++) {
		e = map[i];
		if (strcmp(e->key, key) == 0)
			return e->value;
	}
	return NULL;
}

static bool
is(const char *v, const char *want)
{
	return v != NULL && strcmp(v, want) == 0;
}

static const char *
sb_label(const Runtime__V1__PodSandboxConfig *c, const char *key)
{
	return KV(c->labels, c->n_labels, key);
}

int
main(void)
{
	struct agent		 a;
	struct arena		 ar;
	struct pod_ctx		 pc;
	Runtime__V1__PodSandboxConfig *sb;
	Runtime__V1__ContainerConfig *cc;
	const Runtime__V1__LinuxContainerSecurityContext *sc;

	log_init("test", 0);
	memset(&a, 0, sizeof(a));
	spw__config__init(&a.cfg);
	a.cfg.podlogsdir = "/var/log/pods";
	a.cfg.cgroupdriver = "systemd";
	a.node_name = "node1";
	arena_init(&ar, 16 * 1024 * 1024);
	memset(&pc, 0, sizeof(pc));
	pc.pod = pod(true);
	pc.uid = "0123456789abcdef0123456789abcdef";
	pc.source_kind = "file";
	pc.seen = "2026-11-28T00:00:00Z";
	pc.sha256_hex = "00";

	sb = podconfig_sandbox(&ar, &a, &pc, 0);
	tap(sb->hostname != NULL && sb->hostname[0] == '\0',
	    "host_network_sandbox_sets_no_hostname", "hostname \"%s\"",
	    sb->hostname);
	tap(sb->metadata->name[0] != '\0' && sb->metadata->uid[0] != '\0' &&
	    sb->metadata->namespace_[0] != '\0',
	    "sandbox_metadata_has_name_uid_and_namespace", "%s %s %s",
	    sb->metadata->name, sb->metadata->uid, sb->metadata->namespace_);
	tap(strcmp(sb->linux->cgroup_parent,
	    "staticpodd-pod0123456789abcdef0123456789abcdef.slice") == 0,
	    "systemd_driver_gives_a_slice_cgroup_parent", "%s",
	    sb->linux->cgroup_parent);
	tap(sb->linux->security_context->seccomp != NULL &&
	    sb->linux->security_context->seccomp->profile_type ==
	    RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault,
	    "sandbox_seccomp_profile_is_sent_explicitly", "%p",
	    (void *)sb->linux->security_context->seccomp);
	tap(sb->linux->security_context->namespace_options->network ==
	    RUNTIME__V1__NAMESPACE_MODE__NODE &&
	    sb->linux->security_context->namespace_options->pid ==
	    RUNTIME__V1__NAMESPACE_MODE__CONTAINER,
	    "namespace_modes_are_explicit", "network %d pid %d",
	    sb->linux->security_context->namespace_options->network,
	    sb->linux->security_context->namespace_options->pid);
	tap(strcmp(sb->log_directory, "/var/log/pods/default_web-node1_"
	    "0123456789abcdef0123456789abcdef") == 0,
	    "log_directory_is_the_kubelets", "%s", sb->log_directory);
	tap(sb_label(sb, "io.kubernetes.pod.uid") != NULL &&
	    sb_label(sb, "io.staticpodd.managed") != NULL &&
	    strcmp(sb_label(sb, "io.staticpodd.managed"), "true") == 0,
	    "sandbox_carries_kubelet_labels_and_the_ownership_label", "%s",
	    sb_label(sb, "io.kubernetes.pod.uid"));
	tap(is(sb_label(sb, "app"), "web") &&
	    is(sb_label(sb, "io.kubernetes.pod.name"), "web-node1") &&
	    is(sb_label(sb, "io.kubernetes.pod.namespace"), "default"),
	    "sandbox_carries_the_pods_own_labels_and_its_names", "%s",
	    sb_label(sb, "app"));
	tap(is(KV(sb->annotations, sb->n_annotations,
	    "kubernetes.io/config.hash"), pc.uid) &&
	    is(KV(sb->annotations, sb->n_annotations,
	    "kubernetes.io/config.source"), "file") &&
	    is(KV(sb->annotations, sb->n_annotations,
	    "kubernetes.io/config.seen"), pc.seen) &&
	    is(KV(sb->annotations, sb->n_annotations,
	    "io.staticpodd.manifest-sha256"), "00"),
	    "sandbox_annotations_are_the_kubelets_config_ones_and_the_sha256",
	    "%zu annotations", sb->n_annotations);
	tap(sb->linux->security_context->namespace_options->userns_options !=
	    NULL && sb->linux->security_context->namespace_options->
	    userns_options->mode == RUNTIME__V1__NAMESPACE_MODE__NODE,
	    "the_nodes_user_namespace_is_said_explicitly", "absent or not NODE");

	cc = podconfig_container(&ar, &a, &pc, pc.pod->spec->containers[0], 2,
	    "sha256:abc", NULL, 0, NULL, 0);
	sc = cc->linux->security_context;
	tap(sc->seccomp != NULL, "container_seccomp_profile_is_sent_explicitly",
	    "absent");
	tap(sc->n_masked_paths > 0 && sc->n_readonly_paths > 0,
	    "masked_and_readonly_proc_paths_are_sent", "%zu %zu",
	    sc->n_masked_paths, sc->n_readonly_paths);
	tap(sc->apparmor == NULL, "no_apparmor_profile_where_the_kernel_has_none",
	    "sent");
	tap(is(KV(cc->labels, cc->n_labels, "io.kubernetes.container.name"),
	    "web") && is(KV(cc->labels, cc->n_labels, "io.kubernetes.pod.uid"),
	    pc.uid) && is(KV(cc->labels, cc->n_labels,
	    "io.staticpodd.managed"), "true"),
	    "container_carries_the_kubelets_labels_and_the_ownership_label",
	    "%zu labels", cc->n_labels);
	tap(is(KV(cc->annotations, cc->n_annotations,
	    "io.kubernetes.container.restartCount"), "2") &&
	    KV(cc->annotations, cc->n_annotations,
	    "io.kubernetes.container.hash") != NULL &&
	    is(KV(cc->annotations, cc->n_annotations,
	    "io.kubernetes.container.terminationMessagePath"),
	    "/dev/termination-log") &&
	    is(KV(cc->annotations, cc->n_annotations,
	    "io.kubernetes.pod.terminationGracePeriod"), "30"),
	    "container_annotations_are_the_kubelets", "%zu annotations",
	    cc->n_annotations);
	tap(strcmp(cc->log_path, "web/2.log") == 0 &&
	    cc->metadata->attempt == 2,
	    "container_log_path_is_name_slash_attempt", "%s", cc->log_path);
	tap(cc->linux->resources->cpu_quota == 50000 &&
	    cc->linux->resources->cpu_period == 100000 &&
	    cc->linux->resources->memory_limit_in_bytes == 64 * 1024 * 1024,
	    "limits_become_cfs_quota_and_a_memory_limit", "quota %lld mem %lld",
	    (long long)cc->linux->resources->cpu_quota,
	    (long long)cc->linux->resources->memory_limit_in_bytes);

	a.cfg.cgroupdriver = "cgroupfs";
	a.apparmor = true;
	pc.pod = pod(false);
	sb = podconfig_sandbox(&ar, &a, &pc, 1);
	cc = podconfig_container(&ar, &a, &pc, pc.pod->spec->containers[0], 0,
	    "sha256:abc", NULL, 0, NULL, 0);
	tap(strcmp(sb->hostname, "web-node1") == 0 && sb->metadata->attempt == 1,
	    "pod_network_sandbox_is_named_for_the_pod", "%s",
	    sb->hostname);
	tap(strcmp(sb->linux->cgroup_parent,
	    "/staticpodd/pod0123456789abcdef0123456789abcdef") == 0,
	    "cgroupfs_driver_gives_a_path_parent", "%s",
	    sb->linux->cgroup_parent);
	tap(cc->linux->security_context->apparmor != NULL,
	    "runtime_default_apparmor_where_the_kernel_has_it", "absent");
	arena_free(&ar);
	return tap_done();
}
