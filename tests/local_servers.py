"""Test helpers that stand in for the outside world on loopback: an aiohttp app served on
127.0.0.1, and a state database left at an older schema version."""

from __future__ import annotations

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


def state_at_version(path: Path, version: int, *statements: str) -> None:
    """A state database as confbot left it at schema `version`, with rows added."""
    with sqlite3.connect(path) as db:
        db.executescript("\n".join(MIGRATIONS[:version]) + f"\nPRAGMA user_version = {version};")
        for statement in statements:
            db.execute(statement)
