/*
 * identity.c: who a student runs as, and their home.
 *
 * Accounts the hub manages get a uid from the reserved range
 * SB_UID_MIN..SB_UID_MAX (0x70000000-0x7000FFFF: above systemd-nspawn's
 * ranges and useradd's subordinate ids, below 2^31 which devpts
 * mishandles), gid = uid.  The daemon stores the uid with the account and
 * never reuses it; identity_pick_uid() takes the list of stored uids and
 * returns the lowest free one that the password and group databases and
 * /etc/subuid and /etc/subgid do not use either.  PAM accounts run as their
 * real uid (identity_lookup()).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

/* [a-z_][a-z0-9_-]*, at most SB_USERNAME_MAX characters. */
int
identity_valid_name(const char *s)
{
	size_t	 i;

	if (s == NULL || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return i <= SB_USERNAME_MAX;
}

/* Is uid inside a "name:start:count" range of /etc/subuid or subgid? */
static int
in_subids(const char *file, unsigned long id)
{
	FILE		*f;
	char		 line[256], *p, *q;
	unsigned long	 start, count;
	int		 found = 0;

	if ((f = fopen(file, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if ((p = strchr(line, ':')) == NULL)
			continue;
		start = strtoul(p + 1, &q, 10);
		if (*q != ':')
			continue;
		count = strtoul(q + 1, NULL, 10);
		if (id >= start && id - start < count)
			found = 1;
	}
	fclose(f);
	return found;
}

/* A stored hub uid is still ours to use: in range, unknown to the system. */
int
identity_check_uid(uid_t uid, char *err, size_t errlen)
{
	if (uid < SB_UID_MIN || uid > SB_UID_MAX) {
		sb_err(err, errlen, 0, "uid %lu: outside the hub range "
		    "%u-%u", (unsigned long)uid, SB_UID_MIN, SB_UID_MAX);
		return -1;
	}
	errno = 0;
	if (getpwuid(uid) != NULL) {
		sb_err(err, errlen, 0, "uid %lu: used by a system account",
		    (unsigned long)uid);
		return -1;
	}
	if (getgrgid((gid_t)uid) != NULL) {
		sb_err(err, errlen, 0, "gid %lu: used by a system group",
		    (unsigned long)uid);
		return -1;
	}
	if (in_subids("/etc/subuid", uid) || in_subids("/etc/subgid", uid)) {
		sb_err(err, errlen, 0, "uid %lu: inside a subordinate id range",
		    (unsigned long)uid);
		return -1;
	}
	return 0;
}

/*
 * Pick the lowest free uid of the range that is not among the nused uids
 * the hub has stored (ever: uids are never reused).
 */
int
identity_pick_uid(const uid_t *used, size_t nused, uid_t *out, char *err,
    size_t errlen)
{
	char	 sub[SB_ERRLEN];
	uid_t	 uid;
	size_t	 i;
	int	 taken;

	for (uid = SB_UID_MIN; uid <= SB_UID_MAX; uid++) {
		for (taken = 0, i = 0; i < nused && !taken; i++)
			taken = used[i] == uid;
		if (taken || identity_check_uid(uid, sub, sizeof(sub)) == -1)
			continue;
		*out = uid;
		return 0;
	}
	sb_err(err, errlen, 0, "no free uid left in %u-%u", SB_UID_MIN,
	    SB_UID_MAX);
	return -1;
}

/* A PAM or system account: its real uid and primary gid. */
int
identity_lookup(const char *name, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[4096];
	int		 rc;

	if ((rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res)) != 0 ||
	    res == NULL) {
		sb_err(err, errlen, rc, "user '%s': no such account", name);
		return -1;
	}
	if (pw.pw_uid == 0) {
		sb_err(err, errlen, 0, "user '%s': refusing uid 0", name);
		return -1;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

/*
 * Make (or check) the home <root>/<uid>: a directory, not a symlink, owned
 * by uid:gid, mode 0700.  Works on directory descriptors (mkdirat,
 * fchownat, O_NOFOLLOW), never follows what the student may have placed.
 * Writes the path to out.
 */
int
identity_make_home(const char *root, uid_t uid, gid_t gid, char *out,
    size_t outlen, char *err, size_t errlen)
{
	struct stat	 st;
	char		 name[32];
	int		 rootfd = -1, fd = -1, created = 0;

	snprintf(name, sizeof(name), "%lu", (unsigned long)uid);
	if ((size_t)snprintf(out, outlen, "%s/%s", root, name) >= outlen) {
		sb_err(err, errlen, ENAMETOOLONG, "home");
		return -1;
	}
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		sb_err(err, errlen, errno, "homes %s", root);
		goto fail;
	}
	if (mkdirat(rootfd, name, 0700) == 0)
		created = 1;
	else if (errno != EEXIST) {
		sb_err(err, errlen, errno, "home %s", out);
		goto fail;
	}
	if ((fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		sb_err(err, errlen, errno, "home %s", out);
		goto fail;
	}
	if (fstat(fd, &st) == -1) {
		sb_err(err, errlen, errno, "home %s", out);
		goto fail;
	}
	if (created) {
		if (fchown(fd, uid, gid) == -1 || fchmod(fd, 0700) == -1) {
			sb_err(err, errlen, errno, "home %s", out);
			goto fail;
		}
	} else if (st.st_uid != uid) {
		sb_err(err, errlen, 0, "home %s: owned by uid %lu, not %lu",
		    out, (unsigned long)st.st_uid, (unsigned long)uid);
		goto fail;
	} else if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) == -1) {
		sb_err(err, errlen, errno, "home %s: chmod", out);
		goto fail;
	}
	close(fd);
	close(rootfd);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	if (created)
		(void)unlinkat(rootfd, name, AT_REMOVEDIR);
	if (rootfd != -1)
		close(rootfd);
	return -1;
}
