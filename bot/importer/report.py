"""What a load found, for `python -m bot load`: the format, the zone and why, warnings."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Program


@dataclass(frozen=True, slots=True)
class LoadReport:
    path: str
    fmt: str
    zone: str
    zone_reason: str
    generator: str | None = None
    version: str | None = None
    rooms_listed: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Loaded:
    """What every reader returns: the program, and the report on reading it."""

    program: Program
    report: LoadReport
