"""Events v1 read by the independent PyNaCl reader (open_event.py,
written from docs/FORMATS.md section 9): the C code
(build/tests/t_event with T_EVENT_OUT) writes a key, a team file and a
chain of events; PyNaCl parses, verifies, chains and opens them, and
refuses each forgery: a changed clear part, a changed sealed part, a
signer outside the team, a replayed, dropped or reordered event.

usage: /usr/bin/python3 tests/integration/test_events.py --build build"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Runner, TOP  # noqa: E402
import open_envelope as oe  # noqa: E402
import open_event as ox  # noqa: E402

OPENER = os.path.join(TOP, "tests", "integration", "open_event.py")


def events(d, names):
    out = []
    for n in names:
        with open(os.path.join(d, n), "rb") as f:
            out.append(f.read())
    return out


def read_stream(d, raws):
    """Runs the reader over raws as one stream: the parsed events, or
    the Bad message of the first refused one."""
    team = oe.parse_team(oe.read_file(os.path.join(d, "team"), 16384),
                         "team")
    key = oe.unlock_identity(os.path.join(d, "sample.key"), b"pw")
    chains, got = ox.Chains(), []
    try:
        for raw in raws:
            ev = ox.parse(raw)
            ox.verify(ev, team)
            chains.check(ev)
            got.append((ev, ox.open_sealed(ev, key["pk"], key["sk"])))
    except ox.Bad as e:
        return str(e)
    return got


def t_c_writes_samples(build, d):
    p = subprocess.run([os.path.join(TOP, build, "tests", "t_event")],
                       env=dict(os.environ, T_EVENT_OUT=d),
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert os.path.exists(os.path.join(d, "event-mallory"))


def t_pynacl_reads_the_chain(d):
    got = read_stream(d, events(d, ["event-1", "event-2", "event-3"]))
    assert isinstance(got, list), got
    assert [g[0]["seq"] for g in got] == [1, 2, 3]
    assert [ox.TYPES[g[0]["type"]] for g in got] == \
        ["status", "note", "purge"]
    assert got[0][1] == {"note": "n1", "to": "Kapo"}, got[0][1]
    assert got[0][0]["status"] == 3 and got[2][1] is None
    assert len(got[2][0]["raw"]) == 145
    # The command-line reader, as an operator would run it.
    pw = os.path.join(d, "pw")
    with open(pw, "w") as f:
        f.write("pw\n")
    p = subprocess.run(["/usr/bin/python3", OPENER, os.path.join(d, "team"),
                        os.path.join(d, "sample.key"), pw] +
                       [os.path.join(d, "event-%d" % i) for i in (1, 2, 3)],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(l) for l in p.stdout.splitlines()]
    assert [l["author"] for l in lines] == ["sample"] * 3, lines


def t_changed_clear_part_refused(d):
    raw = bytearray(events(d, ["event-1"])[0])
    raw[76] = 4                     # forwarded -> closed
    assert "signature" in read_stream(d, [bytes(raw)])
    raw = bytearray(events(d, ["event-3"])[0])
    raw[54:66] = b"TL-AAAA-BBBB"    # a purge moved to another report
    assert "signature" in read_stream(d, [bytes(raw)])


def t_changed_sealed_part_refused(d):
    raw = bytearray(events(d, ["event-1"])[0])
    raw[200] ^= 1
    assert "signature" in read_stream(d, [bytes(raw)])


def t_signer_outside_the_team_refused(d):
    assert "not in the team" in read_stream(d, events(d,
                                            ["event-mallory"]))
    # Mallory's event relabelled as the team member's: no longer verifies.
    team = oe.parse_team(oe.read_file(os.path.join(d, "team"), 16384), "t")
    raw = bytearray(events(d, ["event-mallory"])[0])
    raw[6:14] = team[0]["id"]
    assert "signature" in read_stream(d, [bytes(raw)])


def t_replay_drop_reorder_refused(d):
    e1, e2, e3 = events(d, ["event-1", "event-2", "event-3"])
    assert "replayed" in read_stream(d, [e1, e2, e2])
    assert "missing" in read_stream(d, [e1, e3])
    assert "reordered" in read_stream(d, [e2, e1]) or \
        "missing" in read_stream(d, [e2, e1])
    assert "missing" in read_stream(d, [e2])


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    d = tempfile.mkdtemp(prefix="tipline-events-")
    try:
        run.run("c_writes_sample_events", t_c_writes_samples, build, d)
        run.run("pynacl_reads_verifies_and_opens_the_chain",
                t_pynacl_reads_the_chain, d)
        run.run("changed_clear_part_refused", t_changed_clear_part_refused, d)
        run.run("changed_sealed_part_refused", t_changed_sealed_part_refused,
                d)
        run.run("signer_outside_the_team_refused",
                t_signer_outside_the_team_refused, d)
        run.run("replayed_dropped_reordered_refused",
                t_replay_drop_reorder_refused, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
