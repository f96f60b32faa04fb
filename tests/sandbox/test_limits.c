/*
 * test_limits: table-driven tests of the limit parsers (TAP).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/sandbox.h"

struct mem_case {
	const char	*in;
	int		 ok;
	uint64_t	 want;
	const char	*msg;	/* substring of the error */
};

struct num_case {
	const char	*in;
	int		 ok;
	unsigned int	 want;
	const char	*msg;
};

static const struct mem_case mem_cases[] = {
	{ "1G", 1, SB_GIB, NULL },
	{ "512M", 1, 512 * SB_MIB, NULL },
	{ "512m", 1, 512 * SB_MIB, NULL },
	{ "1.5G", 1, 1536 * SB_MIB, NULL },
	{ "256MiB", 1, 256 * SB_MIB, NULL },
	{ "64MB", 1, 64 * SB_MIB, NULL },
	{ "2T", 0, 0, "out of range" },
	{ "1T", 1, SB_TIB, NULL },
	{ "1048576K", 1, SB_GIB, NULL },
	{ "1073741824", 1, SB_GIB, NULL },
	{ "16777216", 1, 16 * SB_MIB, NULL },
	{ "1", 0, 0, "out of range" },
	{ "15M", 0, 0, "out of range" },
	{ "", 0, 0, "empty" },
	{ "G", 0, 0, "expected a number" },
	{ "-1G", 0, 0, "expected a number" },
	{ "1X", 0, 0, "unknown unit" },
	{ "1Gb", 0, 0, "unknown unit" },
	{ "1GiBx", 0, 0, "unknown unit" },
	{ "1.G", 0, 0, "digits after" },
	{ "1.0001G", 0, 0, "too many decimals" },
	{ "1.5", 0, 0, "whole" },
	{ "99999999999999999999G", 0, 0, "too large" },
	{ "18446744073709551615", 0, 0, "too large" },
	{ " 1G", 0, 0, "expected a number" },
};

static const struct num_case cpu_cases[] = {
	{ "1", 1, 1000, NULL },
	{ "1.5", 1, 1500, NULL },
	{ "0.25", 1, 250, NULL },
	{ "0.01", 1, 10, NULL },
	{ "2.000", 1, 2000, NULL },
	{ "1024", 1, 1024000, NULL },
	{ "0", 0, 0, "out of range" },
	{ "0.001", 0, 0, "out of range" },
	{ "1025", 0, 0, "out of range" },
	{ "1.2345", 0, 0, "too many decimals" },
	{ "", 0, 0, "empty" },
	{ "one", 0, 0, "expected a number" },
	{ "1.5G", 0, 0, "not a number of CPUs" },
	{ "150%", 0, 0, "not a number of CPUs" },
	{ "-1", 0, 0, "expected a number" },
};

static const struct num_case pids_cases[] = {
	{ "256", 1, 256, NULL },
	{ "8", 1, 8, NULL },
	{ "65536", 1, 65536, NULL },
	{ "7", 0, 0, "out of range" },
	{ "65537", 0, 0, "out of range" },
	{ "1.5", 0, 0, "whole number" },
	{ "12k", 0, 0, "whole number" },
	{ "", 0, 0, "empty" },
};

static int	 testno;
static int	 failed;

static void
report(int pass, const char *what, const char *in, const char *detail)
{
	testno++;
	if (!pass)
		failed++;
	printf("%sok %d - %s '%s'%s%s\n", pass ? "" : "not ", testno, what, in,
	    detail[0] != '\0' ? ": " : "", detail);
}

int
main(void)
{
	char		 err[SB_ERRLEN], detail[SB_ERRLEN + 64];
	uint64_t	 m;
	unsigned int	 u;
	size_t		 i;
	int		 rc, pass;
	struct sb_limits l;

	printf("1..%zu\n", sizeof(mem_cases) / sizeof(mem_cases[0]) +
	    sizeof(cpu_cases) / sizeof(cpu_cases[0]) +
	    sizeof(pids_cases) / sizeof(pids_cases[0]) + 6);
	for (i = 0; i < sizeof(mem_cases) / sizeof(mem_cases[0]); i++) {
		const struct mem_case *c = &mem_cases[i];

		err[0] = '\0';
		m = 0;
		rc = limits_parse_memory(c->in, &m, err, sizeof(err));
		if (c->ok)
			pass = rc == 0 && m == c->want;
		else
			pass = rc == -1 && strstr(err, c->msg) != NULL &&
			    strstr(err, "memory") != NULL;
		snprintf(detail, sizeof(detail), "%s%s%" PRIu64,
		    rc == 0 ? "" : err, rc == 0 ? "= " : "", rc == 0 ? m : 0);
		report(pass, "memory", c->in, rc == 0 ? detail : err);
	}
	for (i = 0; i < sizeof(cpu_cases) / sizeof(cpu_cases[0]); i++) {
		const struct num_case *c = &cpu_cases[i];

		err[0] = '\0';
		u = 0;
		rc = limits_parse_cpus(c->in, &u, err, sizeof(err));
		pass = c->ok ? rc == 0 && u == c->want :
		    rc == -1 && strstr(err, c->msg) != NULL;
		report(pass, "cpus", c->in, err);
	}
	for (i = 0; i < sizeof(pids_cases) / sizeof(pids_cases[0]); i++) {
		const struct num_case *c = &pids_cases[i];

		err[0] = '\0';
		u = 0;
		rc = limits_parse_pids(c->in, &u, err, sizeof(err));
		pass = c->ok ? rc == 0 && u == c->want :
		    rc == -1 && strstr(err, c->msg) != NULL;
		report(pass, "pids", c->in, err);
	}
	rc = limits_parse_weight("100", &u, err, sizeof(err));
	report(rc == 0 && u == 100, "weight", "100", "");
	rc = limits_parse_weight("0", &u, err, sizeof(err));
	report(rc == -1 && strstr(err, "out of range") != NULL, "weight", "0",
	    err);
	rc = limits_parse_weight("10001", &u, err, sizeof(err));
	report(rc == -1, "weight", "10001", err);

	limits_default(&l);
	l.cpus = 1500;
	report(limits_threads(&l) == 2, "threads for cpus", "1.5", "");
	l.cpus = 250;
	report(limits_threads(&l) == 1, "threads for cpus", "0.25", "");
	l.cpus = 2000;
	report(limits_threads(&l) == 2, "threads for cpus", "2", "");
	return failed ? 1 : 0;
}
