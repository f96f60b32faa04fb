/*
 * The REST API at JupyterHub's paths, so its clients and habits carry over.
 * Auth: "Authorization: token T", or the session cookie plus the X-XSRFToken
 * header.  Errors are {"status": N, "message": "..."}.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "hubd.h"

static json_t *
time_json(time_t t)
{
	char	 s[32];

	return format_time(t, s, sizeof(s)) == 0 ? json_string(s) : json_null();
}

static const char *
pending_of(enum server_state st)
{
	return st == SRV_QUEUED || st == SRV_STARTING ? "spawn" :
	    st == SRV_STOPPING ? "stop" : NULL;
}

/* JupyterHub's server model, and its place in the hub's queue. */
static json_t *
server_json(const char *name, const struct server_row *r, unsigned place)
{
	char	 url[64];

	snprintf(url, sizeof(url), "/user/%s/", name);
	return json_pack("{s:s, s:b, s:s?, s:s, s:s, s:o, s:o, s:o, s:i, s:s, "
	    "s:I, s:i}",
	    "name", "",
	    "ready", r->state == SRV_RUNNING,
	    "pending", pending_of(r->state),
	    "url", url,
	    "state", server_state_name(r->state),
	    "started", time_json(r->started ? r->started : r->requested),
	    "last_activity", time_json(r->last_activity),
	    "stopped", time_json(r->stopped),
	    "queue_place", (int)place,
	    "message", r->message,
	    "oom_kills", (json_int_t)r->oom_kills,
	    "exit_status", r->exit_status);
}

static json_t *
user_json(const struct user *u)
{
	struct server_row r;
	unsigned place = 0;
	json_t	*j, *servers;
	char	 url[64];
	int	 known = server_get(u->name, &r, &place) == 0;

	j = json_pack("{s:s, s:s, s:s, s:b, s:s, s:b, s:b, s:o, s:o, s:o, "
	    "s:[], s:n, s:{}, s:n}",
	    "kind", "user",
	    "name", u->name,
	    "role", role_name(u->role),
	    "admin", u->role == ROLE_ADMIN,
	    "auth", auth_name(u->auth),
	    "disabled", u->disabled,
	    "password_expired", u->password_expired,
	    "created", time_json(u->created),
	    "last_login", time_json(u->last_login),
	    "last_activity", time_json(u->last_login),
	    "groups",
	    "server",
	    "servers",
	    "pending");
	if (j == NULL || !known)
		return j;
	snprintf(url, sizeof(url), "/user/%s/", u->name);
	if (r.state == SRV_RUNNING)
		json_object_set_new(j, "server", json_string(url));
	if (pending_of(r.state) != NULL)
		json_object_set_new(j, "pending",
		    json_string(pending_of(r.state)));
	if (r.state != SRV_STOPPED && r.state != SRV_FAILED &&
	    (servers = json_object_get(j, "servers")) != NULL)
		json_object_set_new(servers, "", server_json(u->name, &r, place));
	if (r.last_activity > u->last_login)
		json_object_set_new(j, "last_activity",
		    time_json(r.last_activity));
	return j;
}

static json_t *
token_json(const struct api_token *t, const char *user)
{
	char	 id[32];

	snprintf(id, sizeof(id), "%lld", (long long)t->id);
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:[s]}",
	    "kind", "api_token", "id", id, "user", user, "note", t->note,
	    "created", time_json(t->created), "expires_at",
	    time_json(t->expires), "last_activity", time_json(t->last_used),
	    "scopes", "inherit");
}

/*
 * The request body as a JSON object; an empty body is {} unless required.
 * Fields outside known (NULL-terminated) are refused.  NULL after an error
 * answer has been queued (in *r).
 */
static json_t *
body_object(struct request *rq, int required, const char *const *known,
    enum MHD_Result *r)
{
	json_error_t jerr;
	json_t	*j, *v;
	const char *key;
	size_t	 i;

	if (rq->body.len == 0 && !required)
		return json_object();
	if (rq->body.len == 0) {
		*r = http_json_error(rq, 400, "a JSON object body is required");
		return NULL;
	}
	j = json_loadb(rq->body.data, rq->body.len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (j == NULL) {
		*r = http_json_error(rq, 400, "invalid JSON: %s (line %d, "
		    "column %d)", jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*r = http_json_error(rq, 400, "the body must be a JSON object");
		return NULL;
	}
	json_object_foreach(j, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] == NULL) {
			*r = http_json_error(rq, 400, "unknown field '%s'", key);
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

/* Typed fields: 0 when absent or right, -1 after queueing a 400. */
static int
field_string(struct request *rq, json_t *j, const char *name,
    const char **out, enum MHD_Result *r)
{
	json_t	*v = json_object_get(j, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		*r = http_json_error(rq, 400, "'%s' must be a string", name);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int
field_bool(struct request *rq, json_t *j, const char *name, int *out,
    enum MHD_Result *r)
{
	json_t	*v = json_object_get(j, name);

	*out = -1;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		*r = http_json_error(rq, 400, "'%s' must be true or false",
		    name);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* role and admin of a body into *role (left alone when neither given). */
static int
field_role(struct request *rq, json_t *j, enum role *role,
    enum MHD_Result *r)
{
	const char *s;
	int	 admin;

	if (field_string(rq, j, "role", &s, r) == -1 ||
	    field_bool(rq, j, "admin", &admin, r) == -1)
		return -1;
	if (s != NULL && role_parse(s, role) == -1) {
		*r = http_json_error(rq, 400, "'role' must be student, "
		    "instructor or admin");
		return -1;
	}
	if (s != NULL && admin != -1 && (admin == 1) != (*role == ROLE_ADMIN)) {
		*r = http_json_error(rq, 400, "'admin' and 'role' disagree");
		return -1;
	}
	if (s == NULL && admin == 1)
		*role = ROLE_ADMIN;
	else if (s == NULL && admin == 0 && *role == ROLE_ADMIN)
		*role = ROLE_STUDENT;
	return 0;
}

static int
field_auth(struct request *rq, json_t *j, enum auth_kind *auth,
    enum MHD_Result *r)
{
	const char *s;

	if (field_string(rq, j, "auth", &s, r) == -1)
		return -1;
	if (s != NULL && auth_parse(s, auth) == -1) {
		*r = http_json_error(rq, 400, "'auth' must be native or pam");
		return -1;
	}
	return 0;
}

static enum MHD_Result
store_failed(struct request *rq)
{
	store_rollback(rq->st);
	return http_json_error(rq, 500, "database error; the hub's log says "
	    "more");
}

static int
collect_user(const struct user *u, void *arg)
{
	return json_array_append_new(arg, user_json(u));
}

static enum MHD_Result
users_list(struct request *rq)
{
	json_t	*a = json_array();

	if (a == NULL || store_user_list(rq->st, collect_user, a) != 0) {
		json_decref(a);
		return store_failed(rq);
	}
	return http_json(rq, 200, a);
}

/* Create name from body j into the array out; the user's one-time
 * password, when made here, is in the answer once. */
static int
create_one(struct request *rq, const char *name, json_t *j, json_t *out,
    enum MHD_Result *r)
{
	enum role role = ROLE_STUDENT;
	enum auth_kind auth = AUTH_NATIVE;
	const char *pw;
	char	 otp[ONE_TIME_PASSWORD_LEN + 1], err[256];
	struct user u;
	json_t	*uj;
	int	 c;

	if (field_role(rq, j, &role, r) == -1 ||
	    field_auth(rq, j, &auth, r) == -1 ||
	    field_string(rq, j, "password", &pw, r) == -1)
		return -1;
	if (auth == AUTH_PAM && pw != NULL) {
		*r = http_json_error(rq, 400, "PAM accounts have no password "
		    "on the hub");
		return -1;
	}
	if (auth == AUTH_NATIVE && pw == NULL)
		random_password(otp, sizeof(otp));
	c = account_create(rq->st, name, role, auth, pw != NULL ? pw : otp,
	    pw == NULL, rq->user.name, err, sizeof(err));
	if (c != 0) {
		*r = http_json_error(rq, c == STORE_EXISTS ? 409 : 400, "%s",
		    err);
		explicit_bzero(otp, sizeof(otp));
		return -1;
	}
	if (store_user_get(rq->st, name, &u) != 0) {
		*r = store_failed(rq);
		return -1;
	}
	uj = user_json(&u);
	if (auth == AUTH_NATIVE && pw == NULL)
		json_object_set_new(uj, "password", json_string(otp));
	explicit_bzero(otp, sizeof(otp));
	json_array_append_new(out, uj);
	log_info("user %s added by %s (%s)", name, rq->user.name,
	    role_name(role));
	return 0;
}

static enum MHD_Result
users_create(struct request *rq, const char *name)
{
	static const char *const one[] = { "role", "admin", "auth",
	    "password", NULL };
	static const char *const many[] = { "usernames", "role", "admin",
	    "auth", NULL };
	enum MHD_Result r = MHD_NO;
	json_t	*j, *names, *v, *out;
	size_t	 i;

	if ((j = body_object(rq, name == NULL, name != NULL ? one : many,
	    &r)) == NULL)
		return r;
	out = json_array();
	if (store_begin(rq->st) != 0) {
		json_decref(j);
		json_decref(out);
		return store_failed(rq);
	}
	if (name != NULL) {
		if (create_one(rq, name, j, out, &r) == -1)
			goto fail;
	} else {
		names = json_object_get(j, "usernames");
		if (!json_is_array(names) || json_array_size(names) == 0) {
			r = http_json_error(rq, 400, "'usernames' must be a "
			    "non-empty list of names");
			goto fail;
		}
		json_array_foreach(names, i, v) {
			if (!json_is_string(v)) {
				r = http_json_error(rq, 400, "'usernames' must "
				    "hold strings");
				goto fail;
			}
			if (create_one(rq, json_string_value(v), j, out,
			    &r) == -1)
				goto fail;
		}
	}
	if (store_commit(rq->st) != 0) {
		r = store_failed(rq);
		goto fail;
	}
	json_decref(j);
	if (name != NULL) {
		v = json_incref(json_array_get(out, 0));
		json_decref(out);
		out = v;
	}
	return http_json(rq, 201, out);
fail:
	store_rollback(rq->st);
	json_decref(j);
	json_decref(out);
	return r;
}

static enum MHD_Result
user_patch(struct request *rq, struct user *u)
{
	static const char *const known[] = { "name", "role", "admin",
	    "disabled", "password", "auth", NULL };
	enum MHD_Result r = MHD_NO;
	struct user nu = *u;
	const char *name, *pw;
	char	 err[256], *detail;
	int	 disabled, revoke = 0, c;
	json_t	*j;

	if ((j = body_object(rq, 1, known, &r)) == NULL)
		return r;
	if (field_string(rq, j, "name", &name, &r) == -1 ||
	    field_role(rq, j, &nu.role, &r) == -1 ||
	    field_auth(rq, j, &nu.auth, &r) == -1 ||
	    field_bool(rq, j, "disabled", &disabled, &r) == -1 ||
	    field_string(rq, j, "password", &pw, &r) == -1)
		goto done;
	if (disabled != -1)
		nu.disabled = disabled;
	if (name != NULL && !username_valid(name)) {
		r = http_json_error(rq, 400, "'%s' is not a valid user name",
		    name);
		goto done;
	}
	if (name != NULL && strcmp(name, u->name) != 0) {
		struct server_row sr;

		if (server_get(u->name, &sr, NULL) == 0 &&
		    sr.state != SRV_STOPPED && sr.state != SRV_FAILED) {
			r = http_json_error(rq, 409, "stop %s's server before "
			    "renaming the account", u->name);
			goto done;
		}
	}
	if (pw != NULL && nu.auth != AUTH_NATIVE) {
		r = http_json_error(rq, 400, "PAM accounts have no password "
		    "on the hub");
		goto done;
	}
	if (store_begin(rq->st) != 0) {
		r = store_failed(rq);
		goto done;
	}
	if (!account_keeps_admin(rq->st, u, &nu)) {
		store_rollback(rq->st);
		r = http_json_error(rq, 409, "'%s' is the last enabled admin",
		    u->name);
		goto done;
	}
	if (nu.auth == AUTH_PAM)
		nu.password_hash[0] = '\0';
	if (pw != NULL) {
		if (account_set_password(rq->st, &nu, pw, 0, rq->user.name,
		    err, sizeof(err)) != 0) {
			store_rollback(rq->st);
			r = http_json_error(rq, 400, "%s", err);
			goto done;
		}
		revoke = 1;
	} else if (store_user_update(rq->st, &nu) != 0) {
		r = store_failed(rq);
		goto done;
	}
	if (nu.disabled && !u->disabled)
		revoke = 1;
	if (name != NULL && strcmp(name, u->name) != 0) {
		if ((c = store_user_rename(rq->st, u->id, name)) != 0) {
			store_rollback(rq->st);
			r = c == STORE_EXISTS ? http_json_error(rq, 409,
			    "user '%s' already exists", name) :
			    store_failed(rq);
			goto done;
		}
		snprintf(nu.name, sizeof(nu.name), "%s", name);
	}
	if (revoke && store_session_delete_user(rq->st, u->id) != 0) {
		r = store_failed(rq);
		goto done;
	}
	json_object_del(j, "password");	/* never in the audit log */
	detail = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	(void)store_audit(rq->st, rq->user.name, "user.update", u->name,
	    detail, rq->addr);
	free(detail);
	if (store_commit(rq->st) != 0) {
		r = store_failed(rq);
		goto done;
	}
	log_info("user %s changed by %s", nu.name, rq->user.name);
	if (nu.disabled && !u->disabled &&
	    server_stop(nu.name, "account disabled", err, sizeof(err)) == -1)
		log_warnx("server of %s: %s", nu.name, err);
	r = http_json(rq, 200, user_json(&nu));
done:
	json_decref(j);
	return r;
}

static enum MHD_Result
user_delete(struct request *rq, struct user *u)
{
	struct buf b = { 0 };
	char	 err[256];

	if (store_begin(rq->st) != 0)
		return store_failed(rq);
	if (!account_keeps_admin(rq->st, u, NULL)) {
		store_rollback(rq->st);
		return http_json_error(rq, 409, "'%s' is the last enabled admin",
		    u->name);
	}
	if (store_user_delete(rq->st, u->id) != 0)
		return store_failed(rq);
	(void)store_audit(rq->st, rq->user.name, "user.delete", u->name, NULL,
	    rq->addr);
	if (store_commit(rq->st) != 0)
		return store_failed(rq);
	log_info("user %s deleted by %s", u->name, rq->user.name);
	if (server_stop(u->name, "account deleted", err, sizeof(err)) == -1)
		log_warnx("server of %s: %s", u->name, err);
	return http_queue(rq, 204, http_response(&b, "application/json"));
}

struct token_list {
	json_t		*a;
	const char	*user;
};

static int
collect_token(const struct api_token *t, void *arg)
{
	struct token_list *tl = arg;

	return json_array_append_new(tl->a, token_json(t, tl->user));
}

static enum MHD_Result
tokens(struct request *rq, struct user *u, const char *rest)
{
	static const char *const known[] = { "note", "expires_in", "scopes",
	    NULL };
	enum MHD_Result r = MHD_NO;
	struct token_list tl;
	struct api_token t;
	char	 secret[SECRET_HEX + 1], err[256];
	const char *note;
	json_t	*j, *v, *out;
	struct buf b = { 0 };
	json_int_t expires = 0;
	char	*end;
	long long id;

	if (*rest == '/') {	/* /tokens/ID */
		errno = 0;
		id = strtoll(rest + 1, &end, 10);
		if (rest[1] < '0' || rest[1] > '9' || *end != '\0' || errno)
			return http_json_error(rq, 404, "no such token");
		if (strcmp(rq->method, "DELETE") != 0)
			return http_json_error(rq, 405, "%s is not allowed "
			    "here; allowed: DELETE", rq->method);
		if (store_token_delete(rq->st, u->id, id) != 0)
			return http_json_error(rq, 404, "no such token");
		(void)store_audit(rq->st, rq->user.name, "token.delete",
		    u->name, NULL, rq->addr);
		return http_queue(rq, 204, http_response(&b,
		    "application/json"));
	}
	if (*rest != '\0')
		return http_json_error(rq, 404, "no such API path");
	if (strcmp(rq->method, "GET") == 0) {
		tl.a = json_array();
		tl.user = u->name;
		if (store_token_list(rq->st, u->id, collect_token, &tl) != 0) {
			json_decref(tl.a);
			return store_failed(rq);
		}
		return http_json(rq, 200, json_pack("{s:o, s:[]}",
		    "api_tokens", tl.a, "oauth_tokens"));
	}
	if (strcmp(rq->method, "POST") != 0)
		return http_json_error(rq, 405, "%s is not allowed here; "
		    "allowed: GET, POST", rq->method);
	if ((j = body_object(rq, 0, known, &r)) == NULL)
		return r;
	if (field_string(rq, j, "note", &note, &r) == -1)
		goto done;
	if ((v = json_object_get(j, "expires_in")) != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || (expires = json_integer_value(v)) <= 0 ||
		    expires > 10LL * 366 * 86400) {
			r = http_json_error(rq, 400, "'expires_in' must be a "
			    "number of seconds from 1 to ten years");
			goto done;
		}
	}
	if (account_token_create(rq->st, u, note, (unsigned)expires,
	    rq->user.name, secret, sizeof(secret), &t, err, sizeof(err)) != 0) {
		r = http_json_error(rq, 400, "%s", err);
		goto done;
	}
	out = token_json(&t, u->name);
	json_object_set_new(out, "token", json_string(secret));
	explicit_bzero(secret, sizeof(secret));
	log_info("token %lld for %s made by %s", (long long)t.id, u->name,
	    rq->user.name);
	r = http_json(rq, 201, out);
done:
	json_decref(j);
	return r;
}

struct progress {
	char		 user[USERNAME_MAX + 1];
	unsigned	 seq;
	int		 done;
	time_t		 end;
};

/* The event stream of a start, in JupyterHub's shape; the reader may
 * block (a thread per connection). */
static ssize_t
progress_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct progress *p = arg;
	struct server_event ev;
	char	 url[64], *js;
	json_t	*j;
	int	 r, n;

	if (p->done || time(NULL) > p->end)
		return MHD_CONTENT_READER_END_OF_STREAM;
	r = server_next_event(p->user, &p->seq, &ev, 15000);
	if (r == 0)
		return snprintf(buf, max, ": waiting\n\n");
	if (r == -1) {
		p->done = 1;
		return snprintf(buf, max, "data: {\"progress\": 100, "
		    "\"failed\": true, \"message\": \"No server is "
		    "starting.\"}\n\n");
	}
	snprintf(url, sizeof(url), "/user/%s/", p->user);
	j = json_pack("{s:i, s:s, s:b, s:b}", "progress", ev.progress,
	    "message", ev.message, "ready", ev.ready, "failed", ev.failed);
	if (j != NULL && ev.ready)
		json_object_set_new(j, "url", json_string(url));
	js = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (js == NULL)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = snprintf(buf, max, "data: %s\n\n", js);
	free(js);
	if (ev.ready || ev.failed)
		p->done = 1;
	return n < 0 || (size_t)n >= max ? MHD_CONTENT_READER_END_WITH_ERROR :
	    n;
}

static enum MHD_Result
server_progress(struct request *rq, const struct user *u)
{
	struct MHD_Response *resp;
	struct progress *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return MHD_NO;
	snprintf(p->user, sizeof(p->user), "%s", u->name);
	p->end = time(NULL) + rq->cf->server_start_timeout + 600;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
	    progress_read, p, free);
	if (resp == NULL) {
		free(p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/event-stream");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return http_queue(rq, 200, resp);
}

static enum MHD_Result
server_path(struct request *rq, struct user *u, const char *rest)
{
	struct server_row r;
	unsigned place = 0;
	char	 err[256];
	int	 c;

	if (strcmp(rest, "/progress") == 0) {
		if (strcmp(rq->method, "GET") != 0)
			return http_json_error(rq, 405, "only GET here");
		return server_progress(rq, u);
	}
	if (*rest != '\0')
		return http_json_error(rq, 404, "no such API path");
	if (u->disabled)
		return http_json_error(rq, 403, "%s is disabled", u->name);
	if (strcmp(rq->method, "POST") == 0) {
		c = server_start(u, err, sizeof(err));
		if (c == -1)
			return http_json_error(rq, 409, "%s", err);
		if (c == 0)
			(void)store_audit(rq->st, rq->user.name, "server.start",
			    u->name, NULL, rq->addr);
		(void)server_get(u->name, &r, &place);
		return http_json(rq, c == 1 ? 201 : 202,
		    server_json(u->name, &r, place));
	}
	if (strcmp(rq->method, "DELETE") == 0) {
		c = server_stop(u->name, "asked", err, sizeof(err));
		if (c == -1)
			return http_json_error(rq, 500, "%s", err);
		if (c == 1)
			return http_queue(rq, 204, http_response(
			    &(struct buf){ 0 }, "application/json"));
		(void)store_audit(rq->st, rq->user.name, "server.stop", u->name,
		    NULL, rq->addr);
		return http_json(rq, 202, json_pack("{s:s}", "status",
		    "stopping"));
	}
	return http_json_error(rq, 405, "%s is not allowed here; allowed: "
	    "POST, DELETE", rq->method);
}

/* JupyterHub's activity report: {"last_activity": ISO 8601}. */
static enum MHD_Result
activity(struct request *rq, struct user *u)
{
	static const char *const known[] = { "last_activity", "servers",
	    NULL };
	enum MHD_Result r = MHD_NO;
	const char *when;
	struct tm tm;
	json_t	*j;
	time_t	 t;

	if (strcmp(rq->method, "POST") != 0)
		return http_json_error(rq, 405, "only POST here");
	if ((j = body_object(rq, 1, known, &r)) == NULL)
		return r;
	if (field_string(rq, j, "last_activity", &when, &r) == -1)
		goto done;
	memset(&tm, 0, sizeof(tm));
	if (when == NULL || strptime(when, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		r = http_json_error(rq, 400, "'last_activity' must be an ISO "
		    "8601 time like 2026-01-31T12:00:00Z");
		goto done;
	}
	t = timegm(&tm);
	server_activity(u->name, t);
	r = http_json(rq, 200, json_pack("{s:s}", "status", "ok"));
done:
	json_decref(j);
	return r;
}

/* /hub/api/users/NAME[/...] */
static enum MHD_Result
user_path(struct request *rq, const char *p)
{
	char	 name[USERNAME_MAX + 1];
	const char *slash = strchr(p, '/');
	size_t	 n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	struct user u;
	int	 self, admin = rq->user.role == ROLE_ADMIN, found;

	if (n == 0 || n > USERNAME_MAX)
		return http_json_error(rq, 404, "no such user");
	memcpy(name, p, n);
	name[n] = '\0';
	if (!username_valid(name))
		return http_json_error(rq, 404, "no such user");
	self = strcmp(name, rq->user.name) == 0;
	if (!admin && !self)
		return http_json_error(rq, 403, "this needs the admin role");
	found = store_user_get(rq->st, name, &u);
	if (found == -1)
		return store_failed(rq);
	if (slash == NULL) {
		if (strcmp(rq->method, "POST") == 0) {
			if (!admin)
				return http_json_error(rq, 403, "this needs "
				    "the admin role");
			return users_create(rq, name);
		}
		if (found != 0)
			return http_json_error(rq, 404, "no such user: %s", name);
		if (strcmp(rq->method, "GET") == 0)
			return http_json(rq, 200, user_json(&u));
		if (!admin)
			return http_json_error(rq, 403, "this needs the admin "
			    "role");
		if (strcmp(rq->method, "PATCH") == 0)
			return user_patch(rq, &u);
		if (strcmp(rq->method, "DELETE") == 0)
			return user_delete(rq, &u);
		return http_json_error(rq, 405, "%s is not allowed here; "
		    "allowed: GET, POST, PATCH, DELETE", rq->method);
	}
	if (found != 0)
		return http_json_error(rq, 404, "no such user: %s", name);
	if (strncmp(slash, "/tokens", 7) == 0)
		return tokens(rq, &u, slash + 7);
	if (strncmp(slash, "/server", 7) == 0)
		return server_path(rq, &u, slash + 7);
	if (strcmp(slash, "/activity") == 0)
		return activity(rq, &u);
	return http_json_error(rq, 404, "no such API path");
}

enum MHD_Result
api_route(struct request *rq)
{
	const char *p = rq->path + 8;	/* after /hub/api */
	const char *x;
	char	 xq[XSRF_HEX + 8];
	int	 t;

	if (strcmp(p, "") == 0 || strcmp(p, "/") == 0) {
		if (strcmp(rq->method, "GET") != 0 &&
		    strcmp(rq->method, "HEAD") != 0)
			return http_json_error(rq, 405, "only GET here");
		return http_json(rq, 200, json_pack("{s:s}", "version",
		    PACKAGE_VERSION));
	}
	if ((t = http_auth_token(rq)) == -1)
		return http_json_error(rq, 403, "invalid or expired API token");
	if (t == 0) {
		if (!http_auth_session(rq))
			return http_json_error(rq, 403, "missing credentials: "
			    "send 'Authorization: token T' or log in");
		x = http_header(rq, XSRF_HEADER);
		if (x == NULL && strcmp(rq->method, "GET") == 0 &&
		    http_query(rq, "_xsrf", xq, sizeof(xq)) == 0)
			x = xq;	/* EventSource cannot send headers */
		if (!http_xsrf_ok(rq, x)) {
			rq->authed = 0;
			return http_json_error(rq, 403, "XSRF check failed: "
			    "send the " XSRF_HEADER " header with the page's "
			    "token");
		}
	}
	if (strcmp(p, "/user") == 0) {
		if (strcmp(rq->method, "GET") != 0 &&
		    strcmp(rq->method, "HEAD") != 0)
			return http_json_error(rq, 405, "only GET here");
		return http_json(rq, 200, user_json(&rq->user));
	}
	if (rq->via == VIA_SESSION && rq->user.password_expired)
		return http_json_error(rq, 403, "change the one-time password "
		    "first (/hub/password)");
	if (strcmp(p, "/users") == 0) {
		if (rq->user.role != ROLE_ADMIN)
			return http_json_error(rq, 403, "this needs the admin "
			    "role");
		if (strcmp(rq->method, "GET") == 0 ||
		    strcmp(rq->method, "HEAD") == 0)
			return users_list(rq);
		if (strcmp(rq->method, "POST") == 0)
			return users_create(rq, NULL);
		return http_json_error(rq, 405, "%s is not allowed here; "
		    "allowed: GET, POST", rq->method);
	}
	if (strncmp(p, "/users/", 7) == 0)
		return user_path(rq, p + 7);
	if (strcmp(p, "/courses") == 0 || strncmp(p, "/courses/", 9) == 0)
		return api_courses(rq, p + 8);
	return http_json_error(rq, 404, "no such API path");
}
