/*
 * The seccomp allowlist, through libseccomp, from the policy's tables.
 * Whatever no entry allows kills the whole process (not just the thread:
 * a half-dead fetcher must not go on). Another architecture's syscalls
 * (i386 or x32 on x86_64) kill it too. Building with
 * -DSANDBOX_SECCOMP_DEBUG puts every filter in trap mode, for writing the
 * tables against the real programs.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "sandbox.h"

#define TRAP_MSG_MAX	80

static const struct {
	enum sandbox_cmp	op;
	enum scmp_compare	scmp;
} cmp_map[] = {
	{ SANDBOX_CMP_EQ,		SCMP_CMP_EQ },
	{ SANDBOX_CMP_NE,		SCMP_CMP_NE },
	{ SANDBOX_CMP_MASKED_EQ,	SCMP_CMP_MASKED_EQ },
};

/*
 * Debug mode only. Async-signal-safe: the number is formatted by hand and
 * written with one write(2). The call then returns -ENOSYS, so one run
 * lists every call a table lacks.
 */
static void
seccomp_trap(int sig, siginfo_t *si, void *uctx)
{
	static const char	 pre[] = "sandbox: seccomp trap: syscall ";
	static const char	 post[] = " not in the table\n";
	char			 msg[TRAP_MSG_MAX], digits[16];
	size_t			 len = 0, nd = 0;
	int			 saved = errno, nr = si->si_syscall;
	ucontext_t		*uc = uctx;

	(void)sig;
	if (nr < 0)
		nr = 0;
	do {
		digits[nd++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr > 0 && nd < sizeof(digits));
	memcpy(msg, pre, sizeof(pre) - 1);
	len = sizeof(pre) - 1;
	while (nd > 0)
		msg[len++] = digits[--nd];
	memcpy(msg + len, post, sizeof(post) - 1);
	len += sizeof(post) - 1;
	(void)!write(STDERR_FILENO, msg, len);
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-ENOSYS;
#else
	(void)uc;
#endif
	errno = saved;
}

static void
seccomp_trap_install(const char *name)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = seccomp_trap;
	sa.sa_flags = SA_SIGINFO;
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sandbox %s: SIGSYS handler", name);
	log_warnx("sandbox %s: seccomp in trap mode: denied calls are "
	    "reported, not killed; never run so in production", name);
}

static void
seccomp_add(scmp_filter_ctx ctx, const char *name,
    const struct sandbox_syscall *sc)
{
	struct scmp_arg_cmp	cmp[SANDBOX_ARGS_MAX];
	uint32_t		action;
	size_t			i, j;
	int			nr, rc;

	if ((nr = seccomp_syscall_resolve_name(sc->name)) == __NR_SCMP_ERROR)
		fatalx("sandbox %s: no syscall named %s", name, sc->name);
	if (sc->why == NULL || sc->why[0] == '\0')
		fatalx("sandbox %s: %s has no reason", name, sc->name);
	if (sc->nargs > SANDBOX_ARGS_MAX)
		fatalx("sandbox %s: %s: %zu conditions", name, sc->name,
		    sc->nargs);
	switch (sc->action) {
	case SANDBOX_ALLOW:
		action = SCMP_ACT_ALLOW;
		break;
	case SANDBOX_ERRNO:
		if (sc->err <= 0 || sc->err > UINT16_MAX)
			fatalx("sandbox %s: %s: errno %d", name, sc->name,
			    sc->err);
		action = SCMP_ACT_ERRNO((uint32_t)sc->err);
		break;
	default:
		fatalx("sandbox %s: %s: action %d", name, sc->name,
		    (int)sc->action);
	}
	memset(cmp, 0, sizeof(cmp));
	for (i = 0; i < sc->nargs; i++) {
		for (j = 0; j < sizeof(cmp_map) / sizeof(cmp_map[0]); j++)
			if (cmp_map[j].op == sc->args[i].op)
				break;
		if (j == sizeof(cmp_map) / sizeof(cmp_map[0]) ||
		    sc->args[i].index > 5)
			fatalx("sandbox %s: %s: bad condition %zu", name,
			    sc->name, i);
		cmp[i].arg = sc->args[i].index;
		cmp[i].op = cmp_map[j].scmp;
		if (cmp[i].op == SCMP_CMP_MASKED_EQ) {
			cmp[i].datum_a = sc->args[i].mask;
			cmp[i].datum_b = sc->args[i].value;
		} else
			cmp[i].datum_a = sc->args[i].value;
	}
	rc = seccomp_rule_add_array(ctx, action, nr, (unsigned int)sc->nargs,
	    cmp);
	if (rc < 0)
		fatalx("sandbox %s: seccomp rule for %s: %s", name, sc->name,
		    strerror(-rc));
}

void
sandbox_seccomp(const struct sandbox_policy *p)
{
	static const struct sandbox_syscall trap_needs[] = {
		{ .name = "rt_sigreturn", .why = "return from the handler" },
		{ .name = "write", .why = "the handler's report" },
	};
	scmp_filter_ctx	ctx;
	uint32_t	deflt = SCMP_ACT_KILL_PROCESS;
	size_t		i, j, n = 0;
	int		rc;

	if (p->flags & SANDBOX_SECCOMP_TRAP)
		deflt = SCMP_ACT_TRAP;
#ifdef SANDBOX_SECCOMP_DEBUG
	deflt = SCMP_ACT_TRAP;
#endif
	if ((ctx = seccomp_init(deflt)) == NULL)
		fatalx("sandbox %s: seccomp_init failed", p->name);
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0)
		fatalx("sandbox %s: seccomp bad-arch action: %s", p->name,
		    strerror(-rc));
	for (i = 0; i < p->ntables; i++)
		for (j = 0; j < p->tables[i].n; j++, n++)
			seccomp_add(ctx, p->name, &p->tables[i].calls[j]);
	if (n == 0)
		fatalx("sandbox %s: empty syscall allowlist", p->name);
	if (deflt == SCMP_ACT_TRAP) {
		for (i = 0; i < sizeof(trap_needs) / sizeof(trap_needs[0]); i++)
			seccomp_add(ctx, p->name, &trap_needs[i]);
		seccomp_trap_install(p->name);
	}
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("sandbox %s: seccomp_load: %s", p->name, strerror(-rc));
	seccomp_release(ctx);
}
