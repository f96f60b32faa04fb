#!/usr/bin/python3
"""What is bound is what was checked, and root never makes mount points
where a student points it:
- the home must be a directory owned by the student, not a symlink;
- the socket directory must not be a symlink;
  (the sources are opened and checked once by the launcher, then bound
  through that descriptor, so a path swapped meanwhile changes nothing);
- bind targets may not nest: a mount point inside a read-write bind would
  be made (as root) in the host directory behind it, through a symlink the
  student planted there."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

sbtest.require()
tap = sbtest.TAP()
root = sbtest.workdir()
(alice,) = sbtest.students(["alice"], root)
S = sbtest.SANDBOX
ident = ["--user", "alice", "--uid", str(alice.uid)]

# A home that is a symlink to somewhere else, owned by the student.
elsewhere = os.path.join(root, "elsewhere")
os.makedirs(elsewhere)
os.chown(elsewhere, alice.uid, alice.uid)
with open(os.path.join(elsewhere, "marker"), "w") as f:
    f.write("elsewhere\n")
link = os.path.join(root, "homelink")
os.symlink(elsewhere, link)
r = subprocess.run([S] + ident + ["--home", link, "--", "ls", "/home/alice"],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode == 125 and "not a symlink" in r.stderr,
       "a symlinked --home is refused", "%d %s %s" %
       (r.returncode, r.stdout, r.stderr))

# A home owned by someone else (root here).
foreign = os.path.join(root, "foreign")
os.makedirs(foreign)
r = subprocess.run([S] + ident + ["--home", foreign, "--", "true"],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode == 125 and "owned by uid 0" in r.stderr,
       "a --home not owned by the student is refused",
       "%d %s" % (r.returncode, r.stderr))

# A symlinked socket directory.
socklink = os.path.join(root, "socklink")
os.symlink(alice.sockdir, socklink)
r = alice.run(["true"], extra=["--sockdir", socklink])
tap.ok(r.returncode == 125 and "not a symlink" in r.stderr,
       "a symlinked --sockdir is refused", "%d %s" % (r.returncode, r.stderr))

# Nested bind targets: a read-write drop box with a student's symlink in it,
# and a second bind below it.  Before the fix root created the mount point
# on the host, in the directory the symlink names.
dropbox = os.path.join(root, "dropbox")
victim = os.path.join(root, "victim")
os.makedirs(dropbox)
os.makedirs(victim)
os.chown(dropbox, alice.uid, alice.uid)
os.symlink(victim, os.path.join(dropbox, "sub"))
afile = os.path.join(root, "afile")
with open(afile, "w") as f:
    f.write("x\n")
r = alice.run(["true"], extra=["--bind", dropbox + ":/srv/submit:rw",
                               "--bind", afile + ":/srv/submit/sub/planted"])
tap.ok(r.returncode == 125 and "nest" in r.stderr,
       "nested bind targets are refused", "%d %s" % (r.returncode, r.stderr))
tap.ok(not os.path.exists(os.path.join(victim, "planted")),
       "root made no file through the student's symlink on the host",
       os.listdir(victim))
r = alice.run(["true"], extra=["--bind", afile + ":/srv/a",
                               "--bind", afile + ":/srv/a"])
tap.ok(r.returncode == 125 and "nest" in r.stderr,
       "the same bind target twice is refused",
       "%d %s" % (r.returncode, r.stderr))
r = alice.run(["cat", "/srv/a", "/srv/ab"],
              extra=["--bind", afile + ":/srv/a", "--bind", afile + ":/srv/ab"])
tap.ok(r.returncode == 0, "sibling targets sharing a prefix still work",
       "%d %s" % (r.returncode, r.stderr))

tap.done()
