"""The REST API: token auth, bad tokens, no credentials, cookie + XSRF, and
the admin's user calls."""
from hubtest import run


def test(t, hub):
    hub.add_user("hank", "hank's password")
    tok = hub.token("hank")
    t.eq(len(tok), 64, "hubctl prints a 256-bit token")
    c = hub.client()

    r = c.api("GET", "/")
    t.eq(r.status, 200, "GET /hub/api/ without auth")
    t.ok("version" in r.json(), "it has the version")

    r = c.api("GET", "/user", token=tok)
    t.eq(r.status, 200, "token: who am I")
    t.eq(r.json().get("name"), "hank", "the token's user")
    t.eq(r.json().get("admin"), False, "not an admin")
    r = c.request("GET", "/hub/api/user", headers={
        "Authorization": "Bearer " + tok})
    t.eq(r.status, 200, "Bearer works too")

    bad = c.api("GET", "/user", token="0" * 64)
    t.eq(bad.status, 403, "bad token: 403")
    t.eq(bad.json().get("status"), 403, "JSON error has status")
    t.ok("message" in bad.json(), "and a message")
    t.eq(c.api("GET", "/user", token="short").status, 403, "malformed token")
    none = c.api("GET", "/user")
    t.eq(none.status, 403, "no credentials: 403")
    t.contains(none.json().get("message"), "credentials", "says why")
    with hub.db() as db:
        rows = db.execute("SELECT hash FROM api_tokens").fetchall()
    t.ok(all(tok.encode() not in r[0] and r[0] != tok for r in rows),
         "tokens are stored hashed")

    t.eq(c.api("GET", "/users", token=tok).status, 403,
         "a student cannot list users")
    t.eq(c.api("GET", "/users/hank", token=tok).status, 200,
         "but can read itself")
    t.eq(c.api("GET", "/users/admin", token=tok).status, 403,
         "and not others")

    # Cookie auth needs the XSRF header.
    c.login("hank", "hank's password")
    r = c.request("GET", "/hub/api/user")
    t.eq(r.status, 403, "cookie without X-XSRFToken: 403")
    t.contains(r.json().get("message"), "XSRF", "says XSRF")
    r = c.request("GET", "/hub/api/user",
                  headers={"X-XSRFToken": "1" * 32})
    t.eq(r.status, 403, "cookie with a wrong X-XSRFToken: 403")
    r = c.api("GET", "/user")
    t.eq(r.status, 200, "cookie + X-XSRFToken: 200")

    r = c.api("POST", "/users/hank/tokens", {"note": "mine",
                                              "expires_in": 3600})
    t.eq(r.status, 201, "a user makes a token for itself")
    t2 = r.json().get("token", "")
    t.eq(c.api("GET", "/user", token=t2).json().get("name"), "hank",
         "the new token works")
    r = c.api("GET", "/users/hank/tokens", token=tok)
    t.eq(len(r.json().get("api_tokens", [])), 2, "token list")
    tid = [x["id"] for x in r.json()["api_tokens"] if x["note"] == "mine"][0]
    t.eq(c.api("DELETE", "/users/hank/tokens/" + tid, token=tok).status,
         204, "delete a token")
    t.eq(c.api("GET", "/user", token=t2).status, 403, "it stops working")
    t.eq(c.api("POST", "/users/hank/tokens", {"expires_in": -1},
               token=tok).status, 400, "a negative expiry is refused")

    # The admin's calls.
    admin = hub.admin()
    r = admin.api("POST", "/users/ivan", {"role": "instructor"})
    t.eq(r.status, 201, "admin creates a user")
    t.eq(r.json().get("role"), "instructor", "with the role")
    t.eq(len(r.json().get("password", "")), 16, "and a one-time password")
    ivan_pw = r.json().get("password")
    r = admin.api("POST", "/users/ivan", {})
    t.eq(r.status, 409, "twice: 409")
    r = admin.api("POST", "/users/Bad..Name", {})
    t.eq(r.status, 404, "an invalid name: 404")
    r = admin.api("POST", "/users", {"usernames": ["s1", "s2", "s3"]})
    t.eq(r.status, 201, "bulk create")
    t.eq([u["name"] for u in r.json()], ["s1", "s2", "s3"], "all three")
    r = admin.api("POST", "/users", {"usernames": ["s4", "s1"]})
    t.eq(r.status, 409, "bulk with an existing name: 409")
    t.eq(admin.api("GET", "/users/s4").status, 404,
         "and nothing of it was written")
    r = admin.api("GET", "/users")
    t.eq(sorted(u["name"] for u in r.json()),
         ["admin", "hank", "ivan", "s1", "s2", "s3"], "list users")
    r = admin.api("PATCH", "/users/ivan", {"disabled": True})
    t.eq((r.status, r.json().get("disabled")), (200, True), "disable ivan")
    t.eq(hub.client().login("ivan", ivan_pw).status, 403,
         "disabled ivan cannot log in")
    r = admin.api("PATCH", "/users/ivan", {"name": "ivan2", "disabled": False,
                                           "password": "ivan's new pass"})
    t.eq((r.status, r.json().get("name")), (200, "ivan2"), "rename")
    t.eq(hub.client().login("ivan2", "ivan's new pass").status, 303,
         "ivan2 logs in with the new password")
    t.eq(admin.api("PATCH", "/users/ivan2", {"name": "hank"}).status, 409,
         "rename onto an existing name: 409")
    r = admin.api("PATCH", "/users/ivan2", "{not json")
    t.eq(r.status, 400, "invalid JSON: 400")
    t.contains(r.json().get("message"), "invalid JSON", "says where")
    r = admin.api("PATCH", "/users/ivan2", {"colour": "blue"})
    t.eq(r.status, 400, "unknown field: 400")
    t.contains(r.json().get("message"), "colour", "names the field")
    r = admin.api("PATCH", "/users/ivan2", {"disabled": "yes"})
    t.eq(r.status, 400, "wrong type: 400")
    r = admin.api("PATCH", "/users/ivan2", {"role": "root"})
    t.eq(r.status, 400, "unknown role: 400")
    t.eq(admin.api("DELETE", "/users/ivan2").status, 204, "delete")
    t.eq(admin.api("GET", "/users/ivan2").status, 404, "gone")
    r = admin.api("DELETE", "/users/admin")
    t.eq(r.status, 409, "the last admin cannot be deleted")
    r = admin.api("PATCH", "/users/admin", {"admin": False})
    t.eq(r.status, 409, "nor demoted")
    t.eq(admin.api("PUT", "/users").status, 405, "PUT: 405")
    t.eq(admin.api("GET", "/nothing").status, 404, "unknown path: 404 JSON")
    with hub.db() as db:
        acts = [a for (a,) in db.execute("SELECT action FROM audit_log")]
    t.ok("user.update" in acts and "user.delete" in acts,
         "changes are audited")
    with hub.db() as db:
        d = [x for (x,) in db.execute(
            "SELECT detail FROM audit_log WHERE action = 'user.update'")]
    t.ok(not any("ivan's new pass" in (x or "") for x in d),
         "no password in the audit log")


run(test)
