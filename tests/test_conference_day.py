"""Conference day: a room's talks posted in its own channel, and where to watch a talk
(live while it runs, the recording after, never for a talk not to be recorded)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.delivery.scheduler import TargetGone
from bot.importer.values import link_kind
from bot.model import Link, LinkKind, Program
from bot.render import program_cards
from bot.service import ProgramService
from bot.service.watch import WatchKind, watch
from bot.store import ProgramStore, build_database
from bot.store.state import STATE_VERSION, StateStore
from tests.conftest import pacific
from tests.local_servers import state_at_version
from tests.reminder_helpers import make_rig

GUILD, ROOM_CHANNEL = 77, 99
BALLROOM = "Grand Ballroom ABGH"
STREAM = "https://example.org/live/ballroom"
NOMAD = "xiang"  # Wed 11:05-11:25, Grand Ballroom ABGH


def with_links(program: Program, key: str, *links: Link, **changes: object) -> Program:
    talks = tuple(
        dataclasses.replace(t, links=links, **changes) if t.key == key else t for t in program.talks
    )
    return dataclasses.replace(program, talks=talks)


@pytest.fixture
async def rig(service: ProgramService, tmp_path: Path):
    rig = await make_rig(service, tmp_path / "state.db", FixedClock(pacific("2024-07-10T10:50")))
    yield rig
    await rig.state.close()


# -- which links are streams and recordings ----------------------------------------------


@pytest.mark.parametrize(
    ("title", "url", "kind"),
    [
        ("Live stream", "https://example.org/s/1", LinkKind.STREAM),
        ("Watch", "https://streaming.media.ccc.de/36c3/ada", LinkKind.STREAM),
        ("Video recording (AV1/WebM)", "https://example.org/v/1.webm", LinkKind.RECORDING),
        ("Talk", "https://media.ccc.de/v/36c3-10500", LinkKind.RECORDING),
        ("Video", "https://video.fosdem.org/2025/h1308/talk.mp4", LinkKind.RECORDING),
        ("Exploit POC Video", "https://youtu.be/QXut1XBymAk", LinkKind.OTHER),
        ("Slides", "https://example.org/slides.pdf", LinkKind.OTHER),
    ],
)
def test_links_are_streams_or_recordings_only_when_they_say_so(title, url, kind):
    assert link_kind(title, url) is kind


def test_link_kinds_survive_the_store(program: Program, tmp_path: Path):
    import asyncio

    changed = with_links(program, NOMAD, Link("Live", STREAM, LinkKind.STREAM),
                         Link("Slides", "https://example.org/s.pdf"))  # fmt: skip

    async def round_trip() -> Program:
        await build_database([changed], tmp_path / "p.db", "x")
        async with await ProgramStore.open(tmp_path / "p.db") as store:
            return await store.read_program()

    assert asyncio.run(round_trip()) == changed


# -- where to watch ---------------------------------------------------------------------


def test_a_room_stream_is_shown_only_while_the_talk_runs(program: Program):
    talk = next(t for t in program.talks if t.key == NOMAD)
    streams = {BALLROOM: STREAM}
    assert watch(talk, talk.slot.start - timedelta(minutes=1), streams) is None
    live = watch(talk, talk.slot.start + timedelta(minutes=1), streams)
    assert live is not None and live.kind is WatchKind.LIVE and live.url == STREAM
    assert watch(talk, talk.slot.end, streams) is None  # no recording known


def test_the_programs_own_stream_wins_over_the_rooms(program: Program):
    own = "https://example.org/own"
    changed = with_links(program, NOMAD, Link("Live stream", own, LinkKind.STREAM))
    talk = next(t for t in changed.talks if t.key == NOMAD)
    live = watch(talk, talk.slot.start, {BALLROOM: STREAM})
    assert live is not None and live.url == own


def test_a_recording_is_shown_after_the_talk(program: Program):
    video = "https://media.ccc.de/v/nomad"
    changed = with_links(program, NOMAD, Link("Recording", video, LinkKind.RECORDING))
    talk = next(t for t in changed.talks if t.key == NOMAD)
    after = watch(talk, talk.slot.end + timedelta(hours=1))
    assert after is not None and after.kind is WatchKind.RECORDING and after.label == "Recording"


def test_nothing_is_shown_for_a_talk_not_to_be_recorded(program: Program):
    changed = with_links(program, NOMAD, Link("Recording", "https://media.ccc.de/v/x",
                                              LinkKind.RECORDING), do_not_record=True)  # fmt: skip
    talk = next(t for t in changed.talks if t.key == NOMAD)
    assert watch(talk, talk.slot.start, {BALLROOM: STREAM}) is None
    assert watch(talk, talk.slot.end + timedelta(hours=1)) is None


def test_now_cards_link_the_stream_of_the_talk_on_stage(service: ProgramService):
    answer = service.now(pacific("2024-07-10T10:50"))
    (card,) = program_cards.now_cards(answer, service.conference, {BALLROOM: STREAM})
    assert f"📺 [Watch live]({STREAM})" in card.fields[0].value
    (plain,) = program_cards.now_cards(answer, service.conference)
    assert "Watch live" not in plain.fields[0].value


def test_a_link_cannot_close_its_markdown_early(service: ProgramService):
    answer = service.now(pacific("2024-07-10T10:50"))
    (card,) = program_cards.now_cards(
        answer, service.conference, {BALLROOM: "https://x.org/a)[b](c"}
    )
    assert "(https://x.org/a%29[b]%28c)" in card.fields[0].value


# -- room channels ------------------------------------------------------------------------


async def test_each_talk_of_a_room_is_posted_in_its_channel_as_it_starts(rig):
    key = rig.service.conference.key
    await rig.state.announcements.save_room(
        GUILD, key, BALLROOM, ROOM_CHANNEL, int(pacific("2024-07-10T10:50").timestamp())
    )
    await rig.state.streams.save(GUILD, key, BALLROOM, STREAM, 0)
    await rig.scheduler.replan()
    assert await rig.at(pacific("2024-07-10T11:04")) == 0
    await rig.at(pacific("2024-07-10T11:05"))
    ((channel, posted, text),) = rig.sender.posts
    assert channel == ROOM_CHANNEL and posted == []
    assert text.startswith(f"▶️ Now in {BALLROOM}: **NOMAD")
    assert f"[Watch live](<{STREAM}>)" in text


async def test_a_room_channel_set_during_a_talk_does_not_post_it_late(rig):
    key = rig.service.conference.key
    await rig.state.announcements.save_room(
        GUILD, key, BALLROOM, ROOM_CHANNEL, int(pacific("2024-07-10T10:50").timestamp())
    )
    await rig.scheduler.replan()
    pending = await rig.state.ledger.deliveries(owner=GUILD, state="pending")
    assert "p:lazarev" not in {d.item_ref for d in pending}  # Sabre started at 10:45


async def test_a_deleted_room_channel_turns_off_that_room_only(rig, caplog):
    key = rig.service.conference.key
    await rig.state.announcements.save(GUILD, key, 88, 10, False, 0)
    await rig.state.announcements.save_room(
        GUILD, key, BALLROOM, ROOM_CHANNEL, int(pacific("2024-07-10T10:50").timestamp())
    )
    await rig.scheduler.replan()
    rig.sender.fail_with = TargetGone("channel 99 was deleted")
    rig.sender.failing_channels = {ROOM_CHANNEL}
    with caplog.at_level(logging.WARNING):
        await rig.at(pacific("2024-07-10T11:05"))
    (room,) = await rig.state.announcements.rooms(key, GUILD)
    assert not room.enabled and room.disabled_reason == "channel 99 was deleted"
    (config,) = await rig.state.announcements.find(GUILD)
    assert config.enabled
    assert any("room channel 99 in guild 77 disabled" in r.getMessage() for r in caplog.records)


async def test_removing_a_room_channel_cancels_its_posts(rig):
    key = rig.service.conference.key
    await rig.state.announcements.save_room(GUILD, key, BALLROOM, ROOM_CHANNEL, 0)
    await rig.scheduler.replan()
    assert await rig.state.announcements.remove_room(GUILD, key, BALLROOM)
    await rig.at(pacific("2024-07-10T11:05"))
    assert rig.sender.posts == []


async def test_state_version_3_migrates_with_its_deliveries(tmp_path: Path):
    path = tmp_path / "state.db"
    state_at_version(path, 3, "INSERT INTO deliveries (kind, owner, item_ref, target, due_ts,"
                     " updated_ts) VALUES ('talk', 1, 'p:x', 2, 3, 4)")  # fmt: skip
    state = await StateStore.open(path)
    try:
        assert await state.version() == STATE_VERSION
        (kept,) = await state.ledger.deliveries()
        assert (kept.kind, kept.item_ref, kept.due_ts) == ("talk", "p:x", 3)
        await state.streams.save(1, "osdi24", BALLROOM, STREAM, 5)
        assert await state.streams.urls(1, "osdi24") == {BALLROOM: STREAM}
    finally:
        await state.close()


# -- rooms by name --------------------------------------------------------------------------


def test_a_room_is_found_in_any_case(service: ProgramService):
    assert service.room_named("grand ballroom abgh") == BALLROOM


def test_an_unknown_room_names_the_closest(service: ProgramService):
    from bot.service import QueryError

    with pytest.raises(QueryError, match="Did you mean Grand Ballroom ABGH"):
        service.room_named("Grand")


# -- Q&A threads --------------------------------------------------------------------------

FORUM = 555


async def qa_on(rig, at: str = "2024-07-10T10:50", minutes: int = 5) -> None:
    key = rig.service.conference.key
    await rig.state.qa.save_forum(GUILD, key, FORUM, minutes, int(pacific(at).timestamp()))
    await rig.scheduler.replan()


async def test_a_talks_thread_opens_minutes_before_it_starts(rig):
    await qa_on(rig)
    assert await rig.at(pacific("2024-07-10T10:59")) == 0
    await rig.at(pacific("2024-07-10T11:00"))  # NOMAD starts at 11:05
    ((forum, name, card, tags),) = rig.sender.threads
    assert forum == FORUM and name.startswith("NOMAD")
    assert card.ask and "Ask a question" in card.description
    assert BALLROOM in tags and "Memory Management" in tags
    (thread,) = await rig.state.qa.threads(rig.service.conference.key)
    assert thread.item_ref == "p:xiang" and not thread.closed


async def test_exactly_one_thread_per_talk(rig):
    await qa_on(rig)
    await rig.at(pacific("2024-07-10T11:00"))
    await rig.at(pacific("2024-07-10T11:01"))
    await rig.scheduler.replan()
    await rig.at(pacific("2024-07-10T11:02"))
    names = [name for _, name, _, _ in rig.sender.threads]
    assert names and len(names) == len(set(names))


async def test_a_thread_is_closed_a_day_after_its_talk(rig):
    await qa_on(rig)
    await rig.at(pacific("2024-07-10T11:00"))
    await rig.at(pacific("2024-07-11T11:24"))
    assert 5001 not in [thread_id for thread_id, _ in rig.sender.closed]
    await rig.at(pacific("2024-07-11T11:25"))  # NOMAD ended 11:25 the day before
    assert (5001, None) in rig.sender.closed
    (thread, *_) = await rig.state.qa.threads(rig.service.conference.key)
    assert thread.closed


async def test_a_moved_talk_gets_its_thread_edited(rig, program):
    await qa_on(rig)
    await rig.at(pacific("2024-07-10T11:00"))
    moved = tuple(
        dataclasses.replace(t, slot=dataclasses.replace(t.slot, room="Hall B"))
        if t.key == NOMAD else t for t in program.talks
    )  # fmt: skip
    rig.swap_program(ProgramService(dataclasses.replace(program, talks=moved)))
    await rig.scheduler.follow_up()
    ((thread_id, message_id, card),) = rig.sender.edits
    assert (thread_id, message_id) == (5001, 6001) and "Hall B" in card.description
    await rig.scheduler.follow_up()
    assert len(rig.sender.edits) == 1  # edited once, not on every pass


async def test_a_cancelled_talk_gets_its_thread_closed_with_a_note(rig, program):
    await qa_on(rig)
    await rig.at(pacific("2024-07-10T11:00"))
    kept = tuple(t for t in program.talks if t.key != NOMAD)
    rig.swap_program(ProgramService(dataclasses.replace(program, talks=kept)))
    await rig.scheduler.follow_up()
    assert rig.sender.closed == [(5001, "This talk is no longer in the program.")]


async def test_a_forum_we_cannot_post_in_turns_qa_off(rig, caplog):
    await qa_on(rig)
    rig.sender.fail_with = TargetGone("missing permission to open threads in 555")
    with caplog.at_level(logging.WARNING):
        await rig.at(pacific("2024-07-10T11:00"))
    (forum,) = await rig.state.qa.forums(rig.service.conference.key)
    assert not forum.enabled and "missing permission" in (forum.disabled_reason or "")
    assert await rig.state.ledger.deliveries(owner=GUILD, state="pending") == []
