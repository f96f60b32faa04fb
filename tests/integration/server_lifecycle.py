"""A student's server from start to stop: the API (202, then 201), progress
events, Jupyter answering on its socket with its token and only to the
student's uid, the home page, and a stop that leaves nothing behind."""
import os
from hubtest import (run, progress_events, server_row, unix_http, wait_state,
                     pid_alive)


def test(t, hub):
    hub.add_user("rita", "rita's password")
    c = hub.client()
    t.eq(c.login("rita", "rita's password").status, 303, "rita logs in")
    r = c.api("POST", "/users/rita/server")
    t.eq(r.status, 202, "start: 202 while it starts")
    t.eq(r.json().get("pending"), "spawn", "pending: spawn")
    status, ctype, events = progress_events(hub, c, "rita")
    t.eq(status, 200, "progress stream answers")
    t.eq(ctype, "text/event-stream", "as an event stream")
    t.ok(len(events) >= 2, "several progress events", events)
    t.ok(events and events[-1].get("ready") is True, "the last says ready",
         events[-1:] if events else None)
    t.eq(events[-1].get("url") if events else None, "/user/rita/",
         "with the server's URL")
    prog = [e.get("progress", 0) for e in events]
    t.eq(prog, sorted(prog), "progress only goes up")

    row = server_row(hub, "rita")
    t.eq(row["state"], "running", "the database says running")
    t.ok(row["uid"] >= 0x70000000, "a uid from the hub's reserved range")
    st = os.stat(row["socket"])
    t.eq(st.st_uid, row["uid"], "the socket belongs to the student's uid")
    t.eq(oct(st.st_mode & 0o777), oct(0o660), "socket mode 0660")
    code, body = unix_http(row["socket"], "GET", "/user/rita/api/status",
                           token=row["token"])
    t.eq(code, 200, "Jupyter answers /api/status with the server's token")
    code, _ = unix_http(row["socket"], "GET", "/user/rita/api/status",
                        token="0" * 64)
    t.eq(code, 403, "and refuses another token")
    t.eq(c.api("POST", "/users/rita/server").status, 201,
         "start again: 201, it runs")
    u = c.api("GET", "/user").json()
    t.eq(u.get("server"), "/user/rita/", "the user model names the server")
    home = c.get("/hub/home").text
    t.contains(home, "Open my notebooks", "home offers to open it")
    t.contains(home, "Stop my server", "and to stop it")

    other = hub.client()
    hub.add_user("sven", "sven's password")
    other.login("sven", "sven's password")
    t.eq(other.api("POST", "/users/rita/server").status, 403,
         "another student cannot start rita's server")
    t.eq(other.api("DELETE", "/users/rita/server").status, 403,
         "nor stop it")

    pid = row["pid"]
    r = c.api("DELETE", "/users/rita/server")
    t.eq(r.status, 202, "stop: 202")
    u = wait_state(hub, c, "rita", ("stopped",))
    t.eq(server_row(hub, "rita")["state"], "stopped", "it stops")
    t.ok(not pid_alive(pid), "its process is gone")
    t.ok(not os.path.exists(row["socket"]) or
         unix_http_fails(row["socket"]), "nothing answers on its socket")
    t.eq(c.api("DELETE", "/users/rita/server").status, 204,
         "stop again: 204, nothing runs")
    home = c.get("/hub/home").text
    t.contains(home, "Start my server", "home offers to start it again")
    with hub.db() as db:
        acts = [a for (a,) in db.execute(
            "SELECT action FROM audit_log WHERE target = 'rita'")]
    t.ok("server.start" in acts and "server.stop" in acts,
         "start and stop are audited")


def unix_http_fails(path):
    try:
        unix_http(path, "GET", "/", timeout=2)
        return False
    except OSError:
        return True


run(test)
