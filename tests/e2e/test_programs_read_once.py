"""The e2e bots' program reads (tests/conftest.py, remember_what_files_make): a file
read again unchanged is what its reader made the first time; changed in any byte, read
with another default zone, or under other limits, it is read anew; a file refused is
refused every time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.importer import community
from bot.importer.errors import ProgramFileError
from bot.store import build
from tests.conftest import ROOT

SAMPLE = ROOT / "tests" / "fixtures" / "programs" / "schedule.xml"


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "schedule.xml"
    path.write_bytes(SAMPLE.read_bytes())
    return path


def test_a_file_read_again_unchanged_is_what_its_reader_made_the_first_time(program: Path):
    assert build.read_source(program) is build.read_source(program)


def test_a_changed_file_another_zone_or_other_limits_are_read_anew(
    program: Path, monkeypatch: pytest.MonkeyPatch
):
    first = build.read_source(program)
    program.write_bytes(program.read_bytes().replace(b"</schedule>", b"</schedule>\n"))
    changed = build.read_source(program)
    assert changed is not first and changed.program == first.program
    assert build.read_source(program, "Asia/Tokyo") is not changed
    monkeypatch.setattr(community, "MAX_EVENTS", 1)
    with pytest.raises(ProgramFileError):
        build.read_source(program)
    with pytest.raises(ProgramFileError):  # refused again, not remembered
        build.read_source(program)
