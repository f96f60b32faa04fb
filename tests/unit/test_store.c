/* The database on a real SQLite file: pragmas, migrations from an older
 * schema, accounts, sessions, tokens and cascades. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hubd.h"
#include "tests/tap.h"

static char dir[] = "/tmp/hubd-test-store-XXXXXX";
static char path[256];

static long long
raw(const char *sql)
{
	sqlite3	*db;
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static void
raw_text(const char *sql, char *out, size_t size)
{
	sqlite3	*db;
	sqlite3_stmt *s;

	out[0] = '\0';
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			snprintf(out, size, "%s", sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

static void
migrations(void)
{
	char	 err[256], mode[16];
	struct store *st;
	struct user u;
	struct session se;
	unsigned char h[HASH_BYTES] = { 1 };

	st = store_open(path, err, sizeof(err));
	if (!ok(st != NULL, "open a new database"))
		return;
	raw_text("PRAGMA journal_mode", mode, sizeof(mode));
	is_str(mode, "wal", "WAL journal");
	is_int(store_schema_version(st), 0, "a new file is at version 0");

	/* An older hub: schema 1, with a user and a login. */
	ok(store_migrate(st, 1, err, sizeof(err)) == 0, "migrate to 1");
	is_int(store_schema_version(st), 1, "at version 1");
	is_int(raw("SELECT count(*) FROM sqlite_master WHERE name = "
	    "'api_tokens'"), 0, "version 1 has no api_tokens");
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "olduser");
	u.role = ROLE_INSTRUCTOR;
	snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$x");
	ok(store_user_add(st, &u) == 0, "user stored at version 1");
	memset(&se, 0, sizeof(se));
	se.user_id = u.id;
	se.created = time(NULL);
	se.expires = se.created + 3600;
	ok(store_session_add(st, h, &se) == 0, "session stored at version 1");
	store_close(st);

	/* This hub opens it and migrates to the latest. */
	st = store_open(path, err, sizeof(err));
	ok(store_migrate(st, store_latest_version(), err, sizeof(err)) == 0,
	    "migrate to the latest");
	is_int(store_schema_version(st), store_latest_version(),
	    "at the latest version");
	ok(store_user_get(st, "olduser", &u) == 0 &&
	    u.role == ROLE_INSTRUCTOR, "the user survived the migration");
	ok(store_session_get(st, h, &se) == 0, "so did the login");
	ok(store_migrate(st, store_latest_version(), err, sizeof(err)) == 0,
	    "migrating again is a no-op");
	store_close(st);

	/* A database from a newer hub is refused, not damaged. */
	raw("PRAGMA user_version = 99");
	st = store_open(path, err, sizeof(err));
	ok(store_migrate(st, store_latest_version(), err, sizeof(err)) == -1,
	    "a newer schema is refused");
	like(err, "schema version 99, newer than this hubd knows",
	    "with a message that says so");
	store_close(st);
	snprintf(mode, sizeof(mode), "%d", store_latest_version());
	{
		char	 q[64];

		snprintf(q, sizeof(q), "PRAGMA user_version = %s", mode);
		raw(q);
	}
}

static void
accounts(void)
{
	char	 err[256], tok[SECRET_HEX + 1], pw[ONE_TIME_PASSWORD_LEN + 1];
	struct store *st = store_open(path, err, sizeof(err));
	struct user u, a;
	struct api_token t, t2;
	unsigned char h[HASH_BYTES];
	int64_t	 n;

	if (!ok(st != NULL, "reopen"))
		return;
	ok(account_first_admin(st, pw, sizeof(pw), err, sizeof(err)) == 0,
	    "no first admin on a database that has users");
	is_int(account_create(st, "alice", ROLE_STUDENT, AUTH_NATIVE,
	    "alice's password", 0, "test", err, sizeof(err)), 0, "add alice");
	is_int(account_create(st, "alice", ROLE_STUDENT, AUTH_NATIVE,
	    "alice's password", 0, "test", err, sizeof(err)), STORE_EXISTS,
	    "alice twice");
	like(err, "already exists", "says it exists");
	is_int(account_create(st, "Bad/Name", ROLE_STUDENT, AUTH_NATIVE,
	    "whatever123", 0, "test", err, sizeof(err)), -1, "bad name");
	like(err, "not a valid user name", "says why");
	is_int(account_create(st, "bob", ROLE_STUDENT, AUTH_NATIVE, "short",
	    0, "test", err, sizeof(err)), -1, "short password");
	is_int(account_create(st, "carol", ROLE_STUDENT, AUTH_PAM, NULL, 0,
	    "test", err, sizeof(err)), 0, "a PAM account has no password");
	ok(store_user_get(st, "alice", &u) == 0 &&
	    password_verify(u.password_hash, "alice's password"),
	    "alice's password verifies from the database");
	is_int(raw("SELECT count(*) FROM users WHERE password_hash LIKE "
	    "'%password%'"), 0, "no password in clear");

	ok(account_token_create(st, &u, "ci", 3600, "test", tok, sizeof(tok),
	    &t, err, sizeof(err)) == 0, "token for alice");
	secret_hash(tok, h);
	ok(store_token_get(st, h, &t2) == 0 && t2.user_id == u.id &&
	    t2.expires == t.expires, "found by its hash");
	is_int(raw("SELECT count(*) FROM api_tokens WHERE note = 'ci' AND "
	    "length(hash) = 32"), 1, "stored as a 32-byte hash with its note");

	is_int(account_create(st, "root2", ROLE_ADMIN, AUTH_NATIVE,
	    "admin password", 0, "test", err, sizeof(err)), 0, "an admin");
	ok(store_admin_count(st, &n) == 0, "count admins");
	ok(store_user_get(st, "root2", &a) == 0, "get the admin");
	ok(account_keeps_admin(st, &a, NULL) == 0,
	    "deleting the only admin is refused");
	ok(account_keeps_admin(st, &u, NULL) == 1, "deleting a student is fine");

	ok(store_user_delete(st, u.id) == 0, "delete alice");
	is_int(store_token_get(st, h, &t2), STORE_NOT_FOUND,
	    "her tokens went with her (foreign keys)");
	is_int(raw("SELECT count(*) FROM audit_log WHERE action = 'user.add'"),
	    3, "additions are audited");
	store_close(st);
}

/* Enrollment and reset links: hashed, one per account, single use,
 * expiring, ended by a new password. */
static void
links(void)
{
	char	 err[256], tok[SECRET_HEX + 1], tok2[SECRET_HEX + 1];
	struct store *st = store_open(path, err, sizeof(err));
	struct account_link l, l2;
	struct user u, v;
	unsigned char h[HASH_BYTES];

	if (!ok(st != NULL, "reopen for links"))
		return;
	is_int(account_create(st, "dora", ROLE_STUDENT, AUTH_NATIVE, NULL, 1,
	    "test", err, sizeof(err)), 0, "a native account without password");
	ok(store_user_get(st, "dora", &u) == 0 && u.password_hash[0] == '\0' &&
	    !u.password_expired, "no hash stored, nothing to change at login");
	ok(!password_verify(u.password_hash, ""), "and no password works");
	is_int(account_link_create(st, &u, 0, 0, "test", "192.0.2.1", tok,
	    sizeof(tok), &l, err, sizeof(err)), 0, "a link for her");
	ok(l.kind == LINK_ENROLL && l.expires - l.created == LINK_LIFETIME,
	    "an enrollment link with the default lifetime");
	ok(link_token_valid(tok), "its token");
	is_int(raw("SELECT count(*) FROM account_links WHERE length(hash) = "
	    "32"), 1, "stored as a 32-byte hash");
	secret_hash(tok, h);
	ok(store_link_get(st, h, &l2) == 0 && l2.user_id == u.id,
	    "found by its hash");
	ok(account_link_find(st, tok, &l2, &v) == 0 && v.id == u.id,
	    "found by its token, with the account");
	is_int(account_link_create(st, &u, 0, 0, "test", NULL, tok2,
	    sizeof(tok2), &l2, err, sizeof(err)), 0, "a second link");
	is_int(account_link_find(st, tok, &l, &v), STORE_NOT_FOUND,
	    "replaces the first");
	is_int(account_link_use(st, tok2, "short", NULL, &v, &l, err,
	    sizeof(err)), -1, "the password rules hold");
	like(err, "at least 8", "with the reason");
	is_int(account_link_use(st, tok2, "doras password", NULL, &v, &l, err,
	    sizeof(err)), 0, "the link sets a password");
	ok(store_user_get(st, "dora", &u) == 0 &&
	    password_verify(u.password_hash, "doras password") &&
	    !u.password_expired, "which is hers from then on");
	is_int(account_link_use(st, tok2, "other password", NULL, &v, &l, err,
	    sizeof(err)), STORE_NOT_FOUND, "a link works once");
	is_int(account_link_create(st, &u, 0, 1, "test", NULL, tok, sizeof(tok),
	    &l, err, sizeof(err)), 0, "a link for one second");
	is_int(l.kind, LINK_RESET, "a reset, now that she has a password");
	raw("UPDATE account_links SET expires = expires - 5");
	is_int(account_link_find(st, tok, &l, &v), LINK_EXPIRED,
	    "after its time it is expired");
	is_int(account_link_use(st, tok, "other password", NULL, &v, &l, err,
	    sizeof(err)), LINK_EXPIRED, "and does nothing");
	ok(store_user_get(st, "dora", &u) == 0 &&
	    password_verify(u.password_hash, "doras password"),
	    "her password is unchanged");
	is_int(account_link_create(st, &u, 0, 0, "test", NULL, tok, sizeof(tok),
	    &l, err, sizeof(err)), 0, "another link");
	is_int(account_set_password(st, &u, "set by hubctl", 0, "test", err,
	    sizeof(err)), 0, "a password set another way");
	is_int(account_link_find(st, tok, &l, &v), STORE_NOT_FOUND,
	    "ends the link");
	is_int(account_link_create(st, &u, 0, LINK_LIFETIME_MAX + 1, "test",
	    NULL, tok, sizeof(tok), &l, err, sizeof(err)), -1,
	    "at most LINK_LIFETIME_MAX");
	ok(store_user_get(st, "carol", &v) == 0, "the PAM account");
	is_int(account_link_create(st, &v, 0, 0, "test", NULL, tok, sizeof(tok),
	    &l, err, sizeof(err)), -1, "gets no link");
	like(err, "campus (PAM) account", "which says why");
	is_int(raw("SELECT count(*) FROM audit_log WHERE action = 'link.add' "
	    "AND target = 'dora'"), 4, "links made are audited");
	is_int(raw("SELECT count(*) FROM audit_log WHERE action = 'link.use' "
	    "AND target = 'dora'"), 1, "and the one used");
	store_user_delete(st, u.id);
	is_int(raw("SELECT count(*) FROM account_links"), 0,
	    "links go with their account");
	store_close(st);
}

int
main(void)
{
	if (auth_init() == -1 || mkdtemp(dir) == NULL) {
		printf("Bail out! setup\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/" DB_FILE, dir);
	migrations();
	accounts();
	links();
	unlink(path);
	snprintf(path, sizeof(path), "%s/" DB_FILE "-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" DB_FILE "-shm", dir);
	unlink(path);
	rmdir(dir);
	return done();
}
