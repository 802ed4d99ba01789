"""No XML tag, comment or processing instruction longer than MAX_MARKUP bytes.

The expat that Python 3.11 bundles (2.5) parses again, from its start, a tag, comment or
processing instruction that is still open when the next piece of the file arrives
(CVE-2023-52425, changed in expat 2.6): the cost grows with the square of its length.
One 45 MB attribute took 52 s to read and held the GIL for up to 368 ms at a time, and
990,000 attributes on one element held it for 1.2 s, while text and CDATA of any length
cost what their bytes do. Real programs' longest tag is 352 bytes, with five attributes
and no comments. So before parsing, the file is scanned for such markup, in linear time
with no step holding the GIL for long, and one too long is refused with one sentence.

How, in one pass for comments, processing instructions and CDATA, which may hold '<':
each comment and processing instruction must end within the limit, and CDATA sections
(plain text) are noted. Everywhere else a '<' starts markup (XML forbids it in text and
attribute values), so a tag longer than the limit lies in a stretch longer than the
limit between two '<', found by searching (see _long_stretches); only those stretches
are looked at closely, for at most the limit's length each: a tag or declaration must
end with a '>' outside quotes within it. Every step moves on, so the scan is linear.
"""

from __future__ import annotations

import bisect
import mmap
import re
from collections.abc import Iterator
from pathlib import Path

from bot.importer.errors import ProgramFileError
from bot.importer.limits import MAX_MARKUP

_PIECE = 1 << 20  # bytes searched at a time
Text = bytes | mmap.mmap  # the file's bytes, or the file mapped (see check_file)
_TAG_STOP = re.compile(rb"[>\"']")
_OPENER = re.compile(rb"<!--|<\?|<!\[CDATA\[")
_ENDS = {b"<!--": (b"-->", "comment"), b"<?": (b"?>", "processing instruction")}


def check_file(path: Path) -> None:
    """check_markup on a file, mapped rather than read: nothing of it is copied."""
    with path.open("rb") as handle:
        if not path.stat().st_size:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            check_markup(data, path.name)


def check_markup(data: Text, path: str) -> None:
    """Raise ProgramFileError if `data` holds markup longer than MAX_MARKUP bytes."""
    sections = _checked_sections(data, path)
    starts = [start for start, _ in sections]
    for start in _long_stretches(data):
        index = bisect.bisect_right(starts, start) - 1
        if index >= 0 and start < sections[index][1]:
            continue  # a section's opening, or a '<' inside one: checked, or text
        if not _tag_ends(data, start + 1, start + MAX_MARKUP):
            raise _too_long(path, "tag")


def _checked_sections(data: Text, path: str) -> list[tuple[int, int]]:
    """Where the comments, processing instructions and CDATA sections are, in order;
    a comment or processing instruction not ended within the limit is refused."""
    sections: list[tuple[int, int]] = []
    at = 0
    while (found := _next_opener(data, at)) is not None:
        start, opener = found
        if opener in _ENDS:
            closing, what = _ENDS[opener]
            end = data.find(closing, start + len(opener), start + MAX_MARKUP)
            if end < 0:
                raise _too_long(path, what)
            at = end + len(closing)
        else:  # CDATA: plain text, of any length
            end = data.find(b"]]>", start + len(opener))
            at = len(data) if end < 0 else end + 3
        sections.append((start, at))
    return sections


def _next_opener(data: Text, at: int) -> tuple[int, bytes] | None:
    """The next comment, processing instruction or CDATA opening from `at`, searched a
    piece at a time (an opening across two pieces is found in the second)."""
    while at < len(data):
        found = _OPENER.search(data, at, at + _PIECE + 8)
        if found is not None:
            return found.start(), found[0]
        at += _PIECE
    return None


def _too_long(path: str, what: str) -> ProgramFileError:
    return ProgramFileError(
        path, f"has an XML {what} longer than {MAX_MARKUP:,} bytes; a program's longest are"
        " a few hundred",
    )  # fmt: skip


def _long_stretches(data: Text) -> Iterator[int]:
    """The offset of each '<' followed by more than MAX_MARKUP bytes without another.

    From one '<', the last '<' within the limit's reach is the next step: no stretch
    between them can be longer. Where '<' lie close together, that is a step of about
    the limit at once, found by searching back from its end; with none in reach, the
    stretch is long. So the scan makes no object per tag, and allocates nothing big
    (a worker that allocated and freed much made the event loop's thread wait for the
    process's memory map: stalls of up to 509 ms)."""
    at = data.find(b"<")
    while at >= 0:
        last = data.rfind(b"<", at + 1, at + MAX_MARKUP + 2)
        if last >= 0:
            at = last
            continue
        following = data.find(b"<", at + MAX_MARKUP + 2)
        if (len(data) if following < 0 else following) - at - 1 > MAX_MARKUP:
            yield at
        at = following


def _tag_ends(data: Text, at: int, limit: int) -> bool:
    """Whether a tag (or declaration) ends with a '>' outside quotes before `limit`."""
    while (stop := _TAG_STOP.search(data, at, limit)) is not None:
        if stop[0] == b">":
            return True
        close = data.find(stop[0], stop.end(), limit)
        if close < 0:
            return False
        at = close + 1
    return False
