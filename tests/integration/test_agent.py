"""One unlock per work session (issue 15, cli/agent.c): a passphrase
typed at the terminal (through a pty here) starts an agent that serves
the next commands, which then run without a terminal and without a
passphrase file; `tipline lock` and the idle time end it; the secret
is in no file; another uid is refused, by the directory, the socket's
mode and the agent's own SO_PEERCRED check.

usage: /usr/bin/python3 tests/integration/test_agent.py --build build"""

import os
import pty
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOP, PASSPHRASE, Runner  # noqa: E402
from open_envelope import unlock_identity  # noqa: E402

NOBODY = 65534


class Session:
    """A home, a runtime directory and an analyst's v2 key."""

    def __init__(self, build):
        self.tipline = os.path.join(TOP, build, "tipline")
        self.base = tempfile.mkdtemp(prefix="tipline-agent-")
        self.home = os.path.join(self.base, "home")
        self.run = os.path.join(self.base, "run")
        os.mkdir(self.home, 0o700)
        os.mkdir(self.run, 0o700)
        self.key = os.path.join(self.home, "ana.key")
        passfile = os.path.join(self.home, "pass")
        with open(passfile, "w") as f:
            f.write(PASSPHRASE + "\n")
        rc, _, err = self.quiet("keygen", "--name", "Ana Lyst", "-o",
                                os.path.join(self.home, "ana"),
                                TIPLINE_PASSPHRASE_FILE=passfile)
        assert rc == 0, err
        os.unlink(passfile)
        with open(self.key) as f:
            line = [x for x in f if x.startswith("TLSK2 ")][0]
        self.sock = os.path.join(self.run, "tipline", "agent-" + line.split()[1])
        self.secret = unlock_identity(self.key, PASSPHRASE.encode())
        self.pids = set()

    def env(self, **more):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("TIPLINE_")}
        e.update(HOME=self.home, XDG_RUNTIME_DIR=self.run, TIPLINE_KEY=self.key)
        e.update(more)
        return e

    def quiet(self, *args, **more):
        """No terminal (a new session) and no passphrase file: a
        command that needs the passphrase must get it from the agent."""
        p = subprocess.run([self.tipline] + list(args), env=self.env(**more),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           start_new_session=True, timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def typed(self, *args, **more):
        """Runs a command on a pty and types the passphrase when asked.
        Returns (exit status, output)."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(self.tipline, ["tipline"] + list(args), self.env(**more))
        out = b""
        status = None
        sent = False
        end = time.monotonic() + 60
        try:
            while time.monotonic() < end:
                if select.select([fd], [], [], 0.5)[0]:
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        break
                    out += chunk
                if not sent and b"Passphrase: " in out:
                    os.write(fd, PASSPHRASE.encode() + b"\n")
                    sent = True
            for _ in range(600):
                done, st_ = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st_
                    break
                time.sleep(0.1)
        finally:
            if status is None:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
            os.close(fd)
        self.note_agent()
        return status, out.decode("utf-8", "replace")

    def agent_pid(self):
        """The agent's pid (SO_PEERCRED of its socket), or None."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.sock)
            cred = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                struct.calcsize("3i"))
            return struct.unpack("3i", cred)[0]
        except OSError:
            return None
        finally:
            s.close()

    def note_agent(self):
        pid = self.agent_pid()
        if pid:
            self.pids.add(pid)
        return pid

    def wait_gone(self, pid, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not alive(pid):
                return
            time.sleep(0.1)
        raise AssertionError("agent %d still running" % pid)

    def cleanup(self):
        for pid in self.pids:
            if alive(pid):
                os.kill(pid, signal.SIGTERM)
        shutil.rmtree(self.base, ignore_errors=True)


def alive(pid):
    """Running and not a zombie (PID 1 of a container may not reap)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def asks(rc, err):
    return rc != 0 and "cannot read a passphrase" in err


def t_unlock_once_three_commands(s):
    status, out = s.typed("pubkey")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, out
    assert "Passphrase: " in out and "TLID1 " in out, out
    assert s.note_agent(), "no agent after a typed passphrase"
    line = [x for x in out.splitlines() if "TLID1 " in x][0].strip()
    for _ in range(3):
        rc, o, err = s.quiet("pubkey")
        assert rc == 0, err
        assert o.strip() == line, (o, line)


def t_secret_in_no_file(s):
    assert s.note_agent(), "the agent should be running"
    sk, seed = s.secret["sk"], s.secret["sign_seed"]
    markers = [sk, seed, sk.hex().encode(), seed.hex().encode(),
               sk.hex().upper().encode(), seed.hex().upper().encode()]
    found = []
    scanned = 0
    for top in (s.home, os.path.dirname(s.sock), "/tmp", "/dev/shm"):
        for root, _, files in os.walk(top):
            for name in files:
                p = os.path.join(root, name)
                scanned += 1
                assert scanned < 500000, "too many files to search"
                try:
                    if os.path.islink(p) or os.path.getsize(p) > (64 << 20):
                        continue
                    with open(p, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                found += [p for m in markers if m in data]
    assert not found, found
    # the socket directory holds the socket and nothing else
    d = os.path.dirname(s.sock)
    assert os.listdir(d) == [os.path.basename(s.sock)], os.listdir(d)
    assert os.stat(d).st_mode & 0o777 == 0o700
    assert os.stat(s.sock).st_mode & 0o777 == 0o600


def t_passwd_asks_despite_agent(s):
    assert s.note_agent()
    rc, _, err = s.quiet("passwd")
    assert asks(rc, err), (rc, err)


NOBODY_CONNECT = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("EACCES"); sys.exit(0)
data = b""
try:
    s.sendall(b"K" + bytes.fromhex(sys.argv[2]))
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except (BrokenPipeError, ConnectionResetError):
    pass                        # closed on us: refused
print("got %d" % len(data))
"""


def as_nobody(s):
    p = subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                        "--clear-groups", "/usr/bin/python3", "-c", NOBODY_CONNECT,
                        s.sock, s.secret["id"].hex()],
                       capture_output=True, timeout=30, cwd="/")
    assert p.returncode == 0, p.stderr
    return p.stdout.decode().strip()


def t_other_uid_refused(s):
    pid = s.note_agent()
    assert pid
    d = os.path.dirname(s.sock)
    # nobody can reach the directory, not our agent's directory
    os.chmod(s.base, 0o711)
    os.chmod(s.run, 0o711)
    try:
        assert as_nobody(s) == "EACCES"
        os.chmod(d, 0o711)          # the socket's own mode stops it
        assert as_nobody(s) == "EACCES"
        os.chmod(s.sock, 0o666)     # then the agent's SO_PEERCRED check
        assert as_nobody(s) == "got 0"
        # and our own commands do not trust a directory others can use
        rc, _, err = s.quiet("pubkey")
        assert asks(rc, err) and "only you can use" in err, err
    finally:
        os.chmod(d, 0o700)
        os.chmod(s.sock, 0o600)
        os.chmod(s.run, 0o700)
        os.chmod(s.base, 0o700)
    assert alive(pid), "the agent ended"
    rc, _, err = s.quiet("pubkey")
    assert rc == 0, err


def t_lock_then_asks(s):
    pid = s.note_agent()
    assert pid
    rc, _, err = s.quiet("lock")
    assert rc == 0 and "locked" in err, err
    s.wait_gone(pid)
    assert not os.path.exists(s.sock)
    rc, _, err = s.quiet("pubkey")
    assert asks(rc, err), (rc, err)
    rc, _, err = s.quiet("lock")
    assert rc == 0 and "nothing was unlocked" in err, err
    rc, _, err = s.quiet("lock", XDG_RUNTIME_DIR=os.path.join(s.base, "none", "x"))
    assert rc == 0 and "nothing was unlocked" in err, err


def t_idle_time_ends_it(s):
    status, out = s.typed("pubkey", TIPLINE_KEEP_UNLOCKED="2s")
    assert os.WEXITSTATUS(status) == 0, out
    pid = s.note_agent()
    assert pid, "no agent"
    s.wait_gone(pid)             # it ends by itself, without a lock
    assert not os.path.exists(s.sock)
    rc, _, err = s.quiet("pubkey")
    assert asks(rc, err), (rc, err)


def t_zero_keeps_nothing(s):
    status, out = s.typed("pubkey", TIPLINE_KEEP_UNLOCKED="0")
    assert os.WEXITSTATUS(status) == 0, out
    assert s.agent_pid() is None and not os.path.exists(s.sock)
    for bad in ("15x", "-1", "", "99h", "1m1"):
        rc, _, err = s.quiet("pubkey", "--keep-unlocked", bad)
        if bad == "":
            continue            # an empty value means the default
        assert rc == 2 and "takes a time" in err, (bad, rc, err)


def main():
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    run = Runner()
    s = Session(build)
    try:
        run.run("unlock_once_then_three_commands_without_prompt",
                t_unlock_once_three_commands, s)
        run.run("secret_in_no_file_of_home_tmp_or_socket_dir", t_secret_in_no_file, s)
        run.run("passwd_asks_the_old_passphrase_despite_agent",
                t_passwd_asks_despite_agent, s)
        run.run("other_uid_refused_by_dir_socket_mode_and_peercred",
                t_other_uid_refused, s)
        run.run("lock_ends_agent_next_command_asks", t_lock_then_asks, s)
        run.run("idle_time_ends_agent_next_command_asks", t_idle_time_ends_it, s)
        run.run("keep_unlocked_0_starts_no_agent_bad_values_refused",
                t_zero_keeps_nothing, s)
    finally:
        s.cleanup()
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
