#!/usr/bin/python3
"""`make bench`: intake throughput of tipline against two ceilings measured
in the same run, under the same nginx and the same number of FastCGI
worker processes, with wrk on loopback.

  A        nginx serving the form page as a static file;
  B        bench/fcgi_min: a libfcgi responder that reads the whole POST
           body and answers 303 (the FastCGI path alone);
  tipline  real reports: a ~1.5 KB urlencoded body with a fresh valid
           token each, parsed, checked, sealed (envelope v2), committed
           by the writer with the other workers' rows (group commit,
           synchronous=FULL), answered 200 (the received page);
  v1       the same with envelope_version = 1 (a sealed box per
           recipient and report), so that group commit and envelope v2
           can be told apart.

Three rounds; prints each round, then the medians, the ratios against
the targets, the peak RSS of a worker and of the writer, the rows
against the
acknowledged responses, and the CLI's decryption rate against the bare
crypto bound (bench/decrypt_bound.c). Exits 1 if an acknowledged report
is missing or a measurement failed; a missed target is printed, not an
error. README.md in this directory explains the numbers.

usage: /usr/bin/python3 bench/bench.py [--build build] [--rounds 3]
       [--seconds 6] [--connections 32] [--workers 8]"""

import argparse
import glob
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness import Stack, wait_for, ref_by_receipt  # noqa: E402
import open_envelope  # noqa: E402
import receipt_ref  # noqa: E402

RECEIPT = re.compile(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}-[0-9A-Z]$")
TARGET_RATIO_B = 0.5
TARGET_P99_MS = 10.0
TARGET_RSS_KIB = 4096
TARGET_DECRYPT = 0.7
DEADLINE = 230          # seconds: the whole bench stays under 4 minutes

# A realistic report: most fields filled, a description of some 800
# characters with accents, umlauts and a line break; ~1.5 KB encoded.
FIELDS = {
    "type": "labour", "canton": "VS", "municipality": "Sion",
    "address": "Route de Riddes 12, derrière la station-service",
    "place_type": "vineyard", "when": "depuis mars, chaque matin vers 6h",
    "ongoing": "yes", "victims_count": "environ 6", "victims_ages": "20-30",
    "minors": "no", "victims_gender": "men", "victims_origin": "Roumanie",
    "suspects": "deux hommes, l'un conduit une camionnette blanche",
    "suspect_role": "contremaître",
    "vehicles": "camionnette blanche, VS 12345",
    "source": "saw", "contact_ok": "no",
    "description": (
        "Les ouvriers dorment dans une grange sans chauffage ni eau. "
        "Le contremaître garde leurs passeports et ne les paie pas depuis "
        "deux mois; il dit qu'ils lui doivent le voyage. Ils travaillent "
        "de 6 h à 21 h, sept jours sur sept. Einer von ihnen spricht "
        "etwas Deutsch und sagte mir, dass sie nicht weggehen dürfen und "
        "dass man ihnen droht, ihre Familien zu Hause zu informieren. "
        "Ich habe die Männer mehrmals gesehen, zuletzt am Dienstag.\n"
        "Un homme avait une blessure à la main qui n'a pas été soignée. "
        "Quand j'ai demandé, le contremaître a répondu que ce n'était pas "
        "mes affaires. La camionnette vient les chercher chaque matin à "
        "la station-service et les ramène le soir. Je ne sais pas où ils "
        "mangent. Je n'ai pas parlé à la police parce que j'ai peur que "
        "les ouvriers aient des problèmes à cause de leurs papiers."),
}


def log(msg):
    print(msg, flush=True)


class Bench(Stack):
    """The test harness's stack (key pair, config, tipline-fcgi, nginx from
    nginx/tipline-local.conf.in), with two more locations in the same
    server block: /bench/form.html (A) and /min/ (B)."""

    def __init__(self, build, workers, min_bin):
        self.min_bin = min_bin
        self.minproc = None
        self.nworkers = workers
        super().__init__(build, workers=workers, extra_config=(
            "token_min_age = 0\nbusy_timeout_ms = 5000\n"
            "envelope_version = 2\n"))

    def envelope(self, version):
        """Restarts tipline-fcgi sealing in this envelope version."""
        self.stop_fcgi()
        with open(self.conf) as f:
            conf = re.sub(r"envelope_version = \d", "envelope_version = %d"
                          % version, f.read())
        with open(self.conf, "w") as f:
            f.write(conf)
        self.start_fcgi()
        wait_for(lambda: len(self.workers()) == self.nworkers and
                 self.writer() is not None, what="workers and writer")

    def write_nginx_conf(self):
        super().write_nginx_conf()
        self.min_sock = os.path.join(self.dir, "min.sock")
        path = os.path.join(self.dir, "nginx.conf")
        with open(path) as f:
            conf = f.read()
        m = re.search(r"\n(\s*)location / \{\n.*?\n\1\}", conf, re.S)
        if not m:
            raise SystemExit("bench: no 'location / { ... }' block in "
                             "nginx/tipline-local.conf.in to copy for B")
        ind = m.group(1)
        block_b = (m.group(0).replace("location / {", "location /min/ {", 1)
                   .replace("unix:" + self.sock, "unix:" + self.min_sock))
        static_a = ("\n%slocation = /bench/form.html {\n%s\talias %s;\n%s}"
                    % (ind, ind, os.path.join(self.dir, "form.html"), ind))
        conf = conf[:m.start()] + static_a + block_b + conf[m.start():]
        with open(path, "w") as f:
            f.write(conf)

    def start(self):
        log_f = open(os.path.join(self.dir, "min.log"), "ab")
        self.minproc = subprocess.Popen(
            [self.min_bin, "unix:" + self.min_sock, str(self.nworkers)],
            stdout=log_f, stderr=log_f)
        wait_for(lambda: os.path.exists(self.min_sock), what="fcgi_min")
        super().start()

    def stop(self):
        rc = super().stop()
        if self.minproc is not None:
            self.minproc.send_signal(signal.SIGTERM)
            try:
                self.minproc.wait(10)
            except subprocess.TimeoutExpired:
                self.minproc.kill()
                self.minproc.wait()
            self.minproc = None
        return rc


def children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return kids


def vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def wrk(args, timeout):
    p = subprocess.run(["wrk"] + args, capture_output=True, timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    m = re.search(r"^BENCH (\{.*\})$", out, re.M)
    if p.returncode != 0 or not m:
        raise SystemExit("bench: wrk failed (%d): %s %s" % (
            p.returncode, out[-500:], p.stderr.decode()[-500:]))
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def harvest(url, n, prefix, seconds):
    """At least n fresh tokens from GET /, as browsers get them."""
    toks = []
    for attempt in range(4):
        pre = "%s-%d" % (prefix, attempt)
        p = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % seconds, "-s",
                            os.path.join(HERE, "harvest.lua"), url + "/",
                            "--", pre], capture_output=True,
                           timeout=seconds + 30)
        if p.returncode != 0:
            raise SystemExit("bench: wrk (tokens) failed: %s %s" % (
                p.stdout.decode()[-300:], p.stderr.decode()[-300:]))
        for f in sorted(glob.glob(pre + ".*")):
            with open(f) as fh:
                toks.extend(line.strip() for line in fh if line.strip())
            os.unlink(f)
        if len(toks) >= n:
            break
    if len(toks) < n:
        raise SystemExit("bench: harvested only %d of %d tokens"
                         % (len(toks), n))
    return toks


def post_run(b, url, tokens, args, tag):
    d = b.dir
    body = os.path.join(d, "body.txt")
    tokfile = os.path.join(d, "tokens-%s.txt" % tag)
    out = os.path.join(d, "resp-%s" % tag)
    with open(tokfile, "w") as f:
        f.write("\n".join(tokens) + "\n")
    nt = min(2, args.connections)
    r = wrk(["-t%d" % nt, "-c%d" % args.connections, "-d%ds" % args.seconds,
             "--timeout", "10s", "-s", os.path.join(HERE, "post.lua"), url,
             "--", body, tokfile, out, str(nt)], timeout=args.seconds + 60)
    statuses, refs = {}, []
    for f in glob.glob(out + ".*"):
        with open(f) as fh:
            for line in fh:
                st, receipt = line.split(" ", 1)
                receipt = receipt.strip()
                if st == "200" and RECEIPT.match(receipt):
                    refs.append(receipt)
                elif st == "200":
                    st = "200 without a receipt"
                statuses[st] = statuses.get(st, 0) + 1
    r["statuses"] = statuses
    r["refs"] = refs
    return r


def fmt_row(rnd, what, r):
    bad = sum(v for k, v in r.get("statuses", {}).items() if k != "200") \
        if "statuses" in r else r["status_err"]
    return "%-6s %-10s %9.0f %8.2f %8.2f %8.2f %8d" % (
        rnd, what, r["rps"], r["p50_us"] / 1000, r["p99_us"] / 1000,
        r["max_us"] / 1000, bad + r["connect_err"] + r["read_err"] +
        r["write_err"] + r["timeout_err"])


def cpu_time(cmd, env, timeout=120):
    """The CPU time (user + system) cmd took: other load on a shared
    machine stretches wall time far more than CPU time."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=timeout)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit("bench: %s failed: %s" % (" ".join(cmd),
                                                    p.stderr.decode()[-300:]))
    return (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def cli_decrypt(b, build, some_ref):
    """The CLI's rate (reports per CPU second, without its one key
    unlock) against decrypt_bound's over the same database, each the
    fastest of five runs. The time without the reports is the same command filtered
    to no report (--since a day to come), else `tipline show` of one."""
    env = dict(os.environ, TIPLINE_DB=b.db, TIPLINE_KEY=b.key,
               TIPLINE_PASSPHRASE_FILE=b.passfile)
    cli = os.path.join(TOP, build, "tipline")
    rc = subprocess.run([cli, "help", "export"], capture_output=True,
                        timeout=30).returncode
    out = os.path.join(b.dir, "export.csv")
    if rc == 0:
        # CSV, as the case: decrypted fields only; JSON adds each
        # report's status history (a query a row)
        cmd = [cli, "export", "--format", "csv", "-o", out]
        what = "tipline export --format csv"
    else:
        cmd, what = [cli, "list", "--json"], "tipline list --json"
    empty, shown = cmd + ["--since", "2999-12-31"], 0
    if subprocess.run(empty, env=env, capture_output=True,
                      timeout=120).returncode != 0:
        empty, shown = [cli, "show", "--json", some_ref], 1
    pk, sk, _ = open_envelope.unlock_secret_key(
        b.key, open_envelope.read_passphrase(b.passfile))
    skfile = os.path.join(b.dir, "sk.hex")
    fd = os.open(skfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, sk.hex().encode() + b"\n")
    os.close(fd)
    n = b.count()
    # the fastest of five: on a shared machine the noise only adds
    bounds, clis, ones = [], [], []
    for _ in range(5):
        p = subprocess.run([os.path.join(TOP, build, "bench", "decrypt_bound"),
                            b.db, skfile], capture_output=True, timeout=120)
        if p.returncode != 0:
            raise SystemExit("bench: decrypt_bound: %s" % p.stderr.decode())
        bounds.append(json.loads(p.stdout)["per_second"])
        if os.path.exists(out):
            os.unlink(out)
        ones.append(cpu_time(empty, env))
        if os.path.exists(out):
            os.unlink(out)
        clis.append(cpu_time(cmd, env))
    os.unlink(skfile)
    one, whole = min(ones), min(clis)
    rate = (n - shown) / max(whole - one, 1e-6)
    return what, n, rate, max(bounds), one


def check_round(b, t, before):
    """Rows against acknowledged responses for one tipline run."""
    # acknowledged: a receipt shown; stored: its lookup id is there
    acked = set(receipt_ref.derive(receipt_ref.parse(x))[0]
                for x in t["refs"])
    have = set(r[0] for r in b.query("SELECT lookup FROM receipts"))
    t["rows"] = b.count() - before
    t["acked"] = len(acked)
    t["missing"] = len(acked - have)
    t["rss"] = max([vm_hwm_kib(p) for p in b.workers()] or [0])
    t["wrss"] = vm_hwm_kib(b.writer()) if b.writer() else 0
    return t["missing"] == 0


def median_row(rounds, i, what):
    med = lambda k: statistics.median(r[i][k] for r in rounds)  # noqa: E731
    log("%-6s %-10s %9.0f %8.2f %8.2f %8.2f" % (
        "median", what, med("rps"), med("p50_us") / 1e3, med("p99_us") / 1e3,
        med("max_us") / 1e3))
    return med


def verdict(good):
    return "met" if good else "MISSED"


def summary(rounds, args):
    ma = median_row(rounds, 0, "A static")
    mb = median_row(rounds, 1, "B fcgi_min")
    mt = median_row(rounds, 2, "tipline")
    m1 = median_row(rounds, 3, "v1")
    rb, ra = mt("rps") / mb("rps"), mt("rps") / ma("rps")
    p99 = mt("p99_us") / 1e3
    rss = max(r[2]["rss"] for r in rounds)
    log("tipline/B = %.3f (target >= %.2f: %s); tipline/A = %.3f"
        % (rb, TARGET_RATIO_B, verdict(rb >= TARGET_RATIO_B), ra))
    log("tipline p99 at %d connections = %.2f ms (target <= %.0f ms: %s)"
        % (args.connections, p99, TARGET_P99_MS,
           verdict(p99 <= TARGET_P99_MS)))
    log("peak RSS of one worker (VmHWM) = %d KiB (target <= %d KiB: %s); "
        "fcgi_min worker %d KiB" % (rss, TARGET_RSS_KIB,
                                    verdict(rss <= TARGET_RSS_KIB),
                                    max(r[1]["rss"] for r in rounds)))
    wrss = max(r[2]["wrss"] for r in rounds)
    log("peak RSS of the writer (VmHWM) = %d KiB (target <= %d KiB: %s)"
        % (wrss, TARGET_RSS_KIB, verdict(wrss <= TARGET_RSS_KIB)))
    log("v1 sealing + group commit: %.0f req/s, v1/B = %.3f, p99 %.2f ms; "
        "v2/v1 = %.2f" % (m1("rps"), m1("rps") / mb("rps"),
                          m1("p99_us") / 1e3, mt("rps") / m1("rps")))
    for i, (_, _, t, _) in enumerate(rounds, 1):
        log("round %d: %d acknowledged (200), %d rows added (the rest were "
            "in flight when wrk stopped), %d acknowledged missing, %d "
            "requests without a fresh token, other answers %s" % (
                i, t["acked"], t["rows"], t["missing"], t["exhausted"],
                {k: v for k, v in t["statuses"].items() if k != "200"}))


def run_rounds(b, url, args, start):
    """Returns [(A, B, tipline)] per round, or None if a round lost an
    acknowledged report."""
    # a short warm-up tells how many tokens a round needs
    toks = harvest(url, 2000, os.path.join(b.dir, "tok0"), 2)
    warm = argparse.Namespace(connections=args.connections, seconds=2)
    w = post_run(b, url + "/submit", toks, warm, "t0")
    need = max(2000, int(w["rps"] * args.seconds * 1.5))
    rounds, ok = [], True
    for rnd in range(1, args.rounds + 1):
        if time.monotonic() - start > DEADLINE - 60:
            log("bench: stopping early to stay under 3 minutes")
            break
        a = wrk(["-t2", "-c%d" % args.connections, "-d%ds" % args.seconds,
                 "-s", os.path.join(HERE, "get.lua"),
                 url + "/bench/form.html"], timeout=args.seconds + 60)
        log(fmt_row(rnd, "A static", a))
        bb = post_run(b, url + "/min/submit", ["x"], args, "b%d" % rnd)
        bb["rss"] = max([vm_hwm_kib(p) for p in children(b.minproc.pid)]
                        or [0])
        log(fmt_row(rnd, "B fcgi_min", bb))
        toks = harvest(url, need, os.path.join(b.dir, "tok%d" % rnd), 3)
        before = b.count()
        t = post_run(b, url + "/submit", toks, args, "t%d" % rnd)
        log(fmt_row(rnd, "tipline", t))
        ok = check_round(b, t, before) and ok
        need = max(need, int(t["requests"] * 1.3))
        b.envelope(1)
        toks = harvest(url, need, os.path.join(b.dir, "tokv%d" % rnd), 3)
        before = b.count()
        v1 = post_run(b, url + "/submit", toks, args, "v%d" % rnd)
        log(fmt_row(rnd, "v1", v1))
        ok = check_round(b, v1, before) and ok
        b.envelope(2)
        rounds.append((a, bb, t, v1))
    return rounds if ok else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()
    start = time.monotonic()
    # its own temporary directory: a cleanup of the tests' directories by
    # a test run on the same machine cannot pull the floor from under it
    tempfile.tempdir = tempfile.mkdtemp(prefix="tipline-bench-")
    min_bin = os.path.join(TOP, args.build, "bench", "fcgi_min")
    body = urllib.parse.urlencode(FIELDS) + "&token="
    b = Bench(args.build, args.workers, min_bin)
    ok = False
    try:
        url = "http://127.0.0.1:%d" % b.port
        with open(os.path.join(b.dir, "body.txt"), "w") as f:
            f.write(body)
        with open(os.path.join(b.dir, "form.html"), "wb") as f:
            f.write(b.request("GET", "/").body)
        # the three paths answer as they should before anything is timed
        assert b.request("GET", "/bench/form.html").status == 200
        assert b.post(FIELDS).status == 400          # tipline: no token
        assert b.request("POST", "/min/submit", body + "x", {
            "Content-Type": "application/x-www-form-urlencoded"}).status == 303
        log("tipline bench: %d CPUs, load average %.2f, nginx "
            "worker_processes 1, %d FastCGI workers, wrk -t2 -c%d -d%ds, "
            "report body %d bytes + token" % (
                os.cpu_count(), os.getloadavg()[0], args.workers,
                args.connections, args.seconds, len(body)))
        log("%-6s %-10s %9s %8s %8s %8s %8s" % ("round", "what", "req/s",
            "p50 ms", "p99 ms", "max ms", "errors"))
        rounds = run_rounds(b, url, args, start)
        if rounds is None:
            log("bench: FAILED: an acknowledged report is missing")
            return 1
        summary(rounds, args)
        what, n, rate, bound, one = cli_decrypt(
            b, args.build, ref_by_receipt(b.db, rounds[-1][2]["refs"][0]))
        log("decryption over %d reports, per CPU second: %s %.0f/s (one "
            "key unlock, %.2f s, subtracted), bare crypto bound %.0f/s: "
            "ratio %.3f (target >= "
            "%.2f: %s)" % (n, what, rate, one, bound, rate / bound,
                           TARGET_DECRYPT,
                           verdict(rate / bound >= TARGET_DECRYPT)))
        logs = b.logs()
        ok = "AddressSanitizer" not in logs and "runtime error:" not in logs
        if not ok:
            log("bench: FAILED: sanitizer report in the logs")
    finally:
        b.stop()
        b.cleanup(keep=not ok)
        if ok:
            shutil.rmtree(tempfile.tempdir, ignore_errors=True)
        log("bench: %.0f s; load average %.2f %.2f %.2f"
            % ((time.monotonic() - start,) + os.getloadavg()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
