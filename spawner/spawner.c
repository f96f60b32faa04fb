/*
 * hubd-spawner: the one root process of the hub.  hubd starts it (fork and
 * exec) with a SOCK_SEQPACKET socket as fd 3 and drops its own privileges;
 * from then on the spawner does what needs root, on request, and nothing
 * else.  It holds no HTTP parser, no SQL and no JSON: it reads fixed
 * messages (spawner/proto.h), checks every byte, and answers.
 *
 * PAM conversations run in worker processes, a bounded number at once,
 * so one wrong password (2-4 s of PAM fail delay) never delays the others.
 * Students' servers (server.c) are started in the sandbox and watched from
 * the same poll loop, which never waits for one of them.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawner/spawner.h"

struct worker {
	pid_t		 pid;
	int		 fd;		/* reads its sp_auth_result */
	uint64_t	 id;
	char		 user[USERNAME_MAX + 1];
};

static struct config	*cf;
static int		 hub_fd = SP_FD;
static struct worker	*workers;
static unsigned		 nworkers;
static struct sp_auth	*queue;		/* waiting for a worker */
static unsigned		 queued;

/* Which messages hubd may send at all; the answer types are never
 * accepted from hubd.  Whether a server request fits the state of that
 * user's server is server.c's permit table. */
static const int hub_may_send[SP_TYPE_END] = {
	[SP_AUTH] = 1,
	[SP_START] = 1,
	[SP_STOP] = 1,
	[SP_ADOPT] = 1,
};

void
send_hub(const void *msg, size_t len)
{
	ssize_t	 n;

	do
		n = send(hub_fd, msg, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			fatalx("hubd went away");
		fatal("send to hubd");
	}
}

static void
answer(uint64_t id, enum sp_verdict result, uid_t uid, const char *msg)
{
	struct sp_auth_result a;

	sp_init(&a.h, SP_AUTH_RESULT, sizeof(a), id);
	a.result = result;
	a.uid = (uint32_t)uid;
	snprintf(a.message, sizeof(a.message), "%s", msg);
	send_hub(&a, sizeof(a));
}

/* In the worker: one conversation, its answer on fd, then exit. */
static void __attribute__((noreturn))
worker_main(struct sp_auth *rq, int fd)
{
	struct sp_auth_result a;
	uid_t	 uid = 0;
	int	 r;

	close(hub_fd);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sp_init(&a.h, SP_AUTH_RESULT, sizeof(a), rq->h.id);
	r = pam_check(cf, rq->user, rq->password, &uid, a.message,
	    sizeof(a.message));
	explicit_bzero(rq->password, sizeof(rq->password));
	a.result = r;
	a.uid = (uint32_t)uid;
	(void)!write(fd, &a, sizeof(a));
	_exit(0);
}

static void
worker_start(struct sp_auth *rq)
{
	struct worker *w = &workers[nworkers];
	int	 p[2];
	pid_t	 pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("pipe for a PAM worker");
		answer(rq->h.id, SP_AUTH_ERROR, 0, "no pipe");
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork of a PAM worker");
		close(p[0]);
		close(p[1]);
		answer(rq->h.id, SP_AUTH_ERROR, 0, "no fork");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		worker_main(rq, p[1]);
	}
	close(p[1]);
	explicit_bzero(rq->password, sizeof(rq->password));
	w->pid = pid;
	w->fd = p[0];
	w->id = rq->h.id;
	memcpy(w->user, rq->user, sizeof(w->user));
	nworkers++;
}

static void
worker_done(unsigned i)
{
	struct worker *w = &workers[i];
	struct sp_auth_result a;
	char	 why[128];
	ssize_t	 n;

	n = read(w->fd, &a, sizeof(a));
	if (n != (ssize_t)sizeof(a) || sp_check(&a, (size_t)n, why,
	    sizeof(why)) == -1 || a.h.type != SP_AUTH_RESULT ||
	    a.h.id != w->id || a.result < 0 || a.result >= SP_AUTH_END ||
	    !sp_string_ok(a.message, sizeof(a.message))) {
		log_warnx("PAM worker for %s gave no answer", w->user);
		answer(w->id, SP_AUTH_ERROR, 0, "PAM worker failed");
	} else {
		log_info("pam: %s: %s", w->user, a.message);
		send_hub(&a, sizeof(a));
	}
	close(w->fd);
	workers[i] = workers[--nworkers];
	if (queued > 0) {
		worker_start(&queue[0]);
		memmove(&queue[0], &queue[1], --queued * sizeof(queue[0]));
		explicit_bzero(&queue[queued], sizeof(queue[0]));
	}
}

static void
on_auth(struct sp_auth *rq)
{
	if (!sp_string_ok(rq->password, sizeof(rq->password)) ||
	    !sp_string_ok(rq->user, sizeof(rq->user)))
		fatalx("hubd sent a field that is not a clean string");
	if (!username_valid(rq->user)) {
		/* Refused, never acted on: no PAM for names we would not
		 * give an account. */
		log_warnx("auth for an invalid user name refused");
		answer(rq->h.id, SP_AUTH_DENIED, 0, "invalid user name");
		goto done;
	}
	if (!cf->pam_enabled) {
		answer(rq->h.id, SP_AUTH_DENIED, 0, "PAM is not enabled");
		goto done;
	}
	if (nworkers < cf->pam_workers) {
		worker_start(rq);
		goto done;
	}
	if (queued == PAM_QUEUE_MAX) {
		log_warnx("auth for %s refused: %d logins waiting", rq->user,
		    PAM_QUEUE_MAX);
		answer(rq->h.id, SP_AUTH_ERROR, 0, "too many logins at once");
		goto done;
	}
	queue[queued++] = *rq;
done:
	explicit_bzero(rq->password, sizeof(rq->password));
}

/* One datagram from hubd: 1 to go on, 0 when hubd closed. */
static int
on_message(void)
{
	union {
		struct sp_header h;
		struct sp_auth auth;
		struct sp_start start;
		struct sp_stop stop;
		struct sp_adopt adopt;
		unsigned char raw[SP_MESSAGE_MAX];
	} m;
	char	 why[160];
	ssize_t	 n;

	n = recv(hub_fd, &m, sizeof(m), MSG_TRUNC | MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 1;
		fatal("recv from hubd");
	}
	if (n == 0)
		return 0;
	if ((size_t)n > sizeof(m))
		fatalx("hubd sent %zd bytes, more than any message", n);
	if (sp_check(&m, (size_t)n, why, sizeof(why)) == -1)
		fatalx("hubd broke the protocol: %s", why);
	if (!hub_may_send[m.h.type])
		fatalx("hubd sent message type %u, which only the spawner "
		    "sends", m.h.type);
	switch (m.h.type) {
	case SP_AUTH:
		on_auth(&m.auth);
		break;
	case SP_START:
		srv_start(&m.start);
		break;
	case SP_STOP:
		srv_stop(&m.stop);
		break;
	case SP_ADOPT:
		srv_adopt(&m.adopt);
		break;
	default:
		fatalx("message type %u has no handler", m.h.type);
	}
	explicit_bzero(&m, sizeof(m));
	return 1;
}

static void
reap(void)
{
	unsigned i;
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nworkers; i++)
			if (workers[i].pid == pid)
				break;
		/* A worker is reaped here; its answer (or its absence) is
		 * read from its pipe, which is at EOF now. */
		if (i < nworkers)
			workers[i].pid = 0;
		else if (!srv_reaped(pid, status))
			log_debug("reaped pid %ld", (long)pid);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: hubd-spawner --config FILE\n"
	    "Started by hubd, with its socket as fd %d; not for people.\n",
	    SP_FD);
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct sp_hello hello;
	struct pollfd *pfd = NULL;
	sigset_t set;
	char	 err[1024];
	int	 ch, sfd, type, i;
	unsigned w, npfd = 0, nsrv;
	socklen_t len = sizeof(type);

	/* Pid 1 of a sandbox this program started re-executes it: never
	 * returns then. */
	sandbox_init_dispatch(argc, argv);
	/* The keeper of the students' systemd scope: never returns then. */
	scope_keeper_dispatch(argc, argv);

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (ch != 'c')
			usage();
		path = optarg;
	}
	if (path == NULL || optind != argc)
		usage();
	log_init(LOG_LEVEL_INFO, "hubd-spawner");
	if (getsockopt(hub_fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_SEQPACKET)
		fatalx("fd %d is not hubd's SOCK_SEQPACKET socket", SP_FD);
	if ((cf = config_load(path, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	log_set_level(cf->log_level);
	workers = calloc(cf->pam_workers, sizeof(*workers));
	queue = calloc(PAM_QUEUE_MAX, sizeof(*queue));
	if (workers == NULL || queue == NULL)
		fatalx("out of memory");

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);
	srv_init(cf);

	sp_init(&hello.h, SP_HELLO, sizeof(hello), 0);
	hello.pid = (uint32_t)getpid();
	hello.pam_workers = cf->pam_workers;
	send_hub(&hello, sizeof(hello));
	log_info("ready (uid %u, PAM %s)", (unsigned)getuid(),
	    cf->pam_enabled ? cf->pam_service : "off");

	for (;;) {
		unsigned n = 0, want = 2 + nworkers + srv_count();

		if (want > npfd) {
			struct pollfd *p = reallocarray(pfd, want, sizeof(*p));

			if (p == NULL)
				fatalx("out of memory");
			pfd = p;
			npfd = want;
		}
		pfd[n++] = (struct pollfd){ .fd = hub_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (w = 0; w < nworkers; w++)
			pfd[n++] = (struct pollfd){ .fd = workers[w].fd,
			    .events = POLLIN };
		nsrv = srv_pollfds(pfd + n, npfd - n);
		if (poll(pfd, n + nsrv, srv_timeout()) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap();
				else if (si.ssi_signo == SIGTERM ||
				    si.ssi_signo == SIGINT) {
					log_info("signal %u: stopping",
					    si.ssi_signo);
					goto out;
				}
			}
		}
		/* Workers first, from the end: worker_done reorders. */
		for (i = (int)nworkers - 1; i >= 0; i--)
			if (pfd[2 + i].revents != 0)
				worker_done((unsigned)i);
		srv_polled(pfd + n, nsrv);
		srv_timers();
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			if (!on_message()) {
				log_info("hubd closed the connection: stopping");
				break;
			}
	}
out:
	/* The servers go on running: the next spawner adopts them. */
	srv_shutdown();
	for (w = 0; w < nworkers; w++)
		kill(workers[w].pid, SIGKILL);
	config_free(cf);
	free(workers);
	free(queue);
	free(pfd);
	return 0;
}
