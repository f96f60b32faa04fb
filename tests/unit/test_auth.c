/* Password hashing, secrets and login throttling. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hubd.h"
#include "tests/tap.h"

static void
passwords(void)
{
	char	 h[STORE_HASH_MAX], h2[STORE_HASH_MAX];
	const char *why;

	ok(password_hash("correct horse", h, sizeof(h)) == 0, "hash");
	like(h, "$argon2id$v=19$m=19456,t=2,p=1$", "argon2id with our cost");
	ok(password_verify(h, "correct horse"), "right password verifies");
	ok(!password_verify(h, "correct horsE"), "wrong password does not");
	ok(!password_verify(h, ""), "empty password does not");
	ok(!password_verify("", "x"), "empty hash never verifies");
	ok(!password_verify("$2y$10$abcdefghijklmnopqrstuv", "x"),
	    "a foreign hash never verifies");
	ok(!password_needs_rehash(h), "fresh hash needs no rehash");
	ok(password_hash("correct horse", h2, sizeof(h2)) == 0 &&
	    strcmp(h, h2) != 0, "salted: same password, other hash");
	ok(password_hash("x", h, 10) == -1, "small buffer refused");
	ok(otp_hash("abcdefghijkmnpqr", h, sizeof(h)) == 0, "one-time hash");
	like(h, OTP_PREFIX, "kept as SHA-256 with its own prefix");
	ok(password_verify(h, "abcdefghijkmnpqr"), "the one-time password "
	    "verifies");
	ok(!password_verify(h, "abcdefghijkmnpqs"), "another does not");
	ok(!password_verify(h, "abc"), "nor a short one");
	ok(!password_needs_rehash(h), "no rehash of a one-time hash");
	ok(password_acceptable("short", &why) == -1, "7 characters refused");
	like(why, "at least 8", "with a reason");
	ok(password_acceptable("long enough", &why) == 0, "8+ accepted");
	ok(password_acceptable("tab\there!", &why) == -1, "control refused");
	ok(password_acceptable("p\xc3\xa4sswort!", &why) == 0, "UTF-8 is fine");
}

static void
secrets(void)
{
	char	 a[SECRET_HEX + 1], b[SECRET_HEX + 1], p[ONE_TIME_PASSWORD_LEN + 1];
	unsigned char h[HASH_BYTES];

	random_hex(a, sizeof(a));
	random_hex(b, sizeof(b));
	is_int(strlen(a), SECRET_HEX, "256-bit secret as 64 hex digits");
	ok(strspn(a, "0123456789abcdef") == SECRET_HEX, "lower-case hex");
	ok(strcmp(a, b) != 0, "two secrets differ");
	secret_hash("abc", h);
	ok(h[0] == 0xba && h[1] == 0x78 && h[31] == 0xad,
	    "secret_hash is SHA-256");
	random_password(p, sizeof(p));
	is_int(strlen(p), ONE_TIME_PASSWORD_LEN, "one-time password length");
	ok(strpbrk(p, "01lIoO") == NULL, "no look-alike characters");
}

static void
throttling(void)
{
	time_t	 t = 1000000;
	int	 i, blocked = 0, w;
	char	 name[16];

	throttle_configure(5, 100);
	/* A class behind one address: 60 students log in, each succeeds. */
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "s%02d", i);
		if (throttle_check(name, "10.0.0.1", t + i / 2) != 0)
			blocked++;
		throttle_success(name, t + i / 2);
	}
	is_int(blocked, 0, "60 students from one address are not slowed");

	/* 20 wrong passwords for one name, as fast as possible. */
	for (i = 0; i < 20; i++) {
		if (throttle_check("victim", "192.0.2.7", t) > 0) {
			blocked++;
			continue;
		}
		throttle_failure("victim", "192.0.2.7", t);
	}
	is_int(blocked, 15, "after 5 failures the other 15 attempts wait");
	w = throttle_check("victim", "192.0.2.8", t);
	is_int(w, 2, "the wait is per name, from any address");
	ok(throttle_check("victim", "192.0.2.8", t + 2) == 0,
	    "after the wait one more attempt may run");
	throttle_failure("victim", "192.0.2.8", t + 2);
	is_int(throttle_check("victim", "192.0.2.8", t + 2), 4,
	    "and the next wait doubles");
	ok(throttle_check("bystander", "192.0.2.7", t) == 0,
	    "another name from the same address is not slowed");
	throttle_success("victim", t + 10);
	ok(throttle_check("victim", "192.0.2.7", t + 10) == 0,
	    "a success clears the name");
	ok(throttle_check("victim", "192.0.2.7", t + THROTTLE_WINDOW + 100) == 0,
	    "failures are forgotten after the window");

	/* One address guessing many names is slowed past its own limit. */
	throttle_configure(5, 10);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "guess%d", i);
		throttle_failure(name, "198.51.100.1", t);
	}
	ok(throttle_check("fresh", "198.51.100.1", t) > 0,
	    "an address past its failures waits for any name");
	ok(throttle_check("fresh", "198.51.100.2", t) == 0,
	    "other addresses do not");
}

/* Links: the token's form and the absolute address built around it. */
static void
links(void)
{
	char	 tok[SECRET_HEX + 1], url[LINK_URL_MAX], small[40];

	random_hex(tok, sizeof(tok));
	ok(link_token_valid(tok), "a fresh token is valid");
	ok(!link_token_valid(""), "empty is not");
	ok(!link_token_valid("ABCDEF"), "short upper-case hex is not");
	tok[10] = 'A';
	ok(!link_token_valid(tok), "upper case is not (tokens are ours)");
	tok[10] = 'a';
	ok(link_url(url, sizeof(url), 0, "hub.example.edu:8000", tok) == 0,
	    "http link");
	ok(strncmp(url, "http://hub.example.edu:8000/hub/link/", 37) == 0 &&
	    strcmp(url + 37, tok) == 0, "scheme, Host, path, token");
	ok(link_url(url, sizeof(url), 1, "[2001:db8::1]:443", tok) == 0 &&
	    strncmp(url, "https://[2001:db8::1]:443/hub/link/", 35) == 0,
	    "https with an IPv6 Host");
	ok(link_url(url, sizeof(url), 0, "evil.example/x?", tok) == -1,
	    "a Host with a path is refused");
	ok(link_url(url, sizeof(url), 0, "a\"b", tok) == -1,
	    "a Host with a quote is refused");
	ok(link_url(url, sizeof(url), 0, "user@evil.example", tok) == -1,
	    "a Host with userinfo is refused");
	ok(link_url(url, sizeof(url), 0, "", tok) == -1, "an empty Host");
	ok(link_url(url, sizeof(url), 0, NULL, tok) == -1, "no Host");
	ok(link_url(url, sizeof(url), 0, "hub", "00") == -1, "a bad token");
	ok(link_url(small, sizeof(small), 0, "hub", tok) == -1,
	    "a short buffer is an error, not a cut link");
}

static void
address_throttling(void)
{
	time_t	 t = 1000000;
	int	 i;

	throttle_configure(5, 3);
	ok(throttle_address_check("192.0.2.200", t) == 0, "a new address may");
	for (i = 0; i < 3; i++)
		throttle_address_failure("192.0.2.200", t);
	ok(throttle_address_check("192.0.2.200", t) > 0,
	    "past the address limit it waits");
	ok(throttle_check("someone", "192.0.2.200", t) > 0,
	    "logins from it too: the same count");
	ok(throttle_check("someone", "192.0.2.201", t) == 0,
	    "not another address, nor a user name");
	ok(throttle_address_check("192.0.2.200", t + THROTTLE_WINDOW + 1) == 0,
	    "forgotten after the window");
}

int
main(void)
{
	if (auth_init() == -1) {
		printf("Bail out! auth_init failed\n");
		return 1;
	}
	passwords();
	secrets();
	throttling();
	links();
	address_throttling();
	return done();
}
