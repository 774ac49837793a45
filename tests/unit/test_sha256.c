/*
 * privsep/sha256.c, which the runtime uses instead of libcrypto, gives the
 * FIPS 180-4 answers (the NIST example vectors) and the same digest as
 * libcrypto's EVP for every length from 0 to 1100 bytes and for random
 * lengths fed in random pieces, so no block boundary or padding case is
 * left to chance. TAP.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sha256.h"

#define RANDOM_CASES	2000
#define RANDOM_MAX	(3 * 4096 + 77)

static int	n, failed;

static void
result(const char *name, bool ok)
{
	n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", n, name);
	if (!ok)
		failed++;
}

static void
hex(const uint8_t md[SHA256_LEN], char out[2 * SHA256_LEN + 1])
{
	int i;

	for (i = 0; i < SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
vector(const char *name, const char *msg, size_t repeat, const char *want)
{
	struct sha256	c;
	uint8_t		md[SHA256_LEN];
	char		got[2 * SHA256_LEN + 1];
	size_t		i;

	sha256_init(&c);
	for (i = 0; i < repeat; i++)
		sha256_update(&c, msg, strlen(msg));
	sha256_final(&c, md);
	hex(md, got);
	if (strcmp(got, want) != 0)
		printf("# got %s\n# want %s\n", got, want);
	result(name, strcmp(got, want) == 0);
}

static void
evp(const uint8_t *p, size_t len, uint8_t md[SHA256_LEN])
{
	unsigned int mdlen = 0;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != SHA256_LEN) {
		printf("Bail out! EVP_Digest\n");
		exit(1);
	}
}

/* Fed in pieces split at random points, some of them empty. */
static void
ours_in_pieces(const uint8_t *p, size_t len, uint8_t md[SHA256_LEN])
{
	struct sha256	c;
	size_t		off = 0, k;

	sha256_init(&c);
	while (off < len) {
		k = (size_t)rand() % (len - off + 1);
		if (rand() % 4 == 0 && k > 2)
			k = (size_t)rand() % 3;	/* tiny pieces too */
		sha256_update(&c, p + off, k);
		off += k;
	}
	sha256_final(&c, md);
}

static void
differential(void)
{
	uint8_t	*buf, a[SHA256_LEN], b[SHA256_LEN];
	size_t	 i, len, bad = 0;

	if ((buf = malloc(RANDOM_MAX)) == NULL) {
		printf("Bail out! malloc\n");
		exit(1);
	}
	for (i = 0; i < RANDOM_MAX; i++)
		buf[i] = (uint8_t)rand();
	for (len = 0; len <= 1100; len++) {
		sha256_digest(buf, len, a);
		evp(buf, len, b);
		if (memcmp(a, b, sizeof(a)) != 0 && bad++ < 5)
			printf("# one piece of %zu bytes differs\n", len);
	}
	result("every length from 0 to 1100 bytes in one piece matches EVP",
	    bad == 0);
	bad = 0;
	for (i = 0; i < RANDOM_CASES; i++) {
		len = (size_t)rand() % RANDOM_MAX;
		ours_in_pieces(buf, len, a);
		evp(buf, len, b);
		if (memcmp(a, b, sizeof(a)) != 0 && bad++ < 5)
			printf("# %zu bytes in pieces differ\n", len);
	}
	result("random lengths fed in random pieces match EVP", bad == 0);
	free(buf);
}

int
main(void)
{
	printf("1..7\n");
	srand(20240601);
	vector("the empty message", "", 1,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	vector("\"abc\"", "abc", 1,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	vector("the 448-bit message",
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	vector("the 896-bit message",
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	vector("one million 'a'", "aaaaaaaaaa", 100000,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	differential();
	return failed == 0 ? 0 : 1;
}
