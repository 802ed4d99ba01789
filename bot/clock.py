"""Clocks: the only place confbot asks what time it is.

Everything else takes `now` as an argument, so tests and rehearsals can stand at
10:50 on July 10, 2024 and the answers are the ones attendees would have seen.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """Always the same moment; tests move it by setting `at`."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at


class SimulatedClock:
    """Starts at a chosen moment and then runs forward in real time (rehearsals)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware datetime")
        self.start = start.astimezone(UTC)  # adding time to a zone's wall clock is not exact
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)
