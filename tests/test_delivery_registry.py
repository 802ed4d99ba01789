"""The delivery engine's registry: each kind in KINDS supplies every part the scheduler
drives (plan, still-wanted rule, message, what to switch off), from its own module."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from bot.delivery import registry
from bot.delivery.kind import Kind, Planning
from bot.kinds import DeliveryKind
from bot.service import ProgramService
from bot.store.ledger_store import Planned, Wanted
from bot.store.state import StateStore

PARTS = ("plan", "message", "gone", "unreachable")


@pytest.mark.parametrize("kind", registry.KINDS, ids=lambda k: str(k.kind))
def test_each_kind_supplies_every_part_from_its_own_module(kind: Kind):
    assert isinstance(kind.kind, DeliveryKind)
    assert isinstance(kind.wanted, Wanted)
    assert not inspect.isabstract(type(kind))
    for part in PARTS:
        method = getattr(type(kind), part)  # its own, or a shared one (ChannelKind...)
        assert method.__module__.startswith("bot.delivery."), (kind.kind, part)
        assert method is not getattr(Kind, part)
        assert not getattr(method, "__isabstractmethod__", False), (kind.kind, part)
    assert registry.kind_for(kind.kind) is kind


def test_every_delivery_kind_has_its_module():
    assert {k.kind for k in registry.KINDS} == set(DeliveryKind)
    for kind in DeliveryKind:
        assert registry.kind_for(kind).kind is kind


def test_no_kind_is_listed_twice():
    kinds = [k.kind for k in registry.KINDS]
    assert len(kinds) == len(set(kinds))


@pytest.mark.parametrize("wanted", list(Wanted))
async def test_every_still_wanted_rule_is_sql_the_claim_runs(wanted: Wanted, tmp_path: Path):
    """With nothing asking for it (no reminder, no channel, no thread), only ALWAYS lets
    a delivery be claimed; every other rule refuses it, and it is cancelled."""
    async with await StateStore.open(tmp_path / "state.db") as state:
        await state.ledger.sync_plan("c", [Planned(DeliveryKind.NOTICE, 1, "sync:1", 1, 0)], 0)
        (delivery,) = await state.ledger.due("c", 0)
        claimed = await state.ledger.claim(delivery.id, 1, wanted, "a process", 61)
        assert claimed is (wanted is Wanted.ALWAYS)
        (after,) = await state.ledger.deliveries()
        assert after.state == ("sending" if wanted is Wanted.ALWAYS else "cancelled")


async def test_a_reading_several_kinds_plan_from_is_made_once_per_replan(
    service: ProgramService, tmp_path: Path
):
    calls: list[str] = []

    async def reading(planning: Planning) -> str:
        calls.append(planning.conference)
        return "read"

    async with await StateStore.open(tmp_path / "state.db") as state:
        planning = Planning(service, state, 0)
        assert [await planning.read(reading), await planning.read(reading)] == ["read"] * 2
        assert await Planning(service, state, 0).read(reading) == "read"  # the next re-plan
    assert calls == [service.conference.key] * 2
