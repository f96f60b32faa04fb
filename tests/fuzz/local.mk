# tests/fuzz/: libFuzzer targets (--enable-fuzzing).
#
# Each target lists the hubd/*.c files it exercises in its own _SOURCES, so
# automake compiles them again with the target's flags: libhub.a is built
# with the normal CFLAGS and would give libFuzzer no coverage to follow.
#
#   make fuzz-run [FUZZ_SECONDS=30] [FUZZ_TARGETS='tests/fuzz/fuzz_form']
#
# runs each target for FUZZ_SECONDS on its seed corpus (tests/fuzz/corpus/
# TARGET/, new inputs go to tests/fuzz/work/TARGET/ in the build tree) and
# prints TAP; a crash or a broken invariant leaves the input in
# tests/fuzz/artifacts/TARGET/ and fails the run.

FUZZ_SOURCES_EXTRA = \
	tests/fuzz/run.sh \
	tests/fuzz/dict \
	tests/fuzz/corpus
EXTRA_DIST += $(FUZZ_SOURCES_EXTRA)

if FUZZING
FUZZ_TARGETS = \
	tests/fuzz/fuzz_cookies \
	tests/fuzz/fuzz_form \
	tests/fuzz/fuzz_roster \
	tests/fuzz/fuzz_config
noinst_PROGRAMS += $(FUZZ_TARGETS)

# UBSan must stop the run (it only prints by default), and traces want
# frame pointers and line numbers.
FUZZ_TARGET_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -g $(hubd_libhub_a_CFLAGS)

tests_fuzz_fuzz_cookies_SOURCES = tests/fuzz/fuzz_cookies.c tests/fuzz/fuzz.h \
	hubd/hubd.h hubd/util.c
tests_fuzz_fuzz_cookies_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_cookies_LDADD = $(SODIUM_LIBS)

tests_fuzz_fuzz_form_SOURCES = tests/fuzz/fuzz_form.c tests/fuzz/fuzz.h \
	hubd/hubd.h hubd/util.c
tests_fuzz_fuzz_form_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_form_LDADD = $(SODIUM_LIBS)

tests_fuzz_fuzz_roster_SOURCES = tests/fuzz/fuzz_roster.c tests/fuzz/fuzz.h \
	hubd/hubd.h hubd/roster.h hubd/roster.c hubd/util.c hubd/web.c \
	hubd/log.c
tests_fuzz_fuzz_roster_CFLAGS = $(FUZZ_TARGET_CFLAGS)
tests_fuzz_fuzz_roster_LDADD = $(SODIUM_LIBS)

tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/fuzz.h \
	hubd/hubd.h hubd/config.c
tests_fuzz_fuzz_config_CFLAGS = $(FUZZ_TARGET_CFLAGS)
# config.c parses [server] limits with sandbox/limits.c (not instrumented).
tests_fuzz_fuzz_config_LDADD = sandbox/libsandbox.a $(SECCOMP_LIBS) \
	$(INIH_LIBS) $(GNUTLS_LIBS)

FUZZ_SECONDS = 30

fuzz-run: $(FUZZ_TARGETS)
	@FUZZ_SECONDS='$(FUZZ_SECONDS)' $(SHELL) $(srcdir)/tests/fuzz/run.sh \
	    '$(srcdir)/tests/fuzz' tests/fuzz $(FUZZ_TARGETS)
else
fuzz-run:
	@echo "fuzz-run: configure with CC=clang --enable-fuzzing" >&2; exit 1
endif

fuzz-clean:
	-rm -rf tests/fuzz/work tests/fuzz/logs tests/fuzz/artifacts
clean-local: fuzz-clean
.PHONY: fuzz-run fuzz-clean
