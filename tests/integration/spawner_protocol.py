"""The spawner's side of the protocol: every malformed message makes it
refuse or exit, never act.  hubd-spawner runs alone here, with a
SOCK_SEQPACKET pair as its fd 3, as hubd would start it."""
import os
import socket
import struct
import subprocess
import tempfile
from hubtest import SPAWNER, SRC, Tap

VERSION = 1
HELLO, AUTH, AUTH_RESULT = 1, 2, 3
HDR = struct.Struct("<HHIQ")
USER, PASSWORD = 33, 1025
AUTH_SIZE = HDR.size + USER + PASSWORD
AUTH_SIZE += (-AUTH_SIZE) % 8          # the struct's alignment padding
RESULT_SIZE = HDR.size + 4 + 4 + 160
DENIED = 1

t = Tap()
d = tempfile.mkdtemp(prefix="hubd-sp-")
conf = os.path.join(d, "hubd.conf")
with open(conf, "w") as f:
    f.write("[hub]\nweb_dir = %s/web\n[pam]\nenabled = yes\n"
            "service = hubd-nonexistent-test\n" % SRC)


def start():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    os.set_inheritable(b.fileno(), True)
    err = open(os.path.join(d, "err"), "w+")
    # fd 3 is the spawner's socket, as hubd hands it over
    p = subprocess.Popen(["/bin/sh", "-c", 'exec "$0" --config "$1" 3<&%d %d<&-'
                          % (b.fileno(), b.fileno()), SPAWNER, conf],
                         pass_fds=(b.fileno(),), stderr=err,
                         stdin=subprocess.DEVNULL)
    b.close()
    a.settimeout(10)
    return p, a, err


def auth(user=b"alice", password=b"pw", id_=7, size=None, version=VERSION,
         type_=AUTH, hsize=None):
    body = user.ljust(USER, b"\0")[:USER] + password.ljust(PASSWORD, b"\0")[:PASSWORD]
    msg = HDR.pack(version, type_, hsize or AUTH_SIZE, id_) + body
    msg = msg.ljust(AUTH_SIZE, b"\0")
    if size is not None:
        msg = msg[:size] if size < len(msg) else msg.ljust(size, b"\0")
    return msg


def stderr_of(err):
    err.seek(0)
    return err.read()


p, s, err = start()
hello = s.recv(4096)
v, typ, size, _ = HDR.unpack_from(hello)
t.eq((v, typ, size, len(hello)), (VERSION, HELLO, len(hello), size),
     "the spawner says hello first")
s.send(auth(user=b"a/b"))
r = s.recv(4096)
t.eq(len(r), RESULT_SIZE, "a name with / is answered, not acted on")
t.eq(struct.unpack_from("<i", r, HDR.size)[0], DENIED, "and denied")
s.send(auth(user=b"..", id_=8))
r = s.recv(4096)
t.eq(struct.unpack_from("<i", r, HDR.size)[0], DENIED, "'..' is denied")
t.eq(HDR.unpack_from(r)[3], 8, "the answer carries the request id")
s.send(auth(user=b"root", id_=9))
r = s.recv(4096)
t.ok(struct.unpack_from("<i", r, HDR.size)[0] != 0, "root never passes")
t.eq(p.poll(), None, "after refusals the spawner still runs")
s.close()
t.eq(p.wait(10), 0, "EOF from hubd: the spawner stops with status 0")

BAD = [
    ("a message shorter than its header", b"\x01\x00"),
    ("a wrong version", auth(version=2)),
    ("an unknown type", auth(type_=99)),
    ("type 0", auth(type_=0)),
    ("a size that does not match the type", auth(size=AUTH_SIZE - 1)),
    ("a header size that lies", auth(hsize=AUTH_SIZE + 8)),
    ("an oversized datagram", auth(size=8192)),
    ("a hello from the hub (out of state)",
     HDR.pack(VERSION, HELLO, HDR.size + 8, 1) + b"\0" * 8),
    ("an answer from the hub (out of state)",
     HDR.pack(VERSION, AUTH_RESULT, RESULT_SIZE, 1) + b"\0" * (RESULT_SIZE - HDR.size)),
    ("an unterminated password",
     auth(password=b"x" * PASSWORD)),
    ("bytes hidden after the user name's NUL",
     auth(user=b"bob\0evil")),
]
for name, msg in BAD:
    p, s, err = start()
    s.recv(4096)
    s.send(msg)
    try:
        s.settimeout(10)
        got = s.recv(4096)
    except (socket.timeout, ConnectionResetError):
        got = b"timeout"
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
        rc = "still running"
    t.ok(rc not in (0, None, "still running") and got in (b"", b"timeout"),
         "%s: the spawner exits without answering" % name,
         "rc=%r got=%r" % (rc, got[:40]))
    t.contains(stderr_of(err), "hubd-spawner", "%s: it logs why" % name)
    s.close()
r = subprocess.run([SPAWNER, "--config", conf], capture_output=True,
                   text=True, stdin=subprocess.DEVNULL)
t.ok(r.returncode != 0 and "not hubd's SOCK_SEQPACKET" in r.stderr,
     "started by hand without the socket, it refuses")
subprocess.run(["rm", "-rf", d])
t.done()
