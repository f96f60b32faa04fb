"""hubd --check-config names the file, the line and the key; hubd does not
start on a bad file."""
import os
import subprocess
import tempfile
from hubtest import HUBD, SRC, Tap, free_port

t = Tap()
d = tempfile.mkdtemp(prefix="hubd-cfg-")
web = os.path.join(SRC, "web")


def check(text, *extra):
    p = os.path.join(d, "hubd.conf")
    with open(p, "w") as f:
        f.write(text)
    return p, subprocess.run([HUBD, "--config", p] + list(extra),
                             capture_output=True, text=True, timeout=30)


p, r = check("[hub]\nlisten = 127.0.0.1:%d\ndata_dir = %s/data\n"
             "web_dir = %s\n" % (free_port(), d, web), "--check-config")
t.eq(r.returncode, 0, "a good file passes")
t.contains(r.stdout, "configuration OK", "and says so")

bad = [
    ("[hub]\nweb_dir = %s\nlisten = nowhere\n" % web, 3, "listen"),
    ("[hub]\nweb_dir = %s\n\n[session]\nlifetime = forever\n" % web, 5,
     "lifetime"),
    ("[hub]\nweb_dir = %s\nport = 8000\n" % web, 3, "port"),
    ("[hub]\nweb_dir = %s\ntls_cert = /no/such.pem\ntls_key = /no/k.pem\n" %
     web, 3, "tls_cert"),
]
for text, line, key in bad:
    p, r = check(text, "--check-config")
    t.ok(r.returncode != 0, "bad %s: non-zero exit" % key)
    t.contains(r.stderr, "%s:%d:" % (p, line), "bad %s: names file and line" %
               key)
    t.contains(r.stderr, key, "bad %s: names the key" % key)

p, r = check("[hub]\nweb_dir = /nonexistent/web\n", "--check-config")
t.ok(r.returncode != 0, "a missing web_dir fails the check")
t.contains(r.stderr, "web_dir", "and names web_dir")
r = subprocess.run([HUBD, "--config", os.path.join(d, "missing.conf")],
                   capture_output=True, text=True, timeout=30)
t.ok(r.returncode != 0, "a missing file: non-zero exit")
t.contains(r.stderr, "missing.conf: cannot open", "says it cannot open it")
p, r = check("[hub]\nlisten = bad\n")
t.ok(r.returncode != 0 and "listen" in r.stderr,
     "hubd itself refuses to start on a bad file")
r = subprocess.run([HUBD, "--print-config"], capture_output=True, text=True)
t.ok(r.returncode == 0 and "#listen = 127.0.0.1:8000" in r.stdout,
     "--print-config documents every key with its default")
doc = open(os.path.join(SRC, "docs", "configuration.md")).read()
keys = [l.split()[0].lstrip("#") for l in r.stdout.splitlines()
        if l.startswith("#") and not l.startswith("# ") and "=" in l]
t.ok(len(keys) >= 10, "--print-config lists the keys")
missing = [k for k in keys if "`%s`" % k not in doc]
t.eq(missing, [], "docs/configuration.md documents every key")
r = subprocess.run([HUBD, "--bogus"], capture_output=True, text=True)
t.eq(r.returncode, 2, "an unknown option: exit 2")
subprocess.run(["rm", "-rf", d])
t.done()
