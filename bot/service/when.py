"""Read the moments people type: '14:00', 'thursday 9:00', '2024-07-10T10:50', 'now'.

Wall-clock times are the conference's local time: attendees read them off the printed
program. A time with no day means today during the conference, or the first day when
asked from outside it, since a conference question is about the conference's days.
"""

from __future__ import annotations

import contextlib
import re
from calendar import monthrange
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.model import Conference, load_zone, within_range
from bot.service import day_words as words

_MAX_LENGTH = 64
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
# A German date: '31.1.', '31.01.', '31.01.2025' (the dot after the month tells it from
# a time, '14.30').
_NUMERIC_DATE = re.compile(r"^(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})?$", re.ASCII)
_YEAR = re.compile(r"^[0-9]{4}$", re.ASCII)


class Refusal(StrEnum):
    """Why a typed time or day was refused: one sentence each, said in the reader's
    language by bot.render.refusals (the service names the reason, never the words)."""

    UNREADABLE_TIME = "unreadable time"  # '25:99', 'banana'
    TIME_TOO_LONG = "time too long"
    OUT_OF_RANGE = "out of range"  # '0001-01-01T00:00'
    NOT_ISO = "not iso"  # --now 'soon'
    NO_ZONE = "no zone"  # an ISO time with no zone where none is known
    NO_SUCH_WEEKDAY = "no such weekday"  # 'monday' at a conference from Wednesday to Friday
    NO_SUCH_DAY_NUMBER = "no such day number"  # 'day 4' of three
    WRONG_WEEKDAY = "wrong weekday"  # 'Sunday, February 1' when it is a Saturday
    NOT_A_DATE = "not a date"  # 'feb 30'
    NO_DAY = "no day"  # nothing typed where a day is asked
    DAY_TOO_LONG = "day too long"
    UNREADABLE_DAY = "unreadable day"  # 'Funday'
    DAY_OUTSIDE = "day outside"  # a date the conference does not have
    TRACK_NOT_ON_DAY = "track not on day"  # a track with no talks on the day asked
    SESSION_NOT_ON_DAY = "session not on day"  # 'Rust sunday', when Rust is on Saturday
    AMBIGUOUS_MONTH = "ambiguous month"  # '14 jui': June (juin) or July (juillet)


class WhenError(ValueError):
    """The text is not a moment or a day we can read, or one the conference lacks: its
    `kind` says why, and the values the sentence needs are kept as they are (dates as
    dates, names as written), for the renderer to say in the reader's language.

    `typed` is what the person typed; `conference` a program's name, `name` a track's,
    room's or session's: each adapter quotes and shows them its own way (Discord escapes
    Markdown, the console shows them as they are), so neither is ever read as
    formatting. `day` is the day read, `weekday` the weekday named (0 is Monday), `days`
    the days that would do.
    """

    def __init__(
        self,
        kind: Refusal,
        typed: str | None = None,
        *,
        conference: str | None = None,
        day: date | None = None,
        weekday: int | None = None,
        days: Sequence[date] = (),
        name: str | None = None,
    ) -> None:
        self.kind = kind
        self.typed = typed
        self.conference = conference
        self.day = day
        self.weekday = weekday
        self.days = tuple(days)
        self.name = name
        # Not super(): a DayRefused is a QueryError too, whose __init__ takes a template.
        ValueError.__init__(self, kind.value, typed)

    def __str__(self) -> str:
        """For logs and tracebacks, not for a reader (bot.render.refusals speaks)."""
        shown = {"typed": self.typed, "conference": self.conference, "day": self.day,
                 "weekday": self.weekday, "name": self.name}  # fmt: skip
        values = ", ".join(f"{name}={value!r}" for name, value in shown.items()
                           if value is not None)  # fmt: skip
        if self.days:
            values += f"{', ' if values else ''}days={len(self.days)}"
        return f"{self.kind.value}" + (f" ({values})" if values else "")


class NotADay(WhenError):
    """The text reads as no day at all (not a day the conference lacks, which is a
    WhenError of its own): a command reading a day off a name tries another split."""


class AmbiguousDate(NotADay):
    """A date whose month is cut short to what begins several ('14 jui'): no day for a
    name's end to be read as ('Rust 14 jui' is looked up whole), and where a day is
    asked, a refusal naming the dates it could be."""


def _unreadable(text: str) -> WhenError:
    return WhenError(Refusal.UNREADABLE_TIME, text)


def in_range(value: datetime, text: str) -> datetime:
    """`value`, if it lies in the years anyone could mean; else a WhenError."""
    if not within_range(value):
        raise WhenError(Refusal.OUT_OF_RANGE, text)
    return value


def parse_moment(text: str, tz_name: str | None = None) -> datetime:
    """An ISO time: naive means the given zone, otherwise its own offset or Z."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(cleaned), time(0))
        except ValueError:
            raise WhenError(Refusal.NOT_ISO, text) from None
    if value.tzinfo is None:
        if tz_name is None:
            raise WhenError(Refusal.NO_ZONE, text)
        value = value.replace(tzinfo=load_zone(tz_name))
    return in_range(value, text)


def parse_when(text: str, conference: Conference, now: datetime) -> datetime:
    """Resolve what a person typed to an aware datetime in the conference's zone: in
    English, German or French, or a mix ('Samstag 9am', 'demain 14 Uhr')."""
    cleaned = words.clean(text)
    if not text.strip() or cleaned in words.NOW:
        return now.astimezone(conference.tz)
    if not cleaned:
        raise _unreadable(text)  # ','
    if len(cleaned) > _MAX_LENGTH:
        raise WhenError(Refusal.TIME_TOO_LONG)
    if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}", cleaned):
        try:
            moment = parse_moment(cleaned.upper(), conference.timezone)
        except WhenError as exc:
            raise exc if exc.kind is Refusal.OUT_OF_RANGE else _unreadable(text) from None
        return moment.astimezone(conference.tz)  # parse_moment checked the range
    local_now = now.astimezone(conference.tz)
    with _echoing(text):
        day, rest = _take_days(cleaned.split(), conference, local_now)
        if day is None and (found := _time_then_day(rest, conference, local_now)) is not None:
            day, rest = found
    if len(rest) > 1 and rest[0] in words.BEFORE_TIME:
        rest = rest[1:]  # 'at 9:00', 'um 14 Uhr', 'à 14h'
    clock = _read_time(" ".join(rest)) if rest else time(0)
    if clock is None:
        raise _unreadable(text)
    if day is None:
        today = local_now.date()
        in_conference = conference.start_date <= today <= conference.end_date
        day = today if in_conference else conference.start_date
    return in_range(datetime.combine(day, clock, tzinfo=conference.tz), text)


def _time_then_day(
    said: list[str], conference: Conference, local_now: datetime
) -> tuple[date, list[str]] | None:
    """A time written before its day, as people write it too ('14h30 samedi', '9h
    demain', '14 Uhr am Samstag', '2pm tomorrow'): the day the last words name whole,
    and the time's words; None if no first words are a time followed by a day."""
    for cut in range(1, len(said)):
        head = said[1:cut] if cut > 1 and said[0] in words.BEFORE_TIME else said[:cut]
        if _read_time(" ".join(head)) is None:
            continue
        day, left = _take_days(said[cut:], conference, local_now)
        if day is not None and not left:
            return day, said[:cut]
    return None


def _take_days(
    said: list[str], conference: Conference, local_now: datetime
) -> tuple[date | None, list[str]]:
    """The day the first words name, and the words after it: a day ('Samstag'), then
    perhaps the morning ('morgen früh') and the date it is ('saturday february 1',
    'Sa., 1. Feb.'), which must agree."""
    day, rest = _take_day(said, conference, local_now)
    if day is None:
        return None, said
    if rest and rest[0] in words.MORNING:
        rest = rest[1:]
    dated, left = _take_day(rest, conference, local_now)
    if dated is None:
        return day, rest
    if dated.weekday() != day.weekday():
        raise WhenError(Refusal.WRONG_WEEKDAY, day=dated, weekday=day.weekday())
    return dated, left


def _take_day(
    said: list[str], conference: Conference, local_now: datetime
) -> tuple[date | None, list[str]]:
    """The day the first words name ('on' or 'am' before it), and the words after it;
    None and the words as they were if they name none."""
    start = 1 if len(said) > 1 and said[0] in words.BEFORE_DAY else 0
    first = said[start] if start < len(said) else ""
    if (offset := words.relative(first)) is not None:
        return local_now.date() + timedelta(days=offset), said[start + 1 :]
    if (dated := _take_date(said[start:], conference)) is not None:
        return dated
    if (weekday := words.weekday(first)) is not None:
        for day in conference.days:
            if day.weekday() == weekday:
                return day, said[start + 1 :]
        raise WhenError(Refusal.NO_SUCH_WEEKDAY, conference=conference.name, weekday=weekday,
                        days=conference.days)  # fmt: skip
    if (numbered := _day_number(said[start:])) is not None:
        number, rest = numbered
        if not 1 <= number <= len(conference.days):
            raise WhenError(Refusal.NO_SUCH_DAY_NUMBER, conference=conference.name,
                            days=conference.days)  # fmt: skip
        return conference.days[number - 1], rest
    return None, said


def _take_date(said: list[str], conference: Conference) -> tuple[date, list[str]] | None:
    """A date the first words write, and the words after it: '2025-02-01', '1.2.',
    '01.02.2025', 'feb 1', '1 feb', '1. Februar', '1er février', each perhaps with its
    year ('feb 1 2025'); a day and month with no year are in the conference's year."""
    if not said:
        return None
    if _ISO_DATE.match(said[0]):
        try:
            return date.fromisoformat(said[0]), said[1:]
        except ValueError:
            return None  # '2024-13-45' reads as no day, as it always did
    if numeric := _NUMERIC_DATE.match(said[0]):
        written = int(numeric["m"]), int(numeric["d"])
        return _dated(said[0], conference, *written, numeric["y"]), said[1:]
    if len(said) < 2:
        return None
    month, day = words.month(said[0]), words.ordinal(said[1])  # 'feb 1'
    if month is None or day is None:
        month, day = words.month(said[1]), words.ordinal(said[0])  # '1 feb', '1. Februar'
    if month is None or day is None:
        _refuse_ambiguous_month(said[:2], conference)
        return None
    year = said[2] if len(said) > 2 and _YEAR.match(said[2]) else None
    shown = " ".join(said[: 3 if year else 2])
    return _dated(shown, conference, month, day, year), said[3 if year else 2 :]


def _refuse_ambiguous_month(said: list[str], conference: Conference) -> None:
    """A day of a month cut short to what begins several months ('14 jui', June or July):
    an AmbiguousDate naming the dates it could be, in the conference's year."""
    for month_word, day_word in ((said[0], said[1]), (said[1], said[0])):
        number = words.ordinal(day_word)
        if number is None or not (months := words.months_cut_short(month_word)):
            continue
        year = conference.start_date.year
        could_be = [date(year, m, number) for m in months if 1 <= number <= monthrange(year, m)[1]]
        if len(could_be) > 1:
            raise AmbiguousDate(Refusal.AMBIGUOUS_MONTH, " ".join(said), days=could_be)


def _dated(shown: str, conference: Conference, month: int, day: int, year: str | None) -> date:
    """The date of a day and month, in `year` or else the conference's."""
    if year is None:
        return _date(shown, lambda: _in_conference_year(conference, month, day))
    return _date(shown, lambda: date(int(year), month, day))


def _date(shown: str, make: Callable[[], date]) -> date:
    """The date `make` makes, or a WhenError saying `shown` is no date ('feb 30')."""
    try:
        return make()
    except ValueError:
        raise WhenError(Refusal.NOT_A_DATE, shown) from None


def _day_number(said: list[str]) -> tuple[int, list[str]] | None:
    """The conference's day numbered by the first words ('day 2', 'Tag 2', 'jour 2',
    '2. Tag', '2e jour', '2nd day'), and the words after them."""
    if len(said) < 2:
        return None
    if said[0] in words.DAY_WORDS and (number := words.ordinal(said[1])) is not None:
        return number, said[2:]
    if said[1] in words.DAY_WORDS and (number := words.ordinal(said[0])) is not None:
        return number, said[2:]
    return None


def _in_conference_year(conference: Conference, month: int, day: int) -> date:
    """'jan 1' at a conference from Dec 30 to Jan 2 is the one in its second year."""
    found = date(conference.start_date.year, month, day)
    if found not in conference.days and conference.end_date.year != found.year:
        later = date(conference.end_date.year, month, day)
        return later if later in conference.days else found
    return found


def parse_day(text: str, conference: Conference, now: datetime) -> date:
    """The day a person named: 'today', 'tomorrow', 'day 2', 'saturday', 'feb 1',
    '2025-02-01', or a day as autocomplete shows it ('Saturday, February 1'); the same
    in German and French ('morgen', 'Tag 2', 'Samstag', '1. Februar', 'demain',
    'jour 2', 'samedi 1er février'). One reader for every command that asks for a day,
    so a spelling that works in one works in all. A weekday or day number the
    conference lacks is refused here; whether a date is one of its days is the caller's
    to say (ProgramService.day_named)."""
    cleaned = words.clean(text)
    if not cleaned:
        raise WhenError(Refusal.NO_DAY)
    if len(cleaned) > _MAX_LENGTH:
        raise WhenError(Refusal.DAY_TOO_LONG)
    with _echoing(text):
        day, rest = _take_days(cleaned.split(), conference, now.astimezone(conference.tz))
    if day is None or rest:
        raise NotADay(Refusal.UNREADABLE_DAY, text)
    return day


# Refusals that quote the words of a date, which are read cleaned ('30. februar').
_QUOTING_WORDS = (Refusal.NOT_A_DATE, Refusal.AMBIGUOUS_MONTH)


@contextlib.contextmanager
def _echoing(text: str) -> Iterator[None]:
    """A refusal quoting the words of a date quotes them as the person typed them
    ('30. Februar', not the cleaned '30. februar' the tables read)."""
    try:
        yield
    except WhenError as exc:
        if exc.kind in _QUOTING_WORDS and exc.typed is not None:
            exc.typed = _as_typed(text, exc.typed)
        raise


def _as_typed(text: str, cleaned: str) -> str:
    """The words of `text` that clean to `cleaned` (a run of its words), as typed; the
    whole of `text` if no run does."""
    typed = text.replace(",", " ").split()
    wanted = cleaned.split()
    read = [words.clean(word) for word in typed]
    for start in range(len(typed) - len(wanted) + 1):
        if read[start : start + len(wanted)] == wanted:
            return " ".join(typed[start : start + len(wanted)])
    return text.strip()


_WEEKDAY_NAMES = words.WEEKDAYS["en"]
_MONTH_NAMES = words.MONTHS["en"]


def day_at_ends(text: str) -> list[tuple[str, str]]:
    """The ways `text` may be a name with a day typed after or before it ('Rust sunday',
    'Borg, Monday', 'K.3.201 day 2', 'saturday LLVM', 'Rust Samstag', 'K.3.201 Tag 2'):
    (name, day) pairs for parse_day to read, a day at the end before one at the start,
    longer days first. A word begins a day only if it is a weekday or month spelled out
    or cut short ('sat', 'thurs'; in German and French whole or with the dot of its
    abbreviation, 'sam.'), so 'Friends of OpenJDK' is not Friday's, 'Decentralised 2'
    not December's, and 'Hacking mit' not Mittwoch's."""
    said = text.replace(",", " ").split()
    found = []
    for at_end in (True, False):
        for size in (3, 2, 1):
            if len(said) <= size:
                continue
            name, day = (said[:-size], said[-size:]) if at_end else (said[size:], said[:size])
            if _begins_a_day(words.clean(day[0])):
                found.append((" ".join(name), " ".join(day)))
    return found


def _begins_a_day(word: str) -> bool:
    """Whether a word can start what parse_day reads: a date, 'day' ('Tag', 'jour'), a
    number ('1 feb', '2. Tag', '1er'), 'today' ('heute', 'demain'...), the start (three
    letters or more) of an English weekday's or month's name, or a German or French
    one's whole name or abbreviation."""
    if word in words.DAY_WORDS or word in words.RELATIVE or words.ordinal(word) is not None:
        return True
    if _ISO_DATE.match(word) or _NUMERIC_DATE.match(word) or words.is_full_name(word):
        return True
    names = (*_WEEKDAY_NAMES, *_MONTH_NAMES)
    return len(word) >= 3 and any(name.startswith(word) for name in names)


_CLOCK = re.compile(
    r"""^(?P<h>[0-9]{1,2})
    (?:\s*[:.]\s*(?P<m>[0-9]{2}))?
    \s*(?P<suffix>a\.?\s*m\.?|p\.?\s*m\.?|uhr|h)?
    (?:\s*(?P<after>[0-9]{2}))?$""",
    re.ASCII | re.VERBOSE,
)


def _read_time(text: str) -> time | None:
    """A time of day: '14:00', '9.30', '2pm', '2:30 p.m.', '14 Uhr', '14:30 Uhr',
    '14 Uhr 30', '14h', '14h30', '14 h 30', '14:30h'. A bare number is none."""
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, suffix = int(match["h"]), (match["suffix"] or "").replace(".", "").replace(" ", "")
    minutes, after = match["m"], match["after"]
    if after is not None and (minutes is not None or suffix not in ("uhr", "h")):
        return None  # '14:30 Uhr 15', '2pm 30', '14 30'
    minute = int(minutes or after or 0)
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif not suffix and minutes is None:
        return None  # a bare number is not a time
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)
