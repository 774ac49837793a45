/*
 * Writes seed messages for fuzz_wire: one of each type the runtime
 * receives, each as frame type byte + canonical payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void
put(const char *dir, const char *name, Spw__Wire *w)
{
	char	 path[512];
	FILE	*fp;
	size_t	 len = protobuf_c_message_get_packed_size(&w->base);
	uint8_t	*buf = malloc(len + 1);

	if (buf == NULL)
		abort();
	buf[0] = (uint8_t)w->body_case;
	protobuf_c_message_pack(&w->base, buf + 1);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL || fwrite(buf, 1, len + 1, fp) !=
	    len + 1 || fclose(fp) != 0)
		abort();
	free(buf);
}

int
main(int argc, char **argv)
{
	Spw__Wire	w = SPW__WIRE__INIT;
	Spw__Open	o = SPW__OPEN__INIT;
	Spw__PodUpsert	u = SPW__POD_UPSERT__INIT;
	Spw__SourceError e = SPW__SOURCE_ERROR__INIT;
	Spw__Config	c = SPW__CONFIG__INIT;
	Spd__Pod	pod = SPD__POD__INIT;
	Spd__ObjectMeta	meta = SPD__OBJECT_META__INIT;
	Spd__PodSpec	spec = SPD__POD_SPEC__INIT;
	Spd__Container	ct = SPD__CONTAINER__INIT, *cts[1] = { &ct };
	uint8_t		sha[32] = { 1, 2, 3 };

	if (argc != 2)
		return 2;
	o.name = "web.yaml";
	w.body_case = SPW__WIRE__BODY_OPEN;
	w.open = &o;
	put(argv[1], "open", &w);
	pod.apiversion = "v1";
	pod.kind = "Pod";
	pod.metadata = &meta;
	pod.spec = &spec;
	meta.name = "web-node1";
	meta.namespace_ = "default";
	spec.restartpolicy = "Always";
	spec.dnspolicy = "ClusterFirst";
	spec.has_terminationgraceperiodseconds = 1;
	spec.terminationgraceperiodseconds = 30;
	ct.name = "web";
	ct.image = "registry.example/web:1.0";
	ct.imagepullpolicy = "IfNotPresent";
	ct.terminationmessagepath = "/dev/termination-log";
	ct.terminationmessagepolicy = "File";
	spec.containers = cts;
	spec.n_containers = 1;
	u.key = "web.yaml";
	u.pod = &pod;
	u.has_sha256 = 1;
	u.sha256.data = sha;
	u.sha256.len = sizeof(sha);
	w.body_case = SPW__WIRE__BODY_POD_UPSERT;
	w.podupsert = &u;
	put(argv[1], "upsert", &w);
	e.key = "bad.yaml";
	e.message = "bad.yaml:1:1: YAML: syntax error";
	w.body_case = SPW__WIRE__BODY_SOURCE_ERROR;
	w.sourceerror = &e;
	put(argv[1], "source_error", &w);
	c.staticpodpath = "/etc/kubernetes/manifests";
	c.staticpodurl = "https://manifests.example/pods";
	w.body_case = SPW__WIRE__BODY_CONFIG;
	w.config = &c;
	put(argv[1], "config", &w);
	return 0;
}
