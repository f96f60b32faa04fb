# tests/browser/: real Chromium (Debian's chromium package) driven by
# playwright-core.  The test starts its own hubd on a free loopback port.
# Before `make check`, in the source dir:
#     npm ci --no-audit --no-fund --prefix tests/browser
# Without those node_modules or without /usr/bin/chromium the test fails
# (it does not skip).  Screenshots land in $(builddir)/tests/browser/.
TEST_EXTENSIONS += .mjs
MJS_LOG_DRIVER = $(LOG_DRIVER)
MJS_LOG_COMPILER = node

TESTS += tests/browser/login.test.mjs tests/browser/notebook.test.mjs \
	tests/browser/xss.test.mjs tests/browser/instructor.test.mjs
EXTRA_DIST += \
	tests/browser/login.test.mjs \
	tests/browser/notebook.test.mjs \
	tests/browser/xss.test.mjs \
	tests/browser/instructor.test.mjs \
	tests/browser/harness.mjs \
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
	tests/browser/notebook-9-logout.png \
	tests/browser/xss-1-owner.png \
	tests/browser/xss-2-admin.png \
	tests/browser/xss-3-instructor.png \
	tests/browser/xss-4-tree-admin.png \
	tests/browser/xss-4-tree-instructor.png \
	tests/browser/instructor-1-course.png \
	tests/browser/instructor-2-preview.png \
	tests/browser/instructor-3-applied.png \
	tests/browser/instructor-4-starting.png \
	tests/browser/instructor-5-running.png \
	tests/browser/instructor-6-phone.png \
	tests/browser/instructor-7-stopped.png
