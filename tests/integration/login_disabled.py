"""A disabled account cannot log in, and its open logins end."""
from hubtest import run


def test(t, hub):
    hub.add_user("dave", "dave's password")
    c = hub.client()
    t.eq(c.login("dave", "dave's password").status, 303, "dave logs in")
    r = hub.hubctl("user", "disable", "dave")
    t.eq(r.returncode, 0, "hubctl disables dave")
    r = c.get("/hub/home")
    t.eq(r.status, 302, "dave's open session ended")
    r = hub.client().login("dave", "dave's password")
    t.eq(r.status, 403, "disabled: 403 with the right password")
    t.contains(r.text, "disabled", "the page says the account is disabled")
    r = hub.client().login("dave", "wrong password")
    t.contains(r.text, "Wrong user name or password.",
               "a wrong password does not reveal that")
    t.eq(hub.hubctl("user", "enable", "dave").returncode, 0, "enable again")
    t.eq(hub.client().login("dave", "dave's password").status, 303,
         "dave logs in again")


run(test)
