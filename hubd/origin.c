/*
 * Per-user origins ([hub] user_domain): a viewer who is not the owner of a
 * student's server (an admin, an instructor or TA of the student's course)
 * sees it at http(s)://NAME.user_domain[:port]/user/NAME/, an origin of its
 * own, so the student's scripts cannot act on the hub or on other servers
 * as the viewer, while Jupyter's own UI works (no CSP sandbox needed).
 *
 * The hub's session cookie never goes there.  The hub hands the viewer a
 * ticket (single use, ORIGIN_TICKET_SEC) in a redirect; the user host
 * trades it for a view token in a host-only cookie for /user/NAME/.  Both
 * live in memory only, keyed by the SHA-256 of the secret, and point at the
 * viewer's session, which is checked on every request: logging out or the
 * session ending ends the view.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "hubd.h"

struct slot {
	int		 used;
	unsigned char	 hash[HASH_BYTES];
	time_t		 created;
	struct origin_grant g;
};

static pthread_mutex_t	 origin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot	 tickets[ORIGIN_TICKETS_MAX];
static struct slot	 views[ORIGIN_VIEWS_MAX];

/* May NAME be a host name label?  a-z 0-9 and inner '-' only: names with
 * '.' or '_' keep the sandboxed view on the hub's origin. */
int
origin_name_ok(const char *name)
{
	size_t	 i, n = strlen(name);

	if (n == 0 || n > USERNAME_MAX || name[0] == '-' || name[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return 0;
	}
	return 1;
}

/*
 * Whose host is host (a Host header) under domain?  0: not under it (the
 * hub's own); 1: NAME.domain, NAME in owner; -1: under it, but no user's
 * (nothing is served there).
 */
int
origin_user_host(const char *domain, const char *host, char *owner,
    size_t size)
{
	size_t	 n, dn = strlen(domain), i;

	owner[0] = '\0';
	if (dn == 0 || host == NULL || host[0] == '[')
		return 0;
	n = strcspn(host, ":");
	if (n > 0 && host[n - 1] == '.')	/* a fully qualified name */
		n--;
	if (n == dn && strncasecmp(host, domain, dn) == 0)
		return -1;
	if (n <= dn + 1 || host[n - dn - 1] != '.' ||
	    strncasecmp(host + n - dn, domain, dn) != 0)
		return 0;
	n -= dn + 1;
	if (n >= size || n > USERNAME_MAX)
		return -1;
	for (i = 0; i < n; i++)
		owner[i] = (char)tolower((unsigned char)host[i]);
	owner[n] = '\0';
	if (!origin_name_ok(owner) || !username_valid(owner)) {
		owner[0] = '\0';
		return -1;
	}
	return 1;
}

/* The absolute URL of path on owner's host: the hub's scheme (https or
 * not, as the browser reached the hub) and the port of host (the Host the
 * browser used for the hub).  0, or -1 when it does not fit. */
int
origin_url(char *out, size_t size, int https, const char *domain,
    const char *host, const char *owner, const char *path)
{
	const char *port = NULL;
	int	 n;

	if (host != NULL) {
		const char *end = host[0] == '[' ? strchr(host, ']') : host;

		if (end != NULL && (port = strchr(end, ':')) != NULL &&
		    (port[1] == '\0' || strspn(port + 1, "0123456789") !=
		    strlen(port + 1) || strlen(port) > 6))
			port = NULL;
	}
	n = snprintf(out, size, "%s://%s.%s%s%s", https ? "https" : "http",
	    owner, domain, port != NULL ? port : "", path);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Forget what has expired; the lock is held. */
static void
sweep(struct slot *s, size_t n, time_t now)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i].used && s[i].g.expires <= now) {
			explicit_bzero(&s[i], sizeof(s[i]));
		}
}

/* A free slot, else (evict_oldest) the oldest one, else NULL. */
static struct slot *
take_slot(struct slot *s, size_t n, int evict_oldest)
{
	struct slot *old = NULL;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (!s[i].used)
			return &s[i];
		if (old == NULL || s[i].created < old->created)
			old = &s[i];
	}
	if (!evict_oldest)
		return NULL;
	explicit_bzero(old, sizeof(*old));
	return old;
}

static struct slot *
find(struct slot *s, size_t n, const unsigned char hash[HASH_BYTES])
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i].used && sodium_memcmp(s[i].hash, hash, HASH_BYTES) == 0)
			return &s[i];
	return NULL;
}

static int
put(struct slot *s, size_t n, int evict_oldest, const struct origin_grant *g,
    time_t expires, char secret[SECRET_HEX + 1])
{
	struct slot *sl;
	time_t	 now = time(NULL);

	pthread_mutex_lock(&origin_lock);
	sweep(s, n, now);
	if ((sl = take_slot(s, n, evict_oldest)) == NULL) {
		pthread_mutex_unlock(&origin_lock);
		return -1;
	}
	random_hex(secret, SECRET_HEX + 1);
	secret_hash(secret, sl->hash);
	sl->used = 1;
	sl->created = now;
	sl->g = *g;
	sl->g.expires = expires;
	pthread_mutex_unlock(&origin_lock);
	return 0;
}

/* A ticket for g (next filled in): -1 when too many are waiting. */
int
origin_ticket_new(const struct origin_grant *g, char ticket[SECRET_HEX + 1])
{
	return put(tickets, ORIGIN_TICKETS_MAX, 0, g,
	    time(NULL) + ORIGIN_TICKET_SEC, ticket);
}

/* Spend ticket on owner's host: 0 and its grant, -1 when unknown, used,
 * expired or for another owner (spent all the same). */
int
origin_ticket_take(const char *ticket, const char *owner,
    struct origin_grant *g)
{
	unsigned char hash[HASH_BYTES];
	struct slot *sl;
	int	 r = -1;

	secret_hash(ticket, hash);
	pthread_mutex_lock(&origin_lock);
	sweep(tickets, ORIGIN_TICKETS_MAX, time(NULL));
	if ((sl = find(tickets, ORIGIN_TICKETS_MAX, hash)) != NULL) {
		if (strcmp(sl->g.owner, owner) == 0) {
			*g = sl->g;
			r = 0;
		}
		explicit_bzero(sl, sizeof(*sl));
	}
	pthread_mutex_unlock(&origin_lock);
	return r;
}

/* A view token for g, living as long as its session at most; the oldest
 * view makes room when the table is full. */
int
origin_view_new(const struct origin_grant *g, time_t expires,
    char token[SECRET_HEX + 1])
{
	return put(views, ORIGIN_VIEWS_MAX, 1, g, expires, token);
}

/* The grant of a view token valid on owner's host: 0, or -1. */
int
origin_view_find(const char *token, const char *owner, struct origin_grant *g)
{
	unsigned char hash[HASH_BYTES];
	struct slot *sl;
	int	 r = -1;

	secret_hash(token, hash);
	pthread_mutex_lock(&origin_lock);
	if ((sl = find(views, ORIGIN_VIEWS_MAX, hash)) != NULL &&
	    sl->g.expires > time(NULL) && strcmp(sl->g.owner, owner) == 0) {
		*g = sl->g;
		r = 0;
	}
	pthread_mutex_unlock(&origin_lock);
	return r;
}

/* A session ended (logout): its tickets and views go with it. */
void
origin_end_session(int64_t session_id)
{
	size_t	 i;

	pthread_mutex_lock(&origin_lock);
	for (i = 0; i < ORIGIN_TICKETS_MAX; i++)
		if (tickets[i].used && tickets[i].g.session_id == session_id)
			explicit_bzero(&tickets[i], sizeof(tickets[i]));
	for (i = 0; i < ORIGIN_VIEWS_MAX; i++)
		if (views[i].used && views[i].g.session_id == session_id)
			explicit_bzero(&views[i], sizeof(views[i]));
	pthread_mutex_unlock(&origin_lock);
}
