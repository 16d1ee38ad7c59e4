#!/usr/bin/python3
"""Receipts, independently of the C code.

Written from docs/FORMATS.md, "Receipt", alone: read a typed receipt
(any case, dashes, O/I/L), check its Luhn mod 32 character, and derive
the lookup id and the X25519 key pair with PyNaCl (Debian:
python3-nacl). Usage: receipt_ref.py RECEIPT prints the canonical
receipt, the lookup id and the public key in hex, one per line.
"""

import sys

import nacl.hashlib
import nacl.public

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CONTEXT = b"tlrcpt01"
ROOT_KEY = b"tipline receipt v1"


class Bad(Exception):
    """A receipt that does not read."""


def luhn32(values, factor):
    total = 0
    for v in reversed(values):
        a = factor * v
        total += a // 32 + a % 32
        factor = 1 if factor == 2 else 2
    return total % 32


def check_char(data):
    return ALPHABET[(32 - luhn32([ALPHABET.index(c) for c in data], 2)) % 32]


def parse(typed):
    """The 20 canonical data characters, or Bad."""
    if len(typed.encode()) > 64:
        raise Bad("too long")
    s = typed.upper().replace("-", "").replace(" ", "")
    s = s.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(s) != 21:
        raise Bad("length")
    if any(c not in ALPHABET for c in s):
        raise Bad("character")
    if luhn32([ALPHABET.index(c) for c in s], 1) != 0:
        raise Bad("check")
    return s[:20]


def grouped(data):
    return "-".join(data[i:i + 4] for i in range(0, 20, 4)) + "-" + \
        check_char(data)


def kdf(key, subkey_id, length=32):
    """libsodium's crypto_kdf_derive_from_key (BLAKE2b: salt is the id,
    little-endian, padded to 16; personal is the context, padded)."""
    salt = subkey_id.to_bytes(8, "little") + bytes(8)
    person = CONTEXT + bytes(8)
    return nacl.hashlib.blake2b(b"", digest_size=length, key=key,
                                salt=salt, person=person).digest()


def derive(data):
    """(lookup id, PrivateKey) from the 20 canonical characters."""
    root = nacl.hashlib.blake2b(data.encode(), digest_size=32,
                                key=ROOT_KEY).digest()
    lookup = kdf(root, 1)
    seed = kdf(root, 2)
    return lookup, nacl.public.PrivateKey.from_seed(seed)


def from_nonce(secret, nonce):
    """The receipt the intake shows for a form token's nonce."""
    key = kdf(secret, 3)
    raw = nacl.hashlib.blake2b(nonce, digest_size=16, key=key).digest()
    bits = int.from_bytes(raw[:13], "big") >> 4
    return "".join(ALPHABET[(bits >> (5 * (19 - i))) & 31]
                   for i in range(20))


if __name__ == "__main__":
    d = parse(sys.argv[1])
    lk, sk = derive(d)
    print(grouped(d))
    print(lk.hex())
    print(bytes(sk.public_key).hex())
