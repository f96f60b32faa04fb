/*
 * sb-escape: run inside a student sandbox by escape.py; tries every escape
 * of SANDBOX.md section 3 and prints one TAP line per attempt with the
 * errno or outcome it expects.  The numbers in the descriptions are the
 * ones of SANDBOX.md.
 *
 * Input, from the environment: SBT_HUB_PID, SBT_OTHER_PID (host pids),
 * SBT_HUB_PORT (a TCP port listening on the host's 127.0.0.1),
 * SBT_ABSTRACT (an abstract unix socket listening on the host),
 * SBT_OTHER_HOME, SBT_OTHER_SOCK, SBT_HUBDB (host paths), SBT_COURSE (the
 * course folder inside, read-only, world-writable on the host),
 * SBT_SETUID (a root 4755 copy of this program inside).
 *
 * "sb-escape --probe-setuid": exit 0 if we are not root and cannot become
 * root, 1 otherwise (run as the setuid copy).
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/sched.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG		38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK	40
#endif
#ifndef TIOCLINUX
#define TIOCLINUX	0x541C
#endif

static int	 ntest;
static int	 nfail;

static void
result(int pass, const char *desc, const char *got)
{
	ntest++;
	if (!pass)
		nfail++;
	printf("%sok %d - %s%s%s\n", pass ? "" : "not ", ntest, desc,
	    pass ? "" : " # got ", pass ? "" : got);
	fflush(stdout);
}

/* rc -1 with errno want (or want2 when nonzero). */
static void
expect_err2(const char *desc, long rc, int e, int want, int want2)
{
	char	 got[128];
	int	 pass;

	pass = rc == -1 && (e == want || (want2 != 0 && e == want2));
	if (rc == -1)
		snprintf(got, sizeof(got), "errno %d (%s)", e, strerror(e));
	else
		snprintf(got, sizeof(got), "success (%ld)", rc);
	result(pass, desc, got);
}

#define EXPECT(desc, call, want) do {					\
		long _rc;						\
		errno = 0;						\
		_rc = (long)(call);					\
		expect_err2(desc, _rc, errno, want, 0);			\
	} while (0)
#define EXPECT2(desc, call, want, want2) do {				\
		long _rc;						\
		errno = 0;						\
		_rc = (long)(call);					\
		expect_err2(desc, _rc, errno, want, want2);		\
	} while (0)

static void
expect_ok(const char *desc, int pass, const char *got)
{
	result(pass, desc, got);
}

static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	if (v == NULL) {
		fprintf(stderr, "sb-escape: %s not set\n", name);
		exit(2);
	}
	return v;
}

/* Run fn in a child; pass if it dies of SIGSYS. */
static void
expect_sigsys(const char *desc, void (*fn)(void))
{
	char	 got[64];
	pid_t	 pid;
	int	 st;

	if ((pid = fork()) == 0) {
		fn();
		_exit(0);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1) {
		result(0, desc, "fork/wait failed");
		return;
	}
	if (WIFSIGNALED(st))
		snprintf(got, sizeof(got), "signal %d", WTERMSIG(st));
	else
		snprintf(got, sizeof(got), "exit %d", WEXITSTATUS(st));
	result(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, desc, got);
}

static void
x32_getpid(void)
{
	syscall(0x40000000 | SYS_getpid);
}

static void
i386_getpid(void)
{
#if defined(__x86_64__)
	long	 ret = 20;	/* __NR_getpid on i386 */

	__asm__ volatile ("int $0x80" : "+a"(ret) : : "memory");
#endif
}

static void *
thread_fn(void *arg)
{
	return arg;
}

static int
open_errno(const char *path, int flags)
{
	int	 fd;

	if ((fd = open(path, flags | O_CLOEXEC, 0644)) == -1)
		return -1;
	close(fd);
	return 0;
}

static long
connect_unix(const char *path, int abstract)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd, rc, e;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (abstract) {
		strncpy(sun.sun_path + 1, path, sizeof(sun.sun_path) - 2);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(path));
	} else {
		strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
		len = sizeof(sun);
	}
	rc = connect(fd, (struct sockaddr *)&sun, len);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static long
connect_inet(const char *addr, int port)
{
	struct sockaddr_in	 sin;
	int			 fd, rc, e;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static long
sock_family(int af, int type)
{
	int	 fd;

	if ((fd = socket(af, type, 0)) == -1)
		return -1;
	close(fd);
	return 0;
}

/* 22: TIOCSTI on our controlling pty, in a new session; exit = errno. */
static void
tiocsti_child(void)
{
	char	 c = 'x', *name;
	int	 m, s;

	if (setsid() == -1)
		_exit(100);
	if ((m = posix_openpt(O_RDWR)) == -1 || grantpt(m) == -1 ||
	    unlockpt(m) == -1 || (name = ptsname(m)) == NULL)
		_exit(101);
	if ((s = open(name, O_RDWR)) == -1)	/* becomes the ctty */
		_exit(102);
	(void)ioctl(s, TIOCSCTTY, 0);
	if (ioctl(s, TIOCSTI, &c) == 0)
		_exit(0);
	_exit(errno);
}

static int
file_contains(const char *path, const char *needle)
{
	char	 buf[65536];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static int
count_lines(const char *path)
{
	FILE	*f;
	char	 line[512];
	int	 n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

static int
probe_setuid(void)
{
	if (geteuid() == 0 || getuid() == 0)
		return 1;
	if (setuid(0) == 0 || errno != EPERM)
		return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	char		 got[256], path[512];
	struct rlimit	 rl;
	struct iovec	 liov, riov;
	pthread_t	 th;
	struct dirent	*de;
	DIR		*d;
	pid_t		 hub, other, child;
	void		*p;
	char		 buf[64];
	int		 fd, st, n, port;

	if (argc == 2 && strcmp(argv[1], "--probe-setuid") == 0)
		return probe_setuid();
	hub = (pid_t)atol(env("SBT_HUB_PID"));
	other = (pid_t)atol(env("SBT_OTHER_PID"));
	port = atoi(env("SBT_HUB_PORT"));

	printf("# sb-escape as uid %lu pid %ld\n", (unsigned long)getuid(),
	    (long)getpid());
	/* mounts and namespaces */
	EXPECT("1 mount tmpfs on /tmp: EPERM",
	    mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
	EXPECT("2 umount2 /proc: EPERM", umount2("/proc", MNT_DETACH), EPERM);
	EXPECT("3 unshare(CLONE_NEWUSER): EPERM", unshare(CLONE_NEWUSER),
	    EPERM);
	EXPECT("4 unshare(CLONE_NEWNS): EPERM", unshare(CLONE_NEWNS), EPERM);
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	EXPECT("5 setns(own net ns): EPERM", setns(fd, 0), EPERM);
	if (fd != -1)
		close(fd);
	errno = 0;
	child = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		_exit(0);
	if (child > 0)
		waitpid(child, &st, 0);
	expect_err2("6 raw clone(CLONE_NEWUSER): EPERM", child == -1 ? -1 :
	    child, errno, EPERM, 0);
	{
		struct clone_args ca;

		memset(&ca, 0, sizeof(ca));
		ca.exit_signal = SIGCHLD;
		errno = 0;
		child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (child == 0)
			_exit(0);
		if (child > 0)
			waitpid(child, &st, 0);
		expect_err2("7 raw clone3: ENOSYS", child == -1 ? -1 : child,
		    errno, ENOSYS, 0);
	}
	n = pthread_create(&th, NULL, thread_fn, NULL);
	if (n == 0)
		pthread_join(th, NULL);
	snprintf(got, sizeof(got), "pthread_create %d", n);
	expect_ok("7 threads still start", n == 0, got);
	EXPECT("8 fsopen(tmpfs): ENOSYS", syscall(SYS_fsopen, "tmpfs", 0),
	    ENOSYS);
	EXPECT("8 open_tree(/): ENOSYS", syscall(SYS_open_tree, AT_FDCWD, "/",
	    1 /* OPEN_TREE_CLONE */), ENOSYS);
	EXPECT("9 pivot_root: EPERM", syscall(SYS_pivot_root, "/tmp", "/tmp"),
	    EPERM);
	EXPECT("9 chroot: EPERM", chroot("/tmp"), EPERM);

	/* keyrings */
	EXPECT("10 keyctl(GET_KEYRING_ID): EPERM", syscall(SYS_keyctl, 0,
	    -3 /* session */, 0), EPERM);
	EXPECT("10 add_key(user): EPERM", syscall(SYS_add_key, "user", "x",
	    "y", 1, -3), EPERM);

	/* cross-process access */
	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	EXPECT("11 PTRACE_ATTACH own child: EPERM", syscall(SYS_ptrace,
	    16 /* PTRACE_ATTACH */, child, 0, 0), EPERM);
	EXPECT("11 PTRACE_TRACEME: EPERM", syscall(SYS_ptrace, 0, 0, 0, 0),
	    EPERM);
	liov.iov_base = buf;
	liov.iov_len = sizeof(buf);
	riov.iov_base = buf;
	riov.iov_len = sizeof(buf);
	EXPECT("12 process_vm_readv own child: EPERM",
	    process_vm_readv(child, &liov, 1, &riov, 1, 0), EPERM);
	EXPECT("12 kcmp: EPERM", syscall(SYS_kcmp, getpid(), child,
	    0 /* KCMP_FILE */, 0, 0), EPERM);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);

	/* signals */
	EXPECT("13 kill(other student's host pid, 0): ESRCH", kill(other, 0),
	    ESRCH);
	EXPECT("14 kill(hub pid, 0): ESRCH", kill(hub, 0), ESRCH);
	errno = 0;
	n = kill(1, SIGKILL);
	usleep(200000);
	snprintf(got, sizeof(got), "kill rc %d, pid 1 alive %d", n,
	    kill(1, 0) == 0);
	expect_ok("15 kill(1, SIGKILL): ignored, pid 1 alive",
	    kill(1, 0) == 0, got);

	/* exploit primitives */
	EXPECT("16 bpf: EPERM", syscall(SYS_bpf, 0, NULL, 0), EPERM);
	EXPECT("16 perf_event_open: EPERM", syscall(SYS_perf_event_open,
	    NULL, 0, -1, -1, 0), EPERM);
	EXPECT("16 userfaultfd: EPERM", syscall(SYS_userfaultfd, 0), EPERM);
	{
		char params[120];

		memset(params, 0, sizeof(params));
		EXPECT("16 io_uring_setup: EPERM",
		    syscall(SYS_io_uring_setup, 1, params), EPERM);
	}
	EXPECT("17 open_by_handle_at: EPERM", syscall(SYS_open_by_handle_at,
	    AT_FDCWD, buf, 0), EPERM);
	EXPECT("17 name_to_handle_at: EPERM", syscall(SYS_name_to_handle_at,
	    AT_FDCWD, "/", buf, &n, 0), EPERM);

	/* host control */
	EXPECT("18 init_module: EPERM", syscall(SYS_init_module, NULL, 0, ""),
	    EPERM);
	EXPECT("18 finit_module: EPERM", syscall(SYS_finit_module, -1, "", 0),
	    EPERM);
	EXPECT("18 delete_module: EPERM", syscall(SYS_delete_module, "x", 0),
	    EPERM);
	EXPECT("18 kexec_load: EPERM", syscall(SYS_kexec_load, 0, 0, NULL, 0),
	    EPERM);
	EXPECT("18 kexec_file_load: EPERM", syscall(SYS_kexec_file_load, -1,
	    -1, 0, "", 0), EPERM);
	EXPECT("18 reboot(CAD_OFF): EPERM", syscall(SYS_reboot, 0xfee1dead,
	    672274793, 0 /* LINUX_REBOOT_CMD_CAD_OFF */, NULL), EPERM);
	EXPECT("18 swapon: EPERM", syscall(SYS_swapon, "/tmp", 0), EPERM);
	EXPECT("18 iopl(3): EPERM", syscall(SYS_iopl, 3), EPERM);
	{
		struct timeval tv;

		gettimeofday(&tv, NULL);
		EXPECT("18 settimeofday: EPERM", settimeofday(&tv, NULL),
		    EPERM);
	}
	EXPECT("18 syslog(SIZE_BUFFER): EPERM", syscall(SYS_syslog, 10, NULL,
	    0), EPERM);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	EXPECT("19 mbind: EPERM", syscall(SYS_mbind, p, 4096, 0 /* DEFAULT */,
	    NULL, 0, 0), EPERM);
	EXPECT("20 personality(PER_BSD): EPERM", personality(PER_BSD), EPERM);
	n = personality(0xffffffff);
	snprintf(got, sizeof(got), "%d", n);
	expect_ok("20 personality(0xffffffff) query allowed", n != -1, got);

	/* socket families */
	EXPECT("21 socket(AF_PACKET): EAFNOSUPPORT", sock_family(AF_PACKET,
	    SOCK_RAW), EAFNOSUPPORT);
	EXPECT("21 socket(AF_ALG): EAFNOSUPPORT", sock_family(AF_ALG,
	    SOCK_SEQPACKET), EAFNOSUPPORT);
	EXPECT("21 socket(AF_VSOCK): EAFNOSUPPORT", sock_family(AF_VSOCK,
	    SOCK_STREAM), EAFNOSUPPORT);
	EXPECT("21 socket(AF_BLUETOOTH): EAFNOSUPPORT",
	    sock_family(AF_BLUETOOTH, SOCK_STREAM), EAFNOSUPPORT);
	EXPECT("21 socket(AF_KEY): EAFNOSUPPORT", sock_family(AF_KEY,
	    SOCK_RAW), EAFNOSUPPORT);
	expect_ok("21 socket(AF_UNIX) allowed", sock_family(AF_UNIX,
	    SOCK_STREAM) == 0, strerror(errno));
	expect_ok("21 socket(AF_INET) allowed", sock_family(AF_INET,
	    SOCK_STREAM) == 0, strerror(errno));
	expect_ok("21 socket(AF_NETLINK) allowed", sock_family(AF_NETLINK,
	    SOCK_DGRAM) == 0, strerror(errno));

	/* terminals */
	if ((child = fork()) == 0)
		tiocsti_child();
	waitpid(child, &st, 0);
	snprintf(got, sizeof(got), "exit %d", WIFEXITED(st) ?
	    WEXITSTATUS(st) : -1);
	expect_ok("22 TIOCSTI on own controlling pty: EPERM",
	    WIFEXITED(st) && WEXITSTATUS(st) == EPERM, got);
	fd = posix_openpt(O_RDWR | O_NOCTTY);
	EXPECT("23 ioctl(fd, 0x100005412): EPERM", syscall(SYS_ioctl, fd,
	    0x100005412UL, buf), EPERM);
	buf[0] = 0;
	EXPECT("24 ioctl(TIOCLINUX): EPERM", ioctl(fd, TIOCLINUX, buf),
	    EPERM);
	if (fd != -1)
		close(fd);

	/* foreign system call entry points */
	expect_sigsys("25 x32 syscall(0x40000000|getpid): SIGSYS", x32_getpid);
	expect_sigsys("25 i386 int 0x80 getpid: SIGSYS", i386_getpid);

	/* identity and limits */
	EXPECT("26 setuid(0): EPERM", setuid(0), EPERM);
	{
		gid_t g = 0;

		EXPECT("26 setgroups([0]): EPERM", setgroups(1, &g), EPERM);
	}
	if ((child = fork()) == 0) {
		execl(env("SBT_SETUID"), env("SBT_SETUID"), "--probe-setuid",
		    (char *)NULL);
		_exit(3);
	}
	waitpid(child, &st, 0);
	snprintf(got, sizeof(got), "exit %d", WIFEXITED(st) ?
	    WEXITSTATUS(st) : -1);
	expect_ok("27 setuid-root binary: euid stays the student",
	    WIFEXITED(st) && WEXITSTATUS(st) == 0, got);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max = rl.rlim_max + 1;
	EXPECT("28 setrlimit(NOFILE) above hard: EPERM",
	    setrlimit(RLIMIT_NOFILE, &rl), EPERM);
	getrlimit(RLIMIT_NPROC, &rl);
	rl.rlim_cur = rl.rlim_max = rl.rlim_max + 1;
	EXPECT("28 setrlimit(NPROC) above hard: EPERM",
	    setrlimit(RLIMIT_NPROC, &rl), EPERM);
	rl.rlim_cur = rl.rlim_max = 1024 * 1024;
	EXPECT("28 setrlimit(CORE) above hard 0: EPERM",
	    setrlimit(RLIMIT_CORE, &rl), EPERM);
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	EXPECT("29 mlock(1 MiB): ENOMEM", mlock(p, 1 << 20), ENOMEM);
	EXPECT("30 sethostname: EPERM", sethostname("x", 1), EPERM);
	EXPECT("31 mknod c 1 1: EPERM", mknod("/tmp/sbt-mem", S_IFCHR | 0666,
	    makedev(1, 1)), EPERM);
	fd = open("/tmp/sbt-file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd != -1)
		close(fd);
	EXPECT("32 chown(f, 0, 0): EPERM", chown("/tmp/sbt-file", 0, 0),
	    EPERM);

	/* file system */
	EXPECT("33 create /usr/bin/x: EROFS", open_errno("/usr/bin/x",
	    O_WRONLY | O_CREAT), EROFS);
	EXPECT("33 create /pwn: EROFS", open_errno("/pwn", O_WRONLY | O_CREAT),
	    EROFS);
	EXPECT("33 write /etc/passwd: EACCES", open_errno("/etc/passwd",
	    O_WRONLY), EACCES);
	snprintf(path, sizeof(path), "%s/new", env("SBT_COURSE"));
	EXPECT("34 create in course folder (0777 on host): EROFS",
	    open_errno(path, O_WRONLY | O_CREAT), EROFS);
	snprintf(path, sizeof(path), "%s/notes.txt", env("SBT_COURSE"));
	EXPECT("34 write course file (0666 on host): EROFS",
	    open_errno(path, O_WRONLY), EROFS);
	EXPECT("35 read /etc/shadow: ENOENT", open_errno("/etc/shadow",
	    O_RDONLY), ENOENT);
	EXPECT("35 read hub database by host path: ENOENT",
	    open_errno(env("SBT_HUBDB"), O_RDONLY), ENOENT);
	EXPECT("36 other student's home by host path: ENOENT",
	    open_errno(env("SBT_OTHER_HOME"), O_RDONLY), ENOENT);
	n = 0;
	if ((d = opendir("/home")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
	}
	snprintf(got, sizeof(got), "%d entries", n);
	expect_ok("36 /home holds only our own home", n == 1, got);
	EXPECT2("37 write /proc/sys/kernel/hostname: EROFS/EACCES",
	    open_errno("/proc/sys/kernel/hostname", O_WRONLY), EROFS, EACCES);
	/* ENOENT where the kernel has no magic SysRq */
	errno = 0;
	n = open_errno("/proc/sysrq-trigger", O_WRONLY);
	if (n == -1 && errno == ENOENT)
		expect_ok("37 write /proc/sysrq-trigger: absent (ENOENT)", 1,
		    "");
	else
		expect_err2("37 write /proc/sysrq-trigger: EROFS/EACCES", n,
		    errno, EROFS, EACCES);
	EXPECT("38 /dev/mem: ENOENT", open_errno("/dev/mem", O_RDONLY),
	    ENOENT);
	EXPECT("38 /dev/kmsg: ENOENT", open_errno("/dev/kmsg", O_RDONLY),
	    ENOENT);
	EXPECT("38 /dev/sda: ENOENT", open_errno("/dev/sda", O_RDONLY),
	    ENOENT);
	EXPECT("39 /sys/fs/cgroup: ENOENT", open_errno("/sys/fs/cgroup",
	    O_RDONLY), ENOENT);
	n = file_contains("/proc/self/mountinfo", env("SBT_HUBDB"));
	st = file_contains("/proc/self/mountinfo", env("SBT_OTHER_HOME"));
	snprintf(got, sizeof(got), "hubdb %d other home %d", n, st);
	expect_ok("40 mountinfo shows no hub state or other home",
	    n == 0 && st == 0, got);
	n = 0;
	if ((d = opendir("/proc")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
				n++;
		closedir(d);
	}
	snprintf(got, sizeof(got), "%d processes", n);
	expect_ok("41 /proc lists only the sandbox (pid 1 and us)",
	    n >= 2 && n <= 3, got);
	EXPECT("42 other student's socket by host path: ENOENT",
	    connect_unix(env("SBT_OTHER_SOCK"), 0), ENOENT);
	EXPECT("43 connect 127.0.0.1:<hub port>: ECONNREFUSED",
	    connect_inet("127.0.0.1", port), ECONNREFUSED);
	EXPECT("44 host abstract socket: ECONNREFUSED",
	    connect_unix(env("SBT_ABSTRACT"), 1), ECONNREFUSED);
	EXPECT("45 connect 1.1.1.1:443: ENETUNREACH",
	    connect_inet("1.1.1.1", 443), ENETUNREACH);
	EXPECT("45 connect 169.254.169.254:80: ENETUNREACH",
	    connect_inet("169.254.169.254", 80), ENETUNREACH);
	n = count_lines("/proc/sysvipc/shm");
	snprintf(got, sizeof(got), "%d lines", n);
	expect_ok("46 /proc/sysvipc/shm: no host segment", n == 1, got);
	EXPECT("57 sandbox staging dir invisible: ENOENT",
	    open_errno("/run/hubd-sandbox", O_RDONLY), ENOENT);
	EXPECT("57 hub state dir invisible: ENOENT",
	    open_errno("/var/lib/hubd", O_RDONLY), ENOENT);

	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
