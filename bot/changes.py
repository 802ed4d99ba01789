"""What a new version of the program changed, as kept: plain data that the live follower
records, the state database keeps (bot.store.versions_store), the change kinds turn into
notices (bot.delivery.kinds.changes) and the renderers show in /changes, so none of them
has to reach into another's layer for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChangeKind(StrEnum):
    """What a new version did to a talk; kept here, beside the record, so that the store,
    the delivery kinds and the renderers name the same kinds without reaching into
    bot.live."""

    ADDED = "added"
    CANCELLED = "cancelled"  # gone from the new version
    MOVED = "moved"  # another start, end or room
    RETITLED = "retitled"
    PEOPLE = "people"  # speakers or authors changed


@dataclass(frozen=True, slots=True)
class RecordedChange:
    """One talk a new version changed, as kept for notices and /changes."""

    sync_id: int
    applied_ts: int
    item_ref: str
    session_refs: tuple[str, ...]
    title: str
    kinds: tuple[ChangeKind, ...]
    old: tuple[int, int, str | None] | None  # start, end, room
    new: tuple[int, int, str | None] | None
    # Who left and who joined, by name, for "speakers changed"; empty in changes kept
    # before the names were (state migration 10), which then read as they did.
    left: tuple[str, ...] = ()
    joined: tuple[str, ...] = ()

    @property
    def cancelled(self) -> bool:
        return self.new is None
