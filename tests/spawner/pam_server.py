#!/usr/bin/python3
"""A system (PAM) account's server runs as its own uid with its own home
(made 0700 when missing); accounts PAM logins may not use (below min_uid)
get no server."""
import atexit
import os
import pwd
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sptest as T  # noqa: E402

T.require()
t = T.Tap()
sp = T.Spawner(hub="", server="")
with open(sp.conf, "a") as f:
    f.write("[pam]\nenabled = yes\nmin_uid = 1000\n")
name = "spw" + secrets.token_hex(4)
home = os.path.join(sp.root, "home", name)
os.makedirs(os.path.dirname(home), mode=0o755)
subprocess.run(["useradd", "--no-create-home", "--home-dir", home,
                "--shell", "/usr/sbin/nologin", "--key", "UID_MIN=20000",
                name], check=True, capture_output=True)


def remove_user():
    subprocess.run(["userdel", name], capture_output=True)


atexit.register(remove_user)
pw = pwd.getpwnam(name)
sp.start()
tok = T.token()
m = sp.start_server(name, tok, auth=T.PAM)
t.ok(m is not None and m.ok == 1, "a PAM account's server starts",
     m and T.s(m.message) + sp.stderr())
if m is not None and m.ok:
    t.eq(m.uid, pw.pw_uid, "as the account's own uid")
    st = os.stat(home)
    t.ok(st.st_uid == pw.pw_uid and (st.st_mode & 0o777) == 0o700,
         "its missing home is made, 0700, its own", oct(st.st_mode))
    peer, why = T.wait_ready(T.s(m.socket), name, tok, 60, m.pid)
    t.eq(peer, pw.pw_uid, "the socket answers; SO_PEERCRED is the account",
         why)
    r = sp.stop_server(name)
    t.ok(r is not None and r.ok == 1, "it stops")
    e = sp.wait_exited(name, 20)
    t.ok(e is not None and e.requested == 1, "SP_EXITED requested=1")
uids = os.path.join(sp.data, "spawner-uids")
t.ok(not os.path.exists(uids) or name not in open(uids).read(),
     "no hub uid is allocated for it")
m = sp.start_server("daemon", auth=T.PAM)
t.ok(m is not None and m.ok == 0 and "min_uid" in T.s(m.message),
     "an account below min_uid: refused", m and T.s(m.message))
m = sp.start_server("nosuchaccount", auth=T.PAM)
t.ok(m is not None and m.ok == 0 and "no system account" in T.s(m.message),
     "an unknown account: refused", m and T.s(m.message))
t.eq(sp.close(), 0, "the spawner ends on EOF")
t.done()
