/*
 * A container's environment, command and args as the kubelet makes them:
 * values from the downward API (fieldRef, resourceFieldRef) and
 * $(VAR) references to variables defined earlier, with $$ for a literal
 * $ and unknown references left as written (pkg/kubelet/container
 * expansion rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"

#define ENV_VALUE_MAX	(128 * 1024)

struct envset {
	const char	**name;
	const char	**value;
	size_t		  n;
};

static char *
sdup(struct arena *a, const char *s, size_t len)
{
	char *p;

	if ((p = arena_strndup(a, s, len)) == NULL)
		fatalx("env: arena exhausted");
	return p;
}

static const char *
lookup(const struct envset *e, const char *name, size_t len)
{
	size_t i;

	for (i = e->n; i-- > 0;)
		if (strlen(e->name[i]) == len &&
		    memcmp(e->name[i], name, len) == 0)
			return e->value[i];
	return NULL;
}

/* $(NAME) expansion, in one pass, bounded in size. */
static char *
expand(struct arena *a, const char *in, const struct envset *e)
{
	char		*out;
	const char	*v, *close;
	size_t		 o = 0, len;

	if (strchr(in, '$') == NULL)
		return (char *)in;
	out = arena_alloc(a, ENV_VALUE_MAX + 1);
	if (out == NULL)
		fatalx("env: arena exhausted");
	while (*in != '\0' && o < ENV_VALUE_MAX) {
		if (in[0] == '$' && in[1] == '$') {
			out[o++] = '$';
			in += 2;
			continue;
		}
		if (in[0] == '$' && in[1] == '(' &&
		    (close = strchr(in + 2, ')')) != NULL &&
		    (v = lookup(e, in + 2, (size_t)(close - in - 2))) != NULL) {
			len = strlen(v);
			if (len > ENV_VALUE_MAX - o)
				len = ENV_VALUE_MAX - o;
			memcpy(out + o, v, len);
			o += len;
			in = close + 1;
			continue;
		}
		out[o++] = *in++;
	}
	out[o] = '\0';
	return out;
}

static const char *
map_value(Spd__StringEntry **e, size_t n, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(e[i]->key) == klen &&
		    memcmp(e[i]->key, key, klen) == 0)
			return e[i]->value;
	return "";
}

/* A downward API field; podcheck allowed only these paths. */
const char *
field_value(struct arena *a, const struct agent *ag, const struct pod_ctx *pc,
    const char *path, const char *pod_ip)
{
	const Spd__ObjectMeta	*m = pc->pod->metadata;
	const char		*key;

	if (strcmp(path, "metadata.name") == 0)
		return m->name;
	if (strcmp(path, "metadata.namespace") == 0)
		return m->namespace_;
	if (strcmp(path, "metadata.uid") == 0)
		return pc->uid;
	if (strcmp(path, "spec.nodeName") == 0)
		return ag->node_name;
	if (strcmp(path, "spec.serviceAccountName") == 0)
		return "";
	if (strcmp(path, "status.hostIP") == 0 ||
	    strcmp(path, "status.hostIPs") == 0)
		return ag->host_ip;
	if (strcmp(path, "status.podIP") == 0 ||
	    strcmp(path, "status.podIPs") == 0)
		return pc->pod->spec->hostnetwork ? ag->host_ip : pod_ip;
	if (strncmp(path, "metadata.labels['", 17) == 0) {
		key = path + 17;
		return map_value(m->labels, m->n_labels, key, strlen(key) - 2);
	}
	if (strncmp(path, "metadata.annotations['", 22) == 0) {
		key = path + 22;
		return map_value(m->annotations, m->n_annotations, key,
		    strlen(key) - 2);
	}
	(void)a;
	return "";
}

static const Spd__Container *
find_container(const Spd__PodSpec *s, const char *name,
    const Spd__Container *self)
{
	size_t i;

	if (name == NULL)
		return self;
	for (i = 0; i < s->n_containers; i++)
		if (strcmp(s->containers[i]->name, name) == 0)
			return s->containers[i];
	for (i = 0; i < s->n_initcontainers; i++)
		if (strcmp(s->initcontainers[i]->name, name) == 0)
			return s->initcontainers[i];
	return self;
}

static int64_t
quantity_of(const Spd__ResourceRequirements *r, const char *what,
    const char *res)
{
	Spd__QuantityEntry	**e;
	size_t			  i, n;

	if (r == NULL)
		return -1;
	e = strcmp(what, "limits") == 0 ? r->limits : r->requests;
	n = strcmp(what, "limits") == 0 ? r->n_limits : r->n_requests;
	for (i = 0; i < n; i++)
		if (strcmp(e[i]->key, res) == 0)
			return e[i]->value->milli;
	return -1;
}

/*
 * limits.cpu and friends, divided by the divisor and rounded up; an unset
 * limit is the node's capacity, as the kubelet reports allocatable.
 */
const char *
resource_value(struct arena *a, const struct pod_ctx *pc,
    const Spd__ResourceFieldSelector *r, const Spd__Container *self)
{
	const Spd__Container	*ct;
	const char		*dot = strchr(r->resource, '.');
	char			 what[16], buf[32];
	int64_t			 v, div;

	ct = find_container(pc->pod->spec, r->containername, self);
	snprintf(what, sizeof(what), "%.*s", (int)(dot - r->resource),
	    r->resource);
	v = quantity_of(ct->resources, what, dot + 1);
	if (v < 0 && strcmp(what, "limits") == 0) {
		if (strcmp(dot + 1, "cpu") == 0)
			v = sysconf(_SC_NPROCESSORS_ONLN) * 1000;
		else
			v = (int64_t)sysconf(_SC_PHYS_PAGES) *
			    sysconf(_SC_PAGESIZE) * 1000;
	} else if (v < 0)
		v = 0;
	div = r->divisor != NULL && r->divisor->milli > 0 ?
	    r->divisor->milli : 1000;
	snprintf(buf, sizeof(buf), "%lld", (long long)((v + div - 1) / div));
	return sdup(a, buf, strlen(buf));
}

static char **
expand_list(struct arena *a, char **in, size_t n, const struct envset *e)
{
	char	**out;
	size_t	  i;

	if ((out = arena_alloc(a, (n + 1) * sizeof(*out))) == NULL)
		fatalx("env: arena exhausted");
	for (i = 0; i < n; i++)
		out[i] = expand(a, in[i], e);
	return out;
}

int
env_build(struct arena *a, const struct agent *ag, const struct pod_ctx *pc,
    const Spd__Container *ct, const char *pod_ip, Runtime__V1__KeyValue ***out,
    size_t *nout, char ***cmd, size_t *ncmd, char ***args, size_t *nargs,
    char *err, size_t errlen)
{
	const Spd__EnvVar	 *v;
	Runtime__V1__KeyValue	**kv;
	struct envset		  e;
	const char		 *val;
	size_t			  i;

	(void)err;
	(void)errlen;
	e.name = arena_alloc(a, (ct->n_env + 1) * sizeof(char *));
	e.value = arena_alloc(a, (ct->n_env + 1) * sizeof(char *));
	kv = arena_alloc(a, (ct->n_env + 1) * sizeof(*kv));
	if (e.name == NULL || e.value == NULL || kv == NULL)
		fatalx("env: arena exhausted");
	e.n = 0;
	for (i = 0; i < ct->n_env; i++) {
		v = ct->env[i];
		if (v->valuefrom != NULL && v->valuefrom->fieldref != NULL)
			val = field_value(a, ag, pc,
			    v->valuefrom->fieldref->fieldpath, pod_ip);
		else if (v->valuefrom != NULL)
			val = resource_value(a, pc,
			    v->valuefrom->resourcefieldref, ct);
		else
			val = expand(a, v->value != NULL ? v->value : "", &e);
		e.name[e.n] = v->name;
		e.value[e.n] = val;
		e.n++;
		if ((kv[i] = arena_alloc(a, sizeof(**kv))) == NULL)
			fatalx("env: arena exhausted");
		runtime__v1__key_value__init(kv[i]);
		kv[i]->key = v->name;
		kv[i]->value.data = (uint8_t *)val;
		kv[i]->value.len = strlen(val);
	}
	*out = kv;
	*nout = ct->n_env;
	*cmd = expand_list(a, ct->command, ct->n_command, &e);
	*ncmd = ct->n_command;
	*args = expand_list(a, ct->args, ct->n_args, &e);
	*nargs = ct->n_args;
	return 0;
}
