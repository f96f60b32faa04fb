"""Course materials: a folder per course, written by its instructors and TAs
from their own notebook servers, read-only in its students' servers (at
/courses/CODE and ~/courses), invisible to other courses' students."""
import json
import os
from hubtest import run, server_row, wait_state, unix_http


def contents(hub, name, method, path, body=None):
    r = server_row(hub, name)
    code, data = unix_http(r["socket"], method, "/user/%s/api/contents/%s" %
                           (name, path), token=r["token"],
                           body=json.dumps(body) if body else None)
    return code, data


def test(t, hub):
    admin = hub.admin()
    admin.api("POST", "/courses", {"code": "mat1"})
    admin.api("POST", "/courses", {"code": "other1"})
    admin.api("POST", "/users", {"usernames": ["mt", "ms1", "mo1"]})
    admin.api("POST", "/courses/mat1/users/mt", {"role": "instructor"})
    admin.api("POST", "/courses/mat1/users/ms1", {"role": "student"})
    admin.api("POST", "/courses/other1/users/mo1", {"role": "student"})
    for n in ("mt", "ms1", "mo1"):
        admin.api("POST", "/users/%s/server" % n)
    for n in ("mt", "ms1", "mo1"):
        wait_state(hub, admin, n, ("running", "failed"), timeout=120)
    t.eq([server_row(hub, n)["state"] for n in ("mt", "ms1", "mo1")],
         ["running"] * 3, "three servers run")
    code, _ = contents(hub, "mt", "PUT", "courses/mat1/hello.txt",
                       {"type": "file", "format": "text", "content": "hi all"})
    t.eq(code, 201, "the instructor writes into the course's materials")
    host = os.path.join(hub.dir, "courses", "mat1", "materials", "hello.txt")
    t.ok(os.path.exists(host), "the file is in the course's folder on the host")
    st = os.stat(os.path.dirname(host))
    t.eq(oct(st.st_mode & 0o7777), oct(0o2775), "the folder is 2775")
    code, data = contents(hub, "ms1", "GET", "courses/mat1/hello.txt")
    t.eq(code, 200, "the student reads it from ~/courses")
    t.eq(json.loads(data).get("content") if code == 200 else None, "hi all",
         "with its content")
    code, _ = contents(hub, "ms1", "PUT", "courses/mat1/mine.txt",
                       {"type": "file", "format": "text", "content": "x"})
    t.ok(code >= 400, "the student cannot write there (%d)" % code)
    t.ok(not os.path.exists(os.path.join(os.path.dirname(host), "mine.txt")),
         "and nothing was written")
    code, _ = contents(hub, "mo1", "GET", "courses/mat1/hello.txt")
    t.ok(code >= 400, "another course's student does not see it (%d)" % code)
    for n in ("mt", "ms1", "mo1"):
        admin.api("DELETE", "/users/%s/server" % n)
    for n in ("mt", "ms1", "mo1"):
        wait_state(hub, admin, n, ("stopped", "failed"))


run(test)
