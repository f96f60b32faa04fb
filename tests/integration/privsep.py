"""Privilege separation: after start hubd runs as its own user with no way
back, and the spawner is its only root child."""
import os
import pwd
from hubtest import run, HUB_USER


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


def children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    kids.append(int(d))
            except OSError:
                pass
    return kids


def test(t, hub):
    if not t.ok(os.geteuid() == 0, "the test runs as root, as in CI"):
        return
    uid = pwd.getpwnam(HUB_USER).pw_uid
    gid = pwd.getpwnam(HUB_USER).pw_gid
    st = status(hub.proc.pid)
    t.eq(st["Uid"], [str(uid)] * 4, "hubd's real, effective, saved and fs "
         "uid are the hub user's")
    t.eq(st["Gid"], [str(gid)] * 4, "and its gids")
    t.eq(st["Groups"], [str(gid)], "with no supplementary root groups")
    t.eq(st["NoNewPrivs"], ["1"], "no_new_privs is set")
    t.eq(st["CapEff"], ["0000000000000000"], "no effective capabilities")
    t.eq(st["CapPrm"], ["0000000000000000"], "none permitted either")
    t.eq(st["Seccomp"], ["2"], "hubd runs under its seccomp filter")
    with open("/proc/%d/status" % hub.proc.pid) as f:
        threads = [d for d in os.listdir("/proc/%d/task" % hub.proc.pid)]
    filtered = []
    for tid in threads:
        with open("/proc/%d/task/%s/status" % (hub.proc.pid, tid)) as f:
            filtered.append("Seccomp:\t2" in f.read())
    t.ok(all(filtered), "and so does every one of its threads")
    kids = children(hub.proc.pid)
    t.eq(len(kids), 1, "one child: the spawner")
    if kids:
        with open("/proc/%d/cmdline" % kids[0]) as f:
            t.contains(f.read(), "hubd-spawner", "it is hubd-spawner")
        t.eq(status(kids[0])["Uid"][1], "0", "the spawner runs as root")
        fds = os.listdir("/proc/%d/fd" % kids[0])
        t.ok(len(fds) <= 6, "the spawner inherited only its few fds",
             sorted(fds))
    t.contains(hub.stderr(), "running as %s" % HUB_USER, "the log says so")
    hub.add_user("quinn", "quinn's password")
    t.eq(hub.client().login("quinn", "quinn's password").status, 303,
         "the database is still writable after the drop")
    db = os.path.join(hub.data, "hubd.sqlite")
    t.eq(os.stat(db).st_mode & 0o777, 0o600, "the database is 0600")
    hub.spawner_pid = kids[0] if kids else None


run(test)
