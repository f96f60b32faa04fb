"""Websockets through hubd to real Jupyter kernels: an execute round trip,
foreign origins and other users refused, 500 websockets across 10
students all answering, and a server killed mid-stream closing its
student's sockets while everyone else goes on."""
import json
import os
import signal
import time
from hubtest import run, server_row, unix_http, wait_state, Kernel

N_STUDENTS = 10
PER_STUDENT = 50


def new_kernel(hub, name):
    r = server_row(hub, name)
    code, body = unix_http(r["socket"], "POST", "/user/%s/api/kernels" % name,
                           token=r["token"], body='{"name": "python3"}')
    return json.loads(body)["id"] if code == 201 else None


def answer_all(socks, timeout=180):
    """A kernel_info_request on every socket at once, then read them all
    as data comes (answering pings: Jupyter closes a socket that does not
    pong within 90 s, so reading them one after another is not fair)."""
    import selectors
    import uuid
    sel = selectors.DefaultSelector()
    pending = {}
    for n, k in socks:
        mid = uuid.uuid4().hex
        pending[mid] = k
        k.buf = b""
        k.send({"header": {"msg_id": mid, "username": "t", "session":
                           k.session, "msg_type": "kernel_info_request",
                           "version": "5.3"}, "parent_header": {},
                "metadata": {}, "content": {}, "channel": "shell",
                "buffers": []})
        k.s.setblocking(False)
        sel.register(k.s, selectors.EVENT_READ, k)
    done = set()
    deadline = time.time() + timeout
    while len(done) < len(socks) and time.time() < deadline:
        for key, _ in sel.select(1):
            k = key.data
            try:
                chunk = k.s.recv(65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(k.s)
                continue
            k.buf += chunk
            while len(k.buf) >= 2:
                b0, b1 = k.buf[0], k.buf[1]
                n, off = b1 & 0x7f, 2
                if n == 126:
                    if len(k.buf) < 4:
                        break
                    n, off = int.from_bytes(k.buf[2:4], "big"), 4
                elif n == 127:
                    if len(k.buf) < 10:
                        break
                    n, off = int.from_bytes(k.buf[2:10], "big"), 10
                if len(k.buf) < off + n:
                    break
                data, k.buf = k.buf[off:off + n], k.buf[off + n:]
                if b0 & 0x0f == 9:
                    k.s.setblocking(True)
                    k._frame(0x8A, data)
                    k.s.setblocking(False)
                elif b0 & 0x0f == 1:
                    m = json.loads(data)
                    mid = m.get("parent_header", {}).get("msg_id")
                    if (m.get("msg_type") == "kernel_info_reply" and
                            pending.get(mid) is k):
                        done.add(mid)
    for n, k in socks:
        try:
            sel.unregister(k.s)
        except (KeyError, ValueError):
            pass
        k.s.setblocking(True)
        k.s.settimeout(60)
    return len(done)


def test(t, hub):
    names = ["w%02d" % i for i in range(N_STUDENTS)]
    admin = hub.admin()
    admin.api("POST", "/users", {"usernames": names})
    clients = {}
    for n in names:
        hub.hubctl("user", "passwd", n, "--password-stdin",
                   input="password of %s\n" % n)
        c = hub.client()
        c.login(n, "password of %s" % n)
        clients[n] = c
        c.api("POST", "/users/%s/server" % n)
    for n in names:
        wait_state(hub, admin, n, ("running", "failed"), timeout=240)
    t.eq([server_row(hub, n)["state"] for n in names], ["running"] * N_STUDENTS,
         "%d servers run" % N_STUDENTS)
    kernels = {n: new_kernel(hub, n) for n in names}
    t.ok(all(kernels.values()), "a kernel in each")

    first = names[0]
    c = clients[first]
    cookie = "hubd-session=" + c.cookies["hubd-session"]
    good = {"Cookie": cookie, "Origin": hub.url}
    k = Kernel(None, first, None, kernels[first], hub=hub, headers=good)
    t.eq(k.status, 101, "a kernel websocket opens through hubd")
    t.eq(k.run("print(6 * 7)").strip(), "42", "and runs code")
    k.close()

    for hdrs, why in (({"Cookie": cookie, "Origin": "http://evil.example"},
                       "a foreign Origin"),
                      ({"Cookie": cookie}, "no Origin with a cookie")):
        try:
            Kernel(None, first, None, kernels[first], hub=hub, headers=hdrs)
            t.ok(False, "%s is refused" % why)
        except RuntimeError as e:
            t.contains(str(e), " 403 ", "%s is refused (403)" % why)
    other = {"Cookie": "hubd-session=" + clients[names[1]].cookies["hubd-session"],
             "Origin": hub.url}
    try:
        Kernel(None, first, None, kernels[first], hub=hub, headers=other)
        t.ok(False, "another student's websocket is refused")
    except RuntimeError as e:
        t.contains(str(e), " 403 ", "another student's websocket is refused")

    # 500 open at once, all answering.
    socks = []
    for n in names:
        h = {"Cookie": "hubd-session=" + clients[n].cookies["hubd-session"],
             "Origin": hub.url}
        for _ in range(PER_STUDENT):
            socks.append((n, Kernel(None, n, None, kernels[n], hub=hub,
                                    headers=h)))
    t.eq(len(socks), N_STUDENTS * PER_STUDENT, "%d websockets are open" %
         len(socks))
    answered = answer_all(socks)
    t.eq(answered, len(socks), "every one of them answers")

    # Kill one student's server: its sockets close, the others go on.
    victim = names[-1]
    os.kill(server_row(hub, victim)["pid"], signal.SIGKILL)
    closed = 0
    for n, k in socks:
        if n != victim:
            continue
        try:
            k.run("1+1", timeout=20)
        except (RuntimeError, OSError):
            closed += 1
    t.eq(closed, PER_STUDENT, "the killed server's websockets close")
    alive = sum(1 for n, k in socks[:PER_STUDENT * 2]
                if n != victim and k.run("2+2", timeout=60).strip() == "4")
    t.eq(alive, PER_STUDENT * 2, "other students' websockets go on")
    for _, k in socks:
        k.close()
    # libmicrohttpd 0.9.75 (Debian 12) corrupted its heap when hundreds of
    # upgraded connections were closed from another thread at once; hubd
    # now hands them back from libmicrohttpd's own thread (http.c).
    for _ in range(10):
        time.sleep(0.5)
        if hub.proc.poll() is not None:
            break
        try:
            hub.client().get("/hub/health")
        except OSError:
            pass
    t.ok(hub.proc.poll() is None, "hubd survives 500 websockets closing at once",
         "" if hub.proc.poll() is None else "exit status %s\n%s" % (
             hub.proc.returncode, "\n".join(hub.stderr().splitlines()[-30:])))
    t.eq(hub.client().get("/hub/health").status, 200, "hubd keeps serving")

    # Logging out ends the login's websockets too.
    n = names[1]
    c = hub.client()
    c.login(n, "password of %s" % n)
    k = Kernel(None, n, None, kernels[n], hub=hub, headers={
        "Cookie": "hubd-session=" + c.cookies["hubd-session"],
        "Origin": hub.url})
    t.eq(k.run("3+3").strip(), "6", "a websocket of a fresh login works")
    c.get("/hub/logout")
    import socket as _socket
    try:
        k.s.settimeout(10)
        while True:
            k.recv()
    except _socket.timeout:
        t.ok(False, "logging out closes it (still open after 10 s)")
    except (RuntimeError, OSError) as e:
        t.ok(True, "logging out closes it (%s)" % type(e).__name__)
    k.close()
    wait_state(hub, admin, victim, ("failed",), timeout=30)
    for n in names[:-1]:
        admin.api("DELETE", "/users/%s/server" % n)
    for n in names[:-1]:
        wait_state(hub, admin, n, ("stopped", "failed"))


run(test, conf="[server]\nconcurrent_spawns = 4\nmemory = 512M\n")
