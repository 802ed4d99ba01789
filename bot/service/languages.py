"""A talk's language: the word shown for it, and every name a person may type for it.

Programs give a talk's language as a code ('en', 'de': CCC's and FOSDEM's files) or a
name ('English', 'Deutsch', 'français'). People type it as any of those, or as its name
in their own language ('Englisch', 'anglais', 'allemand'). Babel's copy of CLDR names
every language in every language, so a program in Italian, Polish or Klingon works as
one in German does, with no table of ours to grow or to fall behind; it is asked only
about the few languages a program has, and what it answers is kept. A language is
shown as its name, a word in the reader's language (English until answers follow the
reader's), never as a flag: a flag is a country, not a language, and a screen reader
says "flag: Germany" for a talk in German.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages

from bot.normalize import fold, loose

# The language answers are in, until they follow the reader's (the i18n work).
SHOWN_IN = "en"
# The languages whose names for other languages are understood, besides each
# language's own name: the languages the bot answers in.
NAMED_IN = ("en", "de", "fr")
# What may be a language's code ('de', 'de-AT', 'pt_BR', 'deu'): only these reach Babel,
# which reads a data file named after what it is given.
_CODE = re.compile(r"^[a-z]{2,3}(?:[_-][a-z0-9]{2,8}){0,2}$", re.ASCII | re.IGNORECASE)
# A flag emoji: two regional indicator letters, the country's code ('🇩🇪' is DE). Those
# letters, a lone one too, and the flags of England, Scotland and Wales (a black flag and
# tag letters) are taken off what is shown.
_FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}")
_INDICATORS = re.compile("[\U0001f1e6-\U0001f1ff]+|\U0001f3f4[\U000e0020-\U000e007f]*")
_INDICATOR_A = 0x1F1E6


@functools.cache
def _names(shown_in: str) -> Mapping[str, str]:
    """Every language's name in `shown_in`, by code ({} if Babel has no such locale)."""
    try:
        return Locale.parse(shown_in).languages
    except (ValueError, UnknownLocaleError):
        return {}


@functools.cache
def _names_index() -> Mapping[str, str]:
    """Every language's name in NAMED_IN's languages (compared as _key does) -> its
    code: how a program's 'Deutsch' or 'English' is known as 'de' or 'en'."""
    index: dict[str, str] = {}
    for shown_in in NAMED_IN:
        for code, name in _names(shown_in).items():
            if "_" not in code:
                index.setdefault(_key(name), code)
    return index


def _key(text: str) -> str:
    """A name as compared: no accents or case, 'oe' as 'ö' ('Franzoesisch'); a name in
    a script fold drops ('日本語') in its own letters, case aside."""
    return loose(fold(text)) or " ".join(text.casefold().split())


@functools.lru_cache(maxsize=1024)
def language_code(value: str) -> str | None:
    """The code of the language `value` is, by its code ('de', 'DE', 'de-AT', 'deu',
    'ger') or its name in English, German or French ('Deutsch', 'German', 'allemand');
    None if neither. A region is no other language: 'en-GB' is 'en'. A program that
    gives a flag ('🇩🇪') means its country's first official language."""
    text = _INDICATORS.sub("", value).strip()
    if not text and (flag := _FLAG.search(value)) is not None:
        return _flag_language(flag[0])
    if _CODE.match(text):
        primary = re.split("[-_]", text.casefold())[0]
        if primary in _names(SHOWN_IN):
            return primary
        try:
            return Locale.parse(primary).language  # ISO 639-2: 'deu', 'ger', 'fra'
        except (ValueError, UnknownLocaleError):
            pass
    return _names_index().get(_key(text))


def _flag_language(flag: str) -> str | None:
    """The first official language of a flag's country ('🇩🇪' de, '🇬🇧' en, '🇺🇸' en)."""
    territory = "".join(chr(ord(c) - _INDICATOR_A + ord("A")) for c in flag)
    official = get_official_languages(territory, de_facto=True)
    return official[0] if official else None


def language_key(value: str) -> str:
    """What two ways of giving one language share ('de', 'DE', 'Deutsch', 'German' are
    'de'): its code, or the text itself (compared as typed names are) if it is none."""
    return language_code(value) or _key(value)


def _name_in(code: str, shown_in: str) -> str | None:
    return _names(shown_in).get(code)


def language_label(value: str, shown_in: str = SHOWN_IN) -> str:
    """The word for a talk's language in `shown_in` ('German' for 'de', 'Allemand' in
    French), capitalised as a label starts; the program's own text for a language no
    one knows ('en/de'), without its flags. Never a flag alone: 'Unknown language'."""
    name, known = _language_word(value, shown_in)
    return name[:1].upper() + name[1:] if known else name


def language_name(value: str, shown_in: str = SHOWN_IN) -> str:
    """The word for a talk's language as `shown_in` writes it inside a sentence: 'German',
    'Deutsch', but French 'allemand' ('langue allemand', never 'langue Allemand'); else
    as language_label."""
    return _language_word(value, shown_in)[0]


def _language_word(value: str, shown_in: str) -> tuple[str, bool]:
    """The language's name in `shown_in` as CLDR writes it, and True; or the program's
    own text without its flags (or 'Unknown language'), and False."""
    code = language_code(value)
    name = None if code is None else _name_in(code, shown_in)
    if not name and (written := " ".join(_INDICATORS.sub(" ", value).split())):
        return written, False
    return name or _name_in("und", shown_in) or "Unknown language", True


def own_name(value: str) -> str | None:
    """The language's name in itself ('Deutsch', 'français'), if Babel knows it."""
    code = language_code(value)
    return None if code is None else _name_in(code, code)


@functools.lru_cache(maxsize=1024)
def language_names(value: str) -> frozenset[str]:
    """Every name `value`'s language may be typed as (compared as _key does): the
    program's text, its code, its name in itself, in English, German and French."""
    names = {_key(value)}
    if (code := language_code(value)) is not None:
        names.add(code)
        names |= {_key(name) for lang in (code, *NAMED_IN) if (name := _name_in(code, lang))}
    return frozenset(names - {""})


def pick_language(languages: Iterable[str], typed: str) -> str | None:
    """The program's language `typed` names by any of its names or codes ('allemand',
    'Deutsch', 'ger' or 'DE' for 'de'); None if it names none of them."""
    wanted, key = _key(typed), language_key(typed)
    found = (v for v in languages if wanted in language_names(v) or language_key(v) == key)
    return next(found, None)


def names_contain(value: str, typed: str) -> bool:
    """Whether one of the names of `value`'s language contains what is typed ('deu',
    'allem', 'franzoe'): what autocomplete offers as someone types."""
    wanted = _key(typed)
    return any(wanted in name for name in language_names(value))


def suggested_label(value: str, shown_in: str = SHOWN_IN) -> str:
    """A language as autocomplete offers it: its name in `shown_in` ('German',
    'allemand'), and its own name where that differs ('German (Deutsch)'), so each
    reader finds theirs."""
    shown, own = language_label(value, shown_in), own_name(value)
    return shown if own is None or _key(own) == _key(shown) else f"{shown} ({own})"
