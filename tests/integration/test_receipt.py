"""Receipts (issue 13; docs/FORMATS.md section 14): the independent
PyNaCl implementation (receipt_ref.py, written from the document) derives
the documented vector; a receipt read back as people type it; and,
through a real nginx and tipline-fcgi, the received page is the POST's
own answer (200, no-store, a neutral title, the receipt, no reference),
a re-sent POST shows the same receipt, the receipt is the one the
document says the secret and the token's nonce make, and the database
(file and WAL) never holds the receipt.

usage: /usr/bin/python3 tests/integration/test_receipt.py --build build
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP, receipt_of  # noqa: E402
import receipt_ref  # noqa: E402

FORMATS = os.path.join(TOP, "docs", "FORMATS.md")


def doc_vector():
    with open(FORMATS, encoding="utf-8") as f:
        text = f.read()
    sec = text[text.index("## 14. Receipt"):]
    get = {k: re.search(r"^%s +(\S+)$" % k, sec, re.M).group(1)
           for k in ("receipt", "lookup", "public")}
    return get


def t_documented_vector():
    v = doc_vector()
    data = receipt_ref.parse(v["receipt"])
    assert receipt_ref.grouped(data) == v["receipt"]
    lookup, sk = receipt_ref.derive(data)
    assert lookup.hex() == v["lookup"], lookup.hex()
    assert bytes(sk.public_key).hex() == v["public"]


def t_typed_receipts():
    v = doc_vector()["receipt"]
    want = receipt_ref.parse(v)
    for typed in (v.lower(), v.replace("-", ""), v.lower().replace("-", " "),
                  v.replace("0", "O").replace("1", "l")):
        assert receipt_ref.parse(typed) == want, typed
    for bad in (v[:-1] + ("A" if v[-1] != "A" else "B"), v[:-2],
                v.replace("-", "_"), v + "X"):
        try:
            receipt_ref.parse(bad)
        except receipt_ref.Bad:
            continue
        raise AssertionError("accepted " + bad)


def t_received_page(st):
    tok = st.tokens(1)[0]
    f = {"token": tok, "description": "receipt page check"}
    r = st.post(f)
    assert r.status == 200, r.status
    assert r.header("Location") is None
    assert r.header("Cache-Control") == "no-store"
    title = re.search(r"<title>([^<]*)</title>", r.text).group(1)
    assert title == "tipline" or "eceiv" not in title, title
    receipt = receipt_of(r)
    assert receipt, r.text[:500]
    ref = st.received_ref(r)
    assert ref not in r.text and "TL-" not in r.text
    # the same POST again: the same receipt, no second report
    before = st.count()
    again = st.post(f)
    assert receipt_of(again) == receipt and st.count() == before
    # the receipt is what docs/FORMATS.md says the secret and the
    # token's nonce make
    with open(os.path.join(st.dir, "server.secret"), "rb") as fh:
        secret = fh.read()
    nonce = st.query("SELECT t.nonce FROM used_tokens t JOIN reports r ON "
                     "r.id = t.report_id WHERE r.ref = ?", ref)[0][0]
    assert len(secret) == 32
    assert receipt_ref.grouped(receipt_ref.from_nonce(secret, nonce)) == \
        receipt
    # the public key kept is the one derived from the receipt
    lookup, sk = receipt_ref.derive(receipt_ref.parse(receipt))
    pk = st.query("SELECT public_key FROM receipts WHERE lookup = ?",
                  lookup)[0][0]
    assert pk == bytes(sk.public_key)
    return receipt


def t_db_never_holds_the_receipt(st, receipt):
    data = receipt_ref.parse(receipt)
    needles = [receipt.encode(), data.encode(), receipt.lower().encode(),
               receipt.replace("-", "").encode()]
    found = st.files_containing(needles)
    assert not found, found


def main():
    build = sys.argv[sys.argv.index("--build") + 1] \
        if "--build" in sys.argv else "build"
    run = Runner()
    run.run("receipt_pynacl_derives_the_documented_vector", t_documented_vector)
    run.run("receipt_read_in_any_case_with_o_i_l_and_typos_caught",
            t_typed_receipts)
    st = Stack(build)
    ok = False
    try:
        st.start()
        got = []
        run.run("received_page_is_the_posts_answer_with_the_same_receipt_"
                "on_resend", lambda: got.append(t_received_page(st)))
        if got:
            run.run("database_file_and_wal_never_hold_the_receipt",
                    t_db_never_holds_the_receipt, st, got[0])
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
        ok = run.failed == 0
    finally:
        st.stop()
        st.cleanup(keep=not ok)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
