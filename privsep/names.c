/*
 * Only *.yaml, *.yml and *.json count, so that editor leftovers (x.yaml.bak,
 * x.yaml~, #x.yaml#, vim's 4913) never start a second copy of a pod: the
 * kubelet reads every name without a leading dot, and a .bak copy that
 * sorts last silently replaces the real pod upstream.
 */
#include <string.h>

#include "names.h"

static int
has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && strcmp(s + len - n, suffix) == 0;
}

const char *
manifest_name_refusal(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return "empty name";
	if (len > MANIFEST_NAME_MAX)
		return "name too long";
	if (strchr(name, '/') != NULL)
		return "not a plain file name";
	if (name[0] == '.')
		return "hidden file";
	if (!has_suffix(name, len, ".yaml") && !has_suffix(name, len, ".yml") &&
	    !has_suffix(name, len, ".json"))
		return "not a .yaml, .yml or .json file";
	return NULL;
}
