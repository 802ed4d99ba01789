"""The catalogs speak every message the code uses, with the same placeholders, and Discord
would take every localised command name (see bot/adapters/discord/catalogs.py)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.messages.pofile import read_po, write_po

from bot.adapters.discord import catalogs
from bot.i18n import ENGLISH, Language, Messages, bundled_messages, language_of
from bot.i18n.messages import DATE_PATTERN

TRANSLATED = [language for language in Language if language is not Language.EN]


@pytest.fixture(scope="module")
def messages() -> list[catalogs.Message]:
    return catalogs.all_messages()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_translates_every_message_with_its_placeholders(messages, language):
    assert catalogs.catalog_problems(messages, catalogs.read_catalog(language)) == []


def test_the_check_fails_on_a_missing_translation_and_on_changed_placeholders(messages):
    catalog = catalogs.read_catalog(Language.FR)
    catalog.get("Page {page} of {pages}").string = "Page {page} sur {total}"
    catalog.delete("Add to calendar")
    catalog.get(("{count} talk", "{count} talks")).string = ("{count} exposé", "des exposés")
    catalog.get("next", "command name").string = "À suivre"  # names are lowercase
    problems = catalogs.catalog_problems(messages, catalog)
    assert len(problems) == 4, problems
    assert any("'Add to calendar'" in p and "not translated" in p for p in problems)
    assert any("'Page {page} sur {total}' has placeholders ['page', 'total']" in p
               for p in problems)  # fmt: skip
    assert any("'des exposés' has placeholders []" in p for p in problems)
    assert any("'À suivre' is not a lowercase name" in p for p in problems)


def test_a_fuzzy_translation_counts_as_none(messages):
    catalog = catalogs.read_catalog(Language.DE)
    catalog.get("Add to calendar").flags.add("fuzzy")
    (problem,) = catalogs.catalog_problems(messages, catalog)
    assert "not translated" in problem


def test_the_template_holds_every_message_of_the_code_and_no_other(messages):
    """`python -m bot.adapters.discord.catalogs` was run after the last message changed."""
    with catalogs.TEMPLATE.open("rb") as pot:
        template = {(m.context, m.id) for m in read_po(pot) if m.id}
    assert template == {(m.context, m.id) for m in messages}


def test_the_code_marks_sentences_from_render_and_adapters_alike(messages):
    """The extraction finds the markers where they are: a renderer's, an adapter's, a
    service's constant, and every command of the tree."""
    where = {m.where.split(":")[0] for m in messages}
    paths = (
        "bot/render/program_cards.py",
        "bot/adapters/discord/tree.py",
        "bot/service/watch.py",
        "bot/i18n/messages.py",
        "/next",
        "/announce language",
    )
    for path in paths:
        assert path in where, path


def test_updating_keeps_translations_and_brings_in_new_messages_untranslated(tmp_path: Path):
    locales = tmp_path / "locales"
    shutil.copytree(catalogs.LOCALES, locales)
    po = locales / "de" / "LC_MESSAGES" / "confbot.po"
    with po.open("rb") as file:
        catalog = read_po(file, locale="de")
    catalog.delete("Add to calendar")  # as if the message were new in the code
    with po.open("wb") as file:
        write_po(file, catalog)
    template = catalogs.TEMPLATE.read_bytes()
    try:
        catalogs.update(locales)
    finally:
        catalogs.TEMPLATE.write_bytes(template)  # the repository's, whatever update wrote
    updated = catalogs.read_catalog(Language.DE, locales)
    assert updated.get("Add to calendar").string == ""
    assert updated.get("Page {page} of {pages}").string == "Seite {page} von {pages}"


# -- the languages and their words --------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language"),
    [("de", Language.DE), ("fr", Language.FR), ("en-US", Language.EN), ("en-GB", Language.EN),
     ("es-ES", Language.EN), ("ja", Language.EN), ("pt-BR", Language.EN), (None, Language.EN),
     ("", Language.EN), ("fr-CA", Language.FR)],
)  # fmt: skip
def test_discord_locales_read_as_our_languages(locale, language):
    assert language_of(locale) is language


def test_days_and_times_are_written_as_each_language_writes_them():
    at = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    paris = ZoneInfo("Europe/Paris")
    said = {lang: bundled_messages().words(lang).day_and_time(at, paris) for lang in Language}
    assert said == {
        Language.EN: "Sat Jan 31, 10:30",
        Language.DE: "Sa., 31. Jan., 10:30",
        Language.FR: "sam. 31 janv., 10 h 30",
    }
    de, fr = (bundled_messages().words(lang) for lang in TRANSLATED)
    assert (de.long_day(date(2026, 1, 31)), fr.long_day(date(2026, 1, 31))) == (
        "Samstag, 31. Januar",
        "samedi 31 janvier",
    )


def test_english_patterns_in_the_catalogs_say_what_english_shows():
    """The English date patterns (the message ids) are what the English path writes
    without Babel: a translator reads them as the source."""
    moment = datetime(2024, 7, 10, 9, 5, tzinfo=UTC)
    patterns = {m.id for m in catalogs.code_messages() if m.context == DATE_PATTERN}
    assert patterns == {"HH:mm", "EEE MMM d", "EEEE, MMMM d", "EEEE", "EEE", "EEEE, MMMM d, y",
                        "MMMM d, y"}  # fmt: skip
    tz = ZoneInfo("UTC")
    english = {
        "HH:mm": ENGLISH.clock(moment, tz), "EEE MMM d": ENGLISH.day_label(moment, tz),
        "EEEE, MMMM d": ENGLISH.long_day(moment.date()), "EEEE": ENGLISH.weekday(moment.date()),
        "EEE": ENGLISH.short_weekday(moment, tz),
        "EEEE, MMMM d, y": ENGLISH.long_date(moment.date()),
        "MMMM d, y": ENGLISH.full_date(moment.date()),
    }  # fmt: skip
    assert english == {p: format_datetime(moment, p, locale="en") for p in patterns}


@pytest.mark.parametrize(("n", "de", "fr"), [(0, "0 Vorträge", "0 exposé"), (1, "1 Vortrag",
                         "1 exposé"), (2, "2 Vorträge", "2 exposés")])  # fmt: skip
def test_plurals_follow_each_language(n, de, fr):
    words = [bundled_messages().words(lang) for lang in TRANSLATED]
    assert [w.ntr("{count} talk", "{count} talks", n, count=n) for w in words] == [de, fr]


def test_a_message_no_catalog_has_reads_english_and_no_catalog_at_all_too(tmp_path: Path):
    fr = bundled_messages().words(Language.FR)
    assert fr.tr("Not a message of ours, {name}", name="x") == "Not a message of ours, x"
    empty = Messages.load(tmp_path)
    assert empty.languages == ()
    assert empty.words(Language.DE).tr("Next") == "Next"
