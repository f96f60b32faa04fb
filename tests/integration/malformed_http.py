"""Malformed HTTP gets 400, 413 or 431, a trickling client does not stop
others, and the daemon keeps serving."""
import socket
import threading
import time
from hubtest import run


def raw(hub, data, timeout=10):
    s = socket.create_connection(("127.0.0.1", hub.port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def status_of(reply):
    try:
        return int(reply.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def test(t, hub):
    r = raw(hub, b"GET /hub/login HTTP/1.1\r\nHost: x\r\nX-Big: " +
            b"a" * 70000 + b"\r\n\r\n")
    t.eq(status_of(r), 431, "oversized headers: 431")
    r = raw(hub, b"\x16\x03\x01garbage garbage\r\n\r\n")
    t.eq(status_of(r), 400, "a garbage request line: 400")
    r = raw(hub, b"GET /hub/login HTTP/1.1\r\nBad Header Line\r\n\r\n")
    t.eq(status_of(r), 400, "a header line without a colon: 400")
    r = raw(hub, b"POST /hub/login HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 99999999\r\n\r\nabc")
    t.eq(status_of(r), 413, "a body over max_body_size: 413")
    r = raw(hub, b"POST /hub/api/users HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
            b"".join(b"4000\r\n" + b"x" * 0x4000 + b"\r\n" for _ in range(80)) +
            b"0\r\n\r\n")
    t.eq(status_of(r), 413, "a chunked body over the limit: 413")
    r = raw(hub, b"GET /hub/health HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: abc\r\n\r\n")
    t.eq(status_of(r), 400, "a bad Content-Length: 400")
    r = raw(hub, b"BREW /hub/login HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\n\r\n")
    t.eq(status_of(r), 405, "an unknown method: 405")
    r = raw(hub, b"GET /hub/static/../../etc/passwd HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\n\r\n")
    t.eq(status_of(r), 404, "static path traversal: 404")
    r = raw(hub, b"GET /hub/static/%2e%2e%2fhubd.conf HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\n\r\n")
    t.eq(status_of(r), 404, "encoded traversal: 404")

    # A client sends one byte every two seconds; others go on meanwhile.
    stop = threading.Event()
    sent = []

    def trickle():
        s = socket.create_connection(("127.0.0.1", hub.port), timeout=30)
        try:
            for b in b"GET /hub/login HTTP/1.1\r\n":
                if stop.is_set():
                    break
                s.sendall(bytes([b]))
                sent.append(b)
                time.sleep(2)
        except OSError:
            pass
        finally:
            s.close()

    th = threading.Thread(target=trickle)
    th.start()
    time.sleep(3)
    c = hub.client()
    codes = [c.get("/hub/login").status for _ in range(20)]
    t.eq(codes, [200] * 20, "others are served while a client trickles")
    time.sleep(3)
    t.ok(len(sent) >= 3, "the trickling client was still sending")
    stop.set()
    th.join(10)
    t.eq(hub.client().get("/hub/health").status, 200,
         "the daemon still answers after all of this")


run(test)
