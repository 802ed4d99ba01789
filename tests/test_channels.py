"""Organisers' channels at scale: a slot's post lists only what starts then, a line per
talk, in as few messages as Discord allows; talks starting together are one message,
sent once across restarts."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.importer.registry import read_source
from bot.kinds import DeliveryKind, DeliveryState
from bot.render import posts
from bot.render.cards import Card
from bot.render.limits import EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX, EMBEDS_PER_MESSAGE
from bot.service import ProgramService, QueryError, qa
from bot.store.ledger_store import Planned, Wanted
from tests.conftest import REAL_PROGRAMS, pacific
from tests.reminder_helpers import Rig, make_rig
from tests.test_parallel_rooms import two_tracks

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
BRUSSELS = ZoneInfo("Europe/Brussels")
GUILD, CHANNEL = 77, 88


def brussels(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


def within_limits(message: list[Card]) -> bool:
    return (
        len(message) <= EMBEDS_PER_MESSAGE
        and sum(c.size() for c in message) <= EMBED_TOTAL_MAX
        and all(len(c.description) <= EMBED_DESCRIPTION_MAX for c in message)
    )


def lines_of(message: list[Card], lead: bool = True) -> list[str]:
    """A message's talk lines: each card's description but the post's lead line (on
    the first message's first card)."""
    found = [line for card in message for line in card.description.split("\n")]
    return found[1:] if lead else found


async def announce(rig: Rig, at: datetime, per_talk: bool = False, minutes: int = 10) -> None:
    rig.clock.at = at
    key = rig.service.conference.key
    await rig.state.announcements.save(GUILD, key, CHANNEL, minutes, per_talk,
                                       int(at.timestamp()))  # fmt: skip
    await rig.scheduler.replan()


@pytest.fixture(scope="module")
def fosdem() -> ProgramService:
    if not FOSDEM.exists():
        pytest.skip("needs ../shared")
    return ProgramService(read_source(FOSDEM).program)


# -- packing ----------------------------------------------------------------------------


def test_packing_loses_no_line_and_fills_each_message():
    lines = [f"`10:30` **Room {i}** · {'x' * (150 + i % 50)}" for i in range(200)]
    header = posts.Header("📣 200 talks start at 10:30 CET", "**Starts in 10 min**", "≈ note")
    messages = posts.pack(header, lines)
    assert all(within_limits(m) for m in messages)
    shown = [line for i, m in enumerate(messages) for line in lines_of(m, lead=i == 0)]
    assert shown == lines  # in order, none cut
    total = sum(len(line) + 1 for line in lines)
    assert len(messages) <= total // (EMBED_TOTAL_MAX - 400) + 1  # nearly full messages
    assert messages[-1][-1].footer == "≈ note"


# -- slots ------------------------------------------------------------------------------


async def test_fosdem_10_30_lists_only_the_talks_starting_then(fosdem, tmp_path: Path):
    rig = await make_rig(fosdem, tmp_path / "s.db", FixedClock(brussels("2025-02-01T10:19")))
    try:
        await announce(rig, brussels("2025-02-01T10:19"))
        await rig.at(brussels("2025-02-01T10:20"))
        ten_thirty = [m for _, m, _ in rig.sender.posts if m[0].title.endswith("10:30 CET")]
        (message,) = ten_thirty  # one message: 24 lines fit one
        at = brussels("2025-02-01T10:30")
        starting = [t for t in fosdem.talks.values() if t.slot.start == at]
        assert message[0].title == f"📣 {len(starting)} talks start at 10:30 CET"
        lines = lines_of(message)
        assert len(lines) == len(starting) == 24
        assert all(line.startswith("`10:30` **") for line in lines)
        assert within_limits(message)
    finally:
        await rig.state.close()


async def test_a_session_of_the_programs_own_is_still_one_card(rig_osdi):
    """Behaviour kept for academic programs: their sessions are what starts."""
    await announce(rig_osdi, pacific("2024-07-10T13:00"))
    await rig_osdi.at(pacific("2024-07-10T13:50"))
    ((_, (card,), _),) = rig_osdi.sender.posts
    assert card.title == "📣 Low-Latency LLM Serving"


async def test_a_retry_whose_post_is_now_fewer_messages_than_went_out_sends_nothing(rig_osdi):
    """A post failed after 3 of its messages; the program changed, and the slot is now one
    message: which of them are left cannot be told, so none is sent, and the ledger says why."""
    await announce(rig_osdi, pacific("2024-07-10T13:00"))
    at = pacific("2024-07-10T13:50")
    rig_osdi.clock.at = at
    await rig_osdi.scheduler.replan()
    (due,) = await rig_osdi.state.ledger.due("osdi24", int(at.timestamp()))
    ledger, now_ts = rig_osdi.state.ledger, int(at.timestamp())
    assert await ledger.claim(due.id, now_ts, Wanted.ANNOUNCING, "a process", now_ts + 60)
    await ledger.record_parts(due.id, 3)  # what the failed attempt had sent
    await ledger.settle(due.id, DeliveryState.SENDING, DeliveryState.PENDING, now_ts)
    await rig_osdi.at(at)
    assert rig_osdi.sender.posts == []
    (slot,) = await ledger.deliveries(kind="slot", state="failed")
    assert slot.parts_sent == 3
    assert slot.detail == ("sent 3 of its messages before a failure, but it is now 1 message"
                           " (the program changed): the rest not sent")  # fmt: skip


# -- talks starting together ------------------------------------------------------------


async def test_fosdem_14_talks_starting_together_are_one_message(fosdem, tmp_path: Path):
    rig = await make_rig(fosdem, tmp_path / "s.db", FixedClock(brussels("2025-02-01T11:29")))
    try:
        await announce(rig, brussels("2025-02-01T11:29"), per_talk=True)
        await rig.at(brussels("2025-02-01T11:30"))
        lines = [m for _, m, _ in rig.sender.posts if m and m[0].title.startswith("▶️")]
        (message,) = lines
        assert message[0].title == "▶️ Now: 14 talks at 11:30 CET"
        assert len(lines_of(message)) == 14 and within_limits(message)
    finally:
        await rig.state.close()


@pytest.fixture
async def rig_osdi(service: ProgramService, tmp_path: Path):
    rig = await make_rig(service, tmp_path / "state.db", FixedClock(pacific("2024-07-10T10:00")))
    yield rig
    await rig.state.close()


@pytest.fixture
async def parallel(program, tmp_path: Path):
    """Two rooms whose first talks start together (10:30 in Memory Management, Room B)."""
    service = ProgramService(two_tracks(program))
    rig = await make_rig(service, tmp_path / "state.db", FixedClock(pacific("2024-07-10T10:00")))
    yield rig
    await rig.state.close()


def together(rig: Rig) -> list[list[Card]]:
    return [m for _, m, _ in rig.sender.posts if m and m[0].title.startswith("▶️ Now")]


async def test_two_talks_starting_together_are_one_message_sent_once(parallel, tmp_path):
    start = min(t.slot.start for t in parallel.service.talks.values())
    await announce(parallel, pacific("2024-07-10T10:00"), per_talk=True)
    await parallel.at(start)
    (message,) = together(parallel)
    assert len(lines_of(message)) == 2
    await parallel.state.close()
    again = await make_rig(parallel.service, tmp_path / "state.db", FixedClock(start))
    try:
        await again.scheduler.recover()
        await again.at(start.replace(minute=start.minute + 1))  # a restart: nothing twice
        assert together(again) == []
    finally:
        await again.state.close()


async def test_a_crash_between_claim_and_sent_loses_the_message_never_sends_it_twice(
    parallel, tmp_path
):
    start = min(t.slot.start for t in parallel.service.talks.values())
    await announce(parallel, pacific("2024-07-10T10:00"), per_talk=True)
    parallel.clock.at = start
    await parallel.scheduler.replan()
    (due,) = [d for d in await parallel.state.ledger.due("osdi24", int(start.timestamp()))
              if d.kind is DeliveryKind.TALK]  # fmt: skip
    start_ts = int(start.timestamp())
    assert await parallel.state.ledger.claim(due.id, start_ts, Wanted.ANNOUNCING, "a process",
                                             start_ts + 60)  # fmt: skip
    await parallel.state.close()  # the process dies before the message is marked sent
    again = await make_rig(parallel.service, tmp_path / "state.db", FixedClock(start))
    try:
        (lost,) = await again.scheduler.recover()
        assert lost.id == due.id
        await again.at(start)
        assert together(again) == []
    finally:
        await again.state.close()


async def test_a_talk_told_alone_by_an_earlier_version_is_not_told_again(parallel, tmp_path):
    start = min(t.slot.start for t in parallel.service.talks.values())
    first, second = sorted(t.key for t in parallel.service.talks.values() if t.slot.start == start)
    told = Planned(DeliveryKind.TALK, GUILD, f"p:{first}", CHANNEL, int(start.timestamp()))
    await parallel.state.ledger.sync_plan("osdi24", [told], 0)
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("UPDATE deliveries SET state = ? WHERE item_ref = ?",
                   (DeliveryState.SENT, f"p:{first}"))  # fmt: skip
    await announce(parallel, pacific("2024-07-10T10:00"), per_talk=True)
    await parallel.at(start)
    assert together(parallel) == []  # one line left: the single talk's line as before
    (text,) = [t for _, _, t in parallel.sender.posts if t]
    assert parallel.service.talks[second].title in text


# -- Q&A threads ------------------------------------------------------------------------


def test_qa_filters_take_the_programs_names_and_refuse_unknown_ones(fosdem):
    wanted = qa.filter_named(fosdem, "ub2.252a (lameere),  h.1301 (cornil)", "llvm")
    assert wanted == qa.Filter(("UB2.252A (Lameere)", "H.1301 (Cornil)"), ("LLVM",))
    with pytest.raises(QueryError, match=r"No track of .* is called “x{199}"):
        qa.filter_named(fosdem, None, "x" * 199)
    with pytest.raises(QueryError, match="No room of"):
        qa.filter_named(fosdem, "UB2.252A (Lameere), nowhere", None)


def test_qa_forecast_counts_a_tracks_threads_by_day_and_the_most_at_once(fosdem):
    now = brussels("2025-02-01T08:00")
    ahead = qa.forecast(fosdem, qa.Filter(tracks=("LLVM",)), 120, now)
    llvm = [t for t in fosdem.talks.values() if t.talk.track == "LLVM"]
    assert ahead.total == len(llvm) and ahead.most_at_once == 1  # one room: one at a time
    ten = brussels("2025-02-01T10:00")
    everything = qa.forecast(fosdem, qa.Filter(), 120, ten)
    soon = [t for t in fosdem.talks.values() if 0 < (t.slot.start - ten).total_seconds() <= 1800]
    assert everything.most_at_once == len(soon) == 24  # the lead held to 30 min, not 120


async def test_a_lead_set_before_the_cap_is_held_to_it(rig_osdi):
    key = rig_osdi.service.conference.key
    await rig_osdi.state.qa.save_forum(
        GUILD, key, 555, 120, int(pacific("2024-07-10T08:00").timestamp())
    )
    await rig_osdi.scheduler.replan()
    (first, *_) = await rig_osdi.state.ledger.deliveries(kind="thread")
    talk = rig_osdi.service.remindable(first.item_ref)
    assert talk is not None
    assert first.due_ts == int(talk.slot.start.timestamp()) - 60 * qa.LEAD_MAX
