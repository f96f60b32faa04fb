"""A server killed at its memory limit is reported as out of memory."""
from hubtest import run, server_row, wait_state


def test(t, hub):
    hub.add_user("wen", "wen's password")
    c = hub.client()
    c.login("wen", "wen's password")
    c.api("POST", "/users/wen/server")
    wait_state(hub, c, "wen", ("failed", "stopped"), timeout=60)
    row = server_row(hub, "wen")
    t.eq(row["state"], "failed", "the server failed")
    t.ok(row["oom_kills"] >= 1, "an OOM kill is counted", row)
    t.contains(row["message"], "out of memory", "and named as such")


# Not Jupyter: a program that grabs 1 GiB under a 64 MiB limit.
run(test, conf="[server]\nmemory = 64M\n"
    "command = /usr/bin/python3 -c x=bytearray(1<<30)\n")
