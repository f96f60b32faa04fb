/*
 * The messages between hubd (unprivileged, network-facing) and the spawner
 * (root, no network input).  One message per datagram on a SOCK_SEQPACKET
 * socketpair; every message is a fixed-size struct that starts with
 * struct sp_header.  The receiver checks the exact size for the type, the
 * version, NUL termination and content of every string, and the state it
 * is in; anything else is a broken peer and ends the connection.
 */
#ifndef SPAWNER_PROTO_H
#define SPAWNER_PROTO_H

#include <stdint.h>

#include "hubd/hubd.h"

#define SP_VERSION		1
#define SP_FD			3	/* the spawner's end, in the spawner */
#define SP_MESSAGE_MAX		4096	/* the largest struct below fits */
#define SP_AUTH_MESSAGE_MAX	160
#define SP_PROFILE_MAX		32	/* a [profile NAME] of the config */
#define SP_CGROUP_MAX		64
#define SP_PATH_MAX		256
#define SP_TEXT_MAX		2048	/* a reason and the log's last lines */
#define SP_COURSES_MAX		16	/* courses whose materials a server sees */

enum sp_type {
	SP_HELLO = 1,		/* spawner → hub, first: I am ready */
	SP_AUTH,		/* hub → spawner: check a password with PAM */
	SP_AUTH_RESULT,		/* spawner → hub: the answer to SP_AUTH */
	SP_START,		/* hub → spawner: start a student's server */
	SP_STARTED,		/* spawner → hub: launched, or why not */
	SP_STOP,		/* hub → spawner: stop a student's server */
	SP_STOPPED,		/* spawner → hub: stopping, or why not */
	SP_EXITED,		/* spawner → hub, id 0: a server has ended */
	SP_ADOPT,		/* hub → spawner: a server from before a restart */
	SP_ADOPTED,		/* spawner → hub: watching it again, or gone */
	SP_TYPE_END		/* not a type: one past the last */
};

struct sp_header {
	uint16_t	 version;	/* SP_VERSION */
	uint16_t	 type;		/* enum sp_type */
	uint32_t	 size;		/* of the whole message */
	uint64_t	 id;		/* request id, echoed in the answer */
};

struct sp_hello {
	struct sp_header h;
	uint32_t	 pid;
	uint32_t	 pam_workers;	/* PAM conversations at once */
};

struct sp_auth {
	struct sp_header h;
	char		 user[USERNAME_MAX + 1];
	char		 password[PASSWORD_MAX + 1];
};

enum sp_verdict {
	SP_AUTH_OK = 0,
	SP_AUTH_DENIED,		/* wrong password, unknown user */
	SP_AUTH_NOT_ALLOWED,	/* right password, not allowed on this hub */
	SP_AUTH_EXPIRED,	/* account expired or locked (pam_acct_mgmt) */
	SP_AUTH_ERROR,		/* PAM failed; the spawner's log says why */
	SP_AUTH_END
};

struct sp_auth_result {
	struct sp_header h;
	int32_t		 result;	/* enum sp_verdict */
	uint32_t	 uid;		/* with SP_AUTH_OK */
	char		 message[SP_AUTH_MESSAGE_MAX];	/* for the log */
};

/*
 * Servers.  The spawner keeps a state per user: none → (START) running →
 * (STOP) stopping → (exit) none; ADOPT takes none to running.  A request
 * that does not fit the state is refused (ok = 0 with a message), never
 * acted on.  The hub names the user, its kind of account and a profile;
 * the spawner works out uid, home, socket folder, cgroup, limits and argv
 * from its own configuration.
 */
struct sp_course {
	char		 code[SP_PROFILE_MAX + 1];	/* course_code_valid() */
	uint32_t	 teaches;	/* 1: instructor or TA (materials rw) */
};

struct sp_start {
	struct sp_header h;
	char		 user[USERNAME_MAX + 1];
	uint32_t	 auth;		/* enum auth_kind */
	char		 profile[SP_PROFILE_MAX + 1];	/* "" for defaults */
	char		 token[SECRET_HEX + 1];	/* JUPYTER_TOKEN, hex */
	uint32_t	 ncourses;
	struct sp_course courses[SP_COURSES_MAX];
};

struct sp_started {
	struct sp_header h;
	char		 user[USERNAME_MAX + 1];
	int32_t		 ok;		/* 1 launched; 0 refused or failed */
	uint32_t	 uid;
	int32_t		 pid;		/* the sandbox's pid 1, host view */
	uint64_t	 starttime;	/* /proc/PID/stat field 22 */
	char		 cgroup[SP_CGROUP_MAX];	/* its cgroup's name */
	char		 socket[SP_PATH_MAX];	/* host path of nb.sock */
	char		 message[SP_TEXT_MAX];	/* why not, with log lines */
};

struct sp_stop {
	struct sp_header h;
	char		 user[USERNAME_MAX + 1];
};

struct sp_stopped {
	struct sp_header h;
	char		 user[USERNAME_MAX + 1];
	int32_t		 ok;		/* 1 stopping (SP_EXITED follows) */
	char		 message[SP_AUTH_MESSAGE_MAX];
};

struct sp_exited {
	struct sp_header h;
	char		 user[USERNAME_MAX + 1];
	int32_t		 pid;
	int32_t		 status;	/* wait status; -1 unknown (adopted) */
	uint32_t	 oom_kills;	/* in its cgroup, over its life */
	int32_t		 requested;	/* 1 after SP_STOP, 0 by itself */
	char		 message[SP_TEXT_MAX];	/* the log's last lines */
};

struct sp_adopt {
	struct sp_header h;
	char		 user[USERNAME_MAX + 1];
	uint32_t	 auth;
	int32_t		 pid;
	uint64_t	 starttime;
	char		 cgroup[SP_CGROUP_MAX];
};

struct sp_adopted {
	struct sp_header h;
	char		 user[USERNAME_MAX + 1];
	int32_t		 ok;		/* 1 watching; 0 gone (cleaned up) */
	uint32_t	 uid;
	char		 message[SP_AUTH_MESSAGE_MAX];
};

/* spawner/proto.c: building and checking messages, used by both sides */
void		 sp_init(struct sp_header *, enum sp_type, uint32_t, uint64_t);
size_t		 sp_size(enum sp_type);
int		 sp_check(const void *, size_t, char *, size_t);
int		 sp_string_ok(const char *, size_t);

#endif /* SPAWNER_PROTO_H */
