"""How times read, in every renderer: local to the conference, approximate when derived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.model import Slot

APPROX = "≈ "


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


def time_of(slot: Slot, tz: ZoneInfo) -> str:
    """'10:45 PDT', or '≈ 11:05 PDT' for a derived time."""
    mark = APPROX if slot.approximate else ""
    return f"{mark}{clock(slot.start, tz)} {zone(slot.start, tz)}"


def span(slot: Slot, tz: ZoneInfo, with_day: bool = True) -> str:
    """'Wed Jul 10, 10:45–11:05 PDT', with '≈ ' before derived times."""
    mark = APPROX if slot.approximate else ""
    text = f"{mark}{clock(slot.start, tz)}–{clock(slot.end, tz)} {zone(slot.start, tz)}"
    return f"{day_label(slot.start, tz)}, {text}" if with_day else text


def relative(moment: datetime, now: datetime) -> str:
    """'in 15 min', 'in 2 h 5 min', 'in 3 days', '4 min ago', 'now'."""
    delta = moment.astimezone(UTC) - now.astimezone(UTC)  # real time, not wall clock
    past = delta < timedelta(0)
    seconds = abs(int(delta.total_seconds()))
    minutes = (seconds + 59) // 60 if not past else seconds // 60
    if minutes == 0:
        return "now"
    if minutes < 60:
        text = f"{minutes} min"
    elif minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        text = f"{hours} h {rest} min" if rest else f"{hours} h"
    else:
        text = f"{round(minutes / 1440)} days"
    return f"{text} ago" if past else f"in {text}"
