/*
 * hubd: the teaching hub daemon.  One header for the program; cross-file
 * prototypes are grouped by the file that defines them.
 */
#ifndef HUBD_H
#define HUBD_H

#include <sys/types.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdio.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

/* Names: [a-z_][a-z0-9_.-]{0,31}, no "..": safe as a unix login, a path
 * component and a URL segment. */
#define USERNAME_MAX		32
#define PASSWORD_MAX		1024	/* longer input is refused, not cut */
#define PASSWORD_MIN		8	/* for new passwords */
#define SECRET_BYTES		32	/* session ids and API tokens: 256 bits */
#define SECRET_HEX		(SECRET_BYTES * 2)
#define XSRF_BYTES		16
#define XSRF_HEX		(XSRF_BYTES * 2)
#define HASH_BYTES		32	/* SHA-256 of a secret, as stored */
#define ONE_TIME_PASSWORD_LEN	16
#define OTP_PREFIX		"$otp-sha256$"	/* how one-time ones are kept */
#define TOKEN_NOTE_MAX		200

#define SESSION_COOKIE		"hubd-session"
#define VIEW_COOKIE		"hubd-view"	/* on a student's own origin */
#define XSRF_COOKIE		"_xsrf"
#define XSRF_HEADER		"X-XSRFToken"

/* argon2id cost: OWASP's minimum for argon2id (19 MiB, t=2, p=1). */
#define PWHASH_OPSLIMIT		2
#define PWHASH_MEMLIMIT		(19u * 1024 * 1024)
#define PWHASH_CONCURRENCY	4	/* hashes computed at once */

/* Login throttling: failures only; successes never count. */
#define THROTTLE_SLOTS		4096
#define THROTTLE_WINDOW		900	/* seconds a failure is remembered */
#define THROTTLE_MAX_DELAY	300	/* seconds, cap of the backoff */

#define STORE_POOL_SIZE		4	/* SQLite connections shared by threads */
#define STORE_BUSY_MS		5000

#define HTTP_THREAD_STACK	(256u * 1024)

/* The proxy and the websocket relay. */
#define PROXY_HEAD_MAX		(32u * 1024)	/* a server's response head */
#define PROXY_HEADERS_MAX	64
#define PROXY_BUF		(32u * 1024)	/* bytes read at once */
#define PROXY_TIMEOUT		300		/* s without a byte: 504 */
#define BACKEND_CONNECT_SEC	10		/* a full backlog: give up */
#define PROXY_IDLE_MAX		64		/* kept backend connections */
#define PROXY_IDLE_SEC		20		/* a kept one is used within */
#define RELAY_BUF		(16u * 1024)	/* per direction */
#define RELAY_LINGER		5		/* s after one side closed */
#define RELAY_IDLE		900		/* s without a byte (pings are 30 s) */
#define RELAY_LIFE		(24 * 3600)	/* s at most */
#define HTTP_DRAIN_MAX		(64u * 1024 * 1024)	/* dropped body, then 413 */

enum role {
	ROLE_STUDENT = 0,
	ROLE_INSTRUCTOR,
	ROLE_ADMIN,
};

enum auth_kind {
	AUTH_NATIVE = 0,
	AUTH_PAM,
};

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* A [profile.NAME] section: limits a course may give its students. */
#define PROFILES_MAX		32
#define PROFILE_NAME_LEN	32

struct profile {
	char		 name[PROFILE_NAME_LEN + 1];
	uint64_t	 memory;	/* bytes */
	unsigned	 cpus;		/* millicpus */
	unsigned	 pids;
	int		 line;
};

/* config.c: every key, its type and default live in one table there. */
struct config {
	char		*path;
	/* [hub] */
	char		*listen;	/* as written, for messages */
	struct sockaddr_storage listen_addr;
	socklen_t	 listen_addrlen;
	char		*data_dir;
	char		*web_dir;
	char		*user;		/* to run as after start */
	char		*spawner;	/* path of hubd-spawner */
	int		 seccomp;	/* filter hubd's own system calls */
	enum log_level	 log_level;
	char		*tls_cert;	/* paths */
	char		*tls_key;
	char		*tls_priorities;
	char		*tls_cert_pem;	/* contents, read at load */
	char		*tls_key_pem;
	char		*user_domain;	/* "": students' servers on the hub's origin */
	/* [session] */
	unsigned	 session_lifetime;	/* seconds */
	unsigned	 session_idle;
	/* [http] */
	unsigned	 max_connections;
	unsigned	 max_connections_per_ip;
	unsigned	 connection_timeout;
	unsigned	 max_header_size;
	unsigned	 max_body_size;
	/* [pam] */
	int		 pam_enabled;
	char		*pam_service;
	char		*pam_groups;
	unsigned	 pam_min_uid;
	unsigned	 pam_workers;
	/* [server] */
	char		*server_command;
	char		*server_flavour;
	uint64_t	 server_memory;		/* bytes */
	unsigned	 server_cpus;		/* millicpus */
	unsigned	 server_pids;
	char		*server_homes;
	char		*server_sockets;
	char		*server_courses;
	int		 server_host_network;
	unsigned	 server_start_timeout;
	unsigned	 server_stop_grace;
	unsigned	 server_idle_timeout;
	unsigned	 server_max_age;
	unsigned	 server_spawns;
	/* [profile.NAME] sections */
	struct profile	 profiles[PROFILES_MAX];
	int		 nprofiles;
	/* [login] */
	unsigned	 login_user_failures;
	unsigned	 login_address_failures;
};

struct config	*config_load(const char *, char *, size_t);
struct config	*config_reload(const char *, char *, size_t);
struct config	*config_load_string(const char *, const char *, char *, size_t);
void		 config_free(struct config *);
void		 config_print_defaults(FILE *);
const struct profile *config_profile(const struct config *, const char *);
int		 parse_duration(const char *, unsigned *);
int		 parse_size(const char *, unsigned *);
int		 parse_listen(const char *, struct sockaddr_storage *,
		    socklen_t *);

/* log.c */
void		 log_init(enum log_level, const char *);
void		 log_set_level(enum log_level);
void		 log_warn(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_info(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
void		 fatalx(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* util.c: small parsers of network input, all bounded and allocation-free
 * unless said otherwise. */
int		 username_valid(const char *);
int		 course_code_valid(const char *);
const char	*role_name(enum role);
int		 role_parse(const char *, enum role *);
const char	*auth_name(enum auth_kind);
int		 auth_parse(const char *, enum auth_kind *);
int		 next_is_safe(const char *);
int		 cookie_get(const char *, const char *, char *, size_t);
int		 cookie_get_nth(const char *, const char *, int, char *, size_t);
int		 url_decode(const char *, size_t, char *, size_t, int);
int		 form_next(const char *, size_t, size_t *, const char *, char *,
		    size_t);
int		 form_get(const char *, size_t, const char *, char *, size_t);
int		 form_has(const char *, size_t, const char *, const char *);
char		*html_escape(const char *);	/* caller frees */
int		 str_copy(char *, const char *, size_t);
int		 ct_equal(const char *, const char *);
int		 xsrf_check(const char *, const char *);
int		 set_cookie_ok(const char *, const char *);
int		 user_path_ok(const char *);
int		 format_time(time_t, char *, size_t);

/* auth.c: secrets, password hashes, throttling */
int		 auth_init(void);
void		 random_hex(char *, size_t);	/* fills n-1 hex digits + NUL */
void		 random_password(char *, size_t);
void		 secret_hash(const char *, unsigned char[HASH_BYTES]);
int		 password_hash(const char *, char *, size_t);
int		 otp_hash(const char *, char *, size_t);
int		 password_verify(const char *, const char *);
int		 password_needs_rehash(const char *);
void		 password_burn_time(const char *);
int		 password_acceptable(const char *, const char **);
void		 throttle_configure(unsigned, unsigned);
int		 throttle_check(const char *, const char *, time_t);
void		 throttle_failure(const char *, const char *, time_t);
void		 throttle_success(const char *, time_t);
int		 throttle_address_check(const char *, time_t);
void		 throttle_address_failure(const char *, time_t);

/* store.c: the SQLite database.  A store is one connection; hubd keeps a
 * small pool of them for its threads. */
#define STORE_HASH_MAX	128	/* encoded argon2id hash */

struct user {
	int64_t		 id;
	char		 name[USERNAME_MAX + 1];
	enum role	 role;
	enum auth_kind	 auth;
	char		 password_hash[STORE_HASH_MAX];
	int		 password_expired;	/* one-time password */
	int		 disabled;
	time_t		 created;
	time_t		 last_login;
};

struct session {
	int64_t		 id;
	int64_t		 user_id;
	time_t		 created;
	time_t		 last_seen;
	time_t		 expires;
};

struct api_token {
	int64_t		 id;
	int64_t		 user_id;
	char		 note[TOKEN_NOTE_MAX + 1];
	time_t		 created;
	time_t		 expires;	/* 0: never */
	time_t		 last_used;
};

enum server_state {
	SRV_STOPPED = 0,
	SRV_QUEUED,
	SRV_STARTING,
	SRV_RUNNING,
	SRV_STOPPING,
	SRV_FAILED,
};

#define SERVER_PATH_MAX		256
#define SERVER_MESSAGE_MAX	2048

/* A student's server as the database keeps it. */
struct server_row {
	int64_t		 user_id;
	char		 user[USERNAME_MAX + 1];
	enum server_state state;
	uid_t		 uid;
	pid_t		 pid;
	uint64_t	 starttime;
	char		 cgroup[64];
	char		 socket[SERVER_PATH_MAX];
	char		 token[SECRET_HEX + 1];
	time_t		 requested, started, ready, last_activity, stopped;
	int		 exit_status;	/* wait status; -1: none or unknown */
	unsigned	 oom_kills;
	char		 message[SERVER_MESSAGE_MAX];
};

struct audit_entry {
	time_t		 at;
	char		 actor[USERNAME_MAX + 16];
	char		 action[32];
	char		 target[128];
	char		 detail[256];
};

struct store;
typedef int (*store_user_cb)(const struct user *, void *);
typedef int (*store_audit_cb)(const struct audit_entry *, void *);
typedef int (*store_server_cb)(const struct server_row *, void *);
typedef int (*store_token_cb)(const struct api_token *, void *);

#define STORE_NOT_FOUND	1	/* a get found nothing; -1 is an error */
#define STORE_EXISTS	2	/* an insert hit a unique key */

struct store	*store_open(const char *, char *, size_t);
void		 store_close(struct store *);
int		 store_schema_version(struct store *);
int		 store_latest_version(void);
int		 store_migrate(struct store *, int, char *, size_t);
int		 store_begin(struct store *);
int		 store_commit(struct store *);
void		 store_rollback(struct store *);
int		 store_user_count(struct store *, int64_t *);
int		 store_admin_count(struct store *, int64_t *);
int		 store_user_get(struct store *, const char *, struct user *);
int		 store_user_get_id(struct store *, int64_t, struct user *);
int		 store_user_add(struct store *, struct user *);
int		 store_user_update(struct store *, const struct user *);
int		 store_user_rename(struct store *, int64_t, const char *);
int		 store_user_delete(struct store *, int64_t);
int		 store_user_list(struct store *, store_user_cb, void *);
int		 store_user_touch_login(struct store *, int64_t, time_t);
int		 store_session_add(struct store *, const unsigned char *,
		    struct session *);
int		 store_session_get(struct store *, const unsigned char *,
		    struct session *);
int		 store_session_touch(struct store *, int64_t, time_t);
int		 store_session_delete(struct store *, const unsigned char *);
int		 store_session_delete_user(struct store *, int64_t);
int		 store_session_expire(struct store *, time_t, unsigned);
int		 store_token_add(struct store *, const unsigned char *,
		    struct api_token *);
int		 store_token_get(struct store *, const unsigned char *,
		    struct api_token *);
int		 store_token_touch(struct store *, int64_t, time_t);
int		 store_token_list(struct store *, int64_t, store_token_cb,
		    void *);
int		 store_token_delete(struct store *, int64_t, int64_t);
const char	*server_state_name(enum server_state);
int		 store_server_get(struct store *, const char *,
		    struct server_row *);
int		 store_server_put(struct store *, const struct server_row *);
int		 store_server_list(struct store *, store_server_cb, void *);
int		 store_server_activity(struct store *, int64_t, time_t);
int		 store_audit_list(struct store *, int, store_audit_cb, void *);
int		 store_user_profiles(struct store *, int64_t,
		    int (*)(const char *, void *), void *);
int		 store_audit(struct store *, const char *, const char *,
		    const char *, const char *, const char *);

/* store.c: enrollment and reset links (accounts.c makes and uses them) */
enum link_kind {
	LINK_ENROLL = 0,	/* the account has no password yet */
	LINK_RESET,		/* it has one, forgotten */
};

struct account_link {
	int64_t		 id;
	int64_t		 user_id;
	int64_t		 course_id;	/* 0: none (hubctl) */
	enum link_kind	 kind;
	char		 creator[USERNAME_MAX + 16];
	time_t		 created;
	time_t		 expires;
};

int		 store_link_put(struct store *, const unsigned char *,
		    struct account_link *);
int		 store_link_get(struct store *, const unsigned char *,
		    struct account_link *);
int		 store_link_spend(struct store *, int64_t);
int		 store_link_delete_user(struct store *, int64_t);

/* store.c: whole databases, for hubctl backup and restore */
#define STORE_IN_USE	3	/* store_hold: another program has it open */

enum store_source {
	STORE_LIVE,		/* the hub's database, hubd may be running */
	STORE_FILE,		/* a file handed in: read-only */
};

struct store_info {
	int		 version;	/* PRAGMA user_version */
	long long	 users;
	long long	 courses;
	long long	 bytes;
};

int		 store_copy(const char *, enum store_source, const char *,
		    char *, size_t);
int		 store_inspect(const char *, const char *, struct store_info *,
		    char *, size_t);
int		 store_hold(const char *, struct store **, char *, size_t);

/* Shared paths below data_dir. */
#define DB_FILE		"hubd.sqlite"
#define CONTROL_SOCKET	"control.sock"

/* pool.c */
int		 pool_init(const char *, char *, size_t);
struct store	*pool_get(void);
void		 pool_put(struct store *);
void		 pool_free(void);

/* accounts.c: operations shared by hubctl and the web API */
int		 account_create(struct store *, const char *, enum role,
		    enum auth_kind, const char *, int, const char *, char *,
		    size_t);
int		 account_set_password(struct store *, struct user *,
		    const char *, int, const char *, char *, size_t);
int		 account_first_admin(struct store *, char *, size_t, char *,
		    size_t);
int		 account_token_create(struct store *, const struct user *,
		    const char *, unsigned, const char *, char *, size_t,
		    struct api_token *, char *, size_t);
int		 account_keeps_admin(struct store *, const struct user *,
		    const struct user *);

/* accounts.c: links that let a person choose their password (a roster
 * name without one, or a reset); single use, expiring, one per account */
#define LINK_LIFETIME		(7 * 86400)	/* default, seconds */
#define LINK_LIFETIME_MAX	(30 * 86400)
#define LINK_PATH		"/hub/link/"
#define LINK_HOST_MAX		255
#define LINK_URL_MAX		(sizeof("https://") + LINK_HOST_MAX + \
				    sizeof(LINK_PATH) + SECRET_HEX)
#define LINK_EXPIRED		4	/* found, but past its time */

int		 link_token_valid(const char *);
int		 link_url(char *, size_t, int, const char *, const char *);
int		 account_link_create(struct store *, const struct user *,
		    int64_t, unsigned, const char *, const char *, char *,
		    size_t, struct account_link *, char *, size_t);
int		 account_link_find(struct store *, const char *,
		    struct account_link *, struct user *);
int		 account_link_use(struct store *, const char *, const char *,
		    const char *, struct user *, struct account_link *, char *,
		    size_t);

/* web.c: templates and static files */
struct asset {
	struct asset	*next;
	char		*name;
	char		*data;
	size_t		 len;
	const char	*type;
	char		 etag[17];
};

struct web {
	struct asset	*templates;
	struct asset	*statics;
};

struct buf {
	char		*data;
	size_t		 len, size;
	int		 failed;	/* out of memory: the result is void */
};

struct var {
	const char	*name;
	const char	*value;
};

struct web	*web_load(const char *, char *, size_t);
void		 web_free(struct web *);
const char	*web_template(const struct web *, const char *);
const struct asset *web_static(const struct web *, const char *);
int		 web_render(struct buf *, const char *, const struct var *);
int		 buf_add(struct buf *, const char *, size_t);
int		 buf_puts(struct buf *, const char *);
int		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 buf_escape(struct buf *, const char *);
int		 buf_urlencode(struct buf *, const char *);
void		 buf_free(struct buf *);
void		 buf_burn(struct buf *);

/* http.c: the daemon, requests, auth and responses */

/* What a request sees of the configuration; SIGHUP installs a new one
 * while requests under way keep theirs. */
struct gen {
	int		 refs;
	struct config	*cf;
	struct web	*web;
};

struct hub {
	pthread_mutex_t	 lock;
	struct gen	*gen;
	struct MHD_Daemon *mhd;
	int		 tls;
};

extern struct hub hub;

enum via {
	VIA_NONE = 0,
	VIA_SESSION,
	VIA_TOKEN,
};

struct request {
	struct MHD_Connection *conn;
	struct gen	*gen;
	const struct config *cf;
	const struct web *web;
	char		*uri;		/* raw, with the query */
	char		*path;		/* raw, without it */
	const char	*query;		/* into uri */
	const char	*method;
	int		 calls;
	struct buf	 body;
	int		 body_too_large;
	size_t		 drained;	/* bytes of it dropped */
	char		 addr[64];
	struct store	*st;		/* borrowed from the pool */
	struct user	 user;		/* valid when authed */
	int		 authed;
	enum via	 via;
	unsigned char	 session_hash[HASH_BYTES];
	struct session	 session;
	char		 xsrf[XSRF_HEX + 1];
	char		*cookies[4];	/* Set-Cookie values to send */
	int		 ncookies;
	char		 retry_after[16];
	/* the proxy (/user/NAME/...) */
	int		 proxied;
	int		 upgrade;	/* a websocket */
	int		 view_other;	/* the viewer is not the owner */
	int		 user_host;	/* 1: Host is host_owner.user_domain,
					 * -1: under user_domain, no user's */
	char		 host_owner[USERNAME_MAX + 1];
	char		 owner[USERNAME_MAX + 1];
	int		 px_failed;
	int		 body_seen;	/* some of a proxied body went out */
	int		 hold;		/* keep the answer until the body is in */
	struct MHD_Response *held;
	struct proxy	*px;
	struct timespec	 t0;
	int		 status;	/* queued, for the log */
};

struct gen	*gen_get(void);
void		 gen_put(struct gen *);
int		 gen_install(struct config *, struct web *);
int		 http_start(const struct config *, int, char *, size_t);
void		 http_stop(void);
const char	*http_header(struct request *, const char *);
int		 http_query(struct request *, const char *, char *, size_t);
int		 http_form(struct request *, const char *, char *, size_t);
int		 http_form_has(struct request *, const char *, const char *);
int		 http_set_cookie(struct request *, const char *, const char *,
		    const char *, long, const char *);
const char	*http_xsrf(struct request *);
int		 http_xsrf_ok(struct request *, const char *);
int		 http_auth_session(struct request *);
int		 http_https(struct request *);
int		 http_auth_token(struct request *);
int		 http_auth_view(struct request *);
int		 http_session_check(struct request *);
int		 http_login(struct request *, const struct user *);
void		 http_logout(struct request *);
struct MHD_Response *http_response(struct buf *, const char *);
enum MHD_Result	 http_queue(struct request *, int, struct MHD_Response *);
enum MHD_Result	 http_redirect(struct request *, int, const char *);
enum MHD_Result	 http_page(struct request *, int, const char *, const char *,
		    const struct var *);
enum MHD_Result	 http_error_page(struct request *, int, const char *);
enum MHD_Result	 http_fail(struct request *, int, const char *);
enum MHD_Result	 http_json(struct request *, int, json_t *);
enum MHD_Result	 http_json_error(struct request *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* privsep.c */
int		 privsep_listen(const struct config *, char *, size_t);
int		 privsep_spawner_start(const struct config *, char *, size_t);
int		 privsep_drop(const struct config *, char *, size_t);
int		 privsep_reader_start(void);
pid_t		 privsep_spawner_pid(void);
void		 privsep_stop(void);
int		 spawner_auth(const char *, const char *, uid_t *, char *,
		    size_t);
int		 spawner_call(void *, int, void *, int, char *, size_t);

/* server.c: students' servers as hubd sees them */
#define SERVER_EVENTS_MAX	16

struct server_event {
	unsigned	 seq;
	int		 progress;	/* 0-100 */
	int		 ready;
	int		 failed;
	char		 message[512];
};

struct sp_exited;
int		 server_open(const char *, char *, size_t);
int		 server_init(unsigned, char *, size_t);
void		 server_shutdown(void);
int		 server_start(const struct user *, char *, size_t);
int		 server_stop(const char *, const char *, char *, size_t);
int		 server_get(const char *, struct server_row *, unsigned *);
int		 server_next_event(const char *, unsigned *,
		    struct server_event *, int);
void		 server_activity(const char *, time_t);
long long	 server_memory(const struct server_row *);
void		 server_on_exited(const struct sp_exited *);

/* control.c: hubctl's way to the running hubd */
int		 control_path(const struct config *, char *, size_t);
int		 control_listen(const struct config *, char *, size_t);
int		 control_start(void);
void		 control_stop(void);

/* backend.c: a student's server over its unix socket */
int		 backend_connect(const char *, uid_t, char *, size_t);
int		 backend_probe(const char *, uid_t, const char *, char *,
		    size_t);

/* proxy.c: a request relayed to a student's server */
struct proxy;
int		 proxy_open(struct request *, const struct server_row *,
		    struct proxy **);
int		 proxy_body(struct proxy *, const char *, size_t);
int		 proxy_body_end(struct proxy *);
int		 proxy_read_head(struct proxy *, int);
int		 proxy_status(const struct proxy *);
int		 proxy_nheaders(const struct proxy *);
const char	*proxy_header(const struct proxy *, int, const char **);
long long	 proxy_length(const struct proxy *);
int		 proxy_fd(const struct proxy *);
int		 proxy_take_fd(struct proxy *);
const char	*proxy_surplus(const struct proxy *, size_t *);
ssize_t		 proxy_read(void *, uint64_t, char *, size_t);
void		 proxy_free(struct proxy *);
void		 proxy_shutdown_all(void);
void		 proxy_idle_close(void);

/* relay.c: websockets, both ways, one epoll thread */
int		 relay_init(void);
int		 relay_admit(const char *, unsigned, unsigned);
int		 relay_add(const char *, int64_t, const char *, int, const char *,
		    size_t, int, const char *, size_t,
		    struct MHD_UpgradeResponseHandle *);
void		 relay_end_session(int64_t);
void		 relay_stop(void);
unsigned	 relay_count(void);

/* origin.c: students' servers on origins of their own ([hub] user_domain) */
#define USER_DOMAIN_MAX		220	/* 253 - a label of USERNAME_MAX - '.' */
#define ORIGIN_VIEW_PATH	"/hub/view"	/* ?ticket=T, on a user's host */
#define ORIGIN_TICKET_SEC	30
#define ORIGIN_TICKETS_MAX	256
#define ORIGIN_VIEWS_MAX	512
#define ORIGIN_NEXT_MAX		1024
#define ORIGIN_URL_MAX		(16 + 63 + USER_DOMAIN_MAX + 8 + ORIGIN_NEXT_MAX)

/* Who may see whose server, for how long, on behalf of which session. */
struct origin_grant {
	int64_t		 session_id;
	unsigned char	 session_hash[HASH_BYTES];
	int64_t		 viewer_id;
	char		 owner[USERNAME_MAX + 1];
	char		 next[ORIGIN_NEXT_MAX];	/* tickets: where to go */
	time_t		 expires;
};

int		 origin_name_ok(const char *);
int		 origin_user_host(const char *, const char *, char *, size_t);
int		 origin_url(char *, size_t, int, const char *, const char *,
		    const char *, const char *);
int		 origin_ticket_new(const struct origin_grant *,
		    char[SECRET_HEX + 1]);
int		 origin_ticket_take(const char *, const char *,
		    struct origin_grant *);
int		 origin_view_new(const struct origin_grant *, time_t,
		    char[SECRET_HEX + 1]);
int		 origin_view_find(const char *, const char *,
		    struct origin_grant *);
void		 origin_end_session(int64_t);

/* pages.c */
enum MHD_Result	 route(struct request *);
enum MHD_Result	 route_user(struct request *);
enum MHD_Result	 proxy_fail(struct request *, int, const char *);
int		 request_link_url(struct request *, const char *, char *,
		    size_t);

/* api.c, api_courses.c */
enum MHD_Result	 api_route(struct request *);
enum MHD_Result	 api_courses(struct request *, const char *);

#endif /* HUBD_H */
