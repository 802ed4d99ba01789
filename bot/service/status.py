"""What confbot is set to do in a server for one conference: its announcements, room
channels, Q&A threads, live streams, the reminders set there and how its deliveries went.

/status shows it to a server's organisers; `python -m bot status` prints it for the
operator, for every server that set anything up. One typed answer read from the feature
stores, so both say the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.cluster import Slice, parse_ids
from bot.i18n import N_
from bot.kinds import DeliveryKind, DeliveryState, ReminderStatus
from bot.model import Program
from bot.service.results import ProgramSize
from bot.store.announcements_store import Announcements, RoomChannel
from bot.store.dialect import Dialect
from bot.store.members_store import Member
from bot.store.qa_store import QAForum
from bot.store.state import StateStore

# The deliveries that post in a server's channels ahead of the program: the next one is
# "Next announcement".
ANNOUNCING = (DeliveryKind.SLOT, DeliveryKind.TALK, DeliveryKind.ROOM)
# The deliveries counted under "Announcement deliveries": every post in the server's
# channels on the program's time (Q&A threads open ahead too; a correction follows a
# running talk that moved).
COUNTED = (*ANNOUNCING, DeliveryKind.CORRECTION, DeliveryKind.THREAD)


@dataclass(frozen=True, slots=True)
class ProgramFacts:
    """The program a conference serves, as /status sums it up."""

    talks: int
    sessions: int
    loaded: datetime | None  # when this version began to be served (None: never yet)
    # The source it follows: a file or folder, or an address (Source.where); None when
    # not known to the caller.
    follows: str | None = None
    size: ProgramSize | None = None  # talks by what the blocks are (None: sessions)

    @classmethod
    def of(
        cls, program: Program, loaded: datetime | None, follows: str | None = None
    ) -> ProgramFacts:
        return cls(len(program.talks), len(program.sessions), loaded, follows,
                   ProgramSize.of(program))  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeliveryCount:
    """How many deliveries of one kind are in one state, and why, for those that did
    not go out (the ledger's detail: 'target gone: Unknown Channel')."""

    kind: DeliveryKind
    state: DeliveryState
    count: int
    why: str | None = None


@dataclass(frozen=True, slots=True)
class RoomPosting:
    """A room whose talks are posted in a channel of its own as each starts."""

    room: str
    channel_id: int
    off_because: str | None  # None while it posts


@dataclass(frozen=True, slots=True)
class QAPosting:
    """The forum a server opens a question thread per talk in."""

    forum_id: int
    off_because: str | None  # None while it opens threads


@dataclass(frozen=True, slots=True)
class ServerStatus:
    guild_id: int
    conference: str
    program: ProgramFacts | None  # None: the program is not known (not built yet)
    announcements: Announcements | None  # None: never set up in this server
    next_due: datetime | None  # the next announcing delivery pending, if any
    reminders_active: int
    deliveries: dict[DeliveryState, int]  # announcing and Q&A deliveries, by state
    room_channels: tuple[RoomPosting, ...] = ()
    streams: tuple[tuple[str, str], ...] = ()  # (room, address), by room
    qa: QAPosting | None = None
    # The same deliveries by kind, state and why (COUNTED's kinds in order, then states
    # in DeliveryState's order, the commonest reason first).
    by_kind: tuple[DeliveryCount, ...] = ()


# A process whose heartbeat is this many heartbeats late is shown gone: its conferences
# are taken over by then (each retries every heartbeat).
GONE_AFTER_BEATS = 3


@dataclass(frozen=True, slots=True)
class ProcessStatus:
    """One process of a cluster, from its heartbeat row."""

    host: str
    pid: int
    shards: Slice | None  # None: a row this confbot cannot read
    leads: tuple[str, ...] | None  # the conferences it follows; None: a row unreadable
    started: datetime
    seen: datetime
    gone: bool  # no heartbeat for GONE_AFTER_BEATS heartbeats


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """Which process holds which shards and follows which conference."""

    sole: bool  # a SQLite state: one process, every shard, every conference
    processes: tuple[ProcessStatus, ...] = ()
    unled: tuple[str, ...] = ()  # conferences no running process follows


class StatusService:
    """Reads what a server set up and what its deliveries did; writes nothing (so it runs
    beside a running bot, on a state opened to read)."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    async def server(
        self, conference: str, guild_id: int, program: ProgramFacts | None
    ) -> ServerStatus:
        """The status of one conference in one server."""
        state = self.state
        configs = await state.announcements.find(guild_id)
        config = next((c for c in configs if c.conference == conference), None)
        pending = await state.ledger.deliveries(
            owner=guild_id, state=DeliveryState.PENDING, conference=conference
        )
        announcing = [d for d in pending if d.kind in ANNOUNCING]  # by due time
        active = await state.reminders.find(conference, statuses=(ReminderStatus.ACTIVE,))
        counts = await state.ledger.counts(COUNTED, guild_id, conference)
        tally = await state.ledger.tally(COUNTED, guild_id, conference)
        rooms = await state.announcements.rooms(conference, guild_id)
        streams = await state.streams.urls(guild_id, conference)
        forums = await state.qa.forums(conference, guild_id)
        return ServerStatus(
            guild_id=guild_id,
            conference=conference,
            program=program,
            announcements=config,
            next_due=datetime.fromtimestamp(announcing[0].due_ts, UTC) if announcing else None,
            reminders_active=sum(r.guild_id == guild_id for r in active),
            deliveries=counts,
            room_channels=tuple(_room(c) for c in rooms),
            streams=tuple(sorted(streams.items())),
            qa=_qa(forums[0]) if forums else None,
            by_kind=_by_kind(tally),
        )

    async def servers(self, conference: str) -> list[int]:
        """The servers that set anything up for a conference: offer it, announce it,
        post its rooms or its Q&A, or hold reminders of it."""
        state = self.state
        found = {c.guild_id for c in await state.announcements.find() if c.conference == conference}
        found |= {c.guild_id for c in await state.announcements.rooms(conference)}
        found |= {f.guild_id for f in await state.qa.forums(conference)}
        found |= {r.guild_id for r in await state.reminders.find(conference)
                  if r.guild_id is not None}  # fmt: skip
        found |= {s.guild_id for s in await state.conferences.server_conferences()
                  if s.conference == conference}  # fmt: skip
        return sorted(found)

    async def cluster(self, now: datetime, conferences: Sequence[str] = ()) -> ClusterStatus:
        """The processes serving the bot (`conferences`: the keys to name when no running
        process follows them). A SQLite state is one process's: there is no cluster."""
        if self.state.dialect is Dialect.SQLITE:
            return ClusterStatus(sole=True)
        processes = tuple(_process(m, now) for m in await self.state.members.members())
        led = {key for p in processes if not p.gone for key in p.leads or ()}
        return ClusterStatus(False, processes, tuple(k for k in conferences if k not in led))


def _process(member: Member, now: datetime) -> ProcessStatus:
    try:
        shards: Slice | None = Slice(member.shard_count,
                                     parse_ids(member.shard_ids, member.shard_count))  # fmt: skip
    except ValueError:
        shards = None
    seen = datetime.fromtimestamp(member.seen_ts, UTC)
    late = (now - seen).total_seconds() > GONE_AFTER_BEATS * max(1, member.every_s)
    return ProcessStatus(member.host, member.pid, shards, member.leads,
                         datetime.fromtimestamp(member.started_ts, UTC), seen, late)  # fmt: skip


# Why a channel or forum is off when nothing said why (shown translated: N_).
DISABLED = N_("disabled")


def _off_because(enabled: bool, reason: str | None) -> str | None:
    return None if enabled else reason or DISABLED


def _room(channel: RoomChannel) -> RoomPosting:
    return RoomPosting(channel.room, channel.channel_id,
                       _off_because(channel.enabled, channel.disabled_reason))  # fmt: skip


def _qa(forum: QAForum) -> QAPosting:
    return QAPosting(forum.forum_id, _off_because(forum.enabled, forum.disabled_reason))


def _by_kind(
    tally: list[tuple[DeliveryKind, DeliveryState, str | None, int]],
) -> tuple[DeliveryCount, ...]:
    counts = [DeliveryCount(k, s, n, why) for k, s, why, n in tally]
    kinds, states = list(COUNTED), list(DeliveryState)
    counts.sort(key=lambda c: (kinds.index(c.kind), states.index(c.state), -c.count))
    return tuple(counts)
