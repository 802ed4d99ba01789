"""A talk looked up after a version took it out of the program: say it was cancelled,
and when, rather than show the talk whose title comes closest.

A title typed after a cancellation still matches some other talk (titles share words),
often well enough to pass the lookup's threshold, and an autocomplete value picked from
a person's history is the reference of a talk no longer there. So before the usual
lookup, the query is matched against the talks the kept versions removed (bot.store.
versions_store: `cancelled`): a removed talk wins when it matches at least as a talk
must, and better than any talk still on. Pure: the removals are passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.changes import RecordedChange
from bot.model import Slot, TimeBasis
from bot.search import TokenIndex
from bot.service.program_service import (
    TALK_MATCH,
    TALK_REF,
    ProgramService,
    QueryError,
    clean_query,
)
from bot.service.results import SessionTalk

OTHERS_SHOWN = 3  # talks still on that match too, offered under the cancellation


@dataclass(frozen=True, slots=True)
class CancelledTalk:
    """A talk a version removed: what it was, where and when it was to be, and when the
    version that removed it came."""

    ref: str
    title: str
    was: Slot
    cancelled_at: datetime
    # Talks still on whose titles match the query too (a talk renamed and re-added
    # under a new key is one).
    others: tuple[SessionTalk, ...] = ()


def gone_now(service: ProgramService, cancelled: Sequence[RecordedChange]) -> list[RecordedChange]:
    """The removals whose talk is still out of the program, the newest per talk (one put
    back, or put back and removed again, says so by being in the program or not)."""
    seen: set[str] = set()
    gone = []
    for change in cancelled:
        key = change.item_ref.removeprefix(TALK_REF)
        if change.old is None or change.item_ref in seen or key in service.talks:
            continue
        seen.add(change.item_ref)
        gone.append(change)
    return gone


def find_cancelled(
    service: ProgramService, query: str, cancelled: Sequence[RecordedChange]
) -> CancelledTalk | None:
    """The cancelled talk `query` names (its reference, or its title matched better
    than any talk still on), or None: then the usual lookup answers."""
    gone = gone_now(service, cancelled)
    if not gone:
        return None
    if query.startswith(TALK_REF):
        by_ref = next((c for c in gone if c.item_ref == query), None)
        if by_ref is not None:
            return _cancelled(by_ref, ())
    try:
        typed = clean_query(query, "paper title")
    except QueryError:
        return None  # the usual lookup says what is wrong with it
    hits = TokenIndex((str(i), c.title) for i, c in enumerate(gone)).search(typed, 1)
    if not hits or hits[0].score < TALK_MATCH:
        return None
    on = service.index.find_talks(typed, limit=1 + OTHERS_SHOWN)
    if on and on[0].score >= hits[0].score:
        return None  # a talk still on matches at least as well: it is the one meant
    others = tuple(service.talks[h.key] for h in on if h.score >= TALK_MATCH)
    return _cancelled(gone[int(hits[0].key)], others[:OTHERS_SHOWN])


def _cancelled(change: RecordedChange, others: tuple[SessionTalk, ...]) -> CancelledTalk:
    assert change.old is not None
    start, end, room = change.old
    was = Slot(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC),
               TimeBasis.PUBLISHED, room)  # fmt: skip
    at = datetime.fromtimestamp(change.applied_ts, UTC)
    return CancelledTalk(change.item_ref, change.title, was, at, others)
