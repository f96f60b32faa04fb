"""The daemon's main paths under valgrind: no memory errors, no leaks."""
import re
from hubtest import Hub, Tap

t = Tap()
hub = Hub(valgrind=True)
try:
    hub.start()
    hub.add_user("nia", "nia's password")
    tok = hub.token("nia")
    c = hub.client()
    c.get("/hub/login")
    c.login("nia", "wrong password")
    c.login("nia", "nia's password")
    c.get("/hub/home")
    c.get("/hub/static/hub.css")
    c.api("GET", "/user")
    c.api("GET", "/user", token=tok)
    c.api("POST", "/users/nia/tokens", {"note": "x"})
    c.api("PATCH", "/users/nia", "{bad json")
    c.get("/nope")
    c.post("/hub/login", "x" * 5000, headers={"Content-Type": "text/plain"})
    c.get("/hub/logout")
    admin = hub.admin()
    admin.api("POST", "/users/oli", {})
    admin.api("PATCH", "/users/oli", {"disabled": True})
    admin.api("DELETE", "/users/oli")
    admin.api("GET", "/users")
    rc = hub.stop(timeout=120)
    log = open(hub.vglog).read()
    t.eq(rc, 0, "hubd exits 0 under valgrind (no errors, no definite leaks)")
    m = re.search(r"ERROR SUMMARY: (\d+) errors", log)
    t.ok(m is not None and m.group(1) == "0", "valgrind: 0 errors",
         log[-3000:])
    t.ok("definitely lost" not in log or
         re.search(r"definitely lost: 0 bytes", log) is not None,
         "valgrind: nothing definitely lost", log[-3000:])
finally:
    hub.cleanup()
t.done()
