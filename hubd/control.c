/*
 * The control socket: how hubctl (root, on the same machine) asks the
 * running hubd to start or stop a student's server.  A unix socket in
 * data_dir, made while hubd is still root, mode 0600: only root reaches it.
 * One line in, one line out: "server start NAME" -> "ok queued".
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hubd.h"

#define CONTROL_LINE_MAX	128
#define CONTROL_TIMEOUT_MS	5000

static int	 ctl_fd = -1;
static pthread_t ctl_thread;
static int	 ctl_running;

int
control_path(const struct config *cf, char *buf, size_t size)
{
	struct sockaddr_un sun;

	if ((size_t)snprintf(buf, size, "%s/%s", cf->data_dir,
	    CONTROL_SOCKET) >= size || strlen(buf) >= sizeof(sun.sun_path))
		return -1;
	return 0;
}

int
control_listen(const struct config *cf, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	mode_t	 old;
	int	 r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (control_path(cf, sun.sun_path, sizeof(sun.sun_path)) == -1) {
		snprintf(err, errsize, "data_dir %s is too long for a socket "
		    "path", cf->data_dir);
		return -1;
	}
	(void)unlink(sun.sun_path);
	if ((ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errsize, "control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(077);
	r = bind(ctl_fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1 || listen(ctl_fd, 16) == -1) {
		snprintf(err, errsize, "control socket %s: %s", sun.sun_path,
		    strerror(errno));
		close(ctl_fd);
		ctl_fd = -1;
		return -1;
	}
	return 0;
}

static void
reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reply(int fd, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

static void
serve(int fd)
{
	char	 line[CONTROL_LINE_MAX + 1], verb[16], name[USERNAME_MAX + 2];
	char	 err[256], extra;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct store *st;
	struct user u;
	size_t	 got = 0;
	ssize_t	 n;
	int	 r, found;

	while (got < CONTROL_LINE_MAX && memchr(line, '\n', got) == NULL) {
		if (poll(&p, 1, CONTROL_TIMEOUT_MS) != 1 ||
		    (n = recv(fd, line + got, CONTROL_LINE_MAX - got, 0)) <= 0)
			return;
		got += (size_t)n;
	}
	line[got] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (sscanf(line, "server %15s %33s %c", verb, name, &extra) != 2 ||
	    (strcmp(verb, "start") != 0 && strcmp(verb, "stop") != 0)) {
		reply(fd, "error unknown request (server start|stop NAME)");
		return;
	}
	if (!username_valid(name)) {
		reply(fd, "error '%s' is not a valid user name", name);
		return;
	}
	st = pool_get();
	found = store_user_get(st, name, &u);
	pool_put(st);
	if (found != 0) {
		reply(fd, "error no such user: %s", name);
		return;
	}
	if (strcmp(verb, "start") == 0) {
		if (u.disabled) {
			reply(fd, "error %s is disabled", name);
			return;
		}
		r = server_start(&u, err, sizeof(err));
		if (r == -1)
			reply(fd, "error %s", err);
		else
			reply(fd, "ok %s", r == 1 ? "running" : "starting");
		log_info("control: server start %s", name);
		return;
	}
	r = server_stop(name, "hubctl", err, sizeof(err));
	if (r == -1)
		reply(fd, "error %s", err);
	else
		reply(fd, "ok %s", r == 1 ? "not running" : "stopping");
	log_info("control: server stop %s", name);
}

static void *
accept_loop(void *arg)
{
	struct ucred cred;
	socklen_t len;
	int	 fd;

	for (;;) {
		fd = accept4(ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;		/* shut down */
		}
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
		    cred.uid == 0)
			serve(fd);
		close(fd);
	}
	return NULL;
}

int
control_start(void)
{
	if (ctl_fd == -1)
		return 0;
	if (pthread_create(&ctl_thread, NULL, accept_loop, NULL) != 0)
		return -1;
	ctl_running = 1;
	return 0;
}

void
control_stop(void)
{
	if (ctl_fd != -1)
		shutdown(ctl_fd, SHUT_RDWR);
	if (ctl_running)
		pthread_join(ctl_thread, NULL);
	ctl_running = 0;
	if (ctl_fd != -1)
		close(ctl_fd);
	ctl_fd = -1;
}
