"""Small things real programs showed wrong (issue 22, part 7), below Discord: the
renderers every adapter shares, the importers, the services."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.console import Console
from bot.clock import FixedClock
from bot.i18n import ENGLISH, Language, bundled_messages
from bot.importer.registry import read_source
from bot.model import Authorship, Conference, Program
from bot.render import cards, delivery_cards, text
from bot.render.common import authors_line, conference_title, join_names, source_text
from bot.render.ics import calendar
from bot.service import ProgramService, QueryError
from bot.service.results import NoMatch, ProgramSize, TalkAnswer
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
    about = text.render_about(fosdem.conference, "1.0", ProgramSize(943, 100))
    assert about.split("\n")[0] == "FOSDEM 2025"
    now = datetime(2025, 1, 1, tzinfo=UTC)
    data = calendar(fosdem.calendar_items()[:1], fosdem.conference, "talk", now)
    unfolded = data.decode().replace("\r\n ", "")
    assert "FOSDEM 2025" in unfolded and "FOSDEM 2025 (FOSDEM 2025)" not in unfolded


# -- 2. people joined so that two read as one family ----------------------------------------


def test_names_are_joined_so_no_surname_is_shared_by_mistake():
    assert join_names(["Ada Lovelace", "Grace Hopper"]) == "Ada Lovelace and Grace Hopper"
    assert join_names(["blinry", "bleeptrack"]) == "blinry and bleeptrack"
    assert join_names(["A B", "C D", "E F"]) == "A B, C D, and E F"
    assert join_names(["Josep", "Ramon Gordillo"]) == "Josep · Ramon Gordillo"
    assert join_names(["Ramon Gordillo", "Josep"]) == "Ramon Gordillo · Josep"
    assert join_names(["Georg Link", "johan", "Kevin Lumbard"]) == (
        "Georg Link · johan · Kevin Lumbard"
    )
    assert join_names(["Josep"]) == "Josep"
    grouped = [Authorship("j", "Josep", "UPC"), Authorship("r", "Ramon Gordillo", "UPC"),
               Authorship("a", "Ada Lovelace", None)]  # fmt: skip
    assert authors_line(grouped) == "Josep · Ramon Gordillo (UPC); Ada Lovelace"


def test_every_place_that_lists_speakers_sets_them_apart(fosdem: ProgramService):
    talk = fosdem.talk("Public values and FOSS for education")
    assert isinstance(talk, TalkAnswer)
    item = talk.talk
    assert "\n  Geert-Jan · Raoul Kramer\n" in text.render_talk(talk, fosdem.conference)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    line = delivery_cards.talk_start_text(item, fosdem.conference, now)
    assert "— Geert-Jan · Raoul Kramer ·" in line
    (field,) = cards.talk_fields([item], fosdem.conference.tz)
    assert field.value.endswith("\nGeert-Jan · Raoul Kramer")


# -- 3. /author on a program that names no speakers ------------------------------------------


def test_author_on_a_program_without_speakers_says_it_names_none():
    lca = REAL_PROGRAMS / "lca2020.ics"
    needs_shared(lca)
    service = ProgramService(read_source(lca).program)
    with pytest.raises(QueryError, match="names no speakers for its talks"):
        service.author("Paul")
    console = Console(service, FixedClock(datetime(2020, 1, 14, tzinfo=UTC)))
    assert "names no speakers" in console.execute("/author Paul").text


def test_author_on_a_program_with_speakers_still_says_no_match(fosdem: ProgramService):
    assert isinstance(fosdem.author("Zzyzx Qwertyuiop"), NoMatch)


# -- 4. one room spelled two ways -------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "programs"
FEED = """BEGIN:VCALENDAR
VERSION:2.0
X-WR-CALNAME:Journées
{events}END:VCALENDAR
"""
EVENT = """BEGIN:VEVENT
UID:ev-{n}@fixture
SUMMARY:Talk {n}
DTSTART;TZID=Europe/Paris:202406{day:02d}T{hour:02d}0000
DURATION:PT30M
LOCATION:{room}
END:VEVENT
"""


def _rooms(program: Program) -> set[str | None]:
    return {t.slot.room for t in program.talks}


def test_rooms_differing_only_by_accent_case_or_spacing_are_one_room(tmp_path: Path):
    spellings = ["Salle Étoile", "Salle Etoile", "Salle Étoile", "salle  étoile", "Amphi A"]
    events = "".join(EVENT.format(n=n, day=3 + n % 2, hour=9 + n, room=room)
                     for n, room in enumerate(spellings))  # fmt: skip
    feed = tmp_path / "journees.ics"
    feed.write_text(FEED.format(events=events), encoding="utf-8")
    loaded = read_source(feed)
    assert _rooms(loaded.program) == {"Salle Étoile", "Amphi A"}  # the most common spelling
    blocks = {s.slot.room for s in loaded.program.sessions}
    assert blocks == {"Salle Étoile", "Amphi A"}
    (warning,) = [w for w in loaded.report.warnings if "spelled more than one way" in w]
    assert warning.startswith("1 room(s) are spelled more than one way ('Salle Étoile' = ")


def test_rooms_are_folded_in_every_format(tmp_path: Path):
    xml = (FIXTURES / "schedule.xml").read_text(encoding="utf-8")
    day_two = xml.index("<day date='2017-10-29'")
    xml = xml[:day_two] + xml[day_two:].replace("Saal", "SAAL")
    (tmp_path / "schedule.xml").write_text(xml, encoding="utf-8")
    loaded = read_source(tmp_path / "schedule.xml")
    assert _rooms(loaded.program) == {"Saal"}  # a tie: the first in the file
    assert loaded.report.rooms_listed == 2  # Saal and Empty, as before
    frab = (FIXTURES / "frab-v1.json").read_text(encoding="utf-8")
    first = frab.index('"room": "Hall A"') + 1
    frab = frab[:first] + frab[first:].replace('"room": "Hall A"', '"room": "HallA"', 1)
    (tmp_path / "schedule.json").write_text(frab, encoding="utf-8")
    assert "HallA" not in _rooms(read_source(tmp_path / "schedule.json").program)


def test_rooms_that_differ_by_more_than_spelling_stay_apart():
    fosdem_2021 = REAL_PROGRAMS / "fosdem-2021.schedule.xml"
    needs_shared(FOSDEM, fosdem_2021)
    for path, rooms in ((FOSDEM, 29), (fosdem_2021, 106)):
        loaded = read_source(path, "Europe/Brussels")
        assert len(_rooms(loaded.program)) == rooms
        assert not [w for w in loaded.report.warnings if "spelled more than one way" in w]


# -- 5. an iCalendar feed's generator shown as its source --------------------------------------


def test_an_icalendar_feed_is_named_by_its_calendar_name_not_its_prodid(tmp_path: Path):
    events = EVENT.format(n=1, day=3, hour=9, room="Amphi A")
    feed = tmp_path / "journees.ics"
    prodid = "PRODID:-//hacksw/handcal//NONSGML v1.0//EN\n"
    feed.write_text(FEED.format(events=events).replace("VERSION:2.0\n", "VERSION:2.0\n" + prodid),
                    encoding="utf-8")  # fmt: skip
    loaded = read_source(feed)
    assert source_text(loaded.program.conference, ENGLISH) == (
        "The organisers' iCalendar feed “Journées”."
    )
    assert loaded.report.generator == "-//hacksw/handcal//NONSGML v1.0//EN"  # what wrote it
    nameless = tmp_path / "programme.ics"
    nameless.write_text(feed.read_text(encoding="utf-8").replace("X-WR-CALNAME:Journées\n", ""),
                        encoding="utf-8")  # fmt: skip
    source = source_text(read_source(nameless).program.conference, ENGLISH)
    assert source == "The organisers' iCalendar feed from programme.ics."


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.DE, "iCalendar-Feed des Organisationsteams, gelesen aus programme.ics."),
        (
            Language.FR,
            "Programme de l'équipe d'organisation : flux iCalendar, lu depuis programme.ics.",
        ),
    ],
)
def test_where_a_feed_comes_from_is_said_in_the_readers_language(
    tmp_path: Path, language: Language, said: str
):
    feed = tmp_path / "programme.ics"
    feed.write_text(FEED.format(events=EVENT.format(n=1, day=3, hour=9, room="Amphi A"))
                    .replace("X-WR-CALNAME:Journées\n", ""), encoding="utf-8")  # fmt: skip
    conference = read_source(feed).program.conference
    assert source_text(conference, bundled_messages().words(language)) == said
