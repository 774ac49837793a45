/*
 * bench_yaml_scan: the baseline of the validate benchmark. Reads each file
 * and runs libyaml's event loop over it to the end, nothing else: the least
 * any validator built on libyaml pays before it looks at a single field.
 * It reads files the way staticpodd-fetcher does (whole, into memory, then
 * yaml_parser_set_input_string in UTF-8), so the two differ only in what
 * validate does with the events.
 *
 * usage: bench_yaml_scan [-r repeat] FILE...
 * Prints the files, bytes and events scanned; exits 1 at the first file
 * libyaml cannot parse, so a broken corpus is never timed.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#define SCAN_FILE_MAX	(1024 * 1024)	/* as MANIFEST_MAX_BYTES */
#define SCAN_REPEAT_MAX	1000

struct totals {
	size_t	files;
	size_t	bytes;
	size_t	events;
};

static void
usage(void)
{
	fprintf(stderr, "usage: bench_yaml_scan [-r repeat] FILE...\n");
	exit(2);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 r;
	size_t		 off = 0, size;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", path);
	if (fstat(fd, &st) == -1)
		err(1, "%s", path);
	if (!S_ISREG(st.st_mode) || st.st_size > SCAN_FILE_MAX)
		errx(1, "%s: not a regular file of at most %d bytes", path,
		    SCAN_FILE_MAX);
	size = (size_t)st.st_size;
	/* one byte more, so a file that grew since fstat is noticed */
	if ((buf = malloc(size + 1)) == NULL)
		err(1, "malloc");
	while (off < size + 1) {
		r = read(fd, buf + off, size + 1 - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			err(1, "%s", path);
		if (r == 0)
			break;
		off += (size_t)r;
	}
	if (off != size)
		errx(1, "%s: changed while being read", path);
	if (close(fd) == -1)
		err(1, "%s", path);
	*len = size;
	return buf;
}

static void
scan(const char *path, struct totals *t)
{
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	uint8_t		*buf;
	size_t		 len;
	int		 done = 0;

	buf = read_file(path, &len);
	if (!yaml_parser_initialize(&p))
		errx(1, "libyaml: cannot initialise a parser");
	yaml_parser_set_input_string(&p, buf, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev))
			errx(1, "%s:%zu:%zu: %s", path,
			    p.problem_mark.line + 1, p.problem_mark.column + 1,
			    p.problem != NULL ? p.problem : "syntax error");
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		t->events++;
	}
	yaml_parser_delete(&p);
	free(buf);
	t->files++;
	t->bytes += len;
}

int
main(int argc, char **argv)
{
	struct totals	 t = { 0, 0, 0 };
	unsigned long	 repeat = 1, r;
	char		*end;
	int		 ch, i;

	while ((ch = getopt(argc, argv, "r:")) != -1) {
		switch (ch) {
		case 'r':
			errno = 0;
			repeat = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || repeat == 0 ||
			    repeat > SCAN_REPEAT_MAX)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind == argc)
		usage();
	for (r = 0; r < repeat; r++)
		for (i = optind; i < argc; i++)
			scan(argv[i], &t);
	if (printf("%zu files, %zu bytes, %zu events\n", t.files, t.bytes,
	    t.events) < 0 || fflush(stdout) == EOF)
		err(1, "stdout");
	return 0;
}
