"""How often /register may ask pretix: a few attempts per member per ten minutes, and a
bounded number per server per minute, counted in sliding windows.

Kept in memory, not in the state, on purpose: a restart forgets the counts, which gives
a member at most one more window's attempts per restart (restarts are the operator's,
not something a member can cause), while keeping them in the state would mean writing
who tried when, for every attempt, and keeping it. A server is served by one process (its
shard's), so every attempt in a server is counted by the same limiter.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

K = TypeVar("K")

MEMBER_ATTEMPTS = 5
MEMBER_WINDOW = 600.0  # seconds
# 60 a minute: two requests at most each (a ticket secret), so a server's registrations
# stay within a third of pretix's own limit (360 requests a minute per organizer, hosted).
SERVER_ATTEMPTS = 60
SERVER_WINDOW = 60.0
MAX_TRACKED = 100_000  # members remembered at once; the oldest are dropped beyond


class LimitScope(StrEnum):
    MEMBER = "member"
    SERVER = "server"


@dataclass(frozen=True, slots=True)
class RateLimited:
    """Too many attempts: the member may try again in `retry_after` seconds."""

    scope: LimitScope
    retry_after: int


@dataclass(frozen=True, slots=True)
class Limits:
    member_attempts: int = MEMBER_ATTEMPTS
    member_window: float = MEMBER_WINDOW
    server_attempts: int = SERVER_ATTEMPTS
    server_window: float = SERVER_WINDOW


class AttemptLimiter:
    """Sliding windows of attempt moments (Unix seconds), per member and per server."""

    def __init__(self, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._members: dict[tuple[int, int], deque[float]] = {}
        self._servers: dict[int, deque[float]] = {}

    def attempt(self, guild_id: int, member_id: int, now: datetime) -> RateLimited | None:
        """Count an attempt, or say why it may not be made (then it is not counted)."""
        at = now.timestamp()
        limits = self.limits
        member = self._window(self._members, (guild_id, member_id), at, limits.member_window)
        server = self._window(self._servers, guild_id, at, limits.server_window)
        if len(member) >= limits.member_attempts:
            return RateLimited(LimitScope.MEMBER, _wait(member, at, limits.member_window))
        if len(server) >= limits.server_attempts:
            return RateLimited(LimitScope.SERVER, _wait(server, at, limits.server_window))
        member.append(at)
        server.append(at)
        self._forget_oldest()
        return None

    @staticmethod
    def _window(windows: dict[K, deque[float]], key: K, at: float, length: float) -> deque[float]:
        moments = windows.setdefault(key, deque())
        while moments and moments[0] <= at - length:
            moments.popleft()
        return moments

    def _forget_oldest(self) -> None:
        """Bound the memory: past MAX_TRACKED members, the one tried longest ago goes
        (insertion order is first-attempt order, close enough for an upper bound)."""
        while len(self._members) > MAX_TRACKED:
            del self._members[next(iter(self._members))]
        for key in [k for k, v in self._servers.items() if not v]:
            del self._servers[key]


def _wait(moments: deque[float], at: float, length: float) -> int:
    """Whole seconds until the oldest attempt leaves the window (at least 1)."""
    return max(1, int(moments[0] + length - at + 0.999))
