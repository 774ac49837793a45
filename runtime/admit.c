/*
 * The node policy in the runtime: compiled from what CONFIG carried (and
 * checked again here: the first fetcher parsed it), applied where a pod
 * becomes desired, and every decision written to the audit log. A pod
 * the policy refuses keeps its desired_pod, marked policy_refused with
 * the rule and reason, so the reconciler never starts it and stops a
 * running pod with its UID (unless the policy is a dry run), and status
 * shows why.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "audit.h"
#include "log.h"
#include "policy.h"

static const char *const source_kinds[CHAN_MAX] = { "file", "http" };
static const char *const source_names[CHAN_MAX] = { "directory", "URL" };

/* staticPodPath may name the directory or one file in it. */
static void
manifest_dir_of(const char *path, char *out, size_t len)
{
	struct stat	 st;
	const char	*slash;

	if (path == NULL) {
		out[0] = '\0';
		return;
	}
	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) &&
	    (slash = strrchr(path, '/')) != NULL) {
		snprintf(out, len, "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
		return;
	}
	snprintf(out, len, "%s", path);
}

static int
compile(struct agent *a, const Spp__NodePolicy *msg, const char *policy_file,
    const char *config_file)
{
	struct policy_host	 h;
	struct diags		 d;
	char			 dir[PATH_MAX], line[1024];
	const char		*ep = a->cfg.containerruntimeendpoint;
	size_t			 i;

	memset(&h, 0, sizeof(h));
	memset(&d, 0, sizeof(d));
	manifest_dir_of(a->cfg.staticpodpath, dir, sizeof(dir));
	h.manifest_dir = dir[0] != '\0' ? dir : NULL;
	h.cri_socket = ep != NULL && strncmp(ep, "unix://", 7) == 0 ? ep + 7 :
	    NULL;
	h.state_dir = a->cfg.statedir;
	h.run_dir = a->cfg.rundir;
	h.audit_log = a->cfg.auditlog;
	h.config_file = config_file;
	h.policy_file = policy_file;
	if ((h.rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open /");
	if ((a->policy = calloc(1, sizeof(*a->policy))) == NULL)
		fatal("policy");
	if (policy_compile(msg, &h, a->policy, &d) == 0)
		return 0;
	for (i = 0; i < d.n; i++) {
		diag_format(&d.item[i], "policy", line, sizeof(line));
		log_warnx("%s", line);
	}
	return -1;
}

/*
 * Right after CONFIG, before any pod (the saved views included) is
 * desired: the policy, then the audit log, both as root before the
 * sandbox. --policy decides whether CONFIG must carry a policy; a first
 * fetcher that adds or drops one has broken the protocol.
 */
void
admit_setup(struct agent *a, const Spw__Config *config,
    const char *policy_file, const char *config_file)
{
	const Spp__NodePolicy *msg = config != NULL ? config->policy : NULL;

	if ((policy_file != NULL) != (msg != NULL)) {
		log_warnx("first fetcher: protocol violation: %s",
		    msg == NULL ? "no policy in CONFIG, though --policy was "
		    "given" : "a policy in CONFIG, though no --policy was "
		    "given");
		exit(EXIT_LOST_CHILD);
	}
	if (compile(a, msg, policy_file, config_file) == -1)
		exit(EXIT_CONFIG);
	a->policy_dry_run = a->policy->dry_run;
	log_info("node policy: preset %s%s%s", a->policy->preset,
	    msg != NULL ? ", with the overrides in " : " (no --policy)",
	    msg != NULL ? policy_file : "");
	if (a->policy_dry_run)
		log_info("node policy: dry run: running pods it refuses are "
		    "reported, not stopped");
	if (a->audit == NULL && (a->audit = audit_open(a->cfg.auditlog)) ==
	    NULL)
		exit(EXIT_CONFIG);
}

static void
record(struct agent *a, enum audit_decision dec, enum chan_kind k,
    const char *origin, const uint8_t *sha256, bool own, const char *pod,
    const char *uid, const char *rule, const char *reason)
{
	struct audit_rec r;

	memset(&r, 0, sizeof(r));
	r.decision = dec;
	r.source = source_kinds[k];
	r.origin = origin;
	r.sha256 = sha256;
	r.sha256_reported = sha256 != NULL && !own;
	r.pod = pod;
	r.uid = uid;
	r.rule = rule;
	r.reason = reason;
	audit_write(a->audit, &r);
}

/* A runtime built by hand (tests, tools) judges by the default preset. */
static void
ensure_policy(struct agent *a)
{
	if (a->policy == NULL && compile(a, NULL, NULL, NULL) == -1)
		fatalx("the default policy does not compile");
}

/*
 * Judges a pod that has just become desired (new, or a new version of
 * its key) and records the decision on p and in the audit log.
 */
void
admit_pod(struct agent *a, struct desired_pod *p, const Spd__Pod *pod)
{
	struct policy_verdict	v;
	char			reason[POLICY_REASON_MAX + 32];
	size_t			more;

	ensure_policy(a);
	free(p->policy_rule);
	free(p->policy_reason);
	p->policy_rule = p->policy_reason = NULL;
	p->policy_refused = policy_admit(a->policy, pod, &v) == -1;
	if (!p->policy_refused) {
		record(a, AUDIT_ADMITTED, p->source, p->origin, p->sha256,
		    p->sha256_own, p->full_name, p->uid, NULL, NULL);
		return;
	}
	more = v.n + v.dropped - 1;
	if (more > 0)
		snprintf(reason, sizeof(reason), "%s (and %zu more)",
		    v.v[0].reason, more);
	else
		snprintf(reason, sizeof(reason), "%s", v.v[0].reason);
	if ((p->policy_rule = strdup(v.v[0].rule)) == NULL ||
	    (p->policy_reason = strdup(reason)) == NULL)
		fatal("admit");
	log_warnx("pod %s (uid %s) from %s %s is refused: policy %s: %s%s",
	    p->full_name, p->uid, source_names[p->source], p->key,
	    p->policy_rule, reason, a->policy_dry_run ? " (dry run: a "
	    "running copy is left running)" : "");
	record(a, AUDIT_REFUSED, p->source, p->origin, p->sha256,
	    p->sha256_own, p->full_name, p->uid, p->policy_rule, reason);
}

/*
 * Where the reconciler learns an image's user (ImageStatus) for a
 * container whose runAsNonRoot or root ban depends on it: -1 when the
 * pod is refused now (recorded and audited as at admission).
 */
int
admit_image_user(struct agent *a, struct desired_pod *p, const Spd__Pod *pod,
    bool init, size_t index, const struct policy_image_user *u)
{
	struct policy_verdict v;

	ensure_policy(a);
	if (!policy_needs_image_user(a->policy, pod, init, index) ||
	    policy_admit_image_user(a->policy, pod, init, index, u, &v) == 0)
		return 0;
	free(p->policy_rule);
	free(p->policy_reason);
	p->policy_refused = true;
	if ((p->policy_rule = strdup(v.v[0].rule)) == NULL ||
	    (p->policy_reason = strdup(v.v[0].reason)) == NULL)
		fatal("admit");
	log_warnx("pod %s (uid %s) is refused: policy %s: %s", p->full_name,
	    p->uid, p->policy_rule, p->policy_reason);
	record(a, AUDIT_REFUSED, p->source, p->origin, p->sha256,
	    p->sha256_own, p->full_name, p->uid, p->policy_rule,
	    p->policy_reason);
	return -1;
}

bool
admit_annotation(struct agent *a, const char *key)
{
	ensure_policy(a);
	return policy_annotation_allowed(a->policy, key);
}

static void
origin_of(const struct agent *a, enum chan_kind k, const char *key,
    char *buf, size_t len)
{
	if (k == CHAN_URL)
		snprintf(buf, len, "%s", a->cfg.staticpodurl != NULL ?
		    a->cfg.staticpodurl : "");
	else if (a->only_name[0] != '\0' || key == NULL)
		snprintf(buf, len, "%s", a->cfg.staticpodpath != NULL ?
		    a->cfg.staticpodpath : a->manifest_dir);
	else
		snprintf(buf, len, "%s/%s", a->manifest_dir, key);
}

/* A file that did not parse, or a source that could not be read. */
void
admit_source_error(struct agent *a, enum chan_kind k, const char *key,
    const char *message, const uint8_t *sha256, bool own)
{
	char origin[PATH_MAX + 256];

	a->source_errors++;
	origin_of(a, k, key, origin, sizeof(origin));
	record(a, AUDIT_SOURCE_ERROR, k, origin, sha256, own, NULL, NULL, NULL,
	    message);
}

/*
 * A pod the monitor refuses as a protocol violation (the agent exits
 * next): recorded first, so the log says which pod a fetcher tried to
 * pass off, and as what.
 */
void
admit_forged(struct agent *a, enum chan_kind k, const char *key,
    const Spd__Pod *pod, const char *why)
{
	char	origin[PATH_MAX + 256], full[2 * POD_NAME_MAX + 2];

	origin_of(a, k, key, origin, sizeof(origin));
	full[0] = '\0';
	if (pod != NULL && pod->metadata != NULL &&
	    pod->metadata->name != NULL && pod->metadata->namespace_ != NULL)
		snprintf(full, sizeof(full), "%s/%s", pod->metadata->namespace_,
		    pod->metadata->name);
	record(a, AUDIT_REFUSED, k, origin, NULL, false, full[0] != '\0' ?
	    full : NULL, NULL, "protocol", why);
}
