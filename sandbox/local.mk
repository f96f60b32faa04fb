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
	tests/sandbox/sb-escape \
	tests/sandbox/sb-hog
tests_sandbox_test_limits_SOURCES = tests/sandbox/test_limits.c
tests_sandbox_test_limits_LDADD = sandbox/libsandbox.a $(SECCOMP_LIBS)
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
	tests/sandbox/isolation.py
TESTS += $(SANDBOX_TESTS)
EXTRA_DIST += \
	tests/sandbox/sbtest.py \
	tests/sandbox/cli.py \
	tests/sandbox/functional.py \
	tests/sandbox/jupyter.py \
	tests/sandbox/escape.py \
	tests/sandbox/resources.py \
	tests/sandbox/lifecycle.py \
	tests/sandbox/isolation.py \
	sandbox/deps-test.txt
