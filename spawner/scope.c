/*
 * scope.c: the students' cgroups in a systemd scope of their own.
 *
 * Under systemd (cgroup v2) the students' tree does not live below
 * hubd.service but in the transient, delegated scope SCOPE_NAME:
 *
 *   /system.slice/hubd-students.scope/keeper/             the keeper
 *   /system.slice/hubd-students.scope/hubd-students/      memory cap, pids
 *   /system.slice/hubd-students.scope/hubd-students/u<uid>.g<n>
 *
 * so that systemd can stop, restart or upgrade hubd.service (KillMode=
 * process) without touching them, on every systemd version: hubd.service
 * keeps no cgroup below it, and systemd 252 (no DelegateSubgroup=) can
 * start the next hubd in it.  "systemctl stop hubd-students.scope" ends
 * every student's server at once (the package's prerm on removal).
 *
 * A scope needs a process to exist.  The spawner forks and executes
 * itself as SCOPE_KEEPER_ARGV0, a process that waits for a signal as the
 * user nobody, and asks systemd (StartTransientUnit over its private bus,
 * sd-bus) for the scope with that process in it; the keeper then moves
 * into the leaf "keeper" so that the scope's own cgroup holds no process
 * and its controllers can be enabled for the students below.  The scope
 * outlives the spawner; a new spawner finds it again (GetUnit) and gives
 * it a keeper if it has lost its own.
 *
 * Without systemd (sd_booted() false) or on cgroup v1, none of this: the
 * sandbox library's own layout below our cgroup applies.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "spawner/spawner.h"

#ifndef SYS_close_range
#define SYS_close_range		436
#endif

#define CG_ROOT			"/sys/fs/cgroup"
#define SD_DEST			"org.freedesktop.systemd1"
#define SD_PATH			"/org/freedesktop/systemd1"
#define SD_MANAGER		"org.freedesktop.systemd1.Manager"
#define SD_PRIVATE		"unix:path=/run/systemd/private"

/* The scope's cgroup, relative to CG_ROOT: "" until known. */
static char	 scope_cg[PATH_MAX];

/*
 * In the keeper (argv[0] SCOPE_KEEPER_ARGV0): no descriptors, no
 * privileges, every signal at its default; wait until one ends us.
 * Returns unless argv[0] is SCOPE_KEEPER_ARGV0.
 */
void
scope_keeper_dispatch(int argc, char *argv[])
{
	sigset_t set;
	int	 fd;

	if (argc < 1 || argv[0] == NULL ||
	    strcmp(argv[0], SCOPE_KEEPER_ARGV0) != 0)
		return;
	sigemptyset(&set);
	if (sigprocmask(SIG_SETMASK, &set, NULL) == -1)
		_exit(1);
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(fd, 0) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		_exit(1);
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == -1)
		_exit(1);
	if (chdir("/") == -1 || setsid() == -1)
		_exit(1);
	if (setgroups(0, NULL) == -1 ||
	    setresgid(SCOPE_KEEPER_ID, SCOPE_KEEPER_ID, SCOPE_KEEPER_ID) ==
	    -1 || setresuid(SCOPE_KEEPER_ID, SCOPE_KEEPER_ID,
	    SCOPE_KEEPER_ID) == -1 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0,
	    0) == -1)
		_exit(1);
	for (;;)
		pause();
}

/* fork and exec ourselves as the keeper.  Its pid, or -1. */
static pid_t
keeper_start(char *err, size_t errlen)
{
	char	*const argv[] = { (char *)SCOPE_KEEPER_ARGV0, NULL };
	char	*const envp[] = { NULL };
	pid_t	 pid;

	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork of the scope's keeper: %s",
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	return pid;
}

static void
keeper_end(pid_t pid)
{
	if (pid <= 0)
		return;
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

/* The unified cgroup of pid, relative to CG_ROOT, from /proc/PID/cgroup. */
static int
cgroup_of(pid_t pid, char *out, size_t outlen)
{
	char	 path[64], line[PATH_MAX + 8];
	FILE	*f;
	int	 rc = -1;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (rc == -1 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::/", 4) == 0 &&
		    (size_t)snprintf(out, outlen, "%s", line + 3) < outlen)
			rc = 0;
	}
	fclose(f);
	return rc;
}

/* Does the cgroup CG_ROOT/cg/file list at least one process? */
static int
has_procs(const char *cg, const char *leaf)
{
	char	 path[PATH_MAX], buf[64];
	ssize_t	 n;
	int	 fd;

	if ((size_t)snprintf(path, sizeof(path), CG_ROOT "%s/%s/cgroup.procs",
	    cg, leaf) >= sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0;
}

/* Move pid into CG_ROOT/cg/SCOPE_KEEPER_LEAF (made if need be). */
static int
keeper_move(const char *cg, pid_t pid, char *err, size_t errlen)
{
	char	 dir[PATH_MAX], path[PATH_MAX + 16], num[32];
	ssize_t	 n;
	int	 fd;

	if ((size_t)snprintf(dir, sizeof(dir), CG_ROOT "%s/"
	    SCOPE_KEEPER_LEAF, cg) >= sizeof(dir)) {
		snprintf(err, errlen, "scope cgroup %s: path too long", cg);
		return -1;
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cgroup %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(num, sizeof(num), "%ld", (long)pid);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, num, strlen(num));
	if (n != (ssize_t)strlen(num)) {
		snprintf(err, errlen, "%s: move the keeper: %s", path,
		    n == -1 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
bus_open(sd_bus **bus, char *err, size_t errlen)
{
	int	 r;

	/* systemd's own socket first: no dbus-daemon needed (root only). */
	*bus = NULL;
	if ((r = sd_bus_new(bus)) >= 0 &&
	    (r = sd_bus_set_address(*bus, SD_PRIVATE)) >= 0 &&
	    (r = sd_bus_start(*bus)) >= 0)
		return 0;
	*bus = sd_bus_unref(*bus);
	if ((r = sd_bus_open_system(bus)) >= 0)
		return 0;
	*bus = NULL;
	snprintf(err, errlen, "systemd's bus: %s", strerror(-r));
	return -1;
}

/*
 * The scope's state if systemd knows it (*state and *cg set, caller frees
 * both), 0 if it does not, -1 on error.
 */
static int
scope_lookup(sd_bus *bus, char **state, char **cg, char *err, size_t errlen)
{
	sd_bus_error	 e = SD_BUS_ERROR_NULL;
	sd_bus_message	*reply = NULL;
	const char	*obj;
	int		 r, rc = -1;

	*state = *cg = NULL;
	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit",
	    &e, &reply, "s", SCOPE_NAME);
	if (r < 0) {
		if (sd_bus_error_has_name(&e,
		    "org.freedesktop.systemd1.NoSuchUnit"))
			rc = 0;
		else
			snprintf(err, errlen, "GetUnit %s: %s", SCOPE_NAME,
			    e.message != NULL ? e.message : strerror(-r));
		goto done;
	}
	if ((r = sd_bus_message_read(reply, "o", &obj)) < 0) {
		snprintf(err, errlen, "GetUnit %s: %s", SCOPE_NAME,
		    strerror(-r));
		goto done;
	}
	if ((r = sd_bus_get_property_string(bus, SD_DEST, obj,
	    "org.freedesktop.systemd1.Unit", "ActiveState", &e, state)) < 0 ||
	    (r = sd_bus_get_property_string(bus, SD_DEST, obj,
	    "org.freedesktop.systemd1.Scope", "ControlGroup", &e, cg)) < 0) {
		snprintf(err, errlen, "%s: properties: %s", SCOPE_NAME,
		    e.message != NULL ? e.message : strerror(-r));
		free(*state);
		*state = NULL;
		goto done;
	}
	rc = 1;
done:
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	return rc;
}

/* StartTransientUnit: the delegated scope, with pid in it. */
static int
scope_create(sd_bus *bus, pid_t pid, char *err, size_t errlen)
{
	sd_bus_error	 e = SD_BUS_ERROR_NULL;
	sd_bus_message	*m = NULL, *reply = NULL;
	int		 r, rc = -1;

	if ((r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH,
	    SD_MANAGER, "StartTransientUnit")) < 0 ||
	    (r = sd_bus_message_append(m, "ss", SCOPE_NAME, "fail")) < 0 ||
	    (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
	    (r = sd_bus_message_append(m, "(sv)", "Description", "s",
	    "hubd: the students' Jupyter servers")) < 0 ||
	    (r = sd_bus_message_append(m, "(sv)", "Slice", "s",
	    SCOPE_SLICE)) < 0 ||
	    (r = sd_bus_message_append(m, "(sv)", "Delegate", "b", 1)) < 0 ||
	    (r = sd_bus_message_append(m, "(sv)", "TimeoutStopUSec", "t",
	    (uint64_t)SCOPE_STOP_SEC * 1000000)) < 0 ||
	    (r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1,
	    (uint32_t)pid)) < 0 ||
	    (r = sd_bus_message_close_container(m)) < 0 ||
	    (r = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0) {
		snprintf(err, errlen, "StartTransientUnit message: %s",
		    strerror(-r));
		goto done;
	}
	if ((r = sd_bus_call(bus, m, 0, &e, &reply)) < 0) {
		snprintf(err, errlen, "StartTransientUnit %s: %s", SCOPE_NAME,
		    e.message != NULL ? e.message : strerror(-r));
		goto done;
	}
	rc = 0;
done:
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return rc;
}

/* Wait until systemd has moved pid into the scope; its cgroup in out. */
static int
scope_wait(pid_t pid, char *out, size_t outlen, char *err, size_t errlen)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	const char *want = "/" SCOPE_NAME;
	size_t	 len, wlen = strlen(want);
	int	 i;

	for (i = 0; i < SCOPE_WAIT_MS / 10; i++) {
		if (cgroup_of(pid, out, outlen) == 0 &&
		    (len = strlen(out)) > wlen &&
		    strcmp(out + len - wlen, want) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	snprintf(err, errlen, "%s: the keeper (pid %ld) is not in it after "
	    "%d ms", SCOPE_NAME, (long)pid, SCOPE_WAIT_MS);
	return -1;
}

/*
 * The students' cgroup parent: "" (the sandbox library's own layout) when
 * systemd does not run or the cgroups are v1; else the absolute cgroup
 * <scope>/SB_CGROUP_PARENT, the scope made or found again first.  -1 with
 * err when systemd runs and the scope cannot be had.
 */
int
scope_students(char *parent, size_t len, char *err, size_t errlen)
{
	sd_bus	*bus = NULL;
	char	*state = NULL, *cg = NULL, found[PATH_MAX];
	pid_t	 keeper = -1;
	int	 r, rc = -1;

	parent[0] = '\0';
	if (sd_booted() <= 0 || cgroup_version() != 2)
		return 0;
	/* Known and kept: nothing to ask. */
	if (scope_cg[0] != '\0' && has_procs(scope_cg, SCOPE_KEEPER_LEAF))
		goto out;
	scope_cg[0] = '\0';
	if (bus_open(&bus, err, errlen) == -1)
		return -1;
	if ((r = scope_lookup(bus, &state, &cg, err, errlen)) == -1)
		goto done;
	if (r == 1 && strcmp(state, "failed") == 0) {
		/* a failed scope keeps its name until reset */
		(void)sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER,
		    "ResetFailedUnit", NULL, NULL, "s", SCOPE_NAME);
		r = 0;
	}
	if (r == 1 && (strcmp(state, "active") != 0 || cg[0] != '/')) {
		snprintf(err, errlen, "%s is %s; try again once it has "
		    "stopped", SCOPE_NAME, state);
		goto done;
	}
	if (r == 1 && has_procs(cg, SCOPE_KEEPER_LEAF)) {
		snprintf(scope_cg, sizeof(scope_cg), "%s", cg);
		log_info("%s found again (%s)", SCOPE_NAME, cg);
		goto out;
	}
	if ((keeper = keeper_start(err, errlen)) == -1)
		goto done;
	if (r == 1) {
		/* Found again: it lost its keeper (we are here). */
		if (keeper_move(cg, keeper, err, errlen) == -1)
			goto done;
		snprintf(scope_cg, sizeof(scope_cg), "%s", cg);
		log_info("%s found again (%s); a new keeper, pid %ld",
		    SCOPE_NAME, cg, (long)keeper);
	} else {
		if (scope_create(bus, keeper, err, errlen) == -1 ||
		    scope_wait(keeper, found, sizeof(found), err, errlen) ==
		    -1 || keeper_move(found, keeper, err, errlen) == -1)
			goto done;
		snprintf(scope_cg, sizeof(scope_cg), "%s", found);
		log_info("%s made (%s), keeper pid %ld", SCOPE_NAME, found,
		    (long)keeper);
	}
	keeper = -1;
out:
	if ((size_t)snprintf(parent, len, "%s/%s", scope_cg,
	    SB_CGROUP_PARENT) >= len) {
		snprintf(err, errlen, "%s: cgroup path too long", SCOPE_NAME);
		parent[0] = '\0';
		goto done;
	}
	rc = 0;
done:
	keeper_end(keeper);
	free(state);
	free(cg);
	sd_bus_flush_close_unref(bus);
	return rc;
}
