/*
 * The URL source: polls staticPodURL with libcurl's multi interface from
 * this process's own loop and turns what the server says into the
 * runtime's view of the URL pods. The server is not trusted: everything
 * it sends is capped (time, speed, header bytes, body bytes), TLS is
 * always verified, redirects stay on the configured origin, and nothing
 * it sends is decompressed.
 *
 * What the runtime hears:
 *  - a body that parses (a Pod or a PodList, every item valid): a snapshot,
 *    SNAPSHOT_BEGIN, one POD_UPSERT per pod keyed "namespace/name" with the
 *    body's sha256, SNAPSHOT_END. Pods the snapshot does not name are gone,
 *    so an empty PodList removes every URL pod.
 *  - a failure (transport, TLS, timeout, a status other than 200, a body
 *    cut short, over the cap, empty, unsigned, or one that does not parse):
 *    one SOURCE_ERROR without a key, and no snapshot, so the pods stay. A
 *    repeat of the same failure is sent with `unchanged`, which the runtime
 *    does not log again.
 *  - a 304, or a 200 with the body it has already seen: nothing, unless the
 *    last thing it heard was an error; then the cached pods are sent again
 *    as a snapshot, without parsing, so the runtime sees the source
 *    recover. The runtime never removes a URL pod on a 304.
 *
 * A body that failed to parse is remembered by its hash, so it is reported
 * once and not parsed again until it changes (as the kubelet does).
 */
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "fetcher.h"
#include "log.h"

/* Defaults of settings: httpCheckFrequency, staticpodd.url*Timeout. */
#define URL_CHECK_MS		20000	/* as the kubelet */
#define URL_CONNECT_TIMEOUT_MS	5000
#define URL_TIMEOUT_MS		10000	/* as the kubelet's http.Client */

/* Fixed limits on what the server may make this process do. */
#define URL_LOW_SPEED_BYTES	1024	/* slower than this a second ... */
#define URL_LOW_SPEED_S		5	/* ... for this long: cut off */
#define URL_HEADER_MAX		(32 * 1024)	/* nginx sends 300 bytes */
#define URL_VALIDATOR_MAX	256	/* an ETag, a Last-Modified */
#define URL_REDIRECTS_MAX	4
#define URL_SIG_MAX		(16 * 1024)	/* a .minisig: 300 bytes */
#define URL_SIG_SUFFIX		".minisig"
#define URL_BODY_CHUNK		(16 * 1024)	/* first allocation */

/* What goes to the runtime: its monitor refuses more. */
#define URL_MSG_MAX		960	/* it refuses 1024 and over */
#define URL_SHOW_MAX		256	/* a URL within a message */
#define URL_POD_WIRE_MAX	(WIRE_MSG_MAX - 4096)
#define URL_KEY_MAX		(POD_NAME_MAX + 64 + 2)
#define URL_USER_AGENT		"staticpodd"

/* Where a URL points; a redirect must stay on it. */
struct origin {
	char	*scheme;
	char	*host;
	char	*port;
};

/* One kind of request (the manifest or its signature) and its answer. */
struct xfer {
	struct url_source	*src;
	const char		*what;		/* "manifest", "signature" */
	const char		*base;		/* the configured URL */
	char			 show[URL_SHOW_MAX];	/* base, for messages:
							   no user, password or
							   query */
	struct origin		 origin;	/* of base */
	bool			 conf_headers;	/* staticPodURLHeader goes
						   to this origin */
	CURL			*easy;
	struct curl_slist	*hdrs;		/* of the request in flight */
	char			*url;		/* of the request, redirected */
	int			 hops;
	bool			 conditional;	/* validators were sent */
	bool			 active;
	size_t			 max;		/* body cap */
	uint8_t			*body;
	size_t			 len;
	size_t			 cap;
	bool			 body_over;
	size_t			 hdr_bytes;
	bool			 hdr_over;
	/* of the last response header block */
	char			 etag[URL_VALIDATOR_MAX + 1];
	char			 lastmod[URL_VALIDATOR_MAX + 1];
	bool			 has_length;
	bool			 chunked;
	bool			 encoded;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct url_source {
	int			 sock;
	const Spw__Role		*role;
	const Spw__Config	*cfg;
	char			*uid_source;	/* "url:<url>", the runtime's */
	int64_t			 freq_ms;
	int64_t			 connect_ms;
	int64_t			 timeout_ms;
	CURLM			*multi;
	struct xfer		 body;
	struct xfer		 sig;
	char			*sig_url;
	char			**conf_hdrs;	/* "Name: value"; not logged */
	size_t			 nconf_hdrs;
	bool			 sig_required;
	struct minisign_key	 key;

	/* the last body accepted, and its pods */
	bool			 have_good;
	uint8_t			 good_sha[SHA256_DIGEST_LENGTH];
	struct parse_result	 good;

	/* the last body judged, good or not, and its validators */
	bool			 have_last;
	bool			 last_ok;
	uint8_t			 last_sha[SHA256_DIGEST_LENGTH];
	char			 last_err[URL_MSG_MAX];
	char			 etag[URL_VALIDATOR_MAX + 1];
	char			 lastmod[URL_VALIDATOR_MAX + 1];

	/* this poll */
	int64_t			 started_ms;
	int64_t			 next_ms;
	uint8_t			 cur_sha[SHA256_DIGEST_LENGTH];

	/* the last error the runtime heard; "" when it heard a view since */
	char			 err[URL_MSG_MAX];
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * curl_easy_setopt is variadic: one typed helper per argument kind, and
 * a setting libcurl refuses is a bug of ours or a libcurl too old.
 */
static void
opt_long(CURL *e, CURLoption o, long v)
{
	CURLcode rc;

	if ((rc = curl_easy_setopt(e, o, v)) != CURLE_OK)
		fatalx("libcurl refuses option %d: %s", (int)o,
		    curl_easy_strerror(rc));
}

static void
opt_off(CURL *e, CURLoption o, curl_off_t v)
{
	CURLcode rc;

	if ((rc = curl_easy_setopt(e, o, v)) != CURLE_OK)
		fatalx("libcurl refuses option %d: %s", (int)o,
		    curl_easy_strerror(rc));
}

static void
opt_ptr(CURL *e, CURLoption o, const void *v)
{
	CURLcode rc;

	if ((rc = curl_easy_setopt(e, o, v)) != CURLE_OK)
		fatalx("libcurl refuses option %d: %s", (int)o,
		    curl_easy_strerror(rc));
}

static void
opt_fn(CURL *e, CURLoption o, size_t (*fn)(char *, size_t, size_t, void *))
{
	CURLcode rc;

	if ((rc = curl_easy_setopt(e, o, fn)) != CURLE_OK)
		fatalx("libcurl refuses option %d: %s", (int)o,
		    curl_easy_strerror(rc));
}

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		fatal("url");
	return p;
}

/* A message that may be cut at its end: they are capped on purpose. */
static void
msgf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
msgf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Text a hostile server may have shaped, made safe for one log line. */
static void
clean_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < len; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

/*
 * A URL's scheme, host and port (NULL when it has none, as file:// has
 * not); the display form leaves out the user, password, query and
 * fragment, which may carry secrets.
 */
static int
origin_parse(const char *url, struct origin *o, char *show, size_t showlen)
{
	CURLU	*u;
	char	*path = NULL;
	int	 ret = -1;

	memset(o, 0, sizeof(*o));
	if ((u = curl_url()) == NULL)
		fatal("url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &o->host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		ret = show == NULL ? 0 : -1;	/* a base URL needs both */
		goto out;
	}
	if (show != NULL) {
		if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
			goto out;
		snprintf(show, showlen, "%s://%s:%s%s", o->scheme, o->host,
		    o->port, path);
		clean_copy(show, showlen, show);
	}
	ret = 0;
out:
	curl_free(path);
	curl_url_cleanup(u);
	return ret;
}

static void
origin_free(struct origin *o)
{
	curl_free(o->scheme);
	curl_free(o->host);
	curl_free(o->port);
	memset(o, 0, sizeof(*o));
}

static bool
origin_same(const struct origin *a, const struct origin *b)
{
	if (a->host == NULL || b->host == NULL || a->port == NULL ||
	    b->port == NULL)
		return false;
	return strcasecmp(a->scheme, b->scheme) == 0 &&
	    strcasecmp(a->host, b->host) == 0 && strcmp(a->port, b->port) == 0;
}

/* The signature's URL: the manifest's path plus ".minisig", same query. */
static char *
sig_url_default(const char *url)
{
	CURLU	*u;
	char	*path = NULL, *npath = NULL, *out = NULL;

	if ((u = curl_url()) == NULL)
		fatal("url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		fatalx("staticPodURL: libcurl cannot parse it");
	if (asprintf(&npath, "%s%s", path, URL_SIG_SUFFIX) == -1)
		fatal("url");
	if (curl_url_set(u, CURLUPART_PATH, npath, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		fatalx("staticPodURL: no signature URL can be made of it");
	free(npath);
	curl_free(path);
	curl_url_cleanup(u);
	return out;
}

/* Header lines, one call each: the cap, and what later checks need. */
static bool
header_is(const char *p, size_t len, const char *name, const char **val,
    size_t *vlen)
{
	size_t	n = strlen(name);

	if (len <= n || strncasecmp(p, name, n) != 0 || p[n] != ':')
		return false;
	p += n + 1;
	len -= n + 1;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
	    p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	*val = p;
	*vlen = len;
	return true;
}

/* A validator is sent back verbatim, so it must be a clean header value. */
static void
keep_validator(char *dst, const char *v, size_t len)
{
	size_t i;

	dst[0] = '\0';
	if (len == 0 || len > URL_VALIDATOR_MAX)
		return;
	for (i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] >= 0x7f)
			return;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	const char	*v;
	size_t		 len = size * n, vlen;

	x->hdr_bytes += len;
	if (x->hdr_bytes > URL_HEADER_MAX) {
		x->hdr_over = true;
		return 0;
	}
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new answer (after a 1xx): what the last one said goes */
		x->etag[0] = x->lastmod[0] = '\0';
		x->has_length = x->chunked = x->encoded = false;
		return len;
	}
	if (header_is(p, len, "ETag", &v, &vlen))
		keep_validator(x->etag, v, vlen);
	else if (header_is(p, len, "Last-Modified", &v, &vlen))
		keep_validator(x->lastmod, v, vlen);
	else if (header_is(p, len, "Content-Length", &v, &vlen))
		x->has_length = true;
	else if (header_is(p, len, "Transfer-Encoding", &v, &vlen))
		x->chunked = vlen >= 7 && strncasecmp(v + vlen - 7, "chunked",
		    7) == 0;
	else if (header_is(p, len, "Content-Encoding", &v, &vlen))
		x->encoded = !(vlen == 8 && strncasecmp(v, "identity", 8) == 0);
	return len;
}

/* The body cap holds here, whatever Content-Length claimed. */
static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n, ncap;
	uint8_t		*nb;

	if (len > x->max - x->len) {
		x->body_over = true;
		return 0;
	}
	if (x->len + len > x->cap) {
		ncap = x->cap == 0 ? URL_BODY_CHUNK : x->cap * 2;
		if (ncap < x->len + len)
			ncap = x->len + len;
		if (ncap > x->max)
			ncap = x->max;
		if ((nb = realloc(x->body, ncap)) == NULL)
			return 0;
		x->body = nb;
		x->cap = ncap;
	}
	memcpy(x->body + x->len, p, len);
	x->len += len;
	return len;
}

/* Everything a request to this URL needs, set once before the sandbox. */
static void
xfer_init(struct url_source *s, struct xfer *x, const char *what,
    const char *base, size_t max)
{
	const Spw__Config	*c = s->cfg;
	const char		*scheme;

	memset(x, 0, sizeof(*x));
	x->src = s;
	x->what = what;
	x->base = base;
	x->max = max;
	if (origin_parse(base, &x->origin, x->show, sizeof(x->show)) == -1)
		fatalx("%s URL: libcurl cannot parse it", what);
	scheme = x->origin.scheme;
	if (strcmp(scheme, "https") != 0 && (strcmp(scheme, "http") != 0 ||
	    !c->allowhttp))
		fatalx("%s URL %s: https is required (staticpodd.allowHTTP "
		    "allows http)", what, x->show);
	if ((x->easy = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	opt_ptr(x->easy, CURLOPT_PRIVATE, x);
	opt_ptr(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	opt_long(x->easy, CURLOPT_NOSIGNAL, 1);
	/* only the configured scheme, for the request and any redirect */
	opt_ptr(x->easy, CURLOPT_PROTOCOLS_STR, scheme);
	opt_ptr(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, scheme);
	opt_long(x->easy, CURLOPT_FOLLOWLOCATION, 0);	/* done here, checked */
	opt_long(x->easy, CURLOPT_MAXREDIRS, 0);
	/* the runtime scrubs the environment; this ignores it anyway */
	opt_ptr(x->easy, CURLOPT_PROXY, "");
	opt_ptr(x->easy, CURLOPT_NOPROXY, "*");
	opt_long(x->easy, CURLOPT_SSL_VERIFYPEER, 1);
	opt_long(x->easy, CURLOPT_SSL_VERIFYHOST, 2);
	opt_long(x->easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
	if (c->urlcafile != NULL) {
		/* a pinned CA replaces the system's, it does not add to it */
		opt_ptr(x->easy, CURLOPT_CAINFO, c->urlcafile);
		opt_ptr(x->easy, CURLOPT_CAPATH, NULL);
	}
	opt_long(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)s->connect_ms);
	opt_long(x->easy, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	opt_long(x->easy, CURLOPT_LOW_SPEED_LIMIT, URL_LOW_SPEED_BYTES);
	opt_long(x->easy, CURLOPT_LOW_SPEED_TIME, URL_LOW_SPEED_S);
	opt_off(x->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	/* no Accept-Encoding is sent and nothing is decoded: no bombs */
	opt_long(x->easy, CURLOPT_HTTP_CONTENT_DECODING, 0);
	/* HTTP/2 would add a decoder for nothing a poll needs */
	opt_long(x->easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	opt_ptr(x->easy, CURLOPT_USERAGENT, URL_USER_AGENT);
	opt_long(x->easy, CURLOPT_HTTPGET, 1);
	opt_fn(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	opt_ptr(x->easy, CURLOPT_HEADERDATA, x);
	opt_fn(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	opt_ptr(x->easy, CURLOPT_WRITEDATA, x);
}

static void
xfer_reset(struct xfer *x)
{
	free(x->body);
	x->body = NULL;
	x->len = x->cap = 0;
	x->body_over = x->hdr_over = false;
	x->hdr_bytes = 0;
	x->etag[0] = x->lastmod[0] = '\0';
	x->has_length = x->chunked = x->encoded = false;
	x->errbuf[0] = '\0';
}

static struct curl_slist *
slist_add(struct curl_slist *l, const char *line)
{
	struct curl_slist *n;

	if ((n = curl_slist_append(l, line)) == NULL)
		fatal("url");
	return n;
}

/* One request to url (the configured one, or a redirect's target). */
static void
xfer_start(struct xfer *x, const char *url)
{
	struct url_source	*s = x->src;
	struct curl_slist	*l = NULL;
	char			 line[URL_VALIDATOR_MAX + 32];
	size_t			 i;
	CURLMcode		 mc;

	xfer_reset(x);
	if (x->url != url) {
		free(x->url);
		x->url = xstrdup(url);
	}
	for (i = 0; x->conf_headers && i < s->nconf_hdrs; i++)
		l = slist_add(l, s->conf_hdrs[i]);
	x->conditional = false;
	if (x == &s->body && s->have_last) {
		if (s->etag[0] != '\0') {
			snprintf(line, sizeof(line), "If-None-Match: %s",
			    s->etag);
			l = slist_add(l, line);
			x->conditional = true;
		}
		if (s->lastmod[0] != '\0') {
			snprintf(line, sizeof(line), "If-Modified-Since: %s",
			    s->lastmod);
			l = slist_add(l, line);
			x->conditional = true;
		}
	}
	opt_ptr(x->easy, CURLOPT_URL, x->url);
	opt_ptr(x->easy, CURLOPT_HTTPHEADER, l);
	curl_slist_free_all(x->hdrs);
	x->hdrs = l;
	if ((mc = curl_multi_add_handle(s->multi, x->easy)) != CURLM_OK)
		fatalx("curl_multi_add_handle: %s", curl_multi_strerror(mc));
	x->active = true;
}

static void
send_error(struct url_source *s, const char *msg, const uint8_t *sha)
{
	Spw__Wire	  w = SPW__WIRE__INIT;
	Spw__SourceError e = SPW__SOURCE_ERROR__INIT;
	char		  clean[URL_MSG_MAX];

	clean_copy(clean, sizeof(clean), msg);
	e.message = clean;
	e.has_unchanged = 1;
	e.unchanged = strcmp(s->err, clean) == 0;
	if (sha != NULL) {
		e.has_sha256 = 1;
		e.sha256.data = (uint8_t *)sha;
		e.sha256.len = SHA256_DIGEST_LENGTH;
	}
	w.sourceerror = &e;
	chan_send(s->sock, &w, SPW__WIRE__BODY_SOURCE_ERROR);
	if (!e.unchanged)
		log_debug("url: %s", clean);
	memcpy(s->err, clean, sizeof(s->err));
}

/* The whole view: every pod of the last good body, then END. */
static void
send_snapshot(struct url_source *s)
{
	Spw__Wire	    w = SPW__WIRE__INIT;
	Spw__SnapshotBegin  b = SPW__SNAPSHOT_BEGIN__INIT;
	Spw__SnapshotEnd    e = SPW__SNAPSHOT_END__INIT;
	Spw__PodUpsert	    u;
	const Spd__Pod	   *pod;
	char		    key[URL_KEY_MAX + 1];
	size_t		    i;

	w.snapshotbegin = &b;
	chan_send(s->sock, &w, SPW__WIRE__BODY_SNAPSHOT_BEGIN);
	for (i = 0; i < s->good.npods; i++) {
		pod = s->good.pods[i].pod;
		snprintf(key, sizeof(key), "%s/%s", pod->metadata->namespace_,
		    pod->metadata->name);
		spw__pod_upsert__init(&u);
		u.key = key;
		u.pod = (Spd__Pod *)pod;
		u.has_sha256 = 1;
		u.sha256.data = s->good_sha;
		u.sha256.len = SHA256_DIGEST_LENGTH;
		w.podupsert = &u;
		chan_send(s->sock, &w, SPW__WIRE__BODY_POD_UPSERT);
	}
	w.snapshotend = &e;
	chan_send(s->sock, &w, SPW__WIRE__BODY_SNAPSHOT_END);
	s->err[0] = '\0';
}

static void
poll_end(struct url_source *s)
{
	int64_t now = mono_ms();

	s->next_ms = s->started_ms + s->freq_ms;
	if (s->next_ms <= now)
		s->next_ms = now + s->freq_ms;
	free(s->body.body);
	s->body.body = NULL;
	s->body.len = s->body.cap = 0;
	free(s->sig.body);
	s->sig.body = NULL;
	s->sig.len = s->sig.cap = 0;
}

static void
poll_fail(struct url_source *s, const struct xfer *x, const char *why,
    const uint8_t *sha)
{
	char msg[URL_MSG_MAX];

	msgf(msg, sizeof(msg), "%s %s: %s", x->what, x->show, why);
	send_error(s, msg, sha);
	poll_end(s);
}

/* The server says the body is the one judged last time. */
static void
poll_unchanged(struct url_source *s)
{
	if (!s->last_ok) {
		send_error(s, s->last_err, s->last_sha);
		poll_end(s);
		return;
	}
	if (s->err[0] != '\0')
		send_snapshot(s);	/* recovered: the runtime should know */
	poll_end(s);
}

/*
 * A transfer that did not end with a whole answer. The text is fixed per
 * kind of failure (no byte counts or times), so a repeat is recognised.
 */
static void
transport_error(const struct xfer *x, CURLcode rc, char *why, size_t len)
{
	const struct url_source	*s = x->src;
	long			 oserr = 0;

	if (x->body_over || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, len, "the body is larger than the limit of %zu "
		    "bytes%s", x->max, x == &s->body ?
		    " (staticpodd.maxManifestBytes)" : "");
		return;
	}
	if (x->hdr_over) {
		snprintf(why, len, "the response headers are larger than the "
		    "limit of %d bytes", URL_HEADER_MAX);
		return;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(why, len, "cannot resolve %s", x->origin.host);
		return;
	case CURLE_COULDNT_CONNECT:
		if (curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr) !=
		    CURLE_OK)
			oserr = 0;
		snprintf(why, len, "cannot connect to %s port %s%s%s",
		    x->origin.host, x->origin.port, oserr != 0 ? ": " : "",
		    oserr != 0 ? strerror((int)oserr) : "");
		return;
	case CURLE_OPERATION_TIMEDOUT:
		if (strncmp(x->errbuf, "Operation too slow", 18) == 0)
			snprintf(why, len, "cut off: less than %d bytes a "
			    "second for %d seconds", URL_LOW_SPEED_BYTES,
			    URL_LOW_SPEED_S);
		else if (strncmp(x->errbuf, "Resolving timed out", 19) == 0)
			snprintf(why, len, "%s did not resolve within %lld ms",
			    x->origin.host, (long long)s->connect_ms);
		else if (strncmp(x->errbuf, "Connection timed out", 20) == 0)
			snprintf(why, len, "no connection within %lld ms "
			    "(staticpodd.urlConnectTimeout)",
			    (long long)s->connect_ms);
		else
			snprintf(why, len, "no complete answer within %lld ms "
			    "(staticpodd.urlTimeout)",
			    (long long)s->timeout_ms);
		return;
	case CURLE_PARTIAL_FILE:
		snprintf(why, len, "the connection closed before the whole "
		    "body arrived");
		return;
	case CURLE_GOT_NOTHING:
		snprintf(why, len, "the server closed the connection without "
		    "an answer");
		return;
	case CURLE_OUT_OF_MEMORY:
		/* how libcurl refuses a single header line over 100 KiB */
		snprintf(why, len, "the response headers could not be read (a "
		    "header line over libcurl's limit of 100 KiB, or out of "
		    "memory)");
		return;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		/* libcurl's text here names no time or count */
		snprintf(why, len, "%s%s", rc == CURLE_RECV_ERROR ||
		    rc == CURLE_SEND_ERROR ? "" : "TLS: ", x->errbuf[0] !=
		    '\0' ? x->errbuf : curl_easy_strerror(rc));
		return;
	default:
		snprintf(why, len, "%s", curl_easy_strerror(rc));
	}
}

/*
 * A 3xx: refused unless redirects are allowed, and then only to the same
 * scheme, host and port. Returns 0 when the next request is under way.
 */
static int
follow(struct xfer *x, long code, char *why, size_t len)
{
	const struct url_source	*s = x->src;
	struct origin		 to;
	char			*loc = NULL;

	if (!s->cfg->urlallowredirects) {
		snprintf(why, len, "HTTP %ld: a redirect, and redirects are "
		    "off (staticpodd.urlAllowRedirects)", code);
		return -1;
	}
	if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc) !=
	    CURLE_OK || loc == NULL) {
		snprintf(why, len, "HTTP %ld without a usable Location", code);
		return -1;
	}
	if (origin_parse(loc, &to, NULL, 0) == -1) {
		snprintf(why, len, "HTTP %ld to a URL that does not parse",
		    code);
		return -1;
	}
	if (!origin_same(&to, &x->origin)) {
		origin_free(&to);
		snprintf(why, len, "HTTP %ld: a redirect to another scheme, "
		    "host or port is refused", code);
		return -1;
	}
	origin_free(&to);
	if (++x->hops > URL_REDIRECTS_MAX) {
		snprintf(why, len, "more than %d redirects", URL_REDIRECTS_MAX);
		return -1;
	}
	/* loc belongs to the handle, which the next request resets */
	loc = xstrdup(loc);
	free(x->url);
	x->url = loc;
	xfer_start(x, x->url);
	return 0;
}

/* A 200's framing, encoding and length, before anything reads it. */
static int
body_check(const struct xfer *x, char *why, size_t len)
{
	long	version = 0;

	if (curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &version) !=
	    CURLE_OK)
		version = 0;
	if ((version == CURL_HTTP_VERSION_1_0 ||
	    version == CURL_HTTP_VERSION_1_1) && !x->has_length &&
	    !x->chunked) {
		/* the end of the body would be the end of the connection */
		snprintf(why, len, "the answer has neither a Content-Length "
		    "nor chunked encoding, so a cut connection could not be "
		    "told from its end");
		return -1;
	}
	if (x->encoded) {
		snprintf(why, len, "the body has a Content-Encoding; only "
		    "identity is accepted (nothing is decompressed)");
		return -1;
	}
	if (x->len == 0) {
		snprintf(why, len, "the server sent an empty body; to remove "
		    "every URL pod, serve an empty PodList");
		return -1;
	}
	return 0;
}

/*
 * The common part of a finished transfer. Returns the status of a whole
 * answer, 0 when a redirect is being followed, -1 when the poll failed.
 */
static long
xfer_finish(struct xfer *x, CURLcode rc)
{
	char	why[URL_MSG_MAX];
	long	code = 0;

	if (rc != CURLE_OK) {
		transport_error(x, rc, why, sizeof(why));
		poll_fail(x->src, x, why, NULL);
		return -1;
	}
	if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code) !=
	    CURLE_OK || code < 100) {
		poll_fail(x->src, x, "no HTTP status", NULL);
		return -1;
	}
	if (code == 301 || code == 302 || code == 303 || code == 307 ||
	    code == 308) {
		if (follow(x, code, why, sizeof(why)) == 0)
			return 0;
		poll_fail(x->src, x, why, NULL);
		return -1;
	}
	return code;
}

/* The key of a pod and whether the list names it twice. */
static int
pods_check(const struct parse_result *res, char *why, size_t len)
{
	const Spd__Pod	*a, *b;
	size_t		 i, j;

	for (i = 0; i < res->npods; i++) {
		a = res->pods[i].pod;
		if (protobuf_c_message_get_packed_size(&a->base) >
		    URL_POD_WIRE_MAX) {
			snprintf(why, len, "items[%zu]: the pod is larger than "
			    "a message to the runtime may be", i);
			return -1;
		}
		for (j = 0; j < i; j++) {
			b = res->pods[j].pod;
			if (strcmp(a->metadata->name, b->metadata->name) == 0 &&
			    strcmp(a->metadata->namespace_,
			    b->metadata->namespace_) == 0) {
				snprintf(why, len, "items[%zu]: pod %s/%s is "
				    "also items[%zu]; a list names a pod once",
				    i, a->metadata->namespace_,
				    a->metadata->name, j);
				return -1;
			}
		}
	}
	return 0;
}

/* A new body, its signature checked if one is required: parse, judge. */
static void
judge(struct url_source *s)
{
	struct xfer		*x = &s->body;
	struct parse_opts	 o = { 0 };
	struct parse_result	 res;
	char			 file[URL_SHOW_MAX + 16], why[URL_MSG_MAX];
	char			 line[URL_MSG_MAX];
	size_t			 n;

	o.node_name = s->role->nodename;
	o.source = s->uid_source;
	o.max_bytes = x->max;
	o.allow_list = true;
	memcpy(s->last_sha, s->cur_sha, sizeof(s->last_sha));
	memcpy(s->etag, x->etag, sizeof(s->etag));
	memcpy(s->lastmod, x->lastmod, sizeof(s->lastmod));
	s->have_last = true;
	snprintf(file, sizeof(file), "%s %s", x->what, x->show);
	if (parser_parse(x->body, x->len, &o, &res) == -1) {
		diag_format(&res.diags.item[0], file, line, sizeof(line));
		if ((n = diag_count(&res.diags)) > 1)
			msgf(line + strlen(line), sizeof(line) - strlen(line),
			    " (and %zu more errors)", n - 1);
		goto bad;
	}
	if (pods_check(&res, why, sizeof(why)) == -1) {
		msgf(line, sizeof(line), "%s: %s", file, why);
		goto bad;
	}
	if (s->have_good)
		parse_result_free(&s->good);
	s->good = res;
	s->have_good = true;
	memcpy(s->good_sha, s->cur_sha, sizeof(s->good_sha));
	s->last_ok = true;
	s->last_err[0] = '\0';
	log_debug("url: %s: %zu pods", x->show, res.npods);
	send_snapshot(s);
	poll_end(s);
	return;
bad:
	parse_result_free(&res);
	s->last_ok = false;
	clean_copy(s->last_err, sizeof(s->last_err), line);
	send_error(s, s->last_err, s->cur_sha);
	poll_end(s);
}

static void
body_done(struct url_source *s, CURLcode rc)
{
	struct xfer	*x = &s->body;
	char		 why[URL_MSG_MAX];
	long		 code;

	if ((code = xfer_finish(x, rc)) <= 0)
		return;
	if (code == 304) {
		if (!x->conditional) {
			poll_fail(s, x, "HTTP 304 to a request that was not "
			    "conditional", NULL);
			return;
		}
		poll_unchanged(s);
		return;
	}
	if (code != 200) {
		snprintf(why, sizeof(why), "HTTP %ld (200 is expected)", code);
		poll_fail(s, x, why, NULL);
		return;
	}
	if (body_check(x, why, sizeof(why)) == -1) {
		poll_fail(s, x, why, NULL);
		return;
	}
	if (EVP_Digest(x->body, x->len, s->cur_sha, NULL, EVP_sha256(),
	    NULL) != 1)
		fatalx("sha256 failed");
	if (s->have_last && memcmp(s->cur_sha, s->last_sha,
	    sizeof(s->cur_sha)) == 0) {
		/* the same bytes under new validators: keep those */
		memcpy(s->etag, x->etag, sizeof(s->etag));
		memcpy(s->lastmod, x->lastmod, sizeof(s->lastmod));
		poll_unchanged(s);
		return;
	}
	if (s->sig_required) {
		s->sig.hops = 0;
		xfer_start(&s->sig, s->sig.base);
		return;
	}
	judge(s);
}

static void
sig_done(struct url_source *s, CURLcode rc)
{
	struct xfer	*x = &s->sig;
	char		 why[URL_MSG_MAX], msg[URL_MSG_MAX];
	long		 code;

	if ((code = xfer_finish(x, rc)) <= 0)
		return;
	if (code != 200) {
		snprintf(why, sizeof(why), "HTTP %ld (200 is expected)", code);
		poll_fail(s, x, why, s->cur_sha);
		return;
	}
	if (x->len == 0) {
		poll_fail(s, x, "empty", s->cur_sha);
		return;
	}
	if (minisign_verify(&s->key, s->body.body, s->body.len, x->body,
	    x->len, why, sizeof(why)) == -1) {
		msgf(msg, sizeof(msg), "the manifest is refused: %s", why);
		poll_fail(s, x, msg, s->cur_sha);
		return;
	}
	judge(s);
}

static void
on_done(struct url_source *s, CURL *easy, CURLcode rc)
{
	struct xfer	*x;
	CURLMcode	 mc;

	if ((mc = curl_multi_remove_handle(s->multi, easy)) != CURLM_OK)
		fatalx("curl_multi_remove_handle: %s",
		    curl_multi_strerror(mc));
	x = easy == s->body.easy ? &s->body : &s->sig;
	x->active = false;
	if (x == &s->body)
		body_done(s, rc);
	else
		sig_done(s, rc);
}

/* staticPodURLHeader as "Name: value" lines; an empty value is "Name;". */
static void
conf_headers(struct url_source *s)
{
	const Spw__Config	*c = s->cfg;
	const Spw__Header	*h;
	size_t			 i;

	if (c->n_staticpodurlheader == 0)
		return;
	if ((s->conf_hdrs = calloc(c->n_staticpodurlheader,
	    sizeof(*s->conf_hdrs))) == NULL)
		fatal("url");
	for (i = 0; i < c->n_staticpodurlheader; i++) {
		h = c->staticpodurlheader[i];
		if (h->name == NULL || h->value == NULL ||
		    strpbrk(h->name, ":\r\n") != NULL ||
		    strpbrk(h->value, "\r\n") != NULL)
			fatalx("staticPodURLHeader: header %zu is not a valid "
			    "HTTP header", i);
		if (asprintf(&s->conf_hdrs[i], h->value[0] == '\0' ? "%s;" :
		    "%s: %s", h->name, h->value) == -1)
			fatal("url");
	}
	s->nconf_hdrs = c->n_staticpodurlheader;
}

/*
 * glibc reads /etc/nsswitch.conf and loads the modules it names on the
 * first lookup; under the sandbox it could not map them. A lookup of each
 * real host now loads whatever a later one will need. It may fail (the
 * server may be down): the modules are loaded all the same.
 */
static void
resolver_warm(const struct xfer *x)
{
	struct addrinfo	 hints, *res = NULL;
	int		 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(x->origin.host, x->origin.port, &hints,
	    &res)) != 0)
		log_debug("url: %s does not resolve yet: %s", x->origin.host,
		    gai_strerror(rc));
	else
		freeaddrinfo(res);
}

struct url_source *
url_setup(int sock, struct wire_rx *rx, const Spw__Role *role)
{
	struct url_source	*s;
	const Spw__Config	*c = role->config;
	char			 err[256];
	CURLcode		 rc;

	if (c->staticpodurl == NULL)
		fatalx("from the runtime: a URL role without staticPodURL");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("url");
	s->sock = sock;
	(void)rx;	/* the runtime sends a URL fetcher nothing after ROLE */
	s->role = role;
	s->cfg = c;
	s->freq_ms = c->has_httpcheckfrequencyms ? c->httpcheckfrequencyms :
	    URL_CHECK_MS;
	s->connect_ms = c->has_urlconnecttimeoutms ? c->urlconnecttimeoutms :
	    URL_CONNECT_TIMEOUT_MS;
	s->timeout_ms = c->has_urltimeoutms ? c->urltimeoutms : URL_TIMEOUT_MS;
	if (s->freq_ms <= 0 || s->connect_ms <= 0 || s->timeout_ms <= 0)
		fatalx("from the runtime: URL intervals must be positive");
	if (asprintf(&s->uid_source, "url:%s", c->staticpodurl) == -1)
		fatal("url");
	/* a closed runtime is seen on the channel, not as a signal */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		fatalx("curl_global_init: %s", curl_easy_strerror(rc));
	if ((s->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	conf_headers(s);
	xfer_init(s, &s->body, "manifest", c->staticpodurl,
	    c->has_maxmanifestbytes ? (size_t)c->maxmanifestbytes :
	    MANIFEST_MAX_BYTES);
	s->body.conf_headers = true;
	if (c->urlsignaturepublickey != NULL) {
		if (minisign_key_parse(c->urlsignaturepublickey, &s->key, err,
		    sizeof(err)) == -1)
			fatalx("staticpodd.urlSignaturePublicKey: %s", err);
		minisign_warm(&s->key);
		s->sig_url = c->urlsignatureurl != NULL ?
		    xstrdup(c->urlsignatureurl) : sig_url_default(
		    c->staticpodurl);
		xfer_init(s, &s->sig, "signature", s->sig_url, URL_SIG_MAX);
		/* the headers may be credentials: only for the manifest's
		   own origin */
		s->sig.conf_headers = origin_same(&s->sig.origin,
		    &s->body.origin);
		s->sig_required = true;
	} else if (c->urlsignatureurl != NULL)
		fatalx("staticpodd.urlSignatureURL is set without "
		    "staticpodd.urlSignaturePublicKey");
	resolver_warm(&s->body);
	if (s->sig_required && strcasecmp(s->sig.origin.host,
	    s->body.origin.host) != 0)
		resolver_warm(&s->sig);
	return s;
}

void
url_sandbox_needs(const struct url_source *s, struct url_needs *n)
{
	memset(n, 0, sizeof(*n));
	n->ports[n->nports++] = (uint16_t)atoi(s->body.origin.port);
	if (s->sig_required && strcmp(s->sig.origin.port,
	    s->body.origin.port) != 0)
		n->ports[n->nports++] = (uint16_t)atoi(s->sig.origin.port);
	n->ca_file = s->cfg->urlcafile;
}

static void
drain(struct url_source *s)
{
	CURLMsg		*msg;
	CURLMcode	 mc;
	int		 running, left;

	if ((mc = curl_multi_perform(s->multi, &running)) != CURLM_OK)
		fatalx("curl_multi_perform: %s", curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(s->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			on_done(s, msg->easy_handle, msg->data.result);
}

void
url_run(struct url_source *s)
{
	struct curl_waitfd	 wfd;
	CURLMcode		 mc;
	int64_t			 now, wait;
	int			 n;

	s->next_ms = mono_ms();	/* the first fetch is immediate */
	for (;;) {
		now = mono_ms();
		if (!s->body.active && !s->sig.active && now >= s->next_ms) {
			s->started_ms = now;
			s->body.hops = 0;
			xfer_start(&s->body, s->body.base);
		}
		/* libcurl shortens the wait to its own timers */
		wait = s->body.active || s->sig.active ? s->timeout_ms :
		    s->next_ms - now;
		if (wait < 0)
			wait = 0;
		wfd.fd = s->sock;
		wfd.events = CURL_WAIT_POLLIN;
		wfd.revents = 0;
		if ((mc = curl_multi_poll(s->multi, &wfd, 1, (int)wait, &n)) !=
		    CURLM_OK)
			fatalx("curl_multi_poll: %s", curl_multi_strerror(mc));
		if (wfd.revents != 0)
			fatalx("the runtime sent an unexpected message or "
			    "closed the channel");
		drain(s);
	}
}
