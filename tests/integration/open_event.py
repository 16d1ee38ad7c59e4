#!/usr/bin/python3
"""Read tipline events independently of the C code.

Written from docs/FORMATS.md section 9 (and sections 3 and 8, through
open_envelope.py) alone: parse an event, find its author in a team
file, verify the Ed25519 signature, check each author's chain, and open
the sealed part with an analyst's key.

Usage:
    open_event.py TEAM_FILE SECRET_KEY_FILE PASSPHRASE_FILE EVENT_FILE...

Checks the events in the order given, as one stream, and prints one JSON
line per event: {"author": NAME, "seq": N, "type": T, "ref": R, "day": D,
"status": S, "sealed": {...} or null}. Exits 1 at the first event that
does not parse, is signed by no member of the team, does not verify or
breaks its author's chain, with the reason on stderr.

Needs only the standard library and PyNaCl (Debian: python3-nacl).
"""

import json
import os
import sys

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import open_envelope as oe  # noqa: E402

MAGIC = b"TLEE"
VERSION = 1
HEAD = 81
SIG = 64
MAX_SEALED = 6 + 88 * 16 + 24 + 2 * 524288 + 16     # 1,050,030
STATUSES = [None, "new", "in-review", "forwarded", "closed", "spam"]
TYPES = [None, "status", "note", "route", "assign", "grant", "purge",
         "reply"]
# type: (needs a ref, allowed clear statuses, sealed part: True
# required, None optional)
RULES = {
    1: (True, range(1, 6), None),
    2: (True, (0,), True),
    3: (True, (3,), True),
    4: (True, (0,), True),
    5: (False, (0,), True),
    6: (True, (0,), None),
    7: (True, (0,), True),
}


class Bad(Exception):
    """An event that must be refused."""


def event_id(raw):
    return nacl.hash.blake2b(raw, digest_size=32,
                             encoder=nacl.encoding.RawEncoder)


def parse(raw):
    """Step 1: the fields, or Bad."""
    n = len(raw)
    if n < HEAD + SIG or n > HEAD + SIG + MAX_SEALED:
        raise Bad("length %d out of bounds" % n)
    if raw[0:4] != MAGIC or raw[4] != VERSION:
        raise Bad("not a tipline event v1")
    s = int.from_bytes(raw[77:81], "big")
    if s > MAX_SEALED or n != HEAD + SIG + s:
        raise Bad("sealed length %d does not match" % s)
    ev = {"type": raw[5], "author": raw[6:14],
          "seq": int.from_bytes(raw[14:22], "big"), "prev": raw[22:54],
          "day": raw[66:76], "status": raw[76],
          "sealed": raw[HEAD:HEAD + s], "sig": raw[HEAD + s:],
          "signed": raw[:HEAD + s], "raw": raw}
    ref = raw[54:66]
    if ref == bytes(12):
        ev["ref"] = ""
    elif oe.REF_RE.match(ref.decode("ascii", "replace")):
        ev["ref"] = ref.decode("ascii")
    else:
        raise Bad("not a reference")
    d = ev["day"]
    if not (all(0x30 <= d[i] <= 0x39 for i in (0, 1, 2, 3, 5, 6, 8, 9))
            and d[4] == 0x2d and d[7] == 0x2d):
        raise Bad("not a day")
    if ev["type"] not in RULES or ev["status"] > 5:
        raise Bad("unknown type or status")
    need_ref, statuses, sealed = RULES[ev["type"]]
    if bool(ev["ref"]) != need_ref or ev["status"] not in statuses or \
            (sealed and s == 0):
        raise Bad("breaks the rules of type %s" % TYPES[ev["type"]])
    if ev["seq"] == 0 or (ev["seq"] == 1) != (ev["prev"] == bytes(32)):
        raise Bad("broken chain link")
    return ev


def verify(ev, team):
    """Steps 2 and 3: the author's identity, or Bad."""
    for m in team:
        if m["id"] == ev["author"]:
            break
    else:
        raise Bad("signed by %s, not in the team file"
                  % ev["author"].hex())
    try:
        nacl.bindings.crypto_sign_open(ev["sig"] + ev["signed"], m["sign"])
    except nacl.exceptions.BadSignatureError:
        raise Bad("the signature does not verify")
    return m


class Chains:
    """Step 4: each author's last seq and event id."""

    def __init__(self):
        self.last = {}

    def check(self, ev):
        seq, last_id = self.last.get(ev["author"], (0, None))
        if ev["seq"] <= seq:
            raise Bad("seq %d after %d: replayed or reordered"
                      % (ev["seq"], seq))
        if ev["seq"] != seq + 1:
            raise Bad("seq %d after %d: an event is missing"
                      % (ev["seq"], seq))
        if seq and ev["prev"] != last_id:
            raise Bad("prev does not match the author's event %d" % seq)
        self.last[ev["author"]] = (ev["seq"], event_id(ev["raw"]))


def open_sealed(ev, pk, sk):
    """Step 5: the sealed JSON, or None when there is no sealed part."""
    if not ev["sealed"]:
        return None
    ad_ref = "%s/event/%s/%d" % (ev["ref"] or "-", ev["author"].hex(),
                                 ev["seq"])
    try:
        pt = oe.open_envelope(ev["sealed"], ad_ref, pk, sk)
    except oe.Fail as e:
        raise Bad("sealed part: %s" % e)
    return json.loads(pt.decode("utf-8"))


def main(argv):
    if len(argv) < 5:
        raise oe.Fail("usage: open_event.py TEAM_FILE SECRET_KEY_FILE "
                      "PASSPHRASE_FILE EVENT_FILE...")
    team = oe.parse_team(oe.read_file(argv[1], oe.MAX_KEYFILE), argv[1])
    key = oe.unlock_identity(argv[2], oe.read_passphrase(argv[3]))
    chains = Chains()
    for path in argv[4:]:
        raw = oe.read_file(path, HEAD + SIG + MAX_SEALED)
        try:
            ev = parse(raw)
            m = verify(ev, team)
            chains.check(ev)
            sealed = open_sealed(ev, key["pk"], key["sk"])
        except Bad as e:
            raise oe.Fail("%s: %s" % (path, e))
        print(json.dumps({"author": m["name"], "seq": ev["seq"],
                          "type": TYPES[ev["type"]], "ref": ev["ref"],
                          "day": ev["day"].decode(),
                          "status": STATUSES[ev["status"]],
                          "sealed": sealed}, sort_keys=True))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except oe.Fail as e:
        sys.stderr.write("open_event: %s\n" % e)
        sys.exit(1)
