"""The catalogs, read once at start, and the words of one language that an answer is
rendered with.

Catalogs are read from the `.po` files themselves when the bot starts, not compiled to
`.mo` at build or install time: the file a translator edits is the file the bot reads
(nothing generated to forget to rebuild, nothing binary in the repository, and an
editable install or a checkout runs as a wheel does), and Babel reads and compiles the
two catalogs' 300-odd messages in memory once a process, in about 35 ms.

Sentences name what goes into them as `{name}`, as every sentence of ours does
(bot.template): the caller fills them with text already shown its way (escaped for
Discord), so a translation can put them in any order. Plurals go through gettext's
plural forms (`ntr`), never through an English "s".
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.i18n.language import Language
from bot.template import english_number, fill

log = logging.getLogger(__name__)

DOMAIN = "confbot"
# The msgctxt of the CLDR date patterns (https://cldr.unicode.org, "Date Field Symbol
# Table"): a translator writes how their language shows a time or a day; Babel fills in
# the names of days and months.
DATE_PATTERN = "date pattern"
# The msgctxt of command and option names, which Discord asks for one by one: a command
# named "room" and an option named "room" may be translated alike, a sentence never is.
COMMAND_NAME = "command name"
OPTION_NAME = "option name"


def N_(msgid: str) -> str:
    """Marks a sentence kept for later (a constant, an error's template) as a message id,
    for extraction; it is translated where it is shown, with `Words.tr`."""
    return msgid


@dataclass(frozen=True, slots=True)
class Words:
    """One language's messages and formats: what a renderer is handed to speak it.

    `tr`, `ntr` and `ptr` are the markers extraction looks for (see
    bot/adapters/discord/catalogs.py): their first arguments must be plain strings."""

    language: Language
    _catalog: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)
    # Each translated message by (context, id), as the catalog has it: for those asked
    # whether a translation exists (Discord's localisations), not for rendering.
    _translations: Mapping[tuple[str | None, str], str] = field(default_factory=dict)

    def tr(self, msgid: str, /, **values: object) -> str:
        """The sentence in this language (English when the catalog lacks it), filled."""
        return _filled(self._catalog.gettext(msgid), values)

    def ntr(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The sentence for `count` of something, in this language's plural form."""
        return _filled(self._catalog.ngettext(singular, plural, count), values)

    def ptr(self, context: str, msgid: str, /, **values: object) -> str:
        """A message that needs its context to be translated (a command's name)."""
        return _filled(self._catalog.pgettext(context, msgid), values)

    def number(self, n: int) -> str:
        """'5,000', '5.000', '5 000': a number in a sentence as this language groups its
        digits (English as it always was)."""
        if self.language is Language.EN:
            return english_number(n)
        return format_decimal(n, locale=self.language.value)

    def translated(self, msgid: str, context: str | None = None) -> str | None:
        """The translation of a message as the catalog has it, None if it has none."""
        return self._translations.get((context, msgid))

    # -- times and days -------------------------------------------------------------------

    def clock(self, moment: datetime, tz: ZoneInfo) -> str:
        """'10:30' in English and German, '10 h 30' in French."""
        local = moment.astimezone(tz)
        if self.language is Language.EN:  # bot.render.timefmt.clock, without Babel
            return f"{local.hour:02d}:{local.minute:02d}"
        return self._dated(local, self.ptr("date pattern", "HH:mm"))

    def day_label(self, moment: datetime, tz: ZoneInfo) -> str:
        """'Sat Jan 31', 'Sa., 31. Jan.', 'sam. 31 janv.'."""
        local = moment.astimezone(tz)
        if self.language is Language.EN:
            return f"{local:%a %b} {local.day}"
        return self._dated(local, self.ptr("date pattern", "EEE MMM d"))

    def day_and_time(self, moment: datetime, tz: ZoneInfo) -> str:
        """'Sat Jan 31, 10:30', 'Sa., 31. Jan., 10:30', 'sam. 31 janv., 10 h 30'."""
        return self.tr("{day}, {time}", day=self.day_label(moment, tz), time=self.clock(moment, tz))

    def long_day(self, day: date) -> str:
        """'Saturday, January 31', 'Samstag, 31. Januar', 'samedi 31 janvier'."""
        if self.language is Language.EN:
            return f"{day:%A, %B} {day.day}"
        return self._dated(day, self.ptr("date pattern", "EEEE, MMMM d"))

    def long_date(self, day: date) -> str:
        """'Saturday, July 13, 2024', 'Samstag, 13. Juli 2024', 'samedi 13 juillet 2024':
        a day that may lie in another year than the conference's."""
        if self.language is Language.EN:
            return f"{day:%A, %B} {day.day}, {day.year}"
        return self._dated(day, self.ptr("date pattern", "EEEE, MMMM d, y"))

    def full_date(self, day: date) -> str:
        """'February 1, 2025', '1. Februar 2025', '1 février 2025'."""
        if self.language is Language.EN:
            return f"{day:%B} {day.day}, {day.year}"
        return self._dated(day, self.ptr("date pattern", "MMMM d, y"))

    def weekday(self, day: date) -> str:
        """'Saturday', 'Samstag', 'samedi'."""
        if self.language is Language.EN:
            return f"{day:%A}"
        return self._dated(day, self.ptr("date pattern", "EEEE"))

    def short_weekday(self, moment: datetime, tz: ZoneInfo) -> str:
        """'Sat', 'Sa.', 'sam.'."""
        local = moment.astimezone(tz)
        if self.language is Language.EN:
            return f"{local:%a}"
        return self._dated(local, self.ptr("date pattern", "EEE"))

    def _dated(self, moment: date, pattern: str) -> str:
        """`moment` by a CLDR pattern (its context in the catalogs is DATE_PATTERN, written
        out where each is asked for, as extraction needs it)."""
        if self.language is Language.FR and moment.day == 1:
            pattern = _first_of_the_month(pattern)
        return format_datetime(moment, pattern, locale=self.language.value)


def _first_of_the_month(pattern: str) -> str:
    """French writes the first of a month as an ordinal, '1er' ('samedi 1er février',
    'sam. 1er févr.'), which CLDR's patterns cannot say: the day field `d` of `pattern`
    (outside its quoted text) followed by a quoted 'er'. bot.service.day_words reads it."""
    parts = pattern.split("'")
    parts[::2] = [re.sub(r"(?<!d)d(?!d)", "d'er'", part) for part in parts[::2]]
    return "'".join(parts)


def _filled(sentence: str, values: Mapping[str, object]) -> str:
    return fill(sentence, {name: str(value) for name, value in values.items()}, str)


ENGLISH = Words(Language.EN)
"""The words of every answer not yet given a language (and of the console)."""


@dataclass(frozen=True, slots=True)
class Messages:
    """Every language's words, read once at start and never changed: passed to whatever
    renders for a reader, who picks the language."""

    _words: Mapping[Language, Words] = field(default_factory=dict)

    def words(self, language: Language) -> Words:
        return self._words.get(language, ENGLISH)

    @property
    def languages(self) -> tuple[Language, ...]:
        """The languages with a catalog (English has none)."""
        return tuple(self._words)

    @classmethod
    def load(cls, folder: Traversable) -> Messages:
        """The catalogs under `folder` (`<language>/LC_MESSAGES/confbot.po`)."""
        found: dict[Language, Words] = {}
        for language in Language:
            if language is Language.EN or not (folder / catalog_file(language)).is_file():
                continue
            catalog = read_catalog(folder, language)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)  # fuzzy translations are left out: English shows
            compiled.seek(0)
            translations = {(m.context, m.id): m.string for m in catalog
                            if m.id and isinstance(m.id, str) and isinstance(m.string, str)
                            and m.string and not m.fuzzy}  # fmt: skip
            found[language] = Words(language, gettext.GNUTranslations(compiled), translations)
        return cls(found)


def catalog_file(language: Language) -> str:
    """Where a language's catalog is in the locales folder."""
    return f"{language.value}/LC_MESSAGES/{DOMAIN}.po"


def read_catalog(folder: Traversable, language: Language) -> Catalog:
    """A language's catalog as its .po file has it (what the bot reads, and what the
    catalogs' tools and tests check)."""
    with (folder / catalog_file(language)).open("rb") as po:
        return read_po(po, locale=language.value, domain=DOMAIN)


@functools.cache
def bundled_messages() -> Messages:
    """The catalogs shipped in the package (bot/locales), read once a process."""
    return Messages.load(resources.files("bot") / "locales")
