"""Courses and rosters: imports from each LMS's export (dry run first, one
transaction, idempotent), bad rows naming their line and writing nothing,
semester turnover, who may see and do what, password resets, a formula-safe
export, a 2,000-student import, and hubctl's course and roster commands."""
import os
import time
from hubtest import run, SRC

DATA = os.path.join(SRC, "tests", "data", "rosters")


def csv(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def users(hub):
    with hub.db() as db:
        return db.execute("SELECT count(*) FROM users").fetchone()[0]


def test(t, hub):
    admin = hub.admin()
    r = admin.api("POST", "/courses", {"code": "data101", "title": "Data 101",
                                       "term": "2026F"})
    t.eq(r.status, 201, "admin makes a course")
    t.eq(admin.api("POST", "/courses", {"code": "data101"}).status, 409,
         "twice: 409")
    t.eq(admin.api("POST", "/courses", {"code": "Bad Code"}).status, 400,
         "a bad code: 400")

    def imp(name_or_bytes, course="data101", **q):
        body = csv(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
        qs = "&".join("%s=%s" % kv for kv in q.items())
        return admin.request("POST", "/hub/api/courses/%s/roster%s" % (
            course, "?" + qs if qs else ""), body=body, headers={
                "X-XSRFToken": admin.cookies["_xsrf"],
                "Content-Type": "text/csv"})

    n0 = users(hub)
    r = imp("plain.csv", dry_run=1)
    t.eq(r.status, 200, "dry run of the plain file")
    t.ok(r.json()["created"] > 0 and r.json()["dry_run"] is True,
         "it says what would be made", r.json())
    t.eq(users(hub), n0, "and writes nothing")
    r = imp("plain.csv")
    t.eq(r.status, 201, "the import itself")
    made = r.json()
    t.eq(made["created"], len(made.get("passwords", [])),
         "a one-time password for each new account")
    t.eq(users(hub), n0 + made["created"], "the accounts exist")
    pw = {p["name"]: p["password"] for p in made["passwords"]}
    t.eq(hub.client().login("alice", pw["alice"]).status, 303,
         "a new student logs in with the password handed out")
    r = imp("plain.csv")
    t.eq((r.json()["created"], r.json()["enrolled"], r.json()["updated"]),
         (0, 0, 0), "importing the same file twice changes nothing")
    for f in ("canvas-gradebook.csv", "canvas-people.csv", "moodle.csv",
              "blackboard.csv", "bom-crlf-semicolon.csv", "quoted-newline.csv"):
        admin.api("POST", "/courses", {"code": "c-" + f[:8].strip("-.")})
        r = imp(f, course="c-" + f[:8].strip("-."), dry_run=1)
        t.eq(r.status, 200, "%s reads (%s)" % (f, r.json().get("format")))
    for f, where in (("missing-username.csv", "line"), ("duplicate.csv", "line"),
                     ("invalid-name.csv", "line"), ("unknown-role.csv", "line"),
                     ("bad-utf8.csv", "line")):
        n = users(hub)
        r = imp(f)
        t.eq(r.status, 400, "%s is refused" % f)
        t.contains(r.json().get("message"), where, "%s: the message names "
                   "the line (%s)" % (f, r.json().get("message")))
        t.eq(users(hub), n, "%s: nothing was written" % f)

    # Turnover: the new term's roster lacks bob.
    rows = [l for l in csv("plain.csv").decode().splitlines()
            if not l.startswith("bob,")]
    r = imp(("\n".join(rows) + "\n").encode(), drop_missing=1)
    t.eq((r.status, r.json()["dropped"]), (201, 1), "bob is dropped")
    with hub.db() as db:
        dis = db.execute("SELECT disabled FROM users WHERE name = 'bob'"
                         ).fetchone()[0]
    t.eq(dis, 1, "with no other course his account rests (disabled)")
    r = imp("plain.csv")
    t.eq(r.json()["enrolled"], 1, "back on the roster: enrolled again")
    with hub.db() as db:
        dis = db.execute("SELECT disabled FROM users WHERE name = 'bob'"
                         ).fetchone()[0]
    t.eq(dis, 0, "and his account is back")

    # Who sees what.
    hub.hubctl("user", "passwd", "carol", "--password-stdin",
               input="carol's password\n")
    hub.hubctl("user", "passwd", "alice", "--password-stdin",
               input="alice's password\n")
    ta = hub.client()
    ta.login("carol", "carol's password")
    t.eq(ta.api("GET", "/courses/data101/roster").status, 200,
         "a TA sees the roster")
    t.eq(ta.api("GET", "/courses/c-canvas-g/roster").status, 404,
         "but not another course's")
    st = hub.client()
    st.login("alice", "alice's password")
    t.eq(st.api("GET", "/courses/data101").status, 200,
         "a student sees the course")
    t.eq(st.api("GET", "/courses/data101/roster").status, 403,
         "but not its roster")
    t.eq(st.api("POST", "/courses/data101/servers").status, 403,
         "nor starts its servers")
    mine = [c["code"] for c in st.api("GET", "/courses").json()]
    t.eq(mine, ["data101"], "a student lists only their courses")
    r = ta.api("POST", "/courses/data101/users/alice/password")
    t.eq(r.status, 200, "a TA resets a student's password")
    t.eq(hub.client().login("alice", r.json()["password"]).status, 303,
         "the new one-time password works")
    t.eq(ta.api("POST", "/courses/data101/users/carol/password").status, 403,
         "a TA cannot reset another TA's password")

    # Formula cells are neutralised in the export.
    admin.api("POST", "/users/evil", {"password": "evil password"})
    with hub.db() as db:
        db.execute("UPDATE users SET full_name = '=HYPERLINK(\"x\")' WHERE "
                   "name = 'evil'")
    admin.api("POST", "/courses/data101/users/evil", {"role": "student"})
    r = admin.request("GET", "/hub/api/courses/data101/roster?format=csv",
                      headers={"X-XSRFToken": admin.cookies["_xsrf"]})
    t.eq(r.header("Content-Type"), "text/csv; charset=utf-8", "CSV export")
    t.contains(r.text, "\"'=HYPERLINK", "a formula cell is neutralised")

    # 2,000 students in one transaction.
    admin.api("POST", "/courses", {"code": "big"})
    big = "username,full_name,email,role\n" + "".join(
        "s%04d,Student %d,s%04d@uni.example,student\n" % (i, i, i)
        for i in range(2000))
    t0 = time.time()
    r = imp(big.encode(), course="big")
    took = time.time() - t0
    t.eq((r.status, r.json().get("created")), (201, 2000),
         "2,000 students imported in one transaction (%.1f s)" % took)

    # hubctl
    r = hub.hubctl("course", "add", "ml201", "--title", "ML", "--term", "2027S")
    t.eq(r.returncode, 0, "hubctl course add")
    r = hub.hubctl("roster", "import", os.path.join(DATA, "moodle.csv"),
                   "--course", "ml201", "--dry-run")
    t.ok(r.returncode == 0 and "dry run" in r.stderr, "roster import --dry-run")
    r = hub.hubctl("roster", "import", os.path.join(DATA, "moodle.csv"),
                   "--course", "ml201")
    t.ok(r.returncode == 0 and r.stdout.startswith("username,one_time_password"),
         "roster import prints the new accounts' passwords as CSV")
    r = hub.hubctl("roster", "import", os.path.join(DATA, "duplicate.csv"),
                   "--course", "ml201")
    t.ok(r.returncode == 1 and "line" in r.stderr and "nothing was written"
         in r.stderr, "a bad file: exit 1, the line named, nothing written")
    r = hub.hubctl("roster", "export", "--course", "ml201")
    t.ok(r.returncode == 0 and "apapadopoulos" in r.stdout, "roster export")
    r = hub.hubctl("course", "list")
    t.ok("ml201" in r.stdout and "data101" in r.stdout, "course list")
    r = hub.hubctl("course", "archive", "ml201")
    t.eq(r.returncode, 0, "course archive")


run(test, conf="[http]\nmax_body_size = 4M\n")
