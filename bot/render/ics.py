"""Program items as RFC 5545 calendar files (icalendar).

Every event has a UID made from the conference and the item's stable key, so importing a
newer file updates the events instead of duplicating them. Times carry the conference's
TZID with a matching VTIMEZONE, and derived times say so in the description.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot import __version__
from bot.model import Conference, Event, Session
from bot.render.common import (
    approximate_note,
    authors_line,
    conference_title,
    event_extra,
    item_kind,
)
from bot.service.results import SessionTalk

if TYPE_CHECKING:
    import icalendar

Item = SessionTalk | Session | Event


def uid(conference: Conference, item: Item) -> str:
    kind = (
        "talk"
        if isinstance(item, SessionTalk)
        else "session"
        if isinstance(item, Session)
        else "event"
    )
    return f"{conference.key}-{kind}-{item.key}@confbot"


def calendar(
    items: Iterable[Item],
    conference: Conference,
    name: str,
    stamp: datetime,
    session_talks: Callable[[Session], Sequence[SessionTalk]] = lambda session: (),
) -> bytes:
    """One calendar holding `items`; sessions list their talks (from `session_talks`).
    icalendar is imported here, when a calendar is asked for, not with this module: every
    `python -m bot` start imported it, a tenth of the bot's imports, for a command
    rarely used."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", f"-//confbot {__version__}//{conference.name}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", conference.timezone)
    for item in items:
        talks = session_talks(item) if isinstance(item, Session) else ()
        cal.add_component(_event(item, conference, stamp, talks))
    year = conference.start_date.year
    cal.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 1, 12, 31))
    data: bytes = cal.to_ical()
    return data


def _event(
    item: Item, conference: Conference, stamp: datetime, talks: Sequence[SessionTalk]
) -> icalendar.Event:
    import icalendar  # imported already by calendar(), its one caller

    tz = conference.tz
    event = icalendar.Event()
    event.add("uid", uid(conference, item))
    event.add("dtstamp", stamp)
    event.add("dtstart", item.slot.start.astimezone(tz))
    event.add("dtend", item.slot.end.astimezone(tz))
    lines: list[str] = []
    if isinstance(item, SessionTalk):
        event.add("summary", item.title)
        lines.append(f"Authors: {authors_line(item.talk.authors)}")
        lines.append(f"Session: {item.session.title}")
        if item.talk.award:
            lines.append(f"Award: {item.talk.award}")
        if item.talk.url:
            event.add("url", item.talk.url)
    elif isinstance(item, Session):
        event.add("summary", f"{conference.name}: {item.title}")
        lines += [f"{t.slot.start.astimezone(tz):%H:%M} {t.title}" for t in talks]
    else:
        event.add("summary", f"{item_kind(item)}: {item.title}")
        if extra := event_extra(item):
            lines.append(extra)
        if item.url:
            event.add("url", item.url)
    if item.slot.room:
        event.add(
            "location",
            f"{item.slot.room}, {conference.venue}" if conference.venue else item.slot.room,
        )
    if item.slot.approximate:
        lines.append(approximate_note(conference))
    lines.append(conference_title(conference))
    event.add("description", "\n".join(lines))
    return event


def filename(conference: Conference, what: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in what).strip("-")
    return f"{conference.key}-{safe or 'calendar'}.ics"
