/*
 * The runtime's settings: command-line flags over the file's CONFIG over
 * the defaults, copied into the agent's own arena (the decoded CONFIG is
 * freed), then checked as the fetcher checked the file.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "log.h"

static int
is_set(const ProtobufCFieldDescriptor *fd, const ProtobufCMessage *m)
{
	const char *base = (const char *)m;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + fd->quantifier_offset) > 0;
	if (fd->type == PROTOBUF_C_TYPE_STRING)
		return *(char *const *)(base + fd->offset) != NULL;
	return *(const protobuf_c_boolean *)(base + fd->quantifier_offset);
}

static char *
own(struct agent *a, const char *s)
{
	char *p;

	if ((p = arena_strdup(&a->cfg_arena, s)) == NULL)
		fatalx("configuration larger than its memory limit");
	return p;
}

/* Copies one field, strings and lists included, into the agent's arena. */
static void
copy_field(struct agent *a, const ProtobufCFieldDescriptor *fd,
    const ProtobufCMessage *from)
{
	const char	*src = (const char *)from;
	char		*dst = (char *)&a->cfg;
	size_t		 n, i;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		n = *(const size_t *)(src + fd->quantifier_offset);
		*(size_t *)(dst + fd->quantifier_offset) = n;
		if (fd->type == PROTOBUF_C_TYPE_STRING) {
			char **in = *(char **const *)(src + fd->offset), **out;

			if ((out = arena_alloc(&a->cfg_arena, n * sizeof(*out)))
			    == NULL)
				fatalx("configuration too large");
			for (i = 0; i < n; i++)
				out[i] = own(a, in[i]);
			*(char ***)(dst + fd->offset) = out;
			return;
		}
		/* the only repeated message: headers */
		Spw__Header **in = *(Spw__Header **const *)(src + fd->offset);
		Spw__Header **out;

		if ((out = arena_alloc(&a->cfg_arena, n * sizeof(*out))) == NULL)
			fatalx("configuration too large");
		for (i = 0; i < n; i++) {
			if ((out[i] = arena_alloc(&a->cfg_arena,
			    sizeof(**out))) == NULL)
				fatalx("configuration too large");
			spw__header__init(out[i]);
			out[i]->name = own(a, in[i]->name != NULL ?
			    in[i]->name : "");
			out[i]->value = own(a, in[i]->value != NULL ?
			    in[i]->value : "");
		}
		*(Spw__Header ***)(dst + fd->offset) = out;
		return;
	}
	if (fd->type == PROTOBUF_C_TYPE_STRING) {
		*(char **)(dst + fd->offset) = own(a,
		    *(char *const *)(src + fd->offset));
		return;
	}
	*(protobuf_c_boolean *)(dst + fd->quantifier_offset) = 1;
	if (fd->type == PROTOBUF_C_TYPE_BOOL)
		*(protobuf_c_boolean *)(dst + fd->offset) =
		    *(const protobuf_c_boolean *)(src + fd->offset);
	else if (fd->type == PROTOBUF_C_TYPE_INT32)
		*(int32_t *)(dst + fd->offset) =
		    *(const int32_t *)(src + fd->offset);
	else if (fd->type == PROTOBUF_C_TYPE_INT64)
		*(int64_t *)(dst + fd->offset) =
		    *(const int64_t *)(src + fd->offset);
	else
		fatalx("config: field %s has a type the merge does not know",
		    fd->name);
}

static const char *
host_name(struct agent *a)
{
	char	host[256];
	size_t	i;

	if (gethostname(host, sizeof(host)) == -1)
		fatal("gethostname");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	return own(a, host);
}

static void
apply_defaults(struct agent *a)
{
	Spw__Config *c = &a->cfg;

	if (c->nodename == NULL)
		c->nodename = (char *)host_name(a);
	if (c->containerruntimeendpoint == NULL)
		c->containerruntimeendpoint = AGENT_DEFAULT_ENDPOINT;
	if (c->podlogsdir == NULL)
		c->podlogsdir = AGENT_DEFAULT_LOGS_DIR;
	if (c->statedir == NULL)
		c->statedir = AGENT_DEFAULT_STATE_DIR;
	if (c->rundir == NULL)
		c->rundir = AGENT_DEFAULT_RUN_DIR;
	if (c->cgroupdriver == NULL)
		c->cgroupdriver = "cgroupfs";
	if (c->resolvconf == NULL)
		c->resolvconf = AGENT_DEFAULT_RESOLV_CONF;
	if (!c->has_filecheckfrequencyms) {
		c->has_filecheckfrequencyms = 1;
		c->filecheckfrequencyms = AGENT_DEFAULT_CHECK_MS;
	}
	if (!c->has_httpcheckfrequencyms) {
		c->has_httpcheckfrequencyms = 1;
		c->httpcheckfrequencyms = AGENT_DEFAULT_CHECK_MS;
	}
	if (!c->has_maxmanifestbytes) {
		c->has_maxmanifestbytes = 1;
		c->maxmanifestbytes = 1024 * 1024;
	}
	if (!c->has_containerlogmaxbytes) {
		c->has_containerlogmaxbytes = 1;
		c->containerlogmaxbytes = 10 * 1024 * 1024;	/* the kubelet's */
	}
	if (!c->has_containerlogmaxfiles) {
		c->has_containerlogmaxfiles = 1;
		c->containerlogmaxfiles = 5;
	}
	if (!c->has_manifestownercheck) {
		c->has_manifestownercheck = 1;
		c->manifestownercheck = 1;
	}
}

int
config_merge(struct agent *a, const Spw__Config *file,
    const Spw__Config *flags)
{
	const ProtobufCMessageDescriptor	*d = &spw__config__descriptor;
	struct diags				 diags;
	char					 line[1024];
	size_t					 i;

	arena_init(&a->cfg_arena, 4 * 1024 * 1024);
	spw__config__init(&a->cfg);
	for (i = 0; i < d->n_fields; i++) {
		/* the policy: compiled on its own (runtime/admit.c) */
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE &&
		    d->fields[i].label != PROTOBUF_C_LABEL_REPEATED)
			continue;
		if (is_set(&d->fields[i], &flags->base))
			copy_field(a, &d->fields[i], &flags->base);
		else if (file != NULL && is_set(&d->fields[i], &file->base))
			copy_field(a, &d->fields[i], &file->base);
	}
	apply_defaults(a);
	memset(&diags, 0, sizeof(diags));
	if (config_check(&a->cfg, &diags) == 0)
		return 0;
	for (i = 0; i < diags.n; i++) {
		diag_format(&diags.item[i], "configuration", line, sizeof(line));
		log_warnx("%s", line);
	}
	return -1;
}
