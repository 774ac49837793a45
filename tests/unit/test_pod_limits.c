/*
 * The pod cgroup's limits as the kubelet computes them: the pod's own
 * spec.resources, else the containers' sum when every one declares a
 * limit, with init containers and sidecars counted as they run; CPU shares
 * from the requests. TAP.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"
#include "../tap.h"

#define MI	(1024LL * 1024)
#define CTRS_MAX	4


/* One container's limits: memory in MiB and CPU in millicores, 0: none. */
struct res {
	Spd__ResourceRequirements	r;
	Spd__QuantityEntry		e[2], *ep[2];
	Spd__Quantity			q[2];
	Spd__Container			c;
};

static Spd__Container *
ctr(struct res *x, int mem_mi, int cpu_m, const char *restart)
{
	memset(x, 0, sizeof(*x));
	spd__resource_requirements__init(&x->r);
	spd__container__init(&x->c);
	x->c.name = "c";
	x->c.restartpolicy = (char *)restart;
	x->c.resources = &x->r;
	if (mem_mi > 0) {
		spd__quantity_entry__init(&x->e[x->r.n_limits]);
		spd__quantity__init(&x->q[x->r.n_limits]);
		x->q[x->r.n_limits].milli = mem_mi * MI * 1000;
		x->e[x->r.n_limits].key = "memory";
		x->e[x->r.n_limits].value = &x->q[x->r.n_limits];
		x->ep[x->r.n_limits] = &x->e[x->r.n_limits];
		x->r.n_limits++;
	}
	if (cpu_m > 0) {
		spd__quantity_entry__init(&x->e[x->r.n_limits]);
		spd__quantity__init(&x->q[x->r.n_limits]);
		x->q[x->r.n_limits].milli = cpu_m;
		x->e[x->r.n_limits].key = "cpu";
		x->e[x->r.n_limits].value = &x->q[x->r.n_limits];
		x->ep[x->r.n_limits] = &x->e[x->r.n_limits];
		x->r.n_limits++;
	}
	x->r.limits = x->ep;
	return &x->c;
}

int
main(void)
{
	static struct res	 rs[CTRS_MAX], is[CTRS_MAX], own;
	Spd__Container		*cs[CTRS_MAX], *ics[CTRS_MAX];
	Spd__PodSpec		 s;
	struct pod_limits	 l;

	log_init("test", 0);
	spd__pod_spec__init(&s);
	s.containers = cs;
	s.initcontainers = ics;

	cs[0] = ctr(&rs[0], 32, 500, NULL);
	cs[1] = ctr(&rs[1], 16, 250, NULL);
	s.n_containers = 2;
	pod_limits(&s, &l);
	tap(l.memory_bytes == 48 * MI && !l.memory_own, "memory: the sum of "
	    "the containers' limits", "got %lld", (long long)l.memory_bytes);
	tap(l.cpu_milli == 750 && !l.cpu_own, "cpu: the sum of the "
	    "containers' limits", "got %lld", (long long)l.cpu_milli);
	tap(l.cpu_shares == 768, "shares: the requests (defaulting to the "
	    "limits) as the kubelet's MilliCPUToShares", "got %lld",
	    (long long)l.cpu_shares);

	cs[1] = ctr(&rs[1], 0, 0, NULL);
	pod_limits(&s, &l);
	tap(l.memory_bytes == -1 && l.cpu_milli == -1, "one container "
	    "without a limit leaves the pod without one", "got %lld, %lld",
	    (long long)l.memory_bytes, (long long)l.cpu_milli);
	tap(l.cpu_shares == 512, "shares count what is requested", "got %lld",
	    (long long)l.cpu_shares);

	cs[0] = ctr(&rs[0], 0, 0, NULL);
	pod_limits(&s, &l);
	tap(l.cpu_shares == 2, "no requests: the minimum shares", "got %lld",
	    (long long)l.cpu_shares);

	cs[0] = ctr(&rs[0], 32, 0, NULL);
	cs[1] = ctr(&rs[1], 16, 0, NULL);
	ics[0] = ctr(&is[0], 200, 0, NULL);
	s.n_initcontainers = 1;
	pod_limits(&s, &l);
	tap(l.memory_bytes == 200 * MI, "an init container larger than the "
	    "rest sets the pod's limit", "got %lld",
	    (long long)l.memory_bytes);

	ics[0] = ctr(&is[0], 10, 0, "Always");
	ics[1] = ctr(&is[1], 45, 0, NULL);
	s.n_initcontainers = 2;
	pod_limits(&s, &l);
	tap(l.memory_bytes == 58 * MI, "a sidecar runs beside the containers "
	    "and the init containers after it", "got %lld MiB",
	    (long long)(l.memory_bytes / MI));
	ics[1] = ctr(&is[1], 0, 0, NULL);
	pod_limits(&s, &l);
	tap(l.memory_bytes == -1, "an init container without a limit leaves "
	    "the pod without one", "got %lld", (long long)l.memory_bytes);
	s.n_initcontainers = 0;

	ctr(&own, 100, 1500, NULL);
	s.resources = &own.r;
	pod_limits(&s, &l);
	tap(l.memory_bytes == 100 * MI && l.memory_own && l.cpu_milli == 1500 &&
	    l.cpu_own, "spec.resources: the pod's own limits, required",
	    "got %lld, %lld", (long long)l.memory_bytes,
	    (long long)l.cpu_milli);
	tap(l.cpu_shares == 1536, "spec.resources: shares from the pod's own "
	    "request", "got %lld", (long long)l.cpu_shares);

	return tap_done();
}
