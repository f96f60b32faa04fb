"""next= only ever leads to a path on this hub."""
from hubtest import run

EVIL = ["//evil.example/", "https://evil.example/", "/\\evil.example",
        "http:/evil.example", "javascript:alert(1)", "\t//evil.example",
        "/\r\nSet-Cookie:x=y", "evil.example"]


def test(t, hub):
    hub.add_user("frank", "frank's password")
    for n in EVIL:
        r = hub.client().login("frank", "frank's password", next_=n)
        t.eq((r.status, r.header("Location")), (303, "/hub/home"),
             "next=%r goes home" % n)
    r = hub.client().login("frank", "frank's password",
                           next_="/user/frank/tree")
    t.eq(r.header("Location"), "/user/frank/tree", "a hub path is kept")
    c = hub.client()
    r = c.get("/hub/login?next=//evil.example")
    t.ok("evil.example" not in r.text, "an unsafe next is not put in the form")
    r = c.get("/hub/login?next=%2Fhub%2Fhome%3Fa%3D1")
    t.contains(r.text, 'value="/hub/home?a=1"', "a safe next is")
    r = c.get("/user/frank/tree?x=1")
    t.eq(r.header("Location"), "/hub/login?next=/user/frank/tree%3Fx%3D1",
         "a page that needs login sends its own path as next")


run(test)
