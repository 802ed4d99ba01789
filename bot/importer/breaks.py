"""Breaks, meals, registration and posters: program items that are not talks.

Community formats list the coffee break beside the talks, as one more event ("Pause",
"Lunch (uncatered)", "Registration Open"). Loaded as talks, they got Q&A threads, slot
announcements and /paper answers. This module says which events are such items, from
the format's type field where it has one (frab/pretalx `type`, Indico's entry type,
iCalendar CATEGORIES), else from the title.

A title is a break only when every word of it is a break word or a harmless modifier
("Morning Tea", "Pause café", "Room changeover 2"), so that "Breaking the cloud",
"How to Break PDFs" and "Lunch and learn: Postgres" stay talks. A type field is trusted
more: its last word may decide ("penguin dinner", a type linux.conf.au uses). An event
that names a speaker is a talk whatever its title or type says: someone presents it, so
/author must find it and a Q&A thread has someone to answer; a talk wrongly taken for a
break would vanish from every lookup, which is worse than a thread too many.

To recognise another word, add it to _WORDS (folded: lower case, no accents).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum


class BreakKind(StrEnum):
    """The kinds of other event this module finds; the values are the Event kinds the
    renderers already label (bot.render.common.EVENT_LABELS)."""

    BREAK = "break"
    MEAL = "meal"
    REGISTRATION = "registration"
    POSTER = "poster"


_B, _M, _R, _P = BreakKind.BREAK, BreakKind.MEAL, BreakKind.REGISTRATION, BreakKind.POSTER

# Folded words that name a break by themselves, in the languages programs come in.
_WORDS: dict[str, BreakKind] = {
    # breaks
    "break": _B, "breaks": _B, "coffeebreak": _B, "pause": _B, "pauses": _B, "pausa": _B,
    "pauze": _B, "paus": _B, "przerwa": _B, "перерыв": _B, "kaffeepause": _B,
    "teepause": _B, "kuchenpause": _B, "coffee": _B, "kaffee": _B, "cafe": _B, "koffie": _B,
    "tea": _B, "teatime": _B, "refreshments": _B, "snack": _B, "snacks": _B,
    "changeover": _B, "intermission": _B, "recess": _B,
    # meals
    "lunch": _M, "lunchbreak": _M, "breakfast": _M, "brunch": _M, "dinner": _M,
    "supper": _M, "dejeuner": _M, "diner": _M, "repas": _M, "mittagspause": _M,
    "mittagessen": _M, "abendessen": _M, "fruhstuck": _M, "almuerzo": _M, "pranzo": _M,
    # registration
    "registration": _R, "registrations": _R, "anmeldung": _R, "registrierung": _R,
    "accueil": _R, "inscription": _R, "inscriptions": _R, "checkin": _R,
    # posters
    "poster": _P, "posters": _P, "postersession": _P,
}  # fmt: skip

# Words that may stand beside a break word without making the title a talk's.
_MODIFIERS = frozenset(
    """
    a an and the of with for in at on to by or
    morning afternoon evening midday noon early late short long quick first second last
    open opens opening closes desk room changeover check in badge pickup session sessions
    welcome networking catered uncatered served provided hot light free time day
    speakers speaker attendees all everyone min mins minutes minuten h
    de du la le les des et au aux avec petit grand
    und mit der die das am im zur zum fur kleine kurze grosse
    y con el del e di della
    """.split()
)

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_WORD = re.compile(r"\w+")
_LENGTH = re.compile(r"^\d+(?:h|m|min|mins)?$")  # 'Break 2', 'Pause 15min'


def words(text: str) -> list[str]:
    """The title's words, folded (lower case, accents dropped, any script kept), with
    what it puts in brackets left out ('Lunch (uncatered)' is 'lunch')."""
    text = unicodedata.normalize("NFKD", _BRACKETS.sub(" ", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _WORD.findall(text.replace("ß", "ss"))


def _only_break_words(found: list[str]) -> BreakKind | None:
    """The first break word's kind when every word is a break word, a modifier or a
    number ('Coffee break 2'); None as soon as one word is anything else."""
    kind = None
    for word in found:
        if word in _WORDS:
            kind = kind or _WORDS[word]
        elif word not in _MODIFIERS and not _LENGTH.match(word):
            return None
    return kind


def title_kind(title: str) -> BreakKind | None:
    """What a title alone says the item is, if it is a break of some kind. Hyphens
    split words ('Pause-café') or join them ('Check-in'): both readings are tried."""
    kind = _only_break_words(words(title))
    if kind is None and "-" in title:
        kind = _only_break_words(words(title.replace("-", "")))
    return kind


def type_kind(value: str) -> BreakKind | None:
    """What a format's type field says: as a title would, or by its last word (the
    head of 'penguin dinner', 'morning tea'; never 'lunch talk')."""
    found = words(value)
    if not found:
        return None
    return _only_break_words(found) or _WORDS.get(found[-1])


def break_kind(title: str, types: Iterable[str | None], has_people: bool) -> BreakKind | None:
    """The kind of other event this item is, or None for a talk. `types` are what the
    format says the item is (its type, its categories), most telling first."""
    if has_people:
        return None
    for value in types:
        if value and (kind := type_kind(value)):
            return kind
    return title_kind(title)
