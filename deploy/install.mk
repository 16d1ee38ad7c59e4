# make install PREFIX=/usr/local DESTDIR= ; make uninstall.
# Included by the top Makefile. docs/DEPLOY.md lists every file installed
# ("What make install puts where"); tests/integration/test_deploy.py
# checks the list against a real install.

# ---- deploy: programs, data, man pages, units, configuration ----------

BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
# systemd reads units from /usr/local/lib/systemd/system and users from
# /usr/local/lib/sysusers.d as well as from /usr/lib.
UNITDIR		?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d
NGINXDIR	?= $(SYSCONFDIR)/nginx/sites-available
EXAMPLEDIR	 = $(DATADIR)/examples

# The files name their paths for the default PREFIX=/usr/local; this
# rewrites them for another PREFIX, DATADIR or SYSCONFDIR.
DEPLOY_SED	 = sed -e 's|/usr/local/sbin|$(SBINDIR)|g' \
		   -e 's|/usr/local/share/tipline|$(DATADIR)|g' \
		   -e 's|/etc/tipline|$(SYSCONFDIR)/tipline|g'

# Configuration the operator edits: installed from the example only if
# absent, never overwritten; removed by uninstall only if unedited.
# Each entry is EXAMPLE:TARGET.
DEPLOY_CONFIGS	 = tipline.conf:$(SYSCONFDIR)/tipline/tipline.conf \
		   nginx-tipline.conf:$(NGINXDIR)/tipline

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(DATADIR)/html/static $(DESTDIR)$(DATADIR)/db \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/tipline \
	    $(DESTDIR)$(NGINXDIR)
	install -m 755 $(BUILD)/tipline $(DESTDIR)$(BINDIR)/tipline
	install -m 755 $(BUILD)/tipline-fcgi $(DESTDIR)$(SBINDIR)/tipline-fcgi
	install -m 755 $(BUILD)/tipline-relay $(DESTDIR)$(SBINDIR)/tipline-relay
	install -m 644 html/*.html $(DESTDIR)$(DATADIR)/html/
	install -m 644 html/static/* $(DESTDIR)$(DATADIR)/html/static/
	install -d $(DESTDIR)$(DATADIR)/html/profiles
	install -m 644 html/profiles/*.profile $(DESTDIR)$(DATADIR)/html/profiles/
	install -m 644 db/schema.sql $(DESTDIR)$(DATADIR)/db/
	$(if $(wildcard db/migrations/*.sql),install -d \
	    $(DESTDIR)$(DATADIR)/db/migrations && install -m 644 \
	    $(wildcard db/migrations/*.sql) $(DESTDIR)$(DATADIR)/db/migrations/)
	$(DEPLOY_SED) man/tipline.1 > $(DESTDIR)$(MANDIR)/man1/tipline.1
	$(DEPLOY_SED) man/tipline-fcgi.8 > \
	    $(DESTDIR)$(MANDIR)/man8/tipline-fcgi.8
	$(DEPLOY_SED) man/tipline-relay.8 > \
	    $(DESTDIR)$(MANDIR)/man8/tipline-relay.8
	$(DEPLOY_SED) deploy/tipline.socket > \
	    $(DESTDIR)$(UNITDIR)/tipline.socket
	$(DEPLOY_SED) deploy/tipline.service > \
	    $(DESTDIR)$(UNITDIR)/tipline.service
	$(DEPLOY_SED) deploy/tipline-backup.service > \
	    $(DESTDIR)$(UNITDIR)/tipline-backup.service
	$(DEPLOY_SED) deploy/tipline-backup.timer > \
	    $(DESTDIR)$(UNITDIR)/tipline-backup.timer
	$(DEPLOY_SED) deploy/tipline.sysusers > \
	    $(DESTDIR)$(SYSUSERSDIR)/tipline.conf
	$(DEPLOY_SED) deploy/tipline.conf > $(DESTDIR)$(EXAMPLEDIR)/tipline.conf
	$(DEPLOY_SED) nginx/tipline.conf > \
	    $(DESTDIR)$(EXAMPLEDIR)/nginx-tipline.conf
	$(DEPLOY_SED) deploy/nginx-onion.conf > \
	    $(DESTDIR)$(EXAMPLEDIR)/nginx-onion.conf
	$(DEPLOY_SED) deploy/torrc > $(DESTDIR)$(EXAMPLEDIR)/torrc
	chmod 644 $(DESTDIR)$(MANDIR)/man1/tipline.1 \
	    $(DESTDIR)$(MANDIR)/man8/tipline-fcgi.8 \
	    $(DESTDIR)$(MANDIR)/man8/tipline-relay.8 \
	    $(DESTDIR)$(UNITDIR)/tipline.socket \
	    $(DESTDIR)$(UNITDIR)/tipline.service \
	    $(DESTDIR)$(UNITDIR)/tipline-backup.service \
	    $(DESTDIR)$(UNITDIR)/tipline-backup.timer \
	    $(DESTDIR)$(SYSUSERSDIR)/tipline.conf $(DESTDIR)$(EXAMPLEDIR)/*
	@for pair in $(DEPLOY_CONFIGS); do \
	    ex=$(DESTDIR)$(EXAMPLEDIR)/$${pair%%:*}; \
	    to=$(DESTDIR)$${pair#*:}; \
	    if [ -e "$$to" ]; then \
	        echo "kept $$to; the new example is $$ex"; \
	    else \
	        echo "install -m 644 $$ex $$to"; \
	        install -m 644 "$$ex" "$$to" || exit 1; \
	    fi; \
	done

uninstall:
	@for pair in $(DEPLOY_CONFIGS); do \
	    ex=$(DESTDIR)$(EXAMPLEDIR)/$${pair%%:*}; \
	    to=$(DESTDIR)$${pair#*:}; \
	    if cmp -s "$$ex" "$$to"; then \
	        echo "rm -f $$to"; rm -f "$$to"; \
	    elif [ -e "$$to" ]; then \
	        echo "kept $$to: it was edited"; \
	    fi; \
	done
	rm -f $(DESTDIR)$(BINDIR)/tipline $(DESTDIR)$(SBINDIR)/tipline-fcgi \
	    $(DESTDIR)$(SBINDIR)/tipline-relay \
	    $(DESTDIR)$(MANDIR)/man1/tipline.1 \
	    $(DESTDIR)$(MANDIR)/man8/tipline-fcgi.8 \
	    $(DESTDIR)$(MANDIR)/man8/tipline-relay.8 \
	    $(DESTDIR)$(UNITDIR)/tipline.socket \
	    $(DESTDIR)$(UNITDIR)/tipline.service \
	    $(DESTDIR)$(UNITDIR)/tipline-backup.service \
	    $(DESTDIR)$(UNITDIR)/tipline-backup.timer \
	    $(DESTDIR)$(SYSUSERSDIR)/tipline.conf
	rm -rf $(DESTDIR)$(DATADIR)
	rmdir $(DESTDIR)$(SYSCONFDIR)/tipline 2>/dev/null || true

# ---- end of deploy ----------------------------------------------------

# ---- translations: the .mo files html/locale/locale.mk compiles -------
# tipline-fcgi reads them at start from the locale/ directory beside its
# templates; uninstall removes them with $(DATADIR).

install: install-locale
install-locale: all
	install -d $(DESTDIR)$(DATADIR)/html/locale
	install -m 644 $(LOCALE_MO) $(DESTDIR)$(DATADIR)/html/locale/

.PHONY: install-locale
# ---- end of translations ----------------------------------------------
