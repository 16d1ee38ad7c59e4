"""nginx's fences in front of the program (issue 11, items 2, 8): the
rate and connection limits count an IPv6 client per /64 and an IPv4
client per address; the form page, which issues a token with each GET,
has its own rate limit; a POST sent from another site's page is refused
with 403; every method nginx refuses gets 405 with an Allow header.

The stack's nginx is our nginx/tipline-local.conf.in with these changes
made here: it also listens on [::1] and on ::ffff:127.0.0.1 (an
IPv4-mapped socket, on a second port), the POST limit is 1 a minute
with a burst of 2, the connection limit is 2, and the form page's limit
has the production values read from nginx/tipline.conf. Addresses in
2001:db8::/32 (documentation) are added to lo for the IPv6 cases and
removed at the end; clients bind to them and connect to ::1 only.

usage: /usr/bin/python3 tests/integration/test_nginx_limits.py --build build"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, TOP, free_port  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# Three addresses: A and B in one /64 (they differ in the interface
# half only, B's first half written with "::" differently), C in the
# next /64.
V6_A = "2001:db8:5:1::a"
V6_B = "2001:db8:5:1:ffff:ffff:ffff:b"
V6_C = "2001:db8:5:2::a"
PROD = os.path.join(TOP, "nginx", "tipline.conf")


def production_form_limit():
    with open(PROD) as f:
        conf = f.read()
    rate = re.search(r"limit_req_zone \$tipline_get_addr zone=tipline_form:\S+ "
                     r"rate=(\d+)r/m;", conf)
    burst = re.search(r"location = / \{[^}]*limit_req zone=tipline_form "
                      r"burst=(\d+) nodelay;", conf)
    assert rate and burst, "no form-page limit in nginx/tipline.conf"
    return int(rate.group(1)), int(burst.group(1))


def has_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


class LimitsStack(Stack):
    def __init__(self, build):
        self.v6 = has_ipv6_loopback()
        self.mapped_port = free_port()
        super().__init__(build)

    def write_nginx_conf(self):
        super().write_nginx_conf()
        path = os.path.join(self.dir, "nginx.conf")
        with open(path) as f:
            conf = f.read()
        rate, burst = production_form_limit()
        listen = "listen 127.0.0.1:%d;" % self.port
        extra = ""
        if self.v6:
            extra = ("\n\t\tlisten [::1]:%d;\n\t\tlisten [::ffff:127.0.0.1]:%d ipv6only=off;"
                     % (self.port, self.mapped_port))
        subs = [(listen, listen + extra),
                ("zone=tipline_submit:1m rate=2000r/s", "zone=tipline_submit:1m rate=1r/m"),
                ("limit_req zone=tipline_submit burst=2000", "limit_req zone=tipline_submit burst=2"),
                ("zone=tipline_form:1m rate=50000r/s", "zone=tipline_form:1m rate=%dr/m" % rate),
                ("limit_req zone=tipline_form burst=50000", "limit_req zone=tipline_form burst=%d" % burst),
                ("limit_conn tipline_conn 128;", "limit_conn tipline_conn 2;")]
        for a, b in subs:
            assert conf.count(a) == 1, a
            conf = conf.replace(a, b)
        with open(path, "w") as f:
            f.write(conf)


def request(st, method, path, body=None, headers=None, src=None, dst="127.0.0.1",
            port=None):
    """One request from src (an address on lo) to dst."""
    c = http.client.HTTPConnection(dst, port or st.port, timeout=30,
                                   source_address=(src, 0) if src else None)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        c.close()


def bad_post(st, src, dst="127.0.0.1", port=None):
    """A post with no token: 400 from the program, or 429 from nginx."""
    return request(st, "POST", "/submit", "description=x", FORM, src, dst, port)[0]


class LoAddresses:
    """IPv6 addresses added to lo for the test, removed by remove()."""
    def __init__(self, addrs):
        self.added = []
        for a in addrs:
            p = subprocess.run(["ip", "-6", "addr", "add", a + "/128", "dev", "lo",
                                "nodad"], capture_output=True, timeout=10)
            assert p.returncode == 0, "ip addr add %s: %s" % (a, p.stderr.decode())
            self.added.append(a)

    def remove(self):
        for a in self.added:
            subprocess.run(["ip", "-6", "addr", "del", a + "/128", "dev", "lo"],
                           capture_output=True, timeout=10)
        self.added = []


def t_ipv6_post_limit_per_64(st):
    """Posts from A use up the burst of A's /64: B, another address in
    the same /64, gets 429 at once; C, in the next /64, has its own."""
    codes = [bad_post(st, V6_A, "::1") for _ in range(4)]
    assert codes == [400, 400, 400, 429], codes
    assert bad_post(st, V6_B, "::1") == 429
    assert bad_post(st, V6_C, "::1") == 400


def hold_request(src, dst, port):
    """A connection with a request in progress (its body not yet sent),
    which limit_conn counts, until it is closed. A GET, so that the
    POST limit plays no part."""
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect((dst, port))
    s.sendall(b"GET /privacy HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nd")
    return s


def conn_limit_case(st, first, same, other, dst, port=None):
    """Two requests in progress from first fill the limit of 2 for its
    bucket: a request from same (the same bucket) gets 429, one from
    other (its own bucket) does not."""
    port = port or st.port
    held = []
    try:
        for _ in range(2):
            held.append(hold_request(first, dst, port))
        # the held requests are being read once nginx answers a probe
        # on a third connection; bounded wait for that
        end = time.monotonic() + 10
        status = None
        while time.monotonic() < end:
            status = request(st, "GET", "/privacy", src=same, dst=dst, port=port)[0]
            if status == 429:
                break
            time.sleep(0.05)
        assert status == 429, status
        assert request(st, "GET", "/privacy", src=other, dst=dst, port=port)[0] == 200
    finally:
        for s in held:
            s.close()


def t_ipv6_conn_limit_per_64(st):
    conn_limit_case(st, V6_A, V6_B, V6_C, "::1")


def t_ipv4_limits_per_address(st):
    """IPv4 stays per address: 127.0.0.2 uses up its burst, 127.0.0.1
    still posts; the same for the connection limit."""
    codes = [bad_post(st, "127.0.0.2") for _ in range(4)]
    assert codes == [400, 400, 400, 429], codes
    assert bad_post(st, "127.0.0.1") == 400
    conn_limit_case(st, "127.0.0.3", "127.0.0.3", "127.0.0.4", "127.0.0.1")


def t_ipv4_mapped_per_address(st):
    """On an IPv4-mapped socket (::ffff:a.b.c.d, as with ipv6only=off)
    each IPv4 address keeps its own bucket: their /64 is one for all."""
    codes = [bad_post(st, "127.0.0.5", port=st.mapped_port) for _ in range(4)]
    assert codes == [400, 400, 400, 429], codes
    assert bad_post(st, "127.0.0.6", port=st.mapped_port) == 400


def t_form_page_limit(st):
    """A person's session (the form, its four languages, back, reload:
    well inside the burst) gets every page; a harvester's quick GETs of
    the form get 429 after the production burst, and so no more tokens;
    the other pages and the POST are not counted by it."""
    rate, burst = production_form_limit()
    assert rate >= 10 and burst >= 10, (rate, burst)      # generous for a person
    human = ["/", "/?lang=de", "/?lang=fr", "/?lang=it", "/?lang=en", "/", "/"]
    for path in human:
        status, _, body = request(st, "GET", path, src="127.0.0.7")
        assert status == 200 and b'name="token"' in body, (path, status)
    tokens = 0
    codes = []
    start = time.monotonic()
    for _ in range(3 * burst):
        status, _, body = request(st, "GET", "/", src="127.0.0.8")
        codes.append(status)
        tokens += b'name="token"' in body
    elapsed = time.monotonic() - start
    first = codes.index(429) if 429 in codes else None
    assert first is not None and first >= burst, codes
    # a burst's worth, plus what the rate refilled while the loop ran (a
    # loaded machine's slow loop earns more, never more than the rate)
    assert burst <= tokens <= burst + 2 + int(elapsed * rate / 60), \
        (tokens, elapsed, codes)
    assert request(st, "GET", "/privacy", src="127.0.0.8")[0] == 200
    assert bad_post(st, "127.0.0.8") == 400


def t_cross_site_post_refused(st):
    """A POST whose Sec-Fetch-Site says another site, or whose Origin is
    another site, gets nginx's 403 page that says NOT received; a POST
    from our own form, as browsers send it (Origin: null because of our
    Referrer-Policy, or our own origin; Sec-Fetch-Site same-origin or
    none; or neither header, as curl and old browsers) reaches the
    program. Nothing refused is stored."""
    own = "http://127.0.0.1:%d" % st.port
    passing = [{}, {"Origin": "null"}, {"Origin": own}, {"Origin": own.upper()},
               {"Sec-Fetch-Site": "same-origin", "Origin": "null"},
               {"Sec-Fetch-Site": "same-origin", "Origin": own},
               {"Sec-Fetch-Site": "none"}]
    refused = [{"Origin": "https://evil.example"},
               {"Origin": own + ".evil.example"},
               {"Origin": "http://127.0.0.1:%d" % (st.port + 1)},
               {"Origin": "https://127.0.0.1:%d" % st.port},
               {"Sec-Fetch-Site": "cross-site"},
               {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
               {"Sec-Fetch-Site": "cross-site", "Origin": own},
               {"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost"}]
    before = st.count()
    src = "127.0.0.9"
    for i, h in enumerate(passing + refused):
        hdrs = dict(FORM)
        hdrs.update(h)
        status, headers, body = request(st, "POST", "/submit", "description=x", hdrs,
                                        src="127.0.%d.%d" % (10 + i, 1))
        want = 400 if h in passing else 403
        assert status == want, (h, status, body[:200])
        if want == 403:
            text = body.decode("utf-8")
            assert "NOT received" in text and "another website" in text, text
            assert "NICHT empfangen" in text and "PAS été reçu" in text
            assert "NON è stata ricevuta" in text
            ctype = [v for k, v in headers if k.lower() == "content-type"]
            assert ctype == ["text/plain; charset=utf-8"], ctype
    # the form's own flow, with the headers a browser adds: stored
    toks = [st.token() for _ in range(2)]
    time.sleep(2.2)                 # token_min_age = 2
    for tok, h in zip(toks, ({"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                             {"Origin": own, "Sec-Fetch-Site": "same-origin"})):
        hdrs = dict(FORM)
        hdrs.update(h)
        body = urllib.parse.urlencode({"token": tok, "description": "same-origin post"})
        status, headers, page = request(st, "POST", "/submit", body, hdrs, src=src)
        # the received page is the POST's answer (issue 13)
        assert status == 200 and b'class="receipt"' in page, (h, status)
    assert st.count() == before + 2
    # a GET with a foreign origin is not a post: the program answers
    assert request(st, "GET", "/", headers={"Sec-Fetch-Site": "cross-site"},
                   src=src)[0] == 200


METHODS = ["PUT", "DELETE", "TRACE", "OPTIONS", "PATCH", "PROPFIND"]
ROUTES = [("/", "GET, HEAD"), ("/submit", "POST"),
          ("/privacy", "GET, HEAD"), ("/static/style.css", "GET, HEAD"),
          ("/nope", "GET, HEAD")]


def allow_of(headers):
    return [v for k, v in headers if k.lower() == "allow"]


def t_405_has_allow(st):
    """Every method nginx refuses, on every route: 405 with the route's
    methods in one Allow header (RFC 9110 section 15.5.6); the 405s of
    the program (GET /submit, POST /) and of nginx's static files (POST
    to a file) too; no Allow on other responses."""
    for m in METHODS:
        for path, allow in ROUTES:
            status, headers, body = request(st, m, path, "x", src="127.0.1.1")
            assert status == 405, (m, path, status)
            assert allow_of(headers) == [allow], (m, path, headers)
    for m, path, allow in (("GET", "/submit", "POST"), ("POST", "/", "GET, HEAD"),
                           ("POST", "/static/style.css", "GET, HEAD")):
        status, headers, _ = request(st, m, path, "x", FORM, src="127.0.1.1")
        assert status == 405 and allow_of(headers) == [allow], (m, path, status, headers)
    for path in ("/", "/static/style.css", "/nope"):
        status, headers, _ = request(st, "GET", path, src="127.0.1.1")
        assert status in (200, 404) and allow_of(headers) == [], (path, headers)


MAPS = ["tipline_client", "tipline_post_addr", "tipline_get_addr",
        "tipline_fetch_foreign", "tipline_origin_foreign", "tipline_cross_site_post",
        "tipline_methods", "tipline_allow"]


def map_blocks(text):
    out = {}
    for m in re.finditer(r"^\s*map [^\n{]*\$(\w+) \{\n(.*?)^\s*\}", text, re.M | re.S):
        out[m.group(1)] = re.sub(r"\s+", " ", m.group(0)).strip()
    return out


def t_maps_same_in_production(st):
    """The maps tested here are the production ones, word for word."""
    with open(os.path.join(TOP, "nginx", "tipline-local.conf.in")) as f:
        local = map_blocks(f.read())
    with open(PROD) as f:
        prod = map_blocks(f.read())
    for name in MAPS:
        assert name in local and local.get(name) == prod.get(name), name


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = LimitsStack(build)
    lo = None
    try:
        run.run("maps_same_in_local_and_production", t_maps_same_in_production, st)
        run.run("405_has_allow_for_each_method_and_route", t_405_has_allow, st)
        run.run("cross_site_post_refused_403_own_form_passes",
                t_cross_site_post_refused, st)
        run.run("form_page_limit_stops_harvest_not_a_person", t_form_page_limit, st)
        run.run("ipv4_limits_per_address", t_ipv4_limits_per_address, st)
        if st.v6:
            lo = LoAddresses([V6_A, V6_B, V6_C])
            run.run("ipv6_post_limit_per_64", t_ipv6_post_limit_per_64, st)
            run.run("ipv6_conn_limit_per_64", t_ipv6_conn_limit_per_64, st)
            run.run("ipv4_mapped_limits_per_address", t_ipv4_mapped_per_address, st)
        else:
            print("not ok - ipv6_limits_per_64 (no IPv6 loopback here: the "
                  "per-/64 limit cannot be checked)", flush=True)
        run.run("no_sanitizer_reports", st.assert_no_sanitizer_reports)
    finally:
        if lo is not None:
            lo.remove()
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
