#!/usr/bin/python3
"""Two students at once: neither sees the other's processes, files,
shared memory or sockets (unix path, abstract, loopback TCP)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

SCRIPT = r'''
import json, os, socket, sys, time
me, other = sys.argv[1], sys.argv[2]
res = {}
# our own things, made before looking for the other's
open(os.path.expanduser("~/mine-" + me), "w").close()
open("/dev/shm/shm-" + me, "w").close()
open("/tmp/tmp-" + me, "w").close()
ab = socket.socket(socket.AF_UNIX); ab.bind("\0iso-" + me); ab.listen(1)
us = socket.socket(socket.AF_UNIX); us.bind("/run/nb/nb.sock"); us.listen(1)
tcp = socket.socket(); tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("127.0.0.1", 8888)); tcp.listen(1)
open("/run/nb/ready", "w").close()
# the host says "go" once both are up
for _ in range(300):
    if os.path.exists("/srv/go/go"):
        break
    time.sleep(0.1)
res["other_up"] = os.path.exists("/srv/go/go")
res["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
res["home"] = sorted(os.listdir("/home"))
res["other_home"] = os.path.exists("/home/" + other)
res["other_shm"] = os.path.exists("/dev/shm/shm-" + other)
res["other_tmp"] = os.path.exists("/tmp/tmp-" + other)
def conn(fam, addr):
    s = socket.socket(fam)
    try:
        s.connect(addr)
        return "connected"
    except OSError as e:
        return e.errno
res["abstract"] = conn(socket.AF_UNIX, "\0iso-" + other)
res["own_abstract"] = conn(socket.AF_UNIX, "\0iso-" + me)
res["tcp_own_port"] = conn(socket.AF_INET, ("127.0.0.1", 8888))
print(json.dumps(res))
sys.stdout.flush()
time.sleep(1)
'''

sbtest.require()
tap = sbtest.TAP()
root = sbtest.workdir()
alice, bob = sbtest.students(["alice", "bob"], root)
with open(os.path.join(root, "iso.py"), "w") as f:
    f.write(SCRIPT)
godir = os.path.join(root, "go")
os.makedirs(godir)
out = {}
procs = {}
for me, other in ((alice, bob), (bob, alice)):
    log = open(os.path.join(root, me.name + ".out"), "w")
    procs[me.name] = me.start(
        ["python3", "/srv/work/iso.py", me.name, other.name],
        extra=["--bind", root + ":/srv/work:ro",
               "--bind", godir + ":/srv/go:ro"],
        stdout=log, stderr=log)
both = sbtest.wait_for(lambda: all(os.path.exists(os.path.join(
    s.sockdir, "ready")) for s in (alice, bob)), 30)
tap.ok(both, "both students are up at the same time")
open(os.path.join(godir, "go"), "w").close()
for name, p in procs.items():
    rc = p.wait(timeout=60)
    with open(os.path.join(root, name + ".out")) as f:
        text = f.read()
    try:
        out[name] = json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        out[name] = None
    tap.ok(rc == 0 and out[name] is not None, name + " ran", text[-2000:])

for name, other in (("alice", "bob"), ("bob", "alice")):
    r = out.get(name) or {}
    tap.ok(r.get("other_up") is True, "%s ran while %s ran" % (name, other))
    tap.ok(len(r.get("pids", [])) <= 3 and 1 in r.get("pids", []),
           "%s sees only its own processes %s" % (name, r.get("pids")))
    tap.ok(r.get("home") == [name] and r.get("other_home") is False,
           "%s sees only its own home" % name, r.get("home"))
    tap.ok(r.get("other_shm") is False and r.get("other_tmp") is False,
           "%s does not see %s's /dev/shm or /tmp" % (name, other))
    tap.ok(r.get("own_abstract") == "connected" and
           r.get("abstract") == 111,
           "%s cannot reach %s's abstract socket (ECONNREFUSED)"
           % (name, other), r)
    tap.ok(r.get("tcp_own_port") == "connected",
           "%s has its own 127.0.0.1:8888 (both listen on it)" % name, r)
tap.ok(os.path.exists(os.path.join(alice.home, "mine-alice")) and
       not os.path.exists(os.path.join(alice.home, "mine-bob")),
       "homes stay apart on the host")
tap.done()
