/*
 * The pod cgroup's limits, as the kubelet's pod container manager sets
 * them (pkg/kubelet/cm): the CRI runtime creates the cgroup parent it is
 * given, but only puts containers under it; the pod-level limits are the
 * agent's to write. Memory and CPU limits are the pod's own (spec.resources)
 * or, when every container declares one, the sum the kubelet computes;
 * CPU shares follow the requests. cgroup v2 and v1 (hybrid) both, under
 * /sys/fs/cgroup, for the cgroupfs and the systemd driver.
 *
 * Limits the pod asked for itself are required: a pod whose limits cannot
 * be written does not start. Derived sums only restate the containers'
 * own limits, which the CRI runtime enforces anyway: a failure is said
 * once and the pod goes on.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CPU_PERIOD_US	100000	/* the CFS period the kubelet uses */
#define CPU_QUOTA_MIN	1000	/* the kernel's minimum */
#define SHARES_MIN	2
#define SHARES_MAX	262144

/* The name's amount in a list of quantities, or -1 when absent. */
static int64_t
qty(Spd__QuantityEntry **e, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(e[i]->key, name) == 0 && e[i]->value != NULL)
			return e[i]->value->milli;
	return -1;
}

static int64_t
limit(const Spd__ResourceRequirements *r, const char *name)
{
	return r == NULL ? -1 : qty(r->limits, r->n_limits, name);
}

/* A request defaults to the limit, as the kubelet's defaults have it. */
static int64_t
request(const Spd__ResourceRequirements *r, const char *name)
{
	int64_t v;

	if (r == NULL)
		return -1;
	if ((v = qty(r->requests, r->n_requests, name)) >= 0)
		return v;
	return qty(r->limits, r->n_limits, name);
}

static bool
is_sidecar(const Spd__Container *c)
{
	return c->restartpolicy != NULL &&
	    strcmp(c->restartpolicy, "Always") == 0;
}

/* One container's amount; false for a limit it does not declare. */
static bool
amount(const Spd__Container *c, const char *name, bool lim, int64_t *v)
{
	*v = lim ? limit(c->resources, name) : request(c->resources, name);
	if (*v >= 0)
		return true;
	*v = 0;
	return !lim;
}

/*
 * The kubelet's PodLimits/PodRequests for one resource: the regular
 * containers and the sidecars run together; an init container runs
 * beside the sidecars started before it; the pod needs the larger. With
 * limits, one container without a limit leaves the pod without one.
 */
static int64_t
aggregate(const Spd__PodSpec *s, const char *name, bool lim)
{
	const Spd__Container	*c;
	int64_t			 v, sum = 0, side = 0, init_max = 0;
	size_t			 i;

	for (i = 0; i < s->n_initcontainers; i++) {
		c = s->initcontainers[i];
		if (!amount(c, name, lim, &v))
			return -1;
		if (is_sidecar(c))
			side += v;
		else if (side + v > init_max)
			init_max = side + v;
	}
	for (i = 0; i < s->n_containers; i++) {
		if (!amount(s->containers[i], name, lim, &v))
			return -1;
		sum += v;
	}
	sum += side;
	return sum > init_max ? sum : init_max;
}

void
pod_limits(const Spd__PodSpec *s, struct pod_limits *l)
{
	int64_t v;

	memset(l, 0, sizeof(*l));
	if ((v = limit(s->resources, "memory")) >= 0) {
		l->memory_bytes = v / 1000;
		l->memory_own = true;
	} else if ((v = aggregate(s, "memory", true)) >= 0)
		l->memory_bytes = v / 1000;
	else
		l->memory_bytes = -1;
	if ((v = limit(s->resources, "cpu")) >= 0) {
		l->cpu_milli = v;
		l->cpu_own = true;
	} else
		l->cpu_milli = aggregate(s, "cpu", true);
	if ((v = request(s->resources, "cpu")) < 0)
		v = aggregate(s, "cpu", false);
	/* the kubelet's MilliCPUToShares */
	l->cpu_shares = v * 1024 / 1000;
	if (l->cpu_shares < SHARES_MIN)
		l->cpu_shares = SHARES_MIN;
	if (l->cpu_shares > SHARES_MAX)
		l->cpu_shares = SHARES_MAX;
}

/* The pod's cgroup below a controller's root, as the runtime names it. */
static int
pod_dir(const struct agent *a, const char *controller, const char *uid,
    char *buf, size_t len)
{
	int n;

	if (strcmp(a->cfg.cgroupdriver, "systemd") == 0)
		n = snprintf(buf, len, "%s%s%s/staticpodd.slice/"
		    "staticpodd-pod%s.slice", CGROUP_ROOT,
		    controller[0] != '\0' ? "/" : "", controller, uid);
	else
		n = snprintf(buf, len, "%s%s%s/staticpodd/pod%s", CGROUP_ROOT,
		    controller[0] != '\0' ? "/" : "", controller, uid);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "cgroup %s: %s", what, strerror(errno));
	return -1;
}

static int
put(const char *dir, const char *file, const char *value, char *err,
    size_t errlen)
{
	char	path[PATH_MAX];
	size_t	len = strlen(value);
	int	fd, n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "%s/%s: path too long", dir, file);
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    write(fd, value, len) != (ssize_t)len) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int64_t
quota_us(const struct pod_limits *l)
{
	int64_t q = l->cpu_milli * CPU_PERIOD_US / 1000;

	return q < CPU_QUOTA_MIN ? CPU_QUOTA_MIN : q;
}

static int
write_v2(const char *dir, const struct pod_limits *l, char *err,
    size_t errlen)
{
	char v[64];

	if (l->memory_bytes >= 0)
		snprintf(v, sizeof(v), "%" PRId64, l->memory_bytes);
	else
		snprintf(v, sizeof(v), "max");
	if (put(dir, "memory.max", v, err, errlen) == -1)
		return -1;
	if (l->cpu_milli >= 0)
		snprintf(v, sizeof(v), "%" PRId64 " %d", quota_us(l),
		    CPU_PERIOD_US);
	else
		snprintf(v, sizeof(v), "max %d", CPU_PERIOD_US);
	if (put(dir, "cpu.max", v, err, errlen) == -1)
		return -1;
	/* runc's conversion of shares to a weight */
	snprintf(v, sizeof(v), "%" PRId64,
	    1 + ((l->cpu_shares - 2) * 9999) / 262142);
	return put(dir, "cpu.weight", v, err, errlen);
}

static int
write_v1(const struct agent *a, const char *uid, const struct pod_limits *l,
    char *err, size_t errlen)
{
	char dir[PATH_MAX], v[64];

	if (pod_dir(a, "memory", uid, dir, sizeof(dir)) == -1)
		return fail(err, errlen, uid);
	snprintf(v, sizeof(v), "%" PRId64, l->memory_bytes);
	if (put(dir, "memory.limit_in_bytes", v, err, errlen) == -1)
		return -1;
	if (pod_dir(a, "cpu", uid, dir, sizeof(dir)) == -1)
		return fail(err, errlen, uid);
	snprintf(v, sizeof(v), "%d", CPU_PERIOD_US);
	if (put(dir, "cpu.cfs_period_us", v, err, errlen) == -1)
		return -1;
	snprintf(v, sizeof(v), "%" PRId64, l->cpu_milli >= 0 ? quota_us(l) :
	    -1);
	if (put(dir, "cpu.cfs_quota_us", v, err, errlen) == -1)
		return -1;
	snprintf(v, sizeof(v), "%" PRId64, l->cpu_shares);
	return put(dir, "cpu.shares", v, err, errlen);
}


/*
 * After the sandbox exists, before any container starts: the runtime
 * has made the cgroup parent by then, with the controllers enabled.
 */
int
pod_cgroup_apply(const struct agent *a, const Spd__PodSpec *s,
    const char *uid, bool *required, char *err, size_t errlen)
{
	struct pod_limits	l;
	char			dir[PATH_MAX];

	pod_limits(s, &l);
	*required = l.memory_own || l.cpu_own;
	if (!a->cgroup.usable) {
		snprintf(err, errlen, "no writable cgroup file system at %s",
		    CGROUP_ROOT);
		return -1;
	}
	if (!a->cgroup.v2)
		return write_v1(a, uid, &l, err, errlen);
	if (pod_dir(a, "", uid, dir, sizeof(dir)) == -1)
		return fail(err, errlen, uid);
	return write_v2(dir, &l, err, errlen);
}

/*
 * Root, at start: which hierarchy the node has, and the directories pod
 * cgroups appear under, so that the sandbox can name them. The configured
 * driver's are made now; the other driver's are named too, in case the
 * CRI runtime says it uses that one (RuntimeConfig), where they exist.
 */
void
pod_cgroup_setup(struct agent *a)
{
	static const char *const v1[] = { "memory", "cpu" };
	static const char *const tops[] = { "staticpodd", "staticpodd.slice" };
	size_t		 ncontrollers, c, t, n;
	bool		 systemd = strcmp(a->cfg.cgroupdriver, "systemd") == 0;
	struct stat	 st;
	char		*dir;
	int		 len;

	memset(&a->cgroup, 0, sizeof(a->cgroup));
	a->cgroup.v2 = stat(CGROUP_ROOT "/cgroup.controllers", &st) == 0;
	ncontrollers = a->cgroup.v2 ? 1 : 2;
	a->cgroup.usable = true;
	for (t = 0; t < 2; t++)
		for (c = 0; c < ncontrollers; c++) {
			n = a->cgroup.ndirs++;
			dir = a->cgroup.dirs[n];
			len = a->cgroup.v2 ? snprintf(dir, PATH_MAX, "%s/%s",
			    CGROUP_ROOT, tops[t]) : snprintf(dir, PATH_MAX,
			    "%s/%s/%s", CGROUP_ROOT, v1[c], tops[t]);
			if (len < 0 || len >= PATH_MAX)
				fatalx("cgroup: path too long");
			if ((t == 1) != systemd)
				continue;	/* the other driver's */
			if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
				log_warn("%s: pod-level limits cannot be set, "
				    "and a pod that asks for its own will not "
				    "start", dir);
				a->cgroup.usable = false;
			}
		}
}
