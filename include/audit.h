/*
 * audit: the append-only record of every decision the runtime makes about
 * a pod, one JSON object a line: which manifest (by sha256) led to which
 * pod and containers, and why a manifest was refused. Written by the
 * runtime itself (its JSON escaper is its own: json-c is a parser and
 * stays out of the privileged binary), O_APPEND and fsync'd, so a record
 * that was written survives a crash. Never holds header values or secrets.
 */
#ifndef STATICPODD_AUDIT_H
#define STATICPODD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum audit_decision {
	AUDIT_ADMITTED,
	AUDIT_REFUSED,
	AUDIT_STARTED,
	AUDIT_RESTARTED,
	AUDIT_STOPPED,
	AUDIT_REMOVED,
	AUDIT_ADOPTED,
	AUDIT_SOURCE_ERROR,
	AUDIT_WOULD_STOP,	/* policy dry run */
};

struct audit_rec {
	enum audit_decision	 decision;
	const char		*source;	/* "file" or "http" */
	const char		*origin;	/* the file path, or the URL */
	const uint8_t		*sha256;	/* 32 bytes, or NULL */
	bool			 sha256_reported; /* the URL fetcher's word */
	const char		*pod;		/* namespace/name */
	const char		*uid;
	const char		*rule;		/* policy rule, when refused */
	const char		*reason;
	const char		*container;	/* name, for container records */
	const char		*container_id;
	const char		*sandbox_id;
};

struct audit;

/* path "-" means stderr. NULL on failure, with the error logged. */
struct audit	*audit_open(const char *path);
void		 audit_write(struct audit *, const struct audit_rec *);
void		 audit_close(struct audit *);

/*
 * JSON string escaping for the runtime's own writers (audit, status):
 * quotes, backslashes and control characters escaped, invalid UTF-8
 * replaced by U+FFFD, so the output is always one valid JSON string.
 * Returns the bytes written, excluding the NUL; truncates at a character
 * boundary when out is too small, and never writes past len.
 */
size_t		 json_escape(const char *in, size_t inlen, char *out,
		    size_t len);

#endif
