"""Which SQL database the state lives in: the few statements that differ between SQLite
(one process, the default) and PostgreSQL (a cluster of processes) ask this."""

from __future__ import annotations

from enum import StrEnum


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgresql"

    @property
    def skip_locked(self) -> str:
        """What a batch claim appends to its SELECT so two processes never wait on, nor
        take, the same rows (PostgreSQL's row locks); SQLite has one writer and no such
        clause."""
        return " FOR UPDATE SKIP LOCKED" if self is Dialect.POSTGRES else ""
