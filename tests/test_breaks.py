"""Breaks, meals, registration and posters are other events, not talks: in every format,
by the format's type field and by the title, with the words that look like a break but
are a talk's ("Breaking the cloud", "Lunch and learn: ...", a "Break" someone presents)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.console import Console
from bot.clock import FixedClock
from bot.importer.breaks import BreakKind, break_kind, title_kind, type_kind
from bot.importer.registry import read_source
from bot.render.text import load_details
from bot.service import ProgramService
from bot.service.results import SessionTalk
from bot.store.build import BuildReport
from tests.conftest import REAL_PROGRAMS, needs_shared

B, M, R, P = BreakKind.BREAK, BreakKind.MEAL, BreakKind.REGISTRATION, BreakKind.POSTER


# -- the words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind"),
    [("Pause", B), ("PAUSE", B), ("Pause café", B), ("Pause-café", B), ("Kaffeepause", B),
     ("Coffee break", B), ("Coffee Break 2", B), ("Break (30 min)", B), ("Pause 15min", B),
     ("Morning Tea (catered)", B), ("Afternoon break", B), ("Room changeover", B),
     ("Pausa", B), ("Przerwa", B), ("Перерыв", B), ("Coffee & snacks", B),
     ("Lunch", M), ("Lunch (uncatered)", M), ("Déjeuner", M), ("Mittagspause", M),
     ("Frühstück", M), ("Speakers' Dinner", M), ("Lunch break", M),
     ("Registration", R), ("Registration Open", R), ("Early Registration", R),
     ("Anmeldung", R), ("Accueil", R), ("Accueil café", R), ("Check-in", R),
     ("Posters", P), ("Poster session", P), ("Poster Session & Coffee", P)],
)  # fmt: skip
def test_a_title_made_of_break_words_is_a_break(title: str, kind: BreakKind):
    assert title_kind(title) is kind


@pytest.mark.parametrize(
    "title",
    ["Breaking the cloud", "How to Break PDFs", "Give open source a (tax) break",
     "Lunch and learn: Postgres", "Coffee with the CEO", "Menopause and open data",
     "TEA - Let the SBOM ride down the software supply chain!", "Welcome", "Opening",
     "Women of Open Technology Breakfast, Presented by ThoughtWorks", "Registry internals",
     "Poster child: Rust in the kernel", "Software-Freedom-Frühstück", "Talks End",
     "Free time", "Badge", "Pausenfüller: Lightning talks", "", "...", "Break the build"],
)  # fmt: skip
def test_a_title_with_any_other_word_is_a_talk(title: str):
    assert title_kind(title) is None


@pytest.mark.parametrize(
    ("value", "kind"),
    [("break", B), ("Pause", B), ("Coffee Break", B), ("BreakTimeSchedEntry", None),
     ("penguin dinner", M), ("morning tea", B), ("afternoon tea", B), ("lunch", M),
     ("room changeover", B), ("Kaffeepause 30 min", B), ("Registration", R),
     ("Posters", P), ("lecture", None), ("Talk 30 min + 10min Q&A", None),
     ("Lunch talk", None), ("devroom", None), ("Other", None), ("", None)],
)  # fmt: skip
def test_a_type_field_decides_by_its_words_or_its_last_word(value: str, kind: BreakKind | None):
    assert type_kind(value) is kind


def test_an_item_that_names_a_speaker_is_a_talk_whatever_it_is_called():
    """Someone presents it: /author must find it, and its Q&A thread has someone to
    answer. A talk taken for a break would vanish from every lookup."""
    assert break_kind("Break", ["break"], has_people=True) is None
    assert break_kind("Break", [], has_people=False) is B


def test_the_type_field_wins_over_the_title():
    assert break_kind("Refuel", [None, "Coffee break"], has_people=False) is B
    assert break_kind("Lunch", ["lecture", "Posters"], has_people=False) is P


# -- every format -----------------------------------------------------------------------

# Each program: a talk, a break told by its type only ("Refuel"), a break told by its
# title only, a talk whose title starts like a break, and (where the format names
# people) a talk titled "Break" with a speaker.
TALKS = {"Opening", "Breaking the cloud"}


def _frab_event(n: int, title: str, start: str, room: str, kind: str, people: list[str]):
    return {"guid": f"0000000{n}-0000-4000-8000-000000000000", "id": n, "title": title,
            "date": f"2024-06-13T{start}:00+02:00", "start": start, "duration": "00:30",
            "room": room, "type": kind,
            "persons": [{"public_name": p} for p in people]}  # fmt: skip


def frab_json(path: Path, talk_type: str = "lecture", break_type: str = "Pause") -> set[str]:
    hall = [_frab_event(1, "Opening", "09:00", "Hall", talk_type, ["Ana"]),
            _frab_event(2, "Refuel", "09:30", "Hall", break_type, []),
            _frab_event(3, "Déjeuner", "12:00", "Hall", "other", []),
            _frab_event(4, "Breaking the cloud", "13:00", "Hall", talk_type, []),
            _frab_event(5, "Break", "14:00", "Hall", talk_type, ["Bo"])]  # fmt: skip
    data = {"schedule": {"version": "1", "conference": {
        "acronym": "brk", "title": "Break Con", "time_zone_name": "Europe/Berlin",
        "days": [{"index": 1, "date": "2024-06-13", "rooms": {"Hall": hall}}]}}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    return TALKS | {"Break"}


def pretalx_json(path: Path) -> set[str]:
    """pretalx writes the same layout with its free-text submission types (rC3's)."""
    return frab_json(path, "Talk 30 min + 10min Q&A", "Kaffeepause 30 min")


def frab_v2_json(path: Path) -> set[str]:
    def event(n: int, title: str, start: str, kind: str, people: list[str]) -> dict[str, object]:
        return {"guid": f"0000000{n}-0000-4000-8000-000000000000", "title": title,
                "start": f"2024-06-13T{start}:00+02:00",
                "end": f"2024-06-13T{start[:3]}30:00+02:00",
                "room": {"name": "Hall"}, "type": kind,
                "participants": [{"name": p, "role": "SPEAKER"} for p in people]}  # fmt: skip

    events = [event(1, "Opening", "09:00", "TALK", ["Ana"]),
              event(2, "Refuel", "10:00", "BREAK", []),
              event(3, "Posters", "11:00", "OTHER", []),
              event(4, "Breaking the cloud", "13:00", "TALK", []),
              event(5, "Break", "14:00", "TALK", ["Bo"])]  # fmt: skip
    data = {"schedule": {"version": "2", "conference": {
        "acronym": "brk", "title": "Break Con", "time_zone_name": "Europe/Berlin",
        "days": [{"index": 1, "date": "2024-06-13"}]}, "events": events}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    return TALKS | {"Break"}


def schedule_xml(path: Path) -> set[str]:
    def event(n: int, title: str, start: str, kind: str, person: str | None) -> str:
        people = f"<person id='{n}'>{person}</person>" if person else ""
        return (f"<event guid='0000000{n}-0000-4000-8000-000000000000' id='{n}'>"
                f"<date>2024-06-13T{start}:00+02:00</date><start>{start}</start>"
                f"<duration>00:30</duration><room>Saal</room><title>{title}</title>"
                f"<type>{kind}</type><persons>{people}</persons></event>")  # fmt: skip

    events = "".join([event(1, "Opening", "09:00", "lecture", "Ana"),
                      event(2, "Refuel", "09:30", "break", None),
                      event(3, "Mittagspause", "12:00", "other", None),
                      event(4, "Breaking the cloud", "13:00", "lecture", None),
                      event(5, "Break", "14:00", "lecture", "Bo")])  # fmt: skip
    path.write_text(
        "<?xml version='1.0' encoding='utf-8'?><schedule><version>1</version><conference>"
        "<acronym>brk</acronym><title>Break Con</title><time_zone_name>Europe/Berlin"
        "</time_zone_name></conference><day date='2024-06-13' index='1'><room name='Saal'>"
        f"{events}</room></day></schedule>",
        encoding="utf-8",
    )
    return TALKS | {"Break"}


def icalendar(path: Path) -> set[str]:
    """iCalendar names no people the reader takes, and a type only in CATEGORIES."""

    def event(n: int, title: str, start: str, categories: str | None) -> str:
        tagged = f"CATEGORIES:{categories}\r\n" if categories else ""
        return (f"BEGIN:VEVENT\r\nUID:{n}@brk\r\nSUMMARY:{title}\r\n{tagged}"
                f"DTSTART:20240613T{start}00\r\nDURATION:PT30M\r\nLOCATION:Salle\r\n"
                "END:VEVENT\r\n")  # fmt: skip

    events = "".join([event(1, "Opening", "0900", "Conférence"),
                      event(2, "Refuel", "0930", "Salle A,Pause"),
                      event(3, "Pause", "1000", None),
                      event(4, "Breaking the cloud", "1300", None)])  # fmt: skip
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//brk//EN\r\nX-WR-CALNAME:Break Con\r\n"
        f"X-WR-TIMEZONE:Europe/Paris\r\n{events}END:VCALENDAR\r\n",
        encoding="utf-8",
    )
    return TALKS


def indico_json(path: Path) -> set[str]:
    def entry(n: int, title: str, start: str, extra: dict[str, object]) -> dict[str, object]:
        return {"_type": "Contribution", "id": str(n), "title": title, "room": "Main",
                "startDate": {"date": "2024-06-13", "time": f"{start}:00", "tz": "Europe/Zurich"},
                "endDate": {"date": "2024-06-13", "time": f"{start[:3]}30:00",
                            "tz": "Europe/Zurich"}, **extra}  # fmt: skip

    speaker = {"speakers": [{"fullName": "Dupont, Jean"}]}
    contributions = [entry(1, "Opening", "09:00", speaker),
                     entry(2, "Refuel", "10:00", {"entryType": "Break"}),
                     entry(3, "Lunch", "12:00", {"type": None}),
                     entry(4, "Breaking the cloud", "13:00", {"type": {"name": "Talk"}}),
                     entry(5, "Break", "14:00", speaker)]  # fmt: skip
    data = {"count": 1, "results": [{"_type": "Conference", "title": "Break Con",
            "timezone": "Europe/Zurich", "contributions": contributions}]}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    return TALKS | {"Break"}


FORMATS: dict[str, Callable[[Path], set[str]]] = {
    "frab.json": frab_json, "pretalx.json": pretalx_json, "v2.json": frab_v2_json,
    "schedule.xml": schedule_xml, "program.ics": icalendar, "indico.json": indico_json,
}  # fmt: skip


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_loads_breaks_by_type_and_by_title_as_other_events(tmp_path, name):
    path = tmp_path / name
    talks = FORMATS[name](path)
    program = read_source(path).program
    assert {t.title for t in program.talks} == talks
    events = {e.title: e.kind for e in program.events}
    assert events.pop("Refuel") == "break"  # by its type: the title says nothing
    ((title, kind),) = events.items()  # by its title: the type says nothing
    assert kind == title_kind(title) and kind is not None
    assert all(e.slot.room for e in program.events)
    blocks = {k for s in program.sessions for k in s.talk_keys}
    assert blocks == {t.key for t in program.talks}  # no break in a room block


def test_a_talk_keeps_its_key_whatever_its_neighbours_are(tmp_path):
    path = tmp_path / "frab.json"
    frab_json(path)
    program = read_source(path).program
    keys = {t.title: t.key for t in program.talks} | {e.title: e.key for e in program.events}
    assert keys["Opening"] == "00000001-0000-4000-8000-000000000000"
    assert keys["Refuel"] == "00000002-0000-4000-8000-000000000000"


def test_the_load_report_counts_other_events_by_kind(tmp_path):
    path = tmp_path / "frab.json"
    frab_json(path)
    loaded = read_source(path)
    lines = load_details(loaded.program, BuildReport(True, "test", "", (), (loaded.report,)))
    assert "3 talks, 2 speaker entries (2 people), 2 other events (1 break, 1 meal)" in lines[0]
    assert "  rooms: 1 in use" in lines


# -- what answers and what does not -----------------------------------------------------


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_break_is_no_talk_but_next_and_schedule_show_it_in_its_place(tmp_path):
    path = tmp_path / "frab.json"
    frab_json(path)
    service = ProgramService(read_source(path).program)
    assert {t.title for t in service.talks.values()} == TALKS | {"Break"}
    next_up = service.next(utc("2024-06-13T07:20"))  # 09:20 in Berlin
    assert [i.title for i in next_up.upcoming] == ["Refuel"]
    assert not isinstance(next_up.upcoming[0], SessionTalk)
    assert [t.title for t in next_up.next_talks] == ["Breaking the cloud"]
    day = service.day("2024-06-13", utc("2024-06-13T07:00"))
    assert [getattr(i, "title", None) for i in day.items if not hasattr(i, "talks")] == [
        "Refuel", "Déjeuner"
    ]  # fmt: skip
    console = Console(service, FixedClock(utc("2024-06-13T07:20")))
    assert "Break: Refuel" in console.execute("/next").text
    assert "Meal: Déjeuner" in console.execute("/schedule 2024-06-13").text
    paper = console.execute("/paper Déjeuner").text
    assert not paper.startswith("Déjeuner")


def test_a_program_of_nothing_but_a_pause_loads_and_answers(tmp_path):
    """A feed whose only item is 'Pause': no talk at all, one other event."""
    path = tmp_path / "pause.ics"
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:Europe/Paris\r\nBEGIN:VEVENT\r\n"
        "UID:p@x\r\nSUMMARY:Pause\r\nDTSTART:20240613T100000\r\nDURATION:PT30M\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    program = read_source(path).program
    assert (len(program.talks), [e.kind for e in program.events]) == (0, ["break"])
    console = Console(ProgramService(program), FixedClock(utc("2024-06-13T07:00")))
    assert "Break: Pause" in console.execute("/next").text
    assert "Break: Pause" in console.execute("/schedule 2024-06-13").text
    assert "No " in console.execute("/paper pause").text


# -- real programs ------------------------------------------------------------------------

# (talks, other events) in each real program, read by hand; every event was a talk before.
# DebConf23: breakfast, lunch, dinner and an afternoon break "Elsewhere" each day; lca2020:
# room changeovers, morning and afternoon teas, lunches, two registrations and two dinners;
# PrivacyWeek: the speakers' dinner. FOSDEM, CCC, rC3 and KieLux list none (FOSDEM's "Room
# Changeover and Intro to ..." names a speaker, KieLux's "Software-Freedom-Frühstück" is a
# meetup with a topic).
REAL_COUNTS = {
    "ccc-31c3.schedule.xml": (138, 0), "ccc-36c3.frab.schedule.json": (161, 0),
    "ccc-38c3-hub.schedule2-example.json": (2, 0), "cccamp2019.frab.schedule.json": (79, 0),
    "debconf23.schedule.xml": (86, 31), "fosdem-2021.schedule.xml": (773, 0),
    "fosdem-2025.schedule.xml": (943, 0), "kielux-2020.ics": (24, 0),
    "lca2020.ics": (212, 50), "privacyweek-2017.schedule.xml": (108, 1),
    "rc3-2020-channels.pretalx.schedule.json": (48, 0),
}  # fmt: skip


@pytest.mark.parametrize("name", list(REAL_COUNTS))
def test_real_programs_count_their_talks_and_other_events(name: str):
    path = REAL_PROGRAMS / name
    needs_shared(path)
    zone = "Europe/Brussels" if name == "fosdem-2021.schedule.xml" else None
    program = read_source(path, zone).program
    assert (len(program.talks), len(program.events)) == REAL_COUNTS[name]
    service = ProgramService(program)
    kept = {t.title for t in service.talks.values()}
    assert not {e.title for e in program.events} & kept  # no break left behind as a talk
