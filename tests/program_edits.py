"""Editing a copy of a program as an organiser would, for the tests of following a
changing program: the bundled OSDI '24, or a frab/pretalx schedule.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

ConferenceEdit = Callable[[dict[str, Any]], None]


def move_talk(program_dir: Path, title_start: str, start: str, end: str) -> None:
    """Give the talk whose title starts with `title_start` a new time in schedule.json."""
    schedule = program_dir / "schedule.json"
    data = json.loads(schedule.read_text(encoding="utf-8"))
    talk = next(p for s in data["sessions"] for p in s["papers"]
                if p["title"].startswith(title_start))  # fmt: skip
    talk["start"], talk["end"] = start, end
    schedule.write_text(json.dumps(data), encoding="utf-8")


def edit(path: Path, change: ConferenceEdit) -> None:
    """Apply `change` to the conference of a frab/pretalx schedule.json, in place."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data["schedule"]["conference"])
    path.write_text(json.dumps(data), encoding="utf-8")


def retitle(title: str) -> ConferenceEdit:
    """The first event gets a new title."""

    def change(conference: dict[str, Any]) -> None:
        first = next(e for d in conference["days"] for es in d["rooms"].values() for e in es)
        first["title"] = title

    return change


def keep_one_event(conference: dict[str, Any]) -> None:
    """Every event but the first is cancelled."""
    kept = False
    for day in conference["days"]:
        for room, events in day["rooms"].items():
            day["rooms"][room] = events[:1] if not kept else []
            kept = kept or bool(events)


# -- a small frab program to change, talk by talk ------------------------------------------

FrabTalk = dict[str, Any]


def frab_talk(n: int, title: str, start: str, minutes: int, room: str, *people: str) -> FrabTalk:
    """One event of `write_frab` (`start`: local time on 2024-07-10, Pacific, as OSDI's)."""
    return {
        "guid": f"00000000-0000-4000-8000-{n:012d}", "id": n,
        "date": f"2024-07-10T{start}:00-07:00", "start": start,
        "duration": f"{minutes // 60:02d}:{minutes % 60:02d}", "room": room, "title": title,
        "type": "lecture",
        "persons": [{"id": 100 + i, "public_name": p} for i, p in enumerate(people)],
    }  # fmt: skip


def write_frab(path: Path, talks: list[FrabTalk]) -> None:
    """A one-day frab schedule.json of these talks, in their rooms, written to `path`."""
    rooms: dict[str, list[FrabTalk]] = {}
    for talk in talks:
        rooms.setdefault(talk["room"], []).append(talk)
    day = {"index": 1, "date": "2024-07-10", "day_start": "2024-07-10T08:00:00-07:00",
           "day_end": "2024-07-10T20:00:00-07:00", "rooms": rooms}  # fmt: skip
    conference = {"acronym": "changecon", "title": "Change Con", "start": "2024-07-10",
                  "end": "2024-07-10", "time_zone_name": "America/Los_Angeles",
                  "days": [day]}  # fmt: skip
    path.write_text(json.dumps({"schedule": {"version": "1", "conference": conference}}),
                    encoding="utf-8")  # fmt: skip
