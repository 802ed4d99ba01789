"""Days and times typed in German and French, and mixed with English (issue 26): every
form parse_when and parse_day read, what they refuse, and that what Babel writes for a
day in those languages reads back (the bot's own dates, once it shows them so)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime

import pytest
from babel.dates import format_date, format_datetime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.importer.registry import read_source
from bot.model import Conference, Program
from bot.service import ProgramService, WhenError, parse_day, parse_when
from bot.service import day_words as words
from bot.service.results import SessionAnswer
from bot.service.tracks import names_a_day
from bot.service.when import day_at_ends
from tests.conftest import REAL_PROGRAMS, needs_shared, pacific
from tests.refusal_words import english

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
WEB = "Inclusive Web, Sunday"  # K.3.201's block on FOSDEM's Sunday

# Wednesday January 29 to Sunday February 2, 2025; asked on Thursday the 30th, day 2.
NOW = pacific("2025-01-30T10:50")


@pytest.fixture(scope="module")
def conference(program: Program) -> Conference:
    return dataclasses.replace(
        program.conference, start_date=date(2025, 1, 29), end_date=date(2025, 2, 2)
    )


def at(moment: str) -> datetime:
    return pacific(f"2025-{moment}")


# -- weekdays -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Samstag", "02-01"), ("samedi", "02-01"), ("SAMSTAG", "02-01"), ("Sa.", "02-01"),
        ("sa", "02-01"), ("sam.", "02-01"), ("sam", "02-01"), ("Mittwoch", "01-29"),
        ("mercredi", "01-29"), ("Mi.", "01-29"), ("mer.", "01-29"), ("Donnerstag", "01-30"),
        ("jeudi", "01-30"), ("Do", "01-30"), ("jeu.", "01-30"), ("Freitag", "01-31"),
        ("vendredi", "01-31"), ("Fr.", "01-31"), ("ven", "01-31"), ("Sonntag", "02-02"),
        ("dimanche", "02-02"), ("So.", "02-02"), ("dim.", "02-02"), ("SONNTAG", "02-02"),
        ("weds", "01-29"), ("thurs", "01-30"), ("Sat.", "02-01"),
    ],
)  # fmt: skip
def test_a_weekday_in_german_or_french_reads(conference: Conference, text: str, day: str):
    assert parse_day(text, conference, NOW) == date.fromisoformat(f"2025-{day}")


@pytest.mark.parametrize("text", ["Montag", "lundi", "Mo.", "lun.", "Dienstag", "mardi", "Di."])
def test_a_weekday_the_conference_lacks_is_named_in_english(conference: Conference, text: str):
    with pytest.raises(WhenError) as refused:
        parse_day(text, conference, NOW)
    assert re.search(r"has no (Monday|Tuesday): it runs Wed Jan 29 to Sun", english(refused.value))


def test_a_weekday_written_with_accents_or_without_reads_the_same(conference: Conference):
    # French weekdays have no accents; months do. Both spellings of each are read.
    assert parse_day("1 février", conference, NOW) == parse_day("1 fevrier", conference, NOW)
    assert parse_day("Févr. 1", conference, NOW) == date(2025, 2, 1)


# -- today, tomorrow, yesterday ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("heute", "01-30"), ("Heute", "01-30"), ("aujourd'hui", "01-30"),
        ("Aujourd’hui", "01-30"), ("aujourdhui", "01-30"), ("morgen", "01-31"),
        ("Morgen", "01-31"), ("demain", "01-31"), ("gestern", "01-29"), ("hier", "01-29"),
    ],
)  # fmt: skip
def test_today_tomorrow_and_yesterday_read(conference: Conference, text: str, day: str):
    assert parse_day(text, conference, NOW) == date.fromisoformat(f"2025-{day}")


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        # 'morgen' first is tomorrow, capital or not: at the start of a sentence German
        # writes 'Morgen' for tomorrow too.
        ("morgen 10 Uhr", "01-31T10:00"), ("Morgen 10 Uhr", "01-31T10:00"),
        # After a day it is the morning, read from the day's start (its first talks).
        ("heute Morgen", "01-30T00:00"), ("morgen früh", "01-31T00:00"),
        ("morgen früh 9 Uhr", "01-31T09:00"), ("morgen morgen", "01-31T00:00"),
        ("Samstag morgens 9 Uhr", "02-01T09:00"), ("demain matin", "01-31T00:00"),
        ("demain matin 9h", "01-31T09:00"), ("tomorrow morning 9:00", "01-31T09:00"),
    ],
)  # fmt: skip
def test_morgen_is_tomorrow_first_and_the_morning_after_a_day(
    conference: Conference, text: str, moment: str
):
    assert parse_when(text, conference, NOW) == at(moment)


def test_the_morning_is_a_day_for_a_day_option(conference: Conference):
    assert parse_day("morgen früh", conference, NOW) == date(2025, 1, 31)


@pytest.mark.parametrize("text", ["jetzt", "Jetzt", "maintenant", "NOW"])
def test_now_in_each_language_is_now(conference: Conference, text: str):
    assert parse_when(text, conference, NOW) == NOW


# -- the conference's days by number ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Tag 2", "01-30"), ("tag 3", "01-31"), ("2. Tag", "01-30"), ("2 Tag", "01-30"),
        ("jour 2", "01-30"), ("2e jour", "01-30"), ("2ème jour", "01-30"),
        ("1er jour", "01-29"), ("1re jour", "01-29"), ("2nd day", "01-30"), ("day 5", "02-02"),
    ],
)  # fmt: skip
def test_a_day_by_its_number_reads(conference: Conference, text: str, day: str):
    assert parse_day(text, conference, NOW) == date.fromisoformat(f"2025-{day}")


@pytest.mark.parametrize("text", ["Tag 6", "jour 0", "6. Tag", "6e jour"])
def test_a_day_number_past_the_last_says_how_many(conference: Conference, text: str):
    with pytest.raises(WhenError) as refused:
        parse_day(text, conference, NOW)
    assert re.search("has days 1 to 5", english(refused.value))


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("31. Januar", "01-31"), ("31 Januar", "01-31"), ("31 janvier", "01-31"),
        ("1er février", "02-01"), ("1. Februar", "02-01"), ("1 févr.", "02-01"),
        ("Feb. 1", "02-01"), ("1. Feb.", "02-01"), ("janv. 31", "01-31"),
        ("31. Jänner", "01-31"), ("31. Januar 2025", "01-31"), ("1er février 2025", "02-01"),
        ("31.1.", "01-31"), ("31.01.", "01-31"), ("01.02.2025", "02-01"),
        ("Samstag, 1. Februar", "02-01"), ("samedi 1er février", "02-01"),
        ("Sa., 1. Feb.", "02-01"), ("le 1er février", "02-01"), ("am 1. Februar", "02-01"),
        ("on feb 1", "02-01"), ("feb 1st", "02-01"), ("1 feb 2025", "02-01"),
    ],
)  # fmt: skip
def test_a_date_reads_with_month_names_in_any_of_the_languages(
    conference: Conference, text: str, day: str
):
    assert parse_day(text, conference, NOW) == date.fromisoformat(f"2025-{day}")


@pytest.mark.parametrize(
    ("month", "number"),
    [
        ("März", 3), ("Maerz", 3), ("mars", 3), ("Mär", 3), ("mar", 3), ("avril", 4),
        ("Mai", 5), ("Juni", 6), ("juin", 6), ("Juli", 7), ("juillet", 7), ("juil.", 7),
        ("août", 8), ("aout", 8), ("Okt.", 10), ("octobre", 10), ("Dez", 12),
        ("décembre", 12), ("Dezember", 12),
    ],
)  # fmt: skip
def test_every_month_reads_in_german_and_french(month: str, number: int):
    assert words.month(words.clean(month)) == number


def test_a_cut_that_is_two_months_is_none():
    assert words.month("jui") is None  # juin or juillet


def test_mar_is_march_before_a_day_of_the_month_and_mardi_without(program: Program):
    conference = dataclasses.replace(
        program.conference, start_date=date(2025, 3, 10), end_date=date(2025, 3, 12)
    )  # Monday March 10 to Wednesday March 12
    asked = pacific("2025-03-10T09:00")
    assert parse_day("mar 11", conference, asked) == date(2025, 3, 11)
    assert parse_day("mar.", conference, asked) == date(2025, 3, 11)  # mardi


def test_a_weekday_and_a_date_that_disagree_get_one_sentence(conference: Conference):
    with pytest.raises(WhenError) as refused:
        parse_day("Sonntag, 1. Februar", conference, NOW)
    assert re.search(r"^February 1, 2025 is a Saturday, not a Sunday\.$", english(refused.value))


@pytest.mark.parametrize("text", ["30. Februar", "31.2.", "30 février 2025", "0.1."])
def test_a_date_that_does_not_exist_says_so(conference: Conference, text: str):
    with pytest.raises(WhenError) as refused:
        parse_day(text, conference, NOW)
    assert re.search("is not a date", english(refused.value))


# -- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("14 Uhr", "01-30T14:00"), ("14:30 Uhr", "01-30T14:30"), ("14.30 Uhr", "01-30T14:30"),
        ("14 Uhr 30", "01-30T14:30"), ("14h30", "01-30T14:30"), ("14 h 30", "01-30T14:30"),
        ("14h", "01-30T14:00"), ("9h", "01-30T09:00"), ("9H05", "01-30T09:05"),
        ("14:30h", "01-30T14:30"), ("14.30", "01-30T14:30"), ("0 Uhr", "01-30T00:00"),
        ("um 14 Uhr", "01-30T14:00"), ("à 14h", "01-30T14:00"), ("at 2pm", "01-30T14:00"),
    ],
)  # fmt: skip
def test_a_time_reads_in_german_and_french(conference: Conference, text: str, moment: str):
    assert parse_when(text, conference, NOW) == at(moment)


@pytest.mark.parametrize(
    "text",
    ["24 Uhr", "14h60", "14 h 3", "14:30 Uhr 15", "2pm 30", "14 30", "Uhr", "h", "13 pm", "um",
     "14 Uhr Uhr", "14hh", "²h"],
)  # fmt: skip
def test_what_is_no_time_is_refused_in_one_sentence(conference: Conference, text: str):
    with pytest.raises(WhenError) as refused:
        parse_when(text, conference, NOW)
    assert "\n" not in english(refused.value)


# -- days and times together, and mixed with English ----------------------------------------


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("jeudi 9:00", "01-30T09:00"), ("Samstag 14 Uhr", "02-01T14:00"),
        ("samedi 14h30", "02-01T14:30"), ("Sa. 10:30", "02-01T10:30"),
        ("saturday 14 Uhr", "02-01T14:00"), ("Samstag 2pm", "02-01T14:00"),
        ("demain 9am", "01-31T09:00"), ("tomorrow 14h", "01-31T14:00"),
        ("Tag 4 9 Uhr", "02-01T09:00"), ("jour 4 14h30", "02-01T14:30"),
        ("2. Tag 9:00", "01-30T09:00"), ("31. Januar 14 Uhr", "01-31T14:00"),
        ("1er février 9h", "02-01T09:00"), ("feb 1 14h", "02-01T14:00"),
        ("am Samstag um 14 Uhr", "02-01T14:00"), ("le samedi à 14h", "02-01T14:00"),
        ("Sa., 1. Feb., 10:30", "02-01T10:30"), ("sam. 1 févr., 10 h 30", "02-01T10:30"),
        ("heute 14:30 Uhr", "01-30T14:30"), ("aujourd'hui 14h30", "01-30T14:30"),
        ("31.1. 14 Uhr", "01-31T14:00"), ("1.2.2025 9:00", "02-01T09:00"),
        # the time first, as people write it too
        ("14h30 samedi", "02-01T14:30"), ("9h demain", "01-31T09:00"),
        ("à 14h le samedi", "02-01T14:00"), ("14 Uhr am Samstag", "02-01T14:00"),
        ("9 Uhr morgen", "01-31T09:00"), ("2pm tomorrow", "01-31T14:00"),
        ("10:30 Tag 4", "02-01T10:30"), ("9h jour 2", "01-30T09:00"),
        ("14h 1er février", "02-01T14:00"), ("14 Uhr Sa., 1. Feb.", "02-01T14:00"),
    ],
)  # fmt: skip
def test_a_day_and_a_time_read_in_any_mix(conference: Conference, text: str, moment: str):
    assert parse_when(text, conference, NOW) == at(moment)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("\u200fsamedi 10h", "02-01T10:00"),  # a right-to-left mark from a Hebrew keyboard
        ("Samstag\u200b 14 Uhr", "02-01T14:00"),  # a zero-width space copied with it
        ("\u2066jeudi 9h\u2069", "01-30T09:00"),  # direction isolates around a paste
        ("１４:３０", "01-30T14:30"),  # full-width digits from a Japanese or Chinese IME
        ("Tag ４ １４ Uhr", "02-01T14:00"),
        ("ｓａｍｅｄｉ　１０ｈ", "02-01T10:00"),  # full-width letters and space
        ("dımanche 9h", "02-02T09:00"),  # a Turkish keyboard's dotless i
        ("DİMANCHE 9h", "02-02T09:00"),  # and its dotted capital
        ("ſamstag 10 Uhr", "02-01T10:00"),  # the long s, casefolded
    ],
)  # fmt: skip
def test_a_moment_typed_on_another_keyboard_or_pasted_reads(
    conference: Conference, text: str, moment: str
):
    assert parse_when(text, conference, NOW) == at(moment)


@pytest.mark.parametrize(
    ("text", "day"),
    [("\u200fsamedi", "02-01"), ("ｓａｍｅｄｉ", "02-01"), ("jour\u00a0２", "01-30"),
     ("sonntag\u200e", "02-02"), ("dımanche", "02-02")],
)  # fmt: skip
def test_a_day_typed_on_another_keyboard_or_pasted_reads(
    conference: Conference, text: str, day: str
):
    assert parse_day(text, conference, NOW) == date.fromisoformat(f"2025-{day}")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Montag 9 Uhr", "has no Monday"),
        ("lundi 9h", "has no Monday"),
        ("Tag 9 14 Uhr", "has days 1 to 5"),
        ("Samstag banane", "I can't read 'Samstag banane'."),
        ("14h lundi", "has no Monday"),
        ("14h samedi banane", "I can't read '14h samedi banane'."),
        ("30. Februar 9h", "'30. Februar' is not a date."),
    ],
)
def test_a_moment_that_is_not_one_gets_one_sentence(conference: Conference, text: str, said: str):
    with pytest.raises(WhenError) as refused:
        parse_when(text, conference, NOW)
    assert said in english(refused.value)
    assert "\n" not in english(refused.value)


# -- what Babel writes reads back ------------------------------------------------------------


@pytest.mark.parametrize("locale", ["de", "fr", "en"])
@pytest.mark.parametrize("form", ["full", "long", "medium", "EEE d MMM", "EEEE d MMMM"])
def test_every_day_as_babel_writes_it_reads_back(conference: Conference, locale: str, form: str):
    for day in conference.days:
        written = format_date(day, form, locale=locale)
        assert parse_day(written, conference, NOW) == day, written


@pytest.mark.parametrize("locale", ["de", "fr"])
def test_a_day_and_time_as_babel_writes_them_read_back(conference: Conference, locale: str):
    for day in conference.days:
        moment = datetime.combine(day, NOW.timetz()).replace(hour=10, minute=30)
        written = format_datetime(moment, "EEE d MMM HH:mm", locale=locale)
        assert parse_when(written, conference, NOW) == moment, written


# -- a day at either end of a session's name ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("Rust Samstag", [("Rust", "Samstag")]),
        ("Rust, samedi", [("Rust", "samedi")]),
        ("Rust sam.", [("Rust", "sam.")]),
        ("K.3.201 Tag 2", [("K.3.201", "Tag 2"), ("K.3.201 Tag", "2")]),
        ("Rust morgen", [("Rust", "morgen")]),
        ("demain Rust", [("Rust", "demain")]),
        ("Rust 1. Februar", [("Rust", "1. Februar"), ("Rust 1.", "Februar")]),
        # Three letters that are often a word in German or French are no day there.
        ("Hacking mit", []), ("Tools die", []), ("Le jeu", []), ("Rust son", []),
    ],
)  # fmt: skip
def test_a_german_or_french_day_is_looked_for_at_the_ends_of_a_name(
    text: str, split: list[tuple[str, str]]
):
    assert day_at_ends(text) == split


@pytest.mark.parametrize(("query", "named"), [("Rust, Samstag", True), ("Rust, samedi", True),
                                              ("Samstagsschule", False)])  # fmt: skip
def test_a_session_name_with_a_german_or_french_weekday_names_a_day(query: str, named: bool):
    assert names_a_day(query) is named


@pytest.fixture(scope="module")
def fosdem() -> ProgramService:
    needs_shared(FOSDEM)
    return ProgramService(read_source(FOSDEM).program)


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("Rust Samstag", "Rust, Saturday"), ("Rust samedi", "Rust, Saturday"),
        ("K.3.201 jour 1", "LLVM, Saturday"), ("K.3.201, Sonntag", WEB),
        ("K.3.201 Tag 2", WEB), ("dimanche K.3.201", WEB), ("K.3.201 2. Februar", WEB),
        ("K.3.201 morgen", WEB),
    ],
)  # fmt: skip
def test_a_session_asked_with_a_german_or_french_day_is_that_days(
    fosdem: ProgramService, typed: str, title: str
):
    service = fosdem
    saturday = datetime(2025, 2, 1, 12, 0, tzinfo=service.conference.tz)
    answer = service.session_or_track(typed, saturday)
    assert isinstance(answer, SessionAnswer) and answer.session.title == title


# -- never a crash ----------------------------------------------------------------------------

# Text shaped like what German and French speakers type, mixed with English: words of
# the tables and numbers as days, dates and times are written, a few in a row.
WORD = st.sampled_from(
    "heute morgen gestern aujourd'hui demain hier samstag samedi sa. sam. mer mar jui tag"
    " jour day am le on um à at früh matin morgens januar février févr. märz uhr h pm"
    " thursday jul".split()
)
NUMBER = st.from_regex(
    r"[0-9²]{1,3}(\.|er|e|ème|h|:[0-9]{1,3}|h[0-9]{1,3}|\.[0-9]{1,3}\.([0-9]{0,5})?)?",
    fullmatch=True,
)
SHAPES = st.lists(WORD | NUMBER, min_size=1, max_size=5).flatmap(
    lambda said: st.sampled_from([" ", ", ", ","]).map(lambda gap: gap.join(said))
)


FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(text=SHAPES)
def test_any_mix_of_the_words_is_a_moment_or_a_when_error(conference: Conference, text: str):
    said = ""
    try:
        moment = parse_when(text, conference, NOW)
    except WhenError as refused:
        said = english(refused)
    if said:
        assert "\n" not in said
    else:
        assert moment.tzinfo is not None


@FUZZ
@given(text=SHAPES | st.text(max_size=30))
def test_any_mix_of_the_words_is_a_day_or_a_when_error(conference: Conference, text: str):
    said = ""
    try:
        day = parse_day(text, conference, NOW)
    except WhenError as refused:
        said = english(refused)
    if said:
        assert "\n" not in said
    else:
        assert isinstance(day, date)
