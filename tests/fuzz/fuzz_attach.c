/*
 * Fuzzes the attachment opener (lib/attach.c) as the CLI runs it on a
 * case file's rows: a head's plaintext to attach_head_parse (index from
 * the first byte), then, for a head that parses, the rest of the input
 * as chunks to attach_open_chunk. A head that parses is consistent
 * (chunk count from the size, name within MAX_FILENAME); no chunk gives
 * more than a chunk's bytes, nor the file more than its size; the end
 * is accepted only after the FINAL chunk.
 */
#include <string.h>

#include "fuzz.h"

#include "attach.h"

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
	struct attach_head h;
	struct attach_open *o;
	const unsigned char *p;
	size_t headlen, n, k, total = 0;
	uint32_t j = 0;
	unsigned idx;

	if (size < 2)
		return 0;
	idx = data[0] % MAX_FILES;
	headlen = data[1] + ATTACH_HEAD_FIXED < size - 2 ?
	    data[1] + ATTACH_HEAD_FIXED : size - 2;
	data += 2;
	size -= 2;
	if (attach_head_parse(data, headlen, idx, &h) != ATTACH_OK)
		return 0;
	FUZZ_CHECK(h.index == idx && h.namelen <= MAX_FILENAME);
	FUZZ_CHECK(h.size <= MAX_FILE_BYTES);
	FUZZ_CHECK(h.nchunks == attach_bucket(h.size) / ATTACH_CHUNK);
	FUZZ_CHECK(h.name[h.namelen] == '\0');
	data += headlen;
	size -= headlen;
	FUZZ_CHECK((o = attach_open_new(&h, FUZZ_REF)) != NULL);
	for (k = 0; k < size; k += ATTACH_CHUNK_CT, j++) {
		n = size - k < ATTACH_CHUNK_CT ? size - k : ATTACH_CHUNK_CT;
		if (attach_open_chunk(o, j, data + k, n, &p, &n) != ATTACH_OK)
			break;
		FUZZ_CHECK(n <= ATTACH_CHUNK);
		total += n;
		FUZZ_CHECK(total <= h.size);
	}
	if (attach_open_end(o) == ATTACH_OK)
		FUZZ_CHECK(total == h.size && j == h.nchunks);
	attach_open_free(o);
	return 0;
}
