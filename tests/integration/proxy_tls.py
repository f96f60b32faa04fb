"""The proxy under HTTPS: a student's notebook (real Jupyter) reached over
TLS, its kernel's websocket relayed through libmicrohttpd's TLS pump."""
import json
import os
import subprocess
import tempfile
from hubtest import Hub, Tap, server_row, unix_http, wait_state, Kernel

t = Tap()
d = tempfile.mkdtemp(prefix="hubd-ptls-")
cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out",
                    cert], capture_output=True)
if r.returncode != 0:
    t.bail("openssl cannot make a certificate")
hub = Hub(tls=(cert, key))
try:
    hub.start()
    hub.add_user("tl", "tl's password")
    c = hub.client()
    t.eq(c.login("tl", "tl's password").status, 303, "login over HTTPS")
    t.eq(c.api("POST", "/users/tl/server").status, 202, "start a server")
    wait_state(hub, c, "tl", ("running", "failed"), timeout=120)
    t.eq(server_row(hub, "tl")["state"], "running", "it runs")
    r = c.get("/user/tl/api/status")
    t.eq(r.status, 200, "Jupyter's API through the proxy over HTTPS")
    row = server_row(hub, "tl")
    code, body = unix_http(row["socket"], "POST", "/user/tl/api/kernels",
                           token=row["token"], body='{"name": "python3"}')
    kid = json.loads(body)["id"] if code == 201 else ""
    k = Kernel(None, "tl", None, kid, hub=hub, headers={
        "Cookie": "hubd-session=" + c.cookies["hubd-session"],
        "Origin": hub.url})
    t.eq(k.status, 101, "a kernel websocket over wss://")
    t.eq(k.run("print(6 * 7)").strip(), "42", "runs code through the TLS relay")
    k.close()
    # libmicrohttpd before 0.9.77 (Debian 12): slow TLS pump and a close
    # race under TLS; hubd tells IT to let a proxy do TLS.
    v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}",
                        "libmicrohttpd12"], capture_output=True, text=True)
    old = subprocess.run(["dpkg", "--compare-versions", v.stdout, "lt",
                          "0.9.77"]).returncode == 0
    warned = "websockets over TLS are slow" in hub.stderr()
    t.eq(warned, old, "hubd warns about TLS websockets exactly when "
         "libmicrohttpd is older than 0.9.77 (here %s)" % v.stdout)
    c.api("DELETE", "/users/tl/server")
    wait_state(hub, c, "tl", ("stopped",))
    t.eq(hub.stop(), 0, "stops cleanly")
finally:
    hub.cleanup()
    subprocess.run(["rm", "-rf", d])
t.done()
