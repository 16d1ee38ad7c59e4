/*
 * File kinds by signature. The signatures: JPEG, ITU T.81 (SOI and the
 * first marker's FF); PNG, ISO/IEC 15948 section 5.2; WebP, a RIFF
 * container of form type "WEBP"; HEIC/HEIF, ISO/IEC 23008-12, an ISO
 * base media file whose first box is "ftyp" with a HEIF major brand;
 * PDF, ISO 32000 section 7.5.2 ("%PDF-" at the start: we do not accept
 * one preceded by junk, which readers tolerate).
 */
#include <string.h>

#include "filekind.h"
#include "utf8.h"

static const struct {
	enum filekind	 kind;
	const char	*type;
} types[] = {
	{ FILEKIND_JPEG, "image/jpeg" },
	{ FILEKIND_PNG, "image/png" },
	{ FILEKIND_WEBP, "image/webp" },
	{ FILEKIND_HEIC, "image/heic" },
	{ FILEKIND_PDF, "application/pdf" },
	{ FILEKIND_TEXT, "text/plain" },
};

static int
heif_brand(const unsigned char *b)
{
	static const char *const brands[] = {
		"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1",
	};
	size_t i;

	for (i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
		if (memcmp(b, brands[i], 4) == 0)
			return 1;
	return 0;
}

/* The first bytes read as text; a sequence cut at the end is fine. */
static int
text_start(const unsigned char *p, size_t n)
{
	struct filekind_text t;

	memset(&t, 0, sizeof(t));
	filekind_text_feed(&t, p, n);
	return !t.bad;
}

enum filekind
filekind_sniff(const unsigned char *p, size_t n)
{
	if (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return FILEKIND_JPEG;
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return FILEKIND_PNG;
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBP", 4) == 0)
		return FILEKIND_WEBP;
	if (n >= 12 && memcmp(p + 4, "ftyp", 4) == 0 && heif_brand(p + 8))
		return FILEKIND_HEIC;
	if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return FILEKIND_PDF;
	if (n > 0 && text_start(p, n))
		return FILEKIND_TEXT;
	return FILEKIND_NONE;
}

const char *
filekind_type(enum filekind k)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].kind == k)
			return types[i].type;
	return NULL;
}

enum filekind
filekind_from_type(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].type, s) == 0)
			return types[i].kind;
	return FILEKIND_NONE;
}

static int
text_char(uint32_t cp)
{
	return cp >= 0x20 ? cp != 0x7f && !(cp >= 0x80 && cp < 0xa0) :
	    cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f';
}

/* Could s[0..n) (n < 4) begin a valid sequence that the next piece
 * completes? Checked by completing it with the smallest continuation. */
static int
cut_sequence(const unsigned char *s, size_t n)
{
	unsigned char t[4];
	uint32_t cp;
	size_t need;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (n >= need)
		return 0;
	memcpy(t, s, n);
	/* E0 and F0 need a higher second byte, ED and F4 a lower one. */
	memset(t + n, 0x80, need - n);
	if (n == 1 && (s[0] == 0xe0 || s[0] == 0xf0))
		t[1] = s[0] == 0xe0 ? 0xa0 : 0x90;
	return utf8_next(t, need, &cp) == need;
}

void
filekind_text_feed(struct filekind_text *t, const unsigned char *p,
    size_t n)
{
	unsigned char buf[8];
	size_t len, i, k;
	uint32_t cp;

	/* Complete a sequence held from the previous piece first. */
	while (t->nheld > 0 && n > 0 && !t->bad) {
		k = t->nheld;
		memcpy(buf, t->held, k);
		buf[k] = *p++;
		n--;
		if (utf8_next(buf, k + 1, &cp) == k + 1) {
			t->bad = !text_char(cp);
			t->nheld = 0;
		} else if (cut_sequence(buf, k + 1)) {
			t->held[k] = buf[k];
			t->nheld = k + 1;
		} else
			t->bad = 1;
	}
	for (i = 0; i < n && !t->bad; i += len) {
		if ((len = utf8_next(p + i, n - i, &cp)) == 0) {
			if (n - i < 4 && cut_sequence(p + i, n - i)) {
				memcpy(t->held, p + i, n - i);
				t->nheld = n - i;
				return;
			}
			t->bad = 1;
		} else if (!text_char(cp))
			t->bad = 1;
	}
}

int
filekind_text_end(const struct filekind_text *t)
{
	return !t->bad && t->nheld == 0;
}
