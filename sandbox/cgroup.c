/*
 * cgroup.c: one cgroup per student sandbox, on cgroup v2 or v1.
 *
 * Layout, below the cgroup the caller runs in (or an absolute parent):
 *
 *   <own>/hubd-students/            memory capped at RAM - reserve, pids
 *   <own>/hubd-students/u<uid>.g<n> memory (no swap), pids, CPU quota/weight
 *
 * v2 (statfs f_type CGROUP2_SUPER_MAGIC): one directory; controllers are
 * enabled top-down through cgroup.subtree_control.  The shape under a
 * systemd unit with Delegate=yes (hubd.service):
 *
 *   <unit>/hub/                    hubd, hubd-spawner (and nothing else)
 *   <unit>/hubd-students/u<uid>... the students
 *
 * If we already sit in a leaf named "hub" (DelegateSubgroup=hub, or a
 * previous start moved us there), <own> is its parent.  Otherwise, if <own>
 * holds processes ("no internal processes"), every process of <own> (us,
 * and hubd that started us) moves into <own>/hub first; the next start
 * then finds itself in the leaf and does not nest again.  We never write
 * attributes of <own> itself besides cgroup.subtree_control.
 *
 * An absolute parent (the spawner's under systemd: a delegated scope's
 * <scope>/hubd-students) replaces <own>/hubd-students; on v2 the
 * controllers are enabled in the cgroup holding it, which must then hold
 * no process itself, and nothing of ours moves.
 *
 * v1 and hybrid (/sys/fs/cgroup is a tmpfs): the same directories in the
 * memory, pids and cpu hierarchies, and cpuacct if mounted apart, each below
 * our own cgroup of that hierarchy, found in /proc/self/mountinfo and
 * /proc/self/cgroup.  release_agent and notify_on_release are never touched.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/types.h>

#include <linux/magic.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_MAXCTL	4

/* The leaf our own processes move into on v2 (see the top). */
#ifndef SB_CGROUP_LEAF
#define SB_CGROUP_LEAF	"hub"
#endif

enum ctl_kind { CTL_V2, CTL_MEMORY, CTL_PIDS, CTL_CPU, CTL_CPUACCT };

struct cg_ctl {
	enum ctl_kind	 kind;
	char		 parent[PATH_MAX];	/* .../hubd-students */
	char		 dir[PATH_MAX];		/* .../u<uid>.g<n> */
};

struct cgroup {
	int		 version;
	char		 name[64];
	size_t		 nctl;
	struct cg_ctl	 ctl[CG_MAXCTL];
};

static const char *const v1_names[] = {
	[CTL_MEMORY] = "memory",
	[CTL_PIDS] = "pids",
	[CTL_CPU] = "cpu",
	[CTL_CPUACCT] = "cpuacct",
};

/* Write a string to dir/file.  -1 with errno on failure. */
static int
cg_write(const char *dir, const char *file, const char *value)
{
	char	 path[PATH_MAX];
	size_t	 len = strlen(value);
	ssize_t	 n;
	int	 fd, saved;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = write(fd, value, len);
	saved = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n == -1 ? saved : EIO;
		return -1;
	}
	return 0;
}

static int
cg_write_u64(const char *dir, const char *file, uint64_t v)
{
	char	 buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(dir, file, buf);
}

/* Read dir/file into buf (NUL-terminated).  -1 with errno. */
static int
cg_read(const char *dir, const char *file, char *buf, size_t len)
{
	char	 path[PATH_MAX];
	ssize_t	 n;
	int	 fd, saved;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* A single number ("max" reads as UINT64_MAX).  Missing file: 0. */
static uint64_t
cg_read_u64(const char *dir, const char *file)
{
	char	 buf[64];

	if (cg_read(dir, file, buf, sizeof(buf)) == -1)
		return 0;
	if (strncmp(buf, "max", 3) == 0)
		return UINT64_MAX;
	return strtoull(buf, NULL, 10);
}

/* "key value" lines (memory.events, cpu.stat, memory.oom_control). */
static uint64_t
cg_read_key(const char *dir, const char *file, const char *key)
{
	char	 buf[4096], *line, *save = NULL;
	size_t	 klen = strlen(key);

	if (cg_read(dir, file, buf, sizeof(buf)) == -1)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoull(line + klen + 1, NULL, 10);
	return 0;
}

int
cgroup_version(void)
{
	struct statfs	 st;

	if (statfs(CG_ROOT, &st) == -1)
		return -1;
	if (st.f_type == CGROUP2_SUPER_MAGIC)
		return 2;
	if (st.f_type == TMPFS_MAGIC)
		return 1;
	return -1;
}

/*
 * Our own cgroup path in the hierarchy holding controller (v1) or the
 * unified hierarchy (ctrl NULL), from /proc/self/cgroup.
 */
static int
own_cgroup(const char *ctrl, char *out, size_t outlen)
{
	FILE	*f;
	char	 line[PATH_MAX + 64], *p, *list, *path, *tok, *save;
	int	 found = -1;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((p = strchr(line, ':')) == NULL)
			continue;
		list = p + 1;
		if ((path = strchr(list, ':')) == NULL)
			continue;
		*path++ = '\0';
		if (ctrl == NULL) {
			if (strcmp(line, "0:") == 0 || *list == '\0')
				found = 0;
		} else {
			for (tok = strtok_r(list, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save))
				if (strcmp(tok, ctrl) == 0)
					found = 0;
		}
		if (found == 0 &&
		    (size_t)snprintf(out, outlen, "%s", path) >= outlen)
			found = -1;
	}
	fclose(f);
	if (found == -1)
		errno = ENOENT;
	return found;
}

/* Mount point of the v1 hierarchy holding ctrl, from mountinfo. */
static int
v1_mount(const char *ctrl, char *out, size_t outlen)
{
	FILE	*f;
	char	 line[4096], *fields[16], *p, *sep, *tok, *save;
	int	 n, found = -1;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		n = 0;
		for (p = strtok_r(line, " ", &save); p != NULL && n < 16;
		    p = strtok_r(NULL, " ", &save))
			fields[n++] = p;
		/* mount point is field 4; after "-": fstype, source, opts */
		for (sep = NULL, p = NULL; n > 0; n--)
			if (strcmp(fields[n - 1], "-") == 0) {
				sep = fields[n - 1];
				break;
			}
		if (sep == NULL || n + 2 >= 16 || fields[n] == NULL)
			continue;
		if (strcmp(fields[n], "cgroup") != 0)
			continue;
		for (tok = strtok_r(fields[n + 2], ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, ctrl) == 0)
				found = 0;
		if (found == 0 && (size_t)snprintf(out, outlen, "%s",
		    fields[4]) >= outlen)
			found = -1;
	}
	fclose(f);
	if (found == -1)
		errno = ENOENT;
	return found;
}

/* Join base, own path and parent name; an absolute parent skips own. */
static int
join_parent(char *out, size_t outlen, const char *base, const char *own,
    const char *parent)
{
	int	 n;

	if (parent[0] == '/')
		n = snprintf(out, outlen, "%s%s", base, parent);
	else
		n = snprintf(out, outlen, "%s%s/%s", base,
		    strcmp(own, "/") == 0 ? "" : own, parent);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* c->dir = c->parent + "/" + name */
static int
child_path(struct cg_ctl *c, const char *name)
{
	size_t	 plen = strlen(c->parent), nlen = strlen(name);

	if (plen + 1 + nlen >= sizeof(c->dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(c->dir, c->parent, plen);
	c->dir[plen] = '/';
	memcpy(c->dir + plen + 1, name, nlen + 1);
	return 0;
}

static uint64_t
parent_memory_cap(void)
{
	struct sysinfo	 si;
	uint64_t	 total, reserve = SB_HOST_RESERVE;

	if (sysinfo(&si) == -1)
		return 0;
	total = (uint64_t)si.totalram * si.mem_unit;
	if (total < 4 * reserve)
		reserve = total / 4 > SB_HOST_RESERVE_MIN ? total / 4 :
		    SB_HOST_RESERVE_MIN;
	if (total <= reserve)
		return 0;
	return (total - reserve) & ~(uint64_t)4095;
}

static int
mkdir_ok(const char *path, int exist_ok)
{
	if (mkdir(path, 0755) == -1) {
		if (errno == EEXIST && exist_ok)
			return 0;
		return -1;
	}
	return 0;
}

/* Does dir/cgroup.subtree_control list every controller we need? */
static int
v2_enabled(const char *dir)
{
	char	 buf[512];

	if (cg_read(dir, "cgroup.subtree_control", buf, sizeof(buf)) == -1)
		return 0;
	return strstr(buf, "memory") != NULL && strstr(buf, "pids") != NULL &&
	    strstr(buf, "cpu") != NULL;
}

/*
 * Move every process of dir into leaf (a few rounds: one may fork while we
 * move).  0 once dir holds no process, -1 with errno.
 */
static int
v2_move_all(const char *dir, const char *leaf)
{
	char	 buf[8192], *p, *end;
	long	 pid;
	int	 round;

	for (round = 0; round < 10; round++) {
		if (cg_read(dir, "cgroup.procs", buf, sizeof(buf)) == -1)
			return -1;
		if (buf[0] == '\0')
			return 0;
		for (p = buf; *p != '\0'; p = end) {
			char	 num[32];

			pid = strtol(p, &end, 10);
			if (end == p)
				break;
			snprintf(num, sizeof(num), "%ld", pid);
			/* a process that exited meanwhile is fine */
			if (cg_write(leaf, "cgroup.procs", num) == -1 &&
			    errno != ESRCH)
				return -1;
		}
	}
	errno = EBUSY;
	return -1;
}

static int
v2_enable(const char *dir, int may_move_self, char *err, size_t errlen)
{
	char	 hub[PATH_MAX];

	if (v2_enabled(dir))
		return 0;
	if (cg_write(dir, "cgroup.subtree_control",
	    "+memory +pids +cpu") == 0)
		return 0;
	if (errno != EBUSY || !may_move_self) {
		sb_err(err, errlen, errno,
		    "cgroup %s: enable memory, pids, cpu", dir);
		return -1;
	}
	/* No internal processes: move ours into the leaf "hub" first. */
	if ((size_t)snprintf(hub, sizeof(hub), "%s/" SB_CGROUP_LEAF, dir) >=
	    sizeof(hub) || mkdir_ok(hub, 1) == -1 ||
	    cg_write(hub, "cgroup.procs", "0") == -1 ||
	    v2_move_all(dir, hub) == -1) {
		sb_err(err, errlen, errno, "cgroup %s: move processes", hub);
		return -1;
	}
	if (cg_write(dir, "cgroup.subtree_control", "+memory +pids +cpu") ==
	    -1) {
		sb_err(err, errlen, errno, "cgroup %s: enable controllers "
		    "(other processes in it? use a delegated cgroup)", dir);
		return -1;
	}
	return 0;
}

/*
 * The cgroup students go below on v2 (relative parents): our own, or its
 * parent when we sit in its leaf "hub".  "" for the root.
 */
static int
v2_base(char *out, size_t outlen)
{
	char	*slash;

	if (own_cgroup(NULL, out, outlen) == -1)
		return -1;
	if ((slash = strrchr(out, '/')) != NULL &&
	    strcmp(slash + 1, SB_CGROUP_LEAF) == 0)
		*slash = '\0';
	if (strcmp(out, "/") == 0)
		out[0] = '\0';
	return 0;
}

static int
v2_setup(struct cgroup *cg, const char *parent, const struct sb_limits *l,
    char *err, size_t errlen)
{
	struct cg_ctl	*c = &cg->ctl[0];
	char		 own[PATH_MAX], base[PATH_MAX], buf[64];
	uint64_t	 cap, quota;

	c->kind = CTL_V2;
	cg->nctl = 1;
	if (parent[0] == '/') {
		/* base: the cgroup holding the absolute parent */
		if ((size_t)snprintf(base, sizeof(base), "%s%s", CG_ROOT,
		    parent) >= sizeof(base))
			goto toolong;
		*strrchr(base, '/') = '\0';
	} else {
		if (v2_base(own, sizeof(own)) == -1) {
			sb_err(err, errlen, errno, "own cgroup (v2)");
			return -1;
		}
		if ((size_t)snprintf(base, sizeof(base), "%s%s", CG_ROOT,
		    own) >= sizeof(base))
			goto toolong;
	}
	if (join_parent(c->parent, sizeof(c->parent), CG_ROOT,
	    parent[0] == '/' ? "" : base + strlen(CG_ROOT), parent) == -1)
		goto toolong;
	if (v2_enable(base, parent[0] != '/', err, errlen) == -1)
		return -1;
	if (mkdir_ok(c->parent, 1) == -1) {
		sb_err(err, errlen, errno, "cgroup %s", c->parent);
		return -1;
	}
	if ((cap = parent_memory_cap()) != 0 &&
	    cg_write_u64(c->parent, "memory.max", cap) == -1) {
		sb_err(err, errlen, errno, "cgroup %s: memory.max", c->parent);
		return -1;
	}
	if (cg_write_u64(c->parent, "pids.max", SB_PIDS_PARENT) == -1) {
		sb_err(err, errlen, errno, "cgroup %s: pids.max", c->parent);
		return -1;
	}
	if (v2_enable(c->parent, 0, err, errlen) == -1)
		return -1;
	if (child_path(c, cg->name) == -1)
		goto toolong;
	if (mkdir(c->dir, 0755) == -1) {
		sb_err(err, errlen, errno, "cgroup %s", c->dir);
		return -1;
	}
	/* Limits are written before anything joins. */
	if (cg_write_u64(c->dir, "memory.max", l->memory) == -1 ||
	    cg_write_u64(c->dir, "memory.high",
	    l->memory / 100 * SB_MEMORY_HIGH_PCT) == -1 ||
	    cg_write_u64(c->dir, "pids.max", l->pids) == -1) {
		sb_err(err, errlen, errno, "cgroup %s: memory/pids", c->dir);
		return -1;
	}
	/* No swap; the file is absent without swap accounting. */
	if (cg_write(c->dir, "memory.swap.max", "0") == -1 &&
	    errno != ENOENT) {
		sb_err(err, errlen, errno, "cgroup %s: memory.swap.max",
		    c->dir);
		return -1;
	}
	/* Kill the kernel that overflows, not the whole server. */
	if (cg_write(c->dir, "memory.oom.group", "0") == -1 &&
	    errno != ENOENT) {
		sb_err(err, errlen, errno, "cgroup %s: memory.oom.group",
		    c->dir);
		return -1;
	}
	quota = (uint64_t)l->cpus * SB_CPU_PERIOD_US / SB_CPU_SCALE;
	snprintf(buf, sizeof(buf), "%" PRIu64 " %u", quota, SB_CPU_PERIOD_US);
	if (cg_write(c->dir, "cpu.max", buf) == -1 ||
	    cg_write_u64(c->dir, "cpu.weight", l->weight) == -1) {
		sb_err(err, errlen, errno, "cgroup %s: cpu", c->dir);
		return -1;
	}
	return 0;
toolong:
	sb_err(err, errlen, ENAMETOOLONG, "cgroup path");
	return -1;
}

static int
v1_limits(struct cg_ctl *c, const struct sb_limits *l, char *err,
    size_t errlen)
{
	uint64_t	 shares, quota;

	switch (c->kind) {
	case CTL_MEMORY:
		/* limit before memsw: memsw must stay >= limit */
		if (cg_write_u64(c->dir, "memory.limit_in_bytes",
		    l->memory) == -1) {
			sb_err(err, errlen, errno, "cgroup %s: memory limit",
			    c->dir);
			return -1;
		}
		if (cg_write_u64(c->dir, "memory.memsw.limit_in_bytes",
		    l->memory) == -1 && errno != ENOENT) {
			sb_err(err, errlen, errno, "cgroup %s: memsw limit",
			    c->dir);
			return -1;
		}
		return 0;
	case CTL_PIDS:
		if (cg_write_u64(c->dir, "pids.max", l->pids) == -1) {
			sb_err(err, errlen, errno, "cgroup %s: pids.max",
			    c->dir);
			return -1;
		}
		return 0;
	case CTL_CPU:
		/* runc's mapping, inverted: weight 100 = 1024 shares */
		shares = (uint64_t)l->weight * 1024 / SB_WEIGHT_DEFAULT;
		if (shares < 2)
			shares = 2;
		quota = (uint64_t)l->cpus * SB_CPU_PERIOD_US / SB_CPU_SCALE;
		if (quota < 1000)
			quota = 1000;	/* kernel minimum 1 ms */
		if (cg_write_u64(c->dir, "cpu.cfs_period_us",
		    SB_CPU_PERIOD_US) == -1 ||
		    cg_write_u64(c->dir, "cpu.cfs_quota_us", quota) == -1 ||
		    cg_write_u64(c->dir, "cpu.shares", shares) == -1) {
			sb_err(err, errlen, errno, "cgroup %s: cpu", c->dir);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

static int
v1_setup(struct cgroup *cg, const char *parent, const struct sb_limits *l,
    char *err, size_t errlen)
{
	enum ctl_kind	 kinds[] = { CTL_MEMORY, CTL_PIDS, CTL_CPU,
			    CTL_CPUACCT };
	char		 mnt[PATH_MAX], own[PATH_MAX];
	struct cg_ctl	*c;
	uint64_t	 cap;
	size_t		 i, j;
	int		 dup;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *name = v1_names[kinds[i]];

		if (v1_mount(name, mnt, sizeof(mnt)) == -1 ||
		    own_cgroup(name, own, sizeof(own)) == -1) {
			if (kinds[i] == CTL_CPUACCT)
				continue;	/* optional: usage only */
			sb_err(err, errlen, 0, "cgroup v1: no %s hierarchy "
			    "mounted", name);
			return -1;
		}
		c = &cg->ctl[cg->nctl];
		c->kind = kinds[i];
		if (join_parent(c->parent, sizeof(c->parent), mnt, own,
		    parent) == -1 || child_path(c, cg->name) == -1) {
			sb_err(err, errlen, ENAMETOOLONG, "cgroup path");
			return -1;
		}
		/* co-mounted controllers (cpu,cpuacct) share a directory */
		for (dup = 0, j = 0; j < cg->nctl; j++)
			if (strcmp(cg->ctl[j].dir, c->dir) == 0)
				dup = 1;
		if (dup)
			continue;
		if (mkdir_ok(c->parent, 1) == -1) {
			sb_err(err, errlen, errno, "cgroup %s", c->parent);
			return -1;
		}
		cg->nctl++;
		if (c->kind == CTL_MEMORY && (cap = parent_memory_cap()) != 0 &&
		    cg_write_u64(c->parent, "memory.limit_in_bytes", cap) ==
		    -1) {
			sb_err(err, errlen, errno, "cgroup %s: memory limit",
			    c->parent);
			return -1;
		}
		if (c->kind == CTL_PIDS &&
		    cg_write_u64(c->parent, "pids.max", SB_PIDS_PARENT) == -1) {
			sb_err(err, errlen, errno, "cgroup %s: pids.max",
			    c->parent);
			return -1;
		}
		if (mkdir(c->dir, 0755) == -1) {
			cg->nctl--;
			sb_err(err, errlen, errno, "cgroup %s", c->dir);
			return -1;
		}
		if (v1_limits(c, l, err, errlen) == -1)
			return -1;
	}
	return 0;
}

static int
valid_component(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	/* escape nothing: refuse names the kernel uses for its files */
	if (strncmp(s, "cgroup.", 7) == 0 || strcmp(s, "tasks") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-/", *s) == NULL)
			return 0;
	return 1;
}

/*
 * Create the cgroup "name" below "parent" (NULL: SB_CGROUP_PARENT below our
 * own cgroup), with the limits written before anything joins.  Returns
 * NULL with err set; on failure nothing is left behind.
 */
struct cgroup *
cgroup_create(const char *parent, const char *name,
    const struct sb_limits *l, char *err, size_t errlen)
{
	struct cgroup	*cg;
	char		 sub[SB_ERRLEN];
	int		 rc;

	if (parent == NULL)
		parent = SB_CGROUP_PARENT;
	if (!valid_component(parent) || strstr(parent, "..") != NULL ||
	    !valid_component(name) || strchr(name, '/') != NULL) {
		sb_err(err, errlen, 0, "cgroup: bad name '%s/%s'", parent,
		    name);
		return NULL;
	}
	if ((cg = calloc(1, sizeof(*cg))) == NULL) {
		sb_err(err, errlen, errno, "cgroup");
		return NULL;
	}
	if (strlen(name) >= sizeof(cg->name)) {
		sb_err(err, errlen, 0, "cgroup: name too long");
		free(cg);
		return NULL;
	}
	memcpy(cg->name, name, strlen(name) + 1);
	cg->version = cgroup_version();
	switch (cg->version) {
	case 2:
		rc = v2_setup(cg, parent, l, err, errlen);
		if (rc == -1 && cg->ctl[0].dir[0] != '\0')
			(void)rmdir(cg->ctl[0].dir);
		if (rc == -1)
			cg->nctl = 0;
		break;
	case 1:
		rc = v1_setup(cg, parent, l, err, errlen);
		break;
	default:
		sb_err(err, errlen, 0, "cgroup: no cgroup file system at %s",
		    CG_ROOT);
		rc = -1;
		break;
	}
	if (rc == -1) {
		(void)cgroup_remove(cg, sub, sizeof(sub));
		cgroup_free(cg);
		return NULL;
	}
	return cg;
}

const char *
cgroup_name(const struct cgroup *cg)
{
	return cg->name;
}

/* Move pid into the cgroup, in every hierarchy. */
int
cgroup_attach(struct cgroup *cg, pid_t pid, char *err, size_t errlen)
{
	char	 buf[32];
	size_t	 i;

	snprintf(buf, sizeof(buf), "%ld", (long)pid);
	for (i = 0; i < cg->nctl; i++)
		if (cg_write(cg->ctl[i].dir, "cgroup.procs", buf) == -1) {
			sb_err(err, errlen, errno, "cgroup %s: attach %ld",
			    cg->ctl[i].dir, (long)pid);
			return -1;
		}
	return 0;
}

static const struct cg_ctl *
find_ctl(const struct cgroup *cg, enum ctl_kind kind)
{
	size_t	 i;

	for (i = 0; i < cg->nctl; i++)
		if (cg->ctl[i].kind == kind)
			return &cg->ctl[i];
	return NULL;
}

int
cgroup_read_stats(struct cgroup *cg, struct cgroup_stats *st, char *err,
    size_t errlen)
{
	const struct cg_ctl	*c;

	memset(st, 0, sizeof(*st));
	if (cg->nctl == 0) {
		sb_err(err, errlen, 0, "cgroup: not created");
		return -1;
	}
	if (cg->version == 2) {
		c = &cg->ctl[0];
		st->memory_current = cg_read_u64(c->dir, "memory.current");
		st->memory_peak = cg_read_u64(c->dir, "memory.peak");
		st->oom_kills = cg_read_key(c->dir, "memory.events",
		    "oom_kill");
		st->pids_current = cg_read_u64(c->dir, "pids.current");
		st->pids_max_events = cg_read_key(c->dir, "pids.events",
		    "max");
		st->cpu_usage_usec = cg_read_key(c->dir, "cpu.stat",
		    "usage_usec");
		st->cpu_nr_throttled = cg_read_key(c->dir, "cpu.stat",
		    "nr_throttled");
		return 0;
	}
	if ((c = find_ctl(cg, CTL_MEMORY)) != NULL) {
		st->memory_current = cg_read_u64(c->dir,
		    "memory.usage_in_bytes");
		st->memory_peak = cg_read_u64(c->dir,
		    "memory.max_usage_in_bytes");
		st->oom_kills = cg_read_key(c->dir, "memory.oom_control",
		    "oom_kill");
	}
	if ((c = find_ctl(cg, CTL_PIDS)) != NULL) {
		st->pids_current = cg_read_u64(c->dir, "pids.current");
		st->pids_max_events = cg_read_key(c->dir, "pids.events",
		    "max");
	}
	if ((c = find_ctl(cg, CTL_CPU)) != NULL)
		st->cpu_nr_throttled = cg_read_key(c->dir, "cpu.stat",
		    "nr_throttled");
	if ((c = find_ctl(cg, CTL_CPUACCT)) == NULL)
		c = find_ctl(cg, CTL_CPU);	/* co-mounted cpu,cpuacct */
	if (c != NULL)
		st->cpu_usage_usec = cg_read_u64(c->dir, "cpuacct.usage") /
		    1000;
	return 0;
}

/* Kill every process in the cgroup (cgroup.kill on v2, else by pid). */
int
cgroup_kill(struct cgroup *cg, char *err, size_t errlen)
{
	char	 buf[8192], *p, *end;
	long	 pid;
	int	 round, any;

	if (cg->nctl == 0)
		return 0;
	if (cg->version == 2 && cg_write(cg->ctl[0].dir, "cgroup.kill",
	    "1") == 0)
		return 0;
	/* v1, or v2 before 5.14: the processes cannot fork past pids.max */
	for (round = 0; round < 100; round++) {
		if (cg_read(cg->ctl[0].dir, "cgroup.procs", buf,
		    sizeof(buf)) == -1) {
			if (errno == ENOENT)
				return 0;
			sb_err(err, errlen, errno, "cgroup %s: procs",
			    cg->ctl[0].dir);
			return -1;
		}
		for (any = 0, p = buf; *p != '\0'; p = end) {
			pid = strtol(p, &end, 10);
			if (end == p)
				break;
			if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
				any = 1;
		}
		if (!any)
			return 0;
		{
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	sb_err(err, errlen, 0, "cgroup %s: processes survive SIGKILL",
	    cg->ctl[0].dir);
	return -1;
}

/* rmdir with retries: a cgroup stays busy briefly after its last exit. */
static int
rmdir_retry(const char *dir)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	int		 i;

	for (i = 0; i < SB_CGROUP_RMDIR_TRIES; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Remove the (empty) cgroup; the parent stays. */
int
cgroup_remove(struct cgroup *cg, char *err, size_t errlen)
{
	size_t	 i;
	int	 rc = 0;

	if (cg == NULL)
		return 0;
	for (i = 0; i < cg->nctl; i++)
		if (rmdir_retry(cg->ctl[i].dir) == -1) {
			sb_err(err, errlen, errno, "cgroup %s: rmdir",
			    cg->ctl[i].dir);
			rc = -1;
		}
	if (rc == 0)
		cg->nctl = 0;
	return rc;
}

void
cgroup_free(struct cgroup *cg)
{
	free(cg);
}

/* u<digits>.g<digits> */
static int
is_ours(const char *s)
{
	size_t	 n;

	if (strncmp(s, SB_CGROUP_PREFIX, strlen(SB_CGROUP_PREFIX)) != 0)
		return 0;
	s += strlen(SB_CGROUP_PREFIX);
	if ((n = strspn(s, "0123456789")) == 0 || strncmp(s + n, ".g", 2) != 0)
		return 0;
	s += n + 2;
	return (n = strspn(s, "0123456789")) > 0 && s[n] == '\0';
}

/*
 * Remove stale, empty student cgroups below parent in every hierarchy
 * (left by a crash or a killed launcher).  Live ones (EBUSY) stay, and so
 * do empty ones younger than SB_CGROUP_STALE_SEC: a concurrent launcher
 * has created them and is about to move its child in.
 */
int
cgroup_sweep(const char *parent, int *removed, char *err, size_t errlen)
{
	struct cgroup	*cg;
	struct dirent	*de;
	DIR		*d;
	char		 path[PATH_MAX];
	struct stat	 st;
	size_t		 i;

	*removed = 0;
	/* Resolve the parent directories without creating a child. */
	if ((cg = calloc(1, sizeof(*cg))) == NULL) {
		sb_err(err, errlen, errno, "cgroup sweep");
		return -1;
	}
	if (parent == NULL)
		parent = SB_CGROUP_PARENT;
	cg->version = cgroup_version();
	if (cg->version == 1) {
		enum ctl_kind kinds[] = { CTL_MEMORY, CTL_PIDS, CTL_CPU,
		    CTL_CPUACCT };
		char mnt[PATH_MAX], own[PATH_MAX];

		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			if (v1_mount(v1_names[kinds[i]], mnt, sizeof(mnt)) ==
			    -1 || own_cgroup(v1_names[kinds[i]], own,
			    sizeof(own)) == -1)
				continue;
			if (join_parent(cg->ctl[cg->nctl].parent, PATH_MAX,
			    mnt, own, parent) == 0)
				cg->nctl++;
		}
	} else if (cg->version == 2) {
		char own[PATH_MAX];

		if (parent[0] == '/' || v2_base(own, sizeof(own)) == 0) {
			if (join_parent(cg->ctl[0].parent, PATH_MAX, CG_ROOT,
			    parent[0] == '/' ? "" : own, parent) == 0)
				cg->nctl = 1;
		}
	}
	for (i = 0; i < cg->nctl; i++) {
		if ((d = opendir(cg->ctl[i].parent)) == NULL)
			continue;	/* never created */
		while ((de = readdir(d)) != NULL) {
			if (de->d_type != DT_DIR || !is_ours(de->d_name))
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s",
			    cg->ctl[i].parent, de->d_name) >= sizeof(path))
				continue;
			/* young and empty: another launcher's, not attached yet */
			if (stat(path, &st) == -1 ||
			    time(NULL) - st.st_mtime < SB_CGROUP_STALE_SEC)
				continue;
			if (rmdir(path) == 0)
				(*removed)++;
		}
		closedir(d);
	}
	cgroup_free(cg);
	return 0;
}
