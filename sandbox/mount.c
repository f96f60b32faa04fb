/*
 * mount.c: the sandbox's file system, built in the child, in its new mount
 * namespace, as root, before the identity changes.
 *
 * Runs between clone and exec: no allocation, no stdio; paths live in stack
 * buffers.  The new root is a small tmpfs mounted over SB_STAGE_DIR (a
 * directory of the host; the mount is private to the child's namespace),
 * filled with read-only binds, then made read-only and pivoted into:
 *
 *   /                   tmpfs 4 MiB, read-only at the end, nosuid, nodev
 *   /usr                host /usr, read-only, nosuid, nodev, recursive
 *   /bin /sbin /lib...  the host's symlinks (merged /usr) or ro binds
 *   /etc                allow-list of ro binds; generated passwd, group, hosts
 *   /proc               new procfs (nosuid, nodev, noexec); /proc/sys and
 *                       friends bound read-only over themselves
 *   /dev                tmpfs: null zero full random urandom tty (binds),
 *                       devpts newinstance, ptmx, fd, std*, /dev/shm tmpfs
 *   /tmp                tmpfs 512 MiB, 1777, nosuid, nodev
 *   /home/<user>        the student's home, read-write, nosuid, nodev
 *                       (a directory owned by the student, not a symlink)
 *   /run/nb             the socket directory, rw, nosuid, nodev, noexec
 *   <dst>               course folders, read-only unless asked, nosuid, nodev
 *
 * The home, the socket directory and the course folders are opened once
 * (O_PATH, here in the child's namespace), checked on that descriptor and
 * bound through /proc/self/fd: a path swapped meanwhile changes nothing.
 * Bind targets never nest (sandbox.c refuses it), so no mount point is ever
 * made inside a host directory shown by another bind.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr	442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE		0x8000
#endif
#define ATTR_RDONLY		0x00000001
#define ATTR_NOSUID		0x00000002
#define ATTR_NODEV		0x00000004
#define ATTR_NOEXEC		0x00000008

struct sb_mount_attr {
	uint64_t	 attr_set;
	uint64_t	 attr_clr;
	uint64_t	 propagation;
	uint64_t	 userns_fd;
};

/* /etc entries bound read-only when present on the host. */
static const char *const etc_allow[] = {
	"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
	"nsswitch.conf", "fonts", "ssl", "ca-certificates",
	"ca-certificates.conf", "matplotlibrc", "jupyter", "mime.types",
	"alternatives", "bash.bashrc", "inputrc", "terminfo", "gai.conf",
	"host.conf", "mailcap", "magic", "papersize",
};

static const char *const top_links[] = {
	"bin", "sbin", "lib", "lib32", "lib64", "libx32",
};

static const char *const dev_nodes[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

/* Read-only over themselves in the new procfs (absent ones skipped). */
static const char *const proc_ro[] = {
	"sys", "sysrq-trigger", "irq", "bus", "fs", "latency_stats",
};

static int
fail(char *err, size_t errlen, const char *what, const char *path)
{
	sb_err(err, errlen, errno, "%s %s", what, path);
	return -1;
}

static int
pathf(char *buf, size_t len, const char *a, const char *b)
{
	if ((size_t)snprintf(buf, len, "%s%s", a, b) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
setattr(const char *path, uint64_t set)
{
	struct sb_mount_attr	 a;

	memset(&a, 0, sizeof(a));
	a.attr_set = set;
	return (int)syscall(SYS_mount_setattr, AT_FDCWD, path,
	    AT_RECURSIVE, &a, sizeof(a));
}

/* Bind src (recursively) on dst with attributes applied to every submount. */
static int
bind(const char *src, const char *dst, uint64_t attrs, char *err,
    size_t errlen)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail(err, errlen, "bind", src);
	if (attrs != 0 && setattr(dst, attrs) == -1)
		return fail(err, errlen, "mount_setattr", dst);
	return 0;
}

static int	 mountpoint_st(const struct stat *, const char *, char *,
		    size_t);

static int
touch(const char *path, mode_t mode)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    mode)) == -1)
		return -1;
	close(fd);
	return 0;
}

/* Create the mount point for src at dst: a directory or an empty file. */
static int
mountpoint_for(const char *src, const char *dst, char *err, size_t errlen)
{
	struct stat	 st;

	if (stat(src, &st) == -1)
		return fail(err, errlen, "stat", src);
	return mountpoint_st(&st, dst, err, errlen);
}

/* The path through which the child binds a source the parent pinned. */
static int
fdpath(char *buf, size_t len, int fd)
{
	if ((size_t)snprintf(buf, len, "/proc/self/fd/%d", fd) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Like mountpoint_for, for a source already opened. */
static int
mountpoint_fd(int fd, const char *what, const char *dst, char *err,
    size_t errlen)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return fail(err, errlen, "stat", what);
	return mountpoint_st(&st, dst, err, errlen);
}

/*
 * Bind what fd (opened in this mount namespace) refers to, then close fd:
 * the object checked is the object bound, whatever happens to the path.
 */
static int
bind_fd(int fd, const char *what, const char *dst, uint64_t attrs,
    char *err, size_t errlen)
{
	char	 src[64];
	int	 rc = -1;

	if (fdpath(src, sizeof(src), fd) == -1)
		(void)fail(err, errlen, "path", what);
	else if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) == -1)
		(void)fail(err, errlen, "bind", what);
	else if (attrs != 0 && setattr(dst, attrs) == -1)
		(void)fail(err, errlen, "mount_setattr", dst);
	else
		rc = 0;
	close(fd);
	return rc;
}

static int
mountpoint_st(const struct stat *st, const char *dst, char *err,
    size_t errlen)
{
	if (S_ISDIR(st->st_mode)) {
		if (mkdir(dst, 0755) == -1 && errno != EEXIST)
			return fail(err, errlen, "mkdir", dst);
	} else if (touch(dst, 0644) == -1)
		return fail(err, errlen, "create", dst);
	return 0;
}

/* mkdir -p below the new root for an absolute path inside. */
static int
mkdirs(const char *root, const char *inside, char *err, size_t errlen)
{
	char	 path[PATH_MAX], *p;

	if (pathf(path, sizeof(path), root, inside) == -1)
		return fail(err, errlen, "path", inside);
	for (p = path + strlen(root) + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return fail(err, errlen, "mkdir", path);
		*p = '/';
	}
	return 0;
}

static int
write_file(const char *path, const char *data, char *err, size_t errlen)
{
	size_t	 len = strlen(data), off = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) ==
	    -1)
		return fail(err, errlen, "create", path);
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) <= 0) {
			close(fd);
			return fail(err, errlen, "write", path);
		}
		off += (size_t)n;
	}
	close(fd);
	return 0;
}

/* Bind one /etc entry (following symlinks to their target) read-only. */
static int
etc_entry(const char *root, const char *name, char *err, size_t errlen)
{
	char	 src[PATH_MAX], dst[PATH_MAX];

	if (pathf(src, sizeof(src), "/etc/", name) == -1 ||
	    pathf(dst, sizeof(dst), root, src) == -1)
		return fail(err, errlen, "path", name);
	if (access(src, F_OK) == -1)
		return 0;	/* absent, or a dangling symlink */
	if (mountpoint_for(src, dst, err, errlen) == -1)
		return -1;
	return bind(src, dst, ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV, err,
	    errlen);
}

struct sb_dirent64 {
	uint64_t	 d_ino;
	int64_t		 d_off;
	unsigned short	 d_reclen;
	unsigned char	 d_type;
	char		 d_name[];
};

/* /etc/python3* (python3, python3.11, ...), without opendir's malloc. */
static int
etc_python(const char *root, char *err, size_t errlen)
{
	char			 buf[4096];
	struct sb_dirent64	*de;
	long			 n, off;
	int			 fd;

	if ((fd = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return fail(err, errlen, "open", "/etc");
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += de->d_reclen) {
			de = (struct sb_dirent64 *)(void *)(buf + off);
			if (strncmp(de->d_name, "python3", 7) != 0)
				continue;
			if (etc_entry(root, de->d_name, err, errlen) == -1) {
				close(fd);
				return -1;
			}
		}
	}
	close(fd);
	return 0;
}

static int
build_etc(const struct sb_mountplan *mp, const char *root, char *err,
    size_t errlen)
{
	char	 path[PATH_MAX];
	size_t	 i;

	if (pathf(path, sizeof(path), root, "/etc") == -1 ||
	    mkdir(path, 0755) == -1)
		return fail(err, errlen, "mkdir", "/etc");
	for (i = 0; i < sizeof(etc_allow) / sizeof(etc_allow[0]); i++)
		if (etc_entry(root, etc_allow[i], err, errlen) == -1)
			return -1;
	if (etc_python(root, err, errlen) == -1)
		return -1;
	if (mp->cfg->hostnet && etc_entry(root, "resolv.conf", err, errlen) ==
	    -1)
		return -1;
	if (pathf(path, sizeof(path), root, "/etc/passwd") == -1 ||
	    write_file(path, mp->passwd, err, errlen) == -1)
		return -1;
	if (pathf(path, sizeof(path), root, "/etc/group") == -1 ||
	    write_file(path, mp->group, err, errlen) == -1)
		return -1;
	if (pathf(path, sizeof(path), root, "/etc/hosts") == -1 ||
	    write_file(path, mp->hosts, err, errlen) == -1)
		return -1;
	return 0;
}

static int
build_top(const char *root, char *err, size_t errlen)
{
	char		 src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
	struct stat	 st;
	ssize_t		 n;
	size_t		 i;

	if (pathf(dst, sizeof(dst), root, "/usr") == -1 ||
	    mkdir(dst, 0755) == -1)
		return fail(err, errlen, "mkdir", "/usr");
	if (bind("/usr", dst, ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV, err,
	    errlen) == -1)
		return -1;
	for (i = 0; i < sizeof(top_links) / sizeof(top_links[0]); i++) {
		if (pathf(src, sizeof(src), "/", top_links[i]) == -1 ||
		    pathf(dst, sizeof(dst), root, src) == -1)
			return fail(err, errlen, "path", top_links[i]);
		if (lstat(src, &st) == -1)
			continue;
		if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(src, target, sizeof(target) - 1)) ==
			    -1)
				return fail(err, errlen, "readlink", src);
			target[n] = '\0';
			if (symlink(target, dst) == -1)
				return fail(err, errlen, "symlink", dst);
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(dst, 0755) == -1)
				return fail(err, errlen, "mkdir", dst);
			if (bind(src, dst, ATTR_RDONLY | ATTR_NOSUID |
			    ATTR_NODEV, err, errlen) == -1)
				return -1;
		}
	}
	return 0;
}

static int
build_proc(const char *root, char *err, size_t errlen)
{
	char	 dst[PATH_MAX], sub[PATH_MAX];
	size_t	 i;

	if (pathf(dst, sizeof(dst), root, "/proc") == -1 ||
	    mkdir(dst, 0555) == -1)
		return fail(err, errlen, "mkdir", "/proc");
	if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL) == -1)
		return fail(err, errlen, "mount proc on", dst);
	for (i = 0; i < sizeof(proc_ro) / sizeof(proc_ro[0]); i++) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dst,
		    proc_ro[i]) >= sizeof(sub))
			return fail(err, errlen, "path", proc_ro[i]);
		if (access(sub, F_OK) == -1)
			continue;
		if (bind(sub, sub, ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV |
		    ATTR_NOEXEC, err, errlen) == -1)
			return -1;
	}
	return 0;
}

static int
build_dev(const char *root, char *err, size_t errlen)
{
	static const char *const links[][2] = {
		{ "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" },
		{ "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" },
	};
	char	 dev[PATH_MAX], path[PATH_MAX], src[PATH_MAX];
	size_t	 i;

	if (pathf(dev, sizeof(dev), root, "/dev") == -1 ||
	    mkdir(dev, 0755) == -1)
		return fail(err, errlen, "mkdir", "/dev");
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC,
	    SB_DEV_TMPFS_OPTS) == -1)
		return fail(err, errlen, "mount tmpfs on", dev);
	for (i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		if (pathf(src, sizeof(src), "/dev/", dev_nodes[i]) == -1 ||
		    pathf(path, sizeof(path), root, src) == -1)
			return fail(err, errlen, "path", dev_nodes[i]);
		if (access(src, F_OK) == -1)
			continue;
		if (touch(path, 0666) == -1)
			return fail(err, errlen, "create", path);
		if (bind(src, path, ATTR_NOSUID | ATTR_NOEXEC, err,
		    errlen) == -1)
			return -1;
	}
	if (pathf(path, sizeof(path), dev, "/pts") == -1 ||
	    mkdir(path, 0755) == -1)
		return fail(err, errlen, "mkdir", "/dev/pts");
	if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
	    SB_DEVPTS_OPTS) == -1)
		return fail(err, errlen, "mount devpts on", path);
	if (pathf(path, sizeof(path), dev, "/shm") == -1 ||
	    mkdir(path, 01777) == -1)
		return fail(err, errlen, "mkdir", "/dev/shm");
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
	    SB_SHM_TMPFS_OPTS) == -1)
		return fail(err, errlen, "mount tmpfs on", path);
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dev,
		    links[i][1]) >= sizeof(path))
			return fail(err, errlen, "path", links[i][1]);
		if (symlink(links[i][0], path) == -1)
			return fail(err, errlen, "symlink", path);
	}
	if (mount(NULL, dev, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
	    MS_NOSUID | MS_NOEXEC, NULL) == -1)
		return fail(err, errlen, "remount ro", dev);
	return 0;
}

static int
build_rw(const struct sb_mountplan *mp, const char *root, char *err,
    size_t errlen)
{
	const struct sandbox_config	*cfg = mp->cfg;
	char				 path[PATH_MAX];
	struct stat			 st;
	size_t				 i;
	uint64_t			 attrs;
	int				 fd;

	if (pathf(path, sizeof(path), root, "/tmp") == -1 ||
	    mkdir(path, 01777) == -1)
		return fail(err, errlen, "mkdir", "/tmp");
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
	    SB_TMP_TMPFS_OPTS) == -1)
		return fail(err, errlen, "mount tmpfs on", path);
	if (mkdirs(root, mp->homedir, err, errlen) == -1 ||
	    pathf(path, sizeof(path), root, mp->homedir) == -1 ||
	    mkdir(path, 0700) == -1)
		return fail(err, errlen, "mkdir", mp->homedir);
	if ((fd = open(cfg->home, O_PATH | O_NOFOLLOW | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1)
		return fail(err, errlen, "open home (not a symlink)", cfg->home);
	if (st.st_uid != cfg->uid) {
		close(fd);
		errno = EPERM;
		return fail(err, errlen, "home not owned by the student",
		    cfg->home);
	}
	if (bind_fd(fd, cfg->home, path, ATTR_NOSUID | ATTR_NODEV, err,
	    errlen) == -1)
		return -1;
	if (cfg->sockdir != NULL) {
		if (mkdirs(root, SB_SOCKDIR_INSIDE, err, errlen) == -1 ||
		    pathf(path, sizeof(path), root, SB_SOCKDIR_INSIDE) == -1 ||
		    mkdir(path, 0755) == -1)
			return fail(err, errlen, "mkdir", SB_SOCKDIR_INSIDE);
		if ((fd = open(cfg->sockdir, O_PATH | O_NOFOLLOW |
		    O_DIRECTORY | O_CLOEXEC)) == -1)
			return fail(err, errlen, "open socket directory (not "
			    "a symlink)", cfg->sockdir);
		if (bind_fd(fd, cfg->sockdir, path, ATTR_NOSUID | ATTR_NODEV |
		    ATTR_NOEXEC, err, errlen) == -1)
			return -1;
	}
	for (i = 0; i < cfg->nbinds; i++) {
		const struct sb_bind *b = &cfg->binds[i];

		if ((fd = open(b->src, O_PATH | O_CLOEXEC)) == -1)
			return fail(err, errlen, "open", b->src);
		if (mkdirs(root, b->dst, err, errlen) == -1 ||
		    pathf(path, sizeof(path), root, b->dst) == -1 ||
		    mountpoint_fd(fd, b->src, path, err, errlen) == -1) {
			close(fd);
			return -1;
		}
		attrs = ATTR_NOSUID | ATTR_NODEV;
		if (!b->rw)
			attrs |= ATTR_RDONLY;
		if (bind_fd(fd, b->src, path, attrs, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * Build the tree and pivot into it.  On return the process's root and
 * working directory are the sandbox's "/".
 */
int
mount_build_root(const struct sb_mountplan *mp, char *err, size_t errlen)
{
	const char	*root = SB_STAGE_DIR;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail(err, errlen, "make private", "/");
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV,
	    SB_ROOT_TMPFS_OPTS) == -1)
		return fail(err, errlen, "mount tmpfs on", root);
	if (build_top(root, err, errlen) == -1 ||
	    build_etc(mp, root, err, errlen) == -1 ||
	    build_proc(root, err, errlen) == -1 ||
	    build_dev(root, err, errlen) == -1 ||
	    build_rw(mp, root, err, errlen) == -1)
		return -1;
	if (mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
	    MS_NOSUID | MS_NODEV, NULL) == -1)
		return fail(err, errlen, "remount ro", root);
	if (chdir(root) == -1)
		return fail(err, errlen, "chdir", root);
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		return fail(err, errlen, "pivot_root", root);
	if (umount2(".", MNT_DETACH) == -1)
		return fail(err, errlen, "detach old root", "/");
	if (chdir("/") == -1)
		return fail(err, errlen, "chdir", "/");
	return 0;
}
