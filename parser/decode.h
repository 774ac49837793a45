/* Private to parser/: the tree decoder and the fields it passes over. */
#ifndef STATICPODD_DECODE_H
#define STATICPODD_DECODE_H

#include <stdbool.h>

#include "arena.h"
#include "diag.h"
#include "parser.h"
#include "ytree.h"

int	decode_message(struct arena *, const struct ynode *,
	    const ProtobufCMessageDescriptor *, const char *path,
	    ProtobufCMessage *, struct diags *, struct decode_unknown *);

/* ignored.c */
bool	ignored_unchecked(const char *message, const char *key);
void	ignored_clear(Spd__Pod *);

/* defaults.c */
int	defaults_apply(struct arena *, Spd__Pod *, const char *node,
	    struct diags *);

#endif
