# tests/browser/: real Chromium (Debian's chromium package) driven by
# playwright-core.  The test starts its own hubd on a free loopback port.
# Before `make check`, in the source dir:
#     npm ci --no-audit --no-fund --prefix tests/browser
# Without those node_modules or without /usr/bin/chromium the test fails
# (it does not skip).  Screenshots land in $(builddir)/tests/browser/.
TEST_EXTENSIONS += .mjs
MJS_LOG_DRIVER = $(LOG_DRIVER)
MJS_LOG_COMPILER = node

TESTS += tests/browser/login.test.mjs tests/browser/notebook.test.mjs
EXTRA_DIST += \
	tests/browser/login.test.mjs \
	tests/browser/notebook.test.mjs \
	tests/browser/package.json \
	tests/browser/package-lock.json \
	tests/browser/deps-test.txt
CLEANFILES += \
	tests/browser/login-phone.png \
	tests/browser/login-error-phone.png \
	tests/browser/home-phone.png \
	tests/browser/password-desktop.png \
	tests/browser/notebook-1-login.png \
	tests/browser/notebook-2-home.png \
	tests/browser/notebook-3-spawn.png \
	tests/browser/notebook-4-tree.png \
	tests/browser/notebook-5-notebook.png \
	tests/browser/notebook-6-output.png \
	tests/browser/notebook-7-saved.png \
	tests/browser/notebook-8-home-running.png \
	tests/browser/notebook-9-logout.png
