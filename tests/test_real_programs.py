"""Real exports from real conferences (read from ../shared, never copied in): each loads
with a truthful report and answers every command. Expected values come from reading the
files; their traps are listed in ../shared/data/real-programs/README.md."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.console import OK, Console
from bot.clock import FixedClock
from bot.importer.registry import read_source
from bot.importer.report import Loaded
from bot.service import ProgramService
from tests.conftest import REAL_PROGRAMS, needs_shared

REAL = REAL_PROGRAMS
FILES = {
    "36c3": "ccc-36c3.frab.schedule.json",
    "camp2019": "cccamp2019.frab.schedule.json",
    "rc3": "rc3-2020-channels.pretalx.schedule.json",
    "38c3": "ccc-38c3-hub.schedule2-example.json",
    "fosdem": "fosdem-2025.schedule.xml",
    "31c3": "ccc-31c3.schedule.xml",
    "debconf": "debconf23.schedule.xml",
    "privacyweek": "privacyweek-2017.schedule.xml",
    "lca": "lca2020.ics",
}
# How many events each file holds, counted by hand (the README's table agrees).
EVENTS = {"36c3": 161, "camp2019": 79, "rc3": 48, "38c3": 2, "fosdem": 943, "31c3": 138,
          "debconf": 117, "privacyweek": 109, "lca": 262}  # fmt: skip
# Of those, the breaks, meals and registration desks, read by hand: DebConf's 8 breakfasts,
# 8 lunches, 8 dinners and 7 afternoon breaks (in "Elsewhere", no speaker); lca's 31 room
# changeovers, 10 teas, 5 lunches, 2 registrations and 2 dinners; PrivacyWeek's speakers'
# dinner. FOSDEM's "Room Changeover and Intro to ..." items name a speaker: talks.
BREAKS = {"debconf": {"meal": 24, "break": 7}, "privacyweek": {"meal": 1},
          "lca": {"break": 41, "meal": 7, "registration": 2}}  # fmt: skip

needs_shared(*(REAL / name for name in FILES.values()), module=True)

_cache: dict[str, Loaded] = {}


def load(name: str) -> Loaded:
    if name not in _cache:
        _cache[name] = read_source(REAL / FILES[name])
    return _cache[name]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def talk_titled(name: str, title: str):
    return next(p for p in load(name).program.talks if p.title == title)


@pytest.mark.parametrize("name", list(FILES))
def test_every_event_is_read(name: str):
    program = load(name).program
    assert len(program.talks) + len(program.events) == EVENTS[name]


@pytest.mark.parametrize("name", list(FILES))
def test_breaks_meals_and_registration_are_other_events_not_talks(name: str):
    program = load(name).program
    assert dict(Counter(e.kind for e in program.events)) == BREAKS.get(name, {})
    assert not any(e.speaker for e in program.events)


@pytest.mark.parametrize("name", list(FILES))
def test_every_command_answers_on_the_file(name: str):
    program = load(name).program
    service = ProgramService(program)
    talk = max(program.talks, key=lambda p: (len(p.authors) > 0, len(p.title)))
    console = Console(service, FixedClock(talk.slot.start + timedelta(minutes=1)))
    assert talk.title in console.execute("/now").text
    # Under "On now": first with a few rooms, after what starts next on the board.
    assert talk.title in console.execute("/next").text.split("On now", 1)[1]
    shown = console.execute(f"/paper {talk.title}")
    assert shown.code == OK and shown.text.startswith(talk.title), shown.text[:300]
    if talk.authors:
        author = console.execute(f"/author {talk.authors[0].name}")
        assert author.code == OK and talk.title in author.text
    session = next(s for s in program.sessions if talk.key in s.talk_keys)
    assert console.execute(f"/session {session.title}").code == OK
    for day in program.conference.days:
        if any(s.day == day for s in program.sessions):
            assert console.execute(f"/schedule {day.isoformat()}").code == OK


@pytest.mark.parametrize("name", list(FILES))
def test_no_abstract_keeps_markup(name: str):
    for talk in load(name).program.talks:
        assert "<p>" not in (talk.abstract or "") and "</" not in (talk.abstract or "")


def test_36c3_talks_after_midnight_stay_on_their_evening():
    program = load("36c3").program
    jeopardy = talk_titled("36c3", "Hacker Jeopardy")
    assert jeopardy.slot.start == utc("2019-12-27T23:50")  # 00:50 on the 28th, +01:00
    (block,) = [s for s in program.sessions if jeopardy.key in s.talk_keys]
    assert block.day.isoformat() == "2019-12-27"
    assert any("3 talk(s) start after midnight" in w for w in load("36c3").report.warnings)


def test_36c3_names_no_zone_so_one_is_inferred_from_its_offsets():
    report = load("36c3").report
    assert report.zone == "CET" and report.zone_reason.startswith("inferred")


def test_debconf_offsets_win_over_its_declared_zone_and_the_report_says_so():
    loaded = load("debconf")
    opening = talk_titled("debconf", "Opening Ceremony")
    assert opening.slot.start == utc("2023-09-10T05:00")  # <date> in UTC; 10:30 in Kochi
    assert loaded.program.conference.timezone == "Asia/Kolkata"
    assert any("carry other offsets (+00:00)" in w for w in loaded.report.warnings)
    (block,) = [s for s in loaded.program.sessions if opening.key in s.talk_keys]
    assert block.day.isoformat() == "2023-09-10"  # its <day date> says the 9th
    assert any("dated differently" in w for w in loaded.report.warnings)


def test_privacyweek_is_right_on_both_sides_of_the_dst_change():
    program = load("privacyweek").program
    tz = program.conference.tz
    before = [p for p in program.talks if p.slot.start < utc("2017-10-29T01:00")]
    after = [p for p in program.talks if p.slot.start > utc("2017-10-29T01:00")]
    assert before and after
    assert {p.slot.start.astimezone(tz).utcoffset() for p in before} == {timedelta(hours=2)}
    assert {p.slot.start.astimezone(tz).utcoffset() for p in after} == {timedelta(hours=1)}
    first_after = min(after, key=lambda p: p.slot.start)
    assert f"{first_after.slot.start.astimezone(tz):%H:%M}" == "09:00"  # its <start>


def test_fosdem_lists_29_rooms_in_use_of_40_and_warns_of_the_empty_ones():
    loaded = load("fosdem")
    rooms = {p.slot.room for p in loaded.program.talks}
    assert len(rooms) == 29
    assert any("11 room(s) listed with no events" in w for w in loaded.report.warnings)


def test_fosdem_finds_a_talk_and_its_speaker():
    service = ProgramService(load("fosdem").program)
    answer = service.talk("callee saved registers llvm")
    assert answer.talk.title == "A New Approach to Callee-Saved Registers in LLVM"
    assert answer.talk.talk.track == "LLVM"
    (person,) = service.author("mikhail gudim").people
    assert person.name == "Mikhail Gudim"


def test_31c3_base64_guids_become_safe_stable_keys():
    keys = [p.key for p in load("31c3").program.talks]
    assert len(set(keys)) == len(keys)
    assert all(k.replace("-", "").replace("_", "").isalnum() for k in keys)


def test_lca_takes_titles_from_descriptions_where_summaries_are_generic():
    loaded = load("lca")
    titles = {p.title for p in loaded.program.talks}
    assert any(t.startswith("Women of Open Technology Breakfast") for t in titles)
    assert loaded.program.conference.timezone == "Australia/Brisbane"


def test_rc3_room_names_with_slashes_and_umlauts_survive():
    rooms = {p.slot.room for p in load("rc3").program.talks}
    assert "ChaosTrawler Stubnitz/Gängeviertel Hamburg" in rooms


def test_a_fosdem_devroom_is_its_own_block_that_session_finds():
    service = ProgramService(load("fosdem").program)
    answer = service.session("llvm")
    assert answer.session.title == "LLVM, Saturday"
    assert {t.talk.track for t in service.session_talks(answer.session)} == {"LLVM"}


def test_paper_on_a_community_program_shows_track_type_and_abstract():
    program = load("fosdem").program
    console = Console(ProgramService(program), FixedClock(utc("2025-02-01T09:00")))
    text = console.execute("/paper callee saved registers").text
    assert "Track:   LLVM" in text
    assert "Type:    devroom · English" in text
    assert "Currently LLVM saves and restores callee-saved registers" in text
    assert "1 talk" in console.execute("/author mikhail gudim").text


def test_session_finds_a_track_inside_a_room_of_mixed_tracks():
    program = load("36c3").program
    service = ProgramService(program)
    answer = service.session("resilience")
    tracks = {t.talk.track for t in service.session_talks(answer.session)}
    assert "Resilience & Sustainability" in tracks


def test_talks_with_no_speaker_have_no_empty_by_line():
    program = load("lca").program
    console = Console(ProgramService(program), FixedClock(utc("2020-01-14T00:05")))
    assert "By \n" not in console.execute("/next").text + "\n"
    assert not any(line.strip() == "By" for line in console.execute("/next").text.splitlines())


def test_about_mentions_derived_times_only_when_there_are_any():
    console = Console(ProgramService(load("fosdem").program), FixedClock(utc("2025-02-01T09:00")))
    assert "derived" not in console.execute("/about").text


def test_cards_for_talks_with_no_speaker_have_no_empty_by_line():
    from bot.render import program_cards

    service = ProgramService(load("lca").program)
    answer = service.next(utc("2020-01-14T00:05"))
    values = [
        f.value
        for card in program_cards.next_cards(answer, service.conference)
        for f in card.fields
    ]
    assert values and not any(line.strip() == "By" for v in values for line in v.splitlines())


def test_a_days_listing_names_room_blocks_by_track_and_room_once():
    service = ProgramService(load("fosdem").program)
    console = Console(service, FixedClock(utc("2025-02-01T08:00")))
    text = console.execute("/schedule 2025-02-01").text
    assert "LLVM · K.3.201\n" in text
    assert "Session:" not in text and "Saturday (" not in text


def test_search_calls_talks_talks():
    console = Console(ProgramService(load("rc3").program), FixedClock(utc("2020-12-27T09:00")))
    text = console.execute("/search gluon").text
    assert "\nTalks\n" in text and "Papers" not in text


def test_status_counts_talks_for_a_community_program():
    from bot.render import status_cards
    from bot.service.results import ProgramSize

    fosdem = load("fosdem").program
    report = status_cards.StatusReport(
        channel_id=None, minutes_before=None, per_talk=False, enabled=False,
        disabled_reason=None, next_due=None, program_loaded=utc("2025-02-01T08:00"),
        talks=943, sessions=72, reminders_active=0, deliveries={},
        size=ProgramSize.of(fosdem),
    )  # fmt: skip
    program = next(f.value for f in status_cards.status_card(report, fosdem.conference).fields
                   if f.name == "Program")  # fmt: skip
    # Its 72 blocks are rooms' days, not sessions ("943 talks in 72 sessions" was wrong).
    assert program.startswith("943 talks in 29 rooms over 2 days, loaded")


def test_blocks_of_one_track_in_two_rooms_are_told_apart():
    program = load("fosdem").program
    titles = [(s.day, s.title) for s in program.sessions]
    assert len(titles) == len(set(titles))
    assert any(t == "FOSDEM Junior (UD6.203), Saturday" for _, t in titles)


def test_a_talks_people_are_speakers_in_cards():
    from bot.render import delivery_cards, program_cards

    service = ProgramService(load("fosdem").program)
    talk = service.talk("callee saved registers").talk
    (card,) = program_cards.talk_cards(service.talk("callee saved registers"), service.conference)
    assert card.fields[0].name == "Speakers"
    reminder = delivery_cards.reminder_card(talk, service.conference, utc("2025-02-01T09:25"), ())
    assert reminder.fields[0].name == "Speakers"
