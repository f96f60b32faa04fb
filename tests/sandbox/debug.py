#!/usr/bin/python3
"""The --enable-sandbox-debug variant (tests/sandbox/hubd-sandbox-debug,
the same sources built with SANDBOX_DEBUG, which is all the configure switch
defines): a denied system call traps (SIGSYS, status 159) and the kernel
logs it (audit type 1326 naming the syscall), where the normal build fails
it with EPERM; ENOSYS fallbacks (clone3) stay ENOSYS, so threads work."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

sbtest.require()
DEBUG = os.path.join(sbtest.TESTBIN, "hubd-sandbox-debug")
if not os.access(DEBUG, os.X_OK):
    sbtest.bail("%s not built (make check builds it)" % DEBUG)
tap = sbtest.TAP()
root = sbtest.workdir()
(alice,) = sbtest.students(["alice"], root)
SYS_UNSHARE = 272       # x86_64
SIGSYS = 31

UNSHARE = ("import ctypes\n"
           "libc = ctypes.CDLL(None, use_errno=True)\n"
           "if libc.unshare(0x20000) == -1:\n"    # CLONE_NEWNS
           "    print('errno', ctypes.get_errno()); raise SystemExit(3)\n")
THREADS = ("import threading\n"
           "r = []\n"
           "t = [threading.Thread(target=r.append, args=(i,)) "
           "for i in range(4)]\n"
           "[x.start() for x in t]; [x.join() for x in t]\n"
           "assert sorted(r) == [0, 1, 2, 3]\n")


def run_debug(cmd):
    args = alice.args(cmd=cmd)
    args[0] = DEBUG
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def kmsg_open():
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    os.lseek(fd, 0, os.SEEK_END)
    return fd


def kmsg_read(fd):
    out = []
    while True:
        try:
            out.append(os.read(fd, 8192).decode("utf-8", "replace"))
        except BlockingIOError:
            break
        except OSError:     # EPIPE: overwritten records; read on
            continue
    return out


# The normal build: EPERM.
r = alice.run(["python3", "-c", UNSHARE])
tap.ok(r.returncode == 3 and "errno 1" in r.stdout,
       "normal build: unshare fails with EPERM",
       "%d %s %s" % (r.returncode, r.stdout, r.stderr))

# The debug build: SIGSYS, logged by the kernel.
kfd = kmsg_open()
r = run_debug(["python3", "-c", UNSHARE])
tap.ok(r.returncode == 128 + SIGSYS and "errno" not in r.stdout,
       "debug build: unshare traps (killed by SIGSYS, status 159)",
       "%d %s %s" % (r.returncode, r.stdout, r.stderr))
tap.ok("SIGSYS" in r.stderr and "type=1326" in r.stderr,
       "debug build: the launcher says the payload died of a trap",
       r.stderr)
lines = []
for _ in range(20):
    lines += kmsg_read(kfd)
    hits = [l for l in lines if "type=1326" in l and
            re.search(r"\buid=%d\b" % alice.uid, l) and
            re.search(r"\bsyscall=%d\b" % SYS_UNSHARE, l)]
    if hits:
        break
    time.sleep(0.1)
os.close(kfd)
if not hits and os.path.exists("/var/log/audit/audit.log"):
    # auditd takes the records instead of the kernel log
    with open("/var/log/audit/audit.log", errors="replace") as f:
        hits = [l for l in f if "type=SECCOMP" in l and
                "uid=%d" % alice.uid in l and
                "syscall=%d" % SYS_UNSHARE in l]
tap.ok(bool(hits) and all("code=0x30000" in h for h in hits),
       "debug build: the kernel logged the trap (audit 1326, syscall=%d, "
       "code=0x30000, the trap action)" % SYS_UNSHARE,
       "".join(lines[-10:]) or "no kernel log")
if hits:
    tap.diag(hits[0].strip())

# ENOSYS rules stay ENOSYS: threads (clone3 -> clone) work in both.
for name, fn in (("normal", alice.run), ("debug", run_debug)):
    r = fn(["python3", "-c", THREADS])
    tap.ok(r.returncode == 0, "%s build: threads work (clone3 gets ENOSYS, "
           "not a trap)" % name, "%d %s" % (r.returncode, r.stderr))
tap.done()
