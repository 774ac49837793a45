/*
 * The sandbox's order of steps and the policy it is given. The steps live
 * in sandbox_caps.c, sandbox_landlock.c and sandbox_seccomp.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "sandbox_int.h"

void
sandbox_policy_init(struct sandbox_policy *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->landlock = SANDBOX_LANDLOCK_PREFERRED;
}

void
sandbox_policy_add_cap(struct sandbox_policy *p, int cap)
{
	if (p->ncaps >= SANDBOX_CAPS_MAX)
		fatalx("sandbox %s: more than %d capabilities", p->name,
		    SANDBOX_CAPS_MAX);
	p->caps[p->ncaps++] = cap;
}

void
sandbox_policy_add_path(struct sandbox_policy *p, const char *path,
    unsigned int access, int optional)
{
	if (p->npaths >= SANDBOX_PATHS_MAX)
		fatalx("sandbox %s: more than %d paths", p->name,
		    SANDBOX_PATHS_MAX);
	if (path == NULL || path[0] != '/')
		fatalx("sandbox %s: path rule %s is not absolute", p->name,
		    path == NULL ? "(null)" : path);
	if (access == 0 || (access & ~(SANDBOX_FS_READ | SANDBOX_FS_WRITE |
	    SANDBOX_FS_SYMLINK | SANDBOX_FS_MKDIR |
	    SANDBOX_FS_EXEC)) != 0)
		fatalx("sandbox %s: path rule %s: access %#x", p->name, path,
		    access);
	p->paths[p->npaths].path = path;
	p->paths[p->npaths].access = access;
	p->paths[p->npaths].optional = optional;
	p->npaths++;
}

void
sandbox_policy_add_port(struct sandbox_policy *p, uint16_t port,
    unsigned int access)
{
	if (p->nports >= SANDBOX_PORTS_MAX)
		fatalx("sandbox %s: more than %d ports", p->name,
		    SANDBOX_PORTS_MAX);
	if (access == 0 ||
	    (access & ~(SANDBOX_NET_CONNECT | SANDBOX_NET_BIND)) != 0)
		fatalx("sandbox %s: port rule %u: access %#x", p->name,
		    (unsigned int)port, access);
	p->ports[p->nports].port = port;
	p->ports[p->nports].access = access;
	p->nports++;
}

void
sandbox_policy_add_table(struct sandbox_policy *p,
    const struct sandbox_syscall *calls, size_t n)
{
	if (p->ntables >= SANDBOX_TABLES_MAX)
		fatalx("sandbox %s: more than %d syscall tables", p->name,
		    SANDBOX_TABLES_MAX);
	p->tables[p->ntables].calls = calls;
	p->tables[p->ntables].n = n;
	p->ntables++;
}

int
sandbox_status_field(const char *key, char *val, size_t len)
{
	char	 buf[SANDBOX_STATUS_MAX];
	char	*line, *end;
	size_t	 klen = strlen(key), off = 0, vlen;
	ssize_t	 n;
	int	 fd;

	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (off < sizeof(buf) - 1) {
		n = read(fd, buf + off, sizeof(buf) - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = end) {
		if ((end = strchr(line, '\n')) != NULL)
			*end++ = '\0';
		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		line += klen + 1;
		line += strspn(line, " \t");
		if ((vlen = strlen(line)) >= len)
			return -1;
		memcpy(val, line, vlen + 1);
		return 0;
	}
	return -1;
}

int
sandbox_status_hex(const char *key, uint64_t *val)
{
	char	 s[SANDBOX_STATUS_FIELD], *end;

	if (sandbox_status_field(key, s, sizeof(s)) == -1)
		return -1;
	errno = 0;
	*val = strtoull(s, &end, 16);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	return 0;
}

int
sandbox_status_ulong(const char *key, unsigned long *val)
{
	char	 s[SANDBOX_STATUS_FIELD], *end;

	if (sandbox_status_field(key, s, sizeof(s)) == -1)
		return -1;
	errno = 0;
	*val = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	return 0;
}

int
sandbox_apply(const struct sandbox_policy *p)
{
	unsigned long	threads;
	int		abi;

	/*
	 * capset(2) and landlock_restrict_self(2) bind the calling thread
	 * only: a second thread would run on unconfined.
	 */
	if (sandbox_status_ulong("Threads", &threads) == -1)
		fatalx("sandbox %s: cannot read Threads in /proc/self/status",
		    p->name);
	if (threads != 1)
		fatalx("sandbox %s: %lu threads; the sandbox binds one thread, "
		    "so it must be applied before any other starts", p->name,
		    threads);
	sandbox_keep_caps(p->caps, p->ncaps);
	sandbox_no_new_privs();
	abi = sandbox_landlock(p);
	sandbox_seccomp(p);
	log_debug("sandbox %s: %zu capabilities kept, Landlock ABI %d, "
	    "seccomp filter loaded", p->name, p->ncaps, abi);
	return abi;
}
