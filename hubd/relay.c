/*
 * Websocket relay: after the student's server said 101, bytes are copied
 * both ways between the browser's socket and the server's, by one epoll
 * thread for every open websocket (kernels, terminals), with a bounded
 * buffer per direction.  When one side closes, the other is shut for
 * writing and given a short linger; idle and lifetime limits end the rest.
 * Over plain HTTP the relay owns a duplicate of the browser's socket and
 * closes it; under TLS the socket is libmicrohttpd's (its TLS pump), never
 * closed here, only handed back with MHD_upgrade_action(..., CLOSE).
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hubd.h"

enum { CLIENT = 0, BACKEND = 1 };

struct relay;

struct side {
	struct relay	*r;
	int		 which;
	int		 fd;
	int		 eof;		/* nothing more to read from it */
	int		 shut;		/* we shut its writing half */
	uint32_t	 events;	/* registered with epoll */
	char		 buf[RELAY_BUF];	/* read from it, for the other */
	size_t		 len, off;
};

struct relay {
	struct relay	*next;
	int		 dead;		/* finished; freed after this batch */
	struct side	 s[2];
	struct MHD_UpgradeResponseHandle *urh;	/* NULL: the client fd is ours */
	char		 user[USERNAME_MAX + 1];
	char		 addr[64];	/* the browser's */
	int64_t		 session;	/* the viewer's login; 0: a token */
	int		 ended;		/* its login ended: close it */
	time_t		 start, last, linger, noted;
};

static int		 ep = -1, wake = -1;
static pthread_t	 thread;
static int		 running, quitting;
static struct relay	*relays;
static struct relay	*graveyard;	/* finished in this batch of events */
static unsigned		 nrelays;
static pthread_mutex_t	 relay_lock = PTHREAD_MUTEX_INITIALIZER;

unsigned
relay_count(void)
{
	unsigned n;

	pthread_mutex_lock(&relay_lock);
	n = nrelays;
	pthread_mutex_unlock(&relay_lock);
	return n;
}

/* What each side waits for: reading while its buffer is empty, writing
 * while the other side's buffer holds bytes for it. */
static void
interest(struct relay *r)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		struct side *me = &r->s[i], *peer = &r->s[1 - i];
		struct epoll_event ev;
		uint32_t want = 0;

		if (!me->eof && me->len == 0)
			want |= EPOLLIN;
		if (peer->len > peer->off)
			want |= EPOLLOUT;
		if (want == me->events)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = want;
		ev.data.ptr = me;
		(void)epoll_ctl(ep, EPOLL_CTL_MOD, me->fd, &ev);
		me->events = want;
	}
}

static void
finish(struct relay *r)
{
	struct relay **pp;

	(void)epoll_ctl(ep, EPOLL_CTL_DEL, r->s[CLIENT].fd, NULL);
	(void)epoll_ctl(ep, EPOLL_CTL_DEL, r->s[BACKEND].fd, NULL);
	close(r->s[BACKEND].fd);
	if (r->urh != NULL)
		MHD_upgrade_action(r->urh, MHD_UPGRADE_ACTION_CLOSE);
	else
		close(r->s[CLIENT].fd);
	for (pp = &relays; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	nrelays--;
	log_debug("websocket of %s closed", r->user);
	/* Later events of this batch may still name it: freed after. */
	r->dead = 1;
	r->next = graveyard;
	graveyard = r;
}

static void
bury(void)
{
	struct relay *r;

	while ((r = graveyard) != NULL) {
		graveyard = r->next;
		free(r);
	}
}

/* Move bytes for one ready side; -1 when the relay is over. */
static int
pump(struct side *me, uint32_t events, time_t now)
{
	struct relay *r = me->r;
	struct side *peer = &r->s[1 - me->which];
	ssize_t	 n;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && !me->eof &&
	    me->len == 0) {
		n = recv(me->fd, me->buf, sizeof(me->buf), MSG_DONTWAIT);
		if (n > 0) {
			me->len = (size_t)n;
			me->off = 0;
			r->last = now;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			me->eof = 1;
			if (r->linger == 0)
				r->linger = now + RELAY_LINGER;
		}
	}
	/* Our bytes go to the peer; the peer's bytes come to us. */
	if (me->len > me->off) {
		n = send(peer->fd, me->buf + me->off, me->len - me->off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			me->off += (size_t)n;
		else if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (me->off == me->len)
			me->len = me->off = 0;
	}
	if (peer->len > peer->off && (events & EPOLLOUT)) {
		n = send(me->fd, peer->buf + peer->off, peer->len - peer->off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			peer->off += (size_t)n;
		else if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (peer->off == peer->len)
			peer->len = peer->off = 0;
	}
	/* A side that ended and whose bytes are all delivered: tell the
	 * peer nothing more comes. */
	if (me->eof && me->len == 0 && !peer->shut) {
		(void)shutdown(peer->fd, SHUT_WR);
		peer->shut = 1;
	}
	if (now != r->noted) {
		server_activity(r->user, now);
		r->noted = now;
	}
	if (me->eof && peer->eof && me->len == 0 && peer->len == 0)
		return -1;
	/* Hung up or failed both ways, with nothing of ours left to pass
	 * on: epoll would report it again and again until the linger ends. */
	if (events & (EPOLLHUP | EPOLLERR) && me->eof && me->len == 0)
		return -1;
	return 0;
}

static void
expire(time_t now)
{
	struct relay *r, *next;

	for (r = relays; r != NULL; r = next) {
		next = r->next;
		if (r->ended || (r->linger != 0 && now >= r->linger) ||
		    now - r->last >= RELAY_IDLE || now - r->start >= RELAY_LIFE ||
		    quitting)
			finish(r);
	}
}

static void *
relay_main(void *arg)
{
	struct epoll_event evs[64];
	time_t	 now, swept = 0;
	uint64_t junk;
	int	 n, i;

	for (;;) {
		n = epoll_wait(ep, evs, 64, 1000);
		pthread_mutex_lock(&relay_lock);
		now = time(NULL);
		for (i = 0; i < n; i++) {
			struct side *s = evs[i].data.ptr;

			if (s == NULL) {	/* the wake-up eventfd */
				(void)!read(wake, &junk, sizeof(junk));
				swept = 0;	/* sweep now */
				continue;
			}
			if (s->r->dead)	/* finished earlier in this batch */
				continue;
			if (pump(s, evs[i].events, now) == -1)
				finish(s->r);
			else
				interest(s->r);
		}
		if (now != swept || quitting) {
			expire(now);
			swept = now;
		}
		bury();
		if (quitting && relays == NULL) {
			pthread_mutex_unlock(&relay_lock);
			break;
		}
		pthread_mutex_unlock(&relay_lock);
	}
	return NULL;
}

int
relay_init(void)
{
	struct epoll_event ev;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev) == -1)
		return -1;
	if (pthread_create(&thread, NULL, relay_main, NULL) != 0)
		return -1;
	running = 1;
	return 0;
}

/*
 * A new websocket: the browser's socket (libmicrohttpd's), its bytes read
 * past the head, the server's socket and the bytes it sent after its 101.
 */
/* A login ended (logout, password change, account disabled): its
 * websockets close too. */
void
relay_end_session(int64_t session)
{
	struct relay *r;
	uint64_t one = 1;
	int	 any = 0;

	if (session == 0 || !running)
		return;
	pthread_mutex_lock(&relay_lock);
	for (r = relays; r != NULL; r = r->next)
		if (r->session == session) {
			r->ended = 1;
			any = 1;
		}
	pthread_mutex_unlock(&relay_lock);
	if (any)
		(void)!write(wake, &one, sizeof(one));
}

/*
 * Room for one more websocket from addr?  Once relayed, a websocket no
 * longer counts among libmicrohttpd's connections, so the limits on them
 * (http max_connections, max_connections_per_ip) are kept here, together
 * with the connections libmicrohttpd has open.
 */
int
relay_admit(const char *addr, unsigned max, unsigned max_per_ip)
{
	const union MHD_DaemonInfo *di;
	struct relay *r;
	unsigned n = 0, open = 0;

	di = MHD_get_daemon_info(hub.mhd,
	    MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	if (di != NULL)
		open = di->num_connections;
	pthread_mutex_lock(&relay_lock);
	for (r = relays; r != NULL; r = r->next)
		if (strcmp(r->addr, addr) == 0)
			n++;
	open += nrelays;
	pthread_mutex_unlock(&relay_lock);
	/* libmicrohttpd counts the asking connection itself. */
	return open <= max && n < max_per_ip;
}

int
relay_add(const char *user, int64_t session, const char *addr, int cfd,
    const char *extra_in, size_t extra_len, int bfd, const char *surplus,
    size_t surplus_len, struct MHD_UpgradeResponseHandle *urh)
{
	struct relay *r;
	struct epoll_event ev;
	int	 i;

	int	 one = 1;

	if (extra_len > RELAY_BUF || surplus_len > RELAY_BUF ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	/* Kernel messages are small and come one by one: without this the
	 * browser's delayed ACK stalls each for 40 ms (Nagle).  Under TLS
	 * the socket is libmicrohttpd's socketpair and this is a no-op. */
	(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	snprintf(r->user, sizeof(r->user), "%s", user);
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
	r->session = session;
	r->urh = urh;
	r->start = r->last = time(NULL);
	for (i = 0; i < 2; i++) {
		r->s[i].r = r;
		r->s[i].which = i;
	}
	r->s[CLIENT].fd = cfd;
	r->s[BACKEND].fd = bfd;
	memcpy(r->s[CLIENT].buf, extra_in, extra_len);	/* for the server */
	r->s[CLIENT].len = extra_len;
	memcpy(r->s[BACKEND].buf, surplus, surplus_len);	/* for the browser */
	r->s[BACKEND].len = surplus_len;
	pthread_mutex_lock(&relay_lock);
	for (i = 0; i < 2; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = 0;
		ev.data.ptr = &r->s[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, r->s[i].fd, &ev) == -1) {
			if (i == 1)
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, cfd, NULL);
			pthread_mutex_unlock(&relay_lock);
			free(r);
			return -1;
		}
	}
	r->next = relays;
	relays = r;
	nrelays++;
	interest(r);
	pthread_mutex_unlock(&relay_lock);
	log_debug("websocket of %s open (%u open)", user, nrelays);
	return 0;
}

/* Before libmicrohttpd stops: every websocket is closed. */
void
relay_stop(void)
{
	uint64_t one = 1;

	if (!running)
		return;
	pthread_mutex_lock(&relay_lock);
	quitting = 1;
	pthread_mutex_unlock(&relay_lock);
	(void)!write(wake, &one, sizeof(one));
	pthread_join(thread, NULL);
	running = 0;
	close(ep);
	close(wake);
	ep = wake = -1;
}
