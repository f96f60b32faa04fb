"""Restarting hubd leaves students' servers and kernels running: three
servers, a variable set in one's kernel, SIGTERM, start again: all three
answer and the kernel still has the variable."""
import json
from hubtest import run, server_row, unix_http, wait_state, Kernel


def test(t, hub):
    names = ["xa", "xb", "xc"]
    admin = hub.admin()
    admin.api("POST", "/users", {"usernames": names})
    for n in names:
        admin.api("POST", "/users/%s/server" % n)
    for n in names:
        wait_state(hub, admin, n, ("running", "failed"), timeout=120)
    rows = {n: server_row(hub, n) for n in names}
    t.eq([rows[n]["state"] for n in names], ["running"] * 3, "three servers run")
    r = rows["xa"]
    code, body = unix_http(r["socket"], "POST", "/user/xa/api/kernels",
                           token=r["token"], body='{"name": "python3"}')
    t.eq(code, 201, "a kernel starts in xa's server")
    kid = json.loads(body)["id"] if code == 201 else ""
    k = Kernel(r["socket"], "xa", r["token"], kid)
    t.eq(k.run("x = 6 * 7\nprint(x)").strip(), "42", "the kernel runs code")
    k.close()

    t.eq(hub.stop(), 0, "hubd stops on SIGTERM")
    hub.start()
    for n in names:
        code, _ = unix_http(rows[n]["socket"], "GET", "/user/%s/api/status" % n,
                            token=rows[n]["token"])
        t.eq(code, 200, "%s's server still answers" % n)
        t.eq(server_row(hub, n)["state"], "running",
             "and the hub took it back (%s)" % n)
    t.contains(hub.stderr(), "taken back", "the log says so")
    k = Kernel(r["socket"], "xa", r["token"], kid)
    t.eq(k.run("print(x)").strip(), "42", "the kernel kept its variable")
    k.close()
    admin = hub.client()
    admin.login("admin", "admin password 1")
    t.eq(admin.api("DELETE", "/users/xb/server").status, 202,
         "a taken-back server can be stopped")
    wait_state(hub, admin, "xb", ("stopped",))
    t.eq(server_row(hub, "xb")["state"], "stopped", "and stops")
    for n in ("xa", "xc"):
        admin.api("DELETE", "/users/%s/server" % n)
    for n in ("xa", "xc"):
        wait_state(hub, admin, n, ("stopped", "failed"))


run(test)
