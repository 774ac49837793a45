/*
 * The kubelet's defaults for a static pod (pkg/apis/core/v1/defaults.go and
 * pkg/kubelet/config/common.go): after this, every field the runtime reads
 * has a value, and two manifests that mean the same pod pack to the same
 * bytes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define DEFAULT_GRACE_SECONDS	30
#define DEFAULT_TERM_MSG_PATH	"/dev/termination-log"
#define DEFAULT_DOWNWARD_MODE	0644

struct dctx {
	struct arena	*a;
	struct diags	*d;
};

static int
nomem(struct dctx *c)
{
	return diag_add(c->d, 0, 0, NULL,
	    "manifest needs more memory than its limit allows");
}

/*
 * Fields that are pointers in the Go API: there, unset and zero differ
 * (hostUsers: false is not hostUsers left out), so they keep what was
 * written. Every other scalar is a Go value, for which zero and unset are
 * the same thing; it is cleared when zero, so hostNetwork: false,
 * hostPort: 0 or path: "" pack to the bytes that leaving it out does.
 */
static const struct {
	const char	*message;
	const char	*field;
} keep_zero[] = {
	{ "PodSpec", "terminationGracePeriodSeconds" },
	{ "PodSpec", "activeDeadlineSeconds" },
	{ "PodSpec", "shareProcessNamespace" },
	{ "PodSpec", "runtimeClassName" },
	{ "PodSpec", "hostUsers" },
	{ "PodSpec", "priority" },
	{ "PodSpec", "preemptionPolicy" },
	{ "PodSpec", "enableServiceLinks" },
	{ "SecurityContext", "privileged" },
	{ "SecurityContext", "runAsUser" },
	{ "SecurityContext", "runAsGroup" },
	{ "SecurityContext", "runAsNonRoot" },
	{ "SecurityContext", "readOnlyRootFilesystem" },
	{ "SecurityContext", "allowPrivilegeEscalation" },
	{ "SecurityContext", "procMount" },
	{ "PodSecurityContext", "runAsUser" },
	{ "PodSecurityContext", "runAsGroup" },
	{ "PodSecurityContext", "runAsNonRoot" },
	{ "PodSecurityContext", "fsGroup" },
	{ "PodSecurityContext", "fsGroupChangePolicy" },
	{ "SeccompProfile", "localhostProfile" },
	{ "AppArmorProfile", "localhostProfile" },
	{ "Container", "restartPolicy" },
	{ "HostPathVolumeSource", "type" },
	{ "DownwardAPIVolumeFile", "mode" },
	{ "DownwardAPIVolumeSource", "defaultMode" },
	{ "Probe", "terminationGracePeriodSeconds" },
	{ "GRPCAction", "service" },
	{ "PodDNSConfigOption", "value" },
	{ "VolumeMount", "mountPropagation" },
	{ "Toleration", "tolerationSeconds" },
	{ "TopologySpreadConstraint", "minDomains" },
	{ "TopologySpreadConstraint", "nodeAffinityPolicy" },
	{ "TopologySpreadConstraint", "nodeTaintsPolicy" },
};


static const char *
short_name(const ProtobufCMessageDescriptor *desc)
{
	const char *dot = strrchr(desc->name, '.');

	return dot != NULL ? dot + 1 : desc->name;
}

static bool
keeps_zero(const char *message, const char *field)
{
	size_t i;

	for (i = 0; i < sizeof(keep_zero) / sizeof(keep_zero[0]); i++)
		if (strcmp(keep_zero[i].message, message) == 0 &&
		    strcmp(keep_zero[i].field, field) == 0)
			return true;
	return false;
}

/* The schema has no recursive message, so the depth is the schema's. */
static void
clear_zero_values(ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*desc = m->descriptor;
	const ProtobufCFieldDescriptor		*fd;
	const char				*name = NULL;
	ProtobufCMessage			**sub;
	protobuf_c_boolean			*has;
	char					*p;
	size_t					 i, j, n;
	bool					 zero;

	if (desc == &spd__string_entry__descriptor ||
	    desc == &spd__quantity_entry__descriptor ||
	    desc == &spd__quantity__descriptor ||
	    desc == &spd__int_or_string__descriptor)
		return;
	for (i = 0; i < desc->n_fields; i++) {
		fd = &desc->fields[i];
		p = (char *)m + fd->offset;
		if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			sub = fd->label == PROTOBUF_C_LABEL_REPEATED ?
			    *(ProtobufCMessage ***)p : (ProtobufCMessage **)p;
			n = fd->label == PROTOBUF_C_LABEL_REPEATED ?
			    *(size_t *)((char *)m + fd->quantifier_offset) : 1;
			for (j = 0; j < n; j++)
				if (sub[j] != NULL)
					clear_zero_values(sub[j]);
			continue;
		}
		if (fd->label == PROTOBUF_C_LABEL_REPEATED)
			continue;
		has = (protobuf_c_boolean *)((char *)m + fd->quantifier_offset);
		switch (fd->type) {
		case PROTOBUF_C_TYPE_STRING:
			zero = *(char **)p != NULL && **(char **)p == '\0';
			break;
		case PROTOBUF_C_TYPE_BOOL:
			zero = *has && !*(protobuf_c_boolean *)p;
			break;
		case PROTOBUF_C_TYPE_INT32:
			zero = *has && *(int32_t *)p == 0;
			break;
		case PROTOBUF_C_TYPE_INT64:
			zero = *has && *(int64_t *)p == 0;
			break;
		default:
			zero = false;
			break;
		}
		/* the table is consulted only for a zero, which is rare */
		if (!zero)
			continue;
		if (name == NULL)
			name = short_name(desc);
		if (keeps_zero(name, fd->name))
			continue;
		if (fd->type == PROTOBUF_C_TYPE_STRING)
			*(char **)p = NULL;
		else
			*has = 0;
	}
}

/* An empty message where the API has a value struct: as if unset. */
static bool
is_empty(const ProtobufCMessage *m)
{
	return protobuf_c_message_get_packed_size(m) == 0;
}

/*
 * As SetDefaults_Container: Always when the tag is latest, or when there
 * is neither a tag nor a digest (the tag is then latest); otherwise
 * IfNotPresent. web:latest@sha256:... has the tag latest, so Always.
 */
static const char *
pull_policy_for(const char *image)
{
	const char	*at, *slash, *colon;
	size_t		 len;

	if (image == NULL)
		return "IfNotPresent";	/* refused by podcheck anyway */
	at = strchr(image, '@');
	len = at != NULL ? (size_t)(at - image) : strlen(image);
	slash = memrchr(image, '/', len);
	colon = memrchr(image, ':', len);
	if (colon != NULL && (slash == NULL || colon > slash))
		return len - (size_t)(colon + 1 - image) == 6 &&
		    memcmp(colon + 1, "latest", 6) == 0 ? "Always" :
		    "IfNotPresent";
	return at != NULL ? "IfNotPresent" : "Always";
}

static void
default_probe(Spd__Probe *p)
{
	if (p == NULL)
		return;
	if (!p->has_timeoutseconds) {
		p->has_timeoutseconds = 1;
		p->timeoutseconds = 1;
	}
	if (!p->has_periodseconds) {
		p->has_periodseconds = 1;
		p->periodseconds = 10;
	}
	if (!p->has_successthreshold) {
		p->has_successthreshold = 1;
		p->successthreshold = 1;
	}
	if (!p->has_failurethreshold) {
		p->has_failurethreshold = 1;
		p->failurethreshold = 3;
	}
	if (!p->has_initialdelayseconds) {
		p->has_initialdelayseconds = 1;
		p->initialdelayseconds = 0;
	}
}

static void
default_http_get(Spd__HTTPGetAction *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->path == NULL)
		h->path = "/";
	if (h->scheme == NULL)
		h->scheme = "HTTP";
	for (i = 0; i < h->n_httpheaders; i++)
		if (h->httpheaders[i]->value == NULL)
			h->httpheaders[i]->value = "";
}

static void
default_handler(Spd__LifecycleHandler *h)
{
	if (h != NULL)
		default_http_get(h->httpget);
}

static int
has_key(Spd__QuantityEntry **e, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(e[i]->key, key) == 0)
			return 1;
	return 0;
}

static int
cmp_qentry(const void *a, const void *b)
{
	return strcmp((*(Spd__QuantityEntry *const *)a)->key,
	    (*(Spd__QuantityEntry *const *)b)->key);
}

/* Requests default to limits, resource by resource. */
static int
default_resources(struct dctx *c, Spd__ResourceRequirements *r)
{
	Spd__QuantityEntry	**req;
	size_t			  i, n;

	if (r == NULL || r->n_limits == 0)
		return 0;
	req = arena_alloc(c->a, (r->n_requests + r->n_limits) * sizeof(*req));
	if (req == NULL)
		return nomem(c);
	if (r->n_requests > 0)	/* requests is NULL when there are none */
		memcpy(req, r->requests, r->n_requests * sizeof(*req));
	n = r->n_requests;
	for (i = 0; i < r->n_limits; i++)
		if (!has_key(r->requests, r->n_requests, r->limits[i]->key))
			req[n++] = r->limits[i];
	qsort(req, n, sizeof(*req), cmp_qentry);
	r->requests = req;
	r->n_requests = n;
	return 0;
}

static void
default_field_ref(Spd__ObjectFieldSelector *f)
{
	if (f != NULL && f->apiversion == NULL)
		f->apiversion = "v1";
}

static int
default_container(struct dctx *c, Spd__Container *ct, int host_network)
{
	Spd__ContainerPort	*p;
	size_t			 i;

	/* resources is a value in the API: {} is the same as none */
	if (ct->resources != NULL && is_empty(&ct->resources->base))
		ct->resources = NULL;
	if (ct->terminationmessagepath == NULL)
		ct->terminationmessagepath = DEFAULT_TERM_MSG_PATH;
	if (ct->terminationmessagepolicy == NULL)
		ct->terminationmessagepolicy = "File";
	if (ct->imagepullpolicy == NULL)
		ct->imagepullpolicy = (char *)pull_policy_for(ct->image);
	for (i = 0; i < ct->n_ports; i++) {
		p = ct->ports[i];
		if (p->protocol == NULL)
			p->protocol = "TCP";
		if (host_network && !p->has_hostport && p->has_containerport) {
			p->has_hostport = 1;
			p->hostport = p->containerport;
		}
	}
	for (i = 0; i < ct->n_env; i++)
		if (ct->env[i]->valuefrom != NULL)
			default_field_ref(ct->env[i]->valuefrom->fieldref);
	default_probe(ct->livenessprobe);
	default_probe(ct->readinessprobe);
	default_probe(ct->startupprobe);
	if (ct->livenessprobe != NULL)
		default_http_get(ct->livenessprobe->httpget);
	if (ct->readinessprobe != NULL)
		default_http_get(ct->readinessprobe->httpget);
	if (ct->startupprobe != NULL)
		default_http_get(ct->startupprobe->httpget);
	if (ct->lifecycle != NULL) {
		default_handler(ct->lifecycle->poststart);
		default_handler(ct->lifecycle->prestop);
	}
	return default_resources(c, ct->resources);
}

static void
default_volume(Spd__Volume *v)
{
	Spd__DownwardAPIVolumeSource	*dw = v->downwardapi;
	size_t				 i;

	if (v->hostpath != NULL && v->hostpath->type == NULL)
		v->hostpath->type = "";
	if (v->image != NULL && v->image->pullpolicy == NULL)
		v->image->pullpolicy = (char *)pull_policy_for(
		    v->image->reference);
	if (dw == NULL)
		return;
	if (!dw->has_defaultmode) {
		dw->has_defaultmode = 1;
		dw->defaultmode = DEFAULT_DOWNWARD_MODE;
	}
	for (i = 0; i < dw->n_items; i++)
		default_field_ref(dw->items[i]->fieldref);
}

/*
 * name becomes <name>-<node>, as the kubelet names a static pod. A name
 * that is missing or not a DNS subdomain is left as written, so podcheck
 * names the value the operator wrote.
 */
static int
mangle_name(struct dctx *c, Spd__ObjectMeta *m, const char *node)
{
	size_t	 len;
	char	*name, q[96];

	if (m->name == NULL || !is_dns1123_subdomain(m->name))
		return 0;
	len = strlen(m->name) + 1 + strlen(node);
	if (len > POD_NAME_MAX)
		return diag_add(c->d, 0, 0, "metadata.name", "\"%s\" is too "
		    "long: with \"-%s\" appended, as every static pod's name "
		    "is, it has %zu characters, over the limit of %d",
		    diag_quote(m->name, q, sizeof(q)), node, len, POD_NAME_MAX);
	if ((name = arena_alloc(c->a, len + 1)) == NULL)
		return nomem(c);
	snprintf(name, len + 1, "%s-%s", m->name, node);
	m->name = name;
	return 0;
}

int
defaults_apply(struct arena *a, Spd__Pod *pod, const char *node,
    struct diags *d)
{
	struct dctx	 c = { a, d };
	Spd__PodSpec	*s = pod->spec;
	size_t		 i;
	int		 ret = 0;

	clear_zero_values(&pod->base);
	/* a missing metadata or spec is podcheck's to report */
	if (pod->metadata != NULL) {
		if (mangle_name(&c, pod->metadata, node) == -1)
			ret = -1;
		if (pod->metadata->namespace_ == NULL)
			pod->metadata->namespace_ = "default";
	}
	if (s == NULL)
		return ret;
	if (s->restartpolicy == NULL)
		s->restartpolicy = "Always";
	if (s->dnspolicy == NULL)
		s->dnspolicy = "ClusterFirst";
	if (!s->has_terminationgraceperiodseconds) {
		s->has_terminationgraceperiodseconds = 1;
		s->terminationgraceperiodseconds = DEFAULT_GRACE_SECONDS;
	}
	/* the API gives every pod a security context: {} is none */
	if (s->securitycontext != NULL && is_empty(&s->securitycontext->base))
		s->securitycontext = NULL;
	if (s->securitycontext != NULL)
		for (i = 0; i < s->securitycontext->n_sysctls; i++)
			if (s->securitycontext->sysctls[i]->value == NULL)
				s->securitycontext->sysctls[i]->value = "";
	for (i = 0; i < s->n_containers; i++)
		if (default_container(&c, s->containers[i], s->hostnetwork) == -1)
			ret = -1;
	for (i = 0; i < s->n_initcontainers; i++)
		if (default_container(&c, s->initcontainers[i],
		    s->hostnetwork) == -1)
			ret = -1;
	for (i = 0; i < s->n_volumes; i++)
		default_volume(s->volumes[i]);
	if (default_resources(&c, s->resources) == -1)
		ret = -1;
	return ret;
}
