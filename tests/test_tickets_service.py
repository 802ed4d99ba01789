"""The ticket service: every result /register can give, against the fake pretix and a real
state database; one or two pretix requests a registration; the attempt limits."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.render.tickets import NO_MATCH, register_text
from bot.service.attempts import Limits, LimitScope, RateLimited
from bot.service.ticket_input import BadInput, Field, InputProblem
from bot.service.ticket_results import (
    AlreadyRegistered,
    Canceled,
    Granted,
    ItemChoice,
    NoMatch,
    NoRoles,
    NoSuchItem,
    NotConfigured,
    RolesUnmapped,
    RoleUnmapped,
    Unavailable,
    Unpaid,
)
from bot.store.tickets_store import LogChannel, LogTrouble
from bot.tickets.errors import Failure
from tests.fakepretix import Fault
from tests.state_backends import StateBackend
from tests.ticket_rig import (
    ATTENDEE,
    CONFERENCE,
    GUILD,
    NOW,
    ONLINE,
    OTHER_GUILD,
    SPEAKER,
    STUDENT,
    WORKSHOP,
    Rig,
    ticket_rig,
)

ADA, BOB, CAROL = 11, 12, 13


@pytest.fixture
async def rig(state_backend: StateBackend) -> AsyncIterator[Rig]:
    async with ticket_rig(state_backend) as rig:
        yield rig


async def register(rig: Rig, member: int, code: str, email: str = "", guild: int = GUILD):
    return await rig.register(member, code, email, guild)


async def test_an_order_code_and_email_give_every_positions_roles_in_one_request(rig: Rig):
    result = await register(rig, ADA, rig.seeded.paid, rig.seeded.email)
    assert isinstance(result, Granted)
    assert result.roles == (ATTENDEE, WORKSHOP) and result.tickets == 2 and result.others == 0
    assert rig.fake.count() == 1


async def test_the_code_as_pretix_prints_it_works_too(rig: Rig):
    result = await register(rig, ADA, f"DEMOCON-{rig.seeded.paid}", rig.seeded.email.lower())
    assert isinstance(result, Granted)


async def test_a_ticket_secret_gives_that_tickets_roles_in_two_requests(rig: Rig):
    student = rig.fake.secrets(rig.seeded.group)[0]
    result = await register(rig, ADA, student)
    assert isinstance(result, Granted)
    assert result.roles == (ATTENDEE, STUDENT) and result.tickets == 1
    assert rig.fake.count() == 2


async def test_several_positions_in_one_order_give_all_their_roles(rig: Rig):
    result = await register(rig, ADA, rig.seeded.group, "group@example.org")
    assert isinstance(result, Granted)
    assert result.roles == (ATTENDEE, STUDENT, ONLINE) and result.tickets == 3


async def test_a_second_account_is_refused_and_the_first_may_register_again(rig: Rig):
    assert isinstance(await register(rig, ADA, rig.seeded.paid, rig.seeded.email), Granted)
    assert await register(rig, BOB, rig.seeded.paid, rig.seeded.email) == AlreadyRegistered()
    again = await register(rig, ADA, rig.seeded.paid, rig.seeded.email)
    assert isinstance(again, Granted) and again.roles == (ATTENDEE, WORKSHOP) and not again.new
    # Another server is another place: the same ticket may be registered there.
    await rig.map_all(OTHER_GUILD)
    assert isinstance(await register(rig, BOB, rig.seeded.paid, rig.seeded.email, OTHER_GUILD),
                      Granted)  # fmt: skip


async def test_an_order_shared_by_a_group_leaves_out_the_tickets_others_hold(rig: Rig):
    first = rig.fake.secrets(rig.seeded.group)[0]
    assert isinstance(await register(rig, ADA, first), Granted)
    rest = await register(rig, BOB, rig.seeded.group, "group@example.org")
    assert isinstance(rest, Granted)
    assert rest.tickets == 2 and rest.others == 1 and rest.roles == (ATTENDEE, ONLINE)
    assert await register(rig, CAROL, rig.seeded.group, "group@example.org") == AlreadyRegistered()


async def test_a_wrong_email_and_a_made_up_code_are_answered_the_same(rig: Rig):
    wrong_email = await register(rig, ADA, rig.seeded.paid, "mallory@example.org")
    made_up = await register(rig, ADA, "QQQQ9", rig.seeded.email)
    unknown_secret = await register(rig, ADA, "n" * 32)
    test_mode = await register(rig, ADA, rig.seeded.testmode, "test@example.org")
    assert wrong_email == made_up == unknown_secret == test_mode == NoMatch()
    assert register_text(wrong_email) == register_text(made_up) == NO_MATCH
    assert await rig.state.tickets.registrations() == []


async def test_unpaid_cancelled_and_refunded_orders_give_nothing(rig: Rig):
    seeded = rig.seeded
    assert await register(rig, ADA, seeded.unpaid, "unpaid@example.org") == Unpaid()
    assert await register(rig, ADA, seeded.canceled, "cancel@example.org") == Canceled()
    assert await register(rig, ADA, seeded.refunded, "refund@example.org") == Canceled()
    assert await register(rig, ADA, rig.fake.secrets(seeded.refunded)[0]) == Canceled()
    rig.fake.cancel_position(seeded.group, 1)
    assert await register(rig, ADA, rig.fake.secrets(seeded.group)[0]) == NoMatch()
    assert await rig.state.tickets.registrations() == []


async def test_a_valid_ticket_without_a_role_here_says_so(rig: Rig):
    await rig.map_all(OTHER_GUILD)
    await rig.service.unmap_role(CONFERENCE, OTHER_GUILD, ItemChoice(2, None, "Speaker"))
    speaker = rig.seeded.speaker
    assert await register(rig, ADA, speaker, "speaker@example.org", OTHER_GUILD) == NoRoles(True)
    assert await register(rig, ADA, speaker, "speaker@example.org", 999) == NoRoles(False)
    granted = await register(rig, ADA, speaker, "speaker@example.org")
    assert isinstance(granted, Granted) and granted.roles == (SPEAKER,)


async def test_a_conference_without_pretix_is_not_configured(rig: Rig):
    result = await rig.service.register("other", GUILD, ADA, "ABC12", "a@b.org", NOW)
    assert result == NotConfigured("other")
    assert rig.fake.count() == 0


@pytest.mark.parametrize(
    ("fault", "failure"),
    [(Fault.SERVER_ERROR, Failure.DOWN), (Fault.RATE_LIMITED, Failure.BUSY),
     (Fault.NOT_JSON, Failure.GARBAGE), (Fault.UNAUTHORIZED, Failure.REFUSED)],
)  # fmt: skip
async def test_pretix_failing_grants_nothing_half(
    rig: Rig, fault: Fault, failure: Failure, caplog: pytest.LogCaptureFixture
):
    rig.fake.fail(fault)
    with caplog.at_level(logging.DEBUG):
        result = await register(rig, ADA, rig.seeded.paid, rig.seeded.email)
    assert isinstance(result, Unavailable) and result.failure is failure
    assert result.detail in caplog.text  # the operator's sentence, logged
    for private in (rig.fake.token, rig.seeded.email, rig.seeded.paid):
        assert private not in result.detail and private not in caplog.text
    assert "nothing was registered" in register_text(result)
    if fault is Fault.RATE_LIMITED:
        assert result.retry_after == 30 and "30 s" in register_text(result)
    assert await rig.state.tickets.registrations() == []


async def test_the_second_request_of_a_lookup_by_secret_failing_registers_nothing(rig: Rig):
    secret = rig.fake.secrets(rig.seeded.group)[0]
    rig.fake.faults[:] = []
    original = rig.fake._gate
    calls = 0

    async def second_fails(request):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            rig.fake.fail(Fault.HANG)
        return await original(request)

    rig.fake._gate = second_fails  # type: ignore[method-assign]
    rig.client.timeout = 0.3
    result = await register(rig, ADA, secret)
    assert isinstance(result, Unavailable) and result.failure is Failure.SLOW
    assert await rig.state.tickets.registrations() == []


async def test_hostile_input_is_refused_without_asking_pretix(rig: Rig):
    for code, email in [("", ""), ("A" * 1000, ""), ("AB\x00C12", ""), ("OTHER-ABC12", "a@b.org"),
                        (rig.seeded.paid, ""), (rig.seeded.paid, "x" * 1000)]:  # fmt: skip
        assert isinstance(await register(rig, ADA, code, email), BadInput)
    assert rig.fake.count() == 0


async def test_a_member_gets_a_few_attempts_per_ten_minutes(tmp_path: Path):
    async with ticket_rig(tmp_path, Limits(member_attempts=5)) as rig:
        for _ in range(5):
            assert await register(rig, ADA, "QQQQ9", "x@example.org") == NoMatch()
        assert await register(rig, ADA, "BAD CODE", "x@example.org") == BadInput(
            Field.CODE, InputProblem.NOT_A_CODE
        )  # refused input costs no attempt, and is still answered
        limited = await register(rig, ADA, rig.seeded.paid, rig.seeded.email)
        assert limited == RateLimited(LimitScope.MEMBER, 600)
        assert rig.fake.count() == 5
        assert isinstance(await register(rig, BOB, rig.seeded.paid, rig.seeded.email), Granted)
        later = await rig.service.register(
            CONFERENCE, GUILD, ADA, rig.seeded.speaker, "speaker@example.org",
            NOW + timedelta(minutes=10),
        )  # fmt: skip
        assert isinstance(later, Granted)


async def test_a_server_gets_a_bounded_number_of_attempts_per_minute(tmp_path: Path):
    async with ticket_rig(tmp_path, Limits(server_attempts=60)) as rig:
        for member in range(60):
            assert await register(rig, 1000 + member, "QQQQ9", "x@example.org") == NoMatch()
        limited = await register(rig, ADA, rig.seeded.paid, rig.seeded.email)
        assert limited == RateLimited(LimitScope.SERVER, 60)
        assert "this server" in register_text(limited)
        other = await register(rig, ADA, rig.seeded.paid, rig.seeded.email, OTHER_GUILD)
        assert not isinstance(other, RateLimited)


async def test_undo_frees_the_ticket_when_discord_would_not_give_the_roles(rig: Rig):
    granted = await register(rig, ADA, rig.seeded.paid, rig.seeded.email)
    assert isinstance(granted, Granted) and len(granted.new) == 2
    await rig.service.undo(granted)
    assert isinstance(await register(rig, BOB, rig.seeded.paid, rig.seeded.email), Granted)


async def test_release_frees_a_members_tickets_for_another_account(rig: Rig):
    await register(rig, ADA, rig.seeded.paid, rig.seeded.email)
    released = await rig.service.release(CONFERENCE, GUILD, ADA)
    assert released.tickets == 2 and released.roles == (ATTENDEE, WORKSHOP)
    assert isinstance(await register(rig, BOB, rig.seeded.paid, rig.seeded.email), Granted)
    assert (await rig.service.release(CONFERENCE, GUILD, ADA)).tickets == 0


async def test_products_and_variations_are_offered_and_resolved(rig: Rig):
    choices = await rig.service.choices(CONFERENCE, NOW)
    assert isinstance(choices, list)
    assert [c.value for c in choices] == ["1", "1/11", "1/12", "2", "3", "4", "5"]
    assert choices[2].label == "Conference ticket – Student"
    assert [c.value for c in await rig.service.choices(CONFERENCE, NOW, "stud")] == ["1/12"]  # type: ignore[union-attr]
    assert (await rig.service.resolve_item(CONFERENCE, "1/12", NOW)) == choices[2]
    assert (await rig.service.resolve_item(CONFERENCE, "speaker", NOW)) == choices[3]
    assert (await rig.service.resolve_item(CONFERENCE, "ticket", NOW)) == NoSuchItem("ticket")
    before = rig.fake.count("/items/")
    await rig.service.choices(CONFERENCE, NOW + timedelta(seconds=30))
    assert rig.fake.count("/items/") == before  # kept briefly
    await rig.service.choices(CONFERENCE, NOW + timedelta(seconds=61))
    assert rig.fake.count("/items/") == before + 1


async def test_products_kept_are_offered_while_pretix_is_down_then_it_is_said(rig: Rig):
    assert isinstance(await rig.service.choices(CONFERENCE, NOW), list)
    rig.fake.fail(Fault.SERVER_ERROR, Fault.SERVER_ERROR)
    assert isinstance(await rig.service.choices(CONFERENCE, NOW + timedelta(minutes=5)), list)
    down = await rig.service.choices(CONFERENCE, NOW + timedelta(hours=2))
    assert isinstance(down, Unavailable)


async def test_status_lists_mappings_by_name_and_counts(rig: Rig):
    await register(rig, ADA, rig.seeded.paid, rig.seeded.email)
    await register(rig, BOB, rig.seeded.speaker, "speaker@example.org")
    await rig.service.set_log_channel(GUILD, 555, NOW)
    status = await rig.service.status(CONFERENCE, GUILD, NOW)
    assert status.configured and status.log_channel_id == 555
    assert [line.label for line in status.mappings] == [
        "Conference ticket", "Conference ticket – Student", "Speaker", "Online", "Workshop add-on",
    ]  # fmt: skip
    assert (status.counts.members, status.counts.tickets) == (2, 3)
    granted = await register(rig, CAROL, rig.seeded.group, "group@example.org")
    assert isinstance(granted, Granted) and granted.log_channel_id == 555


async def test_a_registration_keeps_only_the_roles_discord_gave(rig: Rig):
    """Ada held the attendee role by hand: her registration keeps the workshop only, so a
    release (or a refund) never takes what an organiser gave."""
    granted = await rig.register(ADA, rig.seeded.paid, rig.seeded.email, held=[ATTENDEE])
    assert isinstance(granted, Granted) and granted.roles == (ATTENDEE, WORKSHOP)
    released = await rig.service.release(CONFERENCE, GUILD, ADA)
    assert released.tickets == 2 and released.roles == (WORKSHOP,)


async def test_a_failed_log_channel_stops_reports_and_is_told_once(rig: Rig):
    service, later = rig.service, NOW + timedelta(minutes=1)
    await service.set_log_channel(GUILD, 55, NOW, set_by=ADA)
    first = await service.log_channel_failed(GUILD, 55, LogTrouble.DELETED, later)
    again = await service.log_channel_failed(GUILD, 55, LogTrouble.FORBIDDEN, later)
    assert first == LogChannel(55, ADA, LogTrouble.DELETED) and again is None
    granted = await register(rig, BOB, rig.seeded.paid, rig.seeded.email)
    assert isinstance(granted, Granted) and granted.log_channel_id is None  # not tried again
    status = await service.status(CONFERENCE, GUILD, NOW)
    assert (status.log_channel_id, status.log_off) == (55, LogTrouble.DELETED)
    await service.set_log_channel(GUILD, 56, later, set_by=CAROL)  # /tickets log again
    assert await rig.state.tickets.log_channel(GUILD) == 56
    assert await service.log_channel_failed(GUILD, 55, LogTrouble.DELETED, later) is None


async def test_a_deleted_roles_mappings_go_once_and_say_whom_to_tell(rig: Rig):
    """Every product giving the role loses it (this server's only); the caller that
    removed them is the one to tell; the organiser is whoever set a mapping or the log
    channel last."""
    service, later = rig.service, NOW + timedelta(minutes=5)
    await rig.map_all(OTHER_GUILD)
    online = ItemChoice(3, None, "Online")
    await service.map_role(CONFERENCE, GUILD, online, WORKSHOP, later, set_by=CAROL)
    await service.set_log_channel(GUILD, 55, NOW, set_by=ADA)
    removed = await service.roles_deleted(GUILD, [WORKSHOP, 999])
    assert [(u.mapping.item_id, u.set_by) for u in removed] == [(3, CAROL), (4, 0)]
    assert await service.roles_deleted(GUILD, [WORKSHOP]) == []  # told once
    notice = await service.unmapped_notice(GUILD, removed, later)
    assert notice == RolesUnmapped(
        (RoleUnmapped(WORKSHOP, ("Online", "Workshop add-on")),), 55, CAROL
    )
    listed = [
        line.mapping.role_id for line in (await service.status(CONFERENCE, GUILD, NOW)).mappings
    ]
    assert WORKSHOP not in listed and ONLINE in listed
    other = await service.status(CONFERENCE, OTHER_GUILD, NOW)
    assert WORKSHOP in [line.mapping.role_id for line in other.mappings]
    await service.log_channel_failed(GUILD, 55, LogTrouble.DELETED, later)
    await service.set_log_channel(GUILD, None, later + timedelta(minutes=1), set_by=BOB)
    again = await service.roles_deleted(GUILD, [ONLINE])
    assert (await service.unmapped_notice(GUILD, again, later)).log_channel_id is None


async def test_roles_the_server_no_longer_has_are_found_and_unmapped(rig: Rig):
    existing = [ATTENDEE, STUDENT, SPEAKER, ONLINE, 12345]
    removed = await rig.service.roles_missing(GUILD, existing)
    assert [u.mapping.role_id for u in removed] == [WORKSHOP]
    assert await rig.service.roles_missing(GUILD, existing) == []
    notice = await rig.service.unmapped_notice(GUILD, removed, NOW)
    assert notice == RolesUnmapped((RoleUnmapped(WORKSHOP, ("Workshop add-on",)),), None, 0)


async def test_a_deleted_role_is_left_out_and_a_ticket_left_with_none_is_not_held(rig: Rig):
    granted = await rig.service.register(CONFERENCE, GUILD, ADA, rig.seeded.paid,
                                         rig.seeded.email, NOW)  # fmt: skip
    assert isinstance(granted, Granted) and granted.roles == (ATTENDEE, WORKSHOP)
    kept = await rig.service.leave_out(granted, [WORKSHOP])
    assert (kept.roles, kept.tickets, len(kept.new)) == ((ATTENDEE,), 1, 1)
    await rig.service.gave(kept, ADA, [ATTENDEE])
    held = await rig.state.tickets.registrations(guild_id=GUILD)
    assert [r.roles for r in held] == [(ATTENDEE,)]
    speaker = await rig.service.register(CONFERENCE, GUILD, BOB, rig.seeded.speaker,
                                         "speaker@example.org", NOW)  # fmt: skip
    assert isinstance(speaker, Granted)
    none = await rig.service.leave_out(speaker, [SPEAKER])
    assert (none.roles, none.tickets, none.new) == ((), 0, ())
    assert (await rig.state.tickets.counts(CONFERENCE, GUILD)).tickets == 1  # Ada's only
    again = await register(rig, CAROL, rig.seeded.speaker, "speaker@example.org")
    assert isinstance(again, Granted)  # the ticket was not held by Bob
