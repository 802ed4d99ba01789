"""Each program format, on a small fixture of our own that holds its traps: the format is
recognised from the content, times are exact, keys are stable, text is plain."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.importer.errors import ProgramFileError
from bot.importer.registry import read_source, reader_for
from bot.importer.report import Loaded
from bot.model import SessionKind

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "programs"


def load(name: str, zone: str | None = None) -> Loaded:
    return read_source(FIXTURES / name, zone)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "reader"),
    [("frab-v1.json", "frab/pretalx schedule.json (v1 or v2)"),
     ("frab-v2.json", "frab/pretalx schedule.json (v1 or v2)"),
     ("schedule.xml", "frab/pentabarf/FOSDEM schedule.xml"),
     ("program.ics", "iCalendar (.ics)"), ("indico.json", "Indico JSON export")],
)  # fmt: skip
def test_the_format_is_recognised_from_the_content_not_the_name(tmp_path, name, reader):
    renamed = tmp_path / "program.data"
    renamed.write_bytes((FIXTURES / name).read_bytes())
    assert reader_for(renamed).name == reader


def test_an_unknown_file_lists_the_formats_understood(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n")
    with pytest.raises(ProgramFileError, match="is not a program format confbot reads"):
        read_source(path)


# -- frab / pretalx JSON ------------------------------------------------------------------


def test_frab_json_reads_times_people_tracks_and_links():
    program = load("frab-v1.json").program
    opening = next(p for p in program.talks if p.title == "Opening")
    assert opening.slot.start == utc("2023-12-27T09:00")
    assert opening.slot.end == utc("2023-12-27T09:30")
    assert [a.name for a in opening.authors] == ["Ana Müller"]
    assert (opening.track, opening.kind, opening.language) == ("Community", "lecture", "en")
    assert opening.abstract == "Welcome & hello"
    assert [(link.title, link.url) for link in opening.links] == [
        ("Slides", "https://example.org/slides.pdf")
    ]
    assert opening.key == "11111111-1111-4111-8111-111111111111"


def test_frab_json_keeps_a_talk_after_midnight_on_its_program_day():
    program = load("frab-v1.json").program
    night = next(p for p in program.talks if p.title == "Night Talk")
    assert night.slot.start == utc("2023-12-27T23:30")  # the true instant, for /next
    (block,) = [s for s in program.sessions if night.key in s.talk_keys]
    assert block.day == date(2023, 12, 27)  # the day it is filed under, for /schedule
    assert night.do_not_record
    assert night.abstract == "Markdown bold and a link (https://example.org/x)"


def test_frab_json_with_only_offsets_infers_a_zone_and_says_why():
    loaded = load("frab-v1.json")
    assert loaded.program.conference.timezone == "CET"
    assert loaded.report.zone_reason.startswith("inferred")


def test_a_repeated_guid_is_a_warning_with_a_numbered_key():
    loaded = load("frab-v1.json")
    keys = [p.key for p in loaded.program.talks]
    assert "11111111-1111-4111-8111-111111111111-2" in keys
    assert any("repeat a guid or id" in w for w in loaded.report.warnings)


def test_rooms_with_no_events_and_talks_with_no_speaker_are_reported():
    warnings = load("frab-v1.json").report.warnings
    assert any("1 room(s) listed with no events: Hall B" in w for w in warnings)
    assert any("1 talk(s) name no speaker" in w for w in warnings)


def test_frab_json_v2_reads_flat_events_with_track_names():
    loaded = load("frab-v2.json")
    (talk,) = loaded.program.talks
    assert talk.track == "Science"
    assert talk.slot.start == utc("2024-06-01T07:30")
    assert [a.name for a in talk.authors] == ["Chen Wei"]
    assert loaded.program.conference.timezone == "Europe/Berlin"
    assert loaded.report.fmt == "c3voc schedule.json v2"


# -- frab XML -----------------------------------------------------------------------------


def test_old_xml_with_no_date_no_guid_and_no_zone_uses_the_day_and_start():
    loaded = load("schedule.xml")
    old = next(p for p in loaded.program.talks if p.title == "No date, no guid")
    assert old.key == "id-10"
    # 23:30 on Oct 28 2017 in CET's summer time (CEST, +02:00): DST ended the next night.
    assert old.slot.start == utc("2017-10-28T21:30")
    assert old.abstract == "Escaped HTML abstract"
    assert [a.name for a in old.authors] == ["Łukasz Kowalski"]


def test_xml_across_the_dst_change_is_exact_on_both_sides():
    program = load("schedule.xml").program
    after = next(p for p in program.talks if p.title == "After the change")
    assert after.slot.start == utc("2017-10-29T09:00")
    assert after.do_not_record
    assert program.conference.location == "Vienna"


def test_xml_entities_are_refused(tmp_path):
    path = tmp_path / "schedule.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "boom">]><schedule>&x;</schedule>'
    )
    with pytest.raises(ProgramFileError, match="refuses for safety"):
        read_source(path)


def test_broken_xml_names_the_line(tmp_path):
    path = tmp_path / "schedule.xml"
    path.write_text("<schedule>\n<day date='2024-01-01'>\n<room name='x'>\n</schedule>\n")
    with pytest.raises(ProgramFileError, match=r"schedule.xml:\d+: is not well-formed XML"):
        read_source(path)


# -- iCalendar ----------------------------------------------------------------------------


def test_ics_unfolds_bytes_before_decoding_and_reads_escapes():
    program = load("program.ics").program
    first = next(p for p in program.talks if p.key == "ev-1@fixture" or "Café" in p.title)
    assert first.title == "Café talk , with a comma"
    assert first.abstract == "Line one\nLine two"


def test_ics_tzid_without_vtimezone_is_exact():
    program = load("program.ics").program
    first = next(p for p in program.talks if p.title.startswith("Café"))
    assert first.slot.start == utc("2020-01-12T23:00")  # 09:00 in Brisbane, UTC+10


def test_ics_generic_summaries_take_the_title_from_the_description():
    loaded = load("program.ics")
    plenary = next(p for p in loaded.program.talks if p.kind == "plenary")
    assert plenary.title == "The Real Title, presented by Someone"
    assert plenary.slot.end == utc("2020-01-13T01:00")  # DURATION:PT1H
    assert any("several rooms in LOCATION" in w for w in loaded.report.warnings)


# -- Indico -------------------------------------------------------------------------------


def test_indico_reads_times_with_zones_and_people_as_first_last():
    loaded = load("indico.json")
    (talk,) = loaded.program.talks
    assert talk.slot.start == utc("2024-05-06T07:30")
    assert [(a.name, a.affiliation) for a in talk.authors] == [
        ("Jean Dupont", "CERN"),
        ("Marie Curie", "Sorbonne"),
    ]
    assert talk.track == "Hardware"
    assert any("1 contribution(s) have no time yet" in w for w in loaded.report.warnings)


# -- the shared rules ---------------------------------------------------------------------


def test_community_programs_group_each_rooms_day_into_a_room_block():
    program = load("frab-v1.json").program
    assert {s.kind for s in program.sessions} == {SessionKind.ROOM_BLOCK}
    assert program.conference.item_noun == "talk"


def test_a_file_with_no_zone_and_no_offsets_says_to_set_one(tmp_path):
    text = (FIXTURES / "schedule.xml").read_text()
    path = tmp_path / "schedule.xml"
    path.write_text(text.replace("<date>2017-10-29T10:00:00+01:00</date>", ""))
    with pytest.raises(ProgramFileError, match="set CONFBOT_TIMEZONE"):
        read_source(path)
    program = read_source(path, "Europe/Vienna").program
    assert program.conference.timezone == "Europe/Vienna"


def test_keys_are_the_same_on_every_import():
    first = [p.key for p in load("schedule.xml").program.talks]
    assert first == [p.key for p in load("schedule.xml").program.talks]


@pytest.mark.parametrize("length", [b"P99999999999W", b"P400D"])
def test_an_absurd_ics_duration_reads_as_none_like_an_unreadable_one(tmp_path, length):
    path = tmp_path / "program.ics"
    path.write_bytes((FIXTURES / "program.ics").read_bytes().replace(b"PT1H", length))
    plenary = next(p for p in read_source(path).program.talks if p.kind == "plenary")
    assert plenary.slot.end == plenary.slot.start
