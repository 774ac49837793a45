/*
 * `staticpodd status [-o table|json] [--run-dir DIR]`: the agent's status
 * file as a table. The privileged binary links no JSON parser, so this
 * runs here; json-c builds the tree (a tree is what is wanted, and the
 * file is the agent's own).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "fetcher.h"
#include "log.h"

#define STATUS_FILE_MAX	(16 * 1024 * 1024)

static const char *
get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v,
	    json_type_null))
		return "-";
	return json_object_get_string(v);
}

static int
restarts(json_object *pod)
{
	json_object	*cs, *c, *r;
	size_t		 i;
	int		 n = 0;

	if (!json_object_object_get_ex(pod, "containers", &cs))
		return 0;
	for (i = 0; i < json_object_array_length(cs); i++) {
		c = json_object_array_get_idx(cs, i);
		if (json_object_object_get_ex(c, "restarts", &r))
			n += json_object_get_int(r);
	}
	return n;
}

static int
ready_count(json_object *pod, int *total)
{
	json_object	*cs, *c, *init;
	size_t		 i;
	int		 n = 0;

	*total = 0;
	if (!json_object_object_get_ex(pod, "containers", &cs))
		return 0;
	for (i = 0; i < json_object_array_length(cs); i++) {
		c = json_object_array_get_idx(cs, i);
		if (json_object_object_get_ex(c, "init", &init) &&
		    json_object_get_boolean(init))
			continue;
		(*total)++;
		n += strcmp(get_str(c, "state"), "running") == 0;
	}
	return n;
}

static void
table(json_object *root)
{
	json_object	*pods, *pod;
	size_t		 i;
	int		 total, ready;
	char		 rd[32];

	printf("node %s, runtime %s%s\n\n", get_str(root, "node"),
	    get_str(root, "runtime"), strcmp(get_str(root, "runtimeReady"),
	    "true") == 0 ? "" : " (not ready)");
	printf("%-40s %-6s %-10s %-8s %-6s %-12s %s\n", "POD", "READY",
	    "PHASE", "RESTARTS", "SOURCE", "UID", "ORIGIN / ERROR");
	if (!json_object_object_get_ex(root, "pods", &pods))
		return;
	for (i = 0; i < json_object_array_length(pods); i++) {
		pod = json_object_array_get_idx(pods, i);
		ready = ready_count(pod, &total);
		snprintf(rd, sizeof(rd), "%d/%d", ready, total);
		printf("%-40s %-6s %-10s %-8d %-6s %-12.12s %s\n",
		    get_str(pod, "pod"), rd, get_str(pod, "phase"),
		    restarts(pod), get_str(pod, "source"), get_str(pod, "uid"),
		    strcmp(get_str(pod, "error"), "-") != 0 ?
		    get_str(pod, "error") : strcmp(get_str(pod, "reason"),
		    "-") != 0 ? get_str(pod, "reason") :
		    get_str(pod, "origin"));
	}
}

int
status_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*dir = AGENT_DEFAULT_RUN_DIR, *fmt = "table";
	json_object	*root;
	char		 path[4096], *buf;
	FILE		*fp;
	size_t		 len;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			fmt = optarg;
			break;
		case 'r':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: staticpodd status [-o table|json] "
			    "[--run-dir DIR]\n");
			return 2;
		}
	}
	if (strcmp(fmt, "table") != 0 && strcmp(fmt, "json") != 0) {
		fprintf(stderr, "staticpodd status: -o table or -o json\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/status.json", dir);
	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s (is the agent running?)", path);
		return 2;
	}
	if ((buf = malloc(STATUS_FILE_MAX + 1)) == NULL)
		fatal("status");
	len = fread(buf, 1, STATUS_FILE_MAX, fp);
	fclose(fp);
	buf[len] = '\0';
	if ((root = json_tokener_parse(buf)) == NULL) {
		log_warnx("%s: not the agent's status", path);
		free(buf);
		return 2;
	}
	if (strcmp(fmt, "json") == 0)
		printf("%s\n", json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		table(root);
	json_object_put(root);
	free(buf);
	return 0;
}
