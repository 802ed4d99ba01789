"""The compact board: /next and /now when many rooms run at once.

At OSDI one or two talks are on, and each gets a card of its own. At FOSDEM 28 rooms run
at once and 31 talks start within 15 minutes; as cards they were 6 pages, and at a
congress the all-day assemblies "on now" pushed the main-hall lectures to page 7. The
board gives each talk one line (room, title, first speaker) under its start time, what
starts next first, what is on after it, and what is open all day in one "Also open"
line. The person's own rooms and tracks (from /remind) come before everything.

Sections are built here for both renderers: `show` makes outside text safe for the
surface (Discord's escape, or as written for the console), `moment` writes a start time
as the surface shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from bot.i18n import ENGLISH, Words
from bot.render.common import item_kind
from bot.service.languages import language_name
from bot.service.program_service import LanguageRefused
from bot.service.results import NextAnswer, NowAnswer, Phase, ProgramItem, SessionTalk, Where
from bot.template import Worded

# More items than fit one page of cards: the board is compact from here on.
COMPACT_FROM = 9
# What one line keeps of each part, so that 30 lines fit one embed's description.
ROOM_MAX, TITLE_MAX, SPEAKER_MAX = 22, 64, 26
# Background items named in the "Also open" line; the rest are counted.
ALSO_NAMED = 3

Show = Callable[[str], str]
Moment = Callable[[datetime], str]


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and its lines: one start time, what is on now, the person's own."""

    heading: str
    lines: tuple[str, ...]
    detail: str = ""  # after the heading, not bold: how soon


def shown_items(answer: NextAnswer | NowAnswer) -> list[ProgramItem]:
    """Every item the answer lists one by one (background items are one line)."""
    if isinstance(answer, NowAnswer):
        return list(answer.current)
    return [*answer.current, *answer.upcoming, *answer.soon, *answer.next_talks]


def opening_listed(answer: NextAnswer) -> list[ProgramItem]:
    """What opens the conference, listed under its opening line before it starts: those
    items the answer lists anyway ('Next', 'First talk') are left to that one place, so
    a room's first talk is not shown twice."""
    if answer.phase is not Phase.BEFORE:
        return []
    shown = {i.key for i in shown_items(answer)}
    return [i for i in answer.opening if i.key not in shown]


def compact(answer: NextAnswer | NowAnswer) -> bool:
    """Whether the answer lists more items than a page of cards holds."""
    return len(shown_items(answer)) >= COMPACT_FROM


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _whole(text: str, limit: int) -> str:
    return text


def item_line(
    item: ProgramItem, show: Show, tz: ZoneInfo, *, until: bool = False, whole: bool = False,
    w: Words = ENGLISH,
) -> str:  # fmt: skip
    """'`K.3.201` Title — First Speaker', the room in code so rooms line up by eye; cut
    to fit a page unless `whole` (the console, which has no pages)."""
    cut = _whole if whole else _cut
    room = f"`{cut(item.slot.room, ROOM_MAX).replace('`', 'ˋ')}` " if item.slot.room else ""
    if isinstance(item, SessionTalk):
        text = show(cut(item.title, TITLE_MAX))
        if authors := item.talk.authors:
            more = " et al." if len(authors) > 1 else ""
            text += f" — {show(cut(authors[0].name, SPEAKER_MAX))}{more}"
    else:
        text = f"{show(item_kind(item, w))}: {show(cut(item.title, TITLE_MAX))}"
    if until:
        text += " · " + w.tr("until {time}", time=w.clock(item.slot.end, tz))
    return room + text


def where_label(where: Where, show: Show, w: Words = ENGLISH) -> str:
    """' · Janson', ' · track Security', ' · language German' for a title."""
    parts = [show(where.room)] if where.room else []
    parts += [w.tr("track {track}", track=show(where.track))] if where.track else []
    if where.language:
        language = show(language_name(where.language, w.language.value))
        parts.append(w.tr("language {language}", language=language))
    return "".join(f" · {p}" for p in parts)


def language_refusal(refused: LanguageRefused, show: Show, w: Words = ENGLISH) -> str:
    """A language filter the program lacks, in `w`'s words, the closest languages named
    as `w`'s language writes them inside a sentence ('Meintest du Englisch?', 'Vouliez-vous
    dire anglais ?'); outside words shown by `show`."""
    close = ", ".join(language_name(value, w.language.value) for value in refused.languages)
    return Worded(refused.template, **{**refused.values, "close": close}).render(
        show, w.tr, w.number
    )


def also_open(
    items: Sequence[ProgramItem], show: Show, tz: ZoneInfo, w: Words = ENGLISH
) -> str | None:
    """One line for what is open in the background, however much there is."""
    if not items:
        return None
    if len(items) == 1:
        (item,) = items
        room = f" ({show(item.slot.room)})" if item.slot.room else ""
        return w.tr("Also open: {title} until {time}",
                    title=show(_cut(item.title, TITLE_MAX)) + room,
                    time=w.clock(item.slot.end, tz))  # fmt: skip
    named = ", ".join(show(_cut(i.title, 40)) for i in items[:ALSO_NAMED])
    rest = len(items) - ALSO_NAMED
    return w.tr("Also open ({count}): {named}", count=len(items), named=named) + (
        w.ntr(" and {count} more", " and {count} more", rest, count=rest) if rest > 0 else ""
    )


def opening_soon(
    items: Sequence[ProgramItem], show: Show, tz: ZoneInfo, moment: Moment, w: Words = ENGLISH
) -> str | None:
    """One line for the background items that open soon: 'Also opening 09:30 (51): …'."""
    if not items:
        return None
    start = items[0].slot.start
    named = ", ".join(show(_cut(i.title, 40)) for i in items[:ALSO_NAMED])
    rest = len(items) - ALSO_NAMED
    more = w.ntr(" and {count} more", " and {count} more", rest, count=rest) if rest > 0 else ""
    count = w.tr(", {count} items", count=len(items)) if len(items) > 1 else ""
    return w.tr("Also opening at {time} ({when}){count}: {named}", time=w.clock(start, tz),
                when=moment(start), count=count, named=named + more)  # fmt: skip


def next_sections(
    answer: NextAnswer, show: Show, moment: Moment, tz: ZoneInfo, whole: bool = False,
    w: Words = ENGLISH,
) -> list[Section]:  # fmt: skip
    """What starts next first, a section per start time; then the next talk if it is
    later; then what is on now. The person's own first of all."""
    mine = answer.followed
    sections: list[Section] = []
    at = answer.at
    own = [i for i in (*answer.current, *answer.upcoming, *answer.soon) if i.key in mine]
    if own:
        own.sort(key=lambda i: (i.slot.start, i.slot.room or ""))
        lines = [(w.tr("now") if i.slot.start <= at else w.clock(i.slot.start, tz)) + " · "
                 + item_line(i, show, tz, whole=whole, w=w) for i in own]  # fmt: skip
        sections.append(Section("⭐ " + w.tr("Where you follow"), tuple(lines)))
    starting = sorted(
        (i for i in (*answer.upcoming, *answer.soon) if i.key not in mine),
        key=lambda i: (i.slot.start, i.slot.room or "", i.title),
    )
    for start, group in groupby(starting, key=lambda i: i.slot.start):
        lines = [item_line(i, show, tz, whole=whole, w=w) for i in group]
        label = _starting_label(start, answer.complete_until, w)
        sections.append(Section(f"{label} · {w.clock(start, tz)}", tuple(lines), moment(start)))
    if answer.next_talks:
        label = w.tr("First talk") if answer.upcoming else w.tr("Next talk")
        start = answer.next_talks[0].slot.start
        lines = [item_line(t, show, tz, whole=whole, w=w)
                 for t in answer.next_talks if t.key not in mine]  # fmt: skip
        if lines:
            sections.append(Section(f"{label} · {w.clock(start, tz)}", tuple(lines), moment(start)))
    on_now = sorted((i for i in answer.current if i.key not in mine), key=_by_end)
    now_lines = [item_line(i, show, tz, until=True, whole=whole, w=w) for i in on_now]
    if now_lines:
        sections.append(Section(w.tr("On now"), tuple(now_lines)))
    return sections


def _starting_label(start: datetime, complete_until: datetime | None, w: Words = ENGLISH) -> str:
    """'Next' over a start time whose every item is listed; 'Next in its room' past the
    first quarter of an hour, where only the rooms under way list their next item: a
    heading that read 'Next · 11:30' would say nothing else starts then, and a room
    opening at 11:30 may."""
    if complete_until is None or start <= complete_until:
        return w.tr("Next")
    return w.tr("Next in its room")


def _by_end(item: ProgramItem) -> tuple[datetime, str, str]:
    """What frees up first, then by room: the order a reader sees in the 'until' times."""
    return (item.slot.end, item.slot.room or "", item.title)


def now_sections(
    answer: NowAnswer, show: Show, tz: ZoneInfo, whole: bool = False, w: Words = ENGLISH
) -> list[Section]:
    """What is on, the person's own first."""
    mine = [
        item_line(i, show, tz, until=True, whole=whole, w=w)
        for i in answer.current
        if i.key in answer.followed
    ]
    on_now = sorted((i for i in answer.current if i.key not in answer.followed), key=_by_room)
    rest = [item_line(i, show, tz, until=True, whole=whole, w=w) for i in on_now]
    sections = [Section("⭐ " + w.tr("Where you follow"), tuple(mine))] if mine else []
    return sections + ([Section(w.tr("On now"), tuple(rest))] if rest else [])


def _by_room(item: ProgramItem) -> tuple[str, datetime]:
    return (item.slot.room or "", item.slot.start)
