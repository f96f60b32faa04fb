"""Shared helpers for the sandbox tests: TAP output, students, cleanup.

The tests run as root (CI does); anywhere else they fail loudly instead of
skipping.  Students are hub-managed accounts: uids from the reserved range
with no passwd entry, homes under a fresh directory in /var/tmp, all removed
at exit.  Every process a test starts is tracked and killed by pid.
"""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BUILDDIR = os.environ.get("HUBD_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SRCDIR = os.environ.get("HUBD_SRCDIR") or BUILDDIR
SANDBOX = os.path.join(BUILDDIR, "sandbox", "hubd-sandbox")
TESTBIN = os.path.join(BUILDDIR, "tests", "sandbox")
EXIT_OWN = 125


class TAP:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, desc))
        if diag is not None and not cond:
            for line in str(diag).splitlines()[-30:]:
                print("# " + line)
        sys.stdout.flush()
        return cond

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)


def bail(msg):
    print("Bail out! " + msg)
    sys.stdout.flush()
    sys.exit(1)


def require():
    """Fail (not skip) when the tests cannot run here."""
    if os.geteuid() != 0:
        bail("sandbox tests must run as root (CI runs them as root)")
    if not os.access(SANDBOX, os.X_OK):
        bail("%s not built" % SANDBOX)


_procs = []
_dirs = []
_cleanups = []


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    for fn in _cleanups:
        try:
            fn()
        except Exception:
            pass
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def at_exit(fn):
    _cleanups.append(fn)


def workdir():
    d = tempfile.mkdtemp(prefix="hubd-sbtest.", dir="/var/tmp")
    os.chmod(d, 0o755)
    _dirs.append(d)
    return d


# Test scripts run in parallel (make -j): each gets its own block of the
# reserved uid range, so that "processes of uid X" means this test's.
UID_MIN = 0x70000000
SLOTS = ["cli.py", "functional.py", "jupyter.py", "escape.py",
         "resources.py", "lifecycle.py", "isolation.py", "pid1.py",
         "debug.py", "mounts.py"]


def pick_uids(n):
    import grp
    import pwd
    me = os.path.basename(sys.argv[0])
    slot = SLOTS.index(me) + 1 if me in SLOTS else len(SLOTS) + 1
    uids = []
    uid = UID_MIN + 0x1000 + slot * 0x10
    while len(uids) < n:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            try:
                grp.getgrgid(uid)
            except KeyError:
                uids.append(uid)
        uid += 1
    return uids


class Student:
    def __init__(self, name, uid, root):
        self.name = name
        self.uid = uid
        self.homes = os.path.join(root, "homes")
        os.makedirs(self.homes, mode=0o755, exist_ok=True)
        self.home = os.path.join(self.homes, str(uid))
        self.sockdir = os.path.join(root, "sock", str(uid))
        os.makedirs(self.sockdir, mode=0o700)
        os.chown(self.sockdir, uid, uid)
        os.chmod(os.path.dirname(self.sockdir), 0o755)

    def args(self, extra=(), cmd=()):
        return ([SANDBOX, "--user", self.name, "--uid", str(self.uid),
                 "--homes", self.homes, "--sockdir", self.sockdir]
                + list(extra) + ["--"] + list(cmd))

    def run(self, cmd, extra=(), timeout=120, **kw):
        return subprocess.run(self.args(extra, cmd), capture_output=True,
                              text=True, timeout=timeout, **kw)

    def start(self, cmd, extra=(), **kw):
        p = subprocess.Popen(self.args(extra, cmd), **kw)
        _procs.append(p)
        return p


def students(names, root=None):
    root = root or workdir()
    uids = pick_uids(len(names))
    return [Student(n, u, root) for n, u in zip(names, uids)]


def pids_of_uid(uid):
    """Host pids of every process running as uid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.stat("/proc/" + d).st_uid == uid:
                out.append(int(d))
        except FileNotFoundError:
            pass
    return out


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(d))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return out


def wait_for(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def cgroup_version():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            if parts[4] == "/sys/fs/cgroup":
                fstype = parts[parts.index("-") + 1]
                return 2 if fstype == "cgroup2" else 1
    return 0


def own_cgroup(ctrl):
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if (ctrl is None and ctrls == "") or \
                    (ctrl is not None and ctrl in ctrls.split(",")):
                return path
    return None


def student_cgroup_dirs(uid, instance):
    """Where hubd-sandbox puts u<uid>.g<instance>, per hierarchy."""
    name = "u%d.g%d" % (uid, instance)
    if cgroup_version() == 2:
        own = own_cgroup(None)
        # In a leaf named "hub" (how cgroup.c keeps a delegated unit's
        # own processes), students go beside it, under its parent.
        if own.endswith("/hub"):
            own = own[:-4] or "/"
        base = "/sys/fs/cgroup" + ("" if own == "/" else own)
        return {"unified": os.path.join(base, "hubd-students", name)}
    out = {}
    for ctrl in ("memory", "pids", "cpu"):
        own = own_cgroup(ctrl)
        base = "/sys/fs/cgroup/" + ctrl + ("" if own == "/" else own)
        out[ctrl] = os.path.join(base, "hubd-students", name)
    return out


def as_uid(uid, fn):
    """Run fn() in a child process as uid:uid; returns its return value
    (an int 0..255)."""
    pid = os.fork()
    if pid == 0:
        code = 255
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            code = int(fn())
        finally:
            os._exit(code)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st)
