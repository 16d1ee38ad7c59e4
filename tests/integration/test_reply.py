"""Replies to the reporter (issue 13), through a real nginx, a real
tipline-fcgi and a real tipline-relay: a report's receipt public key
reaches the analyst's case file with `tipline sync` (REPORT frame,
FORMATS section 10); `tipline reply` writes a signed reply event sealed
to the team and to that key; the next sync pushes it; the reporter who
types the receipt reads the reply with its day on /followup; an
independent PyNaCl reader (receipt_ref.py, open_event.py) opens it with
the key derived from the receipt alone; a reply from a key outside the
team file or with a bad signature is refused by the relay; no file of
the stack holds the receipt.

usage: /usr/bin/python3 tests/integration/test_reply.py --build build
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_followup import CAP, post, report  # noqa: E402
from test_sync import Analyst  # noqa: E402
import open_envelope as oe  # noqa: E402
import open_event  # noqa: E402
import receipt_ref  # noqa: E402
import sync_proto as sp  # noqa: E402

REPLY = "ReplyText: which street was it? & <b>not bold</b>"


def setup(st):
    a = Analyst(st, "anna", "Anna Muster")
    st.team = os.path.join(st.dir, "team")
    with open(a.pub, "rb") as f:
        team = f.read()
    for path in (st.team, st.pub):  # the server seals to the team
        with open(path, "wb") as f:
            f.write(team)
    st.stop_fcgi()
    st.start_fcgi()
    receipt, ref = report(st, "ReplyReport near the harbour")
    return a, receipt, ref


def reply_events(st, ref):
    rows = st.query("SELECT body FROM events ORDER BY id")
    out = []
    for (body,) in rows:
        ev = open_event.parse(bytes(body))
        if ev["type"] == 7 and ev["ref"] == ref:
            out.append(ev)
    return out


def t_the_receipt_key_reaches_the_case_file(st, a, receipt, ref):
    assert a.sync()["reports"] == 1
    _, sk = receipt_ref.derive(receipt_ref.parse(receipt))
    import sqlite3
    db = sqlite3.connect(a.case)
    rows = db.execute("SELECT c.public_key FROM receipts c JOIN reports r "
                      "ON r.id = c.report_id WHERE r.ref = ?",
                      (ref,)).fetchall()
    db.close()
    assert rows == [(bytes(sk.public_key),)], rows


def t_report_frame_carries_the_receipt_key_byte_exact(st, receipt, ref):
    """FORMATS section 10, read by the independent client: a REPORT's
    bytes 31..62 are the receipt's public key, the envelope follows."""
    _, sk = receipt_ref.derive(receipt_ref.parse(receipt))
    r = sp.Relay([os.path.join(st.build, "tipline-relay"), "--config",
                  st.conf])
    r.hello()
    got, _ = r.pull()
    assert r.close()[0] == 0
    bodies = [b for t, b in got if t == sp.REPORT and
              sp.report_frame(b)[1] == ref]
    assert len(bodies) == 1, got
    assert sp.receipt_pk_of(bodies[0]) == bytes(sk.public_key)
    env = st.query("SELECT envelope FROM reports WHERE ref = ?", ref)[0][0]
    assert sp.report_frame(bodies[0])[4] == bytes(env)


def t_no_answer_before_a_reply(st, receipt):
    r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    assert r.status == 200 and "No answer yet" in r.text, r.text[:800]


def t_reply_reaches_the_reporter(st, a, receipt, ref):
    out = a.ok("reply", ref, "--message", REPLY)
    assert "reply written" in out, out
    assert a.sync()["sent"] == 1
    typed = receipt.lower().replace("-", "")
    r = post(st, "/followup", {"receipt": typed, "lang": "en"})
    assert r.status == 200, r.status
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert "which street was it? &amp; &lt;b&gt;not bold&lt;/b&gt;" \
        in r.text, r.text[:2000]
    assert '<p class="day">%s</p>' % day in r.text
    assert "No answer yet" not in r.text
    assert ref not in r.text and receipt not in r.text
    return r


def t_pynacl_opens_the_reply_with_the_receipt_key(st, receipt, ref):
    _, sk = receipt_ref.derive(receipt_ref.parse(receipt))
    evs = reply_events(st, ref)
    assert len(evs) == 1, evs
    got = open_event.open_sealed(evs[0], bytes(sk.public_key), bytes(sk))
    assert got == {"reply": REPLY}, got
    # another report's receipt does not open it
    _, osk = receipt_ref.derive(receipt_ref.from_nonce(os.urandom(32),
                                                       os.urandom(16)))
    try:
        open_event.open_sealed(evs[0], bytes(osk.public_key), bytes(osk))
        raise AssertionError("opened with another key")
    except open_event.Bad:
        pass


def t_forged_replies_are_refused(st, a, receipt, ref):
    st.cli_ok("keygen", "--name", "Mallory", "-o",
              os.path.join(st.dir, "mallory"))
    pas = oe.read_passphrase(st.passfile)
    with open(st.team, "rb") as f:
        team = oe.parse_team(f.read(), "team")
    _, sk = receipt_ref.derive(receipt_ref.parse(receipt))
    kid = oe.key_id(bytes(sk.public_key))
    to = [(m["id"], m["box"]) for m in team] + [(kid,
                                                 bytes(sk.public_key))]
    mallory = sp.Author(oe.unlock_identity(
        os.path.join(st.dir, "mallory.key"), pas), team)
    mallory.team = to
    anna = sp.Author(oe.unlock_identity(a.key, pas), team)
    anna.team = to
    last = st.query("SELECT seq, event_id FROM events WHERE author = ? "
                    "ORDER BY seq DESC LIMIT 1", anna.key["id"])
    anna.seq, anna.last = last[0][0], bytes(last[0][1])
    before = st.query("SELECT count(*) FROM events")[0][0]
    r = sp.Relay([os.path.join(st.build, "tipline-relay"), "--config",
                  st.conf])
    r.hello()
    forged = mallory.event("reply", ref, None, b'{"reply":"ForgedReply"}')
    code, msg = r.push(forged)
    assert code == 2 and "team file" in msg, (code, msg)
    bad = bytearray(anna.event("reply", ref, None,
                               b'{"reply":"ForgedReply"}', commit=False))
    bad[-1] ^= 1
    code, msg = r.push(bytes(bad))
    assert code == 2 and "signature" in msg, (code, msg)
    assert r.close()[0] == 0
    assert st.query("SELECT count(*) FROM events")[0][0] == before
    page = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    assert "ForgedReply" not in page.text


def list_flags(a, ref):
    line = [x for x in a.run("list")[1].splitlines() if x.startswith(ref)]
    assert len(line) == 1, line
    return line[0].split("\t")[3]


def t_status_events_drive_the_coarse_status(st, a, receipt, ref):
    a.ok("status", ref, "in-review")
    assert a.sync()["sent"] == 1
    r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    assert "Status: being looked at" in r.text, r.text[:1500]


def t_the_reporter_adds_and_the_analyst_reads(st, a, receipt, ref):
    out = a.ok("show", ref)
    assert "reply by Anna Muster to the reporter: ReplyText" in out, out
    assert "I" not in list_flags(a, ref)
    r = post(st, "/followup", {"receipt": receipt, "lang": "en"})
    text = "ReporterAnswer: Rue du Port 12"
    r = post(st, "/followup/add", {"cap": CAP.search(r.text).group(1),
                                   "message": text, "lang": "en"})
    assert r.status == 200, r.status
    assert a.sync()["messages"] == 1
    out = a.ok("show", ref)
    assert "ReporterAnswer" in out, out
    assert "I" in list_flags(a, ref)


def t_list_due_and_stats(st, a, ref):
    """Both reports made 2020: the answered one is not due, the other
    (no reply after the reply days) is; stats counts both kinds."""
    import json
    import sqlite3
    _, other = report(st, "UnansweredReport at the market")
    assert a.sync()["reports"] == 1
    db = sqlite3.connect(a.case)
    db.execute("UPDATE reports SET day = '2020-01-01' WHERE ref IN (?, ?)",
               (ref, other))
    db.commit()
    db.close()
    rc, out, err = a.run("list", "--due")
    refs = [x.split("\t")[0] for x in out.splitlines()]
    assert refs == [other], (rc, out, err)
    assert "D" in list_flags(a, other) and "D" not in list_flags(a, ref)
    stats = json.loads(a.run("stats", "--json")[1])
    assert stats["answered"] == 1 and stats["reply_due"] == 1, stats
    rc, out, err = a.run("list", "--due", "--reply-days", "0")
    assert rc == 2 and "--reply-days takes 1 to" in err, (rc, err)


def t_no_file_holds_the_receipt(st, receipt):
    d = receipt_ref.parse(receipt)
    needles = [d.encode(), d.lower().encode(), receipt.encode(),
               receipt.lower().encode()]
    found = st.files_containing(needles)
    assert found == [], found


def main():
    build = sys.argv[sys.argv.index("--build") + 1] \
        if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    ok = False
    try:
        st.start()
        a, receipt, ref = setup(st)
        run.run("the_receipt_public_key_reaches_the_case_file_by_sync",
                t_the_receipt_key_reaches_the_case_file, st, a, receipt, ref)
        run.run("report_frame_carries_the_receipt_key_byte_exact",
                t_report_frame_carries_the_receipt_key_byte_exact, st,
                receipt, ref)
        run.run("followup_says_no_answer_before_a_reply",
                t_no_answer_before_a_reply, st, receipt)
        run.run("tipline_reply_synced_is_read_by_the_reporter_with_its_day",
                t_reply_reaches_the_reporter, st, a, receipt, ref)
        run.run("pynacl_opens_the_reply_with_the_receipt_derived_key_only",
                t_pynacl_opens_the_reply_with_the_receipt_key, st, receipt,
                ref)
        run.run("relay_refuses_a_reply_from_outside_the_team_or_badly_signed",
                t_forged_replies_are_refused, st, a, receipt, ref)
        run.run("analysts_status_event_drives_the_coarse_status_seen",
                t_status_events_drive_the_coarse_status, st, a, receipt, ref)
        run.run("the_reporter_answers_the_analyst_reads_it_with_flag_i",
                t_the_reporter_adds_and_the_analyst_reads, st, a, receipt,
                ref)
        run.run("list_due_shows_the_unanswered_stats_counts_answered_and_due",
                t_list_due_and_stats, st, a, ref)
        run.run("no_file_of_the_stack_holds_the_receipt",
                t_no_file_holds_the_receipt, st, receipt)
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
        ok = run.failed == 0
    finally:
        st.stop()
        st.cleanup(keep=not ok)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
