#!/usr/bin/python3
"""`make bench`, sync rows (issue 12): `tipline sync` against
`ssh host cat` in the same run.

  first local  a first sync of 20,000 reports into an empty case file,
               the relay as a local child (--remote local:)
  first ssh    the same through a real sshd on loopback, the relay as
               the forced command (tests/integration/test_sync_ssh.py's
               setup), into another empty case file
  ssh cat      `ssh host cat FILE` through the same sshd, FILE as large
               as the reports' envelopes together (the median of three)
  ssh connect  the same for an empty file: what a connection costs
  incr local,  a sync of 100 new reports into those case files
  incr ssh

MB/s is the envelopes' bytes over the wall time (MB = 10^6 bytes); the
ratio is against ssh cat (target >= 0.5); the incremental rows give the
wall time (target < 1 s) and their ratio to the first sync. The
reports are copies of one real report's envelope under 20,000 refs (a
sync does not open them). bench/README.md explains the numbers.

usage: /usr/bin/python3 bench/sync_bench.py [--build build] [--reports 20000]"""

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness import Stack  # noqa: E402
from test_sync import Analyst, new_refs, setup  # noqa: E402
from test_sync_ssh import Sshd  # noqa: E402


def add_reports(st, rnd, n, taken):
    con = sqlite3.connect(st.db)
    env = bytes(con.execute("SELECT envelope FROM reports LIMIT 1")
                .fetchone()[0])
    con.executemany("INSERT INTO reports (ref, day, envelope) VALUES "
                    "(?, '2026-12-01', ?)",
                    [(r, env) for r in new_refs(rnd, n, taken)])
    con.commit()
    con.close()


def payload(st):
    con = sqlite3.connect(st.db)
    n, total = con.execute("SELECT count(*), sum(length(envelope)) FROM "
                           "reports").fetchone()
    con.close()
    return n, total


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def cat_setup(st, sd, size, name="catkey"):
    """Another key whose forced command is `cat FILE`, FILE of size
    random bytes, and an ssh_config that uses that key."""
    path = os.path.join(sd.dir, "payload-" + name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    key = os.path.join(sd.dir, name)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    key], check=True)
    with open(key + ".pub") as f, \
            open(os.path.join(sd.dir, "authorized_keys"), "a") as g:
        g.write('command="cat %s",restrict %s\n' % (path, f.read().strip()))
    cfg = os.path.join(sd.dir, "ssh_config_" + name)
    with open(sd.client_cfg) as f, open(cfg, "w") as g:
        g.write(f.read().replace(os.path.join(sd.dir, "client"), key))
    return cfg


def ssh_cat(sd, cfg, size):
    def run():
        p = subprocess.run(["ssh", "-T", "-F", cfg, "-p", str(sd.port),
                            "root@127.0.0.1"], stdout=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=300)
        assert p.returncode == 0 and len(p.stdout) == size, p.returncode
    return sorted(timed(run)[0] for _ in range(3))[1]


def sync(x, remote, extra=()):
    def run():
        rc, out, err = x.run("sync", "--remote", remote, "--json", *extra)
        assert rc == 0, err
        return out
    return timed(run)


def row(what, secs, nbytes, base):
    mbs = nbytes / secs / 1e6
    print("%-12s %8.2f s  %8.1f MB/s  %5.2f of ssh cat" % (
        what, secs, mbs, mbs / base), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--reports", type=int, default=20000)
    args = ap.parse_args()
    rnd = random.Random(20000)
    st = Stack(args.build)
    sd = None
    try:
        a, b, refs = setup(st)
        taken = set(refs)
        add_reports(st, rnd, args.reports - len(refs), taken)
        n, nbytes = payload(st)
        sd = Sshd(st)
        ssh_remote = "ssh://root@127.0.0.1:%d" % sd.port
        ssh_opts = ("--ssh-config", sd.client_cfg)
        cfg = cat_setup(st, sd, nbytes)
        cfg0 = cat_setup(st, sd, 0, "emptykey")
        print("sync: %d reports, %.1f MB of envelopes; load %s" % (
            n, nbytes / 1e6, os.getloadavg()), flush=True)
        cat_s = ssh_cat(sd, cfg, nbytes)
        base = nbytes / cat_s / 1e6
        print("%-12s %8.2f s  %8.1f MB/s" % ("ssh cat", cat_s, base))
        print("%-12s %8.3f s  (ssh cat of an empty file: the connection)"
              % ("ssh connect", ssh_cat(sd, cfg0, 0)))
        local_s, _ = sync(a, "local:" + st.conf)
        row("first local", local_s, nbytes, base)
        ssh_s, _ = sync(b, ssh_remote, ssh_opts)
        row("first ssh", ssh_s, nbytes, base)
        add_reports(st, rnd, 100, taken)
        il, out = sync(a, "local:" + st.conf)
        assert '"reports":100' in out, out
        print("%-12s %8.3f s  (%.3f of the first)" % ("incr local", il,
              il / local_s))
        iss, out = sync(b, ssh_remote, ssh_opts)
        assert '"reports":100' in out, out
        print("%-12s %8.3f s  (%.3f of the first)" % ("incr ssh", iss,
              iss / ssh_s))
        ok = ssh_s / cat_s <= 2 and il < 1 and iss < 1
        print("sync targets (ssh >= 0.5 of ssh cat, incremental < 1 s): "
              "%s" % ("met" if ok else "MISSED"), flush=True)
    finally:
        if sd is not None:
            sd.stop()
        st.stop()
        st.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
