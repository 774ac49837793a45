/*
 * Table-driven parser tests: each tests/data/parser/<case>.{yaml,json} is
 * parsed as the file /etc/kubernetes/manifests/<case>.<ext> on node
 * "node1", and its outcome must equal <case>.expect byte for byte: either
 * "ok NAMESPACE/NAME UID" or the error lines the operator would see. TAP.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define CASES_MAX	1024
#define OUT_MAX		(64 * 1024)

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	size_t	 cap = 4 * MANIFEST_MAX_BYTES;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(cap + 1)) == NULL)
		abort();
	*len = fread(buf, 1, cap, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static void
render(const char *name, const struct parse_result *res, int rc, char *out,
    size_t len)
{
	size_t	o = 0, i;
	char	line[1024];

	out[0] = '\0';
	if (rc == 0) {
		for (i = 0; i < res->npods; i++)
			o += (size_t)snprintf(out + o, len - o, "ok %s/%s %s\n",
			    res->pods[i].pod->metadata->namespace_,
			    res->pods[i].pod->metadata->name, res->pods[i].uid);
		return;
	}
	for (i = 0; i < res->diags.n && o < len; i++) {
		diag_format(&res->diags.item[i], name, line, sizeof(line));
		o += (size_t)snprintf(out + o, len - o, "%s\n", line);
	}
	if (res->diags.dropped > 0 && o < len)
		snprintf(out + o, len - o, "%zu more\n", res->diags.dropped);
}

static int
is_case(const char *n)
{
	size_t len = strlen(n);

	return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
	    (len > 5 && strcmp(n + len - 5, ".json") == 0);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_case(const char *dir, const char *name, int num)
{
	struct parse_opts	 o = { 0 };
	struct parse_result	 res;
	char			 path[4096], source[4096], stem[256], *buf, *want;
	char			 got[OUT_MAX];
	size_t			 len, wlen;
	int			 rc, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((buf = slurp(path, &len)) == NULL) {
		printf("not ok %d - %s # cannot read: %s\n", num, name,
		    strerror(errno));
		return 1;
	}
	snprintf(stem, sizeof(stem), "%s", name);
	stem[strlen(stem) - 5] = '\0';		/* drop .yaml or .json */
	snprintf(path, sizeof(path), "%s/%s.expect", dir, stem);
	if ((want = slurp(path, &wlen)) == NULL) {
		printf("not ok %d - %s # no .expect file\n", num, name);
		free(buf);
		return 1;
	}
	snprintf(source, sizeof(source), "file:/etc/kubernetes/manifests/%s",
	    stem);
	strncat(source, name + strlen(stem), sizeof(source) - strlen(source) - 1);
	o.node_name = "node1";
	o.source = source;
	o.allow_list = strncmp(name, "list_", 5) == 0;
	rc = parser_parse((const uint8_t *)buf, len, &o, &res);
	render(name, &res, rc, got, sizeof(got));
	ok = strcmp(got, want) == 0;
	printf("%s %d - %.*s\n", ok ? "ok" : "not ok", num,
	    (int)(strlen(name) - 5), name);
	if (!ok)
		printf("# expected:\n# %s# got:\n# %s", want, got);
	parse_result_free(&res);
	free(buf);
	free(want);
	return !ok;
}

int
main(int argc, char **argv)
{
	struct dirent	*de;
	DIR		*d;
	char		*names[CASES_MAX];
	size_t		 n = 0, i;
	int		 failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: test_parser_cases DIR\n");
		return 2;
	}
	if ((d = opendir(argv[1])) == NULL) {
		perror(argv[1]);
		return 2;
	}
	while ((de = readdir(d)) != NULL && n < CASES_MAX)
		if (is_case(de->d_name))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		failed += run_case(argv[1], names[i], (int)i + 1);
		free(names[i]);
	}
	return failed > 0;
}
