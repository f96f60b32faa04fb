/* Parsers of network input: names, redirect targets, cookies, forms, CSRF. */
#include "config.h"

#include <stdlib.h>

#include "hubd.h"
#include "tests/tap.h"

static void
names(void)
{
	static const struct { const char *s; int ok; } t[] = {
		{ "alice", 1 }, { "a", 1 }, { "_svc", 1 }, { "john.smith", 1 },
		{ "bob-2", 1 }, { "x2345678901234567890123456789012", 1 },
		{ "x23456789012345678901234567890123", 0 }, { "", 0 },
		{ "Alice", 0 }, { "1abc", 0 }, { ".hidden", 0 }, { "a..b", 0 },
		{ "a/b", 0 }, { "a b", 0 }, { "-x", 0 }, { "al%2fice", 0 },
		{ "\xc3\xa9t\xc3\xa9", 0 }, { "a\t", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(username_valid(t[i].s), t[i].ok, "username_valid('%s')",
		    t[i].s);
	ok(!username_valid(NULL), "username_valid(NULL)");
}

static void
next(void)
{
	static const struct { const char *s; int ok; } t[] = {
		{ "/hub/home", 1 }, { "/user/alice/tree?x=1", 1 }, { "/", 1 },
		{ "//evil.example", 0 }, { "/\\evil.example", 0 },
		{ "https://evil.example/", 0 }, { "javascript:alert(1)", 0 },
		{ "evil.example", 0 }, { "", 0 }, { "/a\\b", 0 },
		{ "/\t/evil.example", 0 }, { "/ok path", 0 }, { "/\x7f", 0 },
		{ "/caf\xc3\xa9", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(next_is_safe(t[i].s), t[i].ok, "next_is_safe('%s')",
		    t[i].s);
}

static void
cookies(void)
{
	char	 v[16];

	is_int(cookie_get("a=1; b=2", "b", v, sizeof(v)), 0, "cookie b found");
	is_str(v, "2", "cookie b value");
	is_int(cookie_get("ab=1; b=2", "b", v, sizeof(v)), 0,
	    "cookie name is not a suffix match");
	is_str(v, "2", "cookie b, not ab");
	is_int(cookie_get("b=\"quoted\"", "b", v, sizeof(v)), 0, "quoted");
	is_str(v, "quoted", "quotes stripped");
	is_int(cookie_get("a=1", "b", v, sizeof(v)), 1, "absent cookie");
	is_int(cookie_get(NULL, "b", v, sizeof(v)), 1, "no Cookie header");
	is_int(cookie_get("b=0123456789abcdef", "b", v, sizeof(v)), -1,
	    "too long value refused");
	is_int(cookie_get(";;; b=x ;", "b", v, sizeof(v)), 0, "stray ;");
	is_str(v, "x", "trailing space trimmed");
	is_int(cookie_get("b=", "b", v, sizeof(v)), 0, "empty value");
	is_str(v, "", "empty value is empty");
	is_int(cookie_get("b=1; b=2", "b", v, sizeof(v)), 0, "duplicate");
	is_str(v, "1", "the first of duplicates");
}

static void
forms(void)
{
	char	 v[32];
	const char *body = "username=alice&password=p%40ss+word&_xsrf=abc&"
	    "empty=&flag&bad=%zz";

	is_int(form_get(body, strlen(body), "username", v, sizeof(v)), 0,
	    "form username");
	is_str(v, "alice", "form username value");
	is_int(form_get(body, strlen(body), "password", v, sizeof(v)), 0,
	    "form password");
	is_str(v, "p@ss word", "percent and plus decoded");
	is_int(form_get(body, strlen(body), "empty", v, sizeof(v)), 0,
	    "empty field");
	is_str(v, "", "empty field value");
	is_int(form_get(body, strlen(body), "flag", v, sizeof(v)), 0,
	    "field without =");
	is_int(form_get(body, strlen(body), "bad", v, sizeof(v)), -1,
	    "bad escape refused");
	is_int(form_get(body, strlen(body), "missing", v, sizeof(v)), 1,
	    "absent field");
	is_int(form_get("a=%00", 5, "a", v, sizeof(v)), -1, "encoded NUL");
	is_int(form_get("a=%4", 4, "a", v, sizeof(v)), -1, "cut escape");
	is_int(form_get("a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 42, "a",
	    v, sizeof(v)), -1, "too long value");
	is_int(form_get("us%65r=bob", 10, "user", v, sizeof(v)), 0,
	    "encoded key");
	is_str(v, "bob", "encoded key value");
	is_int(form_get("a=1", 2, "a", v, sizeof(v)), 0,
	    "length bounds the body");
	is_str(v, "", "nothing read past the length");
	{
		const char *sel = "user=a1&only=selected&user=b%32&user=&"
		    "user=%zz&user=c3";
		size_t	 pos = 0, n = strlen(sel);

		is_int(form_next(sel, n, &pos, "user", v, sizeof(v)), 0,
		    "form_next: first of a repeated field");
		is_str(v, "a1", "form_next: first value");
		is_int(form_next(sel, n, &pos, "user", v, sizeof(v)), 0,
		    "form_next: second");
		is_str(v, "b2", "form_next: second value decoded");
		is_int(form_next(sel, n, &pos, "user", v, sizeof(v)), 0,
		    "form_next: an empty value");
		is_int(form_next(sel, n, &pos, "user", v, sizeof(v)), -1,
		    "form_next: a bad escape is reported");
		is_int(form_next(sel, n, &pos, "user", v, sizeof(v)), 0,
		    "form_next: and reading goes on after it");
		is_str(v, "c3", "form_next: last value");
		is_int(form_next(sel, n, &pos, "user", v, sizeof(v)), 1,
		    "form_next: no more");
		is_int(form_has(sel, n, "user", "c3"), 1, "form_has: after a "
		    "bad value");
		is_int(form_has(sel, n, "user", "b2"), 1, "form_has: decoded");
		is_int(form_has(sel, n, "user", "b"), 0, "form_has: whole "
		    "values only");
		is_int(form_has(sel, n, "only", "selected"), 1, "form_has: "
		    "another field");
		is_int(form_has(sel, n, "user", "d4"), 0, "form_has: absent");
	}
	is_int(form_get("flag", 4, "flag", v, 0), -1,
	    "no room at all: refused, nothing written");
	is_int(url_decode("a+b", 3, v, sizeof(v), 0), 3, "plus kept in paths");
	is_str(v, "a+b", "plus kept");
}

static void
escape(void)
{
	char	*e = html_escape("<a href=\"x\">'&'</a>");

	is_str(e, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
	    "html_escape");
	free(e);
}

static void
csrf(void)
{
	const char *tok = "0123456789abcdef0123456789abcdef";

	ok(xsrf_check("_xsrf=0123456789abcdef0123456789abcdef", tok),
	    "xsrf: cookie and field agree");
	ok(!xsrf_check("_xsrf=0123456789abcdef0123456789abcdee", tok),
	    "xsrf: one digit off");
	ok(!xsrf_check(NULL, tok), "xsrf: no cookie");
	ok(!xsrf_check("_xsrf=0123456789abcdef0123456789abcdef", NULL),
	    "xsrf: no field");
	ok(!xsrf_check("_xsrf=", ""), "xsrf: both empty");
	ok(!xsrf_check("_xsrf=abc", "abc"), "xsrf: not one of our tokens");
	ok(!xsrf_check("_xsrf=0123456789ABCDEF0123456789ABCDEF",
	    "0123456789ABCDEF0123456789ABCDEF"), "xsrf: not our alphabet");
}

static void
misc(void)
{
	char	 t[32], d[8];
	enum role r;

	ok(format_time(0, t, sizeof(t)) == -1, "time 0 is never");
	ok(format_time(1700000000, t, sizeof(t)) == 0, "format_time");
	is_str(t, "2023-11-14T22:13:20Z", "ISO 8601 in UTC");
	ok(role_parse("instructor", &r) == 0 && r == ROLE_INSTRUCTOR,
	    "role_parse instructor");
	ok(role_parse("root", &r) == -1, "role_parse refuses root");
	ok(ct_equal("abc", "abc") && !ct_equal("abc", "abd") &&
	    !ct_equal("abc", "abcd"), "ct_equal");
	ok(str_copy(d, "1234567", sizeof(d)) == 0, "str_copy fits");
	ok(str_copy(d, "12345678", sizeof(d)) == -1 && strlen(d) == 7,
	    "str_copy reports truncation");
}

int
main(void)
{
	names();
	next();
	cookies();
	forms();
	escape();
	csrf();
	misc();
	return done();
}
