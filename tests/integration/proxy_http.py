"""The proxy, HTTP side, against a stand-in server that echoes what it
gets: headers rewritten as they must be (the hub's session cookie and the
browser's Authorization never reach the student's server), cookies the
server sets kept inside its prefix, chunked answers, a 200 MB upload and
download with hubd's memory flat, the path-trick matrix, cross-user and
cross-origin refusals, and a hung server that does not hold up others."""
import hashlib
import http.client
import json
import os
import shutil
import threading
import time
from hubtest import run, server_row, wait_state, SRC

ECHO = "/usr/local/lib/hubd-test-echo-%d.py" % os.getpid()
MB = 1 << 20


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test(t, hub):
    admin = hub.admin()
    admin.api("POST", "/users", {"usernames": ["pa", "pb"]})
    for n in ("pa", "pb"):
        hub.hubctl("user", "passwd", n, "--password-stdin",
                   input="password of %s\n" % n)
        admin.api("POST", "/users/%s/server" % n)
    for n in ("pa", "pb"):
        wait_state(hub, admin, n, ("running", "failed"))
    t.eq(server_row(hub, "pa")["state"], "running", "pa's echo server runs")
    a = hub.client()
    a.login("pa", "password of pa")
    origin = {"Origin": hub.url}

    r = a.get("/user/pa/headers")
    t.eq(r.status, 200, "GET through the proxy")
    h = r.json()["headers"]
    t.eq(h.get("Authorization"), "token " + server_row(hub, "pa")["token"],
         "the server gets its own token, not the browser's Authorization")
    t.ok("hubd-session" not in h.get("Cookie", ""),
         "the hub's session cookie never reaches the server", h.get("Cookie"))
    t.eq(h.get("X-Forwarded-For"), "127.0.0.1", "X-Forwarded-For is set")
    t.eq(h.get("X-Forwarded-Proto"), "http", "X-Forwarded-Proto is set")
    t.eq(h.get("Host"), "127.0.0.1:%d" % hub.port, "Host is kept")
    a.cookies["jupyter-own"] = "abc"
    r = a.request("GET", "/user/pa/headers?x=a%20b", headers={
        "Authorization": "Bearer someone-elses", "X-Forwarded-For": "6.6.6.6"})
    h = r.json()["headers"]
    t.contains(h.get("Cookie", ""), "jupyter-own=abc", "other cookies pass")
    t.eq(h.get("X-Forwarded-For"), "127.0.0.1", "a forged X-Forwarded-For "
         "is replaced")
    t.eq(r.json()["path"], "/user/pa/headers?x=a%20b",
         "the raw path and query reach the server unchanged")
    del a.cookies["jupyter-own"]

    served = [a.get("/user/pa/conn").json()["served"] for _ in range(5)]
    t.ok(max(served) > 1, "hubd keeps its connection to the server for the "
         "next request", served)

    r = a.get("/user/pa/cookies")
    names = [c.split("=")[0] for c in r.all("Set-Cookie")]
    t.ok("mine" in names and "noprefix" in names,
         "cookies inside the prefix are kept", names)
    t.ok("everywhere" not in names and "hubd-session" not in names and
         "wide" not in names, "cookies for / or the hub's or another domain "
         "are dropped", names)

    r = a.get("/user/pa/chunked")
    t.eq((r.status, r.text.count("piece")), (200, 5), "a chunked answer "
         "arrives whole")

    # 200 MB each way; hubd's memory stays flat.
    before = rss_kib(hub.proc.pid)
    conn = hub.connection(timeout=300)
    conn.putrequest("POST", "/user/pa/upload")
    conn.putheader("Cookie", "hubd-session=" + a.cookies["hubd-session"])
    conn.putheader("Origin", hub.url)
    conn.putheader("Content-Length", str(200 * MB))
    conn.endheaders()
    block = os.urandom(MB)
    digest = hashlib.sha256()
    for _ in range(200):
        conn.send(block)
        digest.update(block)
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    t.eq((resp.status, body.get("length"), body.get("sha256")),
         (200, 200 * MB, digest.hexdigest()), "a 200 MB upload arrives intact")
    conn = hub.connection(timeout=300)
    conn.request("GET", "/user/pa/big?n=%d" % (200 * MB), headers={
        "Cookie": "hubd-session=" + a.cookies["hubd-session"]})
    resp = conn.getresponse()
    total = 0
    while True:
        chunk = resp.read(MB)
        if not chunk:
            break
        total += len(chunk)
    conn.close()
    t.eq(total, 200 * MB, "a 200 MB download arrives whole")
    grown = (rss_kib(hub.proc.pid) - before) / 1024
    t.ok(grown < 50, "hubd grew %.1f MB over both (under 50)" % grown)

    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p)
                      for p in (b"x" * 600, b"y" * 400)) + b"0\r\n\r\n"
    r = a.request("POST", "/user/pa/upload", body=framed,
                  headers={"Transfer-Encoding": "chunked", "Origin": hub.url})
    t.eq((r.status, r.json().get("length")), (200, 1000),
         "a chunked request body is relayed")
    r = a.request("POST", "/user/pa/upload", body="x")
    t.eq(r.status, 403, "a POST without Origin is refused (cookie auth)")
    r = a.request("POST", "/user/pa/upload", body="x",
                  headers={"Origin": "http://evil.example"})
    t.eq(r.status, 403, "a POST from a foreign origin is refused")
    tok = hub.token("pa")
    r = a.request("POST", "/user/pa/upload", body="xy", cookies=False,
                  headers={"Authorization": "token " + tok})
    t.eq((r.status, r.json().get("length")), (200, 2),
         "with a hub API token no Origin is needed")

    matrix = [
        ("/user/pa/../pb/headers", 400), ("/user/pa/%2e%2e/pb/headers", 400),
        ("/user/pa/%2E%2E/headers", 400), ("/user/pa%2Fheaders", 400),
        ("/user/pa//headers", 400), ("/user/pa/./headers", 400),
        ("/user/Pa/headers", 400), ("/user/pa\\headers", 400),
        ("/user/pb/headers", 403), ("/user/nobody/headers", 403),
        ("/user//headers", 404), ("/user/pa/%00", 400),
    ]
    for path, want in matrix:
        t.eq(a.get(path).status, want, "%s: %d" % (path, want))
    b = hub.client()
    b.login("pb", "password of pb")
    t.eq(b.get("/user/pa/headers").status, 403, "pb cannot read pa's pages")
    t.eq(b.get("/user/pa/api/status").status, 403, "nor pa's API")
    t.eq(hub.client().get("/user/pa/headers").status, 302,
         "no login: to the login page")
    r = admin.get("/user/pa/headers")
    t.eq(r.status, 200, "an admin may look")
    t.contains(r.header("Content-Security-Policy"), "sandbox",
               "but the owner's pages are sandboxed for the admin")

    # A hung server does not hold up the others.
    slow = []

    def hang():
        try:
            c = hub.connection(timeout=5)
            c.request("GET", "/user/pb/hang", headers={
                "Cookie": "hubd-session=" + b.cookies["hubd-session"]})
            c.getresponse()
        except OSError:
            pass
    threads = [threading.Thread(target=hang) for _ in range(5)]
    for th in threads:
        th.start()
    time.sleep(0.5)
    codes = [a.get("/user/pa/headers").status for _ in range(20)]
    t.eq(codes, [200] * 20, "pa is served while pb's server hangs")
    for th in threads:
        th.join(10)


def main():
    shutil.copy(os.path.join(SRC, "tests", "integration", "fixtures",
                             "echo_server.py"), ECHO)
    os.chmod(ECHO, 0o644)
    try:
        run(test, conf="[server]\ncommand = /usr/bin/python3 %s\n" % ECHO)
    finally:
        os.unlink(ECHO)


main()
