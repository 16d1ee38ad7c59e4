"""No plaintext left in the worker's memory (issue 11 item 4), and no
earlier epoch's secret after an envelope v2 epoch rotated (issue 17).

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

Envelope v2 epochs: from a report's envelope and the secretariat's secret
key the test computes what the worker held for it (the epoch's X25519
shared secret with the recipient, the report's wrap key and content key;
docs/FORMATS.md section 3). Right after the report the shared secret is
found in the worker's memory (the test can see it) and the per-report
keys are not; once the epoch has rotated (a later report with another
epoch public key), none of them is.

usage: /usr/bin/python3 tests/integration/test_memory.py --build build"""

import os
import re
import secrets
import sys
import time

import nacl.bindings
import nacl.encoding
import nacl.hash

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, wait_for, receipt_of  # noqa: E402
import open_envelope  # noqa: E402

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
    needles = [m.encode() if isinstance(m, str) else m for m in markers]
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
    return sorted(x.decode("utf-8", "replace") for x in found)


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
        receipt = receipt_of(r)
        assert receipt, (r.status, r.text[:300])
        st.received_ref(r)
        # the receipt too, grouped and canonical (issue 13): the worker
        # wipes it with the page
        sent += [marker, receipt, receipt.replace("-", "")[:20]]
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


def epoch_secrets(st, ref, pk, sk):
    """(epoch public key, shared secret, wrap key, content key) of the
    report ref, as the worker computed them (FORMATS.md section 3, v2)."""
    env = st.query("SELECT envelope FROM reports WHERE ref = ?", ref)[0][0]
    assert env[:5] == b"TLEV\x02", "not an envelope v2: %r" % env[:6]
    epk = env[6:38]
    stanza = env[38:38 + 56]
    assert stanza[:8] == open_envelope.key_id(pk)
    noff = 38 + env[5] * 56
    nonce = env[noff:noff + 24]
    shared = nacl.bindings.crypto_scalarmult(sk, epk)
    wk = nacl.hash.blake2b(b"TLEV\x02" + epk + pk + ref.encode(),
                           digest_size=32, key=shared,
                           encoder=nacl.encoding.RawEncoder)
    ck = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
        stanza[8:], None, nonce, wk)
    return epk, shared, wk, ck


def t_no_earlier_epoch_secret_after_rotation(st):
    (pid,) = st.workers()
    pk, sk, _ = open_envelope.unlock_secret_key(
        st.key, open_envelope.read_passphrase(st.passfile))
    toks = st.tokens(6)
    r = st.post(report("Epoch1" + secrets.token_hex(4), toks[0]), EN)
    ref = st.received_ref(r)
    epk1, shared1, wk1, ck1 = epoch_secrets(st, ref, pk, sk)
    assert found_in_memory(pid, [shared1]), \
        "the test cannot see the current epoch's shared secret"
    assert not found_in_memory(pid, [wk1, ck1]), \
        "a report's wrap or content key outlived its request"
    # EPOCH_MS is 1 s: a report a little later starts a new epoch.
    epk = epk1
    for tok in toks[1:]:
        time.sleep(1.1)
        r = st.post(report("Epoch2" + secrets.token_hex(4), tok), EN)
        ref = st.received_ref(r)
        epk = epoch_secrets(st, ref, pk, sk)[0]
        if epk != epk1:
            break
    assert epk != epk1, "the epoch never rotated"
    left = found_in_memory(pid, [shared1, wk1, ck1])
    assert not left, "after rotation the worker still holds %d of epoch " \
        "1's secrets" % len(left)


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
        run.run("no_earlier_epoch_secret_in_worker_memory_after_rotation",
                t_no_earlier_epoch_secret_after_rotation, st)
        run.run("worker_core_size_limit_is_zero",
                t_worker_out_of_core_dumps, st)
        run.run("no_sanitizer_reports_in_logs", st.assert_no_sanitizer_reports)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
