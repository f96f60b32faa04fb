/*
 * cookie_get() on an arbitrary Cookie header, for the names hubd asks for and
 * a few awkward ones, into buffers of several sizes (each malloc'ed exactly,
 * so AddressSanitizer sees a write past the end).  The result is compared
 * with a plain reference implementation of the documented behaviour.
 * xsrf_check(), the CSRF test built on it, is checked on the same header.
 */
#include "config.h"

#include <string.h>

#include "hubd.h"
#include "tests/fuzz/fuzz.h"

static const char *const names[] = {
	SESSION_COOKIE, XSRF_COOKIE, "a", "_xsrf_", "x y", "",
};

static const size_t sizes[] = { 0, 1, 2, 3, 8, XSRF_HEX + 1, SECRET_HEX + 1 };

/* Reference: split on ';', skip leading blanks of a piece, match "name=",
 * drop trailing blanks, then one pair of surrounding double quotes. */
static int
ref_cookie(const char *h, const char *name, const char **val, size_t *vlen)
{
	size_t	 nlen = strlen(name);
	const char *piece = h;

	for (;;) {
		const char *semi = strchr(piece, ';'), *s = piece, *e;

		e = semi != NULL ? semi : piece + strlen(piece);
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if ((size_t)(e - s) > nlen && memcmp(s, name, nlen) == 0 &&
		    s[nlen] == '=') {
			s += nlen + 1;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e - s >= 2 && *s == '"' && e[-1] == '"') {
				s++;
				e--;
			}
			*val = s;
			*vlen = (size_t)(e - s);
			return 0;
		}
		if (semi == NULL)
			return 1;
		piece = semi + 1;
	}
}

static int
is_token(const char *s, size_t n)
{
	return n == XSRF_HEX && strspn(s, "0123456789abcdef") == XSRF_HEX;
}

/* xsrf_check() holds only for one of our tokens, given back unchanged. */
static void
xsrf(const char *h)
{
	const char *rv = NULL;
	size_t	 rlen = 0;
	char	 given[XSRF_HEX + 1];
	int	 have = ref_cookie(h, XSRF_COOKIE, &rv, &rlen) == 0 &&
		    is_token(rv, rlen);

	CHECK(!xsrf_check(h, NULL), "NULL given accepted");
	CHECK(!xsrf_check(h, ""), "empty given accepted");
	CHECK(!xsrf_check(h, h), "the header itself accepted");
	if (!have)
		return;
	memcpy(given, rv, XSRF_HEX);
	given[XSRF_HEX] = '\0';
	CHECK(xsrf_check(h, given), "token %s refused", given);
	given[XSRF_HEX - 1] = given[XSRF_HEX - 1] == '0' ? '1' : '0';
	CHECK(!xsrf_check(h, given), "altered token accepted");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*h = fuzz_strndup(data, size);
	size_t	 i, j;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *rv = NULL;
		size_t	 rlen = 0;
		int	 want = ref_cookie(h, names[i], &rv, &rlen);

		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			size_t	 n = sizes[j];
			/* Exact, for ASan; size 0 gets one guard byte, as
			 * ASan lets a write to malloc(0) pass. */
			char	*out = malloc(n > 0 ? n : 1);
			int	 r;

			if (out == NULL)
				abort();
			out[0] = GUARD;
			r = cookie_get(h, names[i], out, n);
			CHECK(r == -1 || r == 0 || r == 1, "r=%d", r);
			if (want == 1)
				CHECK(r == 1, "'%s' absent but r=%d",
				    names[i], r);
			else if (rlen + 1 > n)
				CHECK(r == -1, "'%s' (%zu bytes) into %zu: r=%d",
				    names[i], rlen, n, r);
			else {
				CHECK(r == 0, "'%s' fits %zu: r=%d", names[i],
				    n, r);
				CHECK(strlen(out) == rlen, "'%s' length %zu, "
				    "expected %zu", names[i], strlen(out),
				    rlen);
				CHECK(memcmp(out, rv, rlen) == 0, "'%s' value "
				    "differs", names[i]);
				CHECK(strchr(out, ';') == NULL, "';' in '%s'",
				    out);
			}
			if (n == 0)
				CHECK(out[0] == GUARD, "'%s': wrote into a "
				    "buffer of size 0", names[i]);
			free(out);
		}
	}
	xsrf(h);
	/* No header at all is "absent". */
	CHECK(cookie_get(NULL, XSRF_COOKIE, NULL, 0) == 1, "NULL header");
	free(h);
	return 0;
}
