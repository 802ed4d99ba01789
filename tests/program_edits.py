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
