/*
 * The audit log: one JSON object a line, appended with one write() and
 * made durable with fdatasync before the decision it records takes effect
 * elsewhere. The file is opened by root before the sandbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"

#define AUDIT_RECORD_MAX	8192

struct audit {
	int	fd;
	int	is_stderr;
};

static const char *const decisions[] = {
	[AUDIT_ADMITTED] = "admitted",
	[AUDIT_REFUSED] = "refused",
	[AUDIT_STARTED] = "started",
	[AUDIT_RESTARTED] = "restarted",
	[AUDIT_STOPPED] = "stopped",
	[AUDIT_REMOVED] = "removed",
	[AUDIT_ADOPTED] = "adopted",
	[AUDIT_SOURCE_ERROR] = "source-error",
	[AUDIT_WOULD_STOP] = "would-stop",
};

struct audit *
audit_open(const char *path)
{
	struct audit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("audit");
	if (path == NULL || strcmp(path, "-") == 0) {
		a->fd = STDERR_FILENO;
		a->is_stderr = 1;
		return a;
	}
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (a->fd == -1) {
		log_warn("audit log %s", path);
		free(a);
		return NULL;
	}
	return a;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (!a->is_stderr)
		close(a->fd);
	free(a);
}

static void
field(char *buf, size_t len, size_t *o, const char *name, const char *value)
{
	int n;

	if (value == NULL || *o >= len)
		return;
	n = snprintf(buf + *o, len - *o, ",\"%s\":\"", name);
	if (n < 0 || (size_t)n >= len - *o) {
		*o = len;
		return;
	}
	*o += (size_t)n;
	*o += json_escape(value, strlen(value), buf + *o, len - *o);
	if (*o + 1 < len)
		buf[(*o)++] = '"';
}

void
audit_write(struct audit *a, const struct audit_rec *r)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		*buf, sha[65];
	size_t		 o = 0, i;
	int		 n;

	if (a == NULL)
		return;
	if ((buf = malloc(AUDIT_RECORD_MAX)) == NULL)
		fatal("audit");
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL)
		fatal("audit: clock");
	n = snprintf(buf, AUDIT_RECORD_MAX, "{\"time\":\"%04d-%02d-%02dT"
	    "%02d:%02d:%02d.%06ldZ\",\"decision\":\"%s\"", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000, decisions[r->decision]);
	o = n > 0 ? (size_t)n : 0;
	field(buf, AUDIT_RECORD_MAX, &o, "source", r->source);
	field(buf, AUDIT_RECORD_MAX, &o, "origin", r->origin);
	if (r->sha256 != NULL) {
		for (i = 0; i < 32; i++)
			snprintf(sha + 2 * i, 3, "%02x", r->sha256[i]);
		field(buf, AUDIT_RECORD_MAX, &o, "sha256", sha);
		if (r->sha256_reported && o + 24 < AUDIT_RECORD_MAX) {
			memcpy(buf + o, ",\"sha256Reported\":true", 22);
			o += 22;
		}
	}
	field(buf, AUDIT_RECORD_MAX, &o, "pod", r->pod);
	field(buf, AUDIT_RECORD_MAX, &o, "uid", r->uid);
	field(buf, AUDIT_RECORD_MAX, &o, "rule", r->rule);
	field(buf, AUDIT_RECORD_MAX, &o, "reason", r->reason);
	field(buf, AUDIT_RECORD_MAX, &o, "container", r->container);
	field(buf, AUDIT_RECORD_MAX, &o, "containerID", r->container_id);
	field(buf, AUDIT_RECORD_MAX, &o, "sandboxID", r->sandbox_id);
	if (o + 3 > AUDIT_RECORD_MAX)
		o = AUDIT_RECORD_MAX - 3;	/* cut, still one line */
	buf[o++] = '}';
	buf[o++] = '\n';
	if (write(a->fd, buf, o) != (ssize_t)o)
		log_warn("audit log write");
	else if (!a->is_stderr && fdatasync(a->fd) == -1)
		log_warn("audit log fdatasync");
	free(buf);
}
