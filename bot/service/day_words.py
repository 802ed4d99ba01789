"""The words of days and times in English, German and French, for bot.service.when.

An explicit table rather than Babel's locale data at run time: reading needs what
formatting data does not list (names typed without accents, 'Maerz', 'Jänner', '2. Tag',
'1er', 'morgen früh'), which words are ambiguous ('mar' is March before a day of the
month and mardi without one; German 'morgen' is tomorrow), and which are safe to look
for at the ends of a session's name. tests/test_day_words.py checks the table reads back
every way Babel writes the conference's days in German and French ('Sa., 1. Feb.',
'sam. 1 févr.', '10 h 30'), so what the bot shows in a reader's language can be typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from bot.normalize import without_invisible

# Index 0 is Monday, as date.weekday() counts.
WEEKDAYS = {
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "de": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
# Index 0 is January.
MONTHS = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"),
    "de": ("januar", "februar", "marz", "april", "mai", "juni", "juli", "august",
           "september", "oktober", "november", "dezember"),
    "fr": ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
           "septembre", "octobre", "novembre", "decembre"),
}  # fmt: skip
# Whole words that are a month too: spellings without umlauts, and Austria's January.
_MONTH_EXTRA = {"maerz": 3, "jaenner": 1, "janner": 1}
# Weekdays cut short other than by their first letters: German's two letters ('Sa',
# 'Sa.'), shorter than the three a prefix needs, and English 'weds'.
_WEEKDAY_SHORT = {"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6, "weds": 2}
# What a day is called in 'day 2', 'Tag 2', 'jour 2', '2. Tag', '2e jour'.
DAY_WORDS = frozenset({"day", "tag", "jour"})
# Days counted from today. German 'morgen' is tomorrow: at the start of what is typed,
# and without the article, that is how it reads ('morgen 10 Uhr', or 'Morgen 10 Uhr' at
# the start of a sentence); 'der Morgen' (the morning) follows a day ('heute Morgen'),
# where MORNING reads it.
RELATIVE = {
    "today": 0, "heute": 0, "aujourd'hui": 0, "aujourdhui": 0,
    "tomorrow": 1, "morgen": 1, "demain": 1,
    "yesterday": -1, "gestern": -1, "hier": -1,
}  # fmt: skip
# Words for the morning after a day ('tomorrow morning', 'heute Morgen', 'morgen früh',
# 'demain matin'): skipped, so the day is read from its start, which is what /next
# then shows (its first talks). Afternoon and evening are not: read from midnight, they
# would show the morning.
MORNING = frozenset({"morning", "morgen", "morgens", "fruh", "frueh", "vormittag",
                     "vormittags", "matin"})  # fmt: skip
# 'now' in each language.
NOW = frozenset({"now", "jetzt", "maintenant"})
# Before a day ('on saturday', 'am Samstag', 'le 31 janvier') and before a time ('at 9:00',
# 'um 14 Uhr', 'à 14h'): skipped when a day or a time follows.
BEFORE_DAY = frozenset({"on", "am", "le"})
BEFORE_TIME = frozenset({"at", "um", "a"})

# A day of the month or a day's number: '2', '2.' (German), '1st', '1er', '1re', '2e',
# '2eme' (French, accents removed). ASCII digits only: int() would read '²' and '٢'.
_ORDINAL = re.compile(r"^([0-9]{1,2})(?:\.|st|nd|rd|th|er|re|ere|e|eme|ieme)?$", re.ASCII)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'", "´": "'"})
# What another keyboard types for the letters and digits of the tables: the full-width
# forms of ASCII (a Japanese or Chinese input method's '１４:３０', 'ｓａｍｅｄｉ') and
# its ideographic space, and a Turkish keyboard's dotless i ('dımanche'). Only these:
# NFKC would also make '²' a '2' no one typed.
_OTHER_KEYBOARDS = {0xFF01 + n: 0x21 + n for n in range(0x5E)} | {0x3000: " ", 0x131: "i"}
_PREFIX_MIN = 3


def clean(text: str) -> str:
    """What was typed, as the tables spell it: lower case, accents and commas off, one
    space between words ('Févr., 14 h' is 'fevr. 14 h'). Only canonical accents come
    off (NFD): '²' stays '²', not a '2' no one typed. Invisible marks a phone or a
    paste adds (a direction mark, a zero-width space) are dropped, and another
    keyboard's forms of the letters and digits read as them (_OTHER_KEYBOARDS)."""
    text = text.casefold().translate(_APOSTROPHES).replace(",", " ")
    if not text.isascii():
        text = without_invisible(text).translate(_OTHER_KEYBOARDS)
        split = unicodedata.normalize("NFD", text)
        text = "".join(c for c in split if not unicodedata.combining(c))
    return " ".join(text.split())


def _word(token: str) -> str:
    """A word without the dot of its abbreviation ('sa.', 'févr.')."""
    return token[:-1] if token.endswith(".") else token


def _starts_one(
    word: str, names: Mapping[str, tuple[str, ...]], extra: Mapping[str, int]
) -> int | None:
    """The one index whose names (in any language) start with `word`, three letters or
    more; None if none or several do ('jui' is juin and juillet)."""
    found = _starting(word, names, extra)
    return found.pop() if len(found) == 1 else None


def _starting(
    word: str, names: Mapping[str, tuple[str, ...]], extra: Mapping[str, int]
) -> set[int]:
    """Every index whose names (in any language) start with `word`, three letters or more."""
    if len(word) < _PREFIX_MIN or not word.isascii() or not word.isalpha():
        return set()
    found = {i for spelled in names.values() for i, name in enumerate(spelled)
             if name.startswith(word)}  # fmt: skip
    return found | {i - 1 for name, i in extra.items() if name.startswith(word)}


def weekday(token: str) -> int | None:
    """The weekday (0 Monday) a word names: whole, cut short ('thurs', 'sam', 'mer.'),
    or German's two letters ('Sa.'); None if it names none."""
    word = _word(token)
    if word in _WEEKDAY_SHORT:
        return _WEEKDAY_SHORT[word]
    return _starts_one(word, WEEKDAYS, {})


def month(token: str) -> int | None:
    """The month (1 January) a word names: whole or cut short ('feb', 'févr.', 'Mär')."""
    found = _starts_one(_word(token), MONTHS, _MONTH_EXTRA)
    return None if found is None else found + 1


def months_cut_short(token: str) -> tuple[int, ...]:
    """The months (1 January) a word cut short could be, when it could be several ('jui'
    is June, juin, and July, juillet); empty when it names one or none."""
    found = _starting(_word(token), MONTHS, _MONTH_EXTRA)
    return tuple(sorted(i + 1 for i in found)) if len(found) > 1 else ()


def ordinal(token: str) -> int | None:
    """The number of '2', '2.', '1st', '1er', '2e'; None if it is none of those."""
    match = _ORDINAL.match(token)
    return int(match[1]) if match else None


def relative(token: str) -> int | None:
    """Days from today a word means ('heute' 0, 'demain' 1, 'gestern' -1), else None."""
    return RELATIVE.get(token)


def is_full_name(token: str) -> bool:
    """Whether a word is a weekday's or month's whole name in a language other than
    English, or its standard abbreviation with its dot ('samstag', 'sam.', 'févr.'):
    what, at the end of a session's name, is taken for a day. A bare three letters in
    German or French are too often a word ('mit', 'die', 'jeu', 'son') to be."""
    word = _word(token)
    named = (*WEEKDAYS["de"], *WEEKDAYS["fr"], *MONTHS["de"], *MONTHS["fr"], *_MONTH_EXTRA)
    if word in named:
        return True
    cut = token.endswith(".") and (weekday(token) is not None or month(token) is not None)
    return cut
