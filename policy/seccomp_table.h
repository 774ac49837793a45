/*
 * Private to policy/seccomp_*.c: shorthand for writing allowlist lines.
 */
#ifndef STATICPODD_SECCOMP_TABLE_H
#define STATICPODD_SECCOMP_TABLE_H

#include <sys/mman.h>

#include "sandbox.h"

#define SC_ALLOW(n, w)		{ .name = (n), .why = (w) }
#define SC_ERRNO(n, e, w)	{ .name = (n), .action = SANDBOX_ERRNO, \
				  .err = (e), .why = (w) }
#define SC_ALLOW_ARG(n, a, w)	{ .name = (n), .nargs = 1, .args = { a }, \
				  .why = (w) }
#define SC_ERRNO_ARG(n, e, a, w) { .name = (n), .action = SANDBOX_ERRNO, \
				  .err = (e), .nargs = 1, .args = { a }, \
				  .why = (w) }

#define ARG_EQ(i, v)	{ .index = (i), .op = SANDBOX_CMP_EQ, .value = (v) }
#define ARG_MASKED_EQ(i, m, v) \
	{ .index = (i), .op = SANDBOX_CMP_MASKED_EQ, .mask = (m), .value = (v) }
/* mmap and mprotect's third argument: never an executable mapping. */
#define ARG_NO_EXEC	ARG_MASKED_EQ(2, PROT_EXEC, 0)

#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

#endif
