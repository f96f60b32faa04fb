"""A login POST without the form token, or with the wrong one, is refused."""
from hubtest import run


def test(t, hub):
    hub.add_user("erin", "erin's password")
    c = hub.client()
    c.get("/hub/login")
    form = {"username": "erin", "password": "erin's password"}
    r = c.post("/hub/login", form)
    t.eq(r.status, 403, "no _xsrf field: 403")
    t.contains(r.text, "expired", "explains the form expired")
    r = c.post("/hub/login", dict(form, _xsrf="0" * 32))
    t.eq(r.status, 403, "a wrong _xsrf: 403")
    bare = hub.client()
    r = bare.post("/hub/login", dict(form, _xsrf="0" * 32))
    t.eq(r.status, 403, "no _xsrf cookie: 403")
    t.ok("hubd-session" not in c.cookies and "hubd-session" not in
         bare.cookies, "no session was made")
    r = c.post("/hub/login", "username=erin", headers={
        "Content-Type": "text/plain"})
    t.eq(r.status, 400, "not a form: 400")
    r = c.post("/hub/login", dict(form, _xsrf=c.cookies["_xsrf"]))
    t.eq(r.status, 303, "with the right token it works")
    x = c.cookies["_xsrf"]
    r = c.post("/hub/password", {"_xsrf": "f" * 32, "current": "erin's password",
                                  "password": "new password 1",
                                  "confirm": "new password 1"})
    t.eq(r.status, 403, "password change without the token: 403")
    r = c.post("/hub/password", {"_xsrf": x, "current": "erin's password",
                                  "password": "new password 1",
                                  "confirm": "new password 1"})
    t.eq(r.status, 303, "with it: changed")


run(test)
