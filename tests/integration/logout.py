"""Logout ends the session on the server, not only in the browser."""
from hubtest import run


def test(t, hub):
    hub.add_user("gina", "gina's password")
    c = hub.client()
    c.login("gina", "gina's password")
    old = dict(c.cookies)
    r = c.get("/hub/logout")
    t.eq((r.status, r.header("Location")), (302, "/hub/login"),
         "logout goes to the login page")
    t.ok(any(v.startswith("hubd-session=;") and "Max-Age=0" in v
             for v in r.all("Set-Cookie")), "the cookie is cleared")
    with hub.db() as db:
        n = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
    t.eq(n, 0, "the session is gone from the database")
    thief = hub.client()
    thief.cookies = old
    r = thief.get("/hub/home")
    t.eq(r.status, 302, "the old cookie no longer works")
    r = thief.get("/hub/logout")
    t.eq(r.status, 302, "logging out twice is harmless")


run(test)
