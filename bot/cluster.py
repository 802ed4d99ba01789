"""Which part of the bot's servers this process serves: its slice of Discord's shards.

Discord splits a bot's servers into shards by server id ((guild_id >> 22) % shard_count);
a process connects a slice of them (CONFBOT_SHARD_IDS of CONFBOT_SHARD_COUNT). What is
bound to a server (its announcements, room posts, threads, events) is the business of the
process holding that server's shard; what is bound to a person (a reminder by direct
message) may be sent by any process. One process holding every shard is the default, and
what a bot on SQLite always is.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

MAX_SHARDS = 1024  # far beyond any conference bot; a typo like 10000 is refused at start


def process_name() -> str:
    """This process's name in the shared state (what it holds in the delivery ledger),
    made once at its start: host, pid and a random part, since a restarted process may get
    the same pid and replicas in containers often the same host name. Unique while it runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord puts a server on (its documented sharding formula)."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class Slice:
    """This process's shards: `ids` out of `count` (all of them by default)."""

    count: int = 1
    ids: frozenset[int] = frozenset({0})

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS:
            raise ValueError(f"a shard count must be from 1 to {MAX_SHARDS}, not {self.count}")
        if not self.ids:
            raise ValueError("a process must hold at least one shard")
        outside = sorted(i for i in self.ids if not 0 <= i < self.count)
        if outside:
            raise ValueError(
                f"shard {outside[0]} is not one of the {self.count} shards (0 to {self.count - 1})"
            )

    @classmethod
    def whole(cls, count: int = 1) -> Slice:
        return cls(count, frozenset(range(count)))

    @property
    def is_whole(self) -> bool:
        return len(self.ids) == self.count

    def holds(self, guild_id: int) -> bool:
        """Whether a server's deliveries and events are this process's to send."""
        return shard_of(guild_id, self.count) in self.ids

    @property
    def holds_first(self) -> bool:
        """Whether this slice holds shard 0: Discord sends direct messages there, and
        what a cluster does once per bot at start (syncing the commands) is done by the
        one process holding it."""
        return 0 in self.ids

    @property
    def share(self) -> float:
        """This slice's part of the bot's whole send budget (Discord's global limit is
        the bot's, summed over every process): its shards over all shards."""
        return len(self.ids) / self.count

    def describe(self) -> str:
        """'shards 0-3 of 8', 'shards 4, 5 of 8', 'the only shard'."""
        if self.count == 1:
            return "the only shard"
        return f"shards {format_ids(self.ids)} of {self.count}"


def format_ids(ids: frozenset[int]) -> str:
    """Sorted shard ids with runs folded: {0,1,2,3,6} -> '0-3, 6'."""
    ordered = sorted(ids)
    runs: list[str] = []
    start = prev = ordered[0]
    for i in [*ordered[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ", ".join(runs)


def parse_ids(text: str, count: int) -> frozenset[int]:
    """'0-3', '4,5', '0-1, 6' -> shard ids; ValueError saying what is wrong."""
    ids: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        low, sep, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if sep else first
        except ValueError:
            raise ValueError(f"{part!r} is not a shard number or a range like 0-3") from None
        if first > last:
            raise ValueError(f"the range {part!r} runs backwards")
        if last >= count:
            raise ValueError(f"shard {last} is not one of the {count} shards (0 to {count - 1})")
        ids.update(range(first, last + 1))
    Slice(count, frozenset(ids))  # range checks, in its words
    return frozenset(ids)
