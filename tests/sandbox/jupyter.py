#!/usr/bin/python3
"""Jupyter inside the sandbox: `jupyter notebook` on a unix socket in the
socket folder answers /api/status and starts a kernel (POST /api/kernels),
the peer of the socket is the student (SO_PEERCRED, as the hub will
check); an ipykernel driven by jupyter_client executes code that uses a
multiprocessing Pool."""
import http.client
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

TOKEN = "sbtest-token"


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path
        self.peer_uid = None

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.path)
        cred = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                            struct.calcsize("3i"))
        self.peer_uid = struct.unpack("3i", cred)[1]
        self.sock = s


def request(path, method, url):
    c = UnixHTTP(path)
    c.request(method, url, headers={"Authorization": "token " + TOKEN})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body, c.peer_uid


sbtest.require()
tap = sbtest.TAP()
root = sbtest.workdir()
(alice,) = sbtest.students(["alice"], root)

log = open(os.path.join(root, "nb.log"), "w")
srv = alice.start(["jupyter", "notebook", "--no-browser",
                   "--sock=/run/nb/nb.sock", "--sock-mode=0600",
                   "--NotebookApp.token=" + TOKEN],
                  extra=["--memory", "1G", "--pids", "256"],
                  stdout=log, stderr=log)
sock = os.path.join(alice.sockdir, "nb.sock")
status = None
deadline = time.monotonic() + 90
while time.monotonic() < deadline and srv.poll() is None:
    if os.path.exists(sock):
        try:
            status, body, peer = request(sock, "GET", "/api/status")
            break
        except OSError:
            pass
    time.sleep(0.2)


def logtail():
    with open(os.path.join(root, "nb.log")) as f:
        return f.read()[-3000:]


tap.ok(status == 200, "jupyter notebook on /run/nb/nb.sock answers "
       "/api/status", logtail())
if status == 200:
    tap.ok("started" in json.loads(body), "/api/status is JSON", body)
    tap.ok(peer == alice.uid, "SO_PEERCRED of the socket is the student",
           peer)
    code, body, _ = request(sock, "POST", "/api/kernels")
    kid = json.loads(body).get("id") if code == 201 else None
    tap.ok(kid is not None, "POST /api/kernels starts a kernel", body)
    def kernel_running():
        for pid in sbtest.pids_of_uid(alice.uid):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if b"ipykernel" in f.read():
                        return True
            except OSError:
                pass
        return False
    # notebook 6 reports "starting" until a client talks to the kernel
    tap.ok(sbtest.wait_for(kernel_running, 30),
           "the kernel process runs in the sandbox")
    code, body, _ = request(sock, "GET", "/api/kernels")
    tap.ok(code == 200 and kid in body.decode(), "GET /api/kernels lists it",
           body)
else:
    for d in ("/api/status is JSON", "SO_PEERCRED", "POST /api/kernels",
              "kernel process", "GET /api/kernels"):
        tap.ok(False, d)
srv.terminate()
rc = srv.wait(timeout=30)
tap.ok(rc in (0, 143), "notebook server stops on SIGTERM", rc)
tap.ok(sbtest.wait_for(lambda: not sbtest.pids_of_uid(alice.uid), 5),
       "no process left (kernels included)")

KERNEL = r'''
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="python3")
out = []
def hook(msg):
    if msg["msg_type"] == "stream":
        out.append(msg["content"]["text"])
code = ("import multiprocessing as mp\n"
        "with mp.Pool(2) as p: print(sum(p.map(abs, range(-50, 50))))\n")
reply = kc.execute_interactive(code, timeout=120, output_hook=hook)
print("STATUS", reply["content"]["status"], "OUT", "".join(out).strip())
kc.stop_channels()
km.shutdown_kernel(now=True)
'''
r = alice.run(["python3", "-c", KERNEL], extra=["--pids", "256"],
              timeout=180)
tap.ok("STATUS ok OUT 2500" in r.stdout,
       "ipykernel (jupyter_client) runs a multiprocessing Pool",
       r.stdout + r.stderr[-2000:])
tap.done()
