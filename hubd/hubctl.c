/*
 * hubctl: accounts and tokens from the command line, for IT staff.  Works on
 * the same database as hubd, with hubd running or not.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
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
	    "      A CSV as Canvas, Moodle or Blackboard export it, or\n"
	    "      username,full_name,email,role.  One transaction: a bad row\n"
	    "      names its line and nothing is written.  New hub accounts get\n"
	    "      one-time passwords, printed as CSV (username,password).\n"
	    "  roster export --course CODE     (CSV on standard output)\n"
	    "  server list\n"
	    "  server start NAME [--no-wait] | server stop NAME [--no-wait]\n"
	    "      Through the running hubd; waits until the server runs or\n"
	    "      has stopped (at most its start timeout).\n"
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

static int
print_user(const struct user *u, void *arg)
{
	char	 last[32] = "-";

	(void)format_time(u->last_login, last, sizeof(last));
	printf("%-24s %-10s %-6s %-8s %s\n", u->name, role_name(u->role),
	    auth_name(u->auth), u->disabled ? "disabled" :
	    u->password_expired ? "one-time" : "active", last);
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
		{ NULL, 0, NULL, 0 },
	};
	char	 pw[PASSWORD_MAX + 2], err[256];
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
		{ NULL, 0, NULL, 0 },
	};
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
	data = slurp(argv[optind], &len);
	if ((ro = roster_parse(data, len, &ro_opts, err, sizeof(err))) == NULL)
		die("%s: %s (nothing was written)", argv[optind], err);
	free(data);
	if (course_import(st, &c, ro, drop, dry, cf->pam_enabled ? AUTH_PAM :
	    AUTH_NATIVE, "hubctl", &res, err, sizeof(err)) != 0)
		die("%s: %s (nothing was written)", argv[optind], err);
	roster_free(ro);
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
