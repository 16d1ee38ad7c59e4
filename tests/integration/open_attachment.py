#!/usr/bin/python3
"""Open a tipline attachment independently of the C code.

Written from docs/FORMATS.md sections 3 and 3b alone (the envelope of
the head is opened by open_envelope.py, itself written from section 3),
so that it checks the document as much as the code.

Usage:
    open_attachment.py HEAD_ENVELOPE CHUNKS REF INDEX SECRET_KEY_FILE PASSPHRASE_FILE

CHUNKS is the file's sealed chunks one after another (65553 bytes each).
Writes the file's bytes to stdout and exits 0; on any failure prints a
message to stderr and exits 1.

Needs only the standard library and PyNaCl (Debian: python3-nacl).
"""

import os
import sys

import nacl.bindings as nb
import nacl.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from open_envelope import (Fail, open_envelope, read_file,  # noqa: E402
                           read_passphrase, unlock_secret_key, MAX_ENVELOPE)

CHUNK = 65536
CHUNK_CT = CHUNK + 17
HEAD_FIXED = 76
MAX_FILE = 10 * 1024 * 1024
KINDS = {1: "image/jpeg", 2: "image/png", 3: "image/webp", 4: "image/heic",
         5: "application/pdf", 6: "text/plain"}


def bucket(size):
    """Section 3b: the smallest power of two >= 65536 and > size."""
    b = CHUNK
    while b <= size:
        b *= 2
    return b


def parse_head(h, index):
    """Section 3b, 'The head'."""
    if (len(h) < HEAD_FIXED or h[0:4] != b"TLFH" or h[4] != 1 or h[6] != index
            or len(h) != HEAD_FIXED + h[7]):
        raise Fail("not a file head (or not of file %d)" % index)
    size = int.from_bytes(h[8:16], "big")
    count = int.from_bytes(h[16:20], "big")
    if h[5] not in KINDS or size > MAX_FILE or count != bucket(size) // CHUNK:
        raise Fail("not a file head (kind, size or chunk count)")
    return {"kind": KINDS[h[5]], "size": size, "chunks": count,
            "key": h[20:52], "header": h[52:76], "name": h[76:]}


def open_file(head_env, chunks, ref, index, pk, sk):
    """Section 3b, 'Opening a file, step by step'. Returns (head, bytes)."""
    head = parse_head(open_envelope(head_env, "%s/%d" % (ref, index), pk, sk),
                      index)
    c = head["chunks"]
    if len(chunks) != c * CHUNK_CT:
        raise Fail("%d bytes of chunks, expected %d chunks of %d"
                   % (len(chunks), c, CHUNK_CT))
    state = nb.crypto_secretstream_xchacha20poly1305_state()
    nb.crypto_secretstream_xchacha20poly1305_init_pull(state, head["header"],
                                                       head["key"])
    padded = bytearray()
    for j in range(c):
        ad = b"TLFC\x01" + bytes([index]) + j.to_bytes(4, "big") + ref.encode()
        try:
            m, tag = nb.crypto_secretstream_xchacha20poly1305_pull(
                state, chunks[j * CHUNK_CT:(j + 1) * CHUNK_CT], ad)
        except nacl.exceptions.CryptoError:
            raise Fail("chunk %d does not authenticate" % j)
        final = tag == nb.crypto_secretstream_xchacha20poly1305_TAG_FINAL
        if len(m) != CHUNK or final != (j == c - 1):
            raise Fail("chunk %d: wrong length or final tag" % j)
        padded += m
    size = head["size"]
    if padded[size] != 0x80 or any(padded[size + 1:]):
        raise Fail("bad padding")
    return head, bytes(padded[:size])


def main(argv):
    if len(argv) != 7:
        raise Fail("usage: open_attachment.py HEAD_ENVELOPE CHUNKS REF INDEX "
                   "SECRET_KEY_FILE PASSPHRASE_FILE")
    headf, chunksf, ref, index, keyfile, passfile = argv[1:]
    pk, sk, _ = unlock_secret_key(keyfile, read_passphrase(passfile))
    with open(chunksf, "rb") as f:
        chunks = f.read(MAX_FILE * 2 + 1024 * 1024)
    _, data = open_file(read_file(headf, MAX_ENVELOPE), chunks, ref,
                        int(index), pk, sk)
    sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Fail as e:
        sys.stderr.write("open_attachment: %s\n" % e)
        sys.exit(1)
