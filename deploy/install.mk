# make install PREFIX=/usr/local DESTDIR= ; make uninstall.
# Included by the top Makefile.

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
	    $(DESTDIR)$(DATADIR)/html/static $(DESTDIR)$(DATADIR)/db \
	    $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(BUILD)/tipline $(DESTDIR)$(PREFIX)/bin/tipline
	install -m 755 $(BUILD)/tipline-fcgi \
	    $(DESTDIR)$(PREFIX)/sbin/tipline-fcgi
	install -m 644 html/*.html $(DESTDIR)$(DATADIR)/html/
	install -m 644 html/static/* $(DESTDIR)$(DATADIR)/html/static/
	install -m 644 db/schema.sql $(DESTDIR)$(DATADIR)/db/
	install -m 644 man/tipline.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/tipline-fcgi.8 $(DESTDIR)$(PREFIX)/share/man/man8/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tipline \
	    $(DESTDIR)$(PREFIX)/sbin/tipline-fcgi \
	    $(DESTDIR)$(PREFIX)/share/man/man1/tipline.1 \
	    $(DESTDIR)$(PREFIX)/share/man/man8/tipline-fcgi.8
	rm -rf $(DESTDIR)$(DATADIR)

