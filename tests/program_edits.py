"""Editing a copy of the bundled OSDI '24 program as an organiser would, for the tests of
following a changing program."""

from __future__ import annotations

import json
from pathlib import Path


def move_talk(program_dir: Path, title_start: str, start: str, end: str) -> None:
    """Give the talk whose title starts with `title_start` a new time in schedule.json."""
    schedule = program_dir / "schedule.json"
    data = json.loads(schedule.read_text(encoding="utf-8"))
    talk = next(p for s in data["sessions"] for p in s["papers"]
                if p["title"].startswith(title_start))  # fmt: skip
    talk["start"], talk["end"] = start, end
    schedule.write_text(json.dumps(data), encoding="utf-8")
