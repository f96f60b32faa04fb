"""Idle culling: a server without traffic for idle_timeout is stopped."""
import time
from hubtest import run, server_row, wait_state


def test(t, hub):
    hub.add_user("uma", "uma's password")
    c = hub.client()
    c.login("uma", "uma's password")
    c.api("POST", "/users/uma/server")
    wait_state(hub, c, "uma", ("running", "failed"))
    t.eq(server_row(hub, "uma")["state"], "running", "uma's server runs")
    deadline = time.time() + 60
    while time.time() < deadline and server_row(hub, "uma")["state"] == "running":
        time.sleep(0.5)
    wait_state(hub, c, "uma", ("stopped",), timeout=30)
    t.eq(server_row(hub, "uma")["state"], "stopped", "the idle server is stopped")
    t.contains(hub.stderr(), "culling the server of uma (idle)",
               "the log says it was idle")


run(test, conf="[server]\nidle_timeout = 4s\n")
