#!/usr/bin/python3
"""SANDBOX.md's escape list: student A attacks from inside its sandbox
(sb-escape prints one TAP line per attempt), then the host, as uid B,
attacks A's processes, home and socket.

A stand-in hub listens on 127.0.0.1 and on an abstract unix socket; a
host SysV segment and a hub database file exist; B runs at the same time.
"""
import ctypes
import errno
import os
import shutil
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

sbtest.require()
tap = sbtest.TAP()
root = sbtest.workdir()
alice, bob = sbtest.students(["alice", "bob"], root)

# Hub stand-ins on the host.
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.bind(("127.0.0.1", 0))
tcp.listen(1)
port = tcp.getsockname()[1]
abstract = "hubd-sbtest-%d" % os.getpid()
absock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
absock.bind("\0" + abstract)
absock.listen(1)
hubdb_dir = os.path.join(root, "var-lib-hubd")
os.makedirs(hubdb_dir, mode=0o700)
hubdb = os.path.join(hubdb_dir, "hubd.db")
with open(hubdb, "w") as f:
    f.write("secret\n")
shm = subprocess.run(["ipcmk", "-M", "4096"], capture_output=True, text=True)
shmid = shm.stdout.split()[-1] if shm.returncode == 0 else None
if shmid:
    sbtest.at_exit(lambda: subprocess.run(["ipcrm", "-m", shmid]))
tap.ok(shmid is not None, "host SysV segment created for test 46",
       shm.stderr)

# Course folder: world-writable on the host, so only the ro bind stops us.
course = os.path.join(root, "course")
os.makedirs(course)
os.chmod(course, 0o777)
with open(os.path.join(course, "notes.txt"), "w") as f:
    f.write("read me\n")
os.chmod(os.path.join(course, "notes.txt"), 0o666)
# A setuid-root copy of the probe.
bindir = os.path.join(root, "bin")
os.makedirs(bindir)
esc = os.path.join(sbtest.TESTBIN, "sb-escape")
shutil.copy(esc, os.path.join(bindir, "sb-escape"))
os.chown(os.path.join(bindir, "sb-escape"), 0, 0)
os.chmod(os.path.join(bindir, "sb-escape"), 0o4755)

# Student B: a server on its socket, for A to look for.
bob_srv = bob.start(["python3", "-c",
                     "import socket,time\n"
                     "s=socket.socket(socket.AF_UNIX)\n"
                     "s.bind('/run/nb/nb.sock'); s.listen(1)\n"
                     "time.sleep(120)\n"])
bob_sock = os.path.join(bob.sockdir, "nb.sock")
sbtest.wait_for(lambda: os.path.exists(bob_sock), 15)
tap.ok(os.path.exists(bob_sock), "student B's server is up")
bob_pids = sbtest.pids_of_uid(bob.uid)

env = {
    "SBT_HUB_PID": os.getpid(),
    "SBT_OTHER_PID": bob_pids[0] if bob_pids else 1,
    "SBT_HUB_PORT": port,
    "SBT_ABSTRACT": abstract,
    "SBT_OTHER_HOME": bob.home,
    "SBT_OTHER_SOCK": bob_sock,
    "SBT_HUBDB": hubdb,
    "SBT_COURSE": "/srv/course",
    "SBT_SETUID": "/srv/bin/sb-escape",
}
extra = ["--bind", course + ":/srv/course:ro",
         "--bind", bindir + ":/srv/bin:ro",
         "--memory", "256M", "--pids", "64"]
for k, v in env.items():
    extra += ["--env", "%s=%s" % (k, v)]
# The probe runs from a read-only bind of the build tree.
extra += ["--bind", sbtest.TESTBIN + ":/srv/test:ro"]
r = alice.run(["/srv/test/sb-escape"], extra=extra, timeout=60)
inner = 0
for line in r.stdout.splitlines():
    if line.startswith("ok ") or line.startswith("not ok "):
        inner += 1
        passed = line.startswith("ok ")
        desc = line.split(" - ", 1)[1] if " - " in line else line
        tap.ok(passed, "inside: " + desc)
    elif line.startswith("#"):
        print(line)
tap.ok(inner >= 80 and r.returncode == 0,
       "sb-escape ran every attempt (%d) and exited 0" % inner,
       r.stdout[-2000:] + r.stderr)

# Host side, as uid B, against A's processes, home and socket.
alice_srv = alice.start(["python3", "-c",
                         "import socket,time,os\n"
                         "os.environ['SECRET']='x'\n"
                         "s=socket.socket(socket.AF_UNIX)\n"
                         "s.bind('/run/nb/nb.sock'); s.listen(1)\n"
                         "time.sleep(120)\n"])
alice_sock = os.path.join(alice.sockdir, "nb.sock")
sbtest.wait_for(lambda: os.path.exists(alice_sock), 15)
apids = sbtest.pids_of_uid(alice.uid)
tap.ok(len(apids) >= 1, "student A's server is up")
target = max(apids) if apids else 1


def attempt(fn):
    def run():
        try:
            fn()
            return 0
        except OSError as e:
            return e.errno
    return sbtest.as_uid(bob.uid, run)


libc = ctypes.CDLL(None, use_errno=True)


def ptrace_attach():
    if libc.ptrace(16, target, None, None) == -1:
        raise OSError(ctypes.get_errno(), "ptrace")


tap.ok(attempt(ptrace_attach) == errno.EPERM,
       "13 host as B: ptrace A's server: EPERM")
for what in ("environ", "mem"):
    got = attempt(lambda: open("/proc/%d/%s" % (target, what), "rb").read(1))
    tap.ok(got == errno.EACCES,
           "13 host as B: read /proc/<A>/%s: EACCES" % what, got)
got = attempt(lambda: os.listdir("/proc/%d/cwd" % target))
tap.ok(got == errno.EACCES, "13 host as B: /proc/<A>/cwd: EACCES", got)
got = attempt(lambda: os.kill(target, 0))
tap.ok(got == errno.EPERM, "13 host as B: kill(A, 0): EPERM", got)
got = attempt(lambda: os.listdir(alice.home))
tap.ok(got == errno.EACCES, "36 host as B: list A's home: EACCES", got)


def connect_alice():
    s = socket.socket(socket.AF_UNIX)
    s.connect(alice_sock)


got = attempt(connect_alice)
tap.ok(got == errno.EACCES, "42 host as B: connect A's nb.sock: EACCES", got)

for p in (alice_srv, bob_srv):
    p.terminate()
    p.wait(timeout=20)
tap.done()
