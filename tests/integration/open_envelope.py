#!/usr/bin/python3
"""Open a tipline envelope independently of the C code.

Written from docs/FORMATS.md alone, so that it checks the document as much
as the code: if this script and `tipline show` disagree, one of them (or
the document) is wrong.

Usage:
    open_envelope.py DB REF SECRET_KEY_FILE PASSPHRASE_FILE
    open_envelope.py --raw ENVELOPE_FILE REF SECRET_KEY_FILE PASSPHRASE_FILE

Prints the decrypted record JSON, byte for byte, followed by one newline,
and exits 0. On any failure (usage, unreadable file, wrong passphrase, no
such row, not an envelope, not sealed to this key, authentication
failure, bad padding, not a record) prints a message to stderr and exits 1.

Needs only the standard library and PyNaCl (Debian: python3-nacl).
"""

import base64
import binascii
import json
import os
import re
import sqlite3
import sys
import urllib.parse

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.pwhash.argon2id

# Section 1 and 2: key files.
MAX_LINE = 1024
MAX_KEYFILE = 16 * 1024
MAX_PASSPHRASE = 1024
KEY_ID_BYTES = 8
SK_BLOB = 16 + 8 + 8 + 24 + 32 + 16          # 104
SK2_BLOB = 16 + 8 + 8 + 24 + 32 + 32 + 16    # 136, section 2 version 2

# Section 8: identities and the team file.
MAX_NAME, MAX_NAME_BYTES = 64, 256
MAX_TEAM = 16
OPSLIMIT_MIN, OPSLIMIT_MAX = 1, 16
MEMLIMIT_MIN, MEMLIMIT_MAX = 8192, 2 * 1024 * 1024 * 1024

# Section 3: envelopes v1 and v2.
ENV_MAGIC = b"TLEV"
ENV_HEADER = 6
STANZA_BYTES = KEY_ID_BYTES + 80             # 88 (v1)
STANZA2_BYTES = KEY_ID_BYTES + 32 + 16       # 56 (v2)
NONCE_BYTES = 24
TAG_BYTES = 16
PAD_MIN_BUCKET = 1024
MAX_RECIPIENTS = 16
MAX_ENVELOPE = 2 * 1024 * 1024

# Section 6: references, Crockford's base32 alphabet.
REF_RE = re.compile(r"TL-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\Z")
HEX16_RE = re.compile(rb"[0-9A-Fa-f]{16}\Z")


class Fail(Exception):
    """A failure to report on stderr, exiting 1."""


def key_id(pk):
    """BLAKE2b with an 8-byte output (crypto_generichash, no key)."""
    return nacl.hash.blake2b(pk, digest_size=KEY_ID_BYTES,
                             encoder=nacl.encoding.RawEncoder)


def b64decode_strict(s, nbytes):
    """Standard base64 with padding, canonical only, exactly nbytes."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
    # validate=True still accepts non-zero unused bits; libsodium does not.
    if len(raw) != nbytes or base64.b64encode(raw) != s:
        return None
    return raw


def read_file(path, limit):
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise Fail("%s: %s" % (path, e.strerror or e))
    if len(data) > limit:
        raise Fail("%s: larger than %d bytes" % (path, limit))
    return data


def read_passphrase(path):
    """The bytes up to the first newline, less one trailing CR."""
    data = read_file(path, 1 << 20)
    p = data.split(b"\n", 1)[0]
    if p.endswith(b"\r"):
        p = p[:-1]
    if len(p) < 1:
        raise Fail("%s: empty passphrase" % path)
    if len(p) > MAX_PASSPHRASE:
        raise Fail("%s: passphrase longer than %d bytes"
                   % (path, MAX_PASSPHRASE))
    return p


def key_lines(text, path):
    """Yields (line number, line) for every line that is not blank or a
    comment: split at LF, one trailing CR dropped, at most 1024 bytes."""
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()             # text ending in "\n" has no further line
    for no, line in enumerate(lines, 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > MAX_LINE:
            raise Fail("%s:%d: line longer than %d bytes"
                       % (path, no, MAX_LINE))
        s = line.lstrip(b" \t")
        if s == b"" or s.startswith(b"#"):
            continue
        yield no, line


def parse_key_line(line, tag, nbytes):
    """'TAG <16 hex> <base64 of nbytes>' -> (id, bytes), or None."""
    parts = line.split(b" ")
    if len(parts) != 3 or parts[0] != tag or not HEX16_RE.match(parts[1]):
        return None
    raw = b64decode_strict(parts[2], nbytes)
    if raw is None:
        return None
    return bytes.fromhex(parts[1].decode("ascii")), raw


def name_ok(name):
    """Section 8: 1 to 64 code points, at most 256 bytes of UTF-8, no
    space at either end, no control or invisible formatting character."""
    if not 1 <= len(name) <= MAX_NAME_BYTES or name[:1] == b" " or \
            name[-1:] == b" ":
        return False
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if len(text) > MAX_NAME:
        return False
    for ch in text:
        c = ord(ch)
        if (c < 0x20 or 0x7f <= c < 0xa0 or c == 0x61c or
                0x200b <= c <= 0x200f or 0x202a <= c <= 0x202e or
                0x2060 <= c <= 0x206f or c == 0xfeff or
                0xd800 <= c <= 0xdfff):
            return False
    return True


def parse_identity(line):
    """Section 8: 'TLID1 <hex> <b64 X25519> <b64 Ed25519> <name>' ->
    dict, or None. The name is everything after the fourth space."""
    parts = line.split(b" ", 4)
    if len(parts) != 5 or parts[0] != b"TLID1" or \
            not HEX16_RE.match(parts[1]):
        return None
    box = b64decode_strict(parts[2], 32)
    sign = b64decode_strict(parts[3], 32)
    if box is None or sign is None or not name_ok(parts[4]):
        return None
    kid = bytes.fromhex(parts[1].decode("ascii"))
    if key_id(box) != kid:
        return None
    return {"id": kid, "box": box, "sign": sign,
            "name": parts[4].decode("utf-8")}


def parse_team(text, path):
    """Section 8, the team file: a list of identities, or Fail."""
    team = []
    if len(text) > MAX_KEYFILE:
        raise Fail("%s: larger than %d bytes" % (path, MAX_KEYFILE))
    for no, line in key_lines(text, path):
        if line[:5] in (b"TLSK1", b"TLSK2", b"TLPK1"):
            raise Fail("%s:%d: not an identity line" % (path, no))
        ident = parse_identity(line)
        if ident is None:
            raise Fail("%s:%d: not a valid identity line" % (path, no))
        for m in team:
            if (m["id"] == ident["id"] or m["box"] == ident["box"] or
                    m["sign"] == ident["sign"] or
                    m["name"] == ident["name"]):
                raise Fail("%s:%d: a key or name twice" % (path, no))
        team.append(ident)
        if len(team) > MAX_TEAM:
            raise Fail("%s:%d: more than %d members"
                       % (path, no, MAX_TEAM))
    if not team:
        raise Fail("%s: no identity in the file" % path)
    return team


def secret_key_line(text, path):
    """The first key line: ('TLSK1', id, blob, None) or
    ('TLSK2', id, blob, name)."""
    for no, line in key_lines(text, path):
        if line.startswith(b"TLSK2 "):
            parts = line.split(b" ", 3)
            if len(parts) == 4 and HEX16_RE.match(parts[1]):
                blob = b64decode_strict(parts[2], SK2_BLOB)
                if blob is not None and name_ok(parts[3]):
                    return ("TLSK2", bytes.fromhex(parts[1].decode()),
                            blob, parts[3])
        else:
            parsed = parse_key_line(line, b"TLSK1", SK_BLOB)
            if parsed is not None:
                return ("TLSK1", parsed[0], parsed[1], None)
        raise Fail("%s:%d: not a tipline secret key line" % (path, no))
    raise Fail("%s: no key in the file" % path)


def unlock_identity(path, passphrase):
    """Section 2 (both versions): a dict with pk, sk, id, and for v2
    also name, sign_seed and sign_pk (None for v1)."""
    tag, kid, blob, name = secret_key_line(read_file(path, MAX_KEYFILE),
                                           path)
    salt = blob[0:16]
    ops = int.from_bytes(blob[16:24], "little")
    mem = int.from_bytes(blob[24:32], "little")
    nonce = blob[32:56]
    ct = blob[56:]
    if not (OPSLIMIT_MIN <= ops <= OPSLIMIT_MAX and
            MEMLIMIT_MIN <= mem <= MEMLIMIT_MAX):
        raise Fail("%s: key derivation cost out of bounds (opslimit %d, "
                   "memlimit %d)" % (path, ops, mem))
    try:
        dk = nacl.pwhash.argon2id.kdf(32, passphrase, salt, opslimit=ops,
                                      memlimit=mem)
    except (nacl.exceptions.CryptoError, ValueError) as e:
        raise Fail("%s: Argon2id failed: %s" % (path, e))
    ad = tag.encode("ascii") + kid + (name or b"")
    try:
        pt = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ct, ad, nonce, dk)
    except nacl.exceptions.CryptoError:
        raise Fail("%s: wrong passphrase (or damaged key file)" % path)
    if len(pt) != (64 if name else 32):
        raise Fail("%s: secret keys of the wrong size" % path)
    sk = pt[:32]
    pk = nacl.bindings.crypto_scalarmult_base(sk)
    if key_id(pk) != kid:
        raise Fail("%s: key id does not match the key" % path)
    out = {"pk": pk, "sk": sk, "id": kid, "name": None, "sign_seed": None,
           "sign_pk": None}
    if name:
        sign_pk, _ = nacl.bindings.crypto_sign_seed_keypair(pt[32:])
        out.update(name=name.decode("utf-8"), sign_seed=pt[32:],
                   sign_pk=sign_pk)
    return out


def unlock_secret_key(path, passphrase):
    """Section 2: returns (pk, sk, key id), from a v1 or a v2 file."""
    k = unlock_identity(path, passphrase)
    return k["pk"], k["sk"], k["id"]


def envelope_from_db(db, ref):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(
            os.path.abspath(db)), uri=True)
    except sqlite3.Error as e:
        raise Fail("%s: %s" % (db, e))
    try:
        (version,) = con.execute("PRAGMA user_version").fetchone()
        if version < 1:
            raise Fail("%s: not a tipline database (user_version %d)"
                       % (db, version))
        row = con.execute("SELECT envelope FROM reports WHERE ref = ?",
                          (ref,)).fetchone()
    except sqlite3.Error as e:
        raise Fail("%s: %s" % (db, e))
    finally:
        con.close()
    if row is None:
        raise Fail("no report %s" % ref)
    if not isinstance(row[0], bytes):
        raise Fail("%s: envelope is not a blob" % ref)
    return row[0]


def content_key_v1(stanza, pk, sk, ref, nonce):
    """Step 4, v1: the content key from a sealed box."""
    try:
        return nacl.bindings.crypto_box_seal_open(stanza[KEY_ID_BYTES:], pk,
                                                  sk)
    except nacl.exceptions.CryptoError:
        raise Fail("%s: envelope does not authenticate (content key does "
                   "not open)" % ref)


def content_key_v2(env, stanza, pk, sk, ref, nonce):
    """Step 4, v2: X25519 with the epoch public key, the wrap key
    BLAKE2b-256(key = shared, "TLEV" | 0x02 | epk | pk | ref), then the
    content key unwrapped with XChaCha20-Poly1305 (no AD) and the
    envelope's nonce."""
    epk = env[ENV_HEADER:ENV_HEADER + 32]
    try:
        shared = nacl.bindings.crypto_scalarmult(sk, epk)
    except nacl.exceptions.CryptoError:
        raise Fail("%s: envelope does not authenticate (bad epoch key)"
                   % ref)
    wk = nacl.hash.blake2b(ENV_MAGIC + bytes([2]) + epk + pk +
                           ref.encode("ascii"), digest_size=32, key=shared,
                           encoder=nacl.encoding.RawEncoder)
    try:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            stanza[KEY_ID_BYTES:], None, nonce, wk)
    except nacl.exceptions.CryptoError:
        raise Fail("%s: envelope does not authenticate (content key does "
                   "not open)" % ref)


def open_envelope(env, ref, pk, sk):
    """Section 3, 'Opening an envelope, step by step', steps 2 to 6; v1
    and v2 differ in what comes before the nonce and in step 4."""
    n = len(env)
    if (n < ENV_HEADER or n > MAX_ENVELOPE or env[0:4] != ENV_MAGIC or
            env[4] not in (1, 2)):
        raise Fail("%s: not a tipline envelope v1 or v2" % ref)
    version, nrec = env[4], env[5]
    if not 1 <= nrec <= MAX_RECIPIENTS:
        raise Fail("%s: not a tipline envelope (recipients: %d)"
                   % (ref, nrec))
    # where the stanzas start, and their size
    first, size = ((ENV_HEADER, STANZA_BYTES) if version == 1 else
                   (ENV_HEADER + 32, STANZA2_BYTES))
    noff = first + nrec * size
    fixed = noff + NONCE_BYTES + TAG_BYTES
    if n < fixed + PAD_MIN_BUCKET:
        raise Fail("%s: not a tipline envelope (too short)" % ref)
    bucket = n - fixed
    if bucket & (bucket - 1):
        raise Fail("%s: not a tipline envelope (padded size %d is not "
                   "a power of two)" % (ref, bucket))
    nonce = env[noff:noff + NONCE_BYTES]

    # Step 3: the first stanza with our key id.
    kid = key_id(pk)
    for i in range(nrec):
        off = first + i * size
        if env[off:off + KEY_ID_BYTES] == kid:
            stanza = env[off:off + size]
            break
    else:
        raise Fail("%s: envelope not sealed to this key" % ref)

    # Step 4: the content key.
    if version == 1:
        ck = content_key_v1(stanza, pk, sk, ref, nonce)
    else:
        ck = content_key_v2(env, stanza, pk, sk, ref, nonce)
    if len(ck) != 32:
        raise Fail("%s: content key is not 32 bytes" % ref)

    # Step 5: the padded record, bound to its row by the AD.
    ct = env[noff + NONCE_BYTES:]
    ad = ENV_MAGIC + bytes([version]) + ref.encode("ascii")
    try:
        padded = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ct, ad, nonce, ck)
    except nacl.exceptions.CryptoError:
        raise Fail("%s: envelope does not authenticate (tampered, moved "
                   "to another row, or wrong key)" % ref)
    if len(padded) != bucket:
        raise Fail("%s: decrypted %d bytes, expected %d"
                   % (ref, len(padded), bucket))

    # Step 6: ISO/IEC 7816-4 unpadding.
    body = padded.rstrip(b"\x00")
    if not body or body[-1] != 0x80:
        raise Fail("%s: bad padding" % ref)
    return body[:-1]


def check_record(rec, ref):
    """Section 4: a JSON object with v 1, integer form, string lang and
    an object of strings in fields; no duplicate keys."""
    def no_dups(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise ValueError("duplicate key %r" % k)
            d[k] = v
        return d
    try:
        obj = json.loads(rec.decode("utf-8"), object_pairs_hook=no_dups)
    except (UnicodeDecodeError, ValueError) as e:
        raise Fail("%s: the record inside is not JSON: %s" % (ref, e))
    def is_int(x):
        return isinstance(x, int) and not isinstance(x, bool)
    if (not isinstance(obj, dict) or not is_int(obj.get("v")) or
            obj["v"] != 1 or not is_int(obj.get("form")) or
            not isinstance(obj.get("lang"), str) or
            not isinstance(obj.get("fields"), dict) or
            not all(isinstance(v, str) for v in obj["fields"].values())):
        raise Fail("%s: the record inside is not a record v1" % ref)


def main(argv):
    args = argv[1:]
    raw = False
    if args and args[0] == "--raw":
        raw = True
        args = args[1:]
    if len(args) != 4:
        raise Fail("usage: open_envelope.py DB REF SECRET_KEY_FILE "
                   "PASSPHRASE_FILE\n"
                   "       open_envelope.py --raw ENVELOPE_FILE REF "
                   "SECRET_KEY_FILE PASSPHRASE_FILE")
    source, ref, keyfile, passfile = args
    if not REF_RE.match(ref):
        raise Fail("'%s' is not a reference (they look like TL-7KQ2-M9XD)"
                   % ref)
    passphrase = read_passphrase(passfile)
    pk, sk, _ = unlock_secret_key(keyfile, passphrase)
    if raw:
        env = read_file(source, MAX_ENVELOPE)
    else:
        env = envelope_from_db(source, ref)
    rec = open_envelope(env, ref, pk, sk)
    check_record(rec, ref)
    sys.stdout.buffer.write(rec + b"\n")
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Fail as e:
        sys.stderr.write("open_envelope: %s\n" % e)
        sys.exit(1)
    except Exception as e:          # anything unforeseen is a failure too
        sys.stderr.write("open_envelope: error: %s: %s\n"
                         % (type(e).__name__, e))
        sys.exit(1)
