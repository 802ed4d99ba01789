"""A generated frab JSON program with a track in several rooms on one day, each room a
block of its own ('Huge (R1952), Monday'), and in one room the next day ('Huge,
Tuesday'): what /session answers for a track that spans rooms on a day and for one
whose day is one room's block. Used at the service and through the fake Discord."""

from __future__ import annotations

import json
from pathlib import Path

HUGE_MONDAY = {  # room: title, Monday 2025-03-03; each room holds only Huge's talk
    "R1950": "Huge models on small boards",
    "R1951": "Huge pages in practice",
    "R1952": "Huge graphs, tiny memory",
    "R1953": "Huge teams, one repository",
}
HUGE_TUESDAY = ("Huge logs, read fast", "Huge screens for everyone")  # both in R1950
OTHER = "Small is beautiful"  # track Small, in room Side each day


def _event(n: int, day: str, start: str, room: str, title: str, track: str) -> dict[str, object]:
    return {"guid": f"00000000-0000-4000-8000-{n:012d}", "id": n, "title": title,
            "date": f"{day}T{start}:00+01:00", "start": start, "duration": "00:30",
            "room": room, "type": "lecture", "track": track,
            "persons": [{"public_name": f"Speaker {n}"}]}  # fmt: skip


def write_huge_program(path: Path) -> Path:
    """Write the program to `path` (Europe/Berlin, Monday 3 and Tuesday 4 March 2025)."""
    monday = {room: [_event(i + 1, "2025-03-03", f"{10 + i}:00", room, title, "Huge")]
              for i, (room, title) in enumerate(HUGE_MONDAY.items())}  # fmt: skip
    monday["Side"] = [_event(10, "2025-03-03", "10:00", "Side", OTHER, "Small")]
    tuesday = {"R1950": [_event(20 + i, "2025-03-04", f"{10 + i}:00", "R1950", title, "Huge")
                         for i, title in enumerate(HUGE_TUESDAY)],
               "Side": [_event(30, "2025-03-04", "10:00", "Side", OTHER, "Small")]}  # fmt: skip
    data = {"schedule": {"version": "1", "conference": {
        "acronym": "huge", "title": "Huge Con", "time_zone_name": "Europe/Berlin",
        "start": "2025-03-03", "end": "2025-03-04",
        "days": [{"index": 1, "date": "2025-03-03", "rooms": monday},
                 {"index": 2, "date": "2025-03-04", "rooms": tuesday}]}}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
