"""Service results as cards: embed-shaped plain data, within Discord's limits.

A card is what an embed says, without the discord.py type, so that every rule about
content (times in each reader's zone, approximate marks, escaping, limits, pages) is a
pure function tested without Discord. The adapter turns a card into a discord.Embed.

Times are Discord timestamps (`<t:UNIX:t>`, shown in each reader's own zone) followed
by the conference's local time in text, because the printed program uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import groupby
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.address import AddressError, web_address
from bot.changes import RecordedChange
from bot.model import Conference, Event, Session, SessionKind, Slot
from bot.render import board, timefmt
from bot.render.common import (
    Place,
    abstract_excerpt,
    as_it_was,
    author_groups,
    authors_line,
    block_heading,
    conference_title,
    count_of,
    delivery_lines,
    derived_note,
    event_extra,
    group_label,
    item_kind,
    item_place,
    join_names,
    repeated_titles,
    search_counts,
    size_text,
    slot_of,
    watch_of,
    weekdays,
    what_changed,
)
from bot.render.limits import (
    BUTTON_LABEL_MAX,
    BUTTON_URL_MAX,
    CHOICE_NAME_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_NAME_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_FIELDS_MAX,
    EMBED_FOOTER_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    EMBED_URL_MAX,
    MESSAGE_MAX,
    THREAD_NAME_MAX,
    TYPED_SHOWN_MAX,
)
from bot.render.markdown import escape, escape_all, say
from bot.render.pager import Entry, Group, Line, Piece, Room, Section, paginate_items
from bot.service.cancelled import CancelledTalk
from bot.service.program_service import QueryError
from bot.service.reminders import AgendaLine, Reminded, TooLate
from bot.service.results import (
    AuthorAnswer,
    DayAnswer,
    NextAnswer,
    NoMatch,
    NowAnswer,
    PersonTalks,
    Phase,
    ProgramItem,
    ProgramSize,
    SearchAnswer,
    SessionAnswer,
    SessionBlock,
    SessionTalk,
    TalkAnswer,
    TrackAnswer,
    Where,
)
from bot.service.status import ServerStatus
from bot.service.watch import NO_STREAMS, Watch
from bot.template import fill

# Pages stay well under the total so a reader is not handed a wall of text.
PAGE_BUDGET = 3500
PAGE_FIELDS = 8
# What a list has on a page at least, however long what every page repeats (title,
# description, footer): the base's description is cut to leave it.
PAGE_ROOM_MIN = 1500
# Between a page's own description, its lines of a list and what ends it.
LINES_GAP = "\n\n"
# Discord refuses the whole message (400, code 50035) for one link it does not take, so
# `fit` keeps only links it takes (see `discord_link`).

BLUE, GREEN, GREY, GOLD = 0x3B82F6, 0x22C55E, 0x6B7280, 0xEAB308


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    title: str
    description: str = ""
    url: str | None = None
    colour: int = BLUE
    fields: tuple[Field, ...] = ()
    footer: str | None = None
    links: tuple[tuple[str, str], ...] = field(default=())  # (label, url) link buttons
    calendar: str | None = None  # a stable reference ('p:…', 's:…'): an "Add to calendar" button
    ask: bool = False  # an "Ask a question" button (the first message of a Q&A thread)

    def size(self) -> int:
        """Characters Discord counts towards the 6000 total."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer or "")
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def choice_name(text: str) -> str:
    """An autocomplete choice's name: at most 100 characters."""
    return truncate(" ".join(text.split()), CHOICE_NAME_MAX)


def discord_link(url: str, limit: int = EMBED_URL_MAX) -> str | None:
    """A program's link as Discord takes it in an embed, a link button or a Markdown link,
    or None to leave it out. Discord takes a URL with a scheme, a host with a dot ('http://
    localhost:3000' is "not a well formed URL") and no space, of at most `limit`
    characters; one it does not take costs the reader the whole answer. So the link must
    read as an address (`web_address`: http or https, a host, no control character); only
    what a URL cannot hold is percent-encoded ('https://example.org/a b' is sent as
    '.../a%20b', a non-ASCII host in its IDNA form), the rest is sent as written; and it
    is dropped if still too long or without a dotted host. Discord's own discord: scheme is
    never a program's page, so it is not kept."""
    try:
        address = web_address(url)
    except AddressError:
        return None
    host = address.raw_host or ""
    if "." not in host or ":" in host:  # ':' only in an IPv6 literal
        return None
    written = url.strip()
    start = written.find("//") + 2  # web_address found 'http(s)://' and a host
    if start < 2:
        return None
    end = next((i for i in range(start, len(written)) if written[i] in "/?#"), len(written))
    authority = written[start:end]
    if _URL_UNSAFE.search(authority):  # 'bücher.de', 'user:p w@host': as yarl encodes it
        authority = address.raw_authority
    link = written[:start] + authority + _URL_UNSAFE.sub(_escaped, written[end:])
    return link if len(link) <= limit else None


# What a URL cannot hold as written: a '%' that starts no escape, and any character
# outside RFC 3986's unreserved and reserved ones (a space, '<', '|', '"', non-ASCII).
_URL_UNSAFE = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")


def _escaped(found: re.Match[str]) -> str:
    return quote(found.group(), safe="")


def link_target(url: str) -> str | None:
    """A link safe inside a Markdown link, `[label](target)`: as Discord takes it (see
    `discord_link`), its parentheses encoded too so a program's URL cannot end the link
    early and add text of its own; None to show the label without a link."""
    link = discord_link(url)
    return None if link is None else link.replace("(", "%28").replace(")", "%29")


def fit(card: Card) -> Card:
    """Cut a card down to Discord's limits, dropping the least important parts last, and
    keep only the links Discord takes (encoded as it takes them)."""
    fields = tuple(
        f  # within its limits already, as a listing's pages are: the same field
        if 0 < len(f.name) <= EMBED_FIELD_NAME_MAX and 0 < len(f.value) <= EMBED_FIELD_VALUE_MAX
        else Field(
            truncate(f.name, EMBED_FIELD_NAME_MAX) or "\u200b",
            truncate(f.value, EMBED_FIELD_VALUE_MAX) or "\u200b",
            f.inline,
        )
        for f in card.fields[:EMBED_FIELDS_MAX]
    )
    fitted = replace(
        card,
        title=truncate(card.title, EMBED_TITLE_MAX),
        description=truncate(card.description, EMBED_DESCRIPTION_MAX),
        fields=fields,
        footer=truncate(card.footer, EMBED_FOOTER_MAX) if card.footer else None,
        url=discord_link(card.url) if card.url else None,
        links=tuple(
            (truncate(label, BUTTON_LABEL_MAX), link)
            for label, url in card.links
            if (link := discord_link(url, BUTTON_URL_MAX)) is not None
        ),
    )
    while fitted.size() > EMBED_TOTAL_MAX and fitted.fields:
        fitted = replace(fitted, fields=fitted.fields[:-1])
    if fitted.size() > EMBED_TOTAL_MAX:
        room = EMBED_TOTAL_MAX - (fitted.size() - len(fitted.description))
        fitted = replace(fitted, description=truncate(fitted.description, max(room, 1)))
    return fitted


def paginate(base: Card, fields: Sequence[Field]) -> list[Card]:
    """Spread fields over as many cards as needed, each field whole on one card; each
    card says which page it is."""
    return paged(base, [Entry(f.name, f.value, f.inline) for f in fields])


def paged(
    base: Card, pieces: Sequence[Piece], count: str | None = None, *,
    tail: str = "", per_page: int | None = None,
) -> list[Card]:  # fmt: skip
    """A list as cards: `base` on every page, the pieces spread by bot.render.pager so
    that each item is on exactly one page, never cut off. With more than one page the
    footer says which page and `count` (what the list holds: '484 talks'). `tail`:
    words ending every page's description (what to do next); `per_page`: items a page
    holds at most."""
    base = _leaving_room(fit(base), len(tail))
    reserved = len(tail) + 2 * len(LINES_GAP)
    room = Room(
        size=PAGE_BUDGET - base.size() - reserved,
        description=EMBED_DESCRIPTION_MAX - len(base.description) - reserved,
        fields=max(PAGE_FIELDS - len(base.fields), 1),
        items=per_page,
    )
    pages = paginate_items(pieces, room)
    told = "".join(f" · {part}" for part in (count, base.footer) if part)
    cards = [
        replace(
            base,
            description=LINES_GAP.join(
                part for part in (base.description, "\n".join(page.lines), tail) if part
            ),
            fields=base.fields + tuple(Field(n, v, inline) for n, v, inline in page.fields),
            footer=f"Page {i} of {len(pages)}{told}" if len(pages) > 1 else base.footer,
        )
        for i, page in enumerate(pages, start=1)
    ]
    return [fit(card) for card in cards]


def _leaving_room(base: Card, tail: int) -> Card:
    """A page's base short enough to leave a list at least PAGE_ROOM_MIN characters:
    only its description is cut (a program's 4000-character note), never an item."""
    over = base.size() + tail + PAGE_ROOM_MIN - PAGE_BUDGET
    if over <= 0 or not base.description:
        return base
    return replace(base, description=truncate(base.description,
                                              max(len(base.description) - over, 1)))  # fmt: skip


# -- times --------------------------------------------------------------------------------


def stamp(moment: datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def when(slot: Slot, tz: ZoneInfo, *, relative: bool = True) -> str:
    """'<t:…:t>–<t:…:t> (<t:…:R>) · 10:45–11:05 PDT', with ≈ for derived times."""
    mark = timefmt.APPROX if slot.approximate else ""
    local = timefmt.span(slot, tz, with_day=False).removeprefix(timefmt.APPROX)
    start = stamp(slot.start, "t" if relative else "f")
    text = f"{mark}{start}–{stamp(slot.end, 't')}"
    if relative:
        text += f" ({stamp(slot.start, 'R')})"
    return f"{text} · {mark}{local}"


def when_with_day(slot: Slot, tz: ZoneInfo) -> str:
    mark = timefmt.APPROX if slot.approximate else ""
    return f"{mark}{stamp(slot.start, 'F')} · {timefmt.span(slot, tz)}"


# -- items --------------------------------------------------------------------------------


def item_field(
    item: ProgramItem, tz: ZoneInfo, label: str, *, authors: bool = True,
    watching: Watch | None = None,
) -> Field:  # fmt: skip
    lines = [when(item.slot, tz)]
    place = escape(item_place(item))
    if place:
        lines.append(place)
    if isinstance(item, SessionTalk):
        if authors and item.talk.authors:  # community talks may name no speaker
            lines.append(f"By {escape(authors_line(item.talk.authors))}")
        if item.talk.award:
            lines.append(f"🏆 {escape(item.talk.award)}")
        if watching and (target := link_target(watching.url)):
            lines.append(f"📺 [{watching.label}]({target})")
        title: str = escape(item.title)
    else:
        assert isinstance(item, Event)
        if extra := event_extra(item):
            lines.append(escape(extra))
        title = f"{escape(item_kind(item))}: {escape(item.title)}"
    return Field(truncate(f"{label} · {title}", EMBED_FIELD_NAME_MAX), "\n".join(lines))


def _as_of(at: datetime, tz: ZoneInfo) -> str:
    local = f"{timefmt.day_label(at, tz)}, {timefmt.clock(at, tz)} {timefmt.zone(at, tz)}"
    return f"As of {stamp(at, 'f')} · {local}"


def _also_open(event: ProgramItem) -> str:
    """A background item (badge pickup) beside what is on stage."""
    return f"Also open: {escape(event.title)}" + (
        f" ({escape(event.slot.room)})" if event.slot.room else ""
    )


def _ended(conference: Conference) -> str:
    return (
        f"{escape(conference.name)} has ended. `/paper` and `/author` still find every talk;"
        f" to see it as it was, ask `/next when: {as_it_was(conference)}`."
    )


def _day_of(moment: datetime, at: datetime, tz: ZoneInfo) -> str:
    if moment.astimezone(tz).date() != at.astimezone(tz).date():
        return f" ({timefmt.day_label(moment, tz)})"
    return ""


def _where_note(where: Where) -> str:
    """How a filter value was taken ("a track, not a room"), if it was taken otherwise."""
    if where.note is None:
        return ""
    return "\n" + fill(where.note, {"found": where.found or ""}, escape)


def _ambient_lines(items: Sequence[ProgramItem], tz: ZoneInfo) -> str:
    """Background items: a line each for one or two (badge pickup), else one line."""
    if len(items) <= 2:
        return "".join(f"\n{_also_open(e)} until {stamp(e.slot.end, 't')}" for e in items)
    return "\n" + (board.also_open(items, escape, tz) or "")


def next_cards(
    answer: NextAnswer, conference: Conference, streams: Mapping[str, str] = NO_STREAMS
) -> list[Card]:
    """Cards for a few items; the compact board (a line per talk) for many."""
    tz = conference.tz
    at = answer.at
    title = f"What's next at {escape(conference.name)}{board.where_label(answer.where, escape)}"
    stamp_line = _as_of(at, tz) + _where_note(answer.where)
    if answer.phase is Phase.AFTER:
        text = f"{_ended(conference)} Thanks for coming!"
        return [fit(Card(title, f"{stamp_line}\n\n{text}", colour=GREY))]
    description = stamp_line
    footer = _derived_footer(board.shown_items(answer), conference)
    if answer.phase is Phase.BEFORE and answer.opening:
        first = answer.opening[0].slot.start
        description += (
            f"\n\n**{escape(conference.name)} opens {stamp(first, 'R')}**, {stamp(first, 'F')}."
        )
    if not answer.upcoming and not answer.next_talks:
        description += "\n\n" + _last_item(answer.where, conference)
    opening = board.opening_soon(answer.opening_soon, escape, tz, lambda m: stamp(m, "R"))
    if board.compact(answer):
        sections = board.next_sections(answer, escape, lambda m: _board_time(m, at, tz), tz)
        also = [x for x in (board.also_open(answer.ambient, escape, tz), opening) if x]
        return _board_cards(Card(title, description, footer=footer), sections, "\n".join(also))
    fields: list[Field] = []
    if answer.phase is Phase.BEFORE and answer.opening:
        fields += [item_field(i, tz, "Opens", authors=False) for i in answer.opening]
    fields += [item_field(i, tz, "On now", watching=watch_of(i, at, streams))
               for i in answer.current]  # fmt: skip
    fields += [item_field(i, tz, "Next" + _day_of(i.slot.start, at, tz))
               for i in (*answer.upcoming, *answer.soon)]  # fmt: skip
    label = "First talk" if answer.upcoming else "Next talk"
    fields += [item_field(t, tz, label + _day_of(t.slot.start, at, tz)) for t in answer.next_talks]
    description += _ambient_lines(answer.ambient, tz) + (f"\n{opening}" if opening else "")
    return paginate(Card(title, description, footer=footer), fields)


def _last_item(where: Where, conference: Conference) -> str:
    if where.any:
        return f"Nothing more{board.where_label(where, escape)} at {escape(conference.name)}."
    return f"That is the last item of {escape(conference.name)}."


def _board_time(moment: datetime, at: datetime, tz: ZoneInfo) -> str:
    """How soon a start time on the board is (with its day if not today)."""
    return f"{stamp(moment, 'R')}{_day_of(moment, at, tz)}"


# A page of the board: its lines, well under Discord's 4096 for a description.
BOARD_PAGE = 3900


def _board_cards(base: Card, sections: Sequence[board.Section], also: str | None) -> list[Card]:
    """The board's sections as descriptions, a page when the last is full; a section
    that goes on to the next page names itself again there. Every line is on one page.
    The "Also open" line stays on the first page, under its heading lines."""
    head = base.description + (f"\n{also}" if also else "")
    pages: list[list[str]] = [[]]
    size = len(head)
    for section in sections:
        heading = f"**{section.heading}**" + (f" · {section.detail}" if section.detail else "")
        lines = [f"\n{heading}", *section.lines]
        for n, line in enumerate(lines):
            cost = len(line) + 1
            if size + cost > BOARD_PAGE and pages[-1]:
                pages.append([] if n == 0 else [f"{heading} (continued)"])
                size = len(base.description) + sum(len(x) + 1 for x in pages[-1])
            pages[-1].append(line)
            size += cost
    count = len(pages)
    cards = []
    for i, page in enumerate(pages, start=1):
        top = head if i == 1 else base.description
        footer = base.footer
        if count > 1:
            footer = f"Page {i} of {count}" + (f" · {base.footer}" if base.footer else "")
        cards.append(fit(replace(base, description="\n".join([top, *page]), footer=footer)))
    return cards


def now_cards(
    answer: NowAnswer, conference: Conference, streams: Mapping[str, str] = NO_STREAMS
) -> list[Card]:
    tz = conference.tz
    at = answer.at
    title = f"On now at {escape(conference.name)}{board.where_label(answer.where, escape)}"
    description = _as_of(at, tz) + _where_note(answer.where)
    if answer.phase is Phase.BEFORE:
        description += f"\n\n{escape(conference.name)} has not started yet. Try `/next`."
    elif answer.phase is Phase.AFTER:
        description += f"\n\n{_ended(conference)}"
    elif not answer.current:
        description += "\n\nNothing is on stage right now. Try `/next`."
    footer = _derived_footer(answer.current, conference)
    if board.compact(answer):
        sections = board.now_sections(answer, escape, tz)
        also = board.also_open(answer.ambient, escape, tz)
        return _board_cards(Card(title, description, footer=footer), sections, also)
    fields = [item_field(i, tz, "On now", watching=watch_of(i, at, streams))
              for i in answer.current]  # fmt: skip
    if len(answer.ambient) <= 2:
        for e in answer.ambient:
            description += f"\n{_also_open(e)}"
    else:
        description += "\n" + (board.also_open(answer.ambient, escape, tz) or "")
    return paginate(Card(title, description, footer=footer), fields)


def _derived_footer(
    items: Sequence[ProgramItem | Session | SessionBlock], conference: Conference
) -> str | None:
    return derived_note(conference) if any(i.slot.approximate for i in items) else None


def talk_cards(
    answer: TalkAnswer,
    conference: Conference,
    now: datetime | None = None,
    streams: Mapping[str, str] = NO_STREAMS,
) -> list[Card]:
    """The talk; with `now`, a "Watch live" button while it runs, "Recording" after."""  # fmt: skip
    tz = conference.tz
    staged = answer.talk
    talk = staged.talk
    label = group_label(staged)
    description = f"**{escape(label)}**\n" if label else ""
    if talk.subtitle:
        description = f"*{escape(talk.subtitle)}*\n" + description
    description += when_with_day(talk.slot, tz)
    if talk.slot.approximate:
        description += " (approximate)"
    if talk.slot.room:
        description += f"\n📍 {escape(talk.slot.room)}"
    if talk.award:
        description += f"\n🏆 **{escape(talk.award)}**"
    fields = [
        Field(
            escape(affiliation) if affiliation else _people_word(conference),
            escape(join_names(names)),
        )
        for names, affiliation in author_groups(talk.authors)
    ]
    fields = _merge_author_fields(fields)
    if talk.page is not None:
        fields.append(Field("Proceedings", f"page {talk.page}", inline=True))
    if kind := " · ".join(escape(x) for x in (talk.kind, talk.language) if x):
        fields.append(Field("Type", kind, inline=True))
    if talk.do_not_record:
        fields.append(Field("Recording", "Not recorded (the speakers asked)", inline=True))
    if talk.abstract:
        fields.append(Field("Abstract", escape(abstract_excerpt(talk.abstract, 900))))
    if answer.runners_up:
        repeated = repeated_titles(answer)
        shown = [_listed(t, tz) if t.title.casefold() in repeated else escape(t.title)
                 for t in answer.runners_up]  # fmt: skip
        lines = ["• " + line for line in shown]
        fields.append(Field("Also close", "\n".join(lines)))
    page = _page_label(conference)
    links: tuple[tuple[str, str], ...] = ((page, talk.url),) if talk.url else ()
    if now is not None and (watching := watch_of(staged, now, streams)):
        links = ((watching.label, watching.url), *links)
    links += tuple((link.title, link.url) for link in talk.links[:4])
    footer = _derived_footer([staged], conference)
    base = Card(
        escape(talk.title),
        description,
        url=talk.url,
        colour=GOLD if talk.award else BLUE,
        footer=footer,
        links=links,
        calendar=f"p:{talk.key}",
    )
    return paginate(base, fields)


def _people_word(conference: Conference) -> str:
    """Papers have authors; talks have speakers."""
    return "Authors" if conference.is_proceedings else "Speakers"


def _page_label(conference: Conference) -> str:
    """The link button to an item's page on the conference's site."""
    return "Paper page" if conference.is_proceedings else "Talk page"


def _merge_author_fields(fields: list[Field]) -> list[Field]:
    """Long author lists (HongMeng's 15) stay readable: at most 20 affiliation fields."""
    if len(fields) <= 20:
        return fields
    rest = "; ".join(f"{f.value} ({escape(f.name)})" for f in fields[19:])
    return [*fields[:19], Field("More authors", rest)]


def author_cards(answer: AuthorAnswer, conference: Conference) -> list[Card]:
    tz = conference.tz
    if len(answer.people) == 1:
        person = answer.people[0]
        return paginate(
            Card(escape(person.name), _talks_count(person, conference)),
            _person_fields(person, tz),
        )
    title = f"{len(answer.people)} people match “{escape(answer.query)}”"
    cards: list[Card] = []
    for person in answer.people:
        cards += paginate(
            Card(title, f"**{escape(person.name)}** — {_talks_count(person, conference)}"),
            _person_fields(person, tz),
        )
    if len(cards) > 1:
        cards = [
            replace(c, footer=f"Page {i} of {len(cards)}") for i, c in enumerate(cards, start=1)
        ]
    return [fit(c) for c in cards]


def _talks_count(person: PersonTalks, conference: Conference) -> str:
    return count_of(len(person.talks), conference.item_noun)


def _person_fields(person: PersonTalks, tz: ZoneInfo) -> list[Field]:
    fields = []
    for authored in person.talks:
        talk = authored.talk
        lines = [when_with_day(talk.slot, tz), escape(item_place(talk))]
        if authored.authorship.affiliation:
            lines.append(f"as {escape(authored.authorship.affiliation)}")
        fields.append(Field(escape(talk.title), "\n".join(lines)))
    return fields


def session_cards(answer: SessionAnswer, conference: Conference) -> list[Card]:
    tz = conference.tz
    session = answer.session
    description = when_with_day(session.slot, tz)
    if session.slot.room:
        description += f"\n📍 {escape(session.slot.room)}"
    if session.chairs:
        description += f"\nChair: {escape(join_names(list(session.chairs)))}"
    description += "".join(f"\n{note}" for note in _block_notes(answer))
    pieces: list[Piece] = [Entry(f.name, f.value) for f in talk_fields(answer.talks, tz)]
    if answer.runners_up:
        pieces.append(Group("Other sessions", tuple(escape(s.title) for s in answer.runners_up)))
    footer = _derived_footer(answer.talks, conference)
    base = Card(escape(session.title), description, footer=footer, calendar=f"s:{session.key}")
    return paged(base, pieces, count_of(len(answer.talks), conference.item_noun))


def _block_notes(answer: SessionAnswer) -> list[str]:
    """Under a room's or a devroom's block: the other days it has one, and where a
    track of the same name is listed."""
    notes = []
    if answer.other_days:
        notes.append(f"Also on {weekdays(answer.other_days)}: add the day to the name.")
    if answer.also_track:
        name = escape(answer.also_track)
        notes.append(f"“{name}” is also a track: `/track` lists its talks in every room.")
    return notes


def track_cards(answer: TrackAnswer, conference: Conference) -> list[Card]:
    """A track's talks across rooms: under each day, a line per talk in time order (time,
    title, room), through the one pager, so every talk is on exactly one page."""
    tz = conference.tz
    on = f"{answer.day:%A, %B} {answer.day.day}" if answer.day else "every day"
    title = f"{escape(answer.track)} · {on}"
    lines = [f"{count_of(len(answer.talks), conference.item_noun)} in"
             f" {count_of(len(answer.rooms), 'room')}"
             + ("" if answer.day else f" on {weekdays(answer.days)}") + "."]  # fmt: skip
    if answer.other_days:
        lines.append(f"Also on {weekdays(answer.other_days)}: `/track` lists every day.")
    if answer.also_room:
        lines.append(f"“{escape(answer.track)}” is also a room: `/session` shows its day.")
    lines.append(f"Times are {conference.timezone} local time.")
    pieces: list[Piece] = []
    for day in answer.days if answer.day is None else (answer.day,):
        talks = [t for t in answer.talks if t.session.day == day]
        pieces.append(Group(f"{day:%A, %B} {day.day}", tuple(_track_line(t, tz) for t in talks)))
    footer = _derived_footer(answer.talks, conference)
    base = Card(title, "\n".join(lines), footer=footer)
    return paged(base, pieces, count_of(len(answer.talks), conference.item_noun))


def _track_line(talk: SessionTalk, tz: ZoneInfo) -> str:
    """'`10:30` Title · 📍 Room': a talk of a track, its day the heading above."""
    room = f" · 📍 {escape(talk.slot.room)}" if talk.slot.room else ""
    return f"{_short_time(talk.slot, tz)} {escape(talk.title)}{room}"


def day_cards(answer: DayAnswer, conference: Conference) -> list[Card]:
    """A day at a glance: each session or room a heading with a line per talk, other
    events a field each. A room's day longer than a field continues in the next field
    (on the next page if need be): every talk of the day is on a page, once."""
    tz = conference.tz
    day = answer.day
    starts = _short_times([item.slot for item in answer.items], tz)
    lines = _talk_lines([t for i in answer.items if isinstance(i, SessionBlock)
                         for t in i.talks], tz)  # fmt: skip
    done = 0  # talks of `lines` listed
    pieces: list[Piece] = []
    for item, start in zip(answer.items, starts, strict=True):
        if isinstance(item, SessionBlock):
            talks = lines[done : done + len(item.talks)]
            done += len(item.talks)
            heading = block_heading(item.session, with_room=False)  # the room goes below
            head = f"{start} {escape(heading)}"
            room = item.slot.room if item.session.kind is not SessionKind.ROOM_BLOCK else None
            pieces.append(Group(head, (*([f"📍 {escape(room)}"] if room else []), *talks)))
        else:
            room = f"📍 {escape(item.slot.room)}" if item.slot.room else "\u200b"
            extra = event_extra(item)
            value = room + (f"\n{escape(extra)}" if extra else "")
            kind = escape(item_kind(item))
            head = f"{start} {kind}: {escape(item.title)}"
            pieces.append(Entry(head, value))
    title = f"{escape(conference.name)} · {day:%A, %B} {day.day}"
    footer = _derived_footer(answer.items, conference)
    description = f"Times are {conference.timezone} local time."
    return paged(Card(title, description, footer=footer), pieces, _day_count(answer, conference))


def _day_count(answer: DayAnswer, conference: Conference) -> str:
    """'484 talks', or '484 talks, 12 other events': what a day's pages hold."""
    talks = sum(len(i.talks) for i in answer.items if isinstance(i, SessionBlock))
    others = sum(not isinstance(i, SessionBlock) for i in answer.items)
    told = count_of(talks, conference.item_noun)
    return told + (f", {count_of(others, 'other event')}" if others else "")


def _short_time(slot: Slot, tz: ZoneInfo) -> str:
    mark = timefmt.APPROX if slot.approximate else ""
    return f"`{mark}{timefmt.clock(slot.start, tz)}`"


def _short_times(slots: Sequence[Slot], tz: ZoneInfo) -> list[str]:
    """_short_time of each slot, each distinct start formatted once: a day of 1,500 talks
    in 100 rooms starts at a hundred or so times. Nothing is kept after the call."""
    keys = [(slot.start, slot.basis) for slot in slots]
    distinct = dict(zip(keys, slots, strict=True))  # a slot for each key
    shown = {key: _short_time(slot, tz) for key, slot in distinct.items()}
    return list(map(shown.__getitem__, keys))


def _talk_lines(talks: Sequence[SessionTalk], tz: ZoneInfo) -> list[str]:
    """'`10:45` Title' for each talk of a day's listing, all at once: the times by
    _short_times, the titles escaped in one search (escape_all)."""
    times = _short_times([talk.slot for talk in talks], tz)
    titles = escape_all([talk.title for talk in talks])
    return [f"{time} {title}" for time, title in zip(times, titles, strict=True)]


def search_cards(answer: SearchAnswer, conference: Conference) -> list[Card]:
    """Everything that matched, each kind best first: talks and sessions a line each
    (when and where), people and affiliations a field each; the first lines say how
    many matched, and whether a kind matched more than is shown."""
    tz = conference.tz
    title = f"Results for “{escape(answer.query)}”"
    if answer.empty:
        return [
            fit(
                Card(
                    title,
                    "Nothing matches. Try a title word, a surname or an affiliation.",
                    colour=GREY,
                )
            )
        ]
    pieces: list[Piece] = []
    noun = conference.item_noun
    if answer.talks:
        held = len(answer.talks) - answer.close_talks
        pieces.append(
            Group(f"{noun.capitalize()}s", tuple(_listed(t, tz) for t in answer.talks[:held]))
        )
        if answer.close_talks:  # 'trust' for 'rust': after every talk holding the words
            pieces.append(Group("Also close", tuple(_listed(t, tz) for t in answer.talks[held:])))
    pieces += [
        Entry(f"Person · {escape(p.name)}", "\n".join(f"• {escape(a.talk.title)}" for a in p.talks))
        for p in answer.people
    ]
    for a in answer.affiliations:
        people = escape(join_names(list(a.people[:8]))) + (" …" if len(a.people) > 8 else "")
        pieces.append(
            Entry(f"Affiliation · {escape(a.name)}", f"{count_of(len(a.talks), noun)}: {people}")
        )
    if answer.sessions:
        pieces.append(Group("Sessions", tuple(_listed(s, tz) for s in answer.sessions)))
    matches = f"{answer.count} {'match' if answer.count == 1 else 'matches'}"
    return paged(Card(title, search_counts(answer, noun)), pieces, matches)


def _listed(item: SessionTalk | Session, tz: ZoneInfo) -> str:
    """'`Sat 10:30` Title · Room': one line of a list that spans days."""
    mark = timefmt.APPROX if item.slot.approximate else ""
    local = item.slot.start.astimezone(tz)
    room = f" · 📍 {escape(item.slot.room)}" if item.slot.room else ""
    return f"`{mark}{local:%a} {timefmt.clock(local, tz)}` {escape(item.title)}{room}"


def about_cards(conference: Conference, version: str, size: ProgramSize) -> list[Card]:
    c = conference
    where = ", ".join(x for x in (c.venue, c.location) if x)
    description = (
        f"{c.start_date:%a %b} {c.start_date.day} – {c.end_date:%a %b} {c.end_date.day},"
        f" {c.end_date.year}"
        + (f" · {escape(where)}" if where else "")
        + f"\n{size_text(size, c.item_noun)}."
        " Times show in your own time zone,"
        f" with {escape(c.timezone)} local time beside them."
    )
    data = " ".join(x for x in (c.source, c.derived_note and derived_note(c)) if x)
    fields = [
        Field("Data", escape(data)),
        Field(
            "Commands",
            "`/next [when]` what's next · `/now` on stage now\n"
            "`/paper` `/author` `/session` find talks (typos are fine)\n"
            "`/track` a track across rooms · `/schedule` a day at a glance\n"
            "`/search` everything",
        ),
    ]
    return [
        fit(
            Card(
                escape(conference_title(c)),
                description,
                fields=tuple(fields),
                footer=f"confbot {version}",
            )
        )
    ]


def no_match_message(answer: NoMatch, hint: str | None = None) -> str:
    """The short ephemeral answer when nothing matches, with suggestions."""
    text = f"No {answer.what} matches “{escape(truncate(answer.query, TYPED_SHOWN_MAX))}”."
    if answer.suggestions:
        text += "\nDid you mean:\n" + "\n".join(f"• {escape(s)}" for s in answer.suggestions)
    else:
        text += " " + (hint or "Try fewer words, or `/search`.")
    return text


# -- reminders and announcements ----------------------------------------------------------


def _lead(start: datetime, now: datetime) -> str:
    """'Starts in 10 min', or 'Started 3 min ago' for a delivery that is late."""
    if now >= start:
        return f"Started {timefmt.relative(start, now)} (sent late)"
    return f"Starts {timefmt.relative(start, now)}"


def reminder_card(
    item: SessionTalk | Session,
    conference: Conference,
    now: datetime,
    talks: Sequence[SessionTalk] = (),
) -> Card:
    """The DM before a talk or a session (with the session's talks)."""
    tz = conference.tz
    description = f"**{_lead(item.slot.start, now)}** · {when_with_day(item.slot, tz)}"
    if item.slot.room:
        description += f"\n📍 {escape(item.slot.room)}"
    if isinstance(item, SessionTalk) and (label := group_label(item)):
        session = "Session" if item.session.kind is not SessionKind.ROOM_BLOCK else "Track"
        description += f"\n{session}: {escape(label)}"
        fields = [Field(_people_word(conference), escape(authors_line(item.talk.authors)))]
        url = item.talk.url
    else:
        fields = talk_fields(talks, tz)
        url = None
    page = _page_label(conference)
    links = ((page, url),) if url else ()
    footer = _derived_footer([item], conference)
    card = Card(f"⏰ {escape(item.title)}", description, url=url, colour=GREEN,
                fields=tuple(fields), footer=footer, links=links)  # fmt: skip
    return fit(card)


def talk_fields(
    talks: Sequence[SessionTalk], tz: ZoneInfo, *, relative: bool = True
) -> list[Field]:
    """A session's talks, one field each: when, and by whom."""
    return [
        Field(
            escape(t.title),
            f"{when(t.slot, tz, relative=relative)}\n{escape(authors_line(t.talk.authors))}",
        )
        for t in talks
    ]


def announcement_card(
    session: Session, talks: Sequence[SessionTalk], conference: Conference, now: datetime
) -> Card:
    tz = conference.tz
    description = f"**{_lead(session.slot.start, now)}** · {when_with_day(session.slot, tz)}"
    if session.slot.room:
        description += f"\n📍 {escape(session.slot.room)}"
    fields = tuple(talk_fields(talks, tz, relative=False))
    footer = _derived_footer(talks, conference)
    return fit(Card(f"📣 {escape(session.title)}", description, fields=fields, footer=footer))


def talk_start_text(
    talk: SessionTalk, conference: Conference, now: datetime,
    streams: Mapping[str, str] = NO_STREAMS,
) -> str:  # fmt: skip
    tz = conference.tz
    room = f" in {escape(talk.slot.room)}" if talk.slot.room else ""
    names = [a.name for a in talk.talk.authors]
    by = escape(join_names(names[:3])) + (" et al." if len(names) > 3 else "")
    late = f" (started {timefmt.relative(talk.slot.start, now)})" if now > talk.slot.start else ""
    watching = watch_of(talk, max(now, talk.slot.start), streams)
    target = link_target(watching.url) if watching else None
    live = f" · 📺 [{watching.label}](<{target}>)" if watching and target else ""
    return truncate(
        f"▶️ Now{room}: **{escape(talk.title)}** — {by} · {stamp(talk.slot.start, 't')}{late}"
        f" ({timefmt.time_of(talk.slot, tz)}){live}",
        MESSAGE_MAX,
    )


def change_line(change: RecordedChange, tz: ZoneInfo) -> str:
    """'**Title** — moved: <time>, Ballroom → <time>, Hall B', each time a Discord
    timestamp followed by the conference's local time."""

    def where(place: Place) -> str:
        slot = slot_of(place)
        text = f"{stamp(slot.start, 'f')} ({timefmt.span(slot, tz, with_day=True)})"
        return text + (f", {escape(slot.room)}" if slot.room else "")

    return f"**{escape(change.title)}** — {what_changed(change, where, escape)}"


def changes_cards(
    changes: Sequence[RecordedChange], conference: Conference, title: str, dated: bool = False
) -> list[Card]:
    """Change lines, a page per card when there are many, each change on one of them.
    `dated` (/changes, where versions of several days meet): each version's changes
    under the time it came, that heading repeated on a page that starts amid them."""
    tz = conference.tz
    if not dated:
        pieces: list[Piece] = [Line(f"• {change_line(c, tz)}") for c in changes]
    else:
        pieces = [
            Section(version_heading(group[0].applied_ts, tz),
                    tuple(f"• {change_line(c, tz)}" for c in group))
            for _, found in groupby(changes, key=lambda c: c.sync_id)
            if (group := list(found))
        ]  # fmt: skip
    return paged(Card(title, colour=GOLD), pieces, count_of(len(changes), "change"))


def notice_card(changes: Sequence[RecordedChange], conference: Conference, title: str) -> Card:
    """A person's own changes in one DM (a notice is one message, sent once): as many
    lines as fit on a page, then how many more there are and where to read them all,
    so no change goes unmentioned."""
    lines = [f"• {change_line(c, conference.tz)}" for c in changes]
    shown, size = 0, 0
    for line in lines:
        if size + len(line) + 1 > PAGE_BUDGET:
            break
        shown, size = shown + 1, size + len(line) + 1
    shown = max(shown, 1)  # a first line too long is cut within itself by fit
    more = len(lines) - shown
    tail = [f"…and {more} more: `/changes` lists every change."] if more else []
    return fit(Card(title, description="\n".join(lines[:shown] + tail), colour=GOLD))


def version_heading(applied_ts: int, tz: ZoneInfo) -> str:
    """'🕒 Version of Wed Jul 10, 11:02 PDT (<t:…:R>)': when a new version came, in the
    conference's zone, and how long ago in the reader's."""
    at = datetime.fromtimestamp(applied_ts, UTC)
    local = f"{timefmt.day_label(at, tz)}, {timefmt.clock(at, tz)} {timefmt.zone(at, tz)}"
    return f"🕒 **Version of {local}** ({stamp(at, 'R')})"


def cancelled_card(gone: CancelledTalk, conference: Conference) -> Card:
    """A talk looked up after a version removed it: that it is cancelled and since when
    first, then when and where it was to be, and any talk still on that matches too."""
    tz = conference.tz
    came = gone.cancelled_at
    lines = [
        f"**Cancelled**: taken out of the program {stamp(came, 'R')}, in the version of"
        f" {timefmt.day_label(came, tz)}, {timefmt.clock(came, tz)} {timefmt.zone(came, tz)}.",
        f"It was to be {when_with_day(gone.was, tz)}"
        + (f", 📍 {escape(gone.was.room)}" if gone.was.room else "")
        + ".",
        "`/changes` lists every change to the program.",
    ]
    fields = tuple(Field(escape(t.title), when(t.slot, tz) + (f" · 📍 {escape(t.slot.room)}"
                                                             if t.slot.room else ""))
                   for t in gone.others)  # fmt: skip
    if fields:
        lines.append("\nStill on, with a title like it:")
    return fit(Card(f"❌ {escape(gone.title)}", "\n".join(lines), colour=GREY, fields=fields))


def _stream_shown(url: str) -> str:
    """A room's stream in /status: the link, or the text an organiser set and why no one
    sees it (a stream set before links were checked as Discord checks them)."""
    target = link_target(url)
    return f"<{target}>" if target else f"{escape(url)} (not shown: Discord refuses this link)"


def qa_thread_name(talk: SessionTalk) -> str:
    """A forum post's title: the talk's as written (Discord allows 100 characters, and
    shows no Markdown in channel names, so nothing is escaped here)."""
    return truncate(talk.title, THREAD_NAME_MAX)


def correction_text(talk: SessionTalk, was: Place, conference: Conference) -> str:
    """The line a room's channel gets when the talk on there moves or is delayed: what
    is new first ('now starts 10:05, 5 min later', 'moved to Hall B'), then what it was."""
    tz = conference.tz
    slot, before = talk.slot, slot_of(was)
    said = []
    if slot.room != before.room:
        said.append(f"moved to {escape(slot.room)}" if slot.room else "moved out of this room")
    if slot.start != before.start:
        minutes = round((slot.start - before.start).total_seconds() / 60)
        later = timefmt.relative(slot.start, before.start).removeprefix("in ").removesuffix(" ago")
        moment = (timefmt.clock(slot.start, tz) if slot.start.astimezone(tz).date()
                  == before.start.astimezone(tz).date() else timefmt.span(slot, tz))  # fmt: skip
        said.append(f"now starts {moment} ({stamp(slot.start, 't')}), {later}"
                    f" {'later' if minutes > 0 else 'earlier'}")  # fmt: skip
    elif slot.end != before.end:
        said.append(f"now ends {timefmt.clock(slot.end, tz)} ({stamp(slot.end, 't')})")
    old_room = f", {escape(before.room)}" if before.room and before.room != slot.room else ""
    return truncate(
        f"⚠️ Correction: **{escape(talk.title)}** {' and '.join(said)}"
        f" (was {timefmt.span(before, tz, with_day=False)}{old_room}).",
        MESSAGE_MAX,
    )


def thread_moved_text(talk: SessionTalk, was: Place, conference: Conference) -> str:
    """The line a talk's Q&A thread gets when the talk moves: where and when now first,
    then what it was."""
    tz = conference.tz
    slot, before = talk.slot, slot_of(was)
    room = f", 📍 {escape(slot.room)}" if slot.room else ""
    old_room = f", {escape(before.room)}" if before.room and before.room != slot.room else ""
    return truncate(
        f"🕒 **This talk moved**: now {when_with_day(slot, tz)}{room}"
        f" (was {timefmt.span(before, tz)}{old_room}).",
        MESSAGE_MAX,
    )


def qa_card(talk: SessionTalk, conference: Conference) -> Card:
    """The first message of a talk's Q&A thread: what, who, when, where, and how to ask."""
    tz = conference.tz
    item = talk.talk
    lines = []
    if item.authors:
        lines.append(f"By {escape(authors_line(item.authors))}")
    lines.append(when_with_day(item.slot, tz) + (" (approximate)" if item.slot.approximate else ""))
    if item.slot.room:
        lines.append(f"📍 {escape(item.slot.room)}")
    if item.abstract:
        lines.append("\n" + escape(abstract_excerpt(item.abstract, 300)))
    lines.append(
        "\nPress **Ask a question** (or use `/ask` here): each question is posted on its own"
        " so people can vote with 👍. The chair sees them ranked with `/questions`."
    )
    links: tuple[tuple[str, str], ...] = ((_page_label(conference), item.url),) if item.url else ()
    links += tuple((link.title, link.url) for link in item.links[:3])
    return fit(Card(f"💬 {escape(talk.title)}", "\n".join(lines), url=item.url, links=links,
                    ask=True))  # fmt: skip


def question_text(asker: str, question: str) -> str:
    """A question as posted in its thread: who asks (escaped, never a ping), and what."""
    return truncate(f"❓ **{escape(asker)}** asks:\n{escape(question)}", MESSAGE_MAX)


def questions_text(ranked: Sequence[tuple[int, str, str]], title: str) -> str:
    """/questions: (votes, asker's question line, jump URL), most votes first."""
    if not ranked:
        return f"No questions yet for **{escape(title)}**."
    lines = [f"Questions for **{escape(title)}**, most 👍 first:"]
    for rank, (votes, text, url) in enumerate(ranked[:20], start=1):
        jump = f" ([jump]({target}))" if (target := link_target(url)) else ""
        lines.append(f"{rank}. {votes} 👍 · {truncate(text, 150)}{jump}")
    return truncate("\n".join(lines), MESSAGE_MAX)


CONFERENCES_PER_PAGE = 10


def conference_list_cards(lines: Sequence[str], tips: str) -> list[Card]:
    """The conferences offered where the person asks, ten to a page (a bot may serve a
    hundred), each page ending with what to do next."""
    title = "Conferences here"
    found = paged(Card(title), [Line(line) for line in lines],
                  count_of(len(lines), "conference"), tail=tips,
                  per_page=CONFERENCES_PER_PAGE)  # fmt: skip
    count = len(found)
    if count == 1:
        return found
    return [replace(card, title=f"{title} ({n}/{count})") for n, card in enumerate(found, 1)]


def reminded_text(reminded: Reminded, reach: str = "") -> str:
    """/remind's answer: when the DM will come. `reach`: what the person must allow for
    it to reach them, if anything."""
    due, start = int(reminded.due.timestamp()), int(reminded.start.timestamp())
    when = ("right away: it starts sooner than that" if reminded.right_away
            else f"<t:{due}:F> (<t:{due}:R>)")  # fmt: skip
    return say(
        f"⏰ I'll DM you about **{{title}}** {when}, {reminded.minutes_before} min before it"
        f" starts at <t:{start}:t>.{reach} `/agenda` lists yours.",
        title=reminded.title,
    )


def too_late_error(too_late: TooLate, tz: ZoneInfo) -> QueryError:
    """/remind for an item that has started: the error that says so, with its times."""
    state = "ended" if too_late.ended else "already started"
    return QueryError(
        f"“{{title}}” {state} ({timefmt.span(too_late.slot, tz)}),"
        " so there is nothing to remind you of.",
        title=too_late.title,
    )


def agenda_cards(lines: Sequence[AgendaLine], conference: Conference) -> list[Card]:
    tz = conference.tz
    title = f"Your agenda at {escape(conference.name)}"
    if not lines:
        text = "You have no reminders. Use `/remind` with a talk or a session to add one."
        return [fit(Card(title, text, colour=GREY))]
    fields: list[Piece] = []
    for line in lines:
        reminder = (
            "✅ Reminded" if line.status == "done" else f"Reminder {line.minutes_before} min before"
        )
        value = f"{when_with_day(line.slot, tz)}\n{reminder}"
        if line.slot.room:
            value += f" · 📍 {escape(line.slot.room)}"
        if line.status == "failed":
            value += "\n⚠️ Could not be delivered: your DMs are closed to this server."
        if line.clashes:
            value += "\n⚠️ Clashes with: " + "; ".join(map(escape, line.clashes))
        fields.append(Entry(escape(line.title), value))
    clashes = sum(bool(line.clashes) for line in lines)
    description = f"{count_of(len(lines), 'item')} you follow, in time order, until each ends."
    if clashes:
        description += f" ⚠️ {clashes} overlap another item: you cannot be in two rooms at once."
    return paged(Card(title, description), fields, count_of(len(lines), "item"))


@dataclass(frozen=True, slots=True)
class StatusReport:
    channel_id: int | None
    minutes_before: int | None
    per_talk: bool
    enabled: bool
    disabled_reason: str | None
    next_due: datetime | None
    program_loaded: datetime
    talks: int
    sessions: int
    reminders_active: int
    deliveries: dict[str, int]
    # Conference day: (room, channel id, disabled reason or None), and room -> stream.
    room_channels: tuple[tuple[str, int, str | None], ...] = ()
    streams: tuple[tuple[str, str], ...] = ()
    source: str | None = None  # how following the program source goes (source_text)
    qa_forum: int | None = None  # the forum of Q&A threads, if /qa channel was used
    qa_disabled: str | None = None  # why Q&A was turned off, if it was
    # The deliveries in words, a line per kind (common.delivery_lines), and the file or
    # address the program is followed from.
    delivery_lines: tuple[str, ...] = ()
    follows: str | None = None
    size: ProgramSize | None = None  # the talks by what the blocks are (None: sessions)


def status_report(status: ServerStatus, source: str | None = None) -> StatusReport:
    """The card's view of a server's status (`source`: see source_text)."""
    config = status.announcements
    program = status.program
    assert program is not None and program.loaded is not None, "a served program is loaded"
    return StatusReport(
        channel_id=config.channel_id if config else None,
        minutes_before=config.minutes_before if config else None,
        per_talk=bool(config and config.per_talk),
        enabled=bool(config and config.enabled),
        disabled_reason=config.disabled_reason if config else None,
        next_due=status.next_due,
        program_loaded=program.loaded,
        talks=program.talks,
        sessions=program.sessions,
        reminders_active=status.reminders_active,
        deliveries={state.value: n for state, n in status.deliveries.items()},
        room_channels=tuple((r.room, r.channel_id, r.off_because) for r in status.room_channels),
        streams=status.streams,
        source=source,
        qa_forum=status.qa.forum_id if status.qa else None,
        qa_disabled=status.qa.off_because if status.qa else None,
        delivery_lines=tuple(delivery_lines(status.by_kind)),
        follows=program.follows,
        size=program.size,
    )


def source_text(
    *,
    checked: datetime | None,
    changed: datetime | None,
    changes: int,
    error: str | None,
    failures: int,
    held: str | None = None,
) -> str:
    """The program source in /status: when it was checked, its last change, failures."""
    lines = [f"Checked {stamp(checked, 'R')}" if checked else "Not checked yet"]
    if changed:
        lines.append(
            f"Last new version {stamp(changed, 'R')} ({count_of(changes, 'talk')} changed)"
        )
    if error:
        lines.append(f"⚠️ {failures} failed check(s), serving the last good version: "
                     f"{escape(truncate(error, 300))}")  # fmt: skip
    if held:
        lines.append(f"⏸️ A new version is held: {escape(truncate(held, 300))}."
                     " `/program apply` takes it, `/program discard` drops it.")  # fmt: skip
    return "\n".join(lines)


def _follows(where: str | None) -> str | None:
    """'Follows `https://…/schedule.xml`': as written, in code so no address or path is
    read as formatting or made a link (the organiser knows it; no need to click)."""
    if where is None:
        return None
    shown = truncate(where.replace("`", "'"), 300)
    return f"Follows `{shown}`"


def status_card(report: StatusReport, conference: Conference) -> Card:
    tz = conference.tz
    if report.channel_id is None:
        announce = "Off. Use `/announce channel` to post each session before it starts."
    elif not report.enabled:
        announce = f"⚠️ Disabled: {report.disabled_reason}. Run `/announce channel` again to resume."
    else:
        announce = (
            f"On in <#{report.channel_id}>, {report.minutes_before} min before each session"
            + (", and a line as each talk starts" if report.per_talk else "")
        )
    next_due = (
        f"{stamp(report.next_due, 'F')} ({stamp(report.next_due, 'R')})"
        if report.next_due
        else "nothing scheduled"
    )
    counts = "\n".join(escape(line) for line in report.delivery_lines) or "none yet"
    size = report.size or ProgramSize(report.talks, report.sessions)
    loaded = report.program_loaded
    fields: tuple[Field, ...] = (
        Field("Announcements", announce),
        Field("Next announcement", next_due),
        Field("Program", f"{size_text(size, conference.item_noun)}, loaded"
              f" {stamp(loaded, 'F')} ({timefmt.day_label(loaded, tz)}, {timefmt.clock(loaded, tz)}"
              f" {timefmt.zone(loaded, tz)})"),
        Field("Reminders set in this server", str(report.reminders_active)),
        Field("Announcement deliveries", truncate(counts, EMBED_FIELD_VALUE_MAX)),
    )  # fmt: skip
    if report.room_channels:
        lines = [f"{escape(room)} → <#{channel}>" if reason is None
                 else f"⚠️ {escape(room)}: off ({escape(reason)}); `/announce room` again resumes"
                 for room, channel, reason in report.room_channels]  # fmt: skip
        fields += (Field("Room channels", truncate("\n".join(lines), EMBED_FIELD_VALUE_MAX)),)
    source = [x for x in (_follows(report.follows), report.source) if x is not None]
    if source:
        fields += (Field("Program source", truncate("\n".join(source), EMBED_FIELD_VALUE_MAX)),)
    if report.qa_forum is not None:
        qa = (f"⚠️ Off: {escape(report.qa_disabled)}. Run `/qa channel` again to resume."
              if report.qa_disabled else f"A thread per talk in <#{report.qa_forum}>")  # fmt: skip
        fields += (Field("Q&A threads", qa),)
    if report.streams:
        lines = [f"{escape(room)}: {_stream_shown(url)}" for room, url in report.streams]
        fields += (Field("Live streams", truncate("\n".join(lines), EMBED_FIELD_VALUE_MAX)),)
    colour = GOLD if report.channel_id is not None and not report.enabled else BLUE
    return fit(Card(f"confbot status · {escape(conference.name)}", fields=fields, colour=colour))
