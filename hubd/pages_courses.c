/*
 * Course pages for people: the instructor's course page (roster with each
 * student's server, class start and stop, password resets, roster import
 * with a preview of what will change), and the admin's overview.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "hubd.h"
#include "roster.h"

struct page {
	struct request	*rq;
	const struct course *c;
	enum course_access a;
	struct buf	 rows;
	size_t		 students, running;
};

static void
cell_time(struct buf *b, time_t t)
{
	char	 s[32];

	buf_puts(b, "<td>");
	if (format_time(t, s, sizeof(s)) == 0)
		buf_escape(b, s);
	else
		buf_puts(b, "-");
	buf_puts(b, "</td>");
}

/* Memory in use, in MiB; "-" when the server does not run. */
static void
cell_memory(struct buf *b, const struct server_row *r)
{
	long long m = r != NULL ? server_memory(r) : -1;

	if (m < 0)
		buf_puts(b, "<td>-</td>");
	else
		buf_printf(b, "<td>%lld MiB</td>", (m + (1 << 19)) >> 20);
}

static void
button(struct buf *b, const struct page *pg, const char *action,
    const char *user, const char *what, const char *label)
{
	buf_printf(b, "<form method=\"post\" action=\"/hub/courses/%s/users/"
	    "%s/%s\"><input type=\"hidden\" name=\"_xsrf\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"action\" value=\"%s\">"
	    "<button type=\"submit\" class=\"secondary\">%s</button></form> ",
	    pg->c->code, user, what, pg->rq->xsrf, action, label);
}

/* The servers form with "only=selected": the students ticked in the
 * roster (user=NAME, once each). */
static int
picked(const char *user, void *arg)
{
	return http_form_has(arg, "user", user);
}

static int
row(const struct enrollment *e, void *arg)
{
	struct page *pg = arg;
	struct buf *b = &pg->rows;
	struct server_row srv;
	int	 known = server_get(e->user, &srv, NULL) == 0;

	if (e->role == ROSTER_STUDENT && e->dropped == 0) {
		pg->students++;
		if (known && srv.state == SRV_RUNNING)
			pg->running++;
	}
	buf_printf(b, "<tr%s><td>", e->dropped ? " class=\"dropped\"" : "");
	if (e->role == ROSTER_STUDENT && e->dropped == 0 && !e->disabled)
		buf_printf(b, "<input type=\"checkbox\" name=\"user\" "
		    "value=\"%s\" form=\"selected-form\" aria-label=\"select "
		    "%s\">", e->user, e->user);
	buf_puts(b, "</td><td>");
	buf_escape(b, e->full_name[0] != '\0' ? e->full_name : e->user);
	buf_puts(b, "</td><td>");
	buf_escape(b, e->user);
	buf_printf(b, "</td><td>%s%s</td><td class=\"state-%s\">%s</td>",
	    roster_role_name(e->role), e->dropped ? " (dropped)" : "",
	    known ? server_state_name(srv.state) : "stopped",
	    known ? server_state_name(srv.state) : "stopped");
	cell_time(b, known ? srv.last_activity : 0);
	cell_memory(b, known ? &srv : NULL);
	buf_printf(b, "<td>%u</td><td>", known ? srv.oom_kills : 0);
	if (e->role == ROSTER_STUDENT && e->dropped == 0 && !e->disabled) {
		if (known && (srv.state == SRV_RUNNING ||
		    srv.state == SRV_STARTING || srv.state == SRV_QUEUED)) {
			buf_printf(b, "<a href=\"/user/%s/\">Open</a> ", e->user);
			button(b, pg, "stop", e->user, "server", "Stop");
		} else
			button(b, pg, "start", e->user, "server", "Start");
		button(b, pg, "reset", e->user, "password", "New password");
		button(b, pg, "link", e->user, "link", "Reset link");
	}
	buf_puts(b, "</td></tr>\n");
	return b->failed;
}

/* What a course page shows besides the course: a notice on top and,
 * after an upload, the preview (or the outcome) of an import. */
struct outcome {
	const char	*notice;
	const char	*preview_title;
	const char	*preview;
	const char	*csv;		/* the file, for "apply" */
	int		 drop;
	int		 links;		/* links instead of passwords */
	const char	*passwords;	/* or the links, as CSV */
	const char	*download;	/* a data: URL of that CSV */
};

static enum MHD_Result
course_page(struct request *rq, const struct course *c, enum course_access a,
    int status, const struct outcome *o)
{
	static const struct outcome none;
	struct page pg = { rq, c, a, { 0 }, 0, 0 };
	char	 counts[128];
	enum MHD_Result r;

	if (o == NULL)
		o = &none;
	(void)http_xsrf(rq);
	if (a >= ACC_TA && store_enroll_list(rq->st, c->id, row, &pg) != 0) {
		buf_free(&pg.rows);
		return http_error_page(rq, 500, "Cannot read the roster.");
	}
	snprintf(counts, sizeof(counts), a >= ACC_TA ? "%zu student%s, %zu "
	    "server%s running." : "", pg.students, pg.students == 1 ? "" : "s",
	    pg.running, pg.running == 1 ? "" : "s");
	{
		struct var v[] = {
			{ "code", c->code },
			{ "title", c->title[0] != '\0' ? c->title : c->code },
			{ "term", c->term },
			{ "role", course_access_name(a) },
			{ "counts", counts },
			{ "xsrf", rq->xsrf },
			{ "teacher_hidden", a >= ACC_TA ? "" : "hidden" },
			{ "instructor_hidden", a >= ACC_INSTRUCTOR ? "" :
			    "hidden" },
			{ "notice", o->notice != NULL ? o->notice : "" },
			{ "notice_hidden", o->notice != NULL ? "" : "hidden" },
			{ "rows", pg.rows.data != NULL ? pg.rows.data : "" },
			{ "preview_hidden", o->preview != NULL ? "" : "hidden" },
			{ "preview_title", o->preview_title != NULL ?
			    o->preview_title : "" },
			{ "preview", o->preview != NULL ? o->preview : "" },
			{ "apply_hidden", o->csv != NULL ? "" : "hidden" },
			{ "csv", o->csv != NULL ? o->csv : "" },
			{ "drop", o->drop ? "1" : "0" },
			{ "links", o->links ? "1" : "0" },
			{ "passwords", o->passwords != NULL ? o->passwords :
			    "" },
			{ "passwords_hidden", o->passwords != NULL ? "" :
			    "hidden" },
			{ "download", o->download != NULL ? o->download : "" },
			{ "download_hidden", o->download != NULL ? "" :
			    "hidden" },
			{ NULL, NULL },
		};

		r = http_page(rq, status, c->code, "course.html", v);
	}
	buf_free(&pg.rows);
	return r;
}

static enum MHD_Result
notice_page(struct request *rq, const struct course *c, enum course_access a,
    int status, const char *notice)
{
	struct outcome o = { 0 };

	o.notice = notice;
	return course_page(rq, c, a, status, &o);
}

/* The links of an import as CSV (with their absolute addresses) into
 * csv, and as a data: URL to download it into url. */
static int
links_csv(struct request *rq, const struct roster *ro,
    const struct import_result *res, struct buf *csv, struct buf *url)
{
	char	 link[LINK_URL_MAX];
	size_t	 i;

	roster_links_header(csv);
	for (i = 0; i < res->nlinks; i++) {
		if (request_link_url(rq, res->links[i].token, link,
		    sizeof(link)) != 0)
			return -1;
		roster_links_row(csv, &ro->rows[res->links[i].row], link,
		    res->links[i].expires);
		explicit_bzero(link, sizeof(link));
	}
	buf_puts(url, "data:text/csv;charset=utf-8,");
	buf_urlencode(url, csv->data != NULL ? csv->data : "");
	return csv->failed || url->failed ? -1 : 0;
}

struct upload {
	struct buf	 csv;
	int		 drop;
	int		 links;
	int		 too_large;
	size_t		 max;
};

static enum MHD_Result
on_part(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *type, const char *encoding,
    const char *data, uint64_t off, size_t size)
{
	struct upload *up = arg;

	if (strcmp(key, "file") == 0) {
		if (up->csv.len + size > up->max) {
			up->too_large = 1;
			return MHD_NO;
		}
		buf_add(&up->csv, data, size);
	} else if (strcmp(key, "drop_missing") == 0)
		up->drop = 1;
	else if (strcmp(key, "links") == 0)
		up->links = 1;
	return MHD_YES;
}

/* POST .../roster: step preview (a multipart upload) or apply (the same
 * file back from the preview's form). */
static enum MHD_Result
roster_step(struct request *rq, const struct course *c, enum course_access a)
{
	const char *type = http_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct upload up = { { 0 }, 0, 0, 0, 0 };
	struct import_result res;
	struct roster *ro;
	struct outcome o = { 0 };
	struct buf lcsv = { 0 }, lurl = { 0 };
	char	 err[ROSTER_ERR_MAX], xsrf[XSRF_HEX + 8], flag[4], title[160];
	int	 apply = 0;
	enum MHD_Result r;

	if (a < ACC_INSTRUCTOR)
		return http_error_page(rq, 403, "Only the course's instructors "
		    "import its roster.");
	up.max = rq->body.len;
	if (type != NULL && strncasecmp(type, "multipart/form-data", 19) == 0) {
		struct MHD_PostProcessor *pp;

		/* libmicrohttpd's own multipart reader, over the body. */
		if ((pp = MHD_create_post_processor(rq->conn, 16 * 1024,
		    on_part, &up)) == NULL)
			return http_error_page(rq, 400, "The upload is not a "
			    "form.");
		if (MHD_post_process(pp, rq->body.data, rq->body.len) != MHD_YES &&
		    !up.too_large) {
			MHD_destroy_post_processor(pp);
			buf_free(&up.csv);
			return http_error_page(rq, 400, "The upload could not be "
			    "read.");
		}
		MHD_destroy_post_processor(pp);
		/* The form's token is in the multipart body too. */
	} else {
		if ((up.csv.data = malloc(rq->body.len + 1)) == NULL)
			return MHD_NO;
		up.csv.size = rq->body.len + 1;
		if (http_form(rq, "csv", up.csv.data, up.csv.size) != 0) {
			buf_free(&up.csv);
			return http_error_page(rq, 400, "The form has no roster.");
		}
		up.csv.len = strlen(up.csv.data);
		up.drop = http_form(rq, "drop_missing", flag, sizeof(flag)) == 0 &&
		    strcmp(flag, "1") == 0;
		up.links = http_form(rq, "links", flag, sizeof(flag)) == 0 &&
		    strcmp(flag, "1") == 0;
		apply = 1;
		if (http_form(rq, "_xsrf", xsrf, sizeof(xsrf)) != 0 ||
		    !http_xsrf_ok(rq, xsrf)) {
			buf_free(&up.csv);
			return http_error_page(rq, 403, "This form has expired.");
		}
	}
	if (up.csv.len == 0) {
		buf_free(&up.csv);
		return notice_page(rq, c, a, 400, "Choose a roster file first.");
	}
	o.preview_title = "This file cannot be imported";
	o.preview = err;
	if ((ro = roster_parse(up.csv.data, up.csv.len, NULL, err,
	    sizeof(err))) == NULL) {
		o.notice = "The file was not imported.";
		r = course_page(rq, c, a, 400, &o);
		buf_free(&up.csv);
		return r;
	}
	if (course_import(rq->st, c, ro, up.drop, !apply, rq->cf->pam_enabled ?
	    AUTH_PAM : AUTH_NATIVE, up.links ? LINK_LIFETIME : 0,
	    rq->user.name, &res, err, sizeof(err)) != 0) {
		roster_free(ro);
		o.notice = "The file was not imported; nothing was written.";
		r = course_page(rq, c, a, 400, &o);
		buf_free(&up.csv);
		return r;
	}
	if (apply && res.nlinks > 0 && links_csv(rq, ro, &res, &lcsv,
	    &lurl) != 0) {
		/* Written already: each student's "Reset link" gives one. */
		buf_burn(&lcsv);
		buf_burn(&lurl);
		o.notice = "The roster is imported, but its links cannot be "
		    "shown (the request's Host is not usable, or memory ran "
		    "out): use \"Reset link\" on each new student's row.";
	}
	roster_free(ro);
	snprintf(title, sizeof(title), "%s (%s file, %zu rows): %zu accounts "
	    "%s, %zu enrolled, %zu changed, %zu unchanged, %zu dropped.",
	    apply ? "Imported" : "Preview, nothing written yet",
	    roster_format_name(res.format), res.rows, res.created,
	    apply ? "made" : "to make", res.enrolled, res.updated,
	    res.unchanged, res.dropped);
	if (apply && res.disabled > 0) {
		const char *line, *nl;

		for (line = res.log.data; line != NULL && *line != '\0';
		    line = nl + 1) {
			char	 who[USERNAME_MAX + 1], why[128];

			if ((nl = strchr(line, '\n')) == NULL)
				break;
			if (strncmp(line, "disable ", 8) != 0)
				continue;
			snprintf(who, sizeof(who), "%.*s", (int)(nl - line - 8),
			    line + 8);
			(void)server_stop(who, "dropped", why, sizeof(why));
		}
	}
	if (o.notice == NULL)
		o.notice = !apply ? NULL : res.nlinks > 0 ? "The roster is "
		    "imported. Each new account has a link to choose its "
		    "password, shown once below: send each person theirs." :
		    "The roster is imported.";
	o.preview_title = title;
	o.preview = res.log.len > 0 ? res.log.data : "No changes.";
	o.csv = apply ? NULL : up.csv.data;
	o.drop = up.drop;
	o.links = up.links;
	if (apply && lcsv.len > 0) {
		o.passwords = lcsv.data;
		o.download = lurl.data;
	} else if (apply && res.passwords.len > 0)
		o.passwords = res.passwords.data;
	r = course_page(rq, c, a, 200, &o);
	import_result_free(&res);
	buf_burn(&lcsv);
	buf_burn(&lurl);
	buf_free(&up.csv);
	return r;
}

/* POST .../users/NAME/link: a link for the student to choose a password
 * (their first, or a new one), shown to the instructor once. */
static enum MHD_Result
link_action(struct request *rq, const struct course *c, enum course_access a,
    const struct user *u)
{
	char	 token[SECRET_HEX + 1], url[LINK_URL_MAX], err[256];
	char	 until[32] = "", msg[LINK_URL_MAX + 256];
	struct account_link l;
	enum MHD_Result r;

	if (u->auth != AUTH_NATIVE)
		return notice_page(rq, c, a, 409, "This student logs in with a "
		    "campus (PAM) account: its password is the institution's, "
		    "a link cannot set it.");
	if (account_link_create(rq->st, u, c->id, LINK_LIFETIME,
	    rq->user.name, rq->addr, token, sizeof(token), &l, err,
	    sizeof(err)) != 0)
		return notice_page(rq, c, a, 409, err);
	if (request_link_url(rq, token, url, sizeof(url)) != 0) {
		explicit_bzero(token, sizeof(token));
		return http_error_page(rq, 400, "The request's Host header is "
		    "not a usable address for a link.");
	}
	explicit_bzero(token, sizeof(token));
	(void)format_time(l.expires, until, sizeof(until));
	snprintf(msg, sizeof(msg), "%s link for %s, until %s; it works once "
	    "and replaces any earlier link: %s", l.kind == LINK_ENROLL ?
	    "Enrollment" : "Password reset", u->name, until, url);
	log_info("link for %s made by %s (%s)", u->name, rq->user.name,
	    c->code);
	r = notice_page(rq, c, a, 200, msg);
	explicit_bzero(url, sizeof(url));
	explicit_bzero(msg, sizeof(msg));
	return r;
}

/* POST .../users/NAME/server|password|link */
static enum MHD_Result
user_action(struct request *rq, const struct course *c, enum course_access a,
    const char *rest)
{
	char	 name[USERNAME_MAX + 1], action[16], err[256], msg[160];
	char	 otp[ONE_TIME_PASSWORD_LEN + 1], loc[96];
	const char *slash = strchr(rest, '/');
	struct enrollment e;
	struct user u;
	enum MHD_Result r;

	if (slash == NULL || (size_t)(slash - rest) > USERNAME_MAX)
		return http_error_page(rq, 404, "No such page.");
	snprintf(name, sizeof(name), "%.*s", (int)(slash - rest), rest);
	if (a < ACC_TA || !username_valid(name) ||
	    store_user_get(rq->st, name, &u) != 0 ||
	    store_enroll_get(rq->st, c->id, u.id, &e) != 0 || e.dropped != 0 ||
	    e.role != ROSTER_STUDENT)
		return http_error_page(rq, 403, "Not a student of this course.");
	if (http_form(rq, "action", action, sizeof(action)) != 0)
		action[0] = '\0';
	if (strcmp(slash, "/server") == 0) {
		if (strcmp(action, "start") == 0)
			(void)server_start(&u, err, sizeof(err));
		else
			(void)server_stop(name, "course page", err, sizeof(err));
		(void)store_audit(rq->st, rq->user.name, strcmp(action,
		    "start") == 0 ? "server.start" : "server.stop", name,
		    c->code, rq->addr);
		snprintf(loc, sizeof(loc), "/hub/courses/%s", c->code);
		return http_redirect(rq, 303, loc);
	}
	if (strcmp(slash, "/link") == 0)
		return link_action(rq, c, a, &u);
	if (strcmp(slash, "/password") != 0)
		return http_error_page(rq, 404, "No such page.");
	if (u.auth != AUTH_NATIVE)
		return notice_page(rq, c, a, 409, "This student logs in with a "
		    "campus account: its password is the institution's.");
	random_password(otp, sizeof(otp));
	if (account_set_password(rq->st, &u, otp, 1, rq->user.name, err,
	    sizeof(err)) != 0 || store_session_delete_user(rq->st, u.id) != 0) {
		explicit_bzero(otp, sizeof(otp));
		return http_error_page(rq, 500, err);
	}
	snprintf(msg, sizeof(msg), "One-time password for %s: %s (they choose "
	    "their own at the next login).", name, otp);
	explicit_bzero(otp, sizeof(otp));
	log_info("password of %s reset by %s (%s)", name, rq->user.name, c->code);
	r = notice_page(rq, c, a, 200, msg);
	explicit_bzero(msg, sizeof(msg));
	return r;
}

/* /hub/courses/CODE[/...] for a logged-in user. */
enum MHD_Result
page_courses(struct request *rq, const char *p)
{
	char	 code[COURSE_CODE_MAX + 1], xsrf[XSRF_HEX + 8], action[16];
	char	 loc[96];
	const char *slash = strchr(p, '/');
	size_t	 n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	struct course c;
	enum course_access a;
	int	 dberr, get = strcmp(rq->method, "GET") == 0 ||
	    strcmp(rq->method, "HEAD") == 0;

	if (n == 0 || n > COURSE_CODE_MAX)
		return http_error_page(rq, 404, "No such course.");
	snprintf(code, sizeof(code), "%.*s", (int)n, p);
	if ((a = course_access_of(rq->st, &rq->user, code, &c, &dberr)) ==
	    ACC_NONE)
		return http_error_page(rq, dberr ? 500 : 404, "No such course.");
	if (slash == NULL) {
		if (!get)
			return http_error_page(rq, 405, "GET only here.");
		return course_page(rq, &c, a, 200, NULL);
	}
	if (get)
		return http_error_page(rq, 405, "POST only here.");
	/* Every POST carries the form token; a file upload in its
	 * multipart body. */
	{
		const char *type = http_header(rq,
		    MHD_HTTP_HEADER_CONTENT_TYPE);
		int	 ok;

		if (type != NULL && strncasecmp(type, "multipart/", 10) == 0)
			ok = multipart_xsrf_ok(rq);
		else
			ok = http_form(rq, "_xsrf", xsrf, sizeof(xsrf)) == 0 &&
			    http_xsrf_ok(rq, xsrf);
		if (!ok)
			return http_error_page(rq, 403, "This form has expired. "
			    "Reload the page and try again.");
	}
	if (strcmp(slash, "/roster") == 0)
		return roster_step(rq, &c, a);
	if (strcmp(slash, "/servers") == 0) {
		if (a < ACC_TA)
			return http_error_page(rq, 403, "Only the course's "
			    "instructors and TAs start its servers.");
		if (http_form(rq, "action", action, sizeof(action)) != 0)
			action[0] = '\0';
		(void)course_servers_all(rq->st, &c, strcmp(action, "start") == 0,
		    http_form_has(rq, "only", "selected") ? picked : NULL, rq,
		    NULL);
		(void)store_audit(rq->st, rq->user.name, strcmp(action,
		    "start") == 0 ? "course.start" : "course.stop", c.code,
		    http_form_has(rq, "only", "selected") ? "selected" : NULL,
		    rq->addr);
		snprintf(loc, sizeof(loc), "/hub/courses/%s", c.code);
		return http_redirect(rq, 303, loc);
	}
	if (strncmp(slash, "/users/", 7) == 0)
		return user_action(rq, &c, a, slash + 7);
	return http_error_page(rq, 404, "No such page.");
}

struct xsrf_scan {
	char	 value[XSRF_HEX + 8];
	size_t	 len;
};

static enum MHD_Result
on_xsrf(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *type, const char *encoding,
    const char *data, uint64_t off, size_t size)
{
	struct xsrf_scan *x = arg;

	if (strcmp(key, "_xsrf") == 0 && x->len + size < sizeof(x->value)) {
		memcpy(x->value + x->len, data, size);
		x->len += size;
		x->value[x->len] = '\0';
	}
	return MHD_YES;
}

/* The _xsrf field of a multipart form body. */
int
multipart_xsrf_ok(struct request *rq)
{
	struct xsrf_scan x;
	struct MHD_PostProcessor *pp;

	memset(&x, 0, sizeof(x));
	if ((pp = MHD_create_post_processor(rq->conn, 16 * 1024, on_xsrf,
	    &x)) == NULL)
		return 0;
	(void)MHD_post_process(pp, rq->body.data, rq->body.len);
	MHD_destroy_post_processor(pp);
	return http_xsrf_ok(rq, x.value);
}

static int
admin_course(const struct course *c, void *arg)
{
	struct buf *b = arg;

	buf_printf(b, "<tr><td><a href=\"/hub/courses/%s\">%s</a></td><td>",
	    c->code, c->code);
	buf_escape(b, c->title);
	buf_puts(b, "</td><td>");
	buf_escape(b, c->term);
	buf_printf(b, "</td><td>%s</td></tr>\n", c->archived ? "archived" :
	    "active");
	return b->failed;
}

static int
admin_server(const struct server_row *r, void *arg)
{
	struct buf *b = arg;

	if (r->state == SRV_STOPPED)
		return 0;
	buf_printf(b, "<tr><td>%s</td><td class=\"state-%s\">%s</td>", r->user,
	    server_state_name(r->state), server_state_name(r->state));
	cell_time(b, r->ready ? r->ready : r->requested);
	cell_time(b, r->last_activity);
	cell_memory(b, r);
	buf_printf(b, "<td>%u</td></tr>\n", r->oom_kills);
	return b->failed;
}

static int
admin_user(const struct user *u, void *arg)
{
	struct buf *b = arg;

	buf_printf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>",
	    u->name, role_name(u->role), auth_name(u->auth), u->disabled ?
	    "disabled" : u->password_expired ? "one-time password" :
	    u->auth == AUTH_NATIVE && u->password_hash[0] == '\0' ?
	    "no password yet" : "active");
	cell_time(b, u->last_login);
	buf_puts(b, "</tr>\n");
	return b->failed;
}

static int
admin_audit(const struct audit_entry *e, void *arg)
{
	struct buf *b = arg;

	buf_puts(b, "<tr>");
	cell_time(b, e->at);
	buf_puts(b, "<td>");
	buf_escape(b, e->actor);
	buf_puts(b, "</td><td>");
	buf_escape(b, e->action);
	buf_puts(b, "</td><td>");
	buf_escape(b, e->target);
	buf_puts(b, "</td><td>");
	buf_escape(b, e->detail);
	buf_puts(b, "</td></tr>\n");
	return b->failed;
}

/* /hub/admin: the whole hub at a glance. */
enum MHD_Result
page_admin(struct request *rq)
{
	struct buf courses = { 0 }, servers = { 0 }, users = { 0 }, audit = { 0 };
	char	 summary[128];
	int64_t	 nusers = 0;
	enum MHD_Result r;

	if (rq->user.role != ROLE_ADMIN)
		return http_error_page(rq, 403, "This page is for the hub's "
		    "administrators.");
	(void)store_user_count(rq->st, &nusers);
	if (store_course_list(rq->st, 0, admin_course, &courses) != 0 ||
	    store_server_list(rq->st, admin_server, &servers) != 0 ||
	    store_user_list(rq->st, admin_user, &users) != 0 ||
	    store_audit_list(rq->st, 100, admin_audit, &audit) != 0) {
		r = http_error_page(rq, 500, "Cannot read the database.");
		goto done;
	}
	snprintf(summary, sizeof(summary), "%lld accounts; %u websockets open.",
	    (long long)nusers, relay_count());
	{
		struct var v[] = {
			{ "summary", summary },
			{ "courses", courses.data != NULL ? courses.data : "" },
			{ "servers", servers.data != NULL ? servers.data : "" },
			{ "users", users.data != NULL ? users.data : "" },
			{ "audit", audit.data != NULL ? audit.data : "" },
			{ NULL, NULL },
		};

		r = http_page(rq, 200, "Administration", "admin.html", v);
	}
done:
	buf_free(&courses);
	buf_free(&servers);
	buf_free(&users);
	buf_free(&audit);
	return r;
}
