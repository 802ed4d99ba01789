"""The USENIX proceedings' table of contents plus our schedule.json, in one directory
(the bundled OSDI '24): program.txt says who wrote what, schedule.json when and where."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.importer.merge import program_files, read_program
from bot.importer.report import Loaded, LoadReport


class UsenixReader:
    name = "a directory with program.txt (a USENIX table of contents) and schedule.json"

    def claims(self, head: bytes, path: Path) -> bool:
        return path.is_dir() and all(p.is_file() for p in program_files(path))

    def read(self, path: Path, default_zone: str | None) -> Loaded:
        loaded = read_program(path)
        report = LoadReport(
            path=str(path),
            fmt="USENIX table of contents + schedule.json",
            zone=loaded.program.conference.timezone,
            zone_reason="declared in schedule.json",
            rooms_listed=len({s.slot.room for s in loaded.program.sessions if s.slot.room}),
            warnings=loaded.warnings,
        )
        return Loaded(loaded.program, report)

    def files(self, path: Path) -> Sequence[Path]:
        return program_files(path)


READER = UsenixReader()
