"""Enrollment and password reset links: an instructor (course page, API,
roster import) or IT (hubctl) makes a link bound to one account; the person
opens it, chooses a password and is logged in.  Single use, expiring, one
live link per account, not for campus (PAM) accounts, only for the
course's own students, form token required, audited, throttled."""
import html
import json
import re
import secrets
import time
from hubtest import run

LINK = re.compile(r"(https?://[^\s\"<,]+/hub/link/([0-9a-f]{64}))")


def multipart(fields, files):
    b = "----hubdlinkboundary"
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


def path_of(url):
    return url[url.index("/hub/link/"):]


def use(hub, url, password, client=None):
    """Open the link in a fresh browser, choose password; the answer."""
    c = client or hub.client()
    r = c.get(path_of(url))
    if r.status != 200:
        return r, c
    return c.post(path_of(url), {"_xsrf": c.cookies.get("_xsrf", ""),
                                 "password": password,
                                 "confirm": password}), c


def logs_in(hub, name, password):
    return hub.client().login(name, password).status == 303


def test(t, hub):
    admin = hub.admin()
    for name, role in (("lteach", "instructor"), ("lta1", "student"),
                       ("lta2", "student"), ("ls1", "student"),
                       ("ls2", "student")):
        admin.api("POST", "/users/" + name, {
            "role": role, "password": "password of " + name})
    r = hub.hubctl("user", "add", "lpam", "--auth", "pam")
    t.eq(r.returncode, 0, "a campus (PAM) account for the refusals")
    ins = hub.client()
    ins.login("lteach", "password of lteach")
    ins.api("POST", "/courses", {"code": "lk1", "title": "Links"})
    admin.api("POST", "/courses", {"code": "lk2"})
    for name, code, role in (("lta1", "lk1", "ta"), ("ls1", "lk1", "student"),
                             ("lpam", "lk1", "student"),
                             ("lta2", "lk2", "ta"), ("ls2", "lk2", "student")):
        admin.api("POST", "/courses/%s/users/%s" % (code, name),
                  {"role": role})
    x = ins.xsrf()

    # The course page: "Reset link" next to "New password".
    page = ins.get("/hub/courses/lk1").text
    t.contains(page, 'action="/hub/courses/lk1/users/ls1/link"',
               "the course page has a Reset link button per student")
    r = ins.post("/hub/courses/lk1/users/ls1/link", {"_xsrf": x,
                                                     "action": "link"})
    m = LINK.search(html.unescape(r.text))
    t.ok(r.status == 200 and m is not None,
         "the instructor gets a link on the course page", r.text[-600:])
    url = m.group(1) if m else "http://x/hub/link/" + "0" * 64
    t.ok(url.startswith("http://127.0.0.1:%d/hub/link/" % hub.port),
         "an absolute address from the request's Host", url)
    t.contains(r.text, "Password reset link for ls1", "it says what it is")
    with hub.db() as db:
        stored = db.execute("SELECT hex(hash) FROM account_links a JOIN "
                            "users u ON u.id = a.user_id WHERE u.name = "
                            "'ls1'").fetchone()
    t.ok(stored is not None and m is not None and
         stored[0].lower() != m.group(2),
         "the database keeps a hash, not the token")

    s = hub.client()
    r = s.get(path_of(url))
    t.eq(r.status, 200, "the student opens it")
    t.contains(r.text, 'value="ls1"', "it shows whose account it is")
    r = s.post(path_of(url), {"password": "brand new pw 1",
                              "confirm": "brand new pw 1"})
    t.eq(r.status, 403, "without the form token: refused")
    r = s.post(path_of(url), {"_xsrf": "0" * 32, "password": "brand new pw 1",
                              "confirm": "brand new pw 1"})
    t.eq(r.status, 403, "with a wrong form token: refused")
    t.ok(logs_in(hub, "ls1", "password of ls1"),
         "and the old password still works")
    r = s.post(path_of(url), {"_xsrf": s.cookies["_xsrf"],
                              "password": "short", "confirm": "short"})
    t.eq(r.status, 400, "the usual password rules")
    t.contains(r.text, "at least 8 characters", "with the reason")
    r = s.post(path_of(url), {"_xsrf": s.cookies["_xsrf"],
                              "password": "brand new pw 1",
                              "confirm": "brand new pw 2"})
    t.eq(r.status, 400, "two different passwords: refused")
    r = s.post(path_of(url), {"_xsrf": s.cookies["_xsrf"],
                              "password": "brand new pw 1",
                              "confirm": "brand new pw 1"})
    t.eq((r.status, r.header("Location")), (303, "/hub/courses/lk1"),
         "the password is set and the student goes to the course")
    home = s.get("/hub/home")
    t.eq(home.status, 200, "logged in by the link")
    t.contains(home.text, "ls1", "as the student")
    t.ok(logs_in(hub, "ls1", "brand new pw 1"), "the new password works")
    t.ok(not logs_in(hub, "ls1", "password of ls1"), "the old one does not")

    again = hub.client()
    r1 = again.get(path_of(url))
    t.eq(r1.status, 404, "a used link does not work again (GET)")
    r2 = again.post(path_of(url), {"_xsrf": again.cookies.get("_xsrf", ""),
                                   "password": "other password 9",
                                   "confirm": "other password 9"})
    t.eq(r2.status, 404, "nor POST")
    t.ok(logs_in(hub, "ls1", "brand new pw 1"),
         "and the password stays the one chosen")
    r3 = hub.client().get("/hub/link/" + secrets.token_hex(32))
    t.eq((r3.status, r3.text), (r1.status, r1.text),
         "an unknown link gets the very same answer as a used one")
    t.eq(hub.client().get("/hub/link/nothex").status, 404,
         "a malformed one too")

    # The API: a new link replaces the old one.
    r = ins.api("POST", "/courses/lk1/users/ls1/link", {})
    t.eq(r.status, 201, "the API makes a link")
    j = r.json()
    t.eq((j.get("name"), j.get("kind")), ("ls1", "reset"),
         "for the student, a reset")
    t.ok(j.get("url", "").endswith(j.get("path", "-")) and
         j.get("expires"), "with url, path and expiry", json.dumps(j))
    first = j.get("url", "")
    second = ins.api("POST", "/courses/lk1/users/ls1/link", {}).json()["url"]
    t.eq(hub.client().get(path_of(first)).status, 404,
         "a new link for the same account revokes the older one")
    r, _ = use(hub, second, "second new pw 2")
    t.eq(r.status, 303, "the newer one works")
    r = ins.request("POST", "/hub/api/courses/lk1/users/ls1/link", body="{}",
                    headers={"X-XSRFToken": x, "X-Forwarded-Proto": "https",
                             "Content-Type": "application/json"})
    t.ok(r.json().get("url", "").startswith("https://127.0.0.1:"),
         "behind a TLS proxy (X-Forwarded-Proto: https) the link is https")
    pending = ins.api("POST", "/courses/lk1/users/ls1/link", {}).json()["url"]
    r = ins.api("POST", "/courses/lk1/users/ls1/password")
    t.eq(r.status, 200, "a one-time password reset")
    t.eq(hub.client().get(path_of(pending)).status, 404,
         "ends the link handed out before it")

    # Expiry.
    r = ins.api("POST", "/courses/lk1/users/ls1/link", {"expires_in": 1})
    short = r.json().get("url", "")
    time.sleep(2.1)
    r = hub.client().get(path_of(short))
    t.eq(r.status, 410, "an expired link is refused")
    t.contains(r.text, "expired", "and says so")
    t.eq(ins.api("POST", "/courses/lk1/users/ls1/link",
                 {"expires_in": 40 * 86400}).status, 400,
         "a link lasts at most 30 days")
    for bad, why in (({"expires_in": "1h"}, "a string"),
                     ({"expires_in": -5}, "a negative number"),
                     ({"expires_in": 0}, "zero"),
                     ({"lifetime": 60}, "an unknown key")):
        r = ins.api("POST", "/courses/lk1/users/ls1/link", bad)
        t.eq(r.status, 400, "expires_in as %s: 400" % why)
    r = hub.client().get(path_of(short).replace("/hub/link/", "/hub/link/../"))
    t.ok(r.status in (400, 404), "a link path with tricks is not found")

    # Who may make one.
    ta1 = hub.client()
    ta1.login("lta1", "password of lta1")
    t.eq(ta1.api("POST", "/courses/lk1/users/ls1/link", {}).status, 201,
         "a TA of the student's course may")
    ta2 = hub.client()
    ta2.login("lta2", "password of lta2")
    t.eq(ta2.api("POST", "/courses/lk2/users/ls1/link", {}).status, 403,
         "a TA of another course may not, through their course (API)")
    t.eq(ta2.api("POST", "/courses/lk1/users/ls1/link", {}).status, 404,
         "nor through the student's course (API)")
    t.eq(ta2.post("/hub/courses/lk2/users/ls1/link",
                  {"_xsrf": ta2.xsrf(), "action": "link"}).status, 403,
         "nor on their course page")
    t.eq(ta2.post("/hub/courses/lk1/users/ls1/link",
                  {"_xsrf": ta2.xsrf(), "action": "link"}).status, 404,
         "nor on the student's course page")
    stu = hub.client()
    stu.login("ls2", "password of ls2")
    t.eq(stu.api("POST", "/courses/lk2/users/ls2/link", {}).status, 403,
         "a student may not make one, even for themself")
    t.eq(ins.post("/hub/courses/lk1/users/ls1/link",
                  {"action": "link"}).status, 403,
         "the course page's form needs its token")

    # Campus accounts.
    r = ins.api("POST", "/courses/lk1/users/lpam/link", {})
    t.eq(r.status, 409, "no link for a PAM account (API)")
    t.contains(r.json().get("message", ""), "campus", "which says why")
    r = ins.post("/hub/courses/lk1/users/lpam/link", {"_xsrf": x,
                                                      "action": "link"})
    t.eq(r.status, 409, "nor on the course page")
    t.contains(r.text, "campus (PAM) account", "which says why")
    r = hub.hubctl("user", "link", "lpam")
    t.ok(r.returncode != 0 and "campus" in r.stderr,
         "nor from hubctl", r.stderr)

    # A roster import through the API, with links for the new accounts.
    csv = ("username,full_name,email,role\r\nnl1,Nia One,n1@u.example,"
           "student\r\nnl2,Noe Two,n2@u.example,student\r\n")
    r = ins.request("POST", "/hub/api/courses/lk1/roster?links=1", body=csv,
                    headers={"X-XSRFToken": x, "Content-Type": "text/csv"})
    t.eq(r.status, 201, "an import with links")
    j = r.json()
    links = {l["name"]: l["url"] for l in j.get("links", [])}
    t.eq(sorted(links), ["nl1", "nl2"], "a link for each new account")
    t.ok("passwords" not in j, "and no one-time passwords")
    with hub.db() as db:
        row = db.execute("SELECT password_hash FROM users WHERE name = "
                         "'nl1'").fetchone()
    t.eq(row, (None,), "the accounts have no password until then")
    t.ok(not logs_in(hub, "nl1", "any password at all"),
         "and nobody logs in to them")
    for name, u in sorted(links.items()):
        c = hub.client()
        r = c.get(path_of(u))
        t.contains(r.text, "Welcome to the hub", "%s: an enrollment page" % name)
        r, c = use(hub, u, "pw of " + name + " 1", client=c)
        t.eq(r.status, 303, "%s chooses a password through it" % name)
        t.eq(c.api("GET", "/courses/lk1").json().get("role"), "student",
             "%s is logged in and enrolled" % name)
        t.ok(logs_in(hub, name, "pw of " + name + " 1"),
             "%s logs in with it after" % name)
    r = ins.request("POST", "/hub/api/courses/lk1/roster?links=1&dry_run=1",
                    body="username\r\nnl9\r\n",
                    headers={"X-XSRFToken": x, "Content-Type": "text/csv"})
    t.ok(r.status == 200 and "links" not in r.json(),
         "a dry run makes no links")

    # The course page's import, with links, as a CSV to download.
    roster = b"username,full_name,email,role\r\npl1,=HYPERLINK(1),p1@u.example," \
             b"student\r\n"
    body, ctype = multipart({"_xsrf": x, "links": "1"},
                            {"file": ("r.csv", roster)})
    r = ins.post("/hub/courses/lk1/roster", body,
                 headers={"Content-Type": ctype})
    m = re.search(r'name="csv" value="([^"]*)"', r.text)
    t.ok(r.status == 200 and 'name="links" value="1"' in r.text,
         "the preview keeps the links choice")
    r = ins.post("/hub/courses/lk1/roster", {
        "_xsrf": x, "csv": html.unescape(m.group(1)) if m else "",
        "drop_missing": "0", "links": "1", "step": "apply"})
    t.eq(r.status, 200, "apply")
    t.contains(r.text, "Download the links (CSV)", "offers the links as CSV")
    text = html.unescape(r.text)
    t.contains(text, "username,full_name,email,link,expires",
               "a mail-merge CSV")
    t.contains(text, "\"'=HYPERLINK(1)\"", "formula-neutralised")
    m = LINK.search(text)
    if m:
        r, _ = use(hub, m.group(1), "pw of pl1 is ok")
        t.eq(r.status, 303, "and its link works")
    else:
        t.ok(False, "and its link works (no link on the page)")

    # hubctl.
    for bad in ("soon", "-1h", "40d"):
        r = hub.hubctl("user", "link", "ls2", "--expires", bad)
        t.ok(r.returncode != 0 and "expires" in r.stderr and
             LINK.search(r.stdout) is None,
             "hubctl user link --expires %s is refused, with a reason" % bad,
             r.stdout + r.stderr)
    r = hub.hubctl("user", "link", "ls2", "--expires", "1h")
    m = LINK.search(r.stdout)
    t.ok(r.returncode == 0 and m is not None and
         m.group(1).startswith("http://127.0.0.1:%d/" % hub.port),
         "hubctl user link prints the link (from listen)", r.stdout + r.stderr)
    if m:
        r, _ = use(hub, m.group(1), "pw of ls2 by hubctl")
        t.eq(r.status, 303, "and it works")
    with open(hub.dir + "/r.csv", "w") as f:
        f.write("username,full_name\nhl1,Hal One\n")
    r = hub.hubctl("roster", "import", hub.dir + "/r.csv", "--course", "lk1",
                   "--links", "--url", "https://hub.example.edu/")
    m = LINK.search(r.stdout)
    t.ok(r.returncode == 0 and m is not None and
         m.group(1).startswith("https://hub.example.edu/hub/link/") and
         r.stdout.startswith("\ufeffusername,full_name,email,link,expires"),
         "hubctl roster import --links prints a CSV with --url's address",
         r.stdout + r.stderr)
    if m:
        r, _ = use(hub, m.group(1), "pw of hl1 is ok")
        t.eq(r.status, 303, "and that link works here")

    # Audit.
    with hub.db() as db:
        adds = db.execute("SELECT count(*) FROM audit_log WHERE action = "
                          "'link.add' AND actor = 'lteach' AND target = "
                          "'ls1'").fetchone()[0]
        uses = db.execute("SELECT count(*) FROM audit_log WHERE action = "
                          "'link.use' AND target = 'ls1'").fetchone()[0]
        ctl = db.execute("SELECT count(*) FROM audit_log WHERE action = "
                         "'link.add' AND actor = 'hubctl' AND target = "
                         "'ls2'").fetchone()[0]
    t.ok(adds >= 4, "making links is in the audit log", adds)
    t.eq(uses, 2, "and each use")
    t.eq(ctl, 1, "hubctl's too")

    # Throttling, last (it holds this address up): wrong links count as
    # failures of the address, as wrong passwords do.
    valid = ins.api("POST", "/courses/lk1/users/ls1/link", {}).json()["url"]
    status = None
    for _ in range(120):
        status = hub.client().get("/hub/link/" + secrets.token_hex(32)).status
        if status == 429:
            break
    t.eq(status, 429, "guessing links is throttled")
    r = hub.client().get(path_of(valid))
    t.eq(r.status, 429, "then even a right link waits")
    t.ok(r.header("Retry-After") is not None, "with Retry-After")


run(test)
