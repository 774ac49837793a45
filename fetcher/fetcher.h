/*
 * staticpodd-fetcher: the unprivileged half. Reads untrusted manifests,
 * parses them and hands canonical pods on. Private to fetcher/.
 */
#ifndef STATICPODD_FETCHER_H
#define STATICPODD_FETCHER_H

#include <stdio.h>

#include "parser.h"

enum output_format { OUT_NAME, OUT_JSON, OUT_YAML, OUT_NONE };

struct validated {
	const char		*file;
	const char		*source_kind;	/* "file" or "http" */
	const struct parsed_pod	*pp;
};

/* output.c */
int	output_pods(FILE *, enum output_format, const struct validated *,
	    size_t);
int	output_format_parse(const char *, enum output_format *);

/* validate.c */
int	validate_main(int argc, char **argv);

#endif
