"""Reading the loose values real exports hold: text with stray white space, dates, ISO
times with offsets, durations in several spellings, people, URLs and links. Each returns
None for what it cannot read, and the reader decides whether that is an error."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from bot.importer.limits import MAX_ABSTRACT_SOURCE, MAX_TITLE, MAX_URL
from bot.model import Link, LinkKind, within_range

# No item of a program lasts longer than this; a longer 'duration' is a broken value.
LONGEST = timedelta(days=7)
# 'H:MM' or 'HH:MM:SS', ASCII digits only; more than four digits is no talk's length.
_DURATION = re.compile(r"([0-9]{1,4}):([0-9]{1,4})(?::([0-9]{1,4}))?")


def listed(value: Any) -> list[Any]:
    """A list where the format has one; anything else (missing, a number) reads as none."""
    return value if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """An object where the format has one; anything else reads as an empty one."""
    return value if isinstance(value, dict) else {}


# Of a one-line text, only this much is read: enough to tell that it is longer than
# MAX_TITLE (community.build cuts it there and says so), never a million words split.
_READ = 8 * MAX_TITLE


def text(value: Any) -> str | None:
    if isinstance(value, str):  # checked first: a 10,000-talk file reads 130,000 of them
        return " ".join(value[:_READ].split()) or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def joined(*parts: Any) -> str | None:
    """An abstract and a description, once each: each cut to what plain_text reads before
    it is stripped and compared. A program is read in a worker thread, and a C call holds
    the GIL throughout: a 50 MB abstract was copied twice and hashed whole, three calls
    of 20 to 25 ms in a row, and the event loop waited up to 96 ms."""
    cut = (p[:MAX_ABSTRACT_SOURCE] for p in parts if isinstance(p, str))
    texts = [text for p in cut if (text := p.strip())]
    unique = list(dict.fromkeys(texts))
    return "\n\n".join(unique) or None


def date_of(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def instant(value: Any) -> datetime | None:
    """An optional moment (a day's declared start): None if unreadable or out of range."""
    found = moment(value)
    return found if found is not None and within_range(found) else None


def duration(value: Any) -> timedelta | None:
    """'00:30', '1:30' (hours:minutes) or '01:30:00' (with seconds)."""
    if not isinstance(value, str) or not (found := _DURATION.fullmatch(value.strip())):
        return None
    hours, minutes, seconds = found.groups(default="0")
    length = timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds))
    return length if length <= LONGEST else None


def persons(value: Any) -> tuple[str, ...]:
    names = []
    for person in listed(value):
        if isinstance(person, dict):
            name = text(person.get("public_name")) or text(person.get("name"))
        else:
            name = text(person)
        if name:
            names.append(name)
    return tuple(names)


def url(value: Any) -> str | None:
    if isinstance(value, str) and len(value) > MAX_URL:
        return None
    found = text(value)
    return found if found and found.startswith(("https://", "http://")) else None


# How exports label their video links: pretalx and frab 'links' titles, the hosts of the
# c3voc and FOSDEM video services. Only a link that says what it is counts: a YouTube
# link titled "Exploit POC Video" is a demo, not the talk's recording.
_STREAM_WORDS = re.compile(r"\b(live ?stream|stream(ing)?|live video|watch live)\b", re.I)
_RECORDING_WORDS = re.compile(r"\b(recording|video recording|recorded|vod)\b", re.I)
_STREAM_HOSTS = ("streaming.media.ccc.de", "live.fosdem.org")
_RECORDING_HOSTS = ("media.ccc.de", "video.fosdem.org")


def link_kind(title: str, address: str) -> LinkKind:
    """Stream, recording or other, from what the link says and where it points."""
    host = address.split("/")[2].lower() if address.count("/") >= 2 else ""
    if host in _STREAM_HOSTS or _STREAM_WORDS.search(title):
        return LinkKind.STREAM
    if host in _RECORDING_HOSTS or _RECORDING_WORDS.search(title):
        return LinkKind.RECORDING
    return LinkKind.OTHER


def link(title: str | None, address: str) -> Link:
    shown = title or address
    return Link(shown, address, link_kind(shown, address))


def links(value: Any) -> tuple[Link, ...]:
    found: list[Link] = []
    for entry in listed(value):
        if not isinstance(entry, dict):
            continue
        address = url(entry.get("url") or entry.get("href"))
        if address:
            found.append(link(text(entry.get("title")) or text(entry.get("type")), address))
    return tuple(found)
