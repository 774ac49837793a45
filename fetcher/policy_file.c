/*
 * Reads the node policy file (docs/policy.md) into a NodePolicy message:
 * from fd 5 as root opened it for the first fetcher, or by name for
 * `staticpodd validate --policy`. The file is trusted, but it is parsed
 * here, where a parser bug cannot become root; decoding is strict (an
 * unknown key is an error: a misspelt rule must not silently fall back to
 * the preset) and the runtime checks the result again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetcher.h"
#include "log.h"
#include "policy.h"

#define POLICY_FILE_MAX	(256 * 1024)

static void
print_diags(const char *file, const struct diags *d)
{
	char	line[DIAG_PATH_MAX + DIAG_MSG_MAX + 256];
	size_t	i;

	for (i = 0; i < d->n; i++) {
		diag_format(&d->item[i], file, line, sizeof(line));
		log_diag("%s", line);
	}
	if (d->dropped > 0)
		log_diag("%s: %zu more errors", file, d->dropped);
}

/*
 * The message lives in doc's arena. Prints every error as
 * FILE:LINE:COLUMN: field: message and returns NULL.
 */
const Spp__NodePolicy *
policy_file_read(int fd, const char *file, struct decoded_doc *doc)
{
	uint8_t	*buf;
	size_t	 off = 0;
	ssize_t	 n;

	memset(doc, 0, sizeof(*doc));
	if ((buf = malloc(POLICY_FILE_MAX + 1)) == NULL)
		fatal("policy");
	for (;;) {
		n = read(fd, buf + off, POLICY_FILE_MAX + 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
		if (off > POLICY_FILE_MAX)
			break;
	}
	if (n == -1) {
		log_warn("%s", file);
		free(buf);
		return NULL;
	}
	if (off > POLICY_FILE_MAX) {
		log_warnx("%s: larger than %d bytes", file, POLICY_FILE_MAX);
		free(buf);
		return NULL;
	}
	if (parser_decode_document(buf, off, &spp__node_policy__descriptor,
	    false, doc) == -1) {
		free(buf);
		print_diags(file, &doc->diags);
		return NULL;
	}
	free(buf);
	if (policy_check((const Spp__NodePolicy *)doc->msg, &doc->diags) ==
	    -1) {
		decoded_doc_place(doc, &doc->diags);
		print_diags(file, &doc->diags);
		return NULL;
	}
	return (const Spp__NodePolicy *)doc->msg;
}

const Spp__NodePolicy *
policy_file_open(const char *path, struct decoded_doc *doc)
{
	const Spp__NodePolicy	*p;
	int			 fd;

	memset(doc, 0, sizeof(*doc));
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return NULL;
	}
	p = policy_file_read(fd, path, doc);
	close(fd);
	return p;
}
