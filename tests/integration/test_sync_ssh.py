"""tipline sync through a real OpenSSH (issue 12, step 6): sshd from
openssh-server on a loopback port with its own config, host key and an
authorized_keys whose only entry is `command="tipline-relay ...",restrict`
(tests run as root: PermitRootLogin forced-commands-only), the system's
ssh client with a test-only known_hosts. The analyst's key syncs; the
same key gets no shell, no pty and no port forwarding.

usage: /usr/bin/python3 tests/integration/test_sync_ssh.py --build build"""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, Runner, free_port, wait_for  # noqa: E402
from test_sync import Analyst, setup  # noqa: E402

SSHD = "/usr/sbin/sshd"


class Sshd:
    def __init__(self, st):
        self.dir = os.path.join(st.dir, "ssh")
        os.makedirs(self.dir, mode=0o700)
        self.port = free_port()
        for name in ("hostkey", "client"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                            "-f", os.path.join(self.dir, name)], check=True)
        relay = os.path.join(st.build, "tipline-relay")
        with open(os.path.join(self.dir, "client.pub")) as f:
            client = f.read().strip()
        with open(os.path.join(self.dir, "authorized_keys"), "w") as f:
            f.write('command="%s --config %s",restrict %s\n'
                    % (relay, st.conf, client))
        cfg = os.path.join(self.dir, "sshd_config")
        with open(cfg, "w") as f:
            f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s/hostkey\n"
                    "AuthorizedKeysFile %s/authorized_keys\n"
                    "PermitRootLogin forced-commands-only\n"
                    "PasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nUsePAM no\n"
                    "StrictModes no\nPidFile %s/sshd.pid\n"
                    # Allowed globally: `restrict` must be what stops them.
                    "AllowTcpForwarding yes\nPermitTTY yes\n"
                    "X11Forwarding no\nLogLevel VERBOSE\n"
                    % (self.port, self.dir, self.dir, self.dir))
        with open(os.path.join(self.dir, "hostkey.pub")) as f:
            hk = f.read().split()
        with open(os.path.join(self.dir, "known_hosts"), "w") as f:
            f.write("[127.0.0.1]:%d %s %s\n" % (self.port, hk[0], hk[1]))
        self.client_cfg = os.path.join(self.dir, "ssh_config")
        with open(self.client_cfg, "w") as f:
            f.write("Host *\n  IdentityFile %s/client\n  IdentitiesOnly yes\n"
                    "  UserKnownHostsFile %s/known_hosts\n"
                    "  GlobalKnownHostsFile /dev/null\n"
                    "  StrictHostKeyChecking yes\n  BatchMode yes\n"
                    "  ConnectTimeout 10\n" % (self.dir, self.dir))
        os.makedirs("/run/sshd", exist_ok=True)
        self.log = open(os.path.join(self.dir, "sshd.log"), "ab")
        self.p = subprocess.Popen([SSHD, "-D", "-e", "-f", cfg],
                                  stdout=self.log, stderr=self.log)
        wait_for(self.port_open, what="sshd on port %d" % self.port)

    def port_open(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(10)
        self.log.close()


def run_ssh(sd, args, timeout=30):
    return subprocess.run(["ssh", "-F", sd.client_cfg, "-p", str(sd.port)]
                          + args, capture_output=True, timeout=timeout)


def t_sync_over_ssh(st, sd, a, b, refs):
    rc, out, err = a.run("sync", "--remote", "ssh://root@127.0.0.1:%d"
                         % sd.port, "--ssh-config", sd.client_cfg, "--json")
    assert rc == 0 and '"reports":3' in out, (rc, out, err)
    a.ok("status", refs[0], "in-review", "--note", "through ssh")
    rc, out, err = a.run("sync", "--remote", "ssh://root@127.0.0.1:%d"
                         % sd.port, "--ssh-config", sd.client_cfg)
    assert rc == 0 and "1 event sent" in out, (rc, out, err)
    # B, in local mode on the same server, sees A's event.
    b.sync()
    h = b.history(refs[0])
    assert [(e["author"], e["note"]) for e in h] == [
        ("Anna Muster", "through ssh")], h


def t_no_shell_no_pty_no_forwarding(st, sd, a, b, refs):
    # A command: the forced relay runs instead, gets no HELLO, says
    # nothing; no shell ever ran `id`.
    p = run_ssh(sd, ["root@127.0.0.1", "id; echo SHELL"])
    assert b"uid=" not in p.stdout and b"SHELL" not in p.stdout, p.stdout
    p = run_ssh(sd, ["-tt", "root@127.0.0.1"], timeout=30)
    assert b"uid=" not in p.stdout and b"#" not in p.stdout[-5:], p.stdout
    # A remote forward is refused by the server.
    p = run_ssh(sd, ["-N", "-o", "ExitOnForwardFailure=yes", "-R",
                     "0:127.0.0.1:%d" % sd.port, "root@127.0.0.1"])
    assert p.returncode != 0 and b"forward" in p.stderr.lower(), p.stderr
    # A local forward: the connection through it is refused (no SSH
    # banner comes back from the forwarded port).
    lport = free_port()
    fw = subprocess.Popen(["ssh", "-F", sd.client_cfg, "-p", str(sd.port),
                           "-N", "-L", "%d:127.0.0.1:%d" % (lport, sd.port),
                           "root@127.0.0.1"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    try:
        wait_for(lambda: _open(lport), what="the local forward's port")
        s = socket.create_connection(("127.0.0.1", lport), 5)
        s.settimeout(5)
        try:
            data = s.recv(100)
        except (socket.timeout, ConnectionResetError):
            data = b""
        s.close()
        assert not data.startswith(b"SSH-"), data
    finally:
        fw.kill()
        fw.wait(10)
        fw.stdout.close()
        fw.stderr.close()
    with open(os.path.join(sd.dir, "sshd.log"), "rb") as f:
        log = f.read()
    assert b"refused" in log.lower() or b"prohibited" in log.lower() or \
        b"not permitted" in log.lower(), log[-2000:]


def _open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def t_unknown_host_key_refused(st, sd, a, b, refs):
    """A known_hosts without this host: ssh refuses, nothing synced."""
    bad = os.path.join(sd.dir, "ssh_config_other")
    with open(sd.client_cfg) as f:
        text = f.read().replace("known_hosts", "known_hosts_empty")
    with open(bad, "w") as f:
        f.write(text)
    open(os.path.join(sd.dir, "known_hosts_empty"), "w").close()
    rc, out, err = a.run("sync", "--remote", "ssh://root@127.0.0.1:%d"
                         % sd.port, "--ssh-config", bad)
    assert rc != 0 and "Host key verification failed" in err, (rc, err)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    st = Stack(build)
    sd = None
    try:
        a, b, refs = setup(st)
        sd = Sshd(st)
        run.run("sync_through_real_sshd_forced_command",
                t_sync_over_ssh, st, sd, a, b, refs)
        run.run("same_key_gets_no_shell_no_pty_no_port_forward",
                t_no_shell_no_pty_no_forwarding, st, sd, a, b, refs)
        run.run("unknown_host_key_refused_nothing_synced",
                t_unknown_host_key_refused, st, sd, a, b, refs)
        run.run("no_sanitizer_reports_in_logs",
                st.assert_no_sanitizer_reports)
    finally:
        if sd is not None:
            sd.stop()
        st.stop()
        st.cleanup(keep=run.failed > 0)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
