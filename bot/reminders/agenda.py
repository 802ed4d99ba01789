"""A person's reminders in time order, with clashes: two items that overlap in time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.model import Session
from bot.render.cards import AgendaLine
from bot.service import ProgramService
from bot.service.results import SessionTalk
from bot.store.reminders_store import Reminder


def agenda(
    service: ProgramService, reminders: Iterable[Reminder], now: datetime
) -> list[AgendaLine]:
    """Every item the person follows until it ends, whether its reminder is still to come,
    delivered or failed, sorted by start, each naming the other items it overlaps
    (parallel tracks make that possible). Items no longer in the program drop off."""
    entries = []
    for reminder in reminders:
        item = service.remindable(reminder.item_ref)
        if item is not None and item.slot.end > now:
            entries.append((reminder, item))
    entries.sort(key=lambda e: (e[1].slot.start, e[1].slot.end, e[1].title))
    lines = []
    for reminder, item in entries:
        clashes = tuple(
            other.title
            for other_reminder, other in entries
            if other_reminder.id != reminder.id
            and other.slot.start < item.slot.end
            and item.slot.start < other.slot.end
            and not _contains(item, other)
        )
        lines.append(AgendaLine(reminder.item_ref, item.title, item.slot,
                                reminder.minutes_before, reminder.status, clashes))  # fmt: skip
    return lines


def _contains(a: SessionTalk | Session, b: SessionTalk | Session) -> bool:
    """A session and one of its own talks overlap by design: that is not a clash."""
    if isinstance(a, Session) and isinstance(b, SessionTalk):
        return b.key in a.talk_keys
    if isinstance(b, Session) and isinstance(a, SessionTalk):
        return a.key in b.talk_keys
    return False
