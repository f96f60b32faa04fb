/*
 * Each student's notebook server, as hubd sees it: a state per user kept
 * in memory and in SQLite, a queue in front of a fixed number of spawn
 * workers (a class start waits in order instead of failing), readiness
 * polling over the server's socket, progress events for the spawn page,
 * news of servers that ended, idle culling, and adoption after a restart.
 * The spawner does the starting and stopping (root); nothing here is.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hubd.h"
#include "spawner/proto.h"
#include "roster.h"

#define SPAWN_CALL_SEC		60	/* START: the spawner answers at once */
#define PROBE_FIRST_MS		10	/* readiness: Jupyter takes ~0.5 s */
#define PROBE_MAX_MS		40

struct srv {
	struct srv	*next;
	struct srv	*qnext;		/* in the spawn queue */
	int		 queued;
	enum auth_kind	 auth;
	unsigned	 spawn;		/* which start the events belong to */
	int		 stop_requested;	/* while queued or starting */
	struct server_row row;
	struct server_event events[SERVER_EVENTS_MAX];
	int		 nevents;
};

static struct srv	*all;
static struct srv	*qhead, **qtail = &qhead;
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 changed = PTHREAD_COND_INITIALIZER;
static pthread_t	*workers, culler;
static struct store	*sdb;		/* this module's own connection */
static pthread_mutex_t	 db_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned		 nworkers;
static int		 quitting, culler_running;

static struct srv *
find(const char *user)
{
	struct srv *s;

	for (s = all; s != NULL; s = s->next)
		if (strcmp(s->row.user, user) == 0)
			return s;
	return NULL;
}

static struct srv *
find_or_add(const struct user *u)
{
	struct srv *s;

	if ((s = find(u->name)) != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	snprintf(s->row.user, sizeof(s->row.user), "%s", u->name);
	s->row.user_id = u->id;
	s->row.exit_status = -1;
	s->auth = u->auth;
	s->next = all;
	all = s;
	return s;
}

/* Write s's row to the database; called with the lock held (a copy is
 * written, so the lock is not held across SQLite). */
static void
save_locked(struct srv *s)
{
	struct server_row r = s->row;

	/* Its own connection: request threads that call in here hold one
	 * of the pool's already. */
	pthread_mutex_unlock(&lock);
	pthread_mutex_lock(&db_lock);
	if (store_server_put(sdb, &r) != 0)
		log_warnx("server of %s: cannot store its state", r.user);
	pthread_mutex_unlock(&db_lock);
	explicit_bzero(r.token, sizeof(r.token));
	pthread_mutex_lock(&lock);
}

static void
event(struct srv *s, int progress, int ready, int failed, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));

/* A progress event for the spawn page; called locked. */
static void
event(struct srv *s, int progress, int ready, int failed, const char *fmt,
    ...)
{
	struct server_event *e;
	va_list	 ap;

	if (s->nevents == SERVER_EVENTS_MAX)
		memmove(&s->events[1], &s->events[2],
		    (SERVER_EVENTS_MAX - 2) * sizeof(s->events[0]));
	else
		s->nevents++;
	e = &s->events[s->nevents - 1];
	e->seq = s->nevents == 1 ? 1 : s->events[s->nevents - 2].seq + 1;
	e->progress = progress;
	e->ready = ready;
	e->failed = failed;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	pthread_cond_broadcast(&changed);
}

static void
set_state(struct srv *s, enum server_state st, const char *message)
{
	s->row.state = st;
	if (message != NULL)
		snprintf(s->row.message, sizeof(s->row.message), "%.*s",
		    (int)sizeof(s->row.message) - 1, message);
	pthread_cond_broadcast(&changed);
}

static unsigned
queue_place(const struct srv *s)
{
	const struct srv *q;
	unsigned n = 0;

	for (q = qhead; q != NULL && q != s; q = q->qnext)
		n++;
	return n;
}

static void
dequeue(struct srv *s)
{
	struct srv **pp;

	for (pp = &qhead; *pp != NULL; pp = &(*pp)->qnext)
		if (*pp == s) {
			*pp = s->qnext;
			break;
		}
	for (qtail = &qhead; *qtail != NULL; qtail = &(*qtail)->qnext)
		;
	s->qnext = NULL;
	s->queued = 0;
}

static void
describe_exit(char *buf, size_t size, int status, unsigned oom)
{
	if (oom > 0)
		snprintf(buf, size, "It ran out of memory (killed at its "
		    "memory limit).");
	else if (status == -1)
		snprintf(buf, size, "It ended while the hub was not watching.");
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "It was killed by signal %d.",
		    WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(buf, size, "It exited with status %d.",
		    WEXITSTATUS(status));
	else
		snprintf(buf, size, "It ended.");
}

/* From the spawner's reader thread: a server has ended. */
void
server_on_exited(const struct sp_exited *ex)
{
	struct srv *s;
	char	 why[160];

	pthread_mutex_lock(&lock);
	if ((s = find(ex->user)) == NULL || s->row.pid != ex->pid) {
		pthread_mutex_unlock(&lock);
		log_info("server of %s (pid %d) ended; not ours any more",
		    ex->user, ex->pid);
		return;
	}
	describe_exit(why, sizeof(why), ex->status, ex->oom_kills);
	s->row.exit_status = ex->status;
	s->row.oom_kills += ex->oom_kills;
	s->row.stopped = time(NULL);
	s->row.pid = 0;
	if (ex->requested || s->row.state == SRV_STOPPING) {
		set_state(s, SRV_STOPPED, "Stopped.");
		log_info("server of %s stopped", ex->user);
	} else {
		char	 msg[SERVER_MESSAGE_MAX + 256];

		snprintf(msg, sizeof(msg), "Your server stopped by itself. "
		    "%s%s%s", why, ex->message[0] != '\0' ?
		    "\nIts last messages:\n" : "", ex->message);
		set_state(s, SRV_FAILED, msg);
		log_warnx("server of %s ended by itself: %s", ex->user, why);
		save_locked(s);
		event(s, 100, 0, 1, "Your server stopped. %s", why);
		pthread_mutex_unlock(&lock);
		return;
	}
	save_locked(s);
	pthread_mutex_unlock(&lock);
}

static int
ask_stop(const char *user, char *err, size_t errsize)
{
	struct sp_stop rq;
	struct sp_stopped a;

	sp_init(&rq.h, SP_STOP, sizeof(rq), 0);
	snprintf(rq.user, sizeof(rq.user), "%s", user);
	if (spawner_call(&rq, SP_STOPPED, &a, SPAWN_CALL_SEC, err,
	    errsize) == -1)
		return -1;
	if (!a.ok) {
		snprintf(err, errsize, "%s", a.message);
		return 0;
	}
	return 1;
}

struct pick {
	const struct config *cf;
	const struct profile *best;
};

static int
bigger_profile(const char *name, void *arg)
{
	struct pick *pk = arg;
	const struct profile *p = config_profile(pk->cf, name);

	if (p == NULL)
		log_warnx("a course names profile '%s', which the configuration "
		    "does not have", name);
	else if (pk->best == NULL || p->memory > pk->best->memory ||
	    (p->memory == pk->best->memory && p->cpus > pk->best->cpus))
		pk->best = p;
	return 0;
}

/* A student in several courses gets the largest limits among their
 * active courses' profiles; "" when none has one. */
static void
pick_profile(int64_t user_id, char *out, size_t size)
{
	struct gen *g = gen_get();
	struct pick pk = { g->cf, NULL };

	pthread_mutex_lock(&db_lock);
	(void)store_user_profiles(sdb, user_id, bigger_profile, &pk);
	pthread_mutex_unlock(&db_lock);
	snprintf(out, size, "%s", pk.best != NULL ? pk.best->name : "");
	gen_put(g);
}

static int
add_course(const struct course *c, void *arg)
{
	struct sp_start *rq = arg;

	if (c->archived || rq->ncourses == SP_COURSES_MAX)
		return 0;
	snprintf(rq->courses[rq->ncourses].code,
	    sizeof(rq->courses[0].code), "%s", c->code);
	rq->courses[rq->ncourses].teaches = c->my_role == ROSTER_INSTRUCTOR ||
	    c->my_role == ROSTER_TA;
	rq->ncourses++;
	return 0;
}

/* The courses whose materials the server shows, and how. */
static void
pick_courses(int64_t user_id, struct sp_start *rq)
{
	pthread_mutex_lock(&db_lock);
	(void)store_course_list(sdb, user_id, add_course, rq);
	pthread_mutex_unlock(&db_lock);
}

/* One start, from the queue to ready or failed.  Runs in a worker. */
static void
spawn_one(struct srv *s)
{
	struct sp_start rq;
	struct sp_started a;
	char	 err[256], why[256];
	struct gen *g;
	time_t	 deadline;
	unsigned spawn, wait_ms = PROBE_FIRST_MS;
	int	 ok;

	sp_init(&rq.h, SP_START, sizeof(rq), 0);
	snprintf(rq.user, sizeof(rq.user), "%s", s->row.user);
	rq.auth = s->auth;
	snprintf(rq.token, sizeof(rq.token), "%s", s->row.token);
	spawn = s->spawn;
	pthread_mutex_unlock(&lock);
	pick_profile(s->row.user_id, rq.profile, sizeof(rq.profile));
	pick_courses(s->row.user_id, &rq);
	ok = spawner_call(&rq, SP_STARTED, &a, SPAWN_CALL_SEC, err,
	    sizeof(err)) == 0;
	explicit_bzero(&rq, sizeof(rq));
	pthread_mutex_lock(&lock);
	if (!ok || !a.ok) {
		set_state(s, SRV_FAILED, ok ? a.message : err);
		log_warnx("server of %s did not start: %s", s->row.user,
		    ok ? a.message : err);
		save_locked(s);
		event(s, 100, 0, 1, "Your server could not start: %s",
		    ok ? a.message : err);
		return;
	}
	s->row.uid = a.uid;
	s->row.pid = a.pid;
	s->row.starttime = a.starttime;
	snprintf(s->row.cgroup, sizeof(s->row.cgroup), "%s", a.cgroup);
	snprintf(s->row.socket, sizeof(s->row.socket), "%s", a.socket);
	s->row.started = time(NULL);
	event(s, 40, 0, 0, "Your server is starting; waiting for Jupyter to "
	    "answer.");
	save_locked(s);

	g = gen_get();
	deadline = time(NULL) + (time_t)g->cf->server_start_timeout;
	gen_put(g);
	for (;;) {
		char	 sock[SERVER_PATH_MAX], user[USERNAME_MAX + 1];
		uid_t	 uid = s->row.uid;

		if (s->spawn != spawn || s->row.state != SRV_STARTING)
			return;		/* it ended or was stopped */
		if (s->stop_requested)
			break;
		snprintf(sock, sizeof(sock), "%s", s->row.socket);
		snprintf(user, sizeof(user), "%s", s->row.user);
		pthread_mutex_unlock(&lock);
		ok = backend_probe(sock, uid, user, why, sizeof(why));
		if (!ok)
			usleep(wait_ms * 1000);
		pthread_mutex_lock(&lock);
		if (ok && s->spawn == spawn && s->row.state == SRV_STARTING) {
			s->row.ready = s->row.last_activity = time(NULL);
			set_state(s, SRV_RUNNING, "Running.");
			log_info("server of %s ready in %lds (pid %d)",
			    s->row.user, (long)(s->row.ready - s->row.requested),
			    s->row.pid);
			save_locked(s);	/* written before anyone is told */
			if (s->spawn == spawn && s->row.state == SRV_RUNNING)
				event(s, 100, 1, 0, "Your server is ready.");
			return;
		}
		if (!ok && time(NULL) >= deadline) {
			snprintf(err, sizeof(err), "Jupyter did not answer "
			    "within the start timeout (%.180s).", why);
			break;
		}
		if (wait_ms < PROBE_MAX_MS)
			wait_ms *= 2;
	}
	/* Stopped while starting, or it never answered: stop it. */
	if (s->row.state != SRV_STARTING || s->spawn != spawn)
		return;
	if (s->stop_requested) {
		set_state(s, SRV_STOPPING, "Stopping.");
		event(s, 100, 0, 1, "Stopped before it was ready.");
	} else {
		set_state(s, SRV_FAILED, err);
		event(s, 100, 0, 1, "Your server could not start: %s", err);
		log_warnx("server of %s: %s", s->row.user, err);
	}
	save_locked(s);
	pthread_mutex_unlock(&lock);
	if (ask_stop(s->row.user, why, sizeof(why)) == -1)
		log_warnx("server of %s: cannot stop it: %s", s->row.user, why);
	pthread_mutex_lock(&lock);
}

static void *
spawn_worker(void *arg)
{
	struct srv *s;

	pthread_mutex_lock(&lock);
	for (;;) {
		while (!quitting && qhead == NULL)
			pthread_cond_wait(&changed, &lock);
		if (quitting)
			break;
		s = qhead;
		dequeue(s);
		set_state(s, SRV_STARTING, "Starting.");
		event(s, 10, 0, 0, "Starting your server.");
		save_locked(s);
		if (s->row.state == SRV_STARTING)
			spawn_one(s);
		pthread_cond_broadcast(&changed);	/* places moved */
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/*
 * Start u's server: 0 when queued now, 1 when it runs already, 2 when it
 * is on its way, -1 with a message.
 */
int
server_start(const struct user *u, char *err, size_t errsize)
{
	struct srv *s;
	unsigned place;

	pthread_mutex_lock(&lock);
	if ((s = find_or_add(u)) == NULL) {
		pthread_mutex_unlock(&lock);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	switch (s->row.state) {
	case SRV_RUNNING:
		pthread_mutex_unlock(&lock);
		return 1;
	case SRV_QUEUED:
	case SRV_STARTING:
		pthread_mutex_unlock(&lock);
		return 2;
	case SRV_STOPPING:
		pthread_mutex_unlock(&lock);
		snprintf(err, errsize, "the server is still stopping; start it "
		    "again in a moment");
		return -1;
	default:
		break;
	}
	s->auth = u->auth;
	s->spawn++;
	s->nevents = 0;
	s->stop_requested = 0;
	s->row.user_id = u->id;
	s->row.pid = 0;
	s->row.exit_status = -1;
	s->row.requested = time(NULL);
	s->row.started = s->row.ready = s->row.stopped = 0;
	s->row.socket[0] = s->row.cgroup[0] = '\0';
	random_hex(s->row.token, sizeof(s->row.token));
	set_state(s, SRV_QUEUED, "Waiting to start.");
	*qtail = s;
	qtail = &s->qnext;
	s->queued = 1;
	place = queue_place(s);
	if (place > 0)
		event(s, 0, 0, 0, "Waiting to start: %u ahead of you.", place);
	else
		event(s, 0, 0, 0, "Waiting to start.");
	save_locked(s);
	pthread_mutex_unlock(&lock);
	log_info("server of %s requested", u->name);
	return 0;
}

/* Stop u's server: 0 when stopping (or cancelled), 1 when not running,
 * -1 with a message. */
int
server_stop(const char *user, const char *why, char *err, size_t errsize)
{
	struct srv *s;
	int	 r;

	pthread_mutex_lock(&lock);
	if ((s = find(user)) == NULL) {
		pthread_mutex_unlock(&lock);
		return 1;
	}
	switch (s->row.state) {
	case SRV_QUEUED:
		dequeue(s);
		set_state(s, SRV_STOPPED, "Cancelled before it started.");
		event(s, 100, 0, 1, "Cancelled.");
		save_locked(s);
		pthread_mutex_unlock(&lock);
		return 0;
	case SRV_STARTING:
		s->stop_requested = 1;
		pthread_mutex_unlock(&lock);
		return 0;
	case SRV_RUNNING:
		set_state(s, SRV_STOPPING, "Stopping.");
		save_locked(s);
		break;
	case SRV_STOPPING:
		pthread_mutex_unlock(&lock);
		return 0;
	default:
		pthread_mutex_unlock(&lock);
		return 1;
	}
	pthread_mutex_unlock(&lock);
	log_info("server of %s stopping (%s)", user, why);
	r = ask_stop(user, err, errsize);
	if (r == 1)
		return 0;
	pthread_mutex_lock(&lock);
	if (r == 0 && s->row.state == SRV_STOPPING) {
		/* The spawner has no such server: it is gone already. */
		s->row.pid = 0;
		set_state(s, SRV_STOPPED, "Stopped.");
		save_locked(s);
		pthread_mutex_unlock(&lock);
		return 0;
	}
	pthread_mutex_unlock(&lock);
	return -1;
}

/* A copy of user's row, with its place in the queue: 0, or -1 when the
 * hub knows no server of user. */
int
server_get(const char *user, struct server_row *r, unsigned *place)
{
	struct srv *s;

	pthread_mutex_lock(&lock);
	if ((s = find(user)) == NULL) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	*r = s->row;
	if (place != NULL)
		*place = s->queued ? queue_place(s) : 0;
	pthread_mutex_unlock(&lock);
	return 0;
}

/*
 * The next progress event of user's current start after *seq, waiting up
 * to ms.  1 with the event, 0 on time-out, -1 when there is no start.
 */
int
server_next_event(const char *user, unsigned *seq, struct server_event *ev,
    int ms)
{
	struct timespec deadline;
	struct srv *s;
	int	 i, rc = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lock);
	for (;;) {
		if ((s = find(user)) == NULL || s->nevents == 0) {
			pthread_mutex_unlock(&lock);
			return -1;
		}
		for (i = 0; i < s->nevents; i++)
			if (s->events[i].seq > *seq) {
				*ev = s->events[i];
				*seq = ev->seq;
				if (s->queued && !ev->ready && !ev->failed)
					snprintf(ev->message, sizeof(ev->message),
					    "Waiting to start: %u ahead of you.",
					    queue_place(s));
				pthread_mutex_unlock(&lock);
				return 1;
			}
		if (rc != 0 || quitting)
			break;
		rc = pthread_cond_timedwait(&changed, &lock, &deadline);
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

/*
 * Memory the server's cgroup uses now (its kernels included), in bytes;
 * -1 when it does not run or cannot be read.  The cgroup is found through
 * /proc/PID/cgroup (v2 "0::/path", v1 "N:memory:/path") and must have the
 * server's own cgroup name in its path, so that a reused pid shows nothing.
 */
long long
server_memory(const struct server_row *r)
{
	char	 path[600], line[512], *p;
	FILE	*f;
	long long v = -1;
	int	 v1 = 0, found = 0;

	if (r->pid <= 0 || r->cgroup[0] == '\0' ||
	    (r->state != SRV_RUNNING && r->state != SRV_STARTING))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)r->pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::/", 4) == 0) {
			p = line + 3;
			found = 1;
		} else if ((p = strstr(line, ":memory:/")) != NULL) {
			p += 8;
			v1 = found = 1;
		}
	}
	fclose(f);
	if (!found || strstr(p, r->cgroup) == NULL || strstr(p, "..") != NULL)
		return -1;
	snprintf(path, sizeof(path), v1 ? "/sys/fs/cgroup/memory%s/"
	    "memory.usage_in_bytes" : "/sys/fs/cgroup%s/memory.current", p);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Traffic or the API says user's server is in use. */
void
server_activity(const char *user, time_t t)
{
	struct srv *s;

	pthread_mutex_lock(&lock);
	if ((s = find(user)) != NULL && t > s->row.last_activity &&
	    t <= time(NULL) + 60) {
		s->row.last_activity = t;
		/* Written by the culler's pass, not on every request. */
	}
	pthread_mutex_unlock(&lock);
}

/* Stops idle and old servers; writes activity times now and then. */
static void *
cull(void *arg)
{
	struct timespec deadline;
	struct srv *s;
	struct gen *g;
	char	 names[64][USERNAME_MAX + 1], err[256];
	const char *whys[64];
	unsigned idle, age, every, n, i;
	time_t	 now;

	pthread_mutex_lock(&lock);
	while (!quitting) {
		g = gen_get();
		idle = g->cf->server_idle_timeout;
		age = g->cf->server_max_age;
		gen_put(g);
		every = 30;
		if (idle > 0 && idle / 2 < every)
			every = idle / 2 > 0 ? idle / 2 : 1;
		if (age > 0 && age / 2 < every)
			every = age / 2 > 0 ? age / 2 : 1;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += every;
		while (!quitting && pthread_cond_timedwait(&changed, &lock,
		    &deadline) == 0)
			;
		if (quitting)
			break;
		now = time(NULL);
		n = 0;
		for (s = all; s != NULL && n < 64; s = s->next) {
			if (s->row.state != SRV_RUNNING)
				continue;
			whys[n] = NULL;
			if (idle > 0 && now - s->row.last_activity >= (time_t)idle)
				whys[n] = "idle";
			else if (age > 0 && now - s->row.ready >= (time_t)age)
				whys[n] = "max_age";
			if (whys[n] != NULL)
				snprintf(names[n++], sizeof(names[0]), "%s",
				    s->row.user);
			else
				save_locked(s);	/* keeps last_activity */
		}
		pthread_mutex_unlock(&lock);
		for (i = 0; i < n; i++) {
			log_info("culling the server of %s (%s)", names[i],
			    whys[i]);
			if (server_stop(names[i], whys[i], err,
			    sizeof(err)) == -1)
				log_warnx("cannot cull %s: %s", names[i], err);
		}
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

struct adopt_list {
	struct server_row *rows;
	size_t		 n, size;
};

static int
collect_row(const struct server_row *r, void *arg)
{
	struct adopt_list *l = arg;
	struct server_row *p;

	if (l->n == l->size) {
		l->size = l->size ? l->size * 2 : 32;
		if ((p = reallocarray(l->rows, l->size, sizeof(*p))) == NULL)
			return -1;
		l->rows = p;
	}
	l->rows[l->n++] = *r;
	return 0;
}

/* After a restart: take back the servers that still run. */
static void
adopt_all(struct store *st)
{
	struct adopt_list l = { NULL, 0, 0 };
	struct sp_adopt rq;
	struct sp_adopted a;
	struct user u;
	struct srv *s;
	char	 err[256];
	size_t	 i;
	int	 ok;

	if (store_server_list(st, collect_row, &l) != 0)
		log_warnx("cannot read the servers of before the restart");
	for (i = 0; i < l.n; i++) {
		struct server_row *r = &l.rows[i];

		if (r->state == SRV_STOPPED || r->state == SRV_FAILED)
			continue;
		if (store_user_get_id(st, r->user_id, &u) != 0)
			continue;
		ok = 0;
		if (r->pid > 0) {
			sp_init(&rq.h, SP_ADOPT, sizeof(rq), 0);
			snprintf(rq.user, sizeof(rq.user), "%s", r->user);
			rq.auth = u.auth;
			rq.pid = r->pid;
			rq.starttime = r->starttime;
			snprintf(rq.cgroup, sizeof(rq.cgroup), "%s", r->cgroup);
			if (spawner_call(&rq, SP_ADOPTED, &a, SPAWN_CALL_SEC,
			    err, sizeof(err)) == 0)
				ok = a.ok;
			else
				snprintf(a.message, sizeof(a.message), "%.150s",
				    err);
		}
		pthread_mutex_lock(&lock);
		if ((s = find_or_add(&u)) == NULL) {
			pthread_mutex_unlock(&lock);
			continue;
		}
		s->row = *r;
		if (ok) {
			s->row.last_activity = time(NULL);
			if (s->row.ready == 0)
				s->row.ready = s->row.last_activity;
			set_state(s, SRV_RUNNING, "Running.");
			log_info("server of %s taken back (pid %d)", r->user,
			    r->pid);
		} else {
			s->row.pid = 0;
			s->row.stopped = time(NULL);
			set_state(s, SRV_STOPPED, "It ended while the hub was "
			    "restarting.");
			log_info("server of %s was gone after the restart: %s",
			    r->user, r->pid > 0 ? a.message : "never started");
		}
		save_locked(s);
		pthread_mutex_unlock(&lock);
	}
	free(l.rows);
}

/* Its own database connection, opened while hubd is still root. */
int
server_open(const char *db, char *err, size_t errsize)
{
	return (sdb = store_open(db, err, errsize)) == NULL ? -1 : 0;
}

/* Take back running servers, then start the workers and the culler. */
int
server_init(unsigned spawns, char *err, size_t errsize)
{
	unsigned i;

	adopt_all(sdb);
	if ((workers = calloc(spawns, sizeof(*workers))) == NULL)
		goto fail;
	for (i = 0; i < spawns; i++) {
		if (pthread_create(&workers[i], NULL, spawn_worker, NULL) != 0)
			goto fail;
		nworkers++;
	}
	if (pthread_create(&culler, NULL, cull, NULL) != 0)
		goto fail;
	culler_running = 1;
	return 0;
fail:
	snprintf(err, errsize, "cannot start the server threads");
	return -1;
}

/* hubd is stopping: the threads end, the servers go on running. */
void
server_shutdown(void)
{
	struct srv *s, *next;
	unsigned i;

	pthread_mutex_lock(&lock);
	quitting = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	if (culler_running)
		pthread_join(culler, NULL);
	free(workers);
	workers = NULL;
	nworkers = 0;
	pthread_mutex_lock(&lock);
	for (s = all; s != NULL; s = next) {
		next = s->next;
		if (s->row.state == SRV_RUNNING)
			save_locked(s);
		explicit_bzero(s->row.token, sizeof(s->row.token));
		free(s);
	}
	all = NULL;
	qhead = NULL;
	qtail = &qhead;
	pthread_mutex_unlock(&lock);
	store_close(sdb);
	sdb = NULL;
}
