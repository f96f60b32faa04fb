/*
 * hubctl: accounts and tokens from the command line, for IT staff.  Works on
 * the same database as hubd, with hubd running or not.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hubd.h"

static const char *progname = "hubctl";

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
open_store(const char *path)
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
	config_free(cf);
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
cmd_user(struct store *st, int argc, char *argv[])
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

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = HUBD_CONFIG_PATH;
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
	if (strcmp(argv[0], "user") != 0 && strcmp(argv[0], "token") != 0)
		die("unknown command '%s' (try --help)", argv[0]);
	st = open_store(path);
	if (strcmp(argv[0], "user") == 0)
		r = cmd_user(st, argc - 1, argv + 1);
	else
		r = cmd_token(st, argc - 1, argv + 1);
	store_close(st);
	return r;
}
