"""Production deployment (docs/DEPLOY.md): `make install` into a
temporary DESTDIR, the systemd units (systemd-analyze verify and the
offline security score), the production nginx block (nginx -t), and a
report end to end over HTTPS: the production block rewritten only in its
listen ports and paths, in a copy of Debian's http { } defaults, the
installed tipline-fcgi started the way systemd starts it (socket
activation, LISTEN_FDS) as an unprivileged user, under strace so that its
system calls can be compared with the unit's SystemCallFilter.

usage: /usr/bin/python3 tests/integration/test_deploy.py --build build"""

import fnmatch
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Response, Runner, TOP, PASSPHRASE, free_port, wait_for  # noqa: E402
from harness import RECEIPT_RE, ref_by_receipt  # noqa: E402

NAME = "tipline.example.ch"         # server_name in nginx/tipline.conf
PREFIX = "/usr/local"
DEPLOY_MD = os.path.join(TOP, "docs", "DEPLOY.md")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {                          # required on every HTTPS response
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
MAX_SCORE = 1.5
UNITS = ["tipline.socket", "tipline.service", "tipline-backup.service",
         "tipline-backup.timer"]
MARK = "Qz8DeployPrivacyMarker"
# What this test runs, and the Debian package of each (tools/deps.sh).
TOOLS = {"make": "make", "nginx": "nginx", "openssl": "openssl", "curl": "curl",
         "strace": "strace", "sqlite3": "sqlite3", "setpriv": "util-linux",
         "systemd-analyze": "systemd", "systemd-socket-activate": "systemd"}


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)


def clean_env():
    """The environment without the outer make's jobserver and flags."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def make_install(build, dest, *args, target="install"):
    # -o all: install from the build the suite runs against, never
    # rebuild it here (with other flags, or while sources change).
    p = run(["make", "--no-print-directory", "-C", TOP, "-o", "all",
             "BUILD=" + build, "DESTDIR=" + dest] + list(args) + [target],
            env=clean_env(), timeout=300)
    assert p.returncode == 0, "make %s: %s %s" % (target, p.stdout.decode()[-2000:],
                                                   p.stderr.decode()[-2000:])
    return p.stdout.decode()


def tree(dest):
    """Files and symlinks under dest, as absolute paths of the target."""
    out = []
    for root, dirs, files in os.walk(dest):
        for n in files:
            out.append("/" + os.path.relpath(os.path.join(root, n), dest))
    return sorted(out)


def listed_patterns():
    """The list in docs/DEPLOY.md, "What make install puts where": the
    first fenced block after the marker comment; the first word of each
    line is a path, '*' matching within one path component."""
    with open(DEPLOY_MD) as f:
        text = f.read()
    i = text.index("<!-- installed files")
    block = text[i:].split("```")[1]
    pats = [ln.split()[0] for ln in block.splitlines()[1:] if ln.strip()]
    assert len(pats) > 10, pats
    return pats


def matches(pat, path):
    return fnmatch.fnmatchcase(path, pat) and pat.count("/") == path.count("/")


def rewrite(text, subs):
    """Each replacement must hit: if the block changes, the test says so
    instead of testing something else."""
    for old, new in subs:
        assert old in text, "not found in the block: %r" % old
        text = text.replace(old, new)
    return text


def exposure(unit_path):
    p = run(["systemd-analyze", "security", "--offline=yes", unit_path])
    out = p.stdout.decode() + p.stderr.decode()
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    assert m, out[-2000:]
    return float(m.group(1)), out


def debian_nginx_conf(d, includes):
    """Debian 12's /etc/nginx/nginx.conf, with its paths in d: gzip on,
    TLS 1.0 and 1.1 allowed, an access log. The production block must
    hold against these defaults."""
    user = "user root;" if os.getuid() == 0 else ""
    inc = "".join("\tinclude %s;\n" % i for i in includes)
    return f"""{user}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/main-error.log;
events {{
	worker_connections 256;
}}
http {{
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
	ssl_prefer_server_ciphers on;
	access_log {d}/logs/access.log;
	gzip on;
	client_body_temp_path {d}/tmp/body;
	fastcgi_temp_path {d}/tmp/fastcgi;
	proxy_temp_path {d}/tmp/proxy;
	uwsgi_temp_path {d}/tmp/uwsgi;
	scgi_temp_path {d}/tmp/scgi;
{inc}}}
"""


def t_tools_present():
    missing = sorted("%s (package %s)" % (t, p) for t, p in TOOLS.items()
                     if shutil.which(t) is None)
    assert not missing, "missing: %s; tools/deps.sh installs them" % ", ".join(missing)


# ---------------------------------------------------------------------------
# make install / uninstall

def t_install_tree(d):
    files = tree(d.dest)
    pats = listed_patterns()
    unlisted = [f for f in files if not any(matches(p, f) for p in pats)]
    assert not unlisted, "installed but not in docs/DEPLOY.md: %s" % unlisted
    missing = [p for p in pats if not any(matches(p, f) for f in files)]
    assert not missing, "in docs/DEPLOY.md but not installed: %s" % missing
    for f in files:
        full = d.dest + f
        mode = stat.S_IMODE(os.lstat(full).st_mode)
        want = 0o755 if f in (PREFIX + "/bin/tipline",
                              PREFIX + "/sbin/tipline-fcgi",
                              PREFIX + "/sbin/tipline-relay") else 0o644
        assert mode == want, "%s: mode %o, want %o" % (f, mode, want)
        assert not f.endswith((".key", ".pub")) and "recipients" not in f, f
        with open(full, "rb") as fh:
            for line in fh.read().splitlines():
                assert not line.startswith((b"TLSK1 ", b"TLPK1 ")), \
                    "a key installed in %s" % f


def t_installed_paths_are_the_runtime_paths(d):
    unit = open(d.dest + PREFIX + "/lib/systemd/system/tipline.service").read()
    assert "ExecStart=%s/sbin/tipline-fcgi --config /etc/tipline/tipline.conf" \
        % PREFIX in unit
    site = open(d.dest + "/etc/nginx/sites-available/tipline").read()
    assert "alias %s/share/tipline/html/static/;" % PREFIX in site
    assert site == open(os.path.join(TOP, "nginx", "tipline.conf")).read()
    conf = open(d.dest + "/etc/tipline/tipline.conf").read()
    assert conf == open(os.path.join(TOP, "deploy", "tipline.conf")).read()
    # another PREFIX: the paths in units, configs and pages follow it
    other = os.path.join(d.dir, "dest-usr")
    make_install(d.build_name, other, "PREFIX=/usr")
    unit = open(other + "/usr/lib/systemd/system/tipline.service").read()
    assert "ExecStart=/usr/sbin/tipline-fcgi --config /etc/tipline/tipline.conf" in unit
    conf = open(other + "/etc/tipline/tipline.conf").read()
    assert "\ntemplates = /usr/share/tipline/html\n" in conf
    site = open(other + "/etc/nginx/sites-available/tipline").read()
    assert "alias /usr/share/tipline/html/static/;" in site
    code = [ln for ln in (unit + conf + site).splitlines()
            if not ln.lstrip().startswith("#")]
    assert not [ln for ln in code if "/usr/local" in ln], code
    assert os.path.exists(other + "/usr/sbin/tipline-fcgi")
    shutil.rmtree(other)


def t_install_keeps_edited_config_uninstall_removes_the_rest(d):
    dest = os.path.join(d.dir, "dest-again")
    make_install(d.build_name, dest)
    conf = dest + "/etc/tipline/tipline.conf"
    with open(conf, "a") as f:
        f.write("workers = 4\n")
    edited = open(conf).read()
    # a second install (an upgrade) keeps the operator's file
    out = make_install(d.build_name, dest)
    assert open(conf).read() == edited
    assert "kept " + conf in out, out
    # the operator's recipients file is theirs
    with open(dest + "/etc/tipline/recipients", "w") as f:
        f.write("# the secretariat\n")
    out = make_install(d.build_name, dest, target="uninstall")
    assert "kept " + conf in out, out
    left = tree(dest)
    assert left == ["/etc/tipline/recipients", "/etc/tipline/tipline.conf"], left
    assert open(conf).read() == edited
    # untouched configuration goes with the rest
    dest2 = os.path.join(d.dir, "dest-clean")
    make_install(d.build_name, dest2)
    make_install(d.build_name, dest2, target="uninstall")
    assert tree(dest2) == [], tree(dest2)
    assert not os.path.exists(dest2 + "/etc/tipline")
    shutil.rmtree(dest)
    shutil.rmtree(dest2)


# ---------------------------------------------------------------------------
# systemd

def verify_root(d):
    """systemd-analyze verify without a running systemd: --root makes it
    read the units and look for ExecStart's binary in the DESTDIR tree;
    the units they depend on (sysinit.target, sockets.target, ...) are
    copied into it from the host."""
    root = os.path.join(d.dir, "verify-root")
    if not os.path.isdir(root):
        shutil.copytree(d.dest, root, symlinks=True)
        shutil.copytree(os.path.realpath("/lib/systemd/system"),
                        root + "/usr/lib/systemd/system", symlinks=True)
        os.makedirs(root + "/bin")
        # host programs the units run: tipline-backup's ExecStart and
        # tipline's ExecReload
        shutil.copy("/bin/sh", root + "/bin/sh")
        shutil.copy("/bin/kill", root + "/bin/kill")
    return root


def analyze_verify(root, units):
    # --man=no: it would look for Documentation= pages on the host, not
    # in the root; t_units_pass_systemd_analyze_verify checks they exist.
    p = run(["systemd-analyze", "verify", "--man=no", "--root=" + root] + units)
    out = (p.stdout + p.stderr).decode()
    ours = [ln for ln in out.splitlines() if "tipline" in ln]
    for ln in out.splitlines():
        if ln not in ours:
            print("# systemd-analyze: " + ln)
    return p.returncode, ours


def t_units_pass_systemd_analyze_verify(d):
    root = verify_root(d)
    rc, ours = analyze_verify(root, UNITS)
    assert rc == 0 and not ours, (rc, ours)
    for u in UNITS:
        with open(root + PREFIX + "/lib/systemd/system/" + u) as f:
            for page, sec in re.findall(r"man:([a-z-]+)\((\d)\)", f.read()):
                assert os.path.exists(root + PREFIX + "/share/man/man%s/%s.%s"
                                      % (sec, page, sec)), (u, page)
    # the check is live: a misspelt directive and a missing binary are
    # reported
    unitdir = root + PREFIX + "/lib/systemd/system"
    with open(unitdir + "/tipline.service") as f:
        unit = f.read()
    with open(unitdir + "/tipline-broken.service", "w") as f:
        f.write(unit.replace("ProtectSystem=strict", "ProtectSytem=strict"))
    rc, ours = analyze_verify(root, ["tipline-broken.service"])
    assert any("ProtectSytem" in ln for ln in ours), ours
    os.unlink(unitdir + "/tipline-broken.service")
    os.rename(root + PREFIX + "/sbin/tipline-fcgi", root + "/fcgi.moved")
    try:
        rc, ours = analyze_verify(root, ["tipline.service"])
        assert rc != 0 and any("not executable" in ln for ln in ours), (rc, ours)
    finally:
        os.rename(root + "/fcgi.moved", root + PREFIX + "/sbin/tipline-fcgi")


def t_service_security_exposure_at_most_1_5(d):
    for unit in (os.path.join(TOP, "deploy", "tipline.service"),
                 d.dest + PREFIX + "/lib/systemd/system/tipline.service",
                 os.path.join(TOP, "deploy", "tipline-backup.service")):
        score, out = exposure(unit)
        print("# %s: exposure %.1f" % (os.path.basename(unit), score))
        assert score <= MAX_SCORE, out[-3000:]
    # the score moves: without the sandbox the same unit rates badly
    bare = os.path.join(d.dir, "bare.service")
    with open(bare, "w") as f:
        f.write("[Service]\nExecStart=%s/sbin/tipline-fcgi\n" % PREFIX)
    assert exposure(bare)[0] > 5


def t_sysusers_creates_the_service_user(d):
    root = os.path.join(d.dir, "sysusers-root")
    os.makedirs(root + "/etc")
    p = run(["systemd-sysusers", "--root=" + root,
             d.dest + PREFIX + "/lib/sysusers.d/tipline.conf"])
    assert p.returncode == 0, p.stderr.decode()
    with open(root + "/etc/passwd") as f:
        users = [ln.split(":") for ln in f.read().splitlines()]
    tl = [u for u in users if u[0] == "tipline"]
    assert len(tl) == 1, users
    uid, home, shell = int(tl[0][2]), tl[0][5], tl[0][6]
    assert 0 < uid < 1000 and home == "/var/lib/tipline", tl
    assert shell.endswith("nologin"), tl


def t_socket_unit_is_for_nginx_only(d):
    with open(d.dest + PREFIX + "/lib/systemd/system/tipline.socket") as f:
        sock = f.read()
    for line in ("ListenStream=/run/tipline/tipline.sock", "SocketUser=root",
                 "SocketGroup=www-data", "SocketMode=0660"):
        assert "\n" + line + "\n" in sock, line
    with open(os.path.join(TOP, "nginx", "tipline.conf")) as f:
        site = f.read()
    # the form page, the post, coming back with the receipt (issue 13),
    # the other pages, the health check
    assert site.count("fastcgi_pass unix:/run/tipline/tipline.sock;") == 5


# ---------------------------------------------------------------------------
# nginx -t

def make_certs(d):
    """A CA and a server certificate for NAME signed by it (RSA, so that a
    client can offer RSA key exchange, which the block must refuse)."""
    c = os.path.join(d.dir, "tls")
    os.makedirs(c)
    ext = os.path.join(c, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n" % NAME)
    steps = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=tipline test CA", "-keyout", c + "/ca.key", "-out", c + "/ca.pem"],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + NAME,
         "-keyout", c + "/server.key", "-out", c + "/server.csr"],
        ["openssl", "x509", "-req", "-in", c + "/server.csr", "-CA", c + "/ca.pem",
         "-CAkey", c + "/ca.key", "-CAcreateserial", "-days", "2",
         "-extfile", ext, "-out", c + "/server.pem"],
    ]
    for s in steps:
        p = run(s)
        assert p.returncode == 0, p.stderr.decode()
    d.ca = c + "/ca.pem"
    d.cert = c + "/server.pem"
    d.certkey = c + "/server.key"


def cert_subs(d):
    return [("/etc/letsencrypt/live/%s/fullchain.pem" % NAME, d.cert),
            ("/etc/letsencrypt/live/%s/privkey.pem" % NAME, d.certkey),
            ("/var/log/nginx/tipline-error.log", d.dir + "/logs/tipline-error.log")]


def nginx_t(d, name, includes):
    conf = os.path.join(d.dir, name)
    with open(conf, "w") as f:
        f.write(debian_nginx_conf(d.dir, includes))
    p = run(["nginx", "-t", "-p", d.dir, "-c", conf, "-e",
             d.dir + "/logs/main-error.log"])
    return p.returncode, p.stderr.decode()


def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def listen_subs(https, http, health):
    """nginx -t binds the listen addresses too: loopback and free ports,
    never the host's 80 and 443 on every interface. On a host without
    IPv6 the IPv6 lines become comments."""
    v6 = "" if ipv6_loopback() else "# no IPv6 loopback here: "
    return [("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % https),
            ("listen [::]:443 ssl http2;", "%slisten [::1]:%d ssl http2;" % (v6, https)),
            ("listen 80;", "listen 127.0.0.1:%d;" % http),
            ("listen [::]:80;", "%slisten [::1]:%d;" % (v6, http)),
            ("listen 127.0.0.1:8180;", "listen 127.0.0.1:%d;" % health)]


def t_nginx_t_accepts_the_production_block(d):
    with open(os.path.join(TOP, "nginx", "tipline.conf")) as f:
        block = f.read()
    # only the certificate and log paths and the ports differ from the
    # installed file
    subs = cert_subs(d) + listen_subs(free_port(), free_port(), free_port())
    path = os.path.join(d.dir, "site-check.conf")
    with open(path, "w") as f:
        f.write(rewrite(block, subs))
    rc, err = nginx_t(d, "nginx-check.conf", [path])
    assert rc == 0 and "test is successful" in err, err
    # and the onion variant next to it
    with open(os.path.join(TOP, "deploy", "nginx-onion.conf")) as f:
        onion = f.read()
    opath = os.path.join(d.dir, "onion-check.conf")
    with open(opath, "w") as f:
        f.write(rewrite(onion, cert_subs(d)[2:] + [
            ("listen 127.0.0.1:8181;", "listen 127.0.0.1:%d;" % free_port())]))
    rc, err = nginx_t(d, "nginx-check2.conf", [path, opath])
    assert rc == 0 and "test is successful" in err, err
    # nginx -t is live: a certificate that does not exist is refused
    with open(path, "w") as f:
        f.write(rewrite(block, [(a, b + ".none") for a, b in subs[:1]] + subs[1:]))
    rc, err = nginx_t(d, "nginx-check3.conf", [path])
    assert rc != 0 and ".none" in err, err


# ---------------------------------------------------------------------------
# The live stack

class Live:
    def __init__(self, d):
        self.d = d
        self.dir = d.dir
        self.https_port = free_port()
        self.http_port = free_port()
        self.onion_port = free_port()
        self.health_port = free_port()
        self.sock = os.path.join(d.dir, "run", "tipline.sock")
        self.state = os.path.join(d.dir, "state")
        self.tracedir = os.path.join(d.dir, "trace")     # not scanned: see t_privacy
        self.trace = os.path.join(self.tracedir, "fcgi.strace")
        self.keys = os.path.join(d.dir, "keys")
        self.passfile = os.path.join(self.keys, "pass")
        self.db = os.path.join(self.state, "tips.db")
        self.conf = os.path.join(d.dir, "etc", "tipline.conf")
        self.fcgi = self.nginx = None
        self.ref = None                 # the report t_report_over_https made
        self.bin = d.dest + PREFIX + "/bin/tipline"
        self.fcgi_bin = d.dest + PREFIX + "/sbin/tipline-fcgi"
        for sub in ("run", "state", "trace", "keys", "etc"):
            os.makedirs(os.path.join(d.dir, sub), exist_ok=True)
        with open(self.passfile, "w") as f:
            f.write(PASSPHRASE + "\n")
        self.cli_ok("keygen", "-o", os.path.join(self.keys, "secretariat"))
        self.key = os.path.join(self.keys, "secretariat.key")
        self.pub = os.path.join(self.keys, "secretariat.pub")
        self.write_config()
        self.write_nginx()

    def write_config(self):
        """The installed example config, with its paths in the test's
        directory: it must parse as shipped."""
        with open(self.d.dest + "/etc/tipline/tipline.conf") as f:
            conf = f.read()
        conf = rewrite(conf, [
            ("\ndatabase = /var/lib/tipline/tips.db\n", "\ndatabase = %s\n" % self.db),
            ("\nrecipients = /etc/tipline/recipients\n", "\nrecipients = %s\n" % self.pub),
            ("\nsecret = /var/lib/tipline/server.secret\n",
             "\nsecret = %s/server.secret\n" % self.state),
            ("\ntemplates = %s/share/tipline/html\n" % PREFIX,
             "\ntemplates = %s%s/share/tipline/html\n" % (self.d.dest, PREFIX)),
            ("\ntoken_min_age = 3\n", "\ntoken_min_age = 2\n"),
        ])
        with open(self.conf, "w") as f:
            f.write(conf)

    def write_nginx(self):
        d = self.d
        static = "%s/share/tipline/html/static/" % PREFIX
        with open(d.dest + "/etc/nginx/sites-available/tipline") as f:
            site = f.read()
        site = rewrite(site, cert_subs(d) + listen_subs(self.https_port, self.http_port,
                                                  self.health_port) + [
            ("unix:/run/tipline/tipline.sock", "unix:" + self.sock),
            (static, d.dest + static),
        ])
        assert not re.search(r"listen (\[::\]:)?(80|443)\b", site)
        with open(d.dest + PREFIX + "/share/tipline/examples/nginx-onion.conf") as f:
            onion = f.read()
        onion = rewrite(onion, cert_subs(d)[2:] + [
            ("listen 127.0.0.1:8181;", "listen 127.0.0.1:%d;" % self.onion_port),
            ("unix:/run/tipline/tipline.sock", "unix:" + self.sock),
            (static, d.dest + static),
        ])
        for name, text in (("site.conf", site), ("onion.conf", onion)):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(debian_nginx_conf(self.dir, [self.dir + "/site.conf",
                                                 self.dir + "/onion.conf"]))

    # processes
    def start(self):
        self.start_fcgi()
        out = open(os.path.join(self.dir, "logs", "nginx.out"), "ab")
        self.nginx = subprocess.Popen(
            ["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
             "-e", self.dir + "/logs/main-error.log", "-g", "daemon off;"],
            stdout=out, stderr=out)
        for port in (self.https_port, self.http_port, self.onion_port,
                     self.health_port):
            wait_for(lambda: port_open(port), what="nginx on %d" % port)

    def start_fcgi(self):
        """As systemd does it: the socket made by the activator, handed to
        the program as fd 3 with LISTEN_FDS=1 and LISTEN_PID, the program
        started on the first connection. strace -D keeps the program's
        PID (LISTEN_PID must match) and traces it and its workers. As
        root, setpriv drops to nobody first, as User= would."""
        drop = []
        if os.getuid() == 0:
            os.chown(self.state, 65534, 65534)
            drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        # The activator passes the program only the variables named
        # with -E. LeakSanitizer cannot work under ptrace; the other
        # sanitizer checks stay on, and test_intake runs the program
        # with leak checks.
        asan = (os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
        ubsan = os.environ.get("UBSAN_OPTIONS", "halt_on_error=1")
        log = open(os.path.join(self.dir, "logs", "fcgi.log"), "ab")
        self.fcgi = subprocess.Popen(
            ["systemd-socket-activate", "-l", self.sock,
             "-E", "ASAN_OPTIONS=" + asan, "-E", "UBSAN_OPTIONS=" + ubsan,
             "strace", "-D", "-f", "-qq", "-o", self.trace, "--"] + drop +
            [self.fcgi_bin, "--config", self.conf], stdout=log, stderr=log)
        wait_for(lambda: os.path.exists(self.sock), what="the activation socket")

    def stop_fcgi(self):
        p, self.fcgi = self.fcgi, None
        if p is None:
            return None
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            rc = "killed"
        self.wait_trace()
        return rc

    def wait_trace(self):
        """strace -D runs detached; it ends when the program has ended.
        Waits for that, bounded; stops it by its PID if it hangs."""
        def tracer():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        args = f.read().split(b"\0")
                except OSError:
                    continue
                if args[0].endswith(b"strace") and self.trace.encode() in args:
                    return int(pid)
            return None
        try:
            wait_for(lambda: tracer() is None, timeout=20, what="strace to end")
        finally:
            pid = tracer()
            if pid is not None:
                os.kill(pid, signal.SIGKILL)

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

    # clients
    def https(self, method, path, body=None, headers=None, ctx=None, port=None):
        ctx = ctx or self.ctx()
        c = http.client.HTTPSConnection(NAME, port or self.https_port,
                                        timeout=30, context=ctx)
        # NAME for SNI and the certificate check, 127.0.0.1 for the socket
        c._create_connection = lambda addr, timeout, src=None: \
            socket.create_connection(("127.0.0.1", addr[1]), timeout)
        return fetch(c, method, path, body, headers)

    def http(self, port, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        return fetch(c, method, path, body, headers)

    def ctx(self):
        return ssl.create_default_context(cafile=self.d.ca)

    def curl(self, *args):
        p = run(["curl", "-sS", "--http2", "--cacert", self.d.ca, "--resolve",
                 "%s:%d:127.0.0.1" % (NAME, self.https_port), "-D", "-"] + list(args),
                timeout=60)
        assert p.returncode == 0, p.stderr.decode()
        head, _, body = p.stdout.partition(b"\r\n\r\n")
        return head.decode(), body.decode("utf-8", "replace")

    def url(self, path):
        return "https://%s:%d%s" % (NAME, self.https_port, path)

    def cli(self, *args, env=None):
        e = clean_env()
        e.update({"TIPLINE_DB": self.db, "TIPLINE_KEY": os.path.join(self.keys, "secretariat.key"),
                  "TIPLINE_PASSPHRASE_FILE": self.passfile})
        e.update(env or {})
        p = run([self.bin] + list(args), env=e, cwd=self.dir)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def cli_ok(self, *args, env=None):
        rc, out, err = self.cli(*args, env=env)
        assert rc == 0, "tipline %s: %d %s" % (" ".join(args), rc, err)
        return out

    def count(self):
        db = sqlite3.connect(self.db, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM reports").fetchone()[0]
        finally:
            db.close()


def fetch(c, method, path, body, headers):
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    resp = Response(r.status, r.getheaders(), r.read())
    c.close()
    return resp


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def token_of(text):
    m = re.search(r'name="token" value="([A-Za-z0-9_-]+)"', text)
    assert m, "no token in the page"
    return m.group(1)


def header_lines(head):
    """curl's header block -> [(name, value)]"""
    out = []
    for ln in head.splitlines()[1:]:
        k, _, v = ln.partition(":")
        out.append((k.strip(), v.strip()))
    return out


def assert_headers(pairs, what, hsts=True):
    for name, value in HEADERS.items():
        if name == "Strict-Transport-Security" and not hsts:
            continue
        got = [v for k, v in pairs if k.lower() == name.lower()]
        assert got == [value], "%s: %s is %r, want once %r" % (what, name, got, value)
    if not hsts:
        assert not [k for k, _ in pairs if k.lower() == "strict-transport-security"]


def t_report_over_https(lv, tok):
    """curl with the test's CA, over HTTP/2: the form, the post, the
    "received" page; the installed CLI opens what was sent."""
    head, body = lv.curl(lv.url("/"))
    assert head.startswith("HTTP/2 200"), head
    assert_headers(header_lines(head), "GET /")
    before = lv.count()
    fields = {"token": tok, "description": "Workers locked in at night. Ü ✓",
              "canton": "TI", "municipality": "Lugano"}
    args = []
    for k, v in fields.items():
        args += ["--data-urlencode", "%s=%s" % (k, v)]
    head, body = lv.curl(*args, lv.url("/submit"))
    # the received page is the POST's own answer (issue 13)
    assert head.startswith("HTTP/2 200"), head
    assert_headers(header_lines(head), "POST /submit")
    assert "location" not in dict((k.lower(), v) for k, v in header_lines(head))
    ref = ref_by_receipt(lv.db, RECEIPT_RE.search(body).group(1))
    assert ref and ref not in body, ref
    assert lv.count() == before + 1
    rec = json.loads(lv.cli_ok("show", "--json", ref))
    want = {k: v for k, v in fields.items() if k != "token"}
    assert rec["ref"] == ref and rec["record"]["fields"] == want, rec
    lv.ref = ref


def t_security_headers_once_on_every_response(lv):
    cases = [("GET", "/", None, {}, 200),
             ("HEAD", "/", None, {}, 200),
             ("GET", "/static/style.css", None, {}, 200),
             ("GET", "/static/none.css", None, {}, 404),
             ("GET", "/nope", None, {}, 404),
             ("PUT", "/", "x", {}, 405),
             ("DELETE", "/submit", None, {}, 405),
             ("POST", "/submit", "description=x",
              {"Content-Type": "application/x-www-form-urlencoded"}, 400),
             ("POST", "/submit", "description=x", {"Content-Type": "text/plain"}, 415)]
    for method, path, body, hdrs, status in cases:
        r = lv.https(method, path, body, hdrs)
        what = "%s %s" % (method, path)
        assert r.status == status, "%s: %d" % (what, r.status)
        assert_headers(r.headers, what)
        assert r.header("Server") == "nginx", r.header("Server")


def t_http_redirects_to_https(lv):
    r = lv.http(lv.http_port, "GET", "/submit?x=1")
    assert r.status == 301, r.status
    assert r.header("Location") == "https://%s/submit?x=1" % NAME, r.header("Location")
    r = lv.http(lv.http_port, "POST", "/submit", "description=x",
                {"Content-Type": "application/x-www-form-urlencoded",
                 "Host": "evil.example"})
    assert r.status == 301 and r.header("Location").startswith("https://%s/" % NAME)
    # certbot's HTTP-01 challenges are served, not redirected
    r = lv.http(lv.http_port, "GET", "/.well-known/acme-challenge/abc")
    assert r.status == 404 and b"<center>nginx</center>" in r.body, r.status


def t_tls_1_3_and_1_2_with_forward_secrecy_only(lv):
    r = lv.https("GET", "/")
    assert r.status == 200

    def handshake(ctx):
        s = socket.create_connection(("127.0.0.1", lv.https_port), 10)
        t = ctx.wrap_socket(s, server_hostname=NAME)
        v, c = t.version(), t.cipher()[0]
        t.close()
        return v, c
    assert handshake(lv.ctx())[0] == "TLSv1.3"
    ctx = lv.ctx()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    v, c = handshake(ctx)
    assert v == "TLSv1.2" and c.startswith("ECDHE-RSA-") and "GCM" in c, (v, c)
    # RSA key exchange (no forward secrecy), which OpenSSL itself would
    # still allow, is refused
    ctx = lv.ctx()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA")
    try:
        handshake(ctx)
        raise AssertionError("a TLS 1.2 handshake without forward secrecy worked")
    except ssl.SSLError:
        pass


def t_no_compression_despite_debian_gzip_on(lv):
    r = lv.https("GET", "/", headers={"Accept-Encoding": "gzip"})
    assert r.status == 200 and r.header("Content-Encoding") is None
    assert b"<form" in r.body


def t_static_files_are_cached(lv):
    r = lv.https("GET", "/static/style.css")
    assert r.status == 200 and "text/css" in r.header("Content-Type")
    assert r.header("Cache-Control") == "max-age=86400", r.header("Cache-Control")
    assert r.header("Expires")
    with open(lv.d.dest + PREFIX + "/share/tipline/html/static/style.css", "rb") as f:
        assert r.body == f.read()


def t_healthz_on_loopback_only(lv):
    r = lv.http(lv.health_port, "GET", "/healthz")
    assert r.status == 200 and r.body == b"ok\n", (r.status, r.body)
    assert lv.http(lv.health_port, "GET", "/").status == 404     # nothing else
    for r in (lv.https("GET", "/healthz"), lv.http(lv.onion_port, "GET", "/healthz")):
        assert r.status == 404 and b"<center>nginx</center>" in r.body, r.text[:200]


def t_only_get_head_post(lv):
    """Every other method gets nginx's 405 with the route's Allow header
    (RFC 9110 section 15.5.6), on every route, public and onion; the
    program's own 405s keep theirs, once."""
    before = lv.count()
    routes = [("/", "GET, HEAD"), ("/submit", "POST"),
              ("/privacy", "GET, HEAD"), ("/static/style.css", "GET, HEAD"),
              ("/nope", "GET, HEAD")]
    for m in ("PUT", "DELETE", "TRACE", "OPTIONS", "PATCH", "PROPFIND"):
        for path, allow in routes:
            for r in (lv.https(m, path, "description=x",
                               {"Content-Type": "application/x-www-form-urlencoded"}),
                      lv.http(lv.onion_port, m, path, "description=x",
                              {"Host": "abcdef.onion"})):
                what = (m, path, r.status, r.headers)
                assert r.status == 405, what
                assert b"<center>nginx</center>" in r.body, what   # not the program
                assert [v for k, v in r.headers if k.lower() == "allow"] == [allow], what
    for m, path, allow in (("GET", "/submit", "POST"), ("POST", "/", "GET, HEAD"),
                           ("POST", "/static/style.css", "GET, HEAD")):
        r = lv.https(m, path, "x", {"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 405, (m, path, r.status)
        assert [v for k, v in r.headers if k.lower() == "allow"] == [allow], r.headers
    assert lv.https("GET", "/").header("Allow") is None
    assert lv.count() == before


def t_oversized_body_413_not_received(lv):
    before = lv.count()
    # Over MAX_UPLOAD (26 MiB, lib/bounds.h): nginx's own page.
    r = lv.https("POST", "/submit", b"x" * (26 * 1024 * 1024 + 1),
                 {"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status == 413, r.status
    assert "NOT received" in r.text and "NICHT empfangen" in r.text
    assert r.header("Content-Type") == "text/plain; charset=utf-8"
    assert_headers(r.headers, "413")
    # An urlencoded body over MAX_BODY passes nginx (which lets /submit
    # take an upload) and the program refuses it, in the reader's
    # language (the profile's first here).
    r = lv.https("POST", "/submit", "description=" + "x" * 300000,
                 {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 413, r.status
    assert "Nicht eingegangen" in r.text, r.text[:500]
    assert_headers(r.headers, "413 from the program")
    assert lv.count() == before


def t_onion_block(lv, tok):
    """Plain HTTP on loopback for the tor daemon: the form and a report,
    the same headers without HSTS."""
    r = lv.http(lv.onion_port, "GET", "/", headers={"Host": "abcdef.onion"})
    assert r.status == 200 and 'name="description"' in r.text
    assert_headers(r.headers, "onion GET /", hsts=False)
    before = lv.count()
    body = urllib.parse.urlencode({"token": tok, "description": "via tor"})
    r = lv.http(lv.onion_port, "POST", "/submit", body,
                {"Content-Type": "application/x-www-form-urlencoded",
                 "Host": "abcdef.onion"})
    assert r.status == 200, (r.status, r.text[:300])
    assert_headers(r.headers, "onion POST", hsts=False)
    ref = ref_by_receipt(lv.db, RECEIPT_RE.search(r.text).group(1))
    assert lv.count() == before + 1
    rec = json.loads(lv.cli_ok("show", "--json", ref))
    assert rec["record"]["fields"]["description"] == "via tor"


def t_live_backup_opens_with_the_cli(lv):
    """While the program runs: the installed tipline-backup.service's
    command, and docs/DEPLOY.md's by hand, each as the service's user.
    The copies pass SQLite's integrity check and open with the CLI."""
    bdir = os.path.join(lv.dir, "backup")
    os.makedirs(bdir)
    drop = []
    if os.getuid() == 0:
        os.chown(bdir, 65534, 65534)
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    with open(lv.d.dest + PREFIX + "/lib/systemd/system/tipline-backup.service") as f:
        line = re.search(r"^ExecStart=(.*)$", f.read(), re.M).group(1)
    # systemd's escapes, then the test's paths
    argv = [a.replace("$$", "$").replace("%%", "%")
            .replace("/var/lib/tipline/tips.db", lv.db)
            .replace("/var/lib/tipline-backup", bdir) for a in shlex.split(line)]
    assert argv[0] == "/bin/sh" and lv.db in argv[2] and bdir in argv[2], argv
    p = run(drop + argv)
    assert p.returncode == 0, p.stderr.decode()
    by_unit = os.path.join(bdir, "tips-%s.db" % time.strftime("%u"))
    by_hand = os.path.join(bdir, "by-hand.db")
    p = run(drop + ["sqlite3", lv.db, ".backup '%s'" % by_hand])
    assert p.returncode == 0, p.stderr.decode()
    for copy in (by_unit, by_hand):
        p = run(["sqlite3", copy, "PRAGMA integrity_check"])
        assert p.stdout.decode().strip() == "ok", (copy, p.stdout, p.stderr)
        rec = json.loads(lv.cli_ok("show", "--json", lv.ref, env={"TIPLINE_DB": copy}))
        assert rec["ref"] == lv.ref and "Workers locked in" in \
            rec["record"]["fields"]["description"]
    assert lv.https("GET", "/").status == 200


def t_post_rate_limit(lv):
    """Scripted posts from one address get 429 after the burst; the page
    says NOT received; nothing is stored; GET is not limited by the post
    limit (the form page has its own, t_form_page_rate_limit)."""
    before = lv.count()
    statuses = []
    for _ in range(15):
        r = lv.https("POST", "/submit", "description=flood",
                     {"Content-Type": "application/x-www-form-urlencoded"})
        statuses.append(r.status)
        if r.status == 429:
            assert "NOT received" in r.text and "117" in r.text
            assert_headers(r.headers, "429")
    assert 429 in statuses, statuses
    first = statuses.index(429)
    assert 1 <= first <= 7 and set(statuses[first:]) == {429}, statuses
    assert set(statuses[:first]) == {400}, statuses   # bad token, no row
    assert lv.count() == before
    for _ in range(3):
        assert lv.https("GET", "/").status == 200


def t_cross_site_post_refused(lv):
    """Over HTTP/2 as a browser sends it: a POST from this site's page
    (Sec-Fetch-Site same-origin, Origin this site or null) reaches the
    program (400, bad token); one from another site gets nginx's 403
    page that says NOT received, with every header; nothing stored.
    From 127.0.0.2: the post limit of 127.0.0.1 is used up."""
    before = lv.count()
    own = "https://%s:%d" % (NAME, lv.https_port)
    cases = [([], 400),
             (["Origin: " + own, "Sec-Fetch-Site: same-origin"], 400),
             (["Origin: null", "Sec-Fetch-Site: same-origin"], 400),
             (["Origin: https://evil.example"], 403),
             (["Origin: " + own + ".evil.example"], 403),
             (["Sec-Fetch-Site: cross-site", "Origin: null"], 403),
             (["Sec-Fetch-Site: same-site", "Origin: https://blog.example.ch"], 403)]
    for hdrs, status in cases:
        args = []
        for h in hdrs:
            args += ["-H", h]
        head, body = lv.curl("--interface", "127.0.0.2", *args, "--data",
                             "description=x", lv.url("/submit"))
        assert head.startswith("HTTP/2 %d" % status), (hdrs, head)
        if status == 403:
            assert "NOT received" in body and "another website" in body, body
            assert_headers(header_lines(head), "403")
    r = lv.http(lv.onion_port, "POST", "/submit", "description=x",
                {"Host": "abcdef.onion", "Origin": "https://evil.example",
                 "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 403 and b"another website" in r.body, r.status
    r = lv.http(lv.onion_port, "POST", "/submit", "description=x",
                {"Host": "abcdef.onion", "Origin": "http://abcdef.onion",
                 "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400, r.status
    assert lv.count() == before


def t_form_page_rate_limit(lv):
    """The form page issues a token with each GET: a bulk of quick GETs
    from one address gets 429 after the production burst, with a page
    that says to wait; other pages are not limited by it. From
    127.0.0.3, a fresh address, over HTTP/2."""
    statuses = []
    start = time.monotonic()
    for _ in range(40):
        head, body = lv.curl("--interface", "127.0.0.3", lv.url("/"))
        status = int(head.split()[1])
        statuses.append(status)
        if status == 429:
            assert "load the page again" in body, body
            assert_headers(header_lines(head), "429 form")
    elapsed = time.monotonic() - start
    assert 429 in statuses, statuses
    first = statuses.index(429)
    assert set(statuses[:first]) == {200} and first >= 20, statuses
    # The burst of 20, one more, and what the rate (20 a minute: one
    # every 3 s) refilled while the loop ran: on a loaded machine a slow
    # loop earns a few more, never more than that.
    assert statuses.count(200) <= 21 + int(elapsed / 3), (elapsed, statuses)
    head, _ = lv.curl("--interface", "127.0.0.3", lv.url("/privacy"))
    assert head.startswith("HTTP/2 200"), head


def t_privacy(lv):
    """Identifying headers sent with requests are in no file, and no log
    holds a client address. The strace output is left out: it records
    the program's reads byte by byte, by design."""
    hdrs = {"User-Agent": "UA-" + MARK, "Cookie": "c=CK-" + MARK,
            "Referer": "https://ref-%s.example/" % MARK,
            "X-Forwarded-For": "203.0.113.77", "X-Real-IP": "198.51.100.9"}
    lv.https("GET", "/", headers=hdrs)
    lv.https("POST", "/submit", "description=x&website=y",
             dict(hdrs, **{"Content-Type": "application/x-www-form-urlencoded"}))
    lv.https("GET", "/nope", headers=hdrs)
    lv.http(lv.http_port, "GET", "/", headers=hdrs)
    needles = [MARK.encode(), b"203.0.113.77", b"198.51.100.9"]
    found = []
    for root, dirs, files in os.walk(lv.dir):
        if root.startswith(lv.tracedir):
            continue
        for n in files:
            p = os.path.join(root, n)
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            found += [(p, x) for x in needles if x in data]
    assert not found, found
    access = os.path.join(lv.dir, "logs", "access.log")
    assert not os.path.exists(access) or os.path.getsize(access) == 0
    check_logs_have_no_client(lv)


def check_logs_have_no_client(lv):
    for n in os.listdir(os.path.join(lv.dir, "logs")):
        with open(os.path.join(lv.dir, "logs", n), errors="replace") as f:
            text = f.read()
        assert "client:" not in text and "127.0.0.1" not in text, (n, text[-2000:])


def t_program_down_says_not_received(lv):
    """The service stopped and its socket gone (systemd's RemoveOnStop):
    every request gets nginx's page that says NOT received, and nginx
    logs no client address about it (it would at "crit")."""
    assert lv.stop_fcgi() == 0
    if os.path.exists(lv.sock):
        os.unlink(lv.sock)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = lv.https("GET", "/")
    assert r.status == 502, r.status
    assert "NOT received" in r.text and "n'a PAS été reçu" in r.text, r.text[:300]
    assert_headers(r.headers, "502")
    # a POST, on the onion block: the public one's rate limit is spent
    r = lv.http(lv.onion_port, "POST", "/submit", "description=x", form)
    assert r.status == 502 and "NOT received" in r.text, (r.status, r.text[:300])
    assert_headers(r.headers, "onion 502", hsts=False)
    check_logs_have_no_client(lv)


def service_filter():
    """The system calls tipline.service allows: its SystemCallFilter=
    lines, expanded with systemd-analyze's own group tables."""
    p = run(["systemd-analyze", "syscall-filter"])
    groups, cur = {}, None
    for line in p.stdout.decode().splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if not line[0].isspace() and s.startswith("@"):
            cur = groups.setdefault(s, [])
        elif cur is not None:
            cur.append(s)

    def expand(names):
        out = set()
        for n in names:
            out |= expand(groups[n]) if n.startswith("@") else {n}
        return out
    allow = set()
    with open(os.path.join(TOP, "deploy", "tipline.service")) as f:
        for line in f:
            if not line.startswith("SystemCallFilter="):
                continue
            v = line.split("=", 1)[1].split()
            if v[0].startswith("~"):
                allow -= expand([v[0][1:]] + v[1:])
            else:
                allow |= expand(v)
    assert "read" in allow and "setuid" not in allow and len(allow) > 100
    return allow


def t_syscalls_inside_the_service_filter(lv):
    """Every system call tipline-fcgi made while it served the requests
    above, from its execve on, is one that SystemCallFilter= allows."""
    allow = service_filter()
    used, main_pid, started = {}, None, False
    with open(lv.trace, errors="replace") as f:
        for line in f:
            m = re.match(r"(\d+) +(?:<\.\.\. )?([a-z0-9_]+)", line)
            if not m:
                continue
            pid, name = m.groups()
            main_pid = main_pid or pid
            if pid == main_pid and not started:
                # Before this execve, setpriv dropped to nobody, as
                # systemd does before it applies the filter. Every other
                # process is a worker, forked after it.
                if name != "execve" or "tipline-fcgi" not in line:
                    continue
                started = True
            used.setdefault(name, line.strip())
    assert started, "no execve of tipline-fcgi in the trace"
    assert "accept" in used or "accept4" in used, sorted(used)
    assert "fdatasync" in used or "fsync" in used, sorted(used)
    bad = {n: ln for n, ln in used.items() if n not in allow}
    assert not bad, bad
    print("# %d distinct system calls, all allowed" % len(used))


def t_no_sanitizer_reports(lv):
    with open(os.path.join(lv.dir, "logs", "fcgi.log"), errors="replace") as f:
        text = f.read()
    for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert bad not in text, text[-3000:]


def t_reload_command_of_the_unit(lv, tok):
    """`systemctl reload tipline`: the installed unit's ExecReload, with
    $MAINPID, after a second recipient was added; a report from then on
    opens with the new key, the old reports still with the old one."""
    with open(lv.d.dest + PREFIX + "/lib/systemd/system/tipline.service") as f:
        cmd = re.search(r"^ExecReload=(.*)$", f.read(), re.M).group(1)
    lv.cli_ok("keygen", "-o", os.path.join(lv.keys, "analyst2"))
    with open(os.path.join(lv.keys, "analyst2.pub")) as f:
        new = f.read()
    with open(lv.pub, "a") as f:
        f.write(new)
    argv = [a.replace("$MAINPID", str(lv.fcgi.pid)) for a in cmd.split()]
    p = run(argv)
    assert p.returncode == 0, p.stderr.decode()
    log = os.path.join(lv.dir, "logs", "fcgi.log")
    wait_for(lambda: "recipients reloaded: 2 keys" in open(log, errors="replace").read(),
             timeout=20, what="the reload")
    body = urllib.parse.urlencode({"token": tok, "description": "after reload"})
    r = None
    for _ in range(100):            # the workers restart after the reload
        r = lv.http(lv.onion_port, "POST", "/submit", body,
                    {"Content-Type": "application/x-www-form-urlencoded"})
        if r.status != 502:
            break
        time.sleep(0.1)
    assert r.status == 200, (r.status, r.text[:300])
    ref = ref_by_receipt(lv.db, RECEIPT_RE.search(r.text).group(1))
    rec = json.loads(lv.cli_ok("show", "--json", ref, env={
        "TIPLINE_KEY": os.path.join(lv.keys, "analyst2.key")}))
    assert rec["record"]["fields"]["description"] == "after reload"
    rec = json.loads(lv.cli_ok("show", "--json", lv.ref))
    assert rec["ref"] == lv.ref


# ---------------------------------------------------------------------------

class Deploy:
    def __init__(self, build):
        self.build_name = build
        self.dir = tempfile.mkdtemp(prefix="tipline-deploy-")
        os.chmod(self.dir, 0o755)       # nobody must reach the config and pages
        os.makedirs(os.path.join(self.dir, "logs"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        self.dest = os.path.join(self.dir, "dest")


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    r = Runner()
    d = Deploy(build)
    lv = None
    try:
        r.run("tools_present", t_tools_present)
        if r.failed:
            return 1
        make_install(build, d.dest)
        make_certs(d)
        r.run("install_puts_exactly_what_deploy_md_lists", t_install_tree, d)
        r.run("installed_paths_follow_prefix", t_installed_paths_are_the_runtime_paths, d)
        r.run("install_keeps_edited_config_uninstall_removes_the_rest",
              t_install_keeps_edited_config_uninstall_removes_the_rest, d)
        r.run("units_pass_systemd_analyze_verify", t_units_pass_systemd_analyze_verify, d)
        r.run("service_security_exposure_at_most_1_5",
              t_service_security_exposure_at_most_1_5, d)
        r.run("sysusers_creates_the_service_user", t_sysusers_creates_the_service_user, d)
        r.run("socket_is_for_nginx_only", t_socket_unit_is_for_nginx_only, d)
        r.run("nginx_t_accepts_the_production_block",
              t_nginx_t_accepts_the_production_block, d)
        lv = Live(d)
        lv.start()
        toks = [token_of(lv.https("GET", "/").text) for _ in range(3)]
        time.sleep(2.2)                 # token_min_age = 2
        r.run("report_over_https_opens_with_the_installed_cli",
              t_report_over_https, lv, toks[0])
        r.run("security_headers_once_on_every_response",
              t_security_headers_once_on_every_response, lv)
        r.run("http_redirects_to_https", t_http_redirects_to_https, lv)
        r.run("tls_1_3_and_1_2_with_forward_secrecy_only",
              t_tls_1_3_and_1_2_with_forward_secrecy_only, lv)
        r.run("no_compression_despite_debian_gzip_on",
              t_no_compression_despite_debian_gzip_on, lv)
        r.run("static_files_are_served_with_caching", t_static_files_are_cached, lv)
        r.run("healthz_on_loopback_only_not_public", t_healthz_on_loopback_only, lv)
        r.run("only_get_head_post", t_only_get_head_post, lv)
        r.run("oversized_body_gets_413_not_received", t_oversized_body_413_not_received, lv)
        r.run("onion_block_takes_a_report_without_hsts", t_onion_block, lv, toks[1])
        r.run("live_backup_opens_with_the_cli", t_live_backup_opens_with_the_cli, lv)
        r.run("unit_reload_command_loads_a_new_recipient",
              t_reload_command_of_the_unit, lv, toks[2])
        r.run("post_rate_limit_gives_429_not_received", t_post_rate_limit, lv)
        r.run("cross_site_post_refused_403_same_origin_passes",
              t_cross_site_post_refused, lv)
        r.run("form_page_rate_limit_gives_429", t_form_page_rate_limit, lv)
        r.run("no_identifying_data_in_any_file_or_log", t_privacy, lv)
        r.run("program_down_says_not_received_and_logs_no_client",
              t_program_down_says_not_received, lv)
        r.run("syscalls_stay_inside_the_service_filter",
              t_syscalls_inside_the_service_filter, lv)
        r.run("no_sanitizer_reports", t_no_sanitizer_reports, lv)
    except Exception:
        r.failed += 1
        print("not ok - deploy_setup")
        traceback.print_exc(file=sys.stdout)
    finally:
        if lv is not None:
            lv.stop()
        if r.failed:
            print("# kept for inspection: " + d.dir, flush=True)
        else:
            shutil.rmtree(d.dir, ignore_errors=True)
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
