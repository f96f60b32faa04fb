"""Campus (PAM) logins through the spawner, with real system accounts made
here and removed after: right and wrong passwords, accounts outside the
allowed groups, root, an expired account, and one wrong password that must
not hold up ten right ones."""
import os
import shutil
import subprocess
import threading
import time
from hubtest import Hub, SRC, Tap

t = Tap()
tag = "hp%d" % (os.getpid() % 100000)
group = tag + "grp"
service = "hubd-test-" + tag
ok_users = ["%sok%d" % (tag, i) for i in range(10)]
wrong_user, out_user, exp_user = tag + "wr", tag + "out", tag + "exp"
pw = {u: "pw-%s-secret" % u for u in ok_users + [wrong_user, out_user, exp_user]}
made = []


def sh(*argv, input=None):
    return subprocess.run(argv, input=input, capture_output=True, text=True,
                          check=True)


if os.geteuid() != 0:
    t.bail("PAM tests make system accounts: run as root (CI does)")
hub = None
try:
    sh("groupadd", group)
    for u in ok_users + [wrong_user, exp_user]:
        sh("useradd", "-M", "-s", "/usr/sbin/nologin", "-G", group, u)
        made.append(u)
    sh("useradd", "-M", "-s", "/usr/sbin/nologin", out_user)
    made.append(out_user)
    sh("chpasswd", input="".join("%s:%s\n" % kv for kv in pw.items()))
    sh("chage", "-E", "0", exp_user)
    shutil.copy(os.path.join(SRC, "packaging", "pam", "hubd"),
                "/etc/pam.d/" + service)
    hub = Hub(conf="[pam]\nenabled = yes\nservice = %s\nallowed_groups = %s\n"
              "workers = 16\n" % (service, group))
    hub.start()

    u = ok_users[0]
    c = hub.client()
    r = c.login(u, pw[u])
    t.eq(r.status, 303, "a campus account logs in with its own password")
    with hub.db() as db:
        row = db.execute("SELECT role, auth, password_hash FROM users WHERE "
                         "name = ?", (u,)).fetchone()
    t.eq(row, ("student", "pam", None),
         "it got a hub account: student, auth pam, no password stored")
    t.contains(c.get("/hub/home").text, "Welcome, " + u, "and reaches home")
    r = c.get("/hub/password")
    t.contains(r.text, "with the institution", "no password change here")
    t.eq(hub.client().login(u, "not the password").status, 403,
         "a wrong password: 403")
    r = hub.client().login(out_user, pw[out_user])
    t.eq(r.status, 403, "an account outside the allowed groups: 403")
    t.contains(r.text, "Wrong user name or password.",
               "with the usual message (no oracle for system passwords)")
    t.contains(hub.stderr(), "none of the allowed groups",
               "the log says why")
    t.eq(hub.client().login("root", "anything").status, 403, "root: 403")
    r = hub.client().login(exp_user, pw[exp_user])
    t.eq(r.status, 403, "an expired account: 403")
    t.contains(r.text, "expired or locked", "and is told so")
    t.eq(hub.client().login(tag + "none", "x").status, 403,
         "an unknown account: 403")

    # One wrong password (PAM waits 2-4 s) and ten right ones at once: the
    # right ones must all be done before the wrong one.
    order = []
    lock = threading.Lock()

    def attempt(user, password):
        st = hub.client().login(user, password).status
        with lock:
            order.append((user, st))

    th = [threading.Thread(target=attempt, args=(wrong_user, "wrong!"))]
    th += [threading.Thread(target=attempt, args=(u, pw[u]))
           for u in ok_users]
    th[0].start()
    time.sleep(0.2)      # the wrong one is in PAM first
    for x in th[1:]:
        x.start()
    for x in th:
        x.join(60)
    t.eq(sorted(s for _, s in order[:-1]), [303] * 10,
         "the ten right passwords all log in")
    t.eq(order[-1] if order else None, (wrong_user, 403),
         "and all before the wrong one, which PAM delays")

    r = hub.hubctl("user", "list")
    t.ok(all(x in r.stdout for x in ok_users), "their hub accounts exist")
    t.eq(hub.stop(), 0, "stops cleanly")
except subprocess.CalledProcessError as e:
    t.ok(False, "setting up test accounts", "%s: %s" % (e.cmd, e.stderr))
finally:
    if hub is not None:
        hub.cleanup()
    for u in made:
        subprocess.run(["userdel", u], capture_output=True)
    subprocess.run(["groupdel", group], capture_output=True)
    try:
        os.unlink("/etc/pam.d/" + service)
    except OSError:
        pass
t.done()
