/*
 * staticpodd-fetcher: the unprivileged half. Reads untrusted manifests,
 * parses them and hands canonical pods on. Private to fetcher/.
 */
#ifndef STATICPODD_FETCHER_H
#define STATICPODD_FETCHER_H

#include <stdio.h>

#include "parser.h"

enum output_format { OUT_NAME, OUT_JSON, OUT_YAML, OUT_NONE };

struct validated {
	const char		*file;
	const char		*source_kind;	/* "file" or "http" */
	const struct parsed_pod	*pp;
};

/* output.c */
int	output_pods(FILE *, enum output_format, const struct validated *,
	    size_t);
int	output_format_parse(const char *, enum output_format *);

/* validate.c */
int	validate_main(int argc, char **argv);

/* status_cmd.c */
int	status_main(int argc, char **argv);

/* chan.c */
#include "wire.h"
#define FETCHER_SOCK_FD		3
#define FETCHER_CONFIG_FD	4
void	chan_send(int, Spw__Wire *, Spw__Wire__BodyCase);
void	chan_recv(int, struct wire_rx *, struct wire_msg *);
void	chan_expect(int, struct wire_rx *, struct wire_msg *,
	    Spw__Wire__BodyCase, size_t max_fds);

/* config.c */
int	duration_parse_ms(const char *, int64_t *);
int	config_read(int fd, const char *file, struct decoded_doc *,
	    Spw__Config *);
void	config_free(Spw__Config *);

/* policy_file.c */
#include "policy.h"
#define FETCHER_POLICY_FD	5
const Spp__NodePolicy *policy_file_read(int, const char *,
	    struct decoded_doc *);
const Spp__NodePolicy *policy_file_open(const char *, struct decoded_doc *);

/* source_dir.c */
struct dir_source;
void	dir_run(int sock, struct wire_rx *, const Spw__Role *, int dirfd,
	    int inofd);

/* source_url.c */
struct url_source;
/* What the URL fetcher's sandbox must leave it (Landlock). */
struct url_needs {
	uint16_t	 ports[2];	/* TCP ports: the manifest's, the
					   signature's */
	size_t		 nports;
	const char	*ca_file;	/* read on each new connection; NULL:
					   the system's CAs */
};
/*
 * Everything libcurl, OpenSSL and the resolver load is loaded here: the
 * sandbox goes between url_setup and url_run, which never returns.
 */
struct url_source *url_setup(int sock, struct wire_rx *, const Spw__Role *);
void	url_sandbox_needs(const struct url_source *, struct url_needs *);

/* lockdown.c: url NULL for the first and directory fetchers */
void	fetcher_lockdown(const struct url_needs *url, int require_landlock);
void	url_run(struct url_source *) __attribute__((noreturn));

/* minisign.c: detached signatures of the URL's body */
struct evp_pkey_st;
struct minisign_key {
	uint8_t			 id[8];
	struct evp_pkey_st	*pkey;
};
int	minisign_key_parse(const char *, struct minisign_key *, char *err,
	    size_t);
void	minisign_key_free(struct minisign_key *);
void	minisign_warm(const struct minisign_key *);
/* 0 when sig (a .minisig file) signs body with key; -1 and why */
int	minisign_verify(const struct minisign_key *, const uint8_t *body,
	    size_t, const uint8_t *sig, size_t, char *err, size_t);

#endif
