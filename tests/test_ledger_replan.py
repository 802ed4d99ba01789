"""A re-plan writes only what differs (LedgerStore.sync_plan): every pass of every process
makes the plan again, and it almost always matches the ledger, so a pass with nothing
changed writes no row at all; a moved talk rewrites its own rows and no other.

Rows written are told by `updated_ts` (a write sets it to the pass's time), and on
PostgreSQL also by each row's `xmin` (the transaction that wrote its current version: an
update that set the same values would change it too) and by the ids' identity sequence
(an INSERT ... ON CONFLICT draws an id even when it inserts nothing).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from benchmarks.replan import UpsertEverything
from bot.cluster import Slice
from bot.kinds import DeliveryKind, DeliveryState
from bot.store.dialect import Dialect
from bot.store.ledger_store import (
    Delivery,
    Kept,
    Planned,
    Scope,
    Wanted,
    key_of,
    plan_changes,
)
from bot.store.state import StateStore
from tests.state_backends import StateBackend, run

CONFERENCE = "fosdem"
SERVERS = {11 << 22: 901, 12 << 22: 902, 13 << 22: 903}  # guild: its room channel
TALKS = 6
START = 100_000
FIRST, LATER = 1_000, 2_000  # the first pass's time, and a later pass's


def talk_start(n: int) -> int:
    return START + 3_600 * n


def conference_plan(moved: int | None = None, by: int = 0) -> list[Planned]:
    """A line in each server's room channel as each talk starts, and two people's
    reminders of each talk ten minutes before; talk `moved` starts `by` seconds later."""
    planned = []
    for n in range(TALKS):
        start = talk_start(n) + (by if n == moved else 0)
        for guild, channel in SERVERS.items():
            planned.append(Planned(DeliveryKind.ROOM, guild, f"p:{n}", channel, start))
        for person in (1, 2):
            reminder = 10 * n + person
            planned.append(
                Planned(DeliveryKind.REMINDER, reminder, f"p:{n}", 500 + person, start - 600, 1)
            )
    return planned


@pytest.fixture
async def state(state_backend: StateBackend) -> AsyncIterator[StateStore]:
    opened = await state_backend.open()
    try:
        yield opened
    finally:
        await opened.close()


async def ledger(state: StateStore) -> dict[int, Delivery]:
    return {d.id: d for d in await state.ledger.deliveries(conference=CONFERENCE)}


async def a_day_under_way(state: StateStore) -> dict[int, Delivery]:
    """The plan synced, then what a conference day leaves: the first talk's lines sent
    (history the plan still has), a reminder being sent, a reminder /forget took back
    (cancelled, no longer planned) and a row another process holds under its lease."""
    extra = Planned(DeliveryKind.REMINDER, 999, "p:0", 599, START - 600, 1)
    await state.ledger.sync_plan(CONFERENCE, [*conference_plan(), extra], FIRST)
    await state.ledger.sync_plan(CONFERENCE, conference_plan(), FIRST)  # cancels `extra`
    rows = list((await ledger(state)).values())
    first_lines = [d for d in rows if d.kind is DeliveryKind.ROOM and d.item_ref == "p:0"]
    for d in first_lines:
        assert await state.ledger.claim(d.id, FIRST, Wanted.ALWAYS, "me", FIRST + 60)
        await state.ledger.settle(d.id, DeliveryState.SENDING, DeliveryState.SENT, FIRST)
    (sending,) = [d for d in rows if d.kind is DeliveryKind.REMINDER and d.owner == 11]
    assert await state.ledger.claim(sending.id, FIRST, Wanted.ALWAYS, "me", FIRST + 60)
    await state.ledger.reserve(CONFERENCE, Scope(), "other", START, FIRST, FIRST + 60, 1)
    after = await ledger(state)
    states = [d.state for d in after.values()]
    assert states.count(DeliveryState.SENT) == len(SERVERS)
    assert states.count(DeliveryState.SENDING) == states.count(DeliveryState.CANCELLED) == 1
    return after


def versions(backend: StateBackend) -> dict[int, object]:
    """On PostgreSQL, each row's current version (its xmin); nothing on SQLite."""
    if backend.dialect is not Dialect.POSTGRES:
        return {}
    return {int(str(i)): xmin for i, xmin in run(backend, "SELECT id, xmin FROM deliveries")}


def ids_drawn(backend: StateBackend) -> object:
    """On PostgreSQL, the last id the deliveries' identity sequence gave; None on SQLite."""
    if backend.dialect is not Dialect.POSTGRES:
        return None
    ((last,),) = run(
        backend, "SELECT pg_sequence_last_value(pg_get_serial_sequence('deliveries', 'id'))"
    )
    return last


async def test_a_replan_with_nothing_changed_writes_no_row(
    state: StateStore, state_backend: StateBackend
):
    before = await a_day_under_way(state)
    xmins, drawn = versions(state_backend), ids_drawn(state_backend)
    await state.ledger.sync_plan(CONFERENCE, conference_plan(), LATER)
    assert await ledger(state) == before  # updated_ts too: no row was written
    assert versions(state_backend) == xmins
    assert ids_drawn(state_backend) == drawn


async def test_a_moved_talk_rewrites_exactly_its_own_rows(
    state: StateStore, state_backend: StateBackend
):
    before = await a_day_under_way(state)
    xmins = versions(state_backend)
    await state.ledger.sync_plan(CONFERENCE, conference_plan(moved=3, by=900), LATER)
    after = await ledger(state)
    changed = {i for i, d in after.items() if d != before[i]}
    its_own = {i for i, d in before.items() if d.item_ref == "p:3"}
    assert changed == its_own and len(its_own) == len(SERVERS) + 2
    for i in its_own:
        assert after[i] == replace(before[i], due_ts=before[i].due_ts + 900, updated_ts=LATER)
    if xmins:  # PostgreSQL: no other row has a new version either
        now = versions(state_backend)
        assert {i for i in now if now[i] != xmins[i]} == its_own


async def test_a_replan_writes_what_changed_as_before(state: StateStore):
    """Cancelled and planned again: pending again, as planned now. No longer planned:
    cancelled. New: added. History and a row being sent stay as they are, planned at
    another time or not at all."""
    before = await a_day_under_way(state)
    by_state = {d.state: d for d in before.values()}
    forgotten, sending = by_state[DeliveryState.CANCELLED], by_state[DeliveryState.SENDING]
    again = Planned(DeliveryKind.REMINDER, 999, "p:0", 599, START - 300, 1)
    new = Planned(DeliveryKind.REMINDER, 1_000, "p:5", 599, talk_start(5) - 600, 1)
    planned = [p for p in conference_plan(moved=0, by=60) if p.owner not in (21, 22)]
    await state.ledger.sync_plan(CONFERENCE, [*planned, again, new], LATER)
    after = await ledger(state)
    assert after[forgotten.id] == replace(
        forgotten, state=DeliveryState.PENDING, due_ts=START - 300, updated_ts=LATER
    )
    dropped = [d for d in before.values() if d.owner in (21, 22)]
    assert [after[d.id].state for d in dropped] == [DeliveryState.CANCELLED] * 2
    sent = [d for d in before.values() if d.state is DeliveryState.SENT]
    assert [after[d.id] for d in sent] == sent  # the first talk moved: its lines are history
    assert after[sending.id] == sending
    (added,) = [d for i, d in after.items() if i not in before]
    assert (added.owner, added.state, added.updated_ts) == (1_000, DeliveryState.PENDING, LATER)


async def test_a_row_claimed_after_the_read_is_neither_cancelled_nor_moved(
    state: StateStore, state_backend: StateBackend, monkeypatch: pytest.MonkeyPatch
):
    """Another process claims two pending rows between the re-plan's read and its
    writes: the one the plan dropped is not cancelled, the one it moved is not moved."""
    before = await a_day_under_way(state)
    dropped, moved = (d for d in before.values() if d.owner in (41, 51))
    read = state.ledger._scope_rows

    async def read_then_claimed_elsewhere(conference: str, scope: Scope) -> list[Kept]:
        rows = await read(conference, scope)
        run(state_backend, "UPDATE deliveries SET state = 'sending', claimed_by = 'other'"
            f" WHERE id IN ({dropped.id}, {moved.id})")  # fmt: skip
        return rows

    monkeypatch.setattr(state.ledger, "_scope_rows", read_then_claimed_elsewhere)
    planned = [p for p in conference_plan(moved=5, by=60) if p.owner != 41]
    await state.ledger.sync_plan(CONFERENCE, planned, LATER)
    after = await ledger(state)
    assert after[dropped.id] == replace(dropped, state=DeliveryState.SENDING)
    assert after[moved.id] == replace(moved, state=DeliveryState.SENDING)


def test_the_comparison_keeps_the_last_of_a_row_planned_twice():
    """As writing each in turn left it: the last plan of a key stands."""
    first = Planned(DeliveryKind.NOTICE, 1, "sync:1", 1, 100)
    last = replace(first, due_ts=200)
    kept = [Kept(7, ("notice", 1, "sync:1", 0), 1, 200, DeliveryState.PENDING)]
    changes = plan_changes(kept, [first, last], Scope())
    assert (changes.new, changes.moved, changes.stale) == ([], [], [])
    changes = plan_changes([], [first, last], Scope())
    assert changes.new == [last]


async def test_the_ledger_ends_as_the_old_way_left_it_over_a_run_of_plans(state: StateStore):
    """The way the benchmark measures against (every planned row upserted) and sync_plan,
    each on a conference of its own, given the same plans in turn (talks moved, dropped,
    planned again, sent meanwhile, planned by a process holding one shard of two and
    people's rows or not): the same rows, due at the same times, in the same states (only
    when each was last written differs: the old way wrote every pending row)."""
    old = UpsertEverything(state.ledger._shared)
    servers = frozenset({DeliveryKind.ROOM})
    scopes = [Scope(), Scope(servers, Slice(2, frozenset({1}))),
              Scope(servers, Slice(2, frozenset({0})), people=False)]  # fmt: skip
    pick = random.Random(7)
    for step in range(12):
        whole = conference_plan(moved=pick.randrange(TALKS), by=pick.choice((60, -60, 0)))
        planned = [p for p in whole if pick.random() < 0.8]
        scope = pick.choice(scopes)
        await old.sync_plan("old", planned, FIRST + step, scope)
        await state.ledger.sync_plan("new", planned, FIRST + step, scope)
        sent = pick.sample(sorted(key_of(p) for p in planned), 2)
        for conference in ("old", "new"):
            for d in await state.ledger.deliveries(conference=conference, state="pending"):
                if (d.kind, d.owner, d.item_ref, d.arming) in sent:
                    assert await state.ledger.claim(d.id, 0, Wanted.ALWAYS, "me", 60)
                    await state.ledger.settle(d.id, DeliveryState.SENDING, DeliveryState.SENT, 0)
        assert await rows_of(state, "new") == await rows_of(state, "old")


async def rows_of(state: StateStore, conference: str) -> list[tuple[object, ...]]:
    """A conference's rows, but for their ids and when they were last written."""
    rows = [(d.kind, d.owner, d.item_ref, d.arming, d.target, d.due_ts, d.state)
            for d in await state.ledger.deliveries(conference=conference)]  # fmt: skip
    return sorted(rows)
