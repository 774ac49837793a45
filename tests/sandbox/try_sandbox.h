/*
 * try_sandbox: what the case runner (try_sandbox.c), the operations a
 * sandboxed child tries (ops.c) and the local HTTPS server (tls_server.c)
 * share.
 */
#ifndef STATICPODD_TRY_SANDBOX_H
#define STATICPODD_TRY_SANDBOX_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#define RESULT_MAX	160	/* one step's outcome, as printed */
#define BASE_MAX	64	/* /tmp/staticpodd-sandbox-XXXXXX */
#define FETCHER_UID	65534	/* nobody: a user the files do not favour */
#define FETCHER_GID	65534
#define HTTPS_BODY	"staticpodd sandbox test\n"
#define POD_UID		1000	/* a container's user */
#define POD_FSGROUP	2000	/* a pod's fsGroup: no group of root's */
#define HTTPS_HOST	"manifests.staticpodd.test"	/* in a private
							   /etc/hosts */

enum op {
	OP_NOP,			/* nothing: the sandbox itself is the test */
	OP_OPEN_READ,		/* arg: an absolute path */
	OP_CREATE,		/* arg: a path under the case's directory */
	OP_EXECVE,		/* arg: a program; the last step */
	OP_PTRACE,		/* PTRACE_TRACEME */
	OP_SOCKET,		/* num: the address family */
	OP_CLONE3,
	OP_FORK,
	OP_THREAD,
	OP_GETADDRINFO,		/* arg: a host name */
	OP_HTTPS,		/* arg: a host name; the local server */
	OP_CONNECT_TCP,		/* a local listener no rule names */
	OP_PAUSE,		/* the runner reads /proc/PID/status */
	OP_STATE_WRITE,		/* the runtime's state-file dance */
	OP_BROKER,		/* the runtime's broker calls, end to end */
	OP_CRI_SEND_FD,		/* connect to the CRI socket, pass an fd */
	OP_RECV_PARSE,		/* receive a memfd, parse the manifest */
	OP_SORT_LISTING,	/* qsort a directory's worth of names */
	OP_NODE_RESOURCES,	/* sysconf: CPUs and memory, as env.c */
	OP_FSGROUP,		/* an emptyDir given the pod's group, setgid */
	OP_EMPTY_VOLUME,	/* remove a volume another user filled */
	OP_MKDIR,		/* arg: a directory under the case's, made
				   and removed */
};

/* What the runner prepared for one case; the child inherits it. */
struct env {
	char	 base[BASE_MAX];	/* the case's directory, 0755 */
	char	 ca[PATH_MAX];		/* the HTTPS server's certificate */
	char	 hosts[PATH_MAX];	/* a hosts file naming HTTPS_HOST */
	int	 https_port;
	pid_t	 https_pid;
	int	 tcp_port;		/* a listener no Landlock rule names */
	int	 tcp_fd;
	int	 cri_fd;		/* listening at base/run/cri.sock */
	int	 chan[2];		/* [1]: the fetcher's end */
};

/* ops.c: run one step in the child; the outcome in res. */
void	op_run(enum op, const char *arg, int num, const struct env *,
	    char *res, size_t len);
void	op_errno(char *res, size_t len, int err);

/* tls_server.c: a certificate for HTTPS_HOST, and a server using it. */
int	tls_server_start(struct env *);
void	tls_server_stop(struct env *);

#endif
