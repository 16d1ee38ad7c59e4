/* Attachments sealed in chunks (lib/attach.c): every size round trip,
 * and each way a stored file can be damaged is refused by name.
 * `t_attach --dump DIR` writes one sealed file for the independent
 * opener (tests/integration/test_attach_open.py). */
#include <sys/stat.h>

#include "t.h"

#include "attach.h"
#include "envelope.h"

#define REF	"TL-7KQ2-M9XD"
#define SEED	"tipline attach test key seed...."	/* 32 bytes */

struct sealed {
	unsigned char	*ct;	/* nchunks * ATTACH_CHUNK_CT */
	uint32_t	 n;
	unsigned char	 head[ATTACH_HEAD_MAX];
	size_t		 headlen;
};

static int
collect(void *ctx, uint32_t chunkno, const unsigned char *ct, size_t n)
{
	struct sealed *s = ctx;

	if (chunkno != s->n || n != ATTACH_CHUNK_CT)
		return -1;
	s->ct = realloc(s->ct, (size_t)(s->n + 1) * ATTACH_CHUNK_CT);
	memcpy(s->ct + (size_t)s->n * ATTACH_CHUNK_CT, ct, n);
	s->n++;
	return 0;
}

static unsigned char *
content(size_t n)
{
	unsigned char *p = malloc(n + 1);

	randombytes_buf_deterministic(p, n + 1,
	    (const unsigned char *)SEED);
	return p;
}

/* Seals p[0..n) fed in pieces of step bytes. */
static int
seal(const char *ref, unsigned index, const unsigned char *p, size_t n,
    size_t step, struct sealed *s)
{
	struct attach_seal *a = attach_seal_new(ref, index, collect, s);
	size_t i, k;
	int rv = -1;

	memset(s, 0, sizeof(*s));
	if (a == NULL)
		return -1;
	for (i = 0; i < n; i += k) {
		k = n - i < step ? n - i : step;
		if (attach_seal_update(a, p + i, k) != 0)
			goto out;
	}
	rv = attach_seal_final(a, FILEKIND_PDF, (const unsigned char *)"a.pdf",
	    5, s->head, &s->headlen);
out:
	attach_seal_free(a);
	return rv;
}

/* Opens s; the file's bytes in *out (malloc'd), or the error. */
static enum attach_err
open_all(const struct sealed *s, const char *ref, unsigned index,
    unsigned char **out, size_t *outlen)
{
	struct attach_head h;
	struct attach_open *o;
	const unsigned char *p;
	enum attach_err e;
	size_t n;
	uint32_t i;

	*out = malloc(MAX_FILE_BYTES + 1);
	*outlen = 0;
	if ((e = attach_head_parse(s->head, s->headlen, index, &h)) != 0)
		return e;
	if ((o = attach_open_new(&h, ref)) == NULL)
		return ATTACH_E_NOMEM;
	for (i = 0; i < s->n; i++) {
		e = attach_open_chunk(o, i, s->ct + (size_t)i * ATTACH_CHUNK_CT,
		    ATTACH_CHUNK_CT, &p, &n);
		if (e != ATTACH_OK)
			goto out;
		memcpy(*out + *outlen, p, n);
		*outlen += n;
	}
	e = attach_open_end(o);
out:
	attach_open_free(o);
	return e;
}

TEST(pads_to_a_power_of_two_of_at_least_one_chunk)
{
	CHECK(attach_bucket(0) == ATTACH_CHUNK);
	CHECK(attach_bucket(ATTACH_CHUNK - 1) == ATTACH_CHUNK);
	CHECK(attach_bucket(ATTACH_CHUNK) == 2 * ATTACH_CHUNK);
	CHECK(attach_bucket(3 * ATTACH_CHUNK) == 4 * ATTACH_CHUNK);
	CHECK(attach_bucket(MAX_FILE_BYTES) == 16 * 1024 * 1024);
	CHECK(attach_bucket(MAX_FILE_BYTES) / ATTACH_CHUNK <=
	    ATTACH_MAX_CHUNKS);
}

TEST(every_size_opens_to_the_same_bytes_however_fed)
{
	static const size_t sizes[] = { 0, 1, ATTACH_CHUNK - 1, ATTACH_CHUNK,
	    ATTACH_CHUNK + 1, 3 * ATTACH_CHUNK + 5, 5 * ATTACH_CHUNK };
	static const size_t steps[] = { 1, 1000, ATTACH_CHUNK, 1 << 20 };
	struct sealed s;
	unsigned char *p, *out;
	size_t i, j, n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = content(sizes[i]);
		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			if (sizes[i] > 100000 && steps[j] == 1)
				continue;
			CHECK(seal(REF, 2, p, sizes[i], steps[j], &s) == 0);
			CHECK(s.n == attach_bucket(sizes[i]) / ATTACH_CHUNK);
			CHECK(open_all(&s, REF, 2, &out, &n) == ATTACH_OK);
			CHECK(n == sizes[i] && memcmp(out, p, n) == 0);
			free(out);
			free(s.ct);
		}
		free(p);
	}
}

TEST(the_head_holds_name_kind_size_and_refuses_others)
{
	struct sealed s;
	struct attach_head h;
	unsigned char *p = content(100);

	CHECK(seal(REF, 1, p, 100, 7, &s) == 0);
	CHECK(attach_head_parse(s.head, s.headlen, 1, &h) == ATTACH_OK);
	CHECK(h.kind == FILEKIND_PDF && h.size == 100 && h.nchunks == 1 &&
	    h.namelen == 5 && strcmp((char *)h.name, "a.pdf") == 0);
	CHECK(attach_head_parse(s.head, s.headlen, 0, &h) == ATTACH_E_HEAD);
	CHECK(attach_head_parse(s.head, s.headlen - 1, 1, &h) ==
	    ATTACH_E_HEAD);
	s.head[19] ^= 1;	/* a chunk count that does not match the size */
	CHECK(attach_head_parse(s.head, s.headlen, 1, &h) == ATTACH_E_HEAD);
	s.head[19] ^= 1;
	s.head[5] = 9;		/* no such kind */
	CHECK(attach_head_parse(s.head, s.headlen, 1, &h) == ATTACH_E_HEAD);
	free(s.ct);
	free(p);
}

TEST(a_flipped_moved_swapped_or_cut_chunk_is_named)
{
	struct sealed s, other, same_ref;
	unsigned char *p = content(3 * ATTACH_CHUNK + 5), *out, save;
	unsigned char tmp[ATTACH_CHUNK_CT];
	size_t n;

	CHECK(seal(REF, 0, p, 3 * ATTACH_CHUNK + 5, 4096, &s) == 0);
	CHECK(s.n == 4);
	/* flipped */
	save = s.ct[ATTACH_CHUNK_CT + 100];
	s.ct[ATTACH_CHUNK_CT + 100] ^= 0x01;
	CHECK(open_all(&s, REF, 0, &out, &n) == ATTACH_E_AUTH);
	free(out);
	s.ct[ATTACH_CHUNK_CT + 100] = save;
	/* two chunks swapped */
	memcpy(tmp, s.ct, ATTACH_CHUNK_CT);
	memcpy(s.ct, s.ct + ATTACH_CHUNK_CT, ATTACH_CHUNK_CT);
	memcpy(s.ct + ATTACH_CHUNK_CT, tmp, ATTACH_CHUNK_CT);
	CHECK(open_all(&s, REF, 0, &out, &n) == ATTACH_E_AUTH);
	free(out);
	memcpy(s.ct + ATTACH_CHUNK_CT, s.ct, ATTACH_CHUNK_CT);
	memcpy(s.ct, tmp, ATTACH_CHUNK_CT);
	CHECK(open_all(&s, REF, 0, &out, &n) == ATTACH_OK);
	free(out);
	/* the whole file under another report's reference */
	CHECK(open_all(&s, "TL-OTHR-REF0", 0, &out, &n) == ATTACH_E_AUTH);
	free(out);
	/* a chunk from another report's file, and from another file of
	 * the same report */
	CHECK(seal("TL-OTHR-REF0", 0, p, 3 * ATTACH_CHUNK + 5, 4096,
	    &other) == 0);
	CHECK(seal(REF, 1, p, 3 * ATTACH_CHUNK + 5, 4096, &same_ref) == 0);
	memcpy(tmp, s.ct + 2 * ATTACH_CHUNK_CT, ATTACH_CHUNK_CT);
	memcpy(s.ct + 2 * ATTACH_CHUNK_CT, other.ct + 2 * ATTACH_CHUNK_CT,
	    ATTACH_CHUNK_CT);
	CHECK(open_all(&s, REF, 0, &out, &n) == ATTACH_E_AUTH);
	free(out);
	memcpy(s.ct + 2 * ATTACH_CHUNK_CT, same_ref.ct + 2 * ATTACH_CHUNK_CT,
	    ATTACH_CHUNK_CT);
	CHECK(open_all(&s, REF, 0, &out, &n) == ATTACH_E_AUTH);
	free(out);
	memcpy(s.ct + 2 * ATTACH_CHUNK_CT, tmp, ATTACH_CHUNK_CT);
	/* the final chunk removed, and a chunk cut short */
	s.n = 3;
	CHECK(open_all(&s, REF, 0, &out, &n) == ATTACH_E_TRUNCATED);
	free(out);
	s.n = 4;
	{
		struct attach_head h;
		struct attach_open *o;
		const unsigned char *q;
		size_t k;

		CHECK(attach_head_parse(s.head, s.headlen, 0, &h) == 0);
		o = attach_open_new(&h, REF);
		CHECK(attach_open_chunk(o, 0, s.ct, ATTACH_CHUNK_CT - 1, &q,
		    &k) == ATTACH_E_AUTH);
		CHECK(attach_open_chunk(o, 1, s.ct + ATTACH_CHUNK_CT,
		    ATTACH_CHUNK_CT, &q, &k) == ATTACH_E_ORDER);
		attach_open_free(o);
	}
	CHECK(open_all(&s, REF, 0, &out, &n) == ATTACH_OK &&
	    n == 3 * ATTACH_CHUNK + 5 && memcmp(out, p, n) == 0);
	free(out);
	free(s.ct);
	free(other.ct);
	free(same_ref.ct);
	free(p);
}

static void
put_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0) {
		fprintf(stderr, "t_attach: cannot write %s\n", path);
		exit(1);
	}
}

/* A text file of 3 chunks and a bit, sealed to the key pair derived
 * from SEED: its head envelope (v1), its chunks one after another, and
 * the plaintext, for the opener written from FORMATS.md alone. */
static int
dump(const char *dir)
{
	static const char line[] = "tipline attachment marker 0123456789\n";
	struct recipients r;
	unsigned char sk[SK_BYTES], *env, *p;
	char href[ATTACH_REF_MAX];
	struct sealed s;
	size_t n = 3 * ATTACH_CHUNK + 77, i, envlen;

	p = malloc(n);
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)line[i % (sizeof(line) - 1)];
	memset(&r, 0, sizeof(r));
	r.n = 1;
	crypto_box_seed_keypair(r.k[0].pk, sk, (const unsigned char *)SEED);
	key_id(r.k[0].pk, r.k[0].id);
	if (seal(REF, 2, p, n, 5000, &s) != 0)
		return 1;
	attach_head_ref(REF, 2, href);
	if (envelope_seal(&r, href, s.head, s.headlen, &env, &envlen) != 0)
		return 1;
	mkdir(dir, 0700);
	put_file(dir, "head.env", env, envlen);
	put_file(dir, "chunks", s.ct, (size_t)s.n * ATTACH_CHUNK_CT);
	put_file(dir, "plain", p, n);
	free(env);
	free(s.ct);
	free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2]);
	RUN(pads_to_a_power_of_two_of_at_least_one_chunk);
	RUN(every_size_opens_to_the_same_bytes_however_fed);
	RUN(the_head_holds_name_kind_size_and_refuses_others);
	RUN(a_flipped_moved_swapped_or_cut_chunk_is_named);
	return T_DONE();
}
