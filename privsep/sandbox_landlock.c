/*
 * Landlock by raw syscalls. The ruleset handles every right the kernel's
 * ABI knows, so all of them are denied except what a rule grants; rights
 * are masked per ABI version as xz's sandbox does, so an older kernel
 * enforces what it can instead of refusing the ruleset. The installed
 * <linux/landlock.h> may predate the kernel, so what is newer than ABI 1
 * is spelled out here.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "log.h"
#include "sandbox.h"

#define LL_ABI_KNOWN	7	/* ABI 7 (Linux 6.15) added audit flags only */

#define LL_FS_EXECUTE		(1ULL << 0)
#define LL_FS_WRITE_FILE	(1ULL << 1)
#define LL_FS_READ_FILE		(1ULL << 2)
#define LL_FS_READ_DIR		(1ULL << 3)
#define LL_FS_REMOVE_DIR	(1ULL << 4)
#define LL_FS_REMOVE_FILE	(1ULL << 5)
#define LL_FS_MAKE_CHAR		(1ULL << 6)
#define LL_FS_MAKE_DIR		(1ULL << 7)
#define LL_FS_MAKE_REG		(1ULL << 8)
#define LL_FS_MAKE_SOCK		(1ULL << 9)
#define LL_FS_MAKE_FIFO		(1ULL << 10)
#define LL_FS_MAKE_BLOCK	(1ULL << 11)
#define LL_FS_MAKE_SYM		(1ULL << 12)
#define LL_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ULL << 1)	/* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */
#define LL_RULE_NET_PORT	2		/* ABI 4 */

#define LL_FS_ABI1	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | \
	LL_FS_READ_DIR | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | \
	LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | \
	LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM)

/* The only rights a rule on a file, not a directory, may carry. */
#define LL_FS_FILE	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | \
	LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* What SANDBOX_FS_* grant; never IOCTL_DEV, devices, FIFOs or sockets. */
#define LL_GRANT_READ	(LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_GRANT_WRITE	(LL_FS_WRITE_FILE | LL_FS_TRUNCATE | \
	LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | \
	LL_FS_MAKE_REG | LL_FS_REFER)
#define LL_GRANT_EXEC	LL_FS_EXECUTE

/* struct landlock_ruleset_attr as of ABI 6; its size tells the ABI used. */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI 4 */
	uint64_t	scoped;			/* ABI 6 */
};

struct ll_net_port_attr {
	uint64_t	allowed_access;
	uint64_t	port;
};

static int
ll_create_ruleset(const struct ll_ruleset_attr *attr, size_t size,
    uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static int
ll_add_rule(int fd, int type, const void *attr)
{
	return (int)syscall(SYS_landlock_add_rule, fd, type, attr, 0);
}

static int
ll_restrict_self(int fd)
{
	return (int)syscall(SYS_landlock_restrict_self, fd, 0);
}

int
sandbox_landlock_abi(void)
{
	int	abi;

	abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi == -1)
		return -errno;
	return abi;
}

/*
 * RHEL 9 kernels (5.14 with backports) claim ABI 6 but lack
 * LANDLOCK_SCOPE_SIGNAL, as xz's sandbox found; ABI 6 came with 6.12.
 */
static int
ll_rhel9_abi6(void)
{
	struct utsname	un;

	return uname(&un) == 0 && strncmp(un.release, "5.14.", 5) == 0;
}

/* Every right the ABI knows: handled, hence denied unless granted. */
static size_t
ll_handled(int abi, struct ll_ruleset_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->handled_access_fs = LL_FS_ABI1 | LL_FS_REFER | LL_FS_TRUNCATE |
	    LL_FS_IOCTL_DEV;
	attr->handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	attr->scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;

	switch (abi) {
	case 1:
		attr->handled_access_fs &= ~LL_FS_REFER;
		/* FALLTHROUGH */
	case 2:
		attr->handled_access_fs &= ~LL_FS_TRUNCATE;
		/* FALLTHROUGH */
	case 3:
		attr->handled_access_net = 0;
		/* FALLTHROUGH */
	case 4:
		attr->handled_access_fs &= ~LL_FS_IOCTL_DEV;
		/* FALLTHROUGH */
	case 5:
		attr->scoped = 0;
		/* FALLTHROUGH */
	case 6:
		if (ll_rhel9_abi6())
			attr->scoped &= ~LL_SCOPE_SIGNAL;
		/* FALLTHROUGH */
	default:
		break;
	}
	if (abi < 4)
		return sizeof(attr->handled_access_fs);
	if (abi < 6)
		return offsetof(struct ll_ruleset_attr, scoped);
	return sizeof(*attr);
}

static uint64_t
ll_grant(unsigned int access)
{
	uint64_t	g = 0;

	if (access & SANDBOX_FS_READ)
		g |= LL_GRANT_READ;
	if (access & SANDBOX_FS_WRITE)
		g |= LL_GRANT_WRITE;
	if (access & SANDBOX_FS_EXEC)
		g |= LL_GRANT_EXEC;
	if (access & SANDBOX_FS_SYMLINK)
		g |= LL_FS_MAKE_SYM;
	if (access & SANDBOX_FS_MKDIR)
		g |= LL_FS_MAKE_DIR;
	return g;
}

static void
ll_add_path(int rfd, const char *name, const struct sandbox_path *sp,
    uint64_t handled)
{
	struct landlock_path_beneath_attr	pb;
	struct stat				st;
	int					fd;

	/* O_PATH follows a symlink: the rule is on what it points to. */
	if ((fd = open(sp->path, O_PATH | O_CLOEXEC)) == -1) {
		if (sp->optional && (errno == ENOENT || errno == ENOTDIR)) {
			log_debug("sandbox %s: %s: absent, no rule", name,
			    sp->path);
			return;
		}
		fatal("sandbox %s: landlock rule %s", name, sp->path);
	}
	if (fstat(fd, &st) == -1)
		fatal("sandbox %s: landlock rule %s: fstat", name, sp->path);
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = ll_grant(sp->access) & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE;
	if (pb.allowed_access == 0)
		fatalx("sandbox %s: landlock rule %s grants nothing on this "
		    "kernel", name, sp->path);
	if (ll_add_rule(rfd, LANDLOCK_RULE_PATH_BENEATH, &pb) == -1)
		fatal("sandbox %s: landlock rule %s", name, sp->path);
	close(fd);
}

static void
ll_add_port(int rfd, const char *name, const struct sandbox_port *sp)
{
	struct ll_net_port_attr	np;

	memset(&np, 0, sizeof(np));
	np.port = sp->port;
	if (sp->access & SANDBOX_NET_CONNECT)
		np.allowed_access |= LL_NET_CONNECT_TCP;
	if (sp->access & SANDBOX_NET_BIND)
		np.allowed_access |= LL_NET_BIND_TCP;
	if (ll_add_rule(rfd, LL_RULE_NET_PORT, &np) == -1)
		fatal("sandbox %s: landlock rule for TCP port %u", name,
		    (unsigned int)sp->port);
}

int
sandbox_landlock(const struct sandbox_policy *p)
{
	struct ll_ruleset_attr	attr;
	size_t			i, size;
	int			abi, rfd;

	if ((abi = sandbox_landlock_abi()) < 0) {
		if (abi != -ENOSYS && abi != -EOPNOTSUPP)
			fatalx("sandbox %s: landlock ABI probe: %s", p->name,
			    strerror(-abi));
		if (p->landlock == SANDBOX_LANDLOCK_REQUIRED)
			fatalx("sandbox %s: Landlock is required and this "
			    "kernel has none (%s)", p->name, strerror(-abi));
		log_warnx("sandbox %s: this kernel has no Landlock (%s); "
		    "files are guarded by their modes and seccomp only",
		    p->name, strerror(-abi));
		return 0;
	}
	size = ll_handled(abi, &attr);
	/* Scopes are asked for, not implied: the runtime signals children. */
	if ((p->scope & SANDBOX_SCOPE_SIGNAL) == 0)
		attr.scoped &= ~LL_SCOPE_SIGNAL;
	if ((p->scope & SANDBOX_SCOPE_ABSTRACT_UNIX) == 0)
		attr.scoped &= ~LL_SCOPE_ABSTRACT_UNIX;
	if (abi < 4 && p->nports > 0)
		log_warnx("sandbox %s: Landlock ABI %d has no TCP rules; "
		    "ports are guarded by seccomp only", p->name, abi);
	if (abi < 6 && p->scope != 0)
		log_warnx("sandbox %s: Landlock ABI %d has no scopes; "
		    "signals are guarded by uids only", p->name, abi);

	if ((rfd = ll_create_ruleset(&attr, size, 0)) == -1)
		fatal("sandbox %s: landlock_create_ruleset", p->name);
	for (i = 0; i < p->npaths; i++)
		ll_add_path(rfd, p->name, &p->paths[i],
		    attr.handled_access_fs);
	if (attr.handled_access_net != 0)
		for (i = 0; i < p->nports; i++)
			ll_add_port(rfd, p->name, &p->ports[i]);
	if (ll_restrict_self(rfd) == -1)
		fatal("sandbox %s: landlock_restrict_self", p->name);
	close(rfd);
	if (abi > LL_ABI_KNOWN)
		log_debug("sandbox %s: Landlock ABI %d, rights of ABI %d "
		    "enforced", p->name, abi, LL_ABI_KNOWN);
	return abi;
}
