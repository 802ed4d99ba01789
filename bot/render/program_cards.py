"""Cards that answer attendees' lookups and say what's on: /next and /now (cards for a
few items, the compact board for many), a talk, a person, a session, a track, a day,
/search, /about, a cancelled talk, no match, and the conferences offered here.

The card itself, its limits and pages are bot.render.cards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import ENGLISH, N_, Language, Words
from bot.model import Conference, Event, Session, SessionKind, Slot
from bot.render import board, timefmt
from bot.render.cards import (
    BLUE,
    GOLD,
    GREY,
    Card,
    Field,
    derived_footer,
    fit,
    link_target,
    page_footer,
    page_label,
    paged,
    paginate,
    people_word,
    stamp,
    talk_fields,
    truncate,
    when,
    when_with_day,
)
from bot.render.common import (
    abstract_excerpt,
    as_it_was,
    author_groups,
    authors_line,
    block_heading,
    conference_title,
    derived_note,
    event_extra,
    group_label,
    item_kind,
    item_place,
    items_count,
    join_names,
    others_count,
    repeated_titles,
    search_counts,
    session_title,
    size_text,
    source_text,
    watch_of,
    weekdays,
)
from bot.render.limits import EMBED_FIELD_NAME_MAX, TYPED_SHOWN_MAX
from bot.render.markdown import escape, escape_all
from bot.render.pager import Entry, Group, Line, Piece
from bot.service.cancelled import CancelledTalk
from bot.service.languages import language_label
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
from bot.service.watch import NO_STREAMS, Watch
from bot.template import fill

# -- items --------------------------------------------------------------------------------


def item_field(
    item: ProgramItem, tz: ZoneInfo, label: str, *, authors: bool = True,
    watching: Watch | None = None, w: Words = ENGLISH,
) -> Field:  # fmt: skip
    lines = [when(item.slot, tz, w=w)]
    place = escape(item_place(item))
    if place:
        lines.append(place)
    if isinstance(item, SessionTalk):
        if authors and item.talk.authors:  # community talks may name no speaker
            lines.append(w.tr("By {names}", names=escape(authors_line(item.talk.authors, w))))
        if item.talk.award:
            lines.append(f"🏆 {escape(item.talk.award)}")
        if watching and (target := link_target(watching.url)):
            lines.append(f"📺 [{w.tr(watching.label)}]({target})")
        title: str = escape(item.title)
    else:
        assert isinstance(item, Event)
        if extra := event_extra(item, w):
            lines.append(escape(extra))
        title = f"{escape(item_kind(item, w))}: {escape(item.title)}"
    return Field(truncate(f"{label} · {title}", EMBED_FIELD_NAME_MAX), "\n".join(lines))


def _as_of(at: datetime, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    local = w.tr("{day}, {time}", day=w.day_label(at, tz), time=w.clock(at, tz))
    return w.tr("As of {moment} · {local}", moment=stamp(at, "f"),
                local=f"{local} {timefmt.zone(at, tz)}")  # fmt: skip


def _also_open(event: ProgramItem, w: Words = ENGLISH) -> str:
    """A background item (badge pickup) beside what is on stage."""
    room = f" ({escape(event.slot.room)})" if event.slot.room else ""
    return w.tr("Also open: {title}", title=escape(event.title) + room)


def _ended(conference: Conference, w: Words = ENGLISH) -> str:
    return w.tr(
        "{conference} has ended. `/paper` and `/author` still find every talk; to see it as"
        " it was, ask `/next when: {moment}`.",
        conference=escape(conference.name), moment=as_it_was(conference, w),
    )  # fmt: skip


def _day_of(moment: datetime, at: datetime, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    if moment.astimezone(tz).date() != at.astimezone(tz).date():
        return f" ({w.day_label(moment, tz)})"
    return ""


def _where_note(where: Where, w: Words = ENGLISH) -> str:
    """How a filter value was taken ("a track, not a room"), if it was taken otherwise."""
    if where.note is None:
        return ""
    return "\n" + fill(w.tr(where.note), {"found": where.found or ""}, escape)


def _ambient_lines(items: Sequence[ProgramItem], tz: ZoneInfo, w: Words = ENGLISH) -> str:
    """Background items: a line each for one or two (badge pickup), else one line."""
    if len(items) <= 2:
        return "".join("\n" + w.tr("{item} until {time}", item=_also_open(e, w),
                                   time=stamp(e.slot.end, "t"))
                       for e in items)  # fmt: skip
    return "\n" + (board.also_open(items, escape, tz, w) or "")


def next_cards(
    answer: NextAnswer, conference: Conference, streams: Mapping[str, str] = NO_STREAMS,
    w: Words = ENGLISH,
) -> list[Card]:  # fmt: skip
    """Cards for a few items; the compact board (a line per talk) for many."""
    tz = conference.tz
    at = answer.at
    title = w.tr("What's next at {conference}", conference=escape(conference.name))
    title += board.where_label(answer.where, escape, w)
    stamp_line = _as_of(at, tz, w) + _where_note(answer.where, w)
    if answer.phase is Phase.AFTER:
        text = _ended(conference, w) + " " + w.tr("Thanks for coming!")
        return [fit(Card(title, f"{stamp_line}\n\n{text}", colour=GREY, language=w.language))]
    description = stamp_line
    footer = derived_footer(board.shown_items(answer), conference, w)
    if answer.phase is Phase.BEFORE and answer.opens is not None:
        first = answer.opens
        description += "\n\n" + w.tr("**{conference} opens {soon}**, {moment}.",
                                      conference=escape(conference.name),
                                      soon=stamp(first, "R"), moment=stamp(first, "F"))  # fmt: skip
    if not answer.upcoming and not answer.next_talks:
        description += "\n\n" + _last_item(answer.where, conference, w)
    opening = board.opening_soon(answer.opening_soon, escape, tz, lambda m: stamp(m, "R"), w)
    if board.compact(answer):
        sections = board.next_sections(answer, escape, lambda m: _board_time(m, at, tz, w), tz,
                                       w=w)  # fmt: skip
        also = [x for x in (board.also_open(answer.ambient, escape, tz, w), opening) if x]
        count = _listed_count(board.shown_items(answer), conference, w)
        base = Card(title, description, footer=footer)
        return _board_cards(base, sections, "\n".join(also), count, w)
    fields: list[Field] = []
    opens = board.opening_listed(answer)
    fields += [item_field(i, tz, w.tr("Opens"), authors=False, w=w) for i in opens]
    fields += [item_field(i, tz, w.tr("On now"), watching=watch_of(i, at, streams), w=w)
               for i in answer.current]  # fmt: skip
    fields += [item_field(i, tz, w.tr("Next") + _day_of(i.slot.start, at, tz, w), w=w)
               for i in (*answer.upcoming, *answer.soon)]  # fmt: skip
    label = w.tr("First talk") if answer.upcoming else w.tr("Next talk")
    fields += [item_field(t, tz, label + _day_of(t.slot.start, at, tz, w), w=w)
               for t in answer.next_talks]  # fmt: skip
    description += _ambient_lines(answer.ambient, tz, w) + (f"\n{opening}" if opening else "")
    listed = [*opens, *board.shown_items(answer)]
    return _counted(Card(title, description, footer=footer), fields, listed, conference, w)


def _listed_count(items: Sequence[ProgramItem], conference: Conference, w: Words = ENGLISH) -> str:
    """'47 talks', or '47 talks, 2 other events': what /next's or /now's pages list one
    by one, told beside the page counter as every other list tells it."""
    talks = sum(isinstance(i, SessionTalk) for i in items)
    others = len(items) - talks
    told = items_count(talks, conference, w)
    return told + (f", {others_count(others, w)}" if others else "")


def _counted(
    base: Card, fields: Sequence[Field], items: Sequence[ProgramItem], conference: Conference,
    w: Words = ENGLISH,
) -> list[Card]:  # fmt: skip
    """/next's or /now's cards for a few items, paged as every list is, with its count."""
    entries = [Entry(f.name, f.value, f.inline) for f in fields]
    return paged(base, entries, _listed_count(items, conference, w), w=w)


def _last_item(where: Where, conference: Conference, w: Words = ENGLISH) -> str:
    if where.any:
        return w.tr("Nothing more{where} at {conference}.",
                    where=board.where_label(where, escape, w),
                    conference=escape(conference.name))  # fmt: skip
    return w.tr("That is the last item of {conference}.", conference=escape(conference.name))


def _board_time(moment: datetime, at: datetime, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    """How soon a start time on the board is (with its day if not today)."""
    return f"{stamp(moment, 'R')}{_day_of(moment, at, tz, w)}"


# A page of the board: its lines, well under Discord's 4096 for a description.
BOARD_PAGE = 3900


def _board_cards(
    base: Card, sections: Sequence[board.Section], also: str | None, count: str,
    w: Words = ENGLISH,
) -> list[Card]:  # fmt: skip
    """The board's sections as descriptions, a page when the last is full; a section
    that goes on to the next page names itself again there. Every line is on one page.
    The "Also open" line stays on the first page, under its heading lines. With more
    than one page the footer says which and `count` (what the board lists: '47 talks')."""
    head = base.description + (f"\n{also}" if also else "")
    pages: list[list[str]] = [[]]
    size = len(head)
    for section in sections:
        heading = f"**{section.heading}**" + (f" · {section.detail}" if section.detail else "")
        lines = [f"\n{heading}", *section.lines]
        for n, line in enumerate(lines):
            cost = len(line) + 1
            if size + cost > BOARD_PAGE and pages[-1]:
                pages.append([] if n == 0 else [w.tr("{heading} (continued)", heading=heading)])
                size = len(base.description) + sum(len(x) + 1 for x in pages[-1])
            pages[-1].append(line)
            size += cost
    cards = []
    for i, page in enumerate(pages, start=1):
        top = head if i == 1 else base.description
        footer = base.footer
        if len(pages) > 1:
            told = "".join(f" · {part}" for part in (count, base.footer) if part)
            footer = page_footer(i, len(pages), told, w)
        cards.append(fit(replace(base, description="\n".join([top, *page]), footer=footer,
                                 language=w.language)))  # fmt: skip
    return cards


def now_cards(
    answer: NowAnswer, conference: Conference, streams: Mapping[str, str] = NO_STREAMS,
    w: Words = ENGLISH,
) -> list[Card]:  # fmt: skip
    tz = conference.tz
    at = answer.at
    title = w.tr("On now at {conference}", conference=escape(conference.name))
    title += board.where_label(answer.where, escape, w)
    description = _as_of(at, tz, w) + _where_note(answer.where, w)
    if answer.phase is Phase.BEFORE:
        description += "\n\n" + w.tr("{conference} has not started yet. Try `/next`.",
                                      conference=escape(conference.name))  # fmt: skip
    elif answer.phase is Phase.AFTER:
        description += f"\n\n{_ended(conference, w)}"
    elif not answer.current:
        description += "\n\n" + w.tr("Nothing is on stage right now. Try `/next`.")
    footer = derived_footer(answer.current, conference, w)
    if board.compact(answer):
        sections = board.now_sections(answer, escape, tz, w=w)
        also = board.also_open(answer.ambient, escape, tz, w)
        count = _listed_count(board.shown_items(answer), conference, w)
        return _board_cards(Card(title, description, footer=footer), sections, also, count, w)
    fields = [item_field(i, tz, w.tr("On now"), watching=watch_of(i, at, streams), w=w)
              for i in answer.current]  # fmt: skip
    if len(answer.ambient) <= 2:
        for e in answer.ambient:
            description += f"\n{_also_open(e, w)}"
    else:
        description += "\n" + (board.also_open(answer.ambient, escape, tz, w) or "")
    return _counted(Card(title, description, footer=footer), fields, answer.current, conference,
                    w)  # fmt: skip


def talk_cards(
    answer: TalkAnswer,
    conference: Conference,
    now: datetime | None = None,
    streams: Mapping[str, str] = NO_STREAMS,
    w: Words = ENGLISH,
) -> list[Card]:
    """The talk; with `now`, a "Watch live" button while it runs, "Recording" after."""  # fmt: skip
    tz = conference.tz
    staged = answer.talk
    talk = staged.talk
    label = group_label(staged)
    description = f"**{escape(label)}**\n" if label else ""
    if talk.subtitle:
        description = f"*{escape(talk.subtitle)}*\n" + description
    description += when_with_day(talk.slot, tz, w)
    if talk.slot.approximate:
        description += " " + w.tr("(approximate)")
    if talk.slot.room:
        description += f"\n📍 {escape(talk.slot.room)}"
    if talk.award:
        description += f"\n🏆 **{escape(talk.award)}**"
    fields = [
        Field(
            escape(affiliation) if affiliation else people_word(conference, w),
            escape(join_names(names, w)),
        )
        for names, affiliation in author_groups(talk.authors)
    ]
    fields = _merge_author_fields(fields, w)
    if talk.page is not None:
        fields.append(Field(w.tr("Proceedings"), w.tr("page {page}", page=talk.page),
                            inline=True))  # fmt: skip
    # The language as a word of the reader's language ('German', 'allemand'), no flag.
    language = language_label(talk.language, w.language.value) if talk.language else None
    if kind := " · ".join(escape(x) for x in (talk.kind, language) if x):
        fields.append(Field(w.tr("Type"), kind, inline=True))
    if talk.do_not_record:
        fields.append(Field(w.tr("Recording"), w.tr("Not recorded (the speakers asked)"),
                            inline=True))  # fmt: skip
    if talk.abstract:
        fields.append(Field(w.tr("Abstract"), escape(abstract_excerpt(talk.abstract, 900))))
    if answer.runners_up:
        repeated = repeated_titles(answer)
        shown = [_listed(t, tz, w) if t.title.casefold() in repeated else escape(t.title)
                 for t in answer.runners_up]  # fmt: skip
        lines = ["• " + line for line in shown]
        fields.append(Field(w.tr("Also close"), "\n".join(lines)))
    page = page_label(conference, w)
    links: tuple[tuple[str, str], ...] = ((page, talk.url),) if talk.url else ()
    if now is not None and (watching := watch_of(staged, now, streams)):
        links = ((w.tr(watching.label), watching.url), *links)
    links += tuple((link.title, link.url) for link in talk.links[:4])
    footer = derived_footer([staged], conference, w)
    base = Card(
        escape(talk.title),
        description,
        url=talk.url,
        colour=GOLD if talk.award else BLUE,
        footer=footer,
        links=links,
        calendar=f"p:{talk.key}",
    )
    return paginate(base, fields, w)


def _merge_author_fields(fields: list[Field], w: Words = ENGLISH) -> list[Field]:
    """Long author lists (HongMeng's 15) stay readable: at most 20 affiliation fields."""
    if len(fields) <= 20:
        return fields
    rest = "; ".join(f"{f.value} ({escape(f.name)})" for f in fields[19:])
    return [*fields[:19], Field(w.tr("More authors"), rest)]


def author_cards(answer: AuthorAnswer, conference: Conference, w: Words = ENGLISH) -> list[Card]:
    tz = conference.tz
    if len(answer.people) == 1:
        person = answer.people[0]
        return paginate(
            Card(escape(person.name), _talks_count(person, conference, w)),
            _person_fields(person, tz, w),
            w,
        )
    title = w.tr("{count} people match “{query}”", count=len(answer.people),
                 query=escape(answer.query))  # fmt: skip
    cards: list[Card] = []
    for person in answer.people:
        cards += paginate(
            Card(title, f"**{escape(person.name)}** — {_talks_count(person, conference, w)}"),
            _person_fields(person, tz, w),
            w,
        )
    if len(cards) > 1:
        cards = [replace(c, footer=page_footer(i, len(cards), "", w))
                 for i, c in enumerate(cards, start=1)]  # fmt: skip
    return [fit(c) for c in cards]


def _talks_count(person: PersonTalks, conference: Conference, w: Words = ENGLISH) -> str:
    return items_count(len(person.talks), conference, w)


def _person_fields(person: PersonTalks, tz: ZoneInfo, w: Words = ENGLISH) -> list[Field]:
    fields = []
    for authored in person.talks:
        talk = authored.talk
        lines = [when_with_day(talk.slot, tz, w), escape(item_place(talk))]
        if authored.authorship.affiliation:
            affiliation = escape(authored.authorship.affiliation)
            lines.append(w.tr("as {affiliation}", affiliation=affiliation))
        fields.append(Field(escape(talk.title), "\n".join(lines)))
    return fields


def session_cards(answer: SessionAnswer, conference: Conference, w: Words = ENGLISH) -> list[Card]:
    tz = conference.tz
    session = answer.session
    description = when_with_day(session.slot, tz, w)
    if session.slot.room:
        description += f"\n📍 {escape(session.slot.room)}"
    if session.chairs:
        chairs = escape(join_names(list(session.chairs), w))
        description += "\n" + w.tr("Chair: {names}", names=chairs)
    description += "".join(f"\n{note}" for note in _block_notes(answer, w))
    pieces: list[Piece] = [Entry(f.name, f.value) for f in talk_fields(answer.talks, tz, w=w)]
    if answer.runners_up:
        others = tuple(escape(session_title(s, w)) for s in answer.runners_up)
        pieces.append(Group(w.tr("Other sessions"), others))
    footer = derived_footer(answer.talks, conference, w)
    base = Card(escape(session_title(session, w)), description, footer=footer,
                calendar=f"s:{session.key}")  # fmt: skip
    return paged(base, pieces, items_count(len(answer.talks), conference, w), w=w)


def _block_notes(answer: SessionAnswer, w: Words = ENGLISH) -> list[str]:
    """Under a room's or a devroom's block: the other days it has one, and where a
    track of the same name is listed."""
    notes = []
    if answer.other_days:
        notes.append(w.tr("Also on {days}: add the day to the name.",
                          days=weekdays(answer.other_days, w)))  # fmt: skip
    if answer.also_track:
        notes.append(w.tr("“{name}” is also a track: `/track` lists its talks in every room.",
                          name=escape(answer.also_track)))  # fmt: skip
    return notes


def track_cards(answer: TrackAnswer, conference: Conference, w: Words = ENGLISH) -> list[Card]:
    """A track's talks across rooms: under each day, a line per talk in time order (time,
    title, room), through the one pager, so every talk is on exactly one page."""
    tz = conference.tz
    on = w.long_day(answer.day) if answer.day else w.tr("every day")
    title = f"{escape(answer.track)} · {on}"
    talks = items_count(len(answer.talks), conference, w)
    rooms = w.ntr("{count} room", "{count} rooms", len(answer.rooms), count=len(answer.rooms))
    if answer.day:
        first = w.tr("{talks} in {rooms}.", talks=talks, rooms=rooms)
    else:
        first = w.tr("{talks} in {rooms} on {days}.", talks=talks, rooms=rooms,
                     days=weekdays(answer.days, w))  # fmt: skip
    lines = [first]
    if answer.other_days:
        lines.append(w.tr("Also on {days}: `/track` lists every day.",
                          days=weekdays(answer.other_days, w)))  # fmt: skip
    if answer.also_room:
        lines.append(w.tr("“{name}” is also a room: `/session` shows its day.",
                          name=escape(answer.track)))  # fmt: skip
    lines.append(w.tr("Times are {zone} local time.", zone=conference.timezone))
    pieces: list[Piece] = []
    for day in answer.days if answer.day is None else (answer.day,):
        day_talks = [t for t in answer.talks if t.session.day == day]
        pieces.append(Group(w.long_day(day), tuple(_track_line(t, tz, w) for t in day_talks)))
    footer = derived_footer(answer.talks, conference, w)
    base = Card(title, "\n".join(lines), footer=footer)
    return paged(base, pieces, items_count(len(answer.talks), conference, w), w=w)


def _track_line(talk: SessionTalk, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    """'`10:30` Title · 📍 Room': a talk of a track, its day the heading above."""
    room = f" · 📍 {escape(talk.slot.room)}" if talk.slot.room else ""
    return f"{_short_time(talk.slot, tz, w)} {escape(talk.title)}{room}"


def day_cards(answer: DayAnswer, conference: Conference, w: Words = ENGLISH) -> list[Card]:
    """A day at a glance: each session or room a heading with a line per talk, other
    events a field each. A room's day longer than a field continues in the next field
    (on the next page if need be): every talk of the day is on a page, once."""
    tz = conference.tz
    day = answer.day
    starts = _short_times([item.slot for item in answer.items], tz, w)
    lines = _talk_lines([t for i in answer.items if isinstance(i, SessionBlock)
                         for t in i.talks], tz, w)  # fmt: skip
    done = 0  # talks of `lines` listed
    pieces: list[Piece] = []
    for item, start in zip(answer.items, starts, strict=True):
        if isinstance(item, SessionBlock):
            talks = lines[done : done + len(item.talks)]
            done += len(item.talks)
            heading = block_heading(item.session, with_room=False, w=w)  # the room goes below
            head = f"{start} {escape(heading)}"
            room = item.slot.room if item.session.kind is not SessionKind.ROOM_BLOCK else None
            pieces.append(Group(head, (*([f"📍 {escape(room)}"] if room else []), *talks)))
        else:
            room = f"📍 {escape(item.slot.room)}" if item.slot.room else "\u200b"
            extra = event_extra(item, w)
            value = room + (f"\n{escape(extra)}" if extra else "")
            kind = escape(item_kind(item, w))
            head = f"{start} " + w.tr("{kind}: {title}", kind=kind, title=escape(item.title))
            pieces.append(Entry(head, value))
    title = f"{escape(conference.name)} · {w.long_day(day)}"
    footer = derived_footer(answer.items, conference, w)
    description = w.tr("Times are {zone} local time.", zone=conference.timezone)
    card = Card(title, description, footer=footer)
    return paged(card, pieces, _day_count(answer, conference, w), w=w)


def _day_count(answer: DayAnswer, conference: Conference, w: Words = ENGLISH) -> str:
    """'484 talks', or '484 talks, 12 other events': what a day's pages hold."""
    talks = sum(len(i.talks) for i in answer.items if isinstance(i, SessionBlock))
    others = sum(not isinstance(i, SessionBlock) for i in answer.items)
    told = items_count(talks, conference, w)
    return told + (f", {others_count(others, w)}" if others else "")


def _short_time(slot: Slot, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    mark = timefmt.APPROX if slot.approximate else ""
    english = w.language is Language.EN  # timefmt's clock: a day lists hundreds of times
    shown = timefmt.clock(slot.start, tz) if english else w.clock(slot.start, tz)
    return f"`{mark}{shown}`"


def _short_times(slots: Sequence[Slot], tz: ZoneInfo, w: Words = ENGLISH) -> list[str]:
    """_short_time of each slot, each distinct start formatted once: a day of 1,500 talks
    in 100 rooms starts at a hundred or so times. Nothing is kept after the call."""
    keys = [(slot.start, slot.basis) for slot in slots]
    distinct = dict(zip(keys, slots, strict=True))  # a slot for each key
    shown = {key: _short_time(slot, tz, w) for key, slot in distinct.items()}
    return list(map(shown.__getitem__, keys))


def _talk_lines(talks: Sequence[SessionTalk], tz: ZoneInfo, w: Words = ENGLISH) -> list[str]:
    """'`10:45` Title' for each talk of a day's listing, all at once: the times by
    _short_times, the titles escaped in one search (escape_all)."""
    times = _short_times([talk.slot for talk in talks], tz, w)
    titles = escape_all([talk.title for talk in talks])
    return [f"{time} {title}" for time, title in zip(times, titles, strict=True)]


def search_cards(answer: SearchAnswer, conference: Conference, w: Words = ENGLISH) -> list[Card]:
    """Everything that matched, each kind best first: talks and sessions a line each
    (when and where), people and affiliations a field each; the first lines say how
    many matched, and whether a kind matched more than is shown."""
    tz = conference.tz
    title = w.tr("Results for “{query}”", query=escape(answer.query))
    if answer.empty:
        nothing = w.tr("Nothing matches.") + " " + w.tr(SEARCH_HINT)
        return [fit(Card(title, nothing, colour=GREY, language=w.language))]
    pieces: list[Piece] = []
    noun = conference.item_noun
    if answer.talks:
        held = len(answer.talks) - answer.close_talks
        heading = w.tr("Papers") if conference.is_proceedings else w.tr("Talks")
        pieces.append(Group(heading, tuple(_listed(t, tz, w) for t in answer.talks[:held])))
        if answer.close_talks:  # 'trust' for 'rust': after every talk holding the words
            pieces.append(Group(w.tr("Also close"),
                                tuple(_listed(t, tz, w) for t in answer.talks[held:])))  # fmt: skip
    pieces += [
        Entry(w.tr("Person · {name}", name=escape(p.name)),
              "\n".join(f"• {escape(a.talk.title)}" for a in p.talks))
        for p in answer.people
    ]  # fmt: skip
    for a in answer.affiliations:
        people = escape(join_names(list(a.people[:8]), w)) + (" …" if len(a.people) > 8 else "")
        talks = items_count(len(a.talks), conference, w)
        heading = w.tr("Affiliation · {name}", name=escape(a.name))
        pieces.append(Entry(heading, w.tr("{talks}: {people}", talks=talks, people=people)))
    if answer.sessions:
        pieces.append(Group(w.tr("Sessions"), tuple(_listed(s, tz, w) for s in answer.sessions)))
    matches = w.ntr("{count} match", "{count} matches", answer.count, count=answer.count)
    return paged(Card(title, search_counts(answer, noun, w)), pieces, matches, w=w)


def _listed(item: SessionTalk | Session, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    """'`Sat 10:30` Title · Room': one line of a list that spans days."""
    mark = timefmt.APPROX if item.slot.approximate else ""
    start = item.slot.start
    room = f" · 📍 {escape(item.slot.room)}" if item.slot.room else ""
    moment = f"{w.short_weekday(start, tz)} {w.clock(start, tz)}"
    title = item.title if isinstance(item, SessionTalk) else session_title(item, w)
    return f"`{mark}{moment}` {escape(title)}{room}"


def about_cards(
    conference: Conference, version: str, size: ProgramSize, w: Words = ENGLISH
) -> list[Card]:
    c = conference
    where = ", ".join(x for x in (c.venue, c.location) if x)
    description = (
        conference_dates(c, w)
        + (f" · {escape(where)}" if where else "")
        + "\n"
        + w.tr("{size}. Times show in your own time zone, with {zone} local time beside them.",
               size=size_text(size, c.item_noun, w), zone=escape(c.timezone))
    )  # fmt: skip
    data = " ".join(x for x in (source_text(c, w), c.derived_note and derived_note(c, w)) if x)
    commands = "\n".join((
        w.tr("`/next [when]` what's next · `/now` on stage now"),
        w.tr("`/paper` `/author` `/session` find talks (typos are fine)"),
        w.tr("`/track` a track across rooms · `/schedule` a day at a glance"),
        w.tr("`/search` everything"),
    ))  # fmt: skip
    fields = (Field(w.tr("Data"), escape(data)), Field(w.tr("Commands"), commands))
    card = Card(escape(conference_title(c)), description, fields=fields,
                footer=f"confbot {version}", language=w.language)  # fmt: skip
    return [fit(card)]


def conference_dates(conference: Conference, w: Words = ENGLISH) -> str:
    """'Sat Feb 1 – Sun Feb 2, 2025', 'Sa., 1. Feb. – So., 2. Feb. 2025': the days a
    conference runs (/about's, in the bot and the console)."""
    return w.tr("{first} – {last}, {year}", first=timefmt.day_of(conference.start_date, w),
                last=timefmt.day_of(conference.end_date, w),
                year=conference.end_date.year)  # fmt: skip


# "No paper matches “x”.": a sentence for each thing looked up (languages that inflect
# say each differently); what has none says it in English.
NO_MATCH = {
    "paper": N_("No paper matches “{query}”."),
    "author": N_("No author matches “{query}”."),
    "session": N_("No session matches “{query}”."),
    "track": N_("No track matches “{query}”."),
    "talk or session": N_("No talk or session matches “{query}”."),
    "paper, person, affiliation or session": N_(
        "No paper, person, affiliation or session matches “{query}”."
    ),
    "talk, person, affiliation or session": N_(
        "No talk, person, affiliation or session matches “{query}”."
    ),
}
# What /search suggests when nothing matched.
SEARCH_HINT = N_("Try a title word, a surname or an affiliation.")


def search_missed(query: str, conference: Conference) -> NoMatch:
    """A search that matched nothing, named by what a search looks for in `conference`
    (a community program has talks, not papers)."""
    noun = "paper" if conference.is_proceedings else "talk"
    return NoMatch(query, f"{noun}, person, affiliation or session", ())


def no_match_message(answer: NoMatch, hint: str | None = None, w: Words = ENGLISH) -> str:
    """The short ephemeral answer when nothing matches, with suggestions."""
    query = escape(truncate(answer.query, TYPED_SHOWN_MAX))
    sentence = NO_MATCH.get(answer.what)
    if sentence is not None:
        text = w.tr(sentence, query=query)
    else:
        text = f"No {answer.what} matches “{query}”."
    if answer.suggestions:
        text += "\n" + w.tr("Did you mean:") + "\n"
        text += "\n".join(f"• {escape(s)}" for s in answer.suggestions)
    else:
        text += " " + (w.tr(hint) if hint else w.tr("Try fewer words, or `/search`."))
    return text


def cancelled_card(gone: CancelledTalk, conference: Conference, w: Words = ENGLISH) -> Card:
    """A talk looked up after a version removed it: that it is cancelled and since when
    first, then when and where it was to be, and any talk still on that matches too."""
    tz = conference.tz
    came = gone.cancelled_at
    version = w.tr("{day}, {time}", day=w.day_label(came, tz), time=w.clock(came, tz))
    room = f", 📍 {escape(gone.was.room)}" if gone.was.room else ""
    lines = [
        w.tr("**Cancelled**: taken out of the program {when}, in the version of {version}.",
             when=stamp(came, "R"), version=f"{version} {timefmt.zone(came, tz)}"),
        w.tr("It was to be {when}.", when=when_with_day(gone.was, tz, w) + room),
        w.tr("`/changes` lists every change to the program."),
    ]  # fmt: skip
    fields = tuple(Field(escape(t.title), when(t.slot, tz, w=w) + (f" · 📍 {escape(t.slot.room)}"
                                                                  if t.slot.room else ""))
                   for t in gone.others)  # fmt: skip
    if fields:
        lines.append("\n" + w.tr("Still on, with a title like it:"))
    return fit(Card(f"❌ {escape(gone.title)}", "\n".join(lines), colour=GREY, fields=fields,
                    language=w.language))  # fmt: skip


CONFERENCES_PER_PAGE = 10


def conference_list_cards(lines: Sequence[str], tips: str, w: Words = ENGLISH) -> list[Card]:
    """The conferences offered where the person asks, ten to a page (a bot may serve a
    hundred), each page ending with what to do next."""
    title = w.tr("Conferences here")
    told = w.ntr("{count} conference", "{count} conferences", len(lines), count=len(lines))
    found = paged(Card(title), [Line(line) for line in lines], told, tail=tips,
                  per_page=CONFERENCES_PER_PAGE, w=w)  # fmt: skip
    count = len(found)
    if count == 1:
        return found
    return [replace(card, title=f"{title} ({n}/{count})") for n, card in enumerate(found, 1)]
