/*
 * `staticpodd validate [--node-name NAME] [-o json|yaml|name|none]
 *     [--max-bytes N] [--policy FILE] PATH...`
 *
 * Decides what the agent would decide for each file: the canonical pod, or
 * every error as FILE:LINE:COLUMN: field.path: message. A directory is read
 * as the agent reads its manifest directory: only *.yaml, *.yml and *.json,
 * no dotfiles, in name order, and a pod name defined twice is refused in
 * the later file. With --policy, each valid pod is then judged by the node
 * policy as the runtime judges it (the same code, policy/), and a refusal
 * is printed as FILE: policy RULE: field reason. Exit 0 when all files
 * are valid (and admitted), 1 when any is not, 2 for usage and I/O errors
 * and a policy file that does not check.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetcher.h"
#include "log.h"
#include "names.h"
#include "policy.h"

#define VALIDATE_FILES_MAX	10000

struct vfile {
	char			*path;
	char			*source;	/* file:<absolute path> */
	uint8_t			*buf;		/* read, not yet parsed */
	size_t			 len;
	char			*refusals;	/* the policy's, one a line */
	size_t			 group;		/* files of one directory argument */
	struct parse_result	 res;
	int			 ok;
};

struct vctx {
	const char		*node;
	size_t			 max_bytes;
	enum output_format	 fmt;
	struct vfile		*files;
	size_t			 nfiles;
	size_t			 ngroups;
	int			 io_error;
	const char		*policy_file;
	int			 policy_fd;
	int			 rootfd;
	const char		*first_dir;	/* the manifest directory */
	char			 first_dir_real[PATH_MAX];
	char			 policy_real[PATH_MAX];
};

static void
usage(void)
{
	fprintf(stderr, "usage: staticpodd validate [--node-name NAME] "
	    "[-o json|yaml|name|none] [--max-bytes N] [--policy FILE] "
	    "PATH...\n");
	exit(2);
}

static int
add_file(struct vctx *v, const char *path)
{
	struct vfile *f;

	if (v->nfiles == VALIDATE_FILES_MAX) {
		log_warnx("%s: more than %d files", path, VALIDATE_FILES_MAX);
		v->io_error = 1;
		return -1;
	}
	if ((f = reallocarray(v->files, v->nfiles + 1, sizeof(*f))) == NULL)
		fatal("validate");
	v->files = f;
	f = &v->files[v->nfiles++];
	memset(f, 0, sizeof(*f));
	if ((f->path = strdup(path)) == NULL)
		fatal("validate");
	f->group = v->ngroups;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add_dir(struct vctx *v, const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		**names = NULL, path[PATH_MAX];
	size_t		 n = 0, i;

	if ((d = opendir(dir)) == NULL) {
		log_warn("%s", dir);
		v->io_error = 1;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (manifest_name_refusal(de->d_name) != NULL)
			continue;
		if (n == VALIDATE_FILES_MAX)
			break;
		if ((names = reallocarray(names, n + 1, sizeof(*names))) == NULL ||
		    (names[n++] = strdup(de->d_name)) == NULL)
			fatal("validate");
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		add_file(v, path);
		free(names[i]);
	}
	free(names);
}

/* Reads at most max + 1 bytes, so an oversized file is seen as such. */
static uint8_t *
read_file(const char *path, size_t max, size_t *len)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 r;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (errno == 0 || !S_ISREG(st.st_mode))
			errno = EINVAL;
		close(fd);
		return NULL;
	}
	if ((buf = malloc(max + 1)) == NULL)
		fatal("validate");
	while (off < max + 1) {
		r = read(fd, buf + off, max + 1 - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	*len = off;
	return buf;
}

static void
print_diags(const struct vfile *f)
{
	char	line[DIAG_PATH_MAX + DIAG_MSG_MAX + PATH_MAX + 64];
	size_t	i;

	for (i = 0; i < f->res.diags.n; i++) {
		diag_format(&f->res.diags.item[i], f->path, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	if (f->res.diags.dropped > 0)
		fprintf(stderr, "%s: %zu more errors\n", f->path,
		    f->res.diags.dropped);
	if (f->refusals != NULL)
		fputs(f->refusals, stderr);
}

/* Everything a file needs is read before the sandbox; parsed after it. */
static void
load_one(struct vctx *v, struct vfile *f)
{
	char	abs[PATH_MAX];

	if ((f->buf = read_file(f->path, v->max_bytes, &f->len)) == NULL) {
		fprintf(stderr, "%s: %s\n", f->path, errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		v->io_error = 1;
		return;
	}
	if (realpath(f->path, abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", f->path);
	if (asprintf(&f->source, "file:%s", abs) == -1)
		fatal("validate");
}

static void
parse_one(struct vctx *v, struct vfile *f)
{
	struct parse_opts o;

	if (f->buf == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.node_name = v->node;
	o.source = f->source;
	o.max_bytes = v->max_bytes;
	f->ok = parser_parse(f->buf, f->len, &o, &f->res) == 0;
	free(f->buf);
	f->buf = NULL;
}

/*
 * Within one directory, a later file that defines a pod name already taken
 * is refused, as the agent refuses it; files named one by one are judged
 * each on its own.
 */
static void
refuse_duplicates(struct vctx *v)
{
	const Spd__ObjectMeta	*a, *b;
	size_t			 i, j;

	for (i = 0; i < v->nfiles; i++) {
		if (!v->files[i].ok)
			continue;
		a = v->files[i].res.pods[0].pod->metadata;
		for (j = 0; j < i; j++) {
			if (!v->files[j].ok || v->files[j].group !=
			    v->files[i].group)
				continue;
			b = v->files[j].res.pods[0].pod->metadata;
			if (strcmp(a->name, b->name) != 0 ||
			    strcmp(a->namespace_, b->namespace_) != 0)
				continue;
			diag_add(&v->files[i].res.diags, 0, 0, "metadata.name",
			    "pod %s/%s is already defined by %s (the first "
			    "file wins)", a->namespace_, a->name,
			    v->files[j].path);
			v->files[i].ok = 0;
			break;
		}
	}
}

/* Every violation, whole: the runtime's words, not cut to a diag's size. */
static void
refused(struct vfile *f, const struct policy_verdict *verdict)
{
	FILE	*fp;
	size_t	 len, k;

	if ((fp = open_memstream(&f->refusals, &len)) == NULL)
		fatal("validate");
	for (k = 0; k < verdict->n; k++)
		fprintf(fp, "%s: policy %s: %s\n", f->path, verdict->v[k].rule,
		    verdict->v[k].reason);
	if (verdict->dropped > 0)
		fprintf(fp, "%s: %zu more refusals\n", f->path,
		    verdict->dropped);
	if (fclose(fp) != 0)
		fatal("validate");
	f->ok = 0;
}

/* The policy file and the root for its path checks, opened before the sandbox. */
static int
open_policy(struct vctx *v)
{
	if ((v->policy_fd = open(v->policy_file, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s", v->policy_file);
		return -1;
	}
	if ((v->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open /");
	if (v->first_dir != NULL && realpath(v->first_dir,
	    v->first_dir_real) == NULL)
		v->first_dir_real[0] = '\0';
	/* an absolute name: nothing after the sandbox needs the cwd */
	if (realpath(v->policy_file, v->policy_real) != NULL)
		v->policy_file = v->policy_real;
	return 0;
}

/*
 * The node policy on every valid pod, as the runtime applies it. The
 * agent's own paths are not known here (no configuration is read): the
 * first directory named stands for the manifest directory.
 */
static int
judge(struct vctx *v)
{
	const Spp__NodePolicy	*msg;
	struct decoded_doc	 doc;
	struct policy		 pol;
	struct policy_host	 h;
	struct policy_verdict	 verdict;
	struct diags		 d;
	char			 dir[PATH_MAX], line[DIAG_PATH_MAX + DIAG_MSG_MAX];
	size_t			 i, j;

	if ((msg = policy_file_read(v->policy_fd, v->policy_file, &doc)) ==
	    NULL)
		return -1;
	memset(&h, 0, sizeof(h));
	memset(&d, 0, sizeof(d));
	if (v->first_dir_real[0] != '\0') {
		snprintf(dir, sizeof(dir), "%s", v->first_dir_real);
		h.manifest_dir = dir;
	}
	h.policy_file = v->policy_file;
	h.rootfd = v->rootfd;
	if (policy_compile(msg, &h, &pol, &d) == -1) {
		for (i = 0; i < d.n; i++) {
			diag_format(&d.item[i], v->policy_file, line,
			    sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		decoded_doc_free(&doc);
		return -1;
	}
	for (i = 0; i < v->nfiles; i++)
		for (j = 0; v->files[i].ok && j < v->files[i].res.npods; j++)
			if (policy_admit(&pol, v->files[i].res.pods[j].pod,
			    &verdict) == -1)
				refused(&v->files[i], &verdict);
	policy_free(&pol);
	decoded_doc_free(&doc);
	return 0;
}

static const char *
default_node_name(void)
{
	static char	 host[HOST_NAME_MAX + 1];
	char		*p;

	if (gethostname(host, sizeof(host)) == -1)
		fatal("gethostname");
	host[sizeof(host) - 1] = '\0';
	for (p = host; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return host;
}

static void
parse_args(struct vctx *v, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "node-name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "max-bytes", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char	*end;
	int	 ch;

	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			v->node = optarg;
			break;
		case 'o':
			if (output_format_parse(optarg, &v->fmt) == -1)
				usage();
			break;
		case 'p':
			v->policy_file = optarg;
			break;
		case 'm':
			errno = 0;
			v->max_bytes = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v->max_bytes == 0 ||
			    v->max_bytes > 64 * MANIFEST_MAX_BYTES)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind == argc)
		usage();
}

int
validate_main(int argc, char **argv)
{
	struct vctx	 v;
	struct validated *out;
	struct stat	 st;
	size_t		 i, nout = 0, bad = 0;
	int		 k;

	memset(&v, 0, sizeof(v));
	v.fmt = OUT_NAME;
	v.max_bytes = MANIFEST_MAX_BYTES;
	parse_args(&v, argc, argv);
	if (v.node == NULL)
		v.node = default_node_name();
	if (!is_dns1123_subdomain(v.node)) {
		log_warnx("node name \"%s\" is not a DNS-1123 subdomain; "
		    "set --node-name", v.node);
		return 2;
	}
	for (k = optind; k < argc; k++) {
		if (stat(argv[k], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (v.first_dir == NULL)
				v.first_dir = argv[k];
			add_dir(&v, argv[k]);
		}
		else
			add_file(&v, argv[k]);
		v.ngroups++;
	}
	for (i = 0; i < v.nfiles; i++)
		load_one(&v, &v.files[i]);
	if (v.policy_file != NULL && open_policy(&v) == -1)
		return 2;
	/* from here on, untrusted bytes: the directory fetcher's sandbox */
	fetcher_lockdown(NULL, 0);
	for (i = 0; i < v.nfiles; i++)
		parse_one(&v, &v.files[i]);
	refuse_duplicates(&v);
	if (v.policy_file != NULL && judge(&v) == -1)
		return 2;
	if ((out = calloc(v.nfiles + 1, sizeof(*out))) == NULL)
		fatal("validate");
	for (i = 0; i < v.nfiles; i++) {
		if (!v.files[i].ok) {
			bad++;
			print_diags(&v.files[i]);
			continue;
		}
		out[nout].file = v.files[i].path;
		out[nout].source_kind = "file";
		out[nout++].pp = &v.files[i].res.pods[0];
	}
	if (output_pods(stdout, v.fmt, out, nout) == -1)
		v.io_error = 1;
	fflush(stdout);
	for (i = 0; i < v.nfiles; i++) {
		parse_result_free(&v.files[i].res);
		free(v.files[i].source);
		free(v.files[i].path);
		free(v.files[i].refusals);
	}
	free(v.files);
	free(out);
	if (v.io_error)
		return 2;
	return bad > 0 ? 1 : 0;
}
