"""Integration test helpers: a real hubd on loopback with a fresh data folder,
hubctl, an HTTP client that keeps cookies and never follows redirects, and
TAP output.  Standard library only (Debian's python3)."""

import http.client
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

BUILD = os.environ.get("HUBD_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SRC = os.environ.get("HUBD_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
HUBD = os.path.join(BUILD, "hubd", "hubd")
HUBCTL = os.path.join(BUILD, "hubd", "hubctl")
SPAWNER = os.path.join(BUILD, "spawner", "hubd-spawner")
HUB_USER = "hubd"


def ensure_hub_user():
    """hubd drops to this user when started as root (as in CI)."""
    if os.geteuid() != 0:
        return
    if subprocess.run(["id", HUB_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", HUB_USER],
                       check=True, capture_output=True)


class Tap:
    """TAP output; done() prints the plan and exits."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name))
        if not cond and diag is not None:
            for line in str(diag).splitlines()[:40]:
                print("#   " + line)
        sys.stdout.flush()
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got %r, want %r" % (got, want))

    def contains(self, text, part, name):
        return self.ok(text is not None and part in text, name,
                       "%r not in %r" % (part, (text or "")[:600]))

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)

    def bail(self, why):
        print("Bail out! %s" % why)
        sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # list of (name, value)
        self.body = body                # bytes

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        import json
        return json.loads(self.body)


class Client:
    """One browser: a cookie jar, no redirect following."""

    def __init__(self, hub):
        self.hub = hub
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, cookies=True):
        h = dict(headers or {})
        if cookies and self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body)
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if isinstance(body, str):
            body = body.encode()
        conn = self.hub.connection()
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            resp = Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()
        for sc in resp.all("Set-Cookie"):
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def xsrf(self):
        if "_xsrf" not in self.cookies:
            self.get("/hub/login")
        return self.cookies.get("_xsrf")

    def login(self, user, password, next_=None):
        form = {"_xsrf": self.xsrf(), "username": user, "password": password}
        if next_ is not None:
            form["next"] = next_
        return self.post("/hub/login", form)

    def api(self, method, path, data=None, token=None):
        import json
        h = {}
        if token is not None:
            h["Authorization"] = "token " + token
        elif "_xsrf" in self.cookies:
            h["X-XSRFToken"] = self.cookies["_xsrf"]
        body = None
        if data is not None:
            body = data if isinstance(data, (str, bytes)) else json.dumps(data)
            h["Content-Type"] = "application/json"
        return self.request(method, "/hub/api" + path, body=body, headers=h,
                            cookies=token is None)


class Hub:
    """A hubd of its own: temp data folder, free port, started and stopped
    by PID."""

    def __init__(self, conf="", tls=None, valgrind=False):
        ensure_hub_user()
        self.dir = tempfile.mkdtemp(prefix="hubd-it-")
        os.chmod(self.dir, 0o755)   # hubd re-reads its config as HUB_USER
        self.port = free_port()
        self.tls = tls                  # (cert, key) paths or None
        self.valgrind = valgrind
        self.proc = None
        self.conf = os.path.join(self.dir, "hubd.conf")
        self.data = os.path.join(self.dir, "data")
        hub = ("[hub]\nlisten = 127.0.0.1:%d\ndata_dir = %s\nweb_dir = %s\n"
               "spawner = %s\nuser = %s\nlog_level = debug\n" % (
                   self.port, self.data, os.path.join(SRC, "web"), SPAWNER,
                   HUB_USER))
        if tls:
            hub += "tls_cert = %s\ntls_key = %s\n" % tls
        if valgrind:    # valgrind cannot run a seccomp-filtered process
            hub += "seccomp = no\n"
        # Students' servers: folders of this hub's own, Debian's Jupyter.
        server = ("[server]\nhomes = %s/homes\nsockets = %s/sockets\n"
                  "courses = %s/courses\n" % (self.dir, self.dir, self.dir))
        if "[server]" in conf:
            conf = conf.replace("[server]\n", server, 1)
        else:
            hub += server
        with open(self.conf, "w") as f:
            f.write(hub + conf)
        self.admin_password = None
        self.starts = 0

    def connection(self, timeout=30):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.tls[0])
            ctx.check_hostname = False
            return http.client.HTTPSConnection("127.0.0.1", self.port,
                                               timeout=timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http",
                                      self.port)

    def start(self, wait=True):
        self.starts += 1
        self.out = os.path.join(self.dir, "stdout.%d" % self.starts)
        self.err = os.path.join(self.dir, "stderr.%d" % self.starts)
        argv = [HUBD, "--config", self.conf]
        if self.valgrind:
            self.vglog = os.path.join(self.dir, "valgrind.log")
            argv = ["valgrind", "--leak-check=full",
                    "--errors-for-leak-kinds=definite",
                    "--show-leak-kinds=definite", "--error-exitcode=99",
                    "--log-file=" + self.vglog] + argv
        self.proc = subprocess.Popen(argv, stdout=open(self.out, "w"),
                                     stderr=open(self.err, "w"),
                                     stdin=subprocess.DEVNULL)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("hubd exited with %d: %s" % (
                    self.proc.returncode, self.stderr()))
            try:
                c = self.connection(timeout=2)
                c.request("GET", "/hub/health")
                if c.getresponse().status == 200:
                    c.close()
                    break
                c.close()
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        else:
            raise RuntimeError("hubd did not answer: " + self.stderr())
        m = re.search(r"One-time password: (\S+)", self.stdout())
        self.printed_password = m.group(1) if m else None
        if m:
            self.admin_password = m.group(1)

    def stdout(self):
        with open(self.out) as f:
            return f.read()

    def stderr(self):
        with open(self.err) as f:
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        """SIGTERM by PID; the exit status (or -9 when it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -9

    def hubctl(self, *args, input=None):
        return subprocess.run([HUBCTL, "--config", self.conf] + list(args),
                              input=input, capture_output=True, text=True,
                              timeout=60)

    def add_user(self, name, password, role="student"):
        r = self.hubctl("user", "add", name, "--role", role,
                        "--password-stdin", input=password + "\n")
        if r.returncode != 0:
            raise RuntimeError("hubctl user add %s: %s" % (name, r.stderr))

    def token(self, name):
        r = self.hubctl("token", "add", name)
        if r.returncode != 0:
            raise RuntimeError("hubctl token add: " + r.stderr)
        return r.stdout.strip()

    def db(self):
        return sqlite3.connect(os.path.join(self.data, "hubd.sqlite"))

    def client(self):
        return Client(self)

    def admin(self, password="admin password 1"):
        """A client logged in as admin with its own password set."""
        c = self.client()
        r = c.login("admin", self.admin_password)
        assert r.status == 303, r.status
        x = c.cookies["_xsrf"]
        r = c.post("/hub/password", {"_xsrf": x, "password": password,
                                      "confirm": password})
        assert r.status == 303, (r.status, r.text)
        return c

    def kill_servers(self):
        """Servers outlive hubd by design: the test ends its own, by the
        pid and start time the hub recorded."""
        try:
            with self.db() as db:
                rows = db.execute("SELECT pid, starttime FROM servers WHERE "
                                  "pid > 0").fetchall()
        except sqlite3.Error:
            return
        for pid, start in rows:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[19]) == start:
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass

    def cleanup(self):
        self.stop()
        self.kill_servers()
        subprocess.run(["rm", "-rf", self.dir])


def run(test, **hub_args):
    """Start a hub, run test(tap, hub), stop it, check a clean exit."""
    tap = Tap()
    hub = Hub(**hub_args)
    try:
        hub.start()
        test(tap, hub)
        rc = hub.stop()
        tap.eq(rc, 0, "hubd stops cleanly on SIGTERM")
        if tap.failed:
            print("# hubd stderr:")
            for line in hub.stderr().splitlines()[-30:]:
                print("#   " + line)
    except Exception as e:  # a broken harness is a failure, not a skip
        import traceback
        where = traceback.extract_tb(e.__traceback__)[-1]
        tap.ok(False, "test ran to the end (%r at %s:%d)" % (
            e, os.path.basename(where.filename), where.lineno),
            traceback.format_exc())
        try:
            print("# hubd stderr:\n#   " + "\n#   ".join(
                [l for l in hub.stderr().splitlines() if "websocket of" not in l][-60:]))
        except OSError:
            pass
    finally:
        hub.cleanup()
    tap.done()


# --- students' servers -----------------------------------------------------

def unix_http(path, method, target, token=None, body=None, timeout=10):
    """One HTTP request to a student's server over its unix socket (as the
    test, which runs as root); (status, body)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        head = "%s %s HTTP/1.0\r\nHost: localhost\r\n" % (method, target)
        if token:
            head += "Authorization: token %s\r\n" % token
        data = body.encode() if isinstance(body, str) else (body or b"")
        if data:
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
        s.sendall(head.encode() + b"\r\n" + data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    head, _, rest = out.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest


def server_row(hub, name):
    with hub.db() as db:
        db.row_factory = sqlite3.Row
        r = db.execute("SELECT s.* FROM servers s JOIN users u ON "
                       "u.id = s.user_id WHERE u.name = ?", (name,)).fetchone()
    return dict(r) if r else None


def wait_state(hub, client, name, states, timeout=90):
    """Poll the API until NAME's server is in one of states ('ready' for
    running); the last user model."""
    deadline = time.time() + timeout
    u = None
    while time.time() < deadline:
        u = client.api("GET", "/users/" + name).json()
        srv = u.get("servers", {}).get("")
        state = srv["state"] if srv else ("stopped" if u.get("server") is None else "running")
        row = server_row(hub, name)
        if row:
            state = row["state"]
        if state in states:
            return u
        time.sleep(0.2)
    return u


def progress_events(hub, client, name, timeout=90):
    """Read the progress event stream until ready or failed."""
    conn = hub.connection(timeout=timeout)
    h = {"Cookie": "; ".join("%s=%s" % kv for kv in client.cookies.items()),
         "X-XSRFToken": client.cookies.get("_xsrf", "")}
    import json
    conn.request("GET", "/hub/api/users/%s/server/progress" % name, headers=h)
    r = conn.getresponse()
    events = []
    try:
        for raw in r:
            line = raw.decode().strip()
            if line.startswith("data: "):
                ev = json.loads(line[6:])
                events.append(ev)
                if ev.get("ready") or ev.get("failed"):
                    break
    finally:
        conn.close()
    return r.status, r.getheader("Content-Type"), events


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class Kernel:
    """A kernel's websocket over the server's unix socket: just enough of
    RFC 6455 and Jupyter's JSON protocol to run code and read its output."""

    def __init__(self, sock_path, user, token, kernel_id, hub=None,
                 headers=None):
        """Straight to the server's socket with its token, or (hub given)
        through hubd on loopback with headers (cookie, Origin)."""
        import base64
        import uuid
        if hub is None:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(60)
            self.s.connect(sock_path)
        else:
            self.s = socket.create_connection(("127.0.0.1", hub.port),
                                              timeout=60)
            if getattr(hub, "tls", None):
                ctx = ssl.create_default_context(cafile=hub.tls[0])
                ctx.check_hostname = False
                self.s = ctx.wrap_socket(self.s)
        self.session = uuid.uuid4().hex
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        if token:
            extra += "Authorization: token %s\r\n" % token
        host = "localhost" if hub is None else "127.0.0.1:%d" % hub.port
        self.s.sendall((
            "GET /user/%s/api/kernels/%s/channels?session_id=%s HTTP/1.1\r\n"
            "Host: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n" %
            (user, kernel_id, self.session, host, key, extra)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.s.recv(1)
            if not c:
                raise RuntimeError("websocket handshake: connection closed")
            head += c
        self.status = int(head.split(b" ", 2)[1])
        if self.status != 101:
            raise RuntimeError("websocket handshake: %r" % head[:200])

    def send(self, obj):
        import json
        self._frame(0x81, json.dumps(obj).encode())

    def _frame(self, first, data):
        mask = os.urandom(4)
        hdr = bytes([first])
        n = len(data)
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            hdr += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        out = b""
        while len(out) < n:
            c = self.s.recv(n - len(out))
            if not c:
                raise RuntimeError("websocket closed")
            out += c
        return out

    def recv(self):
        import json
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7f
            if n == 126:
                n = int.from_bytes(self._exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exact(8), "big")
            data = self._exact(n)
            op = b0 & 0x0f
            if op == 1:
                return json.loads(data)
            if op == 8:
                raise RuntimeError("websocket closed by the server")
            if op == 9:     # ping: Jupyter closes sockets that never pong
                self._frame(0x8A, data)

    def run(self, code, timeout=60):
        """Execute code; the text it printed (stream) or its result."""
        import uuid
        mid = uuid.uuid4().hex
        self.send({"header": {"msg_id": mid, "username": "test",
                              "session": self.session, "msg_type":
                              "execute_request", "version": "5.3"},
                   "parent_header": {}, "metadata": {}, "channel": "shell",
                   "content": {"code": code, "silent": False,
                               "store_history": True, "user_expressions": {},
                               "allow_stdin": False, "stop_on_error": True},
                   "buffers": []})
        out = ""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.recv()
            if m.get("parent_header", {}).get("msg_id") != mid:
                continue
            t = m.get("msg_type") or m.get("header", {}).get("msg_type")
            if t == "stream":
                out += m["content"].get("text", "")
            elif t == "execute_result":
                out += m["content"]["data"].get("text/plain", "")
            elif t == "error":
                out += "ERROR " + m["content"].get("ename", "")
            elif t == "status" and m["content"].get("execution_state") == "idle":
                return out
        raise RuntimeError("no answer from the kernel")

    def close(self):
        self.s.close()
