"""Following the program files while the bot runs (bot.live.sync)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.live.diff import ChangeKind
from bot.live.holder import ProgramHolder
from bot.live.sync import ProgramFollower
from bot.service import ProgramService
from bot.settings import BUNDLED_PROGRAM, Settings
from tests.conftest import pacific


@pytest.fixture
def program_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, copy)
    return copy


@pytest.fixture
def follower(program_dir: Path, service: ProgramService) -> ProgramFollower:
    settings = Settings.from_mapping({"CONFBOT_PROGRAM": str(program_dir),
                                      "CONFBOT_SYNC_INTERVAL": "60"})  # fmt: skip
    clock = FixedClock(pacific("2024-07-10T10:50"))
    return ProgramFollower(settings, ProgramHolder(service, clock.now()), clock)


def move_nomad(program_dir: Path, start: str, end: str) -> None:
    schedule = program_dir / "schedule.json"
    data = json.loads(schedule.read_text(encoding="utf-8"))
    nomad = next(p for s in data["sessions"] for p in s["papers"] if p["title"].startswith("NOMAD"))
    nomad["start"], nomad["end"] = start, end
    schedule.write_text(json.dumps(data), encoding="utf-8")


async def test_unchanged_files_are_not_read_again(follower: ProgramFollower):
    assert await follower.check() is None
    assert follower.holder.swaps == 0
    assert follower.status.checked_ts is not None and follower.status.error is None


async def test_an_edited_file_is_swapped_in_with_its_changes(follower, program_dir):
    move_nomad(program_dir, "2024-07-10T11:10", "2024-07-10T11:30")
    changes = await follower.check()
    assert changes is not None
    (change,) = changes
    assert change.key == "xiang" and change.kinds == (ChangeKind.MOVED,)
    assert follower.holder.swaps == 1
    nomad = follower.holder.service.talks["xiang"]
    assert nomad.slot.start == pacific("2024-07-10T11:10")
    assert follower.status.changes == 1 and follower.status.changed_ts is not None


async def test_a_broken_file_keeps_the_program_and_says_why(follower, program_dir, caplog):
    before = follower.holder.service
    (program_dir / "schedule.json").write_text("{ not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert await follower.check() is None
        assert await follower.check() is None
    assert follower.holder.service is before
    assert follower.status.failures == 2 and "schedule.json" in (follower.status.error or "")
    warnings = [r for r in caplog.records if "does not read" in r.getMessage()]
    assert len(warnings) == 1  # once per streak
    assert follower.delay() == 60 * 4  # backing off


async def test_a_fixed_file_is_taken_after_a_broken_one(follower, program_dir):
    schedule = program_dir / "schedule.json"
    good = schedule.read_text(encoding="utf-8")
    schedule.write_text("{ not json", encoding="utf-8")
    await follower.check()
    schedule.write_text(good, encoding="utf-8")
    move_nomad(program_dir, "2024-07-10T11:10", "2024-07-10T11:30")
    assert await follower.check() is not None
    assert follower.status.failures == 0 and follower.status.error is None
    assert follower.delay() == 60
