"""hubctl: every command, its messages and exit codes, with hubd running."""
from hubtest import run


def test(t, hub):
    r = hub.hubctl("user", "add", "kim", "--role", "instructor")
    t.eq(r.returncode, 0, "add with a one-time password")
    otp = r.stdout.split("one-time password: ")[-1].strip()
    t.eq(len(otp), 16, "the one-time password is printed")
    t.eq(hub.client().login("kim", otp).status, 303, "kim can log in")
    r = hub.hubctl("user", "add", "kim")
    t.ok(r.returncode == 1 and "already exists" in r.stderr, "add twice")
    r = hub.hubctl("user", "add", "Kim!")
    t.ok(r.returncode == 1 and "not a valid user name" in r.stderr,
         "bad name refused with the rule")
    r = hub.hubctl("user", "add", "lee", "--role", "god")
    t.ok(r.returncode == 1 and "--role" in r.stderr, "bad role refused")
    r = hub.hubctl("user", "add", "lee", "--password-stdin", input="short\n")
    t.ok(r.returncode == 1 and "at least 8" in r.stderr,
         "short password refused")
    r = hub.hubctl("user", "add", "lee", "--password-stdin", input="")
    t.ok(r.returncode == 1 and "no password" in r.stderr,
         "empty stdin refused")
    r = hub.hubctl("user", "add", "lee", "--password-stdin",
                   input="lee's password\n")
    t.eq(r.returncode, 0, "add with --password-stdin")
    t.eq(hub.client().login("lee", "lee's password").status, 303,
         "lee logs in with it")
    r = hub.hubctl("user", "add", "pat", "--auth", "pam")
    t.eq(r.returncode, 0, "add a PAM account")
    r = hub.hubctl("user", "list")
    t.ok(r.returncode == 0 and "kim" in r.stdout and "instructor" in r.stdout
         and "pam" in r.stdout, "list shows names, roles and auth")
    r = hub.hubctl("user", "passwd", "lee", "--password-stdin",
                   input="lee's second password\n")
    t.eq(r.returncode, 0, "passwd")
    t.eq(hub.client().login("lee", "lee's password").status, 403,
         "the old password stops working")
    r = hub.hubctl("user", "passwd", "lee", "--one-time")
    t.ok(r.returncode == 0 and "one-time password:" in r.stdout,
         "passwd --one-time prints one")
    r = hub.hubctl("user", "passwd", "lee")
    t.ok(r.returncode == 1 and "not a terminal" in r.stderr,
         "passwd without a terminal asks for --password-stdin")
    r = hub.hubctl("user", "passwd", "pat", "--one-time")
    t.ok(r.returncode == 1 and "PAM" in r.stderr, "no passwd for PAM")
    r = hub.hubctl("user", "disable", "nobody")
    t.ok(r.returncode == 1 and "no such user: nobody" in r.stderr,
         "unknown user")
    t.eq(hub.hubctl("user", "del", "kim").returncode, 0, "del")
    t.eq(hub.client().login("kim", otp).status, 403, "kim is gone")
    r = hub.hubctl("user", "del", "admin")
    t.ok(r.returncode == 1 and "last enabled admin" in r.stderr,
         "the last admin stays")
    r = hub.hubctl("user", "disable", "admin")
    t.ok(r.returncode == 1 and "last enabled admin" in r.stderr,
         "and stays enabled")
    r = hub.hubctl("token", "add", "lee", "--expires", "1h")
    t.ok(r.returncode == 0 and len(r.stdout.strip()) == 64, "token add")
    r = hub.hubctl("token", "add", "lee", "--expires", "soon")
    t.ok(r.returncode == 1 and "--expires" in r.stderr, "bad --expires")
    r = hub.hubctl("frobnicate", "x")
    t.ok(r.returncode == 1 and "unknown command" in r.stderr,
         "unknown command")
    r = hub.hubctl()
    t.eq(r.returncode, 2, "no command: usage, exit 2")
    r = hub.hubctl("user", "add")
    t.ok(r.returncode == 1 and "exactly one user name" in r.stderr,
         "a missing name")


run(test)
