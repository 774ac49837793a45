/*
 * The one place that lists what the parser accepts and then drops.
 *
 * Scheduler-only fields mean nothing on a single node. They are decoded
 * (so a mistyped one is still an error, as it would be upstream) and then
 * cleared here, before the pod is made canonical: they never change a UID
 * and never reach the runtime, which refuses a pod that carries one.
 *
 * Server-set metadata and status are skipped without being read.
 * metadata.uid is skipped too: the agent derives every UID from content,
 * node and source, so a manifest cannot claim another pod's identity.
 *
 * docs/manifests.md repeats this list for operators.
 */
#include <string.h>

#include "decode.h"

static const struct {
	const char	*message;
	const char	*key;
} unchecked[] = {
	{ "Pod", "status" },
	{ "PodList", "metadata" },
	{ "ObjectMeta", "uid" },
	{ "ObjectMeta", "creationTimestamp" },
	{ "ObjectMeta", "resourceVersion" },
	{ "ObjectMeta", "generation" },
	{ "ObjectMeta", "managedFields" },
};

bool
ignored_unchecked(const char *message, const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(unchecked) / sizeof(unchecked[0]); i++)
		if (strcmp(unchecked[i].message, message) == 0 &&
		    strcmp(unchecked[i].key, key) == 0)
			return true;
	return false;
}

void
ignored_clear(Spd__Pod *pod)
{
	Spd__PodSpec *s = pod->spec;

	if (s == NULL)
		return;
	s->affinity = NULL;
	s->n_tolerations = 0;
	s->tolerations = NULL;
	s->n_nodeselector = 0;
	s->nodeselector = NULL;
	s->nodename = NULL;
	s->has_priority = 0;
	s->priorityclassname = NULL;
	s->preemptionpolicy = NULL;
	s->schedulername = NULL;
	s->n_topologyspreadconstraints = 0;
	s->topologyspreadconstraints = NULL;
	s->n_schedulinggates = 0;
	s->schedulinggates = NULL;
	s->n_readinessgates = 0;
	s->readinessgates = NULL;
	s->has_enableservicelinks = 0;
}
