"""Refunds: the check reads the orders changed since the last check, page by page, and
marks the registrations of cancelled or refunded tickets; the refund delivery removes
their roles and tells the member, exactly once, across restarts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.delivery.kind import RolesRemoved, TargetGone, TryLater, Unreachable
from bot.delivery.scheduler import Scheduler
from bot.kinds import DeliveryKind, DeliveryState, RegistrationState
from bot.render.cards import Card
from bot.service import ProgramService
from bot.service.refunds import OVERLAP, SLACK, RefundCheck, moment
from bot.service.ticket_results import Granted
from bot.store.state import StateStore
from bot.tickets.client import PretixClient
from tests import fakepretix
from tests.fakepretix import Fault
from tests.reminder_helpers import RecordingSender
from tests.ticket_rig import (
    ATTENDEE,
    CONFERENCE,
    GUILD,
    NOW,
    STUDENT,
    WORKSHOP,
    Rig,
    event_of,
    service_over,
    ticket_rig,
)

ADA, BOB = 11, 12


@dataclass
class RoleRecordingSender(RecordingSender):
    """A sender that also removes roles: what it was asked, and what it may fail with."""

    removals: list[tuple[int, int, tuple[int, ...]]] = field(default_factory=list)
    removal_fails: Exception | None = None

    async def remove_roles(
        self, guild_id: int, member_id: int, role_ids: Sequence[int], reason: str
    ) -> RolesRemoved:
        if self.removal_fails is not None:
            raise self.removal_fails
        self.removals.append((guild_id, member_id, tuple(role_ids)))
        return RolesRemoved("Democon server", tuple(f"role {r}" for r in role_ids))


def check(rig: Rig, max_pages: int = 200) -> RefundCheck:
    return RefundCheck(CONFERENCE, rig.client, rig.state.tickets, rig.service.hasher, max_pages)


async def deliver(state: StateStore, service: ProgramService, sender: RoleRecordingSender) -> None:
    """One scheduler pass at NOW: plan, then send what is due."""
    scheduler = Scheduler(state, lambda: service, FixedClock(NOW), sender)
    await scheduler.recover()
    await scheduler.replan()
    while await scheduler.step():
        pass


async def registered(rig: Rig) -> None:
    s = rig.seeded
    ada = await rig.register(ADA, s.paid, s.email)
    bob = await rig.register(BOB, rig.fake.secrets(s.group)[0])
    assert isinstance(ada, Granted) and isinstance(bob, Granted)
    rig.fake.now = rig.fake.now.replace(month=6)  # pretix's clock: after the registrations


async def test_a_refund_marks_the_tickets_registrations_and_nothing_else(tmp_path: Path):
    async with ticket_rig(tmp_path) as rig:
        await registered(rig)
        rig.fake.cancel_order(rig.seeded.paid, refund=True)
        rig.fake.cancel_position(rig.seeded.group, 3)  # nobody's ticket
        report = await check(rig).run(NOW)
        assert report.done and report.error is None and report.pages == 1
        assert sorted((r.member_id, r.roles) for r in report.marked) == [
            (ADA, (ATTENDEE,)), (ADA, (WORKSHOP,)),
        ]  # fmt: skip
        bob = await rig.state.tickets.registrations(member_id=BOB)
        assert [r.state for r in bob] == [RegistrationState.ACTIVE]


async def test_a_partly_cancelled_order_takes_only_that_tickets_registration(tmp_path: Path):
    async with ticket_rig(tmp_path) as rig:
        await registered(rig)
        rig.fake.cancel_position(rig.seeded.group, 1)
        report = await check(rig).run(NOW)
        assert [(r.member_id, r.roles) for r in report.marked] == [(BOB, (ATTENDEE, STUDENT))]


async def test_the_check_is_incremental_and_asks_nothing_while_nobody_registered(tmp_path: Path):
    async with ticket_rig(tmp_path) as rig:
        idle = await check(rig).run(NOW)
        assert idle.idle and rig.fake.count() == 0
        await registered(rig)
        first = await check(rig).run(NOW)
        # From just before the first registration: the orders made before are not read.
        assert (first.pages, first.orders) == (1, 0)
        since = dict(rig.fake.requests[-1].query)["modified_since"]
        assert since == "2025-03-02T08:50:00Z"  # an hour before, and the overlap
        progress = await rig.state.tickets.refund_progress(CONFERENCE)
        assert progress is not None and progress.since.startswith("2025-06-")
        rig.fake.now += timedelta(minutes=5)
        rig.fake.touch(rig.fake.orders[rig.seeded.speaker])
        rig.fake.now += timedelta(minutes=1)
        second = await check(rig).run(NOW)
        assert second.orders == 1
        # pretix's own X-Page-Generated, sent back (OVERLAP before it).
        asked = datetime.fromisoformat(dict(rig.fake.requests[-1].query)["modified_since"])
        assert asked == datetime.fromisoformat(progress.since) - OVERLAP
        rig.fake.now += OVERLAP
        assert (await check(rig).run(NOW)).orders == 1  # within the overlap: read again
        assert (await check(rig).run(NOW)).orders == 0


async def test_a_moment_pretix_cannot_mean_is_not_sent_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """X-Page-Generated in the year 1 (a pretix whose clock is unset, or garbage): the next
    sweep asks from the bot's own moment instead (SLACK before now), and the check goes on
    (subtracting the overlap from it failed every check after, on the date's range)."""
    async with ticket_rig(tmp_path) as rig:
        await registered(rig)
        with monkeypatch.context() as m:
            m.setattr(fakepretix, "iso", lambda moment: "0001-01-01T00:05:00Z")
            await check(rig).run(NOW)
        report = await check(rig).run(NOW)
        assert report.error is None and report.done
        since = dict(rig.fake.requests[-1].query)["modified_since"]
        assert since == moment(NOW - SLACK - OVERLAP)


async def test_a_ticket_registered_as_a_sweep_read_its_cancellation_is_caught_next(
    tmp_path: Path,
):
    """The lookup said paid; the order was cancelled; a sweep read it before the
    registration was kept (so marked nothing): the next sweep reads it again."""
    async with ticket_rig(tmp_path) as rig:
        fake, s = rig.fake, rig.seeded
        await rig.register(BOB, s.speaker, "speaker@example.org")
        fake.now = fake.now.replace(month=6)
        await check(rig).run(NOW)
        fake.now += timedelta(minutes=1)
        fake.cancel_order(s.paid)
        fake.now += timedelta(minutes=1)
        assert (await check(rig).run(NOW)).marked == ()
        hashes = [await rig.service.hasher(CONFERENCE, p.pseudonymization_id)
                  for p in fake.orders[s.paid].positions]  # fmt: skip
        await rig.state.tickets.claim(CONFERENCE, GUILD, ADA, [(h, [ATTENDEE]) for h in hashes],
                                      int(NOW.timestamp()))  # fmt: skip
        fake.now += timedelta(minutes=1)
        assert [r.member_id for r in (await check(rig).run(NOW)).marked] == [ADA, ADA]


async def test_a_long_sweep_goes_on_from_its_next_page_and_marks_nothing_twice(tmp_path: Path):
    async with ticket_rig(tmp_path) as rig:
        rig.fake.generate(230)
        await registered(rig)
        for order in rig.fake.orders.values():
            rig.fake.touch(order)
        rig.fake.cancel_order(rig.seeded.paid)
        late = list(rig.fake.orders)[-2]  # generated last but one: on the last page
        await rig.register(77, late, rig.fake.orders[late].email)
        rig.fake.cancel_order(late)
        reports = [await check(rig, max_pages=2).run(NOW) for _ in range(3)]
        assert [(r.pages, r.done) for r in reports] == [(2, False), (2, False), (1, True)]
        marked = [r.member_id for report in reports for r in report.marked]
        assert sorted(marked) == [ADA, ADA, 77]
        pages = [dict(q.query).get("page", "1") for q in rig.fake.requests if "orders" in q.path]
        assert pages[-5:] == ["1", "2", "3", "4", "5"]


async def test_a_pretix_failure_stops_the_check_and_the_next_goes_on(tmp_path: Path):
    async with ticket_rig(tmp_path) as rig:
        rig.fake.generate(120)
        await registered(rig)
        for order in rig.fake.orders.values():
            rig.fake.touch(order)
        rig.fake.cancel_order(rig.seeded.paid)
        rig.fake.fail(Fault.SERVER_ERROR)
        failed = await check(rig).run(NOW)
        assert failed.error is not None and not failed.marked and failed.pages == 0
        again = await check(rig).run(NOW)
        assert again.done and len(again.marked) == 2


async def test_a_refund_removes_roles_and_tells_the_member_once_across_a_restart(
    tmp_path: Path, service: ProgramService
):
    sender = RoleRecordingSender()
    async with ticket_rig(tmp_path) as rig:
        fake = rig.fake
        await registered(rig)
        fake.cancel_order(rig.seeded.paid, refund=True)
        assert len((await check(rig).run(NOW)).marked) == 2
        # The bot stops here: marked, not yet delivered.
        await rig.state.close()
        state = await StateStore.open(tmp_path / "state.db")
        try:
            client = PretixClient(event_of(fake))
            again = service_over(state, client)
            rig2 = Rig(fake, rig.seeded, state, client, again)
            fake.touch(fake.orders[rig.seeded.paid])  # changed once more: seen again
            assert (await check(rig2).run(NOW)).marked == ()
            await deliver(state, service, sender)
            await deliver(state, service, sender)  # a second pass sends nothing more
        finally:
            await state.close()
        state = await StateStore.open(tmp_path / "state.db")  # and another restart
        try:
            await deliver(state, service, sender)
            (sent,) = await state.ledger.deliveries(kind=DeliveryKind.REFUND)
            assert sent.state is DeliveryState.SENT
            ada = await state.tickets.registrations(member_id=ADA)
            assert {r.state for r in ada} == {RegistrationState.REVOKED}
        finally:
            await state.close()
    assert sender.removals == [(GUILD, ADA, (ATTENDEE, WORKSHOP))]
    ((member, card),) = sender.dms
    assert member == ADA and isinstance(card, Card)
    assert "role 100, role 400" in card.description and "Democon server" in card.description
    assert rig.seeded.paid not in card.description and rig.seeded.email not in card.description


async def test_a_role_another_ticket_gives_is_kept(tmp_path: Path, service: ProgramService):
    sender = RoleRecordingSender()
    async with ticket_rig(tmp_path) as rig:
        await registered(rig)
        regular = rig.fake.secrets(rig.seeded.group)[1]  # also a conference ticket: ATTENDEE
        assert isinstance(await rig.register(ADA, regular), Granted)
        rig.fake.cancel_order(rig.seeded.paid, refund=True)
        await check(rig).run(NOW)
        await deliver(rig.state, service, sender)
    assert sender.removals == [(GUILD, ADA, (WORKSHOP,))]


async def test_a_release_before_the_removal_calls_it_off(tmp_path: Path, service: ProgramService):
    sender = RoleRecordingSender()
    async with ticket_rig(tmp_path) as rig:
        await registered(rig)
        rig.fake.cancel_order(rig.seeded.paid, refund=True)
        await check(rig).run(NOW)
        await rig.service.release(CONFERENCE, GUILD, ADA)
        await deliver(rig.state, service, sender)
    assert sender.removals == [] and sender.dms == []


async def test_a_member_who_left_or_a_bot_without_manage_roles_settles_it(
    tmp_path: Path, service: ProgramService
):
    async with ticket_rig(tmp_path) as rig:
        await registered(rig)
        rig.fake.cancel_order(rig.seeded.paid, refund=True)
        rig.fake.cancel_position(rig.seeded.group, 1)
        await check(rig).run(NOW)
        left = RoleRecordingSender(removal_fails=Unreachable("not a member"))
        scheduler = Scheduler(rig.state, lambda: service, FixedClock(NOW), left)
        await scheduler.replan()
        (ada_delivery, bob_delivery) = await rig.state.ledger.due(CONFERENCE, int(NOW.timestamp()))
        await scheduler._deliver(ada_delivery)
        scheduler.sender = RoleRecordingSender(removal_fails=TargetGone("missing Manage Roles"))
        await scheduler._deliver(bob_delivery)
        counts = await rig.state.tickets.counts(CONFERENCE, GUILD)
        assert (counts.revoked, counts.failed, counts.revoking) == (2, 1, 0)
        states = [d.state for d in await rig.state.ledger.deliveries(kind=DeliveryKind.REFUND)]
        assert states == [DeliveryState.FAILED, DeliveryState.FAILED]


async def test_a_role_the_member_held_by_hand_is_not_taken(tmp_path: Path, service: ProgramService):
    """Ada was an attendee by hand before she registered: the refund takes only what her
    ticket gave (the workshop), never the role an organiser gave her."""
    sender = RoleRecordingSender()
    async with ticket_rig(tmp_path) as rig:
        assert isinstance(await rig.register(ADA, rig.seeded.paid, rig.seeded.email,
                                             held=[ATTENDEE]), Granted)  # fmt: skip
        (first, second) = await rig.state.tickets.registrations(member_id=ADA)
        assert (first.roles, second.roles) == ((), (WORKSHOP,))
        rig.fake.now = rig.fake.now.replace(month=6)
        rig.fake.cancel_order(rig.seeded.paid, refund=True)
        await check(rig).run(NOW)
        await deliver(rig.state, service, sender)
    assert sender.removals == [(GUILD, ADA, (WORKSHOP,))]


async def test_registering_again_keeps_the_roles_the_bot_gave(
    tmp_path: Path, service: ProgramService
):
    """The second /register finds the roles held, because the bot gave them: still its to
    take back."""
    sender = RoleRecordingSender()
    async with ticket_rig(tmp_path) as rig:
        s = rig.seeded
        await rig.register(ADA, s.paid, s.email)
        await rig.register(ADA, s.paid, s.email, held=[ATTENDEE, WORKSHOP])
        rig.fake.now = rig.fake.now.replace(month=6)
        rig.fake.cancel_order(s.paid, refund=True)
        await check(rig).run(NOW)
        await deliver(rig.state, service, sender)
    assert sender.removals == [(GUILD, ADA, (ATTENDEE, WORKSHOP))]


async def test_a_ticket_registered_while_a_removal_is_planned_keeps_its_role(
    tmp_path: Path, service: ProgramService
):
    """Ada's order is refunded (removal planned, not yet done: she still holds both
    roles); she registers another conference ticket, which gives the attendee role she
    holds from the bot. It is the new ticket's now: the refund takes only the workshop."""
    sender = RoleRecordingSender()
    async with ticket_rig(tmp_path) as rig:
        await registered(rig)
        rig.fake.cancel_order(rig.seeded.paid, refund=True)
        assert len((await check(rig).run(NOW)).marked) == 2
        regular = rig.fake.secrets(rig.seeded.group)[1]  # a conference ticket: ATTENDEE
        assert isinstance(await rig.register(ADA, regular, held=[ATTENDEE, WORKSHOP]), Granted)
        await deliver(rig.state, service, sender)
    assert sender.removals == [(GUILD, ADA, (WORKSHOP,))]


@dataclass
class DiscordLikeSender(RoleRecordingSender):
    """Removes roles as Discord does (a role gone is not removed twice); its DMs fail
    while `dm_fails` is set."""

    held: set[int] = field(default_factory=set)
    dm_fails: Exception | None = None

    async def remove_roles(
        self, guild_id: int, member_id: int, role_ids: Sequence[int], reason: str
    ) -> RolesRemoved:
        self.removals.append((guild_id, member_id, tuple(role_ids)))
        taken = tuple(f"role {r}" for r in role_ids if r in self.held)
        lacked = tuple(f"role {r}" for r in role_ids if r not in self.held)
        self.held -= set(role_ids)
        return RolesRemoved("Democon server", taken, lacked)

    async def send_dm(self, user_id: int, card: Card) -> None:
        if self.dm_fails is not None:
            raise self.dm_fails
        await super().send_dm(user_id, card)


async def test_a_dm_that_failed_once_still_tells_the_member_on_the_retry(
    tmp_path: Path, service: ProgramService
):
    """The roles went, then Discord failed the DM (a 5xx): the retry finds the roles gone
    already, and still tells the member which were removed, once."""
    sender = DiscordLikeSender(held={ATTENDEE, WORKSHOP}, dm_fails=TryLater("HTTP 503"))
    async with ticket_rig(tmp_path) as rig:
        await rig.register(ADA, rig.seeded.paid, rig.seeded.email)
        rig.fake.now = rig.fake.now.replace(month=6)
        rig.fake.cancel_order(rig.seeded.paid, refund=True)
        await check(rig).run(NOW)
        await deliver(rig.state, service, sender)
        assert sender.dms == [] and sender.held == set()
        sender.dm_fails = None
        clock = FixedClock(NOW + timedelta(minutes=5))  # past the retry's back-off
        scheduler = Scheduler(rig.state, lambda: service, clock, sender)
        while await scheduler.step():
            pass
        (sent,) = await rig.state.ledger.deliveries(kind=DeliveryKind.REFUND)
    ((member, card),) = sender.dms
    assert member == ADA and "role 100, role 400" in card.description
    assert sent.state is DeliveryState.SENT
