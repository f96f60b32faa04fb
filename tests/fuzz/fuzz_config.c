/*
 * The configuration parser on arbitrary text: config_load_string() must
 * either fail with a message naming the file or return a configuration
 * whose every field is within the limits of keys[] in config.c; and
 * config_load() of the same bytes from a file must agree with it (same
 * result, same message), since hubd reads the file and the tests read
 * strings.  parse_duration(), parse_size() and parse_listen() are also
 * checked on the whole input against references.
 *
 * tls_cert and tls_key make the parser read files.  Inputs that set both and
 * could name a device, a FIFO or a /proc file (which may block or be huge)
 * are skipped, so a run cannot hang on /dev/tty.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "hubd.h"
#include "tests/fuzz/fuzz.h"

#define ERR_SIZE	512

static int	 tmp_fd = -1;
static char	 tmp_path[64];

static void
tmp_init(void)
{
	const char *dir = getenv("TMPDIR");
	char	 tmpl[4096];

	if (tmp_fd != -1)
		return;
	snprintf(tmpl, sizeof(tmpl), "%s/fuzz_config.XXXXXX",
	    dir != NULL && dir[0] == '/' ? dir : "/tmp");
	if ((tmp_fd = mkstemp(tmpl)) == -1) {
		perror("mkstemp");
		abort();
	}
	(void)unlink(tmpl);	/* reached through /proc/self/fd: no leftovers */
	snprintf(tmp_path, sizeof(tmp_path), "/proc/self/fd/%d", tmp_fd);
}

static void
tmp_write(const char *text)
{
	size_t	 n = strlen(text), off = 0;
	ssize_t	 w;

	if (ftruncate(tmp_fd, 0) == -1)
		abort();
	while (off < n) {
		if ((w = pwrite(tmp_fd, text + off, n - off, (off_t)off)) <= 0)
			abort();
		off += (size_t)w;
	}
}

static int
tls_risky(const char *text)
{
	static const char *const bad[] = {
		"/dev", "/proc", "/sys", "/run", "/tmp", "/var", "..", "//",
		"/.",
	};
	size_t	 i;

	if (strstr(text, "tls_cert") == NULL || strstr(text, "tls_key") == NULL)
		return 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(text, bad[i]) != NULL)
			return 1;
	return 0;
}

#define RANGE(f, lo, hi) \
	CHECK(cf->f >= (lo) && cf->f <= (hi), #f " = %u", cf->f)

static void
check_config(const struct config *cf, const char *name)
{
	struct sockaddr_storage ss;
	socklen_t len;

	CHECK(cf->path != NULL && strcmp(cf->path, name) == 0, "path");
	CHECK(cf->listen != NULL, "listen unset");
	CHECK(parse_listen(cf->listen, &ss, &len) == 0 &&
	    len == cf->listen_addrlen &&
	    memcmp(&ss, &cf->listen_addr, len) == 0,
	    "listen '%s' does not match its address", cf->listen);
	CHECK(cf->data_dir != NULL && cf->data_dir[0] == '/', "data_dir");
	CHECK(cf->web_dir != NULL && cf->web_dir[0] == '/', "web_dir");
	CHECK(cf->log_level == LOG_LEVEL_WARN ||
	    cf->log_level == LOG_LEVEL_INFO ||
	    cf->log_level == LOG_LEVEL_DEBUG, "log_level %d", cf->log_level);
	CHECK(cf->tls_priorities != NULL, "tls_priorities unset");
	CHECK((cf->tls_cert == NULL) == (cf->tls_key == NULL),
	    "tls_cert without tls_key");
	CHECK(cf->tls_cert == NULL || (cf->tls_cert[0] == '/' &&
	    cf->tls_key[0] == '/'), "relative TLS path");
	CHECK((cf->tls_cert == NULL) == (cf->tls_cert_pem == NULL) &&
	    (cf->tls_key == NULL) == (cf->tls_key_pem == NULL), "PEM");
	RANGE(session_lifetime, 60u, 366u * 86400);
	RANGE(session_idle, 60u, 366u * 86400);
	RANGE(max_connections, 8u, 16384u);
	RANGE(max_connections_per_ip, 1u, 16384u);
	RANGE(connection_timeout, 5u, 3600u);
	RANGE(max_header_size, 4096u, 1024u * 1024);
	RANGE(max_body_size, 4096u, 64u * 1024 * 1024);
	RANGE(login_user_failures, 1u, 1000u);
	RANGE(login_address_failures, 1u, 100000u);
	CHECK(cf->user != NULL && cf->pam_service != NULL &&
	    cf->pam_groups != NULL && cf->server_command != NULL, "unset");
	CHECK(cf->spawner != NULL && cf->spawner[0] == '/', "spawner");
	CHECK(cf->server_homes != NULL && cf->server_homes[0] == '/' &&
	    cf->server_sockets != NULL && cf->server_sockets[0] == '/',
	    "server paths");
	CHECK(cf->server_flavour != NULL &&
	    (strcmp(cf->server_flavour, "notebook") == 0 ||
	    strcmp(cf->server_flavour, "server") == 0), "flavour");
	CHECK((cf->pam_enabled == 0 || cf->pam_enabled == 1) &&
	    (cf->server_host_network == 0 || cf->server_host_network == 1),
	    "booleans");
	RANGE(pam_min_uid, 1u, 4294967294u);
	RANGE(pam_workers, 1u, 256u);
	RANGE(server_start_timeout, 5u, 3600u);
	RANGE(server_stop_grace, 1u, 600u);
	RANGE(server_idle_timeout, 0u, 366u * 86400);
	RANGE(server_max_age, 0u, 366u * 86400);
	RANGE(server_spawns, 1u, 1000u);
}

/* Two loads of the same text: same outcome, same values, same message. */
static void
same_config(const struct config *a, const struct config *b)
{
#define SAME_STR(f) CHECK((a->f == NULL && b->f == NULL) || (a->f != NULL && \
	b->f != NULL && strcmp(a->f, b->f) == 0), #f " differs")
#define SAME_NUM(f) CHECK(a->f == b->f, #f " differs: %u, %u", \
	(unsigned)a->f, (unsigned)b->f)
	SAME_STR(listen);
	SAME_STR(data_dir);
	SAME_STR(web_dir);
	SAME_STR(tls_cert);
	SAME_STR(tls_key);
	SAME_STR(tls_priorities);
	SAME_STR(user);
	SAME_STR(spawner);
	SAME_STR(pam_service);
	SAME_STR(pam_groups);
	SAME_STR(server_command);
	SAME_STR(server_flavour);
	SAME_STR(server_homes);
	SAME_STR(server_sockets);
	SAME_NUM(pam_enabled);
	SAME_NUM(pam_min_uid);
	SAME_NUM(pam_workers);
	SAME_NUM(server_cpus);
	SAME_NUM(server_pids);
	SAME_NUM(server_host_network);
	SAME_NUM(server_start_timeout);
	SAME_NUM(server_stop_grace);
	SAME_NUM(server_idle_timeout);
	SAME_NUM(server_max_age);
	SAME_NUM(server_spawns);
	CHECK(a->server_memory == b->server_memory, "server_memory differs");
	SAME_NUM(log_level);
	SAME_NUM(session_lifetime);
	SAME_NUM(session_idle);
	SAME_NUM(max_connections);
	SAME_NUM(max_connections_per_ip);
	SAME_NUM(connection_timeout);
	SAME_NUM(max_header_size);
	SAME_NUM(max_body_size);
	SAME_NUM(login_user_failures);
	SAME_NUM(login_address_failures);
#undef SAME_STR
#undef SAME_NUM
}

static void
load(const char *text)
{
	struct config *cs, *cf;
	char	*es = malloc(ERR_SIZE), *ef = malloc(ERR_SIZE), small[12];
	size_t	 nlen = strlen(tmp_path);

	if (es == NULL || ef == NULL)
		abort();
	es[0] = ef[0] = '\0';
	cs = config_load_string(tmp_path, text, es, ERR_SIZE);
	tmp_write(text);
	cf = config_load(tmp_path, ef, ERR_SIZE);
	if (cs != NULL) {
		check_config(cs, tmp_path);
	} else {
		CHECK(memchr(es, '\0', ERR_SIZE) != NULL, "unterminated");
		CHECK(strncmp(es, tmp_path, nlen) == 0 && es[nlen] == ':',
		    "message does not name the file: '%s'", es);
		CHECK(strlen(es) > nlen + 2, "empty message '%s'", es);
	}
	CHECK((cs == NULL) == (cf == NULL), "string and file loads differ: "
	    "string %s, file %s", cs != NULL ? "ok" : es,
	    cf != NULL ? "ok" : ef);
	if (cs != NULL)
		same_config(cs, cf);
	else
		CHECK(strcmp(es, ef) == 0, "messages differ: string '%s', "
		    "file '%s'", es, ef);
	config_free(cs);
	config_free(cf);
	if (cs == NULL) {
		/* A short buffer gets a truncated message, no overflow. */
		CHECK(config_load_string(tmp_path, text, small,
		    sizeof(small)) == NULL, "second load succeeded");
		CHECK(memchr(small, '\0', sizeof(small)) != NULL,
		    "unterminated short message");
	}
	free(es);
	free(ef);
}

/* References for the value parsers, on a bounded copy of the input. */
static void
values(const char *s)
{
	static const struct { const char *suf; unsigned long mul; } dur[] = {
		{ "", 1 }, { "s", 1 }, { "m", 60 }, { "min", 60 },
		{ "h", 3600 }, { "d", 86400 },
	}, siz[] = {
		{ "", 1 }, { "B", 1 }, { "k", 1024 }, { "K", 1024 },
		{ "KiB", 1024 }, { "M", 1048576 }, { "MiB", 1048576 },
		{ "G", 1073741824 }, { "GiB", 1073741824 },
	};
	size_t	 i, digits = strspn(s, "0123456789");
	unsigned long long v = 0;
	int	 overflow = 0;
	unsigned out = 12345;
	int	 want, r;
	struct sockaddr_storage ss;
	socklen_t len;

	for (i = 0; i < digits; i++) {
		v = v * 10 + (unsigned long long)(s[i] - '0');
		if (v > UINT_MAX)
			overflow = 1, v = (unsigned long long)UINT_MAX + 1;
	}
	/* parse_duration */
	want = -1;
	for (i = 0; digits > 0 && i < sizeof(dur) / sizeof(dur[0]); i++)
		if (strcmp(s + digits, dur[i].suf) == 0)
			want = !overflow && v * dur[i].mul <= UINT_MAX ?
			    (int)i : -1;
	r = parse_duration(s, &out);
	CHECK((r == 0) == (want >= 0), "parse_duration('%s') = %d", s, r);
	if (r == 0)
		CHECK(out == v * dur[want].mul, "parse_duration('%s') = %u",
		    s, out);
	/* parse_size */
	want = -1;
	for (i = 0; digits > 0 && i < sizeof(siz) / sizeof(siz[0]); i++)
		if (strcmp(s + digits, siz[i].suf) == 0)
			want = !overflow && v * siz[i].mul <= UINT_MAX ?
			    (int)i : -1;
	r = parse_size(s, &out);
	CHECK((r == 0) == (want >= 0), "parse_size('%s') = %d", s, r);
	if (r == 0)
		CHECK(out == v * siz[want].mul, "parse_size('%s') = %u", s,
		    out);
	/* parse_listen: what it accepts prints back to the same address */
	if (parse_listen(s, &ss, &len) == 0) {
		char	 host[INET6_ADDRSTRLEN], again[INET6_ADDRSTRLEN + 16];
		struct sockaddr_storage ss2;
		socklen_t len2;
		unsigned port;
		const char *colon = strrchr(s, ':');

		CHECK(colon != NULL, "no colon in '%s'", s);
		CHECK(strspn(colon + 1, "0123456789") == strlen(colon + 1),
		    "port of '%s'", s);
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			CHECK(len == sizeof(*sin), "length");
			port = ntohs(sin->sin_port);
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			snprintf(again, sizeof(again), "%s:%u", host, port);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			CHECK(ss.ss_family == AF_INET6, "family %d",
			    ss.ss_family);
			CHECK(len == sizeof(*sin6), "length");
			CHECK(s[0] == '[', "IPv6 without brackets: '%s'", s);
			port = ntohs(sin6->sin6_port);
			inet_ntop(AF_INET6, &sin6->sin6_addr, host,
			    sizeof(host));
			snprintf(again, sizeof(again), "[%s]:%u", host, port);
		}
		CHECK(port >= 1 && port == strtoul(colon + 1, NULL, 10),
		    "port %u of '%s'", port, s);
		CHECK(parse_listen(again, &ss2, &len2) == 0 && len2 == len &&
		    memcmp(&ss, &ss2, len) == 0, "'%s' -> '%s'", s, again);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;

	if (size > 64 * 1024)
		return 0;	/* a config is small; keep runs fast */
	tmp_init();
	text = fuzz_strndup(data, size);
	if (strlen(text) <= 64)
		values(text);
	if (!tls_risky(text))
		load(text);
	free(text);
	return 0;
}
