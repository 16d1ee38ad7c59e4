"""Analyst identities and the team file (issue 12, step 1), through the
real programs: `tipline keygen --name` writes an identity, intake seals
to every member of a team file given as `recipients =`, each analyst's
v2 key opens the report (with the CLI and with the independent PyNaCl
reader written from docs/FORMATS.md), a v1 key upgrades with
`tipline passwd --name` and still opens what was sealed to it, and a
team file that breaks a rule keeps tipline-fcgi from starting.

usage: /usr/bin/python3 tests/integration/test_team.py --build build"""

import os
import re
import subprocess
import sys

import nacl.bindings as nb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP  # noqa: E402
from test_intake import ref_of, submit  # noqa: E402
import open_envelope as oe  # noqa: E402

OPENER = os.path.join(TOP, "tests", "integration", "open_envelope.py")


def keygen(st, base, name):
    st.cli_ok("keygen", "--name", name, "-o", os.path.join(st.dir, base))
    return os.path.join(st.dir, base + ".key"), \
        os.path.join(st.dir, base + ".pub")


def identity_line(pub):
    with open(pub, "rb") as f:
        lines = [l for l in f.read().splitlines() if l.startswith(b"TLID1 ")]
    assert len(lines) == 1, lines
    return lines[0]


def restart_with(st, recipients_text):
    with open(st.pub, "wb") as f:
        f.write(recipients_text)
    st.stop_fcgi()
    st.start_fcgi()


def t_identity_line_matches_the_doc(st, ctx):
    """The identity line's layout is what section 8 says: 113 fixed
    bytes, then the name; the doc's own example parses."""
    line = identity_line(ctx["a_pub"])
    assert line[113:] == "Anna Muster".encode(), line
    ident = oe.parse_identity(line)
    assert ident and ident["name"] == "Anna Muster"
    with open(os.path.join(TOP, "docs", "FORMATS.md"), "rb") as f:
        doc = f.read()
    ex = re.findall(rb"^TLID1 [0-9a-f]{16} [^\n]+$", doc, re.M)
    assert ex and all(oe.parse_identity(l) for l in ex), ex
    # pubkey prints the same line.
    out = st.cli_ok("pubkey", "--key", ctx["a_key"])
    assert out.encode() == line + b"\n", (out, line)


def t_v2_key_unlocks_independently(st, ctx):
    """PyNaCl opens the v2 file: the X25519 key matches the line's,
    the Ed25519 seed gives the line's signing key, the name is bound."""
    pas = oe.read_passphrase(st.passfile)
    k = oe.unlock_identity(ctx["a_key"], pas)
    ident = oe.parse_identity(identity_line(ctx["a_pub"]))
    assert k["pk"] == ident["box"] and k["sign_pk"] == ident["sign"]
    assert k["name"] == "Anna Muster"
    sig = nb.crypto_sign(b"event", k["sign_seed"] + k["sign_pk"])[:64]
    assert nb.crypto_sign_open(sig + b"event", ident["sign"]) == b"event"
    # Another name in the key line: the passphrase no longer opens it.
    with open(ctx["a_key"], "rb") as f:
        text = f.read()
    bad = os.path.join(st.dir, "renamed.key")
    with open(bad, "wb") as f:
        f.write(text.replace(b"== Anna Muster", b"== Anna Mustor"))
    os.chmod(bad, 0o600)
    try:
        oe.unlock_identity(bad, pas)
        raise AssertionError("a renamed key unlocked in PyNaCl")
    except oe.Fail:
        pass
    rc, _, err = st.cli("pubkey", "--key", bad)
    assert rc == 1 and "wrong passphrase" in err, err


def t_intake_seals_to_the_whole_team(st, ctx):
    team = (b"# the secretariat's team\n" + identity_line(ctx["a_pub"]) +
            b"\r\n" + identity_line(ctx["b_pub"]) + b"\n")
    with open(ctx["team"], "wb") as f:
        f.write(team)
    parsed = oe.parse_team(team, "team")
    assert [m["name"] for m in parsed] == ["Anna Muster", "Bruno Beispiel"]
    restart_with(st, team)
    ref = ref_of(st, submit(st, st.tokens(1)[0], {"description": "A van at "
                                              "the border, every night"}))
    ctx["ref"] = ref
    env = st.query("SELECT envelope FROM reports WHERE ref = ?", ref)[0][0]
    assert env[5] == 2, "sealed to %d keys" % env[5]
    for key in (ctx["a_key"], ctx["b_key"]):
        out = st.cli_ok("show", "--json", ref, "--key", key)
        assert "every night" in out, out
        p = subprocess.run(["/usr/bin/python3", OPENER, st.db, ref, key,
                            st.passfile], capture_output=True, timeout=60)
        assert p.returncode == 0 and b"every night" in p.stdout, p.stderr


def t_bad_team_file_stops_intake(st, ctx):
    """A team file that breaks a rule: tipline-fcgi does not start and
    names the line; the previous file then starts it again."""
    a = identity_line(ctx["a_pub"])
    bidi = a.replace(b"Anna Muster", "Anna\u202eMuster".encode())
    for text, line in ((a + b"\n" + bidi + b"\n", 2),
                       (b"# c\n" + a.replace(b"Anna Muster",
                                             b"Anna Muster ") + b"\n", 2)):
        with open(st.pub, "wb") as f:
            f.write(text)
        st.stop_fcgi()
        p = subprocess.run([os.path.join(st.build, "tipline-fcgi"),
                            "--config", st.conf, "--check"],
                           capture_output=True, timeout=30)
        err = p.stderr.decode()
        if "--check" in err and "unknown" in err:
            p = subprocess.run([os.path.join(st.build, "tipline-fcgi"),
                                "--config", st.conf, "--listen",
                                "unix:" + st.sock + ".x"],
                               capture_output=True, timeout=30)
            err = p.stderr.decode()
        assert p.returncode != 0, err
        assert ("%s:%d:" % (st.pub, line)) in err and "name" in err, err
    with open(ctx["team"], "rb") as f:
        restart_with(st, f.read())


def t_v1_key_upgrades_and_still_opens(st, ctx):
    """The stack's own v1 key: a report sealed to it, then passwd
    --name: the same key id, an identity line, the report still opens."""
    with open(ctx["v1_pub"], "rb") as f:
        restart_with(st, f.read())
    ref = ref_of(st, submit(st, st.tokens(1)[0], {"description": "Sealed to "
                                              "the v1 key"}))
    old_id = st.cli_ok("pubkey").split()[1]
    rc, _, err = st.cli("passwd", "--new-passphrase-file", st.passfile,
                        "--name", "Old Key")
    assert rc == 0 and "now an identity" in err, err
    line = st.cli_ok("pubkey").strip().encode()
    ident = oe.parse_identity(line)
    assert ident and ident["id"].hex() == old_id and \
        ident["name"] == "Old Key", line
    assert "Sealed to the v1 key" in st.cli_ok("show", ref)
    pas = oe.read_passphrase(st.passfile)
    assert oe.unlock_identity(st.key, pas)["sign_pk"] == ident["sign"]
    rc, _, err = st.cli("passwd", "--new-passphrase-file", st.passfile,
                        "--name", "New Name")
    assert rc == 1 and "already an identity" in err, err


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    try:
        ctx = {"team": os.path.join(st.dir, "team")}
        with open(st.pub, "rb") as f:
            v1 = f.read()
        ctx["v1_pub"] = os.path.join(st.dir, "v1.pub")
        with open(ctx["v1_pub"], "wb") as f:
            f.write(v1)
        ctx["a_key"], ctx["a_pub"] = keygen(st, "anna", "Anna Muster")
        ctx["b_key"], ctx["b_pub"] = keygen(st, "bruno", "Bruno Beispiel")
        run.run("identity_line_matches_the_doc",
                t_identity_line_matches_the_doc, st, ctx)
        run.run("v2_key_unlocks_independently_name_bound",
                t_v2_key_unlocks_independently, st, ctx)
        run.run("intake_seals_to_the_whole_team",
                t_intake_seals_to_the_whole_team, st, ctx)
        run.run("bad_team_file_stops_intake_naming_the_line",
                t_bad_team_file_stops_intake, st, ctx)
        run.run("v1_key_upgrades_with_passwd_name_and_still_opens",
                t_v1_key_upgrades_and_still_opens, st, ctx)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
