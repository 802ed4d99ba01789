"""Read the moments people type: '14:00', 'thursday 9:00', '2024-07-10T10:50', 'now'.

Wall-clock times are the conference's local time: attendees read them off the printed
program. A time with no day means today during the conference, or the first day when
asked from outside it, since a conference question is about the conference's days.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from bot.model import Conference, load_zone, within_range
from bot.template import fill

ACCEPTED_FORMS = (
    "'now', '14:00', '2:30pm', 'thursday 9:00', 'jul 11 9am', 'tomorrow 10:00',"
    " or an ISO time such as 2024-07-10T10:50 (conference time) or 2024-07-10T17:50Z"
)
DAY_FORMS = "'today', 'tomorrow', 'day 2', a weekday such as 'saturday', 'feb 1' or 2025-02-01"
_MAX_LENGTH = 64
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_TIME = re.compile(
    r"^(?P<h>[0-9]{1,2})(?::(?P<m>[0-9]{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$", re.ASCII
)
_DAY_NUMBER = re.compile(r"^[0-9]{1,2}$")  # ASCII digits only: int() refuses '²'

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class WhenError(ValueError):
    """The text is not a moment we can read; the message says what would be.

    The message may quote what the person typed as `{typed}`, and name the conference as
    `{conference}`: each adapter quotes and shows them its own way (Discord escapes
    Markdown, the console shows them as they are), so neither what a person types nor a
    program's name is ever interpreted as formatting.
    """

    def __init__(self, message: str, typed: str | None = None, conference: str | None = None):
        self.template = message
        self.typed = typed
        self.conference = conference
        super().__init__(self.render(repr))

    def render(self, quote: Callable[[str], str], show: Callable[[str], str] = str) -> str:
        values = {} if self.conference is None else {"conference": show(self.conference)}
        if self.typed is not None:
            values["typed"] = quote(self.typed)
        return fill(self.template, values, lambda shown: shown)


class NotADay(WhenError):
    """The text reads as no day at all (not a day the conference lacks, which is a
    WhenError of its own): a command reading a day off a name tries another split."""


def _unreadable(text: str) -> WhenError:
    return WhenError(f"I can't read {{typed}}. Try {ACCEPTED_FORMS}.", text)


_OUT_OF_RANGE = "{typed} is out of range: ask about a moment between 1900 and 2999."


def in_range(value: datetime, text: str) -> datetime:
    """`value`, if it lies in the years anyone could mean; else a WhenError."""
    if not within_range(value):
        raise WhenError(_OUT_OF_RANGE, text)
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
            raise WhenError("{typed} is not an ISO time such as 2024-07-10T10:50", text) from None
    if value.tzinfo is None:
        if tz_name is None:
            raise WhenError("{typed} has no time zone", text)
        value = value.replace(tzinfo=load_zone(tz_name))
    return in_range(value, text)


def parse_when(text: str, conference: Conference, now: datetime) -> datetime:
    """Resolve what a person typed to an aware datetime in the conference's zone."""
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned or cleaned == "now":
        return now.astimezone(conference.tz)
    if len(cleaned) > _MAX_LENGTH:
        raise WhenError(f"That is too long for a time. Try {ACCEPTED_FORMS}.")
    if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}", cleaned):
        try:
            moment = parse_moment(cleaned.upper(), conference.timezone)
        except WhenError as exc:
            raise exc if exc.template == _OUT_OF_RANGE else _unreadable(text) from None
        return moment.astimezone(conference.tz)  # parse_moment checked the range
    local_now = now.astimezone(conference.tz)
    day, rest = _take_day(text, cleaned, conference, local_now)
    clock = _read_time(rest) if rest else time(0)
    if clock is None:
        raise _unreadable(text)
    if day is None:
        today = local_now.date()
        in_conference = conference.start_date <= today <= conference.end_date
        day = today if in_conference else conference.start_date
    return in_range(datetime.combine(day, clock, tzinfo=conference.tz), text)


def _take_day(
    typed: str, text: str, conference: Conference, local_now: datetime
) -> tuple[date | None, str]:
    words = text.replace(",", " ").split()
    if not words:
        raise _unreadable(typed)
    first = words[0]
    if first in ("today", "tomorrow", "yesterday"):
        offset = {"today": 0, "tomorrow": 1, "yesterday": -1}[first]
        return local_now.date() + timedelta(days=offset), " ".join(words[1:])
    if first[:3] in _WEEKDAYS and first.isascii() and first.isalpha() and len(first) >= 3:
        weekday = _WEEKDAYS.index(first[:3])
        for day in conference.days:
            if day.weekday() == weekday:
                return day, " ".join(words[1:])
        raise WhenError(
            f"{{conference}} has no {first.capitalize()}: it runs {_span(conference)}.",
            conference=conference.name,
        )
    if first[:3] in _MONTHS and len(words) >= 2 and _DAY_NUMBER.match(words[1]):
        month = _MONTHS.index(first[:3]) + 1
        try:
            day = _in_conference_year(conference, month, int(words[1]))
        except ValueError:
            raise WhenError("{typed} is not a date.", f"{first} {words[1]}") from None
        return day, " ".join(words[2:])
    if first == "day" and len(words) >= 2 and _DAY_NUMBER.match(words[1]):
        number = int(words[1])
        if not 1 <= number <= len(conference.days):
            raise WhenError(f"{{conference}} has days 1 to {len(conference.days)}.",
                            conference=conference.name)  # fmt: skip
        return conference.days[number - 1], " ".join(words[2:])
    return None, text


def _in_conference_year(conference: Conference, month: int, day: int) -> date:
    """'jan 1' at a conference from Dec 30 to Jan 2 is the one in its second year."""
    found = date(conference.start_date.year, month, day)
    if found not in conference.days and conference.end_date.year != found.year:
        later = date(conference.end_date.year, month, day)
        return later if later in conference.days else found
    return found


def parse_day(text: str, conference: Conference, now: datetime) -> date:
    """The day a person named: 'today', 'tomorrow', 'day 2', 'saturday', 'feb 1',
    '2025-02-01', or a day as autocomplete shows it ('Saturday, February 1'). One reader
    for every command that asks for a day, so a spelling that works in one works in all.
    A weekday or day number the conference lacks is refused here; whether a date is one of
    its days is the caller's to say (ProgramService.day_named)."""
    cleaned = " ".join(text.strip().lower().replace(",", " ").split())
    if not cleaned:
        raise WhenError(f"Please give a day: {DAY_FORMS}.")
    if len(cleaned) > _MAX_LENGTH:
        raise WhenError(f"That is too long for a day. Try {DAY_FORMS}.")
    day = _read_day(text, cleaned, conference, now.astimezone(conference.tz))
    if day is None:
        raise NotADay(f"I can't read {{typed}} as a day. Try {DAY_FORMS}.", text)
    return day


_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")  # fmt: skip
_RELATIVE = ("today", "tomorrow", "yesterday")


def day_at_ends(text: str) -> list[tuple[str, str]]:
    """The ways `text` may be a name with a day typed after or before it ('Rust sunday',
    'Borg, Monday', 'K.3.201 day 2', 'saturday LLVM'): (name, day) pairs for parse_day to
    read, a day at the end before one at the start, longer days first. A word begins a
    day only if it is a weekday or month spelled out or cut short ('sat', 'thurs'), so
    'Friends of OpenJDK' is not Friday's and 'Decentralised 2' not December's."""
    words = text.replace(",", " ").split()
    found = []
    for at_end in (True, False):
        for size in (3, 2, 1):
            if len(words) <= size:
                continue
            name, day = (words[:-size], words[-size:]) if at_end else (words[size:], words[:size])
            if _begins_a_day(day[0].casefold()):
                found.append((" ".join(name), " ".join(day)))
    return found


def _begins_a_day(word: str) -> bool:
    """Whether a word can start what parse_day reads: a date, 'day', a number ('1 feb'),
    'today', or the start (three letters or more) of a weekday's or a month's name."""
    if word in ("day", *_RELATIVE) or _DAY_NUMBER.match(word) or _ISO_DATE.match(word):
        return True
    names = (*_WEEKDAY_NAMES, *_MONTH_NAMES)
    return len(word) >= 3 and any(name.startswith(word) for name in names)


def _read_day(typed: str, cleaned: str, conference: Conference, local_now: datetime) -> date | None:
    if _ISO_DATE.match(cleaned):
        try:
            return date.fromisoformat(cleaned)
        except ValueError:
            return None
    words = cleaned.split()
    if len(words) == 2 and _DAY_NUMBER.match(words[0]) and words[1][:3] in _MONTHS:
        words.reverse()  # '1 feb' as 'feb 1'
    day, rest = _take_day(typed, " ".join(words), conference, local_now)
    if day is None or not rest:
        return day
    dated, left = _take_day(typed, rest, conference, local_now)  # 'saturday february 1'
    if dated is None or left:
        return None
    if dated.weekday() != day.weekday():
        raise WhenError(f"{dated:%B} {dated.day}, {dated.year} is a {dated:%A}, not a {day:%A}.")
    return dated


def _read_time(text: str) -> time | None:
    match = _TIME.match(text.replace(" ", "") if "m" in text else text)
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = (match["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif match["m"] is None:
        return None  # a bare number is not a time
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _span(conference: Conference) -> str:
    first, last = conference.start_date, conference.end_date
    return f"{first:%a %b} {first.day} to {last:%a %b} {last.day}"
