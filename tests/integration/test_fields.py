"""The form's hidden fields and the pages that echo what was typed,
through a real nginx and a real tipline-fcgi (issue 11, items 6 and 7).

Hidden fields (token, lang, the honeypot) get the same checks as the
visible ones: a honeypot that begins with %00 is still a filled honeypot
(a bot: it looks received and stores nothing); a valid token followed by
%00 and junk is refused and the token itself still works afterwards.

usage: /usr/bin/python3 tests/integration/test_fields.py --build build"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402

REF = re.compile(r"^/received\?ref=TL-[0-9A-Z]{4}-[0-9A-Z]{4}")
EN = {"Accept-Language": "en"}


def t_honeypot_nul(st, tok):
    before = st.count()
    for hp in ("\x00", "\x00http://spam", "\x00\x00"):
        r = st.post({"description": "spam", "token": tok, "website": hp}, EN)
        assert r.status == 303, (r.status, r.text[:300])
        assert REF.match(r.header("Location") or ""), r.header("Location")
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
    assert r.status == 303, (r.status, r.text[:300])
    assert st.count() == before + 1


def t_lang_with_nul_junk(st, tok):
    before = st.count()
    r = st.post({"description": "lang junk", "token": tok,
                 "lang": "fr\x00junk"}, EN)
    assert r.status == 400, (r.status, r.text[:300])
    assert st.count() == before


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        toks = st.tokens(3)
        run.run("honeypot_starting_with_nul_is_a_bot_and_stores_nothing",
                t_honeypot_nul, st, toks[0])
        run.run("token_followed_by_nul_and_junk_is_refused",
                t_token_with_nul_junk, st, toks[1])
        run.run("lang_followed_by_nul_and_junk_is_refused",
                t_lang_with_nul_junk, st, toks[2])
        run.run("no_sanitizer_reports_in_logs", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
