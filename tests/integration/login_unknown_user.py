"""An unknown user gets the same answer as a wrong password."""
from hubtest import run


def test(t, hub):
    hub.add_user("carol", "carol's password")
    c = hub.client()
    wrong = c.login("carol", "nope nope")
    unknown = c.login("nobody", "nope nope")
    t.eq(unknown.status, 403, "unknown user: 403")
    t.contains(unknown.text, "Wrong user name or password.",
               "same message as a wrong password")
    t.eq(wrong.status, unknown.status, "same status as a wrong password")
    r = c.login("../../etc", "x")
    t.eq(r.status, 403, "a name that is not valid: 403 too")
    r = c.login("<script>", "x")
    t.ok("<script>" not in r.text, "names are escaped in the page")
    t.ok("hubd-session" not in c.cookies, "no session")


run(test)
