"""A refused day or time (bot.service.when.WhenError), said in the reader's language.

The service says why it refused (`Refusal`) and keeps what the sentence needs as it is:
what was typed, the conference's name, dates as dates. Here each reason is one sentence
in `w`'s words, with the days written as that language writes them and examples of what
would work in that language ("heute 14 Uhr", "jeudi 9h"), so a reader who typed German
or French is shown German or French to type. What was typed is put in by `quote`, and a
program's names by `show`: Discord escapes them, the console shows them as written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from bot.i18n import Words
from bot.render.common import listing
from bot.render.timefmt import day_of
from bot.service.when import Refusal, WhenError

Show = Callable[[str], str]

# A Monday, to name a weekday by its number (0 is Monday) in any language.
_A_MONDAY = date(2024, 1, 1)


def time_forms(w: Words) -> str:
    """The ways to write a moment, in `w`'s language (/next's `when`, the console's help)."""
    # Translators: examples of what a person may type for a time, in your language (each
    # in quotes must be one the bot reads: tests/test_refusals.py checks it); the ISO
    # times stay as they are.
    return w.tr("'now', '14:00', '2:30pm', 'thursday 9:00', 'jul 11 9am', 'tomorrow 10:00',"
                " or an ISO time such as 2024-07-10T10:50 (conference time) or"
                " 2024-07-10T17:50Z")  # fmt: skip


def day_forms(w: Words) -> str:
    """The ways to name a day, in `w`'s language (/schedule's and /track's `day`)."""
    # Translators: examples of what a person may type for a day, in your language (each
    # in quotes must be one the bot reads: tests/test_refusals.py checks it).
    return w.tr("'today', 'tomorrow', 'day 2', a weekday such as 'saturday', 'feb 1' or"
                " 2025-02-01")  # fmt: skip


def refusal(error: WhenError, w: Words, quote: Show, show: Show = str) -> str:
    """The one sentence saying why `error` refused what was typed, and what would do;
    one full stop where it ends with an abbreviation ('… au ven. 12 juil.')."""
    said = _sentence(error, w, quote, show)
    return said[:-1] if said.endswith("..") else said


def _sentence(error: WhenError, w: Words, quote: Show, show: Show) -> str:
    typed = quote(error.typed or "")
    kind = error.kind
    if kind is Refusal.UNREADABLE_TIME:
        return w.tr("I can't read {typed}. Try {forms}.", typed=typed, forms=time_forms(w))
    if kind is Refusal.TIME_TOO_LONG:
        return w.tr("That is too long for a time. Try {forms}.", forms=time_forms(w))
    if kind is Refusal.OUT_OF_RANGE:
        return w.tr("{typed} is out of range: ask about a moment between 1900 and 2999.",
                    typed=typed)  # fmt: skip
    if kind is Refusal.NOT_ISO:
        return w.tr("{typed} is not an ISO time such as 2024-07-10T10:50", typed=typed)
    if kind is Refusal.NO_ZONE:
        return w.tr("{typed} has no time zone", typed=typed)
    if kind is Refusal.NOT_A_DATE:
        return w.tr("{typed} is not a date.", typed=typed)
    if kind is Refusal.NO_DAY:
        return w.tr("Please give a day: {forms}.", forms=day_forms(w))
    if kind is Refusal.DAY_TOO_LONG:
        return w.tr("That is too long for a day. Try {forms}.", forms=day_forms(w))
    if kind is Refusal.UNREADABLE_DAY:
        return w.tr("I can't read {typed} as a day. Try {forms}.", typed=typed,
                    forms=day_forms(w))  # fmt: skip
    if kind is Refusal.AMBIGUOUS_MONTH:
        return w.tr("{typed} could be {dates}: write the month out.", typed=typed,
                    dates=_either([w.full_date(d) for d in error.days], w))  # fmt: skip
    return _day_refusal(error, w, show)


def _day_refusal(error: WhenError, w: Words, show: Show) -> str:
    """A day that reads, but that the conference, a track or a session lacks."""
    kind, conference, name = error.kind, show(error.conference or ""), show(error.name or "")
    days, day, weekday = error.days, error.day or _A_MONDAY, _weekday(error.weekday or 0, w)
    if kind is Refusal.NO_SUCH_WEEKDAY:
        return w.tr("{conference} has no {weekday}: it runs {first} to {last}.",
                    conference=conference, weekday=weekday, first=day_of(days[0], w),
                    last=day_of(days[-1], w))  # fmt: skip
    if kind is Refusal.NO_SUCH_DAY_NUMBER:
        return w.ntr("{conference} has day {count} only.", "{conference} has days 1 to {count}.",
                     len(days), conference=conference, count=len(days))  # fmt: skip
    if kind is Refusal.WRONG_WEEKDAY:
        return w.tr("{date} is a {weekday}, not a {named}.", date=w.full_date(day),
                    weekday=w.weekday(day), named=weekday)  # fmt: skip
    if kind is Refusal.DAY_OUTSIDE:
        listed = listing([w.long_day(d) for d in days], w)
        return w.tr("{conference} has no {day}; its days are {days}.", conference=conference,
                    day=w.long_date(day), days=listed)  # fmt: skip
    if kind is Refusal.TRACK_NOT_ON_DAY:
        return w.tr("{track} has no talks on {weekday}; it has talks on {days}.", track=name,
                    weekday=w.weekday(day), days=_weekdays(days, w))  # fmt: skip
    if kind is Refusal.SESSION_NOT_ON_DAY and len(days) == 1:
        return w.tr("{name} is on {days} only, not {weekday}: /session {name} shows it.",
                    name=name, days=_weekdays(days, w), weekday=w.weekday(day))  # fmt: skip
    if kind is Refusal.SESSION_NOT_ON_DAY:
        return w.tr("{name} is on {days}, not {weekday}.", name=name, days=_weekdays(days, w),
                    weekday=w.weekday(day))  # fmt: skip
    raise AssertionError(f"no sentence for {kind}")


def _weekday(index: int, w: Words) -> str:
    """'Saturday', 'Samstag', 'samedi' for a weekday's number (0 is Monday)."""
    return w.weekday(_A_MONDAY + timedelta(days=index))


def _weekdays(days: Sequence[date], w: Words) -> str:
    return listing([w.weekday(day) for day in days], w)


def _either(names: Sequence[str], w: Words) -> str:
    """'A or B', 'A, B or C': the dates a cut-short month could be."""
    if len(names) == 2:
        return w.tr("{first} or {second}", first=names[0], second=names[1])
    return w.tr("{names} or {last}", names=", ".join(names[:-1]), last=names[-1])
