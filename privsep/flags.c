/*
 * The daemon's command line: the kubelet's flag names where the kubelet
 * has one, so an existing unit file's arguments carry over. What a flag
 * sets wins over the configuration file (config_check.c merges them).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"

#define FLAGS_HEADERS_MAX	AGENT_URL_HEADERS_MAX

static void
usage(FILE *fp, int status)
{
	fprintf(fp,
"usage: staticpodd [--config FILE] [--pod-manifest-path PATH]\n"
"                  [--manifest-url URL] [--manifest-url-header 'Name:Value']...\n"
"                  [--container-runtime-endpoint unix:///PATH]\n"
"                  [--hostname-override NAME] [--pod-logs-dir DIR]\n"
"                  [--state-dir DIR] [--run-dir DIR] [--policy FILE]\n"
"                  [--audit-log FILE] [--user NAME] [--cgroup-driver cgroupfs|systemd]\n"
"                  [--file-check-frequency DURATION] [--http-check-frequency DURATION]\n"
"                  [--memory-volume-dir TMPFS]\n"
"                  [-v] [--version] [--help]\n"
"       staticpodd validate [--node-name NAME] [-o json|yaml|name|none] PATH...\n");
	exit(status);
}

/* "20s", "1m30s", "500ms" as milliseconds, as the kubelet's flags read. */
static int64_t
duration_flag(const char *flag, const char *s)
{
	char	*end;
	long	 v;
	int64_t	 mult;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || v < 0 || v > 86400000 || end == s)
		goto bad;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		goto bad;
	return (int64_t)v * mult;
bad:
	fprintf(stderr, "staticpodd: %s: \"%s\" is not a duration (such as "
	    "20s, 1m, 500ms)\n", flag, s);
	exit(EXIT_CONFIG);
}

static void
add_header(Spw__Config *c, char *arg)
{
	Spw__Header	*h, **hs;
	char		*colon;

	if ((colon = strchr(arg, ':')) == NULL || colon == arg) {
		fprintf(stderr, "staticpodd: --manifest-url-header: expected "
		    "'Name:Value'\n");
		exit(EXIT_CONFIG);
	}
	if (c->n_staticpodurlheader == FLAGS_HEADERS_MAX) {
		fprintf(stderr, "staticpodd: more than %d "
		    "--manifest-url-header flags\n", FLAGS_HEADERS_MAX);
		exit(EXIT_CONFIG);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (hs = reallocarray(c->staticpodurlheader,
	    c->n_staticpodurlheader + 1, sizeof(*hs))) == NULL)
		fatal("flags");
	spw__header__init(h);
	*colon = '\0';
	h->name = arg;
	h->value = colon + 1;
	while (*h->value == ' ')
		h->value++;
	hs[c->n_staticpodurlheader++] = h;
	c->staticpodurlheader = hs;
}

void
flags_parse(int argc, char **argv, struct flags *f)
{
	enum {
		F_CONFIG = 256, F_PATH, F_URL, F_HEADER, F_ENDPOINT, F_HOST,
		F_LOGS, F_STATE, F_RUN, F_POLICY, F_AUDIT, F_USER, F_CGROUP,
		F_FILECHECK, F_HTTPCHECK, F_MEMDIR, F_VERSION, F_HELP,
	};
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, F_CONFIG },
		{ "pod-manifest-path", required_argument, NULL, F_PATH },
		{ "manifest-url", required_argument, NULL, F_URL },
		{ "manifest-url-header", required_argument, NULL, F_HEADER },
		{ "container-runtime-endpoint", required_argument, NULL,
		    F_ENDPOINT },
		{ "hostname-override", required_argument, NULL, F_HOST },
		{ "pod-logs-dir", required_argument, NULL, F_LOGS },
		{ "state-dir", required_argument, NULL, F_STATE },
		{ "run-dir", required_argument, NULL, F_RUN },
		{ "policy", required_argument, NULL, F_POLICY },
		{ "audit-log", required_argument, NULL, F_AUDIT },
		{ "user", required_argument, NULL, F_USER },
		{ "cgroup-driver", required_argument, NULL, F_CGROUP },
		{ "file-check-frequency", required_argument, NULL, F_FILECHECK },
		{ "http-check-frequency", required_argument, NULL, F_HTTPCHECK },
		{ "memory-volume-dir", required_argument, NULL, F_MEMDIR },
		{ "version", no_argument, NULL, F_VERSION },
		{ "help", no_argument, NULL, F_HELP },
		{ NULL, 0, NULL, 0 },
	};
	Spw__Config	*c = &f->cfg;
	int		 ch;

	memset(f, 0, sizeof(*f));
	spw__config__init(c);
	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case F_CONFIG:
			f->config_file = optarg;
			break;
		case F_PATH:
			c->staticpodpath = optarg;
			break;
		case F_URL:
			c->staticpodurl = optarg;
			break;
		case F_HEADER:
			add_header(c, optarg);
			break;
		case F_ENDPOINT:
			c->containerruntimeendpoint = optarg;
			break;
		case F_HOST:
			c->nodename = optarg;
			break;
		case F_LOGS:
			c->podlogsdir = optarg;
			break;
		case F_STATE:
			c->statedir = optarg;
			break;
		case F_RUN:
			c->rundir = optarg;
			break;
		case F_POLICY:
			f->policy_file = optarg;
			break;
		case F_AUDIT:
			c->auditlog = optarg;
			break;
		case F_USER:
			c->user = optarg;
			break;
		case F_CGROUP:
			c->cgroupdriver = optarg;
			break;
		case F_FILECHECK:
			c->has_filecheckfrequencyms = 1;
			c->filecheckfrequencyms = duration_flag(
			    "--file-check-frequency", optarg);
			break;
		case F_HTTPCHECK:
			c->has_httpcheckfrequencyms = 1;
			c->httpcheckfrequencyms = duration_flag(
			    "--http-check-frequency", optarg);
			break;
		case F_MEMDIR:
			c->memoryvolumedir = optarg;
			break;
		case 'v':
			f->verbose++;
			break;
		case F_VERSION:
			printf("staticpodd %s\n", STATICPODD_VERSION);
			exit(0);
		case 'h':
		case F_HELP:
			usage(stdout, 0);
			break;
		default:
			usage(stderr, EXIT_CONFIG);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "staticpodd: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr, EXIT_CONFIG);
	}
}
