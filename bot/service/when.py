"""Read the moments people type: '14:00', 'thursday 9:00', '2024-07-10T10:50', 'now'.

Wall-clock times are the conference's local time: attendees read them off the printed
program. A time with no day means today during the conference, or the first day when
asked from outside it, since a conference question is about the conference's days.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.model import Conference

ACCEPTED_FORMS = (
    "'now', '14:00', '2:30pm', 'thursday 9:00', 'jul 11 9am', 'tomorrow 10:00',"
    " or an ISO time such as 2024-07-10T10:50 (conference time) or 2024-07-10T17:50Z"
)
_MAX_LENGTH = 64
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class WhenError(ValueError):
    """The text is not a moment we can read; the message says what would be."""


def parse_moment(text: str, tz_name: str | None = None) -> datetime:
    """An ISO time: naive means the given zone, otherwise its own offset or Z."""
    from zoneinfo import ZoneInfo

    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(cleaned), time(0))
        except ValueError:
            raise WhenError(f"{text!r} is not an ISO time such as 2024-07-10T10:50") from None
    if value.tzinfo is None:
        if tz_name is None:
            raise WhenError(f"{text!r} has no time zone")
        value = value.replace(tzinfo=ZoneInfo(tz_name))
    return value


def parse_when(text: str, conference: Conference, now: datetime) -> datetime:
    """Resolve what a person typed to an aware datetime in the conference's zone."""
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned or cleaned == "now":
        return now.astimezone(conference.tz)
    if len(cleaned) > _MAX_LENGTH:
        raise WhenError(f"That is too long for a time. Try {ACCEPTED_FORMS}.")
    if re.match(r"^\d{4}-\d{2}-\d{2}", cleaned):
        try:
            return parse_moment(cleaned.upper(), conference.timezone).astimezone(conference.tz)
        except WhenError:
            raise WhenError(f"I can't read {text!r}. Try {ACCEPTED_FORMS}.") from None
    local_now = now.astimezone(conference.tz)
    day, rest = _take_day(cleaned, conference, local_now)
    clock = _read_time(rest) if rest else time(0)
    if clock is None:
        raise WhenError(f"I can't read {text!r}. Try {ACCEPTED_FORMS}.")
    if day is None:
        today = local_now.date()
        in_conference = conference.start_date <= today <= conference.end_date
        day = today if in_conference else conference.start_date
    return datetime.combine(day, clock, tzinfo=conference.tz)


def _take_day(text: str, conference: Conference, local_now: datetime) -> tuple[date | None, str]:
    words = text.replace(",", " ").split()
    first = words[0]
    if first in ("today", "tomorrow", "yesterday"):
        offset = {"today": 0, "tomorrow": 1, "yesterday": -1}[first]
        return local_now.date() + timedelta(days=offset), " ".join(words[1:])
    if first[:3] in _WEEKDAYS and first.isalpha() and len(first) >= 3:
        weekday = _WEEKDAYS.index(first[:3])
        for day in conference.days:
            if day.weekday() == weekday:
                return day, " ".join(words[1:])
        raise WhenError(
            f"{conference.name} has no {first.capitalize()}: it runs {_span(conference)}."
        )
    if first[:3] in _MONTHS and len(words) >= 2 and words[1].isdigit():
        month = _MONTHS.index(first[:3]) + 1
        try:
            day = date(conference.start_date.year, month, int(words[1]))
        except ValueError:
            raise WhenError(f"{first} {words[1]} is not a date.") from None
        return day, " ".join(words[2:])
    if first == "day" and len(words) >= 2 and words[1].isdigit():
        number = int(words[1])
        if not 1 <= number <= len(conference.days):
            raise WhenError(f"{conference.name} has days 1 to {len(conference.days)}.")
        return conference.days[number - 1], " ".join(words[2:])
    return None, text


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
