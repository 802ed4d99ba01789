"""Every refusal of a typed day or time, in each reader's language (issue 26): the
service names the reason (Refusal), bot.render.refusals says it in English, German or
French, naming what was typed and what would work, with examples in that language."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import Language, Words, bundled_messages
from bot.model import Conference, Program
from bot.render.refusals import day_forms, refusal, time_forms
from bot.service import (
    ProgramService,
    QueryError,
    Refusal,
    WhenError,
    parse_day,
    parse_moment,
    parse_when,
)
from tests.conftest import pacific

DURING = pacific("2024-07-10T10:50")  # OSDI '24 runs Wednesday July 10 to Friday July 12


def words(language: str) -> Words:
    return bundled_messages().words(Language(language))


def quoted(typed: str) -> str:
    return f"“{typed}”"


def shown(error: WhenError, language: str) -> str:
    return refusal(error, words(language), quoted)


def refused(attempt: Callable[[], object]) -> WhenError:
    with pytest.raises(WhenError) as caught:
        attempt()
    return caught.value


# What a reader types to meet each refusal (OSDI '24, asked on its first day), and the
# values of the three refused only for a track or a session (tests/test_tracks.py and
# tests/test_lookups.py meet them through the service, on real programs).
def _meet(kind: Refusal, service: ProgramService) -> WhenError:
    conference = service.conference
    meetings: dict[Refusal, Callable[[], object]] = {
        Refusal.UNREADABLE_TIME: lambda: parse_when("25:99", conference, DURING),
        Refusal.TIME_TOO_LONG: lambda: parse_when("9" * 80, conference, DURING),
        Refusal.OUT_OF_RANGE: lambda: parse_when("0001-01-01", conference, DURING),
        Refusal.NOT_ISO: lambda: parse_moment("soon", conference.timezone),
        Refusal.NO_ZONE: lambda: parse_moment("2024-07-10T10:50"),
        Refusal.NO_SUCH_WEEKDAY: lambda: parse_day("Montag", conference, DURING),
        Refusal.NO_SUCH_DAY_NUMBER: lambda: parse_day("jour 4", conference, DURING),
        Refusal.WRONG_WEEKDAY: lambda: parse_day("Thursday, July 12", conference, DURING),
        Refusal.NOT_A_DATE: lambda: parse_day("30. Februar", conference, DURING),
        Refusal.NO_DAY: lambda: service.day_named("  ", DURING),
        Refusal.DAY_TOO_LONG: lambda: parse_day("x" * 65, conference, DURING),
        Refusal.UNREADABLE_DAY: lambda: parse_day("Funday", conference, DURING),
        Refusal.DAY_OUTSIDE: lambda: service.day_named("2024-07-13", DURING),
        Refusal.AMBIGUOUS_MONTH: lambda: parse_day("14 jui", conference, DURING),
    }
    if kind in meetings:
        error = refused(meetings[kind])
        assert error.kind is kind
        return error
    friday, saturday, sunday, monday = (date(2019, 12, d) for d in (27, 28, 29, 30))
    return {
        Refusal.TRACK_NOT_ON_DAY: WhenError(kind, name="Security", day=monday,
                                            days=(friday, saturday, sunday)),
        Refusal.SESSION_NOT_ON_DAY: WhenError(kind, name="Rust", day=sunday, days=(saturday,)),
    }[kind]  # fmt: skip


TIME_FORMS = {
    "en": "'now', '14:00', '2:30pm', 'thursday 9:00', 'jul 11 9am', 'tomorrow 10:00', or an"
    " ISO time such as 2024-07-10T10:50 (conference time) or 2024-07-10T17:50Z",
    "de": "„jetzt“, „14:00“, „14 Uhr“, „heute 14 Uhr“, „Donnerstag 9:00“, „11. Juli 9 Uhr“,"
    " „morgen 10 Uhr“ oder einer ISO-Zeit wie 2024-07-10T10:50 (Ortszeit der Konferenz) oder"
    " 2024-07-10T17:50Z",
    "fr": "« maintenant », « 14h », « 14h30 », « aujourd'hui 14h », « jeudi 9h »,"
    " « 11 juillet 9h », « demain 10h » ou une heure ISO comme 2024-07-10T10:50 (heure de la"
    " conférence) ou 2024-07-10T17:50Z",
}
DAY_FORMS = {
    "en": "'today', 'tomorrow', 'day 2', a weekday such as 'saturday', 'feb 1' or 2025-02-01",
    "de": "„heute“, „morgen“, „Tag 2“, einem Wochentag wie „Samstag“, „1. Feb.“ oder 2025-02-01",
    "fr": "« aujourd'hui », « demain », « jour 2 », un jour de la semaine comme « samedi »,"
    " « 1er février » ou 2025-02-01",
}
OSDI_DAYS = {
    "en": "Wednesday, July 10, Thursday, July 11 and Friday, July 12",
    "de": "Mittwoch, 10. Juli, Donnerstag, 11. Juli und Freitag, 12. Juli",
    "fr": "mercredi 10 juillet, jeudi 11 juillet et vendredi 12 juillet",
}
SAID: dict[Refusal, dict[str, str]] = {
    Refusal.UNREADABLE_TIME: {
        "en": f"I can't read “25:99”. Try {TIME_FORMS['en']}.",
        "de": f"Ich kann “25:99” nicht lesen. Versuch es mit {TIME_FORMS['de']}.",
        "fr": f"Je ne comprends pas “25:99”. Essayez {TIME_FORMS['fr']}.",
    },
    Refusal.TIME_TOO_LONG: {
        "en": f"That is too long for a time. Try {TIME_FORMS['en']}.",
        "de": f"Das ist zu lang für eine Uhrzeit. Versuch es mit {TIME_FORMS['de']}.",
        "fr": f"C'est trop long pour une heure. Essayez {TIME_FORMS['fr']}.",
    },
    Refusal.OUT_OF_RANGE: {
        "en": "“0001-01-01” is out of range: ask about a moment between 1900 and 2999.",
        "de": "“0001-01-01” liegt außerhalb des Bereichs: Frag nach einem Zeitpunkt zwischen"
        " 1900 und 2999.",
        "fr": "“0001-01-01” est hors limites : demandez un moment entre 1900 et 2999.",
    },
    Refusal.NOT_ISO: {
        "en": "“soon” is not an ISO time such as 2024-07-10T10:50",
        "de": "“soon” ist keine ISO-Zeit wie 2024-07-10T10:50",
        "fr": "“soon” n'est pas une heure ISO comme 2024-07-10T10:50",
    },
    Refusal.NO_ZONE: {
        "en": "“2024-07-10T10:50” has no time zone",
        "de": "“2024-07-10T10:50” hat keine Zeitzone",
        "fr": "“2024-07-10T10:50” n'a pas de fuseau horaire",
    },
    Refusal.NO_SUCH_WEEKDAY: {
        "en": "OSDI '24 has no Monday: it runs Wed Jul 10 to Fri Jul 12.",
        "de": "OSDI '24 hat keinen Montag, sondern läuft von Mi., 10. Juli bis Fr., 12. Juli.",
        "fr": "OSDI '24 n'a pas de lundi : elle se tient du mer. 10 juil. au ven. 12 juil.",
    },
    Refusal.NO_SUCH_DAY_NUMBER: {
        "en": "OSDI '24 has days 1 to 3.",
        "de": "OSDI '24 hat die Tage 1 bis 3.",
        "fr": "OSDI '24 a les jours 1 à 3.",
    },
    Refusal.WRONG_WEEKDAY: {
        "en": "July 12, 2024 is a Friday, not a Thursday.",
        "de": "Der 12. Juli 2024 ist ein Freitag, kein Donnerstag.",
        "fr": "Le 12 juillet 2024 est un vendredi, pas un jeudi.",
    },
    Refusal.NOT_A_DATE: {
        "en": "“30. Februar” is not a date.",
        "de": "“30. Februar” ist kein Datum.",
        "fr": "“30. Februar” n'est pas une date.",
    },
    Refusal.NO_DAY: {
        "en": f"Please give a day: {DAY_FORMS['en']}.",
        "de": f"Bitte nenn einen Tag. Versuch es mit {DAY_FORMS['de']}.",
        "fr": f"Veuillez indiquer un jour : {DAY_FORMS['fr']}.",
    },
    Refusal.DAY_TOO_LONG: {
        "en": f"That is too long for a day. Try {DAY_FORMS['en']}.",
        "de": f"Das ist zu lang für einen Tag. Versuch es mit {DAY_FORMS['de']}.",
        "fr": f"C'est trop long pour un jour. Essayez {DAY_FORMS['fr']}.",
    },
    Refusal.UNREADABLE_DAY: {
        "en": f"I can't read “Funday” as a day. Try {DAY_FORMS['en']}.",
        "de": f"Ich kann “Funday” nicht als Tag lesen. Versuch es mit {DAY_FORMS['de']}.",
        "fr": f"Je ne comprends pas “Funday” comme jour. Essayez {DAY_FORMS['fr']}.",
    },
    Refusal.DAY_OUTSIDE: {
        "en": f"OSDI '24 has no Saturday, July 13, 2024; its days are {OSDI_DAYS['en']}.",
        "de": f"Samstag, 13. Juli 2024 gehört nicht zu OSDI '24; die Konferenztage sind"
        f" {OSDI_DAYS['de']}.",
        "fr": f"OSDI '24 n'a pas lieu le samedi 13 juillet 2024 ; elle se tient {OSDI_DAYS['fr']}.",
    },
    Refusal.TRACK_NOT_ON_DAY: {
        "en": "Security has no talks on Monday; it has talks on Friday, Saturday and Sunday.",
        "de": "Security hat am Montag keine Vorträge, sondern am Freitag, Samstag und Sonntag.",
        "fr": "Security n'a aucun exposé lundi ; il en a vendredi, samedi et dimanche.",
    },
    Refusal.SESSION_NOT_ON_DAY: {
        "en": "Rust is on Saturday only, not Sunday: /session Rust shows it.",
        "de": "Rust ist nur am Samstag, nicht am Sonntag: /sitzung Rust zeigt es.",
        "fr": "Rust a lieu samedi seulement, pas dimanche : /session Rust l'affiche.",
    },
    Refusal.AMBIGUOUS_MONTH: {
        "en": "“14 jui” could be June 14, 2024 or July 14, 2024: write the month out.",
        "de": "“14 jui” kann 14. Juni 2024 oder 14. Juli 2024 bedeuten: Schreib den Monat aus.",
        "fr": "“14 jui” peut désigner 14 juin 2024 ou 14 juillet 2024 : écrivez le mois en entier.",
    },
}
LANGUAGES = ("en", "de", "fr")


def test_every_refusal_has_its_sentences_here():
    assert set(SAID) == set(Refusal)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(Refusal))
def test_each_refusal_reads_in_each_language(service: ProgramService, kind: Refusal, language: str):
    assert shown(_meet(kind, service), language) == SAID[kind][language]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "FOSDEM has day 1 only."),
        ("de", "FOSDEM hat nur Tag 1."),
        ("fr", "FOSDEM n'a que le jour 1."),
    ],
)
def test_a_one_day_conference_has_day_1_only(language: str, said: str):
    error = WhenError(Refusal.NO_SUCH_DAY_NUMBER, conference="FOSDEM", days=(date(2025, 2, 1),))
    assert shown(error, language) == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Arena is on Monday, Tuesday and Friday, not Sunday."),
        ("de", "Arena ist am Montag, Dienstag und Freitag, nicht am Sonntag."),
        ("fr", "Arena a lieu lundi, mardi et vendredi, pas dimanche."),
    ],
)
def test_a_session_on_several_other_days_names_them(language: str, said: str):
    days = (date(2020, 1, 13), date(2020, 1, 14), date(2020, 1, 17))
    error = WhenError(Refusal.SESSION_NOT_ON_DAY, name="Arena", day=date(2020, 1, 12), days=days)
    assert shown(error, language) == said


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_names_are_shown_and_what_was_typed_quoted_by_the_adapter(
    program: Program, language: str
):
    conference = dataclasses.replace(program.conference, name="**OSDI**")
    error = refused(lambda: parse_day("Montag", conference, DURING))
    said = refusal(error, words(language), quoted, show=lambda name: name.replace("*", r"\*"))
    assert said.startswith(r"\*\*OSDI\*\*")
    typed = refused(lambda: parse_day("[x](https://evil.example)", conference, DURING))
    assert "<[x](https://evil.example)>" in refusal(typed, words(language), lambda t: f"<{t}>")


def test_a_month_cut_short_to_several_names_the_dates_it_could_be(program: Program):
    error = refused(lambda: parse_when("Mittwoch 1 jui 9h", program.conference, DURING))
    assert (error.kind, error.typed) == (Refusal.AMBIGUOUS_MONTH, "1 jui")
    assert error.days == (date(2024, 6, 1), date(2024, 7, 1))


@pytest.mark.parametrize("typed", ["31 jui", "0 jui", "99 jui"])  # June has 30 days
def test_a_cut_short_month_not_two_of_which_have_the_day_is_no_day(program: Program, typed: str):
    error = refused(lambda: parse_day(typed, program.conference, DURING))
    assert error.kind is Refusal.UNREADABLE_DAY


def test_a_name_ending_in_an_ambiguous_date_is_looked_up_whole(service: ProgramService):
    assert service.session_or_track("Cloud Computing 14 jui", DURING) is not None


# -- the examples are what the bot reads ------------------------------------------------------


def _examples(forms: str) -> list[str]:
    """What a forms sentence quotes, in English, German or French quotation marks."""
    quotes = r"'([^']+)'|„([^“]+)“|« ([^»]+) »"
    found = re.finditer(quotes, forms.replace("aujourd'hui", "AUJ"))
    return [next(g for g in m.groups() if g).replace("AUJ", "aujourd'hui") for m in found]


def _a_week(program: Program) -> Conference:
    """OSDI '24 over a whole week, so that every weekday an example names is one of its."""
    return dataclasses.replace(program.conference, start_date=date(2024, 7, 8),
                               end_date=date(2024, 7, 14))  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_forms_are_the_ones_of_the_language(language: str):
    assert (time_forms(words(language)), day_forms(words(language))) == (
        TIME_FORMS[language], DAY_FORMS[language])  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_time_example_reads(program: Program, language: str):
    examples = _examples(time_forms(words(language)))
    assert len(examples) >= 6
    for example in examples:
        assert isinstance(parse_when(example, _a_week(program), DURING), datetime), example


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_day_example_reads(program: Program, language: str):
    examples = _examples(day_forms(words(language)))
    assert len(examples) == 5
    for example in examples:
        assert isinstance(parse_day(example, _a_week(program), DURING), date), example


# -- anything typed reads, or is refused in a whole sentence ----------------------------------

_PLACEHOLDER = re.compile(r"\{\w*\}")
_TYPED = "«TYPED»"  # what was typed, which may hold braces of its own, stands apart
SHAPES = st.text(max_size=40) | st.from_regex(
    r"(montag|jeudi|samstag|day|tag|jour|feb|juli|demain|heute|today|\d{1,2}[.:h]?)"
    r"( (\d{1,2}|uhr|h|\d{1,2}[:.h]\d{0,3}|pm|am|mars|2024|fevrier|früh))*",
    fullmatch=True,
)
FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def _whole(error: WhenError) -> None:
    for language in LANGUAGES:
        said = refusal(error, words(language), lambda typed: _TYPED)
        assert said and "\n" not in said, (language, said)
        assert not _PLACEHOLDER.search(said), (language, said)
        assert error.typed is None or _TYPED in said, (language, said)


@FUZZ
@given(text=SHAPES)
def test_any_text_is_a_moment_or_a_whole_sentence_in_every_language(program: Program, text: str):
    try:
        parse_when(text, program.conference, DURING)
    except WhenError as error:
        _whole(error)


@FUZZ
@given(text=SHAPES)
def test_any_text_is_a_day_or_a_whole_sentence_in_every_language(
    service: ProgramService, text: str
):
    query_refusal = ""
    try:
        service.day_named(text, DURING)
    except WhenError as error:
        _whole(error)
    except QueryError as error:  # control characters: a query's refusal, not a day's
        query_refusal = str(error)
    assert not query_refusal or "control characters" in query_refusal


@pytest.mark.parametrize(("asked", "said"), [
    ({"room": "Ballroom Z"}, "n'a pas de salle nommée « Ballroom Z »"),
    ({"track": "Quantum basket weaving"}, "n'a pas de parcours nommé « Quantum basket weaving »"),
])  # fmt: skip
def test_next_refuses_a_room_or_track_the_program_lacks_in_the_readers_language(
    service: ProgramService, asked: dict[str, str], said: str
):
    with pytest.raises(QueryError) as caught:
        service.where(**asked)
    assert said in caught.value.render(str, words("fr").tr)


@pytest.mark.parametrize("language", ["de", "fr"])
def test_a_long_querys_length_is_not_read_as_a_decimal(service: ProgramService, language: str):
    """'2,100' is two point one in German and French: a lookup's length is grouped as the
    reader's language groups digits ('2.100', '2 100'), as Words.number writes it."""
    w = words(language)
    with pytest.raises(QueryError) as caught:
        service.search("x" * 2100)
    said = caught.value.render(str, w.tr, w.number)
    assert "2,100" not in said and w.number(2100) in said and w.number(2100) != "2,100"


# The option descriptions that show what to type for a time or a day (/next when,
# /changes since, /track day), each as the reader's language writes its examples.
_DESCRIBED = (
    "Ask about another moment: 14:00, thursday 9:00, or an ISO time",
    "Only changes since then: 14:00, thursday 9:00, or an ISO time",
    "Only this day: today, tomorrow, day 2, saturday, or a date (default: every day)",
)


@pytest.mark.parametrize("language", ["de", "fr"])
@pytest.mark.parametrize("description", _DESCRIBED)
def test_an_options_examples_are_in_the_readers_language(language: str, description: str):
    shown = words(language).translated(description)
    assert shown is not None
    english = {"thursday", "today", "tomorrow", "saturday", "day 2"}
    assert not [word for word in english if word in shown.casefold()], shown
