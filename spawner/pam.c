/*
 * PAM: which system accounts may log in, and one conversation.  Runs in a
 * worker process of the spawner, one per login, so that a wrong password's
 * fail delay holds up nobody else.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "spawner/spawner.h"

/*
 * May name log in?  Known to the system, uid at or above min_uid (never
 * root), and a member of one of the allowed groups when there are any.
 * 1 with its uid, 0 with the reason in why.
 */
int
pam_allowed(const struct config *cf, const char *name, uid_t *uid,
    char *why, size_t whysize)
{
	struct passwd *pw;
	gid_t	 groups[256];
	int	 ngroups = 256, i;
	char	*list, *tok, *save;
	int	 member = 0;

	if ((pw = getpwnam(name)) == NULL) {
		snprintf(why, whysize, "no system account %s", name);
		return 0;
	}
	*uid = pw->pw_uid;
	if (pw->pw_uid == 0 || pw->pw_uid < cf->pam_min_uid) {
		snprintf(why, whysize, "%s has uid %u, below min_uid %u", name,
		    (unsigned)pw->pw_uid, cf->pam_min_uid);
		return 0;
	}
	if (cf->pam_groups[0] == '\0')
		return 1;
	if (getgrouplist(name, pw->pw_gid, groups, &ngroups) == -1) {
		snprintf(why, whysize, "%s is in too many groups", name);
		return 0;
	}
	if ((list = strdup(cf->pam_groups)) == NULL) {
		snprintf(why, whysize, "out of memory");
		return 0;
	}
	for (tok = strtok_r(list, ", ", &save); tok != NULL && !member;
	    tok = strtok_r(NULL, ", ", &save)) {
		struct group *gr = getgrnam(tok);

		for (i = 0; gr != NULL && i < ngroups; i++)
			if (groups[i] == gr->gr_gid)
				member = 1;
	}
	free(list);
	if (!member)
		snprintf(why, whysize, "%s is in none of the allowed groups (%s)",
		    name, cf->pam_groups);
	return member;
}

struct conv_data {
	const char	*password;
};

static int
conversation(int n, const struct pam_message **msg,
    struct pam_response **resp, void *arg)
{
	struct conv_data *cd = arg;
	struct pam_response *r;
	int	 i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:	/* the password */
			if ((r[i].resp = strdup(cd->password)) == NULL)
				goto fail;
			break;
		case PAM_PROMPT_ECHO_ON:	/* a second factor: none */
			goto fail;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			log_debug("pam says: %s", msg[i]->msg);
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

/*
 * Check name's password and account with PAM.  Returns an sp_auth_result;
 * message says why for the log.
 */
int
pam_check(const struct config *cf, const char *name, const char *password,
    uid_t *uid, char *message, size_t msgsize)
{
	struct conv_data cd = { password };
	struct pam_conv conv = { conversation, &cd };
	pam_handle_t *ph = NULL;
	int	 r, result;

	if (!pam_allowed(cf, name, uid, message, msgsize)) {
		/* No PAM at all for accounts that may not log in, so the hub
		 * is no oracle for system passwords; wait as PAM would. */
		sleep(PAM_ROOT_DELAY);
		return SP_AUTH_NOT_ALLOWED;
	}
	if ((r = pam_start(cf->pam_service, name, &conv, &ph)) != PAM_SUCCESS) {
		snprintf(message, msgsize, "pam_start(%s): %s", cf->pam_service,
		    pam_strerror(ph, r));
		return SP_AUTH_ERROR;
	}
	r = pam_authenticate(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (r != PAM_SUCCESS) {
		snprintf(message, msgsize, "%s", pam_strerror(ph, r));
		result = r == PAM_AUTH_ERR || r == PAM_USER_UNKNOWN ||
		    r == PAM_MAXTRIES || r == PAM_CRED_INSUFFICIENT ?
		    SP_AUTH_DENIED : SP_AUTH_ERROR;
		goto done;
	}
	r = pam_acct_mgmt(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (r != PAM_SUCCESS) {
		snprintf(message, msgsize, "account: %s", pam_strerror(ph, r));
		result = SP_AUTH_EXPIRED;
		goto done;
	}
	snprintf(message, msgsize, "ok");
	result = SP_AUTH_OK;
done:
	pam_end(ph, r);
	return result;
}
