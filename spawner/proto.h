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
#define SP_MESSAGE_MAX		2048	/* the largest struct below fits */
#define SP_AUTH_MESSAGE_MAX	160

enum sp_type {
	SP_HELLO = 1,		/* spawner → hub, first: I am ready */
	SP_AUTH,		/* hub → spawner: check a password with PAM */
	SP_AUTH_RESULT,		/* spawner → hub: the answer to SP_AUTH */
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

/* spawner/proto.c: building and checking messages, used by both sides */
void		 sp_init(struct sp_header *, enum sp_type, uint32_t, uint64_t);
size_t		 sp_size(enum sp_type);
int		 sp_check(const void *, size_t, char *, size_t);
int		 sp_string_ok(const char *, size_t);

#endif /* SPAWNER_PROTO_H */
