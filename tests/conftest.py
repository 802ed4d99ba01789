"""Shared fixtures: the real OSDI '24 program as shipped in data/osdi24."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.importer.merge import read_program
from bot.model import Program
from bot.service import ProgramService

ROOT = Path(__file__).resolve().parent.parent
PROGRAM_DIR = ROOT / "data" / "osdi24"
PACIFIC = ZoneInfo("America/Los_Angeles")
COMMANDS = frozenset(
    (
        "next now paper author session schedule search about"
        " remind agenda forget announce status publish-events stream qa ask questions changes"
        " program conference"
    ).split()
)


@pytest.fixture(scope="session")
def program() -> Program:
    return read_program(PROGRAM_DIR).program


@pytest.fixture(scope="session")
def service(program: Program) -> ProgramService:
    return ProgramService(program)


def pacific(text: str) -> datetime:
    """'2024-07-10T10:50' as conference local time."""
    return datetime.fromisoformat(text).replace(tzinfo=PACIFIC)


@pytest.fixture
def at() -> Callable[[str], datetime]:
    return pacific


@pytest.fixture
def program_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled program, for tests that break or change it."""
    target = tmp_path / "osdi24"
    target.mkdir()
    for name in ("program.txt", "schedule.json"):
        (target / name).write_bytes((PROGRAM_DIR / name).read_bytes())
    return target
