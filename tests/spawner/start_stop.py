#!/usr/bin/python3
"""Two hub accounts start servers at the same time through hubd-spawner:
each socket answers /user/NAME/api/status with that student's token, its
peer (SO_PEERCRED) is the student's reserved uid, neither student can
reach the other's socket, and the hub's group can.  SP_STOP answers at
once, SP_EXITED follows with requested=1, and no process or cgroup is
left."""
import errno
import os
import pwd
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sptest as T  # noqa: E402

T.require()
t = T.Tap()
sp = T.Spawner().start()
tok = {"alice": T.token(), "bob": T.token()}
st = {}
for user in ("alice", "bob"):
    m = sp.start_server(user, tok[user])
    st[user] = m
    t.ok(m is not None and m.ok == 1, "%s: SP_STARTED ok" % user,
         (T.s(m.message) if m else "no answer") + sp.stderr())
if not all(m is not None and m.ok for m in st.values()):
    t.done()
a, b = st["alice"], st["bob"]
t.ok(T.SB_UID_MIN <= a.uid <= T.SB_UID_MAX and
     T.SB_UID_MIN <= b.uid <= T.SB_UID_MAX and a.uid != b.uid,
     "each gets its own uid from the reserved range", (a.uid, b.uid))
t.eq(T.s(a.socket), os.path.join(sp.sockets, "alice", "nb.sock"),
     "the socket is <sockets>/<user>/nb.sock")
t.ok(T.starttime(a.pid) == a.starttime and a.starttime > 0,
     "pid and starttime describe the running sandbox",
     (a.pid, a.starttime, T.starttime(a.pid)))
t.ok(T.s(a.cgroup) == "u%d.g" % a.uid + T.s(a.cgroup).split(".g", 1)[1]
     and T.cgroup_dirs(T.s(a.cgroup)),
     "cgroup u<uid>.g<n> exists", (T.s(a.cgroup), T.cgroup_dirs(T.s(a.cgroup))))

peer = {}
for user in ("alice", "bob"):
    m = st[user]
    peer[user], body = T.wait_ready(T.s(m.socket), user, tok[user], 60,
                                    m.pid)
    t.ok(peer[user] is not None,
         "%s: /user/%s/api/status answers 200 with the token" % (user, user),
         "%s\n%s" % (body, T.log_of(sp, user)))
    t.eq(peer[user], m.uid, "%s: SO_PEERCRED is the student's uid" % user)

code, _, _ = T.status(T.s(a.socket), "alice", tok["bob"])
t.eq(code, 403, "alice's server refuses bob's token")
sd = os.stat(os.path.dirname(T.s(a.socket)))
hubgid = pwd.getpwnam(T.HUB_USER).pw_gid
t.ok(sd.st_uid == a.uid and sd.st_gid == hubgid and
     (sd.st_mode & 0o7777) == 0o2750,
     "socket folder is <uid>:<hub group> 2750",
     (sd.st_uid, sd.st_gid, oct(sd.st_mode)))
ps = os.stat(sp.sockets)
t.ok(ps.st_uid == 0 and (ps.st_mode & 0o022) == 0,
     "its parent is root's", oct(ps.st_mode))
t.eq(T.connect_as(T.s(a.socket), b.uid, b.uid), errno.EACCES,
     "bob's uid cannot connect to alice's socket")
t.eq(T.connect_as(T.s(b.socket), a.uid, a.uid), errno.EACCES,
     "alice's uid cannot connect to bob's socket")
hub = pwd.getpwnam(T.HUB_USER)
t.eq(T.connect_as(T.s(a.socket), hub.pw_uid, hub.pw_gid), 0,
     "the hub's user can connect to alice's socket")
home = os.stat(os.path.join(sp.homes, str(a.uid)))
t.ok(home.st_uid == a.uid and (home.st_mode & 0o777) == 0o700,
     "home <homes>/<uid> is the student's, 0700", oct(home.st_mode))
logst = os.stat(os.path.join(sp.data, "logs", "alice.log"))
t.ok(logst.st_uid == 0 and (logst.st_mode & 0o077) == 0,
     "the server's log is root's and private", oct(logst.st_mode))
with open(os.path.join(sp.data, "spawner-uids")) as f:
    uids = f.read()
t.ok("alice %d\n" % a.uid in uids and "bob %d\n" % b.uid in uids,
     "uids are recorded in <data_dir>/spawner-uids", uids)
t.ok(tok["alice"] not in open("/proc/%d/cmdline" % a.pid, "rb").read()
     .decode(errors="replace"), "the token is not on pid 1's command line")

t0 = time.monotonic()
r = sp.stop_server("alice")
t.ok(r is not None and r.ok == 1 and time.monotonic() - t0 < 2,
     "SP_STOP: SP_STOPPED ok=1 at once", r and T.s(r.message))
e = sp.wait_exited("alice", 20)
t.ok(e is not None, "SP_EXITED follows", sp.stderr())
if e is not None:
    t.eq((e.pid, e.requested), (a.pid, 1), "for alice's pid, requested=1")
    t.ok(os.WIFEXITED(e.status) or os.WIFSIGNALED(e.status),
         "with a wait status", e.status)
    t.ok("received signal 15" in T.s(e.message) or
         "Shutting down" in T.s(e.message),
         "and the log's last lines", T.s(e.message))
t.ok(not T.alive(a.pid), "no sandbox process left")
t.eq(T.cgroup_dirs(T.s(a.cgroup)), [], "its cgroup is gone")
t.ok(not os.path.exists(T.s(a.socket)), "its socket is gone")
peer2, _ = T.wait_ready(T.s(b.socket), "bob", tok["bob"], 10, b.pid)
t.eq(peer2, b.uid, "bob's server still answers")

# the same student again: same uid, new cgroup
m = sp.start_server("alice", tok["alice"])
t.ok(m is not None and m.ok and m.uid == a.uid and m.cgroup != a.cgroup,
     "alice starts again: same uid, a new cgroup",
     m and (m.uid, T.s(m.cgroup), T.s(m.message)))
for user in ("alice", "bob"):
    r = sp.stop_server(user)
    t.ok(r is not None and r.ok, "%s stops" % user)
    e = sp.wait_exited(user, 20)
    t.ok(e is not None and e.requested == 1, "%s: SP_EXITED" % user)
t.eq(sp.close(), 0, "EOF: the spawner ends with status 0")
t.done()
