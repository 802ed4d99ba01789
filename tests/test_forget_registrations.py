"""`python -m bot forget-registrations CONFERENCE`: after the event, a conference's ticket
registrations are deleted (the others' kept); a conference with none is one sentence."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import cli
from bot.store.state import StateStore
from bot.store.tickets_store import RefundProgress


async def _registered(path: Path) -> None:
    async with await StateStore.open(path) as state:
        for conference, member in (("dc25", 1), ("dc25", 2), ("other", 3)):
            await state.tickets.claim(conference, 900, member, [(f"h{member}", [100])], 0)
        await state.tickets.record_refunds("dc25", [], RefundProgress("2025-01-01T00:00:00Z"), 0)


async def _left(path: Path) -> list[tuple[str, int]]:
    async with await StateStore.open(path) as state:
        kept = await state.tickets.registrations()
        assert await state.tickets.refund_progress("dc25") is None
        return [(r.conference, r.member_id) for r in kept]


def test_a_conferences_registrations_are_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "state.db"
    asyncio.run(_registered(path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONFBOT_STATE_DB", str(path))
    assert cli.main(["forget-registrations", "dc25"]) == 0
    assert capsys.readouterr().out == (
        "Forgot 2 ticket registration(s) of dc25; the roles given stay.\n"
    )
    assert asyncio.run(_left(path)) == [("other", 3)]
    assert cli.main(["forget-registrations", "dc25"]) == cli.USAGE_ERROR
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        "confbot: no registrations of 'dc25' are kept (conferences with registrations: other)."
    )
