/*
 * Starting a fetcher: a SOCK_SEQPACKET socketpair, fork, and in the child
 * everything that must happen while it still can: groups, uid and gid
 * changed and verified, bounding set cleared, no_new_privs, a fixed
 * environment, then execveat of the binary root opened (so a checkout in a
 * 0700 directory works). The fetcher gets a fresh address space, as
 * OpenSSH's sshd-auth does.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "sandbox.h"

#ifndef FETCHER_PATH
#define FETCHER_PATH "/usr/libexec/staticpodd/staticpodd-fetcher"
#endif
#define FETCHER_NAME	"staticpodd-fetcher"
#define CHILD_SOCK_FD	3
#define CHILD_CONFIG_FD	4
#define CHILD_POLICY_FD	5

/*
 * Refuses a file that is not root's or that others may write, as sshd's
 * StrictModes does: whoever can edit it controls the agent.
 */
int
proc_strict_open(const char *path, const char *what)
{
	struct stat	st;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		log_warn("%s %s", what, path);
		return -1;
	}
	if (fstat(fd, &st) == -1)
		fatal("fstat %s", path);
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s %s: not a regular file", what, path);
		goto bad;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("%s %s: owned by uid %u with mode %04o; it must be "
		    "owned by root and not group- or world-writable", what,
		    path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		goto bad;
	}
	return fd;
bad:
	close(fd);
	return -1;
}

/* The fetcher beside this binary (a build tree), else the installed one. */
int
proc_open_fetcher(void)
{
	char	self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t	n;
	int	fd;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dirname(self),
		    FETCHER_NAME);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1)
			return fd;
	}
	if ((fd = open(FETCHER_PATH, O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("%s", FETCHER_PATH);
	return fd;
}

struct user_answer {
	int	found;
	uid_t	uid;
	gid_t	gid;
};

/*
 * getpwnam in a child that exits at once: NSS loads its modules into the
 * process that asks and never unloads them (here libnss_systemd, and with
 * it libcap and libm: 0.7 MB resident for the life of the runtime, which
 * must stay under 6 MiB). The answer comes back through a pipe.
 */
static int
lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct user_answer	 ans;
	struct passwd		*pw;
	pid_t			 pid;
	ssize_t			 n;
	int			 p[2], status;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe2");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(p[0]);
		memset(&ans, 0, sizeof(ans));
		if ((pw = getpwnam(name)) != NULL) {
			ans.found = 1;
			ans.uid = pw->pw_uid;
			ans.gid = pw->pw_gid;
		}
		_exit(write(p[1], &ans, sizeof(ans)) == sizeof(ans) ? 0 : 1);
	}
	close(p[1]);
	do
		n = read(p[0], &ans, sizeof(ans));
	while (n == -1 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	if (n != (ssize_t)sizeof(ans) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fatalx("looking up user %s failed", name);
	if (!ans.found)
		return -1;
	*uid = ans.uid;
	*gid = ans.gid;
	return 0;
}

void
proc_resolve_user(const char *name, uid_t *uid, gid_t *gid)
{
	int found;

	if (name == NULL) {
		name = AGENT_DEFAULT_USER;
		if ((found = lookup_user(name, uid, gid)) == -1) {
			log_warnx("no user %s; running fetchers as %s (create "
			    "it with the sysusers.d entry in contrib/)",
			    AGENT_DEFAULT_USER, AGENT_FALLBACK_USER);
			name = AGENT_FALLBACK_USER;
			found = lookup_user(name, uid, gid);
		}
	} else
		found = lookup_user(name, uid, gid);
	if (found == -1)
		fatalx("no user %s", name);
	if (*uid == 0 || *gid == 0)
		fatalx("user %s has uid or gid 0; fetchers must not run as "
		    "root", name);
}

/* Names passed through to the fetcher; nothing else (no proxies, no key logs). */
static const char *const env_allowed[] = {
	"TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
	"JOURNAL_STREAM",	/* its stderr is the journal's too */
	NULL,
};

static char **
child_env(char **env)
{
	size_t		 n = 0, i;
	char		*v;

	env[n++] = "PATH=/usr/bin:/bin";
	for (i = 0; env_allowed[i] != NULL; i++) {
		if ((v = getenv(env_allowed[i])) == NULL)
			continue;
		if (asprintf(&env[n], "%s=%s", env_allowed[i], v) == -1)
			_exit(126);
		n++;
	}
	env[n] = NULL;
	return env;
}

#define CHILD_FD_HIGH	100	/* parked here while 3 and 4 are set up */

static void __attribute__((noreturn))
child(pid_t parent, int exe_fd, uid_t uid, gid_t gid, const char *role,
    int sock,
    int config_fd, const char *config_name, int policy_fd,
    const char *policy_name, int verbose)
{
	char	*argv[10], *env[8];
	int	 exe, s, c = -1, p = -1, top, n = 0;

	/* park everything above the fds the fetcher expects, then place */
	if ((exe = fcntl(exe_fd, F_DUPFD_CLOEXEC, CHILD_FD_HIGH)) == -1 ||
	    (s = fcntl(sock, F_DUPFD_CLOEXEC, CHILD_FD_HIGH)) == -1 ||
	    (config_fd != -1 &&
	    (c = fcntl(config_fd, F_DUPFD_CLOEXEC, CHILD_FD_HIGH)) == -1) ||
	    (policy_fd != -1 &&
	    (p = fcntl(policy_fd, F_DUPFD_CLOEXEC, CHILD_FD_HIGH)) == -1))
		_exit(126);
	if (dup2(s, CHILD_SOCK_FD) == -1 ||
	    (c != -1 && dup2(c, CHILD_CONFIG_FD) == -1) ||
	    (p != -1 && dup2(p, CHILD_POLICY_FD) == -1))
		_exit(126);
	if (c == -1 && p != -1)
		(void)close(CHILD_CONFIG_FD);	/* whatever was there */
	top = p != -1 ? CHILD_POLICY_FD : c != -1 ? CHILD_CONFIG_FD :
	    CHILD_SOCK_FD;
	/* all but 0-2, the fetcher's fds and our exe fd (closed at exec) */
	if (syscall(SYS_close_range, top + 1, exe - 1, 0) == -1 ||
	    syscall(SYS_close_range, exe + 1, ~0U, 0) == -1)
		_exit(126);
	sandbox_drop_to_user(uid, gid);
	/*
	 * After the uid change, which clears it: the fetcher dies with the
	 * runtime even where its channel would not tell it (a parent that
	 * died before this line is caught by the ppid check).
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(126);
	argv[n++] = FETCHER_NAME;
	argv[n++] = "--role";
	argv[n++] = (char *)role;
	if (config_fd != -1) {
		argv[n++] = "--config-name";
		argv[n++] = (char *)config_name;
	}
	if (policy_fd != -1) {
		argv[n++] = "--policy-name";
		argv[n++] = (char *)policy_name;
	}
	if (verbose)
		argv[n++] = "-v";
	argv[n] = NULL;
	syscall(SYS_execveat, exe, "", argv, child_env(env), AT_EMPTY_PATH);
	dprintf(STDERR_FILENO, "staticpodd: execute fetcher: %s\n",
	    strerror(errno));
	_exit(126);
}

pid_t
proc_spawn_fetcher(int exe_fd, uid_t uid, gid_t gid, const char *role,
    int *sock, int config_fd, const char *config_name, int policy_fd,
    const char *policy_name, int verbose)
{
	int	sp[2];
	pid_t	pid, parent;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	parent = getpid();
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sp[0]);
		child(parent, exe_fd, uid, gid, role, sp[1], config_fd, config_name,
		    policy_fd, policy_name, verbose);
	}
	close(sp[1]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	*sock = sp[0];
	return pid;
}
