/*
 * Reaching a student's server over its unix socket, safely: the socket is
 * opened without following links and must be a socket owned by the
 * student; after connect the peer's uid must be the student's.  The student
 * owns the folder and could swap nb.sock for a link to someone else's.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hubd.h"

int
backend_connect(const char *path, uid_t uid, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	struct stat sb;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	/* A hung server's full backlog would block connect() for ever. */
	struct timeval tv = { BACKEND_CONNECT_SEC, 0 };
	int	 pfd, fd = -1;

	if ((pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(pfd, &sb) == -1 || !S_ISSOCK(sb.st_mode) ||
	    sb.st_uid != uid) {
		snprintf(err, errsize, "%s is not the student's socket", path);
		goto fail;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d", pfd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errsize, "connect %s: %s", path, strerror(errno));
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != uid) {
		snprintf(err, errsize, "%s is served by uid %u, not the "
		    "student's %u", path, (unsigned)cred.uid, (unsigned)uid);
		goto fail;
	}
	close(pfd);
	return fd;
fail:
	if (fd != -1)
		close(fd);
	close(pfd);
	return -1;
}

/*
 * Does the server answer?  GET <base>api answers without a token once
 * Jupyter's loop runs.  1 yes, 0 not yet (err says why).
 */
int
backend_probe(const char *path, uid_t uid, const char *user, char *err,
    size_t errsize)
{
	char	 req[256], buf[64];
	struct pollfd p;
	ssize_t	 n;
	size_t	 got = 0;
	int	 fd;

	if ((fd = backend_connect(path, uid, err, errsize)) == -1)
		return 0;
	snprintf(req, sizeof(req), "GET /user/%s/api HTTP/1.0\r\n"
	    "Host: localhost\r\n\r\n", user);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		snprintf(err, errsize, "send: %s", strerror(errno));
		close(fd);
		return 0;
	}
	p.fd = fd;
	p.events = POLLIN;
	while (got < 12 && poll(&p, 1, 2000) == 1) {
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (got >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 &&
	    strncmp(buf + 9, "200", 3) == 0)
		return 1;
	snprintf(err, errsize, "not ready (%.12s)", got ? buf : "no answer");
	return 0;
}
