"""Hostile input, abuse and privacy through a real nginx and a real
tipline-fcgi (issue 5): a catalogue of hostile requests, each with its
expected status, no row added, and a valid report still accepted after
it; a flood of bot posts with the workers' memory watched; markers in
every header a browser sends and a client address of 127.0.0.2 found in
no file; nothing the server can read opens an envelope; security
headers on every kind of response.

The stack's nginx is our nginx/tipline-local.conf.in with three changes
made here: it also listens on 127.0.0.2, client_body_timeout is 2 s (so
the slow-body case is short) and the stack runs with token_max_age = 60
(so an expired token is one a minute old). Tokens with a chosen issue
time are made here from the server.secret file, following
docs/FORMATS.md section 5, and checked by the real server.

usage: /usr/bin/python3 tests/integration/test_hostile.py --build build"""

import base64
import hashlib
import hmac
import http.client
import os
import re
import signal
import socket
import sqlite3
import struct
import sys
import threading
import time
import urllib.parse

import nacl.bindings
import nacl.encoding
import nacl.hash

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, wait_for, receipt_of, ref_by_receipt, RECEIPT_RE  # noqa: E402,E501
import open_envelope  # noqa: E402

FORM = "application/x-www-form-urlencoded"
EN = {"Accept-Language": "en"}
LINE_FIELDS = ["municipality", "address", "place_type", "when", "victims_count",
               "victims_ages", "victims_gender", "victims_origin", "suspect_names",
               "suspect_role", "contact"]
TEXT_FIELDS = ["description", "suspects", "vehicles", "online"]
CHOICE_FIELDS = ["type", "canton", "ongoing", "minors", "source", "contact_ok"]


class HostileStack(Stack):
    def __init__(self, build):
        super().__init__(build, extra_config="token_max_age = 60\n")

    def write_nginx_conf(self):
        super().write_nginx_conf()
        path = os.path.join(self.dir, "nginx.conf")
        with open(path) as f:
            conf = f.read()
        listen = "listen 127.0.0.1:%d;" % self.port
        assert listen in conf and "client_body_timeout 30s;" in conf
        conf = conf.replace(listen, listen + "\n\t\tlisten 127.0.0.2:%d;" % self.port)
        conf = conf.replace("client_body_timeout 30s;", "client_body_timeout 2s;")
        with open(path, "w") as f:
            f.write(conf)

    def secret(self):
        with open(os.path.join(self.dir, "server.secret"), "rb") as f:
            return f.read()

    def mint(self, age=10, key=None, version=1):
        """A token issued `age` seconds ago (negative: in the future),
        made as lib/token.c makes them (docs/FORMATS.md section 5)."""
        raw = bytes([version]) + struct.pack(">Q", int(time.time()) - age) + os.urandom(16)
        tag = hmac.new(key or self.secret(), raw, hashlib.sha512).digest()[:32]
        return base64.urlsafe_b64encode(raw + tag).rstrip(b"=").decode()


def ref_of(st, r):
    """The received page is the POST's answer (issue 13): a receipt, and
    the report found by its lookup id."""
    assert r.header("Location") is None, r.header("Location")
    return st.received_ref(r)


def post(st, body, ctype=FORM, path="/submit", headers=None):
    h = dict(EN)
    if ctype is not None:
        h["Content-Type"] = ctype
    h.update(headers or {})
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
    return st.request("POST", path, body, h)


def raw_status(data):
    """Status codes of every response in raw bytes read from a socket."""
    return [int(m) for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", data)]


def valid_report_goes_through(st):
    before = st.count()
    r = post(st, {"token": st.mint(), "description": "still open after an attack"})
    ref = ref_of(st, r)
    assert st.count() == before + 1
    assert st.query("SELECT count(*) FROM reports WHERE ref = ?", ref)[0][0] == 1


class Catalogue:
    """Each case: run, check the status and that no row was added, then
    check that a valid report is still accepted."""

    def __init__(self, st, run):
        self.st, self.run, self.size = st, run, 0

    def case(self, name, fn, status, *needles, rows=0):
        st = self.st

        def go():
            before = st.count()
            r = fn()
            got = r if isinstance(r, int) else r.status
            ok = got in status if isinstance(status, tuple) else got == status
            assert ok, "expected %s, got %s: %s" % (
                status, got, "" if isinstance(r, int) else r.text[:300])
            if not isinstance(r, int):
                assert r.header("Location") is None
                assert receipt_of(r) is None or rows or got == 200
                for n in needles:
                    assert n in r.text, "page lacks %r" % n
                for k, _ in r.headers:
                    assert k.lower() not in ("x-injected", "set-cookie"), r.headers
            assert st.count() == before + rows, "row count changed"
            valid_report_goes_through(st)
        self.size += 1
        self.run.run("hostile_" + name, go)


def raw_conn(st, src="127.0.0.1", dst="127.0.0.1", timeout=10):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((dst, st.port))
    return s


def read_all(s, limit_s=10):
    out = b""
    end = time.monotonic() + limit_s
    try:
        while time.monotonic() < end:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def raw_one(st, data, timeout=10):
    s = raw_conn(st, timeout=timeout)
    try:
        try:
            s.sendall(data)
        except OSError:
            pass
        out = read_all(s, timeout)
    finally:
        s.close()
    codes = raw_status(out)
    return codes[0] if codes else 0


def big_body(st, size, chunked=False):
    """A body of `size` bytes: nginx answers 413 from the header (or,
    chunked, once the limit is passed) without waiting for the rest."""
    s = raw_conn(st, timeout=10)
    try:
        if chunked:
            s.sendall(b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() +
                      b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            piece = b"x" * 65536
            sent = 0
            try:
                while sent < size:
                    s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                    sent += len(piece)
                s.sendall(b"0\r\n\r\n")
            except OSError:
                pass
        else:
            s.sendall(b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() +
                      b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % size)
            try:
                s.sendall(b"description=" + b"x" * (size - 12))
            except OSError:
                pass
        out = read_all(s, 10)
    finally:
        s.close()
    codes = raw_status(out)
    return codes[0] if codes else 0


def evil(field):
    return ("<script>alert('%s')</script>\"'><img src=x onerror=alert(1)>"
            "<a href=\"javascript:x\">&amp;</a>" % field)


def add_catalogue(st, run):
    c = Catalogue(st, run)
    tok = st.mint
    ok_body = lambda extra: "token=%s&description=ok&%s" % (tok(), extra)  # noqa: E731

    # percent-encoding
    for name, body in [("pct_bad_hex", "description=%zz"),
                       ("pct_truncated_end", "description=abc%4"),
                       ("pct_lone_percent", "description=%"),
                       ("pct_bad_in_name", "%zzdescription=x"),
                       ("pct_plus_and_bad_mixed", "description=a+b%G1")]:
        c.case(name, lambda b=body: post(st, "token=%s&%s" % (tok(), b)), 400)

    # invalid and overlong UTF-8, in a line and a text field
    for name, enc in [("utf8_ff_fe", "%FF%FE"), ("utf8_overlong_slash", "%C0%AF"),
                      ("utf8_overlong_nul", "%C0%80"), ("utf8_overlong_3byte", "%E0%80%AF"),
                      ("utf8_surrogate", "%ED%A0%80"), ("utf8_above_10ffff", "%F4%90%80%80"),
                      ("utf8_truncated", "%E2%82"), ("utf8_lone_continuation", "%80"),
                      ("utf8_five_bytes", "%F8%88%80%80%80")]:
        c.case(name + "_line", lambda e=enc: post(st, ok_body("municipality=a" + e)),
               400, "Your report has not been sent yet")
        c.case(name + "_text", lambda e=enc: post(
            st, "token=%s&description=a%s" % (tok(), e)), 400)
    c.case("utf8_invalid_in_name",
           lambda: post(st, ok_body("municipality%FF=x")), 400)

    # NUL and other control characters
    c.case("nul_encoded_in_text", lambda: post(st, "token=%s&description=a%%00b" % tok()), 400)
    c.case("nul_encoded_in_line", lambda: post(st, ok_body("address=a%00b")), 400)
    c.case("nul_raw_in_body",
           lambda: post(st, ("token=%s&description=a" % tok()).encode() + b"\x00b"), 400)
    c.case("nul_in_name", lambda: post(st, ok_body("descr%00iption=x")), 400)
    c.case("escape_char_in_text", lambda: post(st, "token=%s&description=a%%1Bb" % tok()), 400)
    c.case("del_in_line", lambda: post(st, ok_body("when=a%7Fb")), 400)
    c.case("c1_control_in_line", lambda: post(st, ok_body("when=a%C2%85b")), 400)

    # sizes
    c.case("body_10mb_413_from_nginx", lambda: big_body(st, 10 * 1024 * 1024), 413)
    # /submit wants a Content-Length (issue 14: uploads are counted by it)
    c.case("body_10mb_chunked_411", lambda: big_body(st, 10 * 1024 * 1024, True), 411)
    c.case("body_just_over_limit_413", lambda: big_body(st, 256 * 1024 + 1), 413)

    def longer_than_length():
        # only Content-Length bytes are the body: the token after them
        # is not part of this form (and is a bad next request)
        first = b"description=short"
        extra = ("&token=%s" % tok()).encode()
        return raw_one(st, b"POST /submit HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\n"
                       b"Content-Type: " + FORM.encode() + b"\r\nContent-Length: %d\r\n"
                       b"\r\n" % len(first) + first + extra)
    c.case("body_longer_than_content_length", longer_than_length, 400)

    def shorter_than_length():
        s = raw_conn(st, timeout=10)
        try:
            s.sendall(b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() +
                      b"\r\nContent-Length: 500\r\n\r\ntoken=" + tok().encode() +
                      b"&description=short")
            s.shutdown(socket.SHUT_WR)      # the client gives up
            out = read_all(s, 10)
        finally:
            s.close()
        codes = raw_status(out)
        return codes[0] if codes else 0     # nginx just closes (or 400)
    c.case("body_shorter_than_content_length", shorter_than_length, (0, 400))
    c.case("content_length_not_a_number", lambda: raw_one(
        st, b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nx"), 400)
    c.case("content_length_negative", lambda: raw_one(
        st, b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nx"), 400)
    c.case("content_length_and_chunked", lambda: raw_one(
        st, b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400)
    c.case("two_content_lengths", lambda: raw_one(
        st, b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Content-Length: 7\r\n\r\nabcdefg"), 400)

    # Content-Type
    form_ok = lambda: "token=%s&description=x" % tok()  # noqa: E731
    c.case("content_type_missing", lambda: post(st, form_ok(), ctype=None), 415)
    c.case("content_type_text_plain", lambda: post(st, form_ok(), ctype="text/plain"), 415)
    # multipart is read (issue 14); an urlencoded body under its name is not
    c.case("content_type_multipart_with_urlencoded_body",
           lambda: post(st, form_ok(), ctype="multipart/form-data; boundary=x"), 400)
    c.case("content_type_json",
           lambda: post(st, '{"description":"x"}', ctype="application/json"), 415)
    c.case("content_type_lookalike",
           lambda: post(st, form_ok(), ctype=FORM + "x"), 415)

    # field counts, names, sizes
    c.case("ten_thousand_tiny_fields",
           lambda: post(st, "token=%s&description=x&" % tok() +
                        "&".join("f%d=1" % i for i in range(10000))), 400)
    c.case("same_field_1000_times",
           lambda: post(st, "token=%s&" % tok() + "&".join(["description=a"] * 1000)), 400)
    c.case("token_twice", lambda: post(st, "token=%s&token=%s&description=x" % (tok(), tok())),
           400)
    c.case("unknown_field", lambda: post(st, ok_body("colour=red")), 400, "did not expect")
    c.case("field_name_10k", lambda: post(st, ok_body("n" * 10000 + "=x")), 400)
    c.case("empty_field_names", lambda: post(st, ok_body("=x&&&=")), 400)
    c.case("oversized_description", lambda: post(
        st, {"token": tok(), "description": "x" * 10001}), 400, "too long")
    c.case("oversized_line_field", lambda: post(
        st, {"token": tok(), "description": "x", "municipality": "m" * 201}), 400, "too long")
    c.case("oversized_value_200k", lambda: post(
        st, {"token": tok(), "description": "y" * 200000}), 400)
    c.case("description_missing", lambda: post(st, {"token": tok(), "type": "labour"}), 400,
           "Please describe")
    c.case("description_only_spaces", lambda: post(
        st, {"token": tok(), "description": " \t\n "}), 400, "Please describe")

    # enumerated values out of their lists
    for field, bad in [("type", "XX"), ("canton", "zh"), ("ongoing", "maybe"),
                       ("minors", " yes"), ("source", "saw "), ("contact_ok", "1")]:
        c.case("enum_out_of_list_" + field, lambda f=field, b=bad: post(
            st, {"token": tok(), "description": "x", f: b}), 400, "choose one of the options")

    # script and HTML in every field: the form comes back with it escaped
    for field in LINE_FIELDS + TEXT_FIELDS + CHOICE_FIELDS:
        def script_case(f=field):
            fields = {"token": tok(), "description": "x", f: evil(f)}
            if f != "canton":
                fields["canton"] = "nope"       # an error, so the form comes back
            r = post(st, fields)
            assert "<script>" not in r.text and "<img src=x" not in r.text
            assert 'href="javascript:' not in r.text
            if f not in CHOICE_FIELDS:          # a choice is not echoed
                assert "&lt;script&gt;alert(" in r.text, r.text[:2000]
            return r
        c.case("script_and_html_escaped_in_" + field, script_case, 400)

    # CR/LF: refused in line fields; never a response header
    c.case("crlf_in_line_field", lambda: post(
        st, {"token": tok(), "description": "x",
             "municipality": "a\r\nSet-Cookie: x=1\r\nX-Injected: 1"}), 400)
    c.case("crlf_in_lang_field", lambda: post(
        st, {"token": tok(), "description": "x", "canton": "nope",
             "lang": "en\r\nX-Injected: 1"}), 400)
    c.case("crlf_in_query_lang", lambda: st.request(
        "GET", "/?lang=en%0d%0aX-Injected:%201", headers=EN), 200)
    c.case("crlf_in_a_query", lambda: st.request(
        "GET", "/privacy?ref=TL-AAAA-AAAA%0d%0aX-Injected:%201", headers=EN), 200)
    c.case("crlf_raw_in_query", lambda: raw_one(
        st, b"GET /?lang=en\rX-Injected: 1 HTTP/1.1\r\nHost: x\r\n\r\n"), 400)

    # long URL, query, headers
    c.case("url_path_20k_414", lambda: raw_one(
        st, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"), 414)
    c.case("query_string_20k_414", lambda: raw_one(
        st, b"GET /?q=" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"), 414)
    c.case("query_string_6k_ignored", lambda: st.request(
        "GET", "/?lang=en&q=" + "a" * 6000, headers=EN), 200)
    c.case("query_on_submit_ignored", lambda: post(
        st, "token=x&description=y", path="/submit?description=z&token=" + tok()), 400)
    c.case("header_40k_400", lambda: raw_one(
        st, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n"), (400, 431, 494))

    # path traversal: never a file outside html/static
    for name, path in [("dotdot", b"/../../etc/passwd"),
                       ("static_dotdot", b"/static/../../../../etc/passwd"),
                       ("static_encoded_slash", b"/static/..%2f..%2f..%2f..%2fetc/passwd"),
                       ("static_encoded_dots", b"/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
                       ("static_nul", b"/static/style.css%00.html"),
                       ("templates_not_served", b"/static/../form.html"),
                       ("backslash", b"/static/..\\..\\..\\etc\\passwd")]:
        def trav(p=path):
            out = b""
            s = raw_conn(st)
            try:
                s.sendall(b"GET " + p + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                out = read_all(s)
            finally:
                s.close()
            assert b"root:" not in out and b"{{" not in out, out[:300]
            codes = raw_status(out)
            return codes[0] if codes else 0
        c.case("path_traversal_" + name, trav, (400, 404))

    # methods
    for m in ("PUT", "DELETE", "TRACE", "OPTIONS", "PATCH", "PROPFIND"):
        c.case("method_" + m, lambda m=m: st.request(m, "/submit", "description=x",
                                                     {"Content-Type": FORM}), 405)
    c.case("method_CONNECT", lambda: raw_one(
        st, b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n"), (400, 405))
    c.case("get_submit_405_allow_post", lambda: st.request("GET", "/submit", headers=EN), 405)
    c.case("post_to_form_page_405", lambda: post(st, form_ok(), path="/"), 405)

    # HTTP versions and connection abuse
    c.case("http10_post_bad_form", lambda: raw_one(
        st, b"POST /submit HTTP/1.0\r\nContent-Type: " + FORM.encode() +
        b"\r\nContent-Length: 13\r\n\r\ndescription=x"), 400)
    c.case("http11_without_host", lambda: raw_one(st, b"GET / HTTP/1.1\r\n\r\n"), 400)
    c.case("two_host_headers", lambda: raw_one(
        st, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400)
    c.case("http_version_2_in_text", lambda: raw_one(
        st, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"), (400, 505))
    c.case("garbage_request_line", lambda: raw_one(st, b"\x16\x03\x01\x00\xa5\x01\x00\r\n\r\n"),
           400)

    def pipelined_bad_posts():
        one = (b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() +
               b"\r\nContent-Length: 13\r\n\r\ndescription=x")
        s = raw_conn(st, timeout=30)
        try:
            s.sendall(one * 100 + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            out = read_all(s, 30)
        finally:
            s.close()
        codes = raw_status(out)
        assert codes == [400] * 100 + [200], codes[:5] + [len(codes)]
        return 400
    c.case("keepalive_100_pipelined_bad_posts", pipelined_bad_posts, 400)

    def idle_connections():
        socks = []
        try:
            for _ in range(60):
                socks.append(raw_conn(st))
            for s in socks[:30]:            # half send a partial header
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            valid_report_goes_through(st)   # not held up by them
        finally:
            for s in socks:
                s.close()
        return 200
    c.case("sixty_idle_and_half_open_connections", idle_connections, 200, rows=1)

    def slow_body():
        s = raw_conn(st, timeout=15)
        try:
            s.sendall(b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() +
                      b"\r\nContent-Length: 1000\r\n\r\ntoken=" + tok().encode() + b"&descr")
            t0 = time.monotonic()
            valid_report_goes_through(st)   # the worker is not held
            out = read_all(s, 15)           # nginx gives up after 2 s
            waited = time.monotonic() - t0
        finally:
            s.close()
        assert waited < 12, waited
        codes = raw_status(out)
        return codes[0] if codes else 408
    c.case("slow_body_times_out_worker_not_held", slow_body, 408, rows=1)

    # tokens, checked by the real server
    c.case("token_missing", lambda: post(st, {"description": "x"}), 400, "could not be verified")
    c.case("token_forged_wrong_key", lambda: post(
        st, {"token": st.mint(key=os.urandom(32)), "description": "x"}), 400,
        "could not be verified")

    def flipped():
        t = st.mint()
        return post(st, {"token": t[:10] + ("A" if t[10] != "A" else "B") + t[11:],
                         "description": "x"})
    c.case("token_forged_one_char_changed", flipped, 400, "could not be verified")
    c.case("token_malformed_short", lambda: post(
        st, {"token": st.mint()[:-1], "description": "x"}), 400)
    c.case("token_malformed_not_base64", lambda: post(
        st, {"token": "!" * 76, "description": "x"}), 400)
    c.case("token_wrong_version", lambda: post(
        st, {"token": st.mint(version=2), "description": "x"}), 400)
    c.case("token_expired", lambda: post(
        st, {"token": st.mint(age=120), "description": "x"}), 400)
    c.case("token_from_the_future", lambda: post(
        st, {"token": st.mint(age=-300), "description": "x"}), 400)
    c.case("token_too_fresh", lambda: post(
        st, {"token": st.mint(age=0), "description": "bot speed"}), 400, "very quickly")
    c.case("token_from_served_form_too_fresh", lambda: post(
        st, {"token": st.token(), "description": "bot speed"}), 400, "very quickly")

    def reused():
        t = st.mint()
        before = st.count()
        first = post(st, {"token": t, "description": "first"})
        a = ref_of(st, first)
        r = post(st, {"token": t, "description": "second, other text"})
        assert ref_of(st, r) == a and receipt_of(r) == receipt_of(first)
        assert st.count() == before + 1
        return r
    c.case("token_reused_shows_the_first_receipt", reused, 200, rows=1)

    def honeypot():
        r = post(st, {"token": tok(), "description": "spam", "website": "http://spam"})
        assert receipt_of(r) and ref_by_receipt(st.db, receipt_of(r)) is None
        return r
    c.case("honeypot_filled_looks_received_no_row", honeypot, 200)
    return c.size


def rss_kib(pids):
    out = {}
    for p in pids:
        with open("/proc/%d/status" % p) as f:
            m = re.search(r"VmRSS:\s+(\d+) kB", f.read())
        out[p] = int(m.group(1))
    return out


def flood(st, n, threads=4, limit_s=120):
    """n bot posts without a valid token from `threads` keep-alive
    connections; returns the statuses seen."""
    seen = {}
    lock = threading.Lock()
    end = time.monotonic() + limit_s
    bodies = ["description=buy+now", "token=%s&description=spam" % ("A" * 76),
              "token=%s&description=forged" % st.mint(key=os.urandom(32)),
              "token=%s&description=future" % st.mint(age=-3600),
              "token=%s&description=old" % st.mint(age=3600), "website=x&description=y"]

    def worker(k):
        c = http.client.HTTPConnection("127.0.0.1", st.port, timeout=30)
        i = k
        while i < n and time.monotonic() < end:
            try:
                c.request("POST", "/submit", bodies[i % len(bodies)], {"Content-Type": FORM})
                r = c.getresponse()
                r.read()
                s = r.status
            except (OSError, http.client.HTTPException):
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", st.port, timeout=30)
                s = 0
            with lock:
                seen[s] = seen.get(s, 0) + 1
            i += threads
        c.close()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(limit_s + 30)
    return seen


def t_flood(st):
    before = st.count()
    pids = st.workers()
    assert pids
    flood(st, 1000)                     # warm-up: caches, allocator arenas
    start = rss_kib(pids)
    t0 = time.monotonic()
    seen = flood(st, 5000)
    took = time.monotonic() - t0
    end = rss_kib(pids)
    print("# flood: %s in %.1f s; worker VmRSS KiB before %s after %s"
          % (seen, took, start, end), flush=True)
    assert sum(seen.values()) == 5000, seen
    # every bot told no (400), or stopped by nginx's rate limit (429,
    # 2000/s with a burst of 2000 in nginx/tipline-local.conf.in), but
    # the honeypot bot, which is shown the ordinary "received" page
    # so that it does not learn it was caught (200)
    assert set(seen) <= {400, 200, 429}, seen
    assert seen.get(200, 0) <= 5000 // 6 + 1, seen
    reached = seen.get(400, 0) + seen.get(200, 0)
    assert reached >= 3000, seen        # most reached the workers
    assert st.count() == before
    assert sorted(st.workers()) == sorted(pids), "a worker died"
    for p in pids:
        assert end[p] - start[p] < 1024, (p, start[p], end[p])
    valid_report_goes_through(st)


MARK = "Zq8HostileMarkerX"
PRIV_HEADERS = {
    "User-Agent": "Mozilla/5.0 UA-" + MARK,
    "Accept": "text/html,ACC-" + MARK,
    "Accept-Language": "xx-" + MARK,
    "Accept-Encoding": "gzip, AE-" + MARK,
    "Cookie": "s=CK-" + MARK,
    "Referer": "http://ref-" + MARK + ".example/",
    "Origin": "http://origin-" + MARK + ".example",
    "DNT": "1-" + MARK,
    "Sec-Fetch-Site": "SFS-" + MARK, "Sec-Fetch-Mode": "SFM-" + MARK,
    "Sec-Fetch-Dest": "SFD-" + MARK, "Sec-Fetch-User": "?1-" + MARK,
    "Sec-CH-UA": '"CHUA-' + MARK + '";v="1"', "Sec-CH-UA-Mobile": "?0-" + MARK,
    "Sec-CH-UA-Platform": '"CHP-' + MARK + '"',
    "Upgrade-Insecure-Requests": "1-" + MARK,
    "X-Forwarded-For": "203.0.113.91, XFF-" + MARK,
    "Forwarded": "for=198.51.100.23;by=FW-" + MARK,
    "Via": "1.1 VIA-" + MARK,
    "Authorization": "Basic " + base64.b64encode(("AU-" + MARK).encode()).decode(),
}


def http_from(st, method, path, body=None, headers=None, src="127.0.0.2"):
    """One request from src to 127.0.0.2, so nginx's $remote_addr is src."""
    c = http.client.HTTPConnection("127.0.0.2", st.port, timeout=30,
                                   source_address=(src, 0))
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.getheader("Location"), r.read()
    finally:
        c.close()


def t_privacy(st):
    h = dict(PRIV_HEADERS)
    q = "?lang=xx&q=Q-" + MARK
    assert http_from(st, "GET", "/" + q, headers=h)[0] == 200
    # nginx refuses a POST from another site's page (Origin): here the
    # Origin is the site's own, with the marker in it and in the Host
    hp = dict(h, **{"Content-Type": FORM, "Host": "host-%s.example" % MARK,
                    "Origin": "http://host-%s.example" % MARK})
    status, loc, body = http_from(st, "POST", "/submit" + q, urllib.parse.urlencode(
        {"token": st.mint(), "description": "privacy, hostile FIELD-" + MARK,
         "municipality": "MUNI-" + MARK}), hp)
    assert status == 200 and loc is None, (status, loc)
    ref = ref_by_receipt(st.db, RECEIPT_RE.search(body.decode()).group(1))
    assert http_from(st, "GET", "/privacy" + q, headers=h)[0] == 200
    assert http_from(st, "GET", "/nope" + q, headers=h)[0] == 404
    # field content of a refused form: logged nowhere either
    assert http_from(st, "POST", "/submit" + q, "description=BAD-%s&canton=bad%%FF" % MARK,
                     hp)[0] == 400
    assert http_from(st, "PUT", "/submit" + q, "x", h)[0] == 405
    # errors nginx itself handles, which it logs with the client's
    # address at "error" level (our config logs only "alert" and above)
    assert http_from(st, "POST", "/submit" + q, "x" * 300000, hp)[0] == 413
    s = raw_conn(st, src="127.0.0.2", dst="127.0.0.2")
    s.sendall(b"POST /submit?q=Q-" + MARK.encode() + b" HTTP/1.1\r\nHost: x\r\n"
              b"User-Agent: " + MARK.encode() + b"\r\nContent-Length: 50\r\n\r\nabc")
    read_all(s, 10)                     # client_body_timeout (2 s)
    s.close()
    assert st.query("SELECT count(*) FROM reports WHERE ref = ?", ref)[0][0] == 1
    # the WAL is still there (not checkpointed away) when we look
    assert os.path.exists(st.db + "-wal")
    needles = [MARK.encode(), b"127.0.0.2", b"203.0.113.91", b"198.51.100.23"]
    # our own nginx.conf names 127.0.0.2
    found = st.files_containing(needles, skip=(os.path.join(st.dir, "nginx.conf"),))
    assert not found, found
    # the report holds the field markers, encrypted: the key opens them
    assert "FIELD-" + MARK in st.cli_ok("show", ref)
    days = st.query("SELECT day FROM reports")
    assert days and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for (d,) in days), days[:5]
    cols = [r[1] for r in st.query("PRAGMA table_info(reports)")]
    assert cols == ["id", "ref", "day", "status", "envelope"], cols


def t_server_cannot_decrypt(st):
    """Every 32-byte window of every file the server reads, and of its
    environment, tried as the secretariat's secret key on the stanza of a
    real envelope (v2: X25519 with the epoch key, the wrap key, the
    unwrap; docs/FORMATS.md section 3), and as the epoch's shared secret
    itself: none opens it. (Start-up refusing a secret key as a
    recipient: test_intake.py startup_errors_name_the_file_and_line.)"""
    ref = ref_of(st, post(st, {"token": st.mint(), "description": "the server cannot read this"}))
    env = st.query("SELECT envelope FROM reports WHERE ref = ?", ref)[0][0]
    assert env[:5] == b"TLEV\x02" and env[5] == 1
    epk, wrapped, nonce = env[6:38], env[38 + 8:38 + 56], env[94:118]
    with open(st.pub) as f:
        line = [x for x in f.read().splitlines() if x.startswith("TLPK1 ")][0]
    pk = base64.b64decode(line.split()[2])

    def opens_with_shared(shared):
        wk = nacl.hash.blake2b(b"TLEV\x02" + epk + pk + ref.encode(),
                               digest_size=32, key=shared,
                               encoder=nacl.encoding.RawEncoder)
        try:
            nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                wrapped, None, nonce, wk)
            return True
        except Exception:
            return False

    def opens(cand):
        try:
            shared = nacl.bindings.crypto_scalarmult(cand, epk)
        except Exception:
            shared = None
        return (shared is not None and opens_with_shared(shared)) or \
            opens_with_shared(cand)
    blobs = {}
    with open(st.conf, "rb") as f:
        conf = f.read()
    blobs["config"] = conf
    paths = [st.pub, os.path.join(st.dir, "server.secret"), st.db, st.db + "-wal",
             st.db + "-shm"]
    for p in paths:
        if os.path.exists(p):
            with open(p, "rb") as f:
                blobs[p] = f.read()
    for pid in [st.fcgi.pid] + st.children():
        with open("/proc/%d/environ" % pid, "rb") as f:
            blobs["environ of %d" % pid] = f.read()
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            blobs["cmdline of %d" % pid] = f.read()
    assert len(blobs[os.path.join(st.dir, "server.secret")]) == 32
    tried = 0
    for name, data in blobs.items():
        assert len(data) < 2 * 1024 * 1024, (name, len(data))     # bounded
        for i in range(0, max(0, len(data) - 31)):
            tried += 1
            if opens(data[i:i + 32]):
                raise AssertionError("%s at offset %d opens the envelope"
                                     % (name, i))
    print("# tried %d candidate keys from %d sources" % (tried, len(blobs)), flush=True)
    assert tried > 1000
    # the method works: the real secret key opens it this way
    sk = open_envelope.unlock_secret_key(
        st.key, open_envelope.read_passphrase(st.passfile))[1]
    assert opens(sk), "the test's own opening does not work"
    # the sanity check that the method works: the real key does open it
    out = st.cli_ok("show", ref)
    assert "the server cannot read this" in out


CSP = ["default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'",
       "frame-ancestors 'none'", "base-uri 'none'"]


def check_security_headers(r, what, dynamic=True):
    csp = r.header("Content-Security-Policy") or ""
    parts = [p.strip() for p in csp.split(";")]
    for want in CSP:
        assert want in parts, (what, csp)
    assert r.header("X-Content-Type-Options") == "nosniff", what
    assert r.header("Referrer-Policy") == "no-referrer", what
    assert r.header("Cross-Origin-Opener-Policy") == "same-origin", what
    assert r.header("Cross-Origin-Resource-Policy") == "same-origin", what
    if dynamic:
        assert r.header("Cache-Control") == "no-store", what
    server = r.header("Server")
    assert server in (None, "nginx"), (what, server)


def t_security_headers(st):
    received = post(st, {"token": st.mint(), "description": "headers"})
    ref_of(st, received)
    pages = [("form", st.request("GET", "/", headers=EN), 200),
             ("400", post(st, {"description": "x"}), 400),
             ("404", st.request("GET", "/nope", headers=EN), 404),
             ("405", st.request("GET", "/submit", headers=EN), 405),
             ("received", received, 200),
             ("privacy", st.request("GET", "/privacy", headers=EN), 200),
             ("415", post(st, "description=x", ctype="text/plain"), 415)]
    db = sqlite3.connect(st.db, timeout=1, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        pages.append(("503", post(st, {"token": st.mint(), "description": "locked"}), 503))
    finally:
        db.execute("ROLLBACK")
        db.close()
    for what, r, status in pages:
        assert r.status == status, (what, r.status)
        check_security_headers(r, what)
    css = st.request("GET", "/static/style.css")
    assert css.status == 200
    check_security_headers(css, "static css", dynamic=False)
    miss = st.request("GET", "/static/nothing.css")
    assert miss.status == 404
    check_security_headers(miss, "static 404", dynamic=False)
    # nginx's own answers carry no version either
    for r in (st.request("DELETE", "/"), post(st, "x" * 300000)):
        assert r.header("Server") in (None, "nginx"), r.headers


def t_rate_limit_configured(st):
    """The limits are in the config the tests run (values far above what
    the tests send; the production values are in nginx/tipline.conf)."""
    with open(os.path.join(st.dir, "nginx.conf")) as f:
        conf = f.read()
    assert re.search(r"limit_req_zone \$tipline_post_addr zone=tipline_submit", conf)
    assert re.search(r"location = /submit \{[^}]*limit_req zone=tipline_submit", conf)
    assert "limit_conn tipline_conn" in conf
    assert re.search(r"error_log \S+ alert;", conf)


def t_rate_limit_429(st):
    """The same limit_req, lowered (1 a minute, a burst of 2) and
    reloaded into the running nginx: the fourth quick post from one
    address gets 429 from nginx and stores nothing; GETs are not
    limited; another address has its own count."""
    path = os.path.join(st.dir, "nginx.conf")
    with open(path) as f:
        conf = f.read()
    low = (conf.replace("rate=2000r/s", "rate=1r/m")
           .replace("limit_req zone=tipline_submit burst=2000",
                    "limit_req zone=tipline_submit burst=2"))
    assert low != conf
    with open(path, "w") as f:
        f.write(low)
    old_workers = set(nginx_workers(st))
    os.kill(st.nginx.pid, signal.SIGHUP)
    wait_for(lambda: not (set(nginx_workers(st)) & old_workers)
             and nginx_workers(st), timeout=20, what="nginx reload")
    before = st.count()
    # fresh addresses: 127.0.0.1 and .2 have used up their burst earlier
    hp = {"Content-Type": FORM}
    body = urllib.parse.urlencode({"token": st.mint(age=-3600), "description": "x"})
    codes = [http_from(st, "POST", "/submit", body, hp, src="127.0.0.3")[0]
             for _ in range(6)]
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429, 429], codes
    assert http_from(st, "GET", "/", src="127.0.0.3")[0] == 200
    other = http_from(st, "POST", "/submit", body, hp, src="127.0.0.4")
    assert other[0] == 400, other[0]
    assert st.count() == before


def nginx_workers(st):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == st.nginx.pid:
                kids.append(int(d))
    return kids


def t_no_sanitizer_reports(st):
    st.assert_no_sanitizer_reports()


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    # Under ASan, freed memory waits in a quarantine (256 MB by default)
    # before reuse, so a worker's RSS grows for thousands of requests
    # whatever the program does. A small quarantine, filled by the
    # flood's warm-up, lets the flood test see the program's own memory;
    # use-after-free is still caught for the most recent frees.
    asan = os.environ.get("ASAN_OPTIONS", "")
    os.environ["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "quarantine_size_mb=8"
    st = HostileStack(build)
    t0 = time.monotonic()
    try:
        run.run("server_cannot_decrypt_with_anything_it_can_read",
                t_server_cannot_decrypt, st)
        size = add_catalogue(st, run)
        print("# hostile catalogue: %d cases in %.1f s" % (size, time.monotonic() - t0),
              flush=True)

        def enough():
            assert size >= 60, size
        run.run("hostile_catalogue_has_at_least_60_cases", enough)
        run.run("security_headers_on_every_response", t_security_headers, st)
        run.run("limits_and_alert_log_level_in_the_nginx_config",
                t_rate_limit_configured, st)
        run.run("flood_of_5000_bot_posts_stores_nothing_memory_flat", t_flood, st)
        run.run("privacy_markers_and_client_address_appear_in_no_file", t_privacy, st)
        run.run("post_rate_limit_429_per_address_stores_nothing", t_rate_limit_429, st)
        run.run("no_sanitizer_reports_in_logs", t_no_sanitizer_reports, st)
    finally:
        st.stop()
        st.cleanup(keep=run.failed > 0)
    print("# total %.1f s" % (time.monotonic() - t0), flush=True)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
