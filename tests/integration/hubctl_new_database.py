"""hubctl on a new data folder, before hubd ever ran; then hubd starts on
that database and makes no admin of its own."""
from hubtest import Hub, Tap

t = Tap()
hub = Hub()
try:
    r = hub.hubctl("user", "add", "boss", "--role", "admin",
                   "--password-stdin", input="boss password\n")
    t.eq(r.returncode, 0, "hubctl creates the database and an admin")
    hub.start()
    t.ok(hub.printed_password is None,
         "hubd then makes no first admin of its own")
    t.eq(hub.client().login("boss", "boss password").status, 303,
         "the admin from hubctl logs in")
    r = hub.hubctl("user", "add", "student1", "--password-stdin",
                   input="student password\n")
    t.eq(r.returncode, 0, "hubctl adds a student while hubd runs")
    t.eq(hub.client().login("student1", "student password").status, 303,
         "who logs in at once")
    t.eq(hub.stop(), 0, "stops cleanly")
finally:
    hub.cleanup()
t.done()
