/*
 * hubd: start-up, signals and shutdown.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <execinfo.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "hubd.h"
#include "sandbox/sandbox.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: hubd [--config FILE] [--check-config] [--print-config]\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default %s)\n"
	    "  -t, --check-config  check the configuration and exit\n"
	    "  -p, --print-config  print every key with its default and exit\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          this text\n"
	    "\n"
	    "Signals: SIGTERM or SIGINT stop; SIGHUP reloads log_level, the\n"
	    "[session] and [login] keys and the web templates.\n",
	    HUBD_CONFIG_PATH);
}

/*
 * A crash leaves its call stack in the log (the journal), so that a report
 * says where; then the signal is raised again for the default action.
 */
static void
on_fatal(int sig)
{
	static const char head[] = "hubd: crashed; call stack:\n";
	void	*frames[48];
	int	 n;

	(void)!write(STDERR_FILENO, head, sizeof(head) - 1);
	n = backtrace(frames, 48);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	raise(sig);
}

static void
catch_crashes(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa;
	void	*warm[1];
	size_t	 i;

#ifdef __SANITIZE_ADDRESS__
	return;		/* AddressSanitizer's own report says more */
#endif
	(void)backtrace(warm, 1);	/* loads libgcc now, not in a crash */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
}

static int
ensure_dir(const char *path, char *err, size_t errsize)
{
	struct stat sb;

	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errsize, "cannot create data_dir %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (stat(path, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errsize, "data_dir %s is not a folder", path);
		return -1;
	}
	return 0;
}

/* Database: created, migrated, and on first start given an admin. */
static int
open_database(const struct config *cf, const char *url, char *err,
    size_t errsize)
{
	char	 path[4096], pw[ONE_TIME_PASSWORD_LEN + 1];
	struct store *st;
	int	 r;

	if (ensure_dir(cf->data_dir, err, errsize) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", cf->data_dir, DB_FILE);
	if ((st = store_open(path, err, errsize)) == NULL)
		return -1;
	if (store_migrate(st, store_latest_version(), err, errsize) == -1)
		goto fail;
	if ((r = account_first_admin(st, pw, sizeof(pw), err, errsize)) == -1)
		goto fail;
	if (r == 1) {
		/* Once, on stdout, to the person who started the hub. */
		printf("\n"
		    "  First start: hubd created the account 'admin'.\n"
		    "  One-time password: %s\n"
		    "  Log in at %s/hub/login and choose your own password.\n"
		    "  (Lost it? hubctl --config %s user passwd admin)\n\n",
		    pw, url, cf->path);
		fflush(stdout);
		explicit_bzero(pw, sizeof(pw));
		log_info("created the first admin account 'admin'");
	}
	store_close(st);
	if (pool_init(path, err, errsize) == -1)
		return -1;
	return 0;
fail:
	store_close(st);
	return -1;
}

static void
reload(const char *path)
{
	struct config *cf, *old;
	struct web *w;
	struct gen *g;
	char	 err[1024];

	if ((cf = config_reload(path, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s; keeping the running configuration", err);
		return;
	}
	if ((w = web_load(cf->web_dir, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s; keeping the running configuration", err);
		config_free(cf);
		return;
	}
	g = gen_get();
	old = g->cf;
	if (strcmp(old->listen, cf->listen) != 0 ||
	    strcmp(old->data_dir, cf->data_dir) != 0 ||
	    (old->tls_cert == NULL) != (cf->tls_cert == NULL) ||
	    old->max_connections != cf->max_connections ||
	    old->max_connections_per_ip != cf->max_connections_per_ip ||
	    old->connection_timeout != cf->connection_timeout ||
	    old->max_header_size != cf->max_header_size)
		log_warnx("reload: listen, data_dir, TLS and [http] "
		    "connection keys apply at the next restart");
	gen_put(g);
	log_set_level(cf->log_level);
	throttle_configure(cf->login_user_failures, cf->login_address_failures);
	if (gen_install(cf, w) == -1) {
		log_warnx("reload: out of memory");
		config_free(cf);
		web_free(w);
		return;
	}
	log_info("reloaded %s", path);
}

static void
expire_sessions(void)
{
	struct gen *g = gen_get();
	struct store *st = pool_get();

	(void)store_session_expire(st, time(NULL), g->cf->session_idle);
	pool_put(st);
	gen_put(g);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "print-config", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = HUBD_CONFIG_PATH;
	struct config *cf;
	struct web *w;
	char	 err[1024], url[128], db[4096];
	sigset_t set;
	int	 ch, check = 0, sig, fd, status_code = 0;
	struct timespec tick = { 60, 0 };

	while ((ch = getopt_long(argc, argv, "c:tpVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'p':
			config_print_defaults(stdout);
			return 0;
		case 'V':
			printf("hubd %s (libmicrohttpd %s)\n", PACKAGE_VERSION,
			    MHD_get_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init(LOG_LEVEL_INFO, "hubd");
	if ((cf = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hubd: %s\n", err);
		return 1;
	}
	if ((w = web_load(cf->web_dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hubd: %s: [hub] web_dir: %s\n", path, err);
		config_free(cf);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		web_free(w);
		config_free(cf);
		return 0;
	}
	log_set_level(cf->log_level);
	if (auth_init() == -1)
		fatalx("cannot initialise libsodium");
	throttle_configure(cf->login_user_failures, cf->login_address_failures);
	snprintf(url, sizeof(url), "%s://%s", cf->tls_cert_pem != NULL ?
	    "https" : "http", cf->listen);

	/* Every thread inherits this mask; only sigtimedwait takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	catch_crashes();

	/* As root: the database (its files stay open), the port, the
	 * spawner.  Then hubd becomes its own user for good. */
	if (open_database(cf, url, err, sizeof(err)) == -1)
		fatalx("%s", err);
	snprintf(db, sizeof(db), "%s/%s", cf->data_dir, DB_FILE);
	if (server_open(db, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((fd = privsep_listen(cf, err, sizeof(err))) == -1 ||
	    control_listen(cf, err, sizeof(err)) == -1 ||
	    privsep_spawner_start(cf, err, sizeof(err)) == -1 ||
	    privsep_drop(cf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* From here on hubd parses the network: its own seccomp table,
	 * inherited by every thread started below. */
	if (!cf->seccomp)
		log_warnx("[hub] seccomp = no: hubd runs without its system "
		    "call filter");
	else if (sb_seccomp_apply(SB_ROLE_HUBNET, err, sizeof(err)) == -1)
		fatalx("seccomp: %s", err);
	if (privsep_reader_start() == -1)
		fatalx("cannot start the spawner reader thread");
	if (gen_install(cf, w) == -1)
		fatalx("out of memory");
	if (server_init(cf->server_spawns, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (control_start() == -1)
		fatalx("cannot start the control thread");
	if (http_start(cf, fd, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (MHD_get_version() != NULL && cf->tls_cert_pem != NULL &&
	    strcmp(MHD_get_version(), "0.9.77") < 0)
		log_warnx("libmicrohttpd %s: websockets over TLS are slow and "
		    "many closing at once can crash hubd; let a reverse proxy "
		    "do TLS (README, TLS)", MHD_get_version());
	log_info("hubd %s serving on %s (data in %s)", PACKAGE_VERSION, url,
	    cf->data_dir);

	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == -1) {
			if (errno == EAGAIN)
				expire_sessions();
			continue;
		}
		if (sig == SIGHUP) {
			reload(path);
			continue;
		}
		if (sig == SIGCHLD) {
			int	 status;

			if (waitpid(privsep_spawner_pid(), &status,
			    WNOHANG) <= 0)
				continue;
			log_warnx("the spawner stopped (%s %d): stopping",
			    WIFSIGNALED(status) ? "signal" : "exit status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
			status_code = 1;
			break;
		}
		log_info("signal %d: stopping", sig);
		break;
	}
	http_stop();
	control_stop();
	server_shutdown();	/* the students' servers go on running */
	privsep_stop();
	pool_free();
	gen_put(hub.gen);	/* the threads are gone */
	hub.gen = NULL;
	log_info("stopped");
	return status_code;
}
