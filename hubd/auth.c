/*
 * Secrets and passwords: random ids, SHA-256 of stored secrets, argon2id
 * password hashes (libsodium), and login throttling.
 */
#include "config.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "hubd.h"

static sem_t	 hash_slots;	/* bounds the memory argon2id takes */
static char	 dummy_hash[crypto_pwhash_STRBYTES];

int
auth_init(void)
{
	if (sodium_init() < 0)
		return -1;
	if (sem_init(&hash_slots, 0, PWHASH_CONCURRENCY) == -1)
		return -1;
	/* Unknown users cost the same time as known ones. */
	return password_hash("not a password", dummy_hash, sizeof(dummy_hash));
}

void
random_hex(char *buf, size_t size)
{
	unsigned char bin[64];
	size_t	 n = (size - 1) / 2;

	if (n > sizeof(bin))
		n = sizeof(bin);
	randombytes_buf(bin, n);
	sodium_bin2hex(buf, size, bin, n);
	sodium_memzero(bin, sizeof(bin));
}

/* Easy to read aloud and type: no 0/O, 1/l/I. */
void
random_password(char *buf, size_t size)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
	size_t	 i;

	for (i = 0; i + 1 < size; i++)
		buf[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	buf[i] = '\0';
}

void
secret_hash(const char *secret, unsigned char out[HASH_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, strlen(secret));
}

int
password_hash(const char *pw, char *out, size_t size)
{
	int	 r;

	if (size < crypto_pwhash_STRBYTES)
		return -1;
	while (sem_wait(&hash_slots) == -1)
		;
	r = crypto_pwhash_str_alg(out, pw, strlen(pw), PWHASH_OPSLIMIT,
	    PWHASH_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13);
	sem_post(&hash_slots);
	return r == 0 ? 0 : -1;
}

/*
 * One-time passwords are random (80 bits, random_password()), handed out
 * to be replaced at the first login: like API tokens they need no slow
 * hash, and a class of 2,000 is made in a second, not a minute.
 */
int
otp_hash(const char *pw, char *out, size_t size)
{
	unsigned char h[HASH_BYTES];

	if (size < sizeof(OTP_PREFIX) + SECRET_HEX)
		return -1;
	secret_hash(pw, h);
	memcpy(out, OTP_PREFIX, sizeof(OTP_PREFIX) - 1);
	sodium_bin2hex(out + sizeof(OTP_PREFIX) - 1,
	    size - (sizeof(OTP_PREFIX) - 1), h, sizeof(h));
	sodium_memzero(h, sizeof(h));
	return 0;
}

/* 1 when pw matches hash, 0 when not (or the hash is not ours). */
int
password_verify(const char *hash, const char *pw)
{
	char	 h[sizeof(OTP_PREFIX) + SECRET_HEX];
	int	 r;

	if (hash != NULL && strncmp(hash, OTP_PREFIX,
	    sizeof(OTP_PREFIX) - 1) == 0) {
		if (strlen(pw) != ONE_TIME_PASSWORD_LEN) {
			password_burn_time(pw);
			return 0;
		}
		if (otp_hash(pw, h, sizeof(h)) == -1)
			return 0;
		r = ct_equal(h, hash);
		sodium_memzero(h, sizeof(h));
		return r;
	}
	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0) {
		password_burn_time(pw);
		return 0;
	}
	while (sem_wait(&hash_slots) == -1)
		;
	r = crypto_pwhash_str_verify(hash, pw, strlen(pw));
	sem_post(&hash_slots);
	return r == 0;
}

int
password_needs_rehash(const char *hash)
{
	if (strncmp(hash, OTP_PREFIX, sizeof(OTP_PREFIX) - 1) == 0)
		return 0;	/* replaced at this login anyway */
	return crypto_pwhash_str_needs_rehash(hash, PWHASH_OPSLIMIT,
	    PWHASH_MEMLIMIT) != 0;
}

void
password_burn_time(const char *pw)
{
	while (sem_wait(&hash_slots) == -1)
		;
	if (crypto_pwhash_str_verify(dummy_hash, pw, strlen(pw)) == 0)
		log_debug("a password matched the dummy hash");
	sem_post(&hash_slots);
}

int
password_acceptable(const char *pw, const char **why)
{
	const unsigned char *p;

	if (strlen(pw) < PASSWORD_MIN) {
		*why = "a password needs at least 8 characters";
		return -1;
	}
	if (strlen(pw) > PASSWORD_MAX) {
		*why = "a password has at most 1024 characters";
		return -1;
	}
	for (p = (const unsigned char *)pw; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			*why = "a password cannot contain control characters";
			return -1;
		}
	return 0;
}

/*
 * Throttling.  Each user name and each client address has a failure count;
 * past its threshold every further attempt must wait 2, 4, 8 ... seconds
 * after the last failure (at most THROTTLE_MAX_DELAY).  Only failures count,
 * so a whole class behind one address logs in freely.  A fixed table: when
 * it is full the stalest slot in the probe run is reused.
 */
#define PROBE	8

struct slot {
	char	 key[USERNAME_MAX + 64];
	unsigned failures;
	time_t	 last;
};

static struct slot	 slots[THROTTLE_SLOTS];
static pthread_mutex_t	 throttle_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned		 max_user = 5, max_addr = 100;

void
throttle_configure(unsigned user, unsigned addr)
{
	pthread_mutex_lock(&throttle_lock);
	max_user = user;
	max_addr = addr;
	pthread_mutex_unlock(&throttle_lock);
}

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Find the slot of key; with create, claim one.  Called locked. */
static struct slot *
slot_find(const char *key, time_t now, int create)
{
	uint32_t h = fnv1a(key);
	struct slot *s, *victim = NULL;
	int	 i;

	for (i = 0; i < PROBE; i++) {
		s = &slots[(h + (uint32_t)i) % THROTTLE_SLOTS];
		if (s->key[0] != '\0' && now - s->last > THROTTLE_WINDOW)
			s->key[0] = '\0';	/* forgotten */
		if (strcmp(s->key, key) == 0 && s->key[0] != '\0')
			return s;
		if (victim == NULL || s->key[0] == '\0' ||
		    (victim->key[0] != '\0' && s->last < victim->last))
			victim = s;
	}
	if (!create)
		return NULL;
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	victim->failures = 0;
	victim->last = now;
	return victim;
}

static unsigned
delay_of(const struct slot *s, unsigned max, time_t now)
{
	unsigned shift, delay;
	time_t	 until;

	if (s == NULL || s->failures < max)
		return 0;
	shift = s->failures - max + 1;
	delay = shift >= 9 ? THROTTLE_MAX_DELAY : 1u << shift;
	if (delay > THROTTLE_MAX_DELAY)
		delay = THROTTLE_MAX_DELAY;
	until = s->last + delay;
	return until > now ? (unsigned)(until - now) : 0;
}

static void
make_keys(const char *user, const char *addr, char *uk, char *ak, size_t n)
{
	snprintf(uk, n, "u:%.*s", USERNAME_MAX, user != NULL ? user : "");
	snprintf(ak, n, "a:%s", addr != NULL ? addr : "");
}

/* Seconds to wait before this attempt may be checked; 0 when it may. */
int
throttle_check(const char *user, const char *addr, time_t now)
{
	char	 uk[sizeof(slots[0].key)], ak[sizeof(slots[0].key)];
	unsigned du, da;

	make_keys(user, addr, uk, ak, sizeof(uk));
	pthread_mutex_lock(&throttle_lock);
	du = delay_of(slot_find(uk, now, 0), max_user, now);
	da = delay_of(slot_find(ak, now, 0), max_addr, now);
	pthread_mutex_unlock(&throttle_lock);
	return (int)(du > da ? du : da);
}

void
throttle_failure(const char *user, const char *addr, time_t now)
{
	char	 uk[sizeof(slots[0].key)], ak[sizeof(slots[0].key)];
	struct slot *s;

	make_keys(user, addr, uk, ak, sizeof(uk));
	pthread_mutex_lock(&throttle_lock);
	if ((s = slot_find(uk, now, 1)) != NULL) {
		s->failures++;
		s->last = now;
	}
	if ((s = slot_find(ak, now, 1)) != NULL) {
		s->failures++;
		s->last = now;
	}
	pthread_mutex_unlock(&throttle_lock);
}

void
throttle_success(const char *user, time_t now)
{
	char	 uk[sizeof(slots[0].key)], ak[sizeof(slots[0].key)];
	struct slot *s;

	make_keys(user, NULL, uk, ak, sizeof(uk));
	pthread_mutex_lock(&throttle_lock);
	if ((s = slot_find(uk, now, 0)) != NULL)
		s->key[0] = '\0';
	pthread_mutex_unlock(&throttle_lock);
}

/* The address alone, for what has no user name to count against (links):
 * the same slots and limit as the address half of a login. */
int
throttle_address_check(const char *addr, time_t now)
{
	char	 uk[sizeof(slots[0].key)], ak[sizeof(slots[0].key)];
	unsigned d;

	make_keys(NULL, addr, uk, ak, sizeof(uk));
	pthread_mutex_lock(&throttle_lock);
	d = delay_of(slot_find(ak, now, 0), max_addr, now);
	pthread_mutex_unlock(&throttle_lock);
	return (int)d;
}

void
throttle_address_failure(const char *addr, time_t now)
{
	char	 uk[sizeof(slots[0].key)], ak[sizeof(slots[0].key)];
	struct slot *s;

	make_keys(NULL, addr, uk, ak, sizeof(uk));
	pthread_mutex_lock(&throttle_lock);
	if ((s = slot_find(ak, now, 1)) != NULL) {
		s->failures++;
		s->last = now;
	}
	pthread_mutex_unlock(&throttle_lock);
}
