#!/usr/bin/python3
"""The keeper of the students' systemd scope (spawner/scope.c): the
spawner executed as hubd-students-keeper.  Started as root with signals
blocked and a descriptor of its parent's open (as the spawner forks it),
it drops to nobody with no_new_privs, keeps only /dev/null on 0-2, leaves
every signal unblocked, waits, and ends at SIGTERM (what "systemctl stop
hubd-students.scope" sends).  The scope itself needs systemd as pid 1:
the VM test (tests/system) checks it."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sptest as T  # noqa: E402

T.require()
t = T.Tap()
NOBODY = 65534


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


def blocked():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT,
                                              signal.SIGHUP, signal.SIGCHLD})


r, w = os.pipe()       # an inherited descriptor, as the spawner's socket
p = subprocess.Popen(["hubd-students-keeper"], executable=T.SPAWNER,
                     pass_fds=(w,), preexec_fn=blocked,
                     stdin=subprocess.DEVNULL)
os.close(w)
try:
    time.sleep(0.5)
    t.ok(p.poll() is None, "the keeper runs (exit %r)" % p.returncode)
    if p.poll() is not None:
        t.done()
    st = status(p.pid)
    t.eq(st["Uid"], [str(NOBODY)] * 4, "it runs as nobody (uid)")
    t.eq(st["Gid"], [str(NOBODY)] * 4, "it runs as nogroup (gid)")
    t.eq(st.get("Groups", []), [], "it has no supplementary groups")
    t.eq(st["NoNewPrivs"], ["1"], "no_new_privs is set")
    t.eq(st["CapEff"], ["0000000000000000"], "no capabilities left")
    t.eq(int(st["SigBlk"][0], 16), 0, "no signal blocked (the spawner's "
         "mask is not kept)")
    fds = sorted(int(x) for x in os.listdir("/proc/%d/fd" % p.pid))
    t.eq(fds, [0, 1, 2], "it holds no descriptor of its parent's")
    t.ok(all(os.readlink("/proc/%d/fd/%d" % (p.pid, fd)) == "/dev/null"
             for fd in (0, 1, 2)), "0, 1 and 2 are /dev/null")
    t.eq(os.readlink("/proc/%d/cwd" % p.pid), "/", "its folder is /")
    t.eq(os.getsid(p.pid), p.pid, "it leads a session of its own")
    with open("/proc/%d/cmdline" % p.pid, "rb") as f:
        t.eq(f.read(), b"hubd-students-keeper\0", "ps shows it by name")
    os.kill(p.pid, signal.SIGTERM)
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    t.eq(rc, -signal.SIGTERM, "SIGTERM ends it")
finally:
    if p.poll() is None:
        p.kill()
        p.wait()
    os.close(r)

# Any other name is the spawner itself, which wants its socket.
rc = subprocess.run(["hubd-students-keeperx"], executable=T.SPAWNER,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, timeout=10).returncode
t.eq(rc, 2, "another argv[0] is no keeper (usage, exit 2)")
t.done()
