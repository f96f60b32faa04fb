/*
 * Who a student's server runs as and where its files are, worked out by
 * the spawner from its own configuration and a user name (never from
 * paths or ids hubd sends):
 *
 *   - hub accounts (AUTH_NATIVE): a uid from SB_UID_MIN..SB_UID_MAX, kept
 *     for good in <data_dir>/SPAWNER_UID_FILE ("name uid" lines, root
 *     0600, appended and synced, never reused), gid = uid, home
 *     <server_homes>/<uid> (identity_make_home);
 *   - system accounts (AUTH_PAM): their passwd entry, under the same rules
 *     as a PAM login (pam_allowed), home their pw_dir;
 *   - the socket folder <server_sockets>/<user>/, <uid>:<hub group>, 2750,
 *     in a root-owned parent;
 *   - the server's log <data_dir>/SPAWNER_LOG_DIR/<user>.log, root 0600:
 *     the server writes to it through the descriptors it inherits and can
 *     neither open nor replace it.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawner/spawner.h"
#include "sandbox/sandbox.h"

/* mkdir -p for root's own folders: each missing component 0755 root. */
static int
mkdir_parents(const char *path, char *err, size_t errlen)
{
	char	 buf[PATH_MAX], *p;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf) ||
	    buf[0] != '/') {
		snprintf(err, errlen, "%s: not an absolute path", path);
		return -1;
	}
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
				snprintf(err, errlen, "mkdir %s: %s", buf,
				    strerror(errno));
				return -1;
			}
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	return 0;
}

/*
 * Open a folder that only root may change: a directory owned by root,
 * writable by nobody else.  Created (0700, or 0755 for its missing
 * parents) when missing.  Returns an O_DIRECTORY descriptor.
 */
static int
root_dir(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct stat st;
	char	 parent[PATH_MAX], *slash;
	int	 fd;

	if ((size_t)snprintf(parent, sizeof(parent), "%s", path) >=
	    sizeof(parent)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir_parents(parent, err, errlen) == -1)
			return -1;
	}
	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || st.st_uid != 0 ||
	    (st.st_mode & 022) != 0) {
		snprintf(err, errlen, "%s must be a folder of root's that only "
		    "root can write to", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* One "name uid" line; 0, or -1 when it is not one. */
static int
parse_line(char *line, char **name, uid_t *uid)
{
	char	*sp, *end;
	unsigned long v;

	if ((sp = strchr(line, ' ')) == NULL)
		return -1;
	*sp = '\0';
	*name = line;
	errno = 0;
	v = strtoul(sp + 1, &end, 10);
	/* A hub account, or a course's own uid ("+CODE") for its
	 * materials. */
	if (errno != 0 || *end != '\0' || end == sp + 1 || v < SB_UID_MIN ||
	    v > SB_UID_MAX || !(username_valid(line) ||
	    (line[0] == '+' && course_code_valid(line + 1))))
		return -1;
	*uid = (uid_t)v;
	return 0;
}

/*
 * The uid of hub account name from the map; with allocate, a new one is
 * picked (never one the map has held) and appended when it has none.
 * 1 found or allocated, 0 not in the map (without allocate), -1 error.
 */
static int
uidmap_get(const struct config *cf, const char *name, int allocate,
    uid_t *uid, char *err, size_t errlen)
{
	struct stat st;
	char	 path[PATH_MAX], line[128], *buf = NULL, *p, *nl, *n;
	uid_t	*used = NULL, u;
	size_t	 nused = 0, lineno = 0;
	ssize_t	 r;
	int	 dfd = -1, fd = -1, rc = -1, found = 0, len;

	if ((dfd = root_dir(cf->data_dir, 0700, err, errlen)) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", cf->data_dir, SPAWNER_UID_FILE);
	if ((fd = openat(dfd, SPAWNER_UID_FILE, O_RDWR | O_CREAT | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    st.st_size > SPAWNER_UID_FILE_MAX) {
		snprintf(err, errlen, "%s: not root's regular file of at most "
		    "%d bytes", path, SPAWNER_UID_FILE_MAX);
		goto done;
	}
	if ((st.st_mode & 077) != 0)
		(void)fchmod(fd, 0600);
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    (used = calloc((size_t)st.st_size / 4 + 1, sizeof(*used))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	r = pread(fd, buf, (size_t)st.st_size, 0);
	if (r != st.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		goto done;
	}
	buf[r] = '\0';
	for (p = buf; *p != '\0'; p = nl + 1) {
		lineno++;
		if ((nl = strchr(p, '\n')) == NULL) {
			/* a torn last line: the append that wrote it did not
			 * finish; its uid may have been handed out */
			snprintf(err, errlen, "%s:%zu: unfinished line; repair "
			    "the file by hand", path, lineno);
			goto done;
		}
		*nl = '\0';
		if (parse_line(p, &n, &u) == -1) {
			snprintf(err, errlen, "%s:%zu: not a 'name uid' line",
			    path, lineno);
			goto done;
		}
		used[nused++] = u;
		if (strcmp(n, name) == 0) {
			*uid = u;
			found = 1;
		}
	}
	if (found) {
		rc = 1;
		goto done;
	}
	if (!allocate) {
		rc = 0;
		goto done;
	}
	if (identity_pick_uid(used, nused, &u, err, errlen) == -1)
		goto done;
	len = snprintf(line, sizeof(line), "%s %lu\n", name, (unsigned long)u);
	if (len <= 0 || (size_t)len >= sizeof(line) ||
	    write(fd, line, (size_t)len) != len || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: cannot record uid %lu for %s: %s",
		    path, (unsigned long)u, name, strerror(errno));
		goto done;
	}
	log_info("%s: hub account gets uid %lu", name, (unsigned long)u);
	*uid = u;
	rc = 1;
done:
	free(buf);
	free(used);
	if (fd != -1)
		close(fd);
	close(dfd);
	return rc;
}

/* Who name runs as, without making anything.  0, or -1 with why. */
static int
identify(const struct config *cf, const char *name, enum auth_kind auth,
    int allocate, struct student *s, char *err, size_t errlen)
{
	struct passwd *pw;
	char	 why[SP_AUTH_MESSAGE_MAX];
	uid_t	 uid;
	int	 r;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->auth = auth;
	if (auth == AUTH_PAM) {
		if (!cf->pam_enabled) {
			snprintf(err, errlen, "PAM accounts are not enabled "
			    "([pam] enabled)");
			return -1;
		}
		if (!pam_allowed(cf, name, &uid, why, sizeof(why))) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		if ((pw = getpwnam(name)) == NULL || pw->pw_uid != uid) {
			snprintf(err, errlen, "no system account %s", name);
			return -1;
		}
		if (pw->pw_gid == 0 || pw->pw_dir == NULL ||
		    pw->pw_dir[0] != '/' || strlen(pw->pw_dir) >=
		    sizeof(s->home)) {
			snprintf(err, errlen, "system account %s has no usable "
			    "home or group", name);
			return -1;
		}
		s->uid = uid;
		s->gid = pw->pw_gid;
		snprintf(s->home, sizeof(s->home), "%s", pw->pw_dir);
		return 0;
	}
	if ((r = uidmap_get(cf, name, allocate, &uid, err, errlen)) != 1) {
		if (r == 0)
			snprintf(err, errlen, "%s has never had a server here "
			    "(no uid in %s)", name, SPAWNER_UID_FILE);
		return -1;
	}
	if (identity_check_uid(uid, err, errlen) == -1)
		return -1;
	s->uid = uid;
	s->gid = (gid_t)uid;
	if ((size_t)snprintf(s->home, sizeof(s->home), "%s/%lu",
	    cf->server_homes, (unsigned long)uid) >= sizeof(s->home)) {
		snprintf(err, errlen, "home path too long");
		return -1;
	}
	return 0;
}

static int
paths(const struct config *cf, struct student *s, char *err, size_t errlen)
{
	if ((size_t)snprintf(s->sockdir, sizeof(s->sockdir), "%s/%s",
	    cf->server_sockets, s->name) >= sizeof(s->sockdir) ||
	    (size_t)snprintf(s->socket, sizeof(s->socket), "%s/%s",
	    s->sockdir, SPAWNER_SOCKET) >= sizeof(s->socket) ||
	    (size_t)snprintf(s->log, sizeof(s->log), "%s/%s/%s.log",
	    cf->data_dir, SPAWNER_LOG_DIR, s->name) >= sizeof(s->log)) {
		snprintf(err, errlen, "socket or log path too long");
		return -1;
	}
	return 0;
}

/*
 * Who name is (uid, gid, home) and where its server's files are, without
 * making anything or allocating a uid: for SP_ADOPT.  0, or -1 with why.
 */
int
student_lookup(const struct config *cf, const char *name,
    enum auth_kind auth, struct student *s, char *err, size_t errlen)
{
	if (identify(cf, name, auth, 0, s, err, errlen) == -1)
		return -1;
	return paths(cf, s, err, errlen);
}

/* A PAM account's home, made 0700 when it does not exist yet. */
static int
pam_home(const struct student *s, char *err, size_t errlen)
{
	int	 fd;

	if (mkdir(s->home, 0700) == -1) {
		if (errno == EEXIST)
			return 0;	/* the system's: the sandbox checks it */
		snprintf(err, errlen, "home %s: %s", s->home, strerror(errno));
		return -1;
	}
	if ((fd = open(s->home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fchown(fd, s->uid, s->gid) == -1 ||
	    fchmod(fd, 0700) == -1) {
		snprintf(err, errlen, "home %s: %s", s->home, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	log_info("%s: made home %s", s->name, s->home);
	return 0;
}

/*
 * The socket folder: <uid>:<hub group>, 2750, in a root-owned parent, with
 * no stale socket in it.
 */
static int
sockdir(const struct config *cf, const struct student *s, gid_t hubgid,
    char *err, size_t errlen)
{
	struct stat st;
	int	 pfd, fd = -1, rc = -1;

	if ((pfd = root_dir(cf->server_sockets, 0755, err, errlen)) == -1)
		return -1;
	if (mkdirat(pfd, s->name, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", s->sockdir,
		    strerror(errno));
		goto done;
	}
	if ((fd = openat(pfd, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", s->sockdir, strerror(errno));
		goto done;
	}
	/* chown first: it would clear the setgid bit of a file */
	if (fchown(fd, s->uid, hubgid) == -1 || fchmod(fd, 02750) == -1) {
		snprintf(err, errlen, "%s: %s", s->sockdir, strerror(errno));
		goto done;
	}
	if (unlinkat(fd, SPAWNER_SOCKET, 0) == -1 && errno != ENOENT)
		(void)unlinkat(fd, SPAWNER_SOCKET, AT_REMOVEDIR);
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	close(pfd);
	return rc;
}

/*
 * Everything a start needs: the uid (allocated for a new hub account),
 * the home, the socket folder.  0, or -1 with a reason for the student.
 */
int
student_prepare(const struct config *cf, const char *name,
    enum auth_kind auth, struct student *s, char *err, size_t errlen)
{
	struct passwd *pw;
	char	 homes[PATH_MAX];
	gid_t	 hubgid;
	int	 fd;

	if ((pw = getpwnam(cf->user)) == NULL) {
		snprintf(err, errlen, "the hub's user %s does not exist",
		    cf->user);
		return -1;
	}
	hubgid = pw->pw_gid;
	if (identify(cf, name, auth, 1, s, err, errlen) == -1 ||
	    paths(cf, s, err, errlen) == -1)
		return -1;
	if (auth == AUTH_PAM) {
		if (pam_home(s, err, errlen) == -1)
			return -1;
	} else {
		if ((fd = root_dir(cf->server_homes, 0755, err, errlen)) == -1)
			return -1;
		close(fd);
		if (identity_make_home(cf->server_homes, s->uid, s->gid, homes,
		    sizeof(homes), err, errlen) == -1)
			return -1;
	}
	return sockdir(cf, s, hubgid, err, errlen);
}

/* Remove the student's socket, if any (the server is gone). */
void
student_socket_remove(const struct config *cf, const char *name)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", cf->server_sockets, name);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	(void)unlinkat(fd, SPAWNER_SOCKET, 0);
	close(fd);
}

/*
 * The server's log, emptied: its stdout and stderr.  Root's file in a
 * folder of root's; the server only inherits the descriptor.
 */
int
student_log_open(const struct config *cf, const struct student *s, char *err,
    size_t errlen)
{
	struct stat st;
	char	 dir[PATH_MAX], file[USERNAME_MAX + 8];
	int	 dfd, fd;

	snprintf(dir, sizeof(dir), "%s/%s", cf->data_dir, SPAWNER_LOG_DIR);
	if ((dfd = root_dir(dir, 0700, err, errlen)) == -1)
		return -1;
	snprintf(file, sizeof(file), "%s.log", s->name);
	fd = openat(dfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dfd);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != 0) {
		snprintf(err, errlen, "log %s: %s", s->log, fd == -1 ?
		    strerror(errno) : "not root's regular file");
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if none. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t	 len, i;
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

/*
 * Copy text into out as clean, valid UTF-8 (other control characters than
 * newline and tab become '?', so do invalid bytes), and hide anything that
 * looks like a token (SECRET_HEX hex digits in a row).
 */
static void
clean_copy(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	size_t	 i = 0, o = 0, len, run;

	while (i < n && o + 5 < outlen) {
		for (run = 0; i + run < n && run < SECRET_HEX &&
		    strchr("0123456789abcdefABCDEF", in[i + run]) != NULL &&
		    in[i + run] != '\0'; run++)
			;
		if (run == SECRET_HEX) {
			if (o + 9 >= outlen)
				break;
			memcpy(out + o, "[secret]", 8);
			o += 8;
			i += run;
			while (i < n && in[i] != '\0' &&
			    strchr("0123456789abcdefABCDEF", in[i]) != NULL)
				i++;
			continue;
		}
		len = utf8_len(in + i, n - i);
		if (len == 0 || (len == 1 && in[i] < 0x20 && in[i] != '\n' &&
		    in[i] != '\t') || in[i] == 0x7f) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, in + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
}

/*
 * The last lines (at most maxlines) of a server's log, cleaned, into out.
 * Empty when there is no log.
 */
void
student_log_tail(const char *path, unsigned maxlines, char *out,
    size_t outlen)
{
	unsigned char buf[SP_TEXT_MAX];
	struct stat st;
	size_t	 want = outlen < sizeof(buf) ? outlen : sizeof(buf);
	ssize_t	 n;
	off_t	 off;
	unsigned lines = 0;
	int	 fd;
	size_t	 start, end;

	out[0] = '\0';
	if (want < 16)
		return;
	want -= 16;		/* room for cleaning ("[secret]") */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	off = st.st_size > (off_t)want ? st.st_size - (off_t)want : 0;
	n = pread(fd, buf, want, off);
	close(fd);
	if (n <= 0)
		return;
	end = (size_t)n;
	while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r' ||
	    buf[end - 1] == ' '))
		end--;
	for (start = end; start > 0; start--)
		if (buf[start - 1] == '\n' && ++lines == maxlines)
			break;
	/* read from the middle of the file: drop the partial first line */
	if (start == 0 && off > 0) {
		while (start < end && buf[start] != '\n')
			start++;
		if (start < end)
			start++;
	}
	clean_copy(buf + start, end - start, out, outlen);
}

/*
 * Course materials for s's server: each course's folder
 * <courses>/CODE/materials (the course's own uid and group, 2775), bound
 * at /courses/CODE, writable for its teachers (who get the course's group)
 * and read-only for its students; and ~/courses pointing there, so that
 * the notebook's file list shows them.
 */
int
student_courses(const struct config *cf, struct student *s,
    const struct sp_start *rq, struct sandbox_config *sc, char *err,
    size_t errlen)
{
	char	 key[SP_PROFILE_MAX + 2], dir[PATH_MAX];
	struct stat st;
	uid_t	 cuid;
	uint32_t i;
	int	 fd, hfd;

	if (rq->ncourses == 0)
		return 0;
	if ((fd = root_dir(cf->server_courses, 0755, err, errlen)) == -1)
		return -1;
	close(fd);
	for (i = 0; i < rq->ncourses; i++) {
		const struct sp_course *c = &rq->courses[i];

		snprintf(key, sizeof(key), "+%s", c->code);
		if (uidmap_get(cf, key, 1, &cuid, err, errlen) != 1)
			return -1;
		snprintf(dir, sizeof(dir), "%s/%s", cf->server_courses, c->code);
		if ((fd = root_dir(dir, 0755, err, errlen)) == -1)
			return -1;
		/* Root's folder: nobody else could have put a link here. */
		if (mkdirat(fd, "materials", 02775) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s/materials: %s", dir,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (fstatat(fd, "materials", &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISDIR(st.st_mode) || fchownat(fd, "materials", cuid,
		    (gid_t)cuid, AT_SYMLINK_NOFOLLOW) == -1 ||
		    fchmodat(fd, "materials", 02775, 0) == -1) {
			snprintf(err, errlen, "%s/materials: not a folder the "
			    "course can own", dir);
			close(fd);
			return -1;
		}
		close(fd);
		snprintf(s->course_src[i], sizeof(s->course_src[i]),
		    "%s/materials", dir);
		snprintf(s->course_dst[i], sizeof(s->course_dst[i]),
		    "/courses/%s", c->code);
		if (sc->nbinds == SB_MAXBINDS || sc->ngroups == SB_MAXGROUPS) {
			snprintf(err, errlen, "too many courses");
			return -1;
		}
		sc->binds[sc->nbinds].src = s->course_src[i];
		sc->binds[sc->nbinds].dst = s->course_dst[i];
		sc->binds[sc->nbinds].rw = c->teaches != 0;
		sc->nbinds++;
		if (c->teaches)
			sc->groups[sc->ngroups++] = (gid_t)cuid;
	}
	/* ~/courses -> /courses: made once, never through a link (a
	 * student may have put anything in their home). */
	if ((hfd = open(s->home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) != -1) {
		/* the student's own link, or none: a root-owned one would
		 * stay in their home; made again at the next start */
		if (symlinkat("/courses", hfd, "courses") == 0 &&
		    fchownat(hfd, "courses", s->uid, s->gid,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			log_warn("%s: chown of ~/courses", s->name);
			if (unlinkat(hfd, "courses", 0) == -1)
				log_warn("%s: remove ~/courses", s->name);
		}
		close(hfd);
	}
	return 0;
}
