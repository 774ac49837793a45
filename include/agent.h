/*
 * agent: the privileged runtime's context, shared by privsep/ (process
 * start, the monitor, the file broker) and runtime/ (desired state, the
 * reconciler). All of it runs as root in staticpodd, which links no
 * parser: what it knows of a manifest arrives decoded through the monitor
 * and is checked again there.
 */
#ifndef STATICPODD_AGENT_H
#define STATICPODD_AGENT_H

#include <sys/types.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "podcheck.h"
#include "wire.h"

#define AGENT_DEFAULT_USER	"staticpodd"
#define AGENT_FALLBACK_USER	"nobody"
#define AGENT_DEFAULT_ENDPOINT	"unix:///var/run/crio/crio.sock"
#define AGENT_DEFAULT_LOGS_DIR	"/var/log/pods"
#define AGENT_DEFAULT_STATE_DIR	"/var/lib/staticpodd"
#define AGENT_DEFAULT_RUN_DIR	"/run/staticpodd"
#define AGENT_DEFAULT_RESOLV_CONF "/etc/resolv.conf"	/* the kubelet's */
#define AGENT_DEFAULT_CHECK_MS	20000	/* fileCheckFrequency, httpCheckFrequency */
#define AGENT_CHECK_MIN_MS	1000
#define AGENT_CHECK_MAX_MS	(24 * 3600 * 1000)
#define AGENT_MANIFEST_MAX	(64 * 1024 * 1024)	/* ceiling of the setting */
#define AGENT_URL_HEADERS_MAX	32
#define AGENT_CONFIG_WAIT_MS	10000	/* the first fetcher's CONFIG */
#define AGENT_SEND_TIMEOUT_MS	1000	/* a fetcher that stops reading */
#define AGENT_PODS_MAX		2048	/* per source; a node runs far fewer */

/* Exit statuses, documented in the README. */
#define EXIT_CONFIG		2	/* bad usage or configuration */
#define EXIT_LOST_CHILD		3	/* a fetcher died or broke the protocol */

enum chan_kind { CHAN_DIR, CHAN_URL, CHAN_MAX };

enum chan_state {
	CHAN_UNUSED,
	CHAN_START,	/* first fetcher: only CONFIG is permitted */
	CHAN_WAIT_ROLE,	/* CONFIG accepted; nothing more until ROLE is sent */
	CHAN_RUNNING,
	CHAN_DONE,	/* told it has no role; its clean exit is expected */
};

struct bucket {
	double		tokens;
	double		burst;
	double		rate;	/* tokens a second */
	int64_t		last_ms;
};

/* The last bytes the broker served for a name, and their hash. */
struct served {
	char		name[256];
	uint8_t		sha256[32];
};

struct channel {
	enum chan_kind	 kind;
	enum chan_state	 state;
	const char	*what;		/* for log lines: "directory fetcher" */
	int		 fd;
	pid_t		 pid;
	struct wire_rx	 rx;
	bool		 in_snapshot;
	bool		 ready;		/* a first complete view has arrived */
	struct bucket	 opens;
	struct bucket	 reopens;
	struct served	*served;
	size_t		 nserved;
};

/* One pod a source wants, as the runtime accepted it. */
struct desired_pod {
	enum chan_kind	 source;
	char		*key;		/* file name, or namespace/name (URL) */
	char		*full_name;	/* namespace/name */
	uint8_t		*canon;		/* the packed pod, as re-packed here */
	size_t		 canon_len;
	char		 uid[POD_UID_LEN + 1];
	uint8_t		 sha256[32];
	bool		 sha256_own;	/* hashed by the broker, not reported */
	bool		 seen;		/* mentioned in the current snapshot */
	bool		 winner;	/* holds its name against others */
	bool		 refused;	/* lost a name conflict */
	char		*origin;	/* the file's path, or the URL */
	bool		 policy_refused;	/* the node policy said no */
	char		*policy_rule;
	char		*policy_reason;
};

struct desired {
	struct desired_pod	*pods;
	size_t			 n;
	size_t			 cap;
	bool			 dirty[CHAN_MAX];	/* to be saved */
};

/*
 * The node's resolv.conf, read once by root before the runtime's sandbox
 * closes /etc: a change takes a restart of the agent, which keeps pods.
 * The limits are the kubelet's (and a resolver's: three servers).
 */
#define DNS_SERVERS_MAX		3
#define DNS_SEARCHES_MAX	32
#define DNS_SEARCH_CHARS_MAX	2048
#define DNS_OPTIONS_MAX		32
struct host_dns {
	char	*servers[DNS_SERVERS_MAX];
	size_t	 nservers;
	char	*searches[DNS_SEARCHES_MAX];
	size_t	 nsearches;
	char	*options[DNS_OPTIONS_MAX];
	size_t	 noptions;
};

/* Where pod cgroups appear: found and made by root at start. */
struct pod_cgroups {
	bool	usable;
	bool	v2;		/* else v1 controllers: memory, cpu */
	char	dirs[4][PATH_MAX];	/* per driver: v2's, or v1's two */
	size_t	ndirs;
};

struct agent {
	Spw__Config	 cfg;		/* merged and validated */
	struct arena	 cfg_arena;	/* its strings */
	char		 config_path[PATH_MAX];
	const char	*node_name;
	char		 manifest_dir[PATH_MAX];
	char		 only_name[256];	/* staticPodPath is one file */
	int		 dirfd;		/* the broker's, or -1 */
	uid_t		 fetcher_uid;
	gid_t		 fetcher_gid;
	int		 fetcher_exe;	/* fd of staticpodd-fetcher */
	struct channel	 chan[CHAN_MAX];
	struct desired	 desired;
	int		 epfd;
	int		 sigfd;
	int		 tickfd;	/* the reconciler's timer */
	int		 verbose;
	char		 host_ip[64];	/* status.hostIP */
	struct reconciler *rc;
	struct audit	*audit;
	uint64_t	 source_errors;	/* reported since start, for metrics */
	struct policy	*policy;	/* the node policy, compiled */
	bool		 policy_dry_run;
	bool		 all_ready_seen;
	bool		 apparmor;	/* the kernel enforces AppArmor */
	struct host_dns	 host_dns;
	struct pod_cgroups cgroup;
};

/* flags.c */
struct flags {
	Spw__Config	 cfg;		/* what the command line set */
	const char	*config_file;
	const char	*policy_file;
	int		 verbose;
};
void	flags_parse(int argc, char **argv, struct flags *);

/* config_check.c */
int	config_merge(struct agent *, const Spw__Config *file,
	    const Spw__Config *flags);

/* proc.c */
int	proc_open_fetcher(void);
void	proc_resolve_user(const char *name, uid_t *, gid_t *);
pid_t	proc_spawn_fetcher(int exe_fd, uid_t, gid_t, const char *role,
	    int *sock, int config_fd, const char *config_name, int policy_fd,
	    const char *policy_name, int verbose);
int	proc_strict_open(const char *path, const char *what);

/* broker.c */
int	broker_open_dir(struct agent *, int *dirfd, int *inofd,
	    char *why, size_t);
void	broker_open(struct agent *, struct channel *, const char *name);

/* monitor.c */
void	monitor_dispatch(struct agent *, struct channel *, struct wire_msg *);
void	monitor_read(struct agent *, struct channel *);
bool	bucket_take(struct bucket *, int64_t now_ms);
int64_t	now_ms(void);

/* daemon.c */
int	daemon_main(int argc, char **argv);

/* runtime/desired.c */
void	desired_snapshot_begin(struct desired *, enum chan_kind);
void	desired_snapshot_end(struct agent *, enum chan_kind);
void	desired_upsert(struct agent *, enum chan_kind, const char *key,
	    const Spd__Pod *, const uint8_t *canon, size_t len,
	    const char *uid, const uint8_t sha256[32], bool own);
void	desired_remove(struct agent *, enum chan_kind, const char *key);
void	desired_keep(struct desired *, enum chan_kind, const char *key);
void	desired_free(struct desired *);

/* runtime/logs.c: <podLogsDir>/../containers */
void	logs_links_dir(const struct agent *, char *, size_t);

/* runtime/dns.c: the node's resolv.conf, read before the sandbox */
void	dns_load_host(struct agent *);
void	dns_parse_resolv(struct host_dns *, struct arena *, const char *,
	    size_t);

/* runtime/cgroup.c: the pod cgroups' top, made before the sandbox */
void	pod_cgroup_setup(struct agent *);

/* runtime/volumes.c: mkdir -p; the memory volumes' tmpfs, checked */
int	mkdir_p(const char *path, mode_t);
int	volumes_setup(const struct agent *);

/* runtime/reconcile.c */
void	reconcile_init(struct agent *);
void	reconcile_tick(struct agent *);
void	reconcile_soon(struct agent *, int ms);
void	reconcile_counters(const struct agent *);

/* runtime/status.c: the status files go when the agent does */
void	status_remove(const struct agent *);

/* runtime/admit.c: the node policy and the audit log */
struct policy_image_user;
void	admit_setup(struct agent *, const Spw__Config *, const char *policy_file,
	    const char *config_file);
void	admit_pod(struct agent *, struct desired_pod *, const Spd__Pod *);
int	admit_image_user(struct agent *, struct desired_pod *,
	    const Spd__Pod *, bool init, size_t index,
	    const struct policy_image_user *);
bool	admit_annotation(struct agent *, const char *key);
void	admit_source_error(struct agent *, enum chan_kind, const char *key,
	    const char *message, const uint8_t *sha256, bool own);
void	admit_forged(struct agent *, enum chan_kind, const char *key,
	    const Spd__Pod *, const char *why);

/* runtime/state.c */
#define STATE_VIEW_MAX		(64 * 1024 * 1024)
void	state_flush(struct agent *);
void	state_load(struct agent *);
const char *source_base(const struct agent *, enum chan_kind);

#endif
