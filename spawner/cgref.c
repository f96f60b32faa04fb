/*
 * The cgroup of a server the spawner did not start itself: one a previous
 * spawner started and that outlived it (SP_ADOPT).  The sandbox library
 * keeps its struct cgroup to the process that created it, so after a
 * restart the spawner finds the directories again here:
 *
 *   - from /proc/PID/cgroup of the running server: every hierarchy in which
 *     the process sits in .../SB_CGROUP_PARENT/<name> (what the kernel
 *     says, wherever the previous spawner ran);
 *   - or, when the server is gone, below the absolute parent the spawner
 *     gives the library (the students' systemd scope, scope.c), and below
 *     our own cgroup as the library lays it out without one
 *     (SB_CGROUP_PARENT/<name>, also beside a "hub" leaf the library may
 *     have moved us into on cgroup v2: servers of an older spawner).
 *
 * Nothing here blocks for long: killing is one pass of SIGKILL (or
 * cgroup.kill), removal a few short rmdir retries.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawner/spawner.h"

#define CGREF_DIRS		8	/* hierarchies a cgroup may span */
#define CGREF_RMDIR_TRIES	400	/* x 5 ms: killed orphans take a while to be reaped */

struct cgref {
	char		 name[SP_CGROUP_MAX];
	size_t		 n;
	struct {
		char	 dir[PATH_MAX];
		int	 unified;	/* cgroup v2 */
		int	 memory;	/* holds the memory controller */
	} h[CGREF_DIRS];
};

/* Is ctrl one of the comma-separated names in list? */
static int
in_list(const char *list, const char *ctrl, size_t len)
{
	const char *p = list, *end;

	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == len && strncmp(p, ctrl, len) == 0)
			return 1;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* Does every controller of ctrls appear in the mount options opts? */
static int
all_in(const char *ctrls, const char *opts)
{
	const char *p = ctrls, *end;

	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (!in_list(opts, p, (size_t)(end - p)))
			return 0;
		p = *end == ',' ? end + 1 : end;
	}
	return 1;
}

/*
 * The mount point of the hierarchy of a /proc/PID/cgroup line: the
 * cgroup2 mount (ctrls "") or the cgroup mount holding ctrls, from our
 * mountinfo.  The mount's root is stripped from path: out gets the host
 * directory of path.  -1 when not mounted here.
 */
static int
hierarchy_dir(const char *ctrls, const char *path, char *out, size_t outlen)
{
	FILE	*f;
	char	 line[4096], *fld[32], *p, *save = NULL;
	const char *rest;
	int	 n, found = -1;
	size_t	 rlen;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		n = 0;
		for (p = strtok_r(line, " ", &save); p != NULL && n < 32;
		    p = strtok_r(NULL, " ", &save))
			fld[n++] = p;
		/* id parent dev root mountpoint opts [optional...] - fstype
		 * source superopts */
		if (n < 10 || strcmp(fld[n - 4], "-") != 0)
			continue;
		if (*ctrls == '\0') {
			if (strcmp(fld[n - 3], "cgroup2") != 0)
				continue;
		} else if (strcmp(fld[n - 3], "cgroup") != 0 ||
		    !all_in(ctrls, fld[n - 1]))
			continue;
		rest = path;
		rlen = strlen(fld[3]);
		if (strcmp(fld[3], "/") != 0) {
			if (strncmp(path, fld[3], rlen) != 0 ||
			    (path[rlen] != '/' && path[rlen] != '\0'))
				continue;	/* not below this mount */
			rest = path + rlen;
		}
		if ((size_t)snprintf(out, outlen, "%s%s", fld[4], rest) <
		    outlen)
			found = 0;
	}
	fclose(f);
	return found;
}

/* Add dir to r, unless it is there already (co-mounted controllers). */
static void
add_dir(struct cgref *r, const char *dir, const char *ctrls)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->h[i].dir, dir) == 0)
			return;
	if (r->n == CGREF_DIRS)
		return;
	snprintf(r->h[r->n].dir, sizeof(r->h[r->n].dir), "%s", dir);
	r->h[r->n].unified = *ctrls == '\0';
	r->h[r->n].memory = *ctrls == '\0' || all_in("memory", ctrls);
	r->n++;
}

/*
 * Split a /proc/PID/cgroup line "ID:CTRLS:PATH" in place.  0, or -1 when
 * it is not one.
 */
static int
split_line(char *line, char **ctrls, char **path)
{
	char	*p;

	line[strcspn(line, "\n")] = '\0';
	if ((p = strchr(line, ':')) == NULL)
		return -1;
	*ctrls = p + 1;
	if ((p = strchr(*ctrls, ':')) == NULL)
		return -1;
	*p = '\0';
	*path = p + 1;
	if (**path != '/')
		return -1;
	/* named v1 hierarchies (name=systemd) never hold ours */
	if (strncmp(*ctrls, "name=", 5) == 0)
		return -1;
	return 0;
}

/*
 * The cgroup name of a running process: its directories in every
 * hierarchy where it sits in SB_CGROUP_PARENT/name.  NULL with why when it
 * sits in no such cgroup, or in another one somewhere.  Caller frees.
 */
struct cgref *
cgref_of_pid(pid_t pid, const char *name, char *why, size_t whylen)
{
	struct cgref *r;
	FILE	*f;
	char	 path[64], line[PATH_MAX + 64], want[SP_CGROUP_MAX + 32];
	char	 dir[PATH_MAX], *ctrls, *cgpath, *slash;
	size_t	 len, wlen;
	int	 other = 0;

	snprintf(want, sizeof(want), "/%s/%s", SB_CGROUP_PARENT, name);
	wlen = strlen(want);
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(why, whylen, "pid %ld: %s", (long)pid,
		    strerror(errno));
		free(r);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (split_line(line, &ctrls, &cgpath) == -1)
			continue;
		len = strlen(cgpath);
		if (len >= wlen && strcmp(cgpath + len - wlen, want) == 0) {
			if (hierarchy_dir(ctrls, cgpath, dir, sizeof(dir)) == 0)
				add_dir(r, dir, ctrls);
			continue;
		}
		/* in a student cgroup, but another one */
		if ((slash = strrchr(cgpath, '/')) != NULL) {
			*slash = '\0';
			if ((slash = strrchr(cgpath, '/')) != NULL &&
			    strcmp(slash + 1, SB_CGROUP_PARENT) == 0)
				other = 1;
		}
	}
	fclose(f);
	if (r->n == 0 || other) {
		snprintf(why, whylen, "pid %ld is not in cgroup %s", (long)pid,
		    name);
		free(r);
		return NULL;
	}
	return r;
}

/*
 * The directories of cgroup name below parent (absolute, cgroup v2; NULL:
 * none) and below our own cgroup, in the hierarchies where it exists.
 * NULL when it exists nowhere.  Caller frees.
 */
struct cgref *
cgref_find(const char *parent, const char *name)
{
	struct cgref *r;
	struct stat st;
	FILE	*f;
	char	 line[PATH_MAX + 64], base[PATH_MAX], dir[PATH_MAX];
	char	*ctrls, *own, *slash;
	int	 pass;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (parent != NULL && parent[0] == '/' &&
	    (size_t)snprintf(base, sizeof(base), "%s/%s", parent, name) <
	    sizeof(base) && hierarchy_dir("", base, dir, sizeof(dir)) == 0 &&
	    lstat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		add_dir(r, dir, "");
	if ((f = fopen("/proc/self/cgroup", "re")) == NULL) {
		if (r->n > 0)
			return r;
		free(r);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (split_line(line, &ctrls, &own) == -1)
			continue;
		/* our cgroup, then its parent if we sit in a "hub" leaf */
		for (pass = 0; pass < 2; pass++) {
			snprintf(base, sizeof(base), "%s", own);
			if (pass == 1) {
				if ((slash = strrchr(base, '/')) == NULL ||
				    strcmp(slash, "/hub") != 0)
					break;
				*slash = '\0';
			}
			if (strcmp(base, "/") == 0)
				base[0] = '\0';
			if (strlen(base) + strlen(SB_CGROUP_PARENT) +
			    strlen(name) + 3 >= sizeof(base))
				continue;
			strcat(base, "/" SB_CGROUP_PARENT "/");
			strcat(base, name);
			if (hierarchy_dir(ctrls, base, dir, sizeof(dir)) == 0 &&
			    lstat(dir, &st) == 0 && S_ISDIR(st.st_mode))
				add_dir(r, dir, ctrls);
		}
	}
	fclose(f);
	if (r->n == 0) {
		free(r);
		return NULL;
	}
	return r;
}

static int
read_file(const char *dir, const char *file, char *buf, size_t len)
{
	char	 path[PATH_MAX + 32];
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * SIGKILL everything in the cgroup, once (cgroup.kill on v2).  Returns how
 * many processes were signalled, 0 when it was empty (or v2 killed all).
 */
int
cgref_kill(struct cgref *r)
{
	char	 buf[16384], path[PATH_MAX + 32], *p, *end;
	long	 pid;
	size_t	 i;
	int	 fd, n = 0;

	if (r == NULL)
		return 0;
	for (i = 0; i < r->n; i++) {
		if (r->h[i].unified) {
			snprintf(path, sizeof(path), "%s/cgroup.kill",
			    r->h[i].dir);
			if ((fd = open(path, O_WRONLY | O_CLOEXEC |
			    O_NOFOLLOW)) != -1) {
				ssize_t w = write(fd, "1", 1);

				close(fd);
				if (w == 1)
					continue;
			}
		}
		if (read_file(r->h[i].dir, "cgroup.procs", buf,
		    sizeof(buf)) == -1)
			continue;
		for (p = buf; *p != '\0'; p = end) {
			pid = strtol(p, &end, 10);
			if (end == p)
				break;
			if (pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
				n++;
		}
	}
	return n;
}

/* OOM kills over the cgroup's life (v2 memory.events, v1 oom_control). */
uint64_t
cgref_oom_kills(struct cgref *r)
{
	char	 buf[4096], *p;
	uint64_t v, max = 0;
	size_t	 i;

	for (i = 0; r != NULL && i < r->n; i++) {
		if (!r->h[i].memory || read_file(r->h[i].dir,
		    r->h[i].unified ? "memory.events" : "memory.oom_control",
		    buf, sizeof(buf)) == -1)
			continue;
		for (p = buf; p != NULL && *p != '\0';) {
			if (strncmp(p, "oom_kill ", 9) == 0) {
				v = strtoull(p + 9, NULL, 10);
				if (v > max)
					max = v;
			}
			if ((p = strchr(p, '\n')) != NULL)
				p++;
		}
	}
	return max;
}

/* Remove the (empty) directories.  0, or -1 with why. */
int
cgref_remove(struct cgref *r, char *why, size_t whylen)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	size_t	 i;
	int	 t, rc = 0, done;

	for (i = 0; r != NULL && i < r->n; i++) {
		for (done = 0, t = 0; !done && t < CGREF_RMDIR_TRIES; t++) {
			if (rmdir(r->h[i].dir) == 0 || errno == ENOENT)
				done = 1;
			else if (errno == EBUSY)
				nanosleep(&ts, NULL);
			else
				break;
		}
		if (!done) {
			snprintf(why, whylen, "cgroup %s: rmdir: %s",
			    r->h[i].dir, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

void
cgref_free(struct cgref *r)
{
	free(r);
}
