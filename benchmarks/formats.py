"""Loading the formats organisers export, against plainly parsing the same file.

    python -m benchmarks.formats [--events 10000]

Measures parse + build the database + index (what a start from a changed file costs)
for the real FOSDEM 2025 schedule.xml (943 events, from ../shared) and for a generated
pretalx schedule.json of --events events, each next to the plain parse of the same file
(ElementTree / json.load) in the same run, and /paper and /author p99 on the latter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.queries import person_queries, talk_queries
from benchmarks.run import measure, p
from benchmarks.synth import make_papers
from bot.importer.registry import read_source
from bot.service import ProgramService
from bot.store import build_database

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-programs"
FOSDEM = SHARED / "fosdem-2025.schedule.xml"


def write_pretalx(path: Path, events: int, seed: int = 7, acronym: str = "bench") -> None:
    """A pretalx schedule.json: 5 days, 20 rooms, 30-minute slots, real title vocabulary
    (`acronym` is the conference's key, so several can share one database)."""
    rng = random.Random(seed)
    talks = make_papers(rng, events)
    rooms = [f"Room {chr(65 + i)}" for i in range(20)]
    tracks = ["Security", "Systems", "Art & Culture", "Science", "Community", "Hardware"]
    days = []
    per_day = -(-events // 5)
    for d in range(5):
        day = datetime(2025, 12, 27 + d, 10, 0)
        by_room: dict[str, list[dict[str, object]]] = {r: [] for r in rooms}
        for i, talk in enumerate(talks[d * per_day : (d + 1) * per_day]):
            room = rooms[i % len(rooms)]
            start = day + timedelta(minutes=30 * (i // len(rooms)))
            by_room[room].append({
                "guid": f"{d:02d}{i:06d}-0000-4000-8000-000000000000", "id": d * 100000 + i,
                "date": start.isoformat() + "+01:00", "start": f"{start:%H:%M}",
                "duration": "00:25", "room": room, "title": talk.title, "subtitle": "",
                "track": tracks[i % len(tracks)], "type": "lecture", "language": "en",
                "abstract": f"<p>{talk.title} in depth.</p>", "description": "",
                "persons": [{"public_name": name} for name, _ in talk.authors], "links": [],
            })  # fmt: skip
        days.append({"index": d + 1, "date": f"{day:%Y-%m-%d}", "rooms": by_room})
    data = {"schedule": {"version": "bench", "conference": {
        "acronym": acronym, "title": f"Benchmark Congress {acronym}", "start": "2025-12-27",
        "end": "2025-12-31", "time_zone_name": "Europe/Berlin", "days": days}}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")


def load_phases(path: Path, db: Path) -> tuple[float, float, float]:
    """Seconds to parse and build the program, to write its database, to index it."""
    started = time.perf_counter()
    loaded = read_source(path)
    parsed = time.perf_counter()
    asyncio.run(build_database([loaded.program], db, "bench"))
    stored = time.perf_counter()
    ProgramService(loaded.program)
    return parsed - started, stored - parsed, time.perf_counter() - stored


def median_of(fn: Callable[[], float], runs: int = 5) -> float:
    return statistics.median(fn() for _ in range(runs))


def load_summary(path: Path, db: Path, runs: int) -> str:
    """The median total and, beside it, each phase's median, so a miss says where."""
    phases = [load_phases(path, db) for _ in range(runs)]
    totals = sorted(sum(p) for p in phases)
    parse, store, index = (statistics.median(p[i] for p in phases) for i in range(3))
    return (
        f"{statistics.median(totals):.3f} s (median of {runs}; runs {totals[0]:.3f} to"
        f" {totals[-1]:.3f}; phases: parse + build {parse:.3f}, database {store:.3f},"
        f" index {index:.3f})"
    )


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.formats")
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="confbot-formats-") as tmp:
        root = Path(tmp)
        if FOSDEM.is_file():
            ours = load_summary(FOSDEM, root / "fosdem.db", runs=5)
            plain = median_of(lambda: timed(lambda: ET.parse(FOSDEM)))
            print(f"FOSDEM 2025 schedule.xml (943 events): load {ours}, target 0.5 s;"
                  f" plain ElementTree.parse {plain:.3f} s")  # fmt: skip
        else:
            print(f"FOSDEM: skipped, {FOSDEM} is absent")
        generated = root / "pretalx.json"
        write_pretalx(generated, args.events)
        size = generated.stat().st_size / 1e6
        ours = load_summary(generated, root / "pretalx.db", runs=5)
        plain = median_of(lambda: timed(lambda: json.loads(generated.read_bytes())), runs=5)
        print(f"generated pretalx schedule.json ({args.events:,} events, {size:.1f} MB): load"
              f" {ours}, target 1.5 s; plain json.loads {plain:.3f} s")  # fmt: skip
        service = ProgramService(read_source(generated).program)
        talks = [q.query for q in talk_queries(service.program, 400, 7)]
        people = [q.query for q in person_queries(list(service.people.values()), 400, 7)]
        for name, fn, queries in (("/paper", service.talk, talks),
                                  ("/author", service.author, people)):  # fmt: skip
            measure(fn, queries[:20])
            times = measure(fn, queries)
            print(f"  {name} at {args.events:,} events: p50 {p(times, 0.5):.3f} ms,"
                  f" p99 {p(times, 0.99):.3f} ms (target 2 ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
