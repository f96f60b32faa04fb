# hubd/: the daemon and hubctl.  Everything but main() lives in libhub.a so
# that hubctl and the tests link the very objects the daemon runs.
noinst_LIBRARIES += hubd/libhub.a
hubd_libhub_a_SOURCES = \
	hubd/hubd.h \
	hubd/accounts.c \
	hubd/api.c \
	hubd/api_courses.c \
	hubd/auth.c \
	hubd/backend.c \
	hubd/config.c \
	hubd/control.c \
	hubd/courses.c \
	hubd/http.c \
	hubd/log.c \
	hubd/origin.c \
	hubd/pages.c \
	hubd/pages_courses.c \
	hubd/pool.c \
	hubd/privsep.c \
	hubd/roster.c \
	hubd/roster.h \
	hubd/proxy.c \
	hubd/relay.c \
	hubd/server.c \
	hubd/store.c \
	hubd/util.c \
	hubd/web.c \
	spawner/proto.c \
	spawner/proto.h
hubd_libhub_a_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(SQLITE_CFLAGS) \
	$(SODIUM_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS) $(GNUTLS_CFLAGS)

HUB_LIBS = hubd/libhub.a sandbox/libsandbox.a $(SECCOMP_LIBS) $(HTTP_PARSER_LIBS) $(MHD_LIBS) $(SQLITE_LIBS) $(SODIUM_LIBS) \
	$(JANSSON_LIBS) $(INIH_LIBS) $(GNUTLS_LIBS) $(PTHREAD_LIBS)
HUB_CFLAGS = $(hubd_libhub_a_CFLAGS)

sbin_PROGRAMS += hubd/hubd hubd/hubctl
hubd_hubd_SOURCES = hubd/main.c
hubd_hubd_CFLAGS = $(HUB_CFLAGS)
hubd_hubd_LDADD = $(HUB_LIBS)
hubd_hubctl_SOURCES = hubd/hubctl.c
hubd_hubctl_CFLAGS = $(HUB_CFLAGS)
hubd_hubctl_LDADD = $(HUB_LIBS)
