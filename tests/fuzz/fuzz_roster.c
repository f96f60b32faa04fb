/*
 * Roster files: roster_parse() of the input as an uploaded file (an
 * exact-size copy without a NUL, so AddressSanitizer sees a read past its
 * end) with each strip_domain setting.  A refusal must say where; a
 * roster must hold only valid, distinct user names on increasing lines
 * and normalized names.  Then every cell goes through the export, which
 * must quote it and neutralise formulas, and the export must parse again
 * into the same people.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hubd.h"
#include "hubd/roster.h"
#include "tests/fuzz/fuzz.h"

static const char *const domains[] = { NULL, "*", "uni.example" };

static int
by_name(const void *a, const void *b)
{
	const struct roster_row *const *x = a, *const *y = b;

	return strcmp((*x)->username, (*y)->username);
}

static void
check_distinct(const struct roster *ro)
{
	const struct roster_row **v;
	size_t	 i;

	if ((v = malloc(ro->nrows * sizeof(*v))) == NULL)
		abort();
	for (i = 0; i < ro->nrows; i++)
		v[i] = &ro->rows[i];
	qsort(v, ro->nrows, sizeof(*v), by_name);
	for (i = 1; i < ro->nrows; i++)
		CHECK(strcmp(v[i - 1]->username, v[i]->username) != 0,
		    "'%s' on lines %u and %u", v[i]->username, v[i - 1]->line,
		    v[i]->line);
	free(v);
}

/* One line of printable UTF-8: no controls, no NUL, no bad sequences. */
static void
check_text(const char *s, size_t max, const char *what)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t	 n = strlen(s), i;

	CHECK(n <= max, "%s of %zu bytes", what, n);
	CHECK(n == 0 || (s[0] != ' ' && s[n - 1] != ' '), "%s '%s' not "
	    "trimmed", what, s);
	CHECK(strstr(s, "  ") == NULL, "%s '%s' has a run of spaces", what, s);
	for (i = 0; i < n; i++) {
		CHECK(u[i] >= 0x20 && u[i] != 0x7f, "%s '%s': control", what, s);
		CHECK(u[i] != 0xc0 && u[i] != 0xc1 && u[i] < 0xf5, "%s '%s': "
		    "not UTF-8", what, s);
	}
}

static void
check_rows(const struct roster *ro)
{
	size_t	 i;

	CHECK(ro->nrows >= 1 && ro->nrows <= ROSTER_MAX_ROWS, "%zu rows",
	    ro->nrows);
	CHECK(ro->sep == ',' || ro->sep == ';' || ro->sep == '\t',
	    "separator %d", ro->sep);
	CHECK(strcmp(roster_format_name(ro->format), "unknown") != 0,
	    "format %d", (int)ro->format);
	for (i = 0; i < ro->nrows; i++) {
		const struct roster_row *r = &ro->rows[i];

		CHECK(username_valid(r->username), "row %zu: user '%s'", i,
		    r->username);
		CHECK(i == 0 || r->line > ro->rows[i - 1].line, "row %zu on "
		    "line %u after %u", i, r->line, ro->rows[i - 1].line);
		CHECK(r->line >= 1, "row %zu on line 0", i);
		CHECK(r->role <= ROSTER_INSTRUCTOR, "row %zu: role %d", i,
		    (int)r->role);
		check_text(r->full_name, ROSTER_NAME_MAX, "name");
		check_text(r->email, ROSTER_EMAIL_MAX, "e-mail");
		CHECK(r->email[0] == '\0' || strchr(r->email, '@') != NULL,
		    "e-mail '%s'", r->email);
		if (r->section != NULL) {
			CHECK(r->section[0] != '\0', "empty section");
			check_text(r->section, ROSTER_SECTION_MAX, "section");
		}
	}
	check_distinct(ro);
}

static int
formula(const char *s)
{
	if (*s == '\t' || *s == '\r' || *s == '\n')
		return 1;
	while (*s == ' ')
		s++;
	return *s == '=' || *s == '+' || *s == '-' || *s == '@';
}

/* The export of one cell: quoted, neutralised, and it undoes exactly. */
static void
check_cell(const char *s)
{
	struct buf b = { 0 };
	char	*u, *o;
	const char *p;

	CHECK(roster_csv_cell_safe(&b, s) == 0, "export out of memory");
	CHECK(b.len >= 2 && b.data[0] == '"' && b.data[b.len - 1] == '"',
	    "'%s' exported unquoted", s);
	if ((u = malloc(b.len)) == NULL)
		abort();
	for (p = b.data + 1, o = u; p < b.data + b.len - 1; p++) {
		if (*p == '"') {
			CHECK(p + 1 < b.data + b.len - 1 && p[1] == '"',
			    "lone quote in the export of '%s'", s);
			p++;
		}
		*o++ = *p;
	}
	*o = '\0';
	CHECK(!formula(u) || u[0] == '\'', "'%s' exported as formula '%s'", s,
	    u);
	CHECK(strcmp(u + (formula(s) ? 1 : 0), s) == 0 &&
	    (formula(s) ? u[0] == '\'' : 1), "'%s' exported as '%s'", s, u);
	free(u);
	buf_free(&b);
}

static int
same_cell(const char *before, const char *after)
{
	if (before == NULL)
		return after == NULL;
	if (after == NULL)
		return 0;
	if (formula(before))
		return after[0] == '\'' && strcmp(after + 1, before) == 0;
	return strcmp(after, before) == 0;
}

/* The export parses again (as "plain") into the same people. */
static void
check_round_trip(const struct roster *ro)
{
	char	 err[ROSTER_ERR_MAX];
	struct buf b = { 0 };
	struct roster *again;
	size_t	 i;

	CHECK(roster_export(&b, ro) == 0, "export out of memory");
	again = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	if (again == NULL) {
		/* A ' in front can take a cell just over its limit. */
		CHECK(strstr(err, "longer than") != NULL, "export refused: "
		    "%s", err);
		buf_free(&b);
		return;
	}
	CHECK(again->format == ROSTER_PLAIN && again->nrows == ro->nrows,
	    "export read back as %s with %zu rows of %zu",
	    roster_format_name(again->format), again->nrows, ro->nrows);
	for (i = 0; i < ro->nrows; i++) {
		const struct roster_row *x = &ro->rows[i], *y = &again->rows[i];

		CHECK(strcmp(x->username, y->username) == 0 &&
		    x->role == y->role, "row %zu: %s/%d read back as %s/%d",
		    i, x->username, (int)x->role, y->username, (int)y->role);
		CHECK(same_cell(x->full_name, y->full_name), "row %zu: name "
		    "'%s' read back as '%s'", i, x->full_name, y->full_name);
		CHECK(same_cell(x->email, y->email), "row %zu: e-mail '%s' "
		    "read back as '%s'", i, x->email, y->email);
		CHECK(same_cell(x->section, y->section), "row %zu: section "
		    "read back differently", i);
	}
	roster_free(again);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*copy = malloc(size > 0 ? size : 1), err[ROSTER_ERR_MAX];
	size_t	 i, j;

	if (copy == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		struct roster_opts o = { domains[i] };
		struct roster *ro;

		memset(err, GUARD, sizeof(err));
		ro = roster_parse(copy, size, &o, err, sizeof(err));
		CHECK(memchr(err, '\0', sizeof(err)) != NULL,
		    "message not terminated");
		if (ro == NULL) {
			CHECK(strncmp(err, "line ", 5) == 0, "refused without "
			    "a line: '%s'", err);
			continue;
		}
		CHECK(err[0] == '\0', "a roster and a message '%s'", err);
		check_rows(ro);
		for (j = 0; j < ro->nrows; j++) {
			check_cell(ro->rows[j].username);
			check_cell(ro->rows[j].full_name);
			check_cell(ro->rows[j].email);
			if (ro->rows[j].section != NULL)
				check_cell(ro->rows[j].section);
		}
		check_round_trip(ro);
		roster_free(ro);
	}
	/* The raw input as one cell, up to its first NUL. */
	if (size > 0 && size < 4096) {
		char	*s = fuzz_strndup(data, size);

		check_cell(s);
		free(s);
	}
	free(copy);
	return 0;
}
