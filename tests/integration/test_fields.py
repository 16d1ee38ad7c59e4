"""The form's hidden fields and the pages that echo what was typed,
through a real nginx and a real tipline-fcgi (issue 11, items 6 and 7).

Hidden fields (token, lang, the honeypot) get the same checks as the
visible ones: a honeypot that begins with %00 is still a filled honeypot
(a bot: it looks received and stores nothing); a valid token followed by
%00 and junk is refused and the token itself still works afterwards.

Pages that echo what was typed are sized for the worst case the input
limits allow: a whole body (256 KiB) of '"' in echoed fields comes back
in the 400 form (six times longer once escaped), and a valid report of
'"' up to every field's limit comes back in the 503 "not received" form.

usage: /usr/bin/python3 tests/integration/test_fields.py --build build"""

import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, receipt_of, ref_by_receipt  # noqa: E402,E501

EN = {"Accept-Language": "en"}


def t_honeypot_nul(st, tok):
    before = st.count()
    for hp in ("\x00", "\x00http://spam", "\x00\x00"):
        r = st.post({"description": "spam", "token": tok, "website": hp}, EN)
        receipt = receipt_of(r)     # looks received, and is not
        assert receipt, (r.status, r.text[:300])
        assert ref_by_receipt(st.db, receipt) is None
    assert st.count() == before, "a bot's report was stored"


def t_token_with_nul_junk(st, tok):
    before = st.count()
    for bad in (tok + "\x00junk", tok + "\x00", "\x00" + tok, tok + "A"):
        r = st.post({"description": "token junk", "token": bad}, EN)
        assert r.status == 400, (r.status, r.text[:300])
        assert "token junk" in r.text, "the typed text did not come back"
    assert st.count() == before, "stored with a malformed token"
    # The token itself was not spent by the refused posts.
    r = st.post({"description": "token clean", "token": tok}, EN)
    st.received_ref(r)
    assert st.count() == before + 1


def t_lang_with_nul_junk(st, tok):
    before = st.count()
    r = st.post({"description": "lang junk", "token": tok,
                 "lang": "fr\x00junk"}, EN)
    assert r.status == 400, (r.status, r.text[:300])
    assert st.count() == before


MAX_BODY = 256 * 1024
MAX_FIELD_BYTES = 40000
# Echoed fields (lines and texts) with their limits in characters
# (lib/fields.c, docs/FORMATS.md).
TEXT_FIELDS = [("description", 10000), ("municipality", 200), ("address", 300),
               ("place_type", 200), ("when", 200), ("victims_count", 100),
               ("victims_ages", 100), ("victims_gender", 100),
               ("victims_origin", 200), ("suspects", 2000),
               ("suspect_names", 500), ("suspect_role", 500),
               ("vehicles", 1000), ("online", 2000), ("contact", 500)]


def worst_body():
    """MAX_BODY bytes, nearly all of them raw '"' in echoed fields."""
    parts, size = [], 0
    for name, _ in TEXT_FIELDS:
        head = ("&" if parts else "") + name + "="
        room = MAX_BODY - size - len(head)
        if room <= 0:
            break
        n = min(room, MAX_FIELD_BYTES)
        parts.append(head + '"' * n)
        size += len(head) + n
    body = "".join(parts)
    assert len(body) == MAX_BODY, len(body)
    return body


def t_worst_case_400_form_comes_back(st):
    before = st.count()
    body = worst_body()
    r = st.post(body, EN, encode=False)
    assert r.status == 400, (r.status, r.text[:300])
    assert 'name="token"' in r.text, "the form did not come back"
    assert "could not be verified" in r.text, r.text[:500]
    assert r.text.count("&quot;") == body.count('"'), \
        (r.text.count("&quot;"), body.count('"'))
    assert st.count() == before


def t_worst_case_503_form_comes_back(st, tok):
    before = st.count()
    fields = {name: '"' * n for name, n in TEXT_FIELDS}
    fields["token"] = tok
    db = sqlite3.connect(st.db, timeout=1, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        r = st.post(fields, EN)
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert r.status == 503, (r.status, r.text[:300])
    assert "NOT received" in r.text, r.text[:500]
    sent = sum(n for _, n in TEXT_FIELDS)
    assert r.text.count("&quot;") == sent, (r.text.count("&quot;"), sent)
    assert st.count() == before
    # Nothing was stored, so the same token still makes the report.
    r = st.post(fields, EN)
    st.received_ref(r)
    assert st.count() == before + 1


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        toks = st.tokens(4)
        run.run("honeypot_starting_with_nul_is_a_bot_and_stores_nothing",
                t_honeypot_nul, st, toks[0])
        run.run("token_followed_by_nul_and_junk_is_refused",
                t_token_with_nul_junk, st, toks[1])
        run.run("lang_followed_by_nul_and_junk_is_refused",
                t_lang_with_nul_junk, st, toks[2])
        run.run("worst_case_form_400_comes_back_with_every_character",
                t_worst_case_400_form_comes_back, st)
        run.run("worst_case_form_503_not_received_comes_back_with_the_text",
                t_worst_case_503_form_comes_back, st, toks[3])
        run.run("no_sanitizer_reports_in_logs", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
