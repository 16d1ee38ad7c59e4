"""A real stack for the integration tests: a key pair made by our CLI,
tipline-fcgi on a unix socket, nginx on a free loopback port, all in a
temporary directory; every process stopped by its PID.

Run by /usr/bin/python3 (Debian's, which has python3-nacl)."""

import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSPHRASE = "correct horse battery staple"
# The receipt on the received page, which is the POST's own answer
# (issue 13): the page shows no reference and no URL names the report.
RECEIPT_RE = re.compile(r'<p class="receipt" dir="ltr"><strong>'
                        r'([0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){4}'
                        r'-[0-9A-HJKMNP-TV-Z])</strong></p>')


def receipt_of(r):
    """The receipt a "received" answer shows, or None (not received)."""
    if r is None or r.status != 200:
        return None
    m = RECEIPT_RE.search(r.text)
    return m.group(1) if m else None


def ref_by_receipt(db_path, receipt):
    """The analysts' reference of the report that has this receipt,
    found the way the follow-up page finds it: by the lookup id derived
    from the receipt (receipt_ref.py, from docs/FORMATS.md). None when
    no stored report has it (a bot's receipt, or a report not kept)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import receipt_ref
    lookup, _ = receipt_ref.derive(receipt_ref.parse(receipt))
    db = sqlite3.connect(db_path, timeout=5)
    try:
        row = db.execute("SELECT p.ref FROM receipts r JOIN reports p ON "
                         "p.id = r.report_id WHERE r.lookup = ?",
                         (lookup,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def is_writer(pid):
    """The writer names itself (prctl PR_SET_NAME, cgi/main.c)."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip() == "tipline-writer"
    except OSError:
        return False


class Stack:
    def __init__(self, build, extra_config="", workers=2):
        self.build = os.path.join(TOP, build)
        self.dir = tempfile.mkdtemp(prefix="tipline-it-")
        self.port = free_port()
        self.key = os.path.join(self.dir, "secretariat.key")
        self.pub = os.path.join(self.dir, "secretariat.pub")
        self.passfile = os.path.join(self.dir, "pass")
        self.db = os.path.join(self.dir, "tips.db")
        self.sock = os.path.join(self.dir, "fcgi.sock")
        self.conf = os.path.join(self.dir, "tipline.conf")
        self.fcgi_log = os.path.join(self.dir, "fcgi.log")
        self.nginx_log = os.path.join(self.dir, "nginx-error.log")
        self.fcgi = self.nginx = None
        with open(self.passfile, "w") as f:
            f.write(PASSPHRASE + "\n")
        self.cli_ok("keygen", "-o", os.path.join(self.dir, "secretariat"))
        with open(self.conf, "w") as f:
            f.write("# integration test\n"
                    "database = %s\nrecipients = %s\nsecret = %s/server.secret\n"
                    "templates = %s/html\nworkers = %d\ntoken_min_age = 2\n"
                    "busy_timeout_ms = 500\n%s"
                    % (self.db, self.pub, self.dir, TOP, workers, extra_config))
        self.write_nginx_conf()
        self.start()

    def write_nginx_conf(self):
        with open(os.path.join(TOP, "nginx", "tipline-local.conf.in")) as f:
            conf = f.read()
        user = "user root;" if os.getuid() == 0 else ""
        conf = (conf.replace("@USER@", user).replace("@RUN@", self.dir)
                .replace("@PORT@", str(self.port))
                .replace("@HTML@", os.path.join(TOP, "html"))
                .replace("@SOCK@", self.sock))
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)

    def start(self):
        self.start_fcgi()
        log = open(os.path.join(self.dir, "nginx.out"), "ab")
        self.nginx = subprocess.Popen(
            ["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
             "-e", self.nginx_log], stdout=log, stderr=log)
        wait_for(self.port_open, what="nginx on port %d" % self.port)

    def start_fcgi(self):
        log = open(self.fcgi_log, "ab")
        self.fcgi = subprocess.Popen(
            [os.path.join(self.build, "tipline-fcgi"), "--config", self.conf,
             "--listen", "unix:" + self.sock], stdout=log, stderr=log)
        wait_for(lambda: os.path.exists(self.sock) and len(self.workers()) >= 1,
                 what="tipline-fcgi socket")

    def port_open(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def children(self):
        """PIDs of all the processes the running tipline-fcgi forked."""
        if self.fcgi is None:
            return []
        kids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.fcgi.pid:
                kids.append(int(d))
        return kids

    def workers(self):
        """PIDs of the worker processes of the running tipline-fcgi (not
        the writer)."""
        return [p for p in self.children() if not is_writer(p)]

    def writer(self):
        """PID of the writer process (group commit), or None."""
        w = [p for p in self.children() if is_writer(p)]
        return w[0] if w else None

    def stop_fcgi(self, timeout=15):
        """SIGTERM, then wait; returns the exit status."""
        p, self.fcgi = self.fcgi, None
        if p is None:
            return None
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return "killed"

    def stop(self):
        if self.nginx is not None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
            self.nginx = None
        return self.stop_fcgi()

    def cleanup(self, keep=False):
        """Removes the temporary directory; keeps it (and says where)
        when a test failed, for the logs."""
        if keep:
            print("# kept for inspection: " + self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # HTTP
    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        c.close()
        return resp

    def raw(self, data, timeout=10):
        """Sends raw bytes; returns the raw response."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout)
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        s.close()
        return out

    def token(self):
        r = self.request("GET", "/")
        m = re.search(r'name="token" value="([A-Za-z0-9_-]+)"', r.text)
        assert m, "no token in the form"
        return m.group(1)

    def tokens(self, n):
        """n tokens old enough to be accepted (token_min_age = 2)."""
        toks = [self.token() for _ in range(n)]
        time.sleep(2.2)
        return toks

    def post(self, fields, headers=None, encode=True):
        body = urllib.parse.urlencode(fields) if encode else fields
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", "/submit", body, h)

    # Database
    def query(self, sql, *args):
        db = sqlite3.connect(self.db, timeout=5)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def count(self):
        return self.query("SELECT count(*) FROM reports")[0][0]

    def received_ref(self, r):
        """The reference of the report a POST's answer says was
        received: asserts the received page (200, a receipt), then finds
        the report by the receipt's lookup id."""
        receipt = receipt_of(r)
        assert receipt, "not a received page: %s %s" % (
            r.status, r.text[:300])
        ref = ref_by_receipt(self.db, receipt)
        assert ref, "no report has the receipt %s" % receipt
        return ref

    # CLI
    def cli(self, *args, env=None):
        e = dict(os.environ)
        e.update({"TIPLINE_DB": self.db, "TIPLINE_KEY": self.key,
                  "TIPLINE_PASSPHRASE_FILE": self.passfile})
        e.update(env or {})
        p = subprocess.run([os.path.join(self.build, "tipline")] + list(args),
                           cwd=self.dir, env=e, capture_output=True, timeout=120)
        return p.returncode, p.stdout.decode("utf-8", "replace"), \
            p.stderr.decode("utf-8", "replace")

    def cli_ok(self, *args):
        rc, out, err = self.cli(*args)
        assert rc == 0, "tipline %s: %d %s" % (" ".join(args), rc, err)
        return out

    def files_containing(self, needles, skip=()):
        """(path, needle) for every file under the stack's directory
        that holds one of needles (bytes); paths in skip are passed."""
        found = []
        for root, _, files in os.walk(self.dir):
            for name in files:
                p = os.path.join(root, name)
                if p in skip:
                    continue
                try:
                    with open(p, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                found += [(p, n) for n in needles if n in data]
        return found

    def assert_no_sanitizer_reports(self):
        """Fails on any ASan, UBSan or LSan report in the stack's logs."""
        logs = self.logs()
        for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
            assert bad not in logs, logs[-3000:]

    def logs(self):
        out = ""
        for name in (self.fcgi_log, self.nginx_log):
            if os.path.exists(name):
                with open(name, errors="replace") as f:
                    out += f.read()
        return out


class Runner:
    def __init__(self):
        self.failed = 0

    def run(self, name, fn, *args):
        try:
            fn(*args)
            print("ok - " + name, flush=True)
        except Exception:
            self.failed += 1
            print("not ok - " + name, flush=True)
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
