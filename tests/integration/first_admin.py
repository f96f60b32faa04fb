"""First start: an admin with a one-time password, printed once, never
logged; it must be replaced at first login; later starts print nothing."""
from hubtest import Hub, Tap

t = Tap()
hub = Hub()
try:
    hub.start()
    otp = hub.admin_password
    t.ok(otp is not None and len(otp) == 16, "a one-time password is printed")
    t.contains(hub.stdout(), "/hub/login", "with where to log in")
    t.ok(otp not in hub.stderr(), "the password is not in the log")
    c = hub.client()
    r = c.login("admin", otp)
    t.eq(r.status, 303, "it logs in")
    t.ok(r.header("Location").startswith("/hub/password"),
         "straight to the password page")
    r = c.get("/hub/home")
    t.eq((r.status, r.header("Location")), (302, "/hub/password"),
         "home waits for a new password")
    r = c.api("GET", "/users")
    t.eq(r.status, 403, "so does the API")
    r = c.get("/hub/password")
    t.ok('name="current"' in r.text and "hidden" in r.text,
         "no current password asked for a one-time one")
    x = c.cookies["_xsrf"]
    r = c.post("/hub/password", {"_xsrf": x, "password": "short",
                                  "confirm": "short"})
    t.eq(r.status, 400, "a short password is refused")
    t.contains(r.text, "at least 8", "with the reason")
    r = c.post("/hub/password", {"_xsrf": x, "password": "the new one!",
                                  "confirm": "the new one?"})
    t.eq(r.status, 400, "two different passwords are refused")
    r = c.post("/hub/password", {"_xsrf": x, "password": "the new one!",
                                  "confirm": "the new one!"})
    t.eq(r.status, 303, "a good one is taken")
    t.eq(c.get("/hub/home").status, 200, "home works now")
    t.eq(c.api("GET", "/users").status, 200, "and the API")
    t.eq(hub.client().login("admin", otp).status, 403,
         "the one-time password is spent")
    t.eq(hub.stop(), 0, "stops cleanly")
    hub.start()
    t.ok(hub.printed_password is None and "One-time" not in hub.stdout(),
         "a second start prints no password")
    t.eq(hub.client().login("admin", "the new one!").status, 303,
         "the chosen password survives a restart")
    t.eq(hub.stop(), 0, "stops cleanly again")
finally:
    hub.cleanup()
t.done()
