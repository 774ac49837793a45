/*
 * staticpodd-fetcher: the unprivileged half, started by staticpodd. It is
 * the only program that links the YAML and JSON parsers (and libcurl).
 *
 *   --role first   parse the configuration (fd 4) and the node policy
 *                  (fd 5) and send CONFIG, then serve the directory if
 *                  told to
 *   --role dir     serve the manifest directory
 *   --role url     poll the manifest URL
 *   validate ...   `staticpodd validate`
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fetcher.h"
#include "log.h"

static void
send_config(int sock, const char *config_name, const char *policy_name)
{
	struct decoded_doc	doc, pdoc;
	Spw__Config		c;
	Spw__Wire		w = SPW__WIRE__INIT;

	memset(&doc, 0, sizeof(doc));
	memset(&pdoc, 0, sizeof(pdoc));
	spw__config__init(&c);
	if (config_name != NULL && config_read(FETCHER_CONFIG_FD, config_name,
	    &doc, &c) == -1)
		_exit(2);	/* the errors are printed; the agent exits 2 */
	if (config_name != NULL)
		close(FETCHER_CONFIG_FD);
	if (policy_name != NULL && (c.policy = (Spp__NodePolicy *)
	    policy_file_read(FETCHER_POLICY_FD, policy_name, &pdoc)) == NULL)
		_exit(2);
	if (policy_name != NULL)
		close(FETCHER_POLICY_FD);
	w.config = &c;
	chan_send(sock, &w, SPW__WIRE__BODY_CONFIG);
	c.policy = NULL;
	config_free(&c);
	decoded_doc_free(&doc);
	decoded_doc_free(&pdoc);
}

static int
serve(const char *role, const char *config_name, const char *policy_name)
{
	struct wire_rx	rx;
	struct wire_msg	m;
	const Spw__Role	*r;
	struct url_source *u;
	struct url_needs needs;
	int		sock = FETCHER_SOCK_FD;

	wire_rx_init(&rx);
	if (strcmp(role, "url") != 0)
		fetcher_lockdown(NULL, 0);
	if (strcmp(role, "first") == 0)
		send_config(sock, config_name, policy_name);
	else if (strcmp(role, "dir") != 0 && strcmp(role, "url") != 0)
		fatalx("unknown role %s", role);
	chan_expect(sock, &rx, &m, SPW__WIRE__BODY_ROLE, 2);
	r = m.w->role;
	if (r->config == NULL || r->nodename == NULL)
		fatalx("from the runtime: a role without settings");
	switch (r->kind) {
	case SPW__ROLE__KIND__NONE:
		wire_msg_free(&m);
		return 0;
	case SPW__ROLE__KIND__DIR:
		if (strcmp(role, "url") == 0 || r->config->staticpodpath == NULL)
			fatalx("from the runtime: a directory role for a %s "
			    "fetcher", role);
		dir_run(sock, &rx, r, m.nfds == 2 ? m.fds[0] : -1,
		    m.nfds == 2 ? m.fds[1] : -1);
		break;
	case SPW__ROLE__KIND__URL:
		if (strcmp(role, "url") != 0 || m.nfds != 0)
			fatalx("from the runtime: a URL role for a %s fetcher",
			    role);
		u = url_setup(sock, &rx, r);
		url_sandbox_needs(u, &needs);
		fetcher_lockdown(&needs, r->config->requirelandlock);
		url_run(u);
	default:
		fatalx("from the runtime: role %d is not served by this build",
		    (int)r->kind);
	}
	return 1;
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * Sanitizer builds only: LeakSanitizer's check at exit needs ptrace,
 * which every sandbox here forbids, so these processes do without it
 * (the unit tests, unsandboxed, keep it).
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "config-name", required_argument, NULL, 'c' },
		{ "policy-name", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*role = NULL, *config_name = NULL, *policy_name = NULL;
	int		 ch, verbose = 0;

	log_init("staticpodd-fetcher", 0);
	if (argc >= 2 && strcmp(argv[1], "validate") == 0) {
		log_init("staticpodd", 0);
		return validate_main(argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "status") == 0) {
		log_init("staticpodd", 0);
		return status_main(argc - 1, argv + 1);
	}
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			role = optarg;
			break;
		case 'c':
			config_name = optarg;
			break;
		case 'p':
			policy_name = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			return 2;
		}
	}
	if (role == NULL) {
		fprintf(stderr, "staticpodd-fetcher is started by staticpodd; "
		    "see staticpodd --help\n");
		return 2;
	}
	log_init("staticpodd-fetcher", verbose);
	return serve(role, config_name, policy_name);
}
