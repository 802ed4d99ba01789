"""Test helpers that stand in for the outside world on loopback: an aiohttp app served on
127.0.0.1 (one that can go down and come back at the same address), and a state database
left at an older schema version."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from bot.store.state import MIGRATIONS


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """The app on a free loopback port, for the block: its base address."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _port_socket(port: int) -> socket.socket:
    """A loopback TCP socket bound to `port` (0: a free one), shareable (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class Switchable:
    """An app at one loopback address that can be taken down (a connection to it is
    refused, as to a host that is down) and brought back at the same address. The port
    stays the test's while it is down: a socket bound to it and never listening holds
    it, so no other program can take it, and connections find no listener."""

    def __init__(self, runner: web.AppRunner, held: socket.socket) -> None:
        self._runner = runner
        self._held = held
        self.port = held.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._site: web.SockSite | None = None

    async def up(self) -> None:
        if self._site is None:
            self._site = web.SockSite(self._runner, _port_socket(self.port))
            await self._site.start()

    async def down(self) -> None:
        if self._site is not None:
            site, self._site = self._site, None
            await site.stop()


@asynccontextmanager
async def switchable(app: web.Application) -> AsyncIterator[Switchable]:
    """The app served, up, at an address that stays its own for the block."""
    runner = web.AppRunner(app)
    await runner.setup()
    server = Switchable(runner, _port_socket(0))
    try:
        await server.up()
        yield server
    finally:
        await runner.cleanup()
        server._held.close()


def state_at_version(path: Path, version: int, *statements: str) -> None:
    """A state database as confbot left it at schema `version`, with rows added. Written
    without waiting for the disk (synchronous off, this connection only: the file is the
    same): each statement of the migrations commits on its own, and waiting for the disk
    at each made this cost most of a second."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA synchronous = OFF")
        db.executescript("\n".join(MIGRATIONS[:version]) + f"\nPRAGMA user_version = {version};")
        for statement in statements:
            db.execute(statement)
