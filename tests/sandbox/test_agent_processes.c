/*
 * The real agent with both sources (a directory, and a URL served over
 * plain HTTP on loopback by busybox httpd with allowHTTP set), checked
 * from outside through /proc: every fetcher runs as a non-zero uid with no
 * capabilities, the runtime keeps exactly the capabilities its table
 * lists, and every process has no_new_privs and a seccomp filter. Then
 * kill -9 of any one process ends the others promptly. TAP.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "syscall_policy.h"
#include "../tap.h"

#define WAIT_MS		15000
#define EXIT_WAIT_MS	3000	/* "within a second", with room for CI */


static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
file_has(const char *path, const char *needle)
{
	char	buf[65536];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static int
wait_log(const char *log, const char *needle, int count)
{
	char	buf[262144];
	long	end = now_ms() + WAIT_MS;
	char	*p;
	int	n, fd;
	ssize_t	r;

	while (now_ms() < end) {
		if ((fd = open(log, O_RDONLY)) != -1) {
			r = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[r > 0 ? r : 0] = '\0';
			for (n = 0, p = buf; (p = strstr(p, needle)) != NULL;
			    p++)
				n++;
			if (n >= count)
				return 1;
		}
		usleep(50000);
	}
	return 0;
}

/* A line of /proc/PID/status, value only. */
static int
status_field(pid_t pid, const char *field, char *out, size_t len)
{
	char	path[64], line[512];
	FILE	*fp;
	size_t	flen = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, field, flen) != 0 || line[flen] != ':')
			continue;
		snprintf(out, len, "%s", line + flen + 1 +
		    strspn(line + flen + 1, " \t"));
		out[strcspn(out, "\n")] = '\0';
		fclose(fp);
		return 0;
	}
	fclose(fp);
	return -1;
}

static size_t
children(pid_t parent, pid_t *out, size_t max)
{
	char		 path[300], buf[512];
	struct dirent	*de;
	DIR		*d;
	size_t		 n = 0;
	long		 ppid;
	int		 fd;
	ssize_t		 r;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		if (sscanf(strrchr(buf, ')') + 2, "%*c %ld", &ppid) == 1 &&
		    ppid == parent)
			out[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return n;
}

static void
check_common(pid_t pid, const char *who)
{
	char v[128], name[128];

	snprintf(name, sizeof(name), "%s_has_no_new_privs", who);
	tap(status_field(pid, "NoNewPrivs", v, sizeof(v)) == 0 &&
	    strcmp(v, "1") == 0, name, "NoNewPrivs: %s", v);
	snprintf(name, sizeof(name), "%s_has_a_seccomp_filter", who);
	tap(status_field(pid, "Seccomp", v, sizeof(v)) == 0 &&
	    strcmp(v, "2") == 0, name, "Seccomp: %s", v);
}

static unsigned long long
runtime_caps_mask(void)
{
	unsigned long long	m = 0;
	size_t			i;

	for (i = 0; i < policy_runtime_ncaps; i++)
		m |= 1ULL << policy_runtime_caps[i];
	return m;
}

static pid_t
start(const char *staticpodd, const char *dir, const char *log)
{
	char	conf[512], mdir[512], state[512], run[512];
	pid_t	pid;
	int	fd;

	snprintf(conf, sizeof(conf), "%s/config.yaml", dir);
	snprintf(mdir, sizeof(mdir), "%s/manifests", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	if ((pid = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
		    dup2(fd, 2) == -1 || dup2(fd, 1) == -1)
			_exit(127);
		execl(staticpodd, "staticpodd", "--config", conf,
		    "--pod-manifest-path", mdir, "--state-dir", state,
		    "--run-dir", run, "--hostname-override", "node1",
		    "--container-runtime-endpoint",
		    "unix:///nonexistent/cri.sock", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int
exited_within(pid_t pid, int ms, int *status)
{
	long end = now_ms() + ms;

	while (now_ms() < end) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		usleep(10000);
	}
	return 0;
}

static int
gone_within(pid_t pid, int ms)
{
	long end = now_ms() + ms;

	while (now_ms() < end) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 1;
		usleep(10000);
	}
	return 0;
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int
main(int argc, char **argv)
{
	char			 dir[] = "/tmp/spd-procs-XXXXXX", path[512];
	char			 log[512], v[128], url[128], cmd[1024];
	pid_t			 agent, httpd, kids[8];
	size_t			 nk, i;
	int			 status, port;
	unsigned long long	 caps;

	if (argc != 2)
		return 2;
	if (geteuid() != 0) {
		printf("1..0 # SKIP the agent must start as root (CI runs as "
		    "root)\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(log, sizeof(log), "%s/agent.log", dir);
	snprintf(path, sizeof(path), "%s/manifests", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/manifests/a.yaml", dir);
	write_file(path, "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
	    "spec: {containers: [{name: c, image: busybox:1.36}]}\n", 0600);
	snprintf(path, sizeof(path), "%s/www", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/www/pods.yaml", dir);
	write_file(path, "apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: "
	    "v1\n  kind: Pod\n  metadata: {name: u}\n  spec: {containers: "
	    "[{name: c, image: busybox:1.36}]}\n", 0644);
	port = 20000 + getpid() % 20000;
	if ((httpd = fork()) == 0) {
		snprintf(path, sizeof(path), "%s/www", dir);
		snprintf(url, sizeof(url), "127.0.0.1:%d", port);
		execlp("busybox", "busybox", "httpd", "-f", "-p", url, "-h",
		    path, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	snprintf(cmd, sizeof(cmd), "apiVersion: kubelet.config.k8s.io/v1beta1"
	    "\nkind: KubeletConfiguration\nstaticPodURL: http://127.0.0.1:%d/"
	    "pods.yaml\nhttpCheckFrequency: 1s\nstaticpodd:\n  allowHTTP: "
	    "true\n", port);
	write_file(path, cmd, 0600);
	usleep(300000);

	agent = start(argv[1], dir, log);
	tap(wait_log(log, "first complete view received", 2),
	    "agent_starts_with_both_sources", "see %s", log);
	nk = children(agent, kids, 8);
	tap(nk == 2, "agent_runs_one_fetcher_per_source", "%zu children", nk);
	for (i = 0; i < nk; i++) {
		char who[32];

		snprintf(who, sizeof(who), "fetcher%zu", i);
		status_field(kids[i], "Uid", v, sizeof(v));
		tap(atoi(v) != 0, "fetcher_runs_as_a_non_zero_uid", "Uid: %s",
		    v);
		status_field(kids[i], "CapEff", v, sizeof(v));
		tap(strtoull(v, NULL, 16) == 0, "fetcher_has_no_capabilities",
		    "CapEff: %s", v);
		status_field(kids[i], "CapBnd", v, sizeof(v));
		tap(strtoull(v, NULL, 16) == 0,
		    "fetcher_bounding_set_is_empty", "CapBnd: %s", v);
		check_common(kids[i], "fetcher");
	}
	status_field(agent, "CapEff", v, sizeof(v));
	caps = strtoull(v, NULL, 16);
	tap(caps == runtime_caps_mask(),
	    "runtime_keeps_exactly_the_capabilities_its_table_lists",
	    "CapEff %s, table %llx", v, runtime_caps_mask());
	check_common(agent, "runtime");

	/* kill -9 of a fetcher: the runtime exits 3, promptly */
	if (nk > 0) {
		kill(kids[0], SIGKILL);
		tap(exited_within(agent, EXIT_WAIT_MS, &status) &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 3 &&
		    file_has(log, "was killed by signal 9"),
		    "killing_a_fetcher_ends_the_agent_with_status_3",
		    "status %d", status);
		for (i = 1; i < nk; i++)
			tap(gone_within(kids[i], EXIT_WAIT_MS),
			    "the_other_fetcher_exits_too", "pid %d",
			    (int)kids[i]);
	}

	/* kill -9 of the runtime: every fetcher exits */
	snprintf(log, sizeof(log), "%s/agent2.log", dir);
	agent = start(argv[1], dir, log);
	wait_log(log, "first complete view received", 2);
	nk = children(agent, kids, 8);
	kill(agent, SIGKILL);
	waitpid(agent, &status, 0);
	for (i = 0; i < nk; i++)
		tap(gone_within(kids[i], EXIT_WAIT_MS),
		    "killing_the_runtime_ends_every_fetcher", "pid %d",
		    (int)kids[i]);

	kill(httpd, SIGTERM);
	waitpid(httpd, NULL, 0);
	snprintf(cmd, sizeof(cmd), "%s%s/agent.log >&2; rm -rf '%s'",
	    tap_failed > 0 ? "cat " : ": ", dir, dir);
	if (system(cmd) != 0)
		tap_failed++;
	return tap_done();
}
