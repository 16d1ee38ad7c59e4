"""No plaintext of an attachment on any disk, and slow uploads do not
starve intake (issue 14, docs/ARCHITECTURE.md "Attachments").

no plaintext: a text file made of a long unique marker is sent through
the real nginx and stored; then every file under the stack's directory
(nginx's prefix and its temp paths, the database, its WAL, the spool's
directory) and every file the test's run left in the temporary directory
is searched for the marker, raw and as the first bytes of each 64 KiB
chunk: nowhere. The stored file still opens to the marker (the search is
not vacuous).

slow uploads: six clients announce a 2 MB upload and trickle it at a
byte a second; nginx holds at most four such uploads (limit_conn
tipline_uploads 4), the others get 429 at once; meanwhile ordinary
reports go through (200, the received page) at once; the trickling ones are cut by
client_body_timeout (lowered to 2 s here) and store nothing.

usage: /usr/bin/python3 tests/integration/test_upload_disk.py --build build"""

import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner  # noqa: E402
from test_upload import body, post, ref_of, opened  # noqa: E402

CHUNK = 65536


class SlowStack(Stack):
    def write_nginx_conf(self):
        super().write_nginx_conf()
        path = os.path.join(self.dir, "nginx.conf")
        with open(path) as f:
            conf = f.read()
        assert "client_body_timeout 30s;" in conf
        conf = conf.replace("client_body_timeout 30s;", "client_body_timeout 2s;")
        with open(path, "w") as f:
            f.write(conf)


def files_under(top, since=None):
    for root, _, names in os.walk(top):
        for n in names:
            p = os.path.join(root, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if not os.path.isfile(p) or st.st_size > 200 * 1024 * 1024:
                continue
            if since is not None and st.st_mtime < since:
                continue
            yield p


def t_no_plaintext_on_disk(st, tok, started):
    marker = ("tipline-no-plaintext-marker-%s-" % os.urandom(12).hex()).encode()
    data = (marker * (3 * 1024 * 1024 // len(marker) + 1))[:3 * 1024 * 1024 + 123]
    r = post(st, body(tok, "marker upload", [("marker.txt", data, "text/plain")]))
    assert r.status == 200, (r.status, r.text[:300])
    ref = ref_of(st, r)
    assert opened(st, ref) == [("marker.txt", "text/plain", data)]
    needles = {marker} | {data[j:j + 32] for j in range(0, len(data), CHUNK)}
    searched, found = 0, []
    tmp = tempfile.gettempdir()
    paths = set(files_under(st.dir)) | set(files_under(tmp, since=started))
    for p in sorted(paths):
        try:
            with open(p, "rb") as f:
                blob = f.read()
        except OSError:
            continue
        searched += 1
        found += [p for n in needles if n in blob]
    assert searched >= 3 and os.path.exists(st.db), searched
    assert not found, "plaintext on disk: %s" % sorted(set(found))


def slow_upload(st, length):
    """Headers of an upload of length bytes and its first byte; the
    socket stays open to trickle."""
    s = socket.create_connection(("127.0.0.1", st.port), 10)
    s.sendall(b"POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: multipart/form-data; boundary=x\r\n"
              b"Content-Length: %d\r\n\r\n-" % length)
    return s


def status_of(s, wait):
    s.settimeout(wait)
    try:
        line = s.recv(64)
    except socket.timeout:
        return None
    except OSError:
        return "closed"
    return line.split(b" ")[1].decode() if line.startswith(b"HTTP/") else "closed"


def t_slow_uploads_do_not_starve_intake(st, toks):
    before = st.count()
    slow = [slow_upload(st, 2 * 1000 * 1000) for _ in range(6)]
    try:
        early = [status_of(s, 0.5) for s in slow]
        assert early.count("429") == 2, early       # the cap: four held
        t0 = time.monotonic()
        for tok in toks:
            r = post(st, body(tok, "an ordinary report while uploads trickle"))
            assert r.status == 200, (r.status, r.text[:200])
        assert time.monotonic() - t0 < 5
        for s in slow:                                # a byte a second
            try:
                s.sendall(b"-")
            except OSError:
                pass
        late = [status_of(s, 6) for s, e in zip(slow, early) if e != "429"]
        assert all(x in ("408", "closed") for x in late), late
    finally:
        for s in slow:
            s.close()
    assert st.count() == before + len(toks)


def spooling_worker(st):
    """The worker holding an upload's spool (an unlinked file), or None."""
    for pid in st.workers():
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                if ".tipline-spool-" in os.readlink("/proc/%d/fd/%s" % (pid, fd)):
                    return pid
        except OSError:
            continue
    return None


def t_kill_9_mid_upload(st, toks):
    """Two 10 MiB files (20 MiB): the worker sealing them is killed -9
    while it holds the spool; nothing is stored, no spool is left, the
    worker is restarted and the next report goes through."""
    import threading
    from harness import wait_for
    before = st.count()
    files_before = st.query("SELECT count(*) FROM attachment_chunks")[0][0]
    big = [("a.pdf", b"%PDF-1.4\n" + os.urandom(10 * 1024 * 1024 - 9), None),
           ("b.pdf", b"%PDF-1.4\n" + os.urandom(10 * 1024 * 1024 - 9), None)]
    data = body(toks[0], "killed mid upload", big)
    got = []
    th = threading.Thread(target=lambda: got.append(
        st.request("POST", "/submit", data, {"Content-Type": "multipart/form-data; "
                                             "boundary=----tiplineTestBoundary7MA4YWxk"})))
    th.start()
    victim, deadline = None, time.monotonic() + 30
    while victim is None and time.monotonic() < deadline and th.is_alive():
        victim = spooling_worker(st)
    assert victim is not None, "no worker seen sealing the upload"
    os.kill(victim, 9)
    th.join(60)
    assert not got or got[0].status >= 500, got[0].status if got else None
    wait_for(lambda: len(st.workers()) == 2 and victim not in st.workers(),
             what="a new worker")
    # Killed while it read and sealed (the spool appears at the first
    # file byte, and we kill at first sight): nothing. Should the kill
    # ever come after the worker handed the whole row to the writer,
    # the report is whole, both files in full: never a part.
    stored = st.count() - before
    chunks = st.query("SELECT count(*) FROM attachment_chunks")[0][0] - files_before
    assert (stored, chunks) in ((0, 0), (1, 2 * 256)), (stored, chunks)
    before += stored
    assert spooling_worker(st) is None
    assert not [n for n in os.listdir(st.dir) if n.startswith(".tipline-spool")]
    r = post(st, body(toks[1], "after the kill", [("n.txt", b"fine\n", None)]))
    assert r.status == 200, (r.status, r.text[:200])
    assert st.count() == before + 1, (st.count(), before, r.header("Location"),
                                      st.query("SELECT ref FROM reports"))


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    started = time.time() - 1
    st = SlowStack(build)
    try:
        toks = st.tokens(6)
        run.run("no_plaintext_of_an_upload_on_any_disk", t_no_plaintext_on_disk, st,
                toks[0], started)
        run.run("slow_uploads_capped_and_cut_intake_goes_on",
                t_slow_uploads_do_not_starve_intake, st, toks[1:4])
        run.run("kill_9_of_a_worker_mid_20_mib_upload_stores_nothing",
                t_kill_9_mid_upload, st, toks[4:6])
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
