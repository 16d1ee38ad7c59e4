"""The triage benchmark (issue 15): 20,000 reports planted in a case
file (sealed with PyNaCl as the server seals them, one transaction),
then, each the fastest of three runs in CPU time:
  - `tipline export --format csv` against decrypt_bound (the bare
    crypto), in reports per CPU second, without the one key unlock
    (the same command filtered to no report is subtracted);
  - `tipline list --urgent` (flags computed for every report), CPU
    seconds after the unlock.
Prints one line each and exits 1 when a target is missed.

usage: /usr/bin/python3 bench/triage.py --build build [--reports N]"""

import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import open_envelope  # noqa: E402
from harness import PASSPHRASE  # noqa: E402
from test_cli import seal_like_the_server  # noqa: E402

TARGET_RATIO = 0.7
TARGET_LIST_CPU = 2.0
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
WORDS = ("workers", "passports", "farm", "night", "bar", "girls", "van", "cash",
         "station", "begging", "children", "landlord", "kitchen", "phone")


def cpu_time(cmd, env):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=600)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit("bench: %s: %s" % (" ".join(cmd), p.stderr.decode()[-300:]))
    return (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def a_record(rnd):
    f = {"description": " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(20, 80))),
         "type": rnd.choice(["sexual", "labour", "begging", "other"]),
         "canton": rnd.choice(["ZH", "GE", "BE", "TI", "VS"]),
         "municipality": "Somewhere", "when": "since March"}
    for k, v in (("minors", "yes"), ("ongoing", "yes"), ("source", "affected"),
                 ("contact_ok", "yes")):
        if rnd.random() < 0.2:
            f[k] = v
    return {"v": 1, "form": 1, "lang": rnd.choice(["de", "fr", "it", "en"]), "fields": f}


def plant(db, pk, n):
    rnd = random.Random(15)
    c = sqlite3.connect(db)
    c.execute("BEGIN")
    for i in range(n):
        ref = "TL-%s-%s" % ("".join(rnd.choice(ALPHABET) for _ in range(4)),
                            "".join(ALPHABET[(i >> (5 * k)) & 31] for k in range(4)))
        day = "2026-%02d-%02d" % (rnd.randint(1, 11), rnd.randint(1, 28))
        env = seal_like_the_server(pk, ref, json.dumps(a_record(rnd)).encode())
        c.execute("INSERT INTO reports (ref, day, envelope) VALUES (?, ?, ?)",
                  (ref, day, env))
    c.commit()
    c.close()


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    n = int(sys.argv[sys.argv.index("--reports") + 1]) if "--reports" in sys.argv else 20000
    cli = os.path.join(TOP, build, "tipline")
    d = tempfile.mkdtemp(prefix="tipline-bench-triage-")
    try:
        passfile = os.path.join(d, "pass")
        with open(passfile, "w") as f:
            f.write(PASSPHRASE + "\n")
        db = os.path.join(d, "case.db")
        env = dict(os.environ, TIPLINE_PASSPHRASE_FILE=passfile,
                   TIPLINE_KEY=os.path.join(d, "k.key"), TIPLINE_DB=db)
        subprocess.run([cli, "keygen", "-o", os.path.join(d, "k")], env=env,
                       check=True, capture_output=True)
        # a case file is created with the schema on first use
        subprocess.run([cli, "list", "--case", db], env=dict(env, TIPLINE_DB=""),
                       capture_output=True)
        pk, sk, _ = open_envelope.unlock_secret_key(
            env["TIPLINE_KEY"], open_envelope.read_passphrase(passfile))
        plant(db, pk, n)
        skfile = os.path.join(d, "sk.hex")
        fd = os.open(skfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, sk.hex().encode() + b"\n")
        os.close(fd)
        out = os.path.join(d, "export.csv")
        export = [cli, "export", "--db", db, "--format", "csv", "-o", out, "--force"]
        lst = [cli, "list", "--db", db, "--urgent"]
        none = ["--since", "2999-12-31"]
        bounds, exports, lists, ones = [], [], [], []
        for _ in range(3):
            p = subprocess.run([os.path.join(TOP, build, "bench", "decrypt_bound"), db,
                                skfile], capture_output=True, timeout=300, check=True)
            bounds.append(json.loads(p.stdout)["per_second"])
            ones.append(cpu_time(lst + none, env))
            exports.append(cpu_time(export, env))
            lists.append(cpu_time(lst, env))
        one = min(ones)
        rate = n / max(min(exports) - one, 1e-6)
        bound = max(bounds)
        list_cpu = min(lists) - one
        ok1 = rate / bound >= TARGET_RATIO
        ok2 = list_cpu < TARGET_LIST_CPU
        print("triage: export of %d reports %.0f/s against the bare crypto bound "
              "%.0f/s: ratio %.3f (target >= %.1f: %s)" % (
                  n, rate, bound, rate / bound, TARGET_RATIO, "met" if ok1 else "MISSED"))
        print("triage: list --urgent over %d reports: %.2f CPU s after the unlock "
              "(%.2f s) (target < %.1f: %s)" % (
                  n, list_cpu, one, TARGET_LIST_CPU, "met" if ok2 else "MISSED"))
        return 0 if ok1 and ok2 else 1
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
