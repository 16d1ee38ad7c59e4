#!/usr/bin/python3
"""The first minute of a newcomer, on a fresh Debian 12 (issue 10).

Builds a minimal Debian 12 root with mmdebstrap (only make, git and
ca-certificates, from the Debian mirror this machine is configured
with), clones this checkout's HEAD into it, mounts proc, sys and dev,
and runs `make run` in it as a newcomer would, on a port of its own (the
root shares the machine's network). Then it sends a real report through
that nginx as a browser would (a form token, the hidden fields, the wait
of the bot window), reads it back with the root's own `tipline`, stops
`make run` by its PID, checks that nothing started in the root is still
running, and unmounts. Prints "ok - ..." / "not ok - ..." lines for
tests/run.sh, and what it installed and how long each part took.

Run by tests/once/fresh_root.sh (make test), as root.
"""
import glob
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness import free_port  # noqa: E402
SUITE = "bookworm"
MAKE_RUN_LIMIT = 900    # seconds for `make run` to install, build, serve
# Packages `make run` must not install: only the tests need them.
TEST_ONLY = ["chromium", "clang", "nodejs", "cppcheck", "clang-tidy", "wrk",
             "strace"]
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

results = []


def report(ok, name, detail=""):
    results.append(ok)
    print("%s - fresh root: %s" % ("ok" if ok else "not ok", name), flush=True)
    for line in ([] if ok else detail.strip().splitlines()[-30:]):
        print("# " + line, flush=True)


def note(text):
    print("# " + text, flush=True)


def machine_sources():
    """One-line `deb` entries for the machine's Debian 12 sources."""
    lines = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in open(path).read().split("\n\n"):
            f = {}
            for line in stanza.splitlines():
                if ":" in line and not line.startswith("#"):
                    k, v = line.split(":", 1)
                    f[k.strip().lower()] = v.split()
            if "deb" not in f.get("types", []) or \
                    f.get("enabled", ["yes"]) == ["no"]:
                continue
            for uri in f.get("uris", []):
                for suite in f.get("suites", []):
                    if suite.startswith(SUITE):
                        lines.append("deb %s %s %s" % (
                            uri, suite, " ".join(f.get("components", []))))
    for path in ["/etc/apt/sources.list"] + \
            sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        if os.path.exists(path):
            for line in open(path):
                w = line.split("#")[0].split()
                if len(w) >= 4 and w[0] == "deb" and w[2].startswith(SUITE):
                    lines.append(" ".join(w))
    return lines


def machine_aptopts():
    """The machine's apt settings for fetching (Acquire::…): a snapshot
    mirror needs its Check-Valid-Until, a proxy its address."""
    return [p for p in sorted(glob.glob("/etc/apt/apt.conf.d/*"))
            if os.path.isfile(p) and "Acquire::" in open(p, errors="replace").read()]


def build_root(root):
    srcs = machine_sources()
    if not srcs:
        report(False, "mmdebstrap builds a Debian 12 root",
               "no %s entry in the machine's apt sources" % SUITE)
        return False
    cmd = ["mmdebstrap", "--quiet", "--variant=apt",
           "--include=make,git,ca-certificates"]
    cmd += ["--aptopt=" + p for p in machine_aptopts()]
    cmd += [SUITE, root] + srcs
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, timeout=600)
    note("mmdebstrap: %.0f s, from %s" % (time.time() - t, "; ".join(srcs)))
    report(p.returncode == 0, "mmdebstrap builds a Debian 12 root",
           p.stderr.decode(errors="replace"))
    return p.returncode == 0


def prepare(root):
    """The clone, and a policy-rc.d: a package's maintainer script must
    not start a service (nginx on port 80) on the network the root
    shares with the machine; `make run` starts its own nginx."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", TOP,
                    os.path.join(root, "root", "tipline")], check=True,
                   timeout=120)
    head = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    note("cloned HEAD %s into the root" % head)
    prc = os.path.join(root, "usr", "sbin", "policy-rc.d")
    with open(prc, "w") as f:
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod(prc, 0o755)


def mount_all(root, mounted):
    for kind, target in [("proc", "proc"), ("sysfs", "sys"), ("bind", "dev")]:
        dst = os.path.join(root, target)
        args = ["mount", "--bind", "/dev", dst] if kind == "bind" else \
            ["mount", "-t", kind, kind, dst]
        subprocess.run(args, check=True, timeout=30)
        mounted.append(dst)


def mounts_under(root):
    with open("/proc/self/mounts") as f:
        return [line.split()[1] for line in f
                if line.split()[1].startswith(root + "/")]


def processes_in(root):
    pids = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            r = os.readlink(d + "/root")
        except OSError:
            continue
        if r == root or r.startswith(root + "/"):
            pids.append(int(os.path.basename(d)))
    return pids


def fetch(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def wait_for_form(port, proc, log):
    """The form, once `make run` serves it, or None (with the reason
    reported) if it stops or takes longer than MAKE_RUN_LIMIT."""
    deadline = time.time() + MAKE_RUN_LIMIT
    while time.time() < deadline:
        if proc.poll() is not None:
            report(False, "the first make run serves the form",
                   "make run exited with status %d:\n%s"
                   % (proc.returncode, open(log, errors="replace").read()))
            return None
        try:
            status, _, page = fetch(port, "GET", "/")
            if status == 200 and 'name="token"' in page:
                return page
        except OSError:
            pass
        time.sleep(1)
    report(False, "the first make run serves the form",
           "no form after %d s:\n%s"
           % (MAKE_RUN_LIMIT, open(log, errors="replace").read()))
    return None


def send_report(port, page, marker):
    """Sends the form as a browser would; returns the reference or None."""
    fields = dict(re.findall(
        r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    if "token" not in fields or not action:
        report(False, "a report sent through it is received",
               "no token or no form action in the page")
        return None
    fields["description"] = marker
    fields["website"] = ""      # the honeypot, left empty as by a person
    time.sleep(3.5)             # the bot window (token_min_age, 3 s)
    status, hdr, body = fetch(port, "POST", action.group(1),
                             urllib.parse.urlencode(fields),
                             {"Content-Type": "application/x-www-form-urlencoded",
                              "Origin": "http://127.0.0.1:%d" % port})
    ref = None
    if status == 303:
        status, _, body = fetch(port, "GET", hdr.get("location", "/"))
        m = re.search(r"TL-[0-9A-Z]{4}-[0-9A-Z]{4}", body)
        ref = m.group(0) if m else None
    report(ref is not None, "a report sent through it is received",
           "POST answered %d:\n%s" % (status, body[:2000]))
    return ref


def read_back(root, ref, marker):
    cmd = ("cd /root/tipline && TIPLINE_DB=run/tips.db TIPLINE_KEY=run/demo.key "
           "build/tipline show %s --passphrase-file run/demo.pass" % ref)
    p = subprocess.run(["chroot", root, "/bin/sh", "-c", cmd],
                       capture_output=True, timeout=120,
                       env={"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8"})
    out = p.stdout.decode(errors="replace")
    report(p.returncode == 0 and marker in out,
           "tipline in the root opens the report to what was sent",
           "exit %d\n%s%s" % (p.returncode, out, p.stderr.decode(errors="replace")))


def installed_in(root, pkgs):
    found = []
    for pkg in pkgs:
        p = subprocess.run(["chroot", root, "dpkg-query", "-W", "-f",
                            "${Status}", pkg], capture_output=True, text=True)
        if "ok installed" in p.stdout:
            found.append(pkg)
    return found


def stop(proc, root):
    """Ctrl-C, as a person stops `make run`: SIGINT to its process group
    (the group's id is make's PID); tools/run.sh then stops nginx and
    tipline-fcgi by theirs. Anything left in the root is a failure, and
    is killed by its PID."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    left = []
    for _ in range(50):
        left = processes_in(root)
        if not left:
            break
        time.sleep(0.1)
    names = []
    for pid in left:
        try:
            names.append("%d %s" % (pid, open("/proc/%d/comm" % pid).read().strip()))
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    report(not left, "Ctrl-C stops everything make run started",
           "still running: " + ", ".join(names))


def unmount(root, mounted):
    for dst in reversed(mounted):
        subprocess.run(["umount", dst], timeout=30)
    left = mounts_under(root)
    for dst in reversed(left):
        subprocess.run(["umount", "--lazy", dst], timeout=30)
    return not mounts_under(root)


def main():
    if os.geteuid() != 0 or not shutil.which("mmdebstrap"):
        report(False, "needs root and mmdebstrap (make test installs it)")
        return 1
    start = time.time()
    tmp = tempfile.mkdtemp(prefix="tipline-fresh-", dir="/var/tmp")
    root = os.path.join(tmp, "root")
    log = os.path.join(tmp, "make-run.log")
    mounted = []
    proc = None
    try:
        if not build_root(root):
            return 1
        prepare(root)
        mount_all(root, mounted)
        port = free_port()
        t = time.time()
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                ["chroot", root, "/bin/sh", "-c",
                 "cd /root/tipline && exec make run PORT=%d" % port],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8",
                     "TERM": "dumb"})
        page = wait_for_form(port, proc, log)
        if page is None:
            return 1
        note("make run: the form after %.0f s" % (time.time() - t))
        text = open(log, errors="replace").read()
        m = re.search(r"tipline: installing:(.*)", text)
        note("make run installed: %s" % (m.group(1).strip() if m else "nothing"))
        report(True, "the first make run serves the form")
        extra = installed_in(root, TEST_ONLY)
        report(not extra, "make run installs no package only the tests need",
               "installed: " + " ".join(extra))
        marker = "fresh-root-%s" % os.urandom(6).hex()
        ref = send_report(port, page, marker)
        if ref:
            read_back(root, ref, marker)
    finally:
        if proc is not None:
            stop(proc, root)
        clean = unmount(root, mounted)
        report(clean, "every mount of the root is undone",
               "still mounted: " + " ".join(mounts_under(root)))
        if clean:
            shutil.rmtree(tmp, ignore_errors=True)
        note("fresh root test: %.0f s in all" % (time.time() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
