"""Several conferences share one state database, each with its own scheduler: the ledger
keeps their deliveries apart (state migration 7)."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FixedClock
from bot.importer.registry import read_source
from bot.kinds import DeliveryKind
from bot.service import ProgramService
from bot.store.ledger_store import Planned
from tests.conftest import pacific
from tests.reminder_helpers import make_rig
from tests.state_backends import StateBackend, state_at_version

FRAB = Path(__file__).parent / "fixtures" / "programs" / "frab-v1.json"
USER, NOMAD = 1001, "p:xiang"
KEPT_AT_6 = (
    "INSERT INTO deliveries (kind, owner, item_ref, target, due_ts, updated_ts)"
    " VALUES ('talk', 77, 'p:xiang', 88, 1000, 0)"
)


async def test_one_conferences_plan_leaves_anothers_deliveries_alone(
    service: ProgramService, state_backend: StateBackend
):
    clock = FixedClock(pacific("2024-07-10T10:50"))
    osdi = await make_rig(service, await state_backend.open(), clock)
    other = await make_rig(ProgramService(read_source(FRAB).program), osdi.state, clock)
    try:
        await osdi.remind(USER, NOMAD, minutes=10)
        await other.scheduler.replan()  # its plan has no reminders at all
        (pending,) = await osdi.state.ledger.deliveries(state="pending")
        assert pending.item_ref == NOMAD
        assert await other.at(pacific("2024-07-10T10:55")) == 0  # not its delivery to send
        assert await osdi.at(pacific("2024-07-10T10:55")) == 1
        assert [user for user, _ in osdi.sender.dms] == [USER] and other.sender.dms == []
    finally:
        await osdi.state.close()


async def test_the_same_item_in_two_conferences_is_two_deliveries(state_backend: StateBackend):
    state = await state_backend.open()
    try:
        post = Planned(DeliveryKind.TALK, 77, "p:123", 88, 1_000)
        await state.ledger.sync_plan("congress", [post], 0)
        await state.ledger.sync_plan("camp", [post], 0)
        assert len(await state.ledger.deliveries(state="pending")) == 2
        await state.ledger.sync_plan("camp", [], 0)  # camp drops it; congress keeps its own
        assert [d.item_ref for d in await state.ledger.deliveries(state="pending")] == ["p:123"]
        assert await state.ledger.next_due_ts("congress") == 1_000
        assert await state.ledger.next_due_ts("camp") is None
    finally:
        await state.close()


async def test_deliveries_kept_before_migration_7_go_to_the_conference_served(
    state_backend: StateBackend,
):
    state_at_version(state_backend, 6, KEPT_AT_6)
    state = await state_backend.open()
    try:
        assert await state.ledger.due("osdi24", 2_000) == []  # not anyone's until adopted
        await state.ledger.adopt("osdi24")
        (kept,) = await state.ledger.due("osdi24", 2_000)
        assert (kept.kind, kept.item_ref, kept.due_ts) == ("talk", "p:xiang", 1_000)
    finally:
        await state.close()


async def test_deliveries_planned_after_a_migration_that_copied_the_ledger_get_new_ids(
    state_backend: StateBackend,
):
    # Migrations 7, 10 and 12 rebuilt the ledger, copying rows with their ids; on
    # PostgreSQL the new table's id sequence then started at 1 again, under those ids.
    state_at_version(state_backend, 6, KEPT_AT_6)
    state = await state_backend.open()
    try:
        await state.ledger.adopt("osdi24")
        planned = [Planned(DeliveryKind.TALK, 77, ref, 88, 1_000) for ref in ("p:lazarev", NOMAD)]
        await state.ledger.sync_plan("osdi24", planned, 0)
        ids = [d.id for d in await state.ledger.deliveries(state="pending")]
        assert len(ids) == len(set(ids)) == 2
    finally:
        await state.close()
