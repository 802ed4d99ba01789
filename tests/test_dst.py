"""Times across a daylight-saving change: durations, relative times, /next windows, the
simulated clock and reminder due times are exact, not wall-clock arithmetic.

Python subtracts and compares two datetimes that share one tzinfo by their wall-clock
readings, ignoring the offsets: on fall-back night 00:00 to 04:00 would be 4 h (it is
5 h), and 01:30 PDT would count as inside an item from 01:00 to 02:00 PST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import SimulatedClock
from bot.model import Authorship, Conference, Program, Session, Slot, Talk, TimeBasis
from bot.render import timefmt
from bot.service import ProgramService

LA = ZoneInfo("America/Los_Angeles")


def la(text: str, fold: int = 0) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA, fold=fold)


def program_with(*timed: tuple[str, datetime, datetime]) -> Program:
    """One session per talk, so each talk's slot is exactly as given."""
    conference = Conference("dst", "DST Conf", "DST Conf", "America/Los_Angeles", None, None,
                            date(2024, 3, 9), date(2024, 11, 4))  # fmt: skip
    sessions, talks = [], []
    for key, start, end in timed:
        slot = Slot(start, end, TimeBasis.PUBLISHED, "Hall")
        day = start.astimezone(LA).date()
        sessions.append(Session(f"s-{key}", f"Session {key}", day, slot, (), (key,)))
        author = Authorship(f"person-{key}", f"Person {key}", None)
        talks.append(Talk(key, f"Talk {key}", None, f"s-{key}", slot, None, None, (author,)))
    return Program(conference, tuple(sessions), tuple(talks), ())


def test_a_slot_across_fall_back_lasts_its_true_length():
    slot = Slot(la("2024-11-03T00:00"), la("2024-11-03T04:00"), TimeBasis.PUBLISHED)
    assert slot.duration == timedelta(hours=5)


def test_a_slot_across_spring_forward_lasts_its_true_length():
    slot = Slot(la("2024-03-10T00:00"), la("2024-03-10T04:00"), TimeBasis.PUBLISHED)
    assert slot.duration == timedelta(hours=3)


def test_relative_times_across_fall_back_count_real_hours():
    assert timefmt.relative(la("2024-11-03T07:00"), la("2024-11-02T10:00")) == "in 22 h"


def test_relative_times_across_spring_forward_count_real_hours():
    assert timefmt.relative(la("2024-03-10T07:00"), la("2024-03-09T10:00")) == "in 20 h"


def test_the_repeated_hour_is_two_different_hours_for_next():
    # 01:00-02:00 PST is the second 01:00-02:00 of the night; at 01:30 PDT it is still ahead.
    late = ("late", la("2024-11-03T01:00", fold=1), la("2024-11-03T02:00", fold=1))
    service = ProgramService(program_with(late))
    first_pass = la("2024-11-03T01:30", fold=0)
    assert service.now(first_pass).current == ()
    (upcoming,) = service.next(first_pass).upcoming
    assert upcoming.key == "late"
    assert [t.key for t in service.now(la("2024-11-03T01:30", fold=1)).current] == ["late"]


def test_next_says_how_long_until_a_talk_after_the_change():
    morning = ("morning", la("2024-11-03T09:00"), la("2024-11-03T10:00"))
    service = ProgramService(program_with(morning))
    answer = service.next(la("2024-11-02T23:00"))
    (talk,) = answer.upcoming
    assert talk.slot.start - answer.at == timedelta(hours=11)  # 10 on the clock, 11 real


def test_the_simulated_clock_runs_in_real_time_through_the_change(monkeypatch):
    import bot.clock

    ticks = iter([0.0, 3600.0])
    monkeypatch.setattr(bot.clock.time, "monotonic", lambda: next(ticks))
    clock = SimulatedClock(la("2024-11-03T01:30", fold=0))  # 08:30 UTC
    assert clock.now() == datetime(2024, 11, 3, 9, 30, tzinfo=UTC)  # 01:30 PST, an hour on


@pytest.mark.parametrize(
    ("start", "minutes", "due_utc"),
    [(la("2024-11-03T01:10", fold=1), 30, "2024-11-03T08:40"),  # 00:40 PST = 01:40 PDT
     (la("2024-03-10T03:10"), 30, "2024-03-10T09:40")],  # 01:40 PST, before the jump
)  # fmt: skip
async def test_reminder_due_times_are_exact_across_the_change(tmp_path, start, minutes, due_utc):
    from bot.clock import FixedClock
    from tests.reminder_helpers import make_rig

    talk = ("talk", start, start.astimezone(UTC) + timedelta(minutes=20))
    service = ProgramService(program_with(talk))
    rig = await make_rig(service, tmp_path / "s.db", FixedClock(la("2024-03-01T00:00")))
    try:
        await rig.remind(1, "p:talk", minutes)
        (delivery,) = await rig.state.ledger.deliveries()
        assert datetime.fromtimestamp(delivery.due_ts, UTC) == datetime.fromisoformat(
            due_utc
        ).replace(tzinfo=UTC)
    finally:
        await rig.state.close()
