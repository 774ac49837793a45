/*
 * staticpodd: the user-facing command and the privileged runtime. It links
 * no YAML, JSON or HTTP code: whatever must read untrusted bytes runs in
 * staticpodd-fetcher, started with execve.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

/*
 * `staticpodd validate ...` and `staticpodd status ...` read untrusted or
 * JSON text: the fetcher does that, executed directly.
 */
static int
run_fetcher_command(int argc, char **argv)
{
	char	**args;
	int	 fd, i;

	if ((fd = proc_open_fetcher()) == -1)
		return EXIT_CONFIG;
	if ((args = calloc((size_t)argc + 2, sizeof(*args))) == NULL)
		fatal("calloc");
	args[0] = "staticpodd-fetcher";
	for (i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	fexecve(fd, args, environ);
	log_warn("cannot execute the fetcher");
	return EXIT_CONFIG;
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * Sanitizer builds only: LeakSanitizer's check at exit needs ptrace,
 * which every sandbox here forbids, so these processes do without it
 * (the unit tests, unsandboxed, keep it).
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

int
main(int argc, char **argv)
{
	log_init("staticpodd", 0);
	if (argc >= 2 && (strcmp(argv[1], "validate") == 0 ||
	    strcmp(argv[1], "status") == 0))
		return run_fetcher_command(argc - 1, argv + 1);
	return daemon_main(argc, argv);
}
