"""hubctl backup and restore against a real hubd and its SQLite file.

A backup taken while hubd serves and writes (accounts made through the API,
logins) is a consistent snapshot that passes SQLite's integrity check;
restore is refused while hubd runs; bad files and a full disk are refused
with the file and the problem named, and the hub's database stays as it
was; after a stop, restore brings back the backup's state (the account
made after the backup is gone, the one made before is there, the replaced
database is kept aside) and hubd starts and serves on it."""
import glob
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import threading
import time

from hubtest import HUBCTL, Hub, Tap

t = Tap()
hub = Hub()
sleeper = None


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_copy(path):
    """(integrity_check rows, user names) of a copy, read-only."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        integrity = [r[0] for r in db.execute("PRAGMA integrity_check")]
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
        names = {r[0] for r in db.execute("SELECT name FROM users")}
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        db.close()
    return integrity, fk, names, mode


try:
    hub.start()
    data = hub.data
    live = os.path.join(data, "hubd.sqlite")
    out = os.path.join(hub.dir, "backups")
    os.mkdir(out)
    admin = hub.admin()
    hub.add_user("before", "before password")

    # Bulk in the database (audit rows), so that a copy takes a while.
    db = hub.db()
    with db:
        db.executemany("INSERT INTO audit_log (at, actor, action, target, "
                       "detail) VALUES (?, 'test', 'bulk', ?, ?)",
                       ((i, "row%d" % i, "x" * 150) for i in range(150000)))
    db.close()
    t.ok(os.path.getsize(live) > 20 << 20 or os.path.exists(live + "-wal"),
         "the database holds some bulk (%d bytes)" % os.path.getsize(live))

    # 1. Backups while hubd serves and writes.
    stop = threading.Event()
    made, failures, logins = [], [], [0]

    def make_users():
        i = 0
        while not stop.is_set():
            r = admin.api("POST", "/users/w%d" % i, {})
            if r.status == 201:
                made.append("w%d" % i)
            else:
                failures.append("POST /users/w%d: %d %s" % (i, r.status,
                                                            r.text[:200]))
            i += 1

    def log_in():
        while not stop.is_set():
            c = hub.client()
            r = c.login("before", "before password")
            if r.status == 303:
                logins[0] += 1
            else:
                failures.append("login: %d" % r.status)

    def pairs():
        """Transactions of two rows each (a course and an audit row), so
        that a copy can show it holds whole transactions only."""
        db = sqlite3.connect(live, timeout=10)
        i = 0
        try:
            while not stop.is_set():
                with db:
                    db.execute("INSERT INTO courses (code, created) VALUES "
                               "(?, 0)", ("pair%d" % i,))
                    db.execute("INSERT INTO audit_log (at, action, target) "
                               "VALUES (0, 'test.pair', ?)", ("pair%d" % i,))
                i += 1
                time.sleep(0.002)
        except sqlite3.Error as e:
            failures.append("pairs: %s" % e)
        finally:
            db.close()
        made_pairs.append(i)

    made_pairs = []
    threads = [threading.Thread(target=make_users),
               threading.Thread(target=log_in),
               threading.Thread(target=pairs)]
    for th in threads:
        th.start()
    results = []
    try:
        time.sleep(0.5)
        for i in range(3):
            dest = os.path.join(out, "during%d.sqlite" % i)
            n_before = len(made)
            r = hub.hubctl("backup", dest)
            results.append((r, dest, n_before))
            time.sleep(0.3)
    finally:
        stop.set()
        for th in threads:
            th.join(60)
    t.ok(not failures and logins[0] > 0 and len(made) > 3 and
         made_pairs and made_pairs[0] > 3,
         "the hub served while backups ran (%d accounts made, %d logins, "
         "%s transactions of the test)" % (len(made), logins[0], made_pairs),
         "\n".join(failures[:10]))
    for i, (r, dest, n_before) in enumerate(results):
        t.ok(r.returncode == 0 and "backed up to %s" % dest in r.stdout and
             "schema version" in r.stdout and "integrity check ok" in
             r.stdout, "backup %d while the hub writes: exit 0 and a summary"
             % i, r.stdout + r.stderr)
        if r.returncode != 0:
            continue
        integrity, fk, names, mode = check_copy(dest)
        t.eq(integrity, ["ok"], "backup %d passes PRAGMA integrity_check" % i)
        t.eq(fk, [], "backup %d passes PRAGMA foreign_key_check" % i)
        ws = sorted(int(n[1:]) for n in names if n.startswith("w") and
                    n[1:].isdigit())
        t.ok("admin" in names and "before" in names and
             ws == list(range(len(ws))) and len(ws) >= n_before,
             "backup %d is a snapshot: admin, before and w0..w%d, no gaps"
             % (i, len(ws) - 1), "%d made before it; %r" % (n_before,
                                                          ws[:5] + ws[-5:]))
        db = sqlite3.connect("file:%s?mode=ro" % dest, uri=True)
        courses = {r[0] for r in db.execute(
            "SELECT code FROM courses WHERE code LIKE 'pair%'")}
        audits = {r[0] for r in db.execute(
            "SELECT target FROM audit_log WHERE action = 'test.pair'")}
        db.close()
        t.ok(courses == audits and len(courses) > 0,
             "backup %d holds whole transactions only (%d of them)" %
             (i, len(courses)), sorted(courses ^ audits)[:10])
        st = os.stat(dest)
        t.ok(stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid(),
             "backup %d is 0600 (%o)" % (i, stat.S_IMODE(st.st_mode)))
        t.ok(mode == "delete" and not os.path.exists(dest + "-wal"),
             "backup %d is one file (journal mode %s, no -wal)" % (i, mode))
    t.eq(sorted(os.listdir(out)), ["during0.sqlite", "during1.sqlite",
                                   "during2.sqlite"],
         "no temporary files are left beside the backups")

    # The backup to restore later; then an account it does not have.
    backup = os.path.join(out, "hub.sqlite")
    r = hub.hubctl("backup", backup)
    t.eq(r.returncode, 0, "a backup to restore later")
    kept_users = check_copy(backup)[2]
    hub.add_user("after", "after password")
    t.eq(hub.client().login("after", "after password").status, 303,
         "an account made after the backup logs in")

    # 2. backup's own refusals and forms.
    r = hub.hubctl("backup", backup)
    t.ok(r.returncode == 1 and backup in r.stderr and "exists" in r.stderr
         and "--force" in r.stderr,
         "backup refuses to replace an existing file without --force",
         r.stderr)
    t.eq(check_copy(backup)[2], kept_users, "which is left as it was")
    forced = os.path.join(out, "forced.sqlite")
    with open(forced, "w") as f:
        f.write("old contents\n")
    r = hub.hubctl("backup", forced, "--force")
    t.ok(r.returncode == 0 and "after" in check_copy(forced)[2],
         "--force replaces it", r.stderr)
    folder = os.path.join(hub.dir, "folder")
    os.mkdir(folder)
    r = hub.hubctl("backup", folder + "/")
    named = glob.glob(folder + "/hubd-*.sqlite")
    t.ok(r.returncode == 0 and len(named) == 1 and
         check_copy(named[0])[0] == ["ok"],
         "backup into a folder names the copy hubd-TIME.sqlite", r.stderr)
    r = hub.hubctl("backup", live, "--force")
    t.ok(r.returncode == 1 and "the hub's database itself" in r.stderr,
         "backup refuses to write over the hub's database", r.stderr)
    r = hub.hubctl("backup", os.path.join(hub.dir, "nowhere", "x.sqlite"))
    t.ok(r.returncode == 1 and "nowhere" in r.stderr and
         "No such file or directory" in r.stderr,
         "backup into a missing folder: a clear error", r.stderr)
    r = hub.hubctl("backup")
    t.eq(r.returncode, 2, "backup without a file: usage, exit 2")

    # 3. restore is refused while hubd runs.
    r = hub.hubctl("restore", backup)
    t.ok(r.returncode == 1 and "hubd is running" in r.stderr and
         "stop the service first: systemctl stop hubd" in r.stderr,
         "restore is refused while hubd runs", r.stderr)
    # Even without its control socket, the database's lock says so.
    sock = os.path.join(data, "control.sock")
    os.rename(sock, sock + ".hidden")
    try:
        r = hub.hubctl("restore", backup)
    finally:
        os.rename(sock + ".hidden", sock)
    t.ok(r.returncode == 1 and "in use" in r.stderr and
         "systemctl stop hubd" in r.stderr,
         "and refused by the database's lock when the socket is gone",
         r.stderr)
    t.eq(hub.client().login("after", "after password").status, 303,
         "the running hub still has the account made after the backup")
    t.ok(not glob.glob(live + ".before-restore-*") and
         not os.path.exists(live + ".restore-tmp"),
         "nothing was moved or left in data_dir")

    t.eq(hub.stop(), 0, "hubd stops cleanly")

    # A student's server the database has as running, whose process
    # outlives hubd (as servers do): restore names it.
    sleeper = subprocess.Popen(["sleep", "300"])
    with open("/proc/%d/stat" % sleeper.pid) as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19])
    db = hub.db()
    with db:
        db.execute("INSERT INTO servers (user_id, state, pid, starttime) "
                   "SELECT id, 'running', ?, ? FROM users WHERE name = "
                   "'after'", (sleeper.pid, start))
    db.close()

    # 4. Bad files: the file and the problem named, nothing changed.
    def listing():
        return sorted(os.listdir(data))

    before_digest, before_list = digest(live), listing()
    text = os.path.join(hub.dir, "notes.txt")
    with open(text, "w") as f:
        f.write("this is not a database\n" * 100)
    truncated = os.path.join(hub.dir, "truncated.sqlite")
    with open(backup, "rb") as f:
        whole = f.read()
    with open(truncated, "wb") as f:
        f.write(whole[:len(whole) // 3])
    newer = os.path.join(hub.dir, "newer.sqlite")
    shutil.copy(backup, newer)
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    other = os.path.join(hub.dir, "other.sqlite")
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (x)")
    db.close()
    empty = os.path.join(hub.dir, "empty.sqlite")
    open(empty, "w").close()
    cases = [
        (os.path.join(hub.dir, "missing.sqlite"), "No such file or directory",
         "a missing file"),
        (text, "is not a SQLite database", "a text file"),
        (truncated, "is damaged", "a truncated copy"),
        (newer, "has schema version 99, newer than this hubctl knows",
         "a database of a newer schema"),
        (other, "not a hubd database", "another program's SQLite database"),
        (empty, "not a hubd database", "an empty file"),
        (hub.dir, "is not a regular file", "a folder"),
    ]
    for path, problem, what in cases:
        r = hub.hubctl("restore", path)
        t.ok(r.returncode == 1 and path in r.stderr and problem in r.stderr
             and "the hub's database is unchanged" in r.stderr,
             "restore of %s: '%s'" % (what, problem), r.stdout + r.stderr)
        t.ok(digest(live) == before_digest and listing() == before_list,
             "the hub's database is unchanged after %s" % what,
             (listing(), before_list))
    # A full disk, in a mount namespace of its own (nothing stays
    # mounted): a small tmpfs for the backup's folder, and for a second
    # hub's data_dir that holds a copy of the database.
    full = os.path.join(hub.dir, "full")
    os.mkdir(full)
    with open(hub.conf) as f:
        conf2 = f.read().replace("data_dir = %s" % data,
                                 "data_dir = %s/data" % full)
    script = """
        mount -t tmpfs -o size=%(size)d tmpfs "$FULL" || exit 99
        echo "$CONF2" >"$FULL/hubd.conf"
        mkdir -m 0700 "$FULL/data" && cp "$LIVE" "$FULL/data/" || exit 98
        sum=$(sha256sum <"$FULL/data/hubd.sqlite")
        "$HUBCTL" --config "$FULL/hubd.conf" backup "$FULL/b.sqlite"
        echo "backup: $?"
        "$HUBCTL" --config "$FULL/hubd.conf" restore "$BACKUP"
        echo "restore: $?"
        [ "$sum" = "$(sha256sum <"$FULL/data/hubd.sqlite")" ] &&
            echo "same database"
        echo "left:" $(ls -A "$FULL" "$FULL/data")
    """ % {"size": os.path.getsize(live) + (4 << 20)}
    p = subprocess.run(["unshare", "--mount", "--propagation", "private",
                        "sh", "-c", script], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, FULL=full,
                                             CONF2=conf2, LIVE=live,
                                             HUBCTL=HUBCTL, BACKUP=backup))
    t.ok(p.returncode == 0 and "backup: 1" in p.stdout and
         "cannot write %s/b.sqlite.tmp-" % full in p.stderr and
         "no space left on the device; no backup was written" in p.stderr,
         "backup to a full disk: a clear error", p.stdout + p.stderr)
    t.ok("restore: 1" in p.stdout and "%s/data/hubd.sqlite.restore-tmp: no "
         "space left on the device; the hub's database is unchanged" % full
         in p.stderr and "same database" in p.stdout,
         "restore onto a full disk: a clear error, the database unchanged",
         p.stdout + p.stderr)
    t.ok("left: %s: data hubd.conf %s/data: hubd.sqlite" % (full, full) in
         p.stdout, "and no partial copies left", p.stdout)

    side = [n for n in os.listdir(hub.dir) if n.endswith(("-wal", "-shm",
                                                          "-journal"))]
    t.eq(side, [], "restore leaves no -wal, -shm or -journal beside the "
         "files it read")

    # 5. Restore the backup, then hubd serves on it.
    r = hub.hubctl("restore", backup)
    t.ok(r.returncode == 0 and "restored %s" % backup in r.stdout and
         "systemctl start hubd" in r.stdout, "restore with hubd stopped",
         r.stdout + r.stderr)
    t.contains(r.stderr, "after (pid %d)" % sleeper.pid,
               "restore warns of a server that still runs")
    aside = glob.glob(live + ".before-restore-*")
    t.eq(len(aside), 1, "the replaced database is kept aside")
    if aside:
        t.ok(aside[0] in r.stdout, "and restore says where", r.stdout)
        integrity, fk, names, _ = check_copy(aside[0])
        t.ok(integrity == ["ok"] and "after" in names,
             "the one kept aside is whole and has the later account")
    st = os.stat(live)
    t.ok(stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0 and
         st.st_gid == 0, "the restored database is root's, 0600 (%o %d:%d)"
         % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid))
    t.ok(not os.path.exists(live + "-wal") and
         not os.path.exists(live + "-shm") and
         not os.path.exists(live + ".restore-tmp"),
         "no stale -wal, -shm or temporary file", listing())
    t.eq(check_copy(live)[2], kept_users,
         "the database holds exactly the backup's accounts")

    hub.start()
    t.ok(hub.printed_password is None,
         "hubd starts on it and makes no new first admin")
    t.eq(hub.client().login("before", "before password").status, 303,
         "the account made before the backup logs in")
    t.eq(hub.client().login("after", "after password").status, 403,
         "the account made after the backup is gone")
    c = hub.client()
    t.eq(c.login("admin", "admin password 1").status, 303,
         "the admin's own password of before the backup works")
    t.eq(c.api("GET", "/user").status, 200, "and the API answers")
    r = hub.hubctl("user", "list")
    t.ok(r.returncode == 0 and "before" in r.stdout and
         "after" not in r.stdout, "hubctl user list agrees")
    r = hub.hubctl("user", "add", "again", "--password-stdin",
                   input="again password\n")
    t.ok(r.returncode == 0 and hub.client().login(
        "again", "again password").status == 303,
         "the restored hub takes new accounts")
    t.eq(hub.stop(), 0, "hubd stops cleanly")
finally:
    if sleeper is not None:
        sleeper.kill()
        sleeper.wait()
    hub.cleanup()
t.done()
