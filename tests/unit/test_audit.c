/*
 * The audit log as an operator reads it: every record one line of valid
 * JSON (checked with json-c, which only this test links), the fields the
 * issue names, appended to what is there, and never a record that a
 * hostile manifest string can split, forge or overflow. The file is
 * refused when it is a link, a FIFO, another user's or group-writable;
 * URLs lose their credentials. TAP; needs root for the owner cases.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit.h"
#include "log.h"
#include "../tap.h"

#define LOG_MAX	(256 * 1024)

static char dir[64];

static char *
path_of(const char *name)
{
	static char buf[4][128];
	static int  k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static size_t
slurp(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	int	fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

/* Line i of the file, parsed strictly; NULL when it is not one object. */
static json_object *
record(const char *text, size_t i)
{
	struct json_tokener	*tok;
	json_object		*o;
	const char		*s = text, *nl;

	for (; i > 0 && s != NULL; i--)
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	if (s == NULL || (nl = strchr(s, '\n')) == NULL)
		return NULL;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)(nl - s));
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static const char *
str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* 2026-11-28T17:20:21.123456Z */
static int
rfc3339_utc(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t i;

	if (t == NULL || strlen(t) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? t[i] < '0' || t[i] > '9' :
		    t[i] != shape[i])
			return 0;
	return 1;
}

static void
test_records(void)
{
	static const uint8_t sha[32] = { 0xde, 0xad, 0xbe, 0xef };
	struct audit_rec	 r;
	struct audit		*a;
	struct stat		 st;
	json_object		*o;
	char			*buf, *big;
	const char		*p = path_of("audit.log");
	int			 fd;

	if ((buf = malloc(LOG_MAX)) == NULL || (big = malloc(100000)) == NULL)
		abort();
	/* what was there stays: the log is appended to */
	if ((fd = open(p, O_WRONLY | O_CREAT, 0600)) == -1 ||
	    write(fd, "{\"old\":true}\n", 13) != 13)
		abort();
	close(fd);
	if ((a = audit_open(p)) == NULL) {
		tap(0, "audit_opens_a_root_0600_file", "audit_open failed");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.decision = AUDIT_REFUSED;
	r.source = "file";
	r.origin = "/etc/kubernetes/manifests/x.yaml";
	r.sha256 = sha;
	r.pod = "kube-system/x-node1";
	r.uid = "0123456789abcdef0123456789abcdef";
	r.rule = "hostPath";
	r.reason = "spec.volumes[2].hostPath.path \"/\" is not allowed";
	audit_write(a, &r);
	slurp(p, buf, LOG_MAX);
	o = record(buf, 1);
	tap(strncmp(buf, "{\"old\":true}\n", 13) == 0 && count_lines(buf) == 2,
	    "audit_appends_one_line_per_record", "log: %s", buf);
	tap(o != NULL && rfc3339_utc(str(o, "time")) &&
	    strcmp(str(o, "decision"), "refused") == 0 &&
	    strcmp(str(o, "source"), "file") == 0 &&
	    strcmp(str(o, "origin"), r.origin) == 0 &&
	    strncmp(str(o, "sha256"), "deadbeef000000", 14) == 0 &&
	    strlen(str(o, "sha256")) == 64 &&
	    strcmp(str(o, "sha256Reported"), "false") == 0 &&
	    strcmp(str(o, "pod"), r.pod) == 0 &&
	    strcmp(str(o, "uid"), r.uid) == 0 &&
	    strcmp(str(o, "rule"), "hostPath") == 0 &&
	    strcmp(str(o, "reason"), r.reason) == 0 &&
	    str(o, "containerID") == NULL,
	    "audit_record_has_time_source_origin_sha256_pod_uid_rule_reason",
	    "record: %s", buf);
	json_object_put(o);
	tap(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "audit_log_is_0600", "mode %o", (unsigned)st.st_mode);

	/* a URL body: the hash is the fetcher's word, the URL has no secret */
	memset(&r, 0, sizeof(r));
	r.decision = AUDIT_ADMITTED;
	r.source = "http";
	r.origin = "https://user:s3cret@manifests.example:8443/node1/pods?"
	    "token=s3cret#frag";
	r.sha256 = sha;
	r.sha256_reported = true;
	audit_write(a, &r);
	slurp(p, buf, LOG_MAX);
	o = record(buf, 2);
	tap(o != NULL && strcmp(str(o, "sha256Reported"), "true") == 0,
	    "audit_says_a_url_body_hash_is_reported", "record: %s", buf);
	tap(o != NULL && strstr(buf, "s3cret") == NULL &&
	    strcmp(str(o, "origin"), "https://<redacted>@manifests.example:8443"
	    "/node1/pods<redacted>") == 0,
	    "audit_never_logs_url_credentials", "record: %s", buf);
	json_object_put(o);

	/* hostile strings: one line, valid JSON, the text as it was */
	memset(&r, 0, sizeof(r));
	r.decision = AUDIT_STARTED;
	r.pod = "a\n{\"decision\":\"admitted\"}\r\"\\\x01\x7f";
	r.container = "bad\xff\xfe utf8 \xe2\x82";
	r.container_id = "abc";
	r.sandbox_id = "def";
	audit_write(a, &r);
	slurp(p, buf, LOG_MAX);
	o = record(buf, 3);
	tap(count_lines(buf) == 4 && o != NULL &&
	    strcmp(str(o, "pod"), r.pod) == 0 &&
	    strcmp(str(o, "container"), "bad\xef\xbf\xbd\xef\xbf\xbd utf8 "
	    "\xef\xbf\xbd\xef\xbf\xbd") == 0 &&
	    strcmp(str(o, "containerID"), "abc") == 0 &&
	    strcmp(str(o, "sandboxID"), "def") == 0,
	    "audit_escapes_hostile_strings_into_one_valid_line", "record: %s",
	    buf);
	json_object_put(o);

	/* a reason far over the record size: cut, still one valid line */
	memset(big, '"', 99999);
	big[99999] = '\0';
	memset(&r, 0, sizeof(r));
	r.decision = AUDIT_SOURCE_ERROR;
	r.reason = big;
	r.origin = big;
	audit_write(a, &r);
	slurp(p, buf, LOG_MAX);
	o = record(buf, 4);
	tap(count_lines(buf) == 5 && o != NULL &&
	    strlen(str(o, "reason")) > 1000 &&
	    strcmp(str(o, "decision"), "source-error") == 0,
	    "audit_cuts_an_oversized_record_and_keeps_it_valid", "%zu bytes",
	    strlen(buf));
	json_object_put(o);
	audit_close(a);
	free(buf);
	free(big);
}

static void
test_refusals(void)
{
	char	*p;
	int	 fd;

	p = path_of("link.log");
	if (symlink("/etc/passwd", p) == -1)
		abort();
	tap(audit_open(p) == NULL, "audit_refuses_a_symlink", "opened %s", p);

	p = path_of("fifo.log");
	if (mkfifo(p, 0600) == -1)
		abort();
	alarm(5);	/* a blocking open would hang here */
	tap(audit_open(p) == NULL, "audit_refuses_a_fifo_without_blocking",
	    "opened %s", p);
	alarm(0);

	p = path_of("group.log");
	if ((fd = open(p, O_WRONLY | O_CREAT, 0600)) == -1 ||
	    fchmod(fd, 0620) == -1)
		abort();
	close(fd);
	tap(audit_open(p) == NULL, "audit_refuses_a_group_writable_file",
	    "opened %s", p);

	p = path_of("other.log");
	if ((fd = open(p, O_WRONLY | O_CREAT, 0600)) == -1 ||
	    fchown(fd, 1000, 1000) == -1)
		abort();
	close(fd);
	tap(audit_open(p) == NULL, "audit_refuses_another_users_file",
	    "opened %s", p);
}

int
main(void)
{
	char cmd[128];

	if (geteuid() != 0) {
		printf("1..0 # SKIP the owner checks need root (CI runs as "
		    "root)\n");
		return 77;
	}
	log_init("test_audit", 0);
	snprintf(dir, sizeof(dir), "/tmp/spd-audit-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	test_records();
	test_refusals();
	printf("1..%d\n", tap_n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_failed++;
	return tap_failed > 0;
}
