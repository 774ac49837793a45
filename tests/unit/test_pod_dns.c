/*
 * A pod's DNS config as the kubelet builds it: the node's resolv.conf
 * read as the kubelet reads it, dnsPolicy choosing the base (node, cluster
 * DNS, none), the pod's dnsConfig merged in without duplicates, and the
 * resolver's limits applied. TAP.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"
#include "../tap.h"


/* The list joined with spaces, for comparing with one string. */
static const char *
join(char **v, size_t n)
{
	static char	buf[8192];
	size_t		i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    i > 0 ? " " : "", v[i]);
	return buf;
}

static void
expect(const char *name, char **v, size_t n, const char *want)
{
	const char *got = join(v, n);

	tap(strcmp(got, want) == 0, name, "got \"%s\", want \"%s\"", got,
	    want);
}

static Spd__Pod *
pod(const char *policy, bool host_network)
{
	static Spd__Pod		p;
	static Spd__ObjectMeta	m;
	static Spd__PodSpec	s;

	spd__pod__init(&p);
	spd__object_meta__init(&m);
	spd__pod_spec__init(&s);
	p.metadata = &m;
	p.spec = &s;
	m.name = "web-node1";
	m.namespace_ = "kube-system";
	s.dnspolicy = (char *)policy;
	s.has_hostnetwork = 1;
	s.hostnetwork = host_network;
	return &p;
}

static const char resolv[] =
    "# written by hand\n"
    "; another comment\n"
    "domain example.org\n"
    "nameserver 192.0.2.1\n"
    "nameserver\t192.0.2.2\n"
    "search old.example\n"
    "nameserver 192.0.2.3\n"
    "nameserver 192.0.2.4\n"
    "search corp.example. . lab.example\n"
    "options ndots:1 timeout:2\n"
    "options rotate ndots:3\n"
    "nameserver";

int
main(void)
{
	static char		*srv[] = { "10.96.0.10" };
	struct agent		 a;
	struct arena		 ar;
	Spd__Pod		*p;
	Spd__PodDNSConfig	 dc;
	Spd__PodDNSConfigOption	 o1, o2, o3, *opts[3];
	char			*ns[] = { "192.0.2.1", "198.51.100.7",
				    "198.51.100.8" };
	char			*searches[40], *se[] = { "corp.example",
				    "pod.example" };
	char			 name[40][80];
	Runtime__V1__DNSConfig	*c;
	struct pod_ctx		 pc;
	Runtime__V1__PodSandboxConfig *sb;
	size_t			 i;

	log_init("test", 0);
	memset(&a, 0, sizeof(a));
	spw__config__init(&a.cfg);
	arena_init(&ar, 16 * 1024 * 1024);
	arena_init(&a.cfg_arena, 1024 * 1024);

	dns_parse_resolv(&a.host_dns, &a.cfg_arena, resolv, strlen(resolv));
	expect("resolv.conf: the first three name servers", a.host_dns.servers,
	    a.host_dns.nservers, "192.0.2.1 192.0.2.2 192.0.2.3");
	expect("resolv.conf: the last search line, trailing dots and \".\" "
	    "dropped", a.host_dns.searches, a.host_dns.nsearches,
	    "corp.example lab.example");
	expect("resolv.conf: options merged by name, the later wins",
	    a.host_dns.options, a.host_dns.noptions,
	    "ndots:3 timeout:2 rotate");

	c = podconfig_dns(&ar, &a, pod("Default", false));
	expect("Default: the node's servers", c->servers, c->n_servers,
	    "192.0.2.1 192.0.2.2 192.0.2.3");
	expect("Default: the node's searches", c->searches, c->n_searches,
	    "corp.example lab.example");
	expect("Default: the node's options", c->options, c->n_options,
	    "ndots:3 timeout:2 rotate");

	c = podconfig_dns(&ar, &a, pod("ClusterFirst", false));
	expect("ClusterFirst without clusterDNS falls back to the node's",
	    c->servers, c->n_servers, "192.0.2.1 192.0.2.2 192.0.2.3");

	a.cfg.clusterdns = srv;
	a.cfg.n_clusterdns = 1;
	a.cfg.clusterdomain = "cluster.local";
	c = podconfig_dns(&ar, &a, pod("ClusterFirst", false));
	expect("ClusterFirst: the cluster's server only", c->servers,
	    c->n_servers, "10.96.0.10");
	expect("ClusterFirst: the cluster's searches, then the node's",
	    c->searches, c->n_searches, "kube-system.svc.cluster.local "
	    "svc.cluster.local cluster.local corp.example lab.example");
	expect("ClusterFirst: ndots:5 and none of the node's options",
	    c->options, c->n_options, "ndots:5");
	c = podconfig_dns(&ar, &a, pod(NULL, false));
	expect("no dnsPolicy is ClusterFirst", c->servers, c->n_servers,
	    "10.96.0.10");
	c = podconfig_dns(&ar, &a, pod("ClusterFirst", true));
	expect("ClusterFirst on the host's network is the node's DNS",
	    c->servers, c->n_servers, "192.0.2.1 192.0.2.2 192.0.2.3");
	c = podconfig_dns(&ar, &a, pod("ClusterFirstWithHostNet", true));
	expect("ClusterFirstWithHostNet on the host's network is the "
	    "cluster's", c->servers, c->n_servers, "10.96.0.10");

	spd__pod_dnsconfig__init(&dc);
	spd__pod_dnsconfig_option__init(&o1);
	spd__pod_dnsconfig_option__init(&o2);
	spd__pod_dnsconfig_option__init(&o3);
	o1.name = "ndots";
	o1.value = "2";
	o2.name = "edns0";
	o3.name = "timeout";
	o3.value = "";
	opts[0] = &o1;
	opts[1] = &o2;
	opts[2] = &o3;
	dc.nameservers = ns;
	dc.n_nameservers = 3;
	dc.searches = se;
	dc.n_searches = 2;
	dc.options = opts;
	dc.n_options = 3;
	p = pod("None", false);
	p->spec->dnsconfig = &dc;
	c = podconfig_dns(&ar, &a, p);
	expect("None: the pod's servers only", c->servers, c->n_servers,
	    "192.0.2.1 198.51.100.7 198.51.100.8");
	expect("None: the pod's searches only", c->searches, c->n_searches,
	    "corp.example pod.example");
	expect("None: the pod's options; an empty value is the name alone",
	    c->options, c->n_options, "ndots:2 edns0 timeout");

	p = pod("Default", false);
	p->spec->dnsconfig = &dc;
	c = podconfig_dns(&ar, &a, p);
	expect("Default with dnsConfig: no duplicates, three servers at most",
	    c->servers, c->n_servers, "192.0.2.1 192.0.2.2 192.0.2.3");
	expect("Default with dnsConfig: the pod's searches after the node's, "
	    "once each", c->searches, c->n_searches,
	    "corp.example lab.example pod.example");
	expect("Default with dnsConfig: the pod's options replace the node's "
	    "by name", c->options, c->n_options,
	    "ndots:2 timeout rotate edns0");

	p = pod("ClusterFirst", false);
	p->spec->dnsconfig = &dc;
	c = podconfig_dns(&ar, &a, p);
	expect("ClusterFirst with dnsConfig: the pod's servers after the "
	    "cluster's", c->servers, c->n_servers,
	    "10.96.0.10 192.0.2.1 198.51.100.7");

	for (i = 0; i < 40; i++) {
		snprintf(name[i], sizeof(name[i]), "d%02zu.example", i);
		searches[i] = name[i];
	}
	dc.searches = searches;
	dc.n_searches = 40;
	p = pod("None", false);
	p->spec->dnsconfig = &dc;
	c = podconfig_dns(&ar, &a, p);
	tap(c->n_searches == 32, "at most 32 search domains", "got %zu",
	    c->n_searches);
	for (i = 0; i < 40; i++) {
		memset(name[i], 'x', 70);
		snprintf(name[i] + 70, sizeof(name[i]) - 70, ".d%02zu", i);
	}
	c = podconfig_dns(&ar, &a, p);
	tap(c->n_searches == 27 && strlen(join(c->searches, c->n_searches)) <=
	    2048, "search domains cut to 2048 characters", "got %zu, %zu "
	    "characters", c->n_searches,
	    strlen(join(c->searches, c->n_searches)));

	memset(&a.host_dns, 0, sizeof(a.host_dns));
	a.cfg.n_clusterdns = 0;
	c = podconfig_dns(&ar, &a, pod("Default", false));
	tap(c != NULL && c->n_servers == 0 && c->n_searches == 0 &&
	    c->n_options == 0, "resolvConf \"\": Default gives an empty "
	    "resolv.conf, as the kubelet's", "servers %zu",
	    c != NULL ? c->n_servers : 99);

	a.cfg.podlogsdir = "/var/log/pods";
	a.cfg.cgroupdriver = "cgroupfs";
	a.cfg.n_clusterdns = 1;
	memset(&pc, 0, sizeof(pc));
	pc.pod = pod("ClusterFirst", false);
	pc.uid = "0123456789abcdef0123456789abcdef";
	pc.source_kind = "file";
	pc.seen = "2026-11-28T00:00:00Z";
	pc.sha256_hex = "00";
	sb = podconfig_sandbox(&ar, &a, &pc, 0);
	tap(sb->dns_config != NULL && sb->dns_config->n_servers == 1 &&
	    strcmp(sb->dns_config->servers[0], "10.96.0.10") == 0,
	    "the sandbox config carries the pod's DNS", "dns_config %p",
	    (void *)sb->dns_config);

	arena_free(&ar);
	arena_free(&a.cfg_arena);
	return tap_done();
}
