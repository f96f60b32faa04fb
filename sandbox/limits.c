/*
 * limits.c: parse and check the limits given to a sandbox.
 *
 * Memory: a decimal number with an optional binary unit, "1G", "512M",
 * "1.5G", "256MiB", "1073741824".  CPUs: a decimal number of CPUs with at
 * most three decimals, "1", "1.5", "0.25".  Every error names the value and
 * says what would be accepted.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/sandbox.h"

/*
 * Parse "123", "1.5" into an integer scaled by 10^decimals.  Returns 0, or
 * -1 with *why set.
 */
static int
parse_fixed(const char *s, unsigned int decimals, uint64_t *out,
    const char **end, const char **why)
{
	uint64_t	 v = 0;
	unsigned int	 nfrac = 0;

	if (!isdigit((unsigned char)*s)) {
		*why = "expected a number";
		return -1;
	}
	while (isdigit((unsigned char)*s)) {
		if (v > (UINT64_MAX - 9) / 10) {
			*why = "number too large";
			return -1;
		}
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s)) {
			*why = "expected digits after '.'";
			return -1;
		}
		while (isdigit((unsigned char)*s)) {
			if (nfrac == decimals) {
				*why = "too many decimals";
				return -1;
			}
			if (v > (UINT64_MAX - 9) / 10) {
				*why = "number too large";
				return -1;
			}
			v = v * 10 + (uint64_t)(*s++ - '0');
			nfrac++;
		}
	}
	for (; nfrac < decimals; nfrac++) {
		if (v > UINT64_MAX / 10) {
			*why = "number too large";
			return -1;
		}
		v *= 10;
	}
	*end = s;
	*out = v;
	return 0;
}

int
limits_parse_memory(const char *s, uint64_t *out, char *err, size_t errlen)
{
	const char	*why, *end;
	uint64_t	 v, unit = 1;
	const unsigned int decimals = 3;

	if (s == NULL || *s == '\0') {
		sb_err(err, errlen, 0, "memory: empty value (e.g. 512M, 1G)");
		return -1;
	}
	if (parse_fixed(s, decimals, &v, &end, &why) == -1) {
		sb_err(err, errlen, 0, "memory '%s': %s (e.g. 512M, 1G, 1.5G)",
		    s, why);
		return -1;
	}
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		unit = SB_KIB;
		break;
	case 'M':
		unit = SB_MIB;
		break;
	case 'G':
		unit = SB_GIB;
		break;
	case 'T':
		unit = SB_TIB;
		break;
	default:
		sb_err(err, errlen, 0,
		    "memory '%s': unknown unit '%s' (use K, M, G or T)",
		    s, end);
		return -1;
	}
	if (*end != '\0') {
		end++;
		if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 &&
		    strcmp(end, "iB") != 0) {
			sb_err(err, errlen, 0,
			    "memory '%s': unknown unit (use K, M, G or T)", s);
			return -1;
		}
	}
	if (v > UINT64_MAX / unit) {
		sb_err(err, errlen, 0, "memory '%s': too large", s);
		return -1;
	}
	if (unit == 1 && strchr(s, '.') != NULL) {
		sb_err(err, errlen, 0, "memory '%s': bytes must be whole", s);
		return -1;
	}
	v = v * unit / 1000;	/* undo the three decimals */
	if (v < SB_MEMORY_MIN || v > SB_MEMORY_MAX) {
		sb_err(err, errlen, 0,
		    "memory '%s': out of range (%lluM to %lluG)", s,
		    (unsigned long long)(SB_MEMORY_MIN / SB_MIB),
		    (unsigned long long)(SB_MEMORY_MAX / SB_GIB));
		return -1;
	}
	/* Page-align down: the kernel would round anyway. */
	*out = v & ~(uint64_t)4095;
	return 0;
}

int
limits_parse_cpus(const char *s, unsigned int *out, char *err, size_t errlen)
{
	const char	*why, *end;
	uint64_t	 v;

	if (s == NULL || *s == '\0') {
		sb_err(err, errlen, 0, "cpus: empty value (e.g. 1, 1.5)");
		return -1;
	}
	if (parse_fixed(s, 3, &v, &end, &why) == -1) {
		sb_err(err, errlen, 0, "cpus '%s': %s (e.g. 1, 1.5, 0.25)",
		    s, why);
		return -1;
	}
	if (*end != '\0') {
		sb_err(err, errlen, 0,
		    "cpus '%s': not a number of CPUs (e.g. 1, 1.5, 0.25)", s);
		return -1;
	}
	if (v < SB_CPUS_MIN || v > SB_CPUS_MAX) {
		sb_err(err, errlen, 0, "cpus '%s': out of range (0.01 to %u)",
		    s, SB_CPUS_MAX / SB_CPU_SCALE);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static int
parse_uint(const char *what, const char *s, unsigned int min,
    unsigned int max, unsigned int *out, char *err, size_t errlen)
{
	const char	*why, *end;
	uint64_t	 v;

	if (s == NULL || *s == '\0') {
		sb_err(err, errlen, 0, "%s: empty value", what);
		return -1;
	}
	if (parse_fixed(s, 0, &v, &end, &why) == -1 || *end != '\0') {
		sb_err(err, errlen, 0, "%s '%s': expected a whole number",
		    what, s);
		return -1;
	}
	if (v < min || v > max) {
		sb_err(err, errlen, 0, "%s '%s': out of range (%u to %u)",
		    what, s, min, max);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

int
limits_parse_pids(const char *s, unsigned int *out, char *err, size_t errlen)
{
	return parse_uint("pids", s, SB_PIDS_MIN, SB_PIDS_MAX, out, err,
	    errlen);
}

int
limits_parse_weight(const char *s, unsigned int *out, char *err,
    size_t errlen)
{
	return parse_uint("cpu weight", s, SB_WEIGHT_MIN, SB_WEIGHT_MAX, out,
	    err, errlen);
}

void
limits_default(struct sb_limits *l)
{
	l->memory = SB_MEMORY_DEFAULT;
	l->pids = SB_PIDS_DEFAULT;
	l->cpus = SB_CPUS_DEFAULT;
	l->weight = SB_WEIGHT_DEFAULT;
}

/* Threads for OpenBLAS/OpenMP: the CPU quota rounded up, at least 1. */
unsigned int
limits_threads(const struct sb_limits *l)
{
	unsigned int	 n;

	n = (l->cpus + SB_CPU_SCALE - 1) / SB_CPU_SCALE;
	return n == 0 ? 1 : n;
}
