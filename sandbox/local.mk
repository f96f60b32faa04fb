# sandbox/: the confinement library and the hubd-sandbox CLI (issue 3).

noinst_LIBRARIES += sandbox/libsandbox.a
sandbox_libsandbox_a_SOURCES = \
	sandbox/sandbox.h \
	sandbox/cgroup.c \
	sandbox/identity.c \
	sandbox/limits.c \
	sandbox/mount.c \
	sandbox/sandbox.c \
	sandbox/seccomp.c
sandbox_libsandbox_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS)

bin_PROGRAMS += sandbox/hubd-sandbox
sandbox_hubd_sandbox_SOURCES = sandbox/main.c
sandbox_hubd_sandbox_LDADD = sandbox/libsandbox.a $(SECCOMP_LIBS)

# Tests: a C unit test for limit parsing, C helpers that run inside a
# sandbox, and one scenario per script (root required; they fail, not skip,
# elsewhere).
check_PROGRAMS += \
	tests/sandbox/test_limits \
	tests/sandbox/test_hubnet \
	tests/sandbox/sb-escape \
	tests/sandbox/sb-hog
tests_sandbox_test_limits_SOURCES = tests/sandbox/test_limits.c
tests_sandbox_test_limits_LDADD = sandbox/libsandbox.a $(SECCOMP_LIBS)
tests_sandbox_test_hubnet_SOURCES = tests/sandbox/test_hubnet.c
tests_sandbox_test_hubnet_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
tests_sandbox_test_hubnet_LDADD = sandbox/libsandbox.a $(SECCOMP_LIBS) \
	$(PTHREAD_LIBS)
# The --enable-sandbox-debug variant, built in every configuration so that
# make check always exercises it: the same sources with SANDBOX_DEBUG, which
# is all that the configure switch defines.
check_LIBRARIES = tests/sandbox/libsandbox-debug.a
tests_sandbox_libsandbox_debug_a_SOURCES = $(sandbox_libsandbox_a_SOURCES)
tests_sandbox_libsandbox_debug_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS)
tests_sandbox_libsandbox_debug_a_CPPFLAGS = $(AM_CPPFLAGS) -DSANDBOX_DEBUG=1
check_PROGRAMS += \
	tests/sandbox/hubd-sandbox-debug \
	tests/sandbox/test_hubnet_debug
tests_sandbox_hubd_sandbox_debug_SOURCES = sandbox/main.c
tests_sandbox_hubd_sandbox_debug_CPPFLAGS = $(AM_CPPFLAGS) -DSANDBOX_DEBUG=1
tests_sandbox_hubd_sandbox_debug_LDADD = tests/sandbox/libsandbox-debug.a \
	$(SECCOMP_LIBS)
tests_sandbox_test_hubnet_debug_SOURCES = tests/sandbox/test_hubnet.c
tests_sandbox_test_hubnet_debug_CPPFLAGS = $(AM_CPPFLAGS) -DSANDBOX_DEBUG=1
tests_sandbox_test_hubnet_debug_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
tests_sandbox_test_hubnet_debug_LDADD = tests/sandbox/libsandbox-debug.a \
	$(SECCOMP_LIBS) $(PTHREAD_LIBS)

tests_sandbox_sb_escape_SOURCES = tests/sandbox/sb-escape.c
tests_sandbox_sb_escape_LDADD = $(PTHREAD_LIBS)
tests_sandbox_sb_hog_SOURCES = tests/sandbox/sb-hog.c

SANDBOX_TESTS = \
	tests/sandbox/cli.py \
	tests/sandbox/functional.py \
	tests/sandbox/jupyter.py \
	tests/sandbox/escape.py \
	tests/sandbox/resources.py \
	tests/sandbox/lifecycle.py \
	tests/sandbox/isolation.py \
	tests/sandbox/pid1.py \
	tests/sandbox/debug.py \
	tests/sandbox/mounts.py
TESTS += tests/sandbox/test_hubnet tests/sandbox/test_hubnet_debug \
	$(SANDBOX_TESTS)
EXTRA_DIST += \
	tests/sandbox/sbtest.py \
	tests/sandbox/cli.py \
	tests/sandbox/functional.py \
	tests/sandbox/jupyter.py \
	tests/sandbox/escape.py \
	tests/sandbox/resources.py \
	tests/sandbox/lifecycle.py \
	tests/sandbox/isolation.py \
	tests/sandbox/pid1.py \
	tests/sandbox/debug.py \
	tests/sandbox/mounts.py \
	sandbox/deps-test.txt
