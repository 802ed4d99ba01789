"""How times read, in every renderer: local to the conference, approximate when derived."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import ENGLISH, Words
from bot.model import Slot

APPROX = "≈ "
_UTC = ZoneInfo("UTC")


def clock(moment: datetime, tz: ZoneInfo) -> str:
    """'09:05': what %H:%M says, without strftime (twice as long, and a day's listing
    shows a hundred or so distinct times)."""
    local = moment.astimezone(tz)
    return f"{local.hour:02d}:{local.minute:02d}"


def zone(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).tzname() or str(tz)


def day_label(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a %b} {local.day}"


def day_of(day: date, w: Words = ENGLISH) -> str:
    """'Sat Feb 1', 'Sa., 1. Feb.', 'sam. 1 févr.': a day by its date alone (no moment,
    so no time zone to read it in: noon UTC is that day everywhere it is named)."""
    noon = datetime.combine(day, time(12), UTC)
    return w.day_label(noon, _UTC)


def time_of(slot: Slot, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    """'10:45 PDT', or '≈ 11:05 PDT' for a derived time."""
    mark = APPROX if slot.approximate else ""
    return f"{mark}{w.clock(slot.start, tz)} {zone(slot.start, tz)}"


def span(slot: Slot, tz: ZoneInfo, with_day: bool = True, w: Words = ENGLISH) -> str:
    """'Wed Jul 10, 10:45–11:05 PDT', with '≈ ' before derived times; in `w`'s language
    ('Mi., 10. Juli, 10:45–11:05 PDT')."""
    mark = APPROX if slot.approximate else ""
    text = f"{mark}{w.clock(slot.start, tz)}–{w.clock(slot.end, tz)} {zone(slot.start, tz)}"
    return w.tr("{day}, {time}", day=w.day_label(slot.start, tz), time=text) if with_day else text


def length(minutes: int, w: Words = ENGLISH) -> str:
    """'5 min', '2 h 5 min', '50 h': how long, in whole minutes. In hours past a day
    too: '{count} days' reads "in 3 days" in German ('Tagen'), not "3 days later"."""
    if minutes < 60:
        return w.tr("{minutes} min", minutes=minutes)
    hours, rest = divmod(minutes, 60)
    return (w.tr("{hours} h {minutes} min", hours=hours, minutes=rest) if rest
            else w.tr("{hours} h", hours=hours))  # fmt: skip


def relative(moment: datetime, now: datetime, w: Words = ENGLISH) -> str:
    """'in 15 min', 'in 2 h 5 min', 'in 3 days', '4 min ago', 'now'."""
    delta = moment.astimezone(UTC) - now.astimezone(UTC)  # real time, not wall clock
    past = delta < timedelta(0)
    seconds = abs(int(delta.total_seconds()))
    minutes = (seconds + 59) // 60 if not past else seconds // 60
    if minutes == 0:
        return w.tr("now")
    if minutes < 48 * 60:
        text = length(minutes, w)
    else:
        days = round(minutes / 1440)
        text = w.ntr("{count} day", "{count} days", days, count=days)
    return w.tr("{time} ago", time=text) if past else w.tr("in {time}", time=text)
