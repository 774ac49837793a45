/*
 * arena: bump allocation with a hard cap, freed all at once. Everything
 * built from one untrusted manifest lives in one arena, so a hostile input
 * can cost at most the cap and there is no per-object free to get wrong.
 */
#ifndef STATICPODD_ARENA_H
#define STATICPODD_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct arena_chunk;

struct arena {
	struct arena_chunk	*head;
	size_t			 used;	/* bytes handed out, all chunks */
	size_t			 cap;
	ProtobufCAllocator	 pb;	/* protobuf-c allocations from here */
};

void	 arena_init(struct arena *, size_t cap);
void	 arena_free(struct arena *);
/* Zeroed memory, or NULL when the cap would be exceeded. */
void	*arena_alloc(struct arena *, size_t);
char	*arena_strndup(struct arena *, const char *, size_t);
char	*arena_strdup(struct arena *, const char *);

#endif
