/*
 * staticpodd: the user-facing command and the privileged runtime. It links
 * no YAML, JSON or HTTP code: whatever must read untrusted bytes runs in
 * staticpodd-fetcher, started here with execve.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#ifndef STATICPODD_VERSION
#define STATICPODD_VERSION "0"
#endif
#ifndef FETCHER_PATH
#define FETCHER_PATH "/usr/libexec/staticpodd/staticpodd-fetcher"
#endif
#define FETCHER_NAME "staticpodd-fetcher"

static void
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: staticpodd validate [--node-name NAME] "
	    "[-o json|yaml|name|none] PATH...\n"
	    "       staticpodd --version\n"
	    "\n"
	    "  validate  decide, as the agent would, whether each manifest is a\n"
	    "            valid static pod; print the canonical pod or the errors\n");
	exit(status);
}

/*
 * The fetcher beside this binary (a build tree) or the installed one. Both
 * are root's to write, as this binary is.
 */
static void
fetcher_path(char *buf, size_t len)
{
	char	self[PATH_MAX];
	ssize_t	n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(buf, len, "%s/%s", dirname(self), FETCHER_NAME);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, len, "%s", FETCHER_PATH);
}

static int
run_validate(int argc, char **argv)
{
	char	 path[PATH_MAX];
	char	**args;
	int	 i;

	fetcher_path(path, sizeof(path));
	if ((args = calloc((size_t)argc + 2, sizeof(*args))) == NULL)
		fatal("calloc");
	args[0] = FETCHER_NAME;
	for (i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	execv(path, args);
	log_warn("cannot execute %s", path);
	return 2;
}

int
main(int argc, char **argv)
{
	log_init("staticpodd", 0);
	if (argc < 2)
		usage(stderr, 2);
	if (strcmp(argv[1], "--version") == 0) {
		printf("staticpodd %s\n", STATICPODD_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		usage(stdout, 0);
	if (strcmp(argv[1], "validate") == 0)
		return run_validate(argc - 1, argv + 1);
	fprintf(stderr, "staticpodd: unknown command \"%s\"\n", argv[1]);
	usage(stderr, 2);
}
