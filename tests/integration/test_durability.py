"""Durability under faults, through a real nginx and a real tipline-fcgi
(issue 7). The promise under test: a reporter who saw "received" has been
heard, whatever happens to the server a moment later; before that point
the reporter gets an error page, never a false "received".

- kill -9 under load: several clients send a few hundred reports while
  workers, the writer and the supervising parent are killed with SIGKILL
  at random
  moments; the service is started again on the same socket, as an
  operator (or systemd's Restart=) would. Every reference a client saw
  is in the database and opens to exactly what that client sent; the
  database passes PRAGMA integrity_check; no report is stored twice, even
  when a client sends again after an error (same token).
- disk full: the database on a tmpfs of its own, filled up with a
  ballast file. Reporters (German and English forms) get the 503 page in
  the language of their form; nothing acknowledged is lost, no row is
  written for a 503; once the ballast is gone the same workers take the
  same forms again. Without mount (not root, or no CAP_SYS_ADMIN), a
  file-size limit on the workers (RLIMIT_FSIZE) stands in for the full
  disk; the test prints which it used.
- locked database: another process holds the write lock; intake waits
  about busy_timeout_ms, then answers 503; when the lock goes, a waiting
  report is taken promptly; another writer taking the lock again and
  again for short moments does not starve intake. The waits are printed
  ("# ..." lines).
- read-only or missing database directory, corrupt database file, the
  database moved or deleted under a running service: a clear start-up
  error or a 503, never a false "received" (a received page only for a report that
  is then really there), never a crash loop, and the reports already
  stored are still there afterwards. A read-only directory is a tmpfs
  remounted read-only (EROFS) and a directory of mode 0555 with the
  process's DAC override capabilities dropped (EACCES, as for a service
  user without write access).

Envelopes are opened with PyNaCl (open_envelope.py, written from
docs/FORMATS.md), the key unlocked once; a sample also through
`tipline show --json`.

usage: /usr/bin/python3 tests/integration/test_durability.py --build build
       [--only PART_OF_A_CASE_NAME]
"""

import ctypes
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, receipt_of  # noqa: E402
import open_envelope  # noqa: E402
import receipt_ref  # noqa: E402

HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" '
                    r'value="([^"<>&]*)">')
PAGE_LANG = re.compile(r'<html lang="([a-z]{2})"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CANTONS = ["ZH", "BE", "VS", "TI", "GE", "VD", "BS", "SG"]
WORDS = ["Arbeiter", "passeports", "Lohn", "camionnette", "notte", "grange",
         "Schulden", "Unterkunft", "contrôle", "lavoro", "😀", "&", "<b>",
         "\"quoted\"", "Zürich", "ñ", "line\nbreak", "taxi", "Bar", "bordel"]
LOCK_HOLDER = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "lock":
        db.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
    elif cmd[0] == "unlock":
        db.execute("ROLLBACK")
        print("unlocked %.6f" % time.monotonic(), flush=True)
    elif cmd[0] == "churn":
        secs, hold, gap = float(cmd[1]), float(cmd[2]), float(cmd[3])
        end, n = time.monotonic() + secs, 0
        while time.monotonic() < end:
            db.execute("BEGIN IMMEDIATE")
            time.sleep(hold)
            db.execute("COMMIT")
            n += 1
            time.sleep(gap)
        print("churned %d" % n, flush=True)
    else:
        break
"""


def become_subreaper():
    """Workers orphaned by a killed parent are re-parented to this
    process, so that the test can kill and reap them by PID."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)          # PR_SET_CHILD_SUBREAPER


def try_request(st, method, path, body=None, headers=None):
    """The response, or None when the connection failed."""
    try:
        return st.request(method, path, body, headers)
    except (OSError, http.client.HTTPException):
        return None


class Form:
    """What a browser keeps from GET /: the hidden fields (the token, and
    the page's language where the form carries it), the page's language,
    and the Accept-Language it sent."""

    def __init__(self, hidden, lang, accept):
        self.hidden, self.lang, self.accept = hidden, lang, accept


class Sent:
    """A report as sent: its fields and the language of its form."""

    def __init__(self, fields, lang):
        self.fields, self.lang = fields, lang


def get_form(st, accept=None):
    """The form as a browser gets it, or None."""
    r = try_request(st, "GET", "/", headers={"Accept-Language": accept}
                    if accept else None)
    if r is None or r.status != 200:
        return None
    hidden = dict(HIDDEN.findall(r.text))
    m = PAGE_LANG.search(r.text)
    if "token" not in hidden or not m:
        return None
    return Form(hidden, m.group(1), accept)


def post(st, form, fields):
    """Sends fields with the form's hidden fields, as a browser would."""
    f = dict(fields)
    f.update(form.hidden)
    h = dict(FORM)
    if form.accept:
        h["Accept-Language"] = form.accept
    return try_request(st, "POST", "/submit", urllib.parse.urlencode(f), h)


def ref_of(r):
    """The receipt a received page shows (the POST's own answer, issue
    13), or None when the report was not acknowledged. Acknowledged
    reports are kept by their receipt; by_ref finds each one's report by
    the receipt's lookup id when it is read back."""
    if r is None or r.status != 200:
        return None
    receipt = receipt_of(r)
    assert receipt and r.header("Location") is None, r.text[:300]
    return receipt


def by_ref(db, acked):
    """acked (receipt -> Sent) keyed by the analysts' reference, as the
    database db maps each receipt's lookup id to its report; a receipt
    no readable row has is kept under its own name (then missing)."""
    out = {}
    for receipt, sent in acked.items():
        lookup, _ = receipt_ref.derive(receipt_ref.parse(receipt))
        try:
            row = query(db, "SELECT p.ref FROM receipts r JOIN reports p "
                        "ON p.id = r.report_id WHERE r.lookup = ?", lookup)
        except sqlite3.DatabaseError:
            row = []
        out[row[0][0] if row else receipt] = sent
    return out


def expected(fields):
    return {k: v for k, v in fields.items() if v}


def query(db, sql, *args):
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def check_db(db):
    assert query(db, "PRAGMA integrity_check") == [("ok",)], \
        query(db, "PRAGMA integrity_check")
    assert query(db, "PRAGMA foreign_key_check") == []
    reports = query(db, "SELECT count(*) FROM reports")[0][0]
    tokens = query(db, "SELECT count(*) FROM used_tokens")[0][0]
    assert reports == tokens, "%d reports, %d used tokens" % (reports, tokens)


class Opener:
    """Opens every envelope in a database with PyNaCl; the secret key is
    unlocked once (Argon2id is slow on purpose)."""

    def __init__(self, st):
        pas = open_envelope.read_passphrase(st.passfile)
        self.pk, self.sk, _ = open_envelope.unlock_secret_key(st.key, pas)

    def all(self, db):
        out = {}
        for ref, env in query(db, "SELECT ref, envelope FROM reports"):
            try:
                rec = open_envelope.open_envelope(env, ref, self.pk, self.sk)
                open_envelope.check_record(rec, ref)
            except open_envelope.Fail as e:
                raise AssertionError("row %s does not open: %s" % (ref, e))
            out[ref] = json.loads(rec)
        return out


def opener(st):
    if getattr(st, "opener", None) is None:
        st.opener = Opener(st)
    return st.opener


def check_acked(st, db, acked):
    """acked: ref -> Sent. Every one is stored and opens to exactly what
    was sent; returns all rows, opened."""
    rows = opener(st).all(db)
    for ref, sent in by_ref(db, acked).items():
        assert ref in rows, "acknowledged report %s is missing" % ref
        rec = rows[ref]
        assert rec["fields"] == expected(sent.fields), (ref, rec["fields"])
        assert rec["v"] == 1 and rec["lang"] == sent.lang, (rec, sent.lang)
    return rows


def check_with_cli(st, acked, n=1):
    """The C reader agrees with PyNaCl (each run unlocks the key: slow)."""
    acked = by_ref(st.db, acked)
    for ref in sorted(acked)[:n]:
        out = st.cli_ok("show", "--json", ref)
        rec = json.loads(out)
        assert rec["ref"] == ref
        assert rec["record"]["fields"] == expected(acked[ref].fields), ref


def check_no_sanitizer(st):
    logs = st.logs()
    for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert bad not in logs, logs[-3000:]


def try_mount(target, opts):
    """Mounts a tmpfs; returns None, or why it could not."""
    try:
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs",
                            target], capture_output=True, timeout=30)
    except OSError as e:
        return str(e)
    if p.returncode != 0:
        return p.stderr.decode("utf-8", "replace").strip() or "mount failed"
    return None


def umount(target):
    for _ in range(20):
        if subprocess.run(["umount", target], capture_output=True,
                          timeout=30).returncode == 0:
            return
        time.sleep(0.25)
    subprocess.run(["umount", "-l", target], capture_output=True, timeout=30)


def remount(target, opts):
    p = subprocess.run(["mount", "-o", "remount," + opts, target],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr


class Scratch:
    """A Stack plus what a case adds (mounts, orphans); all undone by
    close(), which keeps the directory when the case failed."""

    def __init__(self, build, **kw):
        self.mounts = []
        self.dirs = []
        self.orphans = []
        self.st = Stack(build, **kw)

    def mount(self, path, opts):
        why = try_mount(path, opts)
        if why is None:
            self.mounts.append(path)
        return why

    def close(self, ok):
        try:
            self.st.stop()
        finally:
            for pid in set(self.orphans) | set(orphans_of(self.st)):
                kill_and_reap(pid)
            for m in reversed(self.mounts):
                umount(m)
            for d in self.dirs:
                if ok:
                    shutil.rmtree(d, ignore_errors=True)
                else:
                    print("# kept for inspection: " + d, flush=True)
            self.st.cleanup(keep=not ok)


def orphans_of(st):
    """Workers of a killed parent of this stack, re-parented to us."""
    out = []
    live = st.fcgi.pid if st.fcgi is not None else None
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == live:
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and st.conf.encode() in cmd:
            out.append(int(d))
    return out


def kill_and_reap(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] != 0:
                return
        except ChildProcessError:
            return
        time.sleep(0.02)


def case(build, fn, **kw):
    """Runs fn(scratch) on its own stack; cleans up."""
    sc = Scratch(build, **kw)
    ok = False
    try:
        fn(sc)
        check_no_sanitizer(sc.st)
        ok = True
    finally:
        sc.close(ok)


def report_fields(rnd, tag):
    words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 60)))
    return {"description": "%s %s" % (tag, words),
            "canton": rnd.choice(CANTONS), "type": "labour",
            "municipality": rnd.choice(["", "Sion", "Lugano", "Biel/Bienne"])}


# kill -9 under load ------------------------------------------------------

class Load:
    def __init__(self):
        self.lock = threading.Lock()
        self.reports = []        # dicts: fields, token, receipts seen on "received"
        self.answers = {}
        self.unexpected = []

    def answer(self, rep, r):
        key = "conn" if r is None else str(r.status)
        with self.lock:
            self.answers[key] = self.answers.get(key, 0) + 1
            if r is not None and r.status not in (200, 502, 503, 504):
                self.unexpected.append((r.status, r.text[:300]))


def send(st, load, rep, rnd, deadline):
    """Posts rep until it is acknowledged, as a reporter who goes back
    and sends again after an error page (the same token)."""
    for _ in range(60):
        if time.monotonic() > deadline:
            return
        r = post(st, rep["form"], rep["fields"])
        load.answer(rep, r)
        ref = ref_of(r)
        if ref is not None:
            rep["refs"].append(ref)
            return
        rep["errors"] += 1
        if r is not None and r.status not in (502, 503, 504):
            return
        time.sleep(rnd.uniform(0.02, 0.15))


def client(st, load, cid, stop, deadline, least, most):
    try:
        clients_reports(st, load, cid, stop, deadline, least, most)
    except Exception as e:          # a failed check in a thread fails the case
        with load.lock:
            load.unexpected.append(("client %d" % cid, repr(e)))


def clients_reports(st, load, cid, stop, deadline, least, most):
    rnd = random.Random(cid * 7919 + int(time.time()))
    for i in range(most):
        if time.monotonic() > deadline or (stop.is_set() and i >= least):
            return
        form = None
        for _ in range(100):
            form = get_form(st)
            if form is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if form is None:
            continue
        rep = {"fields": report_fields(rnd, "client %d report %d" % (cid, i)),
               "form": form, "refs": [], "errors": 0}
        with load.lock:
            load.reports.append(rep)
        send(st, load, rep, rnd, deadline)
        if rep["refs"] and rnd.random() < 0.1:
            send(st, load, rep, rnd, deadline)      # a double click, later
        time.sleep(rnd.uniform(0.01, 0.05))   # keep the load up while killing


def kill_parent(sc, rnd):
    """SIGKILL to the supervisor; its workers live on as orphans and
    finish what they hold. The operator starts the service again on the
    same socket; the orphans are then killed (as systemd's KillMode would)
    at a random moment."""
    st = sc.st
    p, st.fcgi = st.fcgi, None
    os.kill(p.pid, signal.SIGKILL)
    p.wait(30)
    orphans = orphans_of(st)
    sc.orphans.extend(orphans)
    time.sleep(rnd.uniform(0, 0.3))
    st.start_fcgi()
    time.sleep(rnd.uniform(0, 0.3))
    for pid in orphans:
        kill_and_reap(pid)
        sc.orphans.remove(pid)


def busy_worker(st, rnd):
    """A worker in the middle of a request if one shows up within about
    0.2 s (running, or in uninterruptible sleep: fsync), else any worker;
    idle workers sleep in accept()."""
    ws = []
    for _ in range(200):
        ws = st.workers()
        for pid in ws:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state in ("R", "D"):
                return pid
        time.sleep(0.001)
    return rnd.choice(ws) if ws else None


def running_writer(st):
    """The writer, waiting up to about 2 s for one: just after a kill
    of the writer or the parent there is none until it is restarted."""
    for _ in range(200):
        pid = st.writer()
        if pid is not None:
            return pid
        time.sleep(0.01)
    return None


def killer(sc, plan, rnd, kills, deadline):
    for what in plan:
        time.sleep(rnd.uniform(0.15, 0.5))
        if time.monotonic() > deadline:
            return
        if what == "parent":
            kill_parent(sc, rnd)
            kills["parent"] += 1
            continue
        pid = busy_worker(sc.st, rnd) if what == "worker" else \
            running_writer(sc.st)
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
                kills[what] += 1
            except ProcessLookupError:
                pass


def t_kill9_under_load(sc):
    st = sc.st
    deadline = time.monotonic() + 150
    rnd = random.Random()
    plan = ["worker"] * 8 + ["writer"] * 4 + ["parent"] * 3
    rnd.shuffle(plan)
    load, stop, kills = Load(), threading.Event(), {"worker": 0, "parent": 0,
                                                     "writer": 0}
    clients = [threading.Thread(target=client, args=(st, load, c, stop,
                                                     deadline, 30, 300))
               for c in range(8)]
    for t in clients:
        t.start()
    try:
        killer(sc, plan, rnd, kills, deadline)
    finally:
        stop.set()
        for t in clients:
            t.join(max(1, deadline - time.monotonic() + 30))
    assert not any(t.is_alive() for t in clients), "clients did not finish"
    # after all that, the service answers as usual
    form = get_form(st)
    extra = Sent({"description": "after the storm"}, form.lang)
    ref = ref_of(post(st, form, extra.fields))
    assert ref is not None, "no report accepted after the restarts"
    assert st.stop() == 0
    assert not load.unexpected, load.unexpected[:5]
    assert kills["worker"] >= 6 and kills["parent"] == 3, kills
    assert kills["writer"] >= 3, kills
    acked = {ref: extra}
    for rep in load.reports:
        if rep["refs"]:
            assert len(set(rep["refs"])) == 1, \
                "one token, two references: %r" % rep["refs"]
            acked[rep["refs"][0]] = Sent(rep["fields"], rep["form"].lang)
    assert len(acked) >= 200, "only %d reports acknowledged" % len(acked)
    check_db(st.db)
    rows = check_acked(st, st.db, acked)
    sent = {r["fields"]["description"]: r for r in load.reports}
    sent[extra.fields["description"]] = {"fields": extra.fields}
    seen = set()
    for rref, rec in rows.items():
        d = rec["fields"]["description"]
        assert d in sent, "row %s holds a report nobody sent" % rref
        assert d not in seen, "report stored twice: %r" % d[:60]
        seen.add(d)
        assert rec["fields"] == expected(sent[d]["fields"])
    check_with_cli(st, acked)
    retried = sum(1 for r in load.reports if r["errors"] and r["refs"])
    print("# kill -9 under load: %d reports sent by 8 clients, %d "
          "acknowledged (%d after an error page and a resend), %d stored "
          "without an acknowledgement; killed %d workers, %d writers and %d "
          "parents; "
          "answers %s" % (len(load.reports), len(acked) - 1, retried,
                          len(rows) - len(acked), kills["worker"],
                          kills["writer"], kills["parent"], load.answers),
          flush=True)


# disk full ---------------------------------------------------------------

def fill(path, keep):
    """A ballast file that leaves about keep bytes free."""
    vfs = os.statvfs(os.path.dirname(path))
    n = max(0, vfs.f_bavail * vfs.f_frsize - keep)
    chunk = b"\0" * 65536
    with open(path, "wb") as f:
        try:
            while n > 0:
                f.write(chunk[:min(n, len(chunk))])
                n -= min(n, len(chunk))
            f.flush()
        except OSError:
            pass


def check_503(r, form):
    """The 'not received' page, in the language of the form it answers."""
    assert r is not None and r.status == 503, \
        "expected 503, got %s" % (r and r.status)
    assert r.header("Retry-After") == "60"
    assert r.header("Location") is None
    m = PAGE_LANG.search(r.text)
    assert m and m.group(1) == form.lang, (form.lang, r.text[:300])
    if form.lang == "en":
        assert "NOT" in r.text and "received" in r.text, r.text[:500]


def t_disk_full(sc, how):
    st = sc.st
    db = st.db
    workers, parent = sorted(st.children()), st.fcgi.pid
    ballast = os.path.join(os.path.dirname(db), "ballast")
    if how == "tmpfs":
        fill(ballast, 96 * 1024)
    else:
        lim = max(os.path.getsize(p) for p in (db, db + "-wal")
                  if os.path.exists(p)) + 96 * 1024
        for w in workers:
            resource.prlimit(w, resource.RLIMIT_FSIZE, (lim, lim))
    rnd = random.Random()
    acked, refused = {}, []
    for i in range(400):
        fields = report_fields(rnd, "disk-full report %d" % i)
        # reporters in two languages: the 503 page must be in theirs
        form = get_form(st, accept=("de", "en")[i % 2])
        assert form is not None
        r = post(st, form, fields)
        ref = ref_of(r)
        if ref is not None:
            acked[ref] = Sent(fields, form.lang)
            if refused:
                break
            continue
        check_503(r, form)
        refused.append((form, fields))
        if len(refused) >= 5:
            break
    assert refused, "the disk never filled up"
    assert acked, "no report fitted before the disk was full"
    assert st.request("GET", "/").status == 200
    # nothing acknowledged lost, nothing half-written, no row for a 503
    check_db(db)
    rows = check_acked(st, db, acked)
    assert set(rows) == set(by_ref(db, acked)), "rows without an acknowledgement"
    # space returns; the same workers take reports again
    if how == "tmpfs":
        os.unlink(ballast)
    else:
        for w in workers:
            resource.prlimit(w, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    for form, fields in refused:    # the reporter sends the form again
        ref = ref_of(post(st, form, fields))
        assert ref is not None, "intake did not resume"
        acked[ref] = Sent(fields, form.lang)
    assert sorted(st.children()) == workers and st.fcgi.pid == parent, \
        "the service restarted"
    check_db(db)
    rows = check_acked(st, db, acked)
    assert set(rows) == set(by_ref(db, acked))
    check_with_cli(st, acked)
    print("# disk full (%s): %d acknowledged before the disk was full, %d "
          "answered 503, all %d taken after space returned, no restart"
          % (how, len(acked) - len(refused), len(refused), len(refused)),
          flush=True)


def disk_full_case(build):
    base = tempfile.mkdtemp(prefix="tipline-full-")
    mnt = os.path.join(base, "db")
    os.mkdir(mnt)
    why = try_mount(mnt, "size=2m,mode=0700")
    how = "tmpfs" if why is None else "RLIMIT_FSIZE"
    if why is not None:
        print("# disk full: cannot mount a tmpfs (%s); a file-size limit on "
              "the workers stands in for the full disk" % why, flush=True)
    db = os.path.join(mnt, "tips.db")
    sc = None
    ok = False
    try:
        sc = Scratch(build, extra_config="token_min_age = 0\ndatabase = %s\n"
                     % db)
        if why is None:
            sc.mounts.append(mnt)
        sc.dirs.append(base)
        sc.st.db = db
        t_disk_full(sc, how)
        check_no_sanitizer(sc.st)
        ok = True
    finally:
        if sc is not None:
            sc.close(ok)
        else:
            if why is None:
                umount(mnt)
            shutil.rmtree(base, ignore_errors=True)


# locked database ---------------------------------------------------------

class Holder:
    """Another process with its own connection to the database, as the
    tipline CLI (or an operator's sqlite3) would have."""

    def __init__(self, db):
        self.p = subprocess.Popen(
            ["/usr/bin/python3", "-c", LOCK_HOLDER, db], text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def do(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
            self.p.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()


def timed_post(st, form, fields, out, i):
    t0 = time.monotonic()
    r = post(st, form, fields)
    out[i] = (r, t0, time.monotonic())


def t_locked(sc, busy_ms):
    st = sc.st
    limit = busy_ms / 1000.0
    holder = Holder(st.db)
    rnd = random.Random()
    try:
        before = st.count()
        assert holder.do("lock") == "locked"
        # one report while the lock is held: waits about busy_timeout_ms
        res = {}
        form = get_form(st)
        timed_post(st, form, {"description": "while locked"}, res, 0)
        r, t0, t1 = res[0]
        check_503(r, form)
        one = t1 - t0
        assert 0.8 * limit <= one <= limit + 2.5, one
        # six at once on two workers: the queue adds at most two more waits
        forms = [get_form(st) for _ in range(6)]
        ts = [threading.Thread(target=timed_post, args=(
            st, forms[i], {"description": "locked %d" % i}, res, i))
            for i in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        waits = []
        for i in range(6):
            check_503(res[i][0], forms[i])
            waits.append(res[i][2] - res[i][1])
        assert max(waits) <= 3 * limit + 3, waits
        assert st.count() == before, "a row was written under the lock"
        assert holder.do("unlock").startswith("unlocked")
        # the lock goes away while a report waits: it is taken, promptly
        lags = []
        for i in range(5):
            assert holder.do("lock") == "locked"
            form = get_form(st)
            t = threading.Thread(target=timed_post, args=(
                st, form, {"description": "released %d" % i}, res, 10 + i))
            t.start()
            time.sleep(rnd.uniform(0.15, 0.4))
            released = float(holder.do("unlock").split()[1])
            t.join(30)
            r, _, t1 = res[10 + i]
            assert ref_of(r) is not None, "not stored after the lock went"
            lags.append(t1 - released)
        assert max(lags) < 1.0, lags
        check_db(st.db)
    finally:
        holder.close()
    print("# locked database (busy_timeout_ms = %d): one report answered 503 "
          "after %.0f ms; six at once on two workers, worst %.0f ms; after "
          "the lock went, stored within %.0f ms (worst of 5)"
          % (busy_ms, one * 1000, max(waits) * 1000, max(lags) * 1000),
          flush=True)


def t_lock_churn(sc, busy_ms):
    """Another writer takes the lock again and again for short moments
    (hold 20 ms, free 2 ms), as a CLI working through many small
    transactions would. Intake must get its turn in the first gaps, not
    keep sleeping past them (SQLite's default busy handler sleeps up to
    100 ms at a time, and then most of its tries land inside a hold):
    every report is taken, and on average within 100 ms (a sleeping
    handler averages some 200 ms here, a 1 ms poll some 10 ms)."""
    st = sc.st
    holder = Holder(st.db)
    results = []
    try:
        forms = [get_form(st) for _ in range(20)]
        t = threading.Thread(target=holder.do,
                             args=("churn 6 0.020 0.002",))
        t.start()
        time.sleep(0.2)
        for i, form in enumerate(forms):
            t0 = time.monotonic()
            r = post(st, form, {"description": "churn %d" % i})
            results.append((r and r.status, time.monotonic() - t0))
            if not t.is_alive():
                break
        t.join(30)
    finally:
        holder.close()
    worst = max(w for _, w in results)
    mean = sum(w for _, w in results) / len(results)
    refused = sum(1 for s, _ in results if s != 200)
    print("# lock churn (hold 20 ms, free 2 ms; busy_timeout_ms = %d): %d of "
          "%d reports refused, mean wait %.0f ms, worst %.0f ms" % (
              busy_ms, refused, len(results), mean * 1000, worst * 1000),
          flush=True)
    assert refused == 0 and mean <= 0.1, results


# read-only, missing, corrupt ---------------------------------------------

def start_alone(st, conf, sock, prefix=None, wait=10):
    """Starts tipline-fcgi; returns (exit status or None if it runs,
    stderr so far, the process)."""
    err = open(os.path.join(st.dir, "alone.err"), "w+b")
    cmd = (prefix or []) + [os.path.join(st.build, "tipline-fcgi"),
                            "--config", conf, "--listen", "unix:" + sock]
    p = subprocess.Popen(cmd, stdout=err, stderr=err)
    end = time.monotonic() + wait
    while time.monotonic() < end and p.poll() is None:
        if os.path.exists(sock) and st_children(p.pid):
            break
        time.sleep(0.05)
    err.seek(0)
    return p.poll(), err.read().decode("utf-8", "replace"), p


def st_children(pid):
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


def stop_alone(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def write_conf(st, name, db):
    path = os.path.join(st.dir, name)
    with open(st.conf) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text + "database = %s\n" % db)
    return path


def seed(st, n, tag):
    """n acknowledged reports; returns ref -> fields."""
    rnd = random.Random()
    acked = {}
    for i in range(n):
        fields = report_fields(rnd, "%s %d" % (tag, i))
        form = get_form(st)
        ref = ref_of(post(st, form, fields))
        assert ref is not None
        acked[ref] = Sent(fields, form.lang)
    return acked


def refuses_or_answers(st, conf, sock, db, prefix, what, acked):
    """The service either stops at start with a clear message naming the
    database, or runs and answers a report with 503 or, if it could
    store it after all (its -wal and -shm files were still there), with
    "received"; such a report is added to acked, to be checked later. Never a
    crash loop: a service that runs keeps the same workers."""
    files = sorted(f for f in os.listdir(os.path.dirname(db))
                   if f.startswith("tips.db"))
    rc, err, p = start_alone(st, conf, sock, prefix)
    try:
        if rc is not None:
            assert rc == 1, (rc, err)
            assert db in err and "error" in err, err
            assert len(err) < 2000, err
            assert not os.path.exists(sock), "socket left behind"
            return "start-up error: " + err.strip().splitlines()[0]
        assert sock == st.sock      # nginx passes to it
        ws = sorted(st_children(p.pid))
        form = get_form(st)
        assert form is not None, "no form while %s" % what
        fields = {"description": "while " + what}
        r = post(st, form, fields)
        ref = ref_of(r)
        if ref is None:
            check_503(r, form)
        else:
            acked[ref] = Sent(fields, form.lang)
        time.sleep(1.5)
        assert sorted(st_children(p.pid)) == ws, "workers restarting"
        return "runs and answers %d (files: %s)" % (r.status, " ".join(files))
    finally:
        stop_alone(p)
        check_log_clean(err)


def check_log_clean(err):
    for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert bad not in err, err[-3000:]


def restart_and_check(sc, acked, db):
    """The normal service on the repaired database: every report stored
    before is there and opens; a new one is taken."""
    st = sc.st
    st.start_fcgi()
    fields = {"description": "after repair"}
    form = get_form(st)
    ref = ref_of(post(st, form, fields))
    assert ref is not None
    acked = dict(acked)
    acked[ref] = Sent(fields, form.lang)
    check_db(db)
    rows = check_acked(st, db, acked)
    assert set(rows) == set(by_ref(db, acked))
    st.stop_fcgi()


def t_missing_directory(sc):
    st = sc.st
    st.stop_fcgi()
    db = os.path.join(st.dir, "no-such-dir", "tips.db")
    conf = write_conf(st, "missing.conf", db)
    for _ in range(2):          # again: nothing changed by the first try
        rc, err, p = start_alone(st, conf, st.sock)
        stop_alone(p)
        assert rc == 1, (rc, err)
        assert db in err, err
        assert not os.path.exists(os.path.dirname(db))
    print("# missing directory: %s" % err.strip().splitlines()[0], flush=True)


DB_FILES = ("tips.db", "tips.db-wal", "tips.db-shm")


def move_db(src, to):
    """Renames the database and its -wal and -shm files from src to to
    (to None: deletes them)."""
    for name in DB_FILES:
        if os.path.exists(os.path.join(src, name)):
            if to is None:
                os.unlink(os.path.join(src, name))
            else:
                os.rename(os.path.join(src, name), os.path.join(to, name))


def t_database_gone_while_running(sc):
    """The database file is moved away or deleted under a running service
    (an operator's mistake, a volume unmounted under it). A report must
    not be acknowledged into a file that is no longer where the CLI
    reads: once the workers exit, what went into a deleted file is lost.
    SQLite can tell (SQLITE_FCNTL_HAS_MOVED)."""
    st = sc.st
    acked = seed(st, 3, "before the move")
    moved = st.dir + "-moved"
    os.mkdir(moved)
    sc.dirs.append(moved)
    here = os.path.dirname(st.db)
    move_db(here, moved)
    form = get_form(st)
    r = post(st, form, {"description": "after the move"})
    assert ref_of(r) is None, \
        "acknowledged into a database that was moved away"
    check_503(r, form)
    move_db(moved, here)
    more = seed(st, 1, "moved back")        # the same workers resume
    move_db(here, None)
    form = get_form(st)
    r = post(st, form, {"description": "after the delete"})
    assert ref_of(r) is None, "acknowledged into a deleted database"
    check_503(r, form)
    assert len(acked) + len(more) == 4


def t_read_only_directory(sc, base):
    st = sc.st
    outcomes = []
    # EACCES: a directory the service may not write (mode 0555), the
    # process without CAP_DAC_OVERRIDE, as a service user would be
    d = os.path.join(base, "ro")
    os.mkdir(d, 0o755)
    db = os.path.join(d, "tips.db")
    conf = write_conf(st, "ro.conf", db)
    st.stop_fcgi()
    st.conf, orig_conf = conf, st.conf
    st.start_fcgi()
    acked = seed(st, 3, "before read-only")
    st.stop_fcgi()
    drop = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
            "--bounding-set=-dac_override,-dac_read_search"] \
        if os.getuid() == 0 else []
    os.chmod(d, 0o555)
    try:
        outcomes.append("mode 0555: " + refuses_or_answers(
            st, conf, st.sock, db, drop, "the directory is read-only",
            acked))
    finally:
        os.chmod(d, 0o755)
    restart_and_check(sc, acked, db)
    # EROFS: the file system is mounted read-only
    m = os.path.join(base, "rofs")
    os.mkdir(m)
    why = sc.mount(m, "size=4m,mode=0700")
    if why is None:
        db = os.path.join(m, "tips.db")
        conf = write_conf(st, "rofs.conf", db)
        st.conf = conf
        st.start_fcgi()
        acked = seed(st, 3, "before read-only mount")
        st.stop_fcgi()
        remount(m, "ro")
        outcomes.append("read-only mount: " + refuses_or_answers(
            st, conf, st.sock, db, None, "the file system is read-only",
            acked))
        remount(m, "rw")
        restart_and_check(sc, acked, db)
    else:
        outcomes.append("read-only mount: not tried (%s)" % why)
    st.conf = orig_conf
    for o in outcomes:
        print("# read-only directory, " + o, flush=True)


def settle(db):
    """The database as one file: workers that close at the same moment
    may each leave the -wal to the other; the last connection to close
    checkpoints it and deletes it. Returns the file's bytes."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    assert not os.path.exists(db + "-wal"), "WAL still there"
    with open(db, "rb") as f:
        return f.read()


def restore(db, good):
    """The operator puts back the copy from before the damage; a -wal
    left from the damaged file must go too, or SQLite would replay it
    onto the copy."""
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    with open(db, "wb") as f:
        f.write(good)


def t_corrupt_file(sc):
    st = sc.st
    acked = seed(st, 4, "before corruption")
    st.stop_fcgi()
    good = settle(st.db)
    bad = bytes(random.getrandbits(8) for _ in range(100)) + good[100:]
    with open(st.db, "wb") as f:
        f.write(bad)
    rc, err, p = start_alone(st, st.conf, st.sock)
    stop_alone(p)
    check_log_clean(err)
    assert rc == 1, (rc, err)
    assert st.db in err, err
    with open(st.db, "rb") as f:
        assert f.read() == bad, "the damaged file was changed"
    print("# corrupt header: %s" % err.strip().splitlines()[0], flush=True)
    restore(st.db, good)
    restart_and_check(sc, acked, st.db)


def read_refs(st, db, receipts):
    """receipt -> record for each receipt whose report can be found and
    opened, row by row through the indexes (a damaged page elsewhere in
    the table does not stop the others)."""
    op = opener(st)
    out = {}
    for receipt in receipts:
        (ref,) = by_ref(db, {receipt: None})
        try:
            row = query(db, "SELECT envelope FROM reports WHERE ref = ?", ref)
        except sqlite3.DatabaseError:
            continue
        if row:
            rec = open_envelope.open_envelope(row[0][0], ref, op.pk, op.sk)
            out[receipt] = json.loads(rec)
    return out


def t_corrupt_page(sc):
    """A damaged page inside a database that still opens: each report
    gets an answer, 503 or "received" for a report that can then be read back;
    the service does not crash-loop; restoring the file brings back every
    report stored before."""
    st = sc.st
    acked = seed(st, 60, "page test")
    st.stop_fcgi()
    good = settle(st.db)
    page = 4096
    npages = len(good) // page
    # the last page of the file: a leaf of the reports table or an index
    bad = good[:(npages - 1) * page] + b"\xa5" * page
    with open(st.db, "wb") as f:
        f.write(bad)
    rc, err, p = start_alone(st, st.conf, st.sock)
    answers, during = [], {}
    try:
        if rc is None:
            ws = sorted(st_children(p.pid))
            for i in range(4):
                fields = {"description": "corrupt %d" % i}
                form = get_form(st)
                r = post(st, form, fields)
                assert r is not None and r.status in (200, 503), \
                    r and (r.status, r.text[:300])
                answers.append(r.status)
                if ref_of(r):
                    during[ref_of(r)] = Sent(fields, form.lang)
            time.sleep(1.5)
            assert sorted(st_children(p.pid)) == ws, "workers restarting"
        else:
            assert rc == 1 and st.db in err, (rc, err)
    finally:
        stop_alone(p)
        check_log_clean(err)
    got = read_refs(st, st.db, during)
    for ref, sent in during.items():
        assert ref in got, "%s acknowledged but cannot be read back" % ref
        assert got[ref]["fields"] == sent.fields
    print("# corrupt page: %s" % ("answers %s, each 200 readable" % answers
                                  if rc is None else "start-up error: " +
                                  err.strip()), flush=True)
    restore(st.db, good)
    restart_and_check(sc, acked, st.db)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv \
        else "build"
    become_subreaper()
    run = Runner()
    fast = "token_min_age = 0\n"
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv \
        else ""

    def on_stack(fn, extra="", workers=2):
        return lambda: case(build, fn, extra_config=fast + extra,
                            workers=workers)

    def timed(name, fn, *args):
        if only not in name:
            return
        t0 = time.monotonic()
        run.run(name, fn, *args)
        print("# %s: %.1f s" % (name, time.monotonic() - t0), flush=True)

    def ro(sc):
        base = tempfile.mkdtemp(prefix="tipline-ro-")
        sc.dirs.append(base)
        t_read_only_directory(sc, base)
    timed("kill9_workers_and_parent_under_load_loses_no_acknowledged_report",
          on_stack(t_kill9_under_load, "busy_timeout_ms = 5000\n", 3))
    timed("disk_full_gives_503_keeps_every_acknowledged_report_and_resumes",
          disk_full_case, build)
    timed("locked_database_waits_within_busy_timeout_then_503",
          on_stack(lambda sc: t_locked(sc, 1000), "busy_timeout_ms = 1000\n"))
    timed("lock_churn_by_another_writer_does_not_starve_intake",
          on_stack(lambda sc: t_lock_churn(sc, 1000),
                   "busy_timeout_ms = 1000\n"))
    timed("missing_database_directory_is_a_clear_startup_error",
          on_stack(t_missing_directory))
    timed("database_moved_or_deleted_while_running_gives_503",
          on_stack(t_database_gone_while_running))
    timed("read_only_database_directory_no_false_received_and_reports_kept",
          on_stack(ro))
    timed("corrupt_database_header_is_a_startup_error_and_file_kept",
          on_stack(t_corrupt_file))
    timed("corrupt_database_page_gives_answers_not_a_crash_loop",
          on_stack(t_corrupt_page))
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
