"""Shared parts of bench/spawn and bench/proxy: a hubd of the bench's own
(through tests/integration/hubtest.py, so it is configured exactly as the
integration tests configure it), its log lines timestamped as they
arrive, students with API tokens, a direct start of Jupyter without the
hub, and the report header.  Debian's python3, standard library only.

The peer (issue 8), Debian's JupyterHub 3.0 with configurable-http-proxy,
is the System subclass JupyterHub with the same methods; the scripts loop
over SYSTEMS and give each a column.  Its students are system accounts
(useradd/chpasswd here, userdel at the end).
"""

import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
LOAD_BEFORE = os.getloadavg()
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The command and options the spawner gives Jupyter (spawner/server.c,
# args_build) and the sandbox limits it applies by default ([server]).
NB_SOCK_INSIDE = "/run/nb/nb.sock"
SANDBOX_LIMITS = ["--memory", "1G", "--cpus", "1", "--pids", "256"]
if os.environ.get("BENCH_SANDBOX_CPUS"):    # to see the quota's share
    SANDBOX_LIMITS[3] = os.environ["BENCH_SANDBOX_CPUS"]


class BenchError(Exception):
    pass


def setup_build(build):
    """Point hubtest at BUILD (it reads HUBD_BUILDDIR when imported)."""
    build = os.path.abspath(build)
    for exe in ("hubd/hubd", "hubd/hubctl", "spawner/hubd-spawner",
                "sandbox/hubd-sandbox"):
        if not os.access(os.path.join(build, exe), os.X_OK):
            raise BenchError("%s/%s is missing: build first (make -j2)" %
                             (build, exe))
    os.environ["HUBD_BUILDDIR"] = build
    os.environ["HUBD_SRCDIR"] = SRC
    sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
    global hubtest
    import hubtest  # noqa: E402
    return build


def nb_args(user):
    return ["--no-browser", "--sock=" + NB_SOCK_INSIDE, "--sock-mode=0660",
            "--NotebookApp.base_url=/user/%s/" % user,
            "--NotebookApp.allow_remote_access=True",
            "--NotebookApp.trust_xheaders=True"]


def cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks_all(pid):
    """utime + stime + the reaped children's (cutime + cstime): counts the
    short-lived helpers a hub forks (hubd's PAM workers)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15])


def rss_kib(pids, key="VmRSS"):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def starttime(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def descendants(pid):
    out, pending = [], [pid]
    while pending:
        p = pending.pop()
        try:
            tasks = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        for t in tasks:
            try:
                with open("/proc/%d/task/%s/children" % (p, t)) as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            out += kids
            pending += kids
    return out


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    i = min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))
    return v[i]


def cell(values, digits=0):
    """median (min–max) of the runs, or the value when there is one."""
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    f = "{:.%df}" % digits
    med = f.format(statistics.median(values))
    if len(values) == 1:
        return med
    return "%s (%s–%s)" % (med, f.format(min(values)), f.format(max(values)))


def unix_get(path, target, token=None, timeout=5):
    """One GET over a unix socket (HTTP/1.0); the status, or None when
    nothing answers yet."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        h = "GET %s HTTP/1.0\r\nHost: localhost\r\n" % target
        if token:
            h += "Authorization: token %s\r\n" % token
        s.sendall((h + "\r\n").encode())
        out = b""
        while b"\r\n" not in out:
            c = s.recv(4096)
            if not c:
                break
            out += c
        return int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/") \
            else None
    except OSError:
        return None
    finally:
        s.close()


class LogWatch:
    """hubd's stderr (and its spawner's), each line stamped with
    time.monotonic() as it arrives; also copied to a file."""

    def __init__(self, pipe, path):
        self.lines = []         # (t, text)
        self.cond = threading.Condition()
        self.file = open(path, "w")
        self.t = threading.Thread(target=self._read, args=(pipe,),
                                  daemon=True)
        self.t.start()

    def _read(self, pipe):
        for raw in iter(pipe.readline, b""):
            t = time.monotonic()
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.file.write(line + "\n")
            self.file.flush()
            with self.cond:
                self.lines.append((t, line))
                self.cond.notify_all()

    def find(self, regex, after=0.0):
        """Time of the first line matching regex at or after `after`."""
        r = re.compile(regex)
        with self.cond:
            for t, line in self.lines:
                if t >= after and r.search(line):
                    return t
        return None

    def wait(self, timeout):
        with self.cond:
            self.cond.wait(timeout)

    def text(self):
        with self.cond:
            return "\n".join(l for _, l in self.lines)


class System:
    """A hub under test.  Subclasses: start(), stop(), add_students(),
    start_server(), stop_server(), server_state(), proxy (host, port),
    backend(name) -> (unix socket, server token), hub_pids()."""
    name = "?"


class Hubd(System):
    name = "hubd"

    def __init__(self, server_conf="", log_level="info", extra_conf=""):
        self.hub = hubtest.Hub(conf="[server]\n" + server_conf)
        with open(self.hub.conf) as f:
            conf = f.read()
        with open(self.hub.conf, "w") as f:
            f.write(conf.replace("log_level = debug",
                                 "log_level = " + log_level) + extra_conf)
        self.tokens = {}
        self.log = None
        self.port = self.hub.port
        self.dir = self.hub.dir

    # -- life -------------------------------------------------------------
    def start(self):
        h = self.hub
        h.starts += 1
        h.out = os.path.join(h.dir, "stdout.%d" % h.starts)
        h.err = os.path.join(h.dir, "stderr.%d" % h.starts)
        h.proc = subprocess.Popen([hubtest.HUBD, "--config", h.conf],
                                  stdout=open(h.out, "w"),
                                  stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL)
        self.log = LogWatch(h.proc.stderr, h.err)
        try:
            h.wait_ready(timeout=30)
        except RuntimeError as e:
            raise BenchError("hubd did not start: %s\n%s" %
                             (e, self.log.text()[-2000:]))

    @property
    def pid(self):
        return self.hub.proc.pid

    def hub_pids(self):
        """hubd and its spawner (not the students' servers)."""
        return [self.pid] + [p for p in descendants(self.pid)
                             if self._is_spawner(p)]

    @staticmethod
    def _is_spawner(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return b"hubd-spawner" in f.read().split(b"\0")[0]
        except OSError:
            return False

    def add_students(self, names, password="bench password 0123",
                     pam=False):
        """Hub accounts with API tokens; pam=True: accounts that log in
        through PAM (the system account of the same name)."""
        for n in names:
            if pam:
                r = self.hub.hubctl("user", "add", n, "--role", "student",
                                    "--auth", "pam")
            else:
                r = self.hub.hubctl("user", "add", n, "--role", "student",
                                    "--password-stdin",
                                    input=password + "\n")
            if r.returncode != 0:
                raise BenchError("hubctl user add %s: %s" % (n, r.stderr))
            r = self.hub.hubctl("token", "add", n)
            if r.returncode != 0:
                raise BenchError("hubctl token add %s: %s" % (n, r.stderr))
            self.tokens[n] = r.stdout.strip()

    def api(self, method, path, token):
        c = self.hub.connection(timeout=30)
        try:
            c.request(method, "/hub/api" + path,
                      headers={"Authorization": "token " + token})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def start_server(self, name):
        st, body = self.api("POST", "/users/%s/server" % name,
                            self.tokens[name])
        if st not in (201, 202):
            raise BenchError("start %s: %d %s" % (name, st, body[:200]))

    def stop_server(self, name):
        st, body = self.api("DELETE", "/users/%s/server" % name,
                            self.tokens[name])
        if st not in (202, 204):
            raise BenchError("stop %s: %d %s" % (name, st, body[:200]))

    def row(self, name):
        try:
            return hubtest.server_row(self.hub, name)
        except sqlite3.Error:
            return None

    def server_state(self, name):
        r = self.row(name)
        return r["state"] if r else "stopped"

    def wait_states(self, names, states, timeout):
        deadline = time.monotonic() + timeout
        left = set(names)
        while left and time.monotonic() < deadline:
            left = {n for n in left if self.server_state(n) not in states}
            if left:
                time.sleep(0.05)
        if left:
            raise BenchError("servers of %s not %s after %ds" % (
                ", ".join(sorted(left)), "/".join(states), timeout))

    def backend(self, name):
        r = self.row(name)
        return r["socket"], r["token"]

    def proxy_status(self, name, timeout=10):
        """GET /user/NAME/api/status through the hub with the student's
        API token; the status code."""
        c = self.hub.connection(timeout=timeout)
        try:
            c.request("GET", "/user/%s/api/status" % name,
                      headers={"Authorization": "token " + self.tokens[name]})
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()

    # -- log marks (what hubd and the spawner log at info) ----------------
    def mark_started(self, name, after):
        return self.log.find(r"^hubd-spawner: server of %s started:" % name,
                             after)

    def mark_ready(self, name, after):
        return self.log.find(r"^hubd: server of %s ready in" % name, after)

    def stop(self):
        """Servers outlive hubd by design: stop them through the API, then
        hubd; kill what is left by the pid and start time in the table."""
        h = self.hub
        if h.proc is not None and h.proc.poll() is None:
            running = []
            for n in self.tokens:
                try:
                    if self.server_state(n) in ("queued", "starting",
                                                "running"):
                        self.stop_server(n)
                        running.append(n)
                except (BenchError, OSError):
                    pass
            try:
                self.wait_states(running, ("stopped", "failed"), 30)
            except BenchError as e:
                print("# %s" % e, file=sys.stderr)
        h.stop()
        h.kill_servers()
        if self.log:
            self.log.t.join(timeout=5)
            self.log.file.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- system accounts (PAM) -------------------------------------------------

def system_users_exist(names):
    import pwd
    out = []
    for n in names:
        try:
            pwd.getpwnam(n)
            out.append(n)
        except KeyError:
            pass
    return out


def add_system_users(names, password):
    """Real accounts for PAM (useradd --create-home, chpasswd): the peer's
    students and both hubs' PAM logins.  Refuses names that exist, so the
    bench never touches an account it did not make; returns the names
    made (remove them with del_system_users)."""
    taken = system_users_exist(names)
    if taken:
        raise BenchError("system accounts already exist: %s (left by an "
                         "interrupted run? remove them with userdel -r)" %
                         ", ".join(taken))
    made = []
    try:
        for n in names:
            r = subprocess.run(["useradd", "--create-home", "--shell",
                                "/bin/sh", "--comment", "hubd bench", n],
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise BenchError("useradd %s: %s" % (n, r.stderr.strip()))
            made.append(n)
        r = subprocess.run(["chpasswd"], input="".join(
            "%s:%s\n" % (n, password) for n in names), capture_output=True,
            text=True, timeout=300)
        if r.returncode != 0:
            raise BenchError("chpasswd: " + r.stderr.strip())
    except BaseException:
        del_system_users(made)
        raise
    return made


def kill_uids(uids):
    """SIGKILL, by PID, every process running as one of uids (the bench's
    own accounts: their leftover notebook servers and kernels)."""
    uids = set(uids)
    for _ in range(3):
        found = False
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/status" % d) as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) in uids:
                                os.kill(int(d), signal.SIGKILL)
                                found = True
                            break
            except (OSError, ValueError):
                pass
        if not found:
            return
        time.sleep(0.2)


def del_system_users(names):
    import pwd
    uids = []
    for n in names:
        try:
            uids.append(pwd.getpwnam(n).pw_uid)
        except KeyError:
            pass
    kill_uids(uids)
    for n in names:
        subprocess.run(["userdel", "--remove", n], capture_output=True,
                       timeout=60)


# --- the peer: Debian's JupyterHub 3.0 with configurable-http-proxy ----------

JH_CONFIG = '''\
# jupyterhub_config.py written by hubd's bench (bench/hubbench.py)
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"     # the proxy, public
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.auth_token = "{proxy_token}"
c.ConfigurableHTTPProxy.pid_file = "{dir}/proxy.pid"
c.ConfigurableHTTPProxy.log_level = "warn"
c.JupyterHub.db_url = "sqlite:///{dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{dir}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{dir}/jupyterhub.pid"
c.JupyterHub.log_level = "WARN"          # the request log at INFO is huge
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.service = "login"
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = ["jupyterhub-singleuser"]
c.Spawner.args = ["--log-level=WARN"]
c.Spawner.environment = {{
    "JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp"}}
c.Spawner.start_timeout = 240
c.Spawner.http_timeout = 240
c.JupyterHub.concurrent_spawn_limit = 100
c.Authenticator.allowed_users = {users!r}
c.JupyterHub.api_tokens = {tokens!r}
'''


class _Marks:
    """The peer's counterpart of LogWatch for the spawn client: the time
    the hub's progress stream says a server is ready."""

    def __init__(self):
        self.cond = threading.Condition()
        self.ready = {}     # name -> [t]
        self.failed = {}    # name -> message
        self.open = set()   # names whose stream is being read

    def wait(self, timeout):
        with self.cond:
            self.cond.wait(max(0.0, timeout))

    def text(self):
        return ""


class JupyterHub(System):
    """Debian's jupyterhub 3.0: the hub (Python), configurable-http-proxy
    (Node.js) in front, PAMAuthenticator, LocalProcessSpawner starting
    jupyterhub-singleuser as the student's own system account on a
    loopback port, with the classic notebook app.  Students are system
    accounts made here (useradd, chpasswd) and removed by cleanup(); their
    API tokens are loaded from the config (api_tokens)."""
    name = "jupyterhub"
    not_ready = (302, 424, 502, 503, 504)  # the hub: not (yet) running

    def __init__(self, server_conf="", log_level="info", extra_conf=""):
        self.dir = tempfile.mkdtemp(prefix="bench-jupyterhub-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.hub_port = free_port()
        self.api_port = free_port()
        self.proxy_token = os.urandom(24).hex()
        self.conf = os.path.join(self.dir, "jupyterhub_config.py")
        self.extra_conf = extra_conf
        self.tokens = {}
        self.made_users = []
        self.proc = None
        self.log = _Marks()
        self.errlog = None
        self.password = "bench password 0123"

    def config_text(self):
        return JH_CONFIG.format(
            port=self.port, hub_port=self.hub_port, api_port=self.api_port,
            proxy_token=self.proxy_token, dir=self.dir,
            users=set(self.tokens),
            tokens={t: n for n, t in self.tokens.items()}) + self.extra_conf

    # -- life -------------------------------------------------------------
    def add_students(self, names, password="bench password 0123",
                     pam=True):
        """System accounts (made here unless they exist already) with
        API tokens in the config; before start()."""
        new = [n for n in names if n not in system_users_exist(names)]
        if new:
            self.made_users += add_system_users(new, password)
        for n in names:
            self.tokens[n] = os.urandom(24).hex()

    def start(self):
        with open(self.conf, "w") as f:
            f.write(self.config_text())
        env = dict(os.environ)
        # Debian's CHP needs its modules from /usr/share/nodejs under the
        # Node.js these machines carry.
        env["NODE_PATH"] = "/usr/share/nodejs"
        env["JUPYTERHUB_SINGLEUSER_APP"] = "notebook.notebookapp.NotebookApp"
        self.errlog = open(os.path.join(self.dir, "jupyterhub.log"), "w")
        self.proc = subprocess.Popen(["jupyterhub", "-f", self.conf],
                                     cwd=self.dir, env=env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.errlog, stderr=self.errlog)
        t0 = time.monotonic()
        while True:
            st = None
            try:
                st = self.http("GET", "/hub/api/", timeout=2)[0]
            except (OSError, http.client.HTTPException):
                pass
            if st == 200:
                break
            if self.proc.poll() is not None:
                raise BenchError("jupyterhub exited: " + self.log_tail())
            if time.monotonic() - t0 > 60:
                raise BenchError("jupyterhub does not answer after 60 s: " +
                                 self.log_tail())
            time.sleep(0.1)
        self.proxy_pid = None
        for p in descendants(self.proc.pid):
            if self._is_proxy(p):
                self.proxy_pid = p

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "jupyterhub.log")) as f:
                return f.read()[-2500:]
        except OSError:
            return ""

    @property
    def pid(self):
        return self.proc.pid

    @staticmethod
    def _is_proxy(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return b"configurable-http-proxy" in f.read()
        except OSError:
            return False

    def hub_pids(self):
        """jupyterhub and its proxy (not the students' servers)."""
        return [self.pid] + [p for p in descendants(self.pid)
                             if self._is_proxy(p)]

    def http(self, method, path, token=None, body=None, timeout=30,
             headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port,
                                       timeout=timeout)
        try:
            h = dict(headers or {})
            if token:
                h["Authorization"] = "token " + token
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def api(self, method, path, token):
        return self.http(method, "/hub/api" + path, token)

    def start_server(self, name):
        with self.log.cond:
            self.log.ready.pop(name, None)
            self.log.failed.pop(name, None)
            self.log.open.add(name)
        st, body = self.api("POST", "/users/%s/server" % name,
                            self.tokens[name])
        if st not in (201, 202):
            with self.log.cond:
                self.log.open.discard(name)
            raise BenchError("start %s: %d %s" % (name, st, body[:200]))
        threading.Thread(target=self._progress, args=(name,),
                         daemon=True).start()

    def _progress(self, name):
        """Read the hub's progress stream (what the spawn page shows) and
        stamp the 'ready' event as it arrives."""
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port,
                                           timeout=300)
            c.request("GET", "/hub/api/users/%s/server/progress" % name,
                      headers={"Authorization": "token " + self.tokens[name]})
            r = c.getresponse()
            for raw in r:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data: "):
                    continue
                ev = json.loads(line[6:])
                with self.log.cond:
                    if ev.get("ready"):
                        self.log.ready[name] = time.monotonic()
                        self.log.cond.notify_all()
                        break
                    if ev.get("failed"):
                        self.log.failed[name] = ev.get("message", "failed")
                        self.log.cond.notify_all()
                        break
            c.close()
        except (OSError, http.client.HTTPException, ValueError):
            pass
        finally:
            with self.log.cond:
                self.log.open.discard(name)
                self.log.cond.notify_all()

    def stop_server(self, name):
        st, body = self.api("DELETE", "/users/%s/server" % name,
                            self.tokens[name])
        if st not in (202, 204):
            raise BenchError("stop %s: %d %s" % (name, st, body[:200]))

    def server_state(self, name):
        with self.log.cond:
            if name in self.log.failed:
                return "failed"
            if name in self.log.open:   # spawning: ask the stream, not
                return "starting"       # the hub, while the client polls
        st, body = self.api("GET", "/users/%s" % name, self.tokens[name])
        if st != 200:
            raise BenchError("GET user %s: %d" % (name, st))
        srv = (json.loads(body).get("servers") or {}).get("")
        if not srv:
            return "stopped"
        if srv.get("pending") == "spawn":
            return "starting"
        if srv.get("pending") == "stop":
            return "stopping"
        return "running" if srv.get("ready") else "starting"

    def row(self, name):
        return {"message": self.log.failed.get(name)}

    def wait_states(self, names, states, timeout):
        deadline = time.monotonic() + timeout
        left = set(names)
        while left and time.monotonic() < deadline:
            left = {n for n in left if self.server_state(n) not in states}
            if left:
                time.sleep(0.1)
        if left:
            raise BenchError("servers of %s not %s after %ds" % (
                ", ".join(sorted(left)), "/".join(states), timeout))

    def routes(self):
        c = http.client.HTTPConnection("127.0.0.1", self.api_port,
                                       timeout=10)
        try:
            c.request("GET", "/api/routes", headers={
                "Authorization": "token " + self.proxy_token})
            r = c.getresponse()
            return json.loads(r.read())
        finally:
            c.close()

    def backend(self, name):
        """The server's own address (from the proxy's routing table) and
        the token to use there (the student's: the server checks it with
        the hub once and caches the answer)."""
        t = self.routes()["/user/%s" % name]["target"]
        return t.split("//", 1)[1].rstrip("/"), self.tokens[name]

    def server_pid(self, name):
        """The jupyterhub-singleuser process of NAME."""
        import pwd
        uid = pwd.getpwnam(name).pw_uid
        for p in descendants(self.pid):
            try:
                with open("/proc/%d/status" % p) as f:
                    u = [l for l in f if l.startswith("Uid:")][0]
                with open("/proc/%d/cmdline" % p, "rb") as f:
                    cmd = f.read()
            except (OSError, IndexError):
                continue
            if int(u.split()[1]) == uid and b"jupyterhub-singleuser" in cmd:
                return p
        raise BenchError("no jupyterhub-singleuser process of %s" % name)

    def proxy_status(self, name, timeout=10):
        return self.http("GET", "/user/%s/api/status" % name,
                         self.tokens[name], timeout=timeout)[0]

    def mark_started(self, name, after):
        return None

    def mark_ready(self, name, after):
        t = self.log.ready.get(name)
        return t if t is not None and t >= after else None

    def stop(self):
        """Stop the servers through the API, then the hub (SIGTERM; it
        stops its proxy); leftovers are killed by PID: the proxy's, and the
        processes of the accounts made here."""
        if self.proc is not None and self.proc.poll() is None:
            running = []
            for n in self.tokens:
                try:
                    if self.server_state(n) in ("starting", "running"):
                        self.stop_server(n)
                        running.append(n)
                except (BenchError, OSError, http.client.HTTPException):
                    pass
            try:
                self.wait_states(running, ("stopped",), 60)
            except (BenchError, OSError, http.client.HTTPException) as e:
                print("# %s" % e, file=sys.stderr)
            proxy = [p for p in descendants(self.pid) if self._is_proxy(p)]
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            for p in proxy:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        if self.errlog:
            self.errlog.close()
            self.errlog = None
        import pwd
        uids = []
        for n in self.tokens:
            try:
                uids.append(pwd.getpwnam(n).pw_uid)
            except KeyError:
                pass
        kill_uids(uids)

    def cleanup(self):
        self.stop()
        del_system_users(self.made_users)
        self.made_users = []
        shutil.rmtree(self.dir, ignore_errors=True)


SYSTEMS = {"hubd": Hubd, "jupyterhub": JupyterHub}


# --- Jupyter on its own --------------------------------------------------

class DirectJupyter:
    """jupyter-notebook started without any hub, as a fresh student uid,
    with the spawner's options: in hubd-sandbox with the spawner's default
    limits (sandbox=True) or bare under setpriv (sandbox=False).  start()
    returns the ms from exec until GET /user/NAME/api/status on its socket
    answers 200, polled every `poll` seconds."""

    def __init__(self, build, root, name="benchdirect", sandbox=True):
        self.sandbox_exe = os.path.join(build, "sandbox", "hubd-sandbox")
        self.name = name
        self.sandbox = sandbox
        self.uid = int(subprocess.check_output(
            [self.sandbox_exe, "--pick-uid"], text=True).strip())
        self.root = tempfile.mkdtemp(prefix="direct-", dir=root)
        os.chmod(self.root, 0o755)
        self.homes = os.path.join(self.root, "homes")
        os.mkdir(self.homes, 0o755)
        self.sockdir = os.path.join(self.root, "sock")
        os.mkdir(self.sockdir, 0o700)
        os.chown(self.sockdir, self.uid, self.uid)
        self.token = os.urandom(32).hex()
        self.proc = None
        self.logf = os.path.join(self.root, "nb.log")

    @property
    def socket(self):
        return os.path.join(self.sockdir, "nb.sock")

    def argv(self):
        if self.sandbox:
            return [self.sandbox_exe, "--user", self.name, "--uid",
                    str(self.uid), "--homes", self.homes, "--sockdir",
                    self.sockdir] + SANDBOX_LIMITS + [
                    "--env", "JUPYTER_TOKEN=" + self.token, "--",
                    "jupyter-notebook"] + nb_args(self.name)
        home = os.path.join(self.homes, str(self.uid))
        if not os.path.isdir(home):
            os.mkdir(home, 0o700)
            os.chown(home, self.uid, self.uid)
        args = [a.replace(NB_SOCK_INSIDE, self.socket)
                for a in nb_args(self.name)]
        return ["setpriv", "--reuid", str(self.uid), "--regid",
                str(self.uid), "--clear-groups", "--",
                "env", "-i", "HOME=" + home, "USER=" + self.name,
                "LOGNAME=" + self.name, "PATH=/usr/local/bin:/usr/bin:/bin",
                "LANG=C.UTF-8", "MPLBACKEND=Agg",
                "JUPYTER_RUNTIME_DIR=" + os.path.join(home, ".runtime"),
                "JUPYTER_TOKEN=" + self.token, "jupyter-notebook"] + args

    def start(self, poll=0.005, timeout=60):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        log = open(self.logf, "a")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        target = "/user/%s/api/status" % self.name
        while True:
            if unix_get(self.socket, target, self.token) == 200:
                ms = (time.monotonic() - t0) * 1000
                break
            if self.proc.poll() is not None:
                raise BenchError("direct jupyter exited: " +
                                 open(self.logf).read()[-1500:])
            if time.monotonic() - t0 > timeout:
                raise BenchError("direct jupyter did not answer in %ds" %
                                 timeout)
            time.sleep(poll)
        self.cpu_ms = None
        if not self.sandbox:    # setpriv and env exec: the same pid
            self.cpu_ms = cpu_ticks(self.proc.pid) * 1000.0 / CLK_TCK
        else:                   # the notebook process inside
            for p in descendants(self.proc.pid):
                try:
                    with open("/proc/%d/cmdline" % p, "rb") as f:
                        if b"jupyter-notebook" in f.read():
                            self.cpu_ms = cpu_ticks(p) * 1000.0 / CLK_TCK
                except OSError:
                    pass
        return ms

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()     # hubd-sandbox's death kills the sandbox
            self.proc.wait(timeout=10)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


# --- report ----------------------------------------------------------------

def header(build):
    try:
        rev = subprocess.run(["git", "-C", SRC, "describe", "--always",
                              "--dirty"], capture_output=True, text=True,
                             timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        rev = "?"
    try:
        nb = subprocess.run(["jupyter-notebook", "--version"],
                            capture_output=True, text=True,
                            timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        nb = "?"
    load = " ".join("%.2f" % x for x in LOAD_BEFORE)
    after = " ".join("%.2f" % x for x in os.getloadavg())
    return ("%s; %d cores (%s, Linux %s); hubd %s (%s); jupyter-notebook %s;"
            " load average before: %s, after: %s." % (
                datetime.datetime.now().astimezone().strftime(
                    "%Y-%m-%d %H:%M %Z"), os.cpu_count(),
                platform.processor() or platform.machine(),
                platform.release(), rev, build, nb, load, after))


def write_section(path, title, text):
    """Replace (or append) the section '## title' of a results file."""
    try:
        with open(path) as f:
            old = f.read()
    except FileNotFoundError:
        old = "# Benchmark results\n"
    block = "## %s\n\n%s\n" % (title, text.rstrip() + "\n")
    pat = re.compile(r"^## %s\n.*?(?=^## |\Z)" % re.escape(title),
                     re.M | re.S)
    if pat.search(old):
        new = pat.sub(lambda m: block + "\n", old, count=1).rstrip() + "\n"
    else:
        new = old.rstrip() + "\n\n" + block
    with open(path, "w") as f:
        f.write(new)


def main_guard(fn):
    """SIGTERM ends the run through the finally blocks, as Ctrl-C does."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if os.geteuid() != 0:
        sys.exit("%s: must run as root (hubd starts its root spawner)" %
                 os.path.basename(sys.argv[0]))
    try:
        fn()
    except (BenchError, KeyboardInterrupt) as e:
        sys.exit("%s: %s" % (os.path.basename(sys.argv[0]),
                             e or "interrupted"))


def deadline_alarm(seconds):
    """Give up after `seconds`: SIGALRM raises, the finally blocks clean."""
    def on_alarm(sig, frame):
        raise BenchError("deadline of %ds passed" % seconds)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(seconds))


__all__ = ["BenchError", "setup_build", "Hubd", "JupyterHub", "SYSTEMS", "DirectJupyter",
           "header", "write_section", "cell", "pct", "cpu_ticks",
           "main_guard", "deadline_alarm", "json"]
