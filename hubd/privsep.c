/*
 * Privilege separation, hubd's side: bind the port and start the spawner
 * while root, then become the hub's own user for good.  Afterwards request
 * threads ask the spawner through spawner_auth(); one reader thread takes
 * the answers off the socket and hands each to the thread that waits for
 * it.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hubd.h"
#include "spawner/proto.h"

#define SPAWNER_HELLO_MS	10000
#define SPAWNER_AUTH_SEC	60	/* PAM may take seconds, not minutes */

struct pending {
	struct pending	*next;
	uint64_t	 id;
	int		 done;
	enum sp_type	 want;
	void		*answer;	/* the caller's, of sp_size(want) */
};

static int		 sp_fd = -1;
static pid_t		 sp_pid = -1;
static pthread_t	 reader;
static int		 reader_running;
static int		 sp_dead;
static uint64_t		 next_id = 1;
static struct pending	*waiting;
static pthread_mutex_t	 sp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 sp_cond = PTHREAD_COND_INITIALIZER;

/* The listening socket, bound while root (port 443 needs it). */
int
privsep_listen(const struct config *cf, char *err, size_t errsize)
{
	int	 fd, one = 1;

	fd = socket(cf->listen_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cf->listen_addr.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (const struct sockaddr *)&cf->listen_addr,
	    cf->listen_addrlen) == -1 || listen(fd, 511) == -1) {
		snprintf(err, errsize, "cannot serve on %s: %s", cf->listen,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Start hubd-spawner with its end of a SOCK_SEQPACKET pair as fd 3 and
 * wait for its hello. */
int
privsep_spawner_start(const struct config *cf, char *err, size_t errsize)
{
	struct sp_hello hello;
	char	 why[160];
	int	 sv[2];
	ssize_t	 n;
	struct timeval tv = { SPAWNER_HELLO_MS / 1000, 0 };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errsize, "socketpair: %s", strerror(errno));
		return -1;
	}
	if ((sp_pid = fork()) == -1) {
		snprintf(err, errsize, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (sp_pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (dup2(sv[1], SP_FD) == -1)
			_exit(127);
		closefrom(SP_FD + 1);
		execl(cf->spawner, "hubd-spawner", "--config", cf->path,
		    (char *)NULL);
		fprintf(stderr, "hubd: cannot run the spawner %s: %s\n",
		    cf->spawner, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	sp_fd = sv[0];
	(void)setsockopt(sp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(sp_fd, &hello, sizeof(hello), MSG_TRUNC);
	if (n <= 0) {
		snprintf(err, errsize, "the spawner %s did not start (%s)",
		    cf->spawner, n == 0 ? "it exited; see its messages above" :
		    strerror(errno));
		return -1;
	}
	if (sp_check(&hello, (size_t)n, why, sizeof(why)) == -1 ||
	    hello.h.type != SP_HELLO) {
		snprintf(err, errsize, "the spawner broke the protocol: %s",
		    hello.h.type != SP_HELLO ? "no hello" : why);
		return -1;
	}
	tv.tv_sec = 0;
	(void)setsockopt(sp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	log_info("spawner %d ready", (int)sp_pid);
	return 0;
}

pid_t
privsep_spawner_pid(void)
{
	return sp_pid;
}

/*
 * Become cf->user for good (when root): groups, gid, uid, and no way back.
 * As another user hubd stays who it is, and says what that costs.
 */
int
privsep_drop(const struct config *cf, char *err, size_t errsize)
{
	struct passwd *pw;
	uid_t	 r, e, s;

	if (geteuid() != 0) {
		log_warnx("not started as root: hubd and the spawner run as uid "
		    "%u, so PAM logins of other accounts cannot work",
		    (unsigned)geteuid());
		return 0;
	}
	if ((pw = getpwnam(cf->user)) == NULL) {
		snprintf(err, errsize, "[hub] user: no system user '%s' "
		    "(create it: useradd --system --no-create-home --shell "
		    "/usr/sbin/nologin %s)", cf->user, cf->user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errsize, "[hub] user: '%s' is root; name an "
		    "unprivileged user", cf->user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errsize, "cannot become %s: %s", cf->user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) != -1 || getresuid(&r, &e, &s) == -1 ||
	    r != pw->pw_uid || e != pw->pw_uid || s != pw->pw_uid) {
		snprintf(err, errsize, "privileges were not dropped");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errsize, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	log_info("running as %s (uid %u)", cf->user, (unsigned)pw->pw_uid);
	return 0;
}

static void
mark_dead(void)
{
	pthread_mutex_lock(&sp_lock);
	sp_dead = 1;
	pthread_cond_broadcast(&sp_cond);
	pthread_mutex_unlock(&sp_lock);
}

/* The strings of a message from the spawner are clean: 1 when so. */
static int
strings_ok(const void *m, enum sp_type type)
{
	switch (type) {
	case SP_AUTH_RESULT: {
		const struct sp_auth_result *a = m;

		return a->result >= 0 && a->result < SP_AUTH_END &&
		    sp_string_ok(a->message, sizeof(a->message));
	}
	case SP_STARTED: {
		const struct sp_started *a = m;

		return sp_string_ok(a->user, sizeof(a->user)) &&
		    sp_string_ok(a->cgroup, sizeof(a->cgroup)) &&
		    sp_string_ok(a->socket, sizeof(a->socket)) &&
		    sp_string_ok(a->message, sizeof(a->message));
	}
	case SP_STOPPED: {
		const struct sp_stopped *a = m;

		return sp_string_ok(a->user, sizeof(a->user)) &&
		    sp_string_ok(a->message, sizeof(a->message));
	}
	case SP_EXITED: {
		const struct sp_exited *a = m;

		return sp_string_ok(a->user, sizeof(a->user)) &&
		    sp_string_ok(a->message, sizeof(a->message));
	}
	case SP_ADOPTED: {
		const struct sp_adopted *a = m;

		return sp_string_ok(a->user, sizeof(a->user)) &&
		    sp_string_ok(a->message, sizeof(a->message));
	}
	default:
		return 0;	/* not a message the spawner sends */
	}
}

/* Takes each message off the socket: answers wake the thread that asked,
 * news of an ended server goes to server.c. */
static void *
read_answers(void *arg)
{
	union {
		struct sp_header h;
		struct sp_exited exited;
		unsigned char raw[SP_MESSAGE_MAX];
	} m;
	struct pending *p;
	char	 why[160];
	ssize_t	 n;

	for (;;) {
		n = recv(sp_fd, &m, sizeof(m), MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n > sizeof(m) || sp_check(&m, (size_t)n, why,
		    sizeof(why)) == -1 || !strings_ok(&m, m.h.type)) {
			log_warnx("the spawner broke the protocol: %s",
			    (size_t)n > sizeof(m) ? "oversized message" :
			    sp_check(&m, (size_t)n, why, sizeof(why)) == -1 ?
			    why : "a field is not what it must be");
			break;
		}
		if (m.h.type == SP_EXITED) {
			server_on_exited(&m.exited);
			continue;
		}
		pthread_mutex_lock(&sp_lock);
		for (p = waiting; p != NULL; p = p->next)
			if (p->id == m.h.id && !p->done && p->want == m.h.type) {
				memcpy(p->answer, &m, (size_t)n);
				p->done = 1;
				break;
			}
		pthread_cond_broadcast(&sp_cond);
		pthread_mutex_unlock(&sp_lock);
		if (p == NULL)
			log_warnx("spawner answered request %llu (type %u), which "
			    "nobody waits for", (unsigned long long)m.h.id,
			    m.h.type);
	}
	mark_dead();
	return NULL;
}

int
privsep_reader_start(void)
{
	if (pthread_create(&reader, NULL, read_answers, NULL) != 0)
		return -1;
	reader_running = 1;
	return 0;
}

/*
 * Send rq (a filled message; its id is set here) and wait up to timeout
 * seconds for the answer of type want into answer.  Blocks this thread
 * only.  0, or -1 with a reason in err.
 */
int
spawner_call(void *rq, int want, void *answer, int timeout,
    char *err, size_t errsize)
{
	struct sp_header *h = rq;
	struct pending me, **pp;
	struct timespec deadline;
	int	 r = -1, rc = 0;
	ssize_t	 n;

	memset(&me, 0, sizeof(me));
	me.want = (enum sp_type)want;
	me.answer = answer;
	pthread_mutex_lock(&sp_lock);
	if (sp_dead || sp_fd == -1) {
		pthread_mutex_unlock(&sp_lock);
		snprintf(err, errsize, "the spawner is not running");
		return -1;
	}
	me.id = h->id = next_id++;
	me.next = waiting;
	waiting = &me;
	pthread_mutex_unlock(&sp_lock);

	do
		n = send(sp_fd, rq, h->size, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)h->size) {
		snprintf(err, errsize, "cannot reach the spawner: %s",
		    strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout;
	pthread_mutex_lock(&sp_lock);
	while (!me.done && !sp_dead && rc == 0)
		rc = pthread_cond_timedwait(&sp_cond, &sp_lock, &deadline);
	pthread_mutex_unlock(&sp_lock);
	if (me.done)
		r = 0;
	else
		snprintf(err, errsize, sp_dead ? "the spawner stopped" :
		    "the spawner did not answer in %d s", timeout);
out:
	pthread_mutex_lock(&sp_lock);
	for (pp = &waiting; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &me) {
			*pp = me.next;
			break;
		}
	pthread_mutex_unlock(&sp_lock);
	return r;
}

/*
 * Ask the spawner to check user's password with PAM.  Returns an enum
 * sp_verdict (uid set with SP_AUTH_OK), or -1 when the spawner is gone or
 * does not answer.
 */
int
spawner_auth(const char *user, const char *password, uid_t *uid,
    char *msg, size_t msgsize)
{
	struct sp_auth rq;
	struct sp_auth_result a;
	int	 r;

	sp_init(&rq.h, SP_AUTH, sizeof(rq), 0);
	if (str_copy(rq.user, user, sizeof(rq.user)) == -1 ||
	    str_copy(rq.password, password, sizeof(rq.password)) == -1) {
		explicit_bzero(&rq, sizeof(rq));
		snprintf(msg, msgsize, "user name or password too long");
		return -1;
	}
	r = spawner_call(&rq, SP_AUTH_RESULT, &a, SPAWNER_AUTH_SEC, msg,
	    msgsize);
	explicit_bzero(&rq, sizeof(rq));
	if (r == -1)
		return -1;
	*uid = a.uid;
	snprintf(msg, msgsize, "%s", a.message);
	return a.result;
}

/* Close the socket (the spawner stops on EOF) and reap it, bounded. */
void
privsep_stop(void)
{
	int	 status, i;

	if (sp_fd != -1)
		shutdown(sp_fd, SHUT_RDWR);
	if (reader_running)
		pthread_join(reader, NULL);
	reader_running = 0;
	if (sp_fd != -1)
		close(sp_fd);
	sp_fd = -1;
	for (i = 0; sp_pid > 0 && i < 50; i++) {
		if (waitpid(sp_pid, &status, WNOHANG) == sp_pid) {
			sp_pid = -1;
			return;
		}
		usleep(100000);
	}
	if (sp_pid > 0) {
		log_warnx("the spawner did not stop; killing it");
		kill(sp_pid, SIGKILL);
		waitpid(sp_pid, &status, 0);
		sp_pid = -1;
	}
}
