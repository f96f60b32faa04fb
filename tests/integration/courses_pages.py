"""The course page for instructors (roster, class start, password reset,
roster import with a preview before anything is written), the student's
view of it, home's course list and the admin overview, as forms (no
JavaScript)."""
import html
import os
import re
import shutil
from hubtest import run, server_row, wait_state, SRC

ECHO = "/usr/local/lib/hubd-test-echo-p%d.py" % os.getpid()
ROSTER = b"username,full_name,email,role\r\npq1,Ana Ruiz,a@u.example,student\r\n" \
         b"pq2,=Cmd(),b@u.example,student\r\n"


def multipart(fields, files):
    b = "----hubdtestboundary"
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                "%s\r\n" % (b, k, v)).encode()
    for k, (fn, data) in files.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                "filename=\"%s\"\r\nContent-Type: text/csv\r\n\r\n" %
                (b, k, fn)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % b).encode()
    return out, "multipart/form-data; boundary=" + b


def test(t, hub):
    admin = hub.admin()
    admin.api("POST", "/users/teach", {"role": "instructor",
                                        "password": "teacher password"})
    ins = hub.client()
    ins.login("teach", "teacher password")
    r = ins.api("POST", "/courses", {"code": "art1", "title": "Art One"})
    t.eq(r.status, 201, "an instructor makes a course and teaches it")
    r = ins.get("/hub/courses/art1")
    t.eq(r.status, 200, "the course page")
    t.contains(r.text, "Import a roster", "offers an import")
    x = ins.cookies["_xsrf"]
    body, ctype = multipart({"_xsrf": x}, {"file": ("roster.csv", ROSTER)})
    r = ins.post("/hub/courses/art1/roster", body, headers={
        "Content-Type": ctype})
    t.eq(r.status, 200, "upload for a preview")
    t.contains(r.text, "Preview, nothing written yet (plain file", "the preview says what it read")
    t.contains(r.text, "create pq1", "and what would change")
    with hub.db() as db:
        n = db.execute("SELECT count(*) FROM users WHERE name LIKE 'pq%'"
                       ).fetchone()[0]
    t.eq(n, 0, "nothing written by the preview")
    m = re.search(r'name="csv" value="([^"]*)"', r.text)
    t.ok(m is not None, "the apply form carries the file")
    bad, bctype = multipart({"_xsrf": "0" * 32}, {"file": ("r.csv", ROSTER)})
    t.eq(ins.post("/hub/courses/art1/roster", bad, headers={
        "Content-Type": bctype}).status, 403, "an upload without the form "
         "token is refused")
    r = ins.post("/hub/courses/art1/roster", {
        "_xsrf": x, "csv": html.unescape(m.group(1)) if m else "",
        "drop_missing": "0", "step": "apply"})
    t.eq(r.status, 200, "apply")
    t.contains(r.text, "The roster is imported", "it says so")
    t.contains(r.text, "pq1,", "and shows the new one-time passwords")
    r = ins.get("/hub/courses/art1")
    t.contains(r.text, "Ana Ruiz", "the roster lists the students")
    t.contains(r.text, "=Cmd()", "names are shown as text (escaped)")
    r = ins.post("/hub/courses/art1/users/pq1/password",
                 {"_xsrf": x, "action": "reset"})
    m = re.search(r"One-time password for pq1: (\S+) ", r.text)
    t.ok(m is not None, "a password reset shows the one-time password")
    if m:
        t.eq(hub.client().login("pq1", m.group(1)).status, 303,
             "and it works")
    r = ins.post("/hub/courses/art1/servers", {"_xsrf": x, "action": "start"})
    t.eq(r.status, 303, "start all students' servers")
    for n in ("pq1", "pq2"):
        wait_state(hub, admin, n, ("running", "failed"))
    t.eq([server_row(hub, n)["state"] for n in ("pq1", "pq2")],
         ["running", "running"], "both run")
    t.contains(ins.get("/hub/courses/art1").text, "2 servers running",
               "the page counts them")
    page = ins.get("/hub/courses/art1").text
    t.ok(re.search(r"<td>\d+ MiB</td>", page) is not None,
         "the roster shows the memory each running server uses")
    r = ins.api("GET", "/courses/art1/roster")
    mem = [m["server"]["memory"] for m in r.json()
           if m["name"] in ("pq1", "pq2")]
    t.ok(len(mem) == 2 and all(isinstance(v, int) and v > 1 << 20
                               for v in mem),
         "and so does the API, in bytes", mem)
    r = ins.post("/hub/courses/art1/servers",
                 "_xsrf=%s&only=selected&user=pq2&action=stop" % x,
                 headers={"Content-Type":
                          "application/x-www-form-urlencoded"})
    t.eq(r.status, 303, "stop the selected students' servers (pq2)")
    wait_state(hub, admin, "pq2", ("stopped",))
    t.eq([server_row(hub, n)["state"] for n in ("pq1", "pq2")],
         ["running", "stopped"], "only the selected one stops")
    r = ins.api("DELETE", "/courses/art1/servers", {"users": ["pq1"]})
    t.eq((r.status, r.json()), (202, {"stopping": 1}),
         "the API stops a chosen list of students")
    wait_state(hub, admin, "pq1", ("stopped",))
    for body, why in (({"users": "pq1"}, "not a list"),
                      ({"users": []}, "an empty list"),
                      ({"users": [1]}, "not names"),
                      ({"user": ["pq1"]}, "an unknown field")):
        t.eq(ins.api("POST", "/courses/art1/servers", body).status, 400,
             "a selection that is %s: 400" % why)
    r = ins.api("POST", "/courses/art1/servers", {"users": ["pq2", "nobody"]})
    t.eq((r.status, r.json()), (202, {"starting": 1}),
         "names not on the roster are passed over")
    wait_state(hub, admin, "pq2", ("running", "failed"))
    r = ins.post("/hub/courses/art1/servers", {"_xsrf": x, "action": "stop"})
    for n in ("pq1", "pq2"):
        wait_state(hub, admin, n, ("stopped",))
    t.eq([server_row(hub, n)["state"] for n in ("pq1", "pq2")],
         ["stopped", "stopped"], "stop all")
    with hub.db() as db:
        n = db.execute("SELECT count(*) FROM audit_log WHERE action = "
                       "'course.stop' AND detail = 'selected'").fetchone()[0]
    t.eq(n, 2, "selected starts and stops are audited as such")
    t.eq(ins.post("/hub/courses/art1/servers", {"action": "start"}).status,
         403, "a form without its token is refused")

    hub.hubctl("user", "passwd", "pq2", "--password-stdin",
               input="pq2 password\n")
    s = hub.client()
    s.login("pq2", "pq2 password")
    home = s.get("/hub/home").text
    t.contains(home, "Art One", "a student's home lists the course")
    page = s.get("/hub/courses/art1").text
    t.ok("Ana Ruiz" not in page, "the student's course page has no roster")
    t.eq(s.post("/hub/courses/art1/servers", {"_xsrf": s.cookies["_xsrf"],
                                             "action": "start"}).status,
         403, "nor may a student start the class")
    t.eq(s.get("/hub/courses/nosuch").status, 404, "unknown course: 404")
    t.eq(s.get("/hub/admin").status, 403, "the admin page is for admins")
    r = admin.get("/hub/admin")
    t.eq(r.status, 200, "the admin overview")
    for part in ("art1", "teach", "course.import", "Servers"):
        t.contains(r.text, part, "it shows %s" % part)


def main():
    shutil.copy(os.path.join(SRC, "tests", "integration", "fixtures",
                             "echo_server.py"), ECHO)
    os.chmod(ECHO, 0o644)
    try:
        run(test, conf="[server]\ncommand = /usr/bin/python3 %s\n" % ECHO)
    finally:
        os.unlink(ECHO)


main()
