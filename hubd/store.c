/*
 * The database: one SQLite file in data_dir, WAL, foreign keys, a busy
 * timeout, numbered migrations (PRAGMA user_version) and prepared
 * statements only.  A struct store is one connection with its statement
 * cache; it is used by one thread at a time (see pool.c).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "hubd.h"
#include "roster.h"

/* Migrations: append, never edit a released one. */
static const char *const migrations[] = {
	/* 1: accounts, logins, audit */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL DEFAULT 'student'"
	"    CHECK (role IN ('student', 'instructor', 'admin')),"
	"  auth TEXT NOT NULL DEFAULT 'native' CHECK (auth IN ('native', 'pam')),"
	"  password_hash TEXT,"
	"  password_expired INTEGER NOT NULL DEFAULT 0,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  last_login INTEGER);"
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL);"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT,"
	"  action TEXT NOT NULL,"
	"  target TEXT,"
	"  detail TEXT,"
	"  address TEXT);",
	/* 2: API tokens */
	"CREATE TABLE api_tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  note TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER,"
	"  last_used INTEGER);"
	"CREATE INDEX api_tokens_user ON api_tokens(user_id);"
	"CREATE INDEX audit_log_at ON audit_log(at);",
	/* 3: each student's notebook server */
	"CREATE TABLE servers ("
	"  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  state TEXT NOT NULL CHECK (state IN ('stopped', 'queued', "
	"    'starting', 'running', 'stopping', 'failed')),"
	"  uid INTEGER,"
	"  pid INTEGER,"
	"  starttime INTEGER,"
	"  cgroup TEXT,"
	"  socket TEXT,"
	"  token TEXT,"
	"  requested INTEGER,"
	"  started INTEGER,"
	"  ready INTEGER,"
	"  last_activity INTEGER,"
	"  stopped INTEGER,"
	"  exit_status INTEGER,"
	"  oom_kills INTEGER NOT NULL DEFAULT 0,"
	"  message TEXT);",
	/* 4: courses and their rosters */
	"CREATE TABLE courses ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL DEFAULT '',"
	"  term TEXT NOT NULL DEFAULT '',"
	"  archived INTEGER NOT NULL DEFAULT 0,"
	"  profile TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE enrollments ("
	"  course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('student', 'ta', 'instructor')),"
	"  section TEXT NOT NULL DEFAULT '',"
	"  added INTEGER NOT NULL,"
	"  dropped INTEGER,"
	"  PRIMARY KEY (course_id, user_id));"
	"CREATE INDEX enrollments_user ON enrollments(user_id);"
	"ALTER TABLE users ADD COLUMN full_name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';",
	/* 5: join codes for self-enrolment */
	"ALTER TABLE courses ADD COLUMN join_code TEXT;"
	"ALTER TABLE courses ADD COLUMN join_expires INTEGER;"
	"CREATE UNIQUE INDEX courses_join ON courses(join_code);",
	/* 6: enrollment and password reset links, one live per account */
	"CREATE TABLE account_links ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) "
	"    ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('enroll', 'reset')),"
	"  course_id INTEGER REFERENCES courses(id) ON DELETE SET NULL,"
	"  creator TEXT,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL);",
};

#define NMIGRATIONS	((int)(sizeof(migrations) / sizeof(migrations[0])))

#define USER_COLS "id, name, role, auth, password_hash, password_expired, " \
	"disabled, created, last_login"

#define SERVER_COLS "s.user_id, u.name, s.state, s.uid, s.pid, " \
	"s.starttime, s.cgroup, s.socket, s.token, s.requested, s.started, " \
	"s.ready, s.last_activity, s.stopped, s.exit_status, s.oom_kills, " \
	"s.message"

static const char *const server_states[] = {
	[SRV_STOPPED] = "stopped",
	[SRV_QUEUED] = "queued",
	[SRV_STARTING] = "starting",
	[SRV_RUNNING] = "running",
	[SRV_STOPPING] = "stopping",
	[SRV_FAILED] = "failed",
};

const char *
server_state_name(enum server_state s)
{
	return (size_t)s < sizeof(server_states) / sizeof(server_states[0]) ?
	    server_states[s] : "stopped";
}

#define COURSE_COLS "courses.id, code, title, term, archived, profile, " \
	"created, join_code, join_expires"

enum stmt_id {
	S_USER_COUNT,
	S_ADMIN_COUNT,
	S_USER_GET,
	S_USER_GET_ID,
	S_USER_ADD,
	S_USER_UPDATE,
	S_USER_RENAME,
	S_USER_DELETE,
	S_USER_LIST,
	S_USER_LOGIN,
	S_SESSION_ADD,
	S_SESSION_GET,
	S_SESSION_TOUCH,
	S_SESSION_DELETE,
	S_SESSION_DELETE_USER,
	S_SESSION_EXPIRE,
	S_TOKEN_ADD,
	S_TOKEN_GET,
	S_TOKEN_TOUCH,
	S_TOKEN_LIST,
	S_TOKEN_DELETE,
	S_AUDIT,
	S_SERVER_GET,
	S_SERVER_PUT,
	S_SERVER_LIST,
	S_SERVER_ACTIVITY,
	S_COURSE_ADD,
	S_COURSE_GET,
	S_COURSE_GET_ID,
	S_COURSE_UPDATE,
	S_COURSE_BY_JOIN,
	S_COURSE_LIST,
	S_COURSE_LIST_USER,
	S_ENROLL_GET,
	S_ENROLL_PUT,
	S_ENROLL_LIST,
	S_ENROLL_ACTIVE,
	S_USER_CONTACT,
	S_TEACHES,
	S_AUDIT_LIST,
	S_USER_PROFILES,
	S_LINK_PUT,
	S_LINK_GET,
	S_LINK_SPEND,
	S_LINK_DELETE_USER,
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_USER_COUNT] = "SELECT count(*) FROM users",
	[S_ADMIN_COUNT] = "SELECT count(*) FROM users WHERE role = 'admin' "
	    "AND disabled = 0",
	[S_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
	[S_USER_GET_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[S_USER_ADD] = "INSERT INTO users (name, role, auth, password_hash, "
	    "password_expired, disabled, created) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7)",
	[S_USER_UPDATE] = "UPDATE users SET role = ?2, auth = ?3, "
	    "password_hash = ?4, password_expired = ?5, disabled = ?6 "
	    "WHERE id = ?1",
	[S_USER_RENAME] = "UPDATE users SET name = ?2 WHERE id = ?1",
	[S_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
	[S_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY name",
	[S_USER_LOGIN] = "UPDATE users SET last_login = ?2 WHERE id = ?1",
	[S_SESSION_ADD] = "INSERT INTO sessions (user_id, hash, created, "
	    "last_seen, expires) VALUES (?1, ?2, ?3, ?3, ?4)",
	[S_SESSION_GET] = "SELECT id, user_id, created, last_seen, expires "
	    "FROM sessions WHERE hash = ?1",
	[S_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2 WHERE id = ?1",
	[S_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = ?1",
	[S_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
	[S_SESSION_EXPIRE] = "DELETE FROM sessions WHERE expires <= ?1 OR "
	    "last_seen <= ?1 - ?2",
	[S_TOKEN_ADD] = "INSERT INTO api_tokens (user_id, hash, note, created, "
	    "expires) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_TOKEN_GET] = "SELECT id, user_id, note, created, expires, last_used "
	    "FROM api_tokens WHERE hash = ?1",
	[S_TOKEN_TOUCH] = "UPDATE api_tokens SET last_used = ?2 WHERE id = ?1",
	[S_TOKEN_LIST] = "SELECT id, user_id, note, created, expires, "
	    "last_used FROM api_tokens WHERE user_id = ?1 ORDER BY id",
	[S_TOKEN_DELETE] = "DELETE FROM api_tokens WHERE id = ?1 AND "
	    "user_id = ?2",
	[S_AUDIT] = "INSERT INTO audit_log (at, actor, action, target, detail, "
	    "address) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_SERVER_GET] = "SELECT " SERVER_COLS " FROM servers s JOIN users u "
	    "ON u.id = s.user_id WHERE u.name = ?1",
	[S_SERVER_PUT] = "INSERT OR REPLACE INTO servers (user_id, state, uid, "
	    "pid, starttime, cgroup, socket, token, requested, started, ready, "
	    "last_activity, stopped, exit_status, oom_kills, message) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
	    "?16)",
	[S_SERVER_LIST] = "SELECT " SERVER_COLS " FROM servers s JOIN users u "
	    "ON u.id = s.user_id ORDER BY u.name",
	[S_SERVER_ACTIVITY] = "UPDATE servers SET last_activity = ?2 WHERE "
	    "user_id = ?1 AND (last_activity IS NULL OR last_activity < ?2)",
	[S_COURSE_ADD] = "INSERT INTO courses (code, title, term, profile, "
	    "created) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_COURSE_GET] = "SELECT " COURSE_COLS " FROM courses WHERE code = ?1",
	[S_COURSE_GET_ID] = "SELECT " COURSE_COLS " FROM courses WHERE id = ?1",
	[S_COURSE_UPDATE] = "UPDATE courses SET title = ?2, term = ?3, "
	    "archived = ?4, profile = ?5, join_code = ?6, join_expires = ?7 "
	    "WHERE id = ?1",
	[S_COURSE_BY_JOIN] = "SELECT " COURSE_COLS " FROM courses WHERE "
	    "join_code = ?1",
	[S_COURSE_LIST] = "SELECT " COURSE_COLS ", NULL FROM courses "
	    "ORDER BY archived, code",
	[S_COURSE_LIST_USER] = "SELECT " COURSE_COLS ", e.role FROM courses "
	    "JOIN enrollments e ON e.course_id = courses.id WHERE "
	    "e.user_id = ?1 AND e.dropped IS NULL ORDER BY archived, code",
	[S_ENROLL_GET] = "SELECT role, section, added, dropped FROM "
	    "enrollments WHERE course_id = ?1 AND user_id = ?2",
	[S_ENROLL_PUT] = "INSERT OR REPLACE INTO enrollments (course_id, "
	    "user_id, role, section, added, dropped) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6)",
	[S_ENROLL_LIST] = "SELECT u.id, u.name, u.full_name, u.email, "
	    "u.disabled, e.role, e.section, e.added, e.dropped FROM "
	    "enrollments e JOIN users u ON u.id = e.user_id WHERE "
	    "e.course_id = ?1 ORDER BY e.dropped IS NOT NULL, "
	    "e.role = 'student', u.name",
	[S_ENROLL_ACTIVE] = "SELECT count(*) FROM enrollments e JOIN courses c "
	    "ON c.id = e.course_id WHERE e.user_id = ?1 AND e.dropped IS NULL "
	    "AND c.archived = 0",
	[S_USER_CONTACT] = "UPDATE users SET full_name = ?2, email = ?3 WHERE "
	    "id = ?1",
	[S_TEACHES] = "SELECT 1 FROM enrollments a JOIN enrollments b ON "
	    "a.course_id = b.course_id JOIN courses c ON c.id = a.course_id "
	    "WHERE a.user_id = ?1 AND a.role IN ('instructor', 'ta') AND "
	    "a.dropped IS NULL AND b.user_id = ?2 AND b.dropped IS NULL AND "
	    "c.archived = 0 LIMIT 1",
	[S_AUDIT_LIST] = "SELECT at, actor, action, target, detail FROM "
	    "audit_log ORDER BY id DESC LIMIT ?1",
	[S_USER_PROFILES] = "SELECT DISTINCT c.profile FROM enrollments e "
	    "JOIN courses c ON c.id = e.course_id WHERE e.user_id = ?1 AND "
	    "e.dropped IS NULL AND c.archived = 0 AND c.profile != ''",
	/* One live link per account: a new one replaces the old. */
	[S_LINK_PUT] = "INSERT OR REPLACE INTO account_links (user_id, hash, "
	    "kind, course_id, creator, created, expires) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7)",
	[S_LINK_GET] = "SELECT id, user_id, kind, course_id, creator, created, "
	    "expires FROM account_links WHERE hash = ?1",
	[S_LINK_SPEND] = "DELETE FROM account_links WHERE id = ?1",
	[S_LINK_DELETE_USER] = "DELETE FROM account_links WHERE user_id = ?1",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmts[S_COUNT];
};

static void
db_warn(struct store *st, const char *what)
{
	log_warnx("database: %s: %s", what, sqlite3_errmsg(st->db));
}

/* A reset statement ready for binding, or NULL (logged). */
static sqlite3_stmt *
stmt(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->stmts[id];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			db_warn(st, sql[id]);
			return NULL;
		}
		st->stmts[id] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Step a statement that returns no rows: 0, STORE_EXISTS or -1. */
static int
exec_done(struct store *st, sqlite3_stmt *s)
{
	int	 r = sqlite3_step(s);

	sqlite3_reset(s);
	if (r == SQLITE_DONE)
		return 0;
	if (r == SQLITE_CONSTRAINT_UNIQUE)
		return STORE_EXISTS;
	db_warn(st, "write");
	return -1;
}

static int
exec_sql(struct store *st, const char *text, char *err, size_t errsize)
{
	char	*msg = NULL;

	if (sqlite3_exec(st->db, text, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errsize, "%s", msg != NULL ? msg :
		    sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Open path read-write (plus flags) with extended result codes and a
 * busy timeout; new files are the hub's alone (they hold password
 * hashes).  0, or -1 with the reason in err. */
static int
db_open(struct store *st, const char *path, int flags, int busy_ms,
    char *err, size_t errsize)
{
	mode_t	 old = umask(077);
	int	 r;

	r = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX | flags, NULL);
	umask(old);
	if (r != SQLITE_OK) {
		snprintf(err, errsize, "%s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "cannot open");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, busy_ms);
	return 0;
}

struct store *
store_open(const char *path, char *err, size_t errsize)
{
	struct store *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	if (db_open(st, path, SQLITE_OPEN_CREATE, STORE_BUSY_MS, err,
	    errsize) == -1)
		goto fail;
	if (exec_sql(st, "PRAGMA journal_mode = WAL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = NORMAL;", err, errsize) == -1) {
		size_t n = strlen(err);

		snprintf(err + n, errsize - n, " (%s)", path);
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	int	 i;

	if (st == NULL)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st);
}

int
store_latest_version(void)
{
	return NMIGRATIONS;
}

/* One integer of a query, or -1. */
static long long
query_int(sqlite3 *db, const char *q)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_schema_version(struct store *st)
{
	return (int)query_int(st->db, "PRAGMA user_version");
}

/*
 * Bring the schema to version target (store_latest_version() for the
 * current one), one transaction per step, so that a hubd and a hubctl that
 * start together cannot run a step twice.
 */
int
store_migrate(struct store *st, int target, char *err, size_t errsize)
{
	char	 pragma[64];
	int	 v;

	for (;;) {
		if (exec_sql(st, "BEGIN IMMEDIATE", err, errsize) == -1)
			return -1;
		if ((v = store_schema_version(st)) < 0) {
			snprintf(err, errsize, "cannot read the schema version: "
			    "%s", sqlite3_errmsg(st->db));
			goto fail;
		}
		if (v > NMIGRATIONS) {
			snprintf(err, errsize, "the database has schema version "
			    "%d, newer than this hubd knows (%d): run the hubd "
			    "that wrote it, or restore a backup", v, NMIGRATIONS);
			goto fail;
		}
		if (v >= target) {
			(void)exec_sql(st, "COMMIT", err, errsize);
			return 0;
		}
		if (exec_sql(st, migrations[v], err, errsize) == -1) {
			size_t	 n = strlen(err);

			snprintf(err + n, errsize - n, " (migration %d)", v + 1);
			goto fail;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    v + 1);
		if (exec_sql(st, pragma, err, errsize) == -1 ||
		    exec_sql(st, "COMMIT", err, errsize) == -1)
			goto fail;
		log_debug("database migrated to schema version %d", v + 1);
	}
fail:
	(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
store_begin(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_BEGIN);

	return s == NULL ? -1 : exec_done(st, s);
}

int
store_commit(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_COMMIT);

	return s == NULL ? -1 : exec_done(st, s);
}

void
store_rollback(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_ROLLBACK);

	if (s != NULL && sqlite3_get_autocommit(st->db) == 0)
		(void)exec_done(st, s);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

static void
read_user(sqlite3_stmt *s, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	(void)str_copy(u->name, col_text(s, 1), sizeof(u->name));
	if (role_parse(col_text(s, 2), &u->role) == -1)
		u->role = ROLE_STUDENT;
	if (auth_parse(col_text(s, 3), &u->auth) == -1)
		u->auth = AUTH_NATIVE;
	(void)str_copy(u->password_hash, col_text(s, 4),
	    sizeof(u->password_hash));
	u->password_expired = sqlite3_column_int(s, 5);
	u->disabled = sqlite3_column_int(s, 6);
	u->created = (time_t)sqlite3_column_int64(s, 7);
	u->last_login = (time_t)sqlite3_column_int64(s, 8);
}

/* Step a one-row select: 0 with the row ready, STORE_NOT_FOUND, or -1. */
static int
step_row(struct store *st, sqlite3_stmt *s)
{
	int	 r = sqlite3_step(s);

	if (r == SQLITE_ROW)
		return 0;
	sqlite3_reset(s);
	if (r == SQLITE_DONE)
		return STORE_NOT_FOUND;
	db_warn(st, "read");
	return -1;
}

int
store_user_count(struct store *st, int64_t *n)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_USER_COUNT)) == NULL)
		return -1;
	if ((r = step_row(st, s)) != 0)
		return -1;
	*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

/* Enabled admins: the hub must keep at least one. */
int
store_admin_count(struct store *st, int64_t *n)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_ADMIN_COUNT)) == NULL || step_row(st, s) != 0)
		return -1;
	*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
store_user_get(struct store *st, const char *name, struct user *u)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_USER_GET)) == NULL)
		return -1;
	bind_text(s, 1, name);
	if ((r = step_row(st, s)) != 0)
		return r;
	read_user(s, u);
	sqlite3_reset(s);
	return 0;
}

int
store_user_get_id(struct store *st, int64_t id, struct user *u)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_USER_GET_ID)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = step_row(st, s)) != 0)
		return r;
	read_user(s, u);
	sqlite3_reset(s);
	return 0;
}

/* Insert u (its id and created are set here). */
int
store_user_add(struct store *st, struct user *u)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_USER_ADD)) == NULL)
		return -1;
	if (u->created == 0)
		u->created = time(NULL);
	bind_text(s, 1, u->name);
	bind_text(s, 2, role_name(u->role));
	bind_text(s, 3, auth_name(u->auth));
	bind_text(s, 4, u->password_hash[0] != '\0' ? u->password_hash : NULL);
	sqlite3_bind_int(s, 5, u->password_expired);
	sqlite3_bind_int(s, 6, u->disabled);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)u->created);
	if ((r = exec_done(st, s)) == 0)
		u->id = sqlite3_last_insert_rowid(st->db);
	return r;
}

int
store_user_update(struct store *st, const struct user *u)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_USER_UPDATE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, u->id);
	bind_text(s, 2, role_name(u->role));
	bind_text(s, 3, auth_name(u->auth));
	bind_text(s, 4, u->password_hash[0] != '\0' ? u->password_hash : NULL);
	sqlite3_bind_int(s, 5, u->password_expired);
	sqlite3_bind_int(s, 6, u->disabled);
	return exec_done(st, s);
}

int
store_user_rename(struct store *st, int64_t id, const char *name)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_USER_RENAME)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, name);
	return exec_done(st, s);
}

int
store_user_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_USER_DELETE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return exec_done(st, s);
}

/* Call cb for each user by name; a non-zero cb return stops the walk. */
int
store_user_list(struct store *st, store_user_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct user u;
	int	 r;

	if ((s = stmt(st, S_USER_LIST)) == NULL)
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		read_user(s, &u);
		if (cb(&u, arg) != 0) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		db_warn(st, "list users");
		return -1;
	}
	return 0;
}

int
store_user_touch_login(struct store *st, int64_t id, time_t now)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_USER_LOGIN)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	return exec_done(st, s);
}

int
store_session_add(struct store *st, const unsigned char *hash,
    struct session *se)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_SESSION_ADD)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, se->user_id);
	sqlite3_bind_blob(s, 2, hash, HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)se->created);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)se->expires);
	if ((r = exec_done(st, s)) == 0) {
		se->id = sqlite3_last_insert_rowid(st->db);
		se->last_seen = se->created;
	}
	return r;
}

int
store_session_get(struct store *st, const unsigned char *hash,
    struct session *se)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_SESSION_GET)) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, HASH_BYTES, SQLITE_STATIC);
	if ((r = step_row(st, s)) != 0)
		return r;
	se->id = sqlite3_column_int64(s, 0);
	se->user_id = sqlite3_column_int64(s, 1);
	se->created = (time_t)sqlite3_column_int64(s, 2);
	se->last_seen = (time_t)sqlite3_column_int64(s, 3);
	se->expires = (time_t)sqlite3_column_int64(s, 4);
	sqlite3_reset(s);
	return 0;
}

int
store_session_touch(struct store *st, int64_t id, time_t now)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_SESSION_TOUCH)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	return exec_done(st, s);
}

int
store_session_delete(struct store *st, const unsigned char *hash)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_SESSION_DELETE)) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, HASH_BYTES, SQLITE_STATIC);
	return exec_done(st, s);
}

int
store_session_delete_user(struct store *st, int64_t user_id)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_SESSION_DELETE_USER)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	return exec_done(st, s);
}

/* Drop sessions past their lifetime or idle for longer than idle. */
int
store_session_expire(struct store *st, time_t now, unsigned idle)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_SESSION_EXPIRE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)idle);
	return exec_done(st, s);
}

int
store_token_add(struct store *st, const unsigned char *hash,
    struct api_token *t)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_TOKEN_ADD)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, t->user_id);
	sqlite3_bind_blob(s, 2, hash, HASH_BYTES, SQLITE_STATIC);
	bind_text(s, 3, t->note);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)t->created);
	if (t->expires != 0)
		sqlite3_bind_int64(s, 5, (sqlite3_int64)t->expires);
	if ((r = exec_done(st, s)) == 0)
		t->id = sqlite3_last_insert_rowid(st->db);
	return r;
}

static void
read_token(sqlite3_stmt *s, struct api_token *t)
{
	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	t->user_id = sqlite3_column_int64(s, 1);
	(void)str_copy(t->note, col_text(s, 2), sizeof(t->note));
	t->created = (time_t)sqlite3_column_int64(s, 3);
	t->expires = (time_t)sqlite3_column_int64(s, 4);
	t->last_used = (time_t)sqlite3_column_int64(s, 5);
}

int
store_token_get(struct store *st, const unsigned char *hash,
    struct api_token *t)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_TOKEN_GET)) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, HASH_BYTES, SQLITE_STATIC);
	if ((r = step_row(st, s)) != 0)
		return r;
	read_token(s, t);
	sqlite3_reset(s);
	return 0;
}

int
store_token_touch(struct store *st, int64_t id, time_t now)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_TOKEN_TOUCH)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	return exec_done(st, s);
}

int
store_token_list(struct store *st, int64_t user_id, store_token_cb cb,
    void *arg)
{
	sqlite3_stmt *s;
	struct api_token t;
	int	 r;

	if ((s = stmt(st, S_TOKEN_LIST)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		read_token(s, &t);
		if (cb(&t, arg) != 0) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		db_warn(st, "list tokens");
		return -1;
	}
	return 0;
}

/* 0, or STORE_NOT_FOUND when user_id has no token id. */
int
store_token_delete(struct store *st, int64_t user_id, int64_t id)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_TOKEN_DELETE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, user_id);
	if ((r = exec_done(st, s)) != 0)
		return r;
	return sqlite3_changes(st->db) == 0 ? STORE_NOT_FOUND : 0;
}

int
store_audit(struct store *st, const char *actor, const char *action,
    const char *target, const char *detail, const char *address)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_AUDIT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL));
	bind_text(s, 2, actor);
	bind_text(s, 3, action);
	bind_text(s, 4, target);
	bind_text(s, 5, detail);
	bind_text(s, 6, address);
	return exec_done(st, s);
}

/* Links: only the SHA-256 of a token is kept. */
int
store_link_put(struct store *st, const unsigned char *hash,
    struct account_link *l)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_LINK_PUT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, l->user_id);
	sqlite3_bind_blob(s, 2, hash, HASH_BYTES, SQLITE_STATIC);
	bind_text(s, 3, l->kind == LINK_ENROLL ? "enroll" : "reset");
	if (l->course_id != 0)
		sqlite3_bind_int64(s, 4, l->course_id);
	bind_text(s, 5, l->creator);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)l->created);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)l->expires);
	if ((r = exec_done(st, s)) == 0)
		l->id = sqlite3_last_insert_rowid(st->db);
	return r;
}

/* 0 with the link of hash in l, STORE_NOT_FOUND, or -1. */
int
store_link_get(struct store *st, const unsigned char *hash,
    struct account_link *l)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_LINK_GET)) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, HASH_BYTES, SQLITE_STATIC);
	if ((r = step_row(st, s)) != 0)
		return r;
	memset(l, 0, sizeof(*l));
	l->id = sqlite3_column_int64(s, 0);
	l->user_id = sqlite3_column_int64(s, 1);
	l->kind = strcmp(col_text(s, 2), "enroll") == 0 ? LINK_ENROLL :
	    LINK_RESET;
	l->course_id = sqlite3_column_int64(s, 3);
	(void)str_copy(l->creator, col_text(s, 4), sizeof(l->creator));
	l->created = (time_t)sqlite3_column_int64(s, 5);
	l->expires = (time_t)sqlite3_column_int64(s, 6);
	sqlite3_reset(s);
	return 0;
}

/* Use up link id: 0 when this call removed it, STORE_NOT_FOUND when it
 * was gone already (used, or replaced, by another request). */
int
store_link_spend(struct store *st, int64_t id)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_LINK_SPEND)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = exec_done(st, s)) != 0)
		return r;
	return sqlite3_changes(st->db) == 1 ? 0 : STORE_NOT_FOUND;
}

int
store_link_delete_user(struct store *st, int64_t user_id)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_LINK_DELETE_USER)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	return exec_done(st, s);
}

static void
read_server(sqlite3_stmt *s, struct server_row *r)
{
	size_t	 i;
	const char *st;

	memset(r, 0, sizeof(*r));
	r->user_id = sqlite3_column_int64(s, 0);
	(void)str_copy(r->user, col_text(s, 1), sizeof(r->user));
	st = col_text(s, 2);
	for (i = 0; i < sizeof(server_states) / sizeof(server_states[0]); i++)
		if (strcmp(st, server_states[i]) == 0)
			r->state = (enum server_state)i;
	r->uid = (uid_t)sqlite3_column_int64(s, 3);
	r->pid = (pid_t)sqlite3_column_int64(s, 4);
	r->starttime = (uint64_t)sqlite3_column_int64(s, 5);
	(void)str_copy(r->cgroup, col_text(s, 6), sizeof(r->cgroup));
	(void)str_copy(r->socket, col_text(s, 7), sizeof(r->socket));
	(void)str_copy(r->token, col_text(s, 8), sizeof(r->token));
	r->requested = (time_t)sqlite3_column_int64(s, 9);
	r->started = (time_t)sqlite3_column_int64(s, 10);
	r->ready = (time_t)sqlite3_column_int64(s, 11);
	r->last_activity = (time_t)sqlite3_column_int64(s, 12);
	r->stopped = (time_t)sqlite3_column_int64(s, 13);
	r->exit_status = sqlite3_column_type(s, 14) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(s, 14);
	r->oom_kills = (unsigned)sqlite3_column_int64(s, 15);
	(void)str_copy(r->message, col_text(s, 16), sizeof(r->message));
}

int
store_server_get(struct store *st, const char *user, struct server_row *r)
{
	sqlite3_stmt *s;
	int	 rc;

	if ((s = stmt(st, S_SERVER_GET)) == NULL)
		return -1;
	bind_text(s, 1, user);
	if ((rc = step_row(st, s)) != 0)
		return rc;
	read_server(s, r);
	sqlite3_reset(s);
	return 0;
}

static void
bind_time(sqlite3_stmt *s, int i, time_t t)
{
	if (t == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, (sqlite3_int64)t);
}

int
store_server_put(struct store *st, const struct server_row *r)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_SERVER_PUT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, r->user_id);
	bind_text(s, 2, server_state_name(r->state));
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->uid);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->pid);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)r->starttime);
	bind_text(s, 6, r->cgroup);
	bind_text(s, 7, r->socket);
	bind_text(s, 8, r->token);
	bind_time(s, 9, r->requested);
	bind_time(s, 10, r->started);
	bind_time(s, 11, r->ready);
	bind_time(s, 12, r->last_activity);
	bind_time(s, 13, r->stopped);
	if (r->exit_status == -1)
		sqlite3_bind_null(s, 14);
	else
		sqlite3_bind_int(s, 14, r->exit_status);
	sqlite3_bind_int64(s, 15, r->oom_kills);
	bind_text(s, 16, r->message);
	return exec_done(st, s);
}

int
store_server_list(struct store *st, store_server_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct server_row r;
	int	 rc;

	if ((s = stmt(st, S_SERVER_LIST)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_server(s, &r);
		if (cb(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_warn(st, "list servers");
		return -1;
	}
	return 0;
}

int
store_server_activity(struct store *st, int64_t user_id, time_t t)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_SERVER_ACTIVITY)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)t);
	return exec_done(st, s);
}

static const char *const course_roles[] = {
	[ROSTER_STUDENT] = "student",
	[ROSTER_TA] = "ta",
	[ROSTER_INSTRUCTOR] = "instructor",
};

static enum roster_role
course_role_of(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(course_roles) / sizeof(course_roles[0]); i++)
		if (strcmp(s, course_roles[i]) == 0)
			return (enum roster_role)i;
	return ROSTER_STUDENT;
}

static void
read_course(sqlite3_stmt *s, struct course *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	(void)str_copy(c->code, col_text(s, 1), sizeof(c->code));
	(void)str_copy(c->title, col_text(s, 2), sizeof(c->title));
	(void)str_copy(c->term, col_text(s, 3), sizeof(c->term));
	c->archived = sqlite3_column_int(s, 4);
	(void)str_copy(c->profile, col_text(s, 5), sizeof(c->profile));
	c->created = (time_t)sqlite3_column_int64(s, 6);
	(void)str_copy(c->join_code, col_text(s, 7), sizeof(c->join_code));
	c->join_expires = (time_t)sqlite3_column_int64(s, 8);
	c->my_role = -1;
	if (sqlite3_column_count(s) > 9 &&
	    sqlite3_column_type(s, 9) != SQLITE_NULL)
		c->my_role = (int)course_role_of(col_text(s, 9));
}

int
store_course_add(struct store *st, struct course *c)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_COURSE_ADD)) == NULL)
		return -1;
	if (c->created == 0)
		c->created = time(NULL);
	bind_text(s, 1, c->code);
	bind_text(s, 2, c->title);
	bind_text(s, 3, c->term);
	bind_text(s, 4, c->profile);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)c->created);
	if ((r = exec_done(st, s)) == 0)
		c->id = sqlite3_last_insert_rowid(st->db);
	return r;
}

int
store_course_get(struct store *st, const char *code, struct course *c)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_COURSE_GET)) == NULL)
		return -1;
	bind_text(s, 1, code);
	if ((r = step_row(st, s)) != 0)
		return r;
	read_course(s, c);
	sqlite3_reset(s);
	return 0;
}

int
store_course_get_id(struct store *st, int64_t id, struct course *c)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_COURSE_GET_ID)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = step_row(st, s)) != 0)
		return r;
	read_course(s, c);
	sqlite3_reset(s);
	return 0;
}

int
store_course_update(struct store *st, const struct course *c)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_COURSE_UPDATE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, c->id);
	bind_text(s, 2, c->title);
	bind_text(s, 3, c->term);
	sqlite3_bind_int(s, 4, c->archived);
	bind_text(s, 5, c->profile);
	bind_text(s, 6, c->join_code[0] != '\0' ? c->join_code : NULL);
	bind_time(s, 7, c->join_expires);
	return exec_done(st, s);
}

int
store_course_by_join(struct store *st, const char *code, struct course *c)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_COURSE_BY_JOIN)) == NULL)
		return -1;
	bind_text(s, 1, code);
	if ((r = step_row(st, s)) != 0)
		return r;
	read_course(s, c);
	sqlite3_reset(s);
	return 0;
}

/* Every course (user_id 0), or the courses user_id is active in (with
 * its role in my_role). */
int
store_course_list(struct store *st, int64_t user_id, store_course_cb cb,
    void *arg)
{
	sqlite3_stmt *s;
	struct course c;
	int	 r;

	if ((s = stmt(st, user_id ? S_COURSE_LIST_USER : S_COURSE_LIST)) ==
	    NULL)
		return -1;
	if (user_id)
		sqlite3_bind_int64(s, 1, user_id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		read_course(s, &c);
		if (cb(&c, arg) != 0) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		db_warn(st, "list courses");
		return -1;
	}
	return 0;
}

int
store_enroll_get(struct store *st, int64_t course_id, int64_t user_id,
    struct enrollment *e)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_ENROLL_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, course_id);
	sqlite3_bind_int64(s, 2, user_id);
	if ((r = step_row(st, s)) != 0)
		return r;
	memset(e, 0, sizeof(*e));
	e->user_id = user_id;
	e->role = course_role_of(col_text(s, 0));
	(void)str_copy(e->section, col_text(s, 1), sizeof(e->section));
	e->added = (time_t)sqlite3_column_int64(s, 2);
	e->dropped = (time_t)sqlite3_column_int64(s, 3);
	sqlite3_reset(s);
	return 0;
}

int
store_enroll_put(struct store *st, int64_t course_id,
    const struct enrollment *e)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_ENROLL_PUT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, course_id);
	sqlite3_bind_int64(s, 2, e->user_id);
	bind_text(s, 3, course_roles[e->role]);
	bind_text(s, 4, e->section);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)e->added);
	bind_time(s, 6, e->dropped);
	return exec_done(st, s);
}

int
store_enroll_list(struct store *st, int64_t course_id, store_enroll_cb cb,
    void *arg)
{
	sqlite3_stmt *s;
	struct enrollment e;
	int	 r;

	if ((s = stmt(st, S_ENROLL_LIST)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, course_id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.user_id = sqlite3_column_int64(s, 0);
		(void)str_copy(e.user, col_text(s, 1), sizeof(e.user));
		(void)str_copy(e.full_name, col_text(s, 2), sizeof(e.full_name));
		(void)str_copy(e.email, col_text(s, 3), sizeof(e.email));
		e.disabled = sqlite3_column_int(s, 4);
		e.role = course_role_of(col_text(s, 5));
		(void)str_copy(e.section, col_text(s, 6), sizeof(e.section));
		e.added = (time_t)sqlite3_column_int64(s, 7);
		e.dropped = (time_t)sqlite3_column_int64(s, 8);
		if (cb(&e, arg) != 0) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		db_warn(st, "list enrollments");
		return -1;
	}
	return 0;
}

/* Enrollments of user_id in courses that are not archived. */
int
store_enroll_active(struct store *st, int64_t user_id, int64_t *n)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_ENROLL_ACTIVE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	if (step_row(st, s) != 0)
		return -1;
	*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
store_user_contact(struct store *st, int64_t user_id, const char *name,
    const char *email)
{
	sqlite3_stmt *s;

	if ((s = stmt(st, S_USER_CONTACT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	bind_text(s, 2, name);
	bind_text(s, 3, email);
	return exec_done(st, s);
}

/* Does viewer teach (instructor or TA) a course where target studies? */
int
store_teaches(struct store *st, int64_t viewer, int64_t target)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_TEACHES)) == NULL)
		return 0;
	sqlite3_bind_int64(s, 1, viewer);
	sqlite3_bind_int64(s, 2, target);
	r = step_row(st, s);
	if (r == 0)
		sqlite3_reset(s);
	return r == 0;
}

/* The latest limit entries of the audit log, newest first. */
int
store_audit_list(struct store *st, int limit, store_audit_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct audit_entry e;
	int	 r;

	if ((s = stmt(st, S_AUDIT_LIST)) == NULL)
		return -1;
	sqlite3_bind_int(s, 1, limit);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.at = (time_t)sqlite3_column_int64(s, 0);
		(void)str_copy(e.actor, col_text(s, 1), sizeof(e.actor));
		(void)str_copy(e.action, col_text(s, 2), sizeof(e.action));
		(void)str_copy(e.target, col_text(s, 3), sizeof(e.target));
		(void)str_copy(e.detail, col_text(s, 4), sizeof(e.detail));
		if (cb(&e, arg) != 0) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		db_warn(st, "list the audit log");
		return -1;
	}
	return 0;
}

/* The profiles of user_id's active courses, each once, to cb. */
int
store_user_profiles(struct store *st, int64_t user_id,
    int (*cb)(const char *, void *), void *arg)
{
	sqlite3_stmt *s;
	int	 r;

	if ((s = stmt(st, S_USER_PROFILES)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(col_text(s, 0), arg) != 0) {
			r = SQLITE_DONE;
			break;
		}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : -1;
}

/*
 * Whole databases, for hubctl backup and restore: a copy by SQLite's online
 * backup API (one read transaction, so a consistent snapshot while hubd
 * writes), a check of a copy, and an exclusive hold on the hub's database.
 */

/* path as a file: URI with query, for mode=ro and immutable=1. */
static int
path_uri(const char *path, const char *query, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t	 n = 5;

	if (size < 6)
		return -1;
	memcpy(out, "file:", 5);
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (n + 4 >= size)
			return -1;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-~", *p) != NULL)
			out[n++] = (char)*p;
		else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
	return (size_t)snprintf(out + n, size - n, "?%s", query) < size - n ?
	    0 : -1;
}

/* The error of a copy, naming the file it concerns. */
static void
copy_error(int r, sqlite3 *db, const char *from, const char *to, char *err,
    size_t errsize)
{
	switch (r & 0xff) {
	case SQLITE_NOTADB:
		snprintf(err, errsize, "%s is not a SQLite database", from);
		break;
	case SQLITE_CORRUPT:
		snprintf(err, errsize, "%s is damaged (SQLite: %s)", from,
		    sqlite3_errstr(r));
		break;
	case SQLITE_FULL:
		snprintf(err, errsize, "cannot write %s: no space left on the "
		    "device", to);
		break;
	default:
		snprintf(err, errsize, "cannot copy %s to %s: %s", from, to,
		    db != NULL && sqlite3_errcode(db) != SQLITE_OK ?
		    sqlite3_errmsg(db) : sqlite3_errstr(r));
	}
}

/* Leave WAL mode (its log folded in): SQLITE_OK, or why not. */
static int
journal_delete(sqlite3 *db)
{
	sqlite3_stmt *s;
	int	 r;

	if ((r = sqlite3_prepare_v2(db, "PRAGMA journal_mode = DELETE", -1,
	    &s, NULL)) != SQLITE_OK)
		return r;
	if ((r = sqlite3_step(s)) == SQLITE_ROW)
		r = strcmp(col_text(s, 0), "delete") == 0 ? SQLITE_OK :
		    SQLITE_BUSY;
	sqlite3_finalize(s);
	return r;
}

/*
 * Copy the database from into the file to (created 0600, or empty), which
 * ends as one self-contained file (rollback journal mode, no -wal).  from
 * is the hub's database (STORE_LIVE: a connection like hubd's, which may
 * run) or a file handed in (STORE_FILE: opened read-only, never written).
 */
int
store_copy(const char *from, enum store_source kind, const char *to,
    char *err, size_t errsize)
{
	sqlite3	*src = NULL, *dst = NULL;
	sqlite3_backup *b;
	struct stat sb;
	char	 uri[8192], wal[4096];
	mode_t	 old;
	int	 r, tries = 0;

	old = umask(077);
	if (kind == STORE_LIVE)
		r = sqlite3_open_v2(from, &src, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_NOMUTEX, NULL);
	else {
		/* Read-only; without a -wal beside it, immutable too, so
		 * that SQLite leaves no -wal or -shm files next to it. */
		snprintf(wal, sizeof(wal), "%s-wal", from);
		if (path_uri(from, stat(wal, &sb) == 0 ? "mode=ro" :
		    "immutable=1", uri, sizeof(uri)) == -1) {
			snprintf(err, errsize, "%s: the path is too long",
			    from);
			goto fail;
		}
		r = sqlite3_open_v2(uri, &src, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	}
	if (r != SQLITE_OK) {
		snprintf(err, errsize, "%s: %s", from, src != NULL ?
		    sqlite3_errmsg(src) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(src, 1);
	sqlite3_busy_timeout(src, STORE_BUSY_MS);
	if ((r = sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) != SQLITE_OK) {
		snprintf(err, errsize, "%s: %s", to, dst != NULL ?
		    sqlite3_errmsg(dst) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(dst, 1);
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		copy_error(sqlite3_errcode(dst), dst, from, to, err, errsize);
		goto fail;
	}
	/* All pages in one step: one read transaction on from, which
	 * writers in WAL mode neither block nor restart. */
	while ((r = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    r == SQLITE_LOCKED) {
		if (++tries > STORE_BUSY_MS / 50)
			break;
		sqlite3_sleep(50);
	}
	(void)sqlite3_backup_finish(b);
	if (r != SQLITE_DONE) {
		copy_error(r, NULL, from, to, err, errsize);
		goto fail;
	}
	/* The pages carry from's WAL flag: one plain file instead. */
	if ((r = journal_delete(dst)) != SQLITE_OK) {
		copy_error(r, dst, from, to, err, errsize);
		goto fail;
	}
	sqlite3_close(src);
	src = NULL;
	if ((r = sqlite3_close(dst)) != SQLITE_OK) {
		dst = NULL;
		copy_error(r, NULL, from, to, err, errsize);
		goto fail;
	}
	umask(old);
	return 0;
fail:
	sqlite3_close(src);
	sqlite3_close(dst);
	umask(old);
	return -1;
}

/*
 * Check a copy (read-only): SQLite's integrity_check, a hubd schema
 * (user_version from 1, a users table) and what it holds.  0, or -1 with
 * the problem in err, which names name (the file the copy came from).
 */
int
store_inspect(const char *path, const char *name, struct store_info *info,
    char *err, size_t errsize)
{
	sqlite3	*db = NULL;
	sqlite3_stmt *s = NULL;
	struct stat sb;
	int	 r;

	memset(info, 0, sizeof(*info));
	if (name == NULL)
		name = path;
	if (stat(path, &sb) == -1) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	info->bytes = (long long)sb.st_size;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errsize, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	if ((r = sqlite3_prepare_v2(db, "PRAGMA integrity_check(10)", -1, &s,
	    NULL)) != SQLITE_OK || (r = sqlite3_step(s)) != SQLITE_ROW) {
		copy_error(r, db, name, path, err, errsize);
		goto fail;
	}
	if (strcmp(col_text(s, 0), "ok") != 0) {
		snprintf(err, errsize, "%s is damaged (SQLite's integrity "
		    "check: %.200s)", name, col_text(s, 0));
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	info->version = (int)query_int(db, "PRAGMA user_version");
	if (info->version < 1 || query_int(db, "SELECT count(*) FROM "
	    "sqlite_master WHERE type = 'table' AND name = 'users'") != 1) {
		snprintf(err, errsize, "%s is a SQLite database but not a "
		    "hubd database (%s)", name, info->version < 1 ?
		    "its schema version is 0" : "it has no users table");
		goto fail;
	}
	info->users = query_int(db, "SELECT count(*) FROM users");
	info->courses = query_int(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = 'courses'") == 1 ?
	    query_int(db, "SELECT count(*) FROM courses") : 0;
	sqlite3_close(db);
	return 0;
fail:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return -1;
}

/*
 * Hold the hub's database alone (for a restore): an exclusive lock that a
 * running hubd or hubctl prevents, then its WAL folded in and the file
 * left in rollback journal mode, so that it stands alone under any name.
 * 0 with the store in *out (store_close releases it), STORE_IN_USE, or -1.
 */
int
store_hold(const char *path, struct store **out, char *err, size_t errsize)
{
	struct store *st;
	int	 r;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (db_open(st, path, 0, 1000, err, errsize) == -1)
		goto fail;
	/* Leaving WAL mode needs the only connection; so does the lock,
	 * which exclusive locking mode then keeps until store_close. */
	if ((r = journal_delete(st->db)) == SQLITE_OK &&
	    (r = sqlite3_exec(st->db, "PRAGMA locking_mode = EXCLUSIVE",
	    NULL, NULL, NULL)) == SQLITE_OK)
		r = sqlite3_exec(st->db, "BEGIN EXCLUSIVE; COMMIT", NULL, NULL,
		    NULL);
	if ((r & 0xff) == SQLITE_BUSY || (r & 0xff) == SQLITE_LOCKED) {
		snprintf(err, errsize, "%s is in use by another program (a "
		    "hubd or a hubctl)", path);
		store_close(st);
		return STORE_IN_USE;
	}
	if (r != SQLITE_OK) {
		copy_error(r, st->db, path, path, err, errsize);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}
