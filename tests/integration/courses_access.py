"""Course roles at the proxy and the course's servers: an instructor may
open the servers of the course's students (recorded, sandboxed), not those
of a student only in another course; TAs start the class's servers."""
import os
import shutil
from hubtest import run, server_row, wait_state, SRC

ECHO = "/usr/local/lib/hubd-test-echo-c%d.py" % os.getpid()


def test(t, hub):
    admin = hub.admin()
    for code in ("ca", "cb"):
        admin.api("POST", "/courses", {"code": code})
    admin.api("POST", "/users", {"usernames": ["ina", "taa", "sa1", "sa2", "sb1"]})
    for n in ("ina", "taa", "sa1", "sa2", "sb1"):
        hub.hubctl("user", "passwd", n, "--password-stdin",
                   input="password of %s\n" % n)
    for n, code, role in (("ina", "ca", "instructor"), ("taa", "ca", "ta"),
                          ("sa1", "ca", "student"), ("sa2", "ca", "student"),
                          ("sb1", "cb", "student")):
        r = admin.api("POST", "/courses/%s/users/%s" % (code, n), {"role": role})
        t.eq(r.status, 201, "%s enrolled in %s as %s" % (n, code, role))
    ta = hub.client()
    ta.login("taa", "password of taa")
    r = ta.api("POST", "/courses/ca/servers")
    t.eq((r.status, r.json().get("starting")), (202, 2),
         "a TA starts the class's two servers")
    for n in ("sa1", "sa2"):
        wait_state(hub, admin, n, ("running", "failed"))
    t.eq([server_row(hub, n)["state"] for n in ("sa1", "sa2")],
         ["running", "running"], "both run")
    roster = ta.api("GET", "/courses/ca/roster").json()
    states = {m["name"]: (m["server"] or {}).get("state") for m in roster}
    t.eq(states.get("sa1"), "running", "the roster shows each server's state")
    admin.api("POST", "/users/sb1/server")
    wait_state(hub, admin, "sb1", ("running", "failed"))

    ins = hub.client()
    ins.login("ina", "password of ina")
    r = ins.request("GET", "/user/sa1/headers",
                    headers={"Sec-Fetch-Mode": "navigate"})
    t.eq(r.status, 200, "the instructor opens a student's server")
    t.contains(r.header("Content-Security-Policy"), "sandbox",
               "sandboxed for the instructor")
    with hub.db() as db:
        n = db.execute("SELECT count(*) FROM audit_log WHERE action = "
                       "'server.open' AND actor = 'ina' AND target = 'sa1'"
                       ).fetchone()[0]
    t.ok(n >= 1, "and the look is in the audit log")
    t.eq(ins.get("/user/sb1/headers").status, 403,
         "but not a student only in another course")
    t.eq(ins.api("GET", "/courses/cb/roster").status, 404,
         "nor that course's roster")
    s1 = hub.client()
    s1.login("sa1", "password of sa1")
    t.eq(s1.get("/user/sa2/headers").status, 403,
         "a student cannot open a classmate's server")
    admin.api("PATCH", "/courses/ca", {"archived": True})
    t.eq(ins.get("/user/sa1/headers").status, 403,
         "after the course is archived the instructor cannot either")
    admin.api("PATCH", "/courses/ca", {"archived": False})
    r = ta.api("DELETE", "/courses/ca/servers")
    t.eq((r.status, r.json().get("stopping")), (202, 2),
         "a TA stops the class's servers")
    for n in ("sa1", "sa2", "sb1"):
        admin.api("DELETE", "/users/%s/server" % n)
    for n in ("sa1", "sa2", "sb1"):
        wait_state(hub, admin, n, ("stopped", "failed"))


def main():
    shutil.copy(os.path.join(SRC, "tests", "integration", "fixtures",
                             "echo_server.py"), ECHO)
    os.chmod(ECHO, 0o644)
    try:
        run(test, conf="[server]\ncommand = /usr/bin/python3 %s\n" % ECHO)
    finally:
        os.unlink(ECHO)


main()
