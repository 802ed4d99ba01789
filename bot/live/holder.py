"""The current version of a program, swapped whole.

Every command, autocomplete, scheduler pass and publish run reads the service through the
holder when it starts; a swap is one attribute assignment on the event loop, so a command
in flight keeps the service it took and the next one sees the new version.
"""

from __future__ import annotations

from datetime import datetime

from bot.service import ProgramService


class ProgramHolder:
    def __init__(self, service: ProgramService, loaded_at: datetime) -> None:
        self._service = service
        self.loaded_at = loaded_at
        self.swaps = 0

    @property
    def service(self) -> ProgramService:
        return self._service

    def swap(self, service: ProgramService, at: datetime) -> None:
        self._service = service
        self.loaded_at = at
        self.swaps += 1
