/*
 * sb-hog: resource hogs run inside a sandbox by resources.py.
 *
 *   sb-hog forkbomb MAX   fork sleeping children until fork fails or MAX;
 *                         prints "forked N errno E"
 *   sb-hog memory MAXMB   allocate and touch 32 MiB chunks; prints the total
 *                         after each; "survived" if MAXMB is reached
 *   sb-hog cpu SECONDS    spin for SECONDS of wall time; prints "cpu_ms N"
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	(32 * 1024 * 1024)

static double
clock_ms(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
forkbomb(long max)
{
	long	 n;
	pid_t	 pid;
	int	 e = 0;

	for (n = 0; n < max; n++) {
		if ((pid = fork()) == -1) {
			e = errno;
			break;
		}
		if (pid == 0) {
			alarm(30);	/* bounded even if nobody kills us */
			pause();
			_exit(0);
		}
	}
	printf("forked %ld errno %d\n", n, e);
	fflush(stdout);
	sleep(2);	/* hold the limit while the host is probed */
	/* Our exit ends the sandbox's pid namespace and every child. */
	return 0;
}

static int
memory(long maxmb)
{
	long	 total = 0;
	char	*p;

	while (total < maxmb) {
		if ((p = malloc(CHUNK)) == NULL) {
			printf("malloc failed at %ld MiB\n", total);
			return 1;
		}
		memset(p, 0x5a, CHUNK);
		total += CHUNK / (1024 * 1024);
		printf("allocated %ld MiB\n", total);
		fflush(stdout);
	}
	printf("survived\n");
	return 0;
}

static int
cpu(double seconds)
{
	double			 start = clock_ms(CLOCK_MONOTONIC);
	volatile unsigned long	 x = 0;

	while (clock_ms(CLOCK_MONOTONIC) - start < seconds * 1000)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
	printf("cpu_ms %.0f wall_ms %.0f\n", clock_ms(CLOCK_PROCESS_CPUTIME_ID),
	    clock_ms(CLOCK_MONOTONIC) - start);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "forkbomb") == 0)
		return forkbomb(atol(argv[2]));
	if (argc == 3 && strcmp(argv[1], "memory") == 0)
		return memory(atol(argv[2]));
	if (argc == 3 && strcmp(argv[1], "cpu") == 0)
		return cpu(atof(argv[2]));
	fprintf(stderr, "usage: sb-hog forkbomb MAX | memory MAXMB | "
	    "cpu SECONDS\n");
	return 2;
}
