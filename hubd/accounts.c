/*
 * Account operations shared by hubctl and the web API, so both validate and
 * audit the same way.  Each returns 0, STORE_EXISTS / STORE_NOT_FOUND where
 * said, or -1 with a message for a person in err.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hubd.h"

/* One-time passwords (expired) are ours and random: a fast hash; chosen
 * ones get argon2id. */
static int
set_hash(struct user *u, const char *pw, int expired, char *err,
    size_t errsize)
{
	const char *why;

	if (password_acceptable(pw, &why) == -1) {
		snprintf(err, errsize, "%s", why);
		return -1;
	}
	if (expired && strlen(pw) == ONE_TIME_PASSWORD_LEN) {
		if (otp_hash(pw, u->password_hash,
		    sizeof(u->password_hash)) == -1) {
			snprintf(err, errsize, "internal: hash buffer");
			return -1;
		}
		return 0;
	}
	if (password_hash(pw, u->password_hash, sizeof(u->password_hash)) == -1) {
		snprintf(err, errsize, "cannot hash the password (out of memory?)");
		return -1;
	}
	return 0;
}

/*
 * A new account.  Native ones need password pw (expired marks a one-time
 * password); PAM ones have none here.
 */
int
account_create(struct store *st, const char *name, enum role role,
    enum auth_kind auth, const char *pw, int expired, const char *actor,
    char *err, size_t errsize)
{
	struct user u;
	int	 r;

	if (!username_valid(name)) {
		snprintf(err, errsize, "'%s' is not a valid user name: 1 to %d "
		    "characters, a-z 0-9 _ . -, starting with a letter or _",
		    name, USERNAME_MAX);
		return -1;
	}
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.role = role;
	u.auth = auth;
	u.password_expired = auth == AUTH_NATIVE && expired;
	if (auth == AUTH_NATIVE && set_hash(&u, pw, expired, err,
	    errsize) == -1)
		return -1;
	r = store_user_add(st, &u);
	explicit_bzero(u.password_hash, sizeof(u.password_hash));
	if (r == STORE_EXISTS) {
		snprintf(err, errsize, "user '%s' already exists", name);
		return STORE_EXISTS;
	}
	if (r != 0) {
		snprintf(err, errsize, "cannot store user '%s' (see the log)",
		    name);
		return -1;
	}
	(void)store_audit(st, actor, "user.add", name, role_name(role), NULL);
	return 0;
}

/* New password for u; its logins are revoked (they may be someone else's). */
int
account_set_password(struct store *st, struct user *u, const char *pw,
    int expired, const char *actor, char *err, size_t errsize)
{
	if (set_hash(u, pw, expired, err, errsize) == -1)
		return -1;
	u->password_expired = expired;
	if (store_user_update(st, u) != 0) {
		snprintf(err, errsize, "cannot store the password (see the log)");
		return -1;
	}
	(void)store_audit(st, actor, "user.password", u->name,
	    expired ? "one-time" : NULL, NULL);
	return 0;
}

/*
 * On an empty database: an admin named "admin" with a one-time password
 * written to pw (never stored in clear, never logged).  Returns 1 when it
 * was made, 0 when the database already has users.
 */
int
account_first_admin(struct store *st, char *pw, size_t pwsize, char *err,
    size_t errsize)
{
	int64_t	 n;
	int	 r;

	if (store_begin(st) != 0) {
		snprintf(err, errsize, "cannot start a transaction");
		return -1;
	}
	if (store_user_count(st, &n) != 0) {
		snprintf(err, errsize, "cannot count users");
		goto fail;
	}
	if (n > 0) {
		store_rollback(st);
		return 0;
	}
	random_password(pw, pwsize < ONE_TIME_PASSWORD_LEN + 1 ? pwsize :
	    ONE_TIME_PASSWORD_LEN + 1);
	if ((r = account_create(st, "admin", ROLE_ADMIN, AUTH_NATIVE, pw, 1, "hubd", err,
	    errsize)) != 0)
		goto fail;
	if (store_commit(st) != 0) {
		snprintf(err, errsize, "cannot commit the first admin");
		goto fail;
	}
	return 1;
fail:
	store_rollback(st);
	explicit_bzero(pw, pwsize);
	return -1;
}

/*
 * A new API token for u, valid for expires_in seconds (0: no expiry).  The
 * token goes to out once; only its hash is stored.
 */
int
account_token_create(struct store *st, const struct user *u,
    const char *note, unsigned expires_in, const char *actor, char *out,
    size_t outsize, struct api_token *t, char *err, size_t errsize)
{
	unsigned char hash[HASH_BYTES];

	if (outsize < SECRET_HEX + 1) {
		snprintf(err, errsize, "internal: token buffer too small");
		return -1;
	}
	if (note != NULL && strlen(note) > TOKEN_NOTE_MAX) {
		snprintf(err, errsize, "a token note has at most %d characters",
		    TOKEN_NOTE_MAX);
		return -1;
	}
	memset(t, 0, sizeof(*t));
	t->user_id = u->id;
	snprintf(t->note, sizeof(t->note), "%s", note != NULL ? note : "");
	t->created = time(NULL);
	t->expires = expires_in != 0 ? t->created + (time_t)expires_in : 0;
	random_hex(out, SECRET_HEX + 1);
	secret_hash(out, hash);
	if (store_token_add(st, hash, t) != 0) {
		explicit_bzero(out, outsize);
		snprintf(err, errsize, "cannot store the token (see the log)");
		return -1;
	}
	(void)store_audit(st, actor, "token.add", u->name, t->note, NULL);
	return 0;
}

/* With before changed into after (NULL: deleted), does the hub keep an
 * enabled admin?  Call inside a transaction. */
int
account_keeps_admin(struct store *st, const struct user *before,
    const struct user *after)
{
	int64_t	 n;

	if (before->role != ROLE_ADMIN || before->disabled)
		return 1;
	if (after != NULL && after->role == ROLE_ADMIN && !after->disabled)
		return 1;
	return store_admin_count(st, &n) == 0 && n > 1;
}
