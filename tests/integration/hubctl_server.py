"""hubctl server list|start|stop through the running hubd's control socket."""
from hubtest import run, server_row


def test(t, hub):
    hub.add_user("yan", "yan's password")
    r = hub.hubctl("server", "start", "yan")
    t.eq(r.returncode, 0, "hubctl server start waits until it runs",
         ) or print("# " + r.stderr)
    t.contains(r.stdout, "yan: running", "and says so")
    t.eq(server_row(hub, "yan")["state"], "running", "the hub agrees")
    r = hub.hubctl("server", "list")
    t.ok(r.returncode == 0 and "yan" in r.stdout and "running" in r.stdout,
         "server list shows it", r.stdout)
    r = hub.hubctl("server", "start", "yan")
    t.ok(r.returncode == 0 and "running" in r.stdout,
         "starting a running server is fine")
    r = hub.hubctl("server", "stop", "yan")
    t.ok(r.returncode == 0 and "stopped" in r.stdout, "server stop waits",
         r.stdout + r.stderr)
    t.eq(server_row(hub, "yan")["state"], "stopped", "the hub agrees")
    r = hub.hubctl("server", "start", "nobody")
    t.ok(r.returncode == 1 and "no such user" in r.stderr, "unknown user")
    r = hub.hubctl("server", "start", "Bad/Name")
    t.ok(r.returncode == 1 and "not a valid user name" in r.stderr,
         "bad name")
    r = hub.hubctl("server", "frob", "yan")
    t.ok(r.returncode == 1 and "unknown command" in r.stderr,
         "unknown server command")
    hub.stop()
    r = hub.hubctl("server", "start", "yan")
    t.ok(r.returncode == 1 and "is it running" in r.stderr,
         "without hubd: a clear error")
    hub.start()


run(test)
