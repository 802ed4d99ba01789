"""Calendar files parse back with icalendar, and every time is the program's instant."""

from __future__ import annotations

import gc
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest

from bot.importer.errors import ProgramFileError
from bot.importer.limits import MAX_PEOPLE
from bot.importer.registry import read_source
from bot.render import ics
from bot.service import ProgramService
from bot.service.results import NoMatch
from tests.conftest import REAL_PROGRAMS, ROOT, needs_shared

STAMP = datetime(2024, 7, 1, tzinfo=UTC)


def events_of(data: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_whole_program_round_trips_to_the_same_instants(service: ProgramService):
    items = service.calendar_items()
    events = events_of(ics.calendar(items, service.conference, "OSDI", STAMP))
    assert len(events) == len(items) == 53 + 23
    for item in items:
        event = events[ics.uid(service.conference, item)]
        assert event["DTSTART"].dt == item.slot.start
        assert event["DTEND"].dt == item.slot.end


def test_times_carry_the_conference_zone_with_a_vtimezone(service: ProgramService):
    data = ics.calendar(service.calendar_items(), service.conference, "OSDI", STAMP)
    calendar = icalendar.Calendar.from_ical(data)
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "America/Los_Angeles"
    assert b"DTSTART;TZID=America/Los_Angeles:20240710T104500" in data


def test_uids_are_stable_across_exports(service: ProgramService):
    first = ics.calendar(service.calendar_items(), service.conference, "x", STAMP)
    later = ics.calendar(service.calendar_items(), service.conference, "x", datetime.now(UTC))
    assert events_of(first).keys() == events_of(later).keys()


def test_a_talk_has_summary_location_url_and_authors(service: ProgramService):
    sabre = service.talks["lazarev"]
    (event,) = events_of(ics.calendar([sabre], service.conference, "x", STAMP)).values()
    assert str(event["SUMMARY"]).startswith("Sabre:")
    assert str(event["LOCATION"]) == "Grand Ballroom ABGH, Hyatt Regency Santa Clara"
    assert str(event["URL"]) == "https://www.usenix.org/conference/osdi24/presentation/lazarev"
    description = str(event["DESCRIPTION"])
    assert "Nikita Lazarev and Varun Gohil (MIT, CSAIL)" in description
    assert "Approximate time" not in description  # Sabre's time was published


def test_a_derived_time_says_it_is_approximate(service: ProgramService):
    nomad = service.talks["xiang"]
    (event,) = events_of(ics.calendar([nomad], service.conference, "x", STAMP)).values()
    assert "Approximate time: derived from the published session blocks" in str(
        event["DESCRIPTION"]
    )


def test_a_session_lists_its_talks(service: ProgramService):
    session = service.sessions["formal-verification"]
    data = ics.calendar([session], service.conference, "x", STAMP, service.session_talks)
    (event,) = events_of(data).values()
    assert str(event["SUMMARY"]) == "OSDI '24: Formal Verification"
    assert "16:30 VERISMO" in str(event["DESCRIPTION"])


def test_console_export_writes_a_parseable_file(tmp_path: Path):
    out = tmp_path / "osdi.ics"
    env = {"CONFBOT_DB": str(tmp_path / "c.db"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot", "export-ics", "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Wrote 76 events to")
    assert len(events_of(out.read_bytes())) == 76


async def test_the_program_calendars_are_built_with_the_cycle_collector_paused(
    service: ProgramService, monkeypatch: pytest.MonkeyPatch
):
    # Built in a worker thread, but at 10,000 talks the collector, run by icalendar's
    # million short-lived objects, walked them in C calls that stalled the loop 98 ms.
    from bot.adapters.discord.calendar import ProgramCalendar

    collecting: list[bool] = []
    real = ics.calendar

    def watched(*args: object, **kwargs: object) -> bytes:
        collecting.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ics, "calendar", watched)
    calendars = ProgramCalendar()
    assert await calendars.whole(service, STAMP)
    assert await calendars.by_day(service, STAMP)
    assert collecting and not any(collecting)
    assert gc.isenabled()


def test_a_feed_naming_speakers_only_as_attendees_names_them():
    # Kieler Linuxtage gives speakers only as ATTENDEE;CN=...: read as none before.
    feed = REAL_PROGRAMS / "kielux-2020.ics"
    needs_shared(feed)
    program = read_source(feed).program
    people = {a.name for t in program.talks for a in t.authors}
    assert "Jakob Semere" in people and "Jürgen Groß" in people
    service = ProgramService(program)
    assert not isinstance(service.author("Jürgen Gross"), NoMatch)


def test_an_event_naming_more_attendees_than_an_event_may_is_one_sentence(tmp_path: Path):
    people = "".join(f'ATTENDEE;CN="Person {n}":invalid:\r\n' for n in range(MAX_PEOPLE + 50))
    path = tmp_path / "feed.ics"
    path.write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Crowd\r\n"
                    "DTSTART:20240603T100000Z\r\nDURATION:PT30M\r\n" + people
                    + "END:VEVENT\r\nEND:VCALENDAR\r\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(ProgramFileError, match=f"an event may name {MAX_PEOPLE} at most"):
        read_source(path)
