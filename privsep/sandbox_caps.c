/*
 * User, groups and capabilities, through libcap-ng; every change is read
 * back from the kernel (getres[ug]id, getgroups, /proc/self/status)
 * rather than trusted from a return value.
 */
#include <sys/prctl.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <unistd.h>

#include <cap-ng.h>

#include "log.h"
#include "sandbox.h"
#include "sandbox_int.h"

#define CAP_MASK_BITS	64	/* /proc/self/status prints 64-bit masks */

/* Each set in /proc/self/status, and whether it holds what is kept. */
static const struct {
	const char	*key;
	int		 holds_kept;
} cap_sets[] = {
	{ "CapInh", 0 },	/* nothing passes through an exec */
	{ "CapPrm", 1 },
	{ "CapEff", 1 },
	{ "CapBnd", 1 },	/* nothing else can ever come back */
	{ "CapAmb", 0 },
};

static void
caps_verify(uint64_t kept)
{
	uint64_t	have, want;
	size_t		i;

	for (i = 0; i < sizeof(cap_sets) / sizeof(cap_sets[0]); i++) {
		if (sandbox_status_hex(cap_sets[i].key, &have) == -1)
			fatalx("sandbox: cannot read %s in /proc/self/status",
			    cap_sets[i].key);
		want = cap_sets[i].holds_kept ? kept : 0;
		if (have != want)
			fatalx("sandbox: %s is %016" PRIx64 ", expected %016"
			    PRIx64, cap_sets[i].key, have, want);
	}
}

void
sandbox_drop_to_user(uid_t uid, gid_t gid)
{
	uid_t	ruid, euid, suid;
	gid_t	rgid, egid, sgid;
	int	rc, ngroups;

	if (uid == 0 || gid == 0)
		fatalx("sandbox: refusing to drop to uid %u gid %u: root",
		    (unsigned int)uid, (unsigned int)gid);
	/* Nothing kept across the change: capng_change_id keeps its state. */
	capng_clear(CAPNG_SELECT_ALL);
	rc = capng_change_id((int)uid, (int)gid,
	    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
	if (rc != 0)
		fatalx("sandbox: capng_change_id(%u, %u) failed (%d)",
		    (unsigned int)uid, (unsigned int)gid, rc);
	if (getresuid(&ruid, &euid, &suid) == -1)
		fatal("sandbox: getresuid");
	if (getresgid(&rgid, &egid, &sgid) == -1)
		fatal("sandbox: getresgid");
	if (ruid != uid || euid != uid || suid != uid)
		fatalx("sandbox: uids are %u/%u/%u, expected %u",
		    (unsigned int)ruid, (unsigned int)euid,
		    (unsigned int)suid, (unsigned int)uid);
	if (rgid != gid || egid != gid || sgid != gid)
		fatalx("sandbox: gids are %u/%u/%u, expected %u",
		    (unsigned int)rgid, (unsigned int)egid,
		    (unsigned int)sgid, (unsigned int)gid);
	if ((ngroups = getgroups(0, NULL)) != 0)
		fatalx("sandbox: %d supplementary groups left", ngroups);
	/* As OpenSSH's permanently_set_uid: prove there is no way back. */
	if (setresuid(0, 0, 0) != -1 || errno != EPERM)
		fatalx("sandbox: uid %u could become root again",
		    (unsigned int)uid);
	if (setresgid(0, 0, 0) != -1 || errno != EPERM)
		fatalx("sandbox: gid %u could become root again",
		    (unsigned int)gid);
	caps_verify(0);
	sandbox_no_new_privs();
}

void
sandbox_keep_caps(const int *caps, size_t ncaps)
{
	uint64_t	kept = 0, bounding;
	size_t		i;
	int		rc, select;

	if (capng_get_caps_process() != 0)
		fatalx("sandbox: cannot read this process's capabilities");
	for (i = 0; i < ncaps; i++) {
		/* libcap-ng names only what this kernel knows */
		if (caps[i] < 0 || caps[i] >= CAP_MASK_BITS ||
		    capng_capability_to_name((unsigned int)caps[i]) == NULL)
			fatalx("sandbox: capability %d unknown to this kernel",
			    caps[i]);
		if (!capng_have_capability(CAPNG_PERMITTED,
		    (unsigned int)caps[i]))
			fatalx("sandbox: cannot keep %s: not held",
			    capng_capability_to_name((unsigned int)caps[i]));
		kept |= UINT64_C(1) << caps[i];
	}
	if (sandbox_status_hex("CapBnd", &bounding) == -1)
		fatalx("sandbox: cannot read CapBnd in /proc/self/status");

	capng_clear(CAPNG_SELECT_ALL);
	for (i = 0; i < ncaps; i++)
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
		    CAPNG_BOUNDING_SET, (unsigned int)caps[i]) != 0)
			fatalx("sandbox: capng_update %d", caps[i]);
	/*
	 * Dropping from the bounding set needs CAP_SETPCAP; a process
	 * already bounded (the fetcher, cleared before its exec) has nothing
	 * left to drop and does not hold it.
	 */
	select = CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT;
	if ((bounding & ~kept) != 0)
		select |= CAPNG_SELECT_BOUNDS;
	if ((rc = capng_apply((capng_select_t)select)) != 0)
		fatalx("sandbox: capng_apply failed (%d)", rc);
	caps_verify(kept);
}

void
sandbox_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("sandbox: no_new_privs did not stick");
}
