/*
 * seccomp.c: the system call filters, one table per role.
 *
 * Policy (SANDBOX.md section 2): a deny list with default ALLOW, native
 * architecture only (foreign ABIs, i386 int 0x80 and x32, kill the
 * process), EPERM for the groups below, ENOSYS for clone3 and the new mount
 * API so that glibc falls back, EAFNOSUPPORT for socket families other than
 * unix, inet, inet6 and netlink.  The filter is compiled in the parent with
 * libseccomp and exported as BPF, so that the child installs it with one
 * system call and no allocation.
 *
 * With --enable-sandbox-debug, every EPERM and EAFNOSUPPORT rule traps
 * (SIGSYS) instead of
 * returning an error, and the filter is loaded with SECCOMP_FILTER_FLAG_LOG
 * so that the kernel logs each trap (audit type 1326: pid, uid, comm,
 * syscall number).
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

#ifdef SANDBOX_DEBUG
#define SB_SECCOMP_LOAD_FLAGS	SECCOMP_FILTER_FLAG_LOG
#else
#define SB_SECCOMP_LOAD_FLAGS	0
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

enum arg_kind {
	ARG_NONE,
	ARG_MASKED_EQ,		/* A<n> & mask == value */
	ARG_NE,			/* A<n> != value */
	ARG_EQ,			/* A<n> == value */
	ARG_GT			/* A<n> > value */
};

struct rule {
	const char	*name;
	int		 err;		/* errno returned */
	enum arg_kind	 kind;
	unsigned int	 arg;
	uint64_t	 mask;
	uint64_t	 value;
};

#define DENY(n)		{ n, EPERM, ARG_NONE, 0, 0, 0 }
#define NOSYS(n)	{ n, ENOSYS, ARG_NONE, 0, 0, 0 }
#define CLONEFLAG(f)	{ "clone", EPERM, ARG_MASKED_EQ, 0, f, f }
#define IOCTL(cmd)	{ "ioctl", EPERM, ARG_MASKED_EQ, 1, 0xffffffffU, cmd }
#define FAMILY(af)	{ "socket", EAFNOSUPPORT, ARG_EQ, 0, 0, af }

/* Shared by every role. */
static const struct rule common_rules[] = {
	/* fixed view of the file system; a user ns would grant SYS_ADMIN */
	DENY("mount"), DENY("umount2"), DENY("pivot_root"), DENY("chroot"),
	/* new mount API: ENOSYS so callers fall back, then meet EPERM */
	NOSYS("fsopen"), NOSYS("fsconfig"), NOSYS("fsmount"),
	NOSYS("fspick"), NOSYS("open_tree"), NOSYS("move_mount"),
	NOSYS("mount_setattr"),
	/* no nested namespaces */
	DENY("unshare"), DENY("setns"),
	CLONEFLAG(CLONE_NEWNS), CLONEFLAG(CLONE_NEWUTS),
	CLONEFLAG(CLONE_NEWIPC), CLONEFLAG(CLONE_NEWUSER),
	CLONEFLAG(CLONE_NEWPID), CLONEFLAG(CLONE_NEWNET),
	CLONEFLAG(CLONE_NEWCGROUP), CLONEFLAG(CLONE_NEWTIME),
	/* flags behind a pointer; ENOSYS makes glibc use clone */
	NOSYS("clone3"),
	/* keyrings are not namespaced */
	DENY("add_key"), DENY("keyctl"), DENY("request_key"),
	/* cross-process access */
	DENY("ptrace"), DENY("process_vm_readv"), DENY("process_vm_writev"),
	DENY("kcmp"), DENY("pidfd_getfd"), DENY("process_madvise"),
	/* host leaks, exploit primitives */
	DENY("perf_event_open"), DENY("lookup_dcookie"), DENY("bpf"),
	DENY("userfaultfd"),
	DENY("io_uring_setup"), DENY("io_uring_enter"),
	DENY("io_uring_register"),
	DENY("open_by_handle_at"), DENY("name_to_handle_at"),
	/* host control */
	DENY("kexec_load"), DENY("kexec_file_load"), DENY("init_module"),
	DENY("finit_module"), DENY("delete_module"), DENY("reboot"),
	DENY("swapon"), DENY("swapoff"), DENY("acct"), DENY("quotactl"),
	DENY("quotactl_fd"), DENY("nfsservctl"), DENY("syslog"),
	/* legacy, raw I/O */
	DENY("iopl"), DENY("ioperm"), DENY("modify_ldt"), DENY("vm86"),
	DENY("vm86old"), DENY("uselib"), DENY("ustat"), DENY("sysfs"),
	DENY("vhangup"), DENY("_sysctl"),
	/* time is not namespaced */
	DENY("settimeofday"), DENY("clock_settime"), DENY("clock_adjtime"),
	DENY("adjtimex"), DENY("stime"),
	/* NUMA */
	DENY("mbind"), DENY("set_mempolicy"), DENY("migrate_pages"),
	DENY("move_pages"), DENY("fanotify_init"),
	/* personality: query only */
	{ "personality", EPERM, ARG_NE, 0, 0, 0xffffffffU },
	/* terminal injection: the kernel truncates the command to 32 bits */
	IOCTL(TIOCSTI), IOCTL(TIOCLINUX),
	/* socket families other than unix, inet, inet6, netlink */
	FAMILY(3), FAMILY(4), FAMILY(5), FAMILY(6), FAMILY(7), FAMILY(8),
	FAMILY(9), FAMILY(11), FAMILY(12), FAMILY(13), FAMILY(14),
	FAMILY(15),
	{ "socket", EAFNOSUPPORT, ARG_GT, 0, 0, 16 },
};

/* hubd's network process: never executes anything, never changes ids. */
static const struct rule hubnet_rules[] = {
	DENY("execve"), DENY("execveat"),
	DENY("setuid"), DENY("setgid"), DENY("setreuid"), DENY("setregid"),
	DENY("setresuid"), DENY("setresgid"), DENY("setgroups"),
	DENY("setfsuid"), DENY("setfsgid"), DENY("capset"),
	DENY("chown"), DENY("fchown"), DENY("lchown"), DENY("fchownat"),
	DENY("mknod"), DENY("mknodat"), DENY("sethostname"),
	DENY("setdomainname"),
};

static int
add_rule(scmp_filter_ctx ctx, const struct rule *r, char *err,
    size_t errlen)
{
	struct scmp_arg_cmp	 cmp;
	uint32_t		 action;
	int			 nr, rc;

	nr = seccomp_syscall_resolve_name(r->name);
	/* __NR_SCMP_ERROR, or a pseudo number: not on this architecture */
	if (nr < 0)
		return 0;
	action = SCMP_ACT_ERRNO((uint32_t)r->err);
#ifdef SANDBOX_DEBUG
	/*
	 * ENOSYS rules are not denials but "use the old call" (glibc's
	 * pthread_create tries clone3 first): trapping them would kill every
	 * threaded program.  The calls they fall back to trap.
	 */
	if (r->err != ENOSYS)
		action = SCMP_ACT_TRAP;
#endif
	memset(&cmp, 0, sizeof(cmp));
	cmp.arg = r->arg;
	switch (r->kind) {
	case ARG_NONE:
		rc = seccomp_rule_add_exact(ctx, action, nr, 0);
		break;
	case ARG_MASKED_EQ:
		cmp.op = SCMP_CMP_MASKED_EQ;
		cmp.datum_a = r->mask;
		cmp.datum_b = r->value;
		rc = seccomp_rule_add_exact_array(ctx, action, nr, 1, &cmp);
		break;
	case ARG_NE:
		cmp.op = SCMP_CMP_NE;
		cmp.datum_a = r->value;
		rc = seccomp_rule_add_exact_array(ctx, action, nr, 1, &cmp);
		break;
	case ARG_EQ:
		cmp.op = SCMP_CMP_EQ;
		cmp.datum_a = r->value;
		rc = seccomp_rule_add_exact_array(ctx, action, nr, 1, &cmp);
		break;
	case ARG_GT:
		cmp.op = SCMP_CMP_GT;
		cmp.datum_a = r->value;
		rc = seccomp_rule_add_exact_array(ctx, action, nr, 1, &cmp);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc < 0) {
		sb_err(err, errlen, -rc, "seccomp rule for %s", r->name);
		return -1;
	}
	return 0;
}

static int
add_table(scmp_filter_ctx ctx, const struct rule *t, size_t n, char *err,
    size_t errlen)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (add_rule(ctx, &t[i], err, errlen) == -1)
			return -1;
	return 0;
}

static scmp_filter_ctx
build(enum sb_role role, char *err, size_t errlen)
{
	scmp_filter_ctx	 ctx;
	int		 rc;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		sb_err(err, errlen, ENOMEM, "seccomp_init");
		return NULL;
	}
	/* Foreign ABIs (i386, x32) kill the whole process. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0) {
		sb_err(err, errlen, -rc, "seccomp bad-arch action");
		goto fail;
	}
	/* We set NO_NEW_PRIVS ourselves, earlier, and check it. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0) {
		sb_err(err, errlen, -rc, "seccomp nnp attribute");
		goto fail;
	}
	/* Logging (debug build) is a load flag: see sb_seccomp_load(). */
	if (add_table(ctx, common_rules,
	    sizeof(common_rules) / sizeof(common_rules[0]), err, errlen) == -1)
		goto fail;
	switch (role) {
	case SB_ROLE_STUDENT:
		break;
	case SB_ROLE_HUBNET:
		if (add_table(ctx, hubnet_rules,
		    sizeof(hubnet_rules) / sizeof(hubnet_rules[0]), err,
		    errlen) == -1)
			goto fail;
		break;
	default:
		sb_err(err, errlen, 0, "seccomp: unknown role %d", (int)role);
		goto fail;
	}
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

/* Compile the filter of a role to BPF; free with sb_seccomp_free(). */
int
sb_seccomp_compile(enum sb_role role, struct sb_filter *f, char *err,
    size_t errlen)
{
	scmp_filter_ctx	 ctx;
	off_t		 size;
	void		*buf = NULL;
	int		 fd = -1, rc;

	f->prog = NULL;
	f->len = 0;
	if ((ctx = build(role, err, errlen)) == NULL)
		return -1;
	if ((fd = memfd_create("hubd-seccomp", MFD_CLOEXEC)) == -1) {
		sb_err(err, errlen, errno, "memfd_create");
		goto fail;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0) {
		sb_err(err, errlen, -rc, "seccomp_export_bpf");
		goto fail;
	}
	if ((size = lseek(fd, 0, SEEK_END)) == -1) {
		sb_err(err, errlen, errno, "seccomp: lseek");
		goto fail;
	}
	if (size == 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		sb_err(err, errlen, 0, "seccomp: bad program size %lld",
		    (long long)size);
		goto fail;
	}
	if ((buf = malloc((size_t)size)) == NULL) {
		sb_err(err, errlen, errno, "seccomp");
		goto fail;
	}
	if (pread(fd, buf, (size_t)size, 0) != (ssize_t)size) {
		sb_err(err, errlen, errno, "seccomp: short read of program");
		goto fail;
	}
	close(fd);
	seccomp_release(ctx);
	f->prog = buf;
	f->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
fail:
	free(buf);
	if (fd != -1)
		close(fd);
	seccomp_release(ctx);
	return -1;
}

/*
 * Install a compiled filter.  NO_NEW_PRIVS must already be set.  Safe
 * between fork and exec: one system call.  Returns 0 or -1 with errno.
 */
int
sb_seccomp_load(const struct sb_filter *f)
{
	struct sock_fprog	 prog;

	prog.len = f->len;
	prog.filter = f->prog;
	/*
	 * The exported program does not carry libseccomp's CTL_LOG
	 * attribute: ask the kernel to log the debug build's traps here
	 * (audit type 1326, in the kernel log or auditd's).
	 */
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SB_SECCOMP_LOAD_FLAGS, &prog);
}

/* Compile and install in the calling thread (e.g. hubd's network side). */
int
sb_seccomp_apply(enum sb_role role, char *err, size_t errlen)
{
	struct sb_filter	 f;

	if (sb_seccomp_compile(role, &f, err, errlen) == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		sb_err(err, errlen, errno, "PR_SET_NO_NEW_PRIVS");
		goto fail;
	}
	if (sb_seccomp_load(&f) == -1) {
		sb_err(err, errlen, errno, "seccomp load");
		goto fail;
	}
	sb_seccomp_free(&f);
	return 0;
fail:
	sb_seccomp_free(&f);
	return -1;
}

void
sb_seccomp_free(struct sb_filter *f)
{
	if (f == NULL)
		return;
	free(f->prog);
	f->prog = NULL;
	f->len = 0;
}
