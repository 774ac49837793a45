/*
 * The pods the sources want, after the monitor accepted them: keyed by
 * source and key, with the last admitted version kept until its source
 * says the key is gone (a file that stops parsing keeps its pod). Two keys
 * that name the same pod are a conflict with a fixed winner: the one that
 * already holds the name, else the directory before the URL, else the
 * first key in order. The loser waits, refused, and takes over when the
 * winner goes; nothing flaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"

static const char *const source_names[CHAN_MAX] = { "directory", "URL" };

static struct desired_pod *
find(struct desired *d, enum chan_kind k, const char *key)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->pods[i].source == k && strcmp(d->pods[i].key, key) == 0)
			return &d->pods[i];
	return NULL;
}

static void
pod_free(struct desired_pod *p)
{
	free(p->origin);
	free(p->policy_rule);
	free(p->policy_reason);
	free(p->key);
	free(p->full_name);
	free(p->canon);
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[b[i] >> 4];
		out[2 * i + 1] = x[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Does a come before b for a name both want? */
static bool
precedes(const struct desired_pod *a, const struct desired_pod *b)
{
	if (a->winner != b->winner)
		return a->winner;
	if (a->source != b->source)
		return a->source < b->source;
	return strcmp(a->key, b->key) < 0;
}

static void
resolve(struct desired *d)
{
	struct desired_pod	*p, *best;
	size_t			 i, j;
	bool			 was;

	for (i = 0; i < d->n; i++) {
		p = &d->pods[i];
		best = p;
		for (j = 0; j < d->n; j++)
			if (strcmp(d->pods[j].full_name, p->full_name) == 0 &&
			    precedes(&d->pods[j], best))
				best = &d->pods[j];
		was = p->refused;
		p->refused = best != p;
		if (p->refused && !was)
			log_warnx("pod %s from %s %s is refused: %s %s already "
			    "defines it", p->full_name, source_names[p->source],
			    p->key, source_names[best->source], best->key);
		else if (!p->refused && was)
			log_info("pod %s from %s %s is admitted: the conflicting "
			    "definition is gone", p->full_name,
			    source_names[p->source], p->key);
	}
	for (i = 0; i < d->n; i++)
		d->pods[i].winner = !d->pods[i].refused;
}

void
desired_snapshot_begin(struct desired *d, enum chan_kind k)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->pods[i].source == k)
			d->pods[i].seen = false;
}

void
desired_keep(struct desired *d, enum chan_kind k, const char *key)
{
	struct desired_pod *p;

	if ((p = find(d, k, key)) != NULL)
		p->seen = true;
}

static void
remove_at(struct desired *d, size_t i)
{
	struct desired_pod *p = &d->pods[i];

	log_info("pod %s (uid %s) from %s %s is no longer desired",
	    p->full_name, p->uid, source_names[p->source], p->key);
	d->dirty[p->source] = true;
	pod_free(p);
	d->pods[i] = d->pods[--d->n];
}

void
desired_snapshot_end(struct agent *a, enum chan_kind k)
{
	struct desired	*d = &a->desired;
	size_t		 i;

	for (i = d->n; i-- > 0;)
		if (d->pods[i].source == k && !d->pods[i].seen)
			remove_at(d, i);
	resolve(d);
}

void
desired_remove(struct agent *a, enum chan_kind k, const char *key)
{
	struct desired	*d = &a->desired;
	size_t		 i;

	for (i = 0; i < d->n; i++)
		if (d->pods[i].source == k && strcmp(d->pods[i].key, key) == 0) {
			remove_at(d, i);
			break;
		}
	resolve(d);
}

static size_t
count(const struct desired *d, enum chan_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->pods[i].source == k;
	return n;
}

void
desired_upsert(struct agent *a, enum chan_kind k, const char *key,
    const Spd__Pod *pod, const uint8_t *canon, size_t len, const char *uid,
    const uint8_t sha256[32], bool own)
{
	struct desired		*d = &a->desired;
	struct desired_pod	*p, *np;
	char			 sha[65];

	if ((p = find(d, k, key)) != NULL && strcmp(p->uid, uid) == 0) {
		p->seen = true;
		if (memcmp(p->sha256, sha256, 32) != 0) {
			memcpy(p->sha256, sha256, 32);
			d->dirty[k] = true;
		}
		return;
	}
	if (p == NULL) {
		if (count(d, k) >= AGENT_PODS_MAX) {
			log_warnx("%s source: more than %d pods; %s refused",
			    source_names[k], AGENT_PODS_MAX, key);
			return;
		}
		if (d->n == d->cap) {
			d->cap = d->cap == 0 ? 16 : d->cap * 2;
			if ((np = reallocarray(d->pods, d->cap,
			    sizeof(*np))) == NULL)
				fatal("desired");
			d->pods = np;
		}
		p = &d->pods[d->n++];
		memset(p, 0, sizeof(*p));
		p->source = k;
		if ((p->key = strdup(key)) == NULL)
			fatal("desired");
		if (k == CHAN_URL)
			p->origin = strdup(a->cfg.staticpodurl);
		else if (a->only_name[0] != '\0')
			p->origin = strdup(a->cfg.staticpodpath);
		else if (asprintf(&p->origin, "%s/%s", a->manifest_dir, key) ==
		    -1)
			p->origin = NULL;
		if (p->origin == NULL)
			fatal("desired");
	} else {
		/* an edited manifest keeps the name it held */
		free(p->full_name);
		free(p->canon);
	}
	if (asprintf(&p->full_name, "%s/%s", pod->metadata->namespace_,
	    pod->metadata->name) == -1 || (p->canon = malloc(len + 1)) == NULL)
		fatal("desired");
	memcpy(p->canon, canon, len);
	p->canon_len = len;
	memcpy(p->uid, uid, sizeof(p->uid));
	memcpy(p->sha256, sha256, 32);
	p->sha256_own = own;
	p->seen = true;
	d->dirty[k] = true;
	hex(sha256, 32, sha);
	log_info("pod %s (uid %s) desired from %s %s, sha256 %s%s",
	    p->full_name, p->uid, source_names[k], key, sha,
	    own ? "" : " (as reported by the URL fetcher)");
	admit_pod(a, p, pod);
	resolve(d);
}

void
desired_free(struct desired *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		pod_free(&d->pods[i]);
	free(d->pods);
	memset(d, 0, sizeof(*d));
}
