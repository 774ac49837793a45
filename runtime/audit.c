/*
 * The audit log: one JSON object a line, appended with one write() and
 * made durable with fdatasync before the decision it records takes effect
 * elsewhere, so a record that was written survives a crash. The file is
 * opened by root before the sandbox; the runtime cannot reopen it later.
 *
 * Every string is escaped by json_escape and cut to a fixed size before
 * the record is assembled, so the record always fits its buffer and is
 * always one valid JSON object on one line, whatever a manifest holds.
 * A URL is written without its user information, query or fragment:
 * those are where credentials live, and the log never holds a secret.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"

#define AUDIT_FIELD_MAX		1024	/* escaped bytes of one string */
#define AUDIT_REASON_MAX	4096	/* escaped bytes of the reason */
#define AUDIT_FIELDS		11
#define AUDIT_RECORD_MAX	(AUDIT_REASON_MAX + AUDIT_FIELDS * \
				    (AUDIT_FIELD_MAX + 32) + 256)

struct audit {
	int	fd;
	bool	is_file;	/* fdatasync'd; stderr may be a pipe */
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

/*
 * Appending to a file someone else may write is no record at all: the
 * file must be root's, 0600 or stricter for others, and a regular file
 * (O_NONBLOCK, so a FIFO planted there cannot stall the open).
 */
struct audit *
audit_open(const char *path)
{
	struct audit	*a;
	struct stat	 st;
	int		 fd, fl;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("audit");
	if (path == NULL || strcmp(path, "-") == 0) {
		a->fd = STDERR_FILENO;
		return a;
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600)) == -1) {
		log_warn("audit log %s", path);
		goto bad;
	}
	if (fstat(fd, &st) == -1)
		fatal("fstat %s", path);
	if (!S_ISREG(st.st_mode)) {
		log_warnx("audit log %s: not a regular file", path);
		goto bad;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("audit log %s: owned by uid %u with mode %04o; it "
		    "must be root's and not group- or world-writable", path,
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		goto bad;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		fatal("fcntl %s", path);
	a->fd = fd;
	a->is_file = true;
	return a;
bad:
	if (fd != -1)
		close(fd);
	free(a);
	return NULL;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->is_file)
		close(a->fd);
	free(a);
}

/* scheme://host[:port]/path, without user:password@, ?query or #fragment */
static const char *
redact_url(const char *url, char *buf, size_t len)
{
	const char	*scheme_end, *host, *at, *end;
	size_t		 slen, hlen;

	if ((scheme_end = strstr(url, "://")) == NULL)
		return url;
	slen = (size_t)(scheme_end - url) + 3;
	host = scheme_end + 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at != NULL)
		host = at + 1;
	hlen = strcspn(host, "?#");
	snprintf(buf, len, "%.*s%s%.*s%s", (int)slen, url, at != NULL ?
	    "<redacted>@" : "", (int)hlen, host, host[hlen] != '\0' ?
	    "<redacted>" : "");
	return buf;
}

/* ,"name":"escaped value" ; nothing for a NULL value */
static size_t
field(char *buf, size_t len, const char *name, const char *value,
    size_t max)
{
	size_t	o, room;
	int	n;

	if (value == NULL)
		return 0;
	n = snprintf(buf, len, ",\"%s\":\"", name);
	if (n < 0 || (size_t)n >= len)
		fatalx("audit: record buffer");
	o = (size_t)n;
	room = len - o - 1 < max + 1 ? len - o - 1 : max + 1;
	o += json_escape(value, strlen(value), buf + o, room);
	buf[o++] = '"';
	buf[o] = '\0';
	return o;
}

static size_t
timestamp(char *buf, size_t len)
{
	struct timespec	ts;
	struct tm	tm;
	int		n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL)
		fatal("audit: clock");
	n = snprintf(buf, len, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d."
	    "%06ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
	if (n < 0 || (size_t)n >= len)
		fatalx("audit: record buffer");
	return (size_t)n;
}

void
audit_write(struct audit *a, const struct audit_rec *r)
{
	char	*buf, sha[65], url[AUDIT_FIELD_MAX];
	size_t	 o, i, len = AUDIT_RECORD_MAX;
	int	 n;

	if (a == NULL)
		return;		/* no log configured: tests, tools */
	if ((unsigned)r->decision >= sizeof(decisions) / sizeof(decisions[0]))
		fatalx("audit: decision %d", (int)r->decision);
	if ((buf = malloc(len)) == NULL)
		fatal("audit");
	o = timestamp(buf, len);
	o += field(buf + o, len - o, "decision", decisions[r->decision],
	    AUDIT_FIELD_MAX);
	o += field(buf + o, len - o, "source", r->source, AUDIT_FIELD_MAX);
	o += field(buf + o, len - o, "origin", r->origin == NULL ? NULL :
	    redact_url(r->origin, url, sizeof(url)), AUDIT_FIELD_MAX);
	if (r->sha256 != NULL) {
		for (i = 0; i < 32; i++)
			snprintf(sha + 2 * i, 3, "%02x", r->sha256[i]);
		o += field(buf + o, len - o, "sha256", sha, AUDIT_FIELD_MAX);
		n = snprintf(buf + o, len - o, ",\"sha256Reported\":%s",
		    r->sha256_reported ? "true" : "false");
		if (n < 0 || (size_t)n >= len - o)
			fatalx("audit: record buffer");
		o += (size_t)n;
	}
	o += field(buf + o, len - o, "pod", r->pod, AUDIT_FIELD_MAX);
	o += field(buf + o, len - o, "uid", r->uid, AUDIT_FIELD_MAX);
	o += field(buf + o, len - o, "rule", r->rule, AUDIT_FIELD_MAX);
	o += field(buf + o, len - o, "reason", r->reason, AUDIT_REASON_MAX);
	o += field(buf + o, len - o, "container", r->container,
	    AUDIT_FIELD_MAX);
	o += field(buf + o, len - o, "containerID", r->container_id,
	    AUDIT_FIELD_MAX);
	o += field(buf + o, len - o, "sandboxID", r->sandbox_id,
	    AUDIT_FIELD_MAX);
	if (o + 3 > len)
		fatalx("audit: record buffer");
	buf[o++] = '}';
	buf[o++] = '\n';
	/* one write: O_APPEND keeps concurrent records whole */
	if (write(a->fd, buf, o) != (ssize_t)o)
		log_warn("audit log write");
	else if (a->is_file && fdatasync(a->fd) == -1)
		log_warn("audit log fdatasync");
	free(buf);
}
