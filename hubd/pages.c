/*
 * The hub's own pages: routing of every request, login, logout, home,
 * password change, health and static files.  The REST API is in api.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <microhttpd.h>

#include "hubd.h"
#include "spawner/proto.h"
#include "roster.h"

static int
is_get(const struct request *rq)
{
	return strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
}

static int
is_post(const struct request *rq)
{
	return strcmp(rq->method, "POST") == 0;
}

static enum MHD_Result
not_allowed(struct request *rq, const char *allow)
{
	struct buf b = { 0 };
	struct MHD_Response *resp;

	if (strncmp(rq->path, "/hub/api", 8) == 0)
		return http_json_error(rq, 405, "%s is not allowed here; "
		    "allowed: %s", rq->method, allow);
	buf_printf(&b, "%s is not allowed on this page.\n", rq->method);
	if ((resp = http_response(&b, "text/plain; charset=utf-8")) == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	return http_queue(rq, 405, resp);
}

/* The same-site path to go to after login: next if safe, else home. */
static const char *
safe_next(const char *next)
{
	return next != NULL && next[0] != '\0' && next_is_safe(next) ?
	    next : "/hub/home";
}

static enum MHD_Result
send_login_to(struct request *rq)
{
	struct buf b = { 0 };
	enum MHD_Result r;

	buf_puts(&b, "/hub/login?next=");
	buf_urlencode(&b, rq->uri);
	if (b.failed) {
		buf_free(&b);
		return MHD_NO;
	}
	r = http_redirect(rq, 302, b.data);
	buf_free(&b);
	return r;
}

static enum MHD_Result
login_form(struct request *rq, int status, const char *error,
    const char *username, const char *next)
{
	struct var v[] = {
		{ "xsrf", http_xsrf(rq) },
		{ "username", username != NULL ? username : "" },
		{ "next", next != NULL ? next : "" },
		{ "error", error != NULL ? error : "" },
		{ "error_hidden", error != NULL ? "" : "hidden" },
		{ NULL, NULL },
	};

	return http_page(rq, status, "Log in", "login.html", v);
}

static enum MHD_Result
login_get(struct request *rq)
{
	char	 next[2100] = "";

	if (http_query(rq, "next", next, sizeof(next)) != 0 ||
	    !next_is_safe(next))
		next[0] = '\0';
	if (http_auth_session(rq) && !rq->user.password_expired)
		return http_redirect(rq, 302, safe_next(next));
	rq->authed = 0;
	return login_form(rq, 200, NULL, NULL, next);
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void
trim(char *s)
{
	size_t	 n = strlen(s), skip = strspn(s, " \t");

	while (n > skip && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	memmove(s, s + skip, n - skip);
	s[n - skip] = '\0';
}

/*
 * A campus (PAM) login through the spawner.  1 when the password is right
 * and the account may use the hub (its hub account made at first login),
 * 0 when not (*why: a message for the person, or NULL for the usual one),
 * -1 when the spawner cannot be asked.
 */
static int
pam_login(struct request *rq, const char *name, const char *pw, int found,
    struct user *u, const char **why)
{
	char	 msg[SP_AUTH_MESSAGE_MAX], err[256];
	uid_t	 uid = 0;
	int	 v;

	*why = NULL;
	v = spawner_auth(name, pw, &uid, msg, sizeof(msg));
	if (v == -1 || v == SP_AUTH_ERROR) {
		log_warnx("pam login of %s: %s", name, msg);
		return -1;
	}
	if (v == SP_AUTH_EXPIRED)
		*why = "Your campus account is expired or locked.";
	if (v != SP_AUTH_OK) {
		log_info("pam login of %s refused: %s", name, msg);
		return 0;
	}
	if (found)
		return 1;
	if (account_create(rq->st, name, ROLE_STUDENT, AUTH_PAM, NULL, 0,
	    "pam", err, sizeof(err)) != 0 && store_user_get(rq->st, name,
	    u) != 0) {
		log_warnx("pam login of %s: cannot make its account: %s", name,
		    err);
		return -1;
	}
	if (store_user_get(rq->st, name, u) != 0)
		return -1;
	log_info("pam login of %s (uid %u): hub account made", name,
	    (unsigned)uid);
	return 1;
}

static enum MHD_Result
login_post(struct request *rq)
{
	char	 name[USERNAME_MAX + 16] = "", pw[PASSWORD_MAX + 2] = "";
	char	 xsrf[XSRF_HEX + 8] = "", next[2100] = "";
	struct user u;
	const char *type = http_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	enum MHD_Result r;
	int	 wait, found, ok = 0;
	const char *pam_msg = NULL;
	time_t	 now = time(NULL);

	if (type == NULL || strncasecmp(type,
	    "application/x-www-form-urlencoded", 33) != 0)
		return http_error_page(rq, 400, "The login form must be sent "
		    "as application/x-www-form-urlencoded.");
	if (http_form(rq, "next", next, sizeof(next)) != 0 ||
	    !next_is_safe(next))
		next[0] = '\0';
	if (http_form(rq, "_xsrf", xsrf, sizeof(xsrf)) != 0 ||
	    !http_xsrf_ok(rq, xsrf)) {
		log_info("login refused: missing or wrong form token (%s)",
		    rq->addr);
		return login_form(rq, 403, "This form has expired or your "
		    "browser refused the hub's cookie. Please try again.",
		    NULL, next);
	}
	if (http_form(rq, "username", name, sizeof(name)) != 0 ||
	    http_form(rq, "password", pw, sizeof(pw)) != 0) {
		explicit_bzero(pw, sizeof(pw));
		return login_form(rq, 400, "Enter your user name and password.",
		    NULL, next);
	}
	trim(name);
	lowercase(name);
	if ((wait = throttle_check(name, rq->addr, now)) > 0) {
		struct buf msg = { 0 };

		explicit_bzero(pw, sizeof(pw));
		log_info("login throttled: user %s from %s (%d s)", name,
		    rq->addr, wait);
		buf_printf(&msg, "Too many failed attempts. Wait %d seconds, "
		    "then try again.", wait);
		snprintf(rq->retry_after, sizeof(rq->retry_after), "%d", wait);
		r = login_form(rq, 429, msg.failed ? "Too many failed "
		    "attempts." : msg.data, name, next);
		buf_free(&msg);
		return r;
	}
	found = username_valid(name) && store_user_get(rq->st, name, &u) == 0;
	if (found && u.auth == AUTH_NATIVE)
		ok = password_verify(u.password_hash, pw);
	else if (username_valid(name) && (found || rq->cf->pam_enabled)) {
		/* Campus accounts: the spawner asks PAM (this thread waits,
		 * no other does). */
		ok = pam_login(rq, name, pw, found, &u, &pam_msg);
		if (ok == -1) {
			explicit_bzero(pw, sizeof(pw));
			return login_form(rq, 503, "The hub cannot check campus "
			    "passwords right now. Try again in a minute.", name,
			    next);
		}
		found = ok == 1 || found;
	} else
		password_burn_time(pw);
	if (ok && u.auth == AUTH_NATIVE && password_needs_rehash(u.password_hash) &&
	    password_hash(pw, u.password_hash, sizeof(u.password_hash)) == 0)
		(void)store_user_update(rq->st, &u);
	explicit_bzero(pw, sizeof(pw));
	if (!ok) {
		throttle_failure(name, rq->addr, now);
		log_info("login failed: user %s from %s%s", username_valid(name) ?
		    name : "(invalid name)", rq->addr, found ? "" :
		    " (no such user)");
		(void)store_audit(rq->st, NULL, "login.fail",
		    username_valid(name) ? name : NULL, NULL, rq->addr);
		return login_form(rq, 403, pam_msg != NULL ? pam_msg :
		    "Wrong user name or password.", name, next);
	}
	if (u.disabled) {
		log_info("login refused: user %s is disabled (%s)", name,
		    rq->addr);
		return login_form(rq, 403, "This account is disabled. Ask your "
		    "instructor or the hub's administrator.", name, next);
	}
	throttle_success(name, now);
	if (http_auth_session(rq))	/* a login replaces the old one */
		(void)store_session_delete(rq->st, rq->session_hash);
	if (http_login(rq, &u) == -1)
		return http_error_page(rq, 500, "Cannot start a session; the "
		    "hub's log says why.");
	(void)store_user_touch_login(rq->st, u.id, now);
	(void)store_audit(rq->st, name, "login", name, NULL, rq->addr);
	log_info("login: user %s from %s", name, rq->addr);
	if (u.password_expired) {
		struct buf loc = { 0 };

		buf_puts(&loc, "/hub/password?next=");
		buf_urlencode(&loc, safe_next(next));
		r = loc.failed ? MHD_NO : http_redirect(rq, 303, loc.data);
		buf_free(&loc);
		return r;
	}
	return http_redirect(rq, 303, safe_next(next));
}

static enum MHD_Result
logout(struct request *rq)
{
	if (http_auth_session(rq)) {
		(void)store_audit(rq->st, rq->user.name, "logout",
		    rq->user.name, NULL, rq->addr);
		log_info("logout: user %s", rq->user.name);
	}
	http_logout(rq);
	return http_redirect(rq, 302, "/hub/login");
}

static const char *
state_text(const struct server_row *r, unsigned place, char *buf,
    size_t size)
{
	switch (r->state) {
	case SRV_QUEUED:
		snprintf(buf, size, "Waiting to start (%u ahead of you).", place);
		break;
	case SRV_STARTING:
		snprintf(buf, size, "Starting.");
		break;
	case SRV_RUNNING:
		snprintf(buf, size, "Running.");
		break;
	case SRV_STOPPING:
		snprintf(buf, size, "Stopping.");
		break;
	case SRV_FAILED:
		snprintf(buf, size, "Your server stopped or could not start.");
		break;
	default:
		snprintf(buf, size, "Not running. Your files stay in your "
		    "home while it is stopped.");
		break;
	}
	return buf;
}

static int
home_course(const struct course *c, void *arg)
{
	struct buf *b = arg;

	if (c->archived)
		return 0;
	buf_printf(b, "<li><a href=\"/hub/courses/%s\">", c->code);
	buf_escape(b, c->title[0] != '\0' ? c->title : c->code);
	buf_printf(b, "</a> <small class=\"muted\">%s%s%s</small></li>\n",
	    c->code, c->my_role == ROSTER_INSTRUCTOR ? " · instructor" :
	    c->my_role == ROSTER_TA ? " · TA" : "", "");
	return b->failed;
}

static enum MHD_Result
home(struct request *rq)
{
	char	 created[32] = "", text[128];
	struct server_row r;
	unsigned place = 0;
	int	 pending, running, stopped;
	struct tm tm;

	struct buf courses = { 0 };
	enum MHD_Result res;

	memset(&r, 0, sizeof(r));
	if (server_get(rq->user.name, &r, &place) == -1)
		r.state = SRV_STOPPED;
	(void)store_course_list(rq->st, rq->user.role == ROLE_ADMIN ? 0 :
	    rq->user.id, home_course, &courses);
	pending = r.state == SRV_QUEUED || r.state == SRV_STARTING;
	running = r.state == SRV_RUNNING;
	stopped = r.state == SRV_STOPPED || r.state == SRV_FAILED;
	if (gmtime_r(&rq->user.created, &tm) != NULL)
		strftime(created, sizeof(created), "%d %B %Y", &tm);
	{
		struct var v[] = {
			{ "name", rq->user.name },
			{ "role", role_name(rq->user.role) },
			{ "created", created },
			{ "xsrf", http_xsrf(rq) },
			{ "state", server_state_name(r.state) },
			{ "state_text", state_text(&r, place, text,
			    sizeof(text)) },
			{ "message", r.state == SRV_FAILED ? r.message : "" },
			{ "message_hidden", r.state == SRV_FAILED ? "" :
			    "hidden" },
			{ "open_hidden", running ? "" : "hidden" },
			{ "pending_hidden", pending ? "" : "hidden" },
			{ "start_hidden", stopped ? "" : "hidden" },
			{ "stop_hidden", running || pending ? "" : "hidden" },
			{ "courses", courses.data != NULL ? courses.data : "" },
			{ "courses_hidden", courses.len > 0 ? "" : "hidden" },
			{ NULL, NULL },
		};

		res = http_page(rq, 200, "Home", "home.html", v);
	}
	buf_free(&courses);
	return res;
}

/* The spawn page: progress of the start (events by JavaScript, or a
 * reload every few seconds without it). */
static enum MHD_Result
spawn_pending(struct request *rq, const char *name)
{
	struct server_row r;
	struct server_event ev;
	unsigned place = 0, seq = 0;
	char	 progress[8], text[128], msg[512];

	if (strcmp(name, rq->user.name) != 0 && rq->user.role != ROLE_ADMIN)
		return http_error_page(rq, 403, "This is not your server.");
	if (server_get(name, &r, &place) == -1) {
		memset(&r, 0, sizeof(r));
		r.state = SRV_STOPPED;
	}
	snprintf(msg, sizeof(msg), "%s", state_text(&r, place, text,
	    sizeof(text)));
	snprintf(progress, sizeof(progress), "%d", r.state == SRV_RUNNING ?
	    100 : r.state == SRV_STARTING ? 40 : 0);
	while (server_next_event(name, &seq, &ev, 0) == 1) {
		snprintf(progress, sizeof(progress), "%d", ev.progress);
		snprintf(msg, sizeof(msg), "%s", ev.message);
	}
	{
		struct var v[] = {
			{ "name", name },
			{ "xsrf", http_xsrf(rq) },
			{ "progress", progress },
			{ "message", msg },
			{ "log", r.state == SRV_FAILED ? r.message : "" },
			{ "log_hidden", r.state == SRV_FAILED ? "" : "hidden" },
			{ "open_hidden", r.state == SRV_RUNNING ? "" : "hidden" },
			{ "start_hidden", (r.state == SRV_STOPPED ||
			    r.state == SRV_FAILED) && !strcmp(name,
			    rq->user.name) ? "" : "hidden" },
			/* Without JavaScript the page reloads while it moves. */
			{ "refresh", r.state == SRV_QUEUED ||
			    r.state == SRV_STARTING || r.state == SRV_STOPPING ?
			    "<noscript><meta http-equiv=\"refresh\" "
			    "content=\"3\"></noscript>" : "" },
			{ NULL, NULL },
		};

		return http_page(rq, 200, "Starting your server", "spawn.html",
		    v);
	}
}

/* POST /hub/join: the home page's join form. */
static enum MHD_Result
join_page(struct request *rq)
{
	char	 xsrf[XSRF_HEX + 8] = "", code[64] = "", err[256], loc[64];
	struct course c;
	int	 r;

	if (http_form(rq, "_xsrf", xsrf, sizeof(xsrf)) != 0 ||
	    !http_xsrf_ok(rq, xsrf))
		return http_error_page(rq, 403, "This form has expired. Go back, "
		    "reload the page and try again.");
	if (http_form(rq, "join_code", code, sizeof(code)) != 0)
		return http_error_page(rq, 400, "Enter the join code.");
	r = course_join(rq->st, &rq->user, code, &c, err, sizeof(err));
	if (r == STORE_NOT_FOUND)
		return http_error_page(rq, 404, "No course has this join code, "
		    "or it has expired. Check it with your instructor.");
	if (r != 0)
		return http_error_page(rq, 500, err);
	snprintf(loc, sizeof(loc), "/hub/courses/%s", c.code);
	return http_redirect(rq, 303, loc);
}

/* POST /hub/spawn and /hub/stop: the buttons of the home page. */
static enum MHD_Result
server_button(struct request *rq, int start)
{
	char	 xsrf[XSRF_HEX + 8] = "", err[256], loc[64];
	int	 r;

	if (http_form(rq, "_xsrf", xsrf, sizeof(xsrf)) != 0 ||
	    !http_xsrf_ok(rq, xsrf))
		return http_error_page(rq, 403, "This form has expired. Go back, "
		    "reload the page and try again.");
	if (start) {
		r = server_start(&rq->user, err, sizeof(err));
		if (r == -1)
			return http_error_page(rq, 409, err);
		if (r == 0)
			(void)store_audit(rq->st, rq->user.name, "server.start",
			    rq->user.name, NULL, rq->addr);
		snprintf(loc, sizeof(loc), r == 1 ? "/user/%s/" :
		    "/hub/spawn-pending/%s", rq->user.name);
		return http_redirect(rq, 303, loc);
	}
	if (server_stop(rq->user.name, "asked", err, sizeof(err)) == -1)
		return http_error_page(rq, 500, err);
	(void)store_audit(rq->st, rq->user.name, "server.stop", rq->user.name,
	    NULL, rq->addr);
	return http_redirect(rq, 303, "/hub/home");
}

static enum MHD_Result
password_form(struct request *rq, int status, const char *error,
    const char *next)
{
	struct var v[] = {
		{ "xsrf", http_xsrf(rq) },
		{ "next", next },
		{ "error", error != NULL ? error : "" },
		{ "error_hidden", error != NULL ? "" : "hidden" },
		{ "current_hidden", rq->user.password_expired ? "hidden" : "" },
		{ "current_required", rq->user.password_expired ? "" :
		    "required" },
		{ "intro", rq->user.password_expired ? "Your password was set "
		    "for one use only. Choose your own password to go on." :
		    "Choose a new password." },
		{ NULL, NULL },
	};

	return http_page(rq, status, "Change password", "password.html", v);
}

static enum MHD_Result
password(struct request *rq)
{
	char	 cur[PASSWORD_MAX + 2] = "", pw[PASSWORD_MAX + 2] = "";
	char	 pw2[PASSWORD_MAX + 2] = "", xsrf[XSRF_HEX + 8] = "";
	char	 next[2100] = "", err[256];
	const char *why;
	enum MHD_Result r;
	struct user u;

	if (rq->user.auth != AUTH_NATIVE)
		return http_error_page(rq, 400, "Campus accounts change their "
		    "password with the institution, not here.");
	if (is_get(rq)) {
		if (http_query(rq, "next", next, sizeof(next)) != 0 ||
		    !next_is_safe(next))
			next[0] = '\0';
		return password_form(rq, 200, NULL, next);
	}
	if (http_form(rq, "next", next, sizeof(next)) != 0 ||
	    !next_is_safe(next))
		next[0] = '\0';
	if (http_form(rq, "_xsrf", xsrf, sizeof(xsrf)) != 0 ||
	    !http_xsrf_ok(rq, xsrf))
		return password_form(rq, 403, "This form has expired. Please "
		    "try again.", next);
	if ((!rq->user.password_expired &&
	    http_form(rq, "current", cur, sizeof(cur)) != 0) ||
	    http_form(rq, "password", pw, sizeof(pw)) != 0 ||
	    http_form(rq, "confirm", pw2, sizeof(pw2)) != 0) {
		r = password_form(rq, 400, "Fill in every field.", next);
		goto done;
	}
	if (!rq->user.password_expired &&
	    !password_verify(rq->user.password_hash, cur)) {
		r = password_form(rq, 403, "The current password is wrong.",
		    next);
		goto done;
	}
	if (strcmp(pw, pw2) != 0) {
		r = password_form(rq, 400, "The two new passwords differ.", next);
		goto done;
	}
	if (password_acceptable(pw, &why) == -1) {
		r = password_form(rq, 400, why, next);
		goto done;
	}
	u = rq->user;
	if (account_set_password(rq->st, &u, pw, 0, u.name, err,
	    sizeof(err)) != 0) {
		r = password_form(rq, 500, err, next);
		goto done;
	}
	/* Other logins of this account end; this one starts afresh. */
	(void)store_session_delete_user(rq->st, u.id);
	if (http_login(rq, &u) == -1) {
		r = http_error_page(rq, 500, "Cannot start a session.");
		goto done;
	}
	log_info("password changed: user %s", u.name);
	r = http_redirect(rq, 303, safe_next(next));
done:
	explicit_bzero(cur, sizeof(cur));
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(pw2, sizeof(pw2));
	return r;
}

/*
 * The absolute address of a link, for the person who asked for it: the
 * scheme hubd serves (or https when a reverse proxy says so in
 * X-Forwarded-Proto: it only changes the answer to this request) and the
 * request's Host, else the listen address.  0, or -1.
 */
int
request_link_url(struct request *rq, const char *token, char *out,
    size_t size)
{
	int	 https = http_https(rq);

	if (link_url(out, size, https, http_header(rq, MHD_HTTP_HEADER_HOST),
	    token) == 0)
		return 0;
	return link_url(out, size, https, rq->cf->listen, token);
}

static enum MHD_Result
link_form(struct request *rq, int status, const char *token,
    const struct user *u, const struct account_link *l, const char *error)
{
	char	 until[32] = "";
	struct var v[] = {
		{ "xsrf", http_xsrf(rq) },
		{ "token", token },
		{ "name", u->name },
		{ "heading", l->kind == LINK_ENROLL ? "Welcome to the hub" :
		    "Choose a new password" },
		{ "intro", l->kind == LINK_ENROLL ? "Your account is ready. "
		    "Choose your password; this link then stops working and "
		    "you log in with your user name and that password." :
		    "Choose a new password for your account. This link works "
		    "once; your old password stops working." },
		{ "until", until },
		{ "error", error != NULL ? error : "" },
		{ "error_hidden", error != NULL ? "" : "hidden" },
		{ NULL, NULL },
	};

	(void)format_time(l->expires, until, sizeof(until));
	return http_page(rq, status, "Choose your password", "link.html", v);
}

/* The answers for a link that does not work.  Unknown, used and
 * replaced links get the same one. */
static enum MHD_Result
link_refused(struct request *rq, int r, time_t now)
{
	if (r == -1)
		return http_error_page(rq, 500, "The hub cannot read its "
		    "database right now. Try again in a minute.");
	throttle_address_failure(rq->addr, now);
	log_info("link refused: %s (%s)", r == LINK_EXPIRED ? "expired" :
	    "unknown or used", rq->addr);
	if (r == LINK_EXPIRED)
		return http_error_page(rq, 410, "This link has expired. Ask "
		    "your instructor for a new one.");
	return http_error_page(rq, 404, "This link does not work: it was "
	    "used already, a newer one replaced it, or it was copied "
	    "incompletely. Ask your instructor for a new one.");
}

/* GET and POST /hub/link/TOKEN: choose a password, then logged in. */
static enum MHD_Result
link_page(struct request *rq, const char *token)
{
	char	 pw[PASSWORD_MAX + 2] = "", pw2[PASSWORD_MAX + 2] = "";
	char	 xsrf[XSRF_HEX + 8] = "", err[256], loc[96];
	struct account_link l;
	struct course c;
	struct enrollment e;
	struct user u;
	const char *why;
	enum MHD_Result res;
	time_t	 now = time(NULL);
	int	 r, wait;

	if ((wait = throttle_address_check(rq->addr, now)) > 0) {
		log_info("link throttled: %s (%d s)", rq->addr, wait);
		snprintf(rq->retry_after, sizeof(rq->retry_after), "%d", wait);
		snprintf(err, sizeof(err), "Too many attempts from your "
		    "address. Wait %d seconds, then try again.", wait);
		return http_error_page(rq, 429, err);
	}
	if ((r = account_link_find(rq->st, token, &l, &u)) != 0)
		return link_refused(rq, r, now);
	if (u.auth != AUTH_NATIVE)
		return http_error_page(rq, 409, "This account logs in with a "
		    "campus password: change it with the institution, not "
		    "here.");
	if (u.disabled)
		return http_error_page(rq, 403, "This account is disabled. Ask "
		    "your instructor or the hub's administrator.");
	if (is_get(rq))
		return link_form(rq, 200, token, &u, &l, NULL);
	if (http_form(rq, "_xsrf", xsrf, sizeof(xsrf)) != 0 ||
	    !http_xsrf_ok(rq, xsrf)) {
		log_info("link refused: missing or wrong form token (%s)",
		    rq->addr);
		return link_form(rq, 403, token, &u, &l, "This form has expired "
		    "or your browser refused the hub's cookie. Please try "
		    "again.");
	}
	if (http_form(rq, "password", pw, sizeof(pw)) != 0 ||
	    http_form(rq, "confirm", pw2, sizeof(pw2)) != 0) {
		res = link_form(rq, 400, token, &u, &l, "Fill in both fields.");
		goto done;
	}
	if (strcmp(pw, pw2) != 0) {
		res = link_form(rq, 400, token, &u, &l, "The two passwords "
		    "differ.");
		goto done;
	}
	if (password_acceptable(pw, &why) == -1) {
		res = link_form(rq, 400, token, &u, &l, why);
		goto done;
	}
	r = account_link_use(rq->st, token, pw, rq->addr, &u, &l, err,
	    sizeof(err));
	if (r == STORE_NOT_FOUND || r == LINK_EXPIRED) {
		res = link_refused(rq, r, now);
		goto done;
	}
	if (r != 0) {
		res = http_error_page(rq, 500, err);
		goto done;
	}
	log_info("link used: user %s set a password (%s)", u.name, rq->addr);
	if (http_auth_session(rq))	/* a login replaces the old one */
		(void)store_session_delete(rq->st, rq->session_hash);
	rq->authed = 0;
	if (http_login(rq, &u) == -1) {
		res = http_error_page(rq, 500, "Your password is saved, but the "
		    "hub cannot start a session; log in with it.");
		goto done;
	}
	(void)store_user_touch_login(rq->st, u.id, now);
	(void)store_audit(rq->st, u.name, "login", u.name, "link", rq->addr);
	/* To the course the link came from, while the person is in it. */
	snprintf(loc, sizeof(loc), "/hub/home");
	if (l.course_id != 0 && store_course_get_id(rq->st, l.course_id,
	    &c) == 0 && !c.archived && store_enroll_get(rq->st, c.id, u.id,
	    &e) == 0 && e.dropped == 0)
		snprintf(loc, sizeof(loc), "/hub/courses/%s", c.code);
	res = http_redirect(rq, 303, loc);
done:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(pw2, sizeof(pw2));
	return res;
}

static enum MHD_Result
health(struct request *rq)
{
	int64_t	 n;
	int	 ok = store_user_count(rq->st, &n) == 0;

	return http_json(rq, ok ? 200 : 503, json_pack("{s:s, s:s, s:s}",
	    "status", ok ? "ok" : "error", "version", PACKAGE_VERSION,
	    "database", ok ? "ok" : "unavailable"));
}

static enum MHD_Result
static_file(struct request *rq, const char *name)
{
	const struct asset *a = NULL;
	const char *inm;
	struct MHD_Response *resp;
	char	 etag[40];
	int	 status = 200;

	if (strchr(name, '/') == NULL && strchr(name, '%') == NULL)
		a = web_static(rq->web, name);
	if (a == NULL)
		return http_error_page(rq, 404, "No such file.");
	snprintf(etag, sizeof(etag), "\"%s\"", a->etag);
	inm = http_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && strstr(inm, etag) != NULL) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	} else
		resp = MHD_create_response_from_buffer(a->len, a->data,
		    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    strncmp(rq->query, "v=", 2) == 0 ?
	    "public, max-age=31536000, immutable" : "public, max-age=3600");
	return http_queue(rq, status, resp);
}

/* Pages that need a login: to the login page without one, to the
 * password page while the password is a one-time one. */
static int
need_login(struct request *rq, enum MHD_Result *r, int allow_expired)
{
	if (!http_auth_session(rq)) {
		*r = send_login_to(rq);
		return 0;
	}
	if (rq->user.password_expired && !allow_expired) {
		*r = http_redirect(rq, 302, "/hub/password");
		return 0;
	}
	return 1;
}

/* The proxy's answers when it cannot relay: JSON for API paths (the
 * notebook's own scripts), a page for people. */
enum MHD_Result
proxy_fail(struct request *rq, int status, const char *why)
{
	char	 api[64];

	snprintf(api, sizeof(api), "/user/%s/api/", rq->owner);
	if (why != NULL)
		log_warnx("proxy %s %s: %d (%s)", rq->method, rq->path, status,
		    why);
	if (strncmp(rq->path, api, strlen(api)) == 0 || rq->upgrade)
		return http_json_error(rq, status, "%s", status == 504 ?
		    "the server did not answer in time" : status == 503 ?
		    "the server is not running" : status == 502 ?
		    "the server is not answering" : why != NULL ? why :
		    "refused");
	return http_error_page(rq, status, status == 504 ? "Your server did "
	    "not answer in time. It may be busy; try again, or stop and "
	    "start it from the hub's home page." : status == 502 ? "Your "
	    "server is not answering. Start it again from the hub's home "
	    "page." : status == 503 ? "This server is not running." :
	    why != NULL ? why : "Refused.");
}

/* The hub's own origin, as browsers write it in Origin. */
static int
origin_ok(struct request *rq)
{
	const char *origin = http_header(rq, "Origin");
	const char *host = http_header(rq, MHD_HTTP_HEADER_HOST);
	char	 want[300];

	if (origin == NULL || host == NULL)
		return 0;
	snprintf(want, sizeof(want), "%s://%s", hub.tls ? "https" : "http",
	    host);
	return strcasecmp(origin, want) == 0;
}

/* A refusal on a student's own host: no hub page there (its styles and
 * links are the hub's), plain text, or JSON for the notebook's scripts. */
static enum MHD_Result
user_host_refuse(struct request *rq, int status, const char *why)
{
	struct buf b = { 0 };

	if (rq->upgrade || strstr(rq->path, "/api/") != NULL)
		return http_json_error(rq, status, "%s", why);
	buf_printf(&b, "%s\n", why);
	return http_queue(rq, status, http_response(&b,
	    "text/plain; charset=utf-8"));
}

/*
 * The hub's side of the handshake: the viewer (checked by route_user) gets
 * a ticket for this path of owner's server and goes to owner's host with
 * it.  The hub's Host gives the port.
 */
static enum MHD_Result
origin_send(struct request *rq)
{
	struct origin_grant g;
	char	 ticket[SECRET_HEX + 1], path[sizeof(ORIGIN_VIEW_PATH) +
		    sizeof("?ticket=") + SECRET_HEX];
	char	 url[ORIGIN_URL_MAX];
	enum MHD_Result r;

	memset(&g, 0, sizeof(g));
	g.session_id = rq->session.id;
	memcpy(g.session_hash, rq->session_hash, HASH_BYTES);
	g.viewer_id = rq->user.id;
	snprintf(g.owner, sizeof(g.owner), "%s", rq->owner);
	if (str_copy(g.next, rq->uri, sizeof(g.next)) == -1)
		snprintf(g.next, sizeof(g.next), "/user/%s/", rq->owner);
	if (origin_ticket_new(&g, ticket) == -1) {
		log_warnx("view of %s by %s: too many tickets waiting",
		    rq->owner, rq->user.name);
		explicit_bzero(&g, sizeof(g));
		return http_error_page(rq, 503, "The hub is busy; try again "
		    "in a few seconds.");
	}
	explicit_bzero(&g, sizeof(g));
	snprintf(path, sizeof(path), "%s?ticket=%s", ORIGIN_VIEW_PATH, ticket);
	explicit_bzero(ticket, sizeof(ticket));
	if (origin_url(url, sizeof(url), http_https(rq), rq->cf->user_domain,
	    http_header(rq, MHD_HTTP_HEADER_HOST), rq->owner, path) == -1) {
		explicit_bzero(path, sizeof(path));
		return http_error_page(rq, 500, "Cannot build the address of "
		    "this server.");
	}
	explicit_bzero(path, sizeof(path));
	r = http_redirect(rq, 302, url);
	explicit_bzero(url, sizeof(url));
	return r;
}

/*
 * GET /hub/view?ticket=T on a student's own host: the ticket becomes a
 * view cookie for this host's /user/NAME/ (while the viewer's session
 * lives), then on to the page asked for at the hub.
 */
static enum MHD_Result
origin_enter(struct request *rq)
{
	struct origin_grant g;
	char	 ticket[SECRET_HEX + 8], token[SECRET_HEX + 1], path[64];
	int	 r;

	r = http_query(rq, "ticket", ticket, sizeof(ticket));
	if (r != 0 || strlen(ticket) != SECRET_HEX ||
	    strspn(ticket, "0123456789abcdef") != SECRET_HEX ||
	    origin_ticket_take(ticket, rq->host_owner, &g) != 0) {
		explicit_bzero(ticket, sizeof(ticket));
		log_info("view of %s refused: unknown, used or expired ticket "
		    "(%s)", rq->host_owner, rq->addr);
		return user_host_refuse(rq, 403, "This link has expired or was "
		    "used already. Open the server again from the hub.");
	}
	explicit_bzero(ticket, sizeof(ticket));
	memcpy(rq->session_hash, g.session_hash, HASH_BYTES);
	if (!http_session_check(rq) || rq->user.id != g.viewer_id) {
		explicit_bzero(&g, sizeof(g));
		rq->authed = 0;
		return user_host_refuse(rq, 403, "Your login has ended. Log in "
		    "at the hub again.");
	}
	if (origin_view_new(&g, rq->session.expires, token) == -1) {
		explicit_bzero(&g, sizeof(g));
		return user_host_refuse(rq, 503, "The hub is busy; try again.");
	}
	snprintf(path, sizeof(path), "/user/%s/", rq->host_owner);
	r = http_set_cookie(rq, VIEW_COOKIE, token, path, -1, "Lax");
	explicit_bzero(token, sizeof(token));
	log_info("view: %s opens %s's server on its own origin (%s)",
	    rq->user.name, rq->host_owner, rq->addr);
	if (r == -1) {
		explicit_bzero(&g, sizeof(g));
		return MHD_NO;
	}
	r = http_redirect(rq, 302, g.next);
	explicit_bzero(&g, sizeof(g));
	return r;
}

/*
 * /user/NAME/...: who may go there, and to which server.  Queues the
 * answer itself (login, 403, spawn page, 502) or opens the proxy in
 * rq->px.
 */
enum MHD_Result
route_user(struct request *rq)
{
	const char *p = rq->path + 6, *slash, *up;
	struct server_row srv;
	char	 loc[128];
	size_t	 n;
	int	 t, code, get = is_get(rq);

	slash = strchr(p, '/');
	n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n > USERNAME_MAX)
		return http_error_page(rq, 404, "No such server.");
	memcpy(rq->owner, p, n);
	rq->owner[n] = '\0';
	if (!username_valid(rq->owner) || !user_path_ok(rq->path))
		return http_error_page(rq, 400, "This address is not allowed.");
	up = http_header(rq, MHD_HTTP_HEADER_UPGRADE);
	rq->upgrade = up != NULL && strcasestr(up, "websocket") != NULL;
	if (rq->upgrade && strcmp(rq->method, "GET") != 0)
		return http_error_page(rq, 400, "A websocket starts with GET.");

	if (rq->user_host == 1) {
		/* A student's own host: only that student's server, and only
		 * for a viewer who came through the hub (the view cookie). */
		if (strcmp(rq->owner, rq->host_owner) != 0)
			return user_host_refuse(rq, 404, "No such server here.");
		if (!http_auth_view(rq))
			return user_host_refuse(rq, 403, "Open this server from "
			    "the hub: your view of it has ended or was never "
			    "started.");
	} else if ((t = http_auth_token(rq)) != 1 &&
	    !http_auth_session(rq)) {
		/* Neither a hub API token nor the session; an Authorization
		 * header that is no hub token is the browser's business and
		 * is not forwarded. */
		if (t == -1)
			return http_json_error(rq, 403, "invalid or expired API "
			    "token");
		if (get && !rq->upgrade)
			return send_login_to(rq);
		return http_json_error(rq, 403, "missing credentials");
	}
	if (rq->via == VIA_SESSION && rq->user.password_expired)
		return http_redirect(rq, 302, "/hub/password");
	/* Cookies come with any request the browser makes, including a
	 * foreign page's: the hub checks the Origin, since Jupyter skips its
	 * own checks for requests that carry the token we add. */
	if (rq->via == VIA_SESSION && (rq->upgrade || !get) && !origin_ok(rq))
		return http_json_error(rq, 403, "cross-origin request refused");
	rq->view_other = strcmp(rq->user.name, rq->owner) != 0;
	if (rq->view_other && rq->user.role != ROLE_ADMIN) {
		/* Instructors and TAs of a course the owner studies in may
		 * look, to help; nobody else. */
		struct user owner;

		if (store_user_get(rq->st, rq->owner, &owner) != 0 ||
		    !store_teaches(rq->st, rq->user.id, owner.id))
			return proxy_fail(rq, 403, "This is not your server.");
	}
	if (rq->view_other && rq->user_host == 0 && rq->via == VIA_SESSION &&
	    rq->cf->user_domain[0] != '\0' && origin_name_ok(rq->owner)) {
		/* Not on the hub's origin: the owner's scripts would run as
		 * the viewer.  A page is sent to the owner's own host;
		 * anything else was not started by the viewer's navigation. */
		const char *mode = http_header(rq, "Sec-Fetch-Mode");

		if (!get || rq->upgrade || (mode != NULL &&
		    strcmp(mode, "navigate") != 0))
			return http_json_error(rq, 403, "another user's server "
			    "is served on its own origin only");
		return origin_send(rq);
	}
	if (rq->view_other) {
		const char *mode = http_header(rq, "Sec-Fetch-Mode");

		if (rq->upgrade || (mode != NULL && strcmp(mode,
		    "navigate") == 0))
			(void)store_audit(rq->st, rq->user.name, "server.open",
			    rq->owner, rq->path, rq->addr);
	}
	if (server_get(rq->owner, &srv, NULL) == -1 ||
	    srv.state != SRV_RUNNING) {
		if (!rq->view_other && get && !rq->upgrade &&
		    strncmp(p + n, "/api/", 5) != 0) {
			snprintf(loc, sizeof(loc), "/hub/spawn-pending/%s",
			    rq->owner);
			return http_redirect(rq, 302, loc);
		}
		return proxy_fail(rq, 503, NULL);
	}
	server_activity(rq->owner, time(NULL));
	/* The database is done with: a server that hangs must not hold one
	 * of the pool's few connections (the whole hub would wait). */
	pool_put(rq->st);
	rq->st = NULL;
	if ((code = proxy_open(rq, &srv, &rq->px)) != 0) {
		explicit_bzero(srv.token, sizeof(srv.token));
		return proxy_fail(rq, code, "cannot reach the server");
	}
	explicit_bzero(srv.token, sizeof(srv.token));
	return MHD_YES;
}

enum MHD_Result
route(struct request *rq)
{
	const char *p = rq->path;
	enum MHD_Result r;

	if (rq->user_host != 0) {
		/* Students' own hosts serve their servers and the view
		 * handshake; never the hub's pages, API or login. */
		if (rq->user_host == 1 && strcmp(p, ORIGIN_VIEW_PATH) == 0)
			return is_get(rq) ? origin_enter(rq) :
			    not_allowed(rq, "GET, HEAD");
		return user_host_refuse(rq, 404, "There is no page at this "
		    "address.");
	}
	/* Forms and API calls come from the hub's own pages: a browser says
	 * where a request comes from, and a page of another origin (a
	 * student's host next door among them) is refused outright. */
	if (!is_get(rq) && http_header(rq, "Origin") != NULL && !origin_ok(rq))
		return http_fail(rq, 403, "Cross-origin request refused.");
	if (strncmp(p, "/hub/api/", 9) == 0 || strcmp(p, "/hub/api") == 0)
		return api_route(rq);
	if (strncmp(p, "/hub/static/", 12) == 0)
		return is_get(rq) ? static_file(rq, p + 12) :
		    not_allowed(rq, "GET, HEAD");
	if (strcmp(p, "/") == 0 || strcmp(p, "/hub") == 0 ||
	    strcmp(p, "/hub/") == 0)
		return is_get(rq) ? http_redirect(rq, 302, "/hub/home") :
		    not_allowed(rq, "GET, HEAD");
	if (strcmp(p, "/hub/login") == 0) {
		if (is_get(rq))
			return login_get(rq);
		return is_post(rq) ? login_post(rq) :
		    not_allowed(rq, "GET, HEAD, POST");
	}
	if (strcmp(p, "/hub/logout") == 0)
		return is_get(rq) || is_post(rq) ? logout(rq) :
		    not_allowed(rq, "GET, HEAD, POST");
	if (strcmp(p, "/hub/health") == 0)
		return is_get(rq) ? health(rq) : not_allowed(rq, "GET, HEAD");
	if (strcmp(p, "/hub/home") == 0) {
		if (!is_get(rq))
			return not_allowed(rq, "GET, HEAD");
		return need_login(rq, &r, 0) ? home(rq) : r;
	}
	if (strncmp(p, LINK_PATH, strlen(LINK_PATH)) == 0) {
		if (!is_get(rq) && !is_post(rq))
			return not_allowed(rq, "GET, HEAD, POST");
		return link_page(rq, p + strlen(LINK_PATH));
	}
	if (strcmp(p, "/hub/password") == 0) {
		if (!is_get(rq) && !is_post(rq))
			return not_allowed(rq, "GET, HEAD, POST");
		return need_login(rq, &r, 1) ? password(rq) : r;
	}
	if (strncmp(p, "/hub/courses/", 13) == 0) {
		if (!is_get(rq) && !is_post(rq))
			return not_allowed(rq, "GET, HEAD, POST");
		return need_login(rq, &r, 0) ? page_courses(rq, p + 13) : r;
	}
	if (strcmp(p, "/hub/join") == 0) {
		if (!is_post(rq))
			return not_allowed(rq, "POST");
		return need_login(rq, &r, 0) ? join_page(rq) : r;
	}
	if (strcmp(p, "/hub/admin") == 0) {
		if (!is_get(rq))
			return not_allowed(rq, "GET, HEAD");
		return need_login(rq, &r, 0) ? page_admin(rq) : r;
	}
	if (strcmp(p, "/hub/spawn") == 0 || strcmp(p, "/hub/stop") == 0) {
		if (!is_post(rq))
			return not_allowed(rq, "POST");
		return need_login(rq, &r, 0) ? server_button(rq,
		    strcmp(p, "/hub/spawn") == 0) : r;
	}
	if (strncmp(p, "/hub/spawn-pending/", 19) == 0) {
		if (!is_get(rq))
			return not_allowed(rq, "GET, HEAD");
		if (!need_login(rq, &r, 0))
			return r;
		if (!username_valid(p + 19))
			return http_error_page(rq, 404, "No such user.");
		return spawn_pending(rq, p + 19);
	}
	return http_error_page(rq, 404, "There is no page at this address.");
}
