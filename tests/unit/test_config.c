/* The configuration file: a table of good and bad files with the message
 * each must give (file, line and key). */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "hubd.h"
#include "tests/tap.h"

static const struct {
	const char *text;
	const char *error;	/* NULL: loads */
} cases[] = {
	{ "", NULL },
	{ "[hub]\nlisten = 0.0.0.0:443\ndata_dir = /srv/hub\n", NULL },
	{ "[hub]\nlisten = [::1]:8000\n", NULL },
	{ "# comment\n; another\n[hub]\nlog_level = debug ; inline\n", NULL },
	{ "\xef\xbb\xbf[hub]\r\nlisten = 127.0.0.1:9000\r\n", NULL },
	{ "[session]\nlifetime = 8h\nidle_timeout = 30m\n", NULL },
	{ "[http]\nmax_header_size = 16k\nmax_body_size = 2M\n", NULL },
	{ "[hub]\nlisten = localhost:8000\n",
	  "t.conf:2: [hub] listen: 'localhost:8000' is not ADDRESS:PORT" },
	{ "[hub]\nlisten = 127.0.0.1:0\n", "t.conf:2: [hub] listen:" },
	{ "[hub]\nlisten = 127.0.0.1:70000\n", "t.conf:2: [hub] listen:" },
	{ "[hub]\nlisten = 127.0.0.1\n", "t.conf:2: [hub] listen:" },
	{ "[hub]\nlisten = [::1:80\n", "t.conf:2: [hub] listen:" },
	{ "[hub]\n\nlisen = 127.0.0.1:8000\n",
	  "t.conf:3: unknown key 'lisen' in section [hub]" },
	{ "[hubb]\nlisten = 127.0.0.1:8000\n",
	  "t.conf:2: unknown section [hubb] (key 'listen')" },
	{ "listen = 127.0.0.1:8000\n", "t.conf:1: 'listen' is outside a section" },
	{ "[hub]\ndata_dir = relative/path\n",
	  "t.conf:2: [hub] data_dir: 'relative/path' is not an absolute path" },
	{ "[hub]\nlog_level = loud\n",
	  "t.conf:2: [hub] log_level: 'loud' is not one of warning, info, debug" },
	{ "[session]\nlifetime = 2 weeks\n",
	  "t.conf:2: [session] lifetime: '2 weeks' is not a duration" },
	{ "[session]\nlifetime = 10s\n",
	  "t.conf:2: [session] lifetime: 10s is out of range (60 to" },
	{ "[http]\nmax_connections = many\n",
	  "t.conf:2: [http] max_connections: 'many' is not a whole number" },
	{ "[http]\nmax_connections = -5\n",
	  "t.conf:2: [http] max_connections: '-5' is not a whole number" },
	{ "[http]\nmax_connections = 99999999999999999999\n",
	  "t.conf:2: [http] max_connections:" },
	{ "[http]\nmax_body_size = 1T\n",
	  "t.conf:2: [http] max_body_size: '1T' is not a size" },
	{ "[hub]\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n",
	  "t.conf:3: [hub] listen is set twice (first on line 2" },
	{ "[hub]\ndata_dir = /a\n  listen = 1\n", "t.conf:3: [hub] data_dir is set twice" },
	{ "[hub\nlisten = 127.0.0.1:1\n", "t.conf:1: a [section] line needs its closing ]" },
	{ "[hub]\njust words\n", "t.conf:2: not a 'key = value' line" },
	{ "[hub]\ntls_cert = /nonexistent/cert.pem\ntls_key = /nonexistent/k\n",
	  "t.conf:2: [hub] tls_cert: cannot read /nonexistent/cert.pem: No such file" },
	{ "[hub]\ntls_cert = /etc/hostname\n",
	  "t.conf:2: [hub] tls_cert and tls_key go together: tls_cert is set, "
	  "tls_key is not" },
	{ "[hub]\ntls_cert = /etc/hostname\ntls_key = /etc/hostname\n",
	  "t.conf:2: [hub] tls_cert: /etc/hostname is not a PEM file" },
	{ "[hub]\ndata_dir = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "t.conf:2: line is longer than 198 characters" },
	{ "[hub]\nweb_dir = /x\n[login]\nuser_failures = 0\n",
	  "t.conf:4: [login] user_failures: 0 is out of range (1 to 1000)" },
};

static void
table(void)
{
	char	 err[512];
	size_t	 i;
	struct config *cf;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cf = config_load_string("t.conf", cases[i].text, err, sizeof(err));
		if (cases[i].error == NULL) {
			if (!ok(cf != NULL, "case %zu loads", i))
				printf("#   error: %s\n", err);
		} else {
			ok(cf == NULL, "case %zu is refused", i);
			like(err, cases[i].error, "case %zu message", i);
		}
		config_free(cf);
	}
}

static void
values(void)
{
	char	 err[512];
	struct config *cf;

	cf = config_load_string("t.conf", "[hub]\nlisten = [::1]:8443\n"
	    "[session]\nlifetime = 2d\n[http]\nmax_header_size = 16k\n", err,
	    sizeof(err));
	if (!ok(cf != NULL, "values load"))
		return;
	is_int(cf->listen_addr.ss_family, AF_INET6, "IPv6 listen address");
	is_int(cf->session_lifetime, 2 * 86400, "2d is two days");
	is_int(cf->session_idle, 86400, "idle timeout default");
	is_int(cf->max_header_size, 16 * 1024, "16k");
	is_str(cf->data_dir, "/var/lib/hubd", "data_dir default");
	is_int(cf->max_connections_per_ip, 1024, "per-address default");
	config_free(cf);
}

/* The printed defaults, uncommented, load and give the defaults. */
static void
defaults_round_trip(void)
{
	char	*text = NULL, *out, *line, *save, err[512];
	size_t	 len = 0;
	FILE	*fp = open_memstream(&text, &len);
	struct config *cf;

	config_print_defaults(fp);
	fclose(fp);
	out = calloc(1, len + 1);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		/* "#key = value" lines become keys; help stays comment */
		if (line[0] == '#' && line[1] != ' ' && strchr(line, '=') != NULL &&
		    line[strlen(line) - 1] != '=')
			line++;
		strcat(out, line);
		strcat(out, "\n");
	}
	cf = config_load_string("defaults.conf", out, err, sizeof(err));
	if (!ok(cf != NULL, "printed defaults load when uncommented"))
		printf("#   %s\n", err);
	else
		is_int(cf->session_idle, 86400, "and keep their values");
	config_free(cf);
	free(out);
	free(text);
}

static void
units(void)
{
	unsigned v;

	ok(parse_duration("90", &v) == 0 && v == 90, "90 is seconds");
	ok(parse_duration("15m", &v) == 0 && v == 900, "15m");
	ok(parse_duration("8h", &v) == 0 && v == 28800, "8h");
	ok(parse_duration("m", &v) == -1, "m alone refused");
	ok(parse_duration("5x", &v) == -1, "5x refused");
	ok(parse_duration("99999999999d", &v) == -1, "overflow refused");
	ok(parse_size("1M", &v) == 0 && v == 1048576, "1M");
	ok(parse_size("4KiB", &v) == 0 && v == 4096, "4KiB");
	ok(parse_size("5G", &v) == -1, "5G overflows unsigned");
	ok(parse_size(" 1", &v) == -1, "leading space refused");
}

int
main(void)
{
	table();
	values();
	defaults_round_trip();
	units();
	return done();
}
