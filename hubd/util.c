/*
 * Small parsers for network input: names, cookies, form bodies, redirect
 * targets.  They are bounded, never allocate (but html_escape) and treat
 * every byte as hostile; tests/fuzz has a target for each.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "hubd.h"

static const char *const role_names[] = {
	[ROLE_STUDENT] = "student",
	[ROLE_INSTRUCTOR] = "instructor",
	[ROLE_ADMIN] = "admin",
};

static const char *const auth_names[] = {
	[AUTH_NATIVE] = "native",
	[AUTH_PAM] = "pam",
};

int
username_valid(const char *s)
{
	size_t	 i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > USERNAME_MAX)
		return 0;
	if (!(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || c == '.'))
			return 0;
		if (c == '.' && s[i - 1] == '.')
			return 0;
	}
	return 1;
}

const char *
role_name(enum role r)
{
	if ((size_t)r >= sizeof(role_names) / sizeof(role_names[0]))
		return "student";
	return role_names[r];
}

int
role_parse(const char *s, enum role *r)
{
	size_t	 i;

	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (s != NULL && strcmp(s, role_names[i]) == 0) {
			*r = (enum role)i;
			return 0;
		}
	return -1;
}

const char *
auth_name(enum auth_kind a)
{
	if ((size_t)a >= sizeof(auth_names) / sizeof(auth_names[0]))
		return "native";
	return auth_names[a];
}

int
auth_parse(const char *s, enum auth_kind *a)
{
	size_t	 i;

	for (i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (s != NULL && strcmp(s, auth_names[i]) == 0) {
			*a = (enum auth_kind)i;
			return 0;
		}
	return -1;
}

/*
 * A redirect target after login: a path on this site only.  "//host",
 * "/\host", schemes, control characters and anything outside printable
 * ASCII are refused, so a browser can never read it as another origin.
 */
int
next_is_safe(const char *next)
{
	size_t	 i, n;

	if (next == NULL || next[0] != '/')
		return 0;
	n = strlen(next);
	if (n > 2048)
		return 0;
	if (n > 1 && (next[1] == '/' || next[1] == '\\'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = next[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return 0;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode %XX escapes (and '+' as space when plus is set) of src[0..len) into
 * dst.  Returns the decoded length, or -1 on a bad escape, an encoded NUL or
 * a result that does not fit.
 */
int
url_decode(const char *src, size_t len, char *dst, size_t size, int plus)
{
	size_t	 i, o = 0;

	if (size == 0)
		return -1;
	for (i = 0; i < len; i++) {
		int c = (unsigned char)src[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == 0 || o + 1 >= size)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return (int)o;
}

/*
 * The next field name in an application/x-www-form-urlencoded body, from
 * *pos on (0 at first), decoded into out; *pos moves past it so that a
 * field given several times (checkboxes) can be read value by value.
 * Returns 0 when found, 1 when there are no more, -1 when the body is
 * malformed or the value does not fit.
 */
int
form_next(const char *body, size_t len, size_t *pos, const char *name,
    char *out, size_t size)
{
	char	 key[64];

	while (*pos < len) {
		const char *pair = body + *pos, *eq, *amp;
		size_t	 plen, klen;

		amp = memchr(pair, '&', len - *pos);
		plen = amp != NULL ? (size_t)(amp - pair) : len - *pos;
		*pos += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		klen = eq != NULL ? (size_t)(eq - pair) : plen;
		if (url_decode(pair, klen, key, sizeof(key), 1) == -1)
			continue;	/* a key we could not want */
		if (strcmp(key, name) != 0)
			continue;
		if (eq == NULL) {
			if (size == 0)
				return -1;
			out[0] = '\0';
			return 0;
		}
		if (url_decode(eq + 1, plen - klen - 1, out, size, 1) == -1)
			return -1;
		return 0;
	}
	return 1;
}

/* The first value of field name: form_next's answers. */
int
form_get(const char *body, size_t len, const char *name, char *out,
    size_t size)
{
	size_t	 pos = 0;

	return form_next(body, len, &pos, name, out, size);
}

/* Whether field name is given with value (one of its values). */
int
form_has(const char *body, size_t len, const char *name, const char *value)
{
	char	 v[256];
	size_t	 pos = 0;
	int	 r;

	while ((r = form_next(body, len, &pos, name, v, sizeof(v))) != 1)
		if (r == 0 && strcmp(v, value) == 0)
			return 1;
	return 0;
}

/*
 * Find cookie name in a Cookie header ("a=b; c=d").  Returns 0 and the value
 * (without surrounding quotes) when found, 1 when absent, -1 when the value
 * does not fit.
 */
int
cookie_get(const char *header, const char *name, char *out, size_t size)
{
	return cookie_get_nth(header, name, 0, out, size);
}

/* The same for the nth cookie of that name (0: the first), since a
 * browser sends several when other hosts of the domain set their own. */
int
cookie_get_nth(const char *header, const char *name, int nth, char *out,
    size_t size)
{
	const char *p = header;
	size_t	 nlen = strlen(name);

	if (header == NULL)
		return 1;
	while (*p != '\0') {
		const char *start, *end;
		size_t	 vlen;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		start = p;
		while (*p != '\0' && *p != ';')
			p++;
		end = p;
		if (end <= start)
			continue;
		if ((size_t)(end - start) <= nlen || start[nlen] != '=' ||
		    memcmp(start, name, nlen) != 0)
			continue;
		if (nth-- > 0)
			continue;
		start += nlen + 1;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - start >= 2 && start[0] == '"' && end[-1] == '"') {
			start++;
			end--;
		}
		vlen = (size_t)(end - start);
		if (vlen + 1 > size)
			return -1;
		memcpy(out, start, vlen);
		out[vlen] = '\0';
		return 0;
	}
	return 1;
}

char *
html_escape(const char *s)
{
	size_t	 n = 0;
	const char *p;
	char	*out, *o;

	if (s == NULL)
		s = "";
	for (p = s; *p != '\0'; p++)
		n += strchr("&<>\"'", *p) != NULL ? 6 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (p = s, o = out; *p != '\0'; p++) {
		const char *rep = NULL;

		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: *o++ = *p; continue;
		}
		o = stpcpy(o, rep);
	}
	*o = '\0';
	return out;
}

/* Copy with truncation detection: 0, or -1 when src did not fit. */
int
str_copy(char *dst, const char *src, size_t size)
{
	size_t	 n = strlen(src);

	if (size == 0)
		return -1;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* Constant-time for equal lengths; lengths are not secret. */
int
ct_equal(const char *a, const char *b)
{
	size_t	 n = strlen(a);

	if (n != strlen(b))
		return 0;
	return sodium_memcmp(a, b, n) == 0;
}

int
format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		return -1;
	return strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ? -1 : 0;
}

/*
 * The CSRF check: the _xsrf cookie of header (a Cookie header) is a token
 * of ours and given (a form field or header) is the same.  1 when it holds.
 */
int
xsrf_check(const char *header, const char *given)
{
	char	 v[XSRF_HEX + 8];

	if (given == NULL || cookie_get(header, XSRF_COOKIE, v,
	    sizeof(v)) != 0 || strlen(v) != XSRF_HEX ||
	    strspn(v, "0123456789abcdef") != XSRF_HEX)
		return 0;
	return ct_equal(v, given);
}

/*
 * May a student's server set this cookie (a Set-Cookie value)?  Not the
 * hub's own, not for another domain, and only for a path under prefix
 * (its /user/NAME/) or with no path (the browser then uses the request's).
 */
int
set_cookie_ok(const char *value, const char *prefix)
{
	const char *p, *attr;
	size_t	 n;

	n = strcspn(value, "=;");
	if (n == strlen(SESSION_COOKIE) && strncmp(value, SESSION_COOKIE, n) == 0)
		return 0;
	if (n == strlen(VIEW_COOKIE) && strncmp(value, VIEW_COOKIE, n) == 0)
		return 0;
	for (p = strchr(value, ';'); p != NULL; p = strchr(p + 1, ';')) {
		size_t	 plen = strlen(prefix), vlen;

		attr = p + 1 + strspn(p + 1, " \t");
		if (strncasecmp(attr, "domain=", 7) == 0)
			return 0;
		if (strncasecmp(attr, "path=", 5) != 0)
			continue;
		attr += 5;
		vlen = strcspn(attr, "; \t");
		/* under the prefix, or the prefix without its last slash */
		if (!(vlen >= plen && strncmp(attr, prefix, plen) == 0) &&
		    !(vlen == plen - 1 && strncmp(attr, prefix, vlen) == 0))
			return 0;
	}
	return 1;
}

/*
 * A raw /user/... path a browser would send as it is: no dot segments,
 * no encoded dots, slashes or backslashes, no double slash, printable
 * ASCII only.  Anything else is a trick.
 */
int
user_path_ok(const char *path)
{
	const char *p;

	for (p = path; *p != '\0'; p++) {
		unsigned char c = *p;

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return 0;
		if (c == '%' && (strncasecmp(p, "%2e", 3) == 0 ||
		    strncasecmp(p, "%2f", 3) == 0 ||
		    strncasecmp(p, "%5c", 3) == 0 ||
		    strncasecmp(p, "%00", 3) == 0))
			return 0;
		if (c == '/' && (p[1] == '/' ||
		    (p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' ||
		    p[3] == '\0'))))
			return 0;
	}
	return 1;
}

/* [a-z0-9][a-z0-9_.-]{0,31} without "..": safe in paths and URLs. */
int
course_code_valid(const char *s)
{
	size_t	 i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (i > 0 && (c == '_' || c == '-' || c == '.'))))
			return 0;
		if (c == '.' && s[i - 1] == '.')
			return 0;
	}
	return 1;
}

