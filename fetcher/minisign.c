/*
 * Detached minisign signatures (https://jedisct1.github.io/minisign/), so
 * an operator signs manifests with a packaged tool (`minisign -S`) and
 * configures the public key line of its .pub file. Verified with
 * libcrypto's Ed25519 before the body reaches the YAML/JSON parser.
 *
 * A public key is base64 of "Ed" || key id (8) || key (32). A .minisig
 * file has four lines:
 *
 *	untrusted comment: <free text, not signed>
 *	base64 of algorithm (2) || key id (8) || signature (64)
 *	trusted comment: <text>
 *	base64 of the global signature (64)
 *
 * The algorithm is "Ed" (legacy: the signature is over the body) or "ED"
 * (prehashed, minisign's default since 0.11: over BLAKE2b-512 of the
 * body). The global signature is over signature || trusted comment, so
 * the trusted comment cannot be swapped; it is verified too, as minisign
 * itself does, although nothing here reads the comment.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "fetcher.h"

#define MS_ALG_LEN		2
#define MS_KEYID_LEN		8
#define MS_PK_LEN		32
#define MS_SIG_LEN		64
#define MS_PUBKEY_BYTES		(MS_ALG_LEN + MS_KEYID_LEN + MS_PK_LEN)
#define MS_SIG_BYTES		(MS_ALG_LEN + MS_KEYID_LEN + MS_SIG_LEN)
#define MS_B64_MAX		128	/* the longest line: 100 characters */
#define MS_TRUSTED_MAX		8192	/* minisign's TRUSTEDCOMMENTMAXBYTES */
#define MS_LINES		4
#define MS_UNTRUSTED_PREFIX	"untrusted comment: "
#define MS_TRUSTED_PREFIX	"trusted comment: "
#define MS_BLAKE2B_LEN		64

static int
fail(char *err, size_t len, const char *msg)
{
	snprintf(err, len, "%s", msg);
	return -1;
}

/*
 * Strict base64 of exactly want bytes: the alphabet, padding only at the
 * end, nothing else. EVP_DecodeBlock alone skips blanks and ignores what
 * padding means, so the text is checked first.
 */
static int
b64_exact(const char *s, size_t n, uint8_t *out, size_t want)
{
	uint8_t	buf[MS_B64_MAX];
	size_t	i, pad = 0;
	int	got;

	if (n == 0 || n % 4 != 0 || n > MS_B64_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (pad > 0 || (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/'))
			return -1;
	}
	if ((got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n)) < 0
	    || (size_t)got - pad != want)
		return -1;
	memcpy(out, buf, want);
	return 0;
}

/* minisign prints a key id as the little-endian number, in hex. */
static void
keyid_str(const uint8_t id[MS_KEYID_LEN], char out[2 * MS_KEYID_LEN + 1])
{
	uint64_t	v = 0;
	int		i;

	for (i = MS_KEYID_LEN - 1; i >= 0; i--)
		v = v << 8 | id[i];
	snprintf(out, 2 * MS_KEYID_LEN + 1, "%016" PRIX64, v);
}

int
minisign_key_parse(const char *text, struct minisign_key *k, char *err,
    size_t errlen)
{
	uint8_t		raw[MS_PUBKEY_BYTES];
	const char	*end;

	memset(k, 0, sizeof(*k));
	while (isspace((unsigned char)*text))
		text++;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		end--;
	if (b64_exact(text, (size_t)(end - text), raw, sizeof(raw)) == -1 ||
	    memcmp(raw, "Ed", MS_ALG_LEN) != 0)
		return fail(err, errlen, "not a minisign public key (the "
		    "second line of the .pub file that minisign -G wrote)");
	memcpy(k->id, raw + MS_ALG_LEN, MS_KEYID_LEN);
	if ((k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    raw + MS_ALG_LEN + MS_KEYID_LEN, MS_PK_LEN)) == NULL)
		return fail(err, errlen, "the public key is not an Ed25519 "
		    "key");
	return 0;
}

void
minisign_key_free(struct minisign_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}

/* 1: good; 0: does not verify; -1: libcrypto failed. */
static int
ed25519_verify(EVP_PKEY *pk, const uint8_t sig[MS_SIG_LEN],
    const uint8_t *msg, size_t len)
{
	EVP_MD_CTX	*ctx;
	int		 rc;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) != 1) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	rc = EVP_DigestVerify(ctx, sig, MS_SIG_LEN, msg, len);
	EVP_MD_CTX_free(ctx);
	return rc == 1 ? 1 : 0;
}

/* Loads what verifying needs, so the sandbox never sees a first use. */
void
minisign_warm(const struct minisign_key *k)
{
	uint8_t		sig[MS_SIG_LEN] = { 0 }, md[MS_BLAKE2B_LEN];
	unsigned int	mdlen;

	(void)ed25519_verify(k->pkey, sig, sig, sizeof(sig));
	(void)EVP_Digest(sig, sizeof(sig), md, &mdlen, EVP_blake2b512(), NULL);
}

/* Splits the file into its lines, without their CR LF or LF. */
static int
split_lines(const uint8_t *buf, size_t len, const char *line[MS_LINES],
    size_t linelen[MS_LINES])
{
	const uint8_t	*p = buf, *end = buf + len, *nl;
	size_t		 n = 0, l;

	if (memchr(buf, '\0', len) != NULL)
		return -1;
	while (p < end && n < MS_LINES) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		l = (size_t)(nl - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		line[n] = (const char *)p;
		linelen[n++] = l;
		p = nl < end ? nl + 1 : end;
	}
	/* whatever follows the four lines may only be blank */
	for (; p < end; p++)
		if (!isspace(*p))
			return -1;
	return n == MS_LINES ? 0 : -1;
}

static bool
has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

int
minisign_verify(const struct minisign_key *k, const uint8_t *body,
    size_t len, const uint8_t *file, size_t filelen, char *err,
    size_t errlen)
{
	const char	*line[MS_LINES];
	size_t		 linelen[MS_LINES], tclen;
	uint8_t		 sig[MS_SIG_BYTES], global[MS_SIG_LEN];
	uint8_t		 md[MS_BLAKE2B_LEN], signed_tc[MS_SIG_LEN +
			    MS_TRUSTED_MAX];
	unsigned int	 mdlen;
	char		 got[2 * MS_KEYID_LEN + 1], want[2 * MS_KEYID_LEN + 1];
	const uint8_t	*msg = body;
	size_t		 msglen = len;
	int		 rc;

	if (split_lines(file, filelen, line, linelen) == -1 ||
	    !has_prefix(line[0], linelen[0], MS_UNTRUSTED_PREFIX) ||
	    !has_prefix(line[2], linelen[2], MS_TRUSTED_PREFIX))
		return fail(err, errlen, "not a minisign signature file (four "
		    "lines: untrusted comment, signature, trusted comment, "
		    "global signature)");
	if (b64_exact(line[1], linelen[1], sig, sizeof(sig)) == -1 ||
	    b64_exact(line[3], linelen[3], global, sizeof(global)) == -1)
		return fail(err, errlen, "not a minisign signature file (a "
		    "signature line is not base64 of the expected length)");
	if (memcmp(sig, "ED", MS_ALG_LEN) == 0) {
		if (EVP_Digest(body, len, md, &mdlen, EVP_blake2b512(),
		    NULL) != 1 || mdlen != sizeof(md))
			return fail(err, errlen, "BLAKE2b-512 failed");
		msg = md;
		msglen = sizeof(md);
	} else if (memcmp(sig, "Ed", MS_ALG_LEN) != 0)
		return fail(err, errlen, "unknown signature algorithm (Ed or "
		    "ED is expected)");
	if (memcmp(sig + MS_ALG_LEN, k->id, MS_KEYID_LEN) != 0) {
		keyid_str(sig + MS_ALG_LEN, got);
		keyid_str(k->id, want);
		snprintf(err, errlen, "signed by key %s, not by the configured "
		    "key %s", got, want);
		return -1;
	}
	if ((rc = ed25519_verify(k->pkey, sig + MS_ALG_LEN + MS_KEYID_LEN,
	    msg, msglen)) != 1)
		return fail(err, errlen, rc == 0 ? "the signature does not "
		    "match the body" : "Ed25519 verification failed");
	tclen = linelen[2] - strlen(MS_TRUSTED_PREFIX);
	if (tclen > MS_TRUSTED_MAX)
		return fail(err, errlen, "the trusted comment is too long");
	memcpy(signed_tc, sig + MS_ALG_LEN + MS_KEYID_LEN, MS_SIG_LEN);
	memcpy(signed_tc + MS_SIG_LEN, line[2] + strlen(MS_TRUSTED_PREFIX),
	    tclen);
	if ((rc = ed25519_verify(k->pkey, global, signed_tc, MS_SIG_LEN +
	    tclen)) != 1)
		return fail(err, errlen, rc == 0 ? "the global signature (over "
		    "the trusted comment) does not verify" :
		    "Ed25519 verification failed");
	return 0;
}
