"""HTTPS: a login over TLS with the hub's own certificate."""
import os
import subprocess
import tempfile
from hubtest import Hub, Tap

t = Tap()
d = tempfile.mkdtemp(prefix="hubd-tls-")
cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], capture_output=True)
if r.returncode != 0:
    t.bail("openssl cannot make a certificate: %s" % r.stderr)
hub = Hub(tls=(cert, key))
try:
    hub.start()
    t.ok(hub.admin_password is not None, "HTTPS hub started")
    hub.add_user("judy", "judy's password")
    c = hub.client()
    r = c.get("/hub/login")
    t.eq(r.status, 200, "login page over HTTPS")
    t.contains(r.header("Strict-Transport-Security"), "max-age",
               "HSTS under TLS")
    t.ok(any("Secure" in v for v in r.all("Set-Cookie")),
         "the _xsrf cookie is Secure")
    r = c.login("judy", "judy's password")
    t.eq(r.status, 303, "login over HTTPS")
    t.ok(any(v.startswith("hubd-session=") and "; Secure" in v
             for v in r.all("Set-Cookie")), "the session cookie is Secure")
    t.contains(c.get("/hub/home").text, "Welcome, judy", "home over HTTPS")
    import http.client
    plain = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=5)
    try:
        plain.request("GET", "/hub/login")
        plain.getresponse()
        t.ok(False, "plain HTTP to the TLS port is not served")
    except (OSError, http.client.HTTPException):
        t.ok(True, "plain HTTP to the TLS port is not served")
    t.eq(hub.client().get("/hub/health").status, 200,
         "still serving after that")
    t.eq(hub.stop(), 0, "stops cleanly")
finally:
    hub.cleanup()
    subprocess.run(["rm", "-rf", d])
t.done()
