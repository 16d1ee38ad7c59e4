"""No plaintext left in the worker's memory (issue 11 item 4).

Several reports, each with its own marker text, go through a real nginx
to a single tipline-fcgi worker; after each one, the test (as root)
reads every writable mapping of the worker through /proc/PID/maps and
/proc/PID/mem and looks for the markers of every report sent so far,
the last one included: the request body, the decoded form, the record,
the response page and libfcgi's stream buffers must all be wiped by the
time the response has been sent. A form that comes back (400, echoing
what was typed) is checked the same way. The worker's core size limit
is 0. (It is also not dumpable, PR_SET_DUMPABLE 0; this test reading
its memory as root shows that root can still inspect it.)

usage: /usr/bin/python3 tests/integration/test_memory.py --build build"""

import os
import re
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, wait_for  # noqa: E402

EN = {"Accept-Language": "en"}
# Mappings larger than BIG are mostly never touched: only their
# resident pages are read (via pagemap). Larger than SHADOW is
# AddressSanitizer's shadow (terabytes of shadow bytes, no data): skipped.
BIG = 64 * 1024 * 1024
SHADOW = 1 << 40
PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_runs(pid, start, end):
    """[start, end) split into runs of pages present in memory."""
    runs = []
    with open("/proc/%d/pagemap" % pid, "rb") as pm:
        pm.seek(start // PAGE * 8)
        data = pm.read((end - start) // PAGE * 8)
    run = None
    for i in range(len(data) // 8):
        present = data[i * 8 + 7] & 0x80 or data[i * 8 + 7] & 0x40
        addr = start + i * PAGE
        if present and run is None:
            run = addr
        elif not present and run is not None:
            runs.append((run, addr))
            run = None
    if run is not None:
        runs.append((run, end))
    return runs


def writable_runs(pid):
    """(start, end) of the writable memory of pid: every writable
    mapping, or only its resident pages when it is big."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        start, end, perms = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        if "w" not in perms or line.endswith("[vvar]"):
            continue
        if end - start <= BIG:
            yield start, end
        elif end - start < SHADOW:
            yield from resident_runs(pid, start, end)


def found_in_memory(pid, markers):
    """The markers found in pid's writable memory, read in pieces that
    overlap by a marker's length."""
    needles = [m.encode() for m in markers]
    over = max(len(n) for n in needles)
    found, total = set(), 0
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for a, b in writable_runs(pid):
            while a < b:
                n = min(b - a, 8 * 1024 * 1024)
                try:
                    mem.seek(a)
                    data = mem.read(n + over if a + n < b else n)
                except OSError:
                    break
                total += len(data)
                found.update(x for x in needles if x in data)
                a += n
    assert total > 100000, "could not read the worker's memory"
    return sorted(x.decode() for x in found)


def report(marker, tok):
    return {"description": "Seen at the farm " + marker + " yesterday",
            "municipality": "Town " + marker, "suspects": marker + " drives",
            "token": tok}


def t_no_marker_left_after_reports(st):
    (pid,) = st.workers()
    toks = st.tokens(5)
    sent = []
    for i, tok in enumerate(toks):
        marker = "MemMark%d%s" % (i, secrets.token_hex(8))
        r = st.post(report(marker, tok), EN)
        assert r.status == 303, (r.status, r.text[:300])
        sent.append(marker)
        left = found_in_memory(pid, sent)
        assert not left, "after report %d the worker still holds %s" % (i, left)
    assert st.count() == len(toks)


def t_no_marker_left_after_form_comes_back(st):
    (pid,) = st.workers()
    marker = "MemBack%s" % secrets.token_hex(8)
    r = st.post(report(marker, "no-such-token"), EN)
    assert r.status == 400, (r.status, r.text[:300])
    assert marker in r.text, "the form did not come back with the text"
    left = found_in_memory(pid, [marker])
    assert not left, "the worker still holds %s" % left


def t_worker_out_of_core_dumps(st):
    (pid,) = st.workers()
    with open("/proc/%d/limits" % pid) as f:
        line = [x for x in f if x.startswith("Max core file size")][0]
    assert line.split()[4:6] == ["0", "0"], line


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    if os.getuid() != 0:
        print("not ok - worker_memory_checks_need_root (reading another "
              "process's memory needs root; make test runs as root)")
        return 1
    run = Runner()
    # Freed memory waits in ASan's quarantine unwiped by ASan itself:
    # what the program wipes is wiped there too, which is what counts.
    st = Stack(build, workers=1)
    try:
        wait_for(lambda: len(st.workers()) == 1, what="one worker")
        run.run("no_report_marker_left_in_worker_memory_after_reports",
                t_no_marker_left_after_reports, st)
        run.run("no_marker_left_in_worker_memory_after_form_comes_back",
                t_no_marker_left_after_form_comes_back, st)
        run.run("worker_core_size_limit_is_zero",
                t_worker_out_of_core_dumps, st)
        run.run("no_sanitizer_reports_in_logs", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
