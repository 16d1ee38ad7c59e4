# make deb: the Debian packages tipline-server and tipline (debian/),
# built with dpkg-buildpackage in a copy of the files git knows of
# (tracked, or new and not ignored), so that
# the build sees no build directory, database or key of this checkout,
# and its files land in $(DEBDIR), not beside the checkout.
# make check-deb: builds them from a clean clone of HEAD, checks them
# with lintian and installs, upgrades, removes and purges them in a
# fresh Debian 12 root (tests/fresh/check_deb.py). Included by the top
# Makefile; docs/DEPLOY.md says how the packages are used.

DEBDIR	?= build-deb
DEBSRC	 = $(DEBDIR)/tipline-$(VERSION)

deb: deps-deb
	rm -rf $(DEBDIR)
	mkdir -p $(DEBSRC)
	git ls-files -z -c -o --exclude-standard | tar --null -T - -cf - | tar -xf - -C $(DEBSRC)
	cd $(DEBSRC) && dpkg-buildpackage -us -uc -b
	@ls -l $(DEBDIR)/*.deb

deps-deb:
	@sh tools/deps.sh deb

check-deb: deps-test
	@sh tests/once/deb.sh

.PHONY: deb deps-deb check-deb
