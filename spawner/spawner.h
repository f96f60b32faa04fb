/*
 * hubd-spawner: the privileged helper.  It reads fixed messages from hubd
 * on one socket and trusts none of them.
 */
#ifndef SPAWNER_H
#define SPAWNER_H

#include <sys/types.h>

#include "spawner/proto.h"

#define PAM_QUEUE_MAX		512	/* logins waiting for a worker */
#define PAM_ROOT_DELAY		2	/* seconds, as pam_unix's fail delay */

/* pam.c: one conversation, in a worker process */
int		 pam_check(const struct config *, const char *, const char *,
		    uid_t *, char *, size_t);
int		 pam_allowed(const struct config *, const char *, uid_t *,
		    char *, size_t);

#endif /* SPAWNER_H */
