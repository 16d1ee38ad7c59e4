"""The attachment format (docs/FORMATS.md section 3b) is what the code
writes: a file sealed by lib/attach.c (t_attach --dump) is opened by
open_attachment.py, written from the document alone, byte for byte; and
the same opener refuses it under another reference, another index, with
a chunk flipped, two chunks swapped, or the final chunk removed.

usage: /usr/bin/python3 tests/integration/test_attach_open.py --build build"""

import os
import shutil
import subprocess
import sys
import tempfile

import nacl.bindings as nb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Runner, TOP  # noqa: E402
from open_attachment import Fail, open_file, CHUNK_CT  # noqa: E402

SEED = b"tipline attach test key seed...."
REF = "TL-7KQ2-M9XD"


def load(d):
    return [open(os.path.join(d, n), "rb").read() for n in ("head.env", "chunks", "plain")]


def t_opens_from_the_document(d):
    head_env, chunks, plain = load(d)
    pk, sk = nb.crypto_box_seed_keypair(SEED)
    head, data = open_file(head_env, chunks, REF, 2, pk, sk)
    assert data == plain, "different bytes"
    assert head["kind"] == "application/pdf" and head["name"] == b"a.pdf"
    assert head["chunks"] == 4 and len(chunks) == 4 * CHUNK_CT


def refused(head_env, chunks, ref, index):
    pk, sk = nb.crypto_box_seed_keypair(SEED)
    try:
        open_file(head_env, chunks, ref, index, pk, sk)
    except Fail:
        return True
    return False


def t_damage_refused(d):
    head_env, chunks, _ = load(d)
    assert refused(head_env, chunks, "TL-OTHR-REF0", 2)
    assert refused(head_env, chunks, REF, 1)
    flipped = bytearray(chunks)
    flipped[CHUNK_CT + 7] ^= 1
    assert refused(head_env, bytes(flipped), REF, 2)
    swapped = chunks[CHUNK_CT:2 * CHUNK_CT] + chunks[:CHUNK_CT] + chunks[2 * CHUNK_CT:]
    assert refused(head_env, swapped, REF, 2)
    assert refused(head_env, chunks[:3 * CHUNK_CT], REF, 2)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    d = tempfile.mkdtemp(prefix="tipline-attach-")
    try:
        subprocess.run([os.path.join(TOP, build, "tests", "t_attach"), "--dump",
                        os.path.join(d, "f")], check=True)
        run.run("independent_opener_reads_a_file_from_formats_md",
                t_opens_from_the_document, os.path.join(d, "f"))
        run.run("independent_opener_refuses_moved_flipped_swapped_cut",
                t_damage_refused, os.path.join(d, "f"))
    finally:
        shutil.rmtree(d)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
