# spawner/: hubd-spawner, the privileged helper (root, no network input).
# It links only what it needs from libhub.a (config, log, util, proto): no
# HTTP, no SQL, no JSON.
pkglibexec_PROGRAMS += spawner/hubd-spawner
spawner_hubd_spawner_SOURCES = \
	spawner/spawner.h \
	spawner/spawner.c \
	spawner/pam.c \
	spawner/server.c \
	spawner/student.c \
	spawner/cgref.c \
	spawner/scope.c
spawner_hubd_spawner_CFLAGS = $(AM_CFLAGS) $(PAM_CFLAGS) $(INIH_CFLAGS) \
	$(SODIUM_CFLAGS) $(GNUTLS_CFLAGS) $(MHD_CFLAGS) $(JANSSON_CFLAGS) \
	$(SYSTEMD_CFLAGS)
spawner_hubd_spawner_LDADD = hubd/libhub.a sandbox/libsandbox.a \
	$(SECCOMP_LIBS) $(PAM_LIBS) $(INIH_LIBS) \
	$(GNUTLS_LIBS) $(SODIUM_LIBS) $(SYSTEMD_LIBS)
EXTRA_DIST += packaging/pam/hubd

# Students' servers through the spawner, driven over its socket as hubd
# would (root, Debian's jupyter-notebook; they fail elsewhere).
SPAWNER_TESTS = \
	tests/spawner/start_stop.py \
	tests/spawner/requests.py \
	tests/spawner/failures.py \
	tests/spawner/restart.py \
	tests/spawner/pam_server.py \
	tests/spawner/keeper.py
TESTS += $(SPAWNER_TESTS)
EXTRA_DIST += tests/spawner/sptest.py $(SPAWNER_TESTS)
