"""A class start: with concurrent_spawns = 2, six students start at once;
the rest wait in order and all six become ready."""
import concurrent.futures
from hubtest import run, wait_state, server_row


def test(t, hub):
    names = ["q%d" % i for i in range(6)]
    admin = hub.admin()
    r = admin.api("POST", "/users", {"usernames": names})
    t.eq(r.status, 201, "six students")
    places = []
    for n in names:
        r = admin.api("POST", "/users/%s/server" % n)
        places.append((r.status, r.json().get("queue_place")))
    t.eq([s for s, _ in places], [202] * 6, "each start is accepted (202)")
    waiting = [p for _, p in places]
    t.ok(max(waiting) >= 2, "some wait in the queue", waiting)
    t.ok(waiting[2:] == sorted(waiting[2:]), "later ones wait behind "
         "earlier ones", waiting)

    def ready(n):
        return wait_state(hub, admin, n, ("running", "failed"), timeout=180)

    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        list(ex.map(ready, names))
    rows = [server_row(hub, n) for n in names]
    t.eq([r["state"] for r in rows], ["running"] * 6, "all six are ready")
    started = [r["started"] for r in rows]
    t.ok(all(started[i] <= started[i + 2] for i in range(4)),
         "they left the queue in order", started)
    for n in names:
        admin.api("DELETE", "/users/%s/server" % n)
    for n in names:
        wait_state(hub, admin, n, ("stopped", "failed"))


run(test, conf="[server]\nconcurrent_spawns = 2\n")
