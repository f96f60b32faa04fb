/*
 * hubd-spawner: the privileged helper.  It reads fixed messages from hubd
 * on one socket and trusts none of them.
 */
#ifndef SPAWNER_H
#define SPAWNER_H

#include <sys/types.h>

#include <limits.h>
#include <poll.h>

#include "sandbox/sandbox.h"
#include "spawner/proto.h"

#define PAM_QUEUE_MAX		512	/* logins waiting for a worker */
#define PAM_ROOT_DELAY		2	/* seconds, as pam_unix's fail delay */

/* Students' servers. */
#define SPAWNER_UID_FILE	"spawner-uids"	/* in data_dir: "name uid" */
#define SPAWNER_UID_FILE_MAX	(8 * 1024 * 1024)
#define SPAWNER_LOG_DIR		"logs"		/* in data_dir: <user>.log */
#define SPAWNER_LOG_LINES	20		/* sent with SP_EXITED */
#define SPAWNER_SOCKET		"nb.sock"	/* in the socket folder */
#define SPAWNER_SOCKET_INSIDE	SB_SOCKDIR_INSIDE "/" SPAWNER_SOCKET
#define SPAWNER_ARGV_MAX	64		/* words of server_command */

/* The students' systemd scope (scope.c). */
#define SCOPE_NAME		"hubd-students.scope"
#define SCOPE_SLICE		"system.slice"
#define SCOPE_KEEPER_LEAF	"keeper"	/* the keeper's cgroup in it */
#define SCOPE_KEEPER_ARGV0	"hubd-students-keeper"
#define SCOPE_KEEPER_ID		65534		/* nobody, nogroup */
#define SCOPE_WAIT_MS		5000		/* for systemd to move it */
#define SCOPE_STOP_SEC		30		/* SIGTERM, then SIGKILL */

/* spawner.c */
void		 send_hub(const void *, size_t);

/* pam.c: one conversation, in a worker process */
int		 pam_check(const struct config *, const char *, const char *,
		    uid_t *, char *, size_t);
int		 pam_allowed(const struct config *, const char *, uid_t *,
		    char *, size_t);

/* server.c: each student's server, from SP_START or SP_ADOPT to its end */
void		 srv_init(const struct config *);
void		 srv_start(struct sp_start *);
void		 srv_stop(const struct sp_stop *);
void		 srv_adopt(const struct sp_adopt *);
int		 srv_reaped(pid_t, int);
unsigned	 srv_count(void);
unsigned	 srv_pollfds(struct pollfd *, unsigned);
void		 srv_polled(const struct pollfd *, unsigned);
int		 srv_timeout(void);
void		 srv_timers(void);
void		 srv_shutdown(void);

/* student.c: who a server runs as, and its folders and log */
struct student {
	char		 name[USERNAME_MAX + 1];
	enum auth_kind	 auth;
	uid_t		 uid;
	gid_t		 gid;
	char		 home[PATH_MAX];
	char		 sockdir[PATH_MAX];
	char		 socket[SP_PATH_MAX];	/* host path of nb.sock */
	char		 log[PATH_MAX];
	char		 course_src[SP_COURSES_MAX][PATH_MAX + 16];
	char		 course_dst[SP_COURSES_MAX][SP_PROFILE_MAX + 16];
};
int		 student_lookup(const struct config *, const char *,
		    enum auth_kind, struct student *, char *, size_t);
int		 student_prepare(const struct config *, const char *,
		    enum auth_kind, struct student *, char *, size_t);
void		 student_socket_remove(const struct config *, const char *);
struct sandbox_config;
int		 student_courses(const struct config *, struct student *,
		    const struct sp_start *, struct sandbox_config *, char *,
		    size_t);
int		 student_log_open(const struct config *, const struct student *,
		    char *, size_t);
void		 student_log_tail(const char *, unsigned, char *, size_t);

/* scope.c: the students' cgroups in a systemd scope */
void		 scope_keeper_dispatch(int, char *[]);
int		 scope_students(char *, size_t, char *, size_t);

/* cgref.c: the cgroup of a server a previous spawner started */
struct cgref;
struct cgref	*cgref_of_pid(pid_t, const char *, char *, size_t);
struct cgref	*cgref_find(const char *, const char *);
int		 cgref_kill(struct cgref *);
uint64_t	 cgref_oom_kills(struct cgref *);
int		 cgref_remove(struct cgref *, char *, size_t);
void		 cgref_free(struct cgref *);

#endif /* SPAWNER_H */
