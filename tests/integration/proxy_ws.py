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
    answered = 0
    for n, k in socks:
        try:
            if k.run("1+1", timeout=120).strip() == "2":
                answered += 1
        except RuntimeError:
            pass
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
