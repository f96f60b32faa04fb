"""SIGHUP reloads what can be reloaded and survives a broken file; SIGTERM
stops cleanly (checked by the harness)."""
import signal
import time
from hubtest import run


def test(t, hub):
    hub.add_user("mia", "mia's password")
    c = hub.client()
    t.eq(c.login("mia", "mia's password").status, 303, "mia logs in")
    with open(hub.conf) as f:
        good = f.read()
    with open(hub.conf, "w") as f:
        f.write(good.replace("log_level = debug", "log_level = debug\n"
                             "[login]\nuser_failures = 1\n"))
    hub.signal(signal.SIGHUP)
    deadline = time.time() + 10
    while "reloaded" not in hub.stderr() and time.time() < deadline:
        time.sleep(0.1)
    t.contains(hub.stderr(), "reloaded", "SIGHUP reloads")
    x = hub.client()
    codes = [x.login("mia", "wrong %d" % i).status for i in range(3)]
    t.eq(codes, [403, 429, 429], "the new [login] limit applies at once")
    t.eq(c.get("/hub/home").status, 200, "open sessions survive a reload")
    with open(hub.conf, "w") as f:
        f.write(good + "bogus line\n")
    hub.signal(signal.SIGHUP)
    deadline = time.time() + 10
    while "keeping the running" not in hub.stderr() and time.time() < deadline:
        time.sleep(0.1)
    t.contains(hub.stderr(), "keeping the running configuration",
               "a broken file is refused on reload")
    t.eq(c.get("/hub/home").status, 200, "and the hub goes on")


run(test)
