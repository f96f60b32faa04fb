/*
 * hbload: a small HTTP/1.1 load generator for the benchmarks in bench/.
 * wrk cannot talk to unix sockets; this can, over TCP too, so both sides
 * of a comparison use the same client.
 *
 *   hbload (-t HOST:PORT | -u SOCKET) -P PATH [-H 'Name: value']...
 *          [-c CONNS] [-d SECONDS] [-k 1|0] [-w SECONDS] [-q]
 *
 * CONNS connections (default 8) each send PATH, wait for the whole
 * answer, and send again, for SECONDS (default 10), after a warm-up of -w
 * seconds (default 1) whose requests are not counted.  -k 1 (default)
 * keeps each connection open (HTTP/1.1 keep-alive; reconnects when the
 * server closes); -k 0 opens a new connection for every request
 * ("Connection: close"), and its latency includes the connect.  -q
 * sets TCP_QUICKACK after every read, so the client never delays its ACKs
 * (shows whether a server's small writes wait on them: Nagle).  One
 * thread, epoll; latency from the first byte sent to the last byte of the
 * answer, in microseconds.  Prints key=value lines on stdout:
 * requests, non200, errors, reconnects, elapsed, rps, p50_us, p90_us,
 * p99_us, max_us, mean_us.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ	65536

struct conn {
	int	 fd;
	int	 connecting;
	size_t	 sent;		/* of the request */
	size_t	 got;		/* in buf */
	uint64_t t0;		/* ns, request start */
	char	 buf[BUFSZ];
};

static struct sockaddr_storage addr;
static socklen_t addrlen;
static int	 family;
static char	*req;
static size_t	 reqlen;
static int	 keepalive = 1;
static int	 quickack;	/* -q: ACK at once after every read (TCP) */
static int	 epfd;
static uint64_t	 t_measure, t_end;	/* ns */
static uint64_t	*lat;
static size_t	 nlat, caplat;
static unsigned long nreq, non200, nerr, nreconn;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static void
record(uint64_t t0, int status)
{
	uint64_t t = now_ns();

	if (t0 < t_measure || t > t_end)
		return;
	nreq++;
	if (status != 200)
		non200++;
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 1 << 16;
		if ((lat = realloc(lat, caplat * sizeof(*lat))) == NULL)
			die("realloc");
	}
	lat[nlat++] = (t - t0) / 1000;
}

static void
arm(struct conn *c, uint32_t ev, int op)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (epoll_ctl(epfd, op, c->fd, &e) == -1)
		die("epoll_ctl");
}

static void
open_conn(struct conn *c)
{
	int one = 1;

	c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		die("socket");
	if (family != AF_UNIX)
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	c->sent = c->got = 0;
	c->connecting = 1;
	if (connect(c->fd, (struct sockaddr *)&addr, addrlen) == -1 &&
	    errno != EINPROGRESS && errno != EAGAIN) {
		nerr++;
		close(c->fd);
		c->fd = -1;
		return;
	}
	arm(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static void
close_conn(struct conn *c)
{
	if (c->fd != -1) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
}

/* Start a request on c (a new connection when needed). */
static void
start(struct conn *c, int fresh)
{
	c->t0 = now_ns();
	if (fresh || c->fd == -1) {
		close_conn(c);
		open_conn(c);
		if (c->fd == -1)
			return;
	} else {
		c->sent = c->got = 0;
		arm(c, EPOLLOUT, EPOLL_CTL_MOD);
	}
}

/* -1 incomplete, else the status; *close set if the server closes. */
static int
parse(struct conn *c, int eof, int *closes)
{
	char	*end, *p, *line;
	size_t	 hlen, body;
	long	 cl = -1;
	int	 status, chunked = 0;

	c->buf[c->got] = '\0';
	if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		return eof ? 0 : -1;
	hlen = (size_t)(end - c->buf) + 4;
	if (strncmp(c->buf, "HTTP/1.", 7) != 0)
		return 0;
	status = atoi(c->buf + 9);
	*closes = strncmp(c->buf, "HTTP/1.0", 8) == 0;
	for (line = strstr(c->buf, "\r\n") + 2; line < end;
	    line = strstr(line, "\r\n") + 2) {
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			cl = atol(line + 15);
		else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 &&
		    strcasestr(line, "chunked") != NULL &&
		    strcasestr(line, "chunked") < strstr(line, "\r\n"))
			chunked = 1;
		else if (strncasecmp(line, "Connection:", 11) == 0) {
			p = line + 11;
			while (*p == ' ')
				p++;
			if (strncasecmp(p, "close", 5) == 0)
				*closes = 1;
			else if (strncasecmp(p, "keep-alive", 10) == 0)
				*closes = 0;
		}
	}
	body = c->got - hlen;
	if (cl >= 0)
		return body >= (size_t)cl ? status : (eof ? 0 : -1);
	if (chunked) {
		p = c->buf + hlen;
		for (;;) {
			char *nl = strstr(p, "\r\n");
			long n;

			if (nl == NULL)
				return eof ? 0 : -1;
			n = strtol(p, NULL, 16);
			if (n == 0)	/* last chunk; no trailers expected */
				return (size_t)(nl + 4 - c->buf) <= c->got &&
				    nl[2] == '\r' && nl[3] == '\n' ? status :
				    (eof ? 0 : -1);
			if ((size_t)(nl + 2 + n + 2 - c->buf) > c->got)
				return eof ? 0 : -1;
			p = nl + 2 + n + 2;
		}
	}
	*closes = 1;			/* body until EOF */
	return eof ? status : -1;
}

static void
on_event(struct conn *c, uint32_t ev)
{
	ssize_t	 n;
	int	 status, closes = 0, eof = 0, err = 0;
	socklen_t len = sizeof(err);

	if (c->connecting) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			nerr++;
			start(c, 1);
			return;
		}
		c->connecting = 0;
	}
	if (c->sent < reqlen && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		n = send(c->fd, req + c->sent, reqlen - c->sent, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN)
				return;
			nerr++;
			nreconn++;
			start(c, 1);
			return;
		}
		c->sent += (size_t)n;
		if (c->sent == reqlen)
			arm(c, EPOLLIN, EPOLL_CTL_MOD);
		return;
	}
	for (;;) {
		if (c->got >= BUFSZ - 1) {
			nerr++;
			start(c, 1);
			return;
		}
		n = recv(c->fd, c->buf + c->got, BUFSZ - 1 - c->got, 0);
		if (quickack && family != AF_UNIX) {
			int one = 1;

			(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK,
			    &one, sizeof(one));
		}
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			eof = 1;
			break;
		}
		c->got += (size_t)n;
	}
	status = parse(c, eof, &closes);
	if (status == -1)
		return;			/* wait for more */
	if (status == 0) {		/* closed before a whole answer */
		nerr++;
		nreconn++;
		start(c, 1);
		return;
	}
	record(c->t0, status);
	if (!keepalive || closes || eof) {
		if (keepalive)
			nreconn++;
		start(c, 1);
	} else
		start(c, 0);
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
pct(double p)
{
	size_t i;

	if (nlat == 0)
		return 0;
	i = (size_t)(p * (double)nlat);
	return lat[i >= nlat ? nlat - 1 : i];
}

int
main(int argc, char **argv)
{
	const char *path = NULL, *target = NULL, *usock = NULL;
	char	 hdrs[8192] = "";
	double	 dur = 10, warm = 1;
	int	 nconn = 8, opt, i, k;
	struct conn *cs;
	struct epoll_event evs[256];
	uint64_t t_start, sum = 0;
	size_t	 j;

	while ((opt = getopt(argc, argv, "t:u:P:H:c:d:k:w:q")) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 'u': usock = optarg; break;
		case 'P': path = optarg; break;
		case 'H':
			if (strlen(hdrs) + strlen(optarg) + 3 >= sizeof(hdrs))
				return 2;
			strcat(hdrs, optarg);
			strcat(hdrs, "\r\n");
			break;
		case 'c': nconn = atoi(optarg); break;
		case 'd': dur = atof(optarg); break;
		case 'k': keepalive = atoi(optarg); break;
		case 'w': warm = atof(optarg); break;
		case 'q': quickack = 1; break;
		default:
			fprintf(stderr, "usage: hbload (-t HOST:PORT | -u SOCKET)"
			    " -P PATH [-H HEADER]... [-c N] [-d S] [-k 1|0] "
			    "[-w S] [-q]\n");
			return 2;
		}
	}
	if (path == NULL || (target == NULL) == (usock == NULL) || nconn < 1)
		return fprintf(stderr, "hbload: need -P and one of -t/-u\n"), 2;
	memset(&addr, 0, sizeof(addr));
	if (usock != NULL) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&addr;

		family = sun->sun_family = AF_UNIX;
		if (strlen(usock) >= sizeof(sun->sun_path))
			return fprintf(stderr, "hbload: path too long\n"), 2;
		strcpy(sun->sun_path, usock);
		addrlen = sizeof(*sun);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&addr;
		char host[64], *colon;

		snprintf(host, sizeof(host), "%s", target);
		if ((colon = strrchr(host, ':')) == NULL)
			return fprintf(stderr, "hbload: -t HOST:PORT\n"), 2;
		*colon = '\0';
		family = sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return fprintf(stderr, "hbload: bad address\n"), 2;
		addrlen = sizeof(*sin);
	}
	reqlen = (size_t)asprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\n%s"
	    "Connection: %s\r\n\r\n", path, target ? target : "localhost",
	    hdrs, keepalive ? "keep-alive" : "close");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	if ((cs = calloc((size_t)nconn, sizeof(*cs))) == NULL)
		die("calloc");
	t_start = now_ns();
	t_measure = t_start + (uint64_t)(warm * 1e9);
	t_end = t_measure + (uint64_t)(dur * 1e9);
	for (i = 0; i < nconn; i++) {
		cs[i].fd = -1;
		start(&cs[i], 1);
	}
	while (now_ns() < t_end) {
		int n = epoll_wait(epfd, evs, 256, 100);

		if (n == -1 && errno != EINTR)
			die("epoll_wait");
		for (k = 0; k < n; k++)
			on_event(evs[k].data.ptr, evs[k].events);
		for (i = 0; i < nconn; i++)	/* connect failures */
			if (cs[i].fd == -1)
				start(&cs[i], 1);
	}
	qsort(lat, nlat, sizeof(*lat), cmp);
	for (j = 0; j < nlat; j++)
		sum += lat[j];
	printf("requests=%lu\nnon200=%lu\nerrors=%lu\nreconnects=%lu\n"
	    "elapsed=%.3f\nrps=%.1f\np50_us=%llu\np90_us=%llu\np99_us=%llu\n"
	    "max_us=%llu\nmean_us=%.1f\n", nreq, non200, nerr, nreconn, dur,
	    (double)nreq / dur, (unsigned long long)pct(0.50),
	    (unsigned long long)pct(0.90), (unsigned long long)pct(0.99),
	    nlat ? (unsigned long long)lat[nlat - 1] : 0ull,
	    nlat ? (double)sum / (double)nlat : 0.0);
	return 0;
}
