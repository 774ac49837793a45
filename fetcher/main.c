/*
 * staticpodd-fetcher: started by staticpodd, never by hand. It is the only
 * program that links the YAML and JSON parsers and libcurl.
 */
#include <stdio.h>
#include <string.h>

#include "fetcher.h"
#include "log.h"

int
main(int argc, char **argv)
{
	log_init("staticpodd", 0);
	if (argc >= 2 && strcmp(argv[1], "validate") == 0)
		return validate_main(argc - 1, argv + 1);
	fprintf(stderr, "staticpodd-fetcher is started by staticpodd; "
	    "see staticpodd --help\n");
	return 2;
}
