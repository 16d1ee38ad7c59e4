"""A fresh Debian 12 root for the tests that start from nothing: built
with mmdebstrap from the machine's own Debian mirror, with proc, sys and
dev mounted, sharing the machine's network (so each server in it gets a
port of its own). Shared by tests/fresh/fresh_root.py (the first `make
run`) and tests/fresh/check_deb.py (the Debian packages): building the
root, mounting and unmounting, finding what runs in it, and sending a
report through its nginx as a browser would.

Each check prints "ok - LABEL: NAME" / "not ok - LABEL: NAME" for
tests/run.sh; a test sets `label` first."""
import glob
import html.parser
import re
import http.client
import os
import ssl
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from harness import free_port  # noqa: E402,F401  (re-exported)
from harness import RECEIPT_RE, ref_by_receipt  # noqa: E402

SUITE = "bookworm"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ENV = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb"}

label = "fresh root"
results = []


def report(ok, name, detail=""):
    results.append(ok)
    print("%s - %s: %s" % ("ok" if ok else "not ok", label, name), flush=True)
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


def build_root(root, include):
    """A minimal Debian 12 root (variant apt) with the packages in
    include, and a policy-rc.d: no package's maintainer script may
    start a service (nginx on port 80) on the network the root shares
    with the machine; the tests start what they need themselves."""
    return finish_root(start_root(root, include))


def start_root(root, include):
    """Starts mmdebstrap in the background (a test can build meanwhile);
    finish_root waits for it. None if the machine has no Debian 12
    source."""
    srcs = machine_sources()
    if not srcs:
        report(False, "mmdebstrap builds a Debian 12 root",
               "no %s entry in the machine's apt sources" % SUITE)
        return None
    cmd = ["mmdebstrap", "--quiet", "--variant=apt",
           "--include=" + ",".join(include)]
    cmd += ["--aptopt=" + p for p in machine_aptopts()]
    cmd += [SUITE, root] + srcs
    note("mmdebstrap from %s" % "; ".join(srcs))
    return (root, time.time(), subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))


def finish_root(started, timeout=600):
    if started is None:
        return False
    root, t, proc = started
    try:
        _, err = proc.communicate(timeout=max(1, timeout - (time.time() - t)))
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    note("mmdebstrap: %.0f s" % (time.time() - t))
    report(proc.returncode == 0, "mmdebstrap builds a Debian 12 root",
           err.decode(errors="replace"))
    if proc.returncode != 0:
        return False
    prc = os.path.join(root, "usr", "sbin", "policy-rc.d")
    with open(prc, "w") as f:
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod(prc, 0o755)
    return True


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


def unmount(root, mounted):
    for dst in reversed(mounted):
        subprocess.run(["umount", dst], timeout=30)
    left = mounts_under(root)
    for dst in reversed(left):
        subprocess.run(["umount", "--lazy", dst], timeout=30)
    return not mounts_under(root)


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


def installed_in(root, pkgs):
    found = []
    for pkg in pkgs:
        p = subprocess.run(["chroot", root, "dpkg-query", "-W", "-f",
                            "${Status}", pkg], capture_output=True, text=True)
        if "ok installed" in p.stdout:
            found.append(pkg)
    return found



def fetch(port, method, path, body=None, headers=None, tls=False):
    """One request to 127.0.0.1:port. With tls, the certificate is not
    checked: the tests' servers use a throwaway self-signed one."""
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=30,
                                        context=ctx)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


class _Form(html.parser.HTMLParser):
    """The first POST form's action and its hidden fields, as a browser
    reads them (attributes in any order, any other markup around)."""

    def __init__(self):
        super().__init__()
        self.action, self.fields, self.inside = None, {}, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None and \
                (a.get("method") or "").lower() == "post":
            self.action, self.inside = a.get("action"), True
        elif tag == "input" and self.inside and a.get("type") == "hidden" \
                and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_of(page):
    f = _Form()
    f.feed(page)
    return f.fields, f.action


def send_report(port, page, marker, db, tls=False, host=None):
    """Sends the form as a browser would: the hidden fields, the wait of
    the bot window, the Origin of the page (host: the Host header the
    page was fetched with). Returns the reference or None."""
    fields, action = form_of(page)
    if "token" not in fields or not action:
        report(False, "a report sent through it is received",
               "no token or no form action in the page")
        return None
    fields["description"] = marker
    fields["website"] = ""      # the honeypot, left empty as by a person
    time.sleep(3.5)             # the bot window (token_min_age, 3 s)
    host = host or "127.0.0.1:%d" % port
    hdrs = {"Host": host, "Origin": "%s://%s" % ("https" if tls else "http", host)}
    status, hdr, body = fetch(port, "POST", action,
                              urllib.parse.urlencode(fields),
                              dict(hdrs, **{"Content-Type":
                                            "application/x-www-form-urlencoded"}),
                              tls)
    # The received page is the POST's own answer (issue 13): it shows
    # the receipt, no reference; the report is found in the database db
    # (a path on this machine) by the receipt's lookup id.
    ref = None
    m = RECEIPT_RE.search(body) if status == 200 else None
    if m and "location" not in hdr and not re.search(r"TL-[0-9A-Z]{4}", body):
        ref = ref_by_receipt(db, m.group(1))
    report(ref is not None, "a report sent through it is received",
           "POST answered %d:\n%s" % (status, body[:2000]))
    return ref
