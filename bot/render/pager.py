"""One pager for every list: items spread over pages whole, never cut off at a limit.

A list (a day's program, a session's talks, search results, changes, an agenda) used to
be packed into one embed field or description and cut with "…" at Discord's limit, and
whatever came after the cut was on no page: FOSDEM's Saturday lost 56 of 484 talks. Here
a list is a sequence of entries, each item on exactly one page, and a page ends before
an item that does not fit. Only an item longer than a whole field or description is cut,
and then within its own text: the next item still starts the next line.

Plain data, no Discord type: `bot.render.cards.paged` turns the pages into cards, and a
renderer of messages (an announcement) can use the pages as they are.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from bot.render.limits import (
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_NAME_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_FIELDS_MAX,
)

# What a field shows when it has nothing to show: Discord refuses an empty one.
BLANK = "\u200b"
# A group's field continued from the page or field before.
CONTINUED = " (cont.)"
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Line:
    """An item as one line of the description (a change, a conference)."""

    text: str


@dataclass(frozen=True, slots=True)
class Entry:
    """An item as a field of its own (a search result, an agenda item)."""

    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    """Items as lines under one heading (a room's talks in a day): they share a field,
    continued in another field, on this page or the next, when they do not fit one."""

    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """Items as lines of the description under a heading line (a version's changes): a
    page that starts amid them repeats the heading, so every page says what they are."""

    heading: str
    lines: tuple[str, ...]


Piece = Line | Entry | Group | Section


@dataclass(frozen=True, slots=True)
class Page:
    """What one page shows: lines of its description, then fields (name, value, inline)."""

    lines: tuple[str, ...]
    fields: tuple[tuple[str, str, bool], ...]


@dataclass(frozen=True, slots=True)
class Room:
    """How much a page holds besides what every page repeats (title, description, footer).

    `size`: characters of lines, field names and values together; `description`:
    characters of the description's lines; `fields`: fields; `items`: items (None: no
    count limit)."""

    size: int
    description: int = EMBED_DESCRIPTION_MAX
    fields: int = EMBED_FIELDS_MAX
    items: int | None = None


def cut(text: str, limit: int) -> str:
    """`text` at most `limit` characters, the cut marked: only ever an item's own text."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


@dataclass(slots=True)
class _Building:
    lines: list[str] = field(default_factory=list)
    fields: list[tuple[str, str, bool]] = field(default_factory=list)
    size: int = 0
    items: int = 0
    open_group: bool = False  # the last field is a group's and may take more lines
    described: int = 0  # characters of the lines, each with its newline: kept, not re-summed

    def empty(self) -> bool:
        return not self.lines and not self.fields

    def description(self) -> int:
        return self.described

    def add_line(self, text: str) -> None:
        """A line of the description (not counted as an item: a heading is none)."""
        self.lines.append(text)
        self.size += len(text) + 1
        self.described += len(text) + 1

    def page(self) -> Page:
        return Page(tuple(self.lines), tuple(self.fields))


class _Pager:
    """Fills pages in order; a page is closed when the next item does not fit it."""

    def __init__(self, room: Room, continued: str = CONTINUED) -> None:
        self.room = room
        self.continued = continued  # a group's heading's mark on its next fields
        self.done: list[Page] = []
        self.page = _Building()

    def pages(self) -> list[Page]:
        if not self.page.empty() or not self.done:
            self.done.append(self.page.page())
        return self.done

    def _turn(self) -> None:
        self.done.append(self.page.page())
        self.page = _Building()

    def _room_for(self, cost: int, *, fields: int = 0, description: int = 0) -> bool:
        page, room = self.page, self.room
        return (
            page.size + cost <= room.size
            and len(page.fields) + fields <= room.fields
            and page.description() + description <= room.description
            and (room.items is None or page.items < room.items)
        )

    def _make_room(self, cost: int, *, fields: int = 0, description: int = 0) -> None:
        """Turn the page unless this fits (an empty page takes anything: it is cut)."""
        if not self.page.empty() and not self._room_for(cost, fields=fields,
                                                        description=description):  # fmt: skip
            self._turn()

    def line(self, text: str) -> None:
        text = cut(text, min(self.room.description, self.room.size) - 1)
        cost = len(text) + 1
        self._make_room(cost, description=cost)
        self.page.add_line(text)
        self.page.items += 1
        self.page.open_group = False

    def section(self, heading: str, lines: Sequence[str]) -> None:
        limit = min(self.room.description, self.room.size) // 2 - 1
        heading = cut(heading, limit)
        if not lines:  # a heading alone: a line of its own
            self.line(heading)
            self.page.items -= 1
            return
        for n, text in enumerate(lines):
            text = cut(text, limit)
            cost = len(text) + 1
            page = self.page
            if n == 0 or not self._room_for(cost, description=cost):
                self._make_room(cost + len(heading) + 1, description=cost + len(heading) + 1)
            if n == 0 or self.page is not page:  # a first line, or a new page amid them
                self.page.add_line(heading)
            self.page.add_line(text)
            self.page.items += 1
        self.page.open_group = False

    def entry(self, name: str, value: str, inline: bool = False) -> None:
        name = cut(name, EMBED_FIELD_NAME_MAX) or BLANK
        value = cut(value, min(EMBED_FIELD_VALUE_MAX, self.room.size - len(name))) or BLANK
        self._make_room(len(name) + len(value), fields=1)
        self.page.fields.append((name, value, inline))
        self.page.size += len(name) + len(value)
        self.page.items += 1
        self.page.open_group = False

    def group(self, heading: str, lines: Sequence[str]) -> None:
        name = cut(heading, EMBED_FIELD_NAME_MAX) or BLANK
        more = cut(heading, EMBED_FIELD_NAME_MAX - len(self.continued)) + self.continued
        if not lines:  # a heading alone (a session that lists no talks): one field
            self.entry(name, "")
            return
        lengths = list(map(len, lines))
        widest = min(EMBED_FIELD_VALUE_MAX, self.room.size - max(len(name), len(more)))
        if min(lengths) > 0 and max(lengths) <= widest:  # no line cut, none blank
            self._group_fields(name, more, lines, lengths)
        else:
            for n, text in enumerate(lines):
                self._group_line(name if n == 0 else more, text, first=n == 0)
        self.page.open_group = False

    def _group_fields(
        self, name: str, more: str, lines: Sequence[str], lengths: Sequence[int]
    ) -> None:
        """What _group_line does line by line, a field at a time: a day of 1,500 talks is
        laid out in a hundred steps, not 1,500. A field opens with a line as _group_line
        opens it; the lines after it that it takes (each costs its length and a newline,
        within the field's and the page's room and the page's items) are found at once,
        by bisecting their cumulative costs. Only for lines that _group_line neither cuts
        nor shows as BLANK: then the pages are the same, character for character."""
        room = self.room
        costs = list(accumulate(map((1).__add__, lengths), initial=0))  # costs[k]: lines < k
        n, total, heading = 0, len(lines), name
        while n < total:
            self._make_room(len(heading) + lengths[n], fields=1)
            page = self.page
            page.size += len(heading) + lengths[n]
            page.items += 1
            end = n + 1
            if len(page.fields) < room.fields and page.described <= room.description:
                budget = min(EMBED_FIELD_VALUE_MAX - lengths[n], room.size - page.size)
                end = max(end, bisect_right(costs, costs[n + 1] + budget, n + 1) - 1)
                if room.items is not None:
                    end = min(end, n + 1 + max(room.items - page.items, 0))
            page.fields.append((heading, "\n".join(lines[n:end]), False))
            page.size += costs[end] - costs[n + 1]
            page.items += end - n - 1
            page.open_group = True
            n, heading = end, more

    def _group_line(self, name: str, text: str, *, first: bool) -> None:
        text = cut(text, min(EMBED_FIELD_VALUE_MAX, self.room.size - len(name)))
        page = self.page
        if not first and page.open_group and page.fields:
            value = page.fields[-1][1]
            cost = len(text) + 1
            if len(value) + cost <= EMBED_FIELD_VALUE_MAX and self._room_for(cost):
                page.fields[-1] = (page.fields[-1][0], f"{value}\n{text}", False)
                page.size += cost
                page.items += 1
                return
        self._make_room(len(name) + len(text), fields=1)
        self.page.fields.append((name, text or BLANK, False))
        self.page.size += len(name) + len(text)
        self.page.items += 1
        self.page.open_group = True


def paginate_items(pieces: Sequence[Piece], room: Room, continued: str = CONTINUED) -> list[Page]:
    """The pieces over as many pages as they need, in order, each item on exactly one
    page (a group's lines may continue on the next, their heading marked `continued`,
    in the reader's words). Always at least one page."""
    pager = _Pager(room, continued)
    for piece in pieces:
        if isinstance(piece, Line):
            pager.line(piece.text)
        elif isinstance(piece, Entry):
            pager.entry(piece.name, piece.value, piece.inline)
        elif isinstance(piece, Section):
            pager.section(piece.heading, piece.lines)
        else:
            pager.group(piece.heading, piece.lines)
    return pager.pages()


def counted(piece: Piece) -> int:
    """How many items a piece holds: a group's or section's lines, else one."""
    return len(piece.lines) if isinstance(piece, Group | Section) else 1
