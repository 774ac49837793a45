/*
 * A pod's resolv.conf, as the kubelet builds it (pkg/kubelet/network/dns):
 * dnsPolicy picks the base (the node's resolv.conf, the cluster's DNS, or
 * nothing), the pod's dnsConfig is merged into it, and the result is cut
 * to what a resolver reads. The node's file is trusted (root's), but is
 * still read with limits: it only ever adds servers, searches and options.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "reconcile.h"

#define RESOLV_CONF_MAX	(64 * 1024)
#define DNS_NAME_MAX	255	/* a longer word is no server or domain */
#define DNS_NDOTS	"ndots:5"	/* the kubelet's for cluster DNS */

struct dns_list {
	char	*v[DNS_SEARCHES_MAX + DNS_OPTIONS_MAX];
	size_t	 n;
	size_t	 max;
};

static char *
wdup(struct arena *ar, const char *s, size_t len)
{
	char *p;

	if ((p = arena_alloc(ar, len + 1)) == NULL)
		fatalx("dns: arena exhausted");
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Option names compare up to the colon: "ndots:2" replaces "ndots:5". */
static size_t
opt_name_len(const char *s)
{
	const char *colon = strchr(s, ':');

	return colon != NULL ? (size_t)(colon - s) : strlen(s);
}

static void
opt_set(struct dns_list *l, char *opt)
{
	size_t i, n = opt_name_len(opt);

	for (i = 0; i < l->n; i++)
		if (opt_name_len(l->v[i]) == n && strncmp(l->v[i], opt, n) == 0) {
			l->v[i] = opt;
			return;
		}
	if (l->n < l->max)
		l->v[l->n++] = opt;
}

/* Appends unless already there, as the kubelet's omitDuplicates. */
static void
add_unique(struct dns_list *l, char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return;
	if (l->n < l->max)
		l->v[l->n++] = s;
}

/* The words of one line; the line ends at '\n' or len. */
static size_t
words(const char *s, size_t len, const char **w, size_t *wl, size_t max)
{
	size_t i = 0, n = 0, start;

	while (i < len && n < max) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		if (i > start) {
			w[n] = s + start;
			wl[n++] = i - start;
		}
	}
	return n;
}

/*
 * nameserver, search (the last line wins, trailing dots dropped, "."
 * skipped) and options (merged by name), as the kubelet's
 * parseResolvConf; other lines and comments are skipped.
 */
void
dns_parse_resolv(struct host_dns *h, struct arena *ar, const char *buf,
    size_t len)
{
	const char	*line, *end, *w[DNS_SEARCHES_MAX + 2];
	size_t		 wl[DNS_SEARCHES_MAX + 2], n, i, ll;
	struct dns_list	 opts = { .max = DNS_OPTIONS_MAX };

	memset(h, 0, sizeof(*h));
	for (line = buf; line < buf + len; line = end + 1) {
		if ((end = memchr(line, '\n', (size_t)(buf + len - line))) ==
		    NULL)
			end = buf + len;
		ll = (size_t)(end - line);
		if (ll == 0 || line[0] == '#' || line[0] == ';')
			continue;
		n = words(line, ll, w, wl, sizeof(w) / sizeof(w[0]));
		if (n < 2)
			continue;
		if (wl[0] == 10 && strncmp(w[0], "nameserver", 10) == 0) {
			if (h->nservers < DNS_SERVERS_MAX &&
			    wl[1] <= DNS_NAME_MAX)
				h->servers[h->nservers++] = wdup(ar, w[1], wl[1]);
		} else if (wl[0] == 6 && strncmp(w[0], "search", 6) == 0) {
			h->nsearches = 0;
			for (i = 1; i < n; i++) {
				if (wl[i] > 1 && w[i][wl[i] - 1] == '.')
					wl[i]--;
				if ((wl[i] == 1 && w[i][0] == '.') ||
				    wl[i] > DNS_NAME_MAX)
					continue;
				h->searches[h->nsearches++] =
				    wdup(ar, w[i], wl[i]);
			}
		} else if (wl[0] == 7 && strncmp(w[0], "options", 7) == 0) {
			for (i = 1; i < n; i++)
				if (wl[i] <= DNS_NAME_MAX)
					opt_set(&opts, wdup(ar, w[i], wl[i]));
		}
	}
	memcpy(h->options, opts.v, opts.n * sizeof(opts.v[0]));
	h->noptions = opts.n;
}

/* Root, before the sandbox: the file may live anywhere under /etc. */
void
dns_load_host(struct agent *a)
{
	const char	*path = a->cfg.resolvconf;
	char		*buf;
	ssize_t		 r;
	size_t		 len = 0;
	int		 fd;

	memset(&a->host_dns, 0, sizeof(a->host_dns));
	if (path == NULL || path[0] == '\0')
		return;	/* "": the node's DNS is not given to pods */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		log_warnx("resolvConf %s: %s; pods with dnsPolicy Default get "
		    "no name servers", path, strerror(errno));
		return;
	}
	if ((buf = malloc(RESOLV_CONF_MAX)) == NULL)
		fatal("dns");
	while (len < RESOLV_CONF_MAX && (r = read(fd, buf + len,
	    RESOLV_CONF_MAX - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("resolvConf %s", path);
			len = 0;
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	dns_parse_resolv(&a->host_dns, &a->cfg_arena, buf, len);
	free(buf);
}

/* The kubelet's formDNSSearchFitsLimits: 32 domains, 2048 characters. */
static void
fit_searches(struct dns_list *l)
{
	size_t i, chars = 0;

	for (i = 0; i < l->n; i++) {
		chars += strlen(l->v[i]) + (i > 0);
		if (chars > DNS_SEARCH_CHARS_MAX)
			break;
	}
	l->n = i;
}

static char **
out(struct arena *ar, const struct dns_list *l, size_t *n)
{
	char **v;

	if ((v = arena_alloc(ar, (l->n + 1) * sizeof(*v))) == NULL)
		fatalx("dns: arena exhausted");
	memcpy(v, l->v, l->n * sizeof(*v));
	*n = l->n;
	return v;
}

static char *
sprint2(struct arena *ar, const char *a, const char *sep, const char *b)
{
	size_t	 la = strlen(a), ls = strlen(sep), lb = strlen(b);
	char	*p;

	if ((p = arena_alloc(ar, la + ls + lb + 1)) == NULL)
		fatalx("dns: arena exhausted");
	memcpy(p, a, la);
	memcpy(p + la, sep, ls);
	memcpy(p + la + ls, b, lb + 1);
	return p;
}

enum dns_base { BASE_NONE, BASE_HOST, BASE_CLUSTER };

/*
 * The kubelet's getPodDNSType: ClusterFirst on the host's network means
 * the host's DNS, and cluster DNS that is not configured falls back to
 * it too (the kubelet says so in an event; here, at debug level).
 */
static enum dns_base
base_of(const struct agent *a, const Spd__PodSpec *s)
{
	const char *p = s->dnspolicy != NULL ? s->dnspolicy : "ClusterFirst";

	if (strcmp(p, "None") == 0)
		return BASE_NONE;
	if (strcmp(p, "Default") == 0 ||
	    (strcmp(p, "ClusterFirst") == 0 && s->hostnetwork))
		return BASE_HOST;
	if (a->cfg.n_clusterdns == 0) {
		log_debug("dnsPolicy %s without clusterDNS: the node's DNS", p);
		return BASE_HOST;
	}
	return BASE_CLUSTER;
}

Runtime__V1__DNSConfig *
podconfig_dns(struct arena *ar, const struct agent *a, const Spd__Pod *pod)
{
	const Spd__PodSpec	*s = pod->spec;
	const Spd__PodDNSConfig	*d = s->dnsconfig;
	const struct host_dns	*h = &a->host_dns;
	Runtime__V1__DNSConfig	*c;
	struct dns_list		 srv = { .max = DNS_SERVERS_MAX },
				 sea = { .max = DNS_SEARCHES_MAX },
				 opt = { .max = DNS_OPTIONS_MAX };
	const char		*dom = a->cfg.clusterdomain;
	size_t			 i;

	switch (base_of(a, s)) {
	case BASE_NONE:
		break;
	case BASE_HOST:
		for (i = 0; i < h->nservers; i++)
			add_unique(&srv, h->servers[i]);
		for (i = 0; i < h->nsearches; i++)
			add_unique(&sea, h->searches[i]);
		for (i = 0; i < h->noptions; i++)
			opt_set(&opt, h->options[i]);
		break;
	case BASE_CLUSTER:
		for (i = 0; i < a->cfg.n_clusterdns; i++)
			add_unique(&srv, a->cfg.clusterdns[i]);
		if (dom != NULL && dom[0] != '\0') {
			add_unique(&sea, sprint2(ar,
			    pod->metadata->namespace_, ".svc.", dom));
			add_unique(&sea, sprint2(ar, "svc", ".", dom));
			add_unique(&sea, (char *)dom);
		}
		for (i = 0; i < h->nsearches; i++)
			add_unique(&sea, h->searches[i]);
		opt_set(&opt, DNS_NDOTS);
		break;
	}
	if (d != NULL) {
		for (i = 0; i < d->n_nameservers; i++)
			add_unique(&srv, d->nameservers[i]);
		for (i = 0; i < d->n_searches; i++)
			add_unique(&sea, d->searches[i]);
		for (i = 0; i < d->n_options; i++)
			opt_set(&opt, d->options[i]->value != NULL &&
			    d->options[i]->value[0] != '\0' ?
			    sprint2(ar, d->options[i]->name, ":",
			    d->options[i]->value) : d->options[i]->name);
	}
	fit_searches(&sea);
	if ((c = arena_alloc(ar, sizeof(*c))) == NULL)
		fatalx("dns: arena exhausted");
	runtime__v1__dnsconfig__init(c);
	c->servers = out(ar, &srv, &c->n_servers);
	c->searches = out(ar, &sea, &c->n_searches);
	c->options = out(ar, &opt, &c->n_options);
	return c;
}
