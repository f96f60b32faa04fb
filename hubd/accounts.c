/*
 * Account operations shared by hubctl and the web API, so both validate and
 * audit the same way.  Each returns 0, STORE_EXISTS / STORE_NOT_FOUND where
 * said, or -1 with a message for a person in err.
 */
#include "config.h"

#include <ctype.h>
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
 * A new account.  Native ones get password pw (expired marks a one-time
 * password), or none when pw is NULL: nobody logs in to it until a link
 * (account_link_create) sets one.  PAM ones have none here.
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
	if (auth == AUTH_NATIVE && pw == NULL)
		u.password_expired = 0;
	else if (auth == AUTH_NATIVE && set_hash(&u, pw, expired, err,
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
	/* The newest credential wins: a link handed out before stops. */
	if (store_user_update(st, u) != 0 ||
	    store_link_delete_user(st, u->id) != 0) {
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

/* A link's token as it appears in its address: SECRET_HEX hex digits. */
int
link_token_valid(const char *s)
{
	return s != NULL && strlen(s) == SECRET_HEX &&
	    strspn(s, "0123456789abcdef") == SECRET_HEX;
}

/* A Host header as a link may carry it: a name, IPv4 or [IPv6] address
 * and an optional port, nothing else (no '/', '@', quotes or spaces). */
static int
host_ok(const char *host)
{
	size_t	 n;

	if (host == NULL || (n = strlen(host)) == 0 || n > LINK_HOST_MAX)
		return 0;
	if (host[0] == '.' || host[0] == '-' || host[0] == ':')
		return 0;
	for (; *host != '\0'; host++)
		if (!isalnum((unsigned char)*host) &&
		    strchr(".-:[]", *host) == NULL)
			return 0;
	return 1;
}

/*
 * The address of the link with token: "http[s]://HOST/hub/link/TOKEN" into
 * out.  host is where people reach the hub (a request's Host); -1 when it
 * or the token does not look right, or out is too small.
 */
int
link_url(char *out, size_t size, int https, const char *host,
    const char *token)
{
	int	 n;

	if (!host_ok(host) || !link_token_valid(token))
		return -1;
	n = snprintf(out, size, "%s://%s%s%s", https ? "https" : "http", host,
	    LINK_PATH, token);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * A new link for u (a native, enabled account), valid for lifetime
 * seconds (0: LINK_LIFETIME), made by actor (from addr, may be NULL) for
 * course_id (0: none).  The token goes to token once (SECRET_HEX + 1
 * bytes); only its hash is stored; an older link of u stops working.
 * 0, or -1 with a message for a person.
 */
int
account_link_create(struct store *st, const struct user *u,
    int64_t course_id, unsigned lifetime, const char *actor,
    const char *addr, char *token, size_t tokensize, struct account_link *l,
    char *err, size_t errsize)
{
	unsigned char hash[HASH_BYTES];
	int	 r;

	if (tokensize < SECRET_HEX + 1) {
		snprintf(err, errsize, "internal: token buffer too small");
		return -1;
	}
	if (u->auth != AUTH_NATIVE) {
		snprintf(err, errsize, "%s logs in with a campus (PAM) account: "
		    "its password is the institution's, a link cannot set it",
		    u->name);
		return -1;
	}
	if (u->disabled) {
		snprintf(err, errsize, "the account %s is disabled", u->name);
		return -1;
	}
	if (lifetime == 0)
		lifetime = LINK_LIFETIME;
	if (lifetime > LINK_LIFETIME_MAX) {
		snprintf(err, errsize, "a link lasts at most %d days",
		    LINK_LIFETIME_MAX / 86400);
		return -1;
	}
	memset(l, 0, sizeof(*l));
	l->user_id = u->id;
	l->course_id = course_id;
	l->kind = u->password_hash[0] == '\0' ? LINK_ENROLL : LINK_RESET;
	snprintf(l->creator, sizeof(l->creator), "%s", actor != NULL ? actor :
	    "");
	l->created = time(NULL);
	l->expires = l->created + (time_t)lifetime;
	random_hex(token, SECRET_HEX + 1);
	secret_hash(token, hash);
	r = store_link_put(st, hash, l);
	explicit_bzero(hash, sizeof(hash));
	if (r != 0) {
		explicit_bzero(token, tokensize);
		snprintf(err, errsize, "cannot store the link (see the log)");
		return -1;
	}
	(void)store_audit(st, actor, "link.add", u->name, l->kind ==
	    LINK_ENROLL ? "enroll" : "reset", addr);
	return 0;
}

/*
 * The link of token and its account: 0; STORE_NOT_FOUND for a token that
 * is not one (never was, used, or replaced: the same answer, so that
 * nobody learns which); LINK_EXPIRED; -1 on a database error.
 */
int
account_link_find(struct store *st, const char *token,
    struct account_link *l, struct user *u)
{
	unsigned char hash[HASH_BYTES];
	int	 r;

	if (!link_token_valid(token))
		return STORE_NOT_FOUND;
	secret_hash(token, hash);
	r = store_link_get(st, hash, l);
	explicit_bzero(hash, sizeof(hash));
	if (r != 0)
		return r;
	if ((r = store_user_get_id(st, l->user_id, u)) != 0)
		return r;
	return l->expires <= time(NULL) ? LINK_EXPIRED : 0;
}

/*
 * Use the link of token: the account's password becomes pw (the usual
 * rules), its other logins end and the link is spent, all in one
 * transaction so that a link works once even when sent twice at once.
 * 0 with the account in u; STORE_NOT_FOUND or LINK_EXPIRED as
 * account_link_find; -1 with a message for the person in err.
 */
int
account_link_use(struct store *st, const char *token, const char *pw,
    const char *addr, struct user *u, struct account_link *l, char *err,
    size_t errsize)
{
	struct user nu;
	int	 r;

	if ((r = account_link_find(st, token, l, u)) != 0) {
		if (r == -1)
			snprintf(err, errsize, "database error (see the log)");
		return r;
	}
	if (u->auth != AUTH_NATIVE || u->disabled) {
		snprintf(err, errsize, u->disabled ? "This account is disabled. "
		    "Ask your instructor." : "This account logs in with a "
		    "campus password: change it with the institution.");
		return -1;
	}
	nu = *u;
	/* The slow hash before the transaction, not inside it. */
	if (set_hash(&nu, pw, 0, err, errsize) == -1)
		return -1;
	nu.password_expired = 0;
	if (store_begin(st) != 0) {
		snprintf(err, errsize, "the hub is busy; try again");
		goto fail;
	}
	if ((r = store_link_spend(st, l->id)) != 0) {
		store_rollback(st);
		explicit_bzero(nu.password_hash, sizeof(nu.password_hash));
		if (r == -1)
			snprintf(err, errsize, "database error (see the log)");
		return r;
	}
	if (store_user_update(st, &nu) != 0 ||
	    store_session_delete_user(st, nu.id) != 0) {
		store_rollback(st);
		snprintf(err, errsize, "cannot store the password (see the log)");
		goto fail;
	}
	(void)store_audit(st, nu.name, "link.use", nu.name, l->kind ==
	    LINK_ENROLL ? "enroll" : "reset", addr);
	if (store_commit(st) != 0) {
		store_rollback(st);
		snprintf(err, errsize, "cannot store the password (see the log)");
		goto fail;
	}
	*u = nu;
	explicit_bzero(nu.password_hash, sizeof(nu.password_hash));
	return 0;
fail:
	explicit_bzero(nu.password_hash, sizeof(nu.password_hash));
	return -1;
}
