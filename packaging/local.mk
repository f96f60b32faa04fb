# packaging/: Debian packaging, systemd unit, man pages (issue 7).
#
#   make deb   builds the .deb for the Debian release this runs on, from the
#              dist tarball in a fresh folder; the packages land in
#              $(DEB_OUT) (default: debs/ in the build folder).

dist_man_MANS = \
	packaging/man/hubd.8 \
	packaging/man/hubctl.8 \
	packaging/man/hubd-sandbox.1
nodist_man_MANS = packaging/man/hubd.conf.5
CLEANFILES += packaging/man/hubd.conf.5

# hubd.conf(5) from the key table of docs/configuration.md.
packaging/man/hubd.conf.5: $(top_srcdir)/docs/configuration.md \
		$(top_srcdir)/packaging/man/gen-conf5
	$(AM_V_GEN)$(MKDIR_P) packaging/man && \
	$(SHELL) $(top_srcdir)/packaging/man/gen-conf5 \
	    $(top_srcdir)/docs/configuration.md | \
	sed -e 's|\$$(pkgdatadir)|$(pkgdatadir)|g' \
	    -e 's|\$$(libexecdir)|$(libexecdir)|g' >$@.tmp && mv $@.tmp $@

# LICENSE (top level) travels with the packaging: debian/copyright
# describes the tarball by it.  m4/ (empty but for .keep): dh_autoreconf
# runs aclocal -I m4 in the unpacked tarball.
EXTRA_DIST += \
	LICENSE \
	m4/.keep \
	packaging/man/gen-conf5 \
	packaging/gen-conffile \
	packaging/hubd.service \
	packaging/debian \
	tests/system/run \
	tests/system/guest-test.py \
	tests/system/README.md

DEB_OUT = $(abs_top_builddir)/debs
DEB_VERSION =

# The package from the dist tarball, so that what is shipped is what is
# built: unpack, add debian/, dpkg-buildpackage (binary only, unsigned;
# -J: as many jobs as CPUs, through DEB_BUILD_OPTIONS, not our jobserver).
# DEB_VERSION=V (optional) builds version V (a changelog entry is added).
deb: dist-gzip
	rm -rf deb-build && $(MKDIR_P) deb-build $(DEB_OUT)
	tar -C deb-build -xzf $(distdir).tar.gz
	cp -R deb-build/$(distdir)/packaging/debian deb-build/$(distdir)/debian
	if test -n "$(DEB_VERSION)"; then \
	  (cd deb-build/$(distdir) && \
	   { printf 'hubd (%s) unstable; urgency=medium\n\n  * Rebuild %s.\n\n -- %s  %s\n\n' \
	       '$(DEB_VERSION)' '$(DEB_VERSION)' \
	       'hubd developers <dev@hubd.invalid>' \
	       "$$(date -R)"; cat debian/changelog; } >debian/changelog.new && \
	   mv debian/changelog.new debian/changelog); \
	fi
	cd deb-build/$(distdir) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    dpkg-buildpackage -b -us -uc -J
	mv deb-build/*.deb deb-build/*.buildinfo deb-build/*.changes $(DEB_OUT)/
	rm -rf deb-build
	@ls -1 $(DEB_OUT)/*.deb

# lintian on what make deb built (errors fail; warnings are shown).
deb-lint:
	lintian --fail-on error --info $(DEB_OUT)/*.changes

.PHONY: deb deb-lint
clean-local: clean-deb
clean-deb:
	rm -rf deb-build debs
.PHONY: clean-deb
