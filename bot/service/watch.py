"""Where to watch a talk: live while it runs, the recording after, and nothing for a talk
whose speakers asked not to be recorded.

The live link is the program's own stream link, else the stream an organiser set for the
talk's room (/stream set); the recording can only come from the program. Pure: the
caller passes the moment and the room streams of the server asking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from bot.i18n import N_
from bot.model import LinkKind, Talk

# Room -> live stream URL, as organisers set them; none by default (the console, DMs).
NO_STREAMS: Mapping[str, str] = MappingProxyType({})


class WatchKind(StrEnum):
    LIVE = "live"
    RECORDING = "recording"


@dataclass(frozen=True, slots=True)
class Watch:
    kind: WatchKind
    url: str

    @property
    def label(self) -> str:
        return N_("Watch live") if self.kind is WatchKind.LIVE else N_("Recording")


def watch(talk: Talk, now: datetime, streams: Mapping[str, str] = NO_STREAMS) -> Watch | None:
    """The link to show for `talk` at `now`, if any."""
    if talk.do_not_record:
        return None
    if talk.slot.contains(now):
        live = _first(talk, LinkKind.STREAM) or streams.get(talk.slot.room or "")
        return Watch(WatchKind.LIVE, live) if live else None
    if now >= talk.slot.end and (recording := _first(talk, LinkKind.RECORDING)):
        return Watch(WatchKind.RECORDING, recording)
    return None


def _first(talk: Talk, kind: LinkKind) -> str | None:
    return next((link.url for link in talk.links if link.kind is kind), None)
