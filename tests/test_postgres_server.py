"""The throwaway PostgreSQL that CI runs the suite against and that the tests pulling a
database out from under the bot use (tests/postgres_server.py): it starts, takes its
password and only its password, restarts at the same address, stops, and leaves nothing
behind; `run` hands the command its address and stops the server whatever the command did.
Where PostgreSQL is not installed these skip, saying so (under CI they fail)."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests import postgres_server
from tests.postgres_fixtures import postgres_bin_or_skip
from tests.postgres_server import (
    EXIT_NO_SERVER,
    URL_VARIABLE,
    ClusterTemplate,
    PostgresServer,
    PostgresUnavailable,
    StopMode,
    find_bin_dir,
    folder_parent,
)

# Seconds of real time (processes, servers, timeouts): started first (tests/conftest.py).
pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parent.parent


def connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A connection with no password but the URL's (no PGPASSWORD, no ~/.pgpass)."""
    return psycopg.connect(url, connect_timeout=5, autocommit=True, passfile=os.devnull)


def with_password(url: str, password: str) -> str:
    """The same address with another password in it."""
    head, _, tail = url.partition("@")
    return f"{head.rsplit(':', 1)[0]}:{password}@{tail}"


def test_it_takes_its_password_over_tcp_and_refuses_a_wrong_one(
    private_postgres_module: PostgresServer, monkeypatch: pytest.MonkeyPatch
):
    server = private_postgres_module
    assert server.url.startswith("postgresql://postgres:")
    with connect(server.url) as db:
        assert db.execute("SELECT current_user, inet_server_port()").fetchone() == (
            "postgres",
            server.port,
        )
        # The seam's fixture makes a schema per test in the database the URL names.
        db.execute("CREATE SCHEMA a_test")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(with_password(server.url, "wrong"))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises(psycopg.OperationalError, match="no password supplied"):
        connect(with_password(server.url, ""))  # TCP is not trusted: it asks for one


def test_it_runs_with_the_fast_settings(private_postgres_module: PostgresServer):
    with connect(private_postgres_module.url) as db:
        settings = {
            name: db.execute(f"SHOW {name}").fetchone()
            for name in ("fsync", "synchronous_commit", "full_page_writes", "max_connections")
        }
    assert settings["fsync"] == settings["synchronous_commit"] == ("off",)
    assert settings["full_page_writes"] == ("off",)
    assert int(str(settings["max_connections"][0])) >= 200  # type: ignore[index]


def test_a_restart_drops_connections_and_keeps_the_data_and_address(
    private_postgres_module: PostgresServer,
):
    url = private_postgres_module.url
    before = connect(url)
    before.execute("CREATE TABLE kept (n int)")
    before.execute("INSERT INTO kept VALUES (7)")
    private_postgres_module.restart()
    with pytest.raises(psycopg.OperationalError):
        before.execute("SELECT 1")
    before.close()
    assert private_postgres_module.url == url
    with connect(url) as after:
        assert after.execute("SELECT n FROM kept").fetchall() == [(7,)]


def test_stopped_it_refuses_connections_and_started_again_it_serves(
    private_postgres_module: PostgresServer,
):
    """On the module's server, which it leaves running (a start of its own cost more than
    the test)."""
    server = private_postgres_module
    for mode in (StopMode.FAST, StopMode.IMMEDIATE):
        pid = server.pid
        assert server.running and pid
        server.stop(mode)
        assert not server.running and server.pid is None
        with pytest.raises(psycopg.OperationalError):
            connect(server.url)
        server.start()
        assert server.running and server.pid not in (None, pid)
        with connect(server.url) as db:
            assert db.execute("SELECT 1").fetchone() == (1,)


def test_closing_stops_it_and_removes_its_folder(postgres_template: ClusterTemplate):
    with PostgresServer(template=postgres_template, in_memory=True) as server:
        folder, url = server.folder, server.url
        assert (folder / "data" / "PG_VERSION").exists()
        assert (folder / f".s.PGSQL.{server.port}").is_socket()  # the socket is in the folder
        connect(url).close()
    assert not folder.exists()
    assert not server.running
    with pytest.raises(psycopg.OperationalError):
        connect(url)
    server.close()  # twice is harmless


def test_servers_copied_from_one_template_each_keep_their_own_data():
    """The private servers start from a copy of a cluster made once (not an initdb each):
    what one keeps is in neither the template nor another copy."""
    with ClusterTemplate(postgres_bin_or_skip(), in_memory=True) as template:
        data = template.data_dir
        before = sorted(p.relative_to(data) for p in data.rglob("*"))
        with (
            PostgresServer(template=template, in_memory=True) as one,
            PostgresServer(template=template, in_memory=True) as two,
        ):
            assert one.port != two.port and one.folder != two.folder
            assert one.password == two.password == template.password
            with connect(one.url) as db:
                db.execute("CREATE TABLE only_in_one (n int)")
            with connect(two.url) as db:
                assert db.execute("SELECT to_regclass('only_in_one')").fetchone() == (None,)
        assert sorted(p.relative_to(data) for p in data.rglob("*")) == before
    assert not data.exists()  # removed with the template


def test_a_port_taken_before_the_server_binds_it_is_given_up_for_another(
    monkeypatch: pytest.MonkeyPatch, postgres_template: ClusterTemplate
):
    """Parallel workers each pick a free port; another process may bind it first."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1], postgres_server.free_port()])
        monkeypatch.setattr(postgres_server, "free_port", lambda: next(ports))
        with (
            PostgresServer(template=postgres_template, in_memory=True) as server,
            connect(server.url) as db,
        ):
            assert server.port != taken.getsockname()[1]
            assert db.execute("SELECT 1").fetchone() == (1,)
            assert "already in use" not in server.log_file.read_text()  # a fresh log


def test_run_hands_the_command_the_address_and_returns_its_exit_code(tmp_path: Path):
    postgres_bin_or_skip()
    seen = tmp_path / "url"
    probe = (
        "import os, pathlib, sys, psycopg\n"
        f"url = os.environ[{URL_VARIABLE!r}]\n"
        f"pathlib.Path({str(seen)!r}).write_text(url)\n"
        "psycopg.connect(url, connect_timeout=5).close()\n"
        "sys.exit(5)\n"
    )
    done = run_helper("run", "--", sys.executable, "-c", probe)
    assert done.returncode == 5, done.stderr
    assert "ready on 127.0.0.1" in done.stderr and "stopped and removed" in done.stderr
    with pytest.raises(psycopg.OperationalError):  # stopped after the command
        connect(seen.read_text())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_run_interrupted_waits_for_the_command_then_stops_the_server(signum: signal.Signals):
    """Ctrl-C reaches the whole process group: the helper lets the command end, then stops
    the server. SIGTERM (a CI job cancelled) reaches the helper: it passes it on."""
    postgres_bin_or_skip()
    waits = (
        "import os, signal, sys\n"
        "for signum in (signal.SIGINT, signal.SIGTERM):\n"
        "    signal.signal(signum, lambda *_: sys.exit(42))\n"
        f"print(os.environ[{URL_VARIABLE!r}], flush=True)\n"
        "signal.pause()\n"
    )
    helper = subprocess.Popen(
        [sys.executable, "-m", "tests.postgres_server", "run", "--", sys.executable, "-c", waits],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal's job is
    )
    try:
        assert select.select([helper.stdout], [], [], 60)[0], "the command never started"
        assert helper.stdout is not None
        url = helper.stdout.readline().strip()
        connect(url).close()
        if signum == signal.SIGINT:
            os.killpg(helper.pid, signum)
        else:
            helper.send_signal(signum)
        _, said = helper.communicate(timeout=60)
    finally:
        if helper.poll() is None:
            helper.kill()
    assert helper.returncode == 42, said
    assert "stopped and removed" in said
    with pytest.raises(psycopg.OperationalError):
        connect(url)


def test_run_without_postgresql_says_so_in_one_line_and_never_runs_the_command(
    tmp_path: Path,
):
    ran = tmp_path / "ran"
    done = run_helper(
        "run", "--", "touch", str(ran), env={"CONFBOT_POSTGRES_BIN": str(tmp_path / "none")}
    )
    assert done.returncode == EXIT_NO_SERVER
    assert done.stderr.count("\n") == 1
    assert "could not start PostgreSQL" in done.stderr and "has no initdb" in done.stderr
    assert not ran.exists()


def test_a_server_asked_to_be_in_memory_is_there_only_where_memory_has_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The suite's servers (durability off) go to a tmpfs with room; a benchmark's (its
    durability back on, waiting for the disk) and a small /dev/shm's stay on the disk."""
    memory = tmp_path / "memory"
    memory.mkdir()
    memory.chmod(0o1777)  # as /dev/shm: anyone may write, only the owner remove
    monkeypatch.setattr(postgres_server, "MEMORY", memory)
    assert folder_parent(in_memory=True, as_root=True) == memory
    assert folder_parent(in_memory=False, as_root=True) == Path("/tmp")
    memory.chmod(0o755)  # the server's user could not write there
    assert folder_parent(in_memory=True, as_root=True) == Path("/tmp")
    memory.chmod(0o1777)
    monkeypatch.setattr(postgres_server, "MEMORY_ROOM", 1 << 62)  # more than it has free
    assert folder_parent(in_memory=True, as_root=True) == Path("/tmp")
    monkeypatch.setattr(postgres_server, "MEMORY", tmp_path / "none")
    assert folder_parent(in_memory=True, as_root=True) == Path("/tmp")


def test_the_newest_debian_version_is_picked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CONFBOT_POSTGRES_BIN", raising=False)
    for version in ("9.6", "16", "15", "17"):
        programs = ("initdb",) if version == "17" else ("initdb", "pg_ctl")  # 17 half there
        for name in programs:
            program = tmp_path / version / "bin" / name
            program.parent.mkdir(parents=True, exist_ok=True)
            program.write_text("#!/bin/sh\n")
            program.chmod(0o755)
    assert find_bin_dir(tmp_path) == tmp_path / "16" / "bin"


def test_no_postgresql_is_a_clear_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CONFBOT_POSTGRES_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PostgresUnavailable, match=r"no PostgreSQL found.*apt-get install"):
        find_bin_dir(tmp_path)


def run_helper(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.postgres_server", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
