"""An independent writer of events and speaker of the sync protocol,
from docs/FORMATS.md sections 3, 9 and 10 alone (PyNaCl), for the relay
and sync tests: PyNaCl signs, the C relay verifies, and the other way
round (open_event.py)."""

import os
import subprocess

import nacl.bindings as nb
import nacl.encoding
import nacl.hash

import open_envelope as oe
import open_event as ox

HELLO, PULL, REPORT, EVENT, END, PUSH, ACK, ERROR = range(1, 9)
MAX_FRAME = 1 + 31 + 32 + 2 * 1024 * 1024
STATUS = {"new": 1, "in-review": 2, "forwarded": 3, "closed": 4, "spam": 5}
TYPE = {name: i for i, name in enumerate(ox.TYPES) if name}


def seal(recipients, ad_ref, plaintext):
    """Section 3: an envelope to recipients [(key id, pk)]."""
    ck = os.urandom(32)
    bucket = 1024
    while bucket <= len(plaintext):
        bucket *= 2
    padded = plaintext + b"\x80" + b"\0" * (bucket - len(plaintext) - 1)
    out = b"TLEV\x01" + bytes([len(recipients)])
    for kid, pk in recipients:
        out += kid + nb.crypto_box_seal(ck, pk)
    nonce = os.urandom(24)
    ad = b"TLEV\x01" + ad_ref.encode()
    return out + nonce + nb.crypto_aead_xchacha20poly1305_ietf_encrypt(
        padded, ad, nonce, ck)


class Author:
    """An analyst's chain: signs events with a key unlocked by
    open_envelope.unlock_identity."""

    def __init__(self, key, team):
        self.key = key
        self.team = [(m["id"], m["box"]) for m in team]
        self.seq = 0
        self.last = None

    def event(self, type_name, ref, status=None, plain=None, day=None,
              seq=None, prev=None, commit=True):
        seq = self.seq + 1 if seq is None else seq
        if prev is None:
            prev = self.last if seq > 1 and self.last else bytes(32)
        sealed = b""
        if plain is not None:
            sealed = seal(self.team, "%s/event/%s/%d" % (
                ref or "-", self.key["id"].hex(), seq), plain)
        head = (b"TLEE\x01" + bytes([TYPE[type_name]]) + self.key["id"] +
                seq.to_bytes(8, "big") + prev +
                (ref.encode() if ref else bytes(12)) +
                (day or "2026-12-01").encode() +
                bytes([STATUS.get(status, 0)]) + len(sealed).to_bytes(4, "big")
                + sealed)
        sig = nb.crypto_sign(head, self.key["sign_seed"] +
                             self.key["sign_pk"])[:64]
        raw = head + sig
        if commit:
            self.seq = seq
            self.last = ox.event_id(raw)
        return raw


def frame(type_, body=b""):
    return (1 + len(body)).to_bytes(4, "big") + bytes([type_]) + body


class Relay:
    """tipline-relay as a child, spoken to frame by frame."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def recv(self):
        hdr = self.p.stdout.read(4)
        if len(hdr) < 4:
            return None, b""
        n = int.from_bytes(hdr, "big")
        assert 1 <= n <= MAX_FRAME, n
        body = self.p.stdout.read(n)
        assert len(body) == n
        return body[0], body[1:]

    def hello(self):
        self.send(frame(HELLO, b"TLSYNC\x02"))
        t, b = self.recv()
        assert t == HELLO and b == b"TLSYNC\x02", (t, b)

    def pull(self, rcur=0, ecur=0, mcur=0, fcur=0):
        """[(type, body)] up to END, and END's report and event cursors
        (self.cursors: all four)."""
        self.send(frame(PULL, b"".join(
            c.to_bytes(8, "big") for c in (rcur, ecur, mcur, fcur))))
        got = []
        while True:
            t, b = self.recv()
            # 9 MESSAGE, 10 HISTORY, 11 FILE, 12 CHUNK (section 10)
            assert t in (REPORT, EVENT, END, 9, 10, 11, 12), (t, b[:100])
            if t == END:
                assert len(b) == 32, len(b)
                self.cursors = tuple(int.from_bytes(b[i:i + 8], "big")
                                     for i in range(0, 32, 8))
                return got, self.cursors[:2]
            got.append((t, b))

    def push(self, raw):
        self.send(frame(PUSH, raw))
        t, b = self.recv()
        assert t == ACK, (t, b)
        return b[0], b[1:].decode("ascii")

    def close(self, timeout=30):
        try:
            if not self.p.stdin.closed:
                self.p.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.p.wait(timeout)
        err = self.p.stderr.read().decode("utf-8", "replace")
        self.p.stdout.close()
        self.p.stderr.close()
        return rc, err


def report_frame(body):
    """A REPORT body: (id, ref, day, status, envelope); the receipt's
    public key (body[31:63]) is receipt_pk_of's."""
    return (int.from_bytes(body[:8], "big"), body[8:20].decode(),
            body[20:30].decode(), body[30], body[63:])


def receipt_pk_of(body):
    """A REPORT body's receipt public key (32 zero bytes: none)."""
    return body[31:63]
