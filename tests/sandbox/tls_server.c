/*
 * A local HTTPS server for the URL fetcher's test: a fresh self-signed
 * certificate for HTTPS_HOST (no private key in the tree), a listener on
 * 127.0.0.1, one fixed answer per connection.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "try_sandbox.h"

#define CERT_DAYS	1
#define REQUEST_MAX	4096

static X509 *
cert_make(EVP_PKEY *key)
{
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;
	X509_NAME	*name;
	X509		*x;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * CERT_DAYS) ==
	    NULL || X509_set_pubkey(x, key) != 1 ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)HTTPS_HOST, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto fail;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    "DNS:" HTTPS_HOST)) == NULL)
		goto fail;
	if (X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		goto fail;
	}
	X509_EXTENSION_free(ext);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE")) == NULL)
		goto fail;
	if (X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		goto fail;
	}
	X509_EXTENSION_free(ext);
	if (X509_sign(x, key, EVP_sha256()) == 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static void
serve_one(SSL_CTX *ctx, int c)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s";
	char	 req[REQUEST_MAX], out[512];
	size_t	 got = 0;
	SSL	*ssl;
	int	 n;

	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, c) != 1 ||
	    SSL_accept(ssl) != 1)
		goto out;
	while (got < sizeof(req) - 1) {
		if ((n = SSL_read(ssl, req + got, (int)(sizeof(req) - 1 - got)))
		    <= 0)
			goto out;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	n = snprintf(out, sizeof(out), reply, strlen(HTTPS_BODY), HTTPS_BODY);
	if (n > 0 && (size_t)n < sizeof(out))
		(void)SSL_write(ssl, out, n);
	(void)SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	close(c);
}

static void __attribute__((noreturn))
serve(SSL_CTX *ctx, int s)
{
	int	c;

	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		serve_one(ctx, c);
	}
}

int
tls_server_start(struct env *e)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	EVP_PKEY		*key = NULL;
	SSL_CTX			*ctx = NULL;
	X509			*x = NULL;
	FILE			*fp = NULL;
	int			 s = -1, ret = -1;

	snprintf(e->ca, sizeof(e->ca), "%s/ca.pem", e->base);
	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (x = cert_make(key)) == NULL) {
		log_warnx("tls server: certificate: %s",
		    ERR_reason_error_string(ERR_get_error()));
		goto out;
	}
	if ((fp = fopen(e->ca, "w")) == NULL) {
		log_warn("tls server: %s", e->ca);
		goto out;
	}
	if (PEM_write_X509(fp, x) != 1 || fclose(fp) != 0) {
		fp = NULL;
		log_warnx("tls server: cannot write %s", e->ca);
		goto out;
	}
	fp = NULL;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		log_warnx("tls server: SSL_CTX setup failed");
		goto out;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 8) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1) {
		log_warn("tls server: listen");
		goto out;
	}
	e->https_port = ntohs(sin.sin_port);
	if ((e->https_pid = fork()) == -1) {
		log_warn("tls server: fork");
		goto out;
	}
	if (e->https_pid == 0)
		serve(ctx, s);
	ret = 0;
out:
	if (fp != NULL)
		fclose(fp);
	if (s != -1)
		close(s);
	SSL_CTX_free(ctx);
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}

void
tls_server_stop(struct env *e)
{
	if (e->https_pid <= 0)
		return;
	if (kill(e->https_pid, SIGTERM) == -1)
		log_warn("tls server: kill");
	else if (waitpid(e->https_pid, NULL, 0) == -1)
		log_warn("tls server: waitpid");
	e->https_pid = 0;
}
