# Translations. html/locale/LANG.po (languages: lib/lang.c) are what translators
# edit; msgfmt compiles each into a .mo file beside it, and tipline-fcgi
# reads those at start, from the locale/ directory of its templates. The
# .mo files do not depend on the build (BUILD=...), so every build
# shares them. Included by the top Makefile.
#
#   make pot        rewrites html/locale/tipline.pot from the templates
#                   ({{_ text}}) and the C sources (N_("text"))
#   make update-po  merges tipline.pot into every .po file

LOCALE_LANGS = de fr it en ro hu bg es pt ru ar fa
LOCALE_PO    = $(LOCALE_LANGS:%=html/locale/%.po)
LOCALE_MO    = $(LOCALE_LANGS:%=html/locale/%.mo)

all: $(LOCALE_MO)

# msgfmt leaves untranslated and fuzzy entries out of the .mo; then
# tipline-fcgi refuses to start and names the missing text, so no page
# shows English by accident. The temp name keeps two builds running at
# once from reading each other's half-written file.
html/locale/%.mo: html/locale/%.po
	msgfmt --check -o $@.$$$$.tmp $< && mv $@.$$$$.tmp $@

pot:
	sh html/locale/extract.sh

update-po: pot
	for l in $(LOCALE_LANGS); do \
	    msgmerge --quiet --update --backup=none --no-fuzzy-matching \
	    --no-wrap html/locale/$$l.po html/locale/tipline.pot || exit 1; \
	done

clean: clean-locale
clean-locale:
	rm -f $(LOCALE_MO)

.PHONY: pot update-po clean-locale
