"""Coming back with the receipt (issue 13), through a real nginx and a
real tipline-fcgi: GET /followup is a form with one field; a receipt
typed in lower case without dashes shows the coarse status (following
the analysts' status), no reference and none of the reporter's words;
a mistyped receipt is caught by its check character and an unknown one
gets the same page with a hint; the page's capability adds a message
(sealed to the team, linked to its report, with its day only) and an
altered or expired capability stores nothing; wrong receipts past the
per-minute count are refused (429) and a right one works again the next
minute; nginx limits /followup per address.

usage: /usr/bin/python3 tests/integration/test_followup.py --build build
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP, receipt_of  # noqa: E402
import open_envelope  # noqa: E402
import receipt_ref  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded",
        "Accept-Language": "en"}
CAP = re.compile(r'name="cap" value="([A-Za-z0-9_-]+)"')


def post(st, path, fields):
    return st.request("POST", path, urllib.parse.urlencode(fields), FORM)


def report(st, text):
    tok = st.tokens(1)[0]
    r = st.post({"token": tok, "description": text})
    return receipt_of(r), st.received_ref(r)


def t_form_is_linked_and_get_only_shows_the_form(st):
    page = st.request("GET", "/?lang=en")
    assert 'href="/followup?lang=en"' in page.text
    assert "Already reported? Read our answers" in page.text
    r = st.request("GET", "/followup?lang=fr")
    assert r.status == 200 and 'name="receipt"' in r.text
    assert 'method="post" action="/followup"' in r.text
    assert r.header("Cache-Control") == "no-store"
    assert st.request("PUT", "/followup", "x").status == 405
    assert st.request("GET", "/followup/add").status == 405


def t_receipt_shows_status_not_the_report(st):
    receipt, ref = report(st, "FollowupSecretWords at the farm")
    typed = receipt.lower().replace("-", "")
    r = post(st, "/followup", {"receipt": typed, "lang": "en"})
    assert r.status == 200, (r.status, r.text[:300])
    assert "Status: received" in r.text, r.text[:1500]
    assert "No answer yet" in r.text
    assert ref not in r.text and "FollowupSecretWords" not in r.text
    assert receipt not in r.text and typed not in r.text
    assert CAP.search(r.text)
    # the coarse status follows the analysts' status
    st.cli_ok("status", ref, "forwarded", "--to", "cantonal police VS")
    r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    assert "Status: passed on to the services that can help or act" \
        in r.text, r.text[:1500]
    return receipt, ref


def t_typo_and_unknown_receipts_get_the_same_page_with_a_hint(st, receipt):
    d = receipt_ref.parse(receipt)
    typo = d[:5] + ("A" if d[5] != "A" else "B") + d[6:] + \
        receipt_ref.check_char(d)
    r = post(st, "/followup", {"receipt": typo, "lang": "en"})
    assert r.status == 200 and "typing error" in r.text, r.text[:800]
    other = receipt_ref.grouped(receipt_ref.from_nonce(os.urandom(32),
                                                       os.urandom(16)))
    r2 = post(st, "/followup", {"receipt": other, "lang": "en"})
    assert r2.status == 200 and "Nothing was found" in r2.text
    assert 'name="receipt"' in r2.text and "Status:" not in r2.text
    assert not CAP.search(r2.text)


def messages(st, ref):
    return st.query("SELECT m.id, m.day, m.envelope FROM messages m JOIN "
                    "reports p ON p.id = m.report_id WHERE p.ref = ?", ref)


def t_a_message_is_added_sealed_and_linked(st, receipt, ref):
    r = post(st, "/followup", {"receipt": receipt, "lang": "de"})
    cap = CAP.search(r.text).group(1)
    text = "FollowupAdded: the van is grey, plate VS 1234 ✓"
    r = post(st, "/followup/add", {"cap": cap, "message": text,
                                   "lang": "de"})
    assert r.status == 200, (r.status, r.text[:500])
    rows = messages(st, ref)
    assert len(rows) == 1, rows
    mid, day, env = rows[0]
    assert day == time.strftime("%Y-%m-%d", time.gmtime())
    assert text.encode() not in env
    op = open_envelope
    pk, sk, _ = op.unlock_secret_key(st.key, op.read_passphrase(st.passfile))
    rec = json.loads(op.open_envelope(env, ref + "/message", pk, sk))
    assert rec == {"v": 1, "kind": "message", "lang": "de", "text": text}, rec
    # the days the reporter wrote are shown, never the words
    r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    assert day in r.text and "FollowupAdded" not in r.text
    assert "You added information on these days:" in r.text


def t_an_altered_capability_stores_nothing(st, receipt, ref):
    r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    cap = CAP.search(r.text).group(1)
    before = len(messages(st, ref))
    bad = cap[:10] + ("A" if cap[10] != "A" else "B") + cap[11:]
    for c in (bad, cap[:-1], "", "x" * 66):
        r = post(st, "/followup/add", {"cap": c, "message": "forged"})
        assert r.status == 400 and 'name="receipt"' in r.text, r.status
    r = post(st, "/followup/add", {"cap": cap, "message": ""})
    assert r.status == 400
    assert len(messages(st, ref)) == before


def t_guessing_is_counted_and_a_right_receipt_works_after(st, receipt):
    """FOLLOWUP_MAX_FAILURES (100) wrong receipts in a minute: then every
    lookup is refused (429) until the next minute; nginx's per-address
    limit is set high in the test config, so this is the program's."""
    seen = {}
    for i in range(110):
        other = receipt_ref.grouped(receipt_ref.from_nonce(
            os.urandom(32), os.urandom(16)))
        r = post(st, "/followup", {"receipt": other, "lang": "en"})
        seen[r.status] = seen.get(r.status, 0) + 1
        if r.status == 429:
            break
    assert seen.get(429) == 1, seen
    assert "Too many tries" in r.text
    r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    assert r.status == 429, r.status
    t0 = time.time()
    while time.time() < t0 + 75:
        time.sleep(1)
        r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
        if r.status == 200:
            break
    assert r.status == 200 and "Status:" in r.text, r.status


def t_nginx_limits_followup_per_address(st):
    """nginx's own limit on /followup (nginx/tipline-local.conf.in: 600 a
    minute, burst 200, per address): a burst of posts from one address
    gets nginx's 429; another address is still answered."""
    import http.client
    seen = {}
    c = http.client.HTTPConnection("127.0.0.1", st.port, timeout=30,
                                   source_address=("127.0.3.3", 0))
    for _ in range(400):
        c.request("POST", "/followup", "lang=en", FORM)
        r = c.getresponse()
        body = r.read()
        seen[r.status] = seen.get(r.status, 0) + 1
        if r.status == 429:
            assert b"Too many tries" not in body, "the 429 is not nginx's"
            break
    c.close()
    assert seen.get(429) == 1 and seen.get(400, 0) >= 200, seen
    c = http.client.HTTPConnection("127.0.0.1", st.port, timeout=30,
                                   source_address=("127.0.3.4", 0))
    c.request("POST", "/followup", "lang=en", FORM)
    assert c.getresponse().status == 400
    c.close()


def t_sync_brings_the_message_to_the_analyst(st):
    """report -> the reporter adds a message -> `tipline sync` (frame 9)
    -> `tipline show` on the analyst's case file shows it, with its day,
    under its report."""
    from test_sync import Analyst
    a = Analyst(st, "anna", "Anna Muster")
    st.team = os.path.join(st.dir, "team")
    with open(a.pub, "rb") as f:
        team = f.read()
    for path in (st.team, st.pub):  # the server seals to the team
        with open(path, "wb") as f:
            f.write(team)
    st.stop_fcgi()
    st.start_fcgi()
    receipt, ref = report(st, "SyncedReport near the station")
    got = a.sync()
    assert got["reports"] >= 1, got     # with earlier tests' messages
    r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    text = "SyncedMessage: he comes back on Fridays\nsecond line"
    r = post(st, "/followup/add", {"cap": CAP.search(r.text).group(1),
                                   "message": text, "lang": "en"})
    assert r.status == 200, r.status
    got = a.sync()
    assert got["messages"] == 1 and got["reports"] == 0, got
    shown = json.loads(a.ok("show", "--json", ref))
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert shown["messages"] == [{"day": day, "text": text}], shown
    out = a.ok("show", ref)
    assert "Added by the reporter:" in out and "SyncedMessage" in out, out
    # list marks it (the reports from before the team file was in
    # place are sealed to another key: list warns about them, exit 1)
    line = [x for x in a.run("list")[1].splitlines() if x.startswith(ref)]
    assert line and "I" in line[0].split("\t")[3], line
    assert a.sync()["messages"] == 0        # the cursor moved on


def main():
    build = sys.argv[sys.argv.index("--build") + 1] \
        if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    ok = False
    try:
        st.start()
        run.run("followup_is_linked_from_every_page_and_get_shows_the_form",
                t_form_is_linked_and_get_only_shows_the_form, st)
        got = []
        run.run("receipt_in_lower_case_without_dashes_shows_the_coarse_"
                "status_not_the_report",
                lambda: got.append(t_receipt_shows_status_not_the_report(st)))
        if got:
            receipt, ref = got[0]
            run.run("typo_caught_by_the_check_character_unknown_receipt_"
                    "same_page_with_a_hint",
                    t_typo_and_unknown_receipts_get_the_same_page_with_a_hint,
                    st, receipt)
            run.run("a_message_is_added_sealed_to_the_team_linked_with_its_day",
                    t_a_message_is_added_sealed_and_linked, st, receipt, ref)
            run.run("an_altered_or_missing_capability_stores_nothing",
                    t_an_altered_capability_stores_nothing, st, receipt, ref)
            run.run("sync_brings_the_reporters_message_to_the_analysts_show",
                    t_sync_brings_the_message_to_the_analyst, st)
            run.run("guessing_past_the_count_is_refused_right_receipt_works_"
                    "after_the_minute",
                    t_guessing_is_counted_and_a_right_receipt_works_after,
                    st, receipt)
        run.run("nginx_limits_followup_posts_per_address",
                t_nginx_limits_followup_per_address, st)
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
        ok = run.failed == 0
    finally:
        st.stop()
        st.cleanup(keep=not ok)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
