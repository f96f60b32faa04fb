#!/usr/bin/python3
"""Server requests the spawner must refuse (answered ok=0 with a reason,
never acted on) or treat as a broken hubd (it exits without answering):
out-of-state START, STOP and ADOPT; bad user names, tokens and profiles;
unclean strings and unknown auth kinds."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sptest as T  # noqa: E402

T.require()
t = T.Tap()
sp = T.Spawner().start()
tok = T.token()

r = sp.stop_server("alice")
t.ok(r is not None and r.ok == 0 and "not running" in T.s(r.message),
     "STOP without a server: STOPPED ok=0", r and T.s(r.message))
a = sp.start_server("alice", tok)
t.ok(a is not None and a.ok == 1, "START alice", a and T.s(a.message))
m = sp.start_server("alice", T.token())
t.ok(m is not None and m.ok == 0 and "running" in T.s(m.message),
     "a second START while it runs: refused", m and T.s(m.message))
m = sp.adopt("alice", a.pid, a.starttime, T.s(a.cgroup))
t.ok(m is not None and m.ok == 0 and "running" in T.s(m.message),
     "ADOPT while it runs: refused", m and T.s(m.message))
t.ok(T.alive(a.pid), "the running server is untouched by refusals")
with open(os.path.join(sp.data, "logs", "alice.log"), errors="replace") as f:
    log = f.read()
t.ok(tok not in log, "the token is not in the server's log")

for name, kw, want in [
    ("a token of 63 hex digits", dict(tok=tok[:63]), "token"),
    ("an upper-case token", dict(tok=tok.upper()), "token"),
    ("a token with a space", dict(tok=tok[:62] + " 0"), "token"),
    ("a profile", dict(profile="gpu"), "profile"),
    ("user a/b", dict(user="a/b"), "user name"),
    ("user ..", dict(user=".."), "user name"),
    ("user with a dot", dict(user="a.b"), "user name"),
    ("user Upper", dict(user="Upper"), "user name"),
    ("an empty user", dict(user=""), "user name"),
    ("a PAM account while PAM is off", dict(user="carol", auth=T.PAM),
     "PAM"),
]:
    user = kw.pop("user", "carol")
    m = sp.start_server(user, **kw)
    t.ok(m is not None and m.ok == 0 and want in T.s(m.message) and
         m.pid == 0 and T.s(m.cgroup) == "",
         "START with %s: refused (%s)" % (name, want),
         m and T.s(m.message))
t.ok(not os.path.exists(os.path.join(sp.sockets, "carol")),
     "refused starts made nothing")

r = sp.stop_server("alice")
t.ok(r is not None and r.ok == 1, "STOP alice")
r = sp.stop_server("alice")
t.ok(r is not None and r.ok == 0 and "stopping" in T.s(r.message),
     "a second STOP while it stops: refused", r and T.s(r.message))
m = sp.start_server("alice", tok)
t.ok(m is not None and m.ok == 0, "START while it stops: refused",
     m and T.s(m.message))
e = sp.wait_exited("alice", 20)
t.ok(e is not None and e.requested == 1, "then SP_EXITED")
t.eq(sp.close(), 0, "the spawner ends on EOF")

# A broken hubd: the spawner exits without answering and starts nothing.
start = T.Start
BAD = [
    ("an unknown auth kind", T.msg(start, T.START, 5, user="dave",
                                   auth=7, token=T.token())),
    ("an unterminated token",
     T.msg(start, T.START, 5, user="dave", token=b"a" * 65)),
    ("bytes hidden after the user name",
     T.msg(start, T.START, 5, user=b"dave\0x", token=T.token())),
    ("an unterminated profile",
     T.msg(start, T.START, 5, user="dave", profile=b"p" * 33,
           token=T.token())),
    ("a START one byte short",
     T.msg(start, T.START, 5, user="dave", token=T.token())[:-1]),
    ("a STOP with an unterminated user",
     T.msg(T.Stop, T.STOP, 5, user=b"d" * 33)),
    ("an ADOPT with an unknown auth kind",
     T.msg(T.Adopt, T.ADOPT, 5, user="dave", auth=9, pid=1,
           cgroup="u1.g1")),
    ("an ADOPT with an unterminated cgroup",
     T.msg(T.Adopt, T.ADOPT, 5, user="dave", pid=1, cgroup=b"u" * 64)),
    ("a STARTED from hubd",
     T.msg(T.Started, T.STARTED, 5, user="dave")),
    ("an EXITED from hubd",
     T.msg(T.Exited, T.EXITED, 5, user="dave")),
]
for name, data in BAD:
    sp2 = T.Spawner(root=sp.root).start()
    sp2.send(data)
    got = sp2.recv(10)
    if got and len(got) == T.SIZES[T.STARTED]:
        T.track(T.Started.from_buffer_copy(got))     # for cleanup
    try:
        rc = sp2.p.wait(10)
    except Exception:
        rc = "still running"
    t.ok(got in (b"", None) and rc not in (0, None, "still running"),
         "%s: the spawner exits without answering" % name,
         "rc=%r got=%r %s" % (rc, got and got[:40], sp2.stderr()))
    t.ok("hubd-spawner" in sp2.stderr(), "%s: it says why" % name)
t.ok(not os.path.exists(os.path.join(sp.sockets, "dave")),
     "nothing was made for dave")
t.done()
