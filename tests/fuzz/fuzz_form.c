/*
 * Form bodies and query strings: form_get() for the fields hubd reads, into
 * buffers of several sizes; url_decode() of the whole input with and without
 * '+' as space; then next_is_safe(), username_valid() and html_escape() on
 * what came out.  The body is an exact-size copy without a NUL (as MHD hands
 * a body over), so AddressSanitizer sees a read past its end; each result is
 * compared with a plain reference implementation.
 */
#include "config.h"

#include <string.h>

#include "hubd.h"
#include "tests/fuzz/fuzz.h"

#define KEY_MAX	63	/* form_get() decodes keys into char[64] */

static const char *const names[] = {
	"username", "password", "_xsrf", "next", "a", "a b", "",
	/* the longest key form_get can match, and one byte more */
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
};

static const size_t sizes[] = {
	0, 1, 2, 8, XSRF_HEX + 8, USERNAME_MAX + 16, PASSWORD_MAX + 2, 2100,
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Reference decoder: the whole of src, or -1 on a bad escape or a NUL.
 * dst has room for len + 1 bytes; returns the decoded length. */
static long
ref_decode(const char *src, size_t len, char *dst, int plus)
{
	size_t	 i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)src[i];

		if (c == '%') {
			if (len - i < 3 || hexval((unsigned char)src[i + 1]) < 0 ||
			    hexval((unsigned char)src[i + 2]) < 0)
				return -1;
			c = hexval((unsigned char)src[i + 1]) << 4 |
			    hexval((unsigned char)src[i + 2]);
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == 0)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return (long)o;
}

/* Reference form_get: 0 and *val (malloc'ed) when found, 1 absent, -1 bad. */
static int
ref_form(const char *body, size_t len, const char *name, char **val)
{
	size_t	 pos = 0;

	*val = NULL;
	while (pos < len) {
		const char *pair = body + pos, *amp, *eq;
		size_t	 plen, klen;
		char	*key;
		long	 kn;
		int	 match;

		amp = memchr(pair, '&', len - pos);
		plen = amp != NULL ? (size_t)(amp - pair) : len - pos;
		pos += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		klen = eq != NULL ? (size_t)(eq - pair) : plen;
		if ((key = malloc(klen + 1)) == NULL)
			abort();
		kn = ref_decode(pair, klen, key, 1);
		match = kn >= 0 && kn <= KEY_MAX && strcmp(key, name) == 0;
		free(key);
		if (!match)
			continue;
		if ((*val = malloc(plen + 1)) == NULL)
			abort();
		if (eq == NULL) {
			(*val)[0] = '\0';
			return 0;
		}
		if (ref_decode(eq + 1, plen - klen - 1, *val, 1) < 0) {
			free(*val);
			*val = NULL;
			return -1;
		}
		return 0;
	}
	return 1;
}

/* What a redirect target may be after login: a path on this site. */
static void
check_next(const char *s)
{
	size_t	 i, n = strlen(s);
	int	 want = n >= 1 && n <= 2048 && s[0] == '/' &&
		    !(n > 1 && (s[1] == '/' || s[1] == '\\'));

	for (i = 0; want && i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			want = 0;
	}
	CHECK(next_is_safe(s) == want, "next_is_safe('%s') = %d", s, !want);
	if (want) {
		CHECK(s[0] == '/' && s[1] != '/', "'%s' leaves the site", s);
		CHECK(strchr(s, '\\') == NULL, "backslash in '%s'", s);
	}
}

static void
check_username(const char *s)
{
	size_t	 i, n = strlen(s);
	int	 want = n >= 1 && n <= USERNAME_MAX &&
		    ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_');

	for (i = 1; want && i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || c == '.') ||
		    (c == '.' && s[i - 1] == '.'))
			want = 0;
	}
	CHECK(username_valid(s) == want, "username_valid('%s') = %d", s, !want);
	if (want)
		CHECK(strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
		    strchr(s, '/') == NULL, "'%s' is not a safe path part", s);
}

/* html_escape: no markup characters left, and it undoes exactly. */
static void
check_escape(const char *s)
{
	static const struct { char c; const char *e; } ents[] = {
		{ '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" },
		{ '"', "&quot;" }, { '\'', "&#39;" },
	};
	char	*e = html_escape(s), *u, *o;
	const char *p;
	size_t	 i;

	CHECK(e != NULL, "html_escape out of memory");
	CHECK(strpbrk(e, "<>\"'") == NULL, "markup left in '%s'", e);
	if ((u = malloc(strlen(e) + 1)) == NULL)
		abort();
	for (p = e, o = u; *p != '\0'; ) {
		if (*p != '&') {
			*o++ = *p++;
			continue;
		}
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (strncmp(p, ents[i].e, strlen(ents[i].e)) == 0)
				break;
		CHECK(i < sizeof(ents) / sizeof(ents[0]), "bare '&' in '%s'",
		    e);
		*o++ = ents[i].c;
		p += strlen(ents[i].e);
	}
	*o = '\0';
	CHECK(strcmp(u, s) == 0, "'%s' escapes to '%s'", s, e);
	free(u);
	free(e);
}

static void
check_value(const char *s)
{
	check_next(s);
	check_username(s);
	check_escape(s);
}

static void
form(const char *body, size_t len)
{
	size_t	 i, j;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char	*rv;
		int	 want = ref_form(body, len, names[i], &rv);

		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			size_t	 n = sizes[j];
			/* Exact, for ASan; size 0 gets one guard byte, as
			 * ASan lets a write to malloc(0) pass. */
			char	*out = malloc(n > 0 ? n : 1);
			int	 r;

			if (out == NULL)
				abort();
			out[0] = GUARD;
			r = form_get(body, len, names[i], out, n);
			if (want == 0 && strlen(rv) + 1 > n)
				CHECK(r == -1, "'%s' (%zu bytes) into %zu: r=%d",
				    names[i], strlen(rv), n, r);
			else
				CHECK(r == want, "'%s' into %zu: r=%d, "
				    "expected %d", names[i], n, r, want);
			if (r == 0) {
				CHECK(memchr(out, '\0', n) != NULL,
				    "'%s' not terminated", names[i]);
				CHECK(strcmp(out, rv) == 0, "'%s' = '%s', "
				    "expected '%s'", names[i], out, rv);
			}
			if (n == 0)
				CHECK(out[0] == GUARD, "'%s': wrote into a "
				    "buffer of size 0", names[i]);
			free(out);
		}
		if (want == 0)
			check_value(rv);
		free(rv);
	}
}

static void
decode(const char *src, size_t len, int plus)
{
	char	*ref, *dst, *enc;
	long	 want;
	size_t	 i, sz[] = { 1, 2, 16, len / 2 + 1, len + 1 };
	int	 r;

	if ((ref = malloc(len + 1)) == NULL)
		abort();
	want = ref_decode(src, len, ref, plus);
	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		if ((dst = malloc(sz[i])) == NULL)
			abort();
		r = url_decode(src, len, dst, sz[i], plus);
		if (want >= 0 && (size_t)want < sz[i]) {
			CHECK(r == want, "url_decode(plus=%d) = %d, expected "
			    "%ld", plus, r, want);
			CHECK(memchr(dst, '\0', (size_t)r) == NULL &&
			    dst[r] == '\0', "NUL inside the decoded length");
			CHECK(memcmp(dst, ref, (size_t)r) == 0, "decoded "
			    "bytes differ");
		} else
			CHECK(r == -1, "url_decode(plus=%d) into %zu = %d, "
			    "expected -1", plus, sz[i], r);
		free(dst);
	}
	CHECK(url_decode(src, len, ref, 0, plus) == -1, "size 0 accepted");
	if (want < 0) {
		free(ref);
		return;
	}
	/* Encoding every byte and decoding again gives the same bytes. */
	if ((enc = malloc(3 * (size_t)want + 1)) == NULL ||
	    (dst = malloc((size_t)want + 1)) == NULL)
		abort();
	for (i = 0; i < (size_t)want; i++)
		snprintf(enc + 3 * i, 4, "%%%02X", (unsigned char)ref[i]);
	CHECK(url_decode(enc, 3 * (size_t)want, dst, (size_t)want + 1, plus) ==
	    want && memcmp(dst, ref, (size_t)want) == 0, "round trip");
	free(enc);
	free(dst);
	check_value(ref);
	free(ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*body = malloc(size);	/* exact, no NUL: as MHD gives it */

	if (body == NULL && size > 0)
		abort();
	if (size > 0)
		memcpy(body, data, size);
	form(body, size);
	decode(body, size, 1);
	decode(body, size, 0);
	free(body);
	return 0;
}
