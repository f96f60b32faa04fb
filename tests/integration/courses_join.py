"""Self-enrolment with a join code: an instructor makes one (it can expire
and be replaced), a logged-in student enters it on the home page and is in
the course as a student; wrong, old and expired codes do nothing."""
import time
from hubtest import run


def test(t, hub):
    admin = hub.admin()
    admin.api("POST", "/users/jteach", {"role": "instructor",
                                         "password": "teacher password"})
    admin.api("POST", "/users/jstud", {"password": "student password"})
    ins = hub.client()
    ins.login("jteach", "teacher password")
    ins.api("POST", "/courses", {"code": "join1", "title": "Joinable"})
    r = ins.api("POST", "/courses/join1/join-code", {})
    t.eq(r.status, 200, "the instructor makes a join code")
    code = r.json().get("join_code", "")
    t.eq(len(code), 10, "ten characters to read out")
    st = hub.client()
    st.login("jstud", "student password")
    t.eq(st.api("POST", "/courses/join1/join-code", {}).status, 404,
         "a student cannot make one (nor see the course)")
    r = st.post("/hub/join", {"_xsrf": st.cookies["_xsrf"], "join_code": "x"})
    t.eq(r.status, 404, "a wrong code: 404 and a message")
    t.contains(r.text, "No course has this join code", "that says so")
    spaced = code.upper()[:5] + "-" + code.upper()[5:]
    r = st.post("/hub/join", {"_xsrf": st.cookies["_xsrf"],
                              "join_code": spaced})
    t.eq((r.status, r.header("Location")), (303, "/hub/courses/join1"),
         "the code (any case, with a dash) joins the course")
    r = st.api("GET", "/courses/join1")
    t.eq((r.status, r.json().get("role")), (200, "student"),
         "the student is in it as a student")
    t.eq(st.post("/hub/join", {"join_code": code}).status, 403,
         "the form needs its token")
    r = ins.api("POST", "/courses/join1/join-code", {})
    new = r.json()["join_code"]
    t.ok(new != code, "a new code replaces the old")
    admin.api("POST", "/users/jlate", {"password": "late password"})
    late = hub.client()
    late.login("jlate", "late password")
    r = late.api("POST", "/courses/join", {"join_code": code})
    t.eq(r.status, 404, "the old code no longer works")
    ins.api("POST", "/courses/join1/join-code", {"expires_in": 1})
    exp = ins.api("GET", "/courses/join1").json()["join_code"]
    time.sleep(2.1)
    t.eq(late.api("POST", "/courses/join", {"join_code": exp}).status, 404,
         "an expired code does not work")
    ins.api("DELETE", "/courses/join1/join-code")
    t.ok("join_code" not in ins.api("GET", "/courses/join1").json(),
         "a code can be removed")


run(test)
