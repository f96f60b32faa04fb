/*
 * Course rosters: the CSV files LMSs export, read into a checked list of
 * people, and the roster export.  Pure: no database, no I/O.  The whole
 * file is read or nothing is: the first bad row fails the parse with a
 * message that names its line, column and header, and no row is returned.
 *
 * The file
 *   RFC 4180 CSV plus what exports really contain: UTF-8 with or without a
 *   BOM (a UTF-16 file with a BOM, as Blackboard's tab-delimited download
 *   is, is converted first); CRLF, LF or lone CR line ends; quoted fields
 *   with separators, doubled quotes and line breaks inside; spaces after a
 *   closing quote; a quote inside an unquoted field is kept as text.  The
 *   separator is the one of ',', ';' and tab that the header line has most
 *   of (',' on a tie), or the one an Excel "sep=X" first line names.
 *   Blank lines and rows of empty cells are skipped anywhere.  Every cell
 *   must be valid UTF-8 (RFC 3629) without NUL or control characters other
 *   than tab, CR and LF.  Limits: ROSTER_MAX_BYTES per file,
 *   ROSTER_MAX_ROWS people, ROSTER_MAX_FIELD bytes per cell,
 *   ROSTER_MAX_COLUMNS columns.  A row with more cells than the header is
 *   an error unless the extra cells are empty (an unquoted comma in a name
 *   would otherwise shift every column).  A header with no rows is an
 *   error: an empty roster would drop the whole class.
 *
 * Formats, recognised from the header (names are compared without case,
 * with spaces trimmed and runs of spaces as one; the first alias listed
 * that is present wins; other columns are ignored):
 *
 *   canvas-gradebook  Canvas Grades > Export.  Recognised by "Student" with
 *     "SIS Login ID" or "SIS User ID".
 *       username  SIS Login ID | Login ID
 *       name      Student, as "Last, First" (turned into "First Last")
 *       email     Email | Email Address (Canvas has none: "")
 *       section   Section
 *       role      none: everyone is a student
 *     Skipped rows: "Points Possible" (the second line), rows with neither
 *     a Student nor a login (the "Muted" / "Manual Posting" line) and the
 *     course's test student ("Student, Test").
 *
 *   canvas-people  Canvas People / roster and SIS user exports.
 *     Recognised by "Login ID" (or "login_id").
 *       username  Login ID | login_id | SIS Login ID
 *       name      Name | Full Name | full_name, else Sortable Name |
 *                 sortable_name ("Last, First"), else First Name |
 *                 first_name with Last Name | last_name
 *       email     Email | Email Address | email
 *       section   Section | Sections | section
 *       role      Role | Roles | Enrollment Type | role
 *     Skipped rows: the test student ("Test Student" / "Student, Test").
 *
 *   blackboard  Blackboard Learn Grade Center (Work Offline) and user
 *     lists.  Recognised by "First Name" and "Last Name" with one of
 *     "Student ID", "Course Role", "Availability", "Last Access".
 *       username  Username | User Name
 *       name      First Name + Last Name
 *       email     Email | Email Address
 *       section   Section
 *       role      Course Role | Role
 *
 *   moodle  Moodle Participants > Download table data.  Recognised by
 *     "First name" with "Last name" or "Surname", or by "Email address".
 *     Moodle shows Username only when it is one of the site's "Show user
 *     identity" fields; without it the file is refused.
 *       username  Username | User name
 *       name      First name + Last name | Surname, else Full name
 *       email     Email address | Email
 *       section   Groups | Group
 *       role      Roles | Role (a list such as "Teacher, Student")
 *
 *   plain  Anything else with a user name column, e.g. what
 *     roster_export() writes: username,full_name,email,role,section.
 *       username  username | user | user name | user_name | login
 *       name      full_name | full name | fullname | name, else
 *                 first_name | first name with last_name | last name
 *       email     email | e-mail | email address | mail
 *       section   section | group
 *       role      role | roles
 *
 * Roles (compared without case; a cell may list several separated by ','
 * and the highest counts; an empty cell or no role column is "student";
 * anything else is an error):
 *   student     Student, StudentEnrollment
 *   ta          TA, TaEnrollment, Teaching Assistant, Grader (Blackboard),
 *               Non-editing teacher (Moodle)
 *   instructor  Instructor, Teacher, TeacherEnrollment, Manager (Moodle),
 *               editingteacher (Moodle's short name)
 *   Observers, designers, course builders and guests are errors: take
 *   them out of the file or give them one of the roles above.
 *
 * Normalisation: user names are trimmed and lower-cased (ASCII) and must
 * pass username_valid(); "alice@uni.edu" becomes "alice" only when
 * roster_opts.strip_domain is "uni.edu" (or "*").  Names and sections
 * are trimmed with runs of white space (line breaks included) made one
 * space; first and last names are joined as "First Last".  E-mail
 * addresses are trimmed and must look like local@domain.  A user name
 * twice in one file is an error that names both lines.
 *
 * Messages: "line L, column C (Header): what", where L counts physical
 * lines from 1 (line breaks inside quoted cells count) at the start of
 * the cell, and C counts cells from 1 as spreadsheets do.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubd.h"
#include "roster.h"

#define MSG_VALUE_MAX	48	/* bytes of a cell quoted in a message */
#define NO_STRING	SIZE_MAX

enum col {
	COL_USER = 0,
	COL_NAME,		/* "First Last" */
	COL_SORTABLE,		/* "Last, First" */
	COL_FIRST,
	COL_LAST,
	COL_EMAIL,
	COL_ROLE,
	COL_SECTION,
	COL_N
};

static const char *const col_what[COL_N] = {
	"user name", "name", "name", "first name", "last name", "e-mail",
	"role", "section",
};

struct alias {
	enum roster_format fmt;
	enum col	 col;
	const char	*name;
};

/* In order of preference within a format and column. */
static const struct alias aliases[] = {
	{ ROSTER_CANVAS_GRADEBOOK, COL_USER, "SIS Login ID" },
	{ ROSTER_CANVAS_GRADEBOOK, COL_USER, "Login ID" },
	{ ROSTER_CANVAS_GRADEBOOK, COL_SORTABLE, "Student" },
	{ ROSTER_CANVAS_GRADEBOOK, COL_EMAIL, "Email" },
	{ ROSTER_CANVAS_GRADEBOOK, COL_EMAIL, "Email Address" },
	{ ROSTER_CANVAS_GRADEBOOK, COL_SECTION, "Section" },

	{ ROSTER_CANVAS_PEOPLE, COL_USER, "Login ID" },
	{ ROSTER_CANVAS_PEOPLE, COL_USER, "login_id" },
	{ ROSTER_CANVAS_PEOPLE, COL_USER, "SIS Login ID" },
	{ ROSTER_CANVAS_PEOPLE, COL_NAME, "Name" },
	{ ROSTER_CANVAS_PEOPLE, COL_NAME, "Full Name" },
	{ ROSTER_CANVAS_PEOPLE, COL_NAME, "full_name" },
	{ ROSTER_CANVAS_PEOPLE, COL_SORTABLE, "Sortable Name" },
	{ ROSTER_CANVAS_PEOPLE, COL_SORTABLE, "sortable_name" },
	{ ROSTER_CANVAS_PEOPLE, COL_FIRST, "First Name" },
	{ ROSTER_CANVAS_PEOPLE, COL_FIRST, "first_name" },
	{ ROSTER_CANVAS_PEOPLE, COL_LAST, "Last Name" },
	{ ROSTER_CANVAS_PEOPLE, COL_LAST, "last_name" },
	{ ROSTER_CANVAS_PEOPLE, COL_EMAIL, "Email" },
	{ ROSTER_CANVAS_PEOPLE, COL_EMAIL, "Email Address" },
	{ ROSTER_CANVAS_PEOPLE, COL_SECTION, "Section" },
	{ ROSTER_CANVAS_PEOPLE, COL_SECTION, "Sections" },
	{ ROSTER_CANVAS_PEOPLE, COL_ROLE, "Role" },
	{ ROSTER_CANVAS_PEOPLE, COL_ROLE, "Roles" },
	{ ROSTER_CANVAS_PEOPLE, COL_ROLE, "Enrollment Type" },

	{ ROSTER_BLACKBOARD, COL_USER, "Username" },
	{ ROSTER_BLACKBOARD, COL_USER, "User Name" },
	{ ROSTER_BLACKBOARD, COL_FIRST, "First Name" },
	{ ROSTER_BLACKBOARD, COL_LAST, "Last Name" },
	{ ROSTER_BLACKBOARD, COL_EMAIL, "Email" },
	{ ROSTER_BLACKBOARD, COL_EMAIL, "Email Address" },
	{ ROSTER_BLACKBOARD, COL_SECTION, "Section" },
	{ ROSTER_BLACKBOARD, COL_ROLE, "Course Role" },
	{ ROSTER_BLACKBOARD, COL_ROLE, "Role" },

	{ ROSTER_MOODLE, COL_USER, "Username" },
	{ ROSTER_MOODLE, COL_USER, "User name" },
	{ ROSTER_MOODLE, COL_FIRST, "First name" },
	{ ROSTER_MOODLE, COL_LAST, "Last name" },
	{ ROSTER_MOODLE, COL_LAST, "Surname" },
	{ ROSTER_MOODLE, COL_NAME, "Full name" },
	{ ROSTER_MOODLE, COL_EMAIL, "Email address" },
	{ ROSTER_MOODLE, COL_EMAIL, "Email" },
	{ ROSTER_MOODLE, COL_SECTION, "Groups" },
	{ ROSTER_MOODLE, COL_SECTION, "Group" },
	{ ROSTER_MOODLE, COL_ROLE, "Roles" },
	{ ROSTER_MOODLE, COL_ROLE, "Role" },

	{ ROSTER_PLAIN, COL_USER, "username" },
	{ ROSTER_PLAIN, COL_USER, "user" },
	{ ROSTER_PLAIN, COL_USER, "user name" },
	{ ROSTER_PLAIN, COL_USER, "user_name" },
	{ ROSTER_PLAIN, COL_USER, "login" },
	{ ROSTER_PLAIN, COL_NAME, "full_name" },
	{ ROSTER_PLAIN, COL_NAME, "full name" },
	{ ROSTER_PLAIN, COL_NAME, "fullname" },
	{ ROSTER_PLAIN, COL_NAME, "name" },
	{ ROSTER_PLAIN, COL_FIRST, "first_name" },
	{ ROSTER_PLAIN, COL_FIRST, "first name" },
	{ ROSTER_PLAIN, COL_LAST, "last_name" },
	{ ROSTER_PLAIN, COL_LAST, "last name" },
	{ ROSTER_PLAIN, COL_EMAIL, "email" },
	{ ROSTER_PLAIN, COL_EMAIL, "e-mail" },
	{ ROSTER_PLAIN, COL_EMAIL, "email address" },
	{ ROSTER_PLAIN, COL_EMAIL, "mail" },
	{ ROSTER_PLAIN, COL_SECTION, "section" },
	{ ROSTER_PLAIN, COL_SECTION, "group" },
	{ ROSTER_PLAIN, COL_ROLE, "role" },
	{ ROSTER_PLAIN, COL_ROLE, "roles" },
};

static const struct {
	const char	*name;
	enum roster_role role;
} roles[] = {
	{ "student", ROSTER_STUDENT },
	{ "studentenrollment", ROSTER_STUDENT },
	{ "ta", ROSTER_TA },
	{ "taenrollment", ROSTER_TA },
	{ "teaching assistant", ROSTER_TA },
	{ "grader", ROSTER_TA },
	{ "non-editing teacher", ROSTER_TA },
	{ "instructor", ROSTER_INSTRUCTOR },
	{ "teacher", ROSTER_INSTRUCTOR },
	{ "teacherenrollment", ROSTER_INSTRUCTOR },
	{ "manager", ROSTER_INSTRUCTOR },
	{ "editingteacher", ROSTER_INSTRUCTOR },
};

static const char *const format_names[] = {
	[ROSTER_PLAIN] = "plain",
	[ROSTER_CANVAS_GRADEBOOK] = "canvas-gradebook",
	[ROSTER_CANVAS_PEOPLE] = "canvas-people",
	[ROSTER_MOODLE] = "moodle",
	[ROSTER_BLACKBOARD] = "blackboard",
};

static const char *const role_names[] = {
	[ROSTER_STUDENT] = "student",
	[ROSTER_TA] = "ta",
	[ROSTER_INSTRUCTOR] = "instructor",
};

/* The cells of one record, each NUL-terminated in text. */
struct record {
	struct buf	 text;
	size_t		*off, *len;
	unsigned	*line;		/* where each cell starts */
	size_t		 n, cap;
};

struct csv {
	const char	*p, *end;
	unsigned	 line;
	char		 sep;
};

/* A row while parsing: strings are offsets into the arena, which moves. */
struct pending {
	size_t		 name, email, section;
};

struct parser {
	const struct roster_opts *opts;
	char		*err;
	size_t		 errsize;
	struct csv	 csv;
	struct record	 rec;
	struct record	 head;		/* the header, as written */
	struct buf	 hnorm;		/* its names, normalized */
	size_t		*hoff;
	int		 have_head;
	enum roster_format format;
	long		 col[COL_N];	/* -1: absent */
	struct roster	*ro;
	size_t		 cap;
	struct pending	*pend;
	struct buf	 strings;
	struct buf	 scratch;
	size_t		*slots;		/* row index + 1 by user name hash */
	size_t		 nslots;
};

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ascii_lower((unsigned char)*a) !=
		    ascii_lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* a[0..n) equals b (NUL-terminated) without regard to ASCII case. */
static int
ascii_ncaseeq(const char *a, size_t n, const char *b)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (b[i] == '\0' || ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return 0;
	return b[n] == '\0';
}

const char *
roster_format_name(enum roster_format f)
{
	if ((size_t)f >= sizeof(format_names) / sizeof(format_names[0]))
		return "unknown";
	return format_names[f];
}

const char *
roster_role_name(enum roster_role r)
{
	if ((size_t)r >= sizeof(role_names) / sizeof(role_names[0]))
		return "student";
	return role_names[r];
}

/* A cell for a message: at most MSG_VALUE_MAX bytes, cut on a character
 * boundary, controls shown as spaces. */
static const char *
shown(const char *s, char out[MSG_VALUE_MAX + 4])
{
	size_t	 i, n = strlen(s);

	if (n > MSG_VALUE_MAX) {
		n = MSG_VALUE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	memcpy(out + n, n < strlen(s) ? "..." : "", n < strlen(s) ? 4 : 1);
	return out;
}

static int __attribute__((format(printf, 4, 5)))
fail_at(struct parser *p, unsigned line, long col, const char *fmt, ...)
{
	char	 msg[ROSTER_ERR_MAX], where[128], h[MSG_VALUE_MAX + 4];
	va_list	 ap;

	if (p->err == NULL || p->errsize == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (col < 0)
		snprintf(where, sizeof(where), "line %u", line);
	else if (p->have_head && (size_t)col < p->head.n)
		snprintf(where, sizeof(where), "line %u, column %ld (%s)",
		    line, col + 1, shown(p->head.text.data + p->head.off[col],
		    h));
	else
		snprintf(where, sizeof(where), "line %u, column %ld", line,
		    col + 1);
	snprintf(p->err, p->errsize, "%s: %s", where, msg);
	return -1;
}

static int
fail_nomem(struct parser *p)
{
	if (p->err != NULL && p->errsize > 0)
		snprintf(p->err, p->errsize, "out of memory");
	return -1;
}

/* Lines that n bytes of input end: LF, CRLF and a lone CR each one. */
static unsigned
count_lines(const char *s, size_t n)
{
	size_t	 i;
	unsigned k = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == n ||
		    s[i + 1] != '\n')))
			k++;
	return k;
}

/* Length of the UTF-8 sequence at s (RFC 3629), 0 when invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t	 k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/* Every cell of the record is UTF-8 without NUL or stray controls. */
static int
record_check_text(struct parser *p, const struct record *r)
{
	size_t	 i, j, k;

	for (i = 0; i < r->n; i++) {
		const unsigned char *s = (const unsigned char *)r->text.data +
		    r->off[i];

		for (j = 0; j < r->len[i]; j += k) {
			if ((k = utf8_seq(s + j, r->len[i] - j)) == 0)
				return fail_at(p, r->line[i] + count_lines(
				    (const char *)s, j), (long)i,
				    "invalid UTF-8 (byte 0x%02X): save the "
				    "file as UTF-8 CSV", s[j]);
			if ((s[j] < 0x20 && !is_space(s[j])) || s[j] == 0x7f)
				return fail_at(p, r->line[i] + count_lines(
				    (const char *)s, j), (long)i,
				    "control character 0x%02X", s[j]);
		}
	}
	return 0;
}

/* --- the CSV layer --- */

static int
record_add_cell(struct parser *p, unsigned line)
{
	struct record *r = &p->rec;

	if (r->n == r->cap) {
		size_t	 cap = r->cap == 0 ? 32 : r->cap * 2;
		size_t	*off, *len;
		unsigned *ln;

		if (r->cap >= ROSTER_MAX_COLUMNS)
			return fail_at(p, line, -1, "more than %u columns",
			    ROSTER_MAX_COLUMNS);
		if ((off = realloc(r->off, cap * sizeof(*off))) == NULL)
			return fail_nomem(p);
		r->off = off;
		if ((len = realloc(r->len, cap * sizeof(*len))) == NULL)
			return fail_nomem(p);
		r->len = len;
		if ((ln = realloc(r->line, cap * sizeof(*ln))) == NULL)
			return fail_nomem(p);
		r->line = ln;
		r->cap = cap;
	}
	r->off[r->n] = r->text.len;
	r->len[r->n] = 0;
	r->line[r->n] = line;
	return 0;
}

static int
cell_append(struct parser *p, const char *s, size_t n)
{
	struct record *r = &p->rec;

	if (r->len[r->n] + n > ROSTER_MAX_FIELD)
		return fail_at(p, r->line[r->n], (long)r->n,
		    "cell longer than %u bytes", ROSTER_MAX_FIELD);
	if (buf_add(&r->text, s, n) == -1)
		return fail_nomem(p);
	r->len[r->n] += n;
	return 0;
}

static int
csv_plain(struct parser *p)
{
	struct csv *c = &p->csv;
	const char *q = c->p;

	while (q < c->end && *q != c->sep && *q != '\r' && *q != '\n')
		q++;
	if (cell_append(p, c->p, (size_t)(q - c->p)) == -1)
		return -1;
	c->p = q;
	return 0;
}

static int
csv_quoted(struct parser *p)
{
	struct csv *c = &p->csv;
	const char *q;

	for (c->p++;; c->p = q + 2) {
		q = memchr(c->p, '"', (size_t)(c->end - c->p));
		if (q == NULL)
			return fail_at(p, p->rec.line[p->rec.n], (long)p->rec.n,
			    "quoted cell is not closed (a quote is missing)");
		if (cell_append(p, c->p, (size_t)(q - c->p)) == -1)
			return -1;
		c->line += count_lines(c->p, (size_t)(q - c->p));
		if (q + 1 == c->end || q[1] != '"')
			break;
		if (cell_append(p, "\"", 1) == -1)
			return -1;
	}
	c->p = q + 1;
	while (c->p < c->end && *c->p == ' ')
		c->p++;
	if (c->p < c->end && *c->p != c->sep && *c->p != '\r' &&
	    *c->p != '\n')
		return fail_at(p, c->line, (long)p->rec.n, "text after the "
		    "closing quote (a quote inside a quoted cell is written "
		    "twice)");
	return 0;
}

/* One cell; returns 1 when another cell of the record follows, 0 at the
 * end of the record, -1 on error. */
static int
csv_cell(struct parser *p)
{
	struct csv *c = &p->csv;
	struct record *r = &p->rec;

	if (record_add_cell(p, c->line) == -1)
		return -1;
	if (c->p < c->end && *c->p == '"') {
		if (csv_quoted(p) == -1)
			return -1;
	} else if (csv_plain(p) == -1)
		return -1;
	if (buf_add(&r->text, "", 1) == -1)
		return fail_nomem(p);
	r->n++;
	if (c->p == c->end)
		return 0;
	if (*c->p == c->sep) {
		c->p++;
		return 1;
	}
	if (*c->p++ == '\r' && c->p < c->end && *c->p == '\n')
		c->p++;
	c->line++;
	return 0;
}

/* 1: a record in p->rec, 0: end of input, -1: error. */
static int
csv_record(struct parser *p)
{
	int	 more;

	if (p->csv.p == p->csv.end)
		return 0;
	p->rec.n = 0;
	p->rec.text.len = 0;
	do {
		if ((more = csv_cell(p)) == -1)
			return -1;
	} while (more);
	return 1;
}

static int
record_blank(const struct record *r)
{
	size_t	 i, j;

	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->len[i]; j++)
			if (!is_space((unsigned char)r->text.data[r->off[i] +
			    j]))
				return 0;
	return 1;
}

static void
record_free(struct record *r)
{
	buf_free(&r->text);
	free(r->off);
	free(r->len);
	free(r->line);
	memset(r, 0, sizeof(*r));
}

/* The separator: an Excel "sep=X" line, else the one of , ; tab that the
 * first non-blank line has most of outside quotes.  Moves past "sep=". */
static void
csv_detect_sep(struct csv *c)
{
	static const char seps[] = { ',', ';', '\t' };
	const char *s = c->p;
	size_t	 n[3] = { 0, 0, 0 }, i;
	int	 quoted = 0;

	if (c->end - s >= 5 && ascii_ncaseeq(s, 4, "sep=") &&
	    memchr(seps, s[4], 3) != NULL &&
	    (c->end - s == 5 || s[5] == '\r' || s[5] == '\n')) {
		c->sep = s[4];
		c->p = s + 5;
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		c->line = 2;
		return;
	}
	while (s < c->end && (*s == '\r' || *s == '\n'))
		s++;
	for (; s < c->end && (quoted || (*s != '\r' && *s != '\n')); s++) {
		if (*s == '"')
			quoted = !quoted;
		for (i = 0; !quoted && i < 3; i++)
			n[i] += *s == seps[i];
	}
	c->sep = ',';
	if (n[1] > n[0] && n[1] >= n[2])
		c->sep = ';';
	else if (n[2] > n[0] && n[2] > n[1])
		c->sep = '\t';
}

/* --- UTF-16 input (Blackboard's tab-delimited download) --- */

static void
utf8_put(char **o, uint32_t u)
{
	unsigned char *d = (unsigned char *)*o;

	if (u < 0x80)
		*d++ = (unsigned char)u;
	else if (u < 0x800) {
		*d++ = (unsigned char)(0xc0 | u >> 6);
		*d++ = (unsigned char)(0x80 | (u & 0x3f));
	} else if (u < 0x10000) {
		*d++ = (unsigned char)(0xe0 | u >> 12);
		*d++ = (unsigned char)(0x80 | (u >> 6 & 0x3f));
		*d++ = (unsigned char)(0x80 | (u & 0x3f));
	} else {
		*d++ = (unsigned char)(0xf0 | u >> 18);
		*d++ = (unsigned char)(0x80 | (u >> 12 & 0x3f));
		*d++ = (unsigned char)(0x80 | (u >> 6 & 0x3f));
		*d++ = (unsigned char)(0x80 | (u & 0x3f));
	}
	*o = (char *)d;
}

/* s[0..n) without its BOM, as UTF-8 in a new buffer (caller frees). */
static char *
utf16_decode(struct parser *p, const unsigned char *s, size_t n, int le,
    size_t *outlen)
{
	char	*out, *o;
	size_t	 i;
	unsigned line = 1;

	if (n % 2 != 0) {
		fail_at(p, line, -1, "UTF-16 file cut in a character");
		return NULL;
	}
	if ((out = malloc(n / 2 * 3 + 1)) == NULL) {
		fail_nomem(p);
		return NULL;
	}
	for (i = 0, o = out; i < n; i += 2) {
		uint32_t u = le ? (uint32_t)(s[i] | s[i + 1] << 8) :
		    (uint32_t)(s[i] << 8 | s[i + 1]);

		if (u >= 0xd800 && u <= 0xdbff && i + 3 < n) {
			uint32_t l = le ? (uint32_t)(s[i + 2] | s[i + 3] << 8) :
			    (uint32_t)(s[i + 2] << 8 | s[i + 3]);

			if (l >= 0xdc00 && l <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (l - 0xdc00);
				i += 2;
			}
		}
		if (u >= 0xd800 && u <= 0xdfff) {
			free(out);
			fail_at(p, line, -1, "invalid UTF-16 (a lone "
			    "surrogate)");
			return NULL;
		}
		line += u == '\n';
		utf8_put(&o, u);
	}
	*outlen = (size_t)(o - out);
	return out;
}

/* --- the header --- */

/* Lower-case ASCII, trimmed, runs of space as one, without a BOM. */
static int
header_norm(struct buf *b, const char *s)
{
	int	 space = 0;

	if (strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (is_space((unsigned char)*s))
		s++;
	for (; *s != '\0'; s++) {
		char	 c = (char)ascii_lower((unsigned char)*s);

		if (is_space((unsigned char)c)) {
			space = 1;
			continue;
		}
		if ((space && buf_add(b, " ", 1) == -1) ||
		    buf_add(b, &c, 1) == -1)
			return -1;
		space = 0;
	}
	return buf_add(b, "", 1);
}

/* Index of the header column called name, -1 if none, -2 if several. */
static long
header_find(const struct parser *p, const char *name, long *second)
{
	long	 found = -1;
	size_t	 i;

	for (i = 0; i < p->head.n; i++) {
		if (!ascii_caseeq(p->hnorm.data + p->hoff[i], name))
			continue;
		if (found >= 0) {
			*second = (long)i;
			return -2;
		}
		found = (long)i;
	}
	return found;
}

static int
header_has(const struct parser *p, const char *name)
{
	long	 second;

	return header_find(p, name, &second) != -1;
}

static void
header_detect(struct parser *p)
{
	if (header_has(p, "student") && (header_has(p, "sis login id") ||
	    header_has(p, "sis user id")))
		p->format = ROSTER_CANVAS_GRADEBOOK;
	else if (header_has(p, "login id") || header_has(p, "login_id"))
		p->format = ROSTER_CANVAS_PEOPLE;
	else if (header_has(p, "first name") && header_has(p, "last name") &&
	    (header_has(p, "student id") || header_has(p, "course role") ||
	    header_has(p, "availability") || header_has(p, "last access")))
		p->format = ROSTER_BLACKBOARD;
	else if ((header_has(p, "first name") && (header_has(p, "last name") ||
	    header_has(p, "surname"))) || header_has(p, "email address"))
		p->format = ROSTER_MOODLE;
	else
		p->format = ROSTER_PLAIN;
}

/* The aliases of a column in this format, for messages. */
static void
header_aliases(const struct parser *p, enum col col, char *out, size_t size)
{
	size_t	 i, n = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (aliases[i].fmt != p->format || aliases[i].col != col)
			continue;
		snprintf(out + n, size - n, "%s\"%s\"", n > 0 ? ", " : "",
		    aliases[i].name);
		n = strlen(out);
	}
}

static int
header_map(struct parser *p, unsigned line)
{
	size_t	 i;
	long	 at, second = -1;

	for (i = 0; i < COL_N; i++)
		p->col[i] = -1;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		const struct alias *a = &aliases[i];

		if (a->fmt != p->format || p->col[a->col] >= 0)
			continue;
		if ((at = header_find(p, a->name, &second)) == -2)
			return fail_at(p, line, second, "a second \"%s\" "
			    "column: which one is the %s?", a->name,
			    col_what[a->col]);
		p->col[a->col] = at;
	}
	return 0;
}

static int
header_read(struct parser *p)
{
	char	 list[ROSTER_ERR_MAX / 2];
	unsigned line;
	size_t	 i;
	int	 r;

	while ((r = csv_record(p)) == 1 && record_blank(&p->rec))
		;
	if (r == -1)
		return -1;
	if (r == 0)
		return fail_at(p, p->csv.line, -1, "no header line: the file "
		    "is empty");
	line = p->rec.line[0];
	if (record_check_text(p, &p->rec) == -1)
		return -1;
	p->head = p->rec;
	memset(&p->rec, 0, sizeof(p->rec));
	p->have_head = 1;
	if ((p->hoff = calloc(p->head.n, sizeof(*p->hoff))) == NULL)
		return fail_nomem(p);
	for (i = 0; i < p->head.n; i++) {
		p->hoff[i] = p->hnorm.len;
		if (header_norm(&p->hnorm, p->head.text.data +
		    p->head.off[i]) == -1)
			return fail_nomem(p);
	}
	header_detect(p);
	if (header_map(p, line) == -1)
		return -1;
	if (p->col[COL_USER] >= 0)
		return 0;
	header_aliases(p, COL_USER, list, sizeof(list));
	return fail_at(p, line, -1, "no user name column in this %s header "
	    "(one of %s)%s", roster_format_name(p->format), list,
	    p->format == ROSTER_MOODLE ? ": add Username to the site's "
	    "\"Show user identity\" fields and download again" : "");
}

/* --- rows --- */

static const char *
cell(const struct parser *p, enum col col)
{
	long	 i = p->col[col];

	if (i < 0 || (size_t)i >= p->rec.n)
		return "";
	return p->rec.text.data + p->rec.off[i];
}

static unsigned
cell_line(const struct parser *p, enum col col)
{
	long	 i = p->col[col];

	if (i < 0 || (size_t)i >= p->rec.n)
		return p->rec.line[0];
	return p->rec.line[i];
}

/* Append s trimmed, with runs of white space as one space (no NUL). */
static int
text_norm(struct buf *b, const char *s)
{
	int	 space = 0;

	while (is_space((unsigned char)*s))
		s++;
	for (; *s != '\0'; s++) {
		if (is_space((unsigned char)*s)) {
			space = 1;
			continue;
		}
		if ((space && buf_add(b, " ", 1) == -1) ||
		    buf_add(b, s, 1) == -1)
			return -1;
		space = 0;
	}
	return b->failed ? -1 : 0;
}

static int
is_test_student(const struct parser *p)
{
	const char *n = p->scratch.data;

	return (p->format == ROSTER_CANVAS_GRADEBOOK ||
	    p->format == ROSTER_CANVAS_PEOPLE) && n != NULL &&
	    (ascii_caseeq(n, "student, test") ||
	    ascii_caseeq(n, "test student"));
}

/* Rows that are not people: 1 to skip the record. */
static int
row_skip(struct parser *p)
{
	const char *user = cell(p, COL_USER), *name;

	p->scratch.len = 0;
	if (text_norm(&p->scratch, cell(p, p->col[COL_SORTABLE] >= 0 ?
	    COL_SORTABLE : COL_NAME)) == -1 || buf_add(&p->scratch, "", 1))
		return -1;
	name = p->scratch.data;
	while (is_space((unsigned char)*user))
		user++;
	if (p->format == ROSTER_CANVAS_GRADEBOOK &&
	    (ascii_caseeq(name, "points possible") ||
	    (*name == '\0' && *user == '\0')))
		return 1;
	return is_test_student(p);
}

/* username from its cell, with the domain stripped if allowed. */
static int
row_username(struct parser *p, char *out)
{
	const char *s = cell(p, COL_USER), *at, *dom = p->opts->strip_domain;
	char	 v[MSG_VALUE_MAX + 4];
	size_t	 n, i;
	unsigned line = cell_line(p, COL_USER);
	long	 col = p->col[COL_USER];

	while (is_space((unsigned char)*s))
		s++;
	for (n = strlen(s); n > 0 && is_space((unsigned char)s[n - 1]); n--)
		;
	if (n == 0)
		return fail_at(p, line, col, "no user name");
	if ((at = memchr(s, '@', n)) != NULL) {
		if (dom == NULL)
			return fail_at(p, line, col, "\"%s\" is a login with a "
			    "domain: allow it with the strip-domain option",
			    shown(s, v));
		if (strcmp(dom, "*") != 0 && !ascii_ncaseeq(at + 1,
		    n - (size_t)(at - s) - 1, dom))
			return fail_at(p, line, col, "\"%s\" is not in the "
			    "domain %s", shown(s, v), dom);
		n = (size_t)(at - s);
	}
	for (i = 0; i < n && i < USERNAME_MAX; i++)
		out[i] = (char)ascii_lower((unsigned char)s[i]);
	out[i] = '\0';
	if (n > USERNAME_MAX || !username_valid(out))
		return fail_at(p, line, col, "\"%s\" is not a valid user name "
		    "(a-z, 0-9, '_', '.', '-', starting with a letter or '_', "
		    "at most %d)", shown(s, v), USERNAME_MAX);
	return 0;
}

/* Appends the last name s[0..n) after what the name has so far. */
static int
row_name_last(struct buf *b, size_t start, const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n > 0 && b->len > start && buf_add(b, " ", 1) == -1)
		return -1;
	return buf_add(b, s, n);
}

/* The full name into the arena: "First Last" from a Name cell, from a
 * "Last, First" cell, or from first and last name cells. */
static int
row_name(struct parser *p, size_t *off)
{
	struct buf *b = &p->strings;
	const char *s, *comma;
	enum col at = p->col[COL_NAME] >= 0 ? COL_NAME : COL_FIRST;

	*off = b->len;
	if (p->col[COL_NAME] < 0 && p->col[COL_SORTABLE] >= 0) {
		at = COL_SORTABLE;
		s = p->scratch.data;	/* normalized by row_skip() */
		if ((comma = strchr(s, ',')) == NULL)
			comma = s + strlen(s);	/* no "Last, ": as it is */
		else if (text_norm(b, comma + 1) == -1)
			return fail_nomem(p);
		if (row_name_last(b, *off, s, (size_t)(comma - s)) == -1)
			return fail_nomem(p);
	} else if (p->col[COL_NAME] >= 0) {
		if (text_norm(b, cell(p, COL_NAME)) == -1)
			return fail_nomem(p);
	} else {
		if (text_norm(b, cell(p, COL_FIRST)) == -1 ||
		    (b->len > *off && *cell(p, COL_LAST) != '\0' &&
		    buf_add(b, " ", 1) == -1) ||
		    text_norm(b, cell(p, COL_LAST)) == -1)
			return fail_nomem(p);
		while (b->len > *off && b->data[b->len - 1] == ' ')
			b->len--;
	}
	if (buf_add(b, "", 1) == -1)
		return fail_nomem(p);
	if (b->len - *off - 1 > ROSTER_NAME_MAX)
		return fail_at(p, cell_line(p, at), p->col[at], "name longer "
		    "than %d bytes", ROSTER_NAME_MAX);
	return 0;
}

static int
email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t	 i;

	if (n > ROSTER_EMAIL_MAX || at == NULL || at == s || at == s + n - 1 ||
	    memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || strchr("\"(),:;<>[\\]",
		    s[i]) != NULL)
			return 0;
	return 1;
}

static int
row_email(struct parser *p, size_t *off)
{
	struct buf *b = &p->strings;
	char	 v[MSG_VALUE_MAX + 4];
	const char *s;

	*off = b->len;
	if (text_norm(b, cell(p, COL_EMAIL)) == -1 || buf_add(b, "", 1) == -1)
		return fail_nomem(p);
	s = b->data + *off;
	if (*s != '\0' && !email_ok(s, strlen(s)))
		return fail_at(p, cell_line(p, COL_EMAIL), p->col[COL_EMAIL],
		    "\"%s\" is not an e-mail address", shown(s, v));
	return 0;
}

static int
row_section(struct parser *p, size_t *off)
{
	struct buf *b = &p->strings;
	size_t	 start = b->len;

	*off = NO_STRING;
	if (text_norm(b, cell(p, COL_SECTION)) == -1 ||
	    buf_add(b, "", 1) == -1)
		return fail_nomem(p);
	if (b->len - start - 1 > ROSTER_SECTION_MAX)
		return fail_at(p, cell_line(p, COL_SECTION),
		    p->col[COL_SECTION], "section longer than %d bytes",
		    ROSTER_SECTION_MAX);
	if (b->len - start > 1)
		*off = start;
	else
		b->len = start;
	return 0;
}

/* One role name of a cell (s[0..n), trimmed by the caller). */
static int
role_lookup(const char *s, size_t n, enum roster_role *r)
{
	char	 name[32];
	size_t	 i, o = 0;

	for (i = 0; i < n && o < sizeof(name) - 1; i++)
		if (!is_space((unsigned char)s[i]) || (o > 0 &&
		    name[o - 1] != ' '))
			name[o++] = is_space((unsigned char)s[i]) ? ' ' :
			    (char)ascii_lower((unsigned char)s[i]);
	if (i < n)
		return -1;
	name[o] = '\0';
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(name, roles[i].name) == 0) {
			*r = roles[i].role;
			return 0;
		}
	return -1;
}

static int
row_role(struct parser *p, enum roster_role *role)
{
	const char *s = cell(p, COL_ROLE), *e;
	char	 v[MSG_VALUE_MAX + 4];
	enum roster_role r;

	*role = ROSTER_STUDENT;
	for (; *s != '\0'; s = *e == ',' ? e + 1 : e) {
		size_t	 n;

		while (is_space((unsigned char)*s))
			s++;
		e = s + strcspn(s, ",");
		for (n = (size_t)(e - s); n > 0 &&
		    is_space((unsigned char)s[n - 1]); n--)
			;
		if (n == 0)
			continue;
		if (role_lookup(s, n, &r) == -1) {
			char	 one[MSG_VALUE_MAX + 1];

			snprintf(one, sizeof(one), "%.*s", (int)n, s);
			return fail_at(p, cell_line(p, COL_ROLE),
			    p->col[COL_ROLE], "unknown role \"%s\" (student, "
			    "TA or instructor as Canvas, Moodle or Blackboard "
			    "name them)", shown(one, v));
		}
		if (r > *role)
			*role = r;
	}
	return 0;
}

/* Too many cells: an unquoted separator inside a cell, most likely. */
static int
row_width(struct parser *p)
{
	size_t	 i, j;

	for (i = p->head.n; i < p->rec.n; i++)
		for (j = 0; j < p->rec.len[i]; j++)
			if (!is_space((unsigned char)p->rec.text.data[
			    p->rec.off[i] + j]))
				return fail_at(p, p->rec.line[i], (long)i,
				    "%zu cells but the header has %zu (a "
				    "\"%c\" inside a cell must be quoted)",
				    p->rec.n, p->head.n, p->csv.sep);
	return 0;
}

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int
dup_grow(struct parser *p)
{
	size_t	 n = p->nslots == 0 ? 1024 : p->nslots * 2, i, *slots;

	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return fail_nomem(p);
	for (i = 0; i < p->ro->nrows; i++) {
		size_t	 h = name_hash(p->ro->rows[i].username) & (n - 1);

		while (slots[h] != 0)
			h = (h + 1) & (n - 1);
		slots[h] = i + 1;
	}
	free(p->slots);
	p->slots = slots;
	p->nslots = n;
	return 0;
}

/* The row about to be added (index nrows) against those before it. */
static int
dup_check(struct parser *p)
{
	struct roster_row *rows = p->ro->rows, *r = &rows[p->ro->nrows];
	size_t	 h;

	if ((p->ro->nrows + 1) * 2 > p->nslots && dup_grow(p) == -1)
		return -1;
	h = name_hash(r->username) & (p->nslots - 1);
	for (; p->slots[h] != 0; h = (h + 1) & (p->nslots - 1))
		if (strcmp(rows[p->slots[h] - 1].username, r->username) == 0)
			return fail_at(p, cell_line(p, COL_USER),
			    p->col[COL_USER], "user name \"%s\" already on "
			    "line %u", r->username, rows[p->slots[h] - 1].line);
	p->slots[h] = p->ro->nrows + 1;
	return 0;
}

static int
rows_grow(struct parser *p)
{
	size_t	 cap = p->cap == 0 ? 64 : p->cap * 2;
	struct roster_row *rows;
	struct pending *pend;

	if ((rows = realloc(p->ro->rows, cap * sizeof(*rows))) == NULL)
		return fail_nomem(p);
	p->ro->rows = rows;
	if ((pend = realloc(p->pend, cap * sizeof(*pend))) == NULL)
		return fail_nomem(p);
	p->pend = pend;
	p->cap = cap;
	return 0;
}

static int
row_add(struct parser *p)
{
	struct roster_row *r;
	struct pending *pd;
	int	 skip;

	if (record_check_text(p, &p->rec) == -1 || row_width(p) == -1)
		return -1;
	if ((skip = row_skip(p)) != 0)
		return skip == 1 ? 0 : fail_nomem(p);
	if (p->ro->nrows == ROSTER_MAX_ROWS)
		return fail_at(p, p->rec.line[0], -1, "more than %u people",
		    ROSTER_MAX_ROWS);
	if (p->ro->nrows == p->cap && rows_grow(p) == -1)
		return -1;
	r = &p->ro->rows[p->ro->nrows];
	pd = &p->pend[p->ro->nrows];
	memset(r, 0, sizeof(*r));
	r->line = p->rec.line[0];
	if (row_username(p, r->username) == -1 || row_name(p, &pd->name) ==
	    -1 || row_email(p, &pd->email) == -1 || row_role(p, &r->role) ==
	    -1 || row_section(p, &pd->section) == -1 || dup_check(p) == -1)
		return -1;
	p->ro->nrows++;
	return 0;
}

/* Input after any BOM, as UTF-8; *conv is set when it had to be made. */
static int
parse_input(struct parser *p, const char *data, size_t len, char **conv)
{
	const unsigned char *u = (const unsigned char *)data;
	size_t	 n = len;

	*conv = NULL;
	if (len > ROSTER_MAX_BYTES)
		return fail_at(p, 1, -1, "the file is %zu bytes, more than "
		    "the %u MiB a roster may have", len,
		    ROSTER_MAX_BYTES / (1024 * 1024));
	if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) ||
	    (u[0] == 0xfe && u[1] == 0xff))) {
		if ((*conv = utf16_decode(p, u + 2, len - 2, u[0] == 0xff,
		    &n)) == NULL)
			return -1;
		data = *conv;
	} else if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		n -= 3;
	}
	p->csv.p = data;
	p->csv.end = data + n;
	p->csv.line = 1;
	csv_detect_sep(&p->csv);
	return 0;
}

static int
parse_rows(struct parser *p)
{
	int	 r;

	while ((r = csv_record(p)) == 1)
		if (!record_blank(&p->rec) && row_add(p) == -1)
			return -1;
	if (r == -1)
		return -1;
	if (p->ro->nrows == 0)
		return fail_at(p, p->csv.line, -1, "no people in the file, "
		    "only a header");
	return 0;
}

static void
parse_finish(struct parser *p)
{
	struct roster *ro = p->ro;
	size_t	 i;

	ro->strings = p->strings.data;
	memset(&p->strings, 0, sizeof(p->strings));
	for (i = 0; i < ro->nrows; i++) {
		ro->rows[i].full_name = ro->strings + p->pend[i].name;
		ro->rows[i].email = ro->strings + p->pend[i].email;
		ro->rows[i].section = p->pend[i].section == NO_STRING ? NULL :
		    ro->strings + p->pend[i].section;
	}
}

static void
parser_free(struct parser *p)
{
	record_free(&p->rec);
	record_free(&p->head);
	buf_free(&p->hnorm);
	buf_free(&p->strings);
	buf_free(&p->scratch);
	free(p->hoff);
	free(p->pend);
	free(p->slots);
}

/*
 * data[0..len) is the file as uploaded (no NUL needed).  Returns the
 * roster (caller frees with roster_free()) or NULL with a message in err
 * ("line L, column C (Header): ..."); opts may be NULL.
 */
struct roster *
roster_parse(const char *data, size_t len, const struct roster_opts *opts,
    char *err, size_t errsize)
{
	static const struct roster_opts none = { NULL };
	struct parser p;
	char	*conv = NULL;

	memset(&p, 0, sizeof(p));
	p.opts = opts != NULL ? opts : &none;
	p.err = err;
	p.errsize = errsize;
	if (err != NULL && errsize > 0)
		err[0] = '\0';
	if ((p.ro = calloc(1, sizeof(*p.ro))) == NULL) {
		fail_nomem(&p);
		return NULL;
	}
	if (data == NULL)
		len = 0;
	if (parse_input(&p, data != NULL ? data : "", len, &conv) == -1 ||
	    header_read(&p) == -1 || parse_rows(&p) == -1)
		goto fail;
	p.ro->format = p.format;
	p.ro->sep = p.csv.sep;
	parse_finish(&p);
	free(conv);
	parser_free(&p);
	return p.ro;
fail:
	free(conv);
	parser_free(&p);
	roster_free(p.ro);
	return NULL;
}

void
roster_free(struct roster *ro)
{
	if (ro == NULL)
		return;
	free(ro->rows);
	free(ro->strings);
	free(ro);
}

/* --- export --- */

/* Would a spreadsheet take the cell for a formula (or a DDE call)? */
static int
cell_is_formula(const char *s)
{
	if (*s == '\t' || *s == '\r' || *s == '\n')
		return 1;
	while (*s == ' ')
		s++;
	return *s != '\0' && strchr("=+-@", *s) != NULL;
}

/*
 * Appends s (NULL: empty) as one quoted CSV cell, with a ' in front when
 * a spreadsheet would read it as a formula.  0, or -1 when out of memory.
 */
int
roster_csv_cell_safe(struct buf *b, const char *s)
{
	const char *q;

	if (s == NULL)
		s = "";
	if (buf_add(b, "\"", 1) == -1 ||
	    (cell_is_formula(s) && buf_add(b, "'", 1) == -1))
		return -1;
	for (; (q = strchr(s, '"')) != NULL; s = q + 1)
		if (buf_add(b, s, (size_t)(q - s) + 1) == -1 ||
		    buf_add(b, "\"", 1) == -1)
			return -1;
	if (buf_puts(b, s) == -1)
		return -1;
	return buf_add(b, "\"", 1);
}

/* The first line of an export, after a UTF-8 BOM so that spreadsheets
 * read names in any script; roster_parse() reads it as "plain". */
int
roster_export_header(struct buf *b)
{
	return buf_puts(b, "\xef\xbb\xbfusername,full_name,email,role,"
	    "section\r\n");
}

/* One CSV line of n spreadsheet-safe cells, CRLF-terminated. */
static int
csv_row(struct buf *b, const char *const *cells, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((i > 0 && buf_add(b, ",", 1) == -1) ||
		    roster_csv_cell_safe(b, cells[i]) == -1)
			return -1;
	return buf_add(b, "\r\n", 2);
}

int
roster_export_row(struct buf *b, const struct roster_row *r)
{
	const char *cells[] = { r->username, r->full_name, r->email,
	    roster_role_name(r->role), r->section };

	return csv_row(b, cells, sizeof(cells) / sizeof(cells[0]));
}

int
roster_export(struct buf *b, const struct roster *ro)
{
	size_t	 i;

	if (roster_export_header(b) == -1)
		return -1;
	for (i = 0; i < ro->nrows; i++)
		if (roster_export_row(b, &ro->rows[i]) == -1)
			return -1;
	return 0;
}

/* The links an import made, for a mail merge: a header, then one row per
 * new account with its link and when it expires (UTC). */
int
roster_links_header(struct buf *b)
{
	return buf_puts(b, "\xef\xbb\xbfusername,full_name,email,link,"
	    "expires\r\n");
}

int
roster_links_row(struct buf *b, const struct roster_row *r, const char *url,
    time_t expires)
{
	char	 t[32] = "";
	const char *cells[] = { r->username, r->full_name, r->email, url, t };

	(void)format_time(expires, t, sizeof(t));
	return csv_row(b, cells, sizeof(cells) / sizeof(cells[0]));
}
