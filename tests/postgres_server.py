"""A throwaway PostgreSQL cluster for the test suite, in a fresh temporary folder.

The state tests run over SQLite and PostgreSQL (issue 24); CI needs a real server, and
the tests that pull a database out from under the bot need one of their own that they can
stop and start. This module gives both, three ways:

- `python3 -m tests.postgres_server run -- CMD...` starts a server, runs CMD with
  CONFBOT_TEST_POSTGRES=<url> in its environment, stops the server and exits with CMD's
  code (also on a failing CMD, Ctrl-C or SIGTERM). `.ci/run` wraps the README's test line
  in it. It runs before the project's virtual environment exists, so this module uses the
  standard library only (the pytest fixtures live in tests/postgres_fixtures.py).
- `with PostgresServer() as server: ... server.url ...` from Python.
- the `private_postgres` fixture (tests/postgres_fixtures.py): a server a test can stop,
  start and restart. Those servers start from a copy of a `ClusterTemplate`, a cluster
  made once per test process: copying its folder costs a fraction of an initdb.

The server is Debian's postgresql package (binaries under /usr/lib/postgresql/<version>/bin,
the newest present; CONFBOT_POSTGRES_BIN names another bin folder). PostgreSQL refuses to
run as root, so as root every PostgreSQL program runs as the `postgres` user through
`runuser` and the folder is handed to that user; otherwise they run as the caller. The
server listens on a unix socket in its folder (trusted) and on 127.0.0.1 at a free port,
where it asks for a password (scram-sha-256). Durability is switched off: the data is
thrown away, and a test suite wants speed.
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from types import FrameType, TracebackType

#: The environment variable through which the suite learns the server's address.
URL_VARIABLE = "CONFBOT_TEST_POSTGRES"
#: Names a PostgreSQL bin folder to use instead of the newest Debian one.
BIN_VARIABLE = "CONFBOT_POSTGRES_BIN"
DEBIAN_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
#: The database the URL names: it exists in every cluster and tests may create schemas in it.
DATABASE = "postgres"
#: pytest-xdist's workers each hold a pool or two, and the cluster tests run several bot
#: processes; the default 100 is close enough to run out.
MAX_CONNECTIONS = 300
#: Seconds pg_ctl waits for the server to start or stop before giving up.
PG_CTL_TIMEOUT = 60
#: Exit code of `run` when the server cannot be found or started (CMD never ran).
EXIT_NO_SERVER = 3
#: Tries at a free port: another process may take the one picked before the server binds it.
PORT_TRIES = 3
#: Where a server's folder goes when asked to be in memory (see folder_parent): a tmpfs,
#: where copying the template took 0.1 s and initdb 0.7 s, against 1.4 s and 2.8 s on this
#: project's 2-core machine's disk (pg_ctl's start, stop and the queries are the same).
MEMORY = Path("/dev/shm")
#: The room MEMORY must have free for a folder to go there: a cluster is about 40 MB and
#: grows with the suite's data; a small /dev/shm (a container's 64 MB) is left alone.
MEMORY_ROOM = 1 << 30


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL programs on this machine (a reason to skip, except under CI)."""


class PostgresFailed(RuntimeError):
    """PostgreSQL is installed but a program of it failed; the message says what it said."""


class StopMode(StrEnum):
    """pg_ctl's shutdown modes: wait for clients, roll them back, or drop everything."""

    SMART = "smart"
    FAST = "fast"
    IMMEDIATE = "immediate"


def version_key(name: str) -> tuple[int, ...]:
    """Sort '9.6' < '15' < '16' numerically; a folder that is not a version sorts first."""
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return ()


def find_bin_dir(root: Path = DEBIAN_ROOT) -> Path:
    """The bin folder of the PostgreSQL to run: CONFBOT_POSTGRES_BIN when set, else the
    newest version under Debian's /usr/lib/postgresql that has initdb and pg_ctl, else the
    folder of an initdb on PATH. Raises PostgresUnavailable saying what was looked at."""
    explicit = os.environ.get(BIN_VARIABLE)
    if explicit:
        if has_server_programs(Path(explicit)):
            return Path(explicit)
        raise PostgresUnavailable(f"{BIN_VARIABLE}={explicit} has no initdb and pg_ctl")
    versions = [path for path in root.glob("*/bin") if has_server_programs(path)]
    if versions:
        return max(versions, key=lambda path: version_key(path.parent.name))
    on_path = shutil.which("initdb")
    if on_path and has_server_programs(Path(on_path).parent):
        return Path(on_path).parent
    raise PostgresUnavailable(
        f"no PostgreSQL found (no {root}/<version>/bin/initdb, no initdb on PATH); "
        "on Debian or Ubuntu: apt-get install postgresql"
    )


def has_server_programs(folder: Path) -> bool:
    """Whether a folder holds the two programs this module runs."""
    return all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def free_port() -> int:
    """A loopback TCP port nothing listens on, picked below the kernel's ephemeral range so
    that outgoing connections do not take it while a test has the server stopped."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    first = max(1024, low - 10000)
    for _ in range(50):
        port = first + secrets.randbelow(low - first)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise PostgresFailed(f"no free port on 127.0.0.1 between {first} and {low}")


def folder_parent(in_memory: bool, as_root: bool) -> Path:
    """Where a server's temporary folder goes: in MEMORY when asked and it has
    MEMORY_ROOM free, else the temporary folder. As root that is /tmp, which the
    `postgres` user can reach (root's TMPDIR may not be); the unix socket's path must
    stay short (about 100 bytes), so a long TMPDIR is not used either."""
    if in_memory and _has_room(MEMORY, MEMORY_ROOM):
        return MEMORY
    parent = tempfile.gettempdir()
    return Path("/tmp" if as_root or len(parent) > 40 else parent)


def _has_room(folder: Path, room: int) -> bool:
    """Whether `folder` is a folder anyone may write in (as /tmp) with `room` bytes free."""
    try:
        free = os.statvfs(folder)
    except OSError:
        return False
    sticky_and_open = folder.stat().st_mode & 0o1777 == 0o1777
    return sticky_and_open and free.f_bavail * free.f_frsize >= room


def server_settings(folder: Path, port: int) -> str:
    """postgresql.conf lines: where to listen, and durability off (a test's data is thrown
    away; fsync, synchronous commit and full page writes only cost time here)."""
    return "\n".join(
        (
            "",
            "# confbot tests (tests/postgres_server.py)",
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            f"unix_socket_directories = '{folder}'",
            f"max_connections = {MAX_CONNECTIONS}",
            "password_encryption = 'scram-sha-256'",
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "wal_level = minimal",
            "max_wal_senders = 0",
            "log_min_messages = warning",
            "",
        )
    )


#: Only the socket in the folder is trusted; every TCP connection needs the password.
HBA = (
    "# confbot tests (tests/postgres_server.py)\n"
    "local all all trust\n"
    "host all all 127.0.0.1/32 scram-sha-256\n"
)


class PostgresServer:
    """One throwaway cluster: `start()` makes it (initdb, the first time) and starts it,
    `stop()` and `restart()` keep its data, its port and its URL, and `close()` stops it and
    removes its folder. As a context manager it starts on entry and closes on exit.

    `in_memory`: its folder in memory where the machine has room (see folder_parent), for
    the suite's servers, whose durability is off anyway; not for a benchmark that turns
    it back on to wait for the disk as the SQLite state does."""

    def __init__(
        self,
        bin_dir: Path | None = None,
        template: ClusterTemplate | None = None,
        *,
        in_memory: bool = False,
    ) -> None:
        self.bin_dir = template.bin_dir if template else bin_dir or find_bin_dir()
        # A copied cluster keeps the password its template was made with.
        self.password = template.password if template else secrets.token_hex(16)
        self.port = 0
        self._template = template
        self._in_memory = in_memory
        self._folder: Path | None = None
        self._as_root = os.geteuid() == 0

    # -- where it is

    @property
    def folder(self) -> Path:
        """The temporary folder: the data, the unix socket and the server's log."""
        if self._folder is None:
            raise PostgresFailed("the server was never started")
        return self._folder

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.folder / "server.log"

    @property
    def url(self) -> str:
        """The address a client connects to: TCP on loopback, with the password."""
        if not self.port:
            raise PostgresFailed("the server was never started")
        return f"postgresql://{SERVER_USER}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def version(self) -> str:
        """The major version, as the data folder records it."""
        return (self.data_dir / "PG_VERSION").read_text().strip()

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while it runs (for tests that kill it), else None."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
        except (OSError, IndexError):
            return None
        return int(first) if self.running else None

    @property
    def running(self) -> bool:
        """Whether the server is up, by pg_ctl status (a crashed server's stale pid file
        would say otherwise)."""
        if self._folder is None or not self.data_dir.exists():
            return False
        return self._pg(["pg_ctl", "status", "-D", str(self.data_dir)], check=False) == 0

    # -- life cycle

    def start(self) -> None:
        """Start the server and wait until it accepts connections; the first start makes
        the folder and the cluster (a copy of the template's, if given), at a free port
        (retrying another if it was taken)."""
        if self._folder is not None:
            self._pg_ctl_start()
            return
        self._make_folder()
        if self._template is None:
            self._initdb()
        else:
            self._copy_cluster(self._template.data_dir)
        for attempt in range(PORT_TRIES):
            self.port = free_port()
            self._configure()
            try:
                self._pg_ctl_start()
                return
            except PostgresFailed:
                if attempt == PORT_TRIES - 1 or "already in use" not in self._log_text():
                    raise
                self.log_file.unlink(missing_ok=True)

    def stop(self, mode: StopMode = StopMode.FAST) -> None:
        """Stop the server and wait until it has; its data stays for the next start."""
        self._pg(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w",
                  "-t", str(PG_CTL_TIMEOUT)])  # fmt: skip

    def restart(self, mode: StopMode = StopMode.FAST) -> None:
        """Stop and start again at the same address: clients' connections drop."""
        self.stop(mode)
        self._pg_ctl_start()

    def close(self) -> None:
        """Stop the server if it runs (immediately: the data is thrown away) and remove
        the folder. Safe to call twice, and after a failed start."""
        if self._folder is None:
            return
        try:
            if self.running:
                self.stop(StopMode.IMMEDIATE)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the steps

    def _make_folder(self) -> None:
        """A fresh folder the server's user owns, where folder_parent says."""
        parent = folder_parent(self._in_memory, self._as_root)
        self._folder = Path(tempfile.mkdtemp(prefix="confbot-pg-", dir=parent))
        if self._as_root:
            try:
                user = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, and there is no {SERVER_USER!r} user to run "
                    "PostgreSQL as (PostgreSQL refuses to run as root)"
                ) from None
            os.chown(self._folder, user.pw_uid, user.pw_gid)

    def _initdb(self) -> None:
        """Make the cluster: superuser `postgres` with the password, no fsync while making
        it, the C locale (fast, and the same on every machine)."""
        password_file = self.folder / "password"
        password_file.write_text(self.password + "\n")
        password_file.chmod(0o600)
        if self._as_root:
            owner = self.folder.stat()
            os.chown(password_file, owner.st_uid, owner.st_gid)
        try:
            self._pg(["initdb", "-D", str(self.data_dir), "-U", SERVER_USER,
                      f"--pwfile={password_file}", "--auth-local=trust",
                      "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
                      "--no-sync"])  # fmt: skip
        finally:
            password_file.unlink(missing_ok=True)

    def _copy_cluster(self, data_dir: Path) -> None:
        """The template's cluster, copied with its owner and modes (cp -a, as the server's
        user: the data folder must be that user's and private to it)."""
        self._run(["cp", "-a", str(data_dir), str(self.data_dir)], "cp")

    def _configure(self) -> None:
        """Write where to listen and the fast settings; the files stay the server user's
        (opened for writing, not replaced)."""
        conf = self.data_dir / "postgresql.conf"
        text = conf.read_text().split("\n# confbot tests", 1)[0].rstrip("\n") + "\n"
        with conf.open("w") as out:
            out.write(text + server_settings(self.folder, self.port))
        with (self.data_dir / "pg_hba.conf").open("w") as out:
            out.write(HBA)

    def _pg_ctl_start(self) -> None:
        """pg_ctl start -w: returns once the server accepts connections."""
        try:
            self._pg(["pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file),
                      "-w", "-t", str(PG_CTL_TIMEOUT)])  # fmt: skip
        except PostgresFailed as error:
            raise PostgresFailed(f"{error}; server log: {self._log_reason()}") from None

    def _log_reason(self) -> str:
        """Why the server did not start, from its log: the lines saying something failed
        (a FATAL line names the effect, a 'could not' line before it often the cause), without
        their time stamps; else the log's last line."""
        lines = [line.strip() for line in self._log_text().splitlines() if line.strip()]
        fatal = next((n for n, line in enumerate(lines) if "FATAL:" in line or "PANIC:" in line),
                     None)  # fmt: skip
        if fatal is None:
            said = lines[-1:] or ["(nothing)"]
        else:
            causes = [line for line in lines[:fatal] if "could not" in line]
            said = [*causes[:1], lines[fatal]]
        return " / ".join(" ".join(line.split("] ", 1)[-1].split()) for line in said)

    def _log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def _pg(self, command: Sequence[str], *, check: bool = True) -> int:
        """Run a PostgreSQL program from the bin folder and return its exit code; with
        `check`, a failure raises PostgresFailed with the last line it said. It runs as
        `postgres` when we are root, in the server's folder (root's working folder may be
        closed to that user), and in its own session: a Ctrl-C meant for the tests reaches
        neither a starting server nor initdb. If Ctrl-C or SIGTERM interrupts us, the
        program is still waited for before that goes on, so none is left working in a
        folder that is being removed."""
        name = " ".join(command[:2]) if command[0] == "pg_ctl" else command[0]
        return self._run([str(self.bin_dir / command[0]), *command[1:]], name, check=check)

    def _run(self, argv: list[str], name: str, *, check: bool = True) -> int:
        """Run a program as the server's user (see _pg); `name` says which in a failure,
        whose last line of output comes from the program's own lines if it said any."""
        program_name = Path(argv[0]).name
        if self._as_root:
            argv = ["runuser", "-u", SERVER_USER, "--", *argv]
        interrupted: BaseException | None = None
        with tempfile.TemporaryFile("w+") as output:
            program = subprocess.Popen(
                argv,
                cwd=self._folder,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            while program.returncode is None:
                try:
                    program.wait()
                except BaseException as error:  # Ctrl-C or SIGTERM: re-raised below
                    interrupted = error
            output.seek(0)
            said = output.read().strip().splitlines()
        if interrupted is not None:
            raise interrupted
        if check and program.returncode != 0:
            # "pg_ctl: could not start server" says more than the "Examine the log" after it.
            own = [line for line in said if line.startswith(f"{program_name}:")]
            last = (own or said or ["(nothing said)"])[-1]
            raise PostgresFailed(f"{name} exited {program.returncode}: {last}")
        return program.returncode


class ClusterTemplate:
    """A cluster made once (initdb) and never started, that servers start from a copy of
    (PostgresServer(template=...)): a copy costs a fraction of an initdb. They share its
    password. As a context manager it is made on entry and removed on exit. `in_memory`
    as PostgresServer's (for the template's folder; each copy says its own)."""

    def __init__(self, bin_dir: Path | None = None, *, in_memory: bool = False) -> None:
        self._maker = PostgresServer(bin_dir, in_memory=in_memory)

    @property
    def bin_dir(self) -> Path:
        return self._maker.bin_dir

    @property
    def password(self) -> str:
        return self._maker.password

    @property
    def data_dir(self) -> Path:
        return self._maker.data_dir

    def make(self) -> None:
        """The folder and the cluster in it, as a server's first start makes them."""
        self._maker._make_folder()
        self._maker._initdb()

    def close(self) -> None:
        """Remove the folder (the cluster never ran). Safe to call twice."""
        self._maker.close()

    def __enter__(self) -> ClusterTemplate:
        try:
            self.make()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# -- python -m tests.postgres_server run -- CMD...


def run_with_server(command: Sequence[str]) -> int:
    """Start a server, run `command` with CONFBOT_TEST_POSTGRES set, stop the server, and
    return the command's exit code (128 + N when a signal N ended it). A server that cannot
    start is one line on stderr and EXIT_NO_SERVER; the command never runs then. SIGTERM
    while the server starts still stops it and removes its folder."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    server: PostgresServer | None = None
    ready = False
    code = 1  # an unforeseen error (its traceback shows) still stops the server
    try:
        started = time.perf_counter()
        server = PostgresServer(in_memory=True)  # durability is off: nothing for a disk to do
        server.start()
        ready = True
        say(f"PostgreSQL {server.version} ready on 127.0.0.1:{server.port} in "
            f"{time.perf_counter() - started:.2f} s ({URL_VARIABLE} set)")  # fmt: skip
        code = run_child(command, {**os.environ, URL_VARIABLE: server.url})
    except (PostgresUnavailable, PostgresFailed) as error:
        print(f"postgres_server: could not start PostgreSQL: {error}", file=sys.stderr)
        code = EXIT_NO_SERVER
    except KeyboardInterrupt:
        code = 128 + signal.SIGINT
    except _Terminated:
        code = 128 + signal.SIGTERM
    finally:
        # Stopping takes a fraction of a second: let it finish whatever arrives.
        kept = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            code = close_server(server, code, ready)
        signal.signal(signal.SIGINT, kept)
        signal.signal(signal.SIGTERM, previous)
    return code


def close_server(server: PostgresServer, code: int, ready: bool) -> int:
    """Stop and remove the server, saying how long it took if it had started (a failed
    start stays one line); a server that would not stop turns a passing run into a failing
    one (it would linger on the machine)."""
    stopping = time.perf_counter()
    try:
        server.close()
    except PostgresFailed as error:
        say(f"could not stop PostgreSQL: {error}")
        return code or 1
    if ready:
        say(f"PostgreSQL stopped and removed in {time.perf_counter() - stopping:.2f} s")
    return code


class _Terminated(Exception):
    """SIGTERM arrived while no command ran: stop the server and leave."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    """Outside the command's run, SIGTERM unwinds (so the folder is cleaned up) instead of
    ending the process on the spot."""
    raise _Terminated


def run_child(command: Sequence[str], env: dict[str, str]) -> int:
    """Run the command to its end. Ctrl-C in a terminal reaches it directly (same process
    group), so SIGINT here only waits for it; SIGTERM and SIGHUP are passed on to it. Either
    way the server is stopped only once the command has finished with it."""
    child = subprocess.Popen(command, env=env)

    def pass_on(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)

    def wait_for_it(signum: int, frame: FrameType | None) -> None:
        say("interrupted: waiting for the command to end, then stopping PostgreSQL")

    kept = {
        signal.SIGINT: signal.signal(signal.SIGINT, wait_for_it),
        signal.SIGTERM: signal.signal(signal.SIGTERM, pass_on),
        signal.SIGHUP: signal.signal(signal.SIGHUP, pass_on),
    }
    try:
        code = child.wait()
    finally:
        for signum, handler in kept.items():
            signal.signal(signum, handler)
    return code if code >= 0 else 128 - code


def say(line: str) -> None:
    """One line on stderr, named, so CI's log shows where the server came and went."""
    print(f"postgres_server: {line}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m tests.postgres_server",
        description="A throwaway PostgreSQL for confbot's tests.",
    )
    commands = parser.add_subparsers(dest="action", required=True)
    run = commands.add_parser(
        "run", help=f"start a server, run CMD with {URL_VARIABLE} set, stop the server"
    )
    run.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD...")
    commands.add_parser("find", help="print the PostgreSQL bin folder, or exit 1 if none")
    args = parser.parse_args(argv)
    if args.action == "find":
        try:
            print(find_bin_dir())
        except PostgresUnavailable as error:
            print(f"postgres_server: {error}", file=sys.stderr)
            return 1
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command: run -- CMD...")
    return run_with_server(command)


if __name__ == "__main__":
    sys.exit(main())
