/*
 * One log API for hubd and hubctl: one line per event on stderr.  Under
 * systemd (JOURNAL_STREAM set) each line carries a <N> priority prefix that
 * the journal turns into the entry's priority.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "hubd.h"

static enum log_level	 log_max = LOG_LEVEL_INFO;
static const char	*log_prog = "hubd";
static int		 log_journal;

void
log_init(enum log_level level, const char *prog)
{
	log_max = level;
	if (prog != NULL)
		log_prog = prog;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

static void
vlog(int prio, const char *fmt, va_list ap, int with_errno)
    __attribute__((format(printf, 2, 0)));

static void
vlog(int prio, const char *fmt, va_list ap, int with_errno)
{
	char	 msg[2048];
	int	 saved = errno;
	const char *label;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	switch (prio) {
	case LOG_CRIT:
		label = "fatal: ";
		break;
	case LOG_WARNING:
		label = "warning: ";
		break;
	case LOG_DEBUG:
		label = "debug: ";
		break;
	default:
		label = "";
		break;
	}
	flockfile(stderr);
	if (log_journal)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "%s: ", log_prog);
	if (with_errno)
		fprintf(stderr, "%s%s: %s\n", label, msg, strerror(saved));
	else
		fprintf(stderr, "%s%s\n", label, msg);
	funlockfile(stderr);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_max < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_max < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
