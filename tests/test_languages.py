"""A talk's language (issue 26): shown as a word, never a flag; the `language` filter
takes its code or any of its names, in English, German, French or its own, in any case
and with or without accents, and resolves to the program's own languages."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import Language, bundled_messages
from bot.model import Program
from bot.render import board, program_cards, text
from bot.service import ProgramService
from bot.service.board import FilterError, Places, matches, suggest_languages
from bot.service.languages import language_code, language_label, pick_language
from bot.service.program_service import LanguageRefused
from bot.service.results import TalkAnswer, Where
from tests.conftest import pacific

CODES = ("de", "en")
NAMES = ("Deutsch", "English", "français")
FLAGS = "".join(chr(c) for c in range(0x1F1E6, 0x1F200))  # regional indicators
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


# -- what is typed, resolved to the program's languages --------------------------------------


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("de", "de"), ("DE", "de"), ("de-DE", "de"), ("de_AT", "de"), ("deu", "de"),
        ("ger", "de"), ("German", "de"), ("GERMAN", "de"), ("Deutsch", "de"), ("deutsch", "de"),
        ("allemand", "de"), ("Allemand", "de"), ("en", "en"), ("English", "en"),
        ("Englisch", "en"), ("anglais", "en"), ("ANGLAIS", "en"), ("eng", "en"),
        ("en-GB", "en"), (" english ", "en"),
    ],
)  # fmt: skip
def test_a_language_is_found_by_its_code_or_any_of_its_names(typed: str, found: str):
    assert pick_language(CODES, typed) == found


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("de", "Deutsch"), ("German", "Deutsch"), ("allemand", "Deutsch"), ("en", "English"),
        ("anglais", "English"), ("fr", "français"), ("French", "français"),
        ("Französisch", "français"), ("Franzoesisch", "français"), ("francais", "français"),
        ("FRANÇAIS", "français"),
    ],
)  # fmt: skip
def test_a_program_that_names_its_languages_is_found_by_code_too(typed: str, found: str):
    assert pick_language(NAMES, typed) == found


@pytest.mark.parametrize(
    ("typed", "found"),
    [("español", "es"), ("Spanisch", "es"), ("espagnol", "es"), ("Nederlands", "nl"),
     ("néerlandais", "nl"), ("polski", "pl"), ("Italienisch", "it"), ("日本語", "ja")],
)  # fmt: skip
def test_every_language_has_its_names_not_only_the_three_the_bot_speaks(typed: str, found: str):
    assert pick_language(("es", "nl", "pl", "it", "ja"), typed) == found


@pytest.mark.parametrize("typed", ["fr", "French", "klingon", "Deutschland", "", "日本語"])
def test_a_language_the_program_lacks_is_none_of_them(typed: str):
    assert pick_language(CODES, typed) is None


def test_a_region_is_the_same_language():
    assert language_code("pt_BR") == language_code("pt") == "pt"


# -- the filter -------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Deutsch", "allemand", "German", "de", "ger"])
def test_the_filter_resolves_any_name_to_the_programs_language(typed: str):
    where = Places(("Saal 1",), ("Security",), CODES).resolve(None, None, typed, lambda v, _: v)
    assert where.language == "de"


def test_a_language_the_program_lacks_is_refused_naming_its_languages_as_words():
    with pytest.raises(FilterError) as refused:
        Places((), (), CODES).resolve(None, None, "klingon", lambda v, _: v)
    assert [language_label(v) for v in refused.value.languages] == ["German", "English"]


def test_a_misspelled_language_is_offered_the_close_one():
    with pytest.raises(FilterError) as refused:
        Places((), (), CODES).resolve(None, None, "Germna", lambda v, _: v)
    assert [language_label(v) for v in refused.value.languages] == ["German"]


@pytest.fixture(scope="module")
def mixed(program: Program) -> ProgramService:
    """OSDI with its talks in German ('de' and 'Deutsch': one language given two ways),
    English and French, in turn."""
    spoken = ("de", "en", "Deutsch", "fr")
    talks = tuple(replace(t, language=spoken[i % 4]) for i, t in enumerate(program.talks))
    return ProgramService(replace(program, talks=talks))


def test_the_filter_keeps_a_language_however_the_program_gives_it(mixed: ProgramService):
    where = mixed.where(language="allemand")
    kept = [t for t in mixed.talks.values() if matches(t, where)]
    assert {t.talk.language for t in kept} == {"de", "Deutsch"}
    assert len(kept) == sum(t.talk.language in ("de", "Deutsch") for t in mixed.talks.values())


def test_the_service_refuses_a_language_in_one_sentence(mixed: ProgramService):
    with pytest.raises(LanguageRefused) as refused:  # named by the renderer, in English here
        mixed.where(language="Klingonisch")
    said = board.language_refusal(refused.value, str)
    assert re.search(r"is called “Klingonisch”\. Did you mean .*French", said)


def test_a_board_filtered_by_language_says_which_as_a_word(mixed: ProgramService):
    at = pacific("2024-07-10T08:00")
    where = mixed.where(language="Deutsch")
    (card, *_) = program_cards.next_cards(mixed.next(at, where=where), mixed.conference)
    assert card.title.endswith("· language German")


@pytest.mark.parametrize(
    ("language", "ending"),
    [("fr", "· langue allemand"), ("de", "· Sprache Deutsch"), ("en", "· language German")],
)
def test_a_board_filtered_by_language_names_it_as_the_reader_writes_it_in_a_sentence(
    mixed: ProgramService, language: str, ending: str
):
    """French writes a language's name in lower case inside a phrase ('langue allemand');
    the capital of a label ('Allemand (Deutsch)' in a list) is not the phrase's."""
    at = pacific("2024-07-10T08:00")
    where = mixed.where(language="Deutsch")
    words = bundled_messages().words(Language(language))
    (card, *_) = program_cards.next_cards(mixed.next(at, where=where), mixed.conference, w=words)
    assert card.title.endswith(ending), card.title


# -- autocomplete -----------------------------------------------------------------------------


def test_autocomplete_offers_each_language_by_its_names():
    offered = [(s.value, s.label) for s in suggest_languages(("de", "en", "fr"), "")]
    assert offered == [("de", "German (Deutsch)"), ("en", "English"), ("fr", "French (français)")]


@pytest.mark.parametrize(("typed", "value"), [("allem", "de"), ("deu", "de"), ("angl", "en"),
                                              ("Franz", "fr"), ("fra", "fr")])  # fmt: skip
def test_autocomplete_finds_a_language_by_the_start_of_any_name(typed: str, value: str):
    assert [s.value for s in suggest_languages(("de", "en", "fr"), typed)] == [value]


# -- the label: a word, never a flag ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("de", "German"), ("en", "English"), ("DE", "German"), ("Deutsch", "German"),
        ("français", "French"), ("pt_BR", "Portuguese"), ("🇩🇪", "German"),
        ("🇬🇧 English", "English"), ("🇫🇷", "French"), ("en/de", "en/de"),
        ("en/de 🇩🇪", "en/de"), ("🇺🇳", "Unknown language"), (f"{ENGLAND} English", "English"),
        (ENGLAND, "Unknown language"),
    ],
)  # fmt: skip
def test_a_language_is_labelled_with_its_name(value: str, label: str):
    assert language_label(value) == label


def test_the_label_can_be_in_the_readers_language():
    assert (language_label("de", "de"), language_label("de", "fr")) == ("Deutsch", "Allemand")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(FLAGS + ENGLAND) | st.characters(), max_size=12))
def test_no_label_shows_a_flag_and_no_text_breaks_the_filter(value: str):
    assert not set(language_label(value)) & set(FLAGS + ENGLAND[0])
    assert pick_language((*CODES, value), value) is not None


def test_the_talk_card_and_the_console_show_the_language_as_a_word(mixed: ProgramService):
    staged = next(t for t in mixed.talks.values() if t.talk.language == "de")
    flagged = replace(staged, talk=replace(staged.talk, language="🇩🇪"))
    for talk in (staged, flagged):
        answer = TalkAnswer(talk.title, talk, ())
        (card, *_) = program_cards.talk_cards(answer, mixed.conference, now=None)
        fields = {f.name: f.value for f in card.fields}
        assert fields["Type"].endswith("German")
        assert "Type:    " in text.render_talk(answer, mixed.conference)
        assert "German" in text.render_talk(answer, mixed.conference)


def test_a_filter_on_a_program_without_languages_says_there_are_none():
    with pytest.raises(FilterError, match="gives no talk a language"):
        Places((), (), ()).resolve(None, None, "Deutsch", lambda v, _: v)


def test_where_without_a_language_keeps_every_talk(mixed: ProgramService):
    assert all(matches(t, Where()) for t in mixed.talks.values())
