"""tipline forward (issue 15): a report handed over to a partner
encrypted with age. The partner decrypts with `age -d` alone and reads
the same record that `show --json` prints; the routing is recorded with
the partner's name (a signed route event on a case file, the legacy
status history on the server's file); a missing or invalid recipients
file is a clear error that records nothing and leaves no file; -o is
0600 and never replaced without --force; no plaintext reaches a file.

usage: /usr/bin/python3 tests/integration/test_forward.py --build build"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_sync import setup  # noqa: E402

PARTNER = "Kantonspolizei ZH"


def partner_keys(st):
    """An age identity for the partner and a recipients file naming it."""
    ident = os.path.join(st.dir, "partner-key.txt")
    subprocess.run(["age-keygen", "-o", ident], check=True, capture_output=True)
    pub = subprocess.run(["age-keygen", "-y", ident], check=True,
                         capture_output=True).stdout.decode().strip()
    rcp = os.path.join(st.dir, "partner.txt")
    with open(rcp, "w") as f:
        f.write("# name: %s\n%s\n" % (PARTNER, pub))
    return ident, rcp


def age_decrypt(ident, data):
    p = subprocess.run(["age", "-d", "-i", ident], input=data, capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def legacy(st, a, *args):
    """The server's file read directly (TIPLINE_DB), with A's key."""
    return st.cli(*args, env={"TIPLINE_KEY": a.key})


def history_rows(st, ref):
    return st.query("SELECT count(*) FROM status_history h JOIN reports r ON "
                    "h.report_id = r.id WHERE r.ref = ?", ref)[0][0]


def t_partner_decrypts_what_show_prints(st, a, refs, ident, rcp):
    ref = refs[0]
    out = os.path.join(st.dir, "to-partner.age")
    rc, _, err = legacy(st, a, "forward", ref, "--recipient", rcp, "-o", out)
    assert rc == 0, err
    assert os.stat(out).st_mode & 0o777 == 0o600
    with open(out, "rb") as f:
        data = f.read()
    assert data.startswith(b"age-encryption.org/v1\n"), data[:40]
    got = age_decrypt(ident, data)
    rc, shown, err = legacy(st, a, "show", "--json", ref)
    assert rc == 0, err
    shown = json.loads(shown)
    assert got == {"format": "tipline-forward-1", "ref": ref, "day": shown["day"],
                   "record": shown["record"]}, (got, shown)
    assert "a farm near the border" in got["record"]["fields"]["description"]
    assert st.query("SELECT status FROM reports WHERE ref = ?", ref) == [("forwarded",)]
    assert shown["status"] == "forwarded"
    assert shown["history"][-1].get("to") == PARTNER, shown["history"]


def t_output_never_replaced_without_force(st, a, refs, ident, rcp):
    out = os.path.join(st.dir, "to-partner.age")
    with open(out, "rb") as f:
        before = f.read()
    n = history_rows(st, refs[0])
    rc, _, err = legacy(st, a, "forward", refs[0], "--recipient", rcp, "-o", out)
    assert rc == 1 and "exists" in err and "--force" in err, (rc, err)
    with open(out, "rb") as f:
        assert f.read() == before
    assert history_rows(st, refs[0]) == n
    rc, _, err = legacy(st, a, "forward", refs[0], "--recipient", rcp, "-o", out,
                        "--force")
    assert rc == 0, err
    with open(out, "rb") as f:
        assert f.read() != before
    assert os.stat(out).st_mode & 0o777 == 0o600


def t_stdout_when_not_a_terminal(st, a, refs, ident, rcp):
    e = dict(os.environ, TIPLINE_DB=st.db, TIPLINE_KEY=a.key,
             TIPLINE_PASSPHRASE_FILE=st.passfile)
    p = subprocess.run([os.path.join(st.build, "tipline"), "forward", refs[1],
                        "--recipient", rcp, "--to", "Opferhilfe Bern"],
                       env=e, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert age_decrypt(ident, p.stdout)["ref"] == refs[1]
    rc, shown, _ = legacy(st, a, "show", "--json", refs[1])
    assert json.loads(shown)["history"][-1].get("to") == "Opferhilfe Bern"


def t_bad_recipients_record_nothing(st, a, refs, ident, rcp):
    ref = refs[2]
    out = os.path.join(st.dir, "bad.age")
    n = history_rows(st, ref)
    bad = os.path.join(st.dir, "bad-recipients.txt")
    with open(bad, "w") as f:
        f.write("# name: %s\nnot-an-age-key\n" % PARTNER)
    noname = os.path.join(st.dir, "noname.txt")
    with open(rcp) as f, open(noname, "w") as g:
        g.write("".join(x for x in f if not x.startswith("#")))
    cases = [
        (os.path.join(st.dir, "missing.txt"), [], 1, "cannot read the recipients file"),
        (bad, [], 1, "age did not encrypt"),
        (noname, [], 2, "# name:"),
    ]
    for path, more, want, says in cases:
        rc, _, err = legacy(st, a, "forward", ref, "--recipient", path, "-o", out, *more)
        assert rc == want and says in err, (path, rc, err)
        assert not os.path.exists(out), path
        assert history_rows(st, ref) == n, path
        assert st.query("SELECT status FROM reports WHERE ref = ?", ref) == [("new",)]
    # no age on the PATH: says so, records nothing
    rc, _, err = st.cli("forward", ref, "--recipient", rcp, "-o", out,
                        env={"TIPLINE_KEY": a.key, "PATH": "/nonexistent"})
    assert rc == 1 and "cannot run age" in err and "apt-get install age" in err, err
    assert not os.path.exists(out) and history_rows(st, ref) == n
    # the same report with a name given: fine
    rc, _, err = legacy(st, a, "forward", ref, "--recipient", noname, "--to", PARTNER,
                        "-o", out)
    assert rc == 0, err
    assert age_decrypt(ident, open(out, "rb").read())["ref"] == ref


def t_case_file_signed_route_event(st, a, refs, ident, rcp):
    a.sync()
    ref = refs[0]
    out = os.path.join(st.dir, "case-to-partner.age")
    rc, _, err = a.run("forward", ref, "--recipient", rcp, "-o", out)
    assert rc == 0, err
    assert age_decrypt(ident, open(out, "rb").read())["ref"] == ref
    h = a.history(ref)[-1]
    assert (h["author"], h["status"], h.get("to"), h["signature"]) == \
        ("Anna Muster", "forwarded", PARTNER, "valid"), h


def t_routing_failure_leaves_no_file(st, a, refs, ident, rcp):
    """The key is not in the local team file: the route event cannot be
    written, so the ciphertext does not stay either."""
    ref = refs[1]
    out = os.path.join(st.dir, "unrouted.age")
    team = os.path.join(st.dir, "team-without-anna")
    with open(team, "w") as f:
        f.write(open(os.path.join(st.dir, "bruno.pub")).read())
    before = a.history(ref)
    e = dict(os.environ, TIPLINE_PASSPHRASE_FILE=st.passfile, TIPLINE_KEY=a.key,
             TIPLINE_CASE=a.case, TIPLINE_TEAM=team)
    e.pop("TIPLINE_DB", None)
    p = subprocess.run([os.path.join(st.build, "tipline"), "forward", ref,
                        "--recipient", rcp, "-o", out], env=e, capture_output=True,
                       timeout=60)
    assert p.returncode == 1 and b"not in the local team file" in p.stderr, p.stderr
    assert not os.path.exists(out)
    assert a.history(ref) == before


def t_no_plaintext_in_any_file(st, a, refs, ident, rcp):
    found = st.files_containing([b"a farm near the border"])
    assert not found, found


def t_help_and_man_page(st, a, refs, ident, rcp):
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "man", "tipline.1")) as f:
        man = f.read()
    for cmd in ("forward", "lock"):
        rc, out, _ = st.cli("help", cmd)
        assert rc == 0 and out.startswith("usage: tipline " + cmd), out
        rc, out2, _ = st.cli(cmd, "--help")
        assert rc == 0 and out2 == out, cmd
        assert ".Cm %s" % cmd in man and ".It Cm %s" % cmd in man, cmd
    rc, _, err = st.cli("forward", refs[0])
    assert rc == 2 and "--recipient" in err, err


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        a, _, refs = setup(st)
        ident, rcp = partner_keys(st)
        args = (st, a, refs, ident, rcp)
        run.run("partner_decrypts_with_age_what_show_prints_routing_recorded",
                t_partner_decrypts_what_show_prints, *args)
        run.run("output_0600_never_replaced_without_force",
                t_output_never_replaced_without_force, *args)
        run.run("stdout_when_not_a_terminal_to_overrides_name",
                t_stdout_when_not_a_terminal, *args)
        run.run("missing_invalid_or_nameless_recipients_record_nothing",
                t_bad_recipients_record_nothing, *args)
        run.run("case_file_forward_writes_signed_route_event",
                t_case_file_signed_route_event, *args)
        run.run("routing_not_recorded_leaves_no_ciphertext",
                t_routing_failure_leaves_no_file, *args)
        run.run("no_plaintext_in_any_file", t_no_plaintext_in_any_file, *args)
        run.run("help_and_man_page_for_forward_and_lock", t_help_and_man_page, *args)
        run.run("no_sanitizer_reports_in_logs", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
