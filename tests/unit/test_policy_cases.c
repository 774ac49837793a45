/*
 * Table-driven admission tests. Each tests/data/policy/<case>.expect is a
 * case: <case>.policy is the node policy file (the default preset when
 * there is none) and <case>.yaml the manifest, parsed as the file
 * /etc/kubernetes/manifests/<case>.yaml on node "node1". The outcome must
 * equal <case>.expect byte for byte: "admitted", or one line per
 * violation, "policy RULE: REASON", or the policy file's own errors.
 *
 * hostPath checks walk a host tree built here (the fake root below), so
 * symbolic links and missing paths are the same on every machine; the
 * agent's own paths are the ones in host_paths. After the table, the
 * functions the reconciler calls (annotations, the image's user) and the
 * image normalization are tested directly. TAP.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parser.h"
#include "policy.h"
#include "../tap.h"

#define CASES_MAX	1024
#define OUT_MAX		(16 * 1024)
#define FILE_MAX	(1024 * 1024)


static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(FILE_MAX + 1)) == NULL)
		abort();
	*len = fread(buf, 1, FILE_MAX, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

/* The host as the hostPath cases see it. */
static const char *const tree_dirs[] = {
	"etc", "etc/kubernetes", "etc/kubernetes/manifests",
	"etc/kubernetes/pki", "etc/kubernetes/pki/etcd",
	"etc/kubernetes/pki-evil", "etc/ssl", "etc/ssl/certs", "etc/staticpodd",
	"var", "var/lib", "var/lib/etcd", "var/lib/staticpodd", "var/log",
	"run", "run/crio", "run/staticpodd", "opt", "opt/data", "dev", "proc",
	"sys",
};
static const char *const tree_files[] = {
	"etc/kubernetes/scheduler.conf", "etc/kubernetes/admin.conf",
	"run/crio/crio.sock", "dev/kmsg",
};
static const struct {
	const char	*path;
	const char	*target;
} tree_links[] = {
	{ "var/run", "../run" },
	{ "etc/kubernetes/pki/evil", "/" },
	{ "opt/link", "/etc" },
	{ "var/lib/etcd/link", "/" },
};

static int
build_tree(char *root, size_t len)
{
	char	path[4096];
	size_t	i;
	int	fd;

	snprintf(root, len, "/tmp/spd-policy-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	for (i = 0; i < sizeof(tree_dirs) / sizeof(tree_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, tree_dirs[i]);
		if (mkdir(path, 0755) == -1)
			return -1;
	}
	for (i = 0; i < sizeof(tree_files) / sizeof(tree_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, tree_files[i]);
		if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) == -1)
			return -1;
		close(fd);
	}
	for (i = 0; i < sizeof(tree_links) / sizeof(tree_links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, tree_links[i].path);
		if (symlink(tree_links[i].target, path) == -1)
			return -1;
	}
	return 0;
}

static void
host_paths(struct policy_host *h, int rootfd)
{
	memset(h, 0, sizeof(*h));
	h->manifest_dir = "/etc/kubernetes/manifests";
	h->cri_socket = "/run/crio/crio.sock";
	h->state_dir = "/var/lib/staticpodd";
	h->run_dir = "/run/staticpodd";
	h->audit_log = "/var/log/staticpodd/audit.log";
	h->config_file = "/etc/staticpodd/config.yaml";
	h->policy_file = "/etc/staticpodd/policy.yaml";
	h->rootfd = rootfd;
}

static size_t
add_diags(char *out, size_t o, size_t len, const char *file,
    const struct diags *d)
{
	char	line[1024];
	size_t	i;

	for (i = 0; i < d->n && o < len; i++) {
		diag_format(&d->item[i], file, line, sizeof(line));
		o += (size_t)snprintf(out + o, len - o, "%s\n", line);
	}
	return o;
}

/* Compiles <case>.policy, or the default; its errors go to out. */
static int
load_policy(const char *dir, const char *stem, int rootfd, struct policy *pol,
    char *out, size_t len)
{
	struct decoded_doc	 doc;
	struct policy_host	 h;
	struct diags		 d;
	char			 path[4096], name[512], *buf;
	size_t			 blen, o;
	int			 rc;

	host_paths(&h, rootfd);
	memset(&d, 0, sizeof(d));
	snprintf(path, sizeof(path), "%s/%s.policy", dir, stem);
	snprintf(name, sizeof(name), "%s.policy", stem);
	if ((buf = slurp(path, &blen)) == NULL)
		return policy_compile(NULL, &h, pol, &d);
	if (parser_decode_document((const uint8_t *)buf, blen,
	    &spp__node_policy__descriptor, false, &doc) == -1) {
		add_diags(out, 0, len, name, &doc.diags);
		decoded_doc_free(&doc);
		free(buf);
		return -1;
	}
	free(buf);
	rc = policy_compile((const Spp__NodePolicy *)doc.msg, &h, pol, &d);
	if (rc == -1) {
		decoded_doc_place(&doc, &d);
		o = add_diags(out, 0, len, name, &d);
		(void)o;
	}
	decoded_doc_free(&doc);
	return rc;
}

static void
judge(const char *dir, const char *stem, const struct policy *pol, char *out,
    size_t len)
{
	struct parse_opts	 o = { 0 };
	struct parse_result	 res;
	struct policy_verdict	 v;
	char			 path[4096], source[4096], name[512], *buf;
	size_t			 blen, i, off = 0;

	snprintf(path, sizeof(path), "%s/%s.yaml", dir, stem);
	snprintf(name, sizeof(name), "%s.yaml", stem);
	if ((buf = slurp(path, &blen)) == NULL) {
		snprintf(out, len, "no manifest\n");
		return;
	}
	snprintf(source, sizeof(source), "file:/etc/kubernetes/manifests/%s",
	    name);
	o.node_name = "node1";
	o.source = source;
	if (parser_parse((const uint8_t *)buf, blen, &o, &res) == -1) {
		add_diags(out, 0, len, name, &res.diags);
		goto out;
	}
	if (policy_admit(pol, res.pods[0].pod, &v) == 0) {
		snprintf(out, len, "admitted\n");
		goto out;
	}
	for (i = 0; i < v.n && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "policy %s: %s\n",
		    v.v[i].rule, v.v[i].reason);
	if (v.dropped > 0 && off < len)
		snprintf(out + off, len - off, "%zu more\n", v.dropped);
out:
	parse_result_free(&res);
	free(buf);
}

static void
run_case(const char *dir, const char *stem, int rootfd)
{
	struct policy	 pol;
	char		 path[4096], got[OUT_MAX], *want;
	size_t		 wlen;

	got[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s.expect", dir, stem);
	if ((want = slurp(path, &wlen)) == NULL) {
		tap(0, stem, "cannot read %s: %s", path, strerror(errno));
		return;
	}
	if (load_policy(dir, stem, rootfd, &pol, got, sizeof(got)) == 0) {
		judge(dir, stem, &pol, got, sizeof(got));
		policy_free(&pol);
	}
	tap(strcmp(got, want) == 0, stem, "expected:\n# %s# got:\n# %s", want,
	    got);
	free(want);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_table(const char *dir, int rootfd)
{
	struct dirent	*de;
	DIR		*d;
	char		*names[CASES_MAX];
	size_t		 n = 0, i, len;

	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL && n < CASES_MAX) {
		len = strlen(de->d_name);
		if (len > 7 && strcmp(de->d_name + len - 7, ".expect") == 0 &&
		    (names[n] = strndup(de->d_name, len - 7)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	for (i = 0; i < n; i++) {
		run_case(dir, names[i], rootfd);
		free(names[i]);
	}
	return 0;
}

static void
test_normalize(void)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "nginx", "docker.io/library/nginx" },
		{ "nginx:1.27", "docker.io/library/nginx:1.27" },
		{ "nginx@sha256:0123", "docker.io/library/nginx@sha256:0123" },
		{ "user/app:v1", "docker.io/user/app:v1" },
		{ "docker.io/nginx", "docker.io/library/nginx" },
		{ "index.docker.io/user/app", "docker.io/user/app" },
		{ "localhost/busybox:1.36", "localhost/busybox:1.36" },
		{ "localhost:5000/app", "localhost:5000/app" },
		{ "registry.k8s.io/etcd:3.5.15-0", "registry.k8s.io/etcd:3.5.15-0" },
		{ "quay.io/coreos/etcd", "quay.io/coreos/etcd" },
	};
	char	out[512];
	size_t	i;
	int	ok = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (policy_image_normalize(cases[i].in, out, sizeof(out)) == -1 ||
		    strcmp(out, cases[i].out) != 0) {
			ok = 0;
			printf("# %s -> %s, expected %s\n", cases[i].in, out,
			    cases[i].out);
		}
	tap(ok, "images_are_normalized_as_registries_resolve_them", "%s", "see the lines above");
}

/* A policy from YAML text, default host paths, no file checks. */
static int
policy_from(const char *yaml, struct policy *pol)
{
	struct decoded_doc	doc;
	struct policy_host	h;
	struct diags		d;
	int			rc;

	host_paths(&h, -1);
	memset(&d, 0, sizeof(d));
	if (yaml == NULL)
		return policy_compile(NULL, &h, pol, &d);
	if (parser_decode_document((const uint8_t *)yaml, strlen(yaml),
	    &spp__node_policy__descriptor, false, &doc) == -1)
		return -1;
	rc = policy_compile((const Spp__NodePolicy *)doc.msg, &h, pol, &d);
	decoded_doc_free(&doc);
	return rc;
}

static void
test_annotations(void)
{
	struct policy	pol;
	int		ok;

	if (policy_from(NULL, &pol) == -1) {
		tap(0, "annotations_default_allowlist", "no default policy");
		return;
	}
	ok = policy_annotation_allowed(&pol,
	    "kubeadm.kubernetes.io/etcd.advertise-client-urls") &&
	    policy_annotation_allowed(&pol,
	    "kubectl.kubernetes.io/default-container") &&
	    !policy_annotation_allowed(&pol, "org.systemd.property.Foo") &&
	    !policy_annotation_allowed(&pol, "io.containerd.runc.v2.x") &&
	    !policy_annotation_allowed(&pol, "example.com/anything");
	tap(ok, "annotations_default_passes_only_kubeadm_and_kubectl_keys", "%s", "see the lines above");
	policy_free(&pol);
	if (policy_from("apiVersion: staticpodd.io/v1\nkind: NodePolicy\n"
	    "annotations:\n  allowed: [\"example.com/*\", a.b/c]\n", &pol) ==
	    -1) {
		tap(0, "annotations_listed_prefixes_pass", "policy");
		return;
	}
	ok = policy_annotation_allowed(&pol, "example.com/x") &&
	    policy_annotation_allowed(&pol, "a.b/c") &&
	    !policy_annotation_allowed(&pol, "a.b/cd") &&
	    !policy_annotation_allowed(&pol, "kubeadm.kubernetes.io/x") &&
	    !policy_annotation_allowed(&pol, "io.staticpodd.sha");
	tap(ok, "annotations_listed_keys_and_prefixes_replace_the_preset", "%s", "see the lines above");
	policy_free(&pol);
	if (policy_from("apiVersion: staticpodd.io/v1\nkind: NodePolicy\n"
	    "annotations: {allowed: [\"*\"]}\n", &pol) == -1) {
		tap(0, "annotations_star", "policy");
		return;
	}
	tap(policy_annotation_allowed(&pol, "org.systemd.property.X") &&
	    !policy_annotation_allowed(&pol, "io.staticpodd.manifest-sha256"),
	    "annotations_star_passes_all_but_the_agent_s_own", "%s",
	    "an allowed or a refused key");
	policy_free(&pol);
}

/* A pod with one container "c", and the image-user verdict for it. */
static const char *
image_user_case(const char *policy, const char *sc, bool has_uid,
    int64_t uid, const char *username, char *out, size_t len)
{
	struct parse_opts	 o = { 0 };
	struct parse_result	 res;
	struct policy		 pol;
	struct policy_verdict	 v;
	struct policy_image_user u = { has_uid, uid, username };
	char			 yaml[2048];

	snprintf(yaml, sizeof(yaml), "apiVersion: v1\nkind: Pod\nmetadata:\n"
	    "  name: p\nspec:\n  containers:\n  - name: c\n    image: app:1\n"
	    "%s", sc);
	o.node_name = "node1";
	o.source = "file:/etc/kubernetes/manifests/p.yaml";
	if (policy_from(policy, &pol) == -1)
		return "policy does not compile";
	if (parser_parse((const uint8_t *)yaml, strlen(yaml), &o, &res) == -1) {
		policy_free(&pol);
		parse_result_free(&res);
		return "manifest does not parse";
	}
	if (!policy_needs_image_user(&pol, res.pods[0].pod, false, 0))
		snprintf(out, len, "not needed");
	else if (policy_admit_image_user(&pol, res.pods[0].pod, false, 0, &u,
	    &v) == 0)
		snprintf(out, len, "admitted");
	else
		snprintf(out, len, "policy %s: %s", v.v[0].rule, v.v[0].reason);
	policy_free(&pol);
	parse_result_free(&res);
	return out;
}

static void
test_image_user(void)
{
	static const char restricted[] = "apiVersion: staticpodd.io/v1\n"
	    "kind: NodePolicy\npreset: restricted\n";
	static const char noroot[] = "apiVersion: staticpodd.io/v1\n"
	    "kind: NodePolicy\nallowRunAsRoot: false\n";
	static const struct {
		const char	*name;
		const char	*policy;
		const char	*sc;
		bool		 has_uid;
		int64_t		 uid;
		const char	*username;
		const char	*want;
	} cases[] = {
		{ "image_user_not_needed_by_default", NULL, "", false, 0, "",
		    "not needed" },
		{ "image_user_not_needed_with_run_as_user", restricted,
		    "    securityContext: {runAsUser: 1000}\n", false, 0, "",
		    "not needed" },
		{ "image_user_root_refused_when_non_root_required", restricted,
		    "", true, 0, NULL,
		    "policy runAsNonRoot: spec.containers[0]: image \"app:1\" "
		    "runs as root (uid 0), which runAsNonRoot forbids; set "
		    "runAsUser" },
		{ "image_user_numeric_uid_admitted", restricted, "", true, 1000,
		    NULL, "admitted" },
		{ "image_user_numeric_name_admitted", restricted, "", false, 0,
		    "65532:65532", "admitted" },
		{ "image_user_no_user_is_root", restricted, "", false, 0, "",
		    "policy runAsNonRoot: spec.containers[0]: image \"app:1\" "
		    "runs as root (uid 0), which runAsNonRoot forbids; set "
		    "runAsUser" },
		{ "image_user_name_cannot_be_checked", restricted, "", false, 0,
		    "nginx",
		    "policy runAsNonRoot: spec.containers[0]: image \"app:1\" "
		    "runs as user \"nginx\", which cannot be checked against "
		    "runAsNonRoot; set a numeric runAsUser" },
		{ "image_user_pod_own_run_as_non_root_is_checked", NULL,
		    "    securityContext: {runAsNonRoot: true}\n", true, 0, NULL,
		    "policy runAsNonRoot: spec.containers[0]: image \"app:1\" "
		    "runs as root (uid 0), which runAsNonRoot forbids; set "
		    "runAsUser" },
		{ "image_user_root_ban_refuses_an_image_running_as_root", noroot,
		    "", true, 0, NULL,
		    "policy runAsUser: spec.containers[0]: image \"app:1\" runs "
		    "as root (uid 0), which the node policy forbids; set "
		    "runAsUser" },
		{ "image_user_root_ban_admits_a_non_root_image", noroot, "", true,
		    1001, NULL, "admitted" },
	};
	char	out[1024];
	const char *got;
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = image_user_case(cases[i].policy, cases[i].sc,
		    cases[i].has_uid, cases[i].uid, cases[i].username, out,
		    sizeof(out));
		tap(strcmp(got, cases[i].want) == 0, cases[i].name,
		    "expected \"%s\", got \"%s\"", cases[i].want, got);
	}
}

int
main(int argc, char **argv)
{
	char	root[64], cmd[128];
	int	rootfd;

	if (argc != 2) {
		fprintf(stderr, "usage: test_policy_cases DIR\n");
		return 2;
	}
	if (build_tree(root, sizeof(root)) == -1 ||
	    (rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		perror("fake root");
		return 2;
	}
	if (run_table(argv[1], rootfd) == -1)
		return 2;
	test_normalize();
	test_annotations();
	test_image_user();
	printf("1..%d\n", tap_n);
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		tap_failed++;
	return tap_failed > 0;
}
