#!/usr/bin/python3
"""The install test inside a fresh Debian VM (run by tests/system/run
through the VM's run-once unit; TAP on stdout).

    guest-test.py DEB [--upgrade DEB2] [--sandbox-tests SRC:BUILD]

Installs DEB on the clean machine, checks the shipped configuration
against the Jupyter the package recommends, logs in as the first admin
(one-time password from /var/lib/hubd/initial-admin-password, then a
password of our own), makes a student through the API, starts the student's server
with an API token, checks its cgroup v2 limits in the machine's tree, runs
a kernel round trip through hubd, restarts hubd and finds the same kernel
with its variable, optionally upgrades to DEB2 (same checks), optionally
runs the sandbox escape tests, then removes and purges the package and
checks that nothing is left (also after an exception on the way).  Every
wait is bounded.
"""
import argparse
import glob
import os
import pwd
import grp
import shutil
import subprocess
import sys
import time
import traceback
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubtest import Client, Kernel  # noqa: E402  (tests/integration)

PORT = 8000
CONF = "/etc/hubd/hubd.conf"
STUDENT = "alice"
STUDENT_PW = "alice's own password"
ADMIN_PW = "the admin's own password"


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, desc))
        if not cond and diag is not None:
            for line in str(diag).splitlines()[-40:]:
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


class Hub:
    """What hubtest's Client and Kernel need: a port and a connection."""
    port = PORT
    url = "http://127.0.0.1:%d" % PORT

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)


def sh(cmd, timeout=600, input=None):
    """(exit status, stdout+stderr) of a shell command, bounded."""
    try:
        p = subprocess.run(cmd, shell=True, input=input, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        return 124, "timeout after %ds: %s\n%s" % (timeout, cmd, e.stdout or "")


def wait_for(pred, timeout, step=1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            v = pred()
            if v:
                return v
        except Exception:
            pass
        time.sleep(step)
    return None


def active():
    return sh("systemctl is-active hubd", 10)[1].strip() == "active"


def healthy():
    c = Client(Hub())
    r = c.get("/hub/health")
    return r.status == 200 and r.json().get("status") == "ok"


def wait_hub(timeout=90):
    return wait_for(lambda: active() and healthy(), timeout)


def journal(lines=60):
    return sh("journalctl -u hubd --no-pager -n %d" % lines, 20)[1]


def server_model(tok):
    c = Client(Hub())
    r = c.api("GET", "/users/" + STUDENT, token=tok)
    if r.status != 200:
        return None
    return r.json()


def server_row():
    rc, out = sh("hubctl --config %s server list" % CONF, 30)
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == STUDENT:
            return f, out
    return [], out


def server_pid():
    f, out = server_row()
    if len(f) > 2 and f[1] == "running" and f[2].isdigit():
        return int(f[2]), out
    return None, out


def server_up(tok):
    """True once running, False once failed, None meanwhile."""
    if (server_model(tok) or {}).get("server"):
        return True
    f, out = server_row()
    if len(f) > 1 and f[1] in ("failed", "stopped"):
        return False
    return None


def cgroup_of(pid):
    try:
        with open("/proc/%d/cgroup" % pid) as f:
            for line in f:
                if line.startswith("0::"):
                    return line[3:].strip()
    except (OSError, TypeError):
        pass
    return None


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return "(%s)" % e


def kernel_ws(student, kid):
    h = {"Cookie": "hubd-session=" + student.cookies["hubd-session"],
         "Origin": Hub.url}
    return Kernel(None, STUDENT, None, kid, hub=Hub(), headers=h)


def login_student():
    s = Client(Hub())
    try:
        r = s.login(STUDENT, STUDENT_PW)
    except OSError:
        return None
    return s if r.status == 303 and "hubd-session" in s.cookies else None


def systemd_version():
    out = sh("systemctl --version", 10)[1].split()
    return int(out[1]) if len(out) > 1 and out[1].isdigit() else 0


def conf_keys(text):
    """[(section, key, value)] of the uncommented keys of an INI text."""
    keys, sec = [], ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith(";"):
            continue
        if line.startswith("["):
            sec = line.strip("[]")
            continue
        k, _, v = line.partition("=")
        keys.append((sec, k.strip(), v.strip()))
    return keys


def deb_field(deb, field):
    return sh("dpkg-deb -f %s %s" % (deb, field), 10)[1].strip()


# The students' servers live in the scope hubd-spawner makes, outside
# hubd.service, on every systemd (spawner/scope.c).
SCOPE = "/system.slice/hubd-students.scope"


def check_kernel(t, kid, what):
    """The kernel kid still has x (set before) and answers."""
    s = login_student()
    if not t.ok(s is not None, "%s: the student logs in" % what):
        return
    try:
        k = kernel_ws(s, kid)
        out = k.run("print(x)", timeout=120).strip()
        k.close()
    except Exception as e:
        out = "error: %s" % e
    t.ok(out == "42", "%s: the kernel kept its variable (x = %s)"
          % (what, out), journal())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("deb")
    ap.add_argument("--upgrade")
    ap.add_argument("--sandbox-tests")
    a = ap.parse_args()
    t = Tap()
    os.environ["DEBIAN_FRONTEND"] = "noninteractive"
    sysd = systemd_version()
    t.diag("release: " + read("/etc/debian_version") + ", kernel " +
           os.uname().release + ", systemd %d" % sysd + ", /sys/fs/cgroup: " +
           sh("stat -fc %T /sys/fs/cgroup", 10)[1].strip())
    t_all = time.time()
    # An exception on the way is one failed test; remove and purge run.
    try:
        install_and_use(t, a, sysd, t_all)
    except Exception:
        t.ok(False, "the test went on to remove and purge (an exception)",
             traceback.format_exc())
    remove_and_purge(t, t_all)
    t.done()


# The server's pid, for remove_and_purge.
SERVER = {"pid": None}


def install_and_use(t, a, sysd, t_all):
    # 1. Install on the clean machine (no network: everything it depends
    # on is in the image).
    t0 = time.time()
    rc, out = sh("apt-get install -y --no-install-recommends %s" % a.deb, 600)
    t.ok(rc == 0, "apt-get install ./%s (%.0fs)" % (os.path.basename(a.deb),
                                                      time.time() - t0), out)
    t.diag("\n".join(l for l in out.splitlines() if l.startswith("hubd:")))
    if not t.ok(wait_hub(), "systemctl is-active hubd, /hub/health ok",
                journal()):
        t.done()
    t.ok(sh("systemctl is-enabled hubd", 10)[1].strip() == "enabled",
         "the service is enabled")
    st = os.stat("/var/lib/hubd")
    t.ok(st.st_uid == 0 and (st.st_mode & 0o777) == 0o700,
         "/var/lib/hubd is root's, 0700 (%o)" % (st.st_mode & 0o777))
    t.ok(pwd.getpwnam("hubd").pw_uid < 1000, "system user hubd exists")
    rc, out = sh("ps -o user=,args= -C hubd", 10)
    t.ok(out.split()[:1] == ["hubd"], "hubd runs as the user hubd", out)
    rc, out = sh("hubd --check-config --config %s" % CONF, 10)
    t.ok(rc == 0, "the shipped /etc/hubd/hubd.conf checks", out)
    # Every key commented, but [server] command and flavour where the
    # release's Jupyter (the package's Recommends) is not hubd's default.
    keys = conf_keys(read(CONF))
    t.ok(all(sec == "server" and k in ("command", "flavour")
             for sec, k, v in keys), "every key of hubd.conf is commented "
         "but [server] command and flavour (%s)" %
         ", ".join("%s = %s" % (k, v) for sec, k, v in keys), keys)
    cmd = dict((k, v) for sec, k, v in keys).get("command",
                                                 "jupyter-notebook")
    rec = deb_field(a.deb, "Recommends")
    recs = [x.split("|")[0].split("(")[0].strip() for x in rec.split(",")]
    rc, out = sh("dpkg-query -W -f='${Package} ${db:Status-Status}\\n' %s" %
                 " ".join(recs), 10)
    t.ok(rc == 0 and out.count(" installed") == len(recs) and
         shutil.which(cmd.split()[0]) is not None, "the Recommends (%s) "
         "are installed and give the configured command %s" % (rec, cmd),
         out)
    t.ok(os.path.exists("/etc/pam.d/hubd"), "/etc/pam.d/hubd installed")
    rc, out = sh("man -w hubd hubctl hubd-sandbox hubd.conf", 10)
    t.ok(rc == 0 and len(out.split()) == 4, "man pages hubd(8) hubctl(8) "
         "hubd-sandbox(1) hubd.conf(5)", out)
    # Jupyter under TCG starts slowly: a longer start timeout (reloaded
    # on SIGHUP, as IT would change it).
    sh("sed -i 's/^#start_timeout = .*/start_timeout = 300s/' %s" % CONF)
    rc, out = sh("systemctl reload hubd", 30)
    t.ok(rc == 0 and wait_hub(30), "systemctl reload hubd", out)

    # 2. The first admin logs in with the one-time password and sets a
    # password of their own.
    pwf = "/var/lib/hubd/initial-admin-password"
    st = os.stat(pwf) if os.path.exists(pwf) else None
    t.ok(st is not None and (st.st_mode & 0o777) == 0o600 and st.st_uid == 0,
         "postinst left the admin's one-time password in %s (0600)" % pwf)
    otp = read(pwf)
    admin = Client(Hub())
    r = admin.get("/hub/login")
    t.ok(r.status == 200 and "_xsrf" in admin.cookies,
         "GET /hub/login sets the _xsrf cookie")
    r = admin.login("admin", otp)
    t.ok(r.status == 303 and (r.header("Location") or "").startswith(
        "/hub/password"), "admin logs in with the one-time password: 303 to "
         "/hub/password", (r.status, r.header("Location"), r.text[:300]))
    r = admin.post("/hub/password", {"_xsrf": admin.cookies.get("_xsrf"),
                                     "password": ADMIN_PW,
                                     "confirm": ADMIN_PW})
    t.ok(r.status == 303, "admin sets a password of their own (303)",
         (r.status, r.text[:300]))
    r = admin.api("GET", "/user")
    t.ok(r.status == 200 and r.json().get("admin") in (True, None) and
         r.json().get("name") == "admin", "GET /hub/api/user as admin",
         (r.status, r.text[:300]))

    # 3. A student, made through the API; a token for scripts by hubctl.
    r = admin.api("POST", "/users/" + STUDENT)
    t.ok(r.status in (200, 201), "POST /hub/api/users/%s (%d)" %
         (STUDENT, r.status), r.text[:300])
    rc, out = sh("hubctl --config %s user passwd %s --password-stdin" %
                 (CONF, STUDENT), 30, input=STUDENT_PW + "\n")
    t.ok(rc == 0, "hubctl user passwd %s" % STUDENT, out)
    rc, out = sh("hubctl --config %s token add %s" % (CONF, STUDENT), 30)
    tok = out.strip().splitlines()[-1] if rc == 0 and out.strip() else ""
    t.ok(rc == 0 and len(tok) >= 32, "hubctl token add %s" % STUDENT, out)

    # 4. The student's server starts under cgroup v2 with its limits.
    t0 = time.time()
    r = Client(Hub()).api("POST", "/users/%s/server" % STUDENT, token=tok)
    t.ok(r.status in (201, 202), "POST /hub/api/users/%s/server (%d)" %
         (STUDENT, r.status), r.text[:300])
    wait_for(lambda: server_up(tok) is not None, 420, 2)
    t.ok(server_up(tok) is True, "the server runs: \"server\" is set in GET "
         "/hub/api/users/%s (%.0fs)" % (STUDENT, time.time() - t0),
         journal(80))
    pid, row = server_pid()
    SERVER["pid"] = pid
    if not t.ok(pid is not None, "hubctl server list shows its pid", row):
        t.done()
    cg = cgroup_of(pid)
    t.diag("server pid %d in cgroup %s; hubd in %s" % (
        pid, cg, cgroup_of(int(sh("pidof -s hubd", 5)[1] or 0))))
    t.ok(cg is not None and cg.startswith(SCOPE + "/hubd-students/u"),
        "the server's cgroup is below hubd-students.scope/hubd-students", cg)
    t.ok(sh("systemctl is-active hubd-students.scope", 10)[1].strip() ==
         "active" and read("/sys/fs/cgroup%s/cgroup.procs" % SCOPE) == "" and
         len(read("/sys/fs/cgroup%s/keeper/cgroup.procs" % SCOPE).split())
         == 1, "hubd-students.scope is active, its keeper in the leaf "
         "keeper", sh("systemctl status hubd-students.scope", 10)[1])
    d = "/sys/fs/cgroup" + (cg or "")
    t.ok(read(d + "/memory.max") == str(1 << 30),
         "memory.max of its cgroup is 1G (%s)" % read(d + "/memory.max"))
    t.ok(read(d + "/pids.max") == "256",
         "pids.max of its cgroup is 256 (%s)" % read(d + "/pids.max"))
    t.ok(read(d + "/cpu.max").split()[0] == "100000",
         "cpu.max of its cgroup is one CPU (%s)" % read(d + "/cpu.max"))
    # DelegateSubgroup=hub where systemd has it (>= 254); nothing below
    # the unit where it has not
    hubcg = cgroup_of(int(sh("pidof -s hubd", 5)[1] or 0))
    want = "/system.slice/hubd.service" + ("/hub" if sysd >= 254 else "")
    t.ok(hubcg == want, "hubd runs in %s" % want, hubcg)
    t.diag("%.0fs: hub installed, a server running" % (time.time() - t_all))

    # 5. A kernel round trip through hubd: REST, then the websocket.
    student = login_student()
    t.ok(student is not None, "the student logs in")
    kid = None
    if student is not None:
        r = student.request("POST", "/user/%s/api/kernels" % STUDENT,
                            body='{"name": "python3"}',
                            headers={"Content-Type": "application/json",
                                     "X-XSRFToken": student.cookies.get(
                                         "_xsrf", ""),
                                     "Origin": Hub.url})
        if r.status == 201:
            kid = r.json().get("id")
        t.ok(kid is not None, "POST /user/%s/api/kernels (%d)" %
             (STUDENT, r.status), r.text[:300])
    if kid is not None:
        # A new kernel under TCG takes a while to answer its first
        # request: try again (setting x twice is harmless), bounded.
        deadline = time.time() + 300
        out = ""
        while out != "42" and time.time() < deadline:
            try:
                k = kernel_ws(student, kid)
                out = k.run("x = 6 * 7\nprint(x)", timeout=120).strip()
                k.close()
            except Exception as e:
                out = "error: %s" % e
                time.sleep(5)
        t.ok(out == "42", "a kernel round trip through hubd (%s)" % out,
             journal())

    # 6. systemctl restart hubd: the server and kernel live on.
    t.ok(sh("systemctl show -p KillMode --value hubd", 10)[1].strip() ==
         "process", "the unit has KillMode=process")
    main_before = sh("systemctl show -p MainPID --value hubd", 10)[1].strip()
    rc, out = sh("systemctl restart hubd", 90)
    t.ok(rc == 0 and wait_hub(), "systemctl restart hubd", out + journal())
    main_after = sh("systemctl show -p MainPID --value hubd", 10)[1].strip()
    t.ok(main_after not in ("", "0") and main_before != main_after,
         "a new hubd runs (%s -> %s)" % (main_before, main_after))
    pid2, row = server_pid()
    t.ok(pid2 == pid, "the same server process after the restart "
          "(%s)" % pid2, row + journal(30))
    if kid is not None:
        check_kernel(t, kid, "after systemctl restart hubd")
    # Where it ran before, never deeper; the servers stay in the scope.
    hubcg = cgroup_of(int(sh("pidof -s hubd", 5)[1] or 0))
    want = "/system.slice/hubd.service" + ("/hub" if sysd >= 254 else "")
    t.ok(hubcg == want, "hubd runs in %s again (no nesting)" % want, hubcg)
    t.ok(cgroup_of(pid) == cg, "the server is in its cgroup still (%s)" %
         cgroup_of(pid))
    t.diag("%.0fs: restarted" % (time.time() - t_all))

    # 7. Upgrade to a newer build: data, config and the kernel stay.
    if a.upgrade:
        conf_before = read(CONF)
        rc, out = sh("apt-get install -y --no-install-recommends "
                     "-o Dpkg::Options::=--force-confold %s" % a.upgrade, 600)
        t.ok(rc == 0, "upgrade: apt-get install ./%s" %
             os.path.basename(a.upgrade), out)
        ver = sh("dpkg-query -W -f='${Version}' hubd", 10)[1]
        t.ok(ver in os.path.basename(a.upgrade), "upgrade: hubd %s installed"
             % ver)
        t.ok(wait_hub(), "upgrade: hubd runs again", journal())
        t.ok(read(CONF) == conf_before, "upgrade: the configuration is kept")
        c = Client(Hub())
        r = c.login("admin", ADMIN_PW)
        t.ok(r.status == 303 and not (r.header("Location") or "").startswith(
            "/hub/password"), "upgrade: the admin's own password still works "
             "(database kept)", (r.status, r.header("Location")))
        pid3, row = server_pid()
        t.ok(pid3 == pid, "upgrade: the same server process (%s)"
              % pid3, row)
        if kid is not None:
            check_kernel(t, kid, "after the upgrade")

        t.diag("%.0fs: upgraded" % (time.time() - t_all))

    # 8. The sandbox escape tests on cgroup v2.
    if a.sandbox_tests:
        src, build = a.sandbox_tests.split(":")
        env = dict(os.environ, HUBD_SRCDIR=src, HUBD_BUILDDIR=build,
                   PYTHONDONTWRITEBYTECODE="1")
        for test in sorted(glob.glob(src + "/tests/sandbox/*.py")):
            if test.endswith("sbtest.py"):
                continue
            t0 = time.time()
            try:
                p = subprocess.run([sys.executable, test], env=env, cwd=build,
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True,
                                   timeout=600)
                rc, out = p.returncode, p.stdout
            except subprocess.TimeoutExpired as e:
                rc, out = 124, "timeout\n%s" % (e.stdout or "")
            oks = sum(1 for l in out.splitlines() if l.startswith("ok "))
            bad = [l for l in out.splitlines() if l.startswith("not ok")]
            t.ok(rc == 0 and not bad, "sandbox %s on cgroup v2: %d ok, %d "
                 "not ok (%.0fs)" % (os.path.basename(test), oks, len(bad),
                                     time.time() - t0), out)

    t.diag("%.0fs: sandbox tests" % (time.time() - t_all))


def remove_and_purge(t, t_all):
    pid = SERVER["pid"]
    # 9. remove: the service stops, its servers too; data stays.
    rc, out = sh("apt-get remove -y hubd", 300)
    t.ok(rc == 0, "apt-get remove hubd", out)
    t.ok(sh("systemctl is-active hubd", 10)[1].strip() != "active",
         "remove: the service is stopped")
    t.ok(wait_for(lambda: not os.path.exists("/proc/%s" % pid), 30),
         "remove: the student's server is stopped")
    t.ok(sh("systemctl is-active hubd-students.scope", 10)[1].strip() !=
         "active", "remove: hubd-students.scope is stopped")
    t.ok(os.path.exists("/var/lib/hubd/hubd.sqlite") and
         os.path.exists(CONF), "remove: the database and hubd.conf are kept")

    # 10. purge: nothing is left behind.
    rc, out = sh("apt-get purge -y hubd", 300)
    t.ok(rc == 0, "apt-get purge hubd", out)
    t.diag("\n".join(l for l in out.splitlines() if l.startswith("hubd:")))
    left = [p for p in ("/var/lib/hubd", "/etc/hubd", "/run/hubd",
                        "/etc/pam.d/hubd", "/lib/systemd/system/hubd.service",
                        "/usr/lib/systemd/system/hubd.service",
                        "/etc/systemd/system/multi-user.target.wants/"
                        "hubd.service", "/usr/sbin/hubd",
                        "/usr/libexec/hubd", "/usr/share/hubd",
                        "/sys/fs/cgroup/system.slice/hubd.service",
                        "/sys/fs/cgroup" + SCOPE)
            if os.path.lexists(p)]
    t.ok(left == [], "purge: no files, folders or cgroup left", left)
    try:
        pwd.getpwnam("hubd")
        user = True
    except KeyError:
        user = False
    try:
        grp.getgrnam("hubd")
        group = True
    except KeyError:
        group = False
    t.ok(not user and not group, "purge: the user and group hubd are gone")
    rc, out = sh("dpkg-query -W -f='${Status}' hubd", 10)
    t.ok("installed" not in out or "not-installed" in out,
         "purge: dpkg knows no hubd (%s)" % out.strip())
    rc, out = sh("ps -eo user=,args= | grep -E '^(hubd|18790|18791)|jupyter'"
                 " | grep -v grep", 10)
    t.ok(out.strip() == "", "purge: no process of the hub or its students",
         out)
    t.diag("%.0fs: removed and purged" % (time.time() - t_all))


if __name__ == "__main__":
    main()
