/*
 * Reads the configuration file (a KubeletConfiguration with staticpodd's
 * own settings under `staticpodd`) from the fd root opened, and turns it
 * into the CONFIG message. The file is trusted, but it is parsed here,
 * where a parser bug cannot become root; the runtime validates the result
 * and merges its command-line flags over it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fetcher.h"
#include "kubeletconfig.pb-c.h"
#include "log.h"

#define CONFIG_MAX_BYTES	(1024 * 1024)

/* Go's duration syntax, as kubelet files write them: "20s", "1m30s". */
int
duration_parse_ms(const char *s, int64_t *ms)
{
	static const struct {
		const char	*unit;
		int64_t		 ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	int64_t	total = 0, v;
	size_t	i, len;

	if (*s == '\0')
		return -1;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		for (v = 0; *s >= '0' && *s <= '9'; s++) {
			if (v > 100000000)
				return -1;
			v = v * 10 + (*s - '0');
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			len = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, len) == 0 &&
			    !(len == 1 && s[0] == 'm' && s[1] == 's'))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[i].ms;
		if (total > INT64_C(1) << 40)
			return -1;
		s += strlen(units[i].unit);
	}
	*ms = total;
	return 0;
}

static uint8_t *
read_all(int fd, size_t max, size_t *len)
{
	uint8_t	*buf;
	size_t	 off = 0;
	ssize_t	 n;

	if ((buf = malloc(max + 1)) == NULL)
		fatal("config");
	while (off <= max) {
		n = read(fd, buf + off, max + 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (n == -1) {
		free(buf);
		return NULL;
	}
	*len = off;
	return buf;
}

static int
set_duration(struct diags *d, const char *field, const char *v,
    protobuf_c_boolean *has, int64_t *out)
{
	if (v == NULL)
		return 0;
	if (duration_parse_ms(v, out) == -1)
		return diag_add(d, 0, 0, field, "\"%.40s\" is not a duration "
		    "(such as 20s, 1m30s, 500ms)", v);
	*has = 1;
	return 0;
}

/* The file's fields, renamed into the CONFIG message. */
static int
fill(const Spk__KubeletConfiguration *k, Spw__Config *c, struct diags *d)
{
	const Spk__Settings	*s = k->staticpodd;
	Spw__Header		**h;
	size_t			 i, j, n = 0;
	int			 ret = 0;

	c->staticpodpath = k->staticpodpath;
	c->staticpodurl = k->staticpodurl;
	c->containerruntimeendpoint = k->containerruntimeendpoint;
	c->podlogsdir = k->podlogsdir;
	c->cgroupdriver = k->cgroupdriver;
	c->clusterdns = k->clusterdns;
	c->n_clusterdns = k->n_clusterdns;
	c->clusterdomain = k->clusterdomain;
	c->resolvconf = k->resolvconf;
	if (k->containerlogmaxsize != NULL) {
		int64_t milli;

		if (quantity_parse(k->containerlogmaxsize, &milli) == -1 ||
		    milli < 0)
			ret = diag_add(d, 0, 0, "containerLogMaxSize", "\"%.40s\" "
			    "is not a size (such as 10Mi)",
			    k->containerlogmaxsize);
		else {
			c->has_containerlogmaxbytes = 1;
			c->containerlogmaxbytes = milli / 1000;
		}
	}
	if (k->has_containerlogmaxfiles) {
		c->has_containerlogmaxfiles = 1;
		c->containerlogmaxfiles = k->containerlogmaxfiles;
	}
	ret |= set_duration(d, "fileCheckFrequency", k->filecheckfrequency,
	    &c->has_filecheckfrequencyms, &c->filecheckfrequencyms);
	ret |= set_duration(d, "httpCheckFrequency", k->httpcheckfrequency,
	    &c->has_httpcheckfrequencyms, &c->httpcheckfrequencyms);
	for (i = 0; i < k->n_staticpodurlheader; i++)
		n += k->staticpodurlheader[i]->n_value;
	if (n > 0) {
		if ((h = calloc(n, sizeof(*h))) == NULL)
			fatal("config");
		n = 0;
		for (i = 0; i < k->n_staticpodurlheader; i++)
			for (j = 0; j < k->staticpodurlheader[i]->n_value; j++) {
				if ((h[n] = calloc(1, sizeof(**h))) == NULL)
					fatal("config");
				spw__header__init(h[n]);
				h[n]->name = k->staticpodurlheader[i]->key;
				h[n++]->value = k->staticpodurlheader[i]->value[j];
			}
		c->staticpodurlheader = h;
		c->n_staticpodurlheader = n;
	}
	if (s == NULL)
		return ret;
	if (s->policyfile != NULL)
		ret = diag_add(d, 0, 0, "staticpodd.policyFile", "not read from "
		    "here: pass the policy with --policy FILE (root opens it "
		    "before anything is parsed)");
	c->nodename = s->nodename;
	c->user = s->user;
	c->auditlog = s->auditlog;
	c->statedir = s->statedir;
	c->rundir = s->rundir;
	c->urlcafile = s->urlcafile;
	c->memoryvolumedir = s->memoryvolumedir;
	c->urlsignaturepublickey = s->urlsignaturepublickey;
	c->urlsignatureurl = s->urlsignatureurl;
#define COPY_BOOL(f) do { c->has_##f = s->has_##f; c->f = s->f; } while (0)
	COPY_BOOL(maxmanifestbytes);
	COPY_BOOL(requirelandlock);
	COPY_BOOL(allowhttp);
	COPY_BOOL(manifestownercheck);
	COPY_BOOL(urlallowredirects);
#undef COPY_BOOL
	ret |= set_duration(d, "staticpodd.urlConnectTimeout",
	    s->urlconnecttimeout, &c->has_urlconnecttimeoutms,
	    &c->urlconnecttimeoutms);
	ret |= set_duration(d, "staticpodd.urlTimeout", s->urltimeout,
	    &c->has_urltimeoutms, &c->urltimeoutms);
	return ret;
}

static void
print_diags(const char *file, const struct diags *d)
{
	char	line[1024];
	size_t	i;

	for (i = 0; i < d->n; i++) {
		diag_format(&d->item[i], file, line, sizeof(line));
		log_diag("%s", line);
	}
}

static int
check_kind(const Spk__KubeletConfiguration *k, struct diags *d)
{
	if (k->kind != NULL && strcmp(k->kind, "KubeletConfiguration") != 0)
		return diag_add(d, 0, 0, "kind", "must be "
		    "\"KubeletConfiguration\"");
	if (k->apiversion != NULL &&
	    strncmp(k->apiversion, "kubelet.config.k8s.io/", 22) != 0)
		return diag_add(d, 0, 0, "apiVersion", "must be "
		    "kubelet.config.k8s.io/v1beta1");
	return 0;
}

/*
 * Parses the file behind fd into *out (whose strings live in doc); prints
 * every error as FILE:LINE:COLUMN: field: message and returns -1.
 */
int
config_read(int fd, const char *file, struct decoded_doc *doc,
    Spw__Config *out)
{
	Spk__KubeletConfiguration	*k;
	uint8_t				*buf;
	size_t				 len = 0, i;
	char				*ignored;

	spw__config__init(out);
	if ((buf = read_all(fd, CONFIG_MAX_BYTES, &len)) == NULL) {
		log_warn("%s", file);
		return -1;
	}
	if (len > CONFIG_MAX_BYTES) {
		log_warnx("%s: larger than %d bytes", file, CONFIG_MAX_BYTES);
		free(buf);
		return -1;
	}
	if (parser_decode_document(buf, len,
	    &spk__kubelet_configuration__descriptor, true, doc) == -1) {
		print_diags(file, &doc->diags);
		free(buf);
		return -1;
	}
	free(buf);
	k = (Spk__KubeletConfiguration *)doc->msg;
	if (check_kind(k, &doc->diags) == -1 || fill(k, out, &doc->diags) ==
	    -1 || config_check(out, &doc->diags) == -1) {
		decoded_doc_place(doc, &doc->diags);
		print_diags(file, &doc->diags);
		return -1;
	}
	if (doc->unknown.n > 0) {
		if ((out->ignoredfields = calloc(doc->unknown.n,
		    sizeof(char *))) == NULL)
			fatal("config");
		for (i = 0; i < doc->unknown.n; i++) {
			ignored = (char *)doc->unknown.keys[i].key;
			out->ignoredfields[i] = ignored;
		}
		out->n_ignoredfields = doc->unknown.n;
	}
	return 0;
}

void
config_free(Spw__Config *c)
{
	size_t i;

	for (i = 0; i < c->n_staticpodurlheader; i++)
		free(c->staticpodurlheader[i]);
	free(c->staticpodurlheader);
	free(c->ignoredfields);
	spw__config__init(c);
}
