/*
 * The fetcher's sandbox, applied before it reads anything untrusted: the
 * first and directory fetchers at start (the configuration they parse is
 * trusted, but parsed here so a parser bug is contained too), the URL
 * fetcher once libcurl, OpenSSL and the resolver are loaded.
 */
#include <stdlib.h>
#include <string.h>

#include "fetcher.h"
#include "log.h"
#include "sandbox.h"
#include "syscall_policy.h"

void
fetcher_lockdown(const struct url_needs *url, int require_landlock)
{
	struct sandbox_policy	p;
	size_t			i;
	int			abi;

	policy_fetcher_sandbox(&p, url != NULL ? POLICY_FETCHER_URL :
	    POLICY_FETCHER_DIR);
	if (require_landlock)
		p.landlock = SANDBOX_LANDLOCK_REQUIRED;
	if (url != NULL) {
		for (i = 0; i < url->nports; i++)
			sandbox_policy_add_port(&p, url->ports[i],
			    SANDBOX_NET_CONNECT);
		if (url->ca_file != NULL)
			sandbox_policy_add_path(&p, url->ca_file,
			    SANDBOX_FS_READ, 0);
	}
	abi = sandbox_apply(&p);
	log_debug("sandboxed (Landlock ABI %d)", abi);
}
