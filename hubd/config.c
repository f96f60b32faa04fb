/*
 * The configuration file: INI read by inih, every key described once in
 * keys[] below (type, default, limits, help).  Errors name the file, the line
 * and the key; the defaults print as a commented file (hubd --print-config).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <ini.h>

#include "hubd.h"
#include "sandbox/sandbox.h"

#define PEM_MAX		(1024 * 1024)

enum key_type {
	K_STRING,
	K_PATH,
	K_UINT,
	K_DURATION,
	K_SIZE,
	K_LISTEN,
	K_LOGLEVEL,
	K_BOOL,
	K_MEMORY,	/* uint64_t bytes, sandbox/limits.c syntax */
	K_CPUS,		/* unsigned millicpus */
	K_PIDS,		/* unsigned */
	K_FLAVOUR,	/* notebook or server */
};

struct key {
	const char	*section;
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	const char	*def;		/* NULL: unset */
	unsigned	 min, max;
	const char	*help;
};

#define OFF(f)	offsetof(struct config, f)

static const struct key keys[] = {
	{ "hub", "listen", K_LISTEN, OFF(listen), "127.0.0.1:8000", 0, 0,
	  "Address and port to serve on: IPv4 a.b.c.d:PORT or IPv6 [addr]:PORT;\n"
	  "0.0.0.0:PORT for every IPv4 interface." },
	{ "hub", "data_dir", K_PATH, OFF(data_dir), "/var/lib/hubd", 0, 0,
	  "Folder of the database (" DB_FILE ") and the hub's state." },
	{ "hub", "web_dir", K_PATH, OFF(web_dir), HUBD_WEB_DIR, 0, 0,
	  "Folder of the page templates and static files." },
	{ "hub", "user", K_STRING, OFF(user), "hubd", 0, 0,
	  "System user hubd runs as once it has bound its port and started\n"
	  "the spawner (when started as root)." },
	{ "hub", "spawner", K_PATH, OFF(spawner), HUBD_SPAWNER_PATH, 0, 0,
	  "The privileged helper program." },
	{ "hub", "seccomp", K_BOOL, OFF(seccomp), "yes", 0, 0,
	  "hubd filters its own system calls once it serves the network.\n"
	  "Only turn this off to run hubd under valgrind." },
	{ "hub", "log_level", K_LOGLEVEL, OFF(log_level), "info", 0, 0,
	  "warning, info or debug.  Reloaded on SIGHUP." },
	{ "hub", "tls_cert", K_PATH, OFF(tls_cert), NULL, 0, 0,
	  "PEM certificate chain; with tls_key, the hub serves HTTPS.\n"
	  "Read at start (before dropping privileges)." },
	{ "hub", "tls_key", K_PATH, OFF(tls_key), NULL, 0, 0,
	  "PEM private key of tls_cert (unencrypted)." },
	{ "hub", "tls_priorities", K_STRING, OFF(tls_priorities),
	  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", 0, 0,
	  "GnuTLS priority string (TLS 1.2 and 1.3 by default)." },
	{ "hub", "user_domain", K_STRING, OFF(user_domain), "", 0, 0,
	  "Host name under which each student's server gets an origin of its\n"
	  "own (NAME.user_domain, same port), e.g. users.hub.example.edu with a\n"
	  "DNS wildcard *.users.hub.example.edu (and a wildcard certificate\n"
	  "under TLS).  Instructors, TAs and admins then open a student's\n"
	  "notebook there, fully usable; empty: they see it sandboxed on the\n"
	  "hub's own origin (no Jupyter UI)." },
	{ "session", "lifetime", K_DURATION, OFF(session_lifetime), "14d",
	  60, 366 * 86400,
	  "A login lasts at most this long (s, m, h, d suffixes).  SIGHUP." },
	{ "session", "idle_timeout", K_DURATION, OFF(session_idle), "24h",
	  60, 366 * 86400,
	  "A login unused for this long ends.  SIGHUP." },
	{ "http", "max_connections", K_UINT, OFF(max_connections), "4096",
	  8, 65536, "Open connections at most, websockets included." },
	{ "http", "max_connections_per_ip", K_UINT,
	  OFF(max_connections_per_ip), "1024", 1, 65536,
	  "Open connections per client address: generous, since a class\n"
	  "often shares one NAT address." },
	{ "http", "connection_timeout", K_DURATION, OFF(connection_timeout),
	  "60s", 5, 3600, "An idle connection is closed after this long." },
	{ "http", "max_header_size", K_SIZE, OFF(max_header_size), "32k",
	  4096, 1024 * 1024,
	  "Request line and headers at most; larger requests get 431." },
	{ "http", "max_body_size", K_SIZE, OFF(max_body_size), "1M",
	  4096, 64 * 1024 * 1024,
	  "Request body at most for the hub's own pages and API (not the\n"
	  "notebook proxy); larger bodies get 413." },
	{ "pam", "enabled", K_BOOL, OFF(pam_enabled), "no", 0, 0,
	  "Let system accounts log in with their own password through PAM.\n"
	  "A system account that may log in gets a hub account (student) at\n"
	  "its first login." },
	{ "pam", "service", K_STRING, OFF(pam_service), "hubd", 0, 0,
	  "PAM service name: /etc/pam.d/SERVICE." },
	{ "pam", "allowed_groups", K_STRING, OFF(pam_groups), "", 0, 0,
	  "Comma-separated groups whose members may log in; empty: any\n"
	  "account at or above min_uid." },
	{ "pam", "min_uid", K_UINT, OFF(pam_min_uid), "1000", 1, 4294967294u,
	  "Accounts below this uid (system accounts, root) never log in." },
	{ "pam", "workers", K_UINT, OFF(pam_workers), "16", 1, 256,
	  "PAM conversations at once; a wrong password (2-4 s in PAM) does\n"
	  "not hold up the others." },
	{ "server", "command", K_STRING, OFF(server_command),
	  "jupyter-notebook", 0, 0,
	  "The student's notebook server, split at spaces; the hub adds the\n"
	  "socket, base_url and proxy options itself.  jupyter-notebook (the\n"
	  "classic notebook), or 'jupyter-lab' / 'jupyter-server' with\n"
	  "flavour = server." },
	{ "server", "flavour", K_FLAVOUR, OFF(server_flavour), "notebook", 0, 0,
	  "notebook (NotebookApp options) or server (jupyter_server's\n"
	  "ServerApp options, for JupyterLab)." },
	{ "server", "memory", K_MEMORY, OFF(server_memory), "1G", 0, 0,
	  "Memory of one student's server and kernels, no swap (512M, 2G)." },
	{ "server", "cpus", K_CPUS, OFF(server_cpus), "1", 0, 0,
	  "CPU quota of one student (0.5, 1, 2)." },
	{ "server", "pids", K_PIDS, OFF(server_pids), "256", 0, 0,
	  "Processes and threads of one student at most." },
	{ "server", "homes", K_PATH, OFF(server_homes), "/var/lib/hubd/homes",
	  0, 0, "Where hub accounts' homes are made (campus accounts keep\n"
	  "their own home)." },
	{ "server", "sockets", K_PATH, OFF(server_sockets), "/run/hubd/u", 0, 0,
	  "Where each server's socket folder is made." },
	{ "server", "courses", K_PATH, OFF(server_courses),
	  "/var/lib/hubd/courses", 0, 0,
	  "Course materials: CODE/materials here, writable by the course's\n"
	  "instructors and TAs, read-only for its students, at /courses/CODE\n"
	  "in their servers (and ~/courses in the notebook's file list)." },
	{ "server", "host_network", K_BOOL, OFF(server_host_network), "no", 0, 0,
	  "yes: servers share the host's network (pip, datasets); no: only\n"
	  "their own loopback." },
	{ "server", "start_timeout", K_DURATION, OFF(server_start_timeout),
	  "60s", 5, 3600, "A server that does not answer by then has failed." },
	{ "server", "stop_grace", K_DURATION, OFF(server_stop_grace), "10s",
	  1, 600, "After SIGTERM, how long before everything left is killed." },
	{ "server", "idle_timeout", K_DURATION, OFF(server_idle_timeout),
	  "60m", 0, 366 * 86400,
	  "A server without traffic for this long is stopped; 0: never." },
	{ "server", "max_age", K_DURATION, OFF(server_max_age), "0", 0,
	  366 * 86400, "A server is stopped after running this long; 0: never." },
	{ "server", "concurrent_spawns", K_UINT, OFF(server_spawns), "4", 1,
	  1000, "Servers starting at once; the rest wait in order." },
	{ "login", "user_failures", K_UINT, OFF(login_user_failures), "5",
	  1, 1000,
	  "Wrong passwords for one user name before each further attempt\n"
	  "waits (doubling from 2 s up to 5 min).  SIGHUP." },
	{ "login", "address_failures", K_UINT, OFF(login_address_failures),
	  "100", 1, 100000,
	  "Wrong passwords from one address before it waits too.  Only\n"
	  "failures count, so a class behind one NAT address can log in.\n"
	  "SIGHUP." },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

struct parse {
	struct config	*cf;
	const char	*file;
	int		 line;		/* of the line inih is handling */
	int		 long_line;
	int		 lines[NKEYS];	/* where each key was set */
	char		*err;
	size_t		 errsize;
	int		 failed;
	FILE		*fp;
	const char	*str;
	int		 skip_tls;	/* a reload: hubd cannot read the key */
};

static void
seterr(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
seterr(struct parse *p, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	if (p->failed)
		return;		/* the first error is the one to fix */
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line > 0)
		snprintf(p->err, p->errsize, "%s:%d: %s", p->file, p->line, msg);
	else
		snprintf(p->err, p->errsize, "%s: %s", p->file, msg);
}

int
parse_duration(const char *s, unsigned *out)
{
	char	*end;
	unsigned long v, mul = 1;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60;
	else if (strcmp(end, "h") == 0)
		mul = 3600;
	else if (strcmp(end, "d") == 0)
		mul = 86400;
	else
		return -1;
	if (v > UINT_MAX / mul)
		return -1;
	*out = (unsigned)(v * mul);
	return 0;
}

int
parse_size(const char *s, unsigned *out)
{
	char	*end;
	unsigned long v, mul;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0' || strcmp(end, "B") == 0)
		mul = 1;
	else if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0 ||
	    strcmp(end, "KiB") == 0)
		mul = 1024;
	else if (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)
		mul = 1024 * 1024;
	else if (strcmp(end, "G") == 0 || strcmp(end, "GiB") == 0)
		mul = 1024 * 1024 * 1024;
	else
		return -1;
	if (v > UINT_MAX / mul)
		return -1;
	*out = (unsigned)(v * mul);
	return 0;
}

int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char	 host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h;
	char	*end;
	unsigned long port;
	size_t	 hlen;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL)
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	errno = 0;
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port == 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	h = host;
	if (host[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (hlen < 3 || host[hlen - 1] != ']')
			return -1;
		host[hlen - 1] = '\0';
		h = host + 1;
		if (inet_pton(AF_INET6, h, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, h, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
	}
	return 0;
}

static int
set_key(struct parse *p, const struct key *k, const char *value)
{
	struct config *cf = p->cf;
	void	*field = (char *)cf + k->off;
	unsigned v;
	char	*copy;

	switch (k->type) {
	case K_STRING:
	case K_PATH:
	case K_FLAVOUR:
		if (k->type == K_FLAVOUR && strcmp(value, "notebook") != 0 &&
		    strcmp(value, "server") != 0) {
			seterr(p, "[%s] %s: '%s' is not notebook or server",
			    k->section, k->name, value);
			return -1;
		}
		if (k->type == K_PATH && value[0] != '/') {
			seterr(p, "[%s] %s: '%s' is not an absolute path",
			    k->section, k->name, value);
			return -1;
		}
		if ((copy = strdup(value)) == NULL) {
			seterr(p, "out of memory");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case K_LISTEN:
		if (parse_listen(value, &cf->listen_addr,
		    &cf->listen_addrlen) == -1) {
			seterr(p, "[%s] %s: '%s' is not ADDRESS:PORT (for "
			    "example 127.0.0.1:8000 or [::1]:8000)",
			    k->section, k->name, value);
			return -1;
		}
		if ((copy = strdup(value)) == NULL) {
			seterr(p, "out of memory");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case K_MEMORY:
	case K_CPUS:
	case K_PIDS: {
		char	 why[SB_ERRLEN];
		int	 r;

		if (k->type == K_MEMORY)
			r = limits_parse_memory(value, (uint64_t *)field, why,
			    sizeof(why));
		else if (k->type == K_CPUS)
			r = limits_parse_cpus(value, (unsigned *)field, why,
			    sizeof(why));
		else
			r = limits_parse_pids(value, (unsigned *)field, why,
			    sizeof(why));
		if (r == -1) {
			seterr(p, "[%s] %s: %s", k->section, k->name, why);
			return -1;
		}
		return 0;
	}

	case K_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "on") == 0 || strcmp(value, "1") == 0)
			*(int *)field = 1;
		else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
		    strcmp(value, "off") == 0 || strcmp(value, "0") == 0)
			*(int *)field = 0;
		else {
			seterr(p, "[%s] %s: '%s' is not yes or no", k->section,
			    k->name, value);
			return -1;
		}
		return 0;
	case K_LOGLEVEL:
		if (strcmp(value, "warning") == 0)
			cf->log_level = LOG_LEVEL_WARN;
		else if (strcmp(value, "info") == 0)
			cf->log_level = LOG_LEVEL_INFO;
		else if (strcmp(value, "debug") == 0)
			cf->log_level = LOG_LEVEL_DEBUG;
		else {
			seterr(p, "[%s] %s: '%s' is not one of warning, "
			    "info, debug", k->section, k->name, value);
			return -1;
		}
		return 0;
	case K_UINT:
	case K_DURATION:
	case K_SIZE: {
		int	 r;
		char	*end;
		unsigned long ul;

		if (k->type == K_DURATION)
			r = parse_duration(value, &v);
		else if (k->type == K_SIZE)
			r = parse_size(value, &v);
		else {
			errno = 0;
			ul = strtoul(value, &end, 10);
			r = (value[0] < '0' || value[0] > '9' || *end != '\0' ||
			    errno != 0 || ul > UINT_MAX) ? -1 : 0;
			v = (unsigned)ul;
		}
		if (r == -1) {
			seterr(p, "[%s] %s: '%s' is not %s", k->section,
			    k->name, value,
			    k->type == K_DURATION ? "a duration (like 90s, "
			    "15m, 8h, 14d)" : k->type == K_SIZE ? "a size "
			    "(like 4096, 16k, 1M)" : "a whole number");
			return -1;
		}
		if (v < k->min || v > k->max) {
			seterr(p, "[%s] %s: %s is out of range (%u to %u%s)",
			    k->section, k->name, value, k->min, k->max,
			    k->type == K_DURATION ? " seconds" :
			    k->type == K_SIZE ? " bytes" : "");
			return -1;
		}
		*(unsigned *)field = v;
		return 0;
	}
	}
	return -1;
}

const struct profile *
config_profile(const struct config *cf, const char *name)
{
	int	 i;

	for (i = 0; i < cf->nprofiles; i++)
		if (strcmp(cf->profiles[i].name, name) == 0)
			return &cf->profiles[i];
	return NULL;
}

/* [profile.NAME]: memory, cpus, pids; what is not given is [server]'s. */
static int
on_profile(struct parse *p, const char *section, const char *name,
    const char *value)
{
	struct config *cf = p->cf;
	const char *pname = section + 8;
	struct profile *pr;
	char	 why[SB_ERRLEN];
	size_t	 i, n = strlen(pname);
	int	 r;

	if (n == 0 || n > PROFILE_NAME_LEN) {
		seterr(p, "[%s]: a profile name has 1 to %d characters",
		    section, PROFILE_NAME_LEN);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!((pname[i] >= 'a' && pname[i] <= 'z') ||
		    (pname[i] >= '0' && pname[i] <= '9') || pname[i] == '_' ||
		    pname[i] == '-')) {
			seterr(p, "[%s]: a profile name is a-z 0-9 _ -", section);
			return 0;
		}
	if ((pr = (struct profile *)config_profile(cf, pname)) == NULL) {
		if (cf->nprofiles == PROFILES_MAX) {
			seterr(p, "[%s]: at most %d profiles", section,
			    PROFILES_MAX);
			return 0;
		}
		pr = &cf->profiles[cf->nprofiles++];
		memset(pr, 0, sizeof(*pr));
		snprintf(pr->name, sizeof(pr->name), "%s", pname);
		pr->line = p->line;
	}
	if (strcmp(name, "memory") == 0)
		r = limits_parse_memory(value, &pr->memory, why, sizeof(why));
	else if (strcmp(name, "cpus") == 0)
		r = limits_parse_cpus(value, &pr->cpus, why, sizeof(why));
	else if (strcmp(name, "pids") == 0)
		r = limits_parse_pids(value, &pr->pids, why, sizeof(why));
	else {
		seterr(p, "unknown key '%s' in section [%s] (memory, cpus, "
		    "pids)", name, section);
		return 0;
	}
	if (r == -1) {
		seterr(p, "[%s] %s: %s", section, name, why);
		return 0;
	}
	return 1;
}

static int
on_key(void *arg, const char *section, const char *name, const char *value)
{
	struct parse *p = arg;
	size_t	 i;
	int	 known_section = 0;

	if (strncmp(section, "profile.", 8) == 0)
		return on_profile(p, section, name, value);

	if (section[0] == '\0') {
		seterr(p, "'%s' is outside a section; put it under [hub] or "
		    "another section", name);
		return 0;
	}
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		known_section = 1;
		if (strcmp(keys[i].name, name) != 0)
			continue;
		if (p->lines[i] != 0) {
			seterr(p, "[%s] %s is set twice (first on line %d; an "
			    "indented line continues the key above it)",
			    section, name, p->lines[i]);
			return 0;
		}
		p->lines[i] = p->line;
		return set_key(p, &keys[i], value) == 0;
	}
	if (known_section)
		seterr(p, "unknown key '%s' in section [%s]", name, section);
	else
		seterr(p, "unknown section [%s] (key '%s')", section, name);
	return 0;
}

/* inih reads through here, so each handler call knows its line. */
static char *
read_line(char *buf, int size, void *arg)
{
	struct parse *p = arg;
	size_t	 n;
	int	 c;

	p->long_line = 0;
	if (p->fp != NULL) {
		if (fgets(buf, size, p->fp) == NULL)
			return NULL;
	} else {
		const char *nl;

		if (*p->str == '\0')
			return NULL;
		nl = strchr(p->str, '\n');
		n = nl != NULL ? (size_t)(nl - p->str + 1) : strlen(p->str);
		/* The same limit as fgets below: size - 2 characters and
		 * the line end. */
		if (n - (nl != NULL) > (size_t)size - 2) {
			memcpy(buf, p->str, (size_t)size - 1);
			buf[size - 1] = '\0';
			p->str += n;
			p->line++;
			p->long_line = 1;
			seterr(p, "line is longer than %d characters", size - 2);
			return buf;
		}
		memcpy(buf, p->str, n);
		buf[n] = '\0';
		p->str += n;
	}
	p->line++;
	n = strlen(buf);
	if (p->fp != NULL && n > 0 && buf[n - 1] != '\n' && !feof(p->fp)) {
		p->long_line = 1;
		while ((c = fgetc(p->fp)) != EOF && c != '\n')
			;
	}
	if (p->long_line)
		seterr(p, "line is longer than %d characters", size - 2);
	/* inih goes on after a broken section line, and the keys below it
	 * would then be blamed; name the real fault first. */
	n = strspn(buf, " \t");
	if (buf[n] == '[' && strchr(buf + n, ']') == NULL)
		seterr(p, "a [section] line needs its closing ]");
	return buf;
}

static char *
read_pem(struct parse *p, const char *path, size_t i)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 n;

	p->line = p->lines[i];
	if ((fp = fopen(path, "r")) == NULL) {
		seterr(p, "[hub] %s: cannot read %s: %s", keys[i].name, path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(PEM_MAX + 1)) == NULL) {
		seterr(p, "out of memory");
		goto fail;
	}
	n = fread(buf, 1, PEM_MAX + 1, fp);
	if (ferror(fp) || n > PEM_MAX) {
		seterr(p, "[hub] %s: cannot read %s: %s", keys[i].name, path,
		    ferror(fp) ? strerror(errno) : "larger than 1 MiB");
		goto fail;
	}
	buf[n] = '\0';
	if (strstr(buf, "-----BEGIN ") == NULL) {
		seterr(p, "[hub] %s: %s is not a PEM file", keys[i].name, path);
		goto fail;
	}
	fclose(fp);
	return buf;
fail:
	free(buf);
	fclose(fp);
	return NULL;
}

static size_t
key_index(const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			break;
	return i;
}

static int
check_tls(struct parse *p)
{
	struct config *cf = p->cf;
	size_t	 ci = key_index("hub", "tls_cert"), ki = key_index("hub", "tls_key");
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cd, kd;
	int	 r;

	if (cf->tls_cert == NULL && cf->tls_key == NULL)
		return 0;
	{
		gnutls_priority_t prio;
		const char *where = NULL;

		if (gnutls_priority_init(&prio, cf->tls_priorities, &where) < 0) {
			p->line = p->lines[key_index("hub", "tls_priorities")];
			seterr(p, "[hub] tls_priorities: GnuTLS refuses '%s' "
			    "at '%s'", cf->tls_priorities, where != NULL ?
			    where : "?");
			return -1;
		}
		gnutls_priority_deinit(prio);
	}
	if (cf->tls_cert == NULL || cf->tls_key == NULL) {
		p->line = p->lines[cf->tls_cert == NULL ? ki : ci];
		seterr(p, "[hub] tls_cert and tls_key go together: %s is "
		    "set, %s is not", cf->tls_cert == NULL ? "tls_key" :
		    "tls_cert", cf->tls_cert == NULL ? "tls_cert" : "tls_key");
		return -1;
	}
	if ((cf->tls_cert_pem = read_pem(p, cf->tls_cert, ci)) == NULL ||
	    (cf->tls_key_pem = read_pem(p, cf->tls_key, ki)) == NULL)
		return -1;
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		seterr(p, "out of memory");
		return -1;
	}
	cd.data = (unsigned char *)cf->tls_cert_pem;
	cd.size = (unsigned)strlen(cf->tls_cert_pem);
	kd.data = (unsigned char *)cf->tls_key_pem;
	kd.size = (unsigned)strlen(cf->tls_key_pem);
	r = gnutls_certificate_set_x509_key_mem(cred, &cd, &kd,
	    GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (r < 0) {
		p->line = p->lines[ki];
		seterr(p, "[hub] tls_cert %s and tls_key %s do not load as a "
		    "pair: %s", cf->tls_cert, cf->tls_key, gnutls_strerror(r));
		return -1;
	}
	return 0;
}

/* user_domain: empty, or a lower-case DNS name of at least two labels,
 * short enough for a user name label in front of it. */
static int
check_user_domain(struct parse *p)
{
	const char *d = p->cf->user_domain, *why = NULL;
	size_t	 i, n = strlen(d), label = 0, labels = 1;

	if (n == 0)
		return 0;
	if (n > USER_DOMAIN_MAX)
		why = "is too long (at most 220 characters, so that a user "
		    "name fits in front of it)";
	for (i = 0; why == NULL && i < n; i++) {
		unsigned char c = d[i];

		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				why = "has an empty label or one ending in '-'";
			label = 0;
			labels++;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c == '-' && label > 0)) {
			if (++label > 63)
				why = "has a label longer than 63 characters";
		} else
			why = "may only hold a-z, 0-9, '-' and '.' (a host name, "
			    "lower case, no scheme, port or path)";
	}
	if (why == NULL && (label == 0 || d[n - 1] == '-'))
		why = "has an empty label or one ending in '-'";
	if (why == NULL && labels < 2)
		why = "needs at least two labels (users.hub.example.edu)";
	if (why == NULL)
		return 0;
	p->line = p->lines[key_index("hub", "user_domain")];
	seterr(p, "[hub] user_domain: '%s' %s", d, why);
	return -1;
}

static struct config *
load(struct parse *p)
{
	size_t	 i;
	int	 r;

	if ((p->cf = calloc(1, sizeof(*p->cf))) == NULL ||
	    (p->cf->path = strdup(p->file)) == NULL) {
		seterr(p, "out of memory");
		goto fail;
	}
	for (i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL && set_key(p, &keys[i], keys[i].def) == -1)
			goto fail;	/* a bad default is a bug */
	r = ini_parse_stream(read_line, p, on_key, p);
	if (r == -2) {
		seterr(p, "out of memory");
		goto fail;
	}
	if (r > 0 && !p->failed) {
		p->line = r;
		seterr(p, "not a 'key = value' line or a [section]");
	}
	if (p->failed)
		goto fail;
	if (!p->skip_tls && check_tls(p) == -1)
		goto fail;
	if (check_user_domain(p) == -1)
		goto fail;
	for (i = 0; i < (size_t)p->cf->nprofiles; i++) {
		struct profile *pr = &p->cf->profiles[i];

		if (pr->memory == 0)
			pr->memory = p->cf->server_memory;
		if (pr->cpus == 0)
			pr->cpus = p->cf->server_cpus;
		if (pr->pids == 0)
			pr->pids = p->cf->server_pids;
	}
	return p->cf;
fail:
	config_free(p->cf);
	return NULL;
}

static struct config *
load_file(const char *path, int skip_tls, char *err, size_t errsize)
{
	struct parse p;
	struct config *cf;

	memset(&p, 0, sizeof(p));
	p.skip_tls = skip_tls;
	p.file = path;
	p.err = err;
	p.errsize = errsize;
	if ((p.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsize, "%s: cannot open: %s", path,
		    strerror(errno));
		return NULL;
	}
	cf = load(&p);
	fclose(p.fp);
	return cf;
}

struct config *
config_load(const char *path, char *err, size_t errsize)
{
	return load_file(path, 0, err, errsize);
}

/* For SIGHUP, after privileges are gone: the TLS files are left alone
 * (they apply at the next start). */
struct config *
config_reload(const char *path, char *err, size_t errsize)
{
	return load_file(path, 1, err, errsize);
}

/* The same from memory; name is used in messages. */
struct config *
config_load_string(const char *name, const char *text, char *err,
    size_t errsize)
{
	struct parse p;

	memset(&p, 0, sizeof(p));
	p.file = name;
	p.str = text;
	p.err = err;
	p.errsize = errsize;
	return load(&p);
}

void
config_free(struct config *cf)
{
	size_t	 i;

	if (cf == NULL)
		return;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STRING || keys[i].type == K_PATH ||
		    keys[i].type == K_LISTEN || keys[i].type == K_FLAVOUR)
			free(*(char **)((char *)cf + keys[i].off));
	if (cf->tls_key_pem != NULL)
		explicit_bzero(cf->tls_key_pem, strlen(cf->tls_key_pem));
	free(cf->tls_key_pem);
	free(cf->tls_cert_pem);
	free(cf->path);
	free(cf);
}

/* Every key with its help and default, as a commented config file. */
void
config_print_defaults(FILE *fp)
{
	const char *section = "";
	size_t	 i;

	fprintf(fp, "# hubd configuration.  Every key with its default; "
	    "uncomment to change.\n"
	    "# Format: INI.  '#' or ';' starts a comment line; keys are not "
	    "indented.\n");
	for (i = 0; i < NKEYS; i++) {
		const char *h = keys[i].help, *nl;

		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			fprintf(fp, "\n[%s]\n", section);
		}
		fprintf(fp, "\n");
		for (; h != NULL && *h != '\0'; h = nl + 1) {
			if ((nl = strchr(h, '\n')) == NULL)
				nl = h + strlen(h) - 1;
			fprintf(fp, "# %.*s\n", (int)(nl - h + (*nl != '\n')), h);
		}
		if (keys[i].def != NULL)
			fprintf(fp, "#%s = %s\n", keys[i].name, keys[i].def);
		else
			fprintf(fp, "#%s =\n", keys[i].name);
	}
}
