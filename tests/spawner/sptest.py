"""Helpers for the spawner's server tests: hubd-spawner driven directly over
a SOCK_SEQPACKET pair (as hubd drives it), the wire structs, HTTP over a
unix socket, TAP, and cleanup of everything a test started, by pid.

The tests need root, Debian's jupyter-notebook and the cgroup file system;
anywhere else they fail (never skip): CI runs them as root."""
import atexit
import ctypes as C
import glob
import http.client
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("HUBD_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SRC = os.environ.get("HUBD_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SPAWNER = os.path.join(BUILD, "spawner", "hubd-spawner")
HUB_USER = "hubd"

VERSION = 1
SB_UID_MIN, SB_UID_MAX = 0x70000000, 0x7000FFFF
(HELLO, AUTH, AUTH_RESULT, START, STARTED, STOP, STOPPED, EXITED, ADOPT,
 ADOPTED) = range(1, 11)
NATIVE, PAM = 0, 1
USER, PROFILE, TOKEN, CGROUP, PATH, TEXT, SHORT = 33, 33, 65, 64, 256, 2048, 160


# The wire structs (spawner/proto.h).  ctypes lays them out as the C
# compiler does, padding included.
class Header(C.Structure):
    _fields_ = [("version", C.c_uint16), ("type", C.c_uint16),
                ("size", C.c_uint32), ("id", C.c_uint64)]


class Course(C.Structure):
    _fields_ = [("code", C.c_char * PROFILE), ("teaches", C.c_uint32)]


COURSES = 16


class Start(C.Structure):
    _fields_ = [("h", Header), ("user", C.c_char * USER),
                ("auth", C.c_uint32), ("profile", C.c_char * PROFILE),
                ("token", C.c_char * TOKEN), ("ncourses", C.c_uint32),
                ("courses", Course * COURSES)]


class Started(C.Structure):
    _fields_ = [("h", Header), ("user", C.c_char * USER),
                ("ok", C.c_int32), ("uid", C.c_uint32), ("pid", C.c_int32),
                ("starttime", C.c_uint64), ("cgroup", C.c_char * CGROUP),
                ("socket", C.c_char * PATH), ("message", C.c_char * TEXT)]


class Stop(C.Structure):
    _fields_ = [("h", Header), ("user", C.c_char * USER)]


class Stopped(C.Structure):
    _fields_ = [("h", Header), ("user", C.c_char * USER),
                ("ok", C.c_int32), ("message", C.c_char * SHORT)]


class Exited(C.Structure):
    _fields_ = [("h", Header), ("user", C.c_char * USER),
                ("pid", C.c_int32), ("status", C.c_int32),
                ("oom_kills", C.c_uint32), ("requested", C.c_int32),
                ("message", C.c_char * TEXT)]


class Adopt(C.Structure):
    _fields_ = [("h", Header), ("user", C.c_char * USER),
                ("auth", C.c_uint32), ("pid", C.c_int32),
                ("starttime", C.c_uint64), ("cgroup", C.c_char * CGROUP)]


class Adopted(C.Structure):
    _fields_ = [("h", Header), ("user", C.c_char * USER),
                ("ok", C.c_int32), ("uid", C.c_uint32),
                ("message", C.c_char * SHORT)]


TYPES = {STARTED: Started, STOPPED: Stopped, EXITED: Exited,
         ADOPTED: Adopted}
# sizes the spawner must send and accept: a check of ctypes against C
SIZES = {START: 160, STARTED: 2440, STOP: 56, STOPPED: 216, EXITED: 2120,
         ADOPT: 136, ADOPTED: 224}


# Each test script gets its own block of the reserved uid range.
SLOTS = ["start_stop.py", "requests.py", "failures.py", "restart.py",
         "pam_server.py"]


def uid_block():
    me = os.path.basename(sys.argv[0])
    slot = SLOTS.index(me) + 1 if me in SLOTS else len(SLOTS) + 1
    return SB_UID_MIN + 0x2000 + slot * 0x10


def s(field):
    """A char array field as text."""
    return field.decode("utf-8", "replace")


def msg(cls, type_, id_=1, **fields):
    m = cls()
    m.h.version = VERSION
    m.h.type = type_
    m.h.size = C.sizeof(cls)
    m.h.id = id_
    raw = {}
    for k, v in fields.items():
        if isinstance(v, str):
            v = v.encode()
        if isinstance(v, bytes):
            raw[k] = v      # as given, NULs and all
        else:
            setattr(m, k, v)
    out = bytearray(m)
    for k, v in raw.items():
        f = getattr(cls, k)
        if len(v) > f.size:
            raise ValueError("%s: %d bytes > %d" % (k, len(v), f.size))
        out[f.offset:f.offset + len(v)] = v
    return bytes(out)


def token():
    return secrets.token_hex(32)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name))
        if not cond and diag is not None:
            for line in str(diag).splitlines()[-40:]:
                print("#   " + line)
        sys.stdout.flush()
        return cond

    def eq(self, got, want, name, diag=None):
        return self.ok(got == want, name, "got %r, want %r%s" % (
            got, want, "\n" + str(diag) if diag is not None else ""))

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)


def bail(why):
    print("Bail out! %s" % why)
    sys.stdout.flush()
    sys.exit(1)


def require():
    """Fail loudly where the tests cannot run."""
    if os.geteuid() != 0:
        bail("the spawner's server tests must run as root (CI does)")
    if not os.access(SPAWNER, os.X_OK):
        bail("%s is not built" % SPAWNER)
    if shutil.which("jupyter-notebook", path="/usr/bin") is None:
        bail("Debian's jupyter-notebook is not installed")
    if subprocess.run(["id", HUB_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", HUB_USER],
                       check=True, capture_output=True)


# ---- cleanup, by pid and by cgroup name ----

_pids = []          # server pids (sandbox pid 1) to kill at exit
_cgroups = []       # cgroup names to remove at exit
_spawners = []
_dirs = []


def track(started):
    """Remember a started server for cleanup."""
    if started.ok:
        _pids.append((started.pid, started.starttime))
        _cgroups.append(s(started.cgroup))


def starttime(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def alive(pid):
    """Running (a zombie counts as ended)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid):
    """Pids whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
        except (OSError, IndexError, ValueError):
            pass
    return out


def cgroup_dirs(name):
    """Every directory of a student cgroup of that name, in any hierarchy."""
    out = []
    for pat in ("/sys/fs/cgroup/**/hubd-students/" + name,):
        out += glob.glob(pat, recursive=True)
    return sorted(set(out))


def _cleanup():
    for p in _spawners:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
    for pid, st in _pids:
        if starttime(pid) == st:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for pid, _ in _pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    deadline = time.monotonic() + 5
    for name in _cgroups:
        for d in cgroup_dirs(name):
            while time.monotonic() < deadline:
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def subreaper():
    """Orphaned servers (their spawner gone) become our children, so that we
    reap them rather than leave zombies to a pid 1 that may not."""
    libc = C.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---- a spawner of our own ----

class Spawner:
    """hubd-spawner with a temp configuration; the test plays hubd."""

    def __init__(self, server="", root=None, hub="", users=()):
        if root is None:
            root = tempfile.mkdtemp(prefix="hubd-spw.", dir="/var/tmp")
            os.chmod(root, 0o755)
            _dirs.append(root)
        self.root = root
        self.data = os.path.join(root, "data")
        if users:
            self.seed(users)
        self.homes = os.path.join(root, "homes")
        self.sockets = os.path.join(root, "sock")
        self.conf = os.path.join(root, "hubd.conf")
        with open(self.conf, "w") as f:
            f.write("[hub]\ndata_dir = %s\nuser = %s\nweb_dir = %s/web\n%s"
                    "[server]\nhomes = %s\nsockets = %s\nstop_grace = 3s\n%s"
                    % (self.data, HUB_USER, SRC, hub, self.homes,
                       self.sockets, server))
        self.exited = []
        self.p = None
        self.id = 100

    def seed(self, users):
        """Give these hub accounts uids of this test's own block of the
        reserved range (as if they had had servers before), so that tests
        running at once never share a uid."""
        os.makedirs(self.data, mode=0o700, exist_ok=True)
        path = os.path.join(self.data, "spawner-uids")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "w") as f:
            for i, user in enumerate(users):
                f.write("%s %d\n" % (user, uid_block() + i))

    def start(self):
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.err = open(os.path.join(self.root, "spawner.err.%d" % self.id),
                        "w+")
        self.p = subprocess.Popen(
            ["/bin/sh", "-c", 'exec "$0" --config "$1" 3<&%d %d<&-'
             % (b.fileno(), b.fileno()), SPAWNER, self.conf],
            pass_fds=(b.fileno(),), stderr=self.err,
            stdin=subprocess.DEVNULL)
        _spawners.append(self.p)
        b.close()
        self.sock = a
        hello = self.recv(10)
        if hello is None or Header.from_buffer_copy(hello).type != HELLO:
            bail("the spawner did not say hello: " + self.stderr())
        return self

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def send(self, data):
        self.sock.send(data)

    def recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.01))
        try:
            return self.sock.recv(8192)
        except socket.timeout:
            return None
        except ConnectionResetError:
            return b""

    def _parse(self, data):
        h = Header.from_buffer_copy(data)
        cls = TYPES.get(h.type)
        if cls is None or len(data) != C.sizeof(cls) or \
                len(data) != SIZES[h.type] or h.size != len(data):
            raise AssertionError("bad message from the spawner: type %d, "
                                 "%d bytes" % (h.type, len(data)))
        # every string as hubd checks it (sp_string_ok): NUL-terminated,
        # zero after the NUL, and valid UTF-8
        for name, ftype in cls._fields_:
            if getattr(ftype, "_type_", None) is not C.c_char:
                continue
            f = getattr(cls, name)
            raw = data[f.offset:f.offset + f.size]
            nul = raw.find(b"\0")
            if nul == -1 or raw[nul:].strip(b"\0"):
                raise AssertionError("type %d: field %s is not a clean "
                                     "string: %r" % (h.type, name, raw))
            raw[:nul].decode("utf-8")
        return h.type, cls.from_buffer_copy(data)

    def call(self, data, want, timeout=30):
        """Send a request; its answer of type want (same id), or None.
        SP_EXITED arriving meanwhile is kept for wait_exited()."""
        h = Header.from_buffer_copy(data)
        self.send(data)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            got = self.recv(left)
            if not got:
                return None
            typ, m = self._parse(got)
            if typ == EXITED:
                self.exited.append(m)
                continue
            if typ == want and m.h.id == h.id:
                return m
            raise AssertionError("unexpected answer type %d id %d" %
                                 (typ, m.h.id))

    def next_id(self):
        self.id += 1
        return self.id

    def start_server(self, user, tok=None, auth=NATIVE, profile="",
                     timeout=30):
        m = self.call(msg(Start, START, self.next_id(), user=user,
                          auth=auth, profile=profile,
                          token=tok if tok is not None else token()),
                      STARTED, timeout)
        if m is not None:
            track(m)
        return m

    def stop_server(self, user, timeout=10):
        return self.call(msg(Stop, STOP, self.next_id(), user=user),
                         STOPPED, timeout)

    def adopt(self, user, pid, st, cgroup, auth=NATIVE, timeout=10):
        return self.call(msg(Adopt, ADOPT, self.next_id(), user=user,
                             auth=auth, pid=pid, starttime=st,
                             cgroup=cgroup), ADOPTED, timeout)

    def wait_exited(self, user, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for m in self.exited:
                if s(m.user) == user:
                    self.exited.remove(m)
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            got = self.recv(left)
            if not got:
                return None
            typ, m = self._parse(got)
            if typ != EXITED:
                raise AssertionError("unasked answer type %d" % typ)
            self.exited.append(m)

    def close(self, timeout=10):
        """EOF, as when hubd goes: the spawner ends; returns its status."""
        self.sock.close()
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return "still running"


# ---- Jupyter over the unix socket ----

class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path
        self.peer_uid = None

    def connect(self):
        sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sk.settimeout(self.timeout)
        sk.connect(self.unix_path)
        cred = sk.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                             struct.calcsize("3i"))
        self.peer_uid = struct.unpack("3i", cred)[1]
        self.sock = sk


def status(path, user, tok, timeout=10):
    """GET /user/<user>/api/status with the token: (code, body, peer uid)."""
    c = UnixHTTP(path, timeout)
    try:
        c.request("GET", "/user/%s/api/status" % user,
                  headers={"Authorization": "token " + tok})
        r = c.getresponse()
        return r.status, r.read(), c.peer_uid
    finally:
        c.close()


def wait_ready(path, user, tok, timeout=60, pid=None):
    """Poll the socket until Jupyter answers 200, at most timeout s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if pid is not None and not alive(pid):
            return None, "the server has ended"
        try:
            code, body, peer = status(path, user, tok)
            if code == 200:
                return peer, body
            last = "HTTP %d" % code
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    return None, last


def connect_as(path, uid, gid):
    """Try to connect to path as uid:gid (no other groups): 0 connected,
    else the errno."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sk.settimeout(5)
            try:
                sk.connect(path)
                code = 0
            except OSError as e:
                code = e.errno or 98
        finally:
            os._exit(code)
    _, st = os.waitpid(pid, 0)
    return os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1


def log_of(sp, user):
    try:
        with open(os.path.join(sp.data, "logs", user + ".log"),
                  errors="replace") as f:
            return f.read()[-3000:]
    except OSError as e:
        return str(e)
