/*
 * Courses and their rosters: importing what an LMS exported (accounts made,
 * people enrolled, role and section changes, drops at semester turnover),
 * in one transaction, with a dry run that is the same run rolled back.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubd.h"
#include "roster.h"

int
course_role_parse(const char *s, enum roster_role *r)
{
	if (strcmp(s, "student") == 0)
		*r = ROSTER_STUDENT;
	else if (strcmp(s, "ta") == 0)
		*r = ROSTER_TA;
	else if (strcmp(s, "instructor") == 0)
		*r = ROSTER_INSTRUCTOR;
	else
		return -1;
	return 0;
}

/* The one-time passwords and links of an import: wiped, then freed. */
static void
import_secrets_free(struct import_result *res)
{
	buf_burn(&res->passwords);
	if (res->links != NULL)
		explicit_bzero(res->links, res->links_size *
		    sizeof(*res->links));
	free(res->links);
	res->links = NULL;
	res->nlinks = res->links_size = 0;
}

void
import_result_free(struct import_result *res)
{
	import_secrets_free(res);
	buf_free(&res->log);
}

/* A link for the new account u of roster row i. */
static int
import_link(struct store *st, const struct course *c, const struct user *u,
    size_t i, unsigned lifetime, const char *actor,
    struct import_result *res, char *err, size_t errsize)
{
	struct import_link *p;
	struct account_link l;

	if (res->nlinks == res->links_size) {
		size_t	 size = res->links_size ? res->links_size * 2 : 64;

		if ((p = calloc(size, sizeof(*p))) == NULL) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		if (res->nlinks > 0) {
			memcpy(p, res->links, res->nlinks * sizeof(*p));
			explicit_bzero(res->links, res->nlinks * sizeof(*p));
		}
		free(res->links);
		res->links = p;
		res->links_size = size;
	}
	p = &res->links[res->nlinks];
	if (account_link_create(st, u, c->id, lifetime, actor, NULL, p->token,
	    sizeof(p->token), &l, err, errsize) != 0)
		return -1;
	p->row = i;
	p->expires = l.expires;
	res->nlinks++;
	return 0;
}

/* Enroll u in c with role (again, if dropped): 0, or -1 with err. */
int
course_enroll(struct store *st, const struct course *c, const struct user *u,
    enum roster_role role, const char *actor, char *err, size_t errsize)
{
	struct enrollment e;
	int	 r = store_enroll_get(st, c->id, u->id, &e);

	if (r == -1) {
		snprintf(err, errsize, "cannot read the enrollment");
		return -1;
	}
	if (r == STORE_NOT_FOUND) {
		memset(&e, 0, sizeof(e));
		e.user_id = u->id;
		e.added = time(NULL);
	}
	e.role = role;
	e.dropped = 0;
	if (store_enroll_put(st, c->id, &e) != 0) {
		snprintf(err, errsize, "cannot store the enrollment");
		return -1;
	}
	(void)store_audit(st, actor, "course.enroll", u->name, c->code, NULL);
	return 0;
}

struct drop_ctx {
	const struct roster *ro;
	struct enrollment *drop;	/* students not on the roster */
	size_t		 n, size;
	int		 failed;
};

static int
on_roster(const struct roster *ro, const char *name)
{
	size_t	 i;

	for (i = 0; i < ro->nrows; i++)
		if (strcmp(ro->rows[i].username, name) == 0)
			return 1;
	return 0;
}

static int
collect_missing(const struct enrollment *e, void *arg)
{
	struct drop_ctx *d = arg;
	struct enrollment *p;

	if (e->dropped != 0 || e->role != ROSTER_STUDENT ||
	    on_roster(d->ro, e->user))
		return 0;
	if (d->n == d->size) {
		d->size = d->size ? d->size * 2 : 64;
		if ((p = reallocarray(d->drop, d->size, sizeof(*p))) == NULL) {
			d->failed = 1;
			return 1;
		}
		d->drop = p;
	}
	d->drop[d->n++] = *e;
	return 0;
}

/* One row: the account (made when new), its name and address, and the
 * enrollment. */
static int
import_row(struct store *st, const struct course *c, const struct roster *ro,
    size_t i, enum auth_kind auth, unsigned links, const char *actor,
    struct import_result *res, char *err, size_t errsize)
{
	const struct roster_row *row = &ro->rows[i];
	struct user u;
	struct enrollment e;
	char	 otp[ONE_TIME_PASSWORD_LEN + 1], why[256];
	int	 r, changed = 0;

	r = store_user_get(st, row->username, &u);
	if (r == -1)
		goto dberr;
	if (r == STORE_NOT_FOUND) {
		/* With links the account has no password until its owner
		 * chooses one through the link. */
		random_password(otp, sizeof(otp));
		if (account_create(st, row->username, row->role ==
		    ROSTER_INSTRUCTOR ? ROLE_INSTRUCTOR : ROLE_STUDENT, auth,
		    links ? NULL : otp, 1, actor, why, sizeof(why)) != 0) {
			snprintf(err, errsize, "line %u: %s", row->line, why);
			explicit_bzero(otp, sizeof(otp));
			return -1;
		}
		if (auth == AUTH_NATIVE && !links)
			buf_printf(&res->passwords, "%s,%s\n", row->username, otp);
		explicit_bzero(otp, sizeof(otp));
		if (store_user_get(st, row->username, &u) != 0)
			goto dberr;
		if (links && import_link(st, c, &u, i, links, actor, res, why,
		    sizeof(why)) != 0) {
			snprintf(err, errsize, "line %u: %s", row->line, why);
			return -1;
		}
		res->created++;
		buf_printf(&res->log, "create %s\n", row->username);
	} else if (u.disabled) {
		/* Back for a new term: the account comes back too. */
		u.disabled = 0;
		if (store_user_update(st, &u) != 0)
			goto dberr;
		buf_printf(&res->log, "enable %s\n", row->username);
	}
	if ((row->full_name[0] != '\0' || row->email[0] != '\0') &&
	    store_user_contact(st, u.id, row->full_name, row->email) != 0)
		goto dberr;
	r = store_enroll_get(st, c->id, u.id, &e);
	if (r == -1)
		goto dberr;
	if (r == STORE_NOT_FOUND) {
		memset(&e, 0, sizeof(e));
		e.user_id = u.id;
		e.added = time(NULL);
		changed = 2;
	} else if (e.dropped != 0)
		changed = 2;
	else if (e.role != row->role || strcmp(e.section,
	    row->section != NULL ? row->section : "") != 0)
		changed = 1;
	if (!changed) {
		res->unchanged++;
		return 0;
	}
	e.role = row->role;
	e.dropped = 0;
	snprintf(e.section, sizeof(e.section), "%s",
	    row->section != NULL ? row->section : "");
	if (store_enroll_put(st, c->id, &e) != 0)
		goto dberr;
	if (changed == 2) {
		res->enrolled++;
		buf_printf(&res->log, "enroll %s %s\n", row->username,
		    roster_role_name(row->role));
	} else {
		res->updated++;
		buf_printf(&res->log, "update %s %s\n", row->username,
		    roster_role_name(row->role));
	}
	(void)store_audit(st, actor, changed == 2 ? "course.enroll" :
	    "course.update", row->username, c->code, NULL);
	return 0;
dberr:
	snprintf(err, errsize, "line %u: database error (see the log)",
	    row->line);
	return -1;
}

/*
 * Apply roster ro to course c in one transaction: every row's account and
 * enrollment, and with drop_missing the students not on it dropped (their
 * accounts disabled when they have no other active course).  dry_run
 * reports the same counts and rolls back.  New native accounts get
 * one-time passwords (res->passwords), or with links non-zero no password
 * and a link valid for links seconds (res->links).  -1 with a message
 * naming the line on any error, and nothing is written.
 */
int
course_import(struct store *st, const struct course *c,
    const struct roster *ro, int drop_missing, int dry_run,
    enum auth_kind auth, unsigned links, const char *actor,
    struct import_result *res, char *err, size_t errsize)
{
	struct drop_ctx d;
	struct user u;
	size_t	 i;
	int64_t	 active;

	memset(res, 0, sizeof(*res));
	memset(&d, 0, sizeof(d));
	res->format = ro->format;
	res->rows = ro->nrows;
	if (links && auth != AUTH_NATIVE) {
		snprintf(err, errsize, "links set hub passwords, and this hub "
		    "makes campus (PAM) accounts: nothing to send");
		return -1;
	}
	if (links > LINK_LIFETIME_MAX) {
		snprintf(err, errsize, "a link lasts at most %d days",
		    LINK_LIFETIME_MAX / 86400);
		return -1;
	}
	if (store_begin(st) != 0) {
		snprintf(err, errsize, "the database is busy; try again");
		return -1;
	}
	for (i = 0; i < ro->nrows; i++)
		if (import_row(st, c, ro, i, auth, links, actor, res, err,
		    errsize) == -1)
			goto fail;
	if (drop_missing) {
		d.ro = ro;
		if (store_enroll_list(st, c->id, collect_missing, &d) != 0 ||
		    d.failed) {
			snprintf(err, errsize, "cannot read the roster");
			goto fail;
		}
		for (i = 0; i < d.n; i++) {
			d.drop[i].dropped = time(NULL);
			if (store_enroll_put(st, c->id, &d.drop[i]) != 0)
				goto dberr;
			res->dropped++;
			buf_printf(&res->log, "drop %s\n", d.drop[i].user);
			(void)store_audit(st, actor, "course.drop",
			    d.drop[i].user, c->code, NULL);
			/* Their files stay; the account rests when no
			 * course is left. */
			if (store_enroll_active(st, d.drop[i].user_id,
			    &active) != 0 || store_user_get_id(st,
			    d.drop[i].user_id, &u) != 0)
				goto dberr;
			if (active == 0 && u.role == ROLE_STUDENT && !u.disabled) {
				u.disabled = 1;
				if (store_user_update(st, &u) != 0 ||
				    store_session_delete_user(st, u.id) != 0)
					goto dberr;
				res->disabled++;
				buf_printf(&res->log, "disable %s\n", u.name);
			}
		}
	}
	if (res->log.failed || res->passwords.failed) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	if (dry_run) {
		store_rollback(st);
		free(d.drop);
		/* Nothing was made: no password or link to show. */
		import_secrets_free(res);
		return 0;
	}
	(void)store_audit(st, actor, "course.import", c->code,
	    roster_format_name(ro->format), NULL);
	if (store_commit(st) != 0) {
		snprintf(err, errsize, "cannot commit the import");
		goto fail;
	}
	free(d.drop);
	return 0;
dberr:
	snprintf(err, errsize, "database error (see the log)");
fail:
	store_rollback(st);
	free(d.drop);
	import_result_free(res);
	return -1;
}

const char *
course_access_name(enum course_access a)
{
	static const char *const names[] = { "none", "student", "ta",
	    "instructor", "admin" };

	return names[a];
}

/*
 * The course named code (into c) and what u may do in it.  ACC_NONE when
 * there is no such course or u is not in it (the same to the asker);
 * *dberr set on a database error.
 */
enum course_access
course_access_of(struct store *st, const struct user *u, const char *code,
    struct course *c, int *dberr)
{
	struct enrollment e;
	int	 r;

	*dberr = 0;
	if (!course_code_valid(code))
		return ACC_NONE;
	if ((r = store_course_get(st, code, c)) != 0) {
		*dberr = r == -1;
		return ACC_NONE;
	}
	if (u->role == ROLE_ADMIN)
		return ACC_ADMIN;
	if (store_enroll_get(st, c->id, u->id, &e) != 0 || e.dropped != 0)
		return ACC_NONE;
	return e.role == ROSTER_INSTRUCTOR ? ACC_INSTRUCTOR :
	    e.role == ROSTER_TA ? ACC_TA : ACC_STUDENT;
}

struct servers_ctx {
	int		 start;
	unsigned	 n;
	struct user	*users;
	size_t		 nusers, size;
	int		 failed;
};

static int
collect_student(const struct enrollment *e, void *arg)
{
	struct servers_ctx *sc = arg;
	struct user *p;

	if (e->dropped != 0 || e->role != ROSTER_STUDENT || e->disabled)
		return 0;
	if (sc->nusers == sc->size) {
		sc->size = sc->size ? sc->size * 2 : 64;
		if ((p = reallocarray(sc->users, sc->size, sizeof(*p))) == NULL) {
			sc->failed = 1;
			return 1;
		}
		sc->users = p;
	}
	memset(&sc->users[sc->nusers], 0, sizeof(*p));
	sc->users[sc->nusers].id = e->user_id;
	snprintf(sc->users[sc->nusers].name, sizeof(sc->users[0].name), "%s",
	    e->user);
	sc->nusers++;
	return 0;
}

/*
 * Start (a class start: the queue takes them in order) or stop every
 * active student's server of c, or those pick(name, arg) chooses when
 * pick is not NULL; how many were asked in *n.
 */
int
course_servers_all(struct store *st, const struct course *c, int start,
    int (*pick)(const char *, void *), void *arg, unsigned *n)
{
	struct servers_ctx sc;
	char	 err[256];
	size_t	 i;

	memset(&sc, 0, sizeof(sc));
	if (store_enroll_list(st, c->id, collect_student, &sc) != 0 ||
	    sc.failed) {
		free(sc.users);
		return -1;
	}
	for (i = 0; i < sc.nusers; i++) {
		struct user u;

		if (pick != NULL && !pick(sc.users[i].name, arg))
			continue;
		if (start) {
			/* The kind of account decides the identity. */
			if (store_user_get_id(st, sc.users[i].id, &u) != 0)
				continue;
			if (server_start(&u, err, sizeof(err)) == 0)
				sc.n++;
		} else if (server_stop(sc.users[i].name, "course", err,
		    sizeof(err)) == 0)
			sc.n++;
	}
	free(sc.users);
	if (n != NULL)
		*n = sc.n;
	return 0;
}

/*
 * Join the course whose join code is code, as a student.  0 with the
 * course in c; STORE_NOT_FOUND for a wrong, expired or archived code
 * (the same to the asker); -1 on errors.
 */
int
course_join(struct store *st, const struct user *u, const char *code,
    struct course *c, char *err, size_t errsize)
{
	struct enrollment e;
	char	 norm[JOIN_CODE_LEN + 1];
	size_t	 i, n = 0;
	int	 r;

	/* Forgiving to people: spaces, dashes and case do not matter. */
	for (i = 0; code[i] != '\0' && n < JOIN_CODE_LEN + 1; i++) {
		unsigned char ch = code[i];

		if (ch == ' ' || ch == '-')
			continue;
		if (n == JOIN_CODE_LEN)
			return STORE_NOT_FOUND;
		norm[n++] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
	}
	norm[n] = '\0';
	if (n != JOIN_CODE_LEN)
		return STORE_NOT_FOUND;
	if ((r = store_course_by_join(st, norm, c)) != 0)
		return r;
	if (c->archived || (c->join_expires != 0 &&
	    c->join_expires <= time(NULL)))
		return STORE_NOT_FOUND;
	r = store_enroll_get(st, c->id, u->id, &e);
	if (r == 0 && e.dropped == 0)
		return 0;	/* in it already, whatever the role */
	if (course_enroll(st, c, u, ROSTER_STUDENT, u->name, err,
	    errsize) != 0)
		return -1;
	(void)store_audit(st, u->name, "course.join", u->name, c->code, NULL);
	return 0;
}

/* One active member as a line of the roster export (a store callback;
 * arg is the struct buf). */
int
enrollment_export(const struct enrollment *e, void *arg)
{
	struct roster_row row;

	if (e->dropped != 0)
		return 0;
	memset(&row, 0, sizeof(row));
	snprintf(row.username, sizeof(row.username), "%s", e->user);
	row.full_name = e->full_name;
	row.email = e->email;
	row.role = e->role;
	row.section = e->section;
	return roster_export_row(arg, &row) == -1;
}
