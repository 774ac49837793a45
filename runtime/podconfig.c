/*
 * A canonical Pod -> the CRI runtime.v1 configs, as the kubelet builds
 * them (pkg/kubelet/kuberuntime): kubelet-compatible labels, so crictl
 * shows the pods as a kubelet's would, plus the agent's ownership label.
 * Every field is sent explicitly where a runtime would otherwise pick a
 * weaker default: the seccomp profile always (CRI-O reads an absent one as
 * unconfined), masked and read-only /proc paths always, namespace modes
 * always. Everything is allocated in the caller's arena.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"
#include "sha256.h"

#define CPU_PERIOD_US	100000	/* the CFS period the kubelet uses */
#define MIN_CPU_SHARES	2
#define HOSTNAME_MAX	63

/* The kubelet's default masks (pkg/securitycontext), unless Unmasked. */
static const char *const masked_paths[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	"/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger",
};

static void *
alloc(struct arena *a, size_t n)
{
	void *p;

	if ((p = arena_alloc(a, n)) == NULL)
		fatalx("podconfig: arena exhausted");
	return p;
}

static char *
sdup(struct arena *a, const char *s)
{
	char *p;

	if ((p = arena_strdup(a, s)) == NULL)
		fatalx("podconfig: arena exhausted");
	return p;
}

static char *
sprint(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
sprint(struct arena *a, const char *fmt, ...)
{
	char	buf[PATH_MAX + 256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sdup(a, buf);
}

/*
 * Every generated map-entry message has the layout { base, key, value }:
 * one builder serves them all, given the entry's descriptor.
 */
void
kv_add(struct arena *a, struct kv_list *l, const char *key, const char *value)
{
	if (l->n == KV_MAX)
		fatalx("podconfig: more than %d labels or annotations", KV_MAX);
	l->key[l->n] = sdup(a, key);
	l->value[l->n] = sdup(a, value);
	l->n++;
}

void **
kv_build(struct arena *a, const ProtobufCMessageDescriptor *d,
    const struct kv_list *l, size_t *n)
{
	ProtobufCMessage	**out;
	size_t			  i;

	out = alloc(a, (l->n + 1) * sizeof(*out));
	for (i = 0; i < l->n; i++) {
		out[i] = alloc(a, d->sizeof_message);
		protobuf_c_message_init(d, out[i]);
		*(char **)((char *)out[i] + d->fields[0].offset) = l->key[i];
		*(char **)((char *)out[i] + d->fields[1].offset) = l->value[i];
	}
	*n = l->n;
	return (void **)out;
}

static void
pod_labels(struct arena *a, struct kv_list *l, const Spd__Pod *p,
    const char *uid)
{
	kv_add(a, l, LABEL_POD_NAME, p->metadata->name);
	kv_add(a, l, LABEL_POD_NAMESPACE, p->metadata->namespace_);
	kv_add(a, l, LABEL_POD_UID, uid);
	kv_add(a, l, LABEL_MANAGED, "true");
}

static Runtime__V1__SecurityProfile *
profile(struct arena *a, const Spd__SeccompProfile *sc,
    const Spd__AppArmorProfile *aa)
{
	Runtime__V1__SecurityProfile	*p = alloc(a, sizeof(*p));
	const char			*type = NULL, *local = NULL;

	runtime__v1__security_profile__init(p);
	if (sc != NULL) {
		type = sc->type;
		local = sc->localhostprofile;
	} else if (aa != NULL) {
		type = aa->type;
		local = aa->localhostprofile;
	}
	/* absent: RuntimeDefault, the agent's default (sent explicitly) */
	if (type == NULL || strcmp(type, "RuntimeDefault") == 0)
		p->profile_type =
		    RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault;
	else if (strcmp(type, "Unconfined") == 0)
		p->profile_type =
		    RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Unconfined;
	else {
		p->profile_type =
		    RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost;
		p->localhost_ref = sdup(a, local != NULL ? local : "");
	}
	return p;
}

static Runtime__V1__NamespaceOption *
namespaces(struct arena *a, const Spd__PodSpec *s, uint32_t userns_first)
{
	Runtime__V1__NamespaceOption	*ns = alloc(a, sizeof(*ns));
	Runtime__V1__UserNamespace	*u = alloc(a, sizeof(*u));
	Runtime__V1__IDMapping		*m = alloc(a, sizeof(*m));
	Runtime__V1__IDMapping		**ms = alloc(a, sizeof(*ms));

	runtime__v1__namespace_option__init(ns);
	/*
	 * The user namespace is always said, as the kubelet says it: the
	 * node's, or (hostUsers: false) the pod's own range, the same for
	 * the sandbox and each of its containers.
	 */
	runtime__v1__user_namespace__init(u);
	u->mode = RUNTIME__V1__NAMESPACE_MODE__NODE;
	if (s->has_hostusers && !s->hostusers) {
		if (userns_first == 0)
			fatalx("podconfig: hostUsers false without a range");
		runtime__v1__idmapping__init(m);
		m->host_id = userns_first;
		m->container_id = 0;
		m->length = USERNS_LENGTH;
		ms[0] = m;
		u->mode = RUNTIME__V1__NAMESPACE_MODE__POD;
		u->uids = ms;
		u->n_uids = 1;
		u->gids = ms;
		u->n_gids = 1;
	}
	ns->userns_options = u;
	ns->network = s->hostnetwork ? RUNTIME__V1__NAMESPACE_MODE__NODE :
	    RUNTIME__V1__NAMESPACE_MODE__POD;
	if (s->hostpid)
		ns->pid = RUNTIME__V1__NAMESPACE_MODE__NODE;
	else if (s->shareprocessnamespace)
		ns->pid = RUNTIME__V1__NAMESPACE_MODE__POD;
	else
		ns->pid = RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
	ns->ipc = s->hostipc ? RUNTIME__V1__NAMESPACE_MODE__NODE :
	    RUNTIME__V1__NAMESPACE_MODE__POD;
	return ns;
}

static Runtime__V1__Int64Value *
int64_value(struct arena *a, int64_t v)
{
	Runtime__V1__Int64Value *p = alloc(a, sizeof(*p));

	runtime__v1__int64_value__init(p);
	p->value = v;
	return p;
}

static bool
any_privileged(const Spd__PodSpec *s)
{
	size_t i;

	for (i = 0; i < s->n_containers; i++)
		if (s->containers[i]->securitycontext != NULL &&
		    s->containers[i]->securitycontext->privileged)
			return true;
	for (i = 0; i < s->n_initcontainers; i++)
		if (s->initcontainers[i]->securitycontext != NULL &&
		    s->initcontainers[i]->securitycontext->privileged)
			return true;
	return false;
}

const char *
pod_log_dir(struct arena *a, const struct agent *ag, const Spd__Pod *p,
    const char *uid)
{
	return sprint(a, "%s/%s_%s_%s", ag->cfg.podlogsdir,
	    p->metadata->namespace_, p->metadata->name, uid);
}

/* The kubelet's: the pod's hostname, or its name cut to 63. */
static char *
hostname(struct arena *a, const Spd__Pod *p)
{
	char	*h;
	size_t	 len;

	if (p->spec->hostnetwork)
		return "";	/* runc cannot set one without a UTS namespace */
	if (p->spec->hostname != NULL)
		return sdup(a, p->spec->hostname);
	h = sdup(a, p->metadata->name);
	if (strlen(h) > HOSTNAME_MAX)
		h[HOSTNAME_MAX] = '\0';
	for (len = strlen(h); len > 0 && (h[len - 1] == '-' ||
	    h[len - 1] == '.'); len--)
		h[len - 1] = '\0';
	return h;
}

static void
port_mappings(struct arena *a, const Spd__PodSpec *s,
    Runtime__V1__PodSandboxConfig *c)
{
	const Spd__ContainerPort	*p;
	Runtime__V1__PortMapping	*m;
	size_t				 i, j, n = 0, max = 0;

	if (s->hostnetwork)
		return;
	for (i = 0; i < s->n_containers; i++)
		max += s->containers[i]->n_ports;
	c->port_mappings = alloc(a, (max + 1) * sizeof(*c->port_mappings));
	for (i = 0; i < s->n_containers; i++)
		for (j = 0; j < s->containers[i]->n_ports; j++) {
			p = s->containers[i]->ports[j];
			if (!p->has_hostport || p->hostport == 0)
				continue;
			m = alloc(a, sizeof(*m));
			runtime__v1__port_mapping__init(m);
			m->container_port = p->containerport;
			m->host_port = p->hostport;
			if (p->hostip != NULL)
				m->host_ip = p->hostip;
			if (strcmp(p->protocol, "UDP") == 0)
				m->protocol = RUNTIME__V1__PROTOCOL__UDP;
			else if (strcmp(p->protocol, "SCTP") == 0)
				m->protocol = RUNTIME__V1__PROTOCOL__SCTP;
			c->port_mappings[n++] = m;
		}
	c->n_port_mappings = n;
}

const char *
pod_cgroup_parent(struct arena *a, const struct agent *ag, const char *uid)
{
	if (strcmp(ag->cfg.cgroupdriver, "systemd") == 0)
		return sprint(a, "staticpodd-pod%s.slice", uid);
	return sprint(a, "/staticpodd/pod%s", uid);
}

Runtime__V1__PodSandboxConfig *
podconfig_sandbox(struct arena *a, const struct agent *ag,
    const struct pod_ctx *pc, uint32_t attempt)
{
	const Spd__Pod				*p = pc->pod;
	const Spd__PodSpec			*s = p->spec;
	const Spd__PodSecurityContext		*psc = s->securitycontext;
	Runtime__V1__PodSandboxConfig		*c = alloc(a, sizeof(*c));
	Runtime__V1__PodSandboxMetadata		*md = alloc(a, sizeof(*md));
	Runtime__V1__LinuxPodSandboxConfig	*lx = alloc(a, sizeof(*lx));
	Runtime__V1__LinuxSandboxSecurityContext *sc = alloc(a, sizeof(*sc));
	struct kv_list				 labels = { 0 }, ann = { 0 },
						 sysctls = { 0 };
	size_t					 i;

	runtime__v1__pod_sandbox_config__init(c);
	runtime__v1__pod_sandbox_metadata__init(md);
	runtime__v1__linux_pod_sandbox_config__init(lx);
	runtime__v1__linux_sandbox_security_context__init(sc);
	md->name = p->metadata->name;
	md->namespace_ = p->metadata->namespace_;
	md->uid = (char *)pc->uid;
	md->attempt = attempt;
	c->metadata = md;
	c->hostname = hostname(a, p);
	c->log_directory = (char *)pod_log_dir(a, ag, p, pc->uid);
	c->dns_config = podconfig_dns(a, ag, p);
	port_mappings(a, s, c);
	for (i = 0; i < p->metadata->n_labels; i++)
		kv_add(a, &labels, p->metadata->labels[i]->key,
		    p->metadata->labels[i]->value);
	pod_labels(a, &labels, p, pc->uid);
	c->labels = (Runtime__V1__PodSandboxConfig__LabelsEntry **)kv_build(a,
	    &runtime__v1__pod_sandbox_config__labels_entry__descriptor,
	    &labels, &c->n_labels);
	kv_add(a, &ann, "kubernetes.io/config.hash", pc->uid);
	kv_add(a, &ann, "kubernetes.io/config.source", pc->source_kind);
	kv_add(a, &ann, "kubernetes.io/config.seen", pc->seen);
	kv_add(a, &ann, ANNOTATION_SHA256, pc->sha256_hex);
	for (i = 0; i < pc->nannotations; i++)
		kv_add(a, &ann, pc->annotations[i].key,
		    pc->annotations[i].value);
	c->annotations = (Runtime__V1__PodSandboxConfig__AnnotationsEntry **)
	    kv_build(a, &runtime__v1__pod_sandbox_config__annotations_entry__descriptor,
	    &ann, &c->n_annotations);
	lx->cgroup_parent = (char *)pod_cgroup_parent(a, ag, pc->uid);
	if (psc != NULL)
		for (i = 0; i < psc->n_sysctls; i++)
			kv_add(a, &sysctls, psc->sysctls[i]->name,
			    psc->sysctls[i]->value);
	lx->sysctls = (Runtime__V1__LinuxPodSandboxConfig__SysctlsEntry **)
	    kv_build(a, &runtime__v1__linux_pod_sandbox_config__sysctls_entry__descriptor,
	    &sysctls, &lx->n_sysctls);
	sc->namespace_options = namespaces(a, s, pc->userns_first);
	sc->privileged = any_privileged(s);
	if (psc != NULL && psc->has_runasuser)
		sc->run_as_user = int64_value(a, psc->runasuser);
	if (psc != NULL && psc->has_runasgroup)
		sc->run_as_group = int64_value(a, psc->runasgroup);
	if (psc != NULL) {
		sc->supplemental_groups = psc->supplementalgroups;
		sc->n_supplemental_groups = psc->n_supplementalgroups;
	}
	sc->seccomp = profile(a, psc != NULL ? psc->seccompprofile : NULL,
	    NULL);
	if (psc != NULL && psc->apparmorprofile != NULL)
		sc->apparmor = profile(a, NULL, psc->apparmorprofile);
	lx->security_context = sc;
	c->linux = lx;
	return c;
}

static int64_t
limit_of(const Spd__ResourceRequirements *r, const char *name, bool request)
{
	Spd__QuantityEntry	**e;
	size_t			  i, n;

	if (r == NULL)
		return -1;
	e = request ? r->requests : r->limits;
	n = request ? r->n_requests : r->n_limits;
	for (i = 0; i < n; i++)
		if (strcmp(e[i]->key, name) == 0)
			return e[i]->value->milli;
	return -1;
}

static Runtime__V1__LinuxContainerResources *
resources(struct arena *a, const Spd__Container *ct)
{
	Runtime__V1__LinuxContainerResources	*r = alloc(a, sizeof(*r));
	int64_t					 req, lim;

	runtime__v1__linux_container_resources__init(r);
	req = limit_of(ct->resources, "cpu", true);
	r->cpu_shares = req > 0 ? req * 1024 / 1000 : MIN_CPU_SHARES;
	if (r->cpu_shares < MIN_CPU_SHARES)
		r->cpu_shares = MIN_CPU_SHARES;
	if ((lim = limit_of(ct->resources, "cpu", false)) > 0) {
		r->cpu_period = CPU_PERIOD_US;
		r->cpu_quota = lim * CPU_PERIOD_US / 1000;
		if (r->cpu_quota < 1000)
			r->cpu_quota = 1000;	/* the kernel's minimum */
	}
	if ((lim = limit_of(ct->resources, "memory", false)) > 0)
		r->memory_limit_in_bytes = lim / 1000;
	return r;
}

static Runtime__V1__LinuxContainerSecurityContext *
security(struct arena *a, const struct agent *ag, const Spd__PodSpec *s,
    const Spd__Container *ct, uint32_t userns_first)
{
	const Spd__SecurityContext		*sc = ct->securitycontext;
	const Spd__PodSecurityContext		*psc = s->securitycontext;
	Runtime__V1__LinuxContainerSecurityContext *c = alloc(a, sizeof(*c));
	Runtime__V1__Capability			*caps;
	bool					 unmasked;

	runtime__v1__linux_container_security_context__init(c);
	c->namespace_options = namespaces(a, s, userns_first);
	if (sc != NULL && sc->capabilities != NULL) {
		caps = alloc(a, sizeof(*caps));
		runtime__v1__capability__init(caps);
		caps->add_capabilities = sc->capabilities->add;
		caps->n_add_capabilities = sc->capabilities->n_add;
		caps->drop_capabilities = sc->capabilities->drop;
		caps->n_drop_capabilities = sc->capabilities->n_drop;
		c->capabilities = caps;
	}
	c->privileged = sc != NULL && sc->privileged;
	if (sc != NULL && sc->has_runasuser)
		c->run_as_user = int64_value(a, sc->runasuser);
	else if (psc != NULL && psc->has_runasuser)
		c->run_as_user = int64_value(a, psc->runasuser);
	if (sc != NULL && sc->has_runasgroup)
		c->run_as_group = int64_value(a, sc->runasgroup);
	else if (psc != NULL && psc->has_runasgroup)
		c->run_as_group = int64_value(a, psc->runasgroup);
	if (c->run_as_group != NULL && c->run_as_user == NULL)
		c->run_as_group = NULL;	/* the CRI needs a user for a group */
	c->readonly_rootfs = sc != NULL && sc->readonlyrootfilesystem;
	if (psc != NULL) {
		c->supplemental_groups = psc->supplementalgroups;
		c->n_supplemental_groups = psc->n_supplementalgroups;
		if (psc->has_fsgroup) {
			c->supplemental_groups = alloc(a,
			    (psc->n_supplementalgroups + 1) * sizeof(int64_t));
			memcpy(c->supplemental_groups, psc->supplementalgroups,
			    psc->n_supplementalgroups * sizeof(int64_t));
			c->supplemental_groups[psc->n_supplementalgroups] =
			    psc->fsgroup;
			c->n_supplemental_groups = psc->n_supplementalgroups + 1;
		}
	}
	c->no_new_privs = sc != NULL && sc->has_allowprivilegeescalation &&
	    !sc->allowprivilegeescalation;
	unmasked = sc != NULL && sc->procmount != NULL &&
	    strcmp(sc->procmount, "Unmasked") == 0;
	if (!c->privileged && !unmasked) {
		c->masked_paths = (char **)masked_paths;
		c->n_masked_paths = sizeof(masked_paths) /
		    sizeof(masked_paths[0]);
		c->readonly_paths = (char **)readonly_paths;
		c->n_readonly_paths = sizeof(readonly_paths) /
		    sizeof(readonly_paths[0]);
	}
	c->seccomp = profile(a, sc != NULL && sc->seccompprofile != NULL ?
	    sc->seccompprofile : psc != NULL ? psc->seccompprofile : NULL,
	    NULL);
	/*
	 * AppArmor only when asked for, or by default where the kernel has
	 * it: a runtime on a host without it refuses any profile, and one
	 * the pod asked for must not be dropped.
	 */
	if (sc != NULL && sc->apparmorprofile != NULL)
		c->apparmor = profile(a, NULL, sc->apparmorprofile);
	else if (psc != NULL && psc->apparmorprofile != NULL)
		c->apparmor = profile(a, NULL, psc->apparmorprofile);
	else if (ag->apparmor)
		c->apparmor = profile(a, NULL, NULL);
	return c;
}

/* A short, stable hash of what makes a container this container. */
static char *
container_hash(struct arena *a, const Spd__Container *ct)
{
	uint8_t		 md[SHA256_LEN];
	uint8_t		*buf;
	size_t		 n = spd__container__get_packed_size(ct);

	buf = alloc(a, n + 1);
	spd__container__pack(ct, buf);
	sha256_digest(buf, n, md);
	return sprint(a, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
}

Runtime__V1__ContainerConfig *
podconfig_container(struct arena *a, const struct agent *ag,
    const struct pod_ctx *pc, const Spd__Container *ct, uint32_t attempt,
    const char *image, Runtime__V1__KeyValue **envs, size_t nenvs,
    Runtime__V1__Mount **mounts, size_t nmounts)
{
	const Spd__Pod			*p = pc->pod;
	Runtime__V1__ContainerConfig	*c = alloc(a, sizeof(*c));
	Runtime__V1__ContainerMetadata	*md = alloc(a, sizeof(*md));
	Runtime__V1__ImageSpec		*img = alloc(a, sizeof(*img));
	Runtime__V1__LinuxContainerConfig *lx = alloc(a, sizeof(*lx));
	struct kv_list			 labels = { 0 }, ann = { 0 };
	char				 num[32];

	runtime__v1__container_config__init(c);
	runtime__v1__container_metadata__init(md);
	runtime__v1__image_spec__init(img);
	runtime__v1__linux_container_config__init(lx);
	md->name = ct->name;
	md->attempt = attempt;
	c->metadata = md;
	img->image = (char *)image;
	img->user_specified_image = ct->image;
	c->image = img;
	c->command = ct->command;
	c->n_command = ct->n_command;
	c->args = ct->args;
	c->n_args = ct->n_args;
	if (ct->workingdir != NULL)
		c->working_dir = ct->workingdir;
	c->envs = envs;
	c->n_envs = nenvs;
	c->mounts = mounts;
	c->n_mounts = nmounts;
	pod_labels(a, &labels, p, pc->uid);
	kv_add(a, &labels, LABEL_CONTAINER_NAME, ct->name);
	c->labels = (Runtime__V1__ContainerConfig__LabelsEntry **)kv_build(a,
	    &runtime__v1__container_config__labels_entry__descriptor, &labels,
	    &c->n_labels);
	kv_add(a, &ann, "io.kubernetes.container.hash", container_hash(a, ct));
	snprintf(num, sizeof(num), "%u", attempt);
	kv_add(a, &ann, "io.kubernetes.container.restartCount", num);
	kv_add(a, &ann, "io.kubernetes.container.terminationMessagePath",
	    ct->terminationmessagepath);
	kv_add(a, &ann, "io.kubernetes.container.terminationMessagePolicy",
	    ct->terminationmessagepolicy);
	snprintf(num, sizeof(num), "%lld",
	    (long long)p->spec->terminationgraceperiodseconds);
	kv_add(a, &ann, ANNOTATION_GRACE, num);
	c->annotations = (Runtime__V1__ContainerConfig__AnnotationsEntry **)
	    kv_build(a, &runtime__v1__container_config__annotations_entry__descriptor,
	    &ann, &c->n_annotations);
	c->log_path = sprint(a, "%s/%u.log", ct->name, attempt);
	c->stdin = ct->stdin;
	c->stdin_once = ct->stdinonce;
	c->tty = ct->tty;
	lx->resources = resources(a, ct);
	lx->security_context = security(a, ag, p->spec, ct, pc->userns_first);
	c->linux = lx;
	return c;
}
