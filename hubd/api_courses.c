/*
 * The courses API: /hub/api/courses[/CODE[/roster|/servers|/users/NAME...]].
 * Who may do what: admins everything; a course's instructors manage it
 * (roster, settings, servers, passwords of its students); its TAs see the
 * roster and start or stop its students' servers; students see the course.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "hubd.h"
#include "roster.h"

static json_t	*object_body(struct request *, const char *const *,
		    enum MHD_Result *);
static int	 get_string(json_t *, const char *, const char **, size_t,
		    struct request *, enum MHD_Result *);

static json_t *
time_or_null(time_t t)
{
	char	 s[32];

	return format_time(t, s, sizeof(s)) == 0 ? json_string(s) : json_null();
}

static json_t *
course_json(const struct course *c, enum course_access a)
{
	json_t	*j = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:s}", "code",
	    c->code, "title", c->title, "term", c->term, "archived",
	    c->archived, "profile", c->profile, "created",
	    time_or_null(c->created), "role", course_access_name(a));

	if (j != NULL && a >= ACC_INSTRUCTOR && c->join_code[0] != '\0') {
		json_object_set_new(j, "join_code", json_string(c->join_code));
		json_object_set_new(j, "join_expires",
		    time_or_null(c->join_expires));
	}
	return j;
}

/* POST .../join-code {"expires_in": s}: a new code; DELETE: none. */
static enum MHD_Result
join_code(struct request *rq, struct course *c, enum course_access a)
{
	static const char *const known[] = { "expires_in", NULL };
	enum MHD_Result r = MHD_NO;
	json_int_t expires = 0;
	json_t	*j, *v;

	if (a < ACC_INSTRUCTOR)
		return http_json_error(rq, 403, "only the course's instructors "
		    "set its join code");
	if (strcmp(rq->method, "DELETE") == 0) {
		c->join_code[0] = '\0';
		c->join_expires = 0;
	} else if (strcmp(rq->method, "POST") == 0) {
		if ((j = object_body(rq, known, &r)) == NULL)
			return r;
		if ((v = json_object_get(j, "expires_in")) != NULL &&
		    !json_is_null(v) && (!json_is_integer(v) ||
		    (expires = json_integer_value(v)) <= 0 ||
		    expires > 366LL * 86400)) {
			json_decref(j);
			return http_json_error(rq, 400, "'expires_in' must be "
			    "seconds, at most a year");
		}
		json_decref(j);
		random_password(c->join_code, sizeof(c->join_code));
		c->join_expires = expires ? time(NULL) + (time_t)expires : 0;
	} else
		return http_json_error(rq, 405, "POST or DELETE here");
	if (store_course_update(rq->st, c) != 0)
		return http_json_error(rq, 500, "cannot store the course");
	(void)store_audit(rq->st, rq->user.name, "course.join_code", c->code,
	    c->join_code[0] != '\0' ? "new" : "removed", rq->addr);
	return http_json(rq, 200, course_json(c, a));
}

/* POST /hub/api/courses/join {"join_code": "..."}: a student joins. */
static enum MHD_Result
course_join_api(struct request *rq)
{
	static const char *const known[] = { "join_code", NULL };
	enum MHD_Result r = MHD_NO;
	const char *code = NULL;
	struct course c;
	char	 err[256];
	json_t	*j;
	int	 rc;

	if (strcmp(rq->method, "POST") != 0)
		return http_json_error(rq, 405, "only POST here");
	if ((j = object_body(rq, known, &r)) == NULL)
		return r;
	if (get_string(j, "join_code", &code, 64, rq, &r) == -1)
		goto done;
	if (code == NULL) {
		r = http_json_error(rq, 400, "'join_code' is required");
		goto done;
	}
	rc = course_join(rq->st, &rq->user, code, &c, err, sizeof(err));
	if (rc == STORE_NOT_FOUND)
		r = http_json_error(rq, 404, "no course has this join code (or "
		    "it expired)");
	else if (rc != 0)
		r = http_json_error(rq, 500, "%s", err);
	else
		r = http_json(rq, 201, json_pack("{s:s, s:s}", "course", c.code,
		    "title", c.title));
done:
	json_decref(j);
	return r;
}

/* The course named code and what the caller may do in it; a JSON error is
 * queued (into *r) when there is no such course for the caller. */
static enum course_access
course_access(struct request *rq, const char *code, struct course *c,
    enum MHD_Result *r)
{
	int	 dberr;
	enum course_access a = course_access_of(rq->st, &rq->user, code, c,
	    &dberr);

	if (a == ACC_NONE)
		*r = dberr ? http_json_error(rq, 500, "database error") :
		    http_json_error(rq, 404, "no such course: %s", code);
	return a;
}

struct list_ctx {
	json_t		*a;
	int		 admin;
};

static int
add_course(const struct course *c, void *arg)
{
	struct list_ctx *l = arg;
	enum course_access a = l->admin ? ACC_ADMIN : c->my_role == ROSTER_INSTRUCTOR ?
	    ACC_INSTRUCTOR : c->my_role == ROSTER_TA ? ACC_TA : ACC_STUDENT;

	return json_array_append_new(l->a, course_json(c, a));
}

static enum MHD_Result
courses_list(struct request *rq)
{
	struct list_ctx l = { json_array(), rq->user.role == ROLE_ADMIN };

	if (store_course_list(rq->st, l.admin ? 0 : rq->user.id, add_course,
	    &l) != 0) {
		json_decref(l.a);
		return http_json_error(rq, 500, "database error");
	}
	return http_json(rq, 200, l.a);
}

static int
get_string(json_t *j, const char *name, const char **out, size_t max,
    struct request *rq, enum MHD_Result *r)
{
	json_t	*v = json_object_get(j, name);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) > max) {
		*r = http_json_error(rq, 400, "'%s' must be a string of at "
		    "most %zu bytes", name, max);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static json_t *
object_body(struct request *rq, const char *const *known, enum MHD_Result *r)
{
	json_error_t jerr;
	json_t	*j, *v;
	const char *key;
	size_t	 i;

	if (rq->body.len == 0)
		return json_object();
	if ((j = json_loadb(rq->body.data, rq->body.len,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(j)) {
		*r = http_json_error(rq, 400, "the body must be a JSON object%s%s",
		    j == NULL ? ": " : "", j == NULL ? jerr.text : "");
		json_decref(j);
		return NULL;
	}
	json_object_foreach(j, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			*r = http_json_error(rq, 400, "unknown field '%s'", key);
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

static enum MHD_Result
courses_create(struct request *rq)
{
	static const char *const known[] = { "code", "title", "term", NULL };
	enum MHD_Result r = MHD_NO;
	const char *code = NULL, *title = "", *term = "";
	struct course c;
	char	 err[256];
	json_t	*j;
	int	 rc;

	if (rq->user.role != ROLE_ADMIN && rq->user.role != ROLE_INSTRUCTOR)
		return http_json_error(rq, 403, "making a course needs the "
		    "instructor or admin role");
	if ((j = object_body(rq, known, &r)) == NULL)
		return r;
	if (get_string(j, "code", &code, COURSE_CODE_MAX, rq, &r) == -1 ||
	    get_string(j, "title", &title, COURSE_TITLE_MAX, rq, &r) == -1 ||
	    get_string(j, "term", &term, COURSE_TERM_MAX, rq, &r) == -1)
		goto done;
	if (code == NULL || !course_code_valid(code)) {
		r = http_json_error(rq, 400, "'code' must be 1 to %d characters "
		    "of a-z 0-9 _ . - starting with a letter or digit",
		    COURSE_CODE_MAX);
		goto done;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.code, sizeof(c.code), "%s", code);
	snprintf(c.title, sizeof(c.title), "%s", title);
	snprintf(c.term, sizeof(c.term), "%s", term);
	if (store_begin(rq->st) != 0) {
		r = http_json_error(rq, 503, "the database is busy");
		goto done;
	}
	rc = store_course_add(rq->st, &c);
	if (rc == STORE_EXISTS) {
		store_rollback(rq->st);
		r = http_json_error(rq, 409, "course %s exists", code);
		goto done;
	}
	if (rc != 0 || (rq->user.role != ROLE_ADMIN && course_enroll(rq->st, &c,
	    &rq->user, ROSTER_INSTRUCTOR, rq->user.name, err, sizeof(err)) != 0)) {
		store_rollback(rq->st);
		r = http_json_error(rq, 500, "cannot store the course");
		goto done;
	}
	(void)store_audit(rq->st, rq->user.name, "course.add", code, title,
	    rq->addr);
	if (store_commit(rq->st) != 0) {
		r = http_json_error(rq, 500, "cannot store the course");
		goto done;
	}
	log_info("course %s made by %s", code, rq->user.name);
	r = http_json(rq, 201, course_json(&c, rq->user.role == ROLE_ADMIN ?
	    ACC_ADMIN : ACC_INSTRUCTOR));
done:
	json_decref(j);
	return r;
}

static enum MHD_Result
course_patch(struct request *rq, struct course *c, enum course_access a)
{
	static const char *const known[] = { "title", "term", "archived",
	    "profile", NULL };
	enum MHD_Result r = MHD_NO;
	const char *title = NULL, *term = NULL, *profile = NULL;
	json_t	*j, *v;

	if (a < ACC_INSTRUCTOR)
		return http_json_error(rq, 403, "only the course's instructors "
		    "change it");
	if ((j = object_body(rq, known, &r)) == NULL)
		return r;
	if (get_string(j, "title", &title, COURSE_TITLE_MAX, rq, &r) == -1 ||
	    get_string(j, "term", &term, COURSE_TERM_MAX, rq, &r) == -1 ||
	    get_string(j, "profile", &profile, PROFILE_NAME_MAX, rq, &r) == -1)
		goto done;
	if (profile != NULL && profile[0] != '\0' &&
	    config_profile(rq->cf, profile) == NULL) {
		r = http_json_error(rq, 400, "no profile '%s' in the hub's "
		    "configuration ([profile.%s])", profile, profile);
		goto done;
	}
	if (profile != NULL)
		snprintf(c->profile, sizeof(c->profile), "%s", profile);
	if ((v = json_object_get(j, "archived")) != NULL) {
		if (!json_is_boolean(v)) {
			r = http_json_error(rq, 400, "'archived' must be true or "
			    "false");
			goto done;
		}
		c->archived = json_is_true(v);
	}
	if (title != NULL)
		snprintf(c->title, sizeof(c->title), "%s", title);
	if (term != NULL)
		snprintf(c->term, sizeof(c->term), "%s", term);
	if (store_course_update(rq->st, c) != 0) {
		r = http_json_error(rq, 500, "cannot store the course");
		goto done;
	}
	(void)store_audit(rq->st, rq->user.name, "course.update", c->code,
	    NULL, rq->addr);
	r = http_json(rq, 200, course_json(c, a));
done:
	json_decref(j);
	return r;
}

struct roster_ctx {
	json_t		*a;
	struct buf	 csv;
	int		 as_csv;
};

static int
add_member(const struct enrollment *e, void *arg)
{
	struct roster_ctx *rc = arg;
	struct server_row srv;
	json_t	*m, *sj = json_null();

	if (rc->as_csv)
		return enrollment_export(e, &rc->csv);
	if (server_get(e->user, &srv, NULL) == 0) {
		long long mem = server_memory(&srv);

		sj = json_pack("{s:s, s:o, s:o, s:o, s:I, s:s}", "state",
		    server_state_name(srv.state), "started",
		    time_or_null(srv.ready), "last_activity",
		    time_or_null(srv.last_activity), "memory", mem < 0 ?
		    json_null() : json_integer((json_int_t)mem), "oom_kills",
		    (json_int_t)srv.oom_kills, "message",
		    srv.state == SRV_FAILED ? srv.message : "");
	}
	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o}",
	    "name", e->user, "full_name", e->full_name, "email", e->email,
	    "role", roster_role_name(e->role), "section", e->section,
	    "disabled", e->disabled, "added", time_or_null(e->added),
	    "dropped", time_or_null(e->dropped), "server", sj);
	return json_array_append_new(rc->a, m);
}

static enum MHD_Result
roster_get(struct request *rq, const struct course *c, enum course_access a)
{
	struct roster_ctx rc;
	char	 fmt[8] = "", disp[128];
	struct MHD_Response *resp;

	if (a < ACC_TA)
		return http_json_error(rq, 403, "the roster is for the course's "
		    "instructors and TAs");
	memset(&rc, 0, sizeof(rc));
	rc.as_csv = http_query(rq, "format", fmt, sizeof(fmt)) == 0 &&
	    strcmp(fmt, "csv") == 0;
	if (rc.as_csv)
		roster_export_header(&rc.csv);
	else
		rc.a = json_array();
	if (store_enroll_list(rq->st, c->id, add_member, &rc) != 0 ||
	    rc.csv.failed) {
		json_decref(rc.a);
		buf_free(&rc.csv);
		return http_json_error(rq, 500, "cannot read the roster");
	}
	if (!rc.as_csv)
		return http_json(rq, 200, rc.a);
	if ((resp = http_response(&rc.csv, "text/csv; charset=utf-8")) == NULL)
		return MHD_NO;
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s-roster.csv\"",
	    c->code);
	MHD_add_response_header(resp, "Content-Disposition", disp);
	return http_queue(rq, 200, resp);
}

/* POST .../roster: a CSV file as an LMS exports it. */
static enum MHD_Result
roster_import(struct request *rq, const struct course *c, enum course_access a)
{
	struct roster_opts opts = { NULL };
	struct import_result res;
	struct roster *ro;
	char	 err[ROSTER_ERR_MAX], flag[16], domain[128];
	json_t	*out, *pw;
	int	 dry = 0, drop = 0;
	unsigned links = 0;
	const char *line, *nl;

	if (a < ACC_INSTRUCTOR)
		return http_json_error(rq, 403, "only the course's instructors "
		    "import its roster");
	if (http_query(rq, "dry_run", flag, sizeof(flag)) == 0)
		dry = strcmp(flag, "0") != 0 && strcmp(flag, "false") != 0;
	if (http_query(rq, "drop_missing", flag, sizeof(flag)) == 0)
		drop = strcmp(flag, "0") != 0 && strcmp(flag, "false") != 0;
	if (http_query(rq, "strip_domain", domain, sizeof(domain)) == 0 &&
	    domain[0] != '\0')
		opts.strip_domain = domain;
	if (http_query(rq, "links", flag, sizeof(flag)) == 0 &&
	    strcmp(flag, "0") != 0 && strcmp(flag, "false") != 0)
		links = LINK_LIFETIME;
	if (http_query(rq, "expires_in", flag, sizeof(flag)) == 0) {
		unsigned secs;

		if (!links || parse_duration(flag, &secs) == -1 || secs == 0 ||
		    secs > LINK_LIFETIME_MAX)
			return http_json_error(rq, 400, "'expires_in' goes with "
			    "'links=1' and is seconds, at most %d days",
			    LINK_LIFETIME_MAX / 86400);
		links = secs;
	}
	if ((ro = roster_parse(rq->body.data != NULL ? rq->body.data : "",
	    rq->body.len, &opts, err, sizeof(err))) == NULL)
		return http_json_error(rq, 400, "%s", err);
	if (course_import(rq->st, c, ro, drop, dry, rq->cf->pam_enabled ?
	    AUTH_PAM : AUTH_NATIVE, links, rq->user.name, &res, err,
	    sizeof(err)) != 0) {
		roster_free(ro);
		return http_json_error(rq, 400, "%s", err);
	}
	out = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:[]}",
	    "dry_run", dry, "format", roster_format_name(res.format),
	    "rows", (json_int_t)res.rows, "created", (json_int_t)res.created,
	    "enrolled", (json_int_t)res.enrolled, "updated",
	    (json_int_t)res.updated, "unchanged", (json_int_t)res.unchanged,
	    "dropped", (json_int_t)res.dropped, "disabled",
	    (json_int_t)res.disabled, "changes");
	for (line = res.log.data; out != NULL && line != NULL && *line != '\0';
	    line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		json_array_append_new(json_object_get(out, "changes"),
		    json_stringn(line, (size_t)(nl - line)));
		/* Accounts disabled by the turnover: their servers stop. */
		if (!dry && strncmp(line, "disable ", 8) == 0) {
			char	 who[USERNAME_MAX + 1], why[128];

			snprintf(who, sizeof(who), "%.*s", (int)(nl - line - 8),
			    line + 8);
			(void)server_stop(who, "dropped", why, sizeof(why));
		}
	}
	if (!dry && out != NULL && res.passwords.len > 0) {
		/* One-time passwords to hand out, shown once. */
		pw = json_array();
		for (line = res.passwords.data; *line != '\0'; line = nl + 1) {
			const char *comma = strchr(line, ',');

			if ((nl = strchr(line, '\n')) == NULL || comma == NULL)
				break;
			json_array_append_new(pw, json_pack("{s:s%, s:s%}",
			    "name", line, (size_t)(comma - line), "password",
			    comma + 1, (size_t)(nl - comma - 1)));
		}
		json_object_set_new(out, "passwords", pw);
	}
	if (!dry && out != NULL && links) {
		/* Links to send, shown once (only hashes are kept). */
		json_t	*la = json_array();
		char	 url[LINK_URL_MAX];
		size_t	 i;

		for (i = 0; la != NULL && i < res.nlinks; i++) {
			const struct import_link *il = &res.links[i];

			if (request_link_url(rq, il->token, url,
			    sizeof(url)) != 0)
				url[0] = '\0';
			json_array_append_new(la, json_pack("{s:s, s:s, s:s+, "
			    "s:o}", "name", ro->rows[il->row].username, "url",
			    url, "path", LINK_PATH, il->token, "expires",
			    time_or_null(il->expires)));
			explicit_bzero(url, sizeof(url));
		}
		json_object_set_new(out, "links", la);
	}
	roster_free(ro);
	import_result_free(&res);
	log_info("roster of %s %s by %s", c->code, dry ? "previewed" :
	    "imported", rq->user.name);
	return http_json(rq, dry ? 200 : 201, out);
}

/* Whether user is one of the names in the JSON array arg. */
static int
listed(const char *user, void *arg)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach((json_t *)arg, i, v)
		if (strcmp(json_string_value(v), user) == 0)
			return 1;
	return 0;
}

/* Start or stop the servers of every student of the course (a class
 * start: the queue takes them in order), or of those in "users". */
static enum MHD_Result
course_servers(struct request *rq, const struct course *c, enum course_access a)
{
	static const char *const known[] = { "users", NULL };
	enum MHD_Result r = MHD_NO;
	json_t	*j, *users, *v;
	size_t	 i;
	int	 start = 0;
	unsigned n;

	if (a < ACC_TA)
		return http_json_error(rq, 403, "only the course's instructors "
		    "and TAs start its servers");
	if (strcmp(rq->method, "POST") == 0)
		start = 1;
	else if (strcmp(rq->method, "DELETE") != 0)
		return http_json_error(rq, 405, "POST or DELETE here");
	if ((j = object_body(rq, known, &r)) == NULL)
		return r;
	if ((users = json_object_get(j, "users")) != NULL) {
		if (!json_is_array(users) || json_array_size(users) == 0)
			r = http_json_error(rq, 400, "users must be a list of "
			    "user names");
		json_array_foreach(users, i, v)
			if (r == MHD_NO && !json_is_string(v))
				r = http_json_error(rq, 400, "users[%zu] must "
				    "be a user name", i);
		if (r != MHD_NO) {
			json_decref(j);
			return r;
		}
	}
	if (course_servers_all(rq->st, c, start, users != NULL ? listed : NULL,
	    users, &n) != 0) {
		json_decref(j);
		return http_json_error(rq, 500, "cannot read the roster");
	}
	(void)store_audit(rq->st, rq->user.name, start ? "course.start" :
	    "course.stop", c->code, users != NULL ? "selected" : NULL,
	    rq->addr);
	json_decref(j);
	return http_json(rq, 202, json_pack("{s:I}", start ? "starting" :
	    "stopping", (json_int_t)n));
}

/* POST .../users/NAME/link {"expires_in": s}: a link for the student to
 * choose a password (the first, or a new one); an older one stops. */
static enum MHD_Result
user_link(struct request *rq, const struct course *c, const struct user *u)
{
	static const char *const known[] = { "expires_in", NULL };
	enum MHD_Result r = MHD_NO;
	char	 token[SECRET_HEX + 1], url[LINK_URL_MAX], err[256];
	struct account_link l;
	json_int_t expires = LINK_LIFETIME;
	json_t	*j, *v;

	if ((j = object_body(rq, known, &r)) == NULL)
		return r;
	if ((v = json_object_get(j, "expires_in")) != NULL &&
	    !json_is_null(v) && (!json_is_integer(v) ||
	    (expires = json_integer_value(v)) <= 0 ||
	    expires > LINK_LIFETIME_MAX)) {
		json_decref(j);
		return http_json_error(rq, 400, "'expires_in' must be seconds, "
		    "at most %d days", LINK_LIFETIME_MAX / 86400);
	}
	json_decref(j);
	if (u->auth != AUTH_NATIVE)
		return http_json_error(rq, 409, "%s logs in with a campus (PAM) "
		    "account: its password is the institution's, a link cannot "
		    "set it", u->name);
	if (account_link_create(rq->st, u, c->id, (unsigned)expires,
	    rq->user.name, rq->addr, token, sizeof(token), &l, err,
	    sizeof(err)) != 0)
		return http_json_error(rq, 409, "%s", err);
	if (request_link_url(rq, token, url, sizeof(url)) != 0)
		url[0] = '\0';
	log_info("link for %s made by %s (%s)", u->name, rq->user.name,
	    c->code);
	r = http_json(rq, 201, json_pack("{s:s, s:s, s:s, s:s+, s:o}", "name",
	    u->name, "kind", l.kind == LINK_ENROLL ? "enroll" : "reset", "url",
	    url, "path", LINK_PATH, token, "expires", time_or_null(l.expires)));
	explicit_bzero(token, sizeof(token));
	explicit_bzero(url, sizeof(url));
	return r;
}

/* .../users/NAME[/password|/link]: enroll, drop, a new one-time password
 * or a link. */
static enum MHD_Result
course_user(struct request *rq, const struct course *c, enum course_access a,
    const char *rest)
{
	static const char *const known[] = { "role", NULL };
	char	 name[USERNAME_MAX + 1], err[256], otp[ONE_TIME_PASSWORD_LEN + 1];
	const char *slash = strchr(rest, '/'), *rolestr = NULL;
	size_t	 n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	struct enrollment e;
	struct user u;
	enum roster_role role = ROSTER_STUDENT;
	enum MHD_Result r = MHD_NO;
	json_t	*j;

	if (n == 0 || n > USERNAME_MAX)
		return http_json_error(rq, 404, "no such user");
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!username_valid(name) || store_user_get(rq->st, name, &u) != 0)
		return http_json_error(rq, 404, "no such user: %s", name);
	if (slash != NULL && strcmp(slash, "/link") == 0) {
		if (strcmp(rq->method, "POST") != 0)
			return http_json_error(rq, 405, "only POST here");
		if (a < ACC_TA || store_enroll_get(rq->st, c->id, u.id, &e) != 0 ||
		    e.dropped != 0 || e.role != ROSTER_STUDENT)
			return http_json_error(rq, 403, "you can make links for "
			    "this course's students only");
		return user_link(rq, c, &u);
	}
	if (slash != NULL && strcmp(slash, "/password") == 0) {
		if (strcmp(rq->method, "POST") != 0)
			return http_json_error(rq, 405, "only POST here");
		if (a < ACC_TA || store_enroll_get(rq->st, c->id, u.id, &e) != 0 ||
		    e.dropped != 0 || e.role != ROSTER_STUDENT)
			return http_json_error(rq, 403, "you can reset the "
			    "passwords of this course's students only");
		if (u.auth != AUTH_NATIVE)
			return http_json_error(rq, 409, "%s logs in with a "
			    "campus account", name);
		random_password(otp, sizeof(otp));
		if (account_set_password(rq->st, &u, otp, 1, rq->user.name, err,
		    sizeof(err)) != 0 ||
		    store_session_delete_user(rq->st, u.id) != 0) {
			explicit_bzero(otp, sizeof(otp));
			return http_json_error(rq, 500, "%s", err);
		}
		log_info("password of %s reset by %s (%s)", name, rq->user.name,
		    c->code);
		r = http_json(rq, 200, json_pack("{s:s, s:s}", "name", name,
		    "password", otp));
		explicit_bzero(otp, sizeof(otp));
		return r;
	}
	if (slash != NULL)
		return http_json_error(rq, 404, "no such API path");
	if (a < ACC_INSTRUCTOR)
		return http_json_error(rq, 403, "only the course's instructors "
		    "change its roster");
	if (strcmp(rq->method, "DELETE") == 0) {
		if (store_enroll_get(rq->st, c->id, u.id, &e) != 0 ||
		    e.dropped != 0)
			return http_json_error(rq, 404, "%s is not in %s", name,
			    c->code);
		e.dropped = time(NULL);
		if (store_enroll_put(rq->st, c->id, &e) != 0)
			return http_json_error(rq, 500, "database error");
		(void)store_audit(rq->st, rq->user.name, "course.drop", name,
		    c->code, rq->addr);
		return http_queue(rq, 204, http_response(&(struct buf){ 0 },
		    "application/json"));
	}
	if (strcmp(rq->method, "POST") != 0)
		return http_json_error(rq, 405, "POST or DELETE here");
	if ((j = object_body(rq, known, &r)) == NULL)
		return r;
	if (get_string(j, "role", &rolestr, 16, rq, &r) == -1)
		goto done;
	if (rolestr != NULL && course_role_parse(rolestr, &role) == -1) {
		r = http_json_error(rq, 400, "'role' must be student, ta or "
		    "instructor");
		goto done;
	}
	if (course_enroll(rq->st, c, &u, role, rq->user.name, err,
	    sizeof(err)) != 0) {
		r = http_json_error(rq, 500, "%s", err);
		goto done;
	}
	r = http_json(rq, 201, json_pack("{s:s, s:s, s:s}", "name", name,
	    "course", c->code, "role", roster_role_name(role)));
done:
	json_decref(j);
	return r;
}

/* /hub/api/courses[...] with the caller authenticated. */
enum MHD_Result
api_courses(struct request *rq, const char *p)
{
	char	 code[COURSE_CODE_MAX + 1];
	const char *slash;
	struct course c;
	enum course_access a;
	enum MHD_Result r = MHD_NO;
	size_t	 n;

	if (*p == '\0') {
		if (strcmp(rq->method, "GET") == 0)
			return courses_list(rq);
		if (strcmp(rq->method, "POST") == 0)
			return courses_create(rq);
		return http_json_error(rq, 405, "GET or POST here");
	}
	if (*p++ != '/')
		return http_json_error(rq, 404, "no such API path");
	if (strcmp(p, "join") == 0)
		return course_join_api(rq);
	slash = strchr(p, '/');
	n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n > COURSE_CODE_MAX)
		return http_json_error(rq, 404, "no such course");
	memcpy(code, p, n);
	code[n] = '\0';
	if ((a = course_access(rq, code, &c, &r)) == ACC_NONE)
		return r;
	if (slash == NULL) {
		if (strcmp(rq->method, "GET") == 0)
			return http_json(rq, 200, course_json(&c, a));
		if (strcmp(rq->method, "PATCH") == 0)
			return course_patch(rq, &c, a);
		return http_json_error(rq, 405, "GET or PATCH here");
	}
	if (strcmp(slash, "/roster") == 0) {
		if (strcmp(rq->method, "GET") == 0)
			return roster_get(rq, &c, a);
		if (strcmp(rq->method, "POST") == 0)
			return roster_import(rq, &c, a);
		return http_json_error(rq, 405, "GET or POST here");
	}
	if (strcmp(slash, "/servers") == 0)
		return course_servers(rq, &c, a);
	if (strcmp(slash, "/join-code") == 0)
		return join_code(rq, &c, a);
	if (strncmp(slash, "/users/", 7) == 0)
		return course_user(rq, &c, a, slash + 7);
	return http_json_error(rq, 404, "no such API path");
}
