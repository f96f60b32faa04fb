"""A server that cannot start says why and leaves nothing behind."""
from hubtest import run, progress_events, server_row, wait_state


def test(t, hub):
    hub.add_user("tom", "tom's password")
    c = hub.client()
    c.login("tom", "tom's password")
    t.eq(c.api("POST", "/users/tom/server").status, 202, "start asked")
    status, _, events = progress_events(hub, c, "tom")
    t.ok(events and events[-1].get("failed") is True,
         "the progress stream ends with failed", events[-3:])
    wait_state(hub, c, "tom", ("failed", "stopped"))
    row = server_row(hub, "tom")
    t.eq(row["state"], "failed", "the database says failed")
    t.ok("no-such-notebook" in (row["message"] or "") or
         "No such file" in (row["message"] or ""),
         "the reason names the missing command", row["message"])
    page = c.get("/hub/home").text
    t.contains(page, "could not start", "home says it could not start")
    t.contains(page, "Start my server", "and offers to try again")


run(test, conf="[server]\ncommand = /usr/bin/no-such-notebook\n")
