#!/usr/bin/python3
"""Servers that fail: a command that does not exist (SP_STARTED ok=0 with
the reason), one that exits at once (SP_EXITED with its status and its
last words), one killed with SIGKILL from outside (SP_EXITED, requested=0,
the signal in the status), one that runs out of memory (oom_kills >= 1).
Nothing is left behind: no process, no cgroup, no socket."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sptest as T  # noqa: E402

T.require()
t = T.Tap()
USERS = ["alice", "bob", "carol", "dave"]
UID = {u: T.uid_block() + i for i, u in enumerate(USERS)}


def cgroups_of(user):
    import glob
    return glob.glob("/sys/fs/cgroup/**/hubd-students/u%d.g*" % UID[user],
                     recursive=True)


def nothing_left(sp, user, pid, what):
    t.ok(wait_for(lambda: not T.alive(pid), 5) if pid else True,
         "%s: no sandbox process left" % what)
    t.eq(cgroups_of(user), [], "%s: no cgroup left" % what)
    t.ok(not os.path.exists(os.path.join(sp.sockets, user, "nb.sock")),
         "%s: no socket left" % what)


def wait_for(cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


# (1) a command that does not exist
sp = T.Spawner(server="command = /nonexistent/jupyter\n", users=USERS)
sp.start()
t0 = time.monotonic()
m = sp.start_server("alice")
t.ok(m is not None and m.ok == 0, "a missing command: SP_STARTED ok=0",
     m and T.s(m.message))
if m is not None:
    t.ok("/nonexistent/jupyter" in T.s(m.message) and
         "No such file" in T.s(m.message),
         "the message names the command and the reason", T.s(m.message))
    t.ok(time.monotonic() - t0 < 5, "at once")
nothing_left(sp, "alice", 0, "missing command")
t.eq(sp.close(), 0, "the spawner ends on EOF")

# (2) a command that exits at once, saying why
sp = T.Spawner(server="command = /usr/bin/python3 -c "
               "raise(SystemExit('boom-at-start'))\n", users=USERS,
               root=sp.root)
sp.start()
m = sp.start_server("bob")
t.ok(m is not None and m.ok == 1, "a command that exits: SP_STARTED ok=1",
     m and T.s(m.message))
e = sp.wait_exited("bob", 20) if m is not None and m.ok else None
t.ok(e is not None and e.requested == 0 and os.WIFEXITED(e.status) and
     os.WEXITSTATUS(e.status) == 1,
     "SP_EXITED soon after, requested=0, exit status 1",
     e and (e.status, e.requested))
t.ok(e is not None and "boom-at-start" in T.s(e.message),
     "with its last words", e and T.s(e.message))
if m is not None and m.ok:
    nothing_left(sp, "bob", m.pid, "exits at once")
t.eq(sp.close(), 0, "the spawner ends on EOF")

# (3) SIGKILL from outside, to pid 1 and to the notebook server itself
sp = T.Spawner(users=USERS, root=sp.root).start()
for victim in ("pid 1", "the payload"):
    tok = T.token()
    m = sp.start_server("carol", tok)
    ok = m is not None and m.ok == 1
    t.ok(ok, "carol's server starts", m and T.s(m.message))
    if not ok:
        continue
    peer, why = T.wait_ready(T.s(m.socket), "carol", tok, 60, m.pid)
    t.ok(peer == m.uid, "and answers", "%s\n%s" % (why, T.log_of(sp, "carol")))
    pid = m.pid
    if victim == "the payload":
        kids = T.children(m.pid)
        t.ok(len(kids) == 1, "pid 1 has one child: the server", kids)
        pid = kids[0] if kids else m.pid
    os.kill(pid, signal.SIGKILL)
    e = sp.wait_exited("carol", 20)
    t.ok(e is not None and e.requested == 0 and e.pid == m.pid,
         "SIGKILL to %s: SP_EXITED, requested=0" % victim,
         e and (e.pid, e.requested))
    t.ok(e is not None and os.WIFSIGNALED(e.status) and
         os.WTERMSIG(e.status) == signal.SIGKILL,
         "SIGKILL to %s: the status says signal 9" % victim,
         e and e.status)
    t.ok(e is not None and e.oom_kills == 0, "no OOM kill counted")
    nothing_left(sp, "carol", m.pid, "SIGKILL to " + victim)
t.eq(sp.close(), 0, "the spawner ends on EOF")

# (4) out of memory: 64M, and a command that wants 300M at once
sp = T.Spawner(server="memory = 64M\ncommand = /usr/bin/python3 -c "
               "x=b'x'*(300<<20)\n", users=USERS, root=sp.root).start()
m = sp.start_server("dave")
t.ok(m is not None and m.ok == 1, "a greedy command starts",
     m and T.s(m.message))
e = sp.wait_exited("dave", 30) if m is not None and m.ok else None
t.ok(e is not None and e.oom_kills >= 1,
     "SP_EXITED with oom_kills >= 1", e and (e.oom_kills, e.status,
                                             T.s(e.message)))
t.ok(e is not None and os.WIFSIGNALED(e.status) and
     os.WTERMSIG(e.status) == signal.SIGKILL and e.requested == 0,
     "killed by SIGKILL, not asked for", e and (e.status, e.requested))
if m is not None and m.ok:
    nothing_left(sp, "dave", m.pid, "OOM")
t.eq(sp.close(), 0, "the spawner ends on EOF")
t.done()
