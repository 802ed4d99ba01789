"""Small things real programs showed wrong (issue 22, part 7), below Discord: the
renderers every adapter shares, the importers, the services."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.importer.registry import read_source
from bot.model import Conference, Program
from bot.render import text
from bot.render.common import conference_title
from bot.render.ics import calendar
from bot.service import ProgramService
from tests.conftest import REAL_PROGRAMS, needs_shared

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"


@pytest.fixture(scope="module")
def fosdem() -> ProgramService:
    needs_shared(FOSDEM)
    return ProgramService(read_source(FOSDEM).program)


# -- 1. a title said twice -----------------------------------------------------------------


def _named(conference: Conference, name: str, full_name: str) -> Conference:
    return dataclasses.replace(conference, name=name, full_name=full_name)


def test_a_conference_is_named_once_where_one_name_holds_the_other(program: Program):
    osdi = program.conference
    assert conference_title(osdi) == (
        "18th USENIX Symposium on Operating Systems Design and Implementation (OSDI '24)"
    )
    assert conference_title(_named(osdi, "FOSDEM 2026", "FOSDEM 2026")) == "FOSDEM 2026"
    assert conference_title(_named(osdi, "fosdem", "FOSDEM 2026")) == "FOSDEM 2026"
    assert conference_title(_named(osdi, "DebConf 23 Kochi", "debconf 23")) == "DebConf 23 Kochi"


def test_the_console_and_the_calendar_name_a_community_program_once(fosdem: ProgramService):
    about = text.render_about(fosdem.conference, "1.0", 943, 100)
    assert about.split("\n")[0] == "FOSDEM 2025"
    now = datetime(2025, 1, 1, tzinfo=UTC)
    data = calendar(fosdem.calendar_items()[:1], fosdem.conference, "talk", now)
    unfolded = data.decode().replace("\r\n ", "")
    assert "FOSDEM 2025" in unfolded and "FOSDEM 2025 (FOSDEM 2025)" not in unfolded
