#!/usr/bin/python3
"""The Debian packages (issue 18), from a clean checkout to a purge.

1. `make deb` in a git clone of HEAD (only what is committed); lintian
   finds no error or warning, and every override says why.
2. The contents and dependencies of tipline-server: the run-time
   libraries and tools only; no compiler, test, node module or browser.
3. The installed units pass systemd-analyze verify and keep their
   security rating (MAX_EXPOSURE).
4. In a fresh Debian 12 root (tests/fresh/root.py): `apt-get install
   ./tipline-server_*.deb`; nothing is enabled or started; a recipients
   file made with the packaged CLI on the "workstation" (this machine);
   tipline-fcgi and nginx started by hand, because systemd does not run
   in a chroot: tipline-fcgi as the user "tipline" with `chroot
   --userspec` on the socket the unit names, nginx (Debian's own
   nginx.conf with the packaged example block, only its ports and
   certificate paths changed) with `chroot ROOT nginx -g 'daemon off;'`;
   a real report over HTTPS as a browser sends it; `tipline` installed
   and the report read back from a copy made as the backup unit makes
   it. Then an upgrade to a package rebuilt with a higher version (a new
   debian/changelog entry in the same clone): the postinst migrates as
   "tipline", the report is still there. Then remove (database kept) and
   purge (database gone, and the purge says so).

Every process it starts is stopped by its PID; every mount is undone.
Prints "ok - deb: ..." / "not ok - deb: ..." for tests/run.sh. Run by
tests/once/deb.sh (make test, make check-deb), as root. With --worktree
the files of this checkout that git knows of are built instead of HEAD
(while editing debian/).
"""
import email.utils
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import root as R  # noqa: E402
from root import ENV, note, report  # noqa: E402
from test_deploy import analyze_verify, exposure, listen_subs, matches, rewrite  # noqa: E402

TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
NAME = "tipline.example.ch"         # server_name in the example block
MAX_EXPOSURE = 0.2                  # systemd-analyze security, both services
UNITS = ["tipline.socket", "tipline.service", "tipline-backup.service",
         "tipline-backup.timer"]
# Exactly what each package depends on (the names, without versions):
# the run-time libraries, and for the server nginx in front, sqlite3 for
# the backup unit, adduser for the postinst.
LIBS = {"libc6", "libjansson4", "libsodium23", "libsqlite3-0"}
DEPENDS = {"tipline-server": LIBS | {"libfcgi0ldbl", "adduser", "nginx", "sqlite3"},
           "tipline": LIBS | {"openssh-client"}}
# Packages that must not be on the server after the install.
NOT_ON_SERVER = ["gcc", "cpp", "clang", "build-essential", "make", "nodejs",
                 "npm", "chromium", "libsodium-dev", "libfcgi-dev"]
# Paths in tipline-server that would be a compiler, a test, a node
# module, a browser or build output.
FORBIDDEN = re.compile(r"(/include/|\.(a|o|h|c|py|js|mjs)$|node_modules|/tests?/"
                       r"|/t_[a-z]+$|/(cc|gcc|clang|ld|node|npm|chrom[a-z-]*)$)")
ELF = {"tipline-server": ["./usr/sbin/tipline-fcgi", "./usr/sbin/tipline-relay"],
       "tipline": ["./usr/bin/tipline"]}
RUN_LIMIT = 300                     # seconds for any one command


def sh(cmd, timeout=RUN_LIMIT, **kw):
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


def in_root(root, cmd, timeout=RUN_LIMIT, user=None):
    spec = ["--userspec=%s:%s" % (user, user)] if user else []
    env = dict(ENV, DEBIAN_FRONTEND="noninteractive")
    return sh(["chroot"] + spec + [root, "/bin/sh", "-c", cmd], timeout, env=env)


def clean_env():
    """Without the outer make's jobserver and flags."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


# ---------------------------------------------------------------------------
# 1. build, lintian

def clone(src):
    rc, out = sh(["git", "clone", "--quiet", "--no-hardlinks", TOP, src])
    assert rc == 0, out
    if "--worktree" in sys.argv:
        files = subprocess.run(["git", "-C", TOP, "ls-files", "-z", "-c", "-o",
                                "--exclude-standard"], capture_output=True).stdout
        for f in files.decode().split("\0"):
            if f and os.path.isfile(os.path.join(TOP, f)):
                os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
                shutil.copy2(os.path.join(TOP, f), os.path.join(src, f))
        note("built the worktree's files, not HEAD (--worktree)")


def make_deb(src, keep):
    """make deb in the clone; the .deb files (no -dbgsym) moved to keep."""
    t = time.time()
    rc, out = sh(["make", "--no-print-directory", "-C", src, "deb"], env=clean_env())
    note("make deb: %.0f s" % (time.time() - t))
    debs = sorted(glob.glob(os.path.join(src, "build-deb", "*.deb")))
    debs = [d for d in debs if "-dbgsym_" not in d]
    names = sorted(os.path.basename(d).split("_")[0] for d in debs)
    ok = rc == 0 and names == ["tipline", "tipline-server"]
    report(ok, "make deb builds tipline-server and tipline from a clean checkout",
           "exit %d, built %s\n%s" % (rc, names, out[-3000:]))
    if not ok:
        return None
    os.makedirs(keep)
    out = {}
    for d in debs:
        shutil.copy(d, keep)
        out[os.path.basename(d).split("_")[0]] = os.path.join(keep, os.path.basename(d))
    changes = glob.glob(os.path.join(src, "build-deb", "*.changes"))
    return out, changes


def check_lintian(src, changes):
    rc, out = sh(["lintian", "--fail-on", "error,warning"] + changes)
    bad = [ln for ln in out.splitlines() if re.match(r"[EW]: ", ln)]
    report(rc == 0 and not bad and len(changes) == 1,
           "lintian finds no error or warning", "exit %d\n%s" % (rc, out))
    unexplained = []
    for path in glob.glob(os.path.join(src, "debian", "*lintian-overrides")):
        lines = open(path).read().splitlines()
        for i, ln in enumerate(lines):
            if ln.strip() and not ln.startswith("#") and \
                    (i == 0 or not lines[i - 1].startswith("#")):
                unexplained.append("%s: %s" % (os.path.basename(path), ln))
    report(not unexplained, "every lintian override has a comment that says why",
           "\n".join(unexplained))


# ---------------------------------------------------------------------------
# 2. contents and dependencies

def depends(deb):
    rc, out = sh(["dpkg-deb", "-f", deb, "Depends", "Pre-Depends", "Installed-Size"])
    deps = set()
    size = ""
    for line in out.splitlines():
        if line.startswith("Installed-Size:"):
            size = line.split(":", 1)[1].strip()
            continue
        for d in line.split(":", 1)[-1].split(","):
            if d.strip():
                deps.add(d.split("|")[0].split("(")[0].strip())
    return deps, size


def documented_files():
    """The list in docs/DEPLOY.md, "The packages": the first fenced
    block after its marker comment; the first word of each line is a
    path, '*' matching within one path component."""
    with open(os.path.join(TOP, "docs", "DEPLOY.md")) as f:
        text = f.read()
    block = text[text.index("<!-- package files"):].split("```")[1]
    return [ln.split()[0] for ln in block.splitlines()[1:] if ln.strip()]


def check_documented(paths):
    files = ["/" + p[2:] for p in paths if not p.endswith("/")]
    pats = documented_files()
    unlisted = [f for f in files if not any(matches(p, f) for p in pats)]
    missing = [p for p in pats if not any(matches(p, f) for f in files)]
    report(len(pats) > 10 and not unlisted and not missing,
           "tipline-server holds exactly what docs/DEPLOY.md lists",
           "not listed: %s\nnot in the package: %s" % (unlisted, missing))


def check_contents(debs):
    for pkg, deb in sorted(debs.items()):
        deps, size = depends(deb)
        rc, listing = sh(["dpkg-deb", "-f", deb, "Depends"])
        note("%s: installed size %s KiB; Depends: %s" % (pkg, size, listing.strip()))
        report(deps == DEPENDS[pkg], "%s depends on exactly %s" % (
            pkg, ", ".join(sorted(DEPENDS[pkg]))), "it depends on %s" % sorted(deps))
    x = os.path.join(os.path.dirname(debs["tipline"]), "x-server")
    rc, out = sh(["dpkg-deb", "-c", debs["tipline-server"]])
    paths = [ln.split()[5] for ln in out.splitlines() if len(ln.split()) >= 6]
    bad = [p for p in paths if FORBIDDEN.search(p)]
    check_documented(paths)
    sh(["dpkg-deb", "-x", debs["tipline-server"], x])
    elves = []
    for dirpath, _, files in os.walk(x):
        for n in files:
            p = os.path.join(dirpath, n)
            with open(p, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    elves.append("./" + os.path.relpath(p, x))
    report(len(paths) > 20 and not bad and sorted(elves) == sorted(ELF["tipline-server"]),
           "tipline-server holds no compiler, test, node module or browser",
           "forbidden: %s\nprograms: %s" % (bad, elves))
    return x


# ---------------------------------------------------------------------------
# 3. systemd

def check_units(x):
    """As test_deploy does it for make install: the host's units beside
    the package's, the programs the units run."""
    vroot = x + "-verify"
    shutil.copytree(x, vroot, symlinks=True)
    shutil.copytree(os.path.realpath("/lib/systemd/system"),
                    vroot + "/usr/lib/systemd/system", symlinks=True,
                    dirs_exist_ok=True)
    os.makedirs(vroot + "/bin", exist_ok=True)
    for prog in ("/bin/sh", "/bin/kill"):
        shutil.copy(prog, vroot + prog)
    rc, ours = analyze_verify(vroot, UNITS)
    report(rc == 0 and not ours, "the installed units pass systemd-analyze verify",
           "exit %d\n%s" % (rc, "\n".join(ours)))
    unit = vroot + "/lib/systemd/system/tipline.service"
    execs = re.findall(r"^ExecStart=(\S+)", open(unit).read(), re.M)
    report(execs == ["/usr/sbin/tipline-fcgi"], "tipline.service runs /usr/sbin/tipline-fcgi",
           str(execs))
    for u in ("tipline.service", "tipline-backup.service"):
        score, out = exposure(vroot + "/lib/systemd/system/" + u)
        note("%s: exposure %.1f" % (u, score))
        report(score <= MAX_EXPOSURE, "installed %s keeps exposure %.1f" % (u, MAX_EXPOSURE),
               out[-3000:])


# ---------------------------------------------------------------------------
# 4. the fresh root

class Server:
    """tipline-fcgi and nginx in the root, started by hand."""

    def __init__(self, root, tmp):
        self.root, self.tmp = root, tmp
        self.port = R.free_port()
        self.host = "%s:%d" % (NAME, self.port)
        self.fcgi = self.nginx = None

    def configure_nginx(self):
        """The packaged example block, as the operator installs it
        (docs/DEPLOY.md): ports on loopback, a certificate of our own."""
        root = self.root
        certdir = root + "/etc/ssl/tipline"
        os.makedirs(certdir)
        rc, out = sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                      "-days", "2", "-subj", "/CN=" + NAME, "-keyout",
                      certdir + "/key.pem", "-out", certdir + "/cert.pem"])
        assert rc == 0, out
        site = open(root + "/usr/share/tipline/examples/nginx-tipline.conf").read()
        site = rewrite(site, listen_subs(self.port, R.free_port(), R.free_port()) + [
            ("/etc/letsencrypt/live/%s/fullchain.pem" % NAME, "/etc/ssl/tipline/cert.pem"),
            ("/etc/letsencrypt/live/%s/privkey.pem" % NAME, "/etc/ssl/tipline/key.pem")])
        with open(root + "/etc/nginx/sites-available/tipline", "w") as f:
            f.write(site)
        os.symlink("../sites-available/tipline", root + "/etc/nginx/sites-enabled/tipline")
        os.unlink(root + "/etc/nginx/sites-enabled/default")
        rc, out = in_root(root, "nginx -t")
        report(rc == 0, "nginx -t accepts the packaged block in the root", out)
        return rc == 0

    def start_fcgi(self):
        os.makedirs(self.root + "/run/tipline", exist_ok=True)
        sock = self.root + "/run/tipline/tipline.sock"
        if os.path.exists(sock):
            os.unlink(sock)
        log = open(os.path.join(self.tmp, "fcgi.log"), "ab")
        rc, out = in_root(self.root, "chown tipline:tipline /run/tipline")
        assert rc == 0, out
        self.fcgi = subprocess.Popen(
            ["chroot", "--userspec=tipline:tipline", self.root,
             "/usr/sbin/tipline-fcgi", "--config", "/etc/tipline/tipline.conf",
             "--listen", "unix:/run/tipline/tipline.sock"],
            stdout=log, stderr=log, env=ENV)
        for _ in range(100):
            if os.path.exists(sock) or self.fcgi.poll() is not None:
                break
            time.sleep(0.1)
        if not os.path.exists(sock):
            return False
        # What tipline.socket's SocketUser=, SocketGroup=, SocketMode=
        # make of it: only nginx's group may connect.
        rc, out = in_root(self.root, "chown root:www-data /run/tipline/tipline.sock"
                          " && chmod 0660 /run/tipline/tipline.sock")
        assert rc == 0, out
        return True

    def start_nginx(self):
        log = open(os.path.join(self.tmp, "nginx.log"), "ab")
        self.nginx = subprocess.Popen(["chroot", self.root, "nginx", "-g", "daemon off;"],
                                      stdout=log, stderr=log, env=ENV)

    def form(self):
        for _ in range(100):
            try:
                status, _, page = R.fetch(self.port, "GET", "/",
                                          headers={"Host": self.host}, tls=True)
                if status == 200 and 'name="token"' in page:
                    return page
            except OSError:
                pass
            if self.nginx.poll() is not None:
                break
            time.sleep(0.1)
        return None

    def send(self, marker):
        page = self.form()
        if page is None:
            report(False, "the form is served through nginx",
                   open(os.path.join(self.tmp, "fcgi.log"), errors="replace").read() +
                   open(os.path.join(self.tmp, "nginx.log"), errors="replace").read())
            return None
        return R.send_report(self.port, page, marker,
                             self.root + "/var/lib/tipline/tips.db", tls=True,
                             host=self.host)

    @staticmethod
    def stop_one(p):
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)

    def stop_fcgi(self):
        self.stop_one(self.fcgi)
        self.fcgi = None

    def stop(self):
        self.stop_one(self.nginx)
        self.nginx = None
        self.stop_fcgi()


def apt_install(root, what, name):
    rc, out = in_root(root, "apt-get install -y -q " + what)
    report(rc == 0, name, out)
    return rc == 0, out


def workstation_key(tmp, cli_deb):
    """The secretariat's key pair, made with the packaged CLI on this
    machine (the workstation), never in the server root."""
    ws = os.path.join(tmp, "ws")
    sh(["dpkg-deb", "-x", cli_deb, ws])
    with open(ws + "/pass", "w") as f:
        f.write(os.urandom(16).hex() + "\n")
    rc, out = sh([ws + "/usr/bin/tipline", "keygen", "-o", ws + "/secretariat",
                  "--passphrase-file", ws + "/pass"])
    assert rc == 0, out
    return ws


def read_back(root, ref, marker, name):
    """A copy of the live database made as tipline-backup.service makes
    it (as "tipline", SQLite's online backup), opened with the installed
    tipline as on the workstation."""
    rc, out = in_root(root, "rm -f /var/lib/tipline-backup/pull.db && sqlite3 "
                      "/var/lib/tipline/tips.db '.backup /var/lib/tipline-backup/pull.db'",
                      user="tipline")
    if rc != 0:
        report(False, name, "backup: " + out)
        return
    rc, out = in_root(root, "tipline show %s --db /var/lib/tipline-backup/pull.db "
                      "--key /root/ws/secretariat.key --passphrase-file /root/ws/pass" % ref)
    report(rc == 0 and marker in out, name, "exit %d\n%s" % (rc, out))


def bump_version(src):
    """A new debian/changelog entry one patch level up, as dch would
    write it; returns the new version."""
    path = os.path.join(src, "debian", "changelog")
    text = open(path).read()
    old = re.match(r"tipline \(([^)]+)\)", text).group(1)
    parts = old.split(".")
    parts[-1] = str(int(parts[-1]) + 1)
    new = ".".join(parts)
    entry = ("tipline (%s) unstable; urgency=medium\n\n  * The upgrade test's "
             "rebuild (tests/fresh/check_deb.py).\n\n -- tipline test "
             "<test@example.invalid>  %s\n\n" % (new, email.utils.formatdate()))
    with open(path, "w") as f:
        f.write(entry + text)
    return new


def in_the_root(root, tmp, debs, src):
    srv = Server(root, tmp)
    try:
        fresh_root(root, tmp, debs, src, srv)
    finally:
        srv.stop()


def fresh_root(root, tmp, debs, src, srv):
    rc, out = in_root(root, "apt-get update -q")
    assert rc == 0, out
    os.makedirs(root + "/tmp/v1")
    for d in debs.values():
        shutil.copy(d, root + "/tmp/v1/")
    server_deb = "/tmp/v1/" + os.path.basename(debs["tipline-server"])
    ok, out = apt_install(root, server_deb, "apt-get install ./tipline-server_*.deb")
    if not ok:
        return
    wants = [w for w in glob.glob(root + "/etc/systemd/system/*.wants/*")
             if os.path.basename(w).startswith("tipline")]
    running = R.processes_in(root)
    report(not wants and not running, "the install enables and starts nothing",
           "enabled: %s, running: %s" % (wants, running))
    report("nothing started" in out and "/etc/tipline/recipients" in out,
           "the install says what to do first", out)
    rc, out = in_root(root, "stat -c '%U %a' /var/lib/tipline /var/lib/tipline-backup; "
                      "dpkg-query -W -f '${Conffiles}' tipline-server")
    report(rc == 0 and out.startswith("tipline 700\ntipline 700\n") and
           "/etc/tipline/tipline.conf" in out,
           "the user, its 0700 state directories, the configuration a conffile", out)
    extra = R.installed_in(root, NOT_ON_SERVER)
    report(not extra, "no compiler, build tool, node or browser on the server",
           "installed: " + " ".join(extra))

    ws = workstation_key(tmp, debs["tipline"])
    shutil.copy(ws + "/secretariat.pub", root + "/etc/tipline/recipients")
    os.chmod(root + "/etc/tipline/recipients", 0o644)
    if not srv.configure_nginx():
        return
    report(srv.start_fcgi(), "tipline-fcgi starts as tipline on the unit's socket",
           open(os.path.join(tmp, "fcgi.log"), errors="replace").read())
    srv.start_nginx()
    marker = "deb-root-%s" % os.urandom(6).hex()
    ref = srv.send(marker)
    ok, _ = apt_install(root, "/tmp/v1/" + os.path.basename(debs["tipline"]),
                        "apt-get install ./tipline_*.deb")
    os.makedirs(root + "/root/ws", mode=0o700)
    for n in ("secretariat.key", "pass"):
        shutil.copy(os.path.join(ws, n), root + "/root/ws/" + n)
    if ref and ok:
        read_back(root, ref, marker, "the installed tipline opens the report")
    upgrade(root, tmp, src, srv, ref, marker)
    remove_and_purge(root, srv)


def upgrade(root, tmp, src, srv, ref, marker):
    new = bump_version(src)
    built = make_deb(src, os.path.join(tmp, "v2"))
    if built is None:
        return
    debs = built[0]
    os.makedirs(root + "/tmp/v2")
    for d in debs.values():
        shutil.copy(d, root + "/tmp/v2/")
    ok, out = apt_install(root, " ".join("/tmp/v2/" + os.path.basename(d)
                                         for d in debs.values()),
                          "apt-get install of version %s over the running service" % new)
    report(ok and "tipline-fcgi: configuration ok" in out,
           "the upgrade's postinst migrates as tipline before any restart", out)
    srv.stop_fcgi()
    srv.start_fcgi()
    rc, out = in_root(root, "tipline-fcgi --version; tipline --version")
    report(out == "tipline-fcgi %s\ntipline %s\n" % (new, new),
           "both programs say the new version", out)
    if ref:
        read_back(root, ref, marker, "the report is still there after the upgrade")
    marker2 = "deb-upgraded-%s" % os.urandom(6).hex()
    ref2 = srv.send(marker2)
    if ref2:
        read_back(root, ref2, marker2, "the upgraded server takes a report")


def remove_and_purge(root, srv):
    # What prerm does under systemd (deb-systemd-invoke stop).
    srv.stop()
    rc, out = in_root(root, "apt-get remove -y -q tipline-server")
    kept = os.path.exists(root + "/var/lib/tipline/tips.db") and \
        os.path.exists(root + "/etc/tipline/tipline.conf") and \
        not os.path.exists(root + "/usr/sbin/tipline-fcgi")
    report(rc == 0 and kept and "kept /var/lib/tipline" in out,
           "remove keeps the database and the configuration, and says so", out)
    rc, out = in_root(root, "apt-get purge -y -q tipline-server")
    gone = not os.path.exists(root + "/var/lib/tipline") and \
        not os.path.exists(root + "/var/lib/tipline-backup") and \
        not os.path.exists(root + "/etc/tipline")
    report(rc == 0 and gone and "purge: deleting /var/lib/tipline " in out,
           "purge deletes the database and says so", out)


# ---------------------------------------------------------------------------

def main():
    R.label = "deb"
    if os.geteuid() != 0 or not shutil.which("mmdebstrap"):
        report(False, "needs root and mmdebstrap (make test installs them)")
        return 1
    start = time.time()
    tmp = tempfile.mkdtemp(prefix="tipline-deb-", dir="/var/tmp")
    src = os.path.join(tmp, "src")
    root = os.path.join(tmp, "root")
    mounted = []
    started = None
    try:
        # The root is made while the packages are built and checked.
        started = R.start_root(root, ["ca-certificates"])
        clone(src)
        built = make_deb(src, os.path.join(tmp, "v1"))
        if built is None:
            return 1
        debs, changes = built
        check_lintian(src, changes)
        x = check_contents(debs)
        check_units(x)
        done, started = R.finish_root(started), None
        if not done:
            return 1
        R.mount_all(root, mounted)
        in_the_root(root, tmp, debs, src)
    except Exception as e:      # a broken step is a failure, not a crash
        import traceback
        report(False, "the test ran to its end", traceback.format_exc() + str(e))
    finally:
        if started is not None:     # a step above failed: stop mmdebstrap
            started[2].terminate()  # it undoes its own mounts on SIGTERM
            try:
                started[2].wait(60)
            except subprocess.TimeoutExpired:
                started[2].kill()
                started[2].wait()
        left = R.processes_in(root) if os.path.isdir(root) else []
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        report(not left, "nothing started in the root is left running", str(left))
        clean = R.unmount(root, mounted)
        report(clean, "every mount of the root is undone",
               "still mounted: " + " ".join(R.mounts_under(root)))
        if clean and all(R.results):
            shutil.rmtree(tmp, ignore_errors=True)
        elif clean:
            note("kept for inspection: " + tmp)
        note("check-deb: %.0f s in all" % (time.time() - start))
    return 0 if all(R.results) else 1


if __name__ == "__main__":
    sys.exit(main())
