"""A PostgreSQL state the bot cannot use stops `python -m bot run` at start, through
discord.py and the fake Discord: exit 2, one sentence naming the setting, the address
(its password as ***) and what to fix, no traceback, and within a bounded time however
the server fails to answer: a closed port, a host name that does not resolve, a resolver
that never answers, a host that accepts and says nothing, an unknown database, a server
that takes no more clients (for the state's connection, or for the coordination's one
just after it)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.store.postgres_address import password_of, redacted
from tests.conftest import ROOT
from tests.e2e.conftest import process_env
from tests.e2e.test_faults_e2e import spawn_bot
from tests.e2e.test_lifecycle_e2e import _can_mount
from tests.fakediscord.server import FakeDiscord
from tests.postgres_fixtures import postgres_fixture
from tests.postgres_server import PostgresServer

# Seconds of real time (processes, servers, timeouts): started first (tests/conftest.py).
pytestmark = pytest.mark.long

PASSWORD = "pw-never-shown-7"
# A server allowing this many clients (the fewest PostgreSQL takes with its 3 reserved).
FEW_CLIENTS = 5

private_postgres = postgres_fixture("module")


def _url(host: str, port: int, *options: str) -> str:
    query = f"?{'&'.join(options)}" if options else ""
    return f"postgresql://confbot:{PASSWORD}@{host}:{port}/state{query}"


def _closed_port() -> int:
    """A loopback port nothing listens on: taken, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _refused(
    process: asyncio.subprocess.Process, within: float, password: str | None = PASSWORD
) -> tuple[str, float]:
    """The one `confbot:` line of a start that must fail, and how long it took; exit 2,
    no traceback, no password."""
    began = time.monotonic()
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the start did not stop within {within} s") from None
    took = time.monotonic() - began
    text = stderr.decode()
    assert process.returncode == 2, text[-2000:]
    assert "Traceback" not in text, text[-2000:]
    assert password is None or password not in text
    (line,) = [line for line in text.splitlines() if line.startswith("confbot:")]
    return line, took


async def _start(fake: FakeDiscord, tmp_path: Path, url: str) -> str:
    line, _ = await _refused(await spawn_bot(fake, tmp_path, CONFBOT_STATE_URL=url), 30,
                             password_of(url))  # fmt: skip
    return line


def _said(url: str, reason: str) -> str:
    return f"confbot: CONFBOT_STATE_URL={redacted(url)}: {reason}."


async def test_a_closed_port_is_named_with_what_to_do(fake: FakeDiscord, tmp_path: Path):
    port = _closed_port()
    url = _url("127.0.0.1", port)
    assert await _start(fake, tmp_path, url) == _said(
        url, f"nothing answers at 127.0.0.1 port {port} (Connection refused); start the server"
        " there, or correct the address"
    )  # fmt: skip


async def test_a_host_name_that_does_not_resolve_is_named(fake: FakeDiscord, tmp_path: Path):
    url = _url("confbot-state.invalid", 5432)  # .invalid never resolves (RFC 2606)
    assert await _start(fake, tmp_path, url) == _said(
        url, "the host confbot-state.invalid is not known (its name does not resolve)"
    )


@contextlib.contextmanager
def _silent_listener() -> Iterator[int]:
    """A port that accepts connections and never says a word (a host whose PostgreSQL
    hangs, or a firewall that swallows the handshake): its number."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


async def test_a_host_that_never_answers_stops_the_start_at_the_connect_timeout(
    fake: FakeDiscord, tmp_path: Path
):
    with _silent_listener() as port:
        url = _url("127.0.0.1", port, "connect_timeout=2")
        line, took = await _refused(await spawn_bot(fake, tmp_path, CONFBOT_STATE_URL=url), 30)
    assert line == _said(
        url, f"nothing answered at 127.0.0.1 port {port} within 2 seconds (the address's"
        " connect_timeout); check the host and the network to it"
    )  # fmt: skip
    assert took < 15  # the bot's own start and Discord's login, then two seconds


class _SilentResolver(asyncio.DatagramProtocol):
    """A DNS server that takes every question and answers none."""


@pytest.mark.skipif(not _can_mount(), reason="needs root and unshare to give the bot a resolver")
async def test_a_resolver_that_never_answers_is_bounded_by_the_connect_timeout(
    fake: FakeDiscord, tmp_path: Path
):
    """The bot's /etc/resolv.conf (in a mount namespace of its own) names a resolver that
    never answers, tried 3 times for 5 s: half a minute or more before the system gives
    up on the name, unless the connect timeout bounds the resolving too."""
    loop = asyncio.get_running_loop()
    silent, _ = await loop.create_datagram_endpoint(_SilentResolver,
                                                    local_addr=("127.0.0.153", 53))  # fmt: skip
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.153\noptions timeout:5 attempts:3\n")
    url = _url("state.db.example.org", 5432, "connect_timeout=2")
    env = process_env(fake, tmp_path, CONFBOT_STATE_URL=url)
    try:
        process = await asyncio.create_subprocess_exec(
            "unshare", "-m", "sh", "-c", f'mount --bind {resolv} /etc/resolv.conf && exec "$@"',
            "sh", sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        line, took = await _refused(process, 60)
    finally:
        silent.close()
    assert line == _said(
        url, "nothing answered at state.db.example.org port 5432 within 2 seconds (the"
        " address's connect_timeout); check the host and the network to it"
    )  # fmt: skip
    assert took < 15


async def test_an_unknown_database_is_named(
    fake: FakeDiscord, tmp_path: Path, private_postgres: PostgresServer
):
    url = f"{private_postgres.url.rpartition('/')[0]}/no_such_state_db"
    process = await spawn_bot(fake, tmp_path, CONFBOT_STATE_URL=url)
    line, _ = await _refused(process, 30, password_of(url))
    assert line == _said(url, "the server has no database no_such_state_db; create it first")


@contextlib.contextmanager
def _every_client_slot_taken(server: PostgresServer, leave: int = 0) -> Iterator[None]:
    """The server's connections all taken (by this test's), but `leave` of them."""
    held: list[psycopg.Connection[tuple[object, ...]]] = []
    refused = ""
    try:
        while not refused:
            try:
                held.append(psycopg.connect(server.url, autocommit=True, connect_timeout=5))
            except psycopg.OperationalError as exc:
                refused = str(exc)
        assert "too many clients" in refused, refused
        for conn in held[:leave]:
            conn.close()
        yield
    finally:
        for conn in held:
            conn.close()


@pytest.fixture(scope="module")
def crowded(private_postgres: PostgresServer) -> PostgresServer:
    """The module's private server, allowing FEW_CLIENTS connections (a restart)."""
    with psycopg.connect(private_postgres.url, autocommit=True) as admin:
        admin.execute(f"ALTER SYSTEM SET max_connections = {FEW_CLIENTS}")
    private_postgres.restart()
    return private_postgres


async def test_a_server_that_takes_no_more_clients_is_named_as_such(
    fake: FakeDiscord, tmp_path: Path, crowded: PostgresServer
):
    url = crowded.url
    with _every_client_slot_taken(crowded):
        line = await _start(fake, tmp_path, url)
    assert line == _said(
        url, f"the server at 127.0.0.1 port {crowded.port} takes no more connections (sorry,"
        " too many clients already); close some of its other clients, or raise its"
        " max_connections"
    )  # fmt: skip
    assert crowded.password not in line


async def test_a_server_with_room_for_the_state_alone_is_named_at_the_coordination(
    fake: FakeDiscord, tmp_path: Path, crowded: PostgresServer
):
    """The state's connection is made, and migrated; the coordination's, the second of
    the process, is refused: one sentence still, and the state closed."""
    url = crowded.url
    with _every_client_slot_taken(crowded, leave=1):
        line = await _start(fake, tmp_path, url)
    assert line == (
        "confbot: CONFBOT_STATE_URL: the PostgreSQL database cannot be reached: the server at"
        f" 127.0.0.1 port {crowded.port} takes no more connections (sorry, too many clients"
        " already); close some of its other clients, or raise its max_connections."
    )
