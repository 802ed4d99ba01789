"""Rooms and tracks across days: which day's block to show, and a track's talks.

FOSDEM's devrooms and a CCC congress's halls hold a block every day; a track such as
CCC's Security spans halls and days. Asked for without a day, a room or a track means
the block people can still walk into: today's, or the next day's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from bot.model import Session
from bot.service import day_words
from bot.service.results import SessionTalk

_WEEKDAYS = frozenset(name for names in day_words.WEEKDAYS.values() for name in names)


def day_to_show(days: Iterable[date], today: date) -> date:
    """Today, if it is one of `days`; else the next of them; else the first (the
    conference is over, and its first day is where its program starts)."""
    ordered = sorted(set(days))
    return next((d for d in ordered if d >= today), ordered[0])


def names_a_day(query: str) -> bool:
    """Whether a session query says which day ('Borg, Sunday', 'Rust, Samstag'): then
    it is taken as typed."""
    words = day_words.clean(query).split()
    return any(word in _WEEKDAYS for word in words)


def on_now_or_next(blocks: Sequence[Session], now: datetime) -> Session:
    """Of one room's blocks on one day, the one on now or coming next; else the first."""
    ordered = sorted(blocks, key=lambda s: (s.slot.start, s.slot.end))
    return next((s for s in ordered if s.slot.end > now), ordered[0])


def in_time_order(talks: Iterable[SessionTalk]) -> tuple[SessionTalk, ...]:
    """Talks by start, then room, then title: a track's talks across rooms and days."""
    return tuple(sorted(talks, key=lambda t: (t.slot.start, t.slot.room or "", t.title)))
