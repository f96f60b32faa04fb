/*
 * Roster CSV import and export: each LMS format from its sample file in
 * tests/data/rosters/ (found through HUBD_SRCDIR), each error with the
 * line and column it must name, separators and encodings, limits, names
 * in other scripts, formula neutralisation and a 2,000-row file.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hubd.h"
#include "hubd/roster.h"
#include "tests/tap.h"

#define SAMPLES	"tests/data/rosters"

/* The sample file, or NULL (and a failed test) when it cannot be read. */
static char *
sample(const char *name, size_t *len)
{
	const char *src = getenv("HUBD_SRCDIR");
	char	 path[4096], *data = NULL;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s/%s", src != NULL ? src : ".",
	    SAMPLES, name);
	if ((f = fopen(path, "rb")) != NULL && fseek(f, 0, SEEK_END) == 0 &&
	    (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (data = malloc((size_t)n + 1)) != NULL &&
	    fread(data, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(data);
		data = NULL;
	}
	if (f != NULL)
		fclose(f);
	if (data == NULL)
		ok(0, "read %s (set HUBD_SRCDIR to the source tree)", path);
	return data;
}

static struct roster *
parse_sample(const char *name, const struct roster_opts *o, char *err,
    size_t errsize)
{
	struct roster *ro;
	size_t	 len = 0;
	char	*data;

	err[0] = '\0';
	if ((data = sample(name, &len)) == NULL)
		return NULL;
	ro = roster_parse(data, len, o, err, errsize);
	free(data);
	return ro;
}

struct want {
	unsigned	 line;
	const char	*user, *name, *email;
	enum roster_role role;
	const char	*section;	/* NULL: none */
};

static void
check_rows(const char *what, const struct roster *ro, const struct want *w,
    size_t n)
{
	size_t	 i;

	is_int(ro->nrows, n, "%s: %zu people", what, n);
	for (i = 0; i < n && i < ro->nrows; i++) {
		const struct roster_row *r = &ro->rows[i];

		is_int(r->line, w[i].line, "%s: row %zu on line %u", what, i,
		    w[i].line);
		is_str(r->username, w[i].user, "%s: user of row %zu", what, i);
		is_str(r->full_name, w[i].name, "%s: %s's name", what,
		    w[i].user);
		is_str(r->email, w[i].email, "%s: %s's e-mail", what,
		    w[i].user);
		is_str(roster_role_name(r->role), roster_role_name(w[i].role),
		    "%s: %s's role", what, w[i].user);
		if (w[i].section == NULL)
			ok(r->section == NULL, "%s: %s has no section", what,
			    w[i].user);
		else
			is_str(r->section, w[i].section, "%s: %s's section",
			    what, w[i].user);
	}
}

static void
file_ok(const char *file, enum roster_format f, char sep,
    const struct roster_opts *o, const struct want *w, size_t n)
{
	char	 err[ROSTER_ERR_MAX];
	struct roster *ro = parse_sample(file, o, err, sizeof(err));

	if (!ok(ro != NULL, "%s parses", file)) {
		printf("#   %s\n", err);
		return;
	}
	is_str(roster_format_name(ro->format), roster_format_name(f),
	    "%s: format", file);
	is_int(ro->sep, sep, "%s: separator", file);
	check_rows(file, ro, w, n);
	roster_free(ro);
}

static void
file_bad(const char *file, const struct roster_opts *o, const char *msg)
{
	char	 err[ROSTER_ERR_MAX];
	struct roster *ro = parse_sample(file, o, err, sizeof(err));

	ok(ro == NULL, "%s refused", file);
	is_str(err, msg, "%s: message", file);
	roster_free(ro);
}

static void
formats(void)
{
	static const struct want gradebook[] = {
		{ 4, "znovakova", "Žofie Nováková", "", ROSTER_STUDENT,
		    "DATA 101 Section 001" },
		{ 5, "xwang", "Xiaoming Wang", "", ROSTER_STUDENT,
		    "DATA 101 Section 001" },
		{ 6, "apapadopoulos", "Αλέξανδρος Papadopoulos", "",
		    ROSTER_STUDENT, "DATA 101 Section 002" },
		{ 7, "sobrien", "Siobhán O'Brien", "", ROSTER_STUDENT,
		    "DATA 101 Section 002" },
		{ 8, "jsmith2", "John \"Jack\" Smith", "", ROSTER_STUDENT,
		    "DATA 101 Section 001" },
		{ 9, "wangxm", "王小明", "", ROSTER_STUDENT,
		    "DATA 101 Section 002" },
	};
	static const struct want people[] = {
		{ 2, "alovelace", "Ada Lovelace", "alovelace@uni.example",
		    ROSTER_STUDENT, "CS 50 Lab A" },
		{ 3, "aturing", "Alan Turing", "aturing@uni.example",
		    ROSTER_STUDENT, "CS 50 Lab B" },
		{ 4, "ghopper", "Grace Hopper", "ghopper@uni.example",
		    ROSTER_TA, "CS 50 Lab A" },
		{ 5, "kjohnson", "Katherine Johnson", "kjohnson@uni.example",
		    ROSTER_TA, "CS 50 Lab B" },
		{ 6, "edijkstra", "Edsger Dijkstra", "edijkstra@uni.example",
		    ROSTER_INSTRUCTOR, "CS 50" },
	};
	static const struct want moodle[] = {
		{ 2, "apapadopoulos", "Αλέξανδρος Παπαδόπουλος",
		    "apapadopoulos@uni.example", ROSTER_STUDENT, "Group A" },
		{ 3, "wangxm", "小明 王", "wangxm@uni.example", ROSTER_STUDENT,
		    "Group A, Group B" },
		{ 4, "znovakova", "Žofie Nováková", "znovakova@uni.example",
		    ROSTER_STUDENT, "Group B" },
		{ 5, "mcurie", "Marie Curie", "mcurie@uni.example",
		    ROSTER_INSTRUCTOR, NULL },
		{ 6, "pcurie", "Pierre Curie", "pcurie@uni.example",
		    ROSTER_TA, "Group B" },
		{ 7, "ijoliot", "Irène Joliot-Curie", "ijoliot@uni.example",
		    ROSTER_INSTRUCTOR, NULL },
	};
	static const struct want blackboard[] = {
		{ 2, "ghopper", "Grace Hopper", "ghopper@uni.example",
		    ROSTER_STUDENT, NULL },
		{ 3, "hmueller", "Hans-Jürgen Müller-Lüdenscheidt",
		    "hmueller@uni.example", ROSTER_STUDENT, NULL },
		{ 4, "cokonkwo", "Chinedu Okonkwo", "cokonkwo@uni.example",
		    ROSTER_TA, NULL },
		{ 5, "ytanaka", "Yuki Tanaka", "ytanaka@uni.example",
		    ROSTER_TA, NULL },
		{ 6, "jkowalski", "Jan Kowalski", "jkowalski@uni.example",
		    ROSTER_INSTRUCTOR, NULL },
	};
	static const struct want plain[] = {
		{ 2, "alice", "Alice Example", "alice@uni.example",
		    ROSTER_STUDENT, NULL },
		{ 3, "bob", "Bob \"Bobby\" Builder", "bob@uni.example",
		    ROSTER_STUDENT, NULL },
		{ 4, "carol", "Carol Smith, PhD", "carol@uni.example",
		    ROSTER_TA, NULL },
		{ 5, "dave", "Dave Jones", "", ROSTER_INSTRUCTOR, NULL },
		{ 6, "erin", "Erin Ó Súilleabháin", "erin@uni.example",
		    ROSTER_STUDENT, NULL },
	};
	static const struct want semicolon[] = {
		{ 2, "advorak", "Dvořák, Antonín", "advorak@uni.example",
		    ROSTER_STUDENT, "Gruppe 1" },
		{ 3, "bsmetana", "Bedřich Smetana", "bsmetana@uni.example",
		    ROSTER_STUDENT, "Gruppe 2" },
		{ 4, "ljanacek", "Leoš \"Leo\" Janáček", "ljanacek@uni.example",
		    ROSTER_TA, "Gruppe 1" },
	};
	static const struct want newline[] = {
		{ 2, "alice", "Alice Example", "alice@uni.example",
		    ROSTER_STUDENT, "Lab A (Monday)" },
		{ 5, "bob", "Bob Example", "bob@uni.example", ROSTER_STUDENT,
		    "Lab B" },
	};
#define N(a)	(sizeof(a) / sizeof((a)[0]))

	file_ok("canvas-gradebook.csv", ROSTER_CANVAS_GRADEBOOK, ',', NULL,
	    gradebook, N(gradebook));
	file_ok("canvas-people.csv", ROSTER_CANVAS_PEOPLE, ',', NULL, people,
	    N(people));
	file_ok("moodle.csv", ROSTER_MOODLE, ',', NULL, moodle, N(moodle));
	file_ok("blackboard.csv", ROSTER_BLACKBOARD, ',', NULL, blackboard,
	    N(blackboard));
	file_ok("plain.csv", ROSTER_PLAIN, ',', NULL, plain, N(plain));
	file_ok("bom-crlf-semicolon.csv", ROSTER_PLAIN, ';', NULL, semicolon,
	    N(semicolon));
	file_ok("quoted-newline.csv", ROSTER_PLAIN, ',', NULL, newline,
	    N(newline));
}

static void
bad_files(void)
{
	file_bad("missing-username.csv", NULL,
	    "line 4, column 1 (username): no user name");
	file_bad("duplicate.csv", NULL, "line 6, column 1 (username): user "
	    "name \"bob\" already on line 3");
	file_bad("invalid-name.csv", NULL, "line 3, column 1 (username): "
	    "\"bob smith\" is not a valid user name (a-z, 0-9, '_', '.', '-', "
	    "starting with a letter or '_', at most 32)");
	file_bad("unknown-role.csv", NULL, "line 5, column 5 (Role): unknown "
	    "role \"ObserverEnrollment\" (student, TA or instructor as "
	    "Canvas, Moodle or Blackboard name them)");
	file_bad("bad-utf8.csv", NULL, "line 3, column 2 (full_name): "
	    "invalid UTF-8 (byte 0xE1): save the file as UTF-8 CSV");
}

/* roster_parse() of a string: the roster, or NULL and the message. */
static struct roster *
parse(const char *s, const char *domain, char *err, size_t errsize)
{
	struct roster_opts o = { domain };

	return roster_parse(s, strlen(s), &o, err, errsize);
}

static void
good(const char *what, const char *s, const char *domain, size_t nrows,
    const char *user, const char *name)
{
	char	 err[ROSTER_ERR_MAX];
	struct roster *ro = parse(s, domain, err, sizeof(err));

	if (!ok(ro != NULL, "%s: parses", what)) {
		printf("#   %s\n", err);
		return;
	}
	is_int(ro->nrows, nrows, "%s: %zu rows", what, nrows);
	if (ro->nrows > 0) {
		is_str(ro->rows[0].username, user, "%s: first user", what);
		is_str(ro->rows[0].full_name, name, "%s: first name", what);
	}
	roster_free(ro);
}

static void
bad(const char *what, const char *s, const char *domain, const char *msg)
{
	char	 err[ROSTER_ERR_MAX];
	struct roster *ro = parse(s, domain, err, sizeof(err));

	ok(ro == NULL, "%s: refused", what);
	is_str(err, msg, "%s: message", what);
	roster_free(ro);
}

static void
syntax(void)
{
	good("tab separated", "username\tfull_name\nalice\tAlice, A.\n", NULL,
	    1, "alice", "Alice, A.");
	good("Excel sep= line", "sep=;\r\nusername;name\r\nbob;Bob, B\r\n",
	    NULL, 1, "bob", "Bob, B");
	good("lone CR line ends", "username,full_name\rcarol,Carol\r", NULL,
	    1, "carol", "Carol");
	good("no final line end", "username,full_name\ndave,Dave", NULL, 1,
	    "dave", "Dave");
	good("blank lines and empty cells skipped",
	    "\n\nusername,full_name\n\n,\n  ,  \nerin,Erin\n\n\n", NULL, 1,
	    "erin", "Erin");
	good("spaces after a closing quote", "username,full_name\n"
	    "\"frank\"  ,\"Frank\" \n", NULL, 1, "frank", "Frank");
	good("quote inside an unquoted cell", "username,full_name\n"
	    "gina,Gina \"G\" Ray\n", NULL, 1, "gina", "Gina \"G\" Ray");
	good("trimmed and lower-cased", "USERNAME , Full_Name\n"
	    "  Hank  ,  Hank   the\t Tank \n", NULL, 1, "hank",
	    "Hank the Tank");
	good("trailing empty cells", "username,full_name\nivy,Ivy,,,\n", NULL,
	    1, "ivy", "Ivy");
	good("BOM, then a quoted header", "\xef\xbb\xbf\"username\","
	    "\"name\"\r\njo,Jo\r\n", NULL, 1, "jo", "Jo");
	bad("unclosed quote", "username,full_name\nalice,\"Alice\nbob,Bob\n",
	    NULL, "line 2, column 2 (full_name): quoted cell is not closed "
	    "(a quote is missing)");
	bad("text after a closing quote", "username,full_name\n"
	    "alice,\"Alice\" Smith\"\n", NULL, "line 2, column 2 (full_name): "
	    "text after the closing quote (a quote inside a quoted cell is "
	    "written twice)");
	bad("an unquoted comma shifts the columns", "Student,SIS Login ID,"
	    "Section\nDoe, Jane,jdoe,S1\n", NULL, "line 2, column 4: 4 cells "
	    "but the header has 3 (a \",\" inside a cell must be quoted)");
	bad("empty file", "", NULL, "line 1: no header line: the file is "
	    "empty");
	bad("header only", "username,full_name\r\n", NULL, "line 2: no people "
	    "in the file, only a header");
	bad("no user name column", "full_name,email\nAlice,a@b.c\n", NULL,
	    "line 1: no user name column in this plain header (one of "
	    "\"username\", \"user\", \"user name\", \"user_name\", \"login\")");
	bad("Moodle without Username", "First name,Surname,Email address\n"
	    "A,B,a@b.c\n", NULL, "line 1: no user name column in this moodle "
	    "header (one of \"Username\", \"User name\"): add Username to the "
	    "site's \"Show user identity\" fields and download again");
	bad("two e-mail columns", "username,email,Email\nx,a@b.c,d@e.f\n",
	    NULL, "line 1, column 3 (Email): a second \"email\" column: which "
	    "one is the e-mail?");
	bad("bad e-mail", "username,email\nx,not-an-address\n", NULL,
	    "line 2, column 2 (email): \"not-an-address\" is not an e-mail "
	    "address");
	bad("control character", "username,full_name\nx,a\x01z\n", NULL,
	    "line 2, column 2 (full_name): control character 0x01");
	bad("bad UTF-8 on a later physical line of a cell",
	    "username,full_name\nx,\"a\nb\xff\"\n", NULL,
	    "line 3, column 2 (full_name): invalid UTF-8 (byte 0xFF): save "
	    "the file as UTF-8 CSV");
	bad("bad UTF-8 in the header", "user\xc0\xafname\nx\n", NULL,
	    "line 1, column 1: invalid UTF-8 (byte 0xC0): save the file as "
	    "UTF-8 CSV");
	bad("surrogate in UTF-8", "username,full_name\nx,\xed\xa0\x80\n", NULL,
	    "line 2, column 2 (full_name): invalid UTF-8 (byte 0xED): save "
	    "the file as UTF-8 CSV");
	bad("error line after a quoted newline", "username,full_name\n"
	    "a,\"A\nB\"\n,C\n", NULL, "line 4, column 1 (username): no user "
	    "name");
}

static void
logins(void)
{
	static const char *people = "Name,Login ID,Role\n"
	    "Ada Lovelace,Ada.Lovelace@Uni.Example,Student\n";

	bad("login with a domain", people, NULL, "line 2, column 2 (Login ID): "
	    "\"Ada.Lovelace@Uni.Example\" is a login with a domain: allow it "
	    "with the strip-domain option");
	good("strip_domain = the domain", people, "uni.example", 1,
	    "ada.lovelace", "Ada Lovelace");
	good("strip_domain = *", people, "*", 1, "ada.lovelace",
	    "Ada Lovelace");
	bad("strip_domain = another domain", people, "other.example",
	    "line 2, column 2 (Login ID): \"Ada.Lovelace@Uni.Example\" is not "
	    "in the domain other.example");
	bad("a subdomain is another domain", people, "example",
	    "line 2, column 2 (Login ID): \"Ada.Lovelace@Uni.Example\" is not "
	    "in the domain example");
	bad("nothing before @", "username\n@uni.example\n", "*",
	    "line 2, column 1 (username): \"@uni.example\" is not a valid user "
	    "name (a-z, 0-9, '_', '.', '-', starting with a letter or '_', at "
	    "most 32)");
	bad("33 characters", "username\nabcdefghijabcdefghijabcdefghijabc\n",
	    NULL, "line 2, column 1 (username): \"abcdefghijabcdefghijabcdefghij"
	    "abc\" is not a valid user name (a-z, 0-9, '_', '.', '-', starting "
	    "with a letter or '_', at most 32)");
	good("32 characters", "username\nabcdefghijabcdefghijabcdefghijab\n",
	    NULL, 1, "abcdefghijabcdefghijabcdefghijab", "");
	bad("non-ASCII user name", "username\nžofie\n", NULL, "line 2, column "
	    "1 (username): \"žofie\" is not a valid user name (a-z, 0-9, '_', "
	    "'.', '-', starting with a letter or '_', at most 32)");
}

static void
roles(void)
{
	static const struct { const char *cell; enum roster_role r; } t[] = {
		{ "Student", ROSTER_STUDENT }, { "StudentEnrollment",
		ROSTER_STUDENT }, { "", ROSTER_STUDENT }, { "TA", ROSTER_TA },
		{ "TaEnrollment", ROSTER_TA }, { "teaching  assistant",
		ROSTER_TA }, { "Grader", ROSTER_TA }, { "Non-editing teacher",
		ROSTER_TA }, { "Teacher", ROSTER_INSTRUCTOR },
		{ "TeacherEnrollment", ROSTER_INSTRUCTOR }, { "Instructor",
		ROSTER_INSTRUCTOR }, { "Manager", ROSTER_INSTRUCTOR },
		{ "\"Student, Non-editing teacher\"", ROSTER_TA },
		{ "\"Student,Teacher,\"", ROSTER_INSTRUCTOR },
	};
	char	 csv[128], err[ROSTER_ERR_MAX];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct roster *ro;

		snprintf(csv, sizeof(csv), "username,role\nx,%s\n", t[i].cell);
		ro = parse(csv, NULL, err, sizeof(err));
		if (ok(ro != NULL, "role '%s' known", t[i].cell))
			is_str(roster_role_name(ro->rows[0].role),
			    roster_role_name(t[i].r), "role '%s' is %s",
			    t[i].cell, roster_role_name(t[i].r));
		else
			printf("#   %s\n", err);
		roster_free(ro);
	}
	bad("one unknown role in a list", "username,roles\nx,\"Student, "
	    "Guest\"\n", NULL, "line 2, column 2 (roles): unknown role "
	    "\"Guest\" (student, TA or instructor as Canvas, Moodle or "
	    "Blackboard name them)");
	good("no role column: student", "username\nx\n", NULL, 1, "x", "");
}

/* The Blackboard sample as a tab-delimited UTF-16 download. */
static void
utf16(void)
{
	static const char *s = "First Name\tLast Name\tUsername\tStudent ID\n"
	    "Žofie\tNováková\tznovakova\t1\nΑλέξανδρος\t😀\tapap\t2\n";
	unsigned char *u = malloc(2 * strlen(s) + 4), *o;
	const unsigned char *p = (const unsigned char *)s;
	char	 err[ROSTER_ERR_MAX];
	struct roster *ro;
	int	 le;

	if (u == NULL)
		abort();
	for (le = 1; le >= 0; le--) {
		o = u;
		*o++ = le ? 0xff : 0xfe;
		*o++ = le ? 0xfe : 0xff;
		for (p = (const unsigned char *)s; *p != '\0'; ) {
			uint32_t c;
			unsigned k = *p < 0x80 ? 1 : *p < 0xe0 ? 2 :
			    *p < 0xf0 ? 3 : 4, j;

			c = k == 1 ? *p : *p & (0x7f >> k);
			for (j = 1; j < k; j++)
				c = c << 6 | (p[j] & 0x3f);
			p += k;
			if (c >= 0x10000) {
				uint32_t hi = 0xd800 + ((c - 0x10000) >> 10);

				*o++ = (unsigned char)(le ? hi : hi >> 8);
				*o++ = (unsigned char)(le ? hi >> 8 : hi);
				c = 0xdc00 + ((c - 0x10000) & 0x3ff);
			}
			*o++ = (unsigned char)(le ? c : c >> 8);
			*o++ = (unsigned char)(le ? c >> 8 : c);
		}
		ro = roster_parse((char *)u, (size_t)(o - u), NULL, err,
		    sizeof(err));
		if (!ok(ro != NULL, "UTF-16%s parses", le ? "LE" : "BE")) {
			printf("#   %s\n", err);
			continue;
		}
		is_int(ro->sep, '\t', "UTF-16: tab separated");
		is_str(roster_format_name(ro->format), "blackboard",
		    "UTF-16: blackboard");
		if (ro->nrows == 2) {
			is_str(ro->rows[0].full_name, "Žofie Nováková",
			    "UTF-16: Czech name");
			is_str(ro->rows[1].full_name, "Αλέξανδρος 😀",
			    "UTF-16: a surrogate pair");
			is_int(ro->rows[1].line, 3, "UTF-16: line numbers");
		} else
			ok(0, "UTF-16: 2 rows, got %zu", ro->nrows);
		roster_free(ro);
	}
	/* A lone high surrogate on line 2. */
	memcpy(u, "\xff\xfex\0\n\0\0\xd8y\0", 10);
	ro = roster_parse((char *)u, 10, NULL, err, sizeof(err));
	ok(ro == NULL, "lone surrogate refused");
	is_str(err, "line 2: invalid UTF-16 (a lone surrogate)",
	    "lone surrogate: message");
	roster_free(ro);
	ro = roster_parse((char *)u, 5, NULL, err, sizeof(err));
	is_str(err, "line 1: UTF-16 file cut in a character",
	    "odd UTF-16 length");
	roster_free(ro);
	free(u);
}

static void
limits(void)
{
	struct buf b = { 0 };
	char	 err[ROSTER_ERR_MAX], *big;
	struct roster *ro;
	size_t	 i;

	/* A cell of exactly the limit is fine (a long, ignored column). */
	buf_puts(&b, "username,notes\nx,\"");
	for (i = 0; i < ROSTER_MAX_FIELD; i++)
		buf_add(&b, "a", 1);
	buf_puts(&b, "\"\n");
	ro = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	ok(ro != NULL, "a cell of %u bytes", ROSTER_MAX_FIELD);
	roster_free(ro);
	b.len -= 2;
	buf_puts(&b, "a\"\n");
	ro = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	ok(ro == NULL, "a cell of %u bytes refused", ROSTER_MAX_FIELD + 1);
	is_str(err, "line 2, column 2 (notes): cell longer than 65536 bytes",
	    "long cell: message");
	roster_free(ro);

	/* One row more than the limit. */
	b.len = 0;
	buf_puts(&b, "username\n");
	for (i = 0; i <= ROSTER_MAX_ROWS; i++)
		buf_printf(&b, "u%zu\n", i);
	ro = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	ok(ro == NULL, "%u rows refused", ROSTER_MAX_ROWS + 1);
	is_str(err, "line 100002: more than 100000 people", "rows: message");
	roster_free(ro);
	b.len -= strlen("u100000\n");
	ro = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	ok(ro != NULL && ro->nrows == ROSTER_MAX_ROWS, "%u rows accepted",
	    ROSTER_MAX_ROWS);
	roster_free(ro);

	/* Too many columns, too many bytes. */
	b.len = 0;
	buf_puts(&b, "username");
	for (i = 0; i < ROSTER_MAX_COLUMNS; i++)
		buf_puts(&b, ",c");
	ro = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	is_str(err, "line 1: more than 4096 columns", "columns: message");
	roster_free(ro);
	buf_free(&b);
	if ((big = malloc(ROSTER_MAX_BYTES + 1)) == NULL)
		abort();
	memset(big, '\n', ROSTER_MAX_BYTES + 1);
	ro = roster_parse(big, ROSTER_MAX_BYTES + 1, NULL, err, sizeof(err));
	is_str(err, "line 1: the file is 16777217 bytes, more than the 16 MiB "
	    "a roster may have", "size: message");
	roster_free(ro);
	free(big);
	ro = roster_parse("username\nx\n", 11, NULL, NULL, 0);
	ok(ro != NULL, "no error buffer needed");
	roster_free(ro);
	ro = roster_parse("username\n", 9, NULL, NULL, 0);
	ok(ro == NULL, "no error buffer: still refused");
	roster_free(NULL);
}

static void
export(void)
{
	static const struct { const char *in, *out; } t[] = {
		{ "plain", "\"plain\"" }, { "", "\"\"" },
		{ "=1+2", "\"'=1+2\"" }, { "+1", "\"'+1\"" },
		{ "-2", "\"'-2\"" }, { "@SUM(A1)", "\"'@SUM(A1)\"" },
		{ "\tx", "\"'\tx\"" }, { "\rx", "\"'\rx\"" },
		{ "  =cmd|' /C calc'!A0", "\"'  =cmd|' /C calc'!A0\"" },
		{ "a \"quote\"", "\"a \"\"quote\"\"\"" },
		{ "x=1", "\"x=1\"" }, { "a,b", "\"a,b\"" },
		{ "王小明", "\"王小明\"" },
	};
	struct roster_row r = { 0 };
	struct buf b = { 0 };
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b.len = 0;
		is_int(roster_csv_cell_safe(&b, t[i].in), 0, "cell '%s'",
		    t[i].in);
		is_str(b.data, t[i].out, "cell '%s' exported safely", t[i].in);
	}
	b.len = 0;
	roster_csv_cell_safe(&b, NULL);
	is_str(b.data, "\"\"", "NULL cell is empty");

	b.len = 0;
	r.line = 1;
	strcpy(r.username, "mallory");
	r.full_name = "=HYPERLINK(\"http://evil.example\",\"x\")";
	r.email = "-m@evil.example";
	r.role = ROSTER_TA;
	r.section = "@A";
	roster_export_row(&b, &r);
	is_str(b.data, "\"mallory\",\"'=HYPERLINK(\"\"http://evil.example\"\","
	    "\"\"x\"\")\",\"'-m@evil.example\",\"ta\",\"'@A\"\r\n",
	    "export row neutralised and quoted");
	buf_free(&b);
}

/* Parse, export, parse again: the same people. */
static void
round_trip(void)
{
	char	 err[ROSTER_ERR_MAX];
	struct roster *a, *c;
	struct buf b = { 0 };
	size_t	 i;
	int	 same = 1;

	if ((a = parse_sample("moodle.csv", NULL, err, sizeof(err))) == NULL) {
		ok(0, "moodle.csv for the round trip: %s", err);
		return;
	}
	is_int(roster_export(&b, a), 0, "export");
	ok(b.len > 3 && memcmp(b.data, "\xef\xbb\xbf", 3) == 0,
	    "export starts with a BOM");
	c = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	if (!ok(c != NULL && c->nrows == a->nrows, "export parses again")) {
		printf("#   %s\n", err);
		goto out;
	}
	is_str(roster_format_name(c->format), "plain", "export is plain");
	for (i = 0; i < a->nrows; i++) {
		const struct roster_row *x = &a->rows[i], *y = &c->rows[i];

		same &= strcmp(x->username, y->username) == 0 &&
		    strcmp(x->full_name, y->full_name) == 0 &&
		    strcmp(x->email, y->email) == 0 && x->role == y->role &&
		    (x->section == NULL) == (y->section == NULL) &&
		    (x->section == NULL || strcmp(x->section, y->section) == 0);
	}
	ok(same, "round trip keeps every row");
out:
	roster_free(a);
	roster_free(c);
	buf_free(&b);
}

/* 2,000 students in a Canvas gradebook, made in memory. */
static void
many(void)
{
	struct buf b = { 0 };
	char	 err[ROSTER_ERR_MAX];
	struct roster *ro;
	struct timespec t0, t1;
	size_t	 i;
	int	 good_rows = 1;

	buf_puts(&b, "\xef\xbb\xbfStudent,ID,SIS User ID,SIS Login ID,Section,"
	    "HW 1 (1),HW 2 (2)\r\n    Points Possible,,,,,10.00,10.00\r\n");
	for (i = 0; i < 2000; i++)
		buf_printf(&b, "\"Příjmení%zu, Jméno\",%zu,S%05zu,student%04zu,"
		    "Section %zu,%zu.00,\r\n", i, 1000 + i, i, i, i % 7,
		    i % 11);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ro = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ok(ro != NULL && ro->nrows == 2000, "2,000 rows parse")) {
		printf("#   %s\n", err);
		buf_free(&b);
		roster_free(ro);
		return;
	}
	for (i = 0; i < 2000; i++) {
		char	 u[32], n[64];

		snprintf(u, sizeof(u), "student%04zu", i);
		snprintf(n, sizeof(n), "Jméno Příjmení%zu", i);
		good_rows &= strcmp(ro->rows[i].username, u) == 0 &&
		    strcmp(ro->rows[i].full_name, n) == 0 &&
		    ro->rows[i].line == i + 3;
	}
	ok(good_rows, "2,000 rows: names, users and lines");
	printf("# 2,000 rows (%zu bytes) in %.2f ms\n", b.len,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	roster_free(ro);
	/* The same file with a duplicate as its last row. */
	buf_puts(&b, "\"Last, First\",1,S,student0042,x,,\r\n");
	ro = roster_parse(b.data, b.len, NULL, err, sizeof(err));
	is_str(err, "line 2003, column 4 (SIS Login ID): user name "
	    "\"student0042\" already on line 45", "duplicate at the end");
	roster_free(ro);
	buf_free(&b);
}

/* The links CSV of an import: formula-safe like the export. */
static void
links_csv(void)
{
	struct roster_row r;
	struct buf b = { 0 };

	memset(&r, 0, sizeof(r));
	snprintf(r.username, sizeof(r.username), "ana");
	r.full_name = "=HYPERLINK(\"http://x\")";
	r.email = "@a.example";
	ok(roster_links_header(&b) == 0, "links header");
	ok(roster_links_row(&b, &r, "https://hub/hub/link/ab", 86400) == 0,
	    "a row");
	is_str(b.data, "\xef\xbb\xbfusername,full_name,email,link,expires\r\n"
	    "\"ana\",\"'=HYPERLINK(\"\"http://x\"\")\",\"'@a.example\","
	    "\"https://hub/hub/link/ab\",\"1970-01-02T00:00:00Z\"\r\n",
	    "quoted, formulas neutralised, expiry in UTC");
	buf_free(&b);
}

int
main(void)
{
	links_csv();
	formats();
	bad_files();
	syntax();
	logins();
	roles();
	utf16();
	limits();
	export();
	round_trip();
	many();
	return done();
}
