"""A student logs in with the right password and lands on the home page."""
import hashlib
from hubtest import run


def test(t, hub):
    hub.add_user("alice", "alice's password")
    c = hub.client()
    r = c.get("/hub/login")
    t.eq(r.status, 200, "login page answers")
    t.contains(r.text, 'name="username"', "form has username")
    t.contains(r.text, 'name="password"', "form has password")
    t.contains(r.text, 'name="_xsrf" value="%s"' % c.cookies["_xsrf"],
               "form carries the _xsrf token of its cookie")
    t.contains(r.header("Content-Security-Policy"), "frame-ancestors 'none'",
               "CSP forbids framing")
    t.eq(r.header("X-Content-Type-Options"), "nosniff", "nosniff")
    t.ok(r.header("Referrer-Policy") is not None, "Referrer-Policy set")

    r = c.login("alice", "alice's password")
    t.eq(r.status, 303, "right password: 303")
    t.eq(r.header("Location"), "/hub/home", "to /hub/home by default")
    sc = [v for v in r.all("Set-Cookie") if v.startswith("hubd-session=")]
    t.eq(len(sc), 1, "a session cookie is set")
    sc = sc[0] if sc else ""
    for attr in ("HttpOnly", "SameSite=Lax", "Path=/;"):
        t.contains(sc, attr, "session cookie has " + attr)
    t.ok("Secure" not in sc, "no Secure flag over plain HTTP")
    sid = c.cookies.get("hubd-session", "")
    t.eq(len(sid), 64, "session id is 256 bits of hex")

    r = c.get("/hub/home")
    t.eq(r.status, 200, "home with the session")
    t.contains(r.text, "Welcome, alice", "home names the user")
    t.contains(r.text, "Your server", "home has the server placeholder")

    with hub.db() as db:
        rows = db.execute("SELECT hash FROM sessions").fetchall()
    t.eq(len(rows), 1, "one session in the database")
    t.ok(rows and rows[0][0] == hashlib.sha256(sid.encode()).digest(),
         "stored as the SHA-256 of the id, not the id")

    r = c.login("alice", "alice's password", next_="/hub/home?tab=2")
    t.eq(r.header("Location"), "/hub/home?tab=2", "a same-site next is kept")
    r = hub.client().login("  Alice ", "alice's password")
    t.eq(r.status, 303, "user names are trimmed and lower-cased")
    r = hub.client().get("/hub/home")
    t.eq((r.status, r.header("Location")),
         (302, "/hub/login?next=/hub/home"), "no session: to the login page")
    r = c.get("/")
    t.eq((r.status, r.header("Location")), (302, "/hub/home"), "/ redirects")
    r = c.get("/hub/health")
    t.eq(r.status, 200, "health without login")
    t.eq(r.json().get("status"), "ok", "health says ok")


run(test)
