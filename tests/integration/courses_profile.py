"""A course's resource profile: its students' servers get the profile's
limits (the largest of their active courses); unknown profiles are
refused."""
import os
import shutil
from hubtest import run, server_row, wait_state, SRC

ECHO = "/usr/local/lib/hubd-test-echo-f%d.py" % os.getpid()


def limit(pid, controller, name):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                p = "/sys/fs/cgroup/%s%s/%s" % (controller, path, name)
                if os.path.exists(p):
                    return open(p).read().strip()
            if ctrls == "":   # cgroup v2
                p = "/sys/fs/cgroup%s/%s" % (path, name)
                if os.path.exists(p):
                    return open(p).read().strip()
    return None


def test(t, hub):
    admin = hub.admin()
    for code in ("small1", "big1"):
        admin.api("POST", "/courses", {"code": code})
    t.eq(admin.api("PATCH", "/courses/big1", {"profile": "nope"}).status, 400,
         "a profile the configuration lacks is refused")
    t.eq(admin.api("PATCH", "/courses/big1", {"profile": "big"}).status, 200,
         "big1 gets the profile big")
    t.eq(admin.api("PATCH", "/courses/small1", {"profile": "small"}).status,
         200, "small1 the profile small")
    admin.api("POST", "/users", {"usernames": ["pf1", "pf2"]})
    admin.api("POST", "/courses/small1/users/pf1", {"role": "student"})
    admin.api("POST", "/courses/big1/users/pf1", {"role": "student"})
    admin.api("POST", "/courses/small1/users/pf2", {"role": "student"})
    for n in ("pf1", "pf2"):
        admin.api("POST", "/users/%s/server" % n)
    for n in ("pf1", "pf2"):
        wait_state(hub, admin, n, ("running", "failed"))
    p1, p2 = server_row(hub, "pf1")["pid"], server_row(hub, "pf2")["pid"]
    m1 = limit(p1, "memory", "memory.limit_in_bytes") or \
        limit(p1, "memory", "memory.max")
    m2 = limit(p2, "memory", "memory.limit_in_bytes") or \
        limit(p2, "memory", "memory.max")
    t.eq(m1, str(384 << 20), "in both courses: the bigger profile's memory")
    t.eq(m2, str(192 << 20), "in the small course only: its memory")
    t.eq(limit(p1, "pids", "pids.max"), "300", "and the profile's pids")
    for n in ("pf1", "pf2"):
        admin.api("DELETE", "/users/%s/server" % n)
    for n in ("pf1", "pf2"):
        wait_state(hub, admin, n, ("stopped", "failed"))


def main():
    shutil.copy(os.path.join(SRC, "tests", "integration", "fixtures",
                             "echo_server.py"), ECHO)
    os.chmod(ECHO, 0o644)
    try:
        run(test, conf="[server]\ncommand = /usr/bin/python3 %s\n"
            "[profile.big]\nmemory = 384M\npids = 300\n"
            "[profile.small]\nmemory = 192M\n" % ECHO)
    finally:
        os.unlink(ECHO)


main()
