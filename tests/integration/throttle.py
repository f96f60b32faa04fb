"""Login throttling: a class behind one address logs in; guessing one
account's password is slowed."""
import concurrent.futures
from hubtest import run


def test(t, hub):
    names = ["st%02d" % i for i in range(60)]
    admin = hub.admin()
    r = admin.api("POST", "/users", {"usernames": names})
    t.eq(r.status, 201, "60 students created through the API")
    otp = {u["name"]: u["password"] for u in r.json()}

    def login(n):
        c = hub.client()
        if n.endswith("7"):  # a few typos in the class, as in real life
            c.login(n, "typo typo")
        return c.login(n, otp[n]).status

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        statuses = list(ex.map(login, names))
    t.eq(statuses.count(303), 60,
         "60 students from one address all log in")

    hub.add_user("victim", "victim's password")
    c = hub.client()
    got = [c.login("victim", "guess %d" % i).status for i in range(20)]
    t.eq(got[:5], [403] * 5, "the first 5 wrong passwords are checked")
    t.eq(got.count(429), 15, "the other 15 are told to wait")
    r = c.login("victim", "victim's password")
    t.eq(r.status, 429, "during the wait even the right password waits")
    t.ok(r.header("Retry-After") is not None and
         int(r.header("Retry-After")) >= 1, "429 carries Retry-After")
    t.contains(r.text, "Too many failed attempts", "and says why")
    t.eq(hub.client().login("st00", otp["st00"]).status, 303,
         "others are not slowed meanwhile")


run(test)
