#!/usr/bin/python3
"""A sandbox's life: its cgroup carries the limits while it runs; stop
(SIGTERM to the launcher) leaves no process, cgroup or mount behind (56);
killing the launcher takes the whole sandbox down and the next start sweeps
the stale cgroup (51); processes left behind by the payload die with it."""
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
V = sbtest.cgroup_version()
tap.diag("cgroup v%d at /sys/fs/cgroup" % V)


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def host_mounts():
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if "/run/hubd-sandbox" in l or
                root in l.split()[4]]


def nothing_left(uid, dirs):
    return (not sbtest.pids_of_uid(uid) and
            not any(os.path.exists(d) for d in dirs.values()))


# Limits in place while it runs.
p = alice.start(["sh", "-c", "sleep 60 & exec sleep 60"],
                extra=["--memory", "300M", "--pids", "77", "--cpus", "1.5"])
dirs = sbtest.student_cgroup_dirs(alice.uid, p.pid)
sbtest.wait_for(lambda: len(sbtest.pids_of_uid(alice.uid)) >= 3, 10)
upids = sbtest.pids_of_uid(alice.uid)
tap.ok(len(upids) >= 3, "sandbox running (pid 1, sleep, sleep)", upids)
if V == 2:
    d = dirs["unified"]
    tap.ok(read(d + "/memory.max") == str(300 << 20), "memory.max = 300M")
    tap.ok(read(d + "/memory.swap.max") in ("0", None), "memory.swap.max 0")
    tap.ok(read(d + "/pids.max") == "77", "pids.max = 77")
    tap.ok(read(d + "/cpu.max") == "150000 100000", "cpu.max = 1.5 CPU")
    procs = read(d + "/cgroup.procs") or ""
    parent = os.path.dirname(d)
    cap = read(parent + "/memory.max")
else:
    tap.ok(read(dirs["memory"] + "/memory.limit_in_bytes") ==
           str(300 << 20), "memory.limit_in_bytes = 300M")
    ms = read(dirs["memory"] + "/memory.memsw.limit_in_bytes")
    tap.ok(ms in (None, str(300 << 20)), "memsw limit = limit (no swap)")
    tap.ok(read(dirs["pids"] + "/pids.max") == "77", "pids.max = 77")
    tap.ok(read(dirs["cpu"] + "/cpu.cfs_quota_us") == "150000" and
           read(dirs["cpu"] + "/cpu.cfs_period_us") == "100000",
           "cfs quota 150000/100000 = 1.5 CPU")
    procs = read(dirs["memory"] + "/cgroup.procs") or ""
    cap = read(os.path.dirname(dirs["memory"]) + "/memory.limit_in_bytes")
tap.ok(all(str(x) in procs.split() for x in upids),
       "every sandbox process is in the student's cgroup", procs)
with open("/proc/meminfo") as f:
    total = int(f.readline().split()[1]) * 1024
tap.ok(cap is not None and int(cap) < total,
       "parent cgroup capped below the machine's memory (%s < %d)"
       % (cap, total))

# 56: stop = SIGTERM to the launcher, passed on; nothing left behind.
p.send_signal(signal.SIGTERM)
rc = p.wait(timeout=20)
tap.ok(rc == 128 + signal.SIGTERM, "SIGTERM passed on: status 143", rc)
tap.ok(sbtest.wait_for(lambda: nothing_left(alice.uid, dirs), 5),
       "56 after stop: no process of the student, cgroup removed",
       (sbtest.pids_of_uid(alice.uid), dirs))
tap.ok(not host_mounts(), "56 after stop: no sandbox mount on the host",
       host_mounts())

# 51: SIGKILL the launcher: PDEATHSIG kills pid 1 and with it the pid ns.
p = alice.start(["sh", "-c", "sleep 60 & sleep 60 & exec sleep 60"])
dirs = sbtest.student_cgroup_dirs(alice.uid, p.pid)
sbtest.wait_for(lambda: len(sbtest.pids_of_uid(alice.uid)) >= 4, 10)
tap.ok(len(sbtest.pids_of_uid(alice.uid)) >= 4, "second sandbox running")
p.send_signal(signal.SIGKILL)
p.wait(timeout=10)
tap.ok(sbtest.wait_for(lambda: not sbtest.pids_of_uid(alice.uid), 5),
       "51 launcher SIGKILLed: every sandbox process is gone",
       sbtest.pids_of_uid(alice.uid))
stale = [d for d in dirs.values() if os.path.exists(d)]
tap.ok(stale, "51 its cgroup is left behind, stale", dirs)
time.sleep(3.5)     # the sweep spares cgroups younger than 3 s
r = subprocess.run([sbtest.SANDBOX, "--sweep"], capture_output=True,
                   text=True, timeout=30)
tap.ok(r.returncode == 0 and
       not any(os.path.exists(d) for d in dirs.values()),
       "51 the next start sweeps the stale cgroup", r.stdout + r.stderr)

# Orphans die with the payload; the status is the payload's.
t = time.monotonic()
r = alice.run(["sh", "-c", "sleep 60 & sleep 60 & exit 4"], timeout=30)
tap.ok(r.returncode == 4 and time.monotonic() - t < 10,
       "payload exits 4 with orphans running: status 4, at once",
       r.returncode)
tap.ok(sbtest.wait_for(lambda: not sbtest.pids_of_uid(alice.uid), 5),
       "orphans killed with the sandbox")
tap.done()
