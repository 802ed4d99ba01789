"""A session as a Discord scheduled event: within Discord's limits, times honest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import ENGLISH, Words
from bot.model import Conference, Session
from bot.render.cards import truncate
from bot.render.common import how_derived, session_title
from bot.render.limits import EVENT_DESCRIPTION_MAX, EVENT_LOCATION_MAX, EVENT_NAME_MAX
from bot.render.markdown import escape
from bot.service.results import SessionTalk


@dataclass(frozen=True, slots=True)
class EventSpec:
    name: str
    description: str
    location: str
    start: datetime
    end: datetime


def session_event(
    session: Session, talks: Sequence[SessionTalk], conference: Conference,
    w: Words = ENGLISH,
) -> EventSpec:  # fmt: skip
    """The event of a session, in the server's language (`w`): an event is public, seen
    by everyone in the server's Events tab, like a channel's post."""
    tz = conference.tz
    # The description shows Markdown (the name and location do not): the program's words
    # in it are escaped, the others are shown as written.
    lines = [w.ntr("{conference} session with {count} talk:",
                   "{conference} session with {count} talks:", len(talks),
                   conference=escape(conference.name), count=len(talks))]  # fmt: skip
    lines += [f"• {w.clock(t.slot.start, tz)} {escape(t.title)}" for t in talks]
    if session.slot.approximate or any(t.slot.approximate for t in talks):
        lines.append(w.tr("Talk times are approximate (derived {how}).",
                          how=escape(how_derived(conference, w))))  # fmt: skip
    room = session.slot.room or w.tr("See the program")
    location = f"{room}, {conference.venue}" if conference.venue else room
    return EventSpec(
        name=truncate(session_title(session, w), EVENT_NAME_MAX),
        description=truncate("\n".join(lines), EVENT_DESCRIPTION_MAX),
        location=truncate(location, EVENT_LOCATION_MAX),
        start=session.slot.start,
        end=session.slot.end,
    )
