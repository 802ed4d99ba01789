"""Reminders and announcements: on time, at most once, across restarts, crashes and reloads."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta

import aiohttp
import pytest

from bot.clock import FixedClock
from bot.delivery.scheduler import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    TargetGone,
    TryLater,
    Unreachable,
)
from bot.kinds import FOLLOWED, ReminderStatus
from bot.service import ProgramService
from bot.service.reminders import agenda
from bot.store.dialect import Dialect
from bot.store.ledger_store import Wanted
from bot.store.reminders_store import ReminderLimitReached
from bot.store.state import STATE_VERSION, StateStore
from tests.conftest import pacific
from tests.reminder_helpers import make_rig
from tests.state_backends import StateBackend, run, state_at_version
from tests.test_parallel_rooms import two_tracks

USER = 1001
NOMAD = "p:xiang"  # Wed 11:05 (derived), in Memory Management
GUILD, CHANNEL = 77, 88


@pytest.fixture
async def rig(service: ProgramService, state_backend: StateBackend):
    state = await state_backend.open()
    rig = await make_rig(service, state, FixedClock(pacific("2024-07-10T10:50")))
    yield rig
    await rig.state.close()


def states(backend: StateBackend) -> list[tuple[object, ...]]:
    """The ledger as kept (read on a connection of its own: what is committed)."""
    return run(backend, "SELECT item_ref, state FROM deliveries ORDER BY id")


async def test_reminder_fires_at_the_right_moment(rig):
    await rig.remind(USER, NOMAD, minutes=10)
    assert await rig.at(pacific("2024-07-10T10:54:59")) == 0
    assert await rig.at(pacific("2024-07-10T10:55")) == 1
    ((user, card),) = rig.sender.dms
    assert user == USER
    assert card.title.startswith("⏰ NOMAD")
    assert "Starts in 10 min" in card.description


async def test_a_reminder_is_delivered_once(rig):
    await rig.remind(USER, NOMAD)
    await rig.at(pacific("2024-07-10T10:55"))
    await rig.at(pacific("2024-07-10T10:56"))
    await rig.at(pacific("2024-07-10T10:57"))
    assert len(rig.sender.dms) == 1


async def test_late_delivery_says_how_long_ago_it_started(rig):
    await rig.remind(USER, NOMAD)
    await rig.at(pacific("2024-07-10T11:08"))  # the bot was down at 10:55
    ((_, card),) = rig.sender.dms
    assert "Started 3 min ago (sent late)" in card.description


async def test_a_delivery_whose_item_ended_is_skipped_and_logged(rig, caplog, state_backend):
    await rig.remind(USER, NOMAD)
    with caplog.at_level(logging.INFO):
        await rig.at(pacific("2024-07-10T11:30"))
    assert rig.sender.dms == []
    assert states(state_backend) == [(NOMAD, "skipped")]
    assert any("ended 5 min before it could be sent" in r.getMessage() for r in caplog.records)


async def test_a_delivery_under_a_minute_after_its_end_says_it_had_just_ended(
    rig, caplog, state_backend
):
    # "it ended 0 min before it could be sent (was the bot down?)" read as a riddle.
    await rig.remind(USER, NOMAD)
    with caplog.at_level(logging.INFO):
        await rig.at(pacific("2024-07-10T11:25:30"))  # NOMAD ends at 11:25
    assert states(state_backend) == [(NOMAD, "skipped")]
    said = [r.getMessage() for r in caplog.records]
    assert any("it had just ended when it could be sent" in m for m in said), said
    assert not any("ended 0 min" in m for m in said)


async def test_session_reminder_lists_its_talks(rig):
    await rig.remind(USER, "s:low-latency-llm-serving", minutes=5)
    await rig.at(pacific("2024-07-10T13:55"))
    ((_, card),) = rig.sender.dms
    assert card.title == "⏰ Low-Latency LLM Serving"
    assert len(card.fields) == 5


async def test_closed_dms_mark_the_reminder_failed_without_retrying(rig, state_backend):
    await rig.remind(USER, NOMAD)
    rig.sender.fail_with = Unreachable("50007")
    await rig.at(pacific("2024-07-10T10:55"))
    rig.sender.fail_with = None
    await rig.at(pacific("2024-07-10T11:00"))
    assert rig.sender.dms == []
    assert states(state_backend) == [(NOMAD, "failed")]
    (failed,) = await rig.state.reminders.untold_failures(rig.service.conference.key, USER)
    assert failed.item_ref == NOMAD
    assert USER in rig.scheduler.failed_users


async def test_temporary_failures_retry_with_backoff_then_give_up(rig, state_backend):
    await rig.remind(USER, NOMAD, minutes=30)
    rig.sender.fail_with = TryLater("HTTP 500")
    moment = pacific("2024-07-10T10:35")
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        await rig.at(moment)
        (delivery,) = await rig.state.ledger.deliveries()
        assert delivery.state == "pending"
        waits.append(delivery.due_ts - int(moment.timestamp()))
        moment = moment + timedelta(seconds=waits[-1])
    assert waits == [RETRY_AFTER * 2**n for n in range(MAX_ATTEMPTS - 1)]  # doubling
    await rig.at(moment)
    assert states(state_backend) == [(NOMAD, "failed")]
    assert rig.sender.dms == []


@pytest.mark.parametrize(
    "error",
    [aiohttp.ClientConnectionError("reset"), OSError(104, "reset"), TimeoutError(), KeyError("x")],
    ids=["aiohttp", "oserror", "timeout", "anything"],
)
async def test_any_send_error_is_retried_not_left_sending(rig, error, state_backend):
    await rig.remind(USER, NOMAD)
    rig.sender.fail_with = error
    await rig.at(pacific("2024-07-10T10:55"))
    ((_, state),) = states(state_backend)
    assert state == "pending"  # not stuck in 'sending', to be marked lost at the next start
    rig.sender.fail_with = None
    await rig.at(pacific("2024-07-10T10:55:15"))
    assert len(rig.sender.dms) == 1
    assert states(state_backend) == [(NOMAD, "sent")]


async def test_forget_cancels_the_pending_delivery(rig, state_backend):
    await rig.remind(USER, NOMAD)
    await rig.state.reminders.forget(rig.service.conference.key, USER, NOMAD)
    await rig.at(pacific("2024-07-10T10:55"))
    assert rig.sender.dms == []
    assert states(state_backend) == [(NOMAD, "cancelled")]


async def test_reminding_again_after_forgetting_rearms_it(rig):
    await rig.remind(USER, NOMAD)
    await rig.state.reminders.forget(rig.service.conference.key, USER)
    await rig.remind(USER, NOMAD, minutes=5)
    await rig.at(pacific("2024-07-10T10:55"))
    assert rig.sender.dms == []
    await rig.at(pacific("2024-07-10T11:00"))
    assert len(rig.sender.dms) == 1


async def test_crash_between_sending_and_sent_is_marked_lost_not_resent(rig, caplog, state_backend):
    await rig.remind(USER, NOMAD)
    (delivery,) = await rig.state.ledger.due(
        rig.service.conference.key, int(pacific("2024-07-10T10:55").timestamp())
    )
    # Claimed, then the process died:
    assert await rig.state.ledger.claim(delivery.id, 0, Wanted.REMINDER_ARMED, "a process", 60)
    await rig.state.close()
    again = await make_rig(
        rig.service, await state_backend.open(), FixedClock(pacific("2024-07-10T10:56"))
    )
    try:
        with caplog.at_level(logging.WARNING):
            lost = await again.state.ledger.recover_interrupted(
                rig.service.conference.key, 0, alone=True
            )
            await again.at(pacific("2024-07-10T10:57"))
        assert [d.id for d in lost] == [delivery.id]
        assert again.sender.dms == []
        assert states(state_backend) == [(NOMAD, "lost")]
    finally:
        await again.state.close()
        rig.state = await state_backend.open()


async def test_program_reload_keeps_reminders_on_the_same_papers(rig, program):
    await rig.remind(USER, NOMAD)
    # The reloaded program lists papers in another order (row ids all change) and moves
    # NOMAD five minutes later; the reminder follows NOMAD by its stable key.
    talks = tuple(reversed(program.talks))
    moved = tuple(
        replace(p, slot=replace(p.slot, start=p.slot.start + timedelta(minutes=5),
                                end=p.slot.end + timedelta(minutes=5)))
        if p.key == "xiang" else p
        for p in talks
    )  # fmt: skip
    rig.swap_program(ProgramService(replace(program, talks=moved)))
    assert await rig.at(pacific("2024-07-10T10:55")) == 0
    assert await rig.at(pacific("2024-07-10T11:00")) == 1
    assert rig.sender.dms[0][1].title.startswith("⏰ NOMAD")


async def test_a_reminder_for_an_item_removed_from_the_program_is_cancelled(
    rig, program, state_backend
):
    await rig.remind(USER, NOMAD)
    rig.swap_program(
        ProgramService(replace(program, talks=tuple(p for p in program.talks if p.key != "xiang")))
    )
    await rig.at(pacific("2024-07-10T10:55"))
    assert rig.sender.dms == []
    assert states(state_backend) == [(NOMAD, "cancelled")]


# -- announcements --------------------------------------------------------------------


async def announce(rig, minutes=10, per_talk=False, at="2024-07-10T10:00"):
    now = int(pacific(at).timestamp())
    await rig.state.announcements.save(
        GUILD, rig.service.conference.key, CHANNEL, minutes, per_talk, now
    )
    await rig.scheduler.replan()


async def test_each_session_is_announced_once_before_it_starts(rig):
    await announce(rig, minutes=10, at="2024-07-10T13:00")
    assert await rig.at(pacific("2024-07-10T13:49")) == 0
    await rig.at(pacific("2024-07-10T13:50"))
    await rig.at(pacific("2024-07-10T13:51"))
    ((channel, posted, text),) = rig.sender.posts
    assert channel == CHANNEL and text is None
    (card,) = posted
    assert card.title == "📣 Low-Latency LLM Serving"
    assert len(card.fields) == 5


async def test_parallel_sessions_of_one_slot_go_in_one_message(program, state_backend):
    rig = await make_rig(ProgramService(two_tracks(program)), await state_backend.open(),
                         FixedClock(pacific("2024-07-10T10:00")))  # fmt: skip
    try:
        await announce(rig, minutes=10)
        await rig.at(pacific("2024-07-10T10:35"))
        ((_, posted, _),) = rig.sender.posts
        assert {c.title for c in posted} == {"📣 Memory Management", "📣 Low-Latency LLM Serving"}
    finally:
        await rig.state.close()


async def test_per_talk_posts_a_line_as_each_talk_starts(rig):
    await announce(rig, minutes=10, per_talk=True)
    await rig.at(pacific("2024-07-10T11:05"))
    lines = [text for _, _, text in rig.sender.posts if text]
    assert lines and lines[-1].startswith("▶️ Now in Grand Ballroom ABGH: **NOMAD")


async def test_a_deleted_channel_disables_announcements_without_crashing(rig, caplog):
    await announce(rig, at="2024-07-10T13:00")
    rig.sender.fail_with = TargetGone("channel 88 was deleted")
    with caplog.at_level(logging.WARNING):
        await rig.at(pacific("2024-07-10T13:50"))
    (config,) = await rig.state.announcements.find(GUILD)
    assert not config.enabled
    assert config.disabled_reason == "channel 88 was deleted"
    assert await rig.state.ledger.deliveries(owner=GUILD, state="pending") == []
    assert any("announcements disabled in guild 77" in r.getMessage() for r in caplog.records)


async def test_announcements_off_cancels_what_is_pending(rig):
    await announce(rig, at="2024-07-10T13:00")
    await rig.state.announcements.disable(GUILD, "off", 0)
    await rig.at(pacific("2024-07-10T13:50"))
    assert rig.sender.posts == []


async def test_slots_that_ended_while_down_are_skipped(rig):
    await announce(rig, at="2024-07-10T10:00")
    await rig.at(pacific("2024-07-10T16:00"))  # down all afternoon
    titles = [c.title for _, posted, _ in rig.sender.posts for c in posted]
    assert titles == ["📣 Distributed Systems"]  # 16:10 is still ahead
    skipped = await rig.state.ledger.deliveries(owner=GUILD, state="skipped")
    assert len(skipped) == 2  # Memory Management, Low-Latency LLM Serving


# -- the loop, the agenda and the database --------------------------------------------


# A process alone on its state: on a shared one it also looks every `look_every` seconds
# for what other processes did (see tests/test_ledger_leases.py).
@pytest.mark.parametrize("state_backend", [Dialect.SQLITE], indirect=True)
async def test_the_loop_sleeps_until_the_next_due_time_not_every_second(rig):
    assert await rig.scheduler.seconds_until_next() == 3600  # nothing pending
    await rig.remind(USER, NOMAD, minutes=10)  # due 10:55, the clock says 10:50
    assert await rig.scheduler.seconds_until_next() == 300


async def test_the_loop_wakes_early_when_a_reminder_is_added(rig):
    looked = asyncio.Event()
    original = rig.scheduler.step

    async def step():
        looked.set()
        return await original()

    rig.scheduler.step = step
    await rig.scheduler.start()
    try:
        async with asyncio.timeout(5):
            await looked.wait()  # first look: nothing due, so it goes to sleep for an hour
        await rig.state.reminders.add(rig.service.conference.key, USER, 1, NOMAD, 30, 0)
        rig.scheduler.wake()  # NOMAD at 11:05 minus 30 min is due already
        async with asyncio.timeout(5):
            await rig.sender.delivered.wait()
        assert len(rig.sender.dms) == 1
    finally:
        await rig.scheduler.stop()


async def test_agenda_is_in_time_order_with_clashes(program, state_backend):
    service = ProgramService(two_tracks(program))
    state = await state_backend.open()
    try:
        for ref in ("p:agrawal", "p:lazarev", "s:memory-management"):
            await state.reminders.add(service.conference.key, USER, 1, ref, 10, 0)
        reminders = await state.reminders.find(service.conference.key, USER)
        lines = agenda(service, reminders, pacific("2024-07-10T08:00"))
    finally:
        await state.close()
    # Same start: the shorter item first.
    assert [line.title.split(":")[0] for line in lines] == [
        "Sabre", "Taming Throughput-Latency Tradeoff in LLM Inference with Sarathi-Serve",
        "Memory Management",
    ]  # fmt: skip
    sabre, sarathi, memory = lines
    assert sabre.clashes == (sarathi.title,)  # same time, other room
    assert sarathi.title in memory.clashes  # a session does not clash with its own talk
    assert sabre.title not in memory.clashes


async def test_state_schema_is_migrated_once(state_backend):
    async with await state_backend.open() as state:
        assert await state.version() == STATE_VERSION
        await state.reminders.add("osdi24", USER, None, NOMAD, 10, 0)
    async with await state_backend.open() as state:
        assert len(await state.reminders.find("osdi24")) == 1


async def test_rebuilding_the_program_never_touches_the_state(tmp_path, program_copy):
    from bot.store import ensure_database

    state_path = tmp_path / "confbot-state.db"
    async with await StateStore.open(state_path) as state:
        await state.reminders.add("osdi24", USER, None, NOMAD, 10, 0)
    await ensure_database([program_copy], tmp_path / "confbot.db", force=True)
    await ensure_database([program_copy], tmp_path / "confbot.db", force=True)
    async with await StateStore.open(state_path) as state:
        assert [r.item_ref for r in await state.reminders.find("osdi24")] == [NOMAD]


# -- arming again, the agenda, claims during a batch, the cap --------------------------


async def test_reminding_again_after_it_was_delivered_fires_again(rig, state_backend):
    await rig.remind(USER, NOMAD, minutes=15)
    await rig.at(pacific("2024-07-10T10:50"))
    assert len(rig.sender.dms) == 1
    await rig.remind(USER, NOMAD, minutes=5)  # "remind me again closer to the time"
    await rig.at(pacific("2024-07-10T11:00"))
    assert len(rig.sender.dms) == 2
    assert states(state_backend) == [(NOMAD, "sent"), (NOMAD, "sent")]


async def test_reminding_again_after_closed_dms_fires_once_they_are_open(rig):
    await rig.remind(USER, NOMAD, minutes=15)
    rig.sender.fail_with = Unreachable("50007")
    await rig.at(pacific("2024-07-10T10:50"))
    rig.sender.fail_with = None  # the person opened their DMs, as we told them to
    await rig.remind(USER, NOMAD, minutes=10)
    await rig.at(pacific("2024-07-10T10:55"))
    assert len(rig.sender.dms) == 1
    (reminder,) = await rig.state.reminders.find(
        rig.service.conference.key, USER, (ReminderStatus.DONE,)
    )
    assert reminder.item_ref == NOMAD


async def test_reminding_again_while_pending_keeps_one_delivery(rig, state_backend):
    await rig.remind(USER, NOMAD, minutes=30)
    await rig.remind(USER, NOMAD, minutes=10)
    await rig.at(pacific("2024-07-10T10:40"))
    assert rig.sender.dms == []
    await rig.at(pacific("2024-07-10T10:55"))
    assert len(rig.sender.dms) == 1
    assert states(state_backend) == [(NOMAD, "cancelled"), (NOMAD, "sent")]


async def test_agenda_keeps_a_reminded_item_until_it_ends(rig):
    await rig.remind(USER, NOMAD)
    await rig.at(pacific("2024-07-10T10:55"))  # the DM went out
    followed = await rig.state.reminders.find(rig.service.conference.key, USER, FOLLOWED)
    (line,) = agenda(rig.service, followed, pacific("2024-07-10T11:10"))  # NOMAD is on
    assert line.ref == NOMAD
    assert line.status == "done"
    assert agenda(rig.service, followed, pacific("2024-07-10T11:25")) == []  # it ended


def test_agenda_card_marks_a_reminded_item(rig):
    from bot.render.agenda_cards import agenda_cards
    from bot.service.reminders import AgendaLine

    talk = rig.service.remindable(NOMAD)
    line = AgendaLine(NOMAD, talk.title, talk.slot, 10, ReminderStatus.DONE, ())
    (card,) = agenda_cards([line], rig.service.conference)
    assert "✅ Reminded" in card.fields[0].value


async def test_forget_during_a_batch_stops_the_sends_not_yet_made(rig, state_backend):
    other = USER + 1
    await rig.remind(USER, NOMAD)
    await rig.remind(other, NOMAD)
    conference = rig.service.conference.key
    first_send = rig.sender.send_dm

    async def send_then_other_forgets(user_id, card):
        await first_send(user_id, card)
        await rig.state.reminders.forget(conference, other)  # while the batch is still going

    rig.sender.send_dm = send_then_other_forgets
    await rig.at(pacific("2024-07-10T10:55"))
    assert [user for user, _ in rig.sender.dms] == [USER]
    assert states(state_backend) == [(NOMAD, "sent"), (NOMAD, "cancelled")]


async def test_forget_during_the_send_is_not_turned_into_done(rig):
    await rig.remind(USER, NOMAD)
    conference = rig.service.conference.key
    first_send = rig.sender.send_dm

    async def send_while_forgetting(user_id, card):
        await rig.state.reminders.forget(conference, USER)
        await first_send(user_id, card)

    rig.sender.send_dm = send_while_forgetting
    await rig.at(pacific("2024-07-10T10:55"))
    assert await rig.state.reminders.find(conference, USER, (ReminderStatus.CANCELLED,))
    assert not await rig.state.reminders.find(conference, USER, (ReminderStatus.DONE,))


async def test_announcements_off_during_a_batch_stops_the_next_post(rig):
    await announce(rig, minutes=10, per_talk=True, at="2024-07-10T13:00")
    first_post = rig.sender.post

    async def post_then_switch_off(channel_id, cards, text=None):
        await first_post(channel_id, cards, text)
        await rig.state.announcements.disable(GUILD, "turned off", 0)

    rig.sender.post = post_then_switch_off
    # At 14:00 the 14:00 slot's post (due 13:50) and its first talk's line are one batch.
    await rig.at(pacific("2024-07-10T14:00"))
    assert len(rig.sender.posts) == 1
    starts = f"start:{int(pacific('2024-07-10T14:00').timestamp())}"  # agrawal's line
    first_talk = [d for d in await rig.state.ledger.deliveries(kind="talk") if d.item_ref == starts]
    assert [d.state for d in first_talk] == ["cancelled"]


async def test_a_person_cannot_arm_more_reminders_than_the_cap(rig):
    conference = rig.service.conference.key
    talks = list(rig.service.talks)[:3]
    for key in talks[:2]:
        await rig.state.reminders.add(conference, USER, 1, f"p:{key}", 10, 0, limit=2)
    with pytest.raises(ReminderLimitReached) as full:
        await rig.state.reminders.add(conference, USER, 1, f"p:{talks[2]}", 10, 0, limit=2)
    assert full.value.limit == 2
    # Arming one of those again is not one more; another person has their own cap.
    await rig.state.reminders.add(conference, USER, 1, f"p:{talks[0]}", 5, 0, limit=2)
    await rig.state.reminders.add(conference, USER + 1, 1, f"p:{talks[2]}", 10, 0, limit=2)


async def test_a_reminder_already_delivered_does_not_count_against_the_cap(rig):
    conference = rig.service.conference.key
    await rig.state.reminders.add(conference, USER, 1, NOMAD, 10, 0, limit=1)
    await rig.scheduler.replan()
    await rig.at(pacific("2024-07-10T10:55"))
    await rig.state.reminders.add(conference, USER, 1, "p:lazarev", 10, 0, limit=1)


async def test_a_version_2_state_database_migrates_with_its_history(state_backend):
    state_at_version(
        state_backend, 2,
        "INSERT INTO reminders (conference, user_id, item_ref, minutes_before, created_ts,"
        " status) VALUES ('osdi24', 1, 'p:xiang', 10, 0, 'done')",
        "INSERT INTO deliveries (kind, owner, item_ref, target, due_ts, state, updated_ts)"
        " VALUES ('reminder', 1, 'p:xiang', 1, 5, 'sent', 5)",
    )  # fmt: skip
    async with await state_backend.open() as state:
        assert await state.version() == STATE_VERSION
        (delivery,) = await state.ledger.deliveries()
        assert (delivery.state, delivery.arming) == ("sent", 0)
        again = await state.reminders.add("osdi24", 1, None, "p:xiang", 10, 0)
        assert again.arming == 1 and again.status == "active"


async def test_stop_lets_the_send_in_flight_finish_and_takes_no_new_one(rig, state_backend):
    await rig.remind(USER, NOMAD)
    await rig.remind(USER + 1, NOMAD)
    rig.clock.at = pacific("2024-07-10T10:55")
    in_flight, release = asyncio.Event(), asyncio.Event()
    first_send = rig.sender.send_dm

    async def slow_send(user_id, card):
        in_flight.set()
        await release.wait()
        await first_send(user_id, card)

    rig.sender.send_dm = slow_send
    await rig.scheduler.start()
    await asyncio.wait_for(in_flight.wait(), 5)
    stopping = asyncio.create_task(rig.scheduler.stop())
    await asyncio.sleep(0)
    assert not stopping.done()  # waiting for the send, not cancelling it
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert len(rig.sender.dms) == 1
    assert states(state_backend) == [(NOMAD, "sent"), (NOMAD, "pending")]  # next start sends it


async def test_stop_gives_up_on_a_send_that_hangs(rig, state_backend):
    await rig.remind(USER, NOMAD)
    rig.clock.at = pacific("2024-07-10T10:55")
    in_flight = asyncio.Event()

    async def hanging_send(user_id, card):
        in_flight.set()
        await asyncio.Event().wait()

    rig.sender.send_dm = hanging_send
    await rig.scheduler.start()
    await asyncio.wait_for(in_flight.wait(), 5)
    await asyncio.wait_for(rig.scheduler.stop(grace=0.05), 5)
    assert states(state_backend) == [(NOMAD, "sending")]  # uncertain: marked lost next start
