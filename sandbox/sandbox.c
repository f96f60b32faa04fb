/*
 * sandbox.c: start, watch and stop one sandboxed student process.
 *
 * Parent (the caller, root): validates the configuration, prepares
 * everything that allocates (passwd, group, hosts, environment, the
 * seccomp program), creates the cgroup with its limits, then clones a child
 * into new mount, pid, ipc, uts (and net) namespaces.  The child waits on a
 * pipe until the parent has placed it in the cgroup.  The child then builds
 * its file system, sets the hostname and brings lo up, sets rlimits, drops
 * capabilities and its ids, calls setsid, arms PDEATHSIG, sets
 * NO_NEW_PRIVS, loads seccomp and closes inherited descriptors.  As pid 1
 * of its pid namespace it forks the payload, which execs, then re-executes
 * itself as SB_INIT_ARGV0 with an empty environment (so /proc/1 shows the
 * student nothing of the launcher) and, non-dumpable, forwards
 * SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it, reaps
 * orphans, and exits with the payload's status, which takes every other
 * process of the namespace down with it.
 *
 * Errors in the child travel back over a close-on-exec pipe: EOF without a
 * message means the payload's execve succeeded.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range		436
#endif

#define SB_ENVMAX	48
#define SB_FILEMAX	1024

/* Everything the child needs, prepared in the parent. */
struct child_ctx {
	const struct sandbox_config	*cfg;
	struct sb_mountplan		 plan;
	struct sb_filter		 filter;
	char				 passwd[SB_FILEMAX];
	char				 group[SB_FILEMAX];
	char				 hosts[SB_FILEMAX];
	char				 hostname[64];
	char				*envp[SB_ENVMAX + 1];
	char				 envbuf[SB_ENVMAX][128];
	int				 cap_last;
	int				 syncfd;	/* read end */
	int				 errfd;		/* write end */
};

static const int forwarded[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
};

static volatile pid_t payload_pid;

void
sb_err(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (errnum != 0 && n < errlen)
		snprintf(err + n, errlen - n, ": %s", strerrordesc_np(errnum));
}

void
sandbox_config_init(struct sandbox_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->uid = (uid_t)-1;
	cfg->gid = (gid_t)-1;
	cfg->die_with_parent = 1;
	limits_default(&cfg->limits);
}

/* Paths inside the sandbox that binds may not shadow. */
static int
reserved_dst(const char *dst)
{
	static const char *const reserved[] = {
		"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
		"/etc", "/proc", "/dev", "/tmp", "/home", "/run", "/sys",
	};
	size_t	 i, n;

	if (strcmp(dst, "/") == 0)
		return 1;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		n = strlen(reserved[i]);
		if (strncmp(dst, reserved[i], n) == 0 &&
		    (dst[n] == '\0' || dst[n] == '/'))
			return 1;
	}
	return 0;
}

static int
clean_abs_path(const char *p)
{
	const char	*s;

	if (p == NULL || p[0] != '/' || strlen(p) >= PATH_MAX / 2)
		return 0;
	for (s = p; *s != '\0'; s++) {
		if (s[0] == '/' && s[1] == '/')
			return 0;
		if (s[0] == '/' && s[1] == '.' && (s[2] == '/' ||
		    s[2] == '\0' || (s[2] == '.' && (s[3] == '/' ||
		    s[3] == '\0'))))
			return 0;
	}
	return 1;
}

/* Is path equal to dir or below it? */
static int
path_within(const char *path, const char *dir)
{
	size_t	 n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/');
}

static int
validate(const struct sandbox_config *cfg, char *err, size_t errlen)
{
	const struct sb_limits	*l = &cfg->limits;
	struct stat		 st;
	size_t			 i, j;

	if (!identity_valid_name(cfg->user)) {
		sb_err(err, errlen, 0, "user name '%s': use [a-z_][a-z0-9_-]*, "
		    "at most %d characters", cfg->user ? cfg->user : "",
		    SB_USERNAME_MAX);
		return -1;
	}
	if (cfg->uid == 0 || cfg->uid == (uid_t)-1 || cfg->gid == 0 ||
	    cfg->gid == (gid_t)-1) {
		sb_err(err, errlen, 0, "user '%s': needs a non-root uid and gid",
		    cfg->user);
		return -1;
	}
	/* Checked again by the child on what it binds (mount.c). */
	if (!clean_abs_path(cfg->home) || lstat(cfg->home, &st) == -1 ||
	    !S_ISDIR(st.st_mode)) {
		sb_err(err, errlen, errno, "home '%s': not an absolute path to "
		    "a directory (not a symlink)", cfg->home ? cfg->home : "");
		return -1;
	}
	if (st.st_uid != cfg->uid) {
		sb_err(err, errlen, 0, "home '%s': owned by uid %lu, not the "
		    "student's %lu", cfg->home, (unsigned long)st.st_uid,
		    (unsigned long)cfg->uid);
		return -1;
	}
	if (cfg->sockdir != NULL && (!clean_abs_path(cfg->sockdir) ||
	    lstat(cfg->sockdir, &st) == -1 || !S_ISDIR(st.st_mode))) {
		sb_err(err, errlen, errno, "socket directory '%s': not an "
		    "absolute path to a directory (not a symlink)",
		    cfg->sockdir);
		return -1;
	}
	if (cfg->ngroups > SB_MAXGROUPS) {
		sb_err(err, errlen, 0, "too many groups (at most %d)",
		    SB_MAXGROUPS);
		return -1;
	}
	for (i = 0; i < cfg->ngroups; i++)
		if (cfg->groups[i] == 0) {
			sb_err(err, errlen, 0, "group 0 is not for students");
			return -1;
		}
	if (cfg->nbinds > SB_MAXBINDS) {
		sb_err(err, errlen, 0, "too many binds (at most %d)",
		    SB_MAXBINDS);
		return -1;
	}
	for (i = 0; i < cfg->nbinds; i++) {
		const struct sb_bind *b = &cfg->binds[i];

		if (!clean_abs_path(b->src) || stat(b->src, &st) == -1) {
			sb_err(err, errlen, errno, "bind source '%s'",
			    b->src ? b->src : "");
			return -1;
		}
		if (!clean_abs_path(b->dst) || reserved_dst(b->dst)) {
			sb_err(err, errlen, 0, "bind target '%s': must be an "
			    "absolute path outside /usr /etc /proc /dev /tmp "
			    "/home /run /sys (e.g. /srv/course)",
			    b->dst ? b->dst : "");
			return -1;
		}
		/*
		 * Mount points are made as root below the new root: inside
		 * another bind they would be made in the host directory it
		 * shows, through whatever symlinks a student left there.
		 */
		for (j = 0; j < i; j++)
			if (path_within(b->dst, cfg->binds[j].dst) ||
			    path_within(cfg->binds[j].dst, b->dst)) {
				sb_err(err, errlen, 0, "bind targets '%s' and "
				    "'%s' nest: give each its own directory",
				    cfg->binds[j].dst, b->dst);
				return -1;
			}
	}
	if (l->memory < SB_MEMORY_MIN || l->memory > SB_MEMORY_MAX ||
	    l->pids < SB_PIDS_MIN || l->pids > SB_PIDS_MAX ||
	    l->cpus < SB_CPUS_MIN || l->cpus > SB_CPUS_MAX ||
	    l->weight < SB_WEIGHT_MIN || l->weight > SB_WEIGHT_MAX) {
		sb_err(err, errlen, 0, "limits out of range");
		return -1;
	}
	if (cfg->argv == NULL || cfg->argv[0] == NULL) {
		sb_err(err, errlen, 0, "no command given");
		return -1;
	}
	return 0;
}

static int
addenv(struct child_ctx *c, size_t *n, const char *name, const char *value,
    char *err, size_t errlen)
{
	if (*n >= SB_ENVMAX) {
		sb_err(err, errlen, 0, "too many environment variables");
		return -1;
	}
	if ((size_t)snprintf(c->envbuf[*n], sizeof(c->envbuf[*n]), "%s%s%s",
	    name, value != NULL ? "=" : "", value != NULL ? value : "") >=
	    sizeof(c->envbuf[*n])) {
		sb_err(err, errlen, 0, "environment variable %.32s too long",
		    name);
		return -1;
	}
	c->envp[*n] = c->envbuf[*n];
	(*n)++;
	c->envp[*n] = NULL;
	return 0;
}

static int
prepare(struct child_ctx *c, const struct sandbox_config *cfg, char *err,
    size_t errlen)
{
	char	 threads[16], buf[64];
	size_t	 n = 0, i;
	FILE	*f;

	c->cfg = cfg;
	c->plan.cfg = cfg;
	if ((size_t)snprintf(c->plan.homedir, sizeof(c->plan.homedir),
	    "%s/%s", SB_HOME_INSIDE, cfg->user) >= sizeof(c->plan.homedir) ||
	    (size_t)snprintf(c->hostname, sizeof(c->hostname), "nb-%s",
	    cfg->user) >= sizeof(c->hostname)) {
		sb_err(err, errlen, 0, "user name too long");
		return -1;
	}
	snprintf(c->passwd, sizeof(c->passwd),
	    "root:x:0:0:root:/root:/usr/sbin/nologin\n"
	    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	    "%s:x:%lu:%lu::%s:/bin/bash\n", cfg->user, (unsigned long)cfg->uid,
	    (unsigned long)cfg->gid, c->plan.homedir);
	snprintf(c->group, sizeof(c->group),
	    "root:x:0:\nnogroup:x:65534:\n%s:x:%lu:\n", cfg->user,
	    (unsigned long)cfg->gid);
	snprintf(c->hosts, sizeof(c->hosts),
	    "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n"
	    "::1\tlocalhost ip6-localhost ip6-loopback\n", c->hostname);
	c->plan.passwd = c->passwd;
	c->plan.group = c->group;
	c->plan.hosts = c->hosts;

	snprintf(threads, sizeof(threads), "%u", limits_threads(&cfg->limits));
	if (addenv(c, &n, "HOME", c->plan.homedir, err, errlen) == -1 ||
	    addenv(c, &n, "USER", cfg->user, err, errlen) == -1 ||
	    addenv(c, &n, "LOGNAME", cfg->user, err, errlen) == -1 ||
	    addenv(c, &n, "SHELL", "/bin/bash", err, errlen) == -1 ||
	    addenv(c, &n, "PATH", SB_PATH_ENV, err, errlen) == -1 ||
	    addenv(c, &n, "LANG", "C.UTF-8", err, errlen) == -1 ||
	    addenv(c, &n, "MPLBACKEND", "Agg", err, errlen) == -1 ||
	    addenv(c, &n, "JUPYTER_RUNTIME_DIR", "/tmp/jupyter-runtime", err,
	    errlen) == -1 ||
	    addenv(c, &n, "OMP_NUM_THREADS", threads, err, errlen) == -1 ||
	    addenv(c, &n, "OPENBLAS_NUM_THREADS", threads, err, errlen) == -1 ||
	    addenv(c, &n, "MKL_NUM_THREADS", threads, err, errlen) == -1)
		return -1;
	for (i = 0; cfg->env != NULL && cfg->env[i] != NULL; i++) {
		if (strchr(cfg->env[i], '=') == NULL ||
		    cfg->env[i][0] == '=') {
			sb_err(err, errlen, 0, "environment '%.32s': expected "
			    "NAME=value", cfg->env[i]);
			return -1;
		}
		if (addenv(c, &n, cfg->env[i], NULL, err, errlen) == -1)
			return -1;
	}

	/* Highest capability the kernel knows, to empty the bounding set. */
	c->cap_last = CAP_LAST_CAP;
	if ((f = fopen("/proc/sys/kernel/cap_last_cap", "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			c->cap_last = atoi(buf);
		fclose(f);
	}
	if (c->cap_last < CAP_LAST_CAP || c->cap_last > 255)
		c->cap_last = CAP_LAST_CAP;
	return sb_seccomp_compile(SB_ROLE_STUDENT, &c->filter, err, errlen);
}

static int
stage_dir(char *err, size_t errlen)
{
	struct stat	 st;

	if (mkdir(SB_STAGE_DIR, 0700) == -1 && errno != EEXIST) {
		sb_err(err, errlen, errno, "mkdir %s", SB_STAGE_DIR);
		return -1;
	}
	if (lstat(SB_STAGE_DIR, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != 0 || (st.st_mode & 022) != 0) {
		sb_err(err, errlen, 0, "%s: not a root-owned private "
		    "directory", SB_STAGE_DIR);
		return -1;
	}
	return 0;
}

/* ---- child side: no allocation below this line ---- */

static void __attribute__((noreturn))
child_fail(struct child_ctx *c, const char *msg)
{
	size_t	 len = strlen(msg);

	if (write(c->errfd, msg, len) != (ssize_t)len)
		_exit(SB_EXIT_SETUP);
	_exit(SB_EXIT_SETUP);
}

static int
loopback_up(char *err, size_t errlen)
{
	struct ifreq	 ifr;
	int		 fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		sb_err(err, errlen, errno, "socket for lo");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name) - 1);
	ifr.ifr_flags = IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1) {
		sb_err(err, errlen, errno, "bring lo up");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
set_rlimits(char *err, size_t errlen)
{
	static const struct {
		int		 res;
		rlim_t		 val;
		const char	*name;
	} lim[] = {
		{ RLIMIT_CORE, 0, "CORE" },
		{ RLIMIT_NOFILE, SB_RLIMIT_NOFILE, "NOFILE" },
		{ RLIMIT_NPROC, SB_RLIMIT_NPROC, "NPROC" },
		{ RLIMIT_FSIZE, SB_RLIMIT_FSIZE, "FSIZE" },
		{ RLIMIT_MEMLOCK, SB_RLIMIT_MEMLOCK, "MEMLOCK" },
		{ RLIMIT_RTPRIO, 0, "RTPRIO" },
		{ RLIMIT_NICE, 0, "NICE" },
		{ RLIMIT_MSGQUEUE, SB_RLIMIT_MSGQUEUE, "MSGQUEUE" },
		{ RLIMIT_AS, RLIM_INFINITY, "AS" },
		{ RLIMIT_CPU, RLIM_INFINITY, "CPU" },
	};
	struct rlimit	 rl;
	size_t		 i;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		rl.rlim_cur = rl.rlim_max = lim[i].val;
		if (setrlimit(lim[i].res, &rl) == -1) {
			sb_err(err, errlen, errno, "setrlimit %s", lim[i].name);
			return -1;
		}
	}
	return 0;
}

static int
drop_privileges(struct child_ctx *c, char *err, size_t errlen)
{
	const struct sandbox_config	*cfg = c->cfg;
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];
	int				 cap;

	for (cap = 0; cap <= c->cap_last; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL) {
			sb_err(err, errlen, errno, "drop capability %d", cap);
			return -1;
		}
	if (setgroups(cfg->ngroups, cfg->ngroups ? cfg->groups : NULL) == -1) {
		sb_err(err, errlen, errno, "setgroups");
		return -1;
	}
	if (setresgid(cfg->gid, cfg->gid, cfg->gid) == -1) {
		sb_err(err, errlen, errno, "setresgid %lu",
		    (unsigned long)cfg->gid);
		return -1;
	}
	if (setresuid(cfg->uid, cfg->uid, cfg->uid) == -1) {
		sb_err(err, errlen, errno, "setresuid %lu",
		    (unsigned long)cfg->uid);
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		sb_err(err, errlen, errno, "clear ambient capabilities");
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capset, &hdr, data) == -1) {
		sb_err(err, errlen, errno, "capset");
		return -1;
	}
	if (setresuid(0, 0, 0) != -1 || setresgid(0, 0, 0) != -1) {
		sb_err(err, errlen, 0, "could regain root after dropping it");
		return -1;
	}
	return 0;
}

/* Close every descriptor from 3 up except keep1 and keep2. */
static int
close_others(int keep1, int keep2)
{
	int	 lo = keep1 < keep2 ? keep1 : keep2;
	int	 hi = keep1 < keep2 ? keep2 : keep1;

	if (lo > 3 && syscall(SYS_close_range, 3U, (unsigned)lo - 1, 0U) == -1)
		return -1;
	if (hi > lo + 1 && syscall(SYS_close_range, (unsigned)lo + 1,
	    (unsigned)hi - 1, 0U) == -1)
		return -1;
	return (int)syscall(SYS_close_range, (unsigned)hi + 1, ~0U, 0U);
}

static void
forward(int sig)
{
	int	 saved = errno;

	if (payload_pid > 0)
		(void)kill(payload_pid, sig);
	errno = saved;
}

/* Reap until the payload is gone; its status becomes ours. */
static void __attribute__((noreturn))
init_loop(pid_t payload)
{
	struct sigaction	 sa;
	sigset_t		 set;
	size_t			 i;
	pid_t			 pid;
	int			 st;

	payload_pid = payload;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		(void)sigaction(forwarded[i], &sa, NULL);
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
	for (;;) {
		pid = waitpid(-1, &st, 0);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			_exit(SB_EXIT_SETUP);	/* payload lost: cannot be */
		if (pid != payload)
			continue;	/* an orphan, reaped */
		if (WIFEXITED(st))
			_exit(WEXITSTATUS(st));
		if (WIFSIGNALED(st))
			_exit(128 + WTERMSIG(st));
	}
}

static void __attribute__((noreturn))
child_main(struct child_ctx *c)
{
	const struct sandbox_config	*cfg = c->cfg;
	char				 err[SB_ERRLEN];
	char				 msg[SB_ERRLEN + 16];
	char				 pidarg[24];
	char				*initargv[] = {
		(char *)SB_INIT_ARGV0, pidarg, NULL
	};
	char				*initenv[] = { NULL };
	struct sigaction		 sa;
	struct pollfd			 pfd;
	sigset_t			 set;
	pid_t				 pid;
	char				 byte;
	int				 sig;
	ssize_t				 n;

	/* The caller's handlers mean nothing here. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	/* Stay blocked until pid 1 has its handlers; payload unblocks. */
	sigfillset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);

	do {
		n = read(c->syncfd, &byte, 1);
	} while (n == -1 && errno == EINTR);
	if (n != 1)
		_exit(SB_EXIT_SETUP);	/* parent gave up */

#define STEP(call) do {							\
		if ((call) == -1) {					\
			child_fail(c, err);				\
		}							\
	} while (0)

	STEP(mount_build_root(&c->plan, err, sizeof(err)));
	if (sethostname(c->hostname, strlen(c->hostname)) == -1) {
		sb_err(err, sizeof(err), errno, "sethostname");
		child_fail(c, err);
	}
	if (!cfg->hostnet)
		STEP(loopback_up(err, sizeof(err)));
	STEP(set_rlimits(err, sizeof(err)));
	STEP(drop_privileges(c, err, sizeof(err)));
	if (setsid() == -1) {
		sb_err(err, sizeof(err), errno, "setsid");
		child_fail(c, err);
	}
	/* After setresuid, which clears it. */
	if (cfg->die_with_parent) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1) {
			sb_err(err, sizeof(err), errno, "PR_SET_PDEATHSIG");
			child_fail(c, err);
		}
		pfd.fd = c->syncfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) != 0)
			_exit(SB_EXIT_SETUP);	/* parent already gone */
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		sb_err(err, sizeof(err), errno, "PR_SET_NO_NEW_PRIVS");
		child_fail(c, err);
	}
	if (chdir(cfg->cwd != NULL ? cfg->cwd : c->plan.homedir) == -1) {
		sb_err(err, sizeof(err), errno, "chdir %s",
		    cfg->cwd != NULL ? cfg->cwd : c->plan.homedir);
		child_fail(c, err);
	}
	/* The last privileged step. */
	if (sb_seccomp_load(&c->filter) == -1) {
		sb_err(err, sizeof(err), errno, "seccomp");
		child_fail(c, err);
	}
	if (close_others(c->syncfd, c->errfd) == -1) {
		sb_err(err, sizeof(err), errno, "close_range");
		child_fail(c, err);
	}
#undef STEP

	if ((pid = fork()) == -1) {
		sb_err(err, sizeof(err), errno, "fork payload");
		child_fail(c, err);
	}
	if (pid == 0) {
		extern char	**environ;

		close(c->syncfd);
		sigemptyset(&set);
		(void)sigprocmask(SIG_SETMASK, &set, NULL);
		environ = c->envp;
		execvp(cfg->argv[0], cfg->argv);
		snprintf(msg, sizeof(msg), "exec %s: %s", cfg->argv[0],
		    strerrordesc_np(errno));
		if (write(c->errfd, msg, strlen(msg)) == -1)
			_exit(SB_EXIT_EXEC);
		_exit(SB_EXIT_EXEC);
	}
	/*
	 * Become the reaper by executing ourselves afresh: argv and
	 * environment of pid 1 are visible to the student in /proc/1, and
	 * ours name host paths and the launcher's options.  Signals stay
	 * blocked across the exec (the init unblocks them once its handlers
	 * are in place); errfd closes on success and reports a failure.
	 */
	snprintf(pidarg, sizeof(pidarg), "%ld", (long)pid);
	execve("/proc/self/exe", initargv, initenv);
	snprintf(msg, sizeof(msg), "exec init: %s", strerrordesc_np(errno));
	(void)kill(pid, SIGKILL);
	if (write(c->errfd, msg, strlen(msg)) == -1)
		_exit(SB_EXIT_SETUP);
	_exit(SB_EXIT_SETUP);
}

/*
 * Pid 1 after the re-exec (argv: SB_INIT_ARGV0 <payload pid>, no
 * environment): refuse to be dumped or traced, so that /proc/1 stays
 * closed to the student, and reap.  Returns unless argv[0] is
 * SB_INIT_ARGV0.
 */
void
sandbox_init_dispatch(int argc, char *argv[])
{
	const char	*msg = SB_INIT_ARGV0 ": only pid 1 of a sandbox\n";
	char		*end;
	long		 pid;

	if (argc < 1 || argv[0] == NULL || strcmp(argv[0], SB_INIT_ARGV0) != 0)
		return;
	errno = 0;
	pid = argc == 2 ? strtol(argv[1], &end, 10) : 0;
	if (getpid() != 1 || argc != 2 || errno != 0 || *end != '\0' ||
	    pid <= 1 || pid > INT_MAX) {
		if (write(STDERR_FILENO, msg, strlen(msg)) == -1)
			_exit(SB_EXIT_SETUP);
		_exit(SB_EXIT_SETUP);
	}
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* pid 1 holds no directory of the launcher's */
	if (chdir("/") == -1)
		_exit(SB_EXIT_SETUP);
	init_loop((pid_t)pid);
}

/* ---- parent side ---- */

static void
child_ctx_free(struct child_ctx *c)
{
	if (c == NULL)
		return;
	sb_seccomp_free(&c->filter);
	free(c);
}

static pid_t
waitpid_eintr(pid_t pid, int *st, int flags)
{
	pid_t	 r;

	do {
		r = waitpid(pid, st, flags);
	} while (r == -1 && errno == EINTR);
	return r;
}

/*
 * Start cfg->argv in a new sandbox.  Returns 0 once the command has been
 * executed (sb then describes the sandbox: wait for it with sandbox_wait());
 * -1 if the sandbox could not be set up, -2 if it was but the command could
 * not be executed; err says why, and nothing is left behind.
 */
int
sandbox_start(const struct sandbox_config *cfg, struct sandbox *sb,
    char *err, size_t errlen)
{
	struct child_ctx	*c = NULL;
	struct cgroup		*cg = NULL;
	char			 name[64], msg[SB_ERRLEN + 16], sub[SB_ERRLEN];
	int			 sync[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int			 flags, rc = -1, st;
	size_t			 len = 0;
	ssize_t			 n;
	pid_t			 pid = -1;

	memset(sb, 0, sizeof(*sb));
	sb->pid = -1;
	sb->syncfd = -1;
	if (geteuid() != 0) {
		sb_err(err, errlen, 0, "must run as root");
		return -1;
	}
	if (validate(cfg, err, errlen) == -1)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sb_err(err, errlen, errno, "sandbox");
		return -1;
	}
	if (prepare(c, cfg, err, errlen) == -1 || stage_dir(err, errlen) == -1)
		goto fail;
	snprintf(name, sizeof(name), "%s%lu.g%lu", SB_CGROUP_PREFIX,
	    (unsigned long)cfg->uid, cfg->instance != 0 ? cfg->instance :
	    (unsigned long)getpid());
	if ((cg = cgroup_create(cfg->cgroup_parent, name, &cfg->limits, err,
	    errlen)) == NULL)
		goto fail;
	if (pipe2(sync, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		sb_err(err, errlen, errno, "pipe");
		goto fail;
	}
	c->syncfd = sync[0];
	c->errfd = errp[1];

	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	if (!cfg->hostnet)
		flags |= CLONE_NEWNET;
	/* fork-like: no new stack, no glibc fork handlers in the child */
	pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL,
	    NULL, NULL, NULL);
	if (pid == -1) {
		sb_err(err, errlen, errno, "clone");
		goto fail;
	}
	if (pid == 0) {
		close(sync[1]);
		close(errp[0]);
		child_main(c);
	}
	close(sync[0]);
	sync[0] = -1;
	close(errp[1]);
	errp[1] = -1;

	/* Into the cgroup before any of its code runs, then release it. */
	if (cgroup_attach(cg, pid, err, errlen) == -1)
		goto fail;
	if (write(sync[1], "x", 1) != 1) {
		sb_err(err, errlen, errno, "release child");
		goto fail;
	}
	/* EOF: the payload's execve succeeded (or everything died). */
	for (;;) {
		n = read(errp[0], msg + len, sizeof(msg) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(msg) - 1)
			break;
	}
	msg[len] = '\0';
	if (len > 0) {
		rc = strncmp(msg, "exec ", 5) == 0 ? -2 : -1;
		sb_err(err, errlen, 0, "sandbox: %s", msg);
		goto fail;
	}
	close(errp[0]);
	child_ctx_free(c);
	sb->pid = pid;
	sb->syncfd = sync[1];
	sb->cg = cg;
	return 0;
fail:
	if (pid > 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid_eintr(pid, &st, 0);
	}
	if (cg != NULL) {
		(void)cgroup_kill(cg, sub, sizeof(sub));
		(void)cgroup_remove(cg, sub, sizeof(sub));
		cgroup_free(cg);
	}
	if (sync[0] != -1)
		close(sync[0]);
	if (sync[1] != -1)
		close(sync[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	child_ctx_free(c);
	return rc;
}

int
sandbox_signal(struct sandbox *sb, int sig)
{
	if (sb->pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	return kill(sb->pid, sig);
}

/*
 * Wait for the sandbox to end.  *status gets the payload's exit status, or
 * 128 + signal.  The cgroup's final counters land in sb->stats and the
 * cgroup is removed.  Returns -1 if cleanup failed (status still valid).
 */
int
sandbox_wait(struct sandbox *sb, int *status, char *err, size_t errlen)
{
	char	 sub[SB_ERRLEN];
	int	 st, rc = 0;

	if (sb->pid <= 0) {
		sb_err(err, errlen, 0, "sandbox not running");
		return -1;
	}
	if (waitpid_eintr(sb->pid, &st, 0) == -1) {
		sb_err(err, errlen, errno, "waitpid %ld", (long)sb->pid);
		return -1;
	}
	if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		*status = 128 + WTERMSIG(st);
	else
		*status = 255;
	sb->pid = -1;
	if (sb->cg != NULL) {
		(void)cgroup_read_stats(sb->cg, &sb->stats, sub, sizeof(sub));
		/* pid 1 is gone, so is its namespace; this is a backstop */
		if (cgroup_kill(sb->cg, err, errlen) == -1)
			rc = -1;
		if (cgroup_remove(sb->cg, err, errlen) == -1)
			rc = -1;
	}
	sandbox_release(sb);
	return rc;
}

/*
 * Stop: SIGTERM to pid 1 (forwarded to the payload), SIGKILL after grace
 * milliseconds, then as sandbox_wait().
 */
int
sandbox_stop(struct sandbox *sb, unsigned int grace_ms, char *err,
    size_t errlen)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	unsigned int	 waited;
	int		 status, st;
	pid_t		 r;

	if (sb->pid <= 0) {
		sb_err(err, errlen, 0, "sandbox not running");
		return -1;
	}
	(void)kill(sb->pid, SIGTERM);
	for (waited = 0; waited < grace_ms; waited += 10) {
		r = waitpid(sb->pid, &st, WNOHANG | __WALL);
		if (r != 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (waited >= grace_ms)
		(void)kill(sb->pid, SIGKILL);
	else if (r == sb->pid) {
		/* already reaped: finish as sandbox_wait() would */
		sb->pid = -1;
		if (sb->cg != NULL) {
			char sub[SB_ERRLEN];

			(void)cgroup_read_stats(sb->cg, &sb->stats, sub,
			    sizeof(sub));
			(void)cgroup_kill(sb->cg, sub, sizeof(sub));
			if (cgroup_remove(sb->cg, err, errlen) == -1) {
				sandbox_release(sb);
				return -1;
			}
		}
		sandbox_release(sb);
		return 0;
	}
	return sandbox_wait(sb, &status, err, errlen);
}

/* Forget the sandbox without waiting (the cgroup directory stays). */
void
sandbox_release(struct sandbox *sb)
{
	if (sb->syncfd != -1)
		close(sb->syncfd);
	sb->syncfd = -1;
	cgroup_free(sb->cg);
	sb->cg = NULL;
}
