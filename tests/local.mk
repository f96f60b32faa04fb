# tests/: unit tests (C, TAP) that link the daemon's own objects, and
# integration tests (a real hubd on loopback, driven by Debian's python3).
HUB_UNIT_TESTS = \
	tests/unit/test_auth \
	tests/unit/test_config \
	tests/unit/test_roster \
	tests/unit/test_store \
	tests/unit/test_util
check_PROGRAMS += $(HUB_UNIT_TESTS)
UNIT_TESTS = $(HUB_UNIT_TESTS) tests/sandbox/test_limits
TESTS += $(UNIT_TESTS)

UNIT_CFLAGS = $(HUB_CFLAGS)
UNIT_LDADD = $(HUB_LIBS)
tests_unit_test_auth_SOURCES = tests/unit/test_auth.c tests/tap.h
tests_unit_test_auth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_auth_LDADD = $(UNIT_LDADD)
tests_unit_test_config_SOURCES = tests/unit/test_config.c tests/tap.h
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_LDADD)
tests_unit_test_roster_SOURCES = tests/unit/test_roster.c tests/tap.h
tests_unit_test_roster_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_roster_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/data/rosters
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/tap.h
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)
tests_unit_test_util_SOURCES = tests/unit/test_util.c tests/tap.h
tests_unit_test_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_util_LDADD = $(UNIT_LDADD)

# The unit tests alone (the sanitizer build runs these).
check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(UNIT_TESTS)'
.PHONY: check-unit

INTEGRATION_TESTS = \
	tests/integration/api_token.py \
	tests/integration/backup.py \
	tests/integration/config_check.py \
	tests/integration/courses_access.py \
	tests/integration/courses_join.py \
	tests/integration/courses_links.py \
	tests/integration/courses_materials.py \
	tests/integration/courses_pages.py \
	tests/integration/courses_profile.py \
	tests/integration/courses_roster.py \
	tests/integration/first_admin.py \
	tests/integration/hubctl_cli.py \
	tests/integration/hubctl_new_database.py \
	tests/integration/hubctl_server.py \
	tests/integration/https_login.py \
	tests/integration/login_disabled.py \
	tests/integration/login_good.py \
	tests/integration/login_missing_csrf.py \
	tests/integration/login_open_redirect.py \
	tests/integration/login_unknown_user.py \
	tests/integration/login_wrong_password.py \
	tests/integration/logout.py \
	tests/integration/malformed_http.py \
	tests/integration/pam_login.py \
	tests/integration/privsep.py \
	tests/integration/proxy_http.py \
	tests/integration/proxy_isolation.py \
	tests/integration/proxy_origins.py \
	tests/integration/proxy_tls.py \
	tests/integration/proxy_ws.py \
	tests/integration/proxy_ws_limit.py \
	tests/integration/server_account.py \
	tests/integration/server_culling.py \
	tests/integration/server_failing.py \
	tests/integration/server_killed.py \
	tests/integration/server_lifecycle.py \
	tests/integration/server_oom.py \
	tests/integration/server_queue.py \
	tests/integration/server_restart.py \
	tests/integration/spawner_protocol.py \
	tests/integration/signals.py \
	tests/integration/throttle.py \
	tests/integration/valgrind_main_paths.py
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += tests/integration/hubtest.py $(INTEGRATION_TESTS) \
	tests/integration/fixtures/echo_server.py
