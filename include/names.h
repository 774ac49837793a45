/*
 * names: which directory entries are manifests. Shared by the fetcher,
 * which decides what to ask for, and the runtime's broker, which decides
 * what it will open: the broker checks again because the fetcher may lie.
 */
#ifndef STATICPODD_NAMES_H
#define STATICPODD_NAMES_H

#define MANIFEST_NAME_MAX	255

/* NULL when the name is a manifest; otherwise why not, in a few words. */
const char	*manifest_name_refusal(const char *name);

#endif
