"""What both stores share: one aiosqlite connection, closed by `close()` or `async with`."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite


class Connected:
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
