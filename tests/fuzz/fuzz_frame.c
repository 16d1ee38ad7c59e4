/*
 * Fuzzes frame_parse, which reads every frame tipline-relay gets from a
 * client (and every frame the CLI gets from a relay, which may be the
 * server's attacker). A frame it accepts must lie inside the input, be
 * of a known type, and carry only what its type allows: a printable
 * message, a valid reference and day, an event-sized event.
 */
#include <string.h>

#include "fuzz.h"

#include "frame.h"

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
	struct frame f;
	enum frame_err e;
	size_t i, used = 0;

	/* A stream of frames, as frame_read would see it. */
	while (used < size) {
		e = frame_parse(data + used, size - used, &f);
		FUZZ_CHECK(frame_strerror(e) != NULL);
		if (e != FRAME_OK)
			break;
		FUZZ_CHECK(f.len >= FRAME_LEN + 1 && f.len <= size - used);
		FUZZ_CHECK(f.len <= FRAME_LEN + MAX_FRAME);
		FUZZ_CHECK((f.type >= FR_HELLO && f.type <= FR_ERROR) ||
		    f.type == FR_MESSAGE || f.type == FR_HISTORY ||
		    f.type == FR_FILE || f.type == FR_CHUNK);
		if (f.data != NULL)
			FUZZ_CHECK(f.data >= data + used &&
			    f.data + f.datalen <= data + used + f.len);
		if ((f.type == FR_ACK || f.type == FR_ERROR) && f.data != NULL)
			for (i = 0; i < f.datalen; i++)
				FUZZ_CHECK(f.data[i] >= 0x20 && f.data[i] <= 0x7e);
		if (f.type == FR_PUSH || f.type == FR_EVENT)
			FUZZ_CHECK(f.datalen >= EVENT_MIN &&
			    f.datalen <= EVENT_MAX);
		if (f.type == FR_MESSAGE)
			FUZZ_CHECK(strlen(f.ref) == EVENT_REF &&
			    strlen(f.day) == 10 && f.datalen >= 1 &&
			    f.datalen <= MAX_ENVELOPE);
		/* Only a REPORT carries a receipt key (section 10). */
		if (f.type == FR_HISTORY)
			for (i = 0; i < FRAME_RECEIPT_PK; i++)
				FUZZ_CHECK(f.receipt_pk[i] == 0);
		if (f.type == FR_REPORT || f.type == FR_HISTORY)
			FUZZ_CHECK(strlen(f.ref) == EVENT_REF &&
			    strlen(f.day) == 10 && f.status >= 1 &&
			    f.status <= 5);
		used += f.len;
	}
	return 0;
}
