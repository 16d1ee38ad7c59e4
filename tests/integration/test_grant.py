"""Joining and leaving the team (issue 12): Carla joins after reports
and notes exist; before a grant her case file holds them but cannot
open them; Anna's `tipline grant` seals their content keys to Carla in
a signed event, and after a sync Carla reads the reports and the notes
(show, export, verify); the grant's sealed part and the keys in it open
with the independent PyNaCl reader (docs/FORMATS.md section 9). A grant
from a key outside the team file is not used. Bruno, removed from the
team file, gets nothing new: the next report and the next note are not
sealed to him.

usage: /usr/bin/python3 tests/integration/test_grant.py --build build"""

import json
import os
import sqlite3
import sys

import nacl.bindings as nb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_intake import ref_of, submit  # noqa: E402
from test_sync import Analyst, setup  # noqa: E402
import open_envelope as oe  # noqa: E402
import open_event as ox  # noqa: E402


def write_team(st, members):
    """The same team file on the server (restarted) and the
    workstations."""
    with open(st.team, "wb") as f:
        for x in members:
            with open(x.pub, "rb") as g:
                f.write(g.read())
    with open(st.team, "rb") as f, open(st.pub, "wb") as g:
        g.write(f.read())
    st.stop_fcgi()
    st.start_fcgi()


def open_with_key(env, ref, ck):
    """Section 3, steps 5 and 6, with a content key from a grant."""
    version, nrec = env[4], env[5]
    first, size = (6, 88) if version == 1 else (38, 56)
    noff = first + nrec * size
    nonce = env[noff:noff + 24]
    ad = b"TLEV" + bytes([version]) + ref.encode("ascii")
    padded = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(
        env[noff + 24:], ad, nonce, ck)
    body = padded.rstrip(b"\x00")
    assert body[-1] == 0x80
    return body[:-1]


def stanza_ids(env):
    first, size = (6, 88) if env[4] == 1 else (38, 56)
    return [env[first + i * size:first + i * size + 8]
            for i in range(env[5])]


def key_id_of(x):
    with open(x.pub) as f:
        return bytes.fromhex([l for l in f
                              if l.startswith("TLID1 ")][0].split()[1])


def t_newcomer_cannot_read_before_grant(st, ctx):
    a, b, refs = ctx["a"], ctx["b"], ctx["refs"]
    a.sync()
    a.ok("note", refs[0], "--message", "Anna: met the witness")
    a.sync()
    c = Analyst(st, "carla", "Carla Neu")
    ctx["c"] = c
    write_team(st, (a, b, c))
    got = c.sync()
    assert got["reports"] == 3, got
    rc, out, err = c.run("show", refs[0])
    assert rc == 1 and "not sealed to this key" in err, (rc, err)


def t_grant_lets_newcomer_read_old_reports(st, ctx):
    a, c, refs = ctx["a"], ctx["c"], ctx["refs"]
    out = a.ok("grant", "Carla Neu")
    assert "granted 4 keys to Carla Neu in 1 event" in out, out
    assert a.sync()["sent"] == 1
    got = c.sync()
    assert got["events"] == 1, got     # the grant
    out = c.ok("show", refs[0])
    assert "Case 0: a farm near the border" in out, out
    assert "note by Anna Muster: Anna: met the witness" in out, out
    lines = c.ok("export", "--format", "json").splitlines()
    assert len(lines) == 3, lines
    out = c.ok("verify")
    assert "3 reports open" in out, out
    # The same grant, read with PyNaCl from the server's database.
    me = oe.unlock_identity(c.key, oe.read_passphrase(st.passfile))
    with open(st.team, "rb") as f:
        team = oe.parse_team(f.read(), "team")
    (raw,) = st.query("SELECT body FROM events WHERE substr(body, 6, 1) "
                      "= x'05'")[0]
    ev = ox.parse(bytes(raw))
    ox.verify(ev, team)
    g = ox.open_sealed(ev, me["pk"], me["sk"])
    assert g["grantee"] == me["id"].hex() and len(g["keys"]) == 4, g
    for ref in refs:
        env = bytes(st.query("SELECT envelope FROM reports WHERE ref = ?",
                             ref)[0][0])
        ck = oe.b64decode_strict(g["keys"][ref].encode("ascii"), 32)
        rec = json.loads(open_with_key(env, ref, ck))
        assert "a farm near the border" in json.dumps(rec), rec
    # Not to Bruno: the grant does not open with his key.
    bk = oe.unlock_identity(ctx["b"].key, oe.read_passphrase(st.passfile))
    try:
        ox.open_sealed(ev, bk["pk"], bk["sk"])
        raise AssertionError("the grant opened with Bruno's key")
    except ox.Bad:
        pass


def t_grant_again_sends_only_what_is_missing(st, ctx):
    a = ctx["a"]
    # Reports sealed to Carla already need no grant.
    tok = st.tokens(1)[0]
    ctx["refs"].append(ref_of(st, submit(st, tok, {"description": "Case 3: "
                                               "after Carla joined"})))
    a.sync()
    out = a.ok("grant", "Carla Neu")
    assert "granted 4 keys" in out, out     # the 3 old ones and the note
    a.sync()
    c = ctx["c"]
    c.sync()
    assert "after Carla joined" in c.ok("show", ctx["refs"][3])


def t_removed_analyst_gets_nothing_new(st, ctx):
    a, b, c = ctx["a"], ctx["b"], ctx["c"]
    write_team(st, (a, c))
    tok = st.tokens(1)[0]
    ref = ref_of(st, submit(st, tok, {"description": "Case 4: after Bruno "
                                  "left"}))
    env = bytes(st.query("SELECT envelope FROM reports WHERE ref = ?",
                         ref)[0][0])
    assert key_id_of(b) not in stanza_ids(env)
    assert sorted(stanza_ids(env)) == sorted([key_id_of(a), key_id_of(c)])
    a.sync()
    a.ok("note", ref, "--message", "Anna: only for the team now")
    a.sync()
    (raw,) = st.query("SELECT body FROM events ORDER BY id DESC LIMIT 1")[0]
    ev = ox.parse(bytes(raw))
    assert key_id_of(b) not in stanza_ids(ev["sealed"])
    b.sync()
    rc, _, err = b.run("show", ref)
    assert rc == 1 and "not sealed to this key" in err, err
    c.sync()
    assert "after Bruno left" in c.ok("show", ref)


def t_grant_signed_by_outsider_not_used(st, ctx):
    """A grant event that the case file holds but whose author the local
    team file does not list is ignored by the reader."""
    c, refs = ctx["c"], ctx["refs"]
    con = sqlite3.connect(c.case)
    con.execute("UPDATE events SET body = substr(body, 1, 6) || "
                "x'0000000000000000' || substr(body, 15) WHERE "
                "substr(body, 6, 1) = x'05'")
    con.commit()
    con.close()
    rc, _, err = c.run("show", refs[0])
    assert rc == 1 and "not sealed to this key" in err, err


def t_large_grant_split_in_bounded_events(st, ctx):
    """4010 notes of Anna's (signed with PyNaCl, sealed to the team of
    the time, Anna and Carla), then Dora joins: Anna's grant to Dora is
    two events of at most 4000 keys each, and Dora reads the notes."""
    import sqlite3
    import sync_proto as sp
    a, c, refs = ctx["a"], ctx["c"], ctx["refs"]
    d = Analyst(st, "dora", "Dora Neu")
    key = oe.unlock_identity(a.key, oe.read_passphrase(st.passfile))
    with open(st.team, "rb") as f:
        team = oe.parse_team(f.read(), "team")
    author = sp.Author(key, team)
    db = sqlite3.connect(a.case)
    author.seq, last = db.execute("SELECT seq, body FROM events WHERE "
                                  "author = ? ORDER BY seq DESC LIMIT 1",
                                  (key["id"],)).fetchone()
    author.last = ox.event_id(bytes(last))
    rows = []
    for i in range(4010):
        ev = author.event("note", refs[0], plain=b'{"note":"bulk %d"}' % i)
        rows.append((ox.event_id(ev), key["id"], author.seq, ev))
    db.executemany("INSERT INTO events (event_id, author, seq, body) "
                   "VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    write_team(st, (a, c, d))
    out = a.ok("grant", "Dora Neu")
    assert " in 2 events" in out, out
    n = int(out.split("granted ")[1].split()[0])
    assert n > 4010, out
    a.sync()
    d.sync()
    me = oe.unlock_identity(d.key, oe.read_passphrase(st.passfile))
    sizes = []
    for (raw,) in st.query("SELECT body FROM events WHERE substr(body, 6, "
                           "1) = x'05' ORDER BY id DESC LIMIT 2"):
        ev = ox.parse(bytes(raw))
        g = ox.open_sealed(ev, me["pk"], me["sk"])
        assert g["grantee"] == me["id"].hex(), g
        sizes.append(len(g["keys"]))
    assert sorted(sizes) == sorted([4000, n - 4000]), (sizes, n)
    notes = [h.get("note") for h in d.history(refs[0])]
    assert "bulk 0" in notes and "bulk 4009" in notes


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        a, b, refs = setup(st)
        ctx = {"a": a, "b": b, "refs": refs}
        run.run("newcomer_holds_old_reports_cannot_open_before_grant",
                t_newcomer_cannot_read_before_grant, st, ctx)
        run.run("grant_newcomer_reads_reports_and_notes_pynacl_opens_it",
                t_grant_lets_newcomer_read_old_reports, st, ctx)
        run.run("second_grant_skips_what_newcomer_can_open",
                t_grant_again_sends_only_what_is_missing, st, ctx)
        run.run("removed_analyst_gets_no_new_report_or_note",
                t_removed_analyst_gets_nothing_new, st, ctx)
        run.run("large_grant_split_into_events_of_at_most_4000_keys",
                t_large_grant_split_in_bounded_events, st, ctx)
        run.run("grant_from_key_outside_team_file_not_used",
                t_grant_signed_by_outsider_not_used, st, ctx)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
