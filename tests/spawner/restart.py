#!/usr/bin/python3
"""Servers outlive the spawner: when hubd closes the connection the
spawner ends and the servers go on answering.  A new spawner adopts them
(SP_ADOPT with pid, start time and cgroup: SP_ADOPTED ok=1), stops them
(SP_EXITED requested=1, status -1: not its children) and notices when one
is killed.  An ADOPT that does not match (wrong start time) is refused and
what is left of that server is cleaned up; one naming another uid's cgroup
touches nothing."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sptest as T  # noqa: E402

T.require()
T.subreaper()       # orphaned servers become ours to reap, not pid 1's
t = T.Tap()
USERS = ["alice", "bob", "carol"]
sp = T.Spawner(users=USERS).start()
tok = {u: T.token() for u in USERS}
st = {}
for u in USERS:
    st[u] = sp.start_server(u, tok[u])
    t.ok(st[u] is not None and st[u].ok == 1, "%s's server starts" % u,
         st[u] and T.s(st[u].message))
if not all(m is not None and m.ok for m in st.values()):
    t.done()
for u in USERS:
    peer, why = T.wait_ready(T.s(st[u].socket), u, tok[u], 60, st[u].pid)
    t.eq(peer, st[u].uid, "%s's server answers" % u, why)

t.eq(sp.close(), 0, "hubd goes (EOF): the spawner ends with status 0")
time.sleep(0.5)
for u in USERS:
    peer, why = T.wait_ready(T.s(st[u].socket), u, tok[u], 10, st[u].pid)
    t.eq(peer, st[u].uid, "%s's server outlives the spawner" % u, why)

sp2 = T.Spawner(root=sp.root).start()
a = st["alice"]
m = sp2.adopt("alice", a.pid, a.starttime, T.s(a.cgroup))
t.ok(m is not None and m.ok == 1 and m.uid == a.uid,
     "ADOPT alice: SP_ADOPTED ok=1 with her uid", m and T.s(m.message))
m = sp2.adopt("alice", a.pid, a.starttime, T.s(a.cgroup))
t.ok(m is not None and m.ok == 0, "ADOPT alice twice: refused",
     m and T.s(m.message))
r = sp2.start_server("alice", tok["alice"])
t.ok(r is not None and r.ok == 0 and "running" in T.s(r.message),
     "START of an adopted server: refused", r and T.s(r.message))

b = st["bob"]
m = sp2.adopt("bob", b.pid, b.starttime, T.s(a.cgroup))
t.ok(m is not None and m.ok == 0 and "not one of uid" in T.s(m.message),
     "ADOPT bob naming alice's cgroup: refused", m and T.s(m.message))
peer, _ = T.wait_ready(T.s(a.socket), "alice", tok["alice"], 5, a.pid)
t.eq(peer, a.uid, "and alice's server is untouched")
peer, _ = T.wait_ready(T.s(b.socket), "bob", tok["bob"], 5, b.pid)
t.eq(peer, b.uid, "and bob's server is untouched")
m = sp2.adopt("bob", b.pid, b.starttime + 1, T.s(b.cgroup))
t.ok(m is not None and m.ok == 0 and "another process" in T.s(m.message),
     "ADOPT bob with a wrong start time: refused", m and T.s(m.message))


def gone(pid, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        T.reap()
        if not T.alive(pid):
            return True
        time.sleep(0.05)
    return False


t.ok(gone(b.pid), "what was left of bob's server is killed")
t.eq(T.cgroup_dirs(T.s(b.cgroup)), [], "its cgroup is removed")
t.ok(not os.path.exists(T.s(b.socket)), "its socket is removed")
m = sp2.adopt("bob", b.pid, b.starttime, T.s(b.cgroup))
t.ok(m is not None and m.ok == 0 and "ended" in T.s(m.message),
     "ADOPT of a server that has ended: refused", m and T.s(m.message))
m = sp2.adopt("erin", 12345, 1, "u%d.g1" % (T.uid_block() + 9))
t.ok(m is not None and m.ok == 0 and "never had" in T.s(m.message),
     "ADOPT for an account that never had a server: refused",
     m and T.s(m.message))

r = sp2.stop_server("alice")
t.ok(r is not None and r.ok == 1, "STOP the adopted server: ok",
     r and T.s(r.message))
e = sp2.wait_exited("alice", 20)
t.ok(e is not None and e.requested == 1 and e.pid == a.pid and
     e.status == -1, "SP_EXITED: requested=1, status -1 (not our child)",
     e and (e.pid, e.requested, e.status))
t.ok(e is not None and "received signal 15" in T.s(e.message),
     "with the log's last lines", e and T.s(e.message))
t.ok(gone(a.pid), "no sandbox process left")
t.eq(T.cgroup_dirs(T.s(a.cgroup)), [], "its cgroup is removed")

c = st["carol"]
m = sp2.adopt("carol", c.pid, c.starttime, T.s(c.cgroup))
t.ok(m is not None and m.ok == 1, "ADOPT carol", m and T.s(m.message))
os.kill(c.pid, signal.SIGKILL)
e = sp2.wait_exited("carol", 20)
t.ok(e is not None and e.requested == 0 and e.status == -1,
     "an adopted server killed from outside: SP_EXITED requested=0",
     e and (e.requested, e.status))
t.ok(gone(c.pid), "no sandbox process left")
t.eq(T.cgroup_dirs(T.s(c.cgroup)), [], "its cgroup is removed")
t.ok(not os.path.exists(T.s(c.socket)), "its socket is removed")
t.eq(sp2.close(), 0, "the new spawner ends on EOF")
t.done()
