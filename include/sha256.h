/*
 * sha256: SHA-256 (FIPS 180-4), streaming. Used by the runtime for manifest
 * digests, pod UIDs and container hashes, so that the privileged process
 * maps no libcrypto. Holds no secrets and needs no constant time.
 */
#ifndef STATICPODD_SHA256_H
#define STATICPODD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32
#define SHA256_BLOCK	64

struct sha256 {
	uint32_t	h[8];
	uint64_t	bytes;			/* hashed so far */
	uint8_t		buf[SHA256_BLOCK];	/* a partial block */
	size_t		nbuf;
};

void	sha256_init(struct sha256 *);
void	sha256_update(struct sha256 *, const void *, size_t);
void	sha256_final(struct sha256 *, uint8_t out[SHA256_LEN]);
/* The three in one, for a buffer held whole. */
void	sha256_digest(const void *, size_t, uint8_t out[SHA256_LEN]);

#endif
