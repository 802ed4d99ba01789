"""Names written with invisible formatting characters (a soft hyphen, a zero-width space,
a direction mark or override) are the names people see and can type."""

from __future__ import annotations

import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.importer.registry import read_source
from bot.normalize import _INVISIBLE, without_invisible
from bot.service import ProgramService
from bot.service.program_service import clean_query
from bot.service.results import TalkAnswer

FEED = """BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:a@fixture
SUMMARY:Zero\u200btrust \u202eevil\u202c networks
DTSTART;TZID=Europe/Berlin:20240603T100000
DURATION:PT30M
LOCATION:Saal\u00ad1
CATEGORIES:Medi\u00adzin
END:VEVENT
BEGIN:VEVENT
UID:b@fixture
SUMMARY:Emoji 👩\u200d💻 stay whole
DTSTART;TZID=Europe/Berlin:20240603T110000
DURATION:PT30M
LOCATION:Saal 2
END:VEVENT
END:VCALENDAR
"""


def _service(tmp_path: Path) -> ProgramService:
    path = tmp_path / "feed.ics"
    path.write_text(FEED, encoding="utf-8")
    return ProgramService(read_source(path).program)


def test_names_are_read_without_invisible_characters(tmp_path: Path):
    service = _service(tmp_path)
    talks = {t.talk.title: t for t in service.talks.values()}
    talk = talks["Zerotrust evil networks"]  # no override left to turn the line around
    assert (talk.slot.room, talk.talk.track) == ("Saal1", "Medizin")
    assert "Emoji 👩\u200d💻 stay whole" in talks  # the joiner builds the emoji


def test_a_name_is_found_however_it_was_copied(tmp_path: Path):
    service = _service(tmp_path)
    at = datetime(2024, 6, 3, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    where = service.where(room="Saal\u00ad1", track="Medi\u200bzin")  # refused before
    answer = service.next(at, where=where)
    assert [t.title for t in answer.upcoming] == ["Zerotrust evil networks"]
    assert isinstance(service.talk("zero\u200btrust networks"), TalkAnswer)
    assert clean_query("a\u200eb") == "ab"


def test_every_invisible_formatting_character_is_taken_out_but_the_emoji_ones():
    kept = {0x200D} | set(range(0xE0020, 0xE0080))
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        invisible = unicodedata.category(char) == "Cf" and code not in kept
        assert bool(_INVISIBLE.match(char)) == invisible, hex(code)
    assert without_invisible("plain ascii") == "plain ascii"
