"""The renderers of /search, /about, /changes and the autocomplete choices speak the
reader's language (issue 26): the bot's words in German or French, the program's own as
they are, and English as it was."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import ENGLISH, Language, Words, bundled_messages
from bot.kinds import DeliveryKind, DeliveryState
from bot.live.remote import RemoteProgram
from bot.model import Authorship, ItemNoun
from bot.render import cards, delivery_cards, program_cards
from bot.render.common import (
    authors_line,
    block_title,
    delivery_lines,
    search_counts,
    size_text,
)
from bot.render.pager import Group
from bot.service import ProgramService
from bot.service.results import ProgramSize, SearchKind, Suggestion, SuggestionKind
from bot.service.status import DeliveryCount
from tests.conftest import pacific


def words(language: str) -> Words:
    return bundled_messages().words(Language(language))


def test_a_search_that_shows_part_says_so_in_the_readers_words(service: ProgramService):
    answer = replace(service.search("memory"), more=(SearchKind.TALKS, SearchKind.PEOPLE))
    assert search_counts(answer, ItemNoun.PAPER, words("fr")) == (
        "6 articles et 1 session correspondent. Tous les résultats ne sont pas affichés"
        " (articles et personnes) : ajoutez un mot pour affiner."
    )
    assert search_counts(answer, ItemNoun.TALK, words("de")) == (
        "Gefunden: 6 Vorträge und 1 Sitzung. Nicht alle Treffer werden gezeigt (Vorträge und"
        " Personen): Ein weiteres Wort grenzt die Suche ein."
    )
    assert search_counts(answer, ItemNoun.PAPER) == (
        "6 papers and 1 session match. More papers and people match than are shown: add a"
        " word to narrow it."
    )


@pytest.mark.parametrize(
    ("size", "german", "english"),
    [
        (ProgramSize(53, 11), "53 Beiträge in 11 Sitzungen", "53 papers in 11 sessions"),
        (ProgramSize(943, 0, 72, 29, 2), "943 Beiträge in 29 Räumen an 2 Tagen",
         "943 papers in 29 rooms over 2 days"),
        (ProgramSize(1, 1, 1, 1, 1), "1 Beitrag in 1 Sitzung und in 1 Raum an 1 Tag",
         "1 paper in 1 session and in 1 room over 1 day"),
    ],
)  # fmt: skip
def test_a_programs_size_in_german_and_as_it_was_in_english(
    size: ProgramSize, german: str, english: str
):
    assert size_text(size, ItemNoun.PAPER, words("de")) == german
    assert size_text(size, ItemNoun.PAPER) == english


def test_a_room_blocks_day_is_said_in_the_readers_words_and_anything_else_is_left():
    saturday = date(2025, 2, 1)
    assert block_title("Rust, Saturday", saturday, words("fr")) == "Rust, samedi"
    assert block_title("FOSDEM Junior (UD6.203), Saturday", saturday, words("de")) == (
        "FOSDEM Junior (UD6.203), Samstag"
    )
    assert block_title("Rust, Saturday", saturday) == "Rust, Saturday"
    assert block_title("Saturday Night Fever", saturday, words("de")) == "Saturday Night Fever"


def test_a_versions_heading_in_german(service: ProgramService):
    tz = service.conference.tz
    at = int(pacific("2024-07-10T09:05").timestamp())
    assert delivery_cards.version_heading(at, tz, words("de")) == (
        f"🕒 **Version vom Mi., 10. Juli, 09:05 PDT** (<t:{at}:R>)"
    )


def test_an_affiliations_people_follow_a_french_colon(service: ProgramService):
    (card,) = program_cards.search_cards(service.search("epfl"), service.conference, words("fr"))
    assert card.fields[1].name == "Affiliation · École Polytechnique Fédérale de Lausanne (EPFL)"
    assert card.fields[1].value == "1 article : Clément Burgevin, Rachid Guerraoui et Antoine Murat"
    assert card.language is Language.FR  # its text beside it, in French too


def test_a_list_going_on_in_another_field_says_so_in_the_readers_words():
    lines = tuple(f"`10:{n:02d}` A talk with a rather long title, number {n}" for n in range(60))
    for w, heading in ((words("fr"), "Exposés (suite)"), (ENGLISH, "Exposés (cont.)")):
        pages = cards.paged(cards.Card("Title"), [Group("Exposés", lines)], w=w)
        assert [f.name for f in pages[0].fields][:2] == ["Exposés", heading]


def test_suggestions_are_named_in_the_readers_words_and_the_programs_are_left():
    de = words("de")
    session = Suggestion("s:rust", "Rust, Saturday", SuggestionKind.SESSION, date(2025, 2, 1))
    assert cards.suggestion_name(session, de) == "Sitzung: Rust, Samstag"
    assert cards.suggestion_name(session) == "Session: Rust, Saturday"
    language = Suggestion("en", "English", SuggestionKind.LANGUAGE)
    assert cards.suggestion_name(language, words("fr")) == "Anglais (English)"
    assert cards.suggestion_name(language) == "English"
    title = Suggestion("p:1", "Session: a talk's own title")
    assert cards.suggestion_name(title, de) == "Session: a talk's own title"


def test_french_writes_the_first_of_a_month_as_an_ordinal():
    fr, de = words("fr"), words("de")
    assert fr.long_day(date(2025, 2, 1)) == "samedi 1er février"
    assert fr.long_day(date(2025, 2, 2)) == "dimanche 2 février"
    pacific_time = ZoneInfo("America/Los_Angeles")
    moment = pacific("2024-08-01T10:30")
    assert fr.day_and_time(moment, pacific_time) == "jeu. 1er août, 10 h 30"
    assert de.long_day(date(2025, 2, 1)) == "Samstag, 1. Februar"


def test_french_sets_a_space_before_a_semicolon():
    authors = [Authorship(n, n, a) for n, a in (("A", "MIT"), ("B", "MIT"), ("C", "Intel"))]
    assert authors_line(authors, words("fr")) == "A et B (MIT) ; C (Intel)"
    assert authors_line(authors) == "A and B (MIT); C (Intel)"


def test_delivery_counts_agree_with_their_number_in_french():
    """/status's delivery line: '1 envoyé', '3 envoyés' (a French word agrees with its
    count; the sentence kept for every count wrote '1 envoyées')."""
    counts = [
        DeliveryCount(DeliveryKind.THREAD, DeliveryState.SENT, 1, None),
        DeliveryCount(DeliveryKind.THREAD, DeliveryState.PENDING, 3, None),
    ]
    fr, de = (bundled_messages().words(lang) for lang in (Language.FR, Language.DE))
    assert delivery_lines(counts, fr) == ["Fils de questions : 1 envoyé, 3 prévus"]
    assert delivery_lines(counts, de) == ["Fragen-Threads: 1 gesendet, 3 geplant"]


def test_a_fetch_cap_is_written_as_the_readers_language_groups_digits():
    """'25,000,000-byte' read 'dépasse la limite de 25,000,000 octets' to a French organiser."""
    french = bundled_messages().words(Language.FR)
    over = RemoteProgram("https://example.org/p.json", Path("p.json"), max_bytes=25_000_000)
    said = over._over_cap().render(str, french.tr, french.number)
    assert "25\u202f000\u202f000" in said and "25,000,000" not in said
    assert "25,000,000" in str(over._over_cap())  # the log's English, as it was
