#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log.h"

#define ARENA_CHUNK_MIN	(64 * 1024)
#define ARENA_ALIGN	16

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 size;
	size_t			 off;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

static void *
arena_pb_alloc(void *ctx, size_t size)
{
	return arena_alloc(ctx, size);
}

static void
arena_pb_free(void *ctx, void *p)
{
	(void)ctx;
	(void)p;	/* released with the arena */
}

void
arena_init(struct arena *a, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->cap = cap;
	a->pb.alloc = arena_pb_alloc;
	a->pb.free = arena_pb_free;
	a->pb.allocator_data = a;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk	*c = a->head;
	size_t			 size;
	void			*p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2 || n > a->cap || a->used > a->cap - n)
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (c == NULL || c->size - c->off < n) {
		size = n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			fatal("arena");
		c->next = a->head;
		c->size = size;
		c->off = 0;
		a->head = c;
	}
	p = c->data + c->off;
	c->off += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p;

	if ((p = arena_alloc(a, len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
