# web/: templates and static files, installed under $(pkgdatadir)/web.
webtemplatesdir = $(pkgdatadir)/web/templates
dist_webtemplates_DATA = \
	web/templates/layout.html \
	web/templates/login.html \
	web/templates/home.html \
	web/templates/password.html \
	web/templates/error.html \
	web/templates/spawn.html \
	web/templates/course.html \
	web/templates/admin.html \
	web/templates/link.html
webstaticdir = $(pkgdatadir)/web/static
dist_webstatic_DATA = \
	web/static/hub.css \
	web/static/logo.svg \
	web/static/spawn.js
