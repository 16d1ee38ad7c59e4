/*
 * Fuzzes event_parse, which reads every event a relay receives and every
 * event a workstation pulls, then event_verify with the fuzzers' fixed
 * signing key (fuzz.h) and event_open with its envelope key. The seeds
 * are real events signed by that key (mkseed.c), so mutations reach the
 * signature check and the sealed part. A parsed event must describe its
 * bytes exactly, and any event that verifies must have been signed: a
 * mutated byte that still verifies is a broken property.
 */
#include <string.h>

#include "fuzz.h"

#include "event.h"

static unsigned char spk[32], ssk[64], xsk[SK_BYTES];
static struct seckey key;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_sodium();
	fuzz_sign_keypair(spk, ssk);
	fuzz_env_keypair(key.pub.pk, xsk);
	key_id(key.pub.pk, key.pub.id);
	key.sk = xsk;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct env_buf b = { NULL, 0 };
	unsigned char id[EVENT_HASH];
	struct event ev;
	enum event_err e;
	size_t n;

	e = event_parse(data, size, &ev);
	FUZZ_CHECK(event_strerror(e) != NULL);
	if (e != EVENT_OK)
		return 0;
	FUZZ_CHECK(ev.len == size && ev.len == EVENT_MIN + ev.sealedlen);
	FUZZ_CHECK(ev.sig == data + size - EVENT_SIG);
	FUZZ_CHECK(ev.type >= 1 && ev.type <= EV_TYPES && ev.seq >= 1);
	FUZZ_CHECK(ev.status >= 0 && ev.status <= 5);
	FUZZ_CHECK(ev.ref[0] == '\0' || strlen(ev.ref) == EVENT_REF);
	FUZZ_CHECK(event_follows(&ev, ev.seq - 1, ev.prev) ||
	    ev.seq == 1);
	event_id(data, size, id);
	if (event_verify(&ev, spk) != EVENT_OK)
		return 0;
	/* Verified: it is one of the seeds, byte for byte, so its sealed
	 * part (if any) opens under its own associated data. */
	if (ev.sealedlen > 0) {
		FUZZ_CHECK(event_open(&ev, &key, &b, &n) == ENV_OK);
		env_buf_free(&b);
	}
	return 0;
}
