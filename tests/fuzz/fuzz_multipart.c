/*
 * Fuzzes the multipart/form-data parser (lib/multipart.c) as
 * tipline-fcgi runs it on an upload: the body fed whole, then fed again
 * in pieces whose size the input's first byte chooses, must give the
 * same parts, the same content and the same result; every part respects
 * the bounds; and the safe name of every file name is safe (no path
 * separator, no control or bidirectional character, valid UTF-8, no
 * leading dot).
 */
#include <string.h>

#include "fuzz.h"

#include "multipart.h"
#include "utf8.h"

#define CTYPE	"multipart/form-data; boundary=b0und"

struct seen {
	unsigned char	 digest[32];
	crypto_hash_sha256_state st;
	unsigned	 parts;
	uint64_t	 file_bytes;	/* given to data() for this file */
};

static void
check_safe(const struct multipart_part *p)
{
	char out[MAX_FILENAME + 1];
	size_t i, len, n, count;
	uint32_t cp;

	multipart_safe_name(p->filename, p->filenamelen, out, sizeof(out));
	n = strlen(out);
	FUZZ_CHECK(n > 0 && n < sizeof(out));
	FUZZ_CHECK(utf8_valid((const unsigned char *)out, n, &count));
	FUZZ_CHECK(out[0] != '.' && out[0] != '-');
	for (i = 0; i < n; i += len) {
		len = utf8_next((const unsigned char *)out + i, n - i, &cp);
		FUZZ_CHECK(len > 0);
		FUZZ_CHECK(cp >= 0x20 && cp != 0x7f && cp != '/' &&
		    cp != '\\' && !(cp >= 0x202a && cp <= 0x202e) &&
		    !(cp >= 0x2066 && cp <= 0x2069));
	}
}

static int
on_begin(void *ctx, const struct multipart_part *p)
{
	struct seen *s = ctx;

	FUZZ_CHECK(p->index == s->parts && p->index < MAX_PARTS);
	FUZZ_CHECK(p->namelen >= 1 && p->namelen <= MAX_FIELD_NAME);
	FUZZ_CHECK(p->name[p->namelen] == '\0');
	FUZZ_CHECK(p->filenamelen <= MAX_FILENAME);
	FUZZ_CHECK(p->size == 0 && !p->too_large);
	s->parts++;
	s->file_bytes = 0;
	crypto_hash_sha256_update(&s->st, (const unsigned char *)p->name,
	    p->namelen + 1);
	crypto_hash_sha256_update(&s->st, p->filename, p->filenamelen);
	check_safe(p);
	return 0;
}

static int
on_data(void *ctx, const struct multipart_part *p, const unsigned char *d,
    size_t n)
{
	struct seen *s = ctx;

	FUZZ_CHECK(n > 0);
	s->file_bytes += n;
	FUZZ_CHECK(p->is_file ? s->file_bytes <= 300 :
	    s->file_bytes <= 200);
	crypto_hash_sha256_update(&s->st, d, n);
	return 0;
}

static int
on_end(void *ctx, const struct multipart_part *p)
{
	struct seen *s = ctx;

	crypto_hash_sha256_update(&s->st, (const unsigned char *)"]", 1);
	FUZZ_CHECK(p->too_large == (p->is_file && p->size > 300));
	return 0;
}

static enum multipart_err
parse(const uint8_t *data, size_t size, size_t step, struct seen *s)
{
	static struct multipart m;
	struct multipart_handler h = { on_begin, on_data, on_end, s };
	struct multipart_limits lim = { 20, 200, 300 };
	enum multipart_err e;
	size_t i, k;

	memset(s, 0, sizeof(*s));
	crypto_hash_sha256_init(&s->st);
	FUZZ_CHECK(multipart_init(&m, CTYPE, &lim, &h) == MULTIPART_OK);
	e = MULTIPART_OK;
	for (i = 0; i < size && e == MULTIPART_OK; i += k) {
		k = size - i < step ? size - i : step;
		e = multipart_feed(&m, data + i, k);
	}
	if (e == MULTIPART_OK)
		e = multipart_finish(&m);
	crypto_hash_sha256_final(&s->st, s->digest);
	return e;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen whole, pieces;
	enum multipart_err e1, e2;
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	e1 = parse(data, size, size ? size : 1, &whole);
	e2 = parse(data, size, step, &pieces);
	FUZZ_CHECK(e1 == e2);
	/* On an error the pieces may have passed on more content first. */
	if (e1 == MULTIPART_OK) {
		FUZZ_CHECK(whole.parts == pieces.parts);
		FUZZ_CHECK(memcmp(whole.digest, pieces.digest, 32) == 0);
	}
	return 0;
}
