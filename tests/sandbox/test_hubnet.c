/*
 * test_hubnet: load the seccomp table of hubd's network process
 * (SB_ROLE_HUBNET, through sb_seccomp_apply() as the spawner will) and show
 * that what it must deny is denied, while what a network daemon needs
 * (sockets, accept, poll, epoll, threads, fork, file I/O) still works.
 *
 * Every probe runs in its own child: set-up (private mount and uts
 * namespaces, so that nothing a probe does reaches the host), then the
 * filter, then the call; the child's exit status carries the errno (0 for
 * success, 200 + signal if it was killed).  Where the call is harmless, a
 * control child runs it without the filter and must not get the same
 * answer, so an EPERM is the filter's and not the kernel's.
 *
 * Built twice: test_hubnet as configured, and test_hubnet_debug with
 * SANDBOX_DEBUG (what --enable-sandbox-debug defines), where every denial
 * must trap (SIGSYS) instead.
 *
 * Root required (CI runs the sandbox tests as root): fails, not skips,
 * otherwise.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/netlink.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

#ifndef AF_ALG
#define AF_ALG		38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK	40
#endif
#define KILLED(sig)	(200 + (sig))
#ifdef SANDBOX_DEBUG
#define DENIED(e)	KILLED(SIGSYS)	/* the debug build traps */
#else
#define DENIED(e)	(e)
#endif

static char	 tmpdir[] = "/tmp/hubd-hubnet.XXXXXX";
static int	 ntest, nfail;

static int
err(long rc)
{
	return rc == -1 ? errno : 0;
}

/* ---- must be denied ---- */

static int p_ptrace(void) { return err(ptrace(PTRACE_TRACEME, 0, 0, 0)); }
static int p_mount(void)
{
	return err(mount("none", tmpdir, "tmpfs", 0, NULL));
}
static int p_unshare(void) { return err(unshare(CLONE_NEWUTS)); }
static int p_unshare_user(void) { return err(unshare(CLONE_NEWUSER)); }
static int p_setns(void)
{
	int	 fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);

	return fd == -1 ? 99 : err(setns(fd, 0));
}
static int p_clone_ns(void)
{
	long	 pid = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL,
		    NULL, NULL);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return err(pid);
}
static int p_clone3(void) { return err(syscall(SYS_clone3, NULL, 0)); }
static int p_bpf(void) { return err(syscall(SYS_bpf, 5, NULL, 0)); }
static int p_perf(void)
{
	return err(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
}
static int p_uffd(void) { return err(syscall(SYS_userfaultfd, 0)); }
static int p_io_uring(void)
{
	return err(syscall(SYS_io_uring_setup, 1, NULL));
}
static int p_keyctl(void)
{
	return err(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0));
}
static int p_kexec(void)
{
	return err(syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
}
static int p_init_module(void)
{
	return err(syscall(SYS_init_module, NULL, 0, ""));
}
static int p_reboot(void)
{
	return err(syscall(SYS_reboot, 0, 0, 0, NULL));	/* bad magic */
}
static int p_vm_readv(void)
{
	char		 a[8] = "x", b[8];
	struct iovec	 l = { b, sizeof(b) }, r = { a, sizeof(a) };

	return err(process_vm_readv(getpid(), &l, 1, &r, 1, 0));
}
static int p_open_by_handle(void)
{
	return err(syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0));
}
static int p_personality(void)
{
	return err(syscall(SYS_personality, PER_BSD));
}
static int p_tiocsti(void)
{
	char	 c = 'x';

	return err(ioctl(0, TIOCSTI, &c));
}
static int sock(int fam, int type)
{
	int	 fd = socket(fam, type, 0);

	if (fd == -1)
		return errno;
	close(fd);
	return 0;
}
static int p_packet(void) { return sock(AF_PACKET, SOCK_RAW); }
static int p_alg(void) { return sock(AF_ALG, SOCK_SEQPACKET); }
static int p_vsock(void) { return sock(AF_VSOCK, SOCK_STREAM); }
static int p_key(void) { return sock(AF_KEY, SOCK_RAW); }
static int p_bluetooth(void) { return sock(AF_BLUETOOTH, SOCK_RAW); }
static int p_x32(void)
{
	return err(syscall(0x40000000L | SYS_getpid));
}
static int p_i386(void)
{
	long	 rc;

	/* int 0x80 with eax 20 (i386 getpid) */
	__asm__ volatile ("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
	return rc < 0 ? (int)-rc : 0;
}
/* hubnet only: no exec, no id changes, no ownership games */
static int p_execve(void)
{
	char	*argv[] = { (char *)"true", NULL };
	char	*envp[] = { NULL };

	execve("/bin/true", argv, envp);	/* success: true exits 0 */
	return errno;
}
static int p_setuid(void) { return err(setuid(65534)); }
static int p_setresgid(void) { return err(setresgid(65534, 65534, 65534)); }
static int p_setgroups(void) { return err(setgroups(0, NULL)); }
static int p_capset(void)
{
	unsigned int	 hdr[2] = { 0x20080522, 0 }, data[6] = { 0 };

	return err(syscall(SYS_capset, hdr, data));
}
static int p_chown(void)
{
	char	 path[64];

	snprintf(path, sizeof(path), "%s/f", tmpdir);
	return err(chown(path, 65534, 65534));
}
static int p_mknod(void)
{
	char	 path[64];

	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	return err(mknod(path, S_IFIFO | 0600, 0));
}
static int p_sethostname(void) { return err(sethostname("x", 1)); }

/* ---- must work ---- */

static int
p_tcp(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct pollfd		 pfd;
	char			 buf[4];
	int			 l, c, a, rc = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l, 4) == -1 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == -1 ||
	    (c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return errno;
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS)
		return errno;
	pfd.fd = l;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1)
		return ETIMEDOUT;
	if ((a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return errno;
	pfd.fd = c;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 5000) != 1 || write(c, "hi", 2) != 2 ||
	    read(a, buf, 2) != 2 || memcmp(buf, "hi", 2) != 0)
		rc = EIO;
	close(a);
	close(c);
	close(l);
	return rc;
}
static int p_inet6(void) { return sock(AF_INET6, SOCK_STREAM); }
static int p_netlink(void)
{
	int	 fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);

	if (fd == -1)
		return errno;
	close(fd);
	return 0;
}
static int
p_unix_rights(void)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	} u;
	char		 c = 'x';
	int		 sv[2], fd = 1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		return errno;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sv[0], &msg, 0) != 1 || recvmsg(sv[1], &msg, 0) != 1)
		return errno;
	return 0;
}
static int
p_epoll(void)
{
	struct epoll_event	 ev = { .events = EPOLLIN };
	uint64_t		 one = 1;
	int			 ep, efd;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (efd = eventfd(0, EFD_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == -1 ||
	    write(efd, &one, sizeof(one)) != sizeof(one))
		return errno;
	return epoll_wait(ep, &ev, 1, 5000) == 1 ? 0 : EIO;
}
static void *
thread_main(void *arg)
{
	*(int *)arg = 7;
	return NULL;
}
static int
p_threads(void)
{
	pthread_t	 t[4];
	int		 v[4] = { 0 }, i, rc;

	for (i = 0; i < 4; i++)
		if ((rc = pthread_create(&t[i], NULL, thread_main, &v[i])) != 0)
			return rc;
	for (i = 0; i < 4; i++)
		if (pthread_join(t[i], NULL) != 0 || v[i] != 7)
			return EIO;
	return 0;
}
static int
p_fork(void)
{
	pid_t	 pid;
	int	 st;

	if ((pid = fork()) == -1)
		return errno;
	if (pid == 0)
		_exit(3);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 3)
		return EIO;
	return 0;
}
static int
p_files(void)
{
	char	 a[64], b[64], buf[8];
	int	 fd;

	snprintf(a, sizeof(a), "%s/a%d", tmpdir, getpid());
	snprintf(b, sizeof(b), "%s/b%d", tmpdir, getpid());
	if ((fd = open(a, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1 || write(fd, "data", 4) != 4 || fsync(fd) == -1 ||
	    pread(fd, buf, 4, 0) != 4 || close(fd) == -1 ||
	    rename(a, b) == -1 || unlink(b) == -1)
		return errno;
	return memcmp(buf, "data", 4) == 0 ? 0 : EIO;
}
static int
p_misc(void)
{
	char		 r[16];
	void		*p;
	struct timespec	 ts;

	if (getrandom(r, sizeof(r), 0) != sizeof(r) ||
	    clock_gettime(CLOCK_MONOTONIC, &ts) == -1 ||
	    (p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0)) == MAP_FAILED || munmap(p, 65536) == -1 ||
	    syscall(SYS_personality, 0xffffffffUL) == -1 ||
	    prctl(PR_SET_NAME, "hubnet", 0, 0, 0) == -1)
		return errno;
	return 0;
}

/* ---- driver ---- */

struct probe {
	const char	*desc;
	int		(*fn)(void);
	int		 want;		/* under the filter */
	int		 control;	/* also run unfiltered: answer differs */
};

static const struct probe probes[] = {
	{ "ptrace(TRACEME): EPERM", p_ptrace, DENIED(EPERM), 1 },
	{ "mount tmpfs: EPERM", p_mount, DENIED(EPERM), 1 },
	{ "unshare(NEWUTS): EPERM", p_unshare, DENIED(EPERM), 1 },
	{ "unshare(NEWUSER): EPERM", p_unshare_user, DENIED(EPERM), 1 },
	{ "setns(uts): EPERM", p_setns, DENIED(EPERM), 1 },
	{ "clone(NEWNET): EPERM", p_clone_ns, DENIED(EPERM), 1 },
	{ "clone3: ENOSYS (in every build)", p_clone3, ENOSYS, 1 },
	{ "bpf: EPERM", p_bpf, DENIED(EPERM), 1 },
	{ "perf_event_open: EPERM", p_perf, DENIED(EPERM), 1 },
	{ "userfaultfd: EPERM", p_uffd, DENIED(EPERM), 1 },
	{ "io_uring_setup: EPERM", p_io_uring, DENIED(EPERM), 1 },
	{ "keyctl: EPERM", p_keyctl, DENIED(EPERM), 1 },
	{ "kexec_load: EPERM", p_kexec, DENIED(EPERM), 0 },
	{ "init_module: EPERM", p_init_module, DENIED(EPERM), 0 },
	{ "reboot: EPERM", p_reboot, DENIED(EPERM), 0 },
	{ "process_vm_readv: EPERM", p_vm_readv, DENIED(EPERM), 1 },
	{ "open_by_handle_at: EPERM", p_open_by_handle, DENIED(EPERM), 1 },
	{ "personality(PER_BSD): EPERM", p_personality, DENIED(EPERM), 1 },
	{ "ioctl(TIOCSTI): EPERM", p_tiocsti, DENIED(EPERM), 0 },
	{ "socket(AF_PACKET): EAFNOSUPPORT", p_packet, DENIED(EAFNOSUPPORT),
	  1 },
	{ "socket(AF_ALG): EAFNOSUPPORT", p_alg, DENIED(EAFNOSUPPORT), 0 },
	{ "socket(AF_VSOCK): EAFNOSUPPORT", p_vsock, DENIED(EAFNOSUPPORT), 0 },
	{ "socket(AF_KEY): EAFNOSUPPORT", p_key, DENIED(EAFNOSUPPORT), 0 },
	{ "socket(AF_BLUETOOTH): EAFNOSUPPORT", p_bluetooth,
	  DENIED(EAFNOSUPPORT), 0 },
	{ "x32 system call: killed by SIGSYS", p_x32, KILLED(SIGSYS), 0 },
	{ "i386 int 0x80: killed by SIGSYS", p_i386, KILLED(SIGSYS), 0 },
	{ "execve: EPERM", p_execve, DENIED(EPERM), 1 },
	{ "setuid: EPERM", p_setuid, DENIED(EPERM), 1 },
	{ "setresgid: EPERM", p_setresgid, DENIED(EPERM), 1 },
	{ "setgroups: EPERM", p_setgroups, DENIED(EPERM), 1 },
	{ "capset: EPERM", p_capset, DENIED(EPERM), 1 },
	{ "chown: EPERM", p_chown, DENIED(EPERM), 1 },
	{ "mknod: EPERM", p_mknod, DENIED(EPERM), 1 },
	{ "sethostname: EPERM", p_sethostname, DENIED(EPERM), 1 },
	{ "TCP on loopback: socket, bind, listen, connect, poll, accept4",
	  p_tcp, 0, 0 },
	{ "socket(AF_INET6) works", p_inet6, 0, 0 },
	{ "socket(AF_NETLINK) works (getaddrinfo needs it)", p_netlink, 0, 0 },
	{ "unix socketpair with SCM_RIGHTS works", p_unix_rights, 0, 0 },
	{ "epoll and eventfd work", p_epoll, 0, 0 },
	{ "threads work (clone3 ENOSYS, glibc falls back)", p_threads, 0, 0 },
	{ "fork and waitpid work", p_fork, 0, 0 },
	{ "file I/O works (open, write, fsync, pread, rename, unlink)",
	  p_files, 0, 0 },
	{ "getrandom, mmap, personality query, prctl work", p_misc, 0, 0 },
};

/* Run fn in a child, filtered or not; its answer as described above. */
static int
run(const struct probe *p, int filtered)
{
	char	 e[SB_ERRLEN];
	pid_t	 pid;
	int	 st, rc;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		alarm(20);
		if (unshare(CLONE_NEWNS | CLONE_NEWUTS) == -1 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
			_exit(98);
		if (filtered && sb_seccomp_apply(SB_ROLE_HUBNET, e,
		    sizeof(e)) == -1) {
			fprintf(stderr, "test_hubnet: %s\n", e);
			_exit(97);
		}
		rc = p->fn();
		_exit(rc > 0 && rc < 200 ? rc : rc == 0 ? 0 : 199);
	}
	while ((rc = waitpid(pid, &st, 0)) == -1 && errno == EINTR)
		;
	if (rc == -1)
		return -1;
	if (WIFSIGNALED(st))
		return KILLED(WTERMSIG(st));
	return WEXITSTATUS(st);
}

static void
result(int ok, const char *desc, int got, const char *what)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%sok %d - %s%s\n", ok ? "" : "not ", ntest, what, desc);
	if (!ok)
		printf("# got %d (%s)\n", got, got > 0 && got < 200 ?
		    strerror(got) : got >= 200 ? strsignal(got - 200) : "ok");
}

int
main(void)
{
	char	 path[64];
	size_t	 i;
	int	 got, fd;

	if (geteuid() != 0) {
		printf("Bail out! test_hubnet must run as root (CI runs the "
		    "sandbox tests as root)\n");
		return 1;
	}
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		perror(path);
		return 1;
	}
	close(fd);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *p = &probes[i];

		got = run(p, 1);
		result(got == p->want, p->desc, got, "hubnet filter: ");
		if (p->control) {
			got = run(p, 0);
			result(got != p->want, p->desc, got,
			    "without the filter the answer differs: ");
		}
	}
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	(void)unlink(path);
	(void)rmdir(tmpdir);
	printf("1..%d\n", ntest);
	return nfail != 0;
}
