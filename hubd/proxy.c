/*
 * The proxy: /user/NAME/... relayed to NAME's notebook server over its
 * unix socket.  A thread per connection (libmicrohttpd), so the relay of a
 * plain request blocks only its own client: the request head goes out as
 * soon as it is known, the body follows piece by piece as it arrives, and
 * the answer streams back through a content reader.  Nothing is buffered
 * whole.  Responses are parsed with Debian's http-parser; websockets are
 * handed to relay.c after the backend's 101.
 *
 * The student's server runs code the student controls: the hub's session
 * and view cookies and the browser's Authorization never reach it, and cookies it
 * sets outside its own prefix never reach the browser.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <http_parser.h>

#include "hubd.h"

struct proxy {
	struct proxy	*next;		/* every open one, for shutdown */
	int		 listed;
	int		 fd;		/* the backend's socket */
	char		 user[USERNAME_MAX + 1];
	int		 chunked;	/* request body sent chunked */
	int		 reused;	/* the socket came from the idle pool */
	uid_t		 uid;		/* the server's, for the pool */
	char		 socket[SERVER_PATH_MAX];
	struct buf	 reqhead;	/* kept to send again on a stale socket */
	int		 head;		/* a HEAD request: no body back */
	int		 upgrade;
	http_parser	 parser;
	/* the response head, as parsed */
	char		 hbuf[PROXY_HEAD_MAX];
	size_t		 hlen;
	struct {
		size_t	 name, value;	/* offsets into hbuf */
	}		 hdr[PROXY_HEADERS_MAX];
	int		 nhdr;
	int		 in_value;
	int		 overflow;
	int		 headers_done;
	long long	 length;	/* of the body, as announced; -1 */
	int		 complete;
	/* body parsed but not yet given to MHD */
	char		 out[PROXY_BUF];
	size_t		 outlen, outpos;
	char		 rbuf[PROXY_BUF];
	time_t		 noted;		/* last activity reported */
};

static struct proxy	*open_proxies;
static pthread_mutex_t	 open_lock = PTHREAD_MUTEX_INITIALIZER;

static void
unlist(struct proxy *px)
{
	struct proxy **pp;

	pthread_mutex_lock(&open_lock);
	for (pp = &open_proxies; *pp != NULL; pp = &(*pp)->next)
		if (*pp == px) {
			*pp = px->next;
			break;
		}
	px->listed = 0;
	pthread_mutex_unlock(&open_lock);
}

/* hubd is stopping: every relayed request still waiting on a student's
 * server gives up now, so that its thread can end. */
void
proxy_shutdown_all(void)
{
	struct proxy *px;

	pthread_mutex_lock(&open_lock);
	for (px = open_proxies; px != NULL; px = px->next)
		if (px->fd != -1)
			(void)shutdown(px->fd, SHUT_RDWR);
	pthread_mutex_unlock(&open_lock);
}

static struct proxy *
proxy_of(http_parser *p)
{
	return p->data;
}

static int
add_bytes(struct proxy *px, const char *at, size_t len)
{
	if (px->hlen + len + 1 > sizeof(px->hbuf)) {
		px->overflow = 1;
		return -1;
	}
	memcpy(px->hbuf + px->hlen, at, len);
	px->hlen += len;
	px->hbuf[px->hlen] = '\0';
	return 0;
}

/* Start a new NUL-terminated string in hbuf, after the one before (whose
 * NUL stays); its offset, or 0 when the head is too large. */
static size_t
new_string(struct proxy *px)
{
	if (px->hlen + 2 > sizeof(px->hbuf)) {
		px->overflow = 1;
		return 0;
	}
	px->hlen++;
	px->hbuf[px->hlen] = '\0';
	return px->hlen;
}

static int
on_field(http_parser *p, const char *at, size_t len)
{
	struct proxy *px = proxy_of(p);
	size_t	 off;

	if (px->in_value || px->nhdr == 0) {
		if (px->nhdr == PROXY_HEADERS_MAX || (off = new_string(px)) == 0) {
			px->overflow = 1;
			return -1;
		}
		px->hdr[px->nhdr].name = off;
		px->hdr[px->nhdr].value = 0;
		px->nhdr++;
		px->in_value = 0;
	}
	return add_bytes(px, at, len);
}

static int
on_value(http_parser *p, const char *at, size_t len)
{
	struct proxy *px = proxy_of(p);
	size_t	 off;

	if (px->nhdr == 0)
		return -1;
	if (!px->in_value) {
		if ((off = new_string(px)) == 0)
			return -1;
		px->hdr[px->nhdr - 1].value = off;
		px->in_value = 1;
	}
	return add_bytes(px, at, len);
}

static int
on_headers_complete(http_parser *p)
{
	struct proxy *px = proxy_of(p);

	px->headers_done = 1;
	/* Taken now: the parser counts content_length down as it reads. */
	px->length = (p->flags & F_CHUNKED) || p->content_length == ULLONG_MAX ?
	    -1 : (long long)p->content_length;
	/* 1: no body follows (HEAD); 2: no body and no more messages
	 * (an upgrade: the rest is the websocket's). */
	if (px->upgrade)
		return 2;
	return px->head ? 1 : 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct proxy *px = proxy_of(p);

	if (px->outlen + len > sizeof(px->out))
		return -1;	/* cannot happen: we read at most PROXY_BUF */
	memcpy(px->out + px->outlen, at, len);
	px->outlen += len;
	return 0;
}

static int
on_complete(http_parser *p)
{
	proxy_of(p)->complete = 1;
	http_parser_pause(p, 1);	/* anything after it is not ours */
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_field,
	.on_header_value = on_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

const char *
proxy_header(const struct proxy *px, int i, const char **value)
{
	*value = px->hdr[i].value ? px->hbuf + px->hdr[i].value : "";
	return px->hbuf + px->hdr[i].name;
}

/*
 * Idle backend connections, kept after a complete keep-alive answer and
 * used again by the next request to the same server: a new unix
 * connection per request costs the student's Jupyter (and us) more than
 * the request itself.  Keyed by socket path and uid, so a connection only
 * ever serves the server it was checked against.
 */
struct idle {
	int		 fd;
	uid_t		 uid;
	time_t		 since;
	char		 socket[SERVER_PATH_MAX];
};

static struct idle	 idles[PROXY_IDLE_MAX];
static int		 nidle;
static pthread_mutex_t	 idle_lock = PTHREAD_MUTEX_INITIALIZER;

/* An idle connection to socket, still open and quiet; -1 when none. */
static int
idle_take(const char *socket, uid_t uid)
{
	time_t	 now = time(NULL), since;
	char	 c;
	int	 i, fd;

	pthread_mutex_lock(&idle_lock);
	for (i = nidle - 1; i >= 0; i--) {
		if (idles[i].uid != uid || strcmp(idles[i].socket, socket) != 0)
			continue;
		fd = idles[i].fd;
		since = idles[i].since;
		idles[i] = idles[--nidle];
		if (now - since > PROXY_IDLE_SEC ||
		    recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != -1 ||
		    (errno != EAGAIN && errno != EWOULDBLOCK)) {
			close(fd);	/* old, closed by the server, or noisy */
			continue;
		}
		pthread_mutex_unlock(&idle_lock);
		return fd;
	}
	pthread_mutex_unlock(&idle_lock);
	return -1;
}

static void
idle_put(struct proxy *px)
{
	pthread_mutex_lock(&idle_lock);
	if (nidle == PROXY_IDLE_MAX) {
		close(idles[0].fd);
		memmove(&idles[0], &idles[1], (PROXY_IDLE_MAX - 1) *
		    sizeof(idles[0]));
		nidle--;
	}
	idles[nidle].fd = px->fd;
	idles[nidle].uid = px->uid;
	idles[nidle].since = time(NULL);
	memcpy(idles[nidle].socket, px->socket, sizeof(idles[0].socket));
	nidle++;
	pthread_mutex_unlock(&idle_lock);
	px->fd = -1;
}

/* hubd is stopping: no connection kept. */
void
proxy_idle_close(void)
{
	pthread_mutex_lock(&idle_lock);
	while (nidle > 0)
		close(idles[--nidle].fd);
	pthread_mutex_unlock(&idle_lock);
}

void
proxy_free(struct proxy *px)
{
	if (px == NULL)
		return;
	if (px->listed)
		unlist(px);
	/* A whole answer, read to its end, on a connection the server
	 * keeps open: the next request may use it. */
	if (px->fd != -1 && px->complete && !px->upgrade &&
	    px->outpos == px->outlen &&
	    http_should_keep_alive(&px->parser) &&
	    HTTP_PARSER_ERRNO(&px->parser) == HPE_PAUSED)
		idle_put(px);
	if (px->fd != -1)
		close(px->fd);
	buf_burn(&px->reqhead);
	free(px);
}

static int
send_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Hop-by-hop and hub-owned headers: never forwarded either way. */
static int
hop_by_hop(const char *name)
{
	static const char *const names[] = {
		"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
		"Transfer-Encoding", "Upgrade", "Proxy-Authorization",
		"Proxy-Authenticate", "Content-Length", "Expect",
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	return 0;
}

struct head_ctx {
	struct buf	*b;
	int		 upgrade;
};

/* The Cookie header without the hub's own cookies. */
static void
add_cookies(struct buf *b, const char *value)
{
	const char *p = value, *end;
	int	 first = 1;

	while (*p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if (strncmp(p, SESSION_COOKIE "=", sizeof(SESSION_COOKIE)) != 0 &&
		    strncmp(p, VIEW_COOKIE "=", sizeof(VIEW_COOKIE)) != 0) {
			buf_puts(b, first ? "Cookie: " : "; ");
			buf_add(b, p, (size_t)(end - p));
			first = 0;
		}
		p = end;
	}
	if (!first)
		buf_puts(b, "\r\n");
}

static enum MHD_Result
copy_request_header(void *arg, enum MHD_ValueKind kind, const char *name,
    const char *value)
{
	struct head_ctx *h = arg;

	if (hop_by_hop(name) || strcasecmp(name, "Authorization") == 0 ||
	    strncasecmp(name, "X-Forwarded-", 12) == 0 ||
	    strcasecmp(name, "X-Real-IP") == 0)
		return MHD_YES;
	if (strcasecmp(name, "Cookie") == 0) {
		add_cookies(h->b, value);
		return MHD_YES;
	}
	if (!h->upgrade && strncasecmp(name, "Sec-WebSocket-", 14) == 0)
		return MHD_YES;
	buf_printf(h->b, "%s: %s\r\n", name, value);
	return MHD_YES;
}

/*
 * Open the backend and send the request head.  0, or an HTTP status to
 * answer with (502 when the server does not answer).
 */
int
proxy_open(struct request *rq, const struct server_row *srv,
    struct proxy **out)
{
	struct proxy *px;
	struct head_ctx h;
	struct buf b = { 0 };
	const char *cl, *te, *host;
	char	 err[256];
	struct timeval tv = { PROXY_TIMEOUT, 0 };

	*out = NULL;
	if ((px = calloc(1, sizeof(*px))) == NULL)
		return 500;
	px->fd = -1;
	snprintf(px->user, sizeof(px->user), "%s", srv->user);
	px->head = strcmp(rq->method, "HEAD") == 0;
	px->upgrade = rq->upgrade;
	px->uid = srv->uid;
	snprintf(px->socket, sizeof(px->socket), "%s", srv->socket);
	if (!rq->upgrade && (px->fd = idle_take(srv->socket, srv->uid)) != -1)
		px->reused = 1;
	else if ((px->fd = backend_connect(srv->socket, srv->uid, err,
	    sizeof(err))) == -1) {
		log_warnx("proxy to %s: %s", srv->user, err);
		proxy_free(px);
		return 502;
	}
	(void)setsockopt(px->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(px->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pthread_mutex_lock(&open_lock);
	px->next = open_proxies;
	open_proxies = px;
	px->listed = 1;
	pthread_mutex_unlock(&open_lock);
	cl = http_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = http_header(rq, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	host = http_header(rq, MHD_HTTP_HEADER_HOST);
	buf_printf(&b, "%s %s HTTP/1.1\r\n", rq->method, rq->uri);
	h.b = &b;
	h.upgrade = rq->upgrade;
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND,
	    copy_request_header, &h);
	buf_printf(&b, "Authorization: token %s\r\n", srv->token);
	buf_printf(&b, "X-Forwarded-For: %s\r\nX-Real-IP: %s\r\n"
	    "X-Forwarded-Proto: %s\r\n", rq->addr, rq->addr,
	    hub.tls ? "https" : "http");
	if (host != NULL)
		buf_printf(&b, "X-Forwarded-Host: %s\r\n", host);
	if (rq->upgrade)
		buf_puts(&b, "Connection: Upgrade\r\nUpgrade: websocket\r\n");
	else {
		/* HTTP/1.1 keep-alive: the connection may serve again. */
		if (cl != NULL)
			buf_printf(&b, "Content-Length: %s\r\n", cl);
		else if (te != NULL && strcasestr(te, "chunked") != NULL) {
			buf_puts(&b, "Transfer-Encoding: chunked\r\n");
			px->chunked = 1;
		}
	}
	buf_puts(&b, "\r\n");
	if (!b.failed) {
		int	 r = send_all(px->fd, b.data, b.len);

		if (r == -1 && px->reused) {
			/* The kept connection died meanwhile: a fresh one. */
			close(px->fd);
			px->reused = 0;
			px->fd = backend_connect(srv->socket, srv->uid, err,
			    sizeof(err));
			r = px->fd == -1 ? -1 : send_all(px->fd, b.data, b.len);
		}
		if (r == -1)
			b.failed = 1;
	}
	if (b.failed) {
		log_warnx("proxy to %s: cannot send the request: %s", srv->user,
		    strerror(errno));
		buf_burn(&b);
		proxy_free(px);
		return 502;
	}
	/* Kept (it carries the server's token, wiped at the end) to send
	 * again if a kept connection turns out stale before answering. */
	px->reqhead = b;
	http_parser_init(&px->parser, HTTP_RESPONSE);
	px->parser.data = px;
	*out = px;
	return 0;
}

/* A piece of the request body, as libmicrohttpd hands it over. */
int
proxy_body(struct proxy *px, const char *data, size_t len)
{
	char	 size[24];

	if (len == 0)
		return 0;
	if (px->chunked) {
		snprintf(size, sizeof(size), "%zx\r\n", len);
		if (send_all(px->fd, size, strlen(size)) == -1)
			return -1;
	}
	if (send_all(px->fd, data, len) == -1)
		return -1;
	if (px->chunked && send_all(px->fd, "\r\n", 2) == -1)
		return -1;
	return 0;
}

/* The end of the request body. */
int
proxy_body_end(struct proxy *px)
{
	if (px->chunked)
		return send_all(px->fd, "0\r\n\r\n", 5);
	return 0;
}

/* Read and parse until the response head is complete.  0, or -1 with
 * errno (EAGAIN: the server took too long).  A kept connection that the
 * server closed before answering a request without a body is replaced
 * and the request sent again. */
int
proxy_read_head(struct proxy *px, int may_resend)
{
	ssize_t	 n;
	size_t	 done;
	char	 err[256];

	while (!px->headers_done) {
		n = recv(px->fd, px->rbuf, sizeof(px->rbuf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 && px->reused && may_resend && px->parser.nread == 0 &&
		    (n == 0 || errno == ECONNRESET)) {
			close(px->fd);
			px->reused = 0;
			if ((px->fd = backend_connect(px->socket, px->uid, err,
			    sizeof(err))) == -1 ||
			    send_all(px->fd, px->reqhead.data,
			    px->reqhead.len) == -1)
				return -1;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
		done = http_parser_execute(&px->parser, &settings, px->rbuf,
		    (size_t)n);
		if (px->overflow || (HTTP_PARSER_ERRNO(&px->parser) != HPE_OK &&
		    HTTP_PARSER_ERRNO(&px->parser) != HPE_PAUSED)) {
			errno = EPROTO;
			return -1;
		}
		if (px->upgrade && px->headers_done && done < (size_t)n) {
			/* What came after the 101: websocket frames. */
			memcpy(px->out, px->rbuf + done, (size_t)n - done);
			px->outlen = (size_t)n - done;
		}
	}
	return 0;
}

int
proxy_status(const struct proxy *px)
{
	return (int)px->parser.status_code;
}

int
proxy_nheaders(const struct proxy *px)
{
	return px->nhdr;
}

/* The body's length when the server said it, else -1. */
long long
proxy_length(const struct proxy *px)
{
	return px->length;
}

int
proxy_fd(const struct proxy *px)
{
	return px->fd;
}

/* Bytes that arrived after the head (a websocket's first frames). */
const char *
proxy_surplus(const struct proxy *px, size_t *len)
{
	*len = px->outlen - px->outpos;
	return px->out + px->outpos;
}

/* Give the socket to the websocket relay: the proxy no longer owns it. */
int
proxy_take_fd(struct proxy *px)
{
	int	 fd;

	pthread_mutex_lock(&open_lock);
	fd = px->fd;
	px->fd = -1;
	pthread_mutex_unlock(&open_lock);
	return fd;
}

/* libmicrohttpd's content reader: the response body as it arrives. */
ssize_t
proxy_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct proxy *px = arg;
	ssize_t	 n;
	size_t	 want;
	time_t	 now;

	for (;;) {
		if (px->outpos < px->outlen) {
			want = px->outlen - px->outpos;
			if (want > max)
				want = max;
			memcpy(buf, px->out + px->outpos, want);
			px->outpos += want;
			now = time(NULL);
			if (now != px->noted) {
				server_activity(px->user, now);
				px->noted = now;
			}
			return (ssize_t)want;
		}
		px->outpos = px->outlen = 0;
		if (px->complete || px->head)
			return MHD_CONTENT_READER_END_OF_STREAM;
		n = recv(px->fd, px->rbuf, sizeof(px->rbuf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warnx("proxy from %s: %s", px->user, strerror(errno));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		/* n == 0 ends a body delimited by the connection's end. */
		(void)http_parser_execute(&px->parser, &settings, px->rbuf,
		    (size_t)n);
		if (HTTP_PARSER_ERRNO(&px->parser) != HPE_OK &&
		    HTTP_PARSER_ERRNO(&px->parser) != HPE_PAUSED) {
			log_warnx("proxy from %s: bad response: %s", px->user,
			    http_errno_description(
			    HTTP_PARSER_ERRNO(&px->parser)));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (n == 0 && !px->complete) {
			if (px->outlen > 0)
				continue;
			log_warnx("proxy from %s: the server closed early",
			    px->user);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
}
