#!/usr/bin/python3
"""hubd-sandbox as a command: --help documents every option, bad values
get a clear message and status 125, the command's status passes through,
uids come from the reserved range, homes are made 0700, PAM (system)
accounts run as their real uid."""
import os
import pwd
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

sbtest.require()
tap = sbtest.TAP()
root = sbtest.workdir()
(alice,) = sbtest.students(["alice"], root)
S = sbtest.SANDBOX

r = subprocess.run([S, "--help"], capture_output=True, text=True)
with open(os.path.join(sbtest.SRCDIR, "sandbox", "main.c")) as f:
    opts = re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument', f.read())
missing = [o for o in opts if "--" + o not in r.stdout]
tap.ok(r.returncode == 0 and len(opts) >= 20 and not missing,
       "--help documents all %d options" % len(opts), missing)

base = ["--user", "alice", "--uid", str(alice.uid), "--homes", alice.homes]
bad = [
    (["--memory", "1X"], "unknown unit"),
    (["--memory", "8M"], "out of range"),
    (["--cpus", "two"], "expected a number"),
    (["--cpus", "0"], "out of range"),
    (["--pids", "1.5"], "whole number"),
    (["--cpu-weight", "0"], "out of range"),
    (["--bind", "nocolon"], "expected SRC:DST"),
    (["--bind", "/usr/share:/usr/x"], "bind target"),
    (["--bind", "/usr/share:/srv/x:rx"], "use ro or rw"),
    (["--bind", "/nonexistent:/srv/x"], "bind source"),
    (["--env", "NOEQUALS"], "NAME=value"),
]
for extra, msg in bad:
    r = subprocess.run([S] + base + extra + ["--", "true"],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 125 and msg in r.stderr,
           "%s: status 125, says '%s'" % (" ".join(extra), msg),
           "%d %s" % (r.returncode, r.stderr))
for args, msg in [
        (["--user", "Bad!", "--uid", str(alice.uid), "--homes", alice.homes,
          "--", "true"], "--user"),
        (["--user", "alice", "--uid", "1000", "--homes", alice.homes, "--",
          "true"], "outside the hub range"),
        (["--user", "nosuchuser-x", "--homes", alice.homes, "--", "true"],
         "no such account"),
        (["--user", "alice", "--uid", str(alice.uid), "--", "true"],
         "--home"),
        (base, "no command"),
        (["--uid", str(alice.uid), "--homes", alice.homes, "--", "true"],
         "--user is required")]:
    r = subprocess.run([S] + args, capture_output=True, text=True)
    tap.ok(r.returncode == 125 and msg in r.stderr,
           "refused with '%s'" % msg, "%d %s" % (r.returncode, r.stderr))

for cmd, want, desc in [
        (["true"], 0, "true: 0"),
        (["sh", "-c", "exit 7"], 7, "exit 7: 7"),
        (["sh", "-c", "kill -TERM $$"], 143, "killed by SIGTERM: 143"),
        (["/nonexistent/cmd"], 127, "missing command: 127")]:
    r = alice.run(cmd)
    tap.ok(r.returncode == want, "status passes through: " + desc,
           "%d %s" % (r.returncode, r.stderr))
r = alice.run(["/nonexistent/cmd"])
tap.ok("exec /nonexistent/cmd" in r.stderr,
       "a failed exec names the command", r.stderr)

out = subprocess.check_output([S, "--pick-uid"], text=True).strip()
uid = int(out)
try:
    pwd.getpwuid(uid)
    known = True
except KeyError:
    known = False
tap.ok(0x70000000 <= uid <= 0x7000FFFF and not known,
       "--pick-uid gives a free uid of the reserved range (%d)" % uid)
nxt = int(subprocess.check_output([S, "--pick-uid", "--used", str(uid)],
                                  text=True))
tap.ok(nxt > uid, "--used uids are never given again")

st = os.stat(alice.home)
tap.ok(stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == alice.uid and
       st.st_gid == alice.uid, "--homes made the home 0700, owned by uid")

# A system (PAM) account runs as its real uid and primary gid.
name = "hubdsbt%d" % (os.getpid() % 100000)
u = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                    "/usr/sbin/nologin", name], capture_output=True,
                   text=True)
tap.ok(u.returncode == 0, "useradd " + name, u.stderr)
sbtest.at_exit(lambda: subprocess.run(["userdel", name],
                                      capture_output=True))
pw = pwd.getpwnam(name)
home = os.path.join(root, "pamhome")
os.makedirs(home)
os.chown(home, pw.pw_uid, pw.pw_gid)
r = subprocess.run([S, "--user", name, "--home", home, "--", "id"],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode == 0 and "uid=%d(%s)" % (pw.pw_uid, name) in r.stdout
       and "gid=%d" % pw.pw_gid in r.stdout,
       "system account runs as its real uid and gid", r.stdout + r.stderr)
subprocess.run(["userdel", name], capture_output=True)
tap.done()
