/*
 * The URL source's signature check (fetcher/minisign.c) against files
 * minisign 0.11 wrote (tests/data/minisign/: its key's public line, a body,
 * a prehashed, a legacy and another key's signature of it), and against
 * each of them spoiled in one place. No root, no network.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetcher.h"

#define FILE_MAX	4096
#define ERR_MAX		256

struct buf {
	uint8_t	b[FILE_MAX];
	size_t	len;
};

struct tally {
	int	n;
	int	failed;
};

static void
load(const char *dir, const char *name, struct buf *out)
{
	char	path[1024];
	ssize_t	r;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY)) == -1 ||
	    (r = read(fd, out->b, sizeof(out->b) - 1)) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
	out->len = (size_t)r;
	out->b[out->len] = '\0';
}

static void
check(struct tally *t, const char *name, bool ok, const char *got)
{
	t->n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", t->n, name);
	if (!ok) {
		printf("# got: %s\n", got);
		t->failed++;
	}
}

/* Verifies sig over body and compares the outcome with want (NULL: good). */
static void
expect(struct tally *t, const char *name, const struct minisign_key *k,
    const struct buf *body, const struct buf *sig, const char *want)
{
	char	err[ERR_MAX] = "";
	int	rc;

	rc = minisign_verify(k, body->b, body->len, sig->b, sig->len, err,
	    sizeof(err));
	if (want == NULL)
		check(t, name, rc == 0, err);
	else
		check(t, name, rc == -1 &&
		    strncmp(err, want, strlen(want)) == 0,
		    rc == 0 ? "(verified)" : err);
}

/* Replaces the first occurrence of from in b with to (same length). */
static void
spoil(struct buf *b, const char *from, const char *to)
{
	char *p;

	if ((p = strstr((char *)b->b, from)) == NULL ||
	    strlen(from) != strlen(to)) {
		fprintf(stderr, "fixture lacks \"%s\"\n", from);
		exit(1);
	}
	memcpy(p, to, strlen(to));
}

int
main(int argc, char **argv)
{
	struct tally		t = { 0, 0 };
	struct minisign_key	k, bad;
	struct buf		pub, body, pre, legacy, other, s;
	char			err[ERR_MAX] = "";
	const char		*dir;
	size_t			i, lines;

	if (argc != 2) {
		fprintf(stderr, "usage: test_minisign DATADIR\n");
		return 2;
	}
	dir = argv[1];
	load(dir, "key.pub", &pub);
	load(dir, "body.yaml", &body);
	load(dir, "prehashed.minisig", &pre);
	load(dir, "legacy.minisig", &legacy);
	load(dir, "other-key.minisig", &other);
	if (minisign_key_parse((char *)pub.b, &k, err, sizeof(err)) == -1) {
		printf("Bail out! key.pub: %s\n", err);
		return 1;
	}
	minisign_warm(&k);

	expect(&t, "minisign_accepts_a_prehashed_signature", &k, &body, &pre,
	    NULL);
	expect(&t, "minisign_accepts_a_legacy_signature", &k, &body, &legacy,
	    NULL);
	expect(&t, "minisign_refuses_another_keys_signature", &k, &body,
	    &other, "signed by key ");

	s = body;
	spoil(&s, "busybox", "busyb0x");
	expect(&t, "minisign_refuses_a_changed_body_prehashed", &k, &s, &pre,
	    "the signature does not match the body");
	expect(&t, "minisign_refuses_a_changed_body_legacy", &k, &s, &legacy,
	    "the signature does not match the body");

	s = pre;
	spoil(&s, "trusted comment: staticpodd", "trusted comment: staticpodD");
	expect(&t, "minisign_refuses_a_changed_trusted_comment", &k, &body, &s,
	    "the global signature (over the trusted comment) does not verify");

	s = pre;
	spoil(&s, "untrusted comment: signature",
	    "untrusted comment: SIGNATURE");
	expect(&t, "minisign_ignores_the_untrusted_comment", &k, &body, &s,
	    NULL);

	/* the signature line: "ED" -> "Ed" is RUQ -> RWQ in base64 */
	s = pre;
	spoil(&s, "\nRUT", "\nRWT");
	expect(&t, "minisign_refuses_a_prehashed_signature_relabelled_legacy",
	    &k, &body, &s, "the signature does not match the body");

	/* the global signature line cut: three lines */
	s = pre;
	for (i = 0, lines = 0; i < s.len && lines < 3; i++)
		lines += s.b[i] == '\n';
	s.len = i;
	s.b[s.len] = '\0';
	expect(&t, "minisign_refuses_a_file_without_the_global_signature", &k,
	    &body, &s, "not a minisign signature file");

	s = pre;
	spoil(&s, "untrusted comment:", "untrusted_comment:");
	expect(&t, "minisign_refuses_a_file_without_its_first_comment", &k,
	    &body, &s, "not a minisign signature file");

	s = pre;
	s.b[s.len] = 'x';
	s.len++;
	expect(&t, "minisign_refuses_text_after_the_four_lines", &k, &body, &s,
	    "not a minisign signature file");

	s = pre;
	spoil(&s, "\nRUT", "\nR*T");
	expect(&t, "minisign_refuses_a_signature_line_that_is_not_base64", &k,
	    &body, &s, "not a minisign signature file");

	check(&t, "minisign_refuses_a_public_key_of_the_wrong_length",
	    minisign_key_parse("RWQhXZppM6TH3QB88xpG7tzkyiKbnSV4hFm", &bad, err,
	    sizeof(err)) == -1, "parsed");
	check(&t, "minisign_refuses_a_public_key_with_padding_inside",
	    minisign_key_parse("RWQh=ZppM6TH3QB88xpG7tzkyiKbnSV4hFm/J/Bs0GFLn7F"
	    "Tc2c7YQSQ", &bad, err, sizeof(err)) == -1, "parsed");
	check(&t, "minisign_reads_a_public_key_with_surrounding_blanks",
	    minisign_key_parse(" RWQhXZppM6TH3QB88xpG7tzkyiKbnSV4hFm/J/Bs0G"
	    "FLn7FTc2c7YQSQ\n", &bad, err, sizeof(err)) == 0, err);
	minisign_key_free(&bad);
	minisign_key_free(&k);
	printf("1..%d\n", t.n);
	return t.failed > 0;
}
