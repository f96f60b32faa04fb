"""Per-user origins ([hub] user_domain): a viewer who is not the owner goes
to NAME.user_domain through a single-use ticket and a view cookie; user
hosts serve nothing of the hub's; Origins are checked per host; a tossed
_xsrf cookie does not pass the hub's XSRF check.  Raw Host headers on
loopback, no DNS."""
import os
import re
import shutil
import subprocess
import tempfile
import time
from hubtest import run, wait_state, SRC, HUBD, SPAWNER

ECHO = "/usr/local/lib/hubd-test-echo-o%d.py" % os.getpid()
DOMAIN = "users.test"


def test(t, hub):
    hub_host = "hub.test:%d" % hub.port

    def host_of(name):
        return "%s.%s:%d" % (name, DOMAIN, hub.port)

    def raw(method, path, host, cookies=None, headers=None, body=None):
        """One request with this Host and exactly these cookies."""
        h = {"Host": host}
        h.update(headers or {})
        if cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in cookies)
        c = hub.connection()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), \
                r.getheaders(), r.read().decode("utf-8", "replace")
        except ConnectionError as e:    # closed without an answer
            return 0, {}, [], str(e)
        finally:
            c.close()

    def ticket_for(client, name, path):
        s, h, _, _ = raw("GET", path, hub_host, client.cookies.items(),
                         {"Sec-Fetch-Mode": "navigate"})
        loc = h.get("location", "")
        m = re.match(r"^http://%s\.%s:%d/hub/view\?ticket=([0-9a-f]{64})$" % (
            re.escape(name), re.escape(DOMAIN), hub.port), loc)
        return s, loc, (m.group(1) if m else None)

    def view_cookie(headers):
        for k, v in headers:
            if k.lower() == "set-cookie" and v.startswith("hubd-view="):
                return v
        return None

    admin = hub.admin()
    for code in ("ca", "cb"):
        admin.api("POST", "/courses", {"code": code})
    admin.api("POST", "/users", {"usernames": ["ina", "inb", "sa1", "sa2"]})
    for n in ("ina", "inb", "sa1", "sa2"):
        hub.hubctl("user", "passwd", n, "--password-stdin",
                   input="password of %s\n" % n)
    for n, code, role in (("ina", "ca", "instructor"), ("sa1", "ca", "student"),
                          ("sa2", "ca", "student"), ("inb", "cb", "instructor")):
        admin.api("POST", "/courses/%s/users/%s" % (code, n), {"role": role})
    for n in ("sa1", "sa2"):
        admin.api("POST", "/users/%s/server" % n)
    for n in ("sa1", "sa2"):
        wait_state(hub, admin, n, ("running", "failed"))

    ins = hub.client()
    ins.login("ina", "password of ina")
    s1 = hub.client()
    s1.login("sa1", "password of sa1")

    # The owner keeps the hub's origin.
    s, h, _, body = raw("GET", "/user/sa1/headers", hub_host, s1.cookies.items())
    t.eq(s, 200, "the owner opens their server on the hub's origin")

    # The hub's side of the handshake.
    s, loc, tk = ticket_for(ins, "sa1", "/user/sa1/headers?x=1")
    t.ok(s == 302 and tk is not None,
         "an instructor opening a student's page is sent to the student's "
         "host with a ticket", "%d %s" % (s, loc))
    s, h, _, _ = raw("GET", "/user/sa1/headers", hub_host, ins.cookies.items(),
                     {"Sec-Fetch-Mode": "navigate", "X-Forwarded-Proto": "https"})
    t.ok(s == 302 and h.get("location", "").startswith(
        "https://sa1.%s:%d/hub/view?ticket=" % (DOMAIN, hub.port)),
        "behind a TLS proxy (X-Forwarded-Proto: https) the student's host "
        "is https too", "%d %s" % (s, h.get("location")))
    s, _, _, body = raw("POST", "/user/sa1/upload", hub_host, ins.cookies.items(),
                        {"Origin": "http://" + hub_host,
                         "Content-Type": "text/plain"}, "x")
    t.eq(s, 403, "a viewer's POST to the student's server on the hub's "
         "origin is refused")
    s, _, _, _ = raw("GET", "/user/sa1/api/kernels/k/channels", hub_host,
                     ins.cookies.items(), {
                         "Origin": "http://" + hub_host, "Upgrade": "websocket",
                         "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                         "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    t.eq(s, 403, "and so is a viewer's websocket there")
    inb = hub.client()
    inb.login("inb", "password of inb")
    s, loc, tkb = ticket_for(inb, "sa1", "/user/sa1/headers")
    t.ok(s == 403 and tkb is None, "an instructor of another course gets no "
         "ticket", "%d %s" % (s, loc))

    # The user host's side: a ticket for sa1 is no good on sa2's host
    # (and is spent).
    s, _, hs, body = raw("GET", "/hub/view?ticket=" + tk, host_of("sa2"))
    t.ok(s == 403 and view_cookie(hs) is None,
         "a ticket for sa1 is refused on sa2's host", "%d %s" % (s, body))
    s, _, hs, _ = raw("GET", "/hub/view?ticket=" + tk, host_of("sa1"))
    t.eq(s, 403, "a ticket tried on the wrong host is spent")
    _, _, tk = ticket_for(ins, "sa1", "/user/sa1/headers?x=1")
    s, h, hs, _ = raw("GET", "/hub/view?ticket=" + tk, host_of("sa1"))
    vc = view_cookie(hs) or ""
    t.ok(s == 302 and h.get("location") == "/user/sa1/headers?x=1",
         "a ticket on its host leads to the page asked for",
         "%d %s" % (s, h.get("location")))
    attrs = [a.strip().lower() for a in vc.split(";")[1:]]
    t.ok(vc and "path=/user/sa1/" in attrs and "httponly" in attrs and
         "samesite=lax" in attrs and not any(a.startswith("domain")
                                             for a in attrs),
         "it sets a host-only HttpOnly SameSite=Lax view cookie for "
         "/user/sa1/", vc)
    view = vc.split(";", 1)[0].split("=", 1)[1] if vc else "none"
    s, _, _, _ = raw("GET", "/hub/view?ticket=" + tk, host_of("sa1"))
    t.eq(s, 403, "a ticket works once")
    _, _, tk2 = ticket_for(ins, "sa1", "/user/sa1/headers")

    # The view cookie on its host.
    s, h, _, body = raw("GET", "/user/sa1/headers", host_of("sa1"),
                        [("hubd-view", view)], {"Sec-Fetch-Mode": "navigate"})
    t.eq(s, 200, "the view cookie opens sa1's server on sa1's host")
    t.ok("sandbox" not in h.get("content-security-policy", ""),
         "without the CSP sandbox (an origin of its own)",
         h.get("content-security-policy"))
    t.ok("hubd-view" not in body and "hubd-session" not in body,
         "the view cookie does not reach the student's server", body[:300])
    with hub.db() as db:
        n = db.execute("SELECT count(*) FROM audit_log WHERE action = "
                       "'server.open' AND actor = 'ina' AND target = 'sa1'"
                       ).fetchone()[0]
    t.ok(n >= 1, "the visit is in the audit log")
    s, _, _, _ = raw("GET", "/user/sa1/headers", host_of("sa1"),
                     [("hubd-view", "0" * 64), ("hubd-view", view)])
    t.eq(s, 200, "a planted view cookie next to the real one does not "
         "lock the viewer out")
    s, _, _, _ = raw("GET", "/user/sa2/headers", host_of("sa2"),
                     [("hubd-view", view)])
    t.eq(s, 403, "the view cookie does not open sa2's server on sa2's host")
    s, _, _, _ = raw("GET", "/user/sa2/headers", host_of("sa1"),
                     [("hubd-view", view)])
    t.eq(s, 404, "nor sa2's server on sa1's host")
    s, _, _, _ = raw("GET", "/user/sa1/headers", host_of("sa1"),
                     ins.cookies.items())
    t.eq(s, 403, "the hub's session cookie is no credential on a user host")
    s, _, _, _ = raw("GET", "/user/sa1/headers", host_of("sa1"),
                     s1.cookies.items())
    t.eq(s, 403, "not even the owner's")

    # Nothing of the hub's on user hosts.
    both = list(ins.cookies.items()) + [("hubd-view", view)]
    for path in ("/hub/home", "/hub/login", "/hub/api/user", "/hub/api/users",
                 "/hub/static/hub.css", "/", "/hub/admin", "/hub/health"):
        s, _, _, _ = raw("GET", path, host_of("sa1"), both)
        t.eq(s, 404, "GET %s on a user host: 404" % path)
    s, _, _, _ = raw("POST", "/hub/login", host_of("sa1"), both,
                     {"Content-Type": "application/x-www-form-urlencoded"},
                     "username=ina&password=x")
    t.eq(s, 404, "POST /hub/login on a user host: 404")
    for host in (DOMAIN, "a.b.%s" % DOMAIN, "no_such.%s" % DOMAIN):
        s, _, _, _ = raw("GET", "/hub/home", "%s:%d" % (host, hub.port), both)
        t.eq(s, 404, "GET /hub/home on %s: 404" % host)

    # Origins per host.
    s, _, _, _ = raw("POST", "/user/sa1/upload", host_of("sa1"),
                     [("hubd-view", view)], {"Origin": "http://" + hub_host,
                                             "Content-Type": "text/plain"}, "x")
    t.eq(s, 403, "a POST with the hub's Origin is refused on the user host")
    s, _, _, body = raw("POST", "/user/sa1/upload", host_of("sa1"),
                        [("hubd-view", view)],
                        {"Origin": "http://" + host_of("sa1"),
                         "Content-Type": "text/plain"}, "x")
    t.eq(s, 200, "a POST with the user host's own Origin goes through")
    ws = {"Upgrade": "websocket", "Connection": "Upgrade",
          "Sec-WebSocket-Version": "13",
          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    s, _, _, body = raw("GET", "/user/sa1/api/kernels/k/channels",
                        host_of("sa1"), [("hubd-view", view)],
                        dict(ws, Origin="http://" + hub_host))
    t.ok(s == 403 and "cross-origin" in body, "a websocket with the hub's "
         "Origin is refused on the user host", "%d %s" % (s, body))
    refused = "403 GET /user/sa1/api/kernels/k/channels"
    time.sleep(0.5)     # the log line of the refusal above is written
    before = hub.stderr().count(refused)
    s, _, _, body = raw("GET", "/user/sa1/api/kernels/k/channels",
                        host_of("sa1"), [("hubd-view", view)],
                        dict(ws, Origin="http://" + host_of("sa1")))
    time.sleep(0.5)
    t.ok(s != 403 and hub.stderr().count(refused) == before,
         "one with the user host's Origin passes hubd to the server (the "
         "echo server cannot upgrade it)", "%d %s; %d -> %s" % (
             s, body, before, [l for l in hub.stderr().splitlines()
                               if "channels" in l]))
    s, _, _, _ = raw("POST", "/user/sa1/upload", hub_host, s1.cookies.items(),
                     {"Origin": "http://" + host_of("sa1"),
                      "Content-Type": "text/plain"}, "x")
    t.eq(s, 403, "the owner's server on the hub refuses a user host's Origin")
    s, _, _, _ = raw("POST", "/hub/spawn", hub_host, s1.cookies.items(),
                     {"Origin": "http://" + host_of("sa1"),
                      "Content-Type": "application/x-www-form-urlencoded"},
                     "_xsrf=" + s1.cookies.get("_xsrf", ""))
    t.eq(s, 403, "a hub form posted from a user host is refused")

    # Cookie tossing: an _xsrf cookie planted by a sibling host does not
    # make a forged request pass (no Origin: an old browser, or a tool).
    planted = "ab" * 16
    jar = [(k, v) for k, v in ins.cookies.items() if k != "_xsrf"]
    s, _, _, _ = raw("GET", "/hub/api/user", hub_host,
                     jar + [("_xsrf", planted)], {"X-XSRFToken": planted})
    t.eq(s, 403, "a planted _xsrf cookie with the same header fails the "
         "XSRF check")
    s, _, _, _ = raw("POST", "/hub/stop", hub_host, jar + [("_xsrf", planted)],
                     {"Content-Type": "application/x-www-form-urlencoded"},
                     "_xsrf=" + planted)
    t.eq(s, 403, "and a form with it is refused")
    s, _, _, body = raw("GET", "/hub/home", hub_host, ins.cookies.items())
    m = re.search(r'<meta name="xsrf" content="([0-9a-f]+)"', body)
    tok = m.group(1) if m else ""
    s, _, _, _ = raw("GET", "/hub/api/user", hub_host,
                     jar + [("_xsrf", planted)], {"X-XSRFToken": tok})
    t.eq(s, 200, "the page's own token passes, whatever the cookie")

    # Cookie tossing: a student's page plants its own session cookie for
    # /user/sa1/ on a parent domain; the browser sends it first.  Served as
    # the student, the student's HTML would run on the hub's origin with
    # the instructor's real cookie for /hub/.  Two session cookies: none.
    both = [("hubd-session", s1.cookies["hubd-session"]),
            ("hubd-session", ins.cookies["hubd-session"])]
    s, h, _, _ = raw("GET", "/user/sa1/headers", hub_host, both,
                     {"Sec-Fetch-Mode": "navigate"})
    t.ok(s == 302 and "/hub/login" in h.get("location", ""),
         "two session cookies (one planted): no session, sent to log in",
         (s, h.get("location")))
    t.contains(hub.stderr(), "two session cookies in one request",
               "and the log says why")
    s, _, _, _ = raw("GET", "/hub/api/user", hub_host,
                     [("hubd-session", ins.cookies["hubd-session"])],
                     {"X-XSRFToken": tok})
    t.eq(s, 200, "one session cookie still works")

    # Expiry and logout.
    time.sleep(31)
    s, _, _, _ = raw("GET", "/hub/view?ticket=" + tk2, host_of("sa1"))
    t.eq(s, 403, "a ticket expires after 30 s")
    s, _, _, _ = raw("GET", "/user/sa1/headers", host_of("sa1"),
                     [("hubd-view", view)])
    t.eq(s, 200, "the view lasts while the session does")
    _, _, tk3 = ticket_for(ins, "sa1", "/user/sa1/headers")
    r = ins.get("/hub/logout")
    t.ok(r.status in (302, 303), "the instructor logs out")
    s, _, _, _ = raw("GET", "/user/sa1/headers", host_of("sa1"),
                     [("hubd-view", view)])
    t.eq(s, 403, "the view cookie dies with the session")
    s, _, _, _ = raw("GET", "/hub/view?ticket=" + tk3, host_of("sa1"))
    t.eq(s, 403, "and so do its tickets")

    for n in ("sa1", "sa2"):
        admin.api("DELETE", "/users/%s/server" % n)
    for n in ("sa1", "sa2"):
        wait_state(hub, admin, n, ("stopped", "failed"))


def check_config(t):
    d = tempfile.mkdtemp(prefix="hubd-it-conf-")
    try:
        for value, ok in (("users.hub.example.edu", True), ("localhost", False),
                          ("Users.Example.edu", False), ("https://u.example", False),
                          ("u.example:8000", False), ("u..example", False),
                          ("-u.example", False)):
            conf = os.path.join(d, "hubd.conf")
            with open(conf, "w") as f:
                f.write("[hub]\nuser_domain = %s\nweb_dir = %s\n"
                        "spawner = %s\ndata_dir = %s\n" % (
                            value, os.path.join(SRC, "web"), SPAWNER, d))
            r = subprocess.run([HUBD, "--check-config", "--config", conf],
                               capture_output=True, text=True)
            if ok:
                t.eq(r.returncode, 0, "user_domain = %s is accepted" % value)
            else:
                t.ok(r.returncode != 0 and
                     ":2: [hub] user_domain" in r.stderr, "user_domain = %s is refused with "
                     "the line and key" % value, r.stderr)
    finally:
        shutil.rmtree(d)


def main():
    shutil.copy(os.path.join(SRC, "tests", "integration", "fixtures",
                             "echo_server.py"), ECHO)
    os.chmod(ECHO, 0o644)
    try:
        run(lambda t, hub: (check_config(t), test(t, hub)),
            conf="[hub]\nuser_domain = %s\n[server]\ncommand = "
                 "/usr/bin/python3 %s\n" % (DOMAIN, ECHO))
    finally:
        os.unlink(ECHO)


main()
