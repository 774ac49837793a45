/*
 * What the agent is doing, for operators: <runDir>/status.json (read by
 * `staticpodd status`) and <runDir>/metrics.prom for node_exporter's
 * textfile collector. Both are written atomically and only when they
 * change, so an idle agent does no I/O. Every string from a manifest goes
 * through the runtime's own JSON escaper.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "audit.h"
#include "log.h"
#include "reconcile.h"

#define STATUS_MAX	(4 * 1024 * 1024)

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	bool	 full;
};

static void
put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->full = true;
		return;
	}
	b->len += (size_t)n;
}

/* A JSON string, quotes included. */
static void
str(struct buf *b, const char *s)
{
	size_t room, n;

	if (s == NULL) {
		put(b, "null");
		return;
	}
	put(b, "\"");
	if (b->full)
		return;
	room = b->cap - b->len;
	n = json_escape(s, strlen(s), b->p + b->len, room);
	if (n + 2 >= room) {
		b->full = true;
		return;
	}
	b->len += n;
	put(b, "\"");
}

static const char *const phase_names[] = { "Pending", "Running", "Succeeded",
    "Failed" };

static const char *
state_name(int s)
{
	switch (s) {
	case RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED:
		return "created";
	case RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING:
		return "running";
	case RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED:
		return "exited";
	case RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN:
		return "unknown";
	default:
		return "waiting";
	}
}

/* A pod's error; while the runtime is not ready, that is the reason. */
static void
pod_error_json(struct buf *b, const struct reconciler *rc,
    const struct pod_rt *rt)
{
	char why[ERROR_MAX + 32];

	put(b, ",\"error\":");
	if (rt != NULL && rt->error[0] != '\0')
		str(b, rt->error);
	else if (!rc->ready && rc->not_ready[0] != '\0') {
		snprintf(why, sizeof(why), "CRI runtime not ready: %s",
		    rc->not_ready);
		str(b, why);
	} else
		str(b, NULL);
}

static void
pod_json(struct buf *b, const struct desired_pod *dp,
    const struct reconciler *rc, const struct pod_rt *rt)
{
	char	 sha[65];
	size_t	 i;

	for (i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", dp->sha256[i]);
	put(b, "{\"pod\":");
	str(b, dp->full_name);
	put(b, ",\"uid\":\"%s\",\"source\":\"%s\",\"origin\":", dp->uid,
	    dp->source == CHAN_URL ? "http" : "file");
	str(b, dp->origin);
	put(b, ",\"sha256\":\"%s\",\"sha256Reported\":%s", sha,
	    dp->sha256_own ? "false" : "true");
	if (dp->refused || dp->policy_refused) {
		put(b, ",\"phase\":\"Refused\",\"reason\":");
		str(b, dp->policy_refused ? dp->policy_reason :
		    "another file or source defines this pod");
		put(b, "}");
		return;
	}
	put(b, ",\"phase\":\"%s\"", rt != NULL ? phase_names[rt->phase] :
	    "Pending");
	if (rt == NULL) {
		pod_error_json(b, rc, NULL);
		put(b, "}");
		return;
	}
	put(b, ",\"sandbox\":");
	str(b, rt->sandbox_id[0] != '\0' ? rt->sandbox_id : NULL);
	put(b, ",\"podIP\":");
	str(b, rt->pod_ip[0] != '\0' ? rt->pod_ip : NULL);
	pod_error_json(b, rc, rt);
	put(b, ",\"containers\":[");
	for (i = 0; i < rt->nctrs; i++) {
		const struct ctr_rt *c = &rt->ctrs[i];

		put(b, "%s{\"name\":", i ? "," : "");
		str(b, c->name);
		put(b, ",\"init\":%s,\"state\":\"%s\",\"id\":",
		    c->init ? "true" : "false", state_name(c->state));
		str(b, c->id[0] != '\0' ? c->id : NULL);
		put(b, ",\"restarts\":%u", c->state == -1 ? 0 : c->attempt);
		if (c->exit_known)
			put(b, ",\"exitCode\":%d", c->exit_code);
		put(b, "}");
	}
	put(b, "]}");
}

static void
status_json(struct buf *b, const struct agent *a, struct reconciler *rc)
{
	size_t i;

	put(b, "{\"node\":");
	str(b, a->node_name);
	put(b, ",\"runtime\":");
	str(b, rc->runtime[0] != '\0' ? rc->runtime : NULL);
	put(b, ",\"runtimeReady\":%s,\"runtimeError\":",
	    rc->ready ? "true" : "false");
	str(b, rc->not_ready[0] != '\0' ? rc->not_ready : NULL);
	put(b, ",\"sources\":[");
	for (i = 0; i < CHAN_MAX; i++) {
		if (source_base(a, (enum chan_kind)i) == NULL)
			continue;
		put(b, "%s{\"kind\":\"%s\",\"origin\":",
		    b->p[b->len - 1] == '[' ? "" : ",",
		    i == CHAN_URL ? "http" : "file");
		str(b, source_base(a, (enum chan_kind)i));
		put(b, ",\"ready\":%s}", a->chan[i].ready ? "true" : "false");
	}
	put(b, "],\"pods\":[");
	for (i = 0; i < a->desired.n; i++) {
		if (i > 0)
			put(b, ",");
		pod_json(b, &a->desired.pods[i], rc,
		    rt_find(rc, a->desired.pods[i].uid));
	}
	put(b, "]}\n");
}

static void
metrics(struct buf *b, const struct agent *a, struct reconciler *rc)
{
	size_t	counts[5] = { 0 }, i;
	const struct pod_rt *rt;

	for (i = 0; i < a->desired.n; i++) {
		if (a->desired.pods[i].refused ||
		    a->desired.pods[i].policy_refused) {
			counts[4]++;
			continue;
		}
		rt = rt_find(rc, a->desired.pods[i].uid);
		counts[rt != NULL ? rt->phase : PHASE_PENDING]++;
	}
	put(b, "# HELP staticpodd_pods Static pods by phase.\n"
	    "# TYPE staticpodd_pods gauge\n");
	for (i = 0; i < 4; i++)
		put(b, "staticpodd_pods{phase=\"%s\"} %zu\n", phase_names[i],
		    counts[i]);
	put(b, "staticpodd_pods{phase=\"Refused\"} %zu\n", counts[4]);
	put(b, "# HELP staticpodd_container_restarts_total Container restarts "
	    "since the agent started.\n"
	    "# TYPE staticpodd_container_restarts_total counter\n"
	    "staticpodd_container_restarts_total %llu\n",
	    (unsigned long long)rc->restarts_total);
	put(b, "# HELP staticpodd_sync_duration_seconds Duration of the last "
	    "reconcile pass.\n# TYPE staticpodd_sync_duration_seconds gauge\n"
	    "staticpodd_sync_duration_seconds %.2f\n",
	    (double)rc->tick_ms / 1000.0);
	put(b, "# HELP staticpodd_source_errors_total Source errors reported "
	    "since the agent started.\n"
	    "# TYPE staticpodd_source_errors_total counter\n"
	    "staticpodd_source_errors_total %llu\n",
	    (unsigned long long)a->source_errors);
	put(b, "# HELP staticpodd_runtime_ready The CRI runtime is ready.\n"
	    "# TYPE staticpodd_runtime_ready gauge\n"
	    "staticpodd_runtime_ready %d\n", rc->ready ? 1 : 0);
}

/* Replaces path with b's bytes if they differ from *last. */
static void
replace_file(const char *dir, const char *name, struct buf *b, char **last)
{
	char	path[PATH_MAX], tmp[PATH_MAX];
	int	fd;

	if (b->full) {
		log_warnx("%s/%s: more than %d bytes; not written", dir, name,
		    STATUS_MAX);
		return;
	}
	if (*last != NULL && strcmp(*last, b->p) == 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1) {
		log_warn("%s", tmp);
		return;
	}
	if (write(fd, b->p, b->len) != (ssize_t)b->len) {
		log_warn("%s", tmp);
		close(fd);
		unlink(tmp);
		return;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		log_warn("%s", path);
		unlink(tmp);
		return;
	}
	free(*last);
	if ((*last = strdup(b->p)) == NULL)
		fatal("status");
}

void
status_write(struct agent *a, struct reconciler *rc)
{
	struct buf b;

	memset(&b, 0, sizeof(b));
	b.cap = STATUS_MAX;
	if ((b.p = malloc(b.cap)) == NULL)
		fatal("status");
	b.p[0] = '\0';
	status_json(&b, a, rc);
	replace_file(a->cfg.rundir, "status.json", &b, &rc->last_status);
	b.len = 0;
	b.full = false;
	b.p[0] = '\0';
	metrics(&b, a, rc);
	replace_file(a->cfg.rundir, "metrics.prom", &b, &rc->last_metrics);
	free(b.p);
}

/*
 * On the way out: a status left behind would show pods as the agent last saw
 * them while nothing watches them, and node_exporter would go on exporting
 * them. Without the files, `staticpodd status` says the agent is not running.
 */
void
status_remove(const struct agent *a)
{
	static const char *const names[] = { "status.json", "metrics.prom" };
	char	path[PATH_MAX];
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", a->cfg.rundir, names[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("%s", path);
	}
}
