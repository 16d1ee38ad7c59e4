/* File kinds from the first bytes, never from a name or a declared
 * type; plain text checked over the whole file in pieces. */
#include "t.h"

#include "filekind.h"

static enum filekind
sniff(const char *s, size_t n)
{
	return filekind_sniff((const unsigned char *)s, n);
}

TEST(tells_each_accepted_kind_by_its_signature)
{
	CHECK(sniff("\xff\xd8\xff\xe0\x00\x10JFIF\x00", 11) == FILEKIND_JPEG);
	CHECK(sniff("\xff\xd8\xff\xe1\x12\x34" "Exif\x00", 11) ==
	    FILEKIND_JPEG);
	CHECK(sniff("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16) ==
	    FILEKIND_PNG);
	CHECK(sniff("RIFF\x24\x00\x00\x00WEBPVP8 ", 16) == FILEKIND_WEBP);
	CHECK(sniff("\x00\x00\x00\x18" "ftypheic\x00\x00\x00\x00", 16) ==
	    FILEKIND_HEIC);
	CHECK(sniff("\x00\x00\x00\x18" "ftypmif1\x00\x00\x00\x00", 16) ==
	    FILEKIND_HEIC);
	CHECK(sniff("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15) == FILEKIND_PDF);
	CHECK(sniff("Job offer: 3000", 15) == FILEKIND_TEXT);
	CHECK(sniff("\xef\xbb\xbf" "caf\xc3\xa9\r\n\tx", 11) == FILEKIND_TEXT);
}

TEST(refuses_every_other_kind)
{
	CHECK(sniff("PK\x03\x04\x14\x00\x00\x00", 8) == FILEKIND_NONE);
	CHECK(sniff("MZ\x90\x00\x03\x00\x00\x00", 8) == FILEKIND_NONE);
	CHECK(sniff("\x7f" "ELF\x02\x01\x01", 7) == FILEKIND_NONE);
	CHECK(sniff("GIF89a\x01\x00", 8) == FILEKIND_NONE);
	CHECK(sniff("RIFF\x24\x00\x00\x00WAVEfmt ", 16) == FILEKIND_NONE);
	CHECK(sniff("\x00\x00\x00\x18" "ftypisom\x00\x00\x00\x00", 16) ==
	    FILEKIND_NONE);
	CHECK(sniff(" %PDF-1.7\n%\xe2\xe3\xcf\xd3", 15) == FILEKIND_NONE);
	CHECK(sniff("\xff\xd8", 2) == FILEKIND_NONE);
	CHECK(sniff("", 0) == FILEKIND_NONE);
	CHECK(sniff("text\x1b[31m", 9) == FILEKIND_NONE);
	CHECK(sniff("bad \xc0\xaf", 6) == FILEKIND_NONE);
	CHECK(sniff("nul\x00", 4) == FILEKIND_NONE);
}

TEST(a_text_sequence_may_be_cut_at_the_sniffed_bytes)
{
	CHECK(sniff("0123456789abcd\xc3", 15) == FILEKIND_TEXT);
	CHECK(sniff("0123456789ab\xf0\x9f\x98", 15) == FILEKIND_TEXT);
	CHECK(sniff("0123456789abcd\xed", 15) == FILEKIND_TEXT);
	CHECK(sniff("0123456789abcd\xc0", 15) == FILEKIND_NONE);
	CHECK(sniff("0123456789abc\xf4\x90", 15) == FILEKIND_NONE);
}

/* Text fed in every split gives the same answer as fed whole. */
static int
text_ok(const char *s, size_t n, size_t step)
{
	struct filekind_text t;
	size_t i, k;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < n; i += k) {
		k = n - i < step ? n - i : step;
		filekind_text_feed(&t, (const unsigned char *)s + i, k);
	}
	return filekind_text_end(&t);
}

TEST(checks_text_over_the_whole_file_in_any_split)
{
	static const char good[] = "Stelle in \xc3\x96sterreich \xe2\x82\xac"
	    " 3000 \xf0\x9f\x98\x80\n\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7";
	static const char bad[] = "Stelle in \xc3\x96sterreich \xe2\x82";
	static const char ctl[] = "Stelle \xc3\x96 \xe2\x82\xac\x1b[0m";
	static const char surrogate[] = "ab \xed\xa0\x80 cd";
	size_t step;

	for (step = 1; step <= sizeof(good); step++) {
		CHECK(text_ok(good, sizeof(good) - 1, step));
		CHECK(!text_ok(bad, sizeof(bad) - 1, step));
		CHECK(!text_ok(ctl, sizeof(ctl) - 1, step));
		CHECK(!text_ok(surrogate, sizeof(surrogate) - 1, step));
	}
}

TEST(names_the_media_type_of_each_kind)
{
	CHECK(strcmp(filekind_type(FILEKIND_JPEG), "image/jpeg") == 0);
	CHECK(strcmp(filekind_type(FILEKIND_TEXT), "text/plain") == 0);
	CHECK(filekind_type(FILEKIND_NONE) == NULL);
	CHECK(filekind_from_type("application/pdf") == FILEKIND_PDF);
	CHECK(filekind_from_type("application/zip") == FILEKIND_NONE);
	CHECK(filekind_from_type(NULL) == FILEKIND_NONE);
}

int
main(void)
{
	RUN(tells_each_accepted_kind_by_its_signature);
	RUN(refuses_every_other_kind);
	RUN(a_text_sequence_may_be_cut_at_the_sniffed_bytes);
	RUN(checks_text_over_the_whole_file_in_any_split);
	RUN(names_the_media_type_of_each_kind);
	return T_DONE();
}
