/*
 * The reconciler: each pass lists what the CRI runtime runs under the
 * agent's ownership label and makes it match the desired pods, as the
 * kubelet's SyncPod does for static pods. Nothing is remembered that the
 * runtime can tell again, so a restarted agent adopts what it finds: the
 * same sandboxes, the same container IDs, no restarts.
 *
 * A pod whose name is no longer desired is removed only once every
 * configured source has delivered a complete view; a name desired with a
 * new UID replaces its old pod at once (two etcds on one data directory
 * are worse than a wait).
 */
#include <sys/timerfd.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "audit.h"
#include "log.h"
#include "policy.h"
#include "reconcile.h"

/* A list entry's key, and its place in the list (equal keys keep it). */
struct keyed {
	const char	*key;
	size_t		 idx;
};

/*
 * What runs, this pass. Each pod looks up its sandboxes and each sandbox
 * its containers through a sorted index: a pass over n pods is n log n,
 * not n squared (it runs every few seconds on an idle node).
 */
struct actual {
	Runtime__V1__PodSandbox	**sb;
	struct keyed		 *sb_by_uid;	/* by pod UID label */
	size_t			  nsb;
	Runtime__V1__Container	**ct;		/* sorted by sandbox */
	struct keyed		 *ct_by_sb;	/* and their keys */
	size_t			  nct;
};

struct pass {
	struct agent		*a;
	struct reconciler	*rc;
	struct arena		 ar;	/* one pod's configs and replies */
	struct arena		 lists;	/* what the runtime runs, this pass */
	struct actual		 act;
	int64_t			 now;	/* monotonic ms */
	int64_t			 wall;	/* ms since the epoch: the CRI's times */
	bool			 acted;	/* created, started or removed something */
};

static int64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) == -1)
		fatal("clock_gettime");
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
wall_ms(void)
{
	return clock_us(CLOCK_REALTIME) / 1000;
}

/* The kubelet's 10 s doubling to 300 s, for retries and restarts alike. */
static int64_t
next_backoff(int64_t ms)
{
	ms = ms == 0 ? BACKOFF_FIRST_MS : ms * 2;
	return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms;
}

static const char *
label(Runtime__V1__PodSandbox__LabelsEntry **l, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(l[i]->key, key) == 0)
			return l[i]->value;
	return NULL;
}

static void
hexstr(const uint8_t *b, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[b[i] >> 4];
		out[2 * i + 1] = x[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int64_t
mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

static void
rfc3339_now(char *buf, size_t len)
{
	struct timespec	ts;
	struct tm	tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL) {
		snprintf(buf, len, "1970-01-01T00:00:00Z");
		return;
	}
	if (snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec) >= (int)len)
		fatalx("rfc3339: buffer too small");
}

static struct cri_call
call(struct pass *p, int timeout_ms)
{
	struct cri_call c;

	memset(&c, 0, sizeof(c));
	c.timeout_ms = timeout_ms;
	c.arena = &p->ar;
	p->rc->cri_calls++;
	return c;
}

/* Logs a pod's error once per change, and keeps it for the status file. */
static void
pod_error(struct pod_rt *rt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pod_error(struct pod_rt *rt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rt->error, sizeof(rt->error), fmt, ap);
	va_end(ap);
	if (strcmp(rt->error, rt->reported) == 0)
		return;
	log_warnx("pod %s (uid %s): %s", rt->full_name, rt->uid, rt->error);
	snprintf(rt->reported, sizeof(rt->reported), "%s", rt->error);
}

static void
audit_rule(struct pass *p, enum audit_decision d, const struct pod_rt *rt,
    const struct desired_pod *dp, const char *container, const char *cid,
    const char *rule, const char *reason)
{
	struct audit_rec r;

	if (p->a->audit == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.decision = d;
	r.rule = rule;
	r.pod = rt->full_name;
	r.uid = rt->uid;
	r.container = container;
	r.container_id = cid;
	r.sandbox_id = rt->sandbox_id[0] != '\0' ? rt->sandbox_id : NULL;
	r.reason = reason;
	r.source = rt->source_kind;
	if (dp != NULL) {
		r.sha256 = dp->sha256;
		r.sha256_reported = !dp->sha256_own;
		r.origin = dp->origin;
	}
	audit_write(p->a->audit, &r);
}

static void
audit(struct pass *p, enum audit_decision d, const struct pod_rt *rt,
    const struct desired_pod *dp, const char *container, const char *cid,
    const char *reason)
{
	audit_rule(p, d, rt, dp, container, cid, NULL, reason);
}

/*
 * A pod asks for what the CRI runtime cannot give (a user namespace, an
 * image volume): it is not run with less. Like a policy refusal it is
 * recorded once, as refused by rule "runtime"; it is tried again after
 * the back-off, since a runtime upgraded and reconnected may give it.
 */
static void
refuse_unhonoured(struct pass *p, struct pod_rt *rt,
    const struct desired_pod *dp, const char *why)
{
	pod_error(rt, "%s", why);
	if (rt->refusal_audited)
		return;
	rt->refusal_audited = true;
	audit_rule(p, AUDIT_REFUSED, rt, dp, NULL, NULL, "runtime", why);
}

/* ---- readiness of the CRI runtime ---- */

/*
 * The cgroup driver is the runtime's to say, as the kubelet takes it
 * (KubeletCgroupDriverFromCRI): a cgroup parent of the other kind fails
 * every sandbox (CRI-O under systemd wants a .slice). A runtime without
 * RuntimeConfig (containerd 1.6) leaves the configured driver.
 */
static bool
learn_cgroup_driver(struct pass *p)
{
	Runtime__V1__CgroupDriver	 d;
	struct cri_call			 c = call(p, CRI_SHORT_TIMEOUT_MS);
	const char			*drv;

	if (cri_runtime_config(p->rc->cri, &c, &d) == -1) {
		if (c.err.code == CRI_UNIMPLEMENTED)
			return true;
		snprintf(p->rc->not_ready, sizeof(p->rc->not_ready), "%s",
		    c.err.message);
		log_warnx("CRI runtime: %s", c.err.message);
		return false;
	}
	drv = d == RUNTIME__V1__CGROUP_DRIVER__SYSTEMD ? "systemd" :
	    "cgroupfs";
	if (strcmp(drv, p->a->cfg.cgroupdriver) != 0)
		log_info("cgroup driver %s, as the CRI runtime says "
		    "(cgroupDriver %s is not used)", drv,
		    p->a->cfg.cgroupdriver);
	p->a->cfg.cgroupdriver = (char *)(uintptr_t)drv;
	return true;
}

static bool
ensure_ready(struct pass *p)
{
	struct reconciler		*rc = p->rc;
	struct cri_runtime_status	 st;
	Runtime__V1__VersionResponse	*v;
	struct cri_call			 c = call(p, CRI_PROBE_TIMEOUT_MS);

	if (rc->ready && rc->checked_conn == cri_connections(rc->cri))
		return true;
	rc->ready = false;
	if (cri_version(rc->cri, &c, &v) == -1) {
		/* said once while it is away; the status file keeps the rest */
		if (rc->not_ready[0] == '\0')
			log_warnx("CRI runtime %s: %s; waiting for it",
			    p->a->cfg.containerruntimeendpoint, c.err.message);
		snprintf(rc->not_ready, sizeof(rc->not_ready), "%s",
		    c.err.message);
		return false;
	}
	snprintf(rc->runtime, sizeof(rc->runtime), "%s %s (CRI %s)",
	    v->runtime_name, v->runtime_version, v->runtime_api_version);
	c = call(p, CRI_SHORT_TIMEOUT_MS);
	if (cri_status(rc->cri, &c, &st) == -1 || !st.runtime_ready) {
		snprintf(rc->not_ready, sizeof(rc->not_ready), "%s",
		    c.err.code != CRI_OK ? c.err.message :
		    st.runtime_reason != NULL ? st.runtime_reason :
		    "RuntimeReady is false");
		log_warnx("CRI runtime not ready: %s", rc->not_ready);
		return false;
	}
	if (!learn_cgroup_driver(p))
		return false;
	rc->user_namespaces = st.user_namespaces;
	rc->ready = true;
	rc->checked_conn = cri_connections(rc->cri);
	rc->not_ready[0] = '\0';
	log_info("CRI runtime %s is ready%s", rc->runtime, st.network_ready ?
	    "" : " (no pod network: only host-network pods can start)");
	return true;
}

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed	*x = a, *y = b;
	int			 c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static struct keyed *
keyed_new(struct pass *p, size_t n)
{
	struct keyed *k;

	if ((k = arena_alloc(&p->lists, (n + 1) * sizeof(*k))) == NULL)
		fatalx("reconcile: %zu listed", n);
	return k;
}

/* The run of entries whose key is key: its first, and its length. */
static size_t
keyed_run(const struct keyed *k, size_t n, const char *key, size_t *len)
{
	size_t lo = 0, hi = n, mid, end;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(k[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < n && strcmp(k[end].key, key) == 0; end++)
		;
	*len = end - lo;
	return lo;
}

/* Sandboxes indexed by pod UID; containers sorted by their sandbox. */
static void
index_actual(struct pass *p)
{
	Runtime__V1__Container	**ct;
	const char		 *uid;
	size_t			  i;

	p->act.sb_by_uid = keyed_new(p, p->act.nsb);
	for (i = 0; i < p->act.nsb; i++) {
		uid = label(p->act.sb[i]->labels, p->act.sb[i]->n_labels,
		    LABEL_POD_UID);
		p->act.sb_by_uid[i].key = uid != NULL ? uid : "";
		p->act.sb_by_uid[i].idx = i;
	}
	qsort(p->act.sb_by_uid, p->act.nsb, sizeof(*p->act.sb_by_uid),
	    keyed_cmp);
	p->act.ct_by_sb = keyed_new(p, p->act.nct);
	for (i = 0; i < p->act.nct; i++) {
		p->act.ct_by_sb[i].key = p->act.ct[i]->pod_sandbox_id;
		p->act.ct_by_sb[i].idx = i;
	}
	qsort(p->act.ct_by_sb, p->act.nct, sizeof(*p->act.ct_by_sb),
	    keyed_cmp);
	if ((ct = arena_alloc(&p->lists, (p->act.nct + 1) * sizeof(*ct))) ==
	    NULL)
		fatalx("reconcile: %zu containers", p->act.nct);
	for (i = 0; i < p->act.nct; i++)
		ct[i] = p->act.ct[p->act.ct_by_sb[i].idx];
	p->act.ct = ct;
}

/* The containers of one sandbox, in the order the runtime listed them. */
static Runtime__V1__Container **
containers_of(const struct pass *p, const char *sandbox_id, size_t *n)
{
	return p->act.ct + keyed_run(p->act.ct_by_sb, p->act.nct, sandbox_id,
	    n);
}

static const char *
clabel(const Runtime__V1__Container *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n_labels; i++)
		if (strcmp(c->labels[i]->key, key) == 0)
			return c->labels[i]->value;
	return NULL;
}

/*
 * What the runtime lists is filtered by the ownership label, and the
 * filter is the runtime's to apply: whatever comes back without the
 * label (a runtime that ignored the selector) is dropped here, so a
 * kubelet's pod, or anyone else's, is never stopped.
 */
static void
keep_owned(struct pass *p)
{
	const char	*v;
	size_t		 i, n;

	for (i = n = 0; i < p->act.nsb; i++) {
		v = label(p->act.sb[i]->labels, p->act.sb[i]->n_labels,
		    LABEL_MANAGED);
		if (v != NULL && strcmp(v, "true") == 0)
			p->act.sb[n++] = p->act.sb[i];
	}
	p->act.nsb = n;
	for (i = n = 0; i < p->act.nct; i++) {
		v = clabel(p->act.ct[i], LABEL_MANAGED);
		if (v != NULL && strcmp(v, "true") == 0)
			p->act.ct[n++] = p->act.ct[i];
	}
	p->act.nct = n;
}

static int
list_actual(struct pass *p)
{
	static const struct cri_label	 owned = { LABEL_MANAGED, "true" };
	struct cri_filter		 f = CRI_FILTER_ANY;
	struct cri_call			 c = call(p, CRI_LIST_TIMEOUT_MS);

	f.labels = &owned;
	f.nlabels = 1;
	c.arena = &p->lists;
	if (cri_list_pod_sandbox(p->rc->cri, &c, &f, &p->act.sb,
	    &p->act.nsb) == -1) {
		log_warnx("CRI: %s", c.err.message);
		return -1;
	}
	c = call(p, CRI_LIST_TIMEOUT_MS);
	c.arena = &p->lists;
	if (cri_list_containers(p->rc->cri, &c, &f, &p->act.ct,
	    &p->act.nct) == -1) {
		log_warnx("CRI: %s", c.err.message);
		return -1;
	}
	keep_owned(p);
	index_actual(p);
	return 0;
}

/* ---- stopping and removing ---- */

/* Removes a container, its log files and their link. */
static void
remove_container(struct pass *p, const Runtime__V1__Container *c)
{
	struct cri_call cc = call(p, CRI_SHORT_TIMEOUT_MS);

	if (cri_remove_container(p->rc->cri, &cc, c->id) == -1) {
		log_warnx("remove container %.12s: %s", c->id, cc.err.message);
		return;
	}
	logs_unlink(p->a, clabel(c, LABEL_POD_NAME),
	    clabel(c, LABEL_POD_NAMESPACE), clabel(c, LABEL_CONTAINER_NAME),
	    c->id);
	if (c->metadata != NULL)
		logs_remove_container(p->a, clabel(c, LABEL_POD_NAMESPACE),
		    clabel(c, LABEL_POD_NAME), clabel(c, LABEL_POD_UID),
		    clabel(c, LABEL_CONTAINER_NAME), c->metadata->attempt);
}

/* Stops every container of a sandbox, then the sandbox, then removes all. */
static void
kill_sandbox(struct pass *p, const Runtime__V1__PodSandbox *sb,
    int64_t grace_s, const char *why)
{
	Runtime__V1__Container	**cts;
	const char		*uid, *ns, *name;
	struct pod_rt		 fake;
	struct cri_call		 c;
	size_t			 i, n;

	uid = label(sb->labels, sb->n_labels, LABEL_POD_UID);
	ns = label(sb->labels, sb->n_labels, LABEL_POD_NAMESPACE);
	name = label(sb->labels, sb->n_labels, LABEL_POD_NAME);
	memset(&fake, 0, sizeof(fake));
	snprintf(fake.uid, sizeof(fake.uid), "%s", uid != NULL ? uid : "");
	fake.full_name = arena_strdup(&p->ar, "");
	if (ns != NULL && name != NULL) {
		char buf[512];

		snprintf(buf, sizeof(buf), "%s/%s", ns, name);
		fake.full_name = arena_strdup(&p->ar, buf);
	}
	snprintf(fake.sandbox_id, sizeof(fake.sandbox_id), "%s", sb->id);
	log_info("stopping pod %s (uid %s, sandbox %.12s): %s", fake.full_name,
	    fake.uid, sb->id, why);
	p->acted = true;
	cts = containers_of(p, sb->id, &n);
	for (i = 0; i < n; i++) {
		if (cts[i]->state !=
		    RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING)
			continue;
		c = call(p, (int)(grace_s * 1000) + STOP_SLACK_MS);
		if (cri_stop_container(p->rc->cri, &c, cts[i]->id,
		    grace_s) == -1)
			log_warnx("stop container %.12s: %s", cts[i]->id,
			    c.err.message);
		audit(p, AUDIT_STOPPED, &fake, NULL, cts[i]->metadata != NULL ?
		    cts[i]->metadata->name : NULL, cts[i]->id, why);
	}
	c = call(p, CRI_SHORT_TIMEOUT_MS);
	if (cri_stop_pod_sandbox(p->rc->cri, &c, sb->id) == -1)
		log_warnx("stop sandbox %.12s: %s", sb->id, c.err.message);
	for (i = 0; i < n; i++)
		remove_container(p, cts[i]);
	c = call(p, CRI_SHORT_TIMEOUT_MS);
	if (cri_remove_pod_sandbox(p->rc->cri, &c, sb->id) == -1) {
		log_warnx("remove sandbox %.12s: %s", sb->id, c.err.message);
		return;
	}
	audit(p, AUDIT_REMOVED, &fake, NULL, NULL, NULL, why);
}

/* ---- the desired side ---- */

static bool
admitted(const struct desired_pod *dp)
{
	return !dp->refused && !dp->policy_refused;
}

static const struct desired_pod *
desired_by_uid(const struct agent *a, const char *uid)
{
	size_t i;

	for (i = 0; i < a->desired.n; i++)
		if (strcmp(a->desired.pods[i].uid, uid) == 0)
			return &a->desired.pods[i];
	return NULL;
}

static const struct desired_pod *
desired_by_name(const struct agent *a, const char *full)
{
	size_t i;

	for (i = 0; i < a->desired.n; i++)
		if (admitted(&a->desired.pods[i]) &&
		    strcmp(a->desired.pods[i].full_name, full) == 0)
			return &a->desired.pods[i];
	return NULL;
}

static bool
all_sources_ready(const struct agent *a)
{
	size_t i;

	for (i = 0; i < CHAN_MAX; i++)
		if (source_base(a, (enum chan_kind)i) != NULL &&
		    !a->chan[i].ready)
			return false;
	return true;
}

/*
 * Passes and the status walk the pods in the order they were added, so
 * the search starts after the last one found: a pass is linear in pods.
 */
struct pod_rt *
rt_find(struct reconciler *rc, const char *uid)
{
	size_t i, k;

	for (k = 0; k < rc->npods; k++) {
		i = (rc->find_next + k) % rc->npods;
		if (strcmp(rc->pods[i].uid, uid) == 0) {
			rc->find_next = i + 1;
			return &rc->pods[i];
		}
	}
	return NULL;
}

/*
 * A pod's terminationGracePeriodSeconds when it is stopped: from the pod
 * while the agent holds it, else from the annotation its containers carry
 * (an agent restarted after the manifest went), else the kubelet's 30.
 */
static int64_t
grace_of(struct pass *p, const Runtime__V1__PodSandbox *sb)
{
	Runtime__V1__Container		**cts;
	const Runtime__V1__Container	*ct;
	const struct pod_rt		*rt;
	const char			*uid;
	char				*end;
	long long			 g;
	size_t				 i, j, n;

	uid = label(sb->labels, sb->n_labels, LABEL_POD_UID);
	if (uid != NULL && (rt = rt_find(p->rc, uid)) != NULL &&
	    rt->pod != NULL)
		return rt->pod->spec->terminationgraceperiodseconds;
	cts = containers_of(p, sb->id, &n);
	for (i = 0; i < n; i++) {
		ct = cts[i];
		for (j = 0; j < ct->n_annotations; j++) {
			if (strcmp(ct->annotations[j]->key,
			    ANNOTATION_GRACE) != 0)
				continue;
			errno = 0;
			g = strtoll(ct->annotations[j]->value, &end, 10);
			if (errno == 0 && *end == '\0' &&
			    end != ct->annotations[j]->value && g >= 0 &&
			    g <= GRACE_MAX_S)
				return g;
		}
	}
	return GRACE_DEFAULT_S;
}


static void
rt_free(struct pod_rt *rt)
{
	free(rt->ctrs);
	free(rt->full_name);
	if (rt->pod != NULL)
		spd__pod__free_unpacked(rt->pod, NULL);
}

static void
rt_containers(struct pod_rt *rt)
{
	const Spd__PodSpec	*s = rt->pod->spec;
	struct ctr_rt		*c;
	size_t			 i, n = 0;

	free(rt->ctrs);
	if ((rt->ctrs = calloc(s->n_initcontainers + s->n_containers + 1,
	    sizeof(*rt->ctrs))) == NULL)
		fatal("reconcile");
	for (i = 0; i < s->n_initcontainers + s->n_containers; i++) {
		const Spd__Container *ct = i < s->n_initcontainers ?
		    s->initcontainers[i] : s->containers[i -
		    s->n_initcontainers];

		c = &rt->ctrs[n++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s", ct->name);
		c->init = i < s->n_initcontainers;
		c->sidecar = c->init && ct->restartpolicy != NULL &&
		    strcmp(ct->restartpolicy, "Always") == 0;
		c->state = -1;
	}
	rt->nctrs = n;
}

static struct pod_rt *
rt_get(struct reconciler *rc, const struct desired_pod *dp)
{
	struct pod_rt	*rt;

	if ((rt = rt_find(rc, dp->uid)) != NULL)
		return rt;
	if ((rt = reallocarray(rc->pods, rc->npods + 1, sizeof(*rt))) == NULL)
		fatal("reconcile");
	rc->pods = rt;
	rt = &rc->pods[rc->npods++];
	memset(rt, 0, sizeof(*rt));
	memcpy(rt->uid, dp->uid, sizeof(rt->uid));
	if ((rt->full_name = strdup(dp->full_name)) == NULL)
		fatal("reconcile");
	if ((rt->pod = spd__pod__unpack(NULL, dp->canon_len, dp->canon)) ==
	    NULL)
		fatalx("reconcile: a desired pod does not unpack");
	rfc3339_now(rt->seen, sizeof(rt->seen));
	hexstr(dp->sha256, 32, rt->sha256_hex);
	rt->source_kind = dp->source == CHAN_URL ? "http" : "file";
	rt_containers(rt);
	return rt;
}

static void
pod_ctx_of(struct agent *a, struct arena *ar, const struct pod_rt *rt,
    struct pod_ctx *pc)
{
	const Spd__ObjectMeta	*m = rt->pod->metadata;
	struct kv		*kv;
	size_t			 i, n = 0;

	memset(pc, 0, sizeof(*pc));
	pc->pod = rt->pod;
	pc->uid = rt->uid;
	pc->source_kind = rt->source_kind;
	pc->seen = rt->seen;
	pc->sha256_hex = rt->sha256_hex;
	/* some runtimes change behaviour by annotation: only what policy lets */
	if ((kv = arena_alloc(ar, (m->n_annotations + 1) * sizeof(*kv))) ==
	    NULL)
		fatalx("reconcile: arena exhausted");
	for (i = 0; i < m->n_annotations; i++)
		if (admit_annotation(a, m->annotations[i]->key)) {
			kv[n].key = m->annotations[i]->key;
			kv[n++].value = m->annotations[i]->value;
		}
	pc->annotations = kv;
	pc->nannotations = n;
	pc->userns_first = rt->userns_first;
}

static bool
wants_userns(const struct pod_rt *rt)
{
	return rt->pod->spec->has_hostusers && !rt->pod->spec->hostusers;
}

/*
 * The pod's user namespace range: made for a new sandbox (create), read
 * back for one adopted, whose containers must have the range it has.
 */
static int
pod_userns(struct pass *p, struct pod_rt *rt, bool create)
{
	char err[ERROR_MAX];

	if (!wants_userns(rt) || rt->userns_first != 0)
		return 0;
	if (userns_range(p->a, rt->uid, create, &rt->userns_first, err,
	    sizeof(err)) == -1) {
		pod_error(rt, "%s", err);
		return -1;
	}
	return 0;
}

/* ---- images ---- */

/*
 * The image to create a container from, by pull policy: Always pulls at
 * every start, IfNotPresent when absent, Never refuses when absent.
 */
static const char *
ensure_image(struct pass *p, struct pod_rt *rt, const Spd__Container *ct,
    const Runtime__V1__PodSandboxConfig *sbc)
{
	Runtime__V1__Image	*img = NULL;
	struct cri_call		 c;
	char			*ref = NULL;

	if (strcmp(ct->imagepullpolicy, "Always") != 0) {
		c = call(p, CRI_SHORT_TIMEOUT_MS);
		if (cri_image_status(p->rc->cri, &c, ct->image, &img) == -1) {
			pod_error(rt, "container %s: image status of %s: %s",
			    ct->name, ct->image, c.err.message);
			return NULL;
		}
		if (img != NULL)
			return img->id != NULL && img->id[0] != '\0' ?
			    img->id : ct->image;
		if (strcmp(ct->imagepullpolicy, "Never") == 0) {
			pod_error(rt, "container %s: image %s is not present "
			    "and imagePullPolicy is Never (ErrImageNeverPull)",
			    ct->name, ct->image);
			return NULL;
		}
	}
	c = call(p, CRI_PULL_TIMEOUT_MS);
	if (cri_pull_image(p->rc->cri, &c, ct->image, sbc, &ref) == -1) {
		pod_error(rt, "container %s: pull %s: %s (ErrImagePull)",
		    ct->name, ct->image, c.err.message);
		return NULL;
	}
	log_info("pod %s: container %s: pulled %s", rt->full_name, ct->name,
	    ct->image);
	return ref;
}

/* ---- containers ---- */

/*
 * runAsNonRoot (or a ban on uid 0) for a container that sets no runAsUser
 * depends on the image's user, which ImageStatus tells: the policy judges
 * it now, before the container exists, and a refusal stops the pod.
 */
static int
check_image_user(struct pass *p, struct pod_rt *rt, size_t i,
    const Spd__Container *ct, const struct desired_pod *dp)
{
	struct policy_image_user	 u;
	Runtime__V1__Image		*img = NULL;
	struct cri_call			 c;
	bool				 init = i < rt->pod->spec->n_initcontainers;
	size_t				 idx = init ? i : i -
					    rt->pod->spec->n_initcontainers;

	if (p->a->policy == NULL || !policy_needs_image_user(p->a->policy,
	    rt->pod, init, idx))
		return 0;
	c = call(p, CRI_SHORT_TIMEOUT_MS);
	if (cri_image_status(p->rc->cri, &c, ct->image, &img) == -1 ||
	    img == NULL) {
		pod_error(rt, "container %s: the image's user is needed by the "
		    "policy and ImageStatus did not give it", ct->name);
		return -1;
	}
	memset(&u, 0, sizeof(u));
	if (img->uid != NULL) {
		u.has_uid = true;
		u.uid = img->uid->value;
	}
	u.username = img->username;
	/* the agent's own record: the refusal is written on it */
	return admit_image_user(p->a, (struct desired_pod *)(uintptr_t)dp,
	    rt->pod, init, idx, &u);
}

static const Spd__Container *
spec_of(const struct pod_rt *rt, size_t i)
{
	const Spd__PodSpec *s = rt->pod->spec;

	return i < s->n_initcontainers ? s->initcontainers[i] :
	    s->containers[i - s->n_initcontainers];
}

static int
try_start(struct pass *p, struct pod_rt *rt, size_t i,
    const struct desired_pod *dp)
{
	const Spd__Container		*ct = spec_of(rt, i);
	struct ctr_rt			*cr = &rt->ctrs[i];
	struct pod_ctx			 pc;
	Runtime__V1__PodSandboxConfig	*sbc;
	Runtime__V1__ContainerConfig	*cc;
	Runtime__V1__KeyValue		**envs;
	Runtime__V1__Mount		**mounts;
	struct cri_call			 c;
	const char			*image;
	char				 err[ERROR_MAX], dir[PATH_MAX];
	char				**cmd, **args, *id = NULL;
	size_t				 nenvs, nmounts, ncmd, nargs;
	uint32_t			 attempt = cr->state == -1 ? 0 :
					    cr->attempt + 1;

	p->acted = true;
	pod_ctx_of(p->a, &p->ar, rt, &pc);
	sbc = podconfig_sandbox(&p->ar, p->a, &pc, rt->attempt);
	if ((image = ensure_image(p, rt, ct, sbc)) == NULL)
		return -1;
	if (check_image_user(p, rt, i, ct, dp) == -1)
		return -1;
	snprintf(dir, sizeof(dir), "%s/%s", sbc->log_directory, ct->name);
	if (mkdir_p(dir, 0755) == -1) {
		pod_error(rt, "log directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (env_build(&p->ar, p->a, &pc, ct, rt->pod_ip, &envs, &nenvs, &cmd,
	    &ncmd, &args, &nargs, err, sizeof(err)) == -1 ||
	    volumes_mounts(&p->ar, p->a, &pc, ct, attempt, rt->pod_ip, &mounts,
	    &nmounts, err, sizeof(err)) == -1) {
		pod_error(rt, "container %s: %s", ct->name, err);
		return -1;
	}
	cc = podconfig_container(&p->ar, p->a, &pc, ct, attempt, image, envs,
	    nenvs, mounts, nmounts);
	cc->command = cmd;
	cc->n_command = ncmd;
	cc->args = args;
	cc->n_args = nargs;
	c = call(p, CRI_CREATE_TIMEOUT_MS);
	if (cri_create_container(p->rc->cri, &c, rt->sandbox_id, cc, sbc,
	    &id) == -1) {
		pod_error(rt, "container %s: create: %s", ct->name,
		    c.err.message);
		return -1;
	}
	c = call(p, CRI_CREATE_TIMEOUT_MS);
	if (cri_start_container(p->rc->cri, &c, id) == -1) {
		pod_error(rt, "container %s: start: %s", ct->name,
		    c.err.message);
		/* not left CREATED: the retry makes a new one */
		c = call(p, CRI_SHORT_TIMEOUT_MS);
		if (cri_remove_container(p->rc->cri, &c, id) == -1)
			log_warnx("remove container %.12s: %s", id,
			    c.err.message);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/%s/%u.log", sbc->log_directory,
	    ct->name, attempt);
	logs_link(p->a, rt->pod->metadata->name, rt->pod->metadata->namespace_,
	    ct->name, id, dir);
	snprintf(cr->id, sizeof(cr->id), "%s", id);
	cr->attempt = attempt;
	cr->state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
	cr->exit_known = false;
	cr->started_ms = p->wall;
	rt->error[0] = '\0';
	if (attempt > 0)
		p->rc->restarts_total++;
	log_info("pod %s: container %s %s (id %.12s, attempt %u)",
	    rt->full_name, ct->name, attempt > 0 ? "restarted" : "started", id,
	    attempt);
	audit(p, attempt > 0 ? AUDIT_RESTARTED : AUDIT_STARTED, rt, dp,
	    ct->name, id, NULL);
	return 0;
}

/*
 * A start that failed (a pull, a hostPath not there yet, the runtime's
 * create or start) is tried again after the kubelet's back-off, not on
 * every pass: a registry that is down is not asked every two seconds,
 * and a pull that hangs does not hold every pass up.
 */
static int
start_container(struct pass *p, struct pod_rt *rt, size_t i,
    const struct desired_pod *dp)
{
	struct ctr_rt *cr = &rt->ctrs[i];

	if (p->wall < cr->retry_at_ms)
		return -1;
	if (try_start(p, rt, i, dp) == -1) {
		cr->retry_backoff_ms = next_backoff(cr->retry_backoff_ms);
		cr->retry_at_ms = p->wall + cr->retry_backoff_ms;
		return -1;
	}
	cr->retry_backoff_ms = cr->retry_at_ms = 0;
	return 0;
}

/* The newest container of a name in the sandbox (exited: of those exited). */
static const Runtime__V1__Container *
newest(const struct pass *p, const char *sandbox, const char *name,
    bool exited)
{
	Runtime__V1__Container		**cts;
	const Runtime__V1__Container	*best = NULL, *c;
	size_t				 i, n;

	cts = containers_of(p, sandbox, &n);
	for (i = 0; i < n; i++) {
		c = cts[i];
		if (c->metadata == NULL || strcmp(c->metadata->name, name) != 0 ||
		    (exited && c->state !=
		    RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED))
			continue;
		if (best == NULL || c->metadata->attempt > best->metadata->attempt)
			best = c;
	}
	return best;
}

static const Runtime__V1__Container *
latest(const struct pass *p, const char *sandbox, const char *name)
{
	return newest(p, sandbox, name, false);
}

/* Exit code and times of an exited container, asked once per container. */
static void
learn_exit(struct pass *p, struct ctr_rt *cr, const char *id)
{
	Runtime__V1__ContainerStatus	*st;
	struct cri_call			 c;

	if (cr->exit_known && strcmp(cr->id, id) == 0)
		return;
	snprintf(cr->id, sizeof(cr->id), "%s", id);
	cr->exit_known = false;	/* not the last container's, if this fails */
	c = call(p, CRI_SHORT_TIMEOUT_MS);
	if (cri_container_status(p->rc->cri, &c, id, &st) == -1 || st == NULL)
		return;
	cr->exit_code = st->exit_code;
	cr->exit_known = true;
	cr->finished_ms = st->finished_at / 1000000;
	if (st->started_at > 0)
		cr->started_ms = st->started_at / 1000000;
	snprintf(cr->reason, sizeof(cr->reason), "%s",
	    st->reason != NULL ? st->reason : "");
}

static bool
should_restart(const struct pod_rt *rt, const struct ctr_rt *cr)
{
	const char *policy = rt->pod->spec->restartpolicy;

	if (cr->sidecar || strcmp(policy, "Always") == 0)
		return true;
	if (strcmp(policy, "OnFailure") == 0)
		return cr->exit_code != 0;
	return false;
}

/*
 * Whether what happens next depends on the exit code: not for a container
 * restarted whatever it exited with. One whose exit code could not be
 * read is not guessed at.
 */
static bool
exit_decides(const struct pod_rt *rt, const struct ctr_rt *cr)
{
	if (cr->sidecar)
		return false;
	return cr->init || strcmp(rt->pod->spec->restartpolicy, "Always") != 0;
}

/*
 * The kubelet's crash backoff: the first restart at once, then 10 s
 * doubling to 300 s, reset after ten minutes of running. Returns 0 when
 * the container may be restarted now (and sets the wait after this
 * restart), else the milliseconds still to wait.
 */
int64_t
restart_backoff(struct ctr_rt *cr, int64_t wall)
{
	if (cr->finished_ms - cr->started_ms >= BACKOFF_RESET_MS)
		cr->backoff_ms = 0;
	if (cr->finished_ms + cr->backoff_ms > wall)
		return cr->finished_ms + cr->backoff_ms - wall;
	cr->backoff_ms = next_backoff(cr->backoff_ms);
	return 0;
}

static bool
backoff_over(struct pass *p, struct pod_rt *rt, struct ctr_rt *cr)
{
	if (restart_backoff(cr, p->wall) == 0)
		return true;
	pod_error(rt, "container %s: back-off %llds restarting failed "
	    "container (CrashLoopBackOff)", cr->name,
	    (long long)(cr->backoff_ms / 1000));
	return false;
}

static void
check_log(struct pass *p, struct pod_rt *rt, struct ctr_rt *cr)
{
	struct cri_call	 c = call(p, CRI_SHORT_TIMEOUT_MS);
	const char	*dir;
	char		 cdir[PATH_MAX];

	cr->log_checked_ms = p->now;
	dir = pod_log_dir(&p->ar, p->a, rt->pod, rt->uid);
	snprintf(cdir, sizeof(cdir), "%s/%s", dir, cr->name);
	if (logs_rotate(p->rc->cri, &c, p->a, cdir, cr->attempt, cr->id) == 1)
		log_info("pod %s: container %s's log rotated", rt->full_name,
		    cr->name);
}

/* Returns true when the container is done (init) or settled (regular). */
static bool
sync_container(struct pass *p, struct pod_rt *rt, size_t i,
    const struct desired_pod *dp)
{
	struct ctr_rt			*cr = &rt->ctrs[i];
	const Runtime__V1__Container	*c;

	c = latest(p, rt->sandbox_id, cr->name);
	if (c == NULL) {
		if (cr->state != -1 && cr->id[0] != '\0' && !cr->init &&
		    !should_restart(rt, cr))
			return true;	/* finished, and its record removed */
		cr->state = -1;
		start_container(p, rt, i, dp);
		return !cr->init || cr->sidecar ? true : false;
	}
	cr->attempt = c->metadata->attempt;
	cr->state = c->state;
	if (c->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING) {
		snprintf(cr->id, sizeof(cr->id), "%s", c->id);
		if (p->now - cr->log_checked_ms >= LOG_CHECK_MS)
			check_log(p, rt, cr);
		return !cr->init || cr->sidecar;
	}
	if (c->state != RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED) {
		/*
		 * CREATED and never started (the agent stopped between the
		 * calls; CRI-O finished a create the agent had given up on)
		 * or UNKNOWN: as the kubelet does, a new one is made.
		 */
		if (p->wall - c->created_at / 1000000 < CREATED_STALE_MS)
			return false;
		log_warnx("pod %s: container %s %.12s is %s; made anew",
		    rt->full_name, cr->name, c->id, c->state ==
		    RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED ?
		    "created but not started" : "in an unknown state");
		remove_container(p, c);
		start_container(p, rt, i, dp);
		return false;
	}
	learn_exit(p, cr, c->id);
	if (!cr->exit_known && exit_decides(rt, cr))
		return false;	/* asked again next pass */
	if (cr->init && !cr->sidecar && cr->exit_known && cr->exit_code == 0)
		return true;
	if (!should_restart(rt, cr)) {
		if (cr->init) {
			rt->finished = true;
			rt->phase = PHASE_FAILED;
			pod_error(rt, "init container %s exited %d and "
			    "restartPolicy is Never", cr->name, cr->exit_code);
		}
		return true;
	}
	if (backoff_over(p, rt, cr))
		start_container(p, rt, i, dp);
	return false;
}


/*
 * The kubelet's container GC (MaxPerPodContainer 1): of each container's
 * exited ones, the newest stays, with its log, for `crictl logs` of the
 * attempt before; the older ones go, logs and all.
 */
static void
collect_garbage(struct pass *p, const struct pod_rt *rt)
{
	Runtime__V1__Container		**cts;
	const Runtime__V1__Container	*c;
	size_t				 i, n;

	cts = containers_of(p, rt->sandbox_id, &n);
	for (i = 0; i < n; i++) {
		c = cts[i];
		if (c->state != RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED ||
		    c->metadata == NULL)
			continue;
		if (newest(p, rt->sandbox_id, c->metadata->name, true) == c)
			continue;
		remove_container(p, c);
	}
}

static void
update_phase(struct pod_rt *rt)
{
	const Spd__PodSpec	*s = rt->pod->spec;
	size_t			 i, running = 0, exited = 0, failed = 0;

	if (rt->finished)
		return;
	for (i = s->n_initcontainers; i < rt->nctrs; i++) {
		if (rt->ctrs[i].state ==
		    RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING)
			running++;
		else if (rt->ctrs[i].state ==
		    RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED &&
		    rt->ctrs[i].exit_known && !should_restart(rt,
		    &rt->ctrs[i])) {
			exited++;
			failed += rt->ctrs[i].exit_code != 0;
		}
	}
	if (exited == s->n_containers) {
		rt->phase = failed > 0 ? PHASE_FAILED : PHASE_SUCCEEDED;
		rt->finished = true;
		log_info("pod %s (uid %s) %s", rt->full_name, rt->uid,
		    failed > 0 ? "failed" : "succeeded");
		return;
	}
	rt->phase = running + exited == s->n_containers ? PHASE_RUNNING :
	    PHASE_PENDING;
}

/* Stops a pod that outlived activeDeadlineSeconds; it stays finished. */
/* The running containers of a sandbox, stopped within the grace period. */
static void
stop_containers(struct pass *p, const Runtime__V1__PodSandbox *sb,
    int64_t grace_s)
{
	Runtime__V1__Container	**cts;
	struct cri_call		  c;
	size_t			  i, n;

	cts = containers_of(p, sb->id, &n);
	for (i = 0; i < n; i++) {
		if (cts[i]->state !=
		    RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING)
			continue;
		c = call(p, (int)grace_s * 1000 + STOP_SLACK_MS);
		(void)cri_stop_container(p->rc->cri, &c, cts[i]->id, grace_s);
	}
}

static bool
deadline_passed(struct pass *p, struct pod_rt *rt,
    const Runtime__V1__PodSandbox *sb)
{
	const Spd__PodSpec *s = rt->pod->spec;

	if (!s->has_activedeadlineseconds || rt->started_ms == 0 ||
	    p->wall - rt->started_ms < s->activedeadlineseconds * 1000)
		return false;
	rt->finished = true;
	rt->phase = PHASE_FAILED;
	pod_error(rt, "active deadline of %llds passed (DeadlineExceeded)",
	    (long long)s->activedeadlineseconds);
	if (sb != NULL)
		stop_containers(p, sb, s->terminationgraceperiodseconds);
	return true;
}

/*
 * An emptyDir over its sizeLimit evicts the pod, as the kubelet's
 * eviction manager does: it fails, its containers stop, the volume's
 * disk is given back, and it stays failed until its manifest changes.
 */
static bool
evicted(struct pass *p, struct pod_rt *rt, const Runtime__V1__PodSandbox *sb,
    const struct desired_pod *dp)
{
	const Spd__PodSpec	*s = rt->pod->spec;
	const Spd__Volume	*vol;
	char			 err[ERROR_MAX];

	if (p->now - rt->usage_checked_ms < USAGE_CHECK_MS)
		return false;
	rt->usage_checked_ms = p->now;
	if ((vol = volumes_over_limit(p->a, s, rt->uid, err, sizeof(err))) ==
	    NULL)
		return false;
	rt->finished = true;
	rt->phase = PHASE_FAILED;
	pod_error(rt, "evicted: %s", err);
	if (sb != NULL)
		stop_containers(p, sb, s->terminationgraceperiodseconds);
	volumes_clear(p->a, rt->uid, vol);
	audit(p, AUDIT_STOPPED, rt, dp, NULL, NULL, err);
	return true;
}

/* ---- sandboxes ---- */

static const Runtime__V1__PodSandbox *
ready_sandbox(struct pass *p, const char *uid, uint32_t *max_attempt,
    bool *any)
{
	const Runtime__V1__PodSandbox	*best = NULL, *sb;
	size_t				 i, first, n;

	*any = false;
	*max_attempt = 0;
	first = keyed_run(p->act.sb_by_uid, p->act.nsb, uid, &n);
	for (i = first; i < first + n; i++) {
		sb = p->act.sb[p->act.sb_by_uid[i].idx];
		if (sb->metadata == NULL)
			continue;
		if (!*any || sb->metadata->attempt > *max_attempt)
			*max_attempt = sb->metadata->attempt;
		*any = true;
		if (sb->state != RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY)
			continue;
		if (best == NULL || sb->metadata->attempt >
		    best->metadata->attempt)
			best = sb;
	}
	return best;
}

/* After a reboot a sandbox is NOTREADY: removed, and made again. */
static void
remove_stale(struct pass *p, const char *uid,
    const Runtime__V1__PodSandbox *keep)
{
	const Runtime__V1__PodSandbox	*sb;
	size_t				 i, first, n;

	first = keyed_run(p->act.sb_by_uid, p->act.nsb, uid, &n);
	for (i = first; i < first + n; i++) {
		sb = p->act.sb[p->act.sb_by_uid[i].idx];
		if (sb == keep)
			continue;
		kill_sandbox(p, sb, 0, "sandbox not ready; made anew");
	}
}

/*
 * A sandbox whose status the runtime cannot give (CRI-O: NOT_FOUND once
 * it vanished) gets nothing made in it: the next pass lists again.
 */
static int
pod_ip(struct pass *p, struct pod_rt *rt)
{
	Runtime__V1__PodSandboxStatus	*st;
	struct cri_call			 c = call(p, CRI_SHORT_TIMEOUT_MS);

	rt->pod_ip[0] = '\0';
	if (rt->pod->spec->hostnetwork) {
		snprintf(rt->pod_ip, sizeof(rt->pod_ip), "%s", p->a->host_ip);
		return 0;
	}
	if (cri_pod_sandbox_status(p->rc->cri, &c, rt->sandbox_id, &st) ==
	    -1) {
		pod_error(rt, "sandbox %.12s: %s", rt->sandbox_id,
		    c.err.message);
		return -1;
	}
	if (st->network != NULL && st->network->ip != NULL)
		snprintf(rt->pod_ip, sizeof(rt->pod_ip), "%s", st->network->ip);
	return 0;
}

static int
run_sandbox(struct pass *p, struct pod_rt *rt, uint32_t attempt,
    const struct desired_pod *dp)
{
	Runtime__V1__PodSandboxConfig	*sbc;
	struct pod_ctx			 pc;
	struct cri_call			 c;
	char				 err[ERROR_MAX];
	char				*id;

	if (wants_userns(rt) && !p->rc->user_namespaces) {
		refuse_unhonoured(p, rt, dp, "hostUsers: false asks for a user "
		    "namespace, and the CRI runtime has none; the pod is not "
		    "run with weaker isolation than it asked for");
		return -1;
	}
	if (volumes_unhonoured(rt->pod->spec, err, sizeof(err)) == -1) {
		refuse_unhonoured(p, rt, dp, err);
		return -1;
	}
	p->acted = true;
	pod_ctx_of(p->a, &p->ar, rt, &pc);
	if (volumes_prepare(p->a, &pc, err, sizeof(err)) == -1) {
		pod_error(rt, "%s", err);
		return -1;
	}
	if (pod_userns(p, rt, true) == -1)
		return -1;
	pc.userns_first = rt->userns_first;
	sbc = podconfig_sandbox(&p->ar, p->a, &pc, attempt);
	if (mkdir_p(sbc->log_directory, 0755) == -1) {
		pod_error(rt, "log directory %s: %s", sbc->log_directory,
		    strerror(errno));
		return -1;
	}
	c = call(p, CRI_CREATE_TIMEOUT_MS);
	if (cri_run_pod_sandbox(p->rc->cri, &c, sbc, NULL, &id) == -1) {
		/* "name is reserved": the next pass lists and adopts it */
		pod_error(rt, "sandbox: %s", c.err.message);
		return -1;
	}
	snprintf(rt->sandbox_id, sizeof(rt->sandbox_id), "%s", id);
	rt->attempt = attempt;
	rt->refusal_audited = false;
	/* the deadline counts from the pod's start, not this sandbox's */
	if (rt->started_ms == 0)
		rt->started_ms = p->wall;
	rt->limits_set = false;
	rt->pod_ip[0] = '\0';
	rt_containers(rt);
	log_info("pod %s (uid %s): sandbox %.12s (attempt %u)", rt->full_name,
	    rt->uid, id, attempt);
	(void)dp;
	return 0;
}

/*
 * The pod cgroup's limits, once per sandbox, before its containers. A
 * pod's own limits that cannot be written keep its containers waiting.
 */
static bool
pod_cgroup(struct pass *p, struct pod_rt *rt)
{
	char	err[ERROR_MAX];
	bool	required;

	if (pod_cgroup_apply(p->a, rt->pod->spec, rt->uid, &required, err,
	    sizeof(err)) == -1) {
		if (required) {
			pod_error(rt, "spec.resources: %s; no container is "
			    "started without the pod's own limits", err);
			return false;
		}
		log_warnx("pod %s (uid %s): pod cgroup limits: %s (the "
		    "containers' own limits still hold)", rt->full_name,
		    rt->uid, err);
	}
	rt->limits_set = true;
	return true;
}

static void
sync_pod(struct pass *p, const struct desired_pod *dp)
{
	const Runtime__V1__PodSandbox	*sb;
	struct pod_rt			*rt = rt_get(p->rc, dp);
	uint32_t			 max_attempt;
	size_t				 i, ninit;
	bool				 any;

	rt->mark = true;
	sb = ready_sandbox(p, rt->uid, &max_attempt, &any);
	remove_stale(p, rt->uid, sb);
	if (rt->finished)
		return;
	if (sb == NULL) {
		if (p->wall < rt->retry_at_ms)
			return;
		if (run_sandbox(p, rt, any ? max_attempt + 1 : 0, dp) == -1) {
			rt->retry_backoff_ms = next_backoff(rt->retry_backoff_ms);
			rt->retry_at_ms = p->wall + rt->retry_backoff_ms;
			return;
		}
		rt->retry_backoff_ms = rt->retry_at_ms = 0;
	} else if (strcmp(rt->sandbox_id, sb->id) != 0) {
		snprintf(rt->sandbox_id, sizeof(rt->sandbox_id), "%s", sb->id);
		rt->attempt = sb->metadata->attempt;
		rt->limits_set = false;
		rt->pod_ip[0] = '\0';
		if (rt->started_ms == 0)
			rt->started_ms = sb->created_at / 1000000;
		if (!rt->adopted) {
			rt->adopted = true;
			log_info("pod %s (uid %s): adopted sandbox %.12s",
			    rt->full_name, rt->uid, sb->id);
			audit(p, AUDIT_ADOPTED, rt, dp, NULL, NULL, NULL);
		}
	}
	if (deadline_passed(p, rt, sb) || evicted(p, rt, sb, dp))
		return;
	if (!rt->limits_set && !pod_cgroup(p, rt))
		return;
	if (rt->pod_ip[0] == '\0' && pod_ip(p, rt) == -1)
		return;
	if (pod_userns(p, rt, false) == -1)
		return;
	ninit = rt->pod->spec->n_initcontainers;
	for (i = 0; i < ninit; i++)
		if (!sync_container(p, rt, i, dp))
			return;	/* the next init container waits */
	if (rt->finished)
		return;
	for (i = ninit; i < rt->nctrs; i++)
		sync_container(p, rt, i, dp);
	collect_garbage(p, rt);
	update_phase(rt);
}

/* A policy dry run: what would stop, said once per pod. */
static void
would_stop(struct pass *p, const struct desired_pod *dp)
{
	struct pod_rt	*rt = rt_find(p->rc, dp->uid);
	struct pod_rt	 tmp;

	if (rt != NULL && rt->would_stop_said)
		return;
	if (rt == NULL) {
		memset(&tmp, 0, sizeof(tmp));
		memcpy(tmp.uid, dp->uid, sizeof(tmp.uid));
		tmp.full_name = dp->full_name;
		tmp.source_kind = dp->source == CHAN_URL ? "http" : "file";
		rt = &tmp;
	} else
		rt->would_stop_said = true;
	log_warnx("pod %s (uid %s) would be stopped: policy %s: %s (dry run)",
	    dp->full_name, dp->uid, dp->policy_rule, dp->policy_reason);
	audit(p, AUDIT_WOULD_STOP, rt, dp, NULL, NULL, dp->policy_reason);
}

/*
 * Owned sandboxes no desired pod accounts for. A name desired with a new
 * UID replaces its old pod now; a pod the policy refuses is stopped
 * (unless the policy is a dry run); anything else waits until every
 * source has given its first complete view.
 */
static void
remove_undesired(struct pass *p)
{
	const Runtime__V1__PodSandbox	*sb;
	const struct desired_pod	*dp, *byname;
	const char			*uid, *ns, *name;
	char				 full[512];
	size_t				 i;
	bool				 ready = all_sources_ready(p->a);

	for (i = 0; i < p->act.nsb; i++) {
		sb = p->act.sb[i];
		uid = label(sb->labels, sb->n_labels, LABEL_POD_UID);
		ns = label(sb->labels, sb->n_labels, LABEL_POD_NAMESPACE);
		name = label(sb->labels, sb->n_labels, LABEL_POD_NAME);
		if (uid == NULL || ns == NULL || name == NULL)
			continue;
		dp = desired_by_uid(p->a, uid);
		if (dp != NULL && admitted(dp))
			continue;
		snprintf(full, sizeof(full), "%s/%s", ns, name);
		byname = desired_by_name(p->a, full);
		if (dp != NULL && dp->policy_refused) {
			if (p->a->policy_dry_run) {
				would_stop(p, dp);
				continue;
			}
			kill_sandbox(p, sb, 2, "refused by the node policy");
		} else if (byname != NULL)
			kill_sandbox(p, sb, grace_of(p, sb),
			    "replaced by a new version of its manifest");
		else if (ready)
			kill_sandbox(p, sb, grace_of(p, sb),
			    "no source wants it any more");
		else
			continue;
		volumes_remove(p->a, uid);
		logs_remove_pod(p->a, ns, name, uid);
	}
}

/* A pod directory stays while its UID is wanted or has a sandbox. */
static bool
uid_in_use(const char *uid, void *arg)
{
	const struct pass	*p = arg;
	size_t			 n;

	if (desired_by_uid(p->a, uid) != NULL)
		return true;
	(void)keyed_run(p->act.sb_by_uid, p->act.nsb, uid, &n);
	return n > 0;
}

/*
 * Volumes no removal accounted for: a pod that went while the agent was
 * away, or whose sandbox was never made. Only once every source has
 * given its view, as with the pods themselves.
 */
static void
sweep(struct pass *p)
{
	if (!all_sources_ready(p->a) || (p->rc->swept_ms != 0 &&
	    p->now - p->rc->swept_ms < SWEEP_PERIOD_MS))
		return;
	p->rc->swept_ms = p->now;
	volumes_sweep(p->a, uid_in_use, p);
}

static void
forget_unmarked(struct reconciler *rc)
{
	size_t i;

	for (i = rc->npods; i-- > 0;) {
		if (rc->pods[i].mark) {
			rc->pods[i].mark = false;
			continue;
		}
		rt_free(&rc->pods[i]);
		rc->pods[i] = rc->pods[--rc->npods];
	}
}

/*
 * Settled: the runtime answers, nothing was done, and every admitted pod
 * runs (or has finished) without an error. Then the next passes come
 * less often; any change from a source brings one at once anyway.
 */
static bool
settled(const struct pass *p)
{
	const struct pod_rt	*rt;
	size_t			 i;

	if (!p->rc->ready || p->acted)
		return false;
	for (i = 0; i < p->a->desired.n; i++) {
		if (!admitted(&p->a->desired.pods[i]))
			continue;
		rt = rt_find(p->rc, p->a->desired.pods[i].uid);
		if (rt == NULL || rt->error[0] != '\0' ||
		    (rt->phase != PHASE_RUNNING && !rt->finished))
			return false;
	}
	return true;
}

static void
set_period(struct agent *a, bool calm)
{
	struct itimerspec	its;
	int			ms = calm ? RECONCILE_SETTLED_MS :
				    RECONCILE_PERIOD_MS;

	if (calm == a->rc->settled)
		return;
	a->rc->settled = calm;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	its.it_interval = its.it_value;
	if (timerfd_settime(a->tickfd, 0, &its, NULL) == -1)
		fatal("timerfd_settime");
}

void
reconcile_tick(struct agent *a)
{
	struct pass	p;
	size_t		i;
	int64_t		start = now_ms(), start_us = mono_us();

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.rc = a->rc;
	p.now = start;
	p.wall = wall_ms();
	arena_init(&p.ar, RECONCILE_ARENA);
	arena_init(&p.lists, RECONCILE_ARENA);
	if (!ensure_ready(&p) || list_actual(&p) == -1)
		goto out;
	remove_undesired(&p);
	/*
	 * Removals changed what runs: see it again before creating. Nothing
	 * removed (every settled pass): the lists still hold, and listing
	 * again would be two CRI calls and their decoding for nothing.
	 */
	if (p.acted) {
		arena_free(&p.ar);
		arena_free(&p.lists);
		if (list_actual(&p) == -1)
			goto out;
	}
	sweep(&p);
	/* one pod's configs at a time: the peak is one pod, not all of them */
	for (i = 0; i < a->desired.n; i++) {
		if (admitted(&a->desired.pods[i]))
			sync_pod(&p, &a->desired.pods[i]);
		arena_free(&p.ar);
	}
	forget_unmarked(a->rc);
	set_period(a, settled(&p));
out:
	a->rc->tick_ms = now_ms() - start;
	a->rc->last_tick_ms = start;
	a->rc->passes++;
	a->rc->pass_us_total += (uint64_t)(mono_us() - start_us);
	status_write(a, a->rc);
	arena_free(&p.ar);
	arena_free(&p.lists);
}

/* For `kill -USR1`: where the time of the passes went. */
void
reconcile_counters(const struct agent *a)
{
	uint64_t calls, busy;

	cri_counters(a->rc->cri, &calls, &busy);
	log_info("counters: %llu passes in %.3f s, %llu CRI calls taking "
	    "%.3f s, staticpodd's own time %.3f s, %llu restarts",
	    (unsigned long long)a->rc->passes,
	    (double)a->rc->pass_us_total / 1e6, (unsigned long long)calls,
	    (double)busy / 1e6, (double)(a->rc->pass_us_total > busy ?
	    a->rc->pass_us_total - busy : 0) / 1e6,
	    (unsigned long long)a->rc->restarts_total);
}

void
reconcile_init(struct agent *a)
{
	struct cri_error err;

	if ((a->rc = calloc(1, sizeof(*a->rc))) == NULL)
		fatal("reconcile");
	if ((a->rc->cri = cri_open(a->cfg.containerruntimeendpoint, &err)) ==
	    NULL)
		fatalx("CRI endpoint %s: %s", a->cfg.containerruntimeendpoint,
		    err.message);
	if ((a->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1)
		fatal("timerfd_create");
	reconcile_soon(a, 0);
}

/* The next pass in ms milliseconds (0: now), then every period. */
void
reconcile_soon(struct agent *a, int ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000 + (ms == 0 ? 1 : 0);
	its.it_interval.tv_sec = RECONCILE_PERIOD_MS / 1000;
	its.it_interval.tv_nsec = (long)(RECONCILE_PERIOD_MS % 1000) * 1000000;
	if (timerfd_settime(a->tickfd, 0, &its, NULL) == -1)
		fatal("timerfd_settime");
	a->rc->settled = false;
}
