"""The tickets cog when what it asks fails: a state database out of reach while a role is
deleted or a server becomes available, and an autocomplete's fetch that fails after its
answer was due. Each is one line at most, never a traceback (the guide)."""

from __future__ import annotations

import asyncio
import gc
import logging
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.adapters.discord import tickets_cog
from bot.adapters.discord.tickets_cog import TicketsCog
from bot.store.connection import StateUnreachable


class _Tickets:
    """A ticket service whose state database is out of reach."""

    sources = ("osdi24",)

    async def roles_deleted(self, guild_id: int, role_ids: list[int]) -> list[Any]:
        raise StateUnreachable("state", "connection refused")

    async def roles_missing(self, guild_id: int, role_ids: list[int]) -> list[Any]:
        raise StateUnreachable("state", "connection refused")


def _cog(tickets: object) -> TicketsCog:
    clock = SimpleNamespace(now=lambda: None)
    return TicketsCog(cast(Any, None), cast(Any, clock), cast(Any, tickets), cast(Any, None))


async def test_a_role_deleted_or_a_server_available_during_an_outage_is_no_traceback():
    """Raised out of a listener, discord.py's on_error logs a full traceback at every
    role deleted and every server available while the state is out of reach."""
    cog = _cog(_Tickets())
    guild = SimpleNamespace(id=1, roles=[], name="s")
    role = SimpleNamespace(id=2, name="r", guild=guild)
    await cog.on_guild_role_delete(cast(Any, role))
    await cog.on_guild_available(cast(Any, guild))


async def test_an_autocomplete_fetch_failing_late_is_taken_and_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    late = asyncio.Event()

    class Slow:
        async def choices(self, conference: str, now: object, typed: str = "") -> list[Any]:
            await late.wait()
            raise RuntimeError("pretix answered nonsense")

    monkeypatch.setattr(tickets_cog, "AUTOCOMPLETE_WAIT", 0)
    monkeypatch.setattr(tickets_cog, "picked_for_autocomplete",
                        lambda conferences, interaction: SimpleNamespace(key="osdi24"))  # fmt: skip
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        cog = _cog(Slow())
        assert await cog.item_autocomplete(cast(Any, None), "t") == []
        (fetch,) = cog._fetching
        late.set()
        await asyncio.wait([fetch])
        await asyncio.sleep(0)  # the done callbacks run
        del fetch
        gc.collect()  # a task whose failure no one took reports it as it is collected
    finally:
        loop.set_exception_handler(None)
    assert not reported
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1 and "pretix answered nonsense" in said[0].getMessage()
    assert said[0].exc_info is None
