/*
 * Each student's server, from SP_START (or SP_ADOPT after a restart) to
 * its end.  The spawner keeps one state per user:
 *
 *   none --START--> running --STOP--> stopping --(exit)--> none
 *   none --ADOPT--> running --(exit)--> none
 *
 * and the permit table below says which request may act in which state;
 * any other is refused with a message and never acted on.
 *
 * Servers this spawner started are its children: SIGCHLD and waitpid()
 * tell it when one ends, with its wait status.  Servers a previous
 * spawner started (adopted) are watched through a pidfd; their status is
 * unknown.  Either way, when a server ends its cgroup is emptied and
 * removed, its socket unlinked, and hubd gets SP_EXITED (id 0) with the
 * last lines of its log.
 *
 * Nothing here waits for a server: SP_STOP sends SIGTERM, answers at once,
 * and a timer of the main loop kills what is left after stop_grace.
 * Servers are started without PDEATHSIG: they outlive hubd and the
 * spawner, and a new spawner adopts them.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawner/spawner.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open		434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal	424
#endif

enum srv_state {
	ST_NONE = 0,		/* no server (not in the list) */
	ST_RUNNING,
	ST_STOPPING,		/* SIGTERM sent, SIGKILL at kill_at */
	ST_END
};

static const char *const state_names[ST_END] = {
	[ST_NONE] = "not running",
	[ST_RUNNING] = "running",
	[ST_STOPPING] = "stopping",
};

/* The permit table: which request may act in which state of a user's
 * server. */
static const int permit[ST_END][SP_TYPE_END] = {
	[ST_NONE] = { [SP_START] = 1, [SP_ADOPT] = 1 },
	[ST_RUNNING] = { [SP_STOP] = 1 },
	[ST_STOPPING] = { 0 },
};

struct server {
	struct server	*next;
	char		 user[USERNAME_MAX + 1];
	enum srv_state	 state;
	int		 adopted;
	uid_t		 uid;
	pid_t		 pid;		/* the sandbox's pid 1 */
	struct sandbox	 sb;		/* started here */
	int		 pidfd;		/* adopted */
	struct cgref	*cgr;		/* adopted */
	char		 log[PATH_MAX];
	int		 requested;	/* SP_STOP came */
	int		 killed;	/* SIGKILL sent */
	struct timespec	 kill_at;
};

static const struct config *cf;
static struct server	*servers;
static unsigned long	 last_instance;
/* The students' cgroup parent (absolute, in the systemd scope), or "":
 * the sandbox library's layout below our own cgroup. */
static char		 students[PATH_MAX];

static const char *
students_parent(void)
{
	return students[0] != '\0' ? students : NULL;
}

static struct server *
find(const char *user)
{
	struct server *s;

	for (s = servers; s != NULL; s = s->next)
		if (strcmp(s->user, user) == 0)
			return s;
	return NULL;
}

static enum srv_state
state_of(const char *user)
{
	struct server *s = find(user);

	return s == NULL ? ST_NONE : s->state;
}

static void
unlink_server(struct server *s)
{
	struct server **pp;

	for (pp = &servers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
}

static int
pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0U);
}

static int
pidfd_signal(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0U);
}

static int
server_signal(struct server *s, int sig)
{
	if (s->adopted)
		return pidfd_signal(s->pidfd, sig);
	return sandbox_signal(&s->sb, sig);
}

/* Field 22 of /proc/PID/stat: start time in clock ticks after boot. */
static int
proc_starttime(pid_t pid, uint64_t *out)
{
	char	 path[64], buf[1024], *p, *save = NULL;
	ssize_t	 n;
	int	 fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the command name may hold anything: fields follow its last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	field = 2;
	for (p = strtok_r(p + 1, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save))
		if (++field == 22) {
			*out = strtoull(p, NULL, 10);
			return 0;
		}
	return -1;
}

/*
 * Is pid the pid 1 of a sandbox running as uid: every uid is the
 * student's and it is 1 in its innermost pid namespace?
 */
static int
proc_is_sandbox_of(pid_t pid, uid_t uid)
{
	FILE	*f;
	char	 path[64], line[256], *last;
	unsigned long u[4];
	int	 uids_ok = 0, nspid_ok = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "Uid:", 4) == 0 &&
		    sscanf(line + 4, "%lu %lu %lu %lu", &u[0], &u[1], &u[2],
		    &u[3]) == 4)
			uids_ok = u[0] == uid && u[1] == uid && u[2] == uid &&
			    u[3] == uid;
		if (strncmp(line, "NSpid:", 6) == 0 &&
		    (last = strrchr(line, '\t')) != NULL)
			nspid_ok = strcmp(last + 1, "1") == 0 &&
			    last != line + 6;
	}
	fclose(f);
	return uids_ok && nspid_ok;
}

/* Is name the library's cgroup name for uid: u<uid>.g<digits>? */
static int
cgroup_of_uid(const char *name, uid_t uid)
{
	char	 prefix[32];
	size_t	 n;

	snprintf(prefix, sizeof(prefix), "%s%lu.g", SB_CGROUP_PREFIX,
	    (unsigned long)uid);
	n = strlen(prefix);
	if (strncmp(name, prefix, n) != 0)
		return 0;
	name += n;
	n = strspn(name, "0123456789");
	return n > 0 && n <= 20 && name[n] == '\0';
}

static int
token_ok(const char *t)
{
	return strlen(t) == SECRET_HEX &&
	    strspn(t, "0123456789abcdef") == SECRET_HEX;
}

/* A cgroup name that is new: names of ended sandboxes may linger. */
static unsigned long
next_instance(void)
{
	struct timespec ts;
	unsigned long v;

	clock_gettime(CLOCK_REALTIME, &ts);
	v = (unsigned long)ts.tv_sec * 1000000UL +
	    (unsigned long)ts.tv_nsec / 1000;
	if (v <= last_instance)
		v = last_instance + 1;
	return last_instance = v;
}

/* The wait status of the sandbox's pid 1, in the payload's terms: pid 1
 * exits with 128 + N when the payload dies of signal N. */
static int
payload_status(int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) > 128 &&
	    WEXITSTATUS(st) <= 128 + 64)
		return WEXITSTATUS(st) - 128;	/* as WIFSIGNALED */
	return st;
}

/* Words of server_command and the options hubd's proxy needs. */
struct args {
	char	*copy;
	char	*argv[SPAWNER_ARGV_MAX + 8];
	char	 opt[6][USERNAME_MAX + 64];
};

static int
args_build(struct args *a, const char *user, char *err, size_t errlen)
{
	const char *app;
	char	*w, *save = NULL;
	size_t	 n = 0, i;
	int	 server = strcmp(cf->server_flavour, "server") == 0;

	memset(a, 0, sizeof(*a));
	if ((a->copy = strdup(cf->server_command)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (w = strtok_r(a->copy, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (n == SPAWNER_ARGV_MAX) {
			snprintf(err, errlen, "[server] command has more than "
			    "%d words", SPAWNER_ARGV_MAX);
			return -1;
		}
		a->argv[n++] = w;
	}
	if (n == 0) {
		snprintf(err, errlen, "[server] command is empty");
		return -1;
	}
	app = server ? "ServerApp" : "NotebookApp";
	snprintf(a->opt[0], sizeof(a->opt[0]), "--no-browser");
	if (server) {
		snprintf(a->opt[1], sizeof(a->opt[1]), "--ServerApp.sock=%s",
		    SPAWNER_SOCKET_INSIDE);
		snprintf(a->opt[2], sizeof(a->opt[2]),
		    "--ServerApp.sock_mode=0660");
	} else {
		snprintf(a->opt[1], sizeof(a->opt[1]), "--sock=%s",
		    SPAWNER_SOCKET_INSIDE);
		snprintf(a->opt[2], sizeof(a->opt[2]), "--sock-mode=0660");
	}
	snprintf(a->opt[3], sizeof(a->opt[3]), "--%s.base_url=/user/%s/",
	    app, user);
	snprintf(a->opt[4], sizeof(a->opt[4]),
	    "--%s.allow_remote_access=True", app);
	snprintf(a->opt[5], sizeof(a->opt[5]), "--%s.trust_xheaders=True",
	    app);
	for (i = 0; i < sizeof(a->opt) / sizeof(a->opt[0]); i++)
		a->argv[n++] = a->opt[i];
	a->argv[n] = NULL;
	return 0;
}

/*
 * sandbox_start with the server's log as its stdout and stderr and
 * /dev/null as stdin (the sandbox inherits fds 0-2): swapped in around the
 * call and back after.  Nothing may log in between.
 */
static int
start_logged(const struct sandbox_config *sc, struct sandbox *sb, int logfd,
    char *err, size_t errlen)
{
	int	 saved[3], null, i, r;

	if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 3; i++)
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
	if (dup2(null, 0) == -1 || dup2(logfd, 1) == -1 ||
	    dup2(logfd, 2) == -1) {
		snprintf(err, errlen, "dup2: %s", strerror(errno));
		r = -1;
	} else
		r = sandbox_start(sc, sb, err, errlen);
	for (i = 0; i < 3; i++) {
		if (saved[i] != -1) {
			(void)dup2(saved[i], i);
			close(saved[i]);
		} else
			close(i);
	}
	close(null);
	return r;
}

/* msg + the log's last lines, as clean UTF-8 that fits. */
static void
with_log(char *out, size_t outlen, const char *msg, const char *log)
{
	static const char sep[] = "\nThe server's last messages:\n";
	size_t	 len;

	snprintf(out, outlen, "%s", msg);
	len = strlen(out);
	if (log == NULL || log[0] == '\0' || len + sizeof(sep) + 64 > outlen)
		return;
	memcpy(out + len, sep, sizeof(sep));
	student_log_tail(log, SPAWNER_LOG_LINES, out + len + sizeof(sep) - 1,
	    outlen - len - sizeof(sep) + 1);
	if (out[len + sizeof(sep) - 1] == '\0')	/* empty log: no heading */
		memset(out + len, 0, outlen - len);	/* zero after the NUL */
}

static void
started_fail(struct sp_started *a, const char *why, const char *log)
{
	a->ok = 0;
	with_log(a->message, sizeof(a->message), why, log);
	log_warnx("server of %s not started: %s", a->user, why);
	send_hub(a, sizeof(*a));
}

void
srv_start(struct sp_start *rq)
{
	struct sp_started a;
	struct sandbox_config sc;
	const struct profile *prof = NULL;
	struct student st;
	struct server *s = NULL;
	struct args args = { 0 };
	char	 err[SP_TEXT_MAX / 2], tokenenv[sizeof("JUPYTER_TOKEN=") +
		    SECRET_HEX], parent[sizeof(students)];
	char	*env[] = { tokenenv, NULL };
	enum srv_state state;
	int	 logfd = -1, r;

	if (!sp_string_ok(rq->user, sizeof(rq->user)) ||
	    !sp_string_ok(rq->profile, sizeof(rq->profile)) ||
	    !sp_string_ok(rq->token, sizeof(rq->token)))
		fatalx("hubd sent a start with a field that is not a clean "
		    "string");
	if (rq->auth != AUTH_NATIVE && rq->auth != AUTH_PAM)
		fatalx("hubd sent a start with auth %u", rq->auth);
	if (rq->ncourses > SP_COURSES_MAX)
		fatalx("hubd sent a start with %u courses", rq->ncourses);
	for (r = 0; r < (int)rq->ncourses; r++)
		if (!sp_string_ok(rq->courses[r].code,
		    sizeof(rq->courses[r].code)) || rq->courses[r].teaches > 1)
			fatalx("hubd sent a start with a bad course");
	sp_init(&a.h, SP_STARTED, sizeof(a), rq->h.id);
	memcpy(a.user, rq->user, sizeof(a.user));
	tokenenv[0] = '\0';

	if (!username_valid(rq->user) || !identity_valid_name(rq->user)) {
		started_fail(&a, "a server needs a user name of [a-z_] then "
		    "[a-z0-9_-]", NULL);
		goto done;
	}
	/* A course's profile names limits of our own configuration; the
	 * hub only picks which. */
	if (rq->profile[0] != '\0' && (prof = config_profile(cf,
	    rq->profile)) == NULL) {
		snprintf(err, sizeof(err), "profile '%s' is not in the "
		    "configuration", rq->profile);
		started_fail(&a, err, NULL);
		goto done;
	}
	for (r = 0; r < (int)rq->ncourses; r++)
		if (!course_code_valid(rq->courses[r].code)) {
			started_fail(&a, "a course code the hub cannot use",
			    NULL);
			goto done;
		}
	if (!token_ok(rq->token)) {
		started_fail(&a, "the token is not 64 lowercase hex digits",
		    NULL);
		goto done;
	}
	if (!permit[state = state_of(rq->user)][SP_START]) {
		snprintf(err, sizeof(err), "the server of %s is %s already",
		    rq->user, state_names[state]);
		started_fail(&a, err, NULL);
		goto done;
	}
	/* Under systemd: the scope, made again if it went away.  A failure
	 * leaves the parent known so far (stops still find the servers). */
	if (scope_students(parent, sizeof(parent), err, sizeof(err)) == -1) {
		log_warnx("server of %s: %s", rq->user, err);
		started_fail(&a, err, NULL);
		goto done;
	}
	memcpy(students, parent, sizeof(students));
	if (student_prepare(cf, rq->user, rq->auth, &st, err,
	    sizeof(err)) == -1 || (logfd = student_log_open(cf, &st, err,
	    sizeof(err))) == -1 || args_build(&args, st.name, err,
	    sizeof(err)) == -1) {
		started_fail(&a, err, NULL);
		goto done;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		started_fail(&a, "out of memory", NULL);
		goto done;
	}
	snprintf(tokenenv, sizeof(tokenenv), "JUPYTER_TOKEN=%s", rq->token);
	sandbox_config_init(&sc);
	sc.user = st.name;
	sc.uid = st.uid;
	sc.gid = st.gid;
	sc.home = st.home;
	sc.sockdir = st.sockdir;
	sc.limits.memory = prof != NULL ? prof->memory : cf->server_memory;
	sc.limits.cpus = prof != NULL ? prof->cpus : cf->server_cpus;
	sc.limits.pids = prof != NULL ? prof->pids : cf->server_pids;
	sc.hostnet = cf->server_host_network;
	if (student_courses(cf, &st, rq, &sc, err, sizeof(err)) == -1) {
		started_fail(&a, err, NULL);
		goto done;
	}
	sc.die_with_parent = 0;		/* servers outlive hubd and us */
	sc.cgroup_parent = students_parent();
	sc.instance = next_instance();
	sc.argv = args.argv;
	sc.env = env;
	r = start_logged(&sc, &s->sb, logfd, err, sizeof(err));
	explicit_bzero(tokenenv, sizeof(tokenenv));
	if (r != 0) {
		started_fail(&a, err, st.log);
		goto done;
	}
	snprintf(s->user, sizeof(s->user), "%s", st.name);
	snprintf(s->log, sizeof(s->log), "%s", st.log);
	s->state = ST_RUNNING;
	s->uid = st.uid;
	s->pid = s->sb.pid;
	s->pidfd = -1;
	s->next = servers;
	servers = s;

	a.ok = 1;
	a.uid = (uint32_t)st.uid;
	a.pid = (int32_t)s->pid;
	if (proc_starttime(s->pid, &a.starttime) == -1)
		log_warn("server of %s: start time of pid %ld", s->user,
		    (long)s->pid);
	snprintf(a.cgroup, sizeof(a.cgroup), "%s", cgroup_name(s->sb.cg));
	snprintf(a.socket, sizeof(a.socket), "%s", st.socket);
	log_info("server of %s started: pid %ld, uid %lu, cgroup %s, log %s",
	    s->user, (long)s->pid, (unsigned long)st.uid, a.cgroup, st.log);
	s = NULL;
	send_hub(&a, sizeof(a));
done:
	free(s);
	free(args.copy);
	if (logfd != -1)
		close(logfd);
	explicit_bzero(rq->token, sizeof(rq->token));
}

/* The server has ended (status: a wait status, -1 unknown): clean up,
 * tell hubd, forget it. */
static void
finish(struct server *s, int status)
{
	struct sp_exited e;
	struct cgroup_stats stats;
	char	 why[SB_ERRLEN];
	uint64_t oom = 0;

	if (s->adopted) {
		oom = cgref_oom_kills(s->cgr);
		(void)cgref_kill(s->cgr);
		if (cgref_remove(s->cgr, why, sizeof(why)) == -1)
			log_warnx("server of %s: %s", s->user, why);
		cgref_free(s->cgr);
		close(s->pidfd);
	} else {
		if (cgroup_read_stats(s->sb.cg, &stats, why, sizeof(why)) == 0)
			oom = stats.oom_kills;
		if (cgroup_kill(s->sb.cg, why, sizeof(why)) == -1 ||
		    cgroup_remove(s->sb.cg, why, sizeof(why)) == -1)
			log_warnx("server of %s: %s", s->user, why);
		s->sb.pid = -1;
		sandbox_release(&s->sb);
	}
	student_socket_remove(cf, s->user);

	sp_init(&e.h, SP_EXITED, sizeof(e), 0);
	snprintf(e.user, sizeof(e.user), "%s", s->user);
	e.pid = (int32_t)s->pid;
	e.status = status;
	e.oom_kills = oom > UINT32_MAX ? UINT32_MAX : (uint32_t)oom;
	e.requested = s->requested;
	student_log_tail(s->log, SPAWNER_LOG_LINES, e.message,
	    sizeof(e.message));
	if (status == -1)
		log_info("server of %s (pid %ld) ended%s, oom kills %llu",
		    s->user, (long)s->pid, s->requested ? " as asked" : "",
		    (unsigned long long)oom);
	else if (WIFSIGNALED(status))
		log_info("server of %s (pid %ld) ended%s: signal %d, oom "
		    "kills %llu", s->user, (long)s->pid, s->requested ?
		    " as asked" : "", WTERMSIG(status),
		    (unsigned long long)oom);
	else
		log_info("server of %s (pid %ld) ended%s: status %d, oom "
		    "kills %llu", s->user, (long)s->pid, s->requested ?
		    " as asked" : "", WEXITSTATUS(status),
		    (unsigned long long)oom);
	unlink_server(s);
	free(s);
	send_hub(&e, sizeof(e));
}

/* A child has been reaped: 1 when it was a server's pid 1. */
int
srv_reaped(pid_t pid, int status)
{
	struct server *s;

	for (s = servers; s != NULL; s = s->next)
		if (!s->adopted && s->pid == pid) {
			finish(s, payload_status(status));
			return 1;
		}
	return 0;
}

static void
stopped(const struct sp_stop *rq, int ok, const char *msg)
{
	struct sp_stopped a;

	sp_init(&a.h, SP_STOPPED, sizeof(a), rq->h.id);
	memcpy(a.user, rq->user, sizeof(a.user));
	a.ok = ok;
	snprintf(a.message, sizeof(a.message), "%s", msg);
	send_hub(&a, sizeof(a));
}

void
srv_stop(const struct sp_stop *rq)
{
	struct server *s;
	enum srv_state state;
	char	 msg[SP_AUTH_MESSAGE_MAX];

	if (!sp_string_ok(rq->user, sizeof(rq->user)))
		fatalx("hubd sent a stop with a user that is not a clean "
		    "string");
	if (!username_valid(rq->user)) {
		stopped(rq, 0, "invalid user name");
		return;
	}
	if (!permit[state = state_of(rq->user)][SP_STOP]) {
		snprintf(msg, sizeof(msg), "the server of %s is %s", rq->user,
		    state_names[state]);
		stopped(rq, 0, msg);
		return;
	}
	s = find(rq->user);
	if (server_signal(s, SIGTERM) == -1 && errno != ESRCH)
		log_warn("server of %s: SIGTERM to pid %ld", s->user,
		    (long)s->pid);
	s->state = ST_STOPPING;
	s->requested = 1;
	clock_gettime(CLOCK_MONOTONIC, &s->kill_at);
	s->kill_at.tv_sec += cf->server_stop_grace;
	log_info("server of %s (pid %ld): stopping, SIGKILL in %u s", s->user,
	    (long)s->pid, cf->server_stop_grace);
	stopped(rq, 1, "stopping");
}

static void
adopted(const struct sp_adopt *rq, int ok, uid_t uid, const char *msg)
{
	struct sp_adopted a;

	sp_init(&a.h, SP_ADOPTED, sizeof(a), rq->h.id);
	memcpy(a.user, rq->user, sizeof(a.user));
	a.ok = ok;
	a.uid = (uint32_t)uid;
	snprintf(a.message, sizeof(a.message), "%s", msg);
	if (ok)
		log_info("server of %s (pid %d) adopted", a.user, rq->pid);
	else
		log_info("server of %s (pid %d) not adopted: %s", a.user,
		    rq->pid, msg);
	send_hub(&a, sizeof(a));
}

void
srv_adopt(const struct sp_adopt *rq)
{
	struct student st;
	struct server *s;
	struct cgref *cgr = NULL, *left;
	enum srv_state state;
	uint64_t start;
	char	 why[SP_AUTH_MESSAGE_MAX], msg[SP_AUTH_MESSAGE_MAX];
	char	 sub[SB_ERRLEN];
	int	 pidfd = -1;

	if (!sp_string_ok(rq->user, sizeof(rq->user)) ||
	    !sp_string_ok(rq->cgroup, sizeof(rq->cgroup)))
		fatalx("hubd sent an adopt with a field that is not a clean "
		    "string");
	if (rq->auth != AUTH_NATIVE && rq->auth != AUTH_PAM)
		fatalx("hubd sent an adopt with auth %u", rq->auth);
	if (!username_valid(rq->user) || !identity_valid_name(rq->user)) {
		adopted(rq, 0, 0, "invalid user name");
		return;
	}
	if (!permit[state = state_of(rq->user)][SP_ADOPT]) {
		snprintf(msg, sizeof(msg), "the server of %s is %s already",
		    rq->user, state_names[state]);
		adopted(rq, 0, 0, msg);
		return;
	}
	if (student_lookup(cf, rq->user, rq->auth, &st, why,
	    sizeof(why)) == -1) {
		adopted(rq, 0, 0, why);
		return;
	}
	/* Never touch a cgroup that is not this student's. */
	if (!cgroup_of_uid(rq->cgroup, st.uid)) {
		snprintf(msg, sizeof(msg), "cgroup '%.40s' is not one of uid "
		    "%lu", rq->cgroup, (unsigned long)st.uid);
		adopted(rq, 0, st.uid, msg);
		return;
	}
	if (rq->pid <= 1 || proc_starttime(rq->pid, &start) == -1) {
		snprintf(why, sizeof(why), "pid %d has ended", rq->pid);
		goto gone;
	}
	if (start != rq->starttime) {
		snprintf(why, sizeof(why), "pid %d is another process now",
		    rq->pid);
		goto gone;
	}
	if ((cgr = cgref_of_pid(rq->pid, rq->cgroup, why, sizeof(why))) ==
	    NULL)
		goto gone;
	if (!proc_is_sandbox_of(rq->pid, st.uid)) {
		snprintf(why, sizeof(why), "pid %d is not the sandbox of uid "
		    "%lu", rq->pid, (unsigned long)st.uid);
		goto gone;
	}
	/* the pidfd names the process that had the pid when it was made:
	 * check once more that it is still ours */
	if ((pidfd = pidfd_open(rq->pid)) == -1 ||
	    fcntl(pidfd, F_SETFD, FD_CLOEXEC) == -1 ||
	    proc_starttime(rq->pid, &start) == -1 ||
	    start != rq->starttime) {
		snprintf(why, sizeof(why), "pid %d has ended", rq->pid);
		goto gone;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		adopted(rq, 0, st.uid, "out of memory");
		goto fail;
	}
	snprintf(s->user, sizeof(s->user), "%s", st.name);
	snprintf(s->log, sizeof(s->log), "%s", st.log);
	s->state = ST_RUNNING;
	s->adopted = 1;
	s->uid = st.uid;
	s->pid = rq->pid;
	s->pidfd = pidfd;
	s->cgr = cgr;
	s->sb.pid = -1;
	s->sb.syncfd = -1;
	s->next = servers;
	servers = s;
	adopted(rq, 1, st.uid, "watching");
	return;
gone:
	/* Whatever is left of it goes: its cgroup's processes, the cgroup,
	 * the socket.  Only the cgroup of this name, which is the
	 * student's. */
	if ((left = cgref_find(students_parent(), rq->cgroup)) == NULL) {
		left = cgr;
		cgr = NULL;
	}
	if (left != NULL) {
		(void)cgref_kill(left);
		if (cgref_remove(left, sub, sizeof(sub)) == -1)
			log_warnx("server of %s: %s", rq->user, sub);
		cgref_free(left);
	}
	student_socket_remove(cf, st.name);
	snprintf(msg, sizeof(msg), "gone: %.130s; cleaned up", why);
	adopted(rq, 0, st.uid, msg);
fail:
	if (pidfd != -1)
		close(pidfd);
	cgref_free(cgr);
}

/* Descriptors to poll: the pidfds of adopted servers. */
unsigned
srv_count(void)
{
	struct server *s;
	unsigned n = 0;

	for (s = servers; s != NULL; s = s->next)
		if (s->adopted)
			n++;
	return n;
}

unsigned
srv_pollfds(struct pollfd *pfd, unsigned max)
{
	struct server *s;
	unsigned n = 0;

	for (s = servers; s != NULL && n < max; s = s->next)
		if (s->adopted)
			pfd[n++] = (struct pollfd){ .fd = s->pidfd,
			    .events = POLLIN };
	return n;
}

/* An adopted server's pidfd is readable: it has ended. */
void
srv_polled(const struct pollfd *pfd, unsigned n)
{
	struct server *s;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		for (s = servers; s != NULL; s = s->next)
			if (s->adopted && s->pidfd == pfd[i].fd)
				break;
		if (s != NULL)
			finish(s, -1);
	}
}

static long
ms_until(const struct timespec *t, const struct timespec *now)
{
	return (long)(t->tv_sec - now->tv_sec) * 1000 +
	    (t->tv_nsec - now->tv_nsec) / 1000000;
}

/* Milliseconds until the next timer, -1 for none. */
int
srv_timeout(void)
{
	struct timespec now;
	struct server *s;
	long	 ms, best = -1;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (s = servers; s != NULL; s = s->next) {
		if (s->state != ST_STOPPING || s->killed)
			continue;
		ms = ms_until(&s->kill_at, &now) + 1;
		if (ms < 0)
			ms = 0;
		if (best == -1 || ms < best)
			best = ms;
	}
	return (int)best;
}

/* Everything left of a server: SIGKILL to pid 1 takes its pid namespace
 * down; the cgroup follows for anything else. */
static void
kill_all(struct server *s)
{
	(void)server_signal(s, SIGKILL);
	if (s->adopted)
		(void)cgref_kill(s->cgr);
	s->killed = 1;
}

void
srv_timers(void)
{
	struct timespec now;
	struct server *s;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (s = servers; s != NULL; s = s->next)
		if (s->state == ST_STOPPING && !s->killed &&
		    ms_until(&s->kill_at, &now) <= 0) {
			log_info("server of %s (pid %ld): still there after "
			    "%u s; killing it", s->user, (long)s->pid,
			    cf->server_stop_grace);
			kill_all(s);
		}
}

/* The students' systemd scope if need be; stale cgroups of servers that
 * ended while nobody watched. */
void
srv_init(const struct config *config)
{
	char	 err[SB_ERRLEN];
	int	 removed = 0;

	cf = config;
	if (cgroup_version() == -1) {
		log_warnx("no cgroup file system: servers cannot start");
		return;
	}
	if (scope_students(students, sizeof(students), err,
	    sizeof(err)) == -1) {
		/* no fallback below hubd.service: systemd could not start
		 * the next hubd there (see scope.c); tried again at each
		 * start */
		log_warnx("%s; servers cannot start until it can be had",
		    err);
		return;
	}
	if (cgroup_sweep(students_parent(), &removed, err, sizeof(err)) ==
	    -1)
		log_warnx("cgroup sweep: %s", err);
	else if (removed > 0)
		log_info("removed %d stale server cgroups", removed);
}

/*
 * The spawner is ending (hubd has gone): servers go on running, to be
 * adopted by the next spawner.  Those being stopped are killed: hubd
 * has been told they stop.
 */
void
srv_shutdown(void)
{
	struct server *s, *next;

	for (s = servers; s != NULL; s = next) {
		next = s->next;
		if (s->state == ST_STOPPING && !s->killed)
			kill_all(s);
		if (s->adopted) {
			close(s->pidfd);
			cgref_free(s->cgr);
		} else
			sandbox_release(&s->sb);
		free(s);
	}
	servers = NULL;
}
