"""What a load found, for `python -m bot load`: the format, the zone and why, warnings."""

from __future__ import annotations

from dataclasses import dataclass


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
