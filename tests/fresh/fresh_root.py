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
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from root import (PATH, build_root, fetch, free_port, installed_in,  # noqa: E402
                  mount_all, mounts_under, note, processes_in, report,
                  send_report, unmount)

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAKE_RUN_LIMIT = 900    # seconds for `make run` to install, build, serve
# Packages `make run` must not install: only the tests need them.
TEST_ONLY = ["chromium", "clang", "nodejs", "cppcheck", "clang-tidy", "wrk",
             "strace"]


def prepare(root):
    """The clone (the root has a policy-rc.d: `make run` starts its own
    nginx)."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", TOP,
                    os.path.join(root, "root", "tipline")], check=True,
                   timeout=120)
    head = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    note("cloned HEAD %s into the root" % head)


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
        if not build_root(root, ["make", "git", "ca-certificates"]):
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
        ref = send_report(port, page, marker,
                          root + "/root/tipline/run/tips.db")
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
