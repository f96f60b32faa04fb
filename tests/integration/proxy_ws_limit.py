"""Websockets count against [http] max_connections_per_ip after hubd has
handed them to its relay (they leave libmicrohttpd's own count then): the
one past the limit gets 503, closing one makes room, and plain requests
go on being served."""
import json
from hubtest import run, server_row, unix_http, wait_state, Kernel

LIMIT = 6


def test(t, hub):
    admin = hub.admin()
    admin.api("POST", "/users", {"usernames": ["ws1"]})
    hub.hubctl("user", "passwd", "ws1", "--password-stdin",
               input="password of ws1\n")
    c = hub.client()
    c.login("ws1", "password of ws1")
    c.api("POST", "/users/ws1/server")
    wait_state(hub, admin, "ws1", ("running", "failed"), timeout=240)
    r = server_row(hub, "ws1")
    code, body = unix_http(r["socket"], "POST", "/user/ws1/api/kernels",
                           token=r["token"], body='{"name": "python3"}')
    t.eq(code, 201, "a kernel")
    kid = json.loads(body)["id"]
    h = {"Cookie": "hubd-session=" + c.cookies["hubd-session"],
         "Origin": hub.url}
    socks = [Kernel(None, "ws1", None, kid, hub=hub, headers=h)
             for _ in range(LIMIT)]
    t.eq([k.status for k in socks], [101] * LIMIT,
         "%d websockets from one address open" % LIMIT)
    try:
        Kernel(None, "ws1", None, kid, hub=hub, headers=h)
        t.ok(False, "one more from the same address is refused")
    except RuntimeError as e:
        t.contains(str(e), " 503 ", "one more from the same address is "
                   "refused (503)")
    t.eq(c.get("/hub/health").status, 200, "plain requests are served")
    t.eq(socks[0].run("print(6 * 7)").strip(), "42",
         "the open ones still work")
    socks.pop().close()
    k = None
    for _ in range(20):	# the relay notices the close within a moment
        try:
            k = Kernel(None, "ws1", None, kid, hub=hub, headers=h)
            break
        except RuntimeError:
            import time
            time.sleep(0.25)
    t.ok(k is not None and k.status == 101, "closing one makes room")
    if k is not None:
        k.close()
    for k in socks:
        k.close()
    t.contains(hub.stderr(), "too many open", "the refusal is logged")
    admin.api("DELETE", "/users/ws1/server")
    wait_state(hub, admin, "ws1", ("stopped", "failed"))


run(test, conf="[http]\nmax_connections_per_ip = %d\n" % LIMIT)
