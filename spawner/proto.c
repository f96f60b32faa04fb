/*
 * Message checks shared by hubd and the spawner.  Each side calls
 * sp_check() on every datagram before looking at anything in it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "spawner/proto.h"

static const size_t sizes[SP_TYPE_END] = {
	[SP_HELLO] = sizeof(struct sp_hello),
	[SP_AUTH] = sizeof(struct sp_auth),
	[SP_AUTH_RESULT] = sizeof(struct sp_auth_result),
	[SP_START] = sizeof(struct sp_start),
	[SP_STARTED] = sizeof(struct sp_started),
	[SP_STOP] = sizeof(struct sp_stop),
	[SP_STOPPED] = sizeof(struct sp_stopped),
	[SP_EXITED] = sizeof(struct sp_exited),
	[SP_ADOPT] = sizeof(struct sp_adopt),
	[SP_ADOPTED] = sizeof(struct sp_adopted),
};

void
sp_init(struct sp_header *h, enum sp_type type, uint32_t size, uint64_t id)
{
	memset(h, 0, size);
	h->version = SP_VERSION;
	h->type = (uint16_t)type;
	h->size = size;
	h->id = id;
}

size_t
sp_size(enum sp_type type)
{
	return type > 0 && type < SP_TYPE_END ? sizes[type] : 0;
}

/* A string field: NUL-terminated inside its array, zero after the NUL (so
 * nothing hides behind it). */
int
sp_string_ok(const char *s, size_t size)
{
	const char *nul = memchr(s, '\0', size);
	size_t	 i;

	if (nul == NULL)
		return 0;
	for (i = (size_t)(nul - s); i < size; i++)
		if (s[i] != '\0')
			return 0;
	return 1;
}

/*
 * 0 when buf[0..len) is a well-formed message of a known type, else -1
 * with the reason.  Content (names, states) is the caller's to check.
 */
int
sp_check(const void *buf, size_t len, char *why, size_t whysize)
{
	struct sp_header h;

	if (len < sizeof(h)) {
		snprintf(why, whysize, "message of %zu bytes is shorter than "
		    "its header", len);
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.version != SP_VERSION) {
		snprintf(why, whysize, "protocol version %u, want %u",
		    h.version, SP_VERSION);
		return -1;
	}
	if (sp_size(h.type) == 0) {
		snprintf(why, whysize, "unknown message type %u", h.type);
		return -1;
	}
	if (len != sp_size(h.type) || h.size != len) {
		snprintf(why, whysize, "message type %u has %zu bytes (header "
		    "says %u), want %zu", h.type, len, h.size, sp_size(h.type));
		return -1;
	}
	return 0;
}
