/*
 * hubctl: accounts and tokens from the command line, for IT staff.  Works on
 * the same database as hubd, with hubd running or not; backup too, and
 * restore with hubd stopped.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hubd.h"
#include "roster.h"

static const char *progname = "hubctl";

static int	 control_try(const struct config *, const char *, char *,
		    size_t);

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: hubctl [--config FILE] COMMAND\n"
	    "\n"
	    "  user add NAME [--role student|instructor|admin] [--auth native|pam]\n"
	    "                [--password-stdin]\n"
	    "      Without --password-stdin a native account gets a one-time\n"
	    "      password, printed here, that its owner replaces at first login.\n"
	    "  user passwd NAME [--password-stdin | --one-time]\n"
	    "      Asks twice on a terminal; --one-time prints a new one-time\n"
	    "      password.  The account's logins end.\n"
	    "  user link NAME [--expires DURATION] [--url URL]\n"
	    "      Prints a link (valid once, 7 days or DURATION: 600, 90m,\n"
	    "      12h, 7d, at most 30d) where NAME chooses a password; an older\n"
	    "      link of NAME stops working.  URL is the hub's address as\n"
	    "      people reach it (https://hub.example.edu); the default is\n"
	    "      built from listen and tls_cert.\n"
	    "  user list\n"
	    "  user disable NAME | user enable NAME\n"
	    "  user del NAME\n"
	    "  token add NAME [--note TEXT] [--expires SECONDS]\n"
	    "      Prints a new API token for NAME (for scripts).\n"
	    "  course add CODE [--title T] [--term T] | course list\n"
	    "  course archive CODE | course unarchive CODE\n"
	    "  course enroll CODE NAME [--role student|ta|instructor]\n"
	    "  roster import FILE --course CODE [--dry-run] [--drop-missing]\n"
	    "                [--strip-domain DOMAIN|*]\n"
	    "                [--links [--expires DURATION] [--url URL]]\n"
	    "      A CSV as Canvas, Moodle or Blackboard export it, or\n"
	    "      username,full_name,email,role.  One transaction: a bad row\n"
	    "      names its line and nothing is written.  New hub accounts get\n"
	    "      one-time passwords, printed as CSV (username,password), or\n"
	    "      with --links no password and a link each, printed as CSV\n"
	    "      (username,full_name,email,link,expires) for a mail merge.\n"
	    "  roster export --course CODE     (CSV on standard output)\n"
	    "  server list\n"
	    "  server start NAME [--no-wait] | server stop NAME [--no-wait]\n"
	    "      Through the running hubd; waits until the server runs or\n"
	    "      has stopped (at most its start timeout).\n"
	    "  backup FILE|FOLDER [--force]\n"
	    "      A consistent copy of the database, hubd running or not\n"
	    "      (0600; in a folder: hubd-YYYYMMDD-HHMMSS.sqlite).  An\n"
	    "      existing FILE is replaced only with --force.\n"
	    "  restore FILE\n"
	    "      With hubd stopped: the database becomes FILE's copy; the\n"
	    "      one it replaces stays as hubd.sqlite.before-restore-TIME.\n"
	    "\n"
	    "User names: 1 to %d characters of a-z 0-9 _ . - starting with a\n"
	    "letter or _.  The configuration defaults to %s.\n",
	    USERNAME_MAX, HUBD_CONFIG_PATH);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* One line from fp without its line end; the line may not be longer than
 * a password can be. */
static int
read_secret_line(FILE *fp, char *buf, size_t size)
{
	size_t	 n;

	if (fgets(buf, (int)size, fp) == NULL)
		return -1;
	n = strlen(buf);
	if (n == size - 1 && buf[n - 1] != '\n')
		return -2;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

static int
prompt_secret(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int	 r;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	r = read_secret_line(stdin, buf, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return r;
}

/* The new password: from stdin, or asked twice on a terminal. */
static void
get_password(int from_stdin, char *pw, size_t size)
{
	char	 again[PASSWORD_MAX + 2];
	int	 r;

	if (from_stdin) {
		r = read_secret_line(stdin, pw, size);
		if (r == -2)
			die("the password on standard input is longer than %d "
			    "characters", PASSWORD_MAX);
		if (r == -1)
			die("no password on standard input");
		return;
	}
	if (!isatty(STDIN_FILENO))
		die("standard input is not a terminal: use --password-stdin "
		    "or --one-time");
	if (prompt_secret("New password: ", pw, size) != 0 ||
	    prompt_secret("Again: ", again, sizeof(again)) != 0)
		die("cannot read the password");
	if (strcmp(pw, again) != 0) {
		explicit_bzero(again, sizeof(again));
		die("the two passwords differ");
	}
	explicit_bzero(again, sizeof(again));
}

static struct store *
open_store(const char *path, struct config **cfp)
{
	struct config *cf;
	struct store *st;
	char	 err[1024], db[4096];

	if ((cf = config_load(path, err, sizeof(err))) == NULL)
		die("%s", err);
	snprintf(db, sizeof(db), "%s/%s", cf->data_dir, DB_FILE);
	/* A new hub: hubctl may come first (packaging adds the admin). */
	if (mkdir(cf->data_dir, 0700) == -1 && errno != EEXIST)
		die("cannot create data_dir %s: %s", cf->data_dir,
		    strerror(errno));
	if ((st = store_open(db, err, sizeof(err))) == NULL)
		die("%s", err);
	if (store_migrate(st, store_latest_version(), err, sizeof(err)) == -1)
		die("%s: %s", db, err);
	*cfp = cf;
	return st;
}

static void
get_user(struct store *st, const char *name, struct user *u)
{
	int	 r;

	if (!username_valid(name))
		die("'%s' is not a valid user name", name);
	if ((r = store_user_get(st, name, u)) == STORE_NOT_FOUND)
		die("no such user: %s", name);
	if (r != 0)
		die("cannot read user %s", name);
}

/*
 * Where people reach the hub, for links: --url (http[s]://HOST[:PORT]) when
 * given, else the configured listen address (this machine's name for a
 * wildcard one) and https when hubd serves TLS itself.
 */
static void
link_base(const struct config *cf, const char *url, char *host, size_t size,
    int *https)
{
	const char *p, *colon;
	char	 name[256];
	size_t	 n;

	if (url != NULL) {
		if (strncmp(url, "https://", 8) == 0)
			*https = 1;
		else if (strncmp(url, "http://", 7) == 0)
			*https = 0;
		else
			die("--url: '%s' does not start with http:// or https://",
			    url);
		p = url + (*https ? 8 : 7);
		n = strlen(p);
		if (n > 0 && p[n - 1] == '/')
			n--;
		if (n == 0 || n >= size || memchr(p, '/', n) != NULL)
			die("--url: '%s' is not the hub's address "
			    "(scheme://host[:port], no path)", url);
		memcpy(host, p, n);
		host[n] = '\0';
		return;
	}
	*https = cf->tls_cert != NULL;
	p = cf->listen;
	colon = strrchr(p, ':');
	if (colon == NULL || colon == p || strncmp(p, "0.0.0.0:", 8) == 0 ||
	    strncmp(p, "[::]:", 5) == 0 || strncmp(p, "*:", 2) == 0) {
		if (gethostname(name, sizeof(name)) == -1)
			die("cannot find this machine's name: use --url");
		name[sizeof(name) - 1] = '\0';
		snprintf(host, size, "%s%s", name, colon != NULL ? colon : "");
	} else
		snprintf(host, size, "%s", p);
}

static unsigned
link_lifetime(const char *arg)
{
	unsigned v;

	if (arg == NULL)
		return LINK_LIFETIME;
	if (parse_duration(arg, &v) == -1 || v == 0 || v > LINK_LIFETIME_MAX)
		die("--expires: '%s' is not a duration of at most %d days "
		    "(600, 90m, 12h, 7d)", arg, LINK_LIFETIME_MAX / 86400);
	return v;
}

static int
print_user(const struct user *u, void *arg)
{
	char	 last[32] = "-";

	(void)format_time(u->last_login, last, sizeof(last));
	printf("%-24s %-10s %-6s %-8s %s\n", u->name, role_name(u->role),
	    auth_name(u->auth), u->disabled ? "disabled" :
	    u->password_expired ? "one-time" : u->auth == AUTH_NATIVE &&
	    u->password_hash[0] == '\0' ? "no-pass" : "active", last);
	return 0;
}

static int
cmd_user(const struct config *cf, struct store *st, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "auth", required_argument, NULL, 'a' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ "one-time", no_argument, NULL, 'o' },
		{ "expires", required_argument, NULL, 'e' },
		{ "url", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	char	 pw[PASSWORD_MAX + 2], err[256];
	const char *expires = NULL, *url = NULL;
	enum role role = ROLE_STUDENT;
	enum auth_kind auth = AUTH_NATIVE;
	int	 ch, from_stdin = 0, one_time = 0, r;
	const char *verb = argv[0], *name;
	struct user u, nu;

	optind = 0;	/* reinitialise getopt for the command */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (role_parse(optarg, &role) == -1)
				die("--role: '%s' is not student, instructor or "
				    "admin", optarg);
			break;
		case 'a':
			if (auth_parse(optarg, &auth) == -1)
				die("--auth: '%s' is not native or pam", optarg);
			break;
		case 's':
			from_stdin = 1;
			break;
		case 'o':
			one_time = 1;
			break;
		case 'e':
			expires = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (strcmp(verb, "list") == 0) {
		if (optind != argc)
			die("user list takes no names");
		printf("%-24s %-10s %-6s %-8s %s\n", "NAME", "ROLE", "AUTH",
		    "STATE", "LAST LOGIN");
		return store_user_list(st, print_user, NULL) == 0 ? 0 : 1;
	}
	if (optind != argc - 1)
		die("user %s needs exactly one user name", verb);
	name = argv[optind];
	if (strcmp(verb, "add") == 0) {
		if (auth == AUTH_PAM && from_stdin)
			die("PAM accounts have no password on the hub");
		if (auth == AUTH_NATIVE && from_stdin)
			get_password(1, pw, sizeof(pw));
		else
			random_password(pw, ONE_TIME_PASSWORD_LEN + 1);
		r = account_create(st, name, role, auth, pw, !from_stdin,
		    "hubctl", err, sizeof(err));
		if (r != 0) {
			explicit_bzero(pw, sizeof(pw));
			die("%s", err);
		}
		printf("added %s (%s, %s)\n", name, role_name(role),
		    auth_name(auth));
		if (auth == AUTH_NATIVE && !from_stdin)
			printf("one-time password: %s\n", pw);
		explicit_bzero(pw, sizeof(pw));
		return 0;
	}
	get_user(st, name, &u);
	nu = u;
	if (strcmp(verb, "link") == 0) {
		char	 host[LINK_HOST_MAX + 1], token[SECRET_HEX + 1];
		char	 link[LINK_URL_MAX], until[32] = "";
		struct account_link l;
		unsigned lifetime = link_lifetime(expires);
		int	 https;

		link_base(cf, url, host, sizeof(host), &https);
		if (account_link_create(st, &u, 0, lifetime, "hubctl", NULL,
		    token, sizeof(token), &l, err, sizeof(err)) != 0)
			die("%s", err);
		if (link_url(link, sizeof(link), https, host, token) != 0) {
			explicit_bzero(token, sizeof(token));
			die("'%s' is not a host name a link can carry: use --url",
			    host);
		}
		explicit_bzero(token, sizeof(token));
		(void)format_time(l.expires, until, sizeof(until));
		fprintf(stderr, "%s link for %s, valid once until %s; an "
		    "earlier link of %s stops working\n", l.kind == LINK_ENROLL ?
		    "enrollment" : "password reset", name, until, name);
		printf("%s\n", link);
		explicit_bzero(link, sizeof(link));
		return 0;
	}
	if (strcmp(verb, "passwd") == 0) {
		if (u.auth != AUTH_NATIVE)
			die("%s is a PAM account: its password is the "
			    "system's", name);
		if (one_time && from_stdin)
			die("--one-time and --password-stdin exclude each other");
		if (one_time)
			random_password(pw, ONE_TIME_PASSWORD_LEN + 1);
		else
			get_password(from_stdin, pw, sizeof(pw));
		if (account_set_password(st, &nu, pw, one_time, "hubctl", err,
		    sizeof(err)) != 0) {
			explicit_bzero(pw, sizeof(pw));
			die("%s", err);
		}
		(void)store_session_delete_user(st, u.id);
		printf("password of %s changed%s%s\n", name,
		    one_time ? "; one-time password: " : "", one_time ? pw : "");
		explicit_bzero(pw, sizeof(pw));
		return 0;
	}
	if (strcmp(verb, "disable") == 0 || strcmp(verb, "enable") == 0 ||
	    strcmp(verb, "del") == 0) {
		int	 del = strcmp(verb, "del") == 0;

		nu.disabled = strcmp(verb, "disable") == 0;
		if (store_begin(st) != 0)
			die("cannot start a transaction");
		if (!account_keeps_admin(st, &u, del ? NULL : &nu))
			die("%s is the last enabled admin; make another admin "
			    "first", name);
		if ((del ? store_user_delete(st, u.id) :
		    store_user_update(st, &nu)) != 0 ||
		    (nu.disabled && store_session_delete_user(st, u.id) != 0))
			die("cannot change %s", name);
		(void)store_audit(st, "hubctl", del ? "user.delete" :
		    nu.disabled ? "user.disable" : "user.enable", name, NULL,
		    NULL);
		if (store_commit(st) != 0)
			die("cannot commit");
		printf("%s %s\n", del ? "deleted" : nu.disabled ? "disabled" :
		    "enabled", name);
		if (del || nu.disabled) {
			char	 rq[128], answer[256];

			/* Its server stops too, when hubd runs. */
			snprintf(rq, sizeof(rq), "server stop %s\n", name);
			if (control_try(cf, rq, answer, sizeof(answer)) == 0 &&
			    strcmp(answer, "ok stopping") == 0)
				printf("stopping the server of %s\n", name);
		}
		return 0;
	}
	die("unknown command: user %s (try --help)", verb);
}

static int
cmd_token(struct store *st, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *note = "hubctl";
	unsigned expires = 0;
	char	 secret[SECRET_HEX + 1], err[256];
	struct api_token t;
	struct user u;
	int	 ch;

	if (strcmp(argv[0], "add") != 0)
		die("unknown command: token %s (try --help)", argv[0]);
	optind = 0;	/* reinitialise getopt for the command */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			note = optarg;
			break;
		case 'e':
			if (parse_duration(optarg, &expires) == -1 ||
			    expires == 0)
				die("--expires: '%s' is not a duration (like "
				    "3600, 90m, 7d)", optarg);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1)
		die("token add needs exactly one user name");
	get_user(st, argv[optind], &u);
	if (account_token_create(st, &u, note, expires, "hubctl", secret,
	    sizeof(secret), &t, err, sizeof(err)) != 0)
		die("%s", err);
	printf("%s\n", secret);
	explicit_bzero(secret, sizeof(secret));
	return 0;
}

static int
print_course(const struct course *c, void *arg)
{
	char	 made[32] = "-";

	(void)format_time(c->created, made, sizeof(made));
	printf("%-20s %-10s %-8s %-20s %s\n", c->code, c->term,
	    c->archived ? "archived" : "active", made, c->title);
	return 0;
}

static int
cmd_course(struct store *st, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "title", required_argument, NULL, 't' },
		{ "term", required_argument, NULL, 'T' },
		{ "role", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = argv[0], *title = "", *term = "";
	enum roster_role role = ROSTER_STUDENT;
	struct course c;
	struct user u;
	char	 err[256];
	int	 ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			title = optarg;
			break;
		case 'T':
			term = optarg;
			break;
		case 'r':
			if (course_role_parse(optarg, &role) == -1)
				die("--role: '%s' is not student, ta or "
				    "instructor", optarg);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (strcmp(verb, "list") == 0) {
		printf("%-20s %-10s %-8s %-20s %s\n", "CODE", "TERM", "STATE",
		    "CREATED", "TITLE");
		return store_course_list(st, 0, print_course, NULL) == 0 ? 0 : 1;
	}
	if (optind >= argc || !course_code_valid(argv[optind]))
		die("course %s needs a course code (a-z 0-9 _ . -, at most %d)",
		    verb, COURSE_CODE_MAX);
	if (strcmp(verb, "add") == 0) {
		if (optind != argc - 1)
			die("course add takes one code");
		memset(&c, 0, sizeof(c));
		snprintf(c.code, sizeof(c.code), "%s", argv[optind]);
		if (strlen(title) > COURSE_TITLE_MAX ||
		    strlen(term) > COURSE_TERM_MAX)
			die("--title or --term is too long");
		snprintf(c.title, sizeof(c.title), "%s", title);
		snprintf(c.term, sizeof(c.term), "%s", term);
		if ((r = store_course_add(st, &c)) == STORE_EXISTS)
			die("course %s exists", c.code);
		if (r != 0)
			die("cannot store course %s", c.code);
		(void)store_audit(st, "hubctl", "course.add", c.code, c.title,
		    NULL);
		printf("added course %s\n", c.code);
		return 0;
	}
	if ((r = store_course_get(st, argv[optind], &c)) == STORE_NOT_FOUND)
		die("no such course: %s", argv[optind]);
	if (r != 0)
		die("cannot read course %s", argv[optind]);
	if (strcmp(verb, "archive") == 0 || strcmp(verb, "unarchive") == 0) {
		c.archived = strcmp(verb, "archive") == 0;
		if (store_course_update(st, &c) != 0)
			die("cannot store course %s", c.code);
		(void)store_audit(st, "hubctl", c.archived ? "course.archive" :
		    "course.unarchive", c.code, NULL, NULL);
		printf("%s %s\n", c.archived ? "archived" : "unarchived",
		    c.code);
		return 0;
	}
	if (strcmp(verb, "enroll") == 0) {
		if (optind != argc - 2)
			die("course enroll takes a code and a user name");
		get_user(st, argv[optind + 1], &u);
		if (course_enroll(st, &c, &u, role, "hubctl", err,
		    sizeof(err)) != 0)
			die("%s", err);
		printf("enrolled %s in %s as %s\n", u.name, c.code,
		    roster_role_name(role));
		return 0;
	}
	die("unknown command: course %s (try --help)", verb);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char	*buf = NULL;
	size_t	 size = 0, n;

	if (fp == NULL)
		die("%s: %s", path, strerror(errno));
	*len = 0;
	for (;;) {
		if (*len + 65536 > size) {
			size = size ? size * 2 : 1 << 20;
			if (size > ROSTER_MAX_BYTES + 65536 ||
			    (buf = realloc(buf, size)) == NULL)
				die("%s: too large (at most %u MiB)", path,
				    ROSTER_MAX_BYTES >> 20);
		}
		n = fread(buf + *len, 1, size - *len, fp);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp))
		die("%s: read error", path);
	if (fp != stdin)
		fclose(fp);
	return buf;
}

static int
cmd_roster(const struct config *cf, struct store *st, int argc,
    char *argv[])
{
	static const struct option opts[] = {
		{ "course", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "drop-missing", no_argument, NULL, 'd' },
		{ "strip-domain", required_argument, NULL, 's' },
		{ "links", no_argument, NULL, 'l' },
		{ "expires", required_argument, NULL, 'e' },
		{ "url", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *expires = NULL, *url = NULL;
	char	 host[LINK_HOST_MAX + 1];
	int	 links = 0, https = 0;
	unsigned lifetime = 0;
	struct roster_opts ro_opts = { NULL };
	struct import_result res;
	struct roster *ro;
	struct course c;
	struct buf b = { 0 };
	const char *code = NULL, *verb = argv[0], *line, *nl;
	char	 err[ROSTER_ERR_MAX], *data;
	size_t	 len;
	int	 ch, dry = 0, drop = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			code = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'd':
			drop = 1;
			break;
		case 's':
			ro_opts.strip_domain = optarg;
			break;
		case 'l':
			links = 1;
			break;
		case 'e':
			expires = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (code == NULL)
		die("roster %s needs --course CODE", verb);
	if (!course_code_valid(code) || store_course_get(st, code, &c) != 0)
		die("no such course: %s", code);
	if (strcmp(verb, "export") == 0) {
		roster_export_header(&b);
		if (store_enroll_list(st, c.id, enrollment_export, &b) != 0 || b.failed)
			die("cannot read the roster of %s", code);
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
		return 0;
	}
	if (strcmp(verb, "import") != 0)
		die("unknown command: roster %s (try --help)", verb);
	if (optind != argc - 1)
		die("roster import takes one file (- for standard input)");
	if (!links && (expires != NULL || url != NULL))
		die("--expires and --url go with --links");
	if (links) {
		lifetime = link_lifetime(expires);
		link_base(cf, url, host, sizeof(host), &https);
	}
	data = slurp(argv[optind], &len);
	if ((ro = roster_parse(data, len, &ro_opts, err, sizeof(err))) == NULL)
		die("%s: %s (nothing was written)", argv[optind], err);
	free(data);
	if (course_import(st, &c, ro, drop, dry, cf->pam_enabled ? AUTH_PAM :
	    AUTH_NATIVE, lifetime, "hubctl", &res, err, sizeof(err)) != 0)
		die("%s: %s (nothing was written)", argv[optind], err);
	fprintf(stderr, "%s%s roster, %zu rows: %zu accounts made, %zu "
	    "enrolled, %zu changed, %zu unchanged, %zu dropped, %zu accounts "
	    "disabled\n", dry ? "dry run: " : "", roster_format_name(res.format),
	    res.rows, res.created, res.enrolled, res.updated, res.unchanged,
	    res.dropped, res.disabled);
	for (line = res.log.data; line != NULL && *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		fprintf(stderr, "  %.*s\n", (int)(nl - line), line);
		if (!dry && strncmp(line, "disable ", 8) == 0) {
			char	 rq[128], answer[128];

			snprintf(rq, sizeof(rq), "server stop %.*s\n",
			    (int)(nl - line - 8), line + 8);
			(void)control_try(cf, rq, answer, sizeof(answer));
		}
	}
	if (!dry && res.passwords.len > 0) {
		printf("username,one_time_password\n");
		fwrite(res.passwords.data, 1, res.passwords.len, stdout);
	}
	if (!dry && res.nlinks > 0) {
		char	 link[LINK_URL_MAX];
		size_t	 i;

		/* For a mail merge: formula-safe, as the roster export. */
		roster_links_header(&b);
		for (i = 0; i < res.nlinks; i++) {
			if (link_url(link, sizeof(link), https, host,
			    res.links[i].token) != 0)
				die("'%s' is not a host name a link can carry: "
				    "use --url (the accounts are made; "
				    "\"user link NAME\" gives each a new link)",
				    host);
			roster_links_row(&b, &ro->rows[res.links[i].row], link,
			    res.links[i].expires);
			explicit_bzero(link, sizeof(link));
		}
		if (b.failed)
			die("out of memory");
		fwrite(b.data, 1, b.len, stdout);
		buf_burn(&b);
	}
	roster_free(ro);
	import_result_free(&res);
	return 0;
}

static int
print_server(const struct server_row *r, void *arg)
{
	char	 started[32] = "-", active[32] = "-";
	int	 first = (int)strcspn(r->message, "\n");

	(void)format_time(r->ready ? r->ready : r->requested, started,
	    sizeof(started));
	(void)format_time(r->last_activity, active, sizeof(active));
	printf("%-24s %-9s %-7d %-20s %-20s %.*s\n", r->user,
	    server_state_name(r->state), (int)r->pid, started, active,
	    r->state == SRV_FAILED ? (first < 60 ? first : 60) : 0, r->message);
	return 0;
}

/* One request over the control socket when hubd runs: 0 with the answer
 * line in out, -1 when hubd cannot be reached. */
static int
control_try(const struct config *cf, const char *request, char *out,
    size_t size)
{
	struct sockaddr_un sun;
	ssize_t	 n;
	size_t	 got = 0;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (control_path(cf, sun.sun_path, sizeof(sun.sun_path)) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
		close(fd);
		return -1;
	}
	while (got + 1 < size && (n = read(fd, out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* One request over the control socket; the answer line in out. */
static int
control(const struct config *cf, const char *request, char *out,
    size_t size)
{
	char	 path[256];

	if (control_try(cf, request, out, size) == -1) {
		(void)control_path(cf, path, sizeof(path));
		die("cannot reach hubd at %s: %s (is it running? servers are "
		    "started by the running hub)", path, strerror(errno));
	}
	if (strncmp(out, "ok ", 3) == 0)
		return 0;
	if (strncmp(out, "error ", 6) == 0)
		die("%s", out + 6);
	die("hubd gave no answer");
}

static int
cmd_server(const struct config *cf, struct store *st, int argc,
    char *argv[])
{
	char	 rq[128], answer[512];
	struct server_row r;
	int	 wait = 1, i, start;
	time_t	 deadline;

	if (strcmp(argv[0], "list") == 0) {
		if (argc != 1)
			die("server list takes no names");
		printf("%-24s %-9s %-7s %-20s %-20s %s\n", "NAME", "STATE", "PID",
		    "STARTED", "LAST ACTIVITY", "MESSAGE");
		return store_server_list(st, print_server, NULL) == 0 ? 0 : 1;
	}
	if (strcmp(argv[0], "start") != 0 && strcmp(argv[0], "stop") != 0)
		die("unknown command: server %s (try --help)", argv[0]);
	start = strcmp(argv[0], "start") == 0;
	if (argc < 2 || argc > 3)
		die("server %s needs exactly one user name", argv[0]);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--no-wait") != 0)
			die("unknown option %s", argv[i]);
		wait = 0;
	}
	if (!username_valid(argv[1]))
		die("'%s' is not a valid user name", argv[1]);
	snprintf(rq, sizeof(rq), "server %s %s\n", argv[0], argv[1]);
	control(cf, rq, answer, sizeof(answer));
	if (!wait) {
		printf("%s: %s\n", argv[1], answer + 3);
		return 0;
	}
	deadline = time(NULL) + cf->server_start_timeout + cf->server_stop_grace +
	    10;
	while (time(NULL) < deadline) {
		if (store_server_get(st, argv[1], &r) == 0) {
			if (start && r.state == SRV_RUNNING) {
				printf("%s: running\n", argv[1]);
				return 0;
			}
			if (r.state == SRV_FAILED)
				die("%s: failed: %s", argv[1], r.message);
			if (!start && r.state == SRV_STOPPED) {
				printf("%s: stopped\n", argv[1]);
				return 0;
			}
		} else if (!start)
			break;
		usleep(250000);
	}
	if (!start) {
		printf("%s: %s\n", argv[1], answer + 3);
		return 0;
	}
	die("%s: not running after %u s", argv[1], cf->server_start_timeout);
}

/* --- backup and restore ------------------------------------------------- */

static char	 partial[4096 + 32];	/* a copy being written, for signals */

static void
drop_partial(int sig)
{
	if (partial[0] != '\0')
		(void)unlink(partial);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Remove the copy being written on SIGINT/SIGTERM/SIGHUP, or on failure. */
static void
partial_begin(const char *path)
{
	snprintf(partial, sizeof(partial), "%s", path);
	signal(SIGINT, drop_partial);
	signal(SIGTERM, drop_partial);
	signal(SIGHUP, drop_partial);
}

/* A copy and the journal SQLite may have left beside it. */
static void
remove_copy(const char *path)
{
	char	 journal[sizeof(partial) + 8];

	(void)unlink(path);
	snprintf(journal, sizeof(journal), "%s-journal", path);
	(void)unlink(journal);
}

static void
partial_end(int remove)
{
	if (remove && partial[0] != '\0')
		remove_copy(partial);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	partial[0] = '\0';
}

/* After a rename: the folder that holds path, to disk. */
static void
sync_dir(const char *path)
{
	char	 dir[4096], *slash;
	int	 fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

static void
db_path(const struct config *cf, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", cf->data_dir, DB_FILE) >=
	    size)
		die("data_dir %s is too long", cf->data_dir);
}

static void
print_info(const char *verb, const char *path, const struct store_info *in)
{
	printf("%s %s: %lld bytes, schema version %d, %lld user%s, %lld "
	    "course%s; integrity check ok\n", verb, path, in->bytes,
	    in->version, in->users, in->users == 1 ? "" : "s", in->courses,
	    in->courses == 1 ? "" : "s");
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int
cmd_backup(const struct config *cf, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_info in;
	struct stat sb, dbsb;
	char	 db[4096], dest[4096], tmp[4096 + 16], stamp[32], err[1024];
	const char *file;
	size_t	 n;
	time_t	 now = time(NULL);
	int	 ch, force = 0, fd, e;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'f') {
			usage(stderr);
			return 2;
		}
		force = 1;
	}
	if (optind != argc - 1)
		die("backup needs one file (or folder) to write to");
	file = argv[optind];
	db_path(cf, db, sizeof(db));
	if (stat(db, &dbsb) == -1)
		die("%s: %s (no database yet: has hubd started with %s?)", db,
		    strerror(errno), cf->path);
	if (stat(file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		n = strlen(file);
		while (n > 1 && file[n - 1] == '/')
			n--;
		(void)strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S",
		    localtime(&now));
		if ((size_t)snprintf(dest, sizeof(dest), "%.*s/hubd-%s.sqlite",
		    (int)n, file, stamp) >= sizeof(dest))
			die("%s: the path is too long", file);
	} else if ((size_t)snprintf(dest, sizeof(dest), "%s", file) >=
	    sizeof(dest))
		die("%s: the path is too long", file);
	if (lstat(dest, &sb) == 0) {
		if (same_file(&sb, &dbsb))
			die("%s is the hub's database itself: write the backup "
			    "somewhere else", dest);
		if (!force)
			die("%s exists: choose a new name, or add --force to "
			    "replace it", dest);
		if (!S_ISREG(sb.st_mode))
			die("%s exists and is not a regular file", dest);
	}

	/* A temporary file beside dest (0600), renamed into place once
	 * copied and checked. */
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", dest);
	if ((fd = mkstemp(tmp)) == -1)
		die("cannot write %s: %s", tmp, strerror(errno));
	close(fd);
	partial_begin(tmp);
	if (store_copy(db, STORE_LIVE, tmp, err, sizeof(err)) == -1 ||
	    store_inspect(tmp, db, &in, err, sizeof(err)) == -1) {
		partial_end(1);
		die("%s; no backup was written", err);
	}
	if (!force && lstat(dest, &sb) == 0) {
		partial_end(1);
		die("%s appeared meanwhile: choose a new name, or add --force "
		    "to replace it", dest);
	}
	if (rename(tmp, dest) == -1) {
		e = errno;
		partial_end(1);
		die("cannot rename %s to %s: %s", tmp, dest, strerror(e));
	}
	partial_end(0);
	sync_dir(dest);
	print_info("backed up to", dest, &in);
	return 0;
}

/* Is a hubd answering on this configuration's control socket? */
static int
hub_running(const struct config *cf)
{
	char	 answer[256];

	return control_try(cf, "\n", answer, sizeof(answer)) == 0;
}

struct live_servers {
	char	 names[1024];
	int	 n;
};

/* A server the database has as running whose process is still there
 * (the same pid and start time). */
static int
note_live_server(const struct server_row *r, void *arg)
{
	struct live_servers *ls = arg;
	char	 path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE	*fp;
	int	 i;
	size_t	 n;

	if (r->pid <= 0 || r->state == SRV_STOPPED || r->state == SRV_FAILED)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)r->pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Field 22, counted after the command name in parentheses. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (i = 0; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1 ||
	    start != r->starttime)
		return 0;
	n = strlen(ls->names);
	snprintf(ls->names + n, sizeof(ls->names) - n, "%s%s (pid %d)",
	    ls->n > 0 ? ", " : "", r->user, (int)r->pid);
	ls->n++;
	return 0;
}

static int
cmd_restore(const struct config *cf, int argc, char *argv[])
{
	static const char *const leftovers[] = { "-wal", "-journal" };
	struct live_servers live = { "", 0 };
	struct store_info in;
	struct store *hold = NULL;
	struct stat fsb, dsb;
	char	 db[4096], tmp[4096 + 16], aside[4096 + 64], stamp[32];
	char	 from[4096 + 16], to[4096 + 80], err[1024], sock[256];
	const char *file;
	time_t	 now = time(NULL);
	size_t	 i;
	int	 have_db = 0, raw = 0, r, e;

	if (argc != 2 || argv[1][0] == '-')
		die("restore needs one file: a copy made by hubctl backup");
	file = argv[1];
	if (stat(file, &fsb) == -1)
		die("%s: %s; the hub's database is unchanged", file,
		    strerror(errno));
	if (!S_ISREG(fsb.st_mode))
		die("%s is not a regular file; the hub's database is unchanged",
		    file);
	if (hub_running(cf)) {
		(void)control_path(cf, sock, sizeof(sock));
		die("hubd is running (it answers on %s): stop the service "
		    "first: systemctl stop hubd", sock);
	}
	if (mkdir(cf->data_dir, 0700) == -1 && errno != EEXIST)
		die("cannot create data_dir %s: %s", cf->data_dir,
		    strerror(errno));
	db_path(cf, db, sizeof(db));
	if (stat(db, &dsb) == 0) {
		have_db = 1;
		if (same_file(&fsb, &dsb))
			die("%s is the hub's database itself", file);
	} else if (errno != ENOENT)
		die("%s: %s", db, strerror(errno));

	/* FILE's copy beside the database, checked before anything moves. */
	snprintf(tmp, sizeof(tmp), "%s.restore-tmp", db);
	remove_copy(tmp);	/* one left by an interrupted restore */
	partial_begin(tmp);
	if (store_copy(file, STORE_FILE, tmp, err, sizeof(err)) == -1 ||
	    store_inspect(tmp, file, &in, err, sizeof(err)) == -1) {
		partial_end(1);
		die("%s; the hub's database is unchanged", err);
	}
	if (in.version > store_latest_version()) {
		partial_end(1);
		die("%s has schema version %d, newer than this hubctl knows "
		    "(%d): restore it with the hubd version that wrote it; the "
		    "hub's database is unchanged", file, in.version,
		    store_latest_version());
	}
	if ((have_db && chown(tmp, dsb.st_uid, dsb.st_gid) == -1) ||
	    chmod(tmp, 0600) == -1) {
		e = errno;
		partial_end(1);
		die("%s: %s; the hub's database is unchanged", tmp,
		    strerror(e));
	}
	if (have_db) {
		/* Alone on it, its WAL folded in: it stands as one file. */
		r = store_hold(db, &hold, err, sizeof(err));
		if (r == STORE_IN_USE) {
			partial_end(1);
			die("%s: stop the service first: systemctl stop hubd",
			    err);
		}
		if (r == -1) {
			fprintf(stderr, "%s: warning: %s; it is kept aside as "
			    "it is\n", progname, err);
			raw = 1;
		} else if (store_schema_version(hold) >= 3)
			(void)store_server_list(hold, note_live_server, &live);
	}

	/* The current database keeps a second name (a hard link: the hub's
	 * name never points nowhere), then the copy takes the hub's name. */
	if (have_db) {
		(void)strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S",
		    localtime(&now));
		for (i = 0;; i++) {
			snprintf(aside, sizeof(aside), "%s.before-restore-%s%s",
			    db, stamp, i == 0 ? "" : "-");
			if (i > 0)
				snprintf(aside + strlen(aside), sizeof(aside) -
				    strlen(aside), "%zu", i + 1);
			if (link(db, aside) == 0)
				break;
			if (errno == EEXIST && i < 100)
				continue;
			e = errno;
			partial_end(1);
			store_close(hold);
			die("cannot keep %s as %s: %s; the hub's database is "
			    "unchanged", db, aside, strerror(e));
		}
		/* What SQLite finds by name belongs to the old file. */
		for (i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
			snprintf(from, sizeof(from), "%s%s", db, leftovers[i]);
			snprintf(to, sizeof(to), "%s%s", aside, leftovers[i]);
			if (rename(from, to) == -1 && errno != ENOENT) {
				e = errno;
				partial_end(1);
				store_close(hold);
				die("cannot move %s to %s: %s; the restore "
				    "stopped before replacing %s", from, to,
				    strerror(e), db);
			}
		}
		snprintf(from, sizeof(from), "%s-shm", db);
		(void)unlink(from);
	}
	if (rename(tmp, db) == -1) {
		e = errno;
		partial_end(1);
		store_close(hold);
		die("cannot rename %s to %s: %s; the hub's database is "
		    "unchanged", tmp, db, strerror(e));
	}
	partial_end(0);
	sync_dir(db);
	store_close(hold);

	print_info("restored", file, &in);
	printf("it is now %s\n", db);
	if (have_db)
		printf("the database it replaced is kept as %s%s\n", aside,
		    raw ? " (as it was, with any -wal file beside it)" : "");
	if (live.n > 0)
		fprintf(stderr, "%s: warning: these students' servers still "
		    "run and the restored database may not know them: %s\n",
		    progname, live.names);
	if (in.version < store_latest_version())
		printf("hubd brings it from schema version %d to %d when it "
		    "starts\n", in.version, store_latest_version());
	printf("start the hub: systemctl start hubd\n");
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = HUBD_CONFIG_PATH;
	struct config *cf;
	struct store *st;
	int	 ch, r;

	/* Options before the command only; the command has its own. */
	while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	log_init(LOG_LEVEL_WARN, progname);
	if (strcmp(argv[0], "backup") == 0 || strcmp(argv[0], "restore") == 0) {
		char	 err[1024];

		/* The database as a whole: no migration, never created. */
		if ((cf = config_load(path, err, sizeof(err))) == NULL)
			die("%s", err);
		r = strcmp(argv[0], "backup") == 0 ?
		    cmd_backup(cf, argc, argv) : cmd_restore(cf, argc, argv);
		config_free(cf);
		return r;
	}
	if (auth_init() == -1)
		die("cannot initialise libsodium");
	if (strcmp(argv[0], "user") != 0 && strcmp(argv[0], "token") != 0 &&
	    strcmp(argv[0], "server") != 0 && strcmp(argv[0], "course") != 0 &&
	    strcmp(argv[0], "roster") != 0)
		die("unknown command '%s' (try --help)", argv[0]);
	st = open_store(path, &cf);
	if (strcmp(argv[0], "user") == 0)
		r = cmd_user(cf, st, argc - 1, argv + 1);
	else if (strcmp(argv[0], "token") == 0)
		r = cmd_token(st, argc - 1, argv + 1);
	else if (strcmp(argv[0], "course") == 0)
		r = cmd_course(st, argc - 1, argv + 1);
	else if (strcmp(argv[0], "roster") == 0)
		r = cmd_roster(cf, st, argc - 1, argv + 1);
	else
		r = cmd_server(cf, st, argc - 1, argv + 1);
	store_close(st);
	config_free(cf);
	return r;
}
