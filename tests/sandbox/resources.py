#!/usr/bin/python3
"""Limits hold: a fork bomb stops at the pids limit while the host answers
(47), a memory hog is OOM-killed at its limit and reported (48), filling
/tmp ends in ENOSPC (49), a CPU hog is held to its quota (50)."""
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

sbtest.require()
tap = sbtest.TAP()
root = sbtest.workdir()
(alice,) = sbtest.students(["alice"], root)
hog = ["--bind", sbtest.TESTBIN + ":/srv/test:ro"]


def stat(stderr, key):
    m = re.search(r"\b%s=(\d+)" % key, stderr)
    return int(m.group(1)) if m else -1


# 47: fork bomb against pids.max 64; the host keeps answering meanwhile.
latencies = []


def probe():
    for _ in range(20):
        t = time.monotonic()
        subprocess.run(["/bin/true"])
        latencies.append(time.monotonic() - t)
        time.sleep(0.1)


t = threading.Thread(target=probe)
t.start()
r = alice.run(["/srv/test/sb-hog", "forkbomb", "100000"],
              extra=hog + ["--pids", "64", "--stats"], timeout=60)
t.join()
m = re.search(r"forked (\d+) errno (\d+)", r.stdout)
tap.ok(m is not None and int(m.group(2)) == 11 and int(m.group(1)) < 64,
       "47 fork bomb: fork fails with EAGAIN below pids.max 64",
       r.stdout + r.stderr)
tap.ok(stat(r.stderr, "pids_max_events") > 0 and
       "process limit reached" in r.stderr,
       "47 pids.events max rose and hubd-sandbox reported it", r.stderr)
tap.ok(latencies and max(latencies) < 2.0,
       "47 host stays responsive (slowest /bin/true %.3f s)"
       % max(latencies or [0]), latencies)

# 48: 32 MiB chunks against a 96M limit: SIGKILL, counted, reported.
r = alice.run(["/srv/test/sb-hog", "memory", "2048"],
              extra=hog + ["--memory", "96M", "--stats"], timeout=60)
tap.ok(r.returncode == 128 + 9, "48 memory hog killed by SIGKILL (137)",
       "exit %d\n%s%s" % (r.returncode, r.stdout[-500:], r.stderr))
tap.ok("survived" not in r.stdout, "48 it never got its 2 GiB")
tap.ok(stat(r.stderr, "oom_kills") >= 1 and
       "memory limit reached" in r.stderr,
       "48 oom_kill counted and reported", r.stderr)
alloc = [int(x) for x in re.findall(r"allocated (\d+) MiB", r.stdout)]
tap.ok(alloc and max(alloc) <= 96, "48 killed at the limit (got to %s MiB)"
       % (max(alloc) if alloc else "?"))

# 49: /tmp is a 512 MiB tmpfs charged to the student.
r = alice.run(["sh", "-c", "head -c 600M /dev/zero > /tmp/fill; echo rc=$?"],
              extra=["--memory", "1G"], timeout=60)
tap.ok("No space left" in r.stderr and "rc=1" in r.stdout,
       "49 filling /tmp: ENOSPC at 512 MiB", r.stdout + r.stderr)

# 50: 3 s of spinning at a quota of half a CPU.
r = alice.run(["/srv/test/sb-hog", "cpu", "3"],
              extra=hog + ["--cpus", "0.5", "--stats"], timeout=60)
m = re.search(r"cpu_ms (\d+) wall_ms (\d+)", r.stdout)
cpu_ms, wall_ms = (int(m.group(1)), int(m.group(2))) if m else (-1, 0)
# The quota is an upper bound: on a busy machine the hog may get less.
tap.ok(300 <= cpu_ms <= wall_ms * 0.5 * 1.3 + 100,
       "50 CPU hog at 0.5 CPU used %d ms of CPU in %d ms (at most ~half)" %
       (cpu_ms, wall_ms), r.stdout + r.stderr)
tap.ok(stat(r.stderr, "cpu_nr_throttled") > 0,
       "50 nr_throttled rose", r.stderr)
tap.done()
