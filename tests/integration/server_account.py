"""A server and its account: disabling or deleting the account stops the
server; renaming waits for it to stop; a socket swapped for a link to
another student's socket is refused (the hub checks the socket's owner and
the peer's uid, never following links)."""
import os
from hubtest import run, server_row, wait_state


def test(t, hub):
    admin = hub.admin()
    names = ["ka", "kb", "kc"]
    admin.api("POST", "/users", {"usernames": names})
    for n in names:
        admin.api("POST", "/users/%s/server" % n)
    for n in names:
        wait_state(hub, admin, n, ("running", "failed"))
    t.eq([server_row(hub, n)["state"] for n in names], ["running"] * 3,
         "three servers run")

    t.eq(admin.api("PATCH", "/users/ka", {"name": "ka2"}).status, 409,
         "renaming an account whose server runs is refused")

    # ka's socket becomes a link to kb's: the hub must not follow it.
    sa, sb = server_row(hub, "ka")["socket"], server_row(hub, "kb")["socket"]
    os.rename(sa, sa + ".real")
    os.symlink(sb, sa)
    tok = hub.token("ka")
    r = admin.request("GET", "/user/ka/api/status", cookies=False,
                      headers={"Authorization": "token " + tok})
    t.eq(r.status, 502, "a symlinked socket is refused (502)")
    t.contains(hub.stderr(), "is not the student's socket",
               "and the log says why")
    os.unlink(sa)
    os.rename(sa + ".real", sa)
    r = admin.request("GET", "/user/ka/api/status", cookies=False,
                      headers={"Authorization": "token " + tok})
    t.eq(r.status, 200, "with its own socket back, it answers")

    r = admin.api("PATCH", "/users/ka", {"disabled": True})
    t.eq(r.status, 200, "ka disabled")
    wait_state(hub, admin, "ka", ("stopped",), timeout=30)
    t.eq(server_row(hub, "ka")["state"], "stopped",
         "disabling the account stopped its server")
    pid = server_row(hub, "kb")["pid"]
    t.eq(admin.api("DELETE", "/users/kb").status, 204, "kb deleted")
    deadline = __import__("time").time() + 30
    while __import__("time").time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        __import__("time").sleep(0.2)
    t.ok(not os.path.exists("/proc/%d" % pid), "deleting the account stopped "
         "its server")
    r = hub.hubctl("user", "disable", "kc")
    t.ok(r.returncode == 0 and "stopping the server of kc" in r.stdout,
         "hubctl user disable stops the server too", r.stdout + r.stderr)
    wait_state(hub, admin, "kc", ("stopped",), timeout=30)
    t.eq(server_row(hub, "kc")["state"], "stopped", "kc's server stopped")


run(test)
