"""Read a proceedings table of contents, in any of the three layouts it mixes.

The file is what the proceedings printed, not something we control, so the parser is a
small state machine that places every non-blank line or refuses with the line number.
Layouts handled:

- plain: ``Title PAGE`` then an author line with affiliations in ``*…*``;
- markdown table rows: ``| Title | PAGE |`` then ``| authors, <i>aff</i> ; … | |``,
  with filler rows ``| | |`` and ``|---|---|``;
- session headings as plain lines or as table rows with an empty page cell, and day
  headings such as ``Wednesday, July 10``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from bot.importer.errors import ProgramFileError
from bot.importer.files import text_lines
from bot.importer.limits import MAX_EVENTS, MAX_PEOPLE
from bot.normalize import collapse_space, strip_dot_leaders

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)

_DAY_HEADING = re.compile(
    r"^(?P<weekday>[A-Za-z]+),\s+(?P<month>[A-Za-z]+)\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?$"
)
_PLAIN_PAPER = re.compile(r"^(?P<title>.*?\S)\s+(?P<page>\d{1,6})$")
_PAGE = re.compile(r"^\d{1,6}$")
_FILLER_CELL = re.compile(r"^:?-*:?$")
_NAME_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_HEADING_MAX = 120


class Layout(Enum):
    PLAIN = "plain"
    TABLE = "table"


_EMPHASIS = {
    Layout.PLAIN: re.compile(r"\*([^*]*)\*"),
    Layout.TABLE: re.compile(r"<i>(.*?)</i>", re.IGNORECASE),
}
_AUTHOR_MARKERS = ("*", "<i>", "</i>", ";")


@dataclass(frozen=True, slots=True)
class TocAuthor:
    name: str
    affiliation: str | None


@dataclass(frozen=True, slots=True)
class TocPaper:
    title: str
    page: int
    authors: tuple[TocAuthor, ...]
    line_no: int


@dataclass(frozen=True, slots=True)
class TocSession:
    title: str
    line_no: int
    papers: tuple[TocPaper, ...]


@dataclass(frozen=True, slots=True)
class TocDay:
    weekday: str
    month: int
    day: int
    year: int | None
    line_no: int
    sessions: tuple[TocSession, ...]


@dataclass(frozen=True, slots=True)
class TableOfContents:
    header: tuple[str, ...]
    days: tuple[TocDay, ...]

    @property
    def sessions(self) -> tuple[TocSession, ...]:
        return tuple(s for d in self.days for s in d.sessions)

    @property
    def papers(self) -> tuple[TocPaper, ...]:
        return tuple(p for s in self.sessions for p in s.papers)


def parse_authors(text: str, layout: Layout) -> tuple[TocAuthor, ...]:
    """Split ``A, B, and C, *Aff*; D, *Aff2*`` into authors with their affiliations.

    Affiliations are taken whole from the emphasis, so commas, semicolons, 'and' and
    parentheses inside them are safe. Text after the last affiliation is a fragment of
    that affiliation that the proceedings set outside the emphasis.
    Raises ValueError with a reason a person can act on.
    """
    emphasis = _EMPHASIS[layout]
    authors: list[TocAuthor] = []
    last_group = 0
    cursor = 0
    for match in emphasis.finditer(text):
        affiliation = collapse_space(match.group(1)) or None
        names = _split_names(text[cursor : match.start()])
        if not names:
            raise ValueError(f"affiliation {affiliation!r} has no author names before it")
        last_group = len(authors)
        authors.extend(TocAuthor(name, affiliation) for name in names)
        cursor = match.end()
    rest = text[cursor:]
    _reject_stray_markup(rest, layout)
    if not authors:
        names = _split_names(rest)
        if not names:
            raise ValueError("author line has no names")
        return tuple(TocAuthor(name, None) for name in names)
    fragment = collapse_space(rest.strip().strip(";,").strip())
    if fragment:
        joined = f"{authors[-1].affiliation}; {fragment}"
        authors[last_group:] = [TocAuthor(a.name, joined) for a in authors[last_group:]]
    return tuple(authors)


def _split_names(text: str) -> list[str]:
    cleaned = text.strip().lstrip(";").strip().rstrip(",").strip()
    if not cleaned:
        return []
    names = [collapse_space(n) for n in _NAME_SEPARATOR.split(cleaned)]
    if any(not n for n in names):
        raise ValueError(f"empty author name in {cleaned!r}")
    return names


def _reject_stray_markup(rest: str, layout: Layout) -> None:
    stray = "*" if layout is Layout.PLAIN else "<i>"
    if stray in rest.lower() or "</i>" in rest.lower():
        raise ValueError("unbalanced affiliation markup")


def parse_toc(text: str, path: str = "program.txt") -> TableOfContents:
    """Parse a table of contents; raise ProgramFileError at the first line it cannot place."""
    lines = ((n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip())
    return _TocParser(path).parse(lines)


def read_toc(path: Path) -> TableOfContents:
    """Read a table of contents from a file, streamed (see bot/importer/files.py)."""
    return _TocParser(path.name).parse(text_lines(path))


class _TocParser:
    """One pass over the lines, keeping just enough state to know what may come next."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.header: list[str] = []
        self.days: list[TocDay] = []
        self.day: tuple[str, int, int, int | None, int] | None = None
        self.day_sessions: list[TocSession] = []
        self.session: tuple[str, int] | None = None
        self.session_papers: list[TocPaper] = []
        self.pending: tuple[str, int, int, Layout] | None = None  # paper waiting for authors
        self.papers = 0

    def fail(self, line_no: int, reason: str, line: str | None = None) -> ProgramFileError:
        return ProgramFileError(self.path, reason, line_no, line)

    def parse(self, lines: Iterable[tuple[int, str]]) -> TableOfContents:
        """Place each (line number, line) that is not blank, in order."""
        line_no = 0
        for line_no, raw in lines:
            self.place(line_no, raw.strip(), raw)
        self.finish(line_no)
        return TableOfContents(tuple(self.header), tuple(self.days))

    def place(self, line_no: int, line: str, raw: str) -> None:
        if line.startswith("|"):
            self.table_row(line_no, line, raw)
            return
        if self.pending is not None:
            self.author_line(line_no, line, Layout.PLAIN, raw)
            return
        day = _DAY_HEADING.match(line)
        if day and day["weekday"].lower() in WEEKDAYS and day["month"].lower() in MONTHS:
            self.start_day(line_no, day)
            return
        if self.day is None:
            self.header.append(line)
            return
        paper = _PLAIN_PAPER.match(line)
        if paper and not any(m in line for m in _AUTHOR_MARKERS):
            self.paper_title(line_no, paper["title"], int(paper["page"]), Layout.PLAIN, raw)
            return
        self.session_heading(line_no, line, raw)

    def table_row(self, line_no: int, line: str, raw: str) -> None:
        if not line.endswith("|") or len(line) < 2:
            raise self.fail(line_no, "table row does not end with '|'", raw)
        cells = [html.unescape(c).strip() for c in line[1:-1].split("|")]
        if len(cells) != 2:
            raise self.fail(line_no, f"table row has {len(cells)} cells, expected 2", raw)
        if all(_FILLER_CELL.match(c) for c in cells):
            return
        text, page = cells
        if self.pending is not None:
            if page:
                raise self.fail(line_no, "expected the authors of the paper above", raw)
            self.author_line(line_no, text, Layout.TABLE, raw)
            return
        if _PAGE.match(page):
            self.paper_title(line_no, text, int(page), Layout.TABLE, raw)
        elif not page:
            self.session_heading(line_no, text, raw)
        else:
            raise self.fail(line_no, f"page cell {page!r} is not a number", raw)

    def start_day(self, line_no: int, match: re.Match[str]) -> None:
        self.close_day(line_no)
        year = int(match["year"]) if match["year"] else None
        month = MONTHS.index(match["month"].lower()) + 1
        self.day = (match["weekday"].capitalize(), month, int(match["day"]), year, line_no)

    def session_heading(self, line_no: int, text: str, raw: str) -> None:
        if self.day is None:
            raise self.fail(line_no, "session heading before any day heading", raw)
        if any(m in text.lower() for m in _AUTHOR_MARKERS) or len(text) > _HEADING_MAX:
            raise self.fail(line_no, "cannot place this line: an author line with no title?", raw)
        self.close_session(line_no)
        self.session = (collapse_space(text), line_no)

    def paper_title(self, line_no: int, title: str, page: int, layout: Layout, raw: str) -> None:
        if self.session is None:
            raise self.fail(line_no, "paper before any session heading", raw)
        clean = collapse_space(strip_dot_leaders(title))
        if not clean:
            raise self.fail(line_no, "paper row has no title", raw)
        self.pending = (clean, page, line_no, layout)

    def author_line(self, line_no: int, text: str, layout: Layout, raw: str) -> None:
        assert self.pending is not None
        title, page, title_line, title_layout = self.pending
        if layout is not title_layout:
            raise self.fail(line_no, f"expected the authors of {title!r} in the same layout", raw)
        try:
            authors = parse_authors(text, layout)
        except ValueError as exc:
            raise self.fail(line_no, str(exc), raw) from None
        if len(authors) > MAX_PEOPLE:
            raise self.fail(line_no, f"names {len(authors):,} authors; a paper may name"
                            f" {MAX_PEOPLE} at most")  # fmt: skip
        self.session_papers.append(TocPaper(title, page, authors, title_line))
        self.pending = None
        self.papers += 1
        if self.papers > MAX_EVENTS:
            raise self.fail(line_no, f"more than {MAX_EVENTS:,} papers; a program may hold"
                            f" {MAX_EVENTS:,}")  # fmt: skip

    def close_session(self, line_no: int) -> None:
        if self.session is None:
            return
        title, heading_line = self.session
        if not self.session_papers:
            raise self.fail(heading_line, f"session {title!r} has no papers")
        self.day_sessions.append(TocSession(title, heading_line, tuple(self.session_papers)))
        self.session = None
        self.session_papers = []

    def close_day(self, line_no: int) -> None:
        if self.pending is not None:
            title, _, title_line, _ = self.pending
            raise self.fail(title_line, f"paper {title!r} has no author line")
        self.close_session(line_no)
        if self.day is None:
            return
        weekday, month, day, year, heading_line = self.day
        if not self.day_sessions:
            raise self.fail(heading_line, f"day '{weekday}, {day}' has no sessions")
        self.days.append(TocDay(weekday, month, day, year, heading_line, tuple(self.day_sessions)))
        self.day = None
        self.day_sessions = []

    def finish(self, last_line: int) -> None:
        if self.pending is not None:
            title, _, title_line, _ = self.pending
            raise self.fail(title_line, f"paper {title!r} has no author line (file truncated?)")
        self.close_day(last_line)
        if not self.days:
            raise self.fail(last_line or 1, "no day headings such as 'Wednesday, July 10' found")
