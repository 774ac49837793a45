/*
 * Private to privsep/sandbox*.c: what the pieces of the sandbox share.
 */
#ifndef STATICPODD_SANDBOX_INT_H
#define STATICPODD_SANDBOX_INT_H

#include <stddef.h>
#include <stdint.h>

#define SANDBOX_STATUS_MAX	(16 * 1024)	/* the file is ~1.5 KiB */
#define SANDBOX_STATUS_FIELD	64		/* the longest value we read */

/*
 * The value of one "Key:\tvalue" line of /proc/self/status, the kernel's
 * own account of what this thread holds; -1 if it cannot be read.
 */
int	sandbox_status_field(const char *key, char *val, size_t len);
/* The same, a hexadecimal mask (CapEff) or a decimal number (Threads). */
int	sandbox_status_hex(const char *key, uint64_t *val);
int	sandbox_status_ulong(const char *key, unsigned long *val);

#endif
