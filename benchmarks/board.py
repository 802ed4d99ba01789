"""Rendering the busiest /next and /schedule pages of a 100-room program.

A benchmark, not a timed test: it writes a congress-like program in 100 rooms
(benchmarks/synth.write_rooms_program), loads it through the real loader, finds the
moment when most items start within 15 minutes and the day with most items, and times
what a person waits for there: the service's answer and its cards, every page. The
baseline, in the same run, is the same on the bundled OSDI '24 (53 papers, one room), so
the ratio says what 100 rooms cost. Target: under 5 ms p99.

    python -m benchmarks.board [--rooms 100] [--runs 400]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks.synth import write_rooms_program
from bot.importer.merge import read_program
from bot.importer.registry import read_source
from bot.render import program_cards
from bot.service import ProgramService
from bot.service.results import ProgramItem

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "osdi24"
SOON = timedelta(minutes=15)


def busiest_moment(service: ProgramService) -> datetime:
    """A minute before the start time with most items starting within 15 minutes."""
    items: list[ProgramItem] = [*service.talks.values(), *service.program.events]
    starts = sorted(i.slot.start for i in items)
    best = max(set(starts), key=lambda s: sum(1 for x in starts if s <= x < s + SOON))
    return best - timedelta(minutes=1)


def busiest_day(service: ProgramService) -> date:
    tz = service.conference.tz
    days = [t.slot.start.astimezone(tz).date() for t in service.talks.values()]
    return max(set(days), key=days.count)


def timings(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls, after a few to warm up."""
    for _ in range(5):
        fn()
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        found.append((time.perf_counter() - start) * 1000)
    return sorted(found)


def pct(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def operations(service: ProgramService) -> list[tuple[str, Callable[[], object]]]:
    conference = service.conference
    at = busiest_moment(service)
    day = busiest_day(service)
    now = at
    later = at + timedelta(hours=4)  # mid-afternoon: every room on, the next starting
    return [
        ("/next answer + cards", lambda: program_cards.next_cards(service.next(at), conference)),
        ("  answer only", lambda: service.next(at)),
        ("/next 4 h later + cards",
         lambda: program_cards.next_cards(service.next(later), conference)),
        ("/now answer + cards", lambda: program_cards.now_cards(service.now(at), conference)),
        ("/schedule day + cards",
         lambda: program_cards.day_cards(service.day(day, now), conference)),
        ("/next, one room", lambda: program_cards.next_cards(
            service.next(at, where=service.where(room=service.rooms[0])), conference)),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rooms.json"
        events = write_rooms_program(path, rooms=args.rooms)
        big = ProgramService(read_source(path).program)
    small = ProgramService(read_program(BUNDLED).program)
    at = busiest_moment(big)
    answer = big.next(at)
    pages = program_cards.next_cards(answer, big.conference)
    day_pages = program_cards.day_cards(big.day(busiest_day(big), at), big.conference)
    print(f"board benchmark · {platform.machine()} · Python {platform.python_version()}")
    starting = len(answer.upcoming) + len(answer.soon)
    print(f"generated {events:,} events in {args.rooms} rooms; busiest /next at"
          f" {at.astimezone(big.conference.tz):%a %H:%M}: {starting} starting within 15 min,"
          f" {len(answer.current)} on now, {len(answer.ambient)} open in the background;"
          f" {len(pages)} pages of /next, {len(day_pages)} of /schedule")  # fmt: skip
    print(f"  {'operation':<24} {'p50 ms':>8} {'p99 ms':>8}   {'OSDI p99':>9}   ratio")
    worst = 0.0
    for (name, fn), (_, baseline) in zip(operations(big), operations(small), strict=True):
        ours, base = timings(fn, args.runs), timings(baseline, args.runs)
        worst = max(worst, pct(ours, 0.99))
        ratio = pct(ours, 0.99) / pct(base, 0.99)
        print(f"  {name:<24} {pct(ours, 0.5):>8.3f} {pct(ours, 0.99):>8.3f}"
              f"   {pct(base, 0.99):>9.3f}   {ratio:>5.1f}x")  # fmt: skip
    print(f"worst p99 {worst:.2f} ms: {'under' if worst < 5 else 'OVER'} the 5 ms target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
