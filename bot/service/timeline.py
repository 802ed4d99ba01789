"""An index of program items by time: what is on at a moment, what starts next.

Times are compared as UTC instants (see Slot): on fall-back night the two 01:30s are an
hour apart. Items are kept sorted by start so both questions are a binary search plus a short walk,
not a scan of the program: /next must stay fast at 10,000 talks. Rooms are never
assumed to be one: every answer can hold items from several rooms.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from bot.service.results import ProgramItem, SessionTalk, is_ambient

# Items longer than this (all-day registration, evening receptions) are few; they are
# checked one by one so that the bound for the walk back stays short for the rest.
_LONG = timedelta(hours=3)


class Timeline:
    def __init__(self, items: Iterable[ProgramItem]) -> None:
        self.items = sorted(items, key=lambda i: (i.slot.start, i.slot.end, i.title))
        self.foreground = [i for i in self.items if not is_ambient(i)]
        self.ambient = [i for i in self.items if is_ambient(i)]
        self.talks = [i for i in self.foreground if isinstance(i, SessionTalk)]
        self._fg_starts = [i.slot.start for i in self.foreground]
        self._talk_starts = [i.slot.start for i in self.talks]
        self._ambient_starts = [i.slot.start for i in self.ambient]
        self._long = [i for i in self.foreground if i.slot.duration > _LONG]
        short = [i.slot.duration for i in self.foreground if i.slot.duration <= _LONG]
        self._max_short = max(short, default=timedelta(0))
        self.first_start = self.items[0].slot.start if self.items else None
        self.last_end = max((i.slot.end for i in self.items), default=None)
        self._opening = [i for i in self.items if i.slot.start == self.first_start]
        self._max_talk = max((t.slot.duration for t in self.talks), default=timedelta(0))

    def current(self, now: datetime) -> list[ProgramItem]:
        """Foreground items on at `now`, in start order."""
        now = now.astimezone(UTC)
        hi = bisect.bisect_right(self._fg_starts, now)
        lo = bisect.bisect_left(self._fg_starts, now - self._max_short)
        found = [
            i for i in self.foreground[lo:hi] if i.slot.contains(now) and i.slot.duration <= _LONG
        ]
        found += [i for i in self._long if i.slot.contains(now)]
        return sorted(found, key=lambda i: (i.slot.start, i.slot.room or "", i.title))

    def current_ambient(self, now: datetime) -> list[ProgramItem]:
        now = now.astimezone(UTC)
        return [i for i in self.ambient if i.slot.contains(now)]

    def upcoming(
        self,
        now: datetime,
        rooms: Sequence[str | None] = (),
        resuming: Iterable[str | None] = (),
        before: datetime | None = None,
    ) -> list[ProgramItem]:
        """Everything starting at the next start time after `now`, plus the next item in
        each of `rooms` (the rooms with something on now) if that starts later, and in
        each of `resuming` (rooms between two talks: FOSDEM's H.1302 from 10:55 to 11:30)
        if that starts before `before` (the end of the day: at night a room's next item
        is tomorrow's first, which is no changeover)."""
        now = now.astimezone(UTC)
        index = bisect.bisect_right(self._fg_starts, now)
        if index >= len(self.foreground):
            return []
        first = self._fg_starts[index]
        found: list[ProgramItem] = []
        waiting = {r for r in rooms if r is not None}
        later = {r for r in resuming if r is not None} - waiting if before is not None else set()
        for position in range(index, len(self.foreground)):  # no slice: it would copy the rest
            item = self.foreground[position]
            if later and before is not None and item.slot.start >= before:
                later = set()
            if item.slot.start == first:
                found.append(item)
                waiting.discard(item.slot.room)
                later.discard(item.slot.room)
            elif not (waiting or later) or item.slot.start - first > _LONG:
                break
            elif item.slot.room in waiting or item.slot.room in later:
                found.append(item)
                waiting.discard(item.slot.room)
                later.discard(item.slot.room)
        return found

    def rooms_started(self, since: datetime, now: datetime) -> set[str]:
        """The rooms of the talks that started from `since` up to `now`: the rooms
        under way that day, between talks or not."""
        lo = bisect.bisect_left(self._talk_starts, since.astimezone(UTC))
        hi = bisect.bisect_right(self._talk_starts, now.astimezone(UTC))
        return {room for t in self.talks[lo:hi] if (room := t.slot.room) is not None}

    def starting(self, after: datetime, until: datetime) -> list[ProgramItem]:
        """Foreground items starting after `after` and at or before `until`, in order."""
        lo = bisect.bisect_right(self._fg_starts, after.astimezone(UTC))
        hi = bisect.bisect_right(self._fg_starts, until.astimezone(UTC))
        return self.foreground[lo:hi]

    def ambient_starting(self, after: datetime, until: datetime) -> list[ProgramItem]:
        """Background items opening after `after` and at or before `until`, in order."""
        lo = bisect.bisect_right(self._ambient_starts, after.astimezone(UTC))
        hi = bisect.bisect_right(self._ambient_starts, until.astimezone(UTC))
        return self.ambient[lo:hi]

    def opening(self) -> list[ProgramItem]:
        """Everything (ambient items too) that starts when the conference opens."""
        return list(self._opening)

    def talks_from(self, now: datetime, limit: int) -> list[SessionTalk]:
        """Up to `limit` talks that have not ended at `now`, in start order."""
        now = now.astimezone(UTC)
        index = bisect.bisect_left(self._talk_starts, now - self._max_talk)
        found: list[SessionTalk] = []
        for position in range(index, len(self.talks)):
            talk = self.talks[position]
            if talk.slot.end > now:
                found.append(talk)
                if len(found) >= limit:
                    break
        return found

    def next_talks(self, now: datetime) -> list[SessionTalk]:
        """The talks starting at the next talk start time after `now` (every room)."""
        now = now.astimezone(UTC)
        index = bisect.bisect_right(self._talk_starts, now)
        if index >= len(self.talks):
            return []
        first = self._talk_starts[index]
        end = bisect.bisect_right(self._talk_starts, first)
        return self.talks[index:end]
