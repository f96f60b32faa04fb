#!/usr/bin/python3
"""What a student's code needs works inside the sandbox: threads,
multiprocessing (fork, spawn, forkserver), shared memory, subprocess,
numpy, pandas, matplotlib (Agg) saving a PNG in the home, the course
folder, the generated identity, loopback networking.

One sandbox runs a script that prints a JSON line per check.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

SCRIPT = r'''
import json, os, sys, traceback

def check(name, fn):
    try:
        detail = fn()
        print(json.dumps({"name": name, "ok": True, "detail": str(detail)}))
    except Exception:
        print(json.dumps({"name": name, "ok": False,
                          "detail": traceback.format_exc()}))
    sys.stdout.flush()

def square(x):
    return x * x

def threads():
    import threading
    out = []
    ts = [threading.Thread(target=out.append, args=(i,)) for i in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted(out) == list(range(8))

def executor_threads():
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as ex:
        assert list(ex.map(square, range(10))) == [x * x for x in range(10)]

def pool(method):
    def run():
        import multiprocessing as mp
        ctx = mp.get_context(method)
        with ctx.Pool(2) as p:
            assert p.map(square, range(20)) == [x * x for x in range(20)]
    return run

def process_pool():
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(2) as ex:
        assert list(ex.map(square, range(10))) == [x * x for x in range(10)]

def primitives():
    import multiprocessing as mp
    lock, sem, q = mp.Lock(), mp.Semaphore(2), mp.Queue()
    with lock, sem:
        q.put(42)
    assert q.get(timeout=10) == 42

def shared_memory():
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(create=True, size=1 << 20)
    try:
        shm.buf[0] = 7
        other = shared_memory.SharedMemory(name=shm.name)
        assert other.buf[0] == 7
        other.close()
    finally:
        shm.close()
        shm.unlink()

def run_subprocess():
    import subprocess
    return subprocess.check_output(["echo", "hi"], text=True).strip()

def numpy_matmul():
    import numpy as np
    a = np.random.rand(800, 800)
    b = a @ a.T
    assert b.shape == (800, 800)
    return os.environ.get("OPENBLAS_NUM_THREADS")

def pandas_groupby():
    import pandas as pd
    df = pd.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]})
    assert df.groupby("k")["v"].sum().to_dict() == {"a": 4, "b": 2}

def matplotlib_png():
    import matplotlib
    import matplotlib.pyplot as plt
    assert matplotlib.get_backend().lower() == "agg"
    plt.plot([1, 2, 3], [3, 1, 2])
    path = os.path.join(os.environ["HOME"], "plot.png")
    plt.savefig(path)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"

def identity():
    import pwd, getpass, socket
    me = pwd.getpwuid(os.getuid())
    assert me.pw_name == "alice" and getpass.getuser() == "alice"
    assert me.pw_dir == os.environ["HOME"] == "/home/alice" == os.getcwd()
    assert socket.gethostname() == "nb-alice"
    return me

def course():
    with open("/srv/course/notes.txt") as f:
        assert f.read() == "read me\n"

def loopback():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    c = socket.create_connection(s.getsockname(), timeout=5)
    a, _ = s.accept()
    c.sendall(b"x")
    assert a.recv(1) == b"x"

def tmp_and_shm():
    for d in ("/tmp", "/dev/shm"):
        p = os.path.join(d, "f")
        with open(p, "w") as f:
            f.write("x")
        os.unlink(p)

def threads_env():
    v = [os.environ.get(k) for k in
         ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")]
    assert v == ["2", "2", "2"], v
    return v

if __name__ == "__main__":
    for name, fn in [
            ("threads", threads),
            ("ThreadPoolExecutor", executor_threads),
            ("multiprocessing Pool fork", pool("fork")),
            ("multiprocessing Pool spawn", pool("spawn")),
            ("multiprocessing Pool forkserver", pool("forkserver")),
            ("ProcessPoolExecutor", process_pool),
            ("mp Lock, Semaphore, Queue", primitives),
            ("shared_memory", shared_memory),
            ("subprocess", run_subprocess),
            ("os.cpu_count", os.cpu_count),
            ("numpy 800x800 matmul", numpy_matmul),
            ("pandas groupby", pandas_groupby),
            ("matplotlib Agg savefig PNG to $HOME", matplotlib_png),
            ("identity: passwd, home, hostname", identity),
            ("course folder readable", course),
            ("loopback TCP", loopback),
            ("/tmp and /dev/shm writable", tmp_and_shm),
            ("OMP/OPENBLAS/MKL_NUM_THREADS = CPU quota", threads_env),
    ]:
        check(name, fn)
'''

sbtest.require()
tap = sbtest.TAP()
root = sbtest.workdir()
(alice,) = sbtest.students(["alice"], root)
course = os.path.join(root, "course")
os.makedirs(course)
with open(os.path.join(course, "notes.txt"), "w") as f:
    f.write("read me\n")
with open(os.path.join(root, "check.py"), "w") as f:
    f.write(SCRIPT)

r = alice.run(["python3", "/srv/work/check.py"],
              extra=["--bind", course + ":/srv/course:ro",
                     "--bind", root + ":/srv/work:ro",
                     "--memory", "1G", "--cpus", "1.5", "--pids", "256"],
              timeout=240)
seen = 0
for line in r.stdout.splitlines():
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    seen += 1
    tap.ok(rec["ok"], rec["name"], rec["detail"])
tap.ok(seen == 18 and r.returncode == 0,
       "all 18 checks ran, exit status 0", r.stdout[-3000:] + r.stderr)
png = os.path.join(alice.home, "plot.png")
tap.ok(os.path.exists(png) and os.stat(png).st_uid == alice.uid,
       "the PNG is in the host home, owned by the student")
tap.done()
