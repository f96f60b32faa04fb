/*
 * hubd-sandbox: run a command in a student sandbox, from a shell or a test.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

#define EXIT_OWN	125	/* hubd-sandbox itself failed */
#define MAXENV		32

static volatile pid_t	 sandbox_pid = -1;

static void __attribute__((noreturn))
usage(FILE *f, int status)
{
	fprintf(f,
"usage: hubd-sandbox --user NAME (--home DIR | --homes DIR) [options] -- CMD [ARG...]\n"
"       hubd-sandbox --pick-uid [--used UID]...\n"
"       hubd-sandbox --sweep [--cgroup-parent NAME]\n"
"\n"
"Run CMD as student NAME in a sandbox: new mount, pid, ipc, uts and net\n"
"namespaces, a read-only system, private /tmp and /dev/shm, a cgroup with\n"
"memory, process and CPU limits, no capabilities, no_new_privs and a\n"
"seccomp filter.  Must run as root.  The exit status is CMD's (128+N if it\n"
"died of signal N); 125 if hubd-sandbox failed, 127 if CMD could not be\n"
"executed.  SIGTERM, SIGINT and SIGHUP are passed on to CMD; if\n"
"hubd-sandbox dies, the whole sandbox is killed.\n"
"\n"
"Identity:\n"
"  --user NAME          student name shown inside ([a-z_][a-z0-9_-]*)\n"
"  --uid UID            hub-managed account: a uid from %u-%u that no\n"
"                       system account or group uses; gid = uid.  Without\n"
"                       --uid, NAME must be a system (PAM) account and runs\n"
"                       as its real uid and gid\n"
"  --gid GID            primary gid (default: see --uid)\n"
"  --home DIR           home directory on the host, mounted read-write at\n"
"                       /home/NAME\n"
"  --homes DIR          create (or check) the home DIR/UID, mode 0700,\n"
"                       owned by the student, and use it\n"
"  --cwd DIR            working directory inside (default: the home)\n"
"  --env NAME=VALUE     add to CMD's environment (repeatable; the base is\n"
"                       HOME USER LOGNAME SHELL PATH LANG MPLBACKEND\n"
"                       JUPYTER_RUNTIME_DIR and OMP/OPENBLAS/MKL_NUM_THREADS\n"
"                       set to the CPU quota rounded up)\n"
"\n"
"Mounts:\n"
"  --bind SRC:DST[:ro|:rw]\n"
"                       bind host SRC at DST inside, read-only unless :rw,\n"
"                       always nosuid and nodev (repeatable, at most %d);\n"
"                       DST must lie outside /usr /etc /proc /dev /tmp\n"
"                       /home /run /sys, e.g. /srv/course\n"
"  --sockdir DIR        bind host DIR read-write at %s (for the server's\n"
"                       unix socket)\n"
"  --host-network       keep the host's network (default: a private network\n"
"                       namespace with only lo)\n"
"\n"
"Limits:\n"
"  --memory SIZE        memory limit, no swap: bytes or K, M, G, T (binary),\n"
"                       e.g. 512M, 1G, 1.5G (default 1G; %lluM to %lluG)\n"
"  --cpus N             CPU quota in CPUs, e.g. 1, 1.5, 0.25 (default %u;\n"
"                       0.01 to %u)\n"
"  --cpu-weight N       CPU weight under contention, 1 to 10000 (default\n"
"                       100)\n"
"  --pids N             most tasks (processes and threads), %d to %d\n"
"                       (default %d)\n"
"  --cgroup-parent NAME parent cgroup of all students, below our own cgroup\n"
"                       (or absolute from the cgroup root); default %s\n"
"\n"
"Other:\n"
"  --stats              print the cgroup's counters to stderr at the end\n"
"  --timing             print the start-up time (until CMD is executed)\n"
"  --pick-uid           print the lowest free hub uid and exit; --used UID\n"
"                       (repeatable) marks uids the hub already gave out\n"
"  --sweep              remove stale empty student cgroups and exit (also\n"
"                       done before every start)\n"
"  -h, --help           this help\n",
	    SB_UID_MIN, SB_UID_MAX, SB_MAXBINDS, SB_SOCKDIR_INSIDE,
	    (unsigned long long)(SB_MEMORY_MIN / SB_MIB),
	    (unsigned long long)(SB_MEMORY_MAX / SB_GIB),
	    SB_CPUS_DEFAULT / SB_CPU_SCALE, SB_CPUS_MAX / SB_CPU_SCALE,
	    SB_PIDS_MIN, SB_PIDS_MAX, SB_PIDS_DEFAULT, SB_CGROUP_PARENT);
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fputs("hubd-sandbox: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_OWN);
}

static int
parse_id(const char *s, unsigned long *out)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v >= UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

static void
parse_bind(char *arg, struct sandbox_config *cfg)
{
	char	*src = arg, *dst, *mode;

	if (cfg->nbinds == SB_MAXBINDS)
		die("--bind: at most %d binds", SB_MAXBINDS);
	if ((dst = strchr(src, ':')) == NULL)
		die("--bind '%s': expected SRC:DST[:ro|:rw]", arg);
	*dst++ = '\0';
	if ((mode = strchr(dst, ':')) != NULL) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
			die("--bind: mode '%s': use ro or rw", mode);
	}
	if (*src == '\0' || *dst == '\0')
		die("--bind: empty source or target");
	cfg->binds[cfg->nbinds].src = src;
	cfg->binds[cfg->nbinds].dst = dst;
	cfg->binds[cfg->nbinds].rw = mode != NULL && strcmp(mode, "rw") == 0;
	cfg->nbinds++;
}

static void
on_signal(int sig)
{
	if (sandbox_pid > 0)
		(void)kill(sandbox_pid, sig);
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

enum {
	OPT_USER = 256, OPT_UID, OPT_GID, OPT_HOME, OPT_HOMES, OPT_CWD,
	OPT_ENV, OPT_BIND, OPT_SOCKDIR, OPT_HOSTNET, OPT_MEMORY, OPT_CPUS,
	OPT_WEIGHT, OPT_PIDS, OPT_CGPARENT, OPT_STATS, OPT_TIMING,
	OPT_PICKUID, OPT_USED, OPT_SWEEP
};

static const struct option longopts[] = {
	{ "user", required_argument, NULL, OPT_USER },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "gid", required_argument, NULL, OPT_GID },
	{ "home", required_argument, NULL, OPT_HOME },
	{ "homes", required_argument, NULL, OPT_HOMES },
	{ "cwd", required_argument, NULL, OPT_CWD },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "sockdir", required_argument, NULL, OPT_SOCKDIR },
	{ "host-network", no_argument, NULL, OPT_HOSTNET },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "cpu-weight", required_argument, NULL, OPT_WEIGHT },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "cgroup-parent", required_argument, NULL, OPT_CGPARENT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "timing", no_argument, NULL, OPT_TIMING },
	{ "pick-uid", no_argument, NULL, OPT_PICKUID },
	{ "used", required_argument, NULL, OPT_USED },
	{ "sweep", no_argument, NULL, OPT_SWEEP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char *argv[])
{
	struct sandbox_config	 cfg;
	struct sandbox		 sb;
	struct sigaction	 sa;
	sigset_t		 set, old;
	char			 err[SB_ERRLEN], homebuf[PATH_MAX];
	char			*env[MAXENV + 1];
	const char		*homes = NULL;
	uid_t			 used[64];
	size_t			 nenv = 0, nused = 0;
	unsigned long		 id;
	int			 ch, have_uid = 0, have_gid = 0, stats = 0;
	int			 timing = 0, pick = 0, sweep = 0, rc, status;
	int			 removed;
	double			 t0;

	/* Pid 1 of a sandbox we started: never returns. */
	sandbox_init_dispatch(argc, argv);

	sandbox_config_init(&cfg);
	memset(env, 0, sizeof(env));
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_USER:
			cfg.user = optarg;
			break;
		case OPT_UID:
			if (parse_id(optarg, &id) == -1)
				die("--uid '%s': expected a number", optarg);
			cfg.uid = (uid_t)id;
			have_uid = 1;
			break;
		case OPT_GID:
			if (parse_id(optarg, &id) == -1)
				die("--gid '%s': expected a number", optarg);
			cfg.gid = (gid_t)id;
			have_gid = 1;
			break;
		case OPT_HOME:
			cfg.home = optarg;
			break;
		case OPT_HOMES:
			homes = optarg;
			break;
		case OPT_CWD:
			cfg.cwd = optarg;
			break;
		case OPT_ENV:
			if (nenv == MAXENV)
				die("--env: at most %d", MAXENV);
			env[nenv++] = optarg;
			break;
		case OPT_BIND:
			parse_bind(optarg, &cfg);
			break;
		case OPT_SOCKDIR:
			cfg.sockdir = optarg;
			break;
		case OPT_HOSTNET:
			cfg.hostnet = 1;
			break;
		case OPT_MEMORY:
			if (limits_parse_memory(optarg, &cfg.limits.memory,
			    err, sizeof(err)) == -1)
				die("--%s", err);
			break;
		case OPT_CPUS:
			if (limits_parse_cpus(optarg, &cfg.limits.cpus, err,
			    sizeof(err)) == -1)
				die("--%s", err);
			break;
		case OPT_WEIGHT:
			if (limits_parse_weight(optarg, &cfg.limits.weight,
			    err, sizeof(err)) == -1)
				die("--%s", err);
			break;
		case OPT_PIDS:
			if (limits_parse_pids(optarg, &cfg.limits.pids, err,
			    sizeof(err)) == -1)
				die("--%s", err);
			break;
		case OPT_CGPARENT:
			cfg.cgroup_parent = optarg;
			break;
		case OPT_STATS:
			stats = 1;
			break;
		case OPT_TIMING:
			timing = 1;
			break;
		case OPT_PICKUID:
			pick = 1;
			break;
		case OPT_USED:
			if (nused == sizeof(used) / sizeof(used[0]))
				die("--used: too many");
			if (parse_id(optarg, &id) == -1)
				die("--used '%s': expected a number", optarg);
			used[nused++] = (uid_t)id;
			break;
		case OPT_SWEEP:
			sweep = 1;
			break;
		case 'h':
			usage(stdout, 0);
		default:
			usage(stderr, EXIT_OWN);
		}
	}
	argc -= optind;
	argv += optind;

	if (pick) {
		uid_t	 uid;

		if (identity_pick_uid(used, nused, &uid, err, sizeof(err)) ==
		    -1)
			die("%s", err);
		printf("%lu\n", (unsigned long)uid);
		return 0;
	}
	if (geteuid() != 0)
		die("must run as root");
	if (sweep) {
		if (cgroup_sweep(cfg.cgroup_parent, &removed, err,
		    sizeof(err)) == -1)
			die("%s", err);
		printf("removed %d stale cgroup(s)\n", removed);
		return 0;
	}
	if (argc == 0)
		die("no command given (see --help)");
	if (cfg.user == NULL)
		die("--user is required (see --help)");
	if (!identity_valid_name(cfg.user))
		die("--user '%s': use [a-z_][a-z0-9_-]*, at most %d "
		    "characters", cfg.user, SB_USERNAME_MAX);
	if (have_uid) {
		if (identity_check_uid(cfg.uid, err, sizeof(err)) == -1)
			die("--uid: %s", err);
		if (!have_gid)
			cfg.gid = (gid_t)cfg.uid;
	} else {
		gid_t	 gid;

		if (identity_lookup(cfg.user, &cfg.uid, &gid, err,
		    sizeof(err)) == -1)
			die("%s (or give a hub --uid)", err);
		if (!have_gid)
			cfg.gid = gid;
	}
	if ((cfg.home == NULL) == (homes == NULL))
		die("give exactly one of --home and --homes");
	if (homes != NULL) {
		if (identity_make_home(homes, cfg.uid, cfg.gid, homebuf,
		    sizeof(homebuf), err, sizeof(err)) == -1)
			die("%s", err);
		cfg.home = homebuf;
	}
	cfg.argv = argv;
	cfg.env = env;

	if (cgroup_sweep(cfg.cgroup_parent, &removed, err, sizeof(err)) == -1)
		die("%s", err);

	/* Signals wait until the sandbox's pid is known. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	t0 = now_ms();
	rc = sandbox_start(&cfg, &sb, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "hubd-sandbox: %s\n", err);
		return rc == -2 ? SB_EXIT_EXEC : EXIT_OWN;
	}
	if (timing)
		fprintf(stderr, "hubd-sandbox: started in %.3f ms\n",
		    now_ms() - t0);
	sandbox_pid = sb.pid;
	sigprocmask(SIG_SETMASK, &old, NULL);

	rc = sandbox_wait(&sb, &status, err, sizeof(err));
	sandbox_pid = -1;
	if (rc == -1)
		fprintf(stderr, "hubd-sandbox: cleanup: %s\n", err);
	if (sb.stats.oom_kills > 0)
		fprintf(stderr, "hubd-sandbox: memory limit reached: %" PRIu64
		    " process(es) killed by the OOM killer\n",
		    sb.stats.oom_kills);
	if (sb.stats.pids_max_events > 0)
		fprintf(stderr, "hubd-sandbox: process limit reached: %" PRIu64
		    " fork(s) refused\n", sb.stats.pids_max_events);
	if (status == 128 + SIGSYS)
		fprintf(stderr, "hubd-sandbox: %s: killed by SIGSYS: a system "
		    "call the seccomp filter refuses (the kernel log names it: "
		    "audit type=1326)\n", cfg.argv[0]);
	if (stats)
		fprintf(stderr, "hubd-sandbox: stats memory_peak=%" PRIu64
		    " oom_kills=%" PRIu64 " pids_max_events=%" PRIu64
		    " cpu_usage_usec=%" PRIu64 " cpu_nr_throttled=%" PRIu64
		    "\n", sb.stats.memory_peak, sb.stats.oom_kills,
		    sb.stats.pids_max_events, sb.stats.cpu_usage_usec,
		    sb.stats.cpu_nr_throttled);
	return status;
}
