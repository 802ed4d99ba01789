"""What a process knows of a delivery whose record the state refused (its server out of
reach), written once it answers, even when another process's recovery has marked the row
lost meanwhile (its lease ended during the outage): a message that went out is recorded
sent, a claim no send followed is due again, and a row another process holds now is
left alone. Over both backends (the state refusing is simulated: the outage itself is
tests/e2e/test_state_outage_e2e.py's)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.kinds import DeliveryKind, DeliveryState
from bot.service import ProgramService
from bot.store.connection import WriteFailed, WriteFailure
from bot.store.ledger_store import Planned, Wanted
from bot.store.state import StateStore
from tests.reminder_helpers import RecordingSender
from tests.test_ledger_leases import NOW, drain, process, wait_until

USER = 1001
LATER = timedelta(minutes=5)  # past every lease (60 s)


def _refused() -> WriteFailed:
    return WriteFailed("the state", WriteFailure.UNREACHABLE, "server closed the connection")


async def _one_reminder(state: StateStore, service: ProgramService) -> None:
    """A reminder due a minute before NOW, of a talk later that day (LuoSharding)."""
    talk = service.remindable("p:luo")
    assert talk is not None
    minutes = int((talk.slot.start - NOW).total_seconds() // 60) + 1
    await state.reminders.add("osdi24", USER, None, "p:luo", minutes, int(NOW.timestamp()) - 600)


async def _only(state: StateStore) -> Any:
    (delivery,) = await state.ledger.deliveries(conference="osdi24")
    return delivery


def _refusing_once(monkeypatch: pytest.MonkeyPatch, state: StateStore, method: str,
                   when: Callable[..., bool], after: bool) -> None:  # fmt: skip
    """The ledger's `method` refused once, where `when(*args)` says: before it runs, or
    `after` it ran (its commit kept, its answer lost)."""
    real = getattr(state.ledger, method)
    done: list[bool] = []

    async def refusing(*args: Any, **kwargs: Any) -> Any:
        if done or not when(*args):
            return await real(*args, **kwargs)
        done.append(True)
        if after:
            await real(*args, **kwargs)
        raise _refused()

    monkeypatch.setattr(state.ledger, method, refusing)


async def _after_another_recovers(
    state: StateStore, service: ProgramService, clock: FixedClock
) -> None:
    """The outage outlasts the lease; another process recovers first: the row it finds
    'sending' under an ended lease it marks lost, as it must, not knowing more."""
    clock.at = NOW + LATER
    other = process(state, service, clock, RecordingSender(), "host:2:b", [0, 1], people=True)
    (lost,) = await other.recover(starting=False)
    assert lost.state == DeliveryState.LOST


async def test_a_message_that_went_out_marked_lost_meanwhile_is_recorded_sent(
    shared_state: StateStore, service: ProgramService, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    clock, sender = FixedClock(NOW), RecordingSender()
    one = process(shared_state, service, clock, sender, "host:1:a", [0, 1], people=True)
    await _one_reminder(shared_state, service)
    await one.replan()
    _refusing_once(monkeypatch, shared_state, "settle", lambda *a: a[2] == "sent", after=False)
    with pytest.raises(WriteFailed):
        await drain(one)
    assert len(sender.dms) == 1
    await _after_another_recovers(shared_state, service, clock)
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        await one.start()
        await wait_until(lambda: one.passes_done > 0, "a pass")
        await one.stop()
    delivery = await _only(shared_state)
    assert delivery.state == DeliveryState.SENT and len(sender.dms) == 1
    assert [r.getMessage() for r in caplog.records if "recorded as sent now" in r.getMessage()] == [
        f"delivery {delivery.id} went out, and was marked lost while the state database was out"
        " of reach; recorded as sent now"
    ]  # fmt: skip


async def test_a_claim_no_send_followed_marked_lost_meanwhile_is_sent_once(
    shared_state: StateStore, service: ProgramService, monkeypatch: pytest.MonkeyPatch
):
    clock, sender = FixedClock(NOW), RecordingSender()
    one = process(shared_state, service, clock, sender, "host:1:a", [0, 1], people=True)
    await _one_reminder(shared_state, service)
    await one.replan()
    _refusing_once(monkeypatch, shared_state, "claim", lambda *a: True, after=True)
    with pytest.raises(WriteFailed):
        await drain(one)
    assert sender.dms == [] and (await _only(shared_state)).state == DeliveryState.SENDING
    await _after_another_recovers(shared_state, service, clock)
    await one.start()
    await wait_until(lambda: one.passes_done > 0, "a pass")
    await one.stop()
    assert (await _only(shared_state)).state == DeliveryState.SENT
    assert [user for user, _ in sender.dms] == [USER]


async def test_a_claim_is_taken_back_only_where_it_took_effect_and_is_still_its_own(
    shared_state: StateStore,
):
    ledger, now = shared_state.ledger, int(NOW.timestamp())
    planned = [Planned(DeliveryKind.NOTICE, USER, f"sync:{n}", USER, now - 60) for n in range(3)]
    await ledger.sync_plan("osdi24", planned, now - 600)
    mine, never, theirs = await ledger.deliveries(conference="osdi24")
    for delivery, holder in ((mine, "host:1:a"), (theirs, "host:2:b")):
        assert await ledger.claim(delivery.id, now, Wanted.ALWAYS, holder, now + 60)
    assert await ledger.unclaim(mine.id, "host:1:a", now, "not sent")  # took effect: back
    assert not await ledger.unclaim(never.id, "host:1:a", now, "not sent")  # never did
    assert not await ledger.unclaim(theirs.id, "host:1:a", now, "not sent")  # another's
    states = {d.id: d.state for d in await ledger.deliveries(conference="osdi24")}
    assert states == {mine.id: DeliveryState.PENDING, never.id: DeliveryState.PENDING,
                      theirs.id: DeliveryState.SENDING}  # fmt: skip
