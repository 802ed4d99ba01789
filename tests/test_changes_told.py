"""Changes told where people look, below Discord: what a change record keeps (and what
older ones still say), a correction planned only for the talk on when a version came,
and the lines that say it (the end-to-end tests are tests/e2e/test_changes_told_e2e.py)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.changes import RecordedChange
from bot.clock import FixedClock
from bot.live.diff import diff
from bot.live.sync import records
from bot.model import Authorship, Program
from bot.render import delivery_cards, text
from bot.service import ProgramService
from tests.conftest import pacific
from tests.reminder_helpers import make_rig
from tests.state_backends import StateBackend, state_at_version

GUILD, ROOM_CHANNEL = 77, 99
BALLROOM = "Grand Ballroom ABGH"
NOMAD = "xiang"  # Wed 11:05-11:25, Grand Ballroom ABGH


def ts(moment: str) -> int:
    return int(pacific(moment).timestamp())


def with_talk(program: Program, key: str, **changes: object) -> Program:
    talks = tuple(dataclasses.replace(t, **changes) if t.key == key else t for t in program.talks)
    return dataclasses.replace(program, talks=talks)


# -- who joined and left -----------------------------------------------------------------


def test_a_change_of_speakers_keeps_who_left_and_who_joined(program: Program):
    talk = next(t for t in program.talks if t.key == NOMAD)
    first, *rest = talk.authors
    joined = Authorship("zoe-quinn", "Zoë <@1> Quinn", None)
    new = with_talk(program, NOMAD, authors=(*rest, joined))
    (change,) = records(diff(program, new))
    assert change.kinds == ("people",)
    assert change.left == (first.name,) and change.joined == ("Zoë <@1> Quinn",)
    line = delivery_cards.change_line(change, program.conference.tz)
    assert line.endswith(f"speakers changed: Zoë \\<@1> Quinn joined, {first.name} left")
    (plain,) = text.change_lines([change], program.conference.tz)
    assert plain.endswith(f"speakers changed: Zoë <@1> Quinn joined, {first.name} left")


def test_a_reorder_of_speakers_names_no_one(program: Program):
    talk = next(t for t in program.talks if t.key == NOMAD)
    new = with_talk(program, NOMAD, authors=tuple(reversed(talk.authors)))
    (change,) = records(diff(program, new))
    assert (change.left, change.joined) == ((), ())
    assert delivery_cards.change_line(change, program.conference.tz).endswith("— speakers changed")


async def test_changes_kept_before_names_were_still_read(
    state_backend: StateBackend, program: Program
):
    """A change of speakers kept by a confbot of state schema 9 reads as it did then."""
    state_at_version(
        state_backend, 9,
        "INSERT INTO program_syncs (id, conference, applied_ts) VALUES (1, 'osdi24', 100)",
        "INSERT INTO program_changes (sync_id, item_ref, session_refs, title, kinds, old_start,"
        " old_end, old_room, new_start, new_end, new_room) VALUES (1, 'p:xiang', 's:x',"
        " 'NOMAD', 'people', 1, 2, 'A', 1, 2, 'A')",
    )  # fmt: skip
    async with await state_backend.open() as state:
        (change,) = await state.versions.changes("osdi24")
        assert (change.left, change.joined) == ((), ())
        assert (
            delivery_cards.change_line(change, program.conference.tz)
            == "**NOMAD** — speakers changed"
        )
        named = dataclasses.replace(change, left=("A | B",), joined=('C "D"',))
        await state.versions.serve("osdi24", "v2", None, 200, b"", [named])
        (newest, _) = await state.versions.changes("osdi24")
        assert (newest.left, newest.joined) == (("A | B",), ('C "D"',))


# -- /changes: each version's time -------------------------------------------------------


def test_changes_pages_repeat_the_version_heading_they_start_amid(program: Program):
    tz = program.conference.tz
    many = [RecordedChange(7, ts("2024-07-10T09:05"), f"p:{n}", (), "t" * 400, ("added",), None,
                           (ts("2024-07-10T11:00"), ts("2024-07-10T11:20"), "A"))
            for n in range(12)]  # fmt: skip
    pages = delivery_cards.changes_cards(many, program.conference, "Changes", dated=True)
    assert len(pages) > 1
    heading = delivery_cards.version_heading(ts("2024-07-10T09:05"), tz)
    assert heading.startswith("🕒 **Version of Wed Jul 10, 09:05 PDT**")
    for page in pages:
        assert page.description.splitlines()[0] == heading
    lines = [line for page in pages for line in page.description.splitlines()]
    assert sum(line.startswith("• ") for line in lines) == 12  # every change, once
    undated = delivery_cards.changes_cards(many, program.conference, "Changes")
    assert not any("Version of" in page.description for page in undated)


# -- a running talk moved: the correction in its room's channel ---------------------------


@pytest.fixture
async def rig(service: ProgramService, state_backend: StateBackend):
    state = await state_backend.open()
    rig = await make_rig(service, state, FixedClock(pacific("2024-07-10T11:10")))
    yield rig
    await rig.state.close()


def nomad_moved(applied: str, start: str, end: str, room: str) -> RecordedChange:
    return RecordedChange(0, ts(applied), "p:xiang", (), "NOMAD", ("moved",),
                          (ts("2024-07-10T11:05"), ts("2024-07-10T11:25"), BALLROOM),
                          (ts(start), ts(end), room))  # fmt: skip


async def serve(rig, *changes: RecordedChange) -> None:
    now_ts = int(rig.clock.now().timestamp())
    await rig.state.versions.serve(rig.service.conference.key, f"v{now_ts}", None, now_ts, b"",
                                   changes)  # fmt: skip


async def room_channel(rig, set_at: str = "2024-07-10T10:00") -> None:
    await rig.state.announcements.save_room(GUILD, rig.service.conference.key, BALLROOM,
                                            ROOM_CHANNEL, ts(set_at))  # fmt: skip


async def test_a_running_talk_moved_to_another_room_is_corrected_in_its_old_room(rig, program):
    await room_channel(rig)
    moved = dataclasses.replace(
        next(t for t in program.talks if t.key == NOMAD).slot, room="Hall B"
    )
    rig.swap_program(ProgramService(with_talk(program, NOMAD, slot=moved)))
    change = nomad_moved("2024-07-10T11:10", "2024-07-10T11:05", "2024-07-10T11:25", "Hall B")
    await serve(rig, dataclasses.replace(change, applied_ts=ts("2024-07-10T11:10")))
    await rig.at(pacific("2024-07-10T11:10"))
    ((channel, _, line),) = [p for p in rig.sender.posts if p[0] == ROOM_CHANNEL]
    assert channel == ROOM_CHANNEL
    assert (
        line == "⚠️ Correction: **NOMAD: Non-Exclusive Memory Tiering via Transactional Page"
        f" Migration** moved to Hall B (was 11:05–11:25 PDT, {BALLROOM})."
    )
    await rig.scheduler.replan()
    await rig.at(pacific("2024-07-10T11:11"))
    assert len([p for p in rig.sender.posts if p[0] == ROOM_CHANNEL]) == 1  # once


async def test_no_correction_for_a_talk_not_on_when_the_version_came(rig, program):
    """Moved before it started (its room's "Now" line follows it), or the room given a
    channel after the version came: nothing to correct."""
    await room_channel(rig)
    rig.clock.at = pacific("2024-07-10T11:00")
    await serve(rig, nomad_moved("2024-07-10T11:00", "2024-07-10T11:30", "2024-07-10T11:50",
                                 BALLROOM))  # fmt: skip
    await rig.scheduler.replan()
    assert await rig.state.ledger.deliveries(kind="correction") == []
    rig.clock.at = pacific("2024-07-10T11:10")
    await serve(rig, nomad_moved("2024-07-10T11:10", "2024-07-10T11:30", "2024-07-10T11:50",
                                 BALLROOM))  # fmt: skip
    await room_channel(rig, set_at="2024-07-10T11:11")
    await rig.scheduler.replan()
    assert await rig.state.ledger.deliveries(kind="correction") == []


def corrections(rig) -> list[str]:
    return [line for channel, _, line in rig.sender.posts
            if channel == ROOM_CHANNEL and line and line.startswith("⚠️")]  # fmt: skip


async def test_a_talk_moved_back_before_its_correction_goes_is_not_corrected(rig, program):
    await room_channel(rig)
    await serve(rig, nomad_moved("2024-07-10T11:10", "2024-07-10T11:10", "2024-07-10T11:30",
                                 BALLROOM))  # fmt: skip
    await rig.at(pacific("2024-07-10T11:10"))  # the program served still has it at 11:05
    assert corrections(rig) == []
    (skipped,) = await rig.state.ledger.deliveries(kind="correction")
    assert skipped.state == "skipped" and skipped.detail == "the talk is back where it was"


async def test_a_running_talk_cancelled_but_back_before_its_line_goes_is_not_told(rig):
    """The version that took NOMAD out while on is followed by one putting it back before
    the line went: the program served has it, so the room's "Now" line stands."""
    await room_channel(rig)
    cancelled = dataclasses.replace(
        nomad_moved("2024-07-10T11:10", "2024-07-10T11:05", "2024-07-10T11:25", BALLROOM),
        kinds=("cancelled",), new=None,
    )  # fmt: skip
    await serve(rig, cancelled)
    await rig.at(pacific("2024-07-10T11:10"))  # the program served still has it
    assert [p for p in rig.sender.posts if p[0] == ROOM_CHANNEL and p[2]
            and p[2].startswith("❌")] == []  # fmt: skip
    (skipped,) = await rig.state.ledger.deliveries(kind="correction")
    assert skipped.state == "skipped" and skipped.detail == "the talk is back in the program"
