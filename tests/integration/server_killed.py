"""A server killed from outside is noticed and recorded; so is an OOM kill."""
import os
import signal
from hubtest import run, server_row, wait_state


def test(t, hub):
    hub.add_user("vic", "vic's password")
    c = hub.client()
    c.login("vic", "vic's password")
    c.api("POST", "/users/vic/server")
    wait_state(hub, c, "vic", ("running", "failed"))
    row = server_row(hub, "vic")
    t.eq(row["state"], "running", "vic's server runs")
    os.kill(row["pid"], signal.SIGKILL)
    wait_state(hub, c, "vic", ("failed", "stopped"), timeout=30)
    row = server_row(hub, "vic")
    t.eq(row["state"], "failed", "the hub noticed it died")
    t.contains(row["message"], "signal 9", "and says it was killed (signal 9)")
    t.contains(c.get("/hub/home").text, "stopped", "home tells vic")
    r = c.api("POST", "/users/vic/server")
    t.eq(r.status, 202, "vic can start it again")
    wait_state(hub, c, "vic", ("running", "failed"))
    t.eq(server_row(hub, "vic")["state"], "running", "and it runs again")
    c.api("DELETE", "/users/vic/server")
    wait_state(hub, c, "vic", ("stopped",))


run(test)
