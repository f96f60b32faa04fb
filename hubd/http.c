/*
 * HTTP: the libmicrohttpd daemon (a thread per connection), the life of a
 * request (raw URI, body, borrowed database connection, a consistent view of
 * the configuration), authentication from cookies and tokens, and the
 * response helpers every page and API call goes through.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "hubd.h"

struct hub	 hub = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct gen *
gen_get(void)
{
	struct gen *g;

	pthread_mutex_lock(&hub.lock);
	g = hub.gen;
	g->refs++;
	pthread_mutex_unlock(&hub.lock);
	return g;
}

void
gen_put(struct gen *g)
{
	int	 last;

	if (g == NULL)
		return;
	pthread_mutex_lock(&hub.lock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&hub.lock);
	if (last) {
		config_free(g->cf);
		web_free(g->web);
		free(g);
	}
}

/* Make cf and w the current generation; requests under way keep theirs. */
int
gen_install(struct config *cf, struct web *w)
{
	struct gen *g, *old;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	g->refs = 1;
	g->cf = cf;
	g->web = w;
	pthread_mutex_lock(&hub.lock);
	old = hub.gen;
	hub.gen = g;
	pthread_mutex_unlock(&hub.lock);
	gen_put(old);
	return 0;
}

static void
mhd_log(void *arg, const char *fmt, va_list ap)
{
	char	 msg[1024];
	size_t	 n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_info("http: %s", msg);
}

/* MHD hands us the raw URI (with query, undecoded) first: the request
 * starts here. */
static void *
on_uri(void *arg, const char *uri, struct MHD_Connection *conn)
{
	struct request *rq;
	const char *q;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->conn = conn;
	clock_gettime(CLOCK_MONOTONIC, &rq->t0);
	if ((rq->uri = strdup(uri)) == NULL) {
		free(rq);
		return NULL;
	}
	q = strchr(rq->uri, '?');
	rq->query = q != NULL ? q + 1 : "";
	rq->path = strndup(rq->uri, q != NULL ? (size_t)(q - rq->uri) :
	    strlen(rq->uri));
	if (rq->path == NULL) {
		free(rq->uri);
		free(rq);
		return NULL;
	}
	rq->gen = gen_get();
	rq->cf = rq->gen->cf;
	rq->web = rq->gen->web;
	return rq;
}

static void
on_completed(void *arg, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode code)
{
	struct request *rq = *con_cls;
	struct timespec t1;
	int	 i;

	if (rq == NULL)
		return;
	if (rq->status != 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		log_debug("%d %s %s %s%s(%s) %.1fms", rq->status,
		    rq->method != NULL ? rq->method : "-",
		    /* a link's token is a password: not in the journal */
		    strncmp(rq->path, LINK_PATH, strlen(LINK_PATH)) == 0 ?
		    LINK_PATH "..." : rq->path,
		    rq->authed ? rq->user.name : "", rq->authed ? " " : "",
		    rq->addr, (double)(t1.tv_sec - rq->t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - rq->t0.tv_nsec) / 1e6);
	}
	proxy_free(rq->px);
	if (rq->held != NULL)
		MHD_destroy_response(rq->held);
	pool_put(rq->st);
	gen_put(rq->gen);
	for (i = 0; i < rq->ncookies; i++)
		free(rq->cookies[i]);
	buf_burn(&rq->body);
	free(rq->uri);
	free(rq->path);
	free(rq);
	*con_cls = NULL;
}

static void
client_address(struct request *rq)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	ci = MHD_get_connection_info(rq->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL) {
		snprintf(rq->addr, sizeof(rq->addr), "unknown");
		return;
	}
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    rq->addr, sizeof(rq->addr));
	else
		inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    rq->addr, sizeof(rq->addr));
}

const char *
http_header(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

/* A query argument, decoded into out: 0, 1 when absent, -1 malformed. */
int
http_query(struct request *rq, const char *name, char *out, size_t size)
{
	return form_get(rq->query, strlen(rq->query), name, out, size);
}

/* A form field of a urlencoded body: 0, 1 when absent, -1 malformed. */
int
http_form(struct request *rq, const char *name, char *out, size_t size)
{
	return form_get(rq->body.data != NULL ? rq->body.data : "",
	    rq->body.len, name, out, size);
}

int
http_form_has(struct request *rq, const char *name, const char *value)
{
	return form_has(rq->body.data != NULL ? rq->body.data : "",
	    rq->body.len, name, value);
}

int
http_set_cookie(struct request *rq, const char *name, const char *value,
    const char *path, long max_age, const char *samesite)
{
	char	*c, age[32] = "";

	if (rq->ncookies >= (int)(sizeof(rq->cookies) / sizeof(rq->cookies[0])))
		return -1;
	if (max_age >= 0)	/* else a browser-session cookie */
		snprintf(age, sizeof(age), "; Max-Age=%ld", max_age);
	if (asprintf(&c, "%s=%s; Path=%s; HttpOnly; SameSite=%s%s%s", name,
	    value, path, samesite, hub.tls ? "; Secure" : "", age) == -1)
		return -1;
	rq->cookies[rq->ncookies++] = c;
	return 0;
}

/*
 * The form token of a login: an HMAC of its session (under a key of this
 * hubd's own), not a cookie value.  A student's page on a sibling host
 * (NAME.user_domain) can plant an _xsrf cookie for the hub's domain, and a
 * plain double-submit would then accept its forged forms.
 */
static unsigned char xsrf_key[crypto_auth_hmacsha256_KEYBYTES];
static pthread_once_t xsrf_once = PTHREAD_ONCE_INIT;

static void
xsrf_key_init(void)
{
	randombytes_buf(xsrf_key, sizeof(xsrf_key));
}

static void
xsrf_of_session(const struct request *rq, char out[XSRF_HEX + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	pthread_once(&xsrf_once, xsrf_key_init);
	crypto_auth_hmacsha256(mac, rq->session_hash, HASH_BYTES, xsrf_key);
	sodium_bin2hex(out, XSRF_HEX + 1, mac, XSRF_BYTES);
	explicit_bzero(mac, sizeof(mac));
}

/*
 * The form token: logged in, the session's (also sent as the _xsrf cookie
 * for clients that read it there); logged out (the login and link forms),
 * the _xsrf cookie's value, minted when absent.
 */
const char *
http_xsrf(struct request *rq)
{
	char	 v[XSRF_HEX + 8];
	int	 have;

	if (rq->xsrf[0] != '\0')
		return rq->xsrf;
	have = cookie_get(http_header(rq, MHD_HTTP_HEADER_COOKIE), XSRF_COOKIE,
	    v, sizeof(v)) == 0 && strlen(v) == XSRF_HEX &&
	    strspn(v, "0123456789abcdef") == XSRF_HEX;
	if (rq->authed && rq->via == VIA_SESSION) {
		xsrf_of_session(rq, rq->xsrf);
		if (!have || !ct_equal(v, rq->xsrf))
			(void)http_set_cookie(rq, XSRF_COOKIE, rq->xsrf,
			    "/hub/", -1, "Strict");
		return rq->xsrf;
	}
	if (have) {
		memcpy(rq->xsrf, v, sizeof(rq->xsrf));
		return rq->xsrf;
	}
	random_hex(rq->xsrf, sizeof(rq->xsrf));
	(void)http_set_cookie(rq, XSRF_COOKIE, rq->xsrf, "/hub/", -1, "Strict");
	return rq->xsrf;
}

/* 1 when given (a form field or header) is the session's token; logged
 * out, when the request carries the _xsrf cookie with the same value. */
int
http_xsrf_ok(struct request *rq, const char *given)
{
	char	 want[XSRF_HEX + 1];
	int	 ok;

	if (rq->authed && rq->via == VIA_SESSION) {
		if (given == NULL)
			return 0;
		xsrf_of_session(rq, want);
		ok = ct_equal(want, given);
		explicit_bzero(want, sizeof(want));
		return ok;
	}
	return xsrf_check(http_header(rq, MHD_HTTP_HEADER_COOKIE), given);
}

static int
hex_secret(const char *s)
{
	return strlen(s) == SECRET_HEX &&
	    strspn(s, "0123456789abcdef") == SECRET_HEX;
}

static int
load_user(struct request *rq, int64_t id)
{
	if (store_user_get_id(rq->st, id, &rq->user) != 0 ||
	    rq->user.disabled)
		return 0;
	rq->authed = 1;
	return 1;
}

/* Is the session of rq->session_hash a live login?  1, with its user. */
int
http_session_check(struct request *rq)
{
	time_t	 now = time(NULL);
	struct session *se = &rq->session;

	if (store_session_get(rq->st, rq->session_hash, se) != 0)
		return 0;
	if (se->expires <= now || se->last_seen + (time_t)rq->cf->session_idle <= now) {
		(void)store_session_delete(rq->st, rq->session_hash);
		return 0;
	}
	if (!load_user(rq, se->user_id))
		return 0;
	if (now - se->last_seen >= 60)
		(void)store_session_touch(rq->st, se->id, now);
	rq->via = VIA_SESSION;
	return 1;
}

/* Does the browser reach the hub over https: hubd's own TLS, or a reverse
 * proxy's that says so in X-Forwarded-Proto?  Only for addresses sent back
 * to this browser (a client claiming it fools itself alone). */
int
http_https(struct request *rq)
{
	const char *proto = http_header(rq, "X-Forwarded-Proto");

	return hub.tls || (proto != NULL && strcasecmp(proto, "https") == 0);
}

/* Who the session cookie belongs to; 1 when it is a live login. */
int
http_auth_session(struct request *rq)
{
	const char *h = http_header(rq, MHD_HTTP_HEADER_COOKIE);
	char	 id[SECRET_HEX + 8];

	if (cookie_get(h, SESSION_COOKIE, id, sizeof(id)) != 0 ||
	    !hex_secret(id))
		return 0;
	/* The hub sets one, for its own host and "/".  A second one was
	 * planted by a page of a sibling host (a student's, under
	 * user_domain) for a longer path or a parent domain, to be sent
	 * first: it would make the viewer the student on the hub's origin.
	 * No session at all then, until the viewer clears the cookies. */
	if (cookie_get_nth(h, SESSION_COOKIE, 1, id, sizeof(id)) != 1) {
		explicit_bzero(id, sizeof(id));
		log_warnx("%s: two session cookies in one request (one "
		    "planted by another site?): refused", rq->addr);
		return 0;
	}
	secret_hash(id, rq->session_hash);
	explicit_bzero(id, sizeof(id));
	return http_session_check(rq);
}

/*
 * On a student's own host: the view cookie, the only credential there.
 * Every cookie of that name is tried (a sibling host may plant others);
 * the first that is a view of this host's owner, on behalf of a session
 * still live, wins.  1, with the viewer as rq->user.
 */
int
http_auth_view(struct request *rq)
{
	const char *h = http_header(rq, MHD_HTTP_HEADER_COOKIE);
	char	 v[SECRET_HEX + 8];
	struct origin_grant g;
	int	 i, r;

	for (i = 0; i < 8; i++) {
		if ((r = cookie_get_nth(h, VIEW_COOKIE, i, v, sizeof(v))) == 1)
			break;
		if (r != 0 || !hex_secret(v) ||
		    origin_view_find(v, rq->host_owner, &g) != 0)
			continue;
		memcpy(rq->session_hash, g.session_hash, HASH_BYTES);
		explicit_bzero(&g, sizeof(g));
		explicit_bzero(v, sizeof(v));
		if (http_session_check(rq))
			return 1;
		rq->authed = 0;
		rq->via = VIA_NONE;
	}
	explicit_bzero(v, sizeof(v));
	return 0;
}

/* Who an "Authorization: token T" (or Bearer) header belongs to: 1 when
 * valid, 0 when absent, -1 when present but not valid. */
int
http_auth_token(struct request *rq)
{
	const char *h = http_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char hash[HASH_BYTES];
	struct api_token t;
	time_t	 now = time(NULL);

	if (h == NULL)
		return 0;
	if (strncasecmp(h, "token ", 6) == 0)
		h += 6;
	else if (strncasecmp(h, "bearer ", 7) == 0)
		h += 7;
	else
		return -1;
	while (*h == ' ')
		h++;
	if (!hex_secret(h))
		return -1;
	secret_hash(h, hash);
	if (store_token_get(rq->st, hash, &t) != 0)
		return -1;
	if (t.expires != 0 && t.expires <= now)
		return -1;
	if (!load_user(rq, t.user_id))
		return -1;
	if (now - t.last_used >= 60)
		(void)store_token_touch(rq->st, t.id, now);
	rq->via = VIA_TOKEN;
	return 1;
}

/* Start a login for u: a new session and its cookie. */
int
http_login(struct request *rq, const struct user *u)
{
	char	 id[SECRET_HEX + 1];
	struct session se;
	time_t	 now = time(NULL);
	int	 r;

	random_hex(id, sizeof(id));
	secret_hash(id, rq->session_hash);
	memset(&se, 0, sizeof(se));
	se.user_id = u->id;
	se.created = now;
	se.expires = now + (time_t)rq->cf->session_lifetime;
	if ((r = store_session_add(rq->st, rq->session_hash, &se)) == 0)
		r = http_set_cookie(rq, SESSION_COOKIE, id, "/",
		    (long)rq->cf->session_lifetime, "Lax");
	explicit_bzero(id, sizeof(id));
	if (r != 0)
		return -1;
	rq->session = se;
	rq->user = *u;
	rq->authed = 1;
	rq->via = VIA_SESSION;
	rq->xsrf[0] = '\0';
	(void)http_xsrf(rq);	/* the new session's form token */
	return 0;
}

void
http_logout(struct request *rq)
{
	if (rq->via == VIA_SESSION) {
		(void)store_session_delete(rq->st, rq->session_hash);
		relay_end_session(rq->session.id);
		origin_end_session(rq->session.id);
	}
	(void)http_set_cookie(rq, SESSION_COOKIE, "", "/", 0, "Lax");
	rq->authed = 0;
	rq->via = VIA_NONE;
}

/* Queue resp with the headers every hub answer carries. */
enum MHD_Result
http_queue(struct request *rq, int status, struct MHD_Response *resp)
{
	enum MHD_Result r;
	int	 i;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
	    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
	    "same-origin");
	if (hub.tls)
		MHD_add_response_header(resp, "Strict-Transport-Security",
		    "max-age=31536000");
	if (MHD_get_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL) == NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "no-store");
	if (rq->retry_after[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    rq->retry_after);
	for (i = 0; i < rq->ncookies; i++)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
		    rq->cookies[i]);
	rq->status = status;
	if (rq->hold) {
		/* The body is still coming: answering now would make MHD
		 * close before the client reads it.  Kept for the last call. */
		rq->held = resp;
		return MHD_YES;
	}
	r = MHD_queue_response(rq->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* A response of b's bytes (taken over, freed by MHD). */
struct MHD_Response *
http_response(struct buf *b, const char *type)
{
	struct MHD_Response *resp;

	if (b->failed) {
		buf_free(b);
		return NULL;
	}
	static char empty[1];

	resp = MHD_create_response_from_buffer(b->len, b->len ? b->data : empty,
	    b->len ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		buf_free(b);
		return NULL;
	}
	if (b->len == 0)
		free(b->data);
	memset(b, 0, sizeof(*b));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return resp;
}

enum MHD_Result
http_redirect(struct request *rq, int status, const char *location)
{
	struct buf b = { 0 };
	struct MHD_Response *resp;

	resp = http_response(&b, "text/plain; charset=utf-8");
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	return http_queue(rq, status, resp);
}

/*
 * A page: the template name rendered with vars, inside layout.html.  The
 * layout gets title, user and xsrf from here.
 */
enum MHD_Result
http_page(struct request *rq, int status, const char *title,
    const char *name, const struct var *vars)
{
	struct buf inner = { 0 }, page = { 0 };
	const char *tpl = web_template(rq->web, name);
	const struct asset *css = web_static(rq->web, "hub.css");
	char	 css_url[64];
	struct var lv[] = {
		{ "title", title },
		{ "body", NULL },
		{ "user", rq->authed ? rq->user.name : "" },
		{ "nav", NULL },
		{ "css", css_url },
		{ NULL, NULL },
	};
	struct buf nav = { 0 };
	enum MHD_Result r;

	snprintf(css_url, sizeof(css_url), "/hub/static/hub.css?v=%s",
	    css != NULL ? css->etag : "0");
	if (tpl == NULL || web_render(&inner, tpl, vars) == -1)
		goto fail;
	if (rq->authed) {
		buf_puts(&nav, "<span class=\"who\">");
		buf_escape(&nav, rq->user.name);
		buf_printf(&nav, " <small>(%s)</small></span> ",
		    role_name(rq->user.role));
		if (rq->user.role == ROLE_ADMIN)
			buf_puts(&nav, "<a href=\"/hub/admin\">Admin</a> ");
		buf_puts(&nav, "<a href=\"/hub/home\">Home</a> "
		    "<a href=\"/hub/password\">Password</a> "
		    "<a href=\"/hub/logout\">Log out</a>");
	}
	lv[1].value = inner.data != NULL ? inner.data : "";
	lv[3].value = nav.data != NULL ? nav.data : "";
	if (web_render(&page, web_template(rq->web, "layout.html"), lv) == -1)
		goto fail;
	buf_free(&inner);
	buf_free(&nav);
	r = http_queue(rq, status, http_response(&page,
	    "text/html; charset=utf-8"));
	return r;
fail:
	buf_free(&inner);
	buf_free(&nav);
	buf_free(&page);
	log_warnx("cannot render %s", name);
	return MHD_NO;
}

enum MHD_Result
http_error_page(struct request *rq, int status, const char *message)
{
	char	 code[16];
	struct var v[] = {
		{ "status", code },
		{ "message", message },
		{ NULL, NULL },
	};

	snprintf(code, sizeof(code), "%d", status);
	return http_page(rq, status, message, "error.html", v);
}

/* JSON answer; takes the reference to j. */
enum MHD_Result
http_json(struct request *rq, int status, json_t *j)
{
	struct buf b = { 0 };
	char	*s;

	if (j == NULL)
		return MHD_NO;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		return MHD_NO;
	b.data = s;
	b.len = b.size = strlen(s);
	return http_queue(rq, status, http_response(&b, "application/json"));
}

enum MHD_Result
http_json_error(struct request *rq, int status, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return http_json(rq, status, json_pack("{s:i, s:s}", "status", status,
	    "message", msg));
}

/* Errors for a path: JSON under /hub/api/, a page elsewhere. */
enum MHD_Result
http_fail(struct request *rq, int status, const char *message)
{
	if (strncmp(rq->path, "/hub/api/", 9) == 0 ||
	    strcmp(rq->path, "/hub/api") == 0)
		return http_json_error(rq, status, "%s", message);
	return http_error_page(rq, status, message);
}

/* The response head of a student's server, copied for the browser:
 * no hop-by-hop headers, no cookie for outside the server's prefix. */
static void
copy_response_headers(struct request *rq, struct MHD_Response *resp)
{
	const char *name, *value;
	char	 prefix[64];
	int	 i;

	snprintf(prefix, sizeof(prefix), "/user/%s/", rq->owner);
	for (i = 0; i < proxy_nheaders(rq->px); i++) {
		name = proxy_header(rq->px, i, &value);
		if (strcasecmp(name, "Connection") == 0 ||
		    strcasecmp(name, "Keep-Alive") == 0 ||
		    strcasecmp(name, "Transfer-Encoding") == 0 ||
		    strcasecmp(name, "Content-Length") == 0 ||
		    strcasecmp(name, "Upgrade") == 0 ||
		    strcasecmp(name, "Trailer") == 0 ||
		    strcasecmp(name, "TE") == 0 ||
		    strncasecmp(name, "Proxy-", 6) == 0)
			continue;
		if (strcasecmp(name, "Set-Cookie") == 0 &&
		    !set_cookie_ok(value, prefix))
			continue;
		MHD_add_response_header(resp, name, value);
	}
	if (rq->view_other && rq->user_host != 1)
		/* The owner's pages, seen by someone else (an admin): their
		 * scripts run in an opaque origin, without the viewer's
		 * cookies, so they cannot act as the viewer. */
		MHD_add_response_header(resp, "Content-Security-Policy",
		    "sandbox allow-scripts allow-forms allow-popups "
		    "allow-downloads allow-modals");
}

/*
 * libmicrohttpd 0.9.75 (Debian 12) frees an upgraded connection as soon as
 * MHD_upgrade_action(CLOSE) marks it closed, while that very call still
 * writes to it: called from another thread after the connection's own
 * thread has finished, it corrupts the heap when many websockets close at
 * once (fixed in 0.9.76, "data races when closing upgraded connection").
 * Over plain HTTP the socket is the browser's own, so the relay keeps a
 * duplicate of it and libmicrohttpd is told it is done right here, in its
 * connection's thread, where that race cannot happen.  Under TLS the socket
 * is libmicrohttpd's end of its TLS pump and the relay hands it back when
 * the websocket ends (see README: on Debian 12 put TLS in front instead).
 */
static void
on_upgrade(void *arg, struct MHD_Connection *conn, void *con_cls,
    const char *extra_in, size_t extra_len, MHD_socket sock,
    struct MHD_UpgradeResponseHandle *urh)
{
	struct request *rq = arg;
	const char *surplus;
	size_t	 slen;
	int	 bfd, cfd = sock;

	surplus = proxy_surplus(rq->px, &slen);
	bfd = proxy_take_fd(rq->px);
	if (!hub.tls && (cfd = fcntl(sock, F_DUPFD_CLOEXEC, 3)) == -1) {
		log_warn("websocket of %s: dup", rq->owner);
		close(bfd);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	if (relay_add(rq->owner, rq->via == VIA_SESSION ? rq->session.id : 0,
	    rq->addr, cfd, extra_in, extra_len, bfd, surplus, slen,
	    hub.tls ? urh : NULL) == -1) {
		log_warnx("websocket of %s: cannot relay it", rq->owner);
		close(bfd);
		if (!hub.tls)
			close(cfd);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	if (!hub.tls)
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

static enum MHD_Result
proxy_respond(struct request *rq)
{
	struct MHD_Response *resp;
	const char *name, *value;
	long long len;
	int	 i, status = proxy_status(rq->px);

	if (rq->upgrade && status == 101 && !relay_admit(rq->addr,
	    rq->cf->max_connections, rq->cf->max_connections_per_ip)) {
		log_warnx("websocket of %s from %s refused: too many open",
		    rq->owner, rq->addr);
		return http_json_error(rq, 503, "too many open connections");
	}
	if (rq->upgrade && status == 101) {
		resp = MHD_create_response_for_upgrade(on_upgrade, rq);
		if (resp == NULL)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE,
		    "websocket");
		for (i = 0; i < proxy_nheaders(rq->px); i++) {
			name = proxy_header(rq->px, i, &value);
			if (strncasecmp(name, "Sec-WebSocket-", 14) == 0)
				MHD_add_response_header(resp, name, value);
		}
	} else {
		len = rq->upgrade ? 0 : proxy_length(rq->px);
		resp = MHD_create_response_from_callback(len >= 0 ?
		    (uint64_t)len : MHD_SIZE_UNKNOWN, PROXY_BUF,
		    rq->upgrade ? NULL : proxy_read, rq->px, NULL);
		if (resp == NULL)
			return MHD_NO;
		copy_response_headers(rq, resp);
	}
	rq->status = status;
	i = MHD_queue_response(rq->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return (enum MHD_Result)i;
}

/* /user/NAME/...: set up on the first call with the head, then the body
 * piece by piece, then the answer. */
static enum MHD_Result
proxied(struct request *rq, const char *upload, size_t *upload_size)
{
	enum MHD_Result r;

	if (rq->px == NULL) {
		rq->st = pool_get();
		rq->hold = *upload_size != 0;	/* a refusal waits for the body */
		r = route_user(rq);
		rq->hold = 0;
		pool_put(rq->st);	/* a proxied request can last long */
		rq->st = NULL;
		if (rq->status != 0 || rq->px == NULL) {
			*upload_size = 0;
			return r;
		}
	}
	if (*upload_size != 0) {
		rq->body_seen = 1;
		if (!rq->px_failed && proxy_body(rq->px, upload,
		    *upload_size) == -1)
			rq->px_failed = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->px_failed || proxy_body_end(rq->px) == -1 ||
	    proxy_read_head(rq->px, rq->body_seen == 0 &&
	    (strcmp(rq->method, "GET") == 0 ||
	    strcmp(rq->method, "HEAD") == 0)) == -1)
		return proxy_fail(rq, errno == EAGAIN || errno == EWOULDBLOCK ?
		    504 : 502, strerror(errno));
	return proxy_respond(rq);
}

static enum MHD_Result
on_request(void *arg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct request *rq = *con_cls;

	if (rq == NULL)
		return MHD_NO;	/* out of memory in on_uri */
	if (rq->calls++ == 0) {
		const char *cl;
		unsigned long long len;

		/* Answering in the first call makes MHD 0.9.75 close the
		 * connection; so only the hopeless are answered here. */
		rq->method = method;
		client_address(rq);
		rq->user_host = origin_user_host(rq->cf->user_domain,
		    http_header(rq, MHD_HTTP_HEADER_HOST), rq->host_owner,
		    sizeof(rq->host_owner));
		rq->proxied = rq->user_host != -1 &&
		    strncmp(rq->path, "/user/", 6) == 0;
		cl = http_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (!rq->proxied && cl != NULL &&
		    (len = strtoull(cl, NULL, 10)) >
		    rq->cf->max_body_size) {
			rq->body_too_large = 1;
			return http_fail(rq, MHD_HTTP_CONTENT_TOO_LARGE,
			    "The request body is too large.");
		}
		return MHD_YES;
	}
	if (rq->held != NULL && *upload_size == 0) {
		struct MHD_Response *resp = rq->held;
		enum MHD_Result r;

		rq->held = NULL;
		r = MHD_queue_response(conn, (unsigned)rq->status, resp);
		MHD_destroy_response(resp);
		return r;
	}
	if (rq->status != 0) {		/* answered already: drain */
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->proxied)
		return proxied(rq, upload, upload_size);
	if (*upload_size != 0) {
		/* A chunked body past the limit is read and dropped, so the
		 * client is not reset before it reads the 413; past
		 * HTTP_DRAIN_MAX it is answered at once. */
		if (rq->body_too_large || rq->body.len + *upload_size >
		    rq->cf->max_body_size) {
			rq->body_too_large = 1;
			rq->drained += *upload_size;
			*upload_size = 0;
			if (rq->drained > HTTP_DRAIN_MAX)
				return http_fail(rq, MHD_HTTP_CONTENT_TOO_LARGE,
				    "The request body is too large.");
			return MHD_YES;
		}
		if (buf_add(&rq->body, upload, *upload_size) == -1)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->body_too_large)
		return http_fail(rq, MHD_HTTP_CONTENT_TOO_LARGE,
		    "The request body is too large.");
	rq->st = pool_get();
	return route(rq);
}

int
http_start(const struct config *cf, int fd, char *err, size_t errsize)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
	    MHD_ALLOW_UPGRADE | MHD_USE_ITC;

	if (cf->listen_addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cf->tls_cert_pem != NULL) {
		flags |= MHD_USE_TLS;
		hub.tls = 1;
	}
	if (relay_init() == -1) {
		snprintf(err, errsize, "cannot start the websocket relay: %s",
		    strerror(errno));
		return -1;
	}
	errno = 0;
	hub.mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cf->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)cf->max_connections_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cf->connection_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cf->max_header_size,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)HTTP_THREAD_STACK,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)511,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    hub.tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
	    cf->tls_cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, cf->tls_key_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, cf->tls_priorities,
	    MHD_OPTION_END);
	if (hub.mhd == NULL) {
		snprintf(err, errsize, "cannot serve on %s: %s", cf->listen,
		    errno != 0 ? strerror(errno) : "see the messages above");
		return -1;
	}
	return 0;
}

void
http_stop(void)
{
	relay_stop();	/* websockets closed before libmicrohttpd stops */
	if (hub.mhd != NULL) {
		MHD_socket lfd = MHD_quiesce_daemon(hub.mhd);

		if (lfd != MHD_INVALID_SOCKET)	/* no new connections */
			close(lfd);
	}
	proxy_shutdown_all();
	if (hub.mhd != NULL)
		MHD_stop_daemon(hub.mhd);
	proxy_idle_close();
	hub.mhd = NULL;
}
