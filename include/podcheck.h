/*
 * podcheck: the invariants of a canonical Pod, as the kubelet validates a
 * static pod. The parser runs it before sending a pod; the runtime runs it
 * again on what it received, because the parser may be compromised. It
 * reads a decoded message only: no parsing happens here.
 */
#ifndef STATICPODD_PODCHECK_H
#define STATICPODD_PODCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "pod.pb-c.h"

#define POD_UID_LEN		32	/* hex characters */
#define POD_NAME_MAX		253
#define POD_LABEL_MAX		63
#define POD_ANNOTATIONS_MAX	(256 * 1024)	/* total, as the API server */
#define POD_CONTAINERS_MAX	64
#define POD_VOLUMES_MAX		256

/* Prefixes only the agent may set on CRI objects. */
#define AGENT_LABEL_PREFIX	"io.staticpodd."

/* 0 when valid; -1 with the errors, by field path, otherwise. */
int	podcheck_pod(const Spd__Pod *, struct diags *);
/* [registry/]name[:tag][@sha256:hex], as the distribution grammar. */
int	image_ref_valid(const char *);

/* uid = hex(sha256(canon || NUL || "host:" node || NUL || source))[:32] */
void	pod_uid(const uint8_t *canon, size_t len, const char *node,
	    const char *source, char out[POD_UID_LEN + 1]);

int	is_dns1123_label(const char *);
int	is_dns1123_subdomain(const char *);

#endif
