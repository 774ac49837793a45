/*
 * What a configuration may say. The same rules run in the fetcher, for
 * errors with a line and column, and in the runtime on the merged result.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "config.h"
#include "log.h"
#include "podcheck.h"

#define URL_MAX		2048
#define HEADER_MAX	4096
#define USER_MAX	32
#define CLUSTER_DNS_MAX	3	/* what a resolver reads of resolv.conf */

static bool
clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
check_path(struct diags *d, const char *field, const char *p)
{
	char b[96];

	if (p == NULL)
		return 0;
	if (p[0] != '/' || strlen(p) >= PATH_MAX || !clean(p) ||
	    strstr(p, "/../") != NULL || strstr(p, "/./") != NULL ||
	    (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
		return diag_add(d, 0, 0, field, "\"%s\" is not an absolute "
		    "path without '.' or '..' components",
		    diag_quote(p, b, sizeof(b)));
	return 0;
}

static int
check_url(struct diags *d, const char *field, const char *u, bool allow_http)
{
	const char	*rest;
	char		 b[96];

	if (u == NULL)
		return 0;
	if (strncmp(u, "https://", 8) == 0)
		rest = u + 8;
	else if (strncmp(u, "http://", 7) == 0) {
		if (!allow_http)
			return diag_add(d, 0, 0, field, "\"%s\" is plain http; "
			    "use https, or set staticpodd.allowHTTP",
			    diag_quote(u, b, sizeof(b)));
		rest = u + 7;
	} else
		return diag_add(d, 0, 0, field, "\"%s\" is not an https:// URL",
		    diag_quote(u, b, sizeof(b)));
	if (strlen(u) > URL_MAX || !clean(u) || strchr(u, ' ') != NULL ||
	    rest[0] == '\0' || rest[0] == '/')
		return diag_add(d, 0, 0, field, "\"%s\" is not a valid URL",
		    diag_quote(u, b, sizeof(b)));
	return 0;
}

static bool
is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return false;
	return true;
}

static int
check_freq(struct diags *d, const char *field, bool has, int64_t ms)
{
	if (has && (ms < AGENT_CHECK_MIN_MS || ms > AGENT_CHECK_MAX_MS))
		return diag_add(d, 0, 0, field, "must be between 1s and 24h");
	return 0;
}

static int
check_user(struct diags *d, const char *u)
{
	const char	*p;
	char		 b[64];

	if (u == NULL)
		return 0;
	for (p = u; *p != '\0'; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '_' && *p != '-')
			break;
	if (*p != '\0' || u[0] == '\0' || isdigit((unsigned char)u[0]) ||
	    u[0] == '-' || strlen(u) > USER_MAX)
		return diag_add(d, 0, 0, "staticpodd.user", "\"%s\" is not a "
		    "user name", diag_quote(u, b, sizeof(b)));
	return 0;
}

/*
 * A minisign public key: base64 of "Ed", an 8-byte key id and a 32-byte
 * Ed25519 key, 42 bytes, so 56 characters and no padding. Checked here so
 * a bad one is a configuration error at start, not a URL fetcher that stops
 * later. The fetcher decodes it with libcrypto; the runtime links none, and
 * only the alphabet and the first three bytes ("Ed") need checking here.
 */
static int
check_minisign_key(struct diags *d, const Spw__Config *c)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*k = c->urlsignaturepublickey;
	uint32_t		 v = 0;
	int			 i;

	if (k == NULL) {
		if (c->urlsignatureurl != NULL)
			return diag_add(d, 0, 0, "staticpodd.urlSignatureURL",
			    "needs staticpodd.urlSignaturePublicKey");
		return 0;
	}
	if (strlen(k) == 56 && strspn(k, b64) == 56)
		for (i = 0; i < 4; i++)	/* 4 characters, 3 bytes */
			v = v << 6 | (uint32_t)(strchr(b64, k[i]) - b64);
	if (v >> 8 != ('E' << 8 | 'd'))
		return diag_add(d, 0, 0, "staticpodd.urlSignaturePublicKey",
		    "is not a minisign public key (the base64 line of a "
		    "minisign .pub file, 56 characters starting RW)");
	return 0;
}

/* The kubelet's clusterDNS, clusterDomain and resolvConf. */
static int
check_dns(struct diags *d, const Spw__Config *c)
{
	uint8_t	addr[sizeof(struct in6_addr)];
	char	b[96];
	size_t	i;
	int	ret = 0;

	if (c->n_clusterdns > CLUSTER_DNS_MAX)
		ret = diag_add(d, 0, 0, "clusterDNS", "more than %d servers "
		    "(a resolver reads no more)", CLUSTER_DNS_MAX);
	for (i = 0; i < c->n_clusterdns && i < CLUSTER_DNS_MAX; i++)
		if (inet_pton(AF_INET, c->clusterdns[i], addr) != 1 &&
		    inet_pton(AF_INET6, c->clusterdns[i], addr) != 1)
			ret = diag_add(d, 0, 0, "clusterDNS", "\"%s\" is not an "
			    "IP address", diag_quote(c->clusterdns[i], b,
			    sizeof(b)));
	if (c->clusterdomain != NULL &&
	    !is_dns1123_subdomain(c->clusterdomain))
		ret = diag_add(d, 0, 0, "clusterDomain", "\"%s\" is not a "
		    "DNS-1123 subdomain", diag_quote(c->clusterdomain, b,
		    sizeof(b)));
	if (c->resolvconf != NULL && c->resolvconf[0] != '\0')
		ret |= check_path(d, "resolvConf", c->resolvconf);
	return ret;
}

int
config_check(const Spw__Config *c, struct diags *d)
{
	char	b[96];
	size_t	i;
	int	ret = 0;

	ret |= check_path(d, "staticPodPath", c->staticpodpath);
	ret |= check_url(d, "staticPodURL", c->staticpodurl, c->allowhttp);
	ret |= check_path(d, "podLogsDir", c->podlogsdir);
	ret |= check_path(d, "staticpodd.stateDir", c->statedir);
	ret |= check_path(d, "staticpodd.runDir", c->rundir);
	ret |= check_path(d, "staticpodd.urlCAFile", c->urlcafile);
	ret |= check_path(d, "staticpodd.memoryVolumeDir", c->memoryvolumedir);
	if (c->auditlog != NULL && strcmp(c->auditlog, "-") != 0)
		ret |= check_path(d, "staticpodd.auditLog", c->auditlog);
	ret |= check_url(d, "staticpodd.urlSignatureURL", c->urlsignatureurl,
	    c->allowhttp);
	ret |= check_minisign_key(d, c);
	if (c->has_containerlogmaxbytes && c->containerlogmaxbytes < 64 * 1024)
		ret = diag_add(d, 0, 0, "containerLogMaxSize", "must be at least "
		    "64Ki");
	if (c->has_containerlogmaxfiles && (c->containerlogmaxfiles < 2 ||
	    c->containerlogmaxfiles > 100))
		ret = diag_add(d, 0, 0, "containerLogMaxFiles", "must be between "
		    "2 and 100");
	ret |= check_freq(d, "fileCheckFrequency", c->has_filecheckfrequencyms,
	    c->filecheckfrequencyms);
	ret |= check_freq(d, "httpCheckFrequency", c->has_httpcheckfrequencyms,
	    c->httpcheckfrequencyms);
	ret |= check_user(d, c->user);
	if (c->containerruntimeendpoint != NULL &&
	    (strncmp(c->containerruntimeendpoint, "unix:///", 8) != 0 ||
	    check_path(d, "containerRuntimeEndpoint",
	    c->containerruntimeendpoint + 7) == -1))
		ret = diag_add(d, 0, 0, "containerRuntimeEndpoint", "\"%s\" is "
		    "not unix:///absolute/path", diag_quote(
		    c->containerruntimeendpoint, b, sizeof(b)));
	if (c->nodename != NULL && !is_dns1123_subdomain(c->nodename))
		ret = diag_add(d, 0, 0, "staticpodd.nodeName", "\"%s\" is not a "
		    "DNS-1123 subdomain (lower case)", diag_quote(c->nodename,
		    b, sizeof(b)));
	if (c->cgroupdriver != NULL && strcmp(c->cgroupdriver, "cgroupfs") != 0 &&
	    strcmp(c->cgroupdriver, "systemd") != 0)
		ret = diag_add(d, 0, 0, "cgroupDriver", "must be cgroupfs or "
		    "systemd");
	ret |= check_dns(d, c);
	if (c->has_maxmanifestbytes && (c->maxmanifestbytes < 1 ||
	    c->maxmanifestbytes > AGENT_MANIFEST_MAX))
		ret = diag_add(d, 0, 0, "staticpodd.maxManifestBytes", "must be "
		    "between 1 and %d", AGENT_MANIFEST_MAX);
	if (c->has_urlconnecttimeoutms && (c->urlconnecttimeoutms < 100 ||
	    c->urlconnecttimeoutms > 600000))
		ret = diag_add(d, 0, 0, "staticpodd.urlConnectTimeout",
		    "must be between 100ms and 10m");
	if (c->has_urltimeoutms && (c->urltimeoutms < 100 ||
	    c->urltimeoutms > 600000))
		ret = diag_add(d, 0, 0, "staticpodd.urlTimeout", "must be between "
		    "100ms and 10m");
	if (c->n_staticpodurlheader > AGENT_URL_HEADERS_MAX)
		ret = diag_add(d, 0, 0, "staticPodURLHeader", "more than %d "
		    "headers", AGENT_URL_HEADERS_MAX);
	for (i = 0; i < c->n_staticpodurlheader; i++) {
		const Spw__Header *h = c->staticpodurlheader[i];

		/* values are secrets: never printed */
		if (h->name == NULL || !is_token(h->name) || h->value == NULL ||
		    !clean(h->value) || strlen(h->name) + strlen(h->value) >
		    HEADER_MAX)
			ret = diag_add(d, 0, 0, "staticPodURLHeader", "header %zu "
			    "is not a valid HTTP header", i);
	}
	if (c->n_ignoredfields > 1000)
		ret = diag_add(d, 0, 0, "", "too many fields");
	for (i = 0; i < c->n_ignoredfields; i++)
		if (strlen(c->ignoredfields[i]) > 256 ||
		    !clean(c->ignoredfields[i]))
			ret = diag_add(d, 0, 0, "", "unprintable field name");
	return ret;
}
