"""The server's retention (issue 12): with retention_days set, a report
that every analyst of the server's team file has pulled (the cursor each
one's PULL presents, recorded by tipline-relay --analyst) and that is
older than the retention has its envelope emptied on the server, its
ciphertext bytes gone from every server file; its row (the clear status
the reporter sees) stays; the workstations keep it. A report one analyst
lacks, or a recent one, stays; a newcomer who has not pulled holds
everything back; an --analyst outside the team file gets no session.

usage: /usr/bin/python3 tests/integration/test_retention.py --build build"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_intake import ref_of, submit  # noqa: E402
from test_sync import Analyst, setup  # noqa: E402
from test_upload import body, post  # noqa: E402
import open_envelope as oe  # noqa: E402
import sync_proto as sp  # noqa: E402

OLD = "2026-01-02"


def envelope(st, ref):
    return bytes(st.query("SELECT envelope FROM reports WHERE ref = ?",
                          ref)[0][0])


def chunks_of(env):
    return [env[i:i + 48] for i in (300, 700)]


def server_files_holding(st, ctx, chunks):
    skip = []
    for x in ctx["analysts"]:
        skip += [x.case, x.case + "-wal", x.case + "-shm"]
    return st.files_containing(chunks, skip=skip)


def make_old(st, ref):
    import sqlite3
    db = sqlite3.connect(st.db)
    db.execute("UPDATE reports SET day = ? WHERE ref = ?", (OLD, ref))
    db.commit()
    db.close()


def relay_expire(st):
    p = subprocess.run([os.path.join(st.build, "tipline-relay"), "--config",
                        st.conf, "--expire"], capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stderr.decode()


def t_nothing_goes_until_every_analyst_pulled(st, ctx):
    a, refs = ctx["a"], ctx["refs"]
    for r in refs[:2]:
        make_old(st, r)
    ctx["env0"] = envelope(st, refs[0])
    a.sync()
    a.sync()        # the second PULL tells the relay what the first got
    assert "0 reports emptied" in relay_expire(st)
    assert all(len(envelope(st, r)) > 0 for r in refs)


def t_delivered_and_old_emptied_bytes_gone(st, ctx):
    b, refs = ctx["b"], ctx["refs"]
    b.sync()
    b.sync()        # retention runs after this pull
    assert [len(envelope(st, r)) for r in refs[:2]] == [0, 0]
    assert len(envelope(st, refs[2])) > 0           # recent: stays
    # The row stays, with its clear status, for the reporter.
    assert st.query("SELECT status FROM reports WHERE ref = ?",
                    refs[0]) == [("new",)]
    found = server_files_holding(st, ctx, chunks_of(ctx["env0"]))
    assert found == [], found
    for x in (ctx["a"], b):
        assert "a farm near the border" in x.ok("show", refs[0])
        assert x.sync()["reports"] == 0


def t_report_one_analyst_lacks_stays(st, ctx):
    a, b = ctx["a"], ctx["b"]
    ref = ref_of(st, submit(st, st.tokens(1)[0], {"description": "Case 9"}))
    make_old(st, ref)
    a.sync()
    a.sync()
    relay_expire(st)
    assert len(envelope(st, ref)) > 0       # Bruno lacks it
    b.sync()                                # gets it; the relay learns later
    relay_expire(st)
    assert len(envelope(st, ref)) > 0
    b.sync()
    assert len(envelope(st, ref)) == 0
    ctx["refs"].append(ref)


def t_newcomer_holds_back_and_skips_emptied(st, ctx):
    a, b = ctx["a"], ctx["b"]
    c = Analyst(st, "carla", "Carla Neu")
    ctx["analysts"].append(c)
    with open(st.team, "ab") as f, open(c.pub, "rb") as g:
        f.write(g.read())
    with open(st.team, "rb") as f, open(st.pub, "wb") as g:
        g.write(f.read())
    st.stop_fcgi()
    st.start_fcgi()
    ref = ref_of(st, submit(st, st.tokens(1)[0], {"description": "Case 10"}))
    make_old(st, ref)
    for x in (a, b, a, b):
        x.sync()
    relay_expire(st)
    assert len(envelope(st, ref)) > 0       # Carla has not pulled
    got = c.sync()
    # Only the reports the server still holds: 1 recent, Case 10.
    assert got["reports"] == 2, got
    c.sync()
    assert len(envelope(st, ref)) == 0


def t_files_go_when_every_analyst_has_every_chunk(st, ctx):
    """A pull cut inside a file commits the report before its last
    chunks: the report may be emptied, its files stay until every member
    presents a file cursor past all of their chunks."""
    data = b"retention marker %s\n" % os.urandom(8).hex().encode()
    r = post(st, body(st.tokens(1)[0], "Case 11: with a file",
                      [("notes.txt", data * 400, None)]))
    ref = ref_of(st, r)
    make_old(st, ref)
    files = "SELECT count(*) FROM attachments a JOIN reports r ON " \
        "r.id = a.report_id WHERE r.ref = ?"
    sample = [bytes(x[0])[100:148] for x in st.query(
        "SELECT c.data FROM attachment_chunks c JOIN attachments a ON "
        "a.id = c.attachment_id JOIN reports r ON r.id = a.report_id "
        "WHERE r.ref = ?", ref)]
    assert st.query(files, ref)[0][0] == 1 and sample
    a, b, c = ctx["analysts"][:3]
    for x in (a, b, a, b, c):
        x.sync()
    # Carla's next PULL presents a file cursor behind the chunks, as a
    # workstation whose pull was cut inside the file would.
    with open(st.team, "rb") as f:
        team = oe.parse_team(f.read(), "team")
    carla = [m for m in team if m["name"] == c.name][0]["id"].hex()
    rmax = st.query("SELECT max(id) FROM reports")[0][0]
    rl = sp.Relay([os.path.join(st.build, "tipline-relay"), "--config",
                   st.conf, "--analyst", carla])
    rl.hello()
    rl.pull(rmax, 0, 0, 0)
    rl.close()
    relay_expire(st)
    assert len(envelope(st, ref)) == 0      # every case file has it
    assert st.query(files, ref)[0][0] == 1  # Carla lacks its chunks
    c.sync()        # her cursor past the chunks: the files go
    assert st.query(files, ref)[0][0] == 0
    assert st.query("SELECT count(*) FROM attachment_chunks c WHERE NOT "
                    "EXISTS (SELECT 1 FROM attachments a WHERE a.id = "
                    "c.attachment_id)")[0][0] == 0
    found = server_files_holding(st, ctx, sample)
    assert found == [], found
    ctx["refs"].append(ref)


def t_analyst_outside_team_gets_no_session(st, ctx):
    p = subprocess.run([os.path.join(st.build, "tipline-relay"), "--config",
                        st.conf, "--analyst", "0123456789abcdef"],
                       input=b"", capture_output=True, timeout=60)
    assert p.returncode == 1 and b"not in the team file" in p.stderr, p


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build, extra_config="retention_days = 30\n")
    try:
        a, b, refs = setup(st)
        ctx = {"a": a, "b": b, "refs": refs, "analysts": [a, b]}
        run.run("nothing_emptied_until_every_analyst_pulled",
                t_nothing_goes_until_every_analyst_pulled, st, ctx)
        run.run("delivered_and_old_emptied_ciphertext_gone_row_stays",
                t_delivered_and_old_emptied_bytes_gone, st, ctx)
        run.run("report_one_analyst_lacks_never_emptied",
                t_report_one_analyst_lacks_stays, st, ctx)
        run.run("newcomer_holds_back_retention_pull_skips_emptied",
                t_newcomer_holds_back_and_skips_emptied, st, ctx)
        run.run("files_go_only_when_every_analyst_has_every_chunk",
                t_files_go_when_every_analyst_has_every_chunk, st, ctx)
        run.run("relay_analyst_outside_team_file_no_session",
                t_analyst_outside_team_gets_no_session, st, ctx)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
