/*
 * Pick-up latency of the directory source: from rename() of a manifest
 * into the watched directory to the pod being in the runtime's desired
 * set. The real staticpodd-fetcher runs as it does under the agent
 * (unprivileged, sandboxed, reading through the broker); this program is
 * the runtime side, running the real monitor and broker. Then the CPU
 * time both sides use over an idle period. A benchmark, not a test: it
 * prints medians and p99, and the machine is noisy.
 *
 * usage: bench_pickup FETCHER_DIR [FILES [IDLE_SECONDS]]
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static bool
desired_has(const struct agent *a, const char *key)
{
	size_t i;

	for (i = 0; i < a->desired.n; i++)
		if (strcmp(a->desired.pods[i].key, key) == 0)
			return true;
	return false;
}

static void
serve_until(struct agent *a, struct channel *c, const char *key,
    int64_t deadline_us)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	while (!desired_has(a, key) && mono_us() < deadline_us) {
		if (poll(&pfd, 1, 100) > 0)
			monitor_read(a, c);
	}
}

static double
cpu_seconds(pid_t pid)
{
	char	path[64], buf[1024], *p;
	long	utime, stime;
	FILE	*fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), fp) == NULL) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	p = strrchr(buf, ')') + 2;
	if (sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld",
	    &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct agent	 a;
	struct channel	*c;
	struct flags	 f;
	Spw__Wire	 w = SPW__WIRE__INIT;
	Spw__Role	 r = SPW__ROLE__INIT;
	char		 dir[] = "/tmp/spd-bench-XXXXXX", mdir[64], path[128];
	char		 tmp[128], key[32], text[512], *fake[] = { "bench", NULL };
	int64_t		*lat, t0, idle_end;
	double		 c0f, c0s, c1f, c1s;
	int		 nfiles = argc > 2 ? atoi(argv[2]) : 200;
	int		 idle = argc > 3 ? atoi(argv[3]) : 60, i, fd, fds[2];

	if (argc < 2 || geteuid() != 0) {
		fprintf(stderr, "usage (as root): bench_pickup FETCHER_DIR "
		    "[FILES [IDLE_SECONDS]]\n");
		return 2;
	}
	log_init("bench", 0);
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(mdir, sizeof(mdir), "%s/m", dir);
	if (mkdir(mdir, 0700) == -1)
		return 2;
	memset(&a, 0, sizeof(a));
	a.dirfd = -1;
	flags_parse(1, fake, &f);
	f.cfg.staticpodpath = mdir;
	f.cfg.statedir = dir;
	f.cfg.nodename = "node1";
	if (config_merge(&a, NULL, &f.cfg) == -1)
		return 2;
	a.node_name = "node1";
	snprintf(a.manifest_dir, sizeof(a.manifest_dir), "%s", mdir);
	c = &a.chan[CHAN_DIR];
	c->kind = CHAN_DIR;
	c->what = "directory fetcher";
	c->state = CHAN_RUNNING;
	c->opens.burst = c->opens.tokens = 4096;
	c->opens.rate = 2000;
	c->reopens.burst = c->reopens.tokens = 3;
	c->reopens.rate = 1;
	wire_rx_init(&c->rx);
	snprintf(path, sizeof(path), "%s/staticpodd-fetcher", argv[1]);
	if ((a.fetcher_exe = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("%s", path);
	proc_resolve_user(NULL, &a.fetcher_uid, &a.fetcher_gid);
	c->pid = proc_spawn_fetcher(a.fetcher_exe, a.fetcher_uid,
	    a.fetcher_gid, "dir", &c->fd, -1, NULL, -1, NULL, 0);
	if (broker_open_dir(&a, &fds[0], &fds[1], text, sizeof(text)) == -1)
		fatalx("%s", text);
	r.has_kind = 1;
	r.kind = SPW__ROLE__KIND__DIR;
	r.config = &a.cfg;
	r.nodename = "node1";
	w.body_case = SPW__WIRE__BODY_ROLE;
	w.role = &r;
	if (wire_send(c->fd, &w, fds, 2, 1000) == -1)
		fatal("send role");
	serve_until(&a, c, "no-such-key", mono_us() + 500000);
	/* the runtime side logs each pod; only the numbers are wanted */
	if ((fd = open("/dev/null", O_WRONLY)) == -1 || dup2(fd, 2) == -1)
		return 2;
	close(fd);

	if ((lat = calloc((size_t)nfiles, sizeof(*lat))) == NULL)
		return 2;
	for (i = 0; i < nfiles; i++) {
		snprintf(key, sizeof(key), "p%d.yaml", i);
		snprintf(tmp, sizeof(tmp), "%s/.tmp", dir);
		snprintf(path, sizeof(path), "%s/%s", mdir, key);
		snprintf(text, sizeof(text), "apiVersion: v1\nkind: Pod\n"
		    "metadata:\n  name: p%d\n  labels: {app: bench}\nspec:\n"
		    "  containers:\n  - name: c\n    image: busybox:1.36\n"
		    "    command: [sleep, \"3600\"]\n", i);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1 || write(fd, text, strlen(text)) == -1 || close(fd) == -1)
			return 2;
		t0 = mono_us();
		if (rename(tmp, path) == -1)
			return 2;
		serve_until(&a, c, key, t0 + 5000000);
		lat[i] = mono_us() - t0;
		usleep(2000);	/* an idle machine between files */
	}
	qsort(lat, (size_t)nfiles, sizeof(*lat), cmp64);
	printf("pick-up latency, rename to desired, %d files: median %.2f ms, "
	    "p99 %.2f ms, max %.2f ms\n", nfiles, lat[nfiles / 2] / 1000.0,
	    lat[(nfiles * 99) / 100 - (nfiles >= 100 ? 1 : 0)] / 1000.0,
	    lat[nfiles - 1] / 1000.0);

	c0f = cpu_seconds(c->pid);
	c0s = self_cpu();
	idle_end = mono_us() + (int64_t)idle * 1000000;
	serve_until(&a, c, "no-such-key", idle_end);
	c1f = cpu_seconds(c->pid);
	c1s = self_cpu();
	printf("idle %d s with %d manifests, re-list every %lld ms: fetcher "
	    "CPU %.3f s (%.3f%%), runtime side CPU %.3f s (%.3f%%)\n", idle,
	    nfiles, (long long)a.cfg.filecheckfrequencyms, c1f - c0f,
	    100.0 * (c1f - c0f) / idle, c1s - c0s, 100.0 * (c1s - c0s) / idle);
	snprintf(text, sizeof(text), "rm -rf '%s'", dir);
	if (system(text) != 0)
		return 1;
	return 0;
}
