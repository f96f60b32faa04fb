"""A wrong password shows the form again with a message, status 403."""
from hubtest import run


def test(t, hub):
    hub.add_user("bob", "bob's password")
    c = hub.client()
    r = c.login("bob", "not bob's password")
    t.eq(r.status, 403, "wrong password: 403")
    t.contains(r.text, "Wrong user name or password.", "says so")
    t.contains(r.text, 'value="bob"', "keeps the user name in the form")
    t.contains(r.text, 'name="_xsrf"', "the form is there again")
    t.ok("hubd-session" not in c.cookies, "no session cookie")
    t.contains(hub.stderr(), "login failed: user bob", "failure is logged")
    t.ok("not bob's password" not in hub.stderr(), "password never logged")
    with hub.db() as db:
        n = db.execute("SELECT count(*) FROM audit_log WHERE action = "
                       "'login.fail' AND target = 'bob'").fetchone()[0]
    t.eq(n, 1, "failure is in the audit log")
    r = c.login("bob", "")
    t.eq(r.status, 403, "empty password: 403")
    r = c.login("bob", "x" * 1100)
    t.eq(r.status, 400, "over-long password: 400, not a crash")
    r = c.login("bob", "bob's password")
    t.eq(r.status, 303, "the right one still works")


run(test)
