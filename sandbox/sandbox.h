/*
 * sandbox.h: confine a student's notebook server (issue 3).
 *
 * The library turns "run this argv as this student, with these limits and
 * these mounts" into a process.  It never prints and never exits in the
 * caller's process: every function that can fail takes a caller-supplied
 * buffer (char err[SB_ERRLEN]) and returns 0 or -1.
 *
 * Setup order (see ../shared/notes/SANDBOX.md and sandbox.c):
 *   parent: validate, build passwd/group, compile seccomp, cgroup with limits,
 *           clone(NEWNS|NEWPID|NEWIPC|NEWUTS[|NEWNET]), place child in cgroup,
 *           release it;
 *   child:  mount tree, pivot_root, hostname, lo up, rlimits, capabilities
 *           dropped, groups/gid/uid, setsid, PDEATHSIG, NO_NEW_PRIVS,
 *           seccomp, close inherited fds; then as pid 1 of the pid namespace
 *           fork the payload, which execs; pid 1 re-executes itself as a
 *           minimal init (SB_INIT_ARGV0), reaps orphans, forwards
 *           SIGTERM/SIGINT/SIGHUP and exits with the payload's status.
 */
#ifndef HUBD_SANDBOX_H
#define HUBD_SANDBOX_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define SB_ERRLEN		256

/* Hub-managed accounts: uids from a reserved range, gid = uid. */
#define SB_UID_MIN		0x70000000U	/* 1879048192 */
#define SB_UID_MAX		0x7000FFFFU	/* 1879113727 */
#define SB_USERNAME_MAX		32

/* Limits: defaults and accepted ranges. */
#define SB_KIB			1024ULL
#define SB_MIB			(1024ULL * SB_KIB)
#define SB_GIB			(1024ULL * SB_MIB)
#define SB_TIB			(1024ULL * SB_GIB)
#define SB_MEMORY_DEFAULT	(1ULL * SB_GIB)
#define SB_MEMORY_MIN		(16ULL * SB_MIB)
#define SB_MEMORY_MAX		(1ULL * SB_TIB)
#define SB_MEMORY_HIGH_PCT	90		/* v2 memory.high, % of max */
#define SB_HOST_RESERVE		(2ULL * SB_GIB)	/* kept from all students */
#define SB_HOST_RESERVE_MIN	(512ULL * SB_MIB)
#define SB_PIDS_DEFAULT		256
#define SB_PIDS_MIN		8
#define SB_PIDS_MAX		65536
#define SB_PIDS_PARENT		16384		/* all students together */
#define SB_CPU_SCALE		1000		/* limits in millicpus */
#define SB_CPUS_DEFAULT		(2 * SB_CPU_SCALE)
#define SB_CPUS_MIN		10		/* 0.01 CPU */
#define SB_CPUS_MAX		(1024 * SB_CPU_SCALE)
#define SB_CPU_PERIOD_US	100000
#define SB_WEIGHT_DEFAULT	100
#define SB_WEIGHT_MIN		1
#define SB_WEIGHT_MAX		10000

/* rlimits (hard = soft). */
#define SB_RLIMIT_NOFILE	4096
#define SB_RLIMIT_NPROC		512
#define SB_RLIMIT_FSIZE		(1ULL * SB_GIB)
#define SB_RLIMIT_MEMLOCK	(64ULL * SB_KIB)
#define SB_RLIMIT_MSGQUEUE	(800ULL * SB_KIB)

/* Mount tree. */
#define SB_STAGE_DIR		"/run/hubd-sandbox"	/* host, root 0700 */
#define SB_ROOT_TMPFS_OPTS	"size=4m,mode=0755"
#define SB_DEV_TMPFS_OPTS	"size=64k,mode=0755"
#define SB_SHM_TMPFS_OPTS	"size=256m,mode=1777"
#define SB_TMP_TMPFS_OPTS	"size=512m,mode=1777"
#define SB_DEVPTS_OPTS		"newinstance,ptmxmode=0666,mode=0620"
#define SB_SOCKDIR_INSIDE	"/run/nb"
#define SB_HOME_INSIDE		"/home"		/* + "/<user>" */
#define SB_MAXBINDS		16
#define SB_MAXGROUPS		16	/* supplementary groups */
#define SB_PATH_ENV		"/usr/local/bin:/usr/bin:/bin"

/* cgroups. */
#define SB_CGROUP_PARENT	"hubd-students"	/* below our own cgroup */
#define SB_CGROUP_PREFIX	"u"		/* u<uid>.g<instance> */
#define SB_CGROUP_RMDIR_TRIES	50		/* x 10 ms */
#define SB_CGROUP_STALE_SEC	3		/* sweep spares younger */

/*
 * Pid 1 re-executes its own program (/proc/self/exe) under this argv[0],
 * with an empty environment, so that the student reads nothing of the
 * launcher in /proc/1/cmdline or /proc/1/environ.  A program that calls
 * sandbox_start() must therefore call sandbox_init_dispatch() first thing
 * in main().
 */
#define SB_INIT_ARGV0		"hubd-sandbox-init"

/* Exit statuses of pid 1 when it cannot start the payload. */
#define SB_EXIT_SETUP		125
#define SB_EXIT_EXEC		127

enum sb_role {
	SB_ROLE_STUDENT,	/* student server and kernels */
	SB_ROLE_HUBNET		/* hubd's unprivileged network process */
};

struct sb_bind {
	const char	*src;		/* host path */
	const char	*dst;		/* absolute path inside */
	int		 rw;		/* 0: read-only */
};

struct sb_limits {
	uint64_t	 memory;	/* bytes, swap none */
	unsigned int	 pids;
	unsigned int	 cpus;		/* millicpus, quota */
	unsigned int	 weight;	/* cgroup v2 cpu.weight scale */
};

struct sandbox_config {
	const char	*user;		/* name shown inside */
	uid_t		 uid;
	gid_t		 gid;
	const char	*home;		/* host path, bound at /home/<user> */
	const char	*sockdir;	/* host path, bound at /run/nb; NULL */
	const char	*cwd;		/* inside; NULL: the home */
	struct sb_bind	 binds[SB_MAXBINDS];
	size_t		 nbinds;
	gid_t		 groups[SB_MAXGROUPS];	/* e.g. course groups */
	size_t		 ngroups;
	struct sb_limits limits;
	int		 hostnet;	/* 1: keep the host network */
	int		 die_with_parent; /* PDEATHSIG SIGKILL on pid 1 */
	const char	*cgroup_parent;	/* NULL: SB_CGROUP_PARENT; or an
					 * absolute cgroup (see cgroup.c) */
	unsigned long	 instance;	/* cgroup name; 0: caller's pid */
	char *const	*argv;
	char *const	*env;		/* extra NAME=value, NULL-terminated */
};

struct cgroup;

struct cgroup_stats {
	uint64_t	 memory_current;
	uint64_t	 memory_peak;
	uint64_t	 oom_kills;
	uint64_t	 pids_current;
	uint64_t	 pids_max_events;	/* forks refused at pids.max */
	uint64_t	 cpu_usage_usec;
	uint64_t	 cpu_nr_throttled;
};

struct sandbox {
	pid_t		 pid;		/* pid 1 of the sandbox, host view */
	int		 syncfd;	/* held open: EOF tells pid 1 we died */
	struct cgroup	*cg;
	struct cgroup_stats stats;	/* filled by sandbox_wait() */
};

/* sandbox.c */
void	 sandbox_config_init(struct sandbox_config *);
int	 sandbox_start(const struct sandbox_config *, struct sandbox *,
	    char *, size_t);
int	 sandbox_wait(struct sandbox *, int *, char *, size_t);
int	 sandbox_stop(struct sandbox *, unsigned int, char *, size_t);
int	 sandbox_signal(struct sandbox *, int);
void	 sandbox_release(struct sandbox *);
void	 sandbox_init_dispatch(int, char *[]);

/* cgroup.c */
int	 cgroup_version(void);
struct cgroup *cgroup_create(const char *, const char *,
	    const struct sb_limits *, char *, size_t);
int	 cgroup_attach(struct cgroup *, pid_t, char *, size_t);
int	 cgroup_read_stats(struct cgroup *, struct cgroup_stats *, char *,
	    size_t);
int	 cgroup_kill(struct cgroup *, char *, size_t);
int	 cgroup_remove(struct cgroup *, char *, size_t);
void	 cgroup_free(struct cgroup *);
int	 cgroup_sweep(const char *, int *, char *, size_t);
const char *cgroup_name(const struct cgroup *);

/* seccomp.c */
struct sb_filter {
	void		*prog;		/* struct sock_filter[] */
	unsigned short	 len;		/* instructions */
};
int	 sb_seccomp_compile(enum sb_role, struct sb_filter *, char *, size_t);
int	 sb_seccomp_load(const struct sb_filter *);	/* async-signal-safe */
int	 sb_seccomp_apply(enum sb_role, char *, size_t);
void	 sb_seccomp_free(struct sb_filter *);

/* identity.c */
int	 identity_valid_name(const char *);
int	 identity_check_uid(uid_t, char *, size_t);
int	 identity_pick_uid(const uid_t *, size_t, uid_t *, char *, size_t);
int	 identity_lookup(const char *, uid_t *, gid_t *, char *, size_t);
int	 identity_make_home(const char *, uid_t, gid_t, char *, size_t,
	    char *, size_t);

/* limits.c */
int	 limits_parse_memory(const char *, uint64_t *, char *, size_t);
int	 limits_parse_cpus(const char *, unsigned int *, char *, size_t);
int	 limits_parse_pids(const char *, unsigned int *, char *, size_t);
int	 limits_parse_weight(const char *, unsigned int *, char *, size_t);
void	 limits_default(struct sb_limits *);
unsigned int limits_threads(const struct sb_limits *);

/* mount.c: runs in the child, async-signal-safe, no allocation */
struct sb_mountplan {
	const struct sandbox_config *cfg;
	const char	*passwd;	/* generated file contents */
	const char	*group;
	const char	*hosts;
	char		 homedir[64];	/* /home/<user> */
};
int	 mount_build_root(const struct sb_mountplan *, char *, size_t);

/* Internal helper shared by the subsystems. */
void	 sb_err(char *, size_t, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

#endif /* HUBD_SANDBOX_H */
