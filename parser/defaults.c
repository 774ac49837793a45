/*
 * The kubelet's defaults for a static pod (pkg/apis/core/v1/defaults.go and
 * pkg/kubelet/config/common.go): after this, every field the runtime reads
 * has a value, and two manifests that mean the same pod pack to the same
 * bytes.
 */
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

/* "Always" when the image has no tag and no digest, or the tag is latest. */
static const char *
pull_policy_for(const char *image)
{
	const char *slash, *colon;

	if (image == NULL || strchr(image, '@') != NULL)
		return image == NULL ? "Always" : "IfNotPresent";
	slash = strrchr(image, '/');
	colon = strrchr(image, ':');
	if (colon == NULL || (slash != NULL && colon < slash))
		return "Always";
	return strcmp(colon + 1, "latest") == 0 ? "Always" : "IfNotPresent";
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
	if (h == NULL)
		return;
	if (h->path == NULL)
		h->path = "/";
	if (h->scheme == NULL)
		h->scheme = "HTTP";
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

static int
mangle_name(struct dctx *c, Spd__ObjectMeta *m, const char *node)
{
	size_t	 len;
	char	*name;

	if (m->name == NULL || m->name[0] == '\0')
		return diag_add(c->d, 0, 0, "metadata.name", "required");
	len = strlen(m->name) + 1 + strlen(node) + 1;
	if ((name = arena_alloc(c->a, len)) == NULL)
		return nomem(c);
	snprintf(name, len, "%s-%s", m->name, node);
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

	if (pod->metadata == NULL)
		return diag_add(d, 0, 0, "metadata", "required");
	if (s == NULL)
		return diag_add(d, 0, 0, "spec", "required");
	if (mangle_name(&c, pod->metadata, node) == -1)
		ret = -1;
	if (pod->metadata->namespace_ == NULL ||
	    pod->metadata->namespace_[0] == '\0')
		pod->metadata->namespace_ = "default";
	if (s->restartpolicy == NULL)
		s->restartpolicy = "Always";
	if (s->dnspolicy == NULL)
		s->dnspolicy = "ClusterFirst";
	if (!s->has_terminationgraceperiodseconds) {
		s->has_terminationgraceperiodseconds = 1;
		s->terminationgraceperiodseconds = DEFAULT_GRACE_SECONDS;
	}
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
