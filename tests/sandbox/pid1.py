#!/usr/bin/python3
"""Pid 1 of a sandbox shows the student nothing of the launcher: not its
command line (host paths, options, uid) in /proc/1/cmdline, not its
environment in /proc/1/environ, not its binary's host path in /proc/1/exe.
It still reaps orphans and passes signals and the exit status on."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

sbtest.require()
tap = sbtest.TAP()
root = sbtest.workdir()
(alice,) = sbtest.students(["alice"], root)
secret = "hubd-sbtest-secret-%d" % os.getpid()

PROBE = r'''
import json, os, subprocess, time
def get(fn):
    try:
        return ["ok", fn()]
    except OSError as e:
        return ["err", e.errno]
def rd(p):
    with open(p, "rb") as f:
        return f.read().decode("latin-1")
res = {}
res["cmdline"] = get(lambda: rd("/proc/1/cmdline"))
res["environ"] = get(lambda: rd("/proc/1/environ"))
res["exe"] = get(lambda: os.readlink("/proc/1/exe"))
res["cwd"] = get(lambda: os.readlink("/proc/1/cwd"))
res["maps"] = get(lambda: rd("/proc/1/maps"))
res["comm"] = get(lambda: rd("/proc/1/comm"))
# an orphan: its parent exits at once, pid 1 must reap it
subprocess.run(["sh", "-c", "sleep 0.2 &"])
time.sleep(0.8)
z = []
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            st = rd("/proc/%s/stat" % p)
        except OSError:
            continue
        if st.rsplit(")", 1)[1].split()[0] == "Z":
            z.append(int(p))
res["zombies"] = z
print(json.dumps(res))
'''

env = dict(os.environ, HUBD_SBTEST_SECRET=secret)
r = alice.run(["python3", "-c", PROBE], extra=["--env", "X=1"], env=env,
              timeout=60)
try:
    res = json.loads(r.stdout.strip().splitlines()[-1])
except (ValueError, IndexError):
    res = {}
tap.ok(r.returncode == 0 and res, "probe ran inside",
       "%d %s %s" % (r.returncode, r.stdout, r.stderr))

host_strings = [root, alice.home, alice.homes, alice.sockdir,
                sbtest.SANDBOX, sbtest.BUILDDIR, str(alice.uid), "--",
                secret, "HUBD_SBTEST", "PATH="]


def leaks(text):
    return [h for h in host_strings if h and h in text]


kind, cmd = res.get("cmdline", ["err", None])
args = cmd.split("\0")[:-1] if kind == "ok" else []
tap.ok(kind == "ok" and args[:1] == ["hubd-sandbox-init"] and
       len(args) <= 2 and not leaks(cmd),
       "/proc/1/cmdline is the init's minimal argv, nothing of the "
       "launcher's", repr(cmd))
kind, envs = res.get("environ", ["err", None])
tap.ok((kind == "ok" and envs == "") or kind == "err",
       "/proc/1/environ is empty or closed", repr(envs))
kind, exe = res.get("exe", ["ok", "?"])
tap.ok(kind == "err" or not leaks(exe),
       "/proc/1/exe does not name the launcher's host path", repr(exe))
kind, maps = res.get("maps", ["ok", "?"])
tap.ok(kind == "err" or not leaks(maps),
       "/proc/1/maps does not name host paths", repr(maps)[:300])
kind, cwd = res.get("cwd", ["ok", "?"])
tap.ok(kind == "err" or not leaks(cwd), "/proc/1/cwd is no host path",
       repr(cwd))
tap.ok(res.get("zombies") == [], "pid 1 reaps orphans (no zombie left)",
       res.get("zombies"))

# Signals still reach the payload through pid 1; its status comes back.
p = alice.start(["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; "
                 "done"])
sbtest.wait_for(lambda: len(sbtest.pids_of_uid(alice.uid)) >= 2, 10)
time.sleep(0.3)
p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=20)
except subprocess.TimeoutExpired:
    rc = None
tap.ok(rc == 42, "SIGTERM to the launcher reaches the payload via pid 1",
       rc)

# The init mode is no way in: outside a sandbox it refuses.
r = subprocess.run(["hubd-sandbox-init", "2"], executable=sbtest.SANDBOX,
                   capture_output=True, text=True, timeout=10)
tap.ok(r.returncode == 125 and "only pid 1" in r.stderr,
       "hubd-sandbox-init outside a sandbox refuses (125)",
       "%d %s" % (r.returncode, r.stderr))
tap.done()
