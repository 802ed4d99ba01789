"""Service results as plain text, for the console and for logs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.changes import RecordedChange
from bot.i18n import ENGLISH, Language, Words
from bot.model import Conference, Event, Program, Session, SessionKind, Slot, TimeBasis
from bot.render import board, timefmt
from bot.render.common import (
    Place,
    abstract_excerpt,
    as_it_was,
    author_groups,
    authors_line,
    block_heading,
    conference_title,
    delivery_lines,
    derived_note,
    event_counts,
    event_extra,
    item_kind,
    item_place,
    items_count,
    join_names,
    quoted,
    repeated_titles,
    search_counts,
    semicolons,
    session_title,
    size_text,
    slot_of,
    source_text,
    weekdays,
    what_changed,
)
from bot.render.program_cards import NO_MATCH, SEARCH_HINT, conference_dates
from bot.service.board import BOTH_ROOM, BOTH_TRACK
from bot.service.cancelled import CancelledTalk
from bot.service.languages import language_label
from bot.service.results import (
    AuthorAnswer,
    DayAnswer,
    NextAnswer,
    NoMatch,
    NowAnswer,
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
from bot.service.status import ProgramFacts, ServerStatus
from bot.store.build import BuildReport
from bot.template import fill

INDENT = "  "


def heading(conference: Conference, at: datetime, w: Words = ENGLISH) -> str:
    moment = f"{w.day_and_time(at, conference.tz)} {timefmt.zone(at, conference.tz)}"
    return f"{conference.name} · {moment}"


def item_lines(
    item: ProgramItem,
    tz: ZoneInfo,
    now: datetime | None = None,
    *,
    with_day: bool = False,
    authors: bool = True,
    w: Words = ENGLISH,
) -> list[str]:
    """A program item in two to four lines: title, where and when, who."""
    when = timefmt.span(item.slot, tz, with_day=with_day, w=w)
    if now is not None and item.slot.start > now:
        when += f" ({timefmt.relative(item.slot.start, now, w)})"
    lines = [
        f"{INDENT}{item.title}"
        if isinstance(item, SessionTalk)
        else f"{INDENT}" + w.tr("{kind}: {title}", kind=item_kind(item, w), title=item.title)
    ]
    place = item_place(item)
    lines.append(f"{INDENT * 2}{when}" + (f" · {place}" if place else ""))
    if isinstance(item, SessionTalk):
        if authors and item.talk.authors:  # community talks may name no speaker
            names = authors_line(item.talk.authors, w)
            lines.append(f"{INDENT * 2}" + w.tr("By {names}", names=names))
        if item.talk.award:
            lines.append(f"{INDENT * 2}🏆 {item.talk.award}")
    elif isinstance(item, Event) and (extra := event_extra(item, w)):
        lines.append(f"{INDENT * 2}{extra}")
    return lines


# The console's own sentences name its commands as they are typed there, in English
# (/next, /paper <title>), whatever the language: a translation keeps them as they are.


def render_now(answer: NowAnswer, conference: Conference, w: Words = ENGLISH) -> str:
    tz = conference.tz
    lines = _filter_lines(conference, answer.at, answer.where, w)
    name = conference.name
    if answer.phase is Phase.BEFORE:
        # Translators: the console's commands keep their English names (/next, /paper).
        lines.append(w.tr("{conference} has not started yet. Try /next.", conference=name))
    elif answer.phase is Phase.AFTER:
        lines.append(w.tr("{conference} has ended.", conference=name) + " "
                     + w.tr("/paper and /author still find every talk."))  # fmt: skip
        lines.append(_as_it_was(conference, w))
    elif not answer.current:
        lines.append(w.tr("Nothing is on stage right now. Try /next."))
    elif board.compact(answer):
        lines += _board(board.now_sections(answer, _as_written, tz, True, w=w))
    else:
        lines.append(w.tr("On now"))
        for item in answer.current:
            lines += item_lines(item, tz, w=w)
    lines += _ambient(answer.ambient, tz, w)
    return "\n".join(lines)


def render_next(answer: NextAnswer, conference: Conference, w: Words = ENGLISH) -> str:
    tz = conference.tz
    at = answer.at
    lines = _filter_lines(conference, at, answer.where, w)
    if answer.phase is Phase.AFTER:
        lines.append(w.tr("{conference} has ended.", conference=conference.name) + " "
                     + w.tr("Thanks for coming!"))  # fmt: skip
        lines.append(w.tr("/paper <title> and /author <name> still find every talk."))
        lines.append(_as_it_was(conference, w))
        return "\n".join(lines)
    if answer.phase is Phase.BEFORE and answer.opens is not None:
        lines.append(_opens(conference, answer.opens, at, w))
        for item in board.opening_listed(answer):
            lines += item_lines(item, tz, authors=False, w=w)
    if board.compact(answer):
        moment = _board_time(at, tz, w)
        lines += _board(board.next_sections(answer, _as_written, moment, tz, True, w=w))
    else:
        lines += _next_items(answer, tz, w)
    if not answer.upcoming and not answer.next_talks:
        where = board.where_label(answer.where, _as_written, w)
        lines.append(w.tr("Nothing more{where} at {conference}.", where=where,
                          conference=conference.name) if answer.where.any
                     else w.tr("That is the last item of {conference}.",
                               conference=conference.name))  # fmt: skip
    lines += _ambient(answer.ambient, tz, w)
    relative = lambda moment: timefmt.relative(moment, at, w)  # noqa: E731
    if opening := board.opening_soon(answer.opening_soon, _as_written, tz, relative, w):
        lines.append(opening)
    return "\n".join(lines)


def _opens(conference: Conference, first: datetime, at: datetime, w: Words) -> str:
    """'OSDI '24 starts tomorrow: Wed Jul 10, 09:00 PDT (in 21 h)'."""
    tz = conference.tz
    days = (first.astimezone(tz).date() - at.date()).days
    name = conference.name
    moment = f"{w.day_and_time(first, tz)} {timefmt.zone(first, tz)}"
    soon = timefmt.relative(first, at, w)
    if days == 0:
        return w.tr("{conference} starts today: {moment} ({soon})", conference=name,
                    moment=moment, soon=soon)  # fmt: skip
    if days == 1:
        return w.tr("{conference} starts tomorrow: {moment} ({soon})", conference=name,
                    moment=moment, soon=soon)  # fmt: skip
    return w.ntr("{conference} starts in {count} day: {moment} ({soon})",
                 "{conference} starts in {count} days: {moment} ({soon})", days,
                 conference=name, count=days, moment=moment, soon=soon)  # fmt: skip


def _next_items(answer: NextAnswer, tz: ZoneInfo, w: Words = ENGLISH) -> list[str]:
    """On now, next and the next talk, an item in a few lines each (a few rooms)."""
    at = answer.at
    lines: list[str] = []
    if answer.current:
        lines.append(w.tr("On now"))
        for item in answer.current:
            lines += item_lines(item, tz, w=w)
    if answer.upcoming:
        lines.append(_next_label(answer.upcoming[0].slot.start, at, tz, w.tr("Next"), w))
        for item in (*answer.upcoming, *answer.soon):
            lines += item_lines(item, tz, at, w=w)
    if answer.next_talks:
        label = w.tr("First talk") if answer.upcoming else w.tr("Next talk")
        lines.append(_next_label(answer.next_talks[0].slot.start, at, tz, label, w))
        for talk in answer.next_talks:
            lines += item_lines(talk, tz, at, w=w)
    return lines


def _board_time(at: datetime, tz: ZoneInfo, w: Words = ENGLISH) -> Callable[[datetime], str]:
    """How the board's console text writes a start time: '11:05 (in 3 min)'."""
    return lambda moment: timefmt.relative(moment, at, w) + _next_label(moment, at, tz, "", w)


def _next_label(start: datetime, at: datetime, tz: ZoneInfo, label: str, w: Words) -> str:
    if start.astimezone(tz).date() != at.astimezone(tz).date():
        return f"{label}, {w.day_label(start, tz)}"
    return label


def _ambient(events: Sequence[ProgramItem], tz: ZoneInfo, w: Words = ENGLISH) -> list[str]:
    """Background items: a line each for one or two (badge pickup), else one line."""
    if len(events) > 2:
        return [board.also_open(events, _as_written, tz, w) or ""]
    return [
        w.tr("{item} until {time}",
             item=w.tr("Also open: {title}",
                       title=e.title + (f" ({e.slot.room})" if e.slot.room else "")),
             time=w.clock(e.slot.end, tz))
        for e in events
    ]  # fmt: skip


def _as_it_was(conference: Conference, w: Words = ENGLISH) -> str:
    """How to see a past conference as it was, in the console's words."""
    first = conference.start_date.isoformat()
    return w.tr("To see it as it was, ask /next {moment} (or run with --now {first}T11:00).",
                moment=_first_morning(conference, w), first=first)  # fmt: skip


def _first_morning(conference: Conference, w: Words) -> str:
    """11:00 on the first day, as a reader of `w`'s language types it and /next reads it:
    'jul 10 11:00' (as the bot's cards say it), '10. Juli 2024 11:00', '10 juillet 2024
    11 h 00'."""
    if w.language is Language.EN:
        return as_it_was(conference)
    eleven = datetime.combine(conference.start_date, time(11), conference.tz)
    return f"{w.full_date(conference.start_date)} {w.clock(eleven, conference.tz)}"


def _as_written(text: str) -> str:
    return text


def _board(sections: Sequence[board.Section]) -> list[str]:
    """The compact board as text: each heading, then a line per item."""
    lines: list[str] = []
    for section in sections:
        lines.append(section.heading + (f" ({section.detail})" if section.detail else ""))
        lines += [f"{INDENT}{line.replace('`', '')}" for line in section.lines]
    return lines


def _filter_lines(conference: Conference, at: datetime, where: Where, w: Words) -> list[str]:
    """The heading, with the filter, and how a filter value was taken if it was."""
    lines = [heading(conference, at, w) + board.where_label(where, _as_written, w)]
    if where.note:
        lines.append(fill(_filter_note(where.note, w), {"found": where.found or ""}, str))
    return lines


def _filter_note(note: str, w: Words) -> str:
    """A filter note (bot.service.board) in `w`'s words; the two that name an option say
    it as the console takes it (`room:`), not as Discord shows it in the reader's words."""
    # Translators: in the console, which takes its options in English (track:Rust).
    if note == BOTH_ROOM:
        return w.ptr("console", "Showing the room {found}; a track has that name too (pick it in"
                              " `track`).")  # fmt: skip
    if note == BOTH_TRACK:
        return w.ptr("console", "Showing the track {found}; a room has that name too (pick it in"
                              " `room`).")  # fmt: skip
    return w.tr(note)


# What the console's answers call each thing before its value ('When:    Wed Jul 10'),
# lined up: as wide as the widest in the language, and never less than English's.
LABEL_WIDTH = 9


def _labels(w: Words) -> dict[str, str]:
    """The labels of a talk's answer, each with its colon as `w`'s language sets one."""
    labels = {
        "track": w.tr("Track"), "session": w.tr("Session"), "when": w.tr("When"),
        "room": w.tr("Room"), "award": w.tr("Award"), "page": w.tr("Page"),
        "type": w.tr("Type"), "link": w.tr("Link"),
        # Translators: before when and where a cancelled talk was to be ("Was: Wed Jul 10").
        "was": w.tr("Was"),
    }  # fmt: skip
    return {key: _colon(label, w) for key, label in labels.items()}


def _colon(label: str, w: Words) -> str:
    """'When:', 'Quand :'."""
    # Translators: a label before what it names, in the console ("When: Wed Jul 10");
    # French sets a space before the colon.
    return w.tr("{label}:", label=label)


Row = str | tuple[str, str]  # a line, or a label's key (of _labels) and its value


def _aligned(rows: Sequence[Row], w: Words) -> list[str]:
    """The lines, each labelled one as 'When:    Wed Jul 10, 10:45–11:05 PDT': the values
    lined up after the widest label shown, a space after it at least."""
    labels = _labels(w)
    shown = [len(labels[row[0]]) + 1 for row in rows if isinstance(row, tuple)]
    width = max([LABEL_WIDTH, *shown])
    return [row if isinstance(row, str) else f"{labels[row[0]]:<{width}}{row[1]}" for row in rows]


def _no_match(answer: NoMatch, w: Words) -> str:
    """'No paper matches “x”. Did you mean: “a”; “b”?', with the cards' sentence for
    each thing looked up (program_cards.NO_MATCH); what has none says it in English."""
    sentence = NO_MATCH.get(answer.what)
    text = (w.tr(sentence, query=answer.query) if sentence
            else f"No {answer.what} matches “{answer.query}”.")  # fmt: skip
    if answer.suggestions:
        offered = [quoted(s, w) for s in answer.suggestions]
        return text + " " + w.tr("Did you mean: {suggestions}?",
                                 suggestions=semicolons(offered, w))  # fmt: skip
    return text + " " + w.tr("Try fewer words, or /search {query}.", query=answer.query)


def render_talk(answer: TalkAnswer | NoMatch, conference: Conference, w: Words = ENGLISH) -> str:
    if isinstance(answer, NoMatch):
        return _no_match(answer, w)
    tz = conference.tz
    staged = answer.talk
    talk = staged.talk
    lines: list[Row] = [talk.title]
    for names, affiliation in author_groups(talk.authors):
        lines.append(f"{INDENT}{join_names(names, w)}"
                     + (f" — {affiliation}" if affiliation else ""))  # fmt: skip
    if talk.subtitle:
        lines.insert(1, f"{INDENT}{talk.subtitle}")
    if staged.session.kind is SessionKind.ROOM_BLOCK:
        if talk.track:
            lines.append(("track", talk.track))
    else:
        lines.append(("session", staged.session.title))
    approximate = " " + w.tr("(approximate)") if talk.slot.approximate else ""
    lines.append(("when", timefmt.span(talk.slot, tz, w=w) + approximate))
    if talk.slot.room:
        lines.append(("room", talk.slot.room))
    if talk.award:
        lines.append(("award", f"🏆 {talk.award}"))
    if talk.page is not None:
        lines.append(("page", w.tr("{page} in the proceedings", page=talk.page)))
    language = language_label(talk.language, w.language.value) if talk.language else None
    if talk.kind or language:
        lines.append(("type", " · ".join(x for x in (talk.kind, language) if x)))
    if talk.do_not_record:
        lines.append(w.tr("Not recorded (the speakers asked)") + ".")
    if talk.url:
        lines.append(("link", talk.url))
    for link in talk.links:
        lines.append(("link", f"{link.title} — {link.url}"))
    if talk.abstract:
        lines.append(abstract_excerpt(talk.abstract, 600))
    if answer.runners_up:
        lines.append(_colon(w.tr("Also close"), w))
        repeated = repeated_titles(answer)
        for t in answer.runners_up:
            told = f" — {timefmt.span(t.slot, tz, w=w)}" + (f" · {t.slot.room}" if t.slot.room
                                                            else "")  # fmt: skip
            lines.append(f"{INDENT}{t.title}{told if t.title.casefold() in repeated else ''}")
    return "\n".join(_aligned(lines, w))


def render_author(
    answer: AuthorAnswer | NoMatch, conference: Conference, w: Words = ENGLISH
) -> str:
    if isinstance(answer, NoMatch):
        return _no_match(answer, w)
    tz = conference.tz
    lines: list[str] = []
    if len(answer.people) > 1:
        lines.append(_colon(w.tr("{count} people match “{query}”", count=len(answer.people),
                                 query=answer.query), w))  # fmt: skip
    for person in answer.people:
        lines.append(f"{person.name} — {items_count(len(person.talks), conference, w)}")
        for authored in person.talks:
            talk = authored.talk
            lines.append(f"{INDENT}{talk.title}")
            lines.append(f"{INDENT * 2}{timefmt.span(talk.slot, tz, w=w)} · {item_place(talk)}")
            if authored.authorship.affiliation:
                affiliation = authored.authorship.affiliation
                lines.append(f"{INDENT * 2}" + w.tr("as {affiliation}", affiliation=affiliation))
    return "\n".join(lines)


def render_session(
    answer: SessionAnswer | NoMatch, conference: Conference, w: Words = ENGLISH
) -> str:
    if isinstance(answer, NoMatch):
        return _no_match(answer, w)
    tz = conference.tz
    lines = _session_lines(answer.session, answer.talks, tz, w)
    if answer.runners_up:
        others = semicolons([session_title(s, w) for s in answer.runners_up], w)
        lines.append(_colon(w.tr("Other sessions"), w) + " " + others)
    if answer.other_days:
        lines.append(w.tr("Also on {days}: add the day to the name.",
                          days=weekdays(answer.other_days, w)))  # fmt: skip
    if answer.also_track:
        lines.append(w.tr("“{name}” is also a track: /track lists its talks in every room.",
                          name=answer.also_track))  # fmt: skip
    return "\n".join(lines)


def render_track(answer: TrackAnswer | NoMatch, conference: Conference, w: Words = ENGLISH) -> str:
    """A track's talks across rooms in time order, each with its day, time and room."""
    if isinstance(answer, NoMatch):
        return _no_match(answer, w)
    tz = conference.tz
    on = w.long_day(answer.day) if answer.day else w.tr("every day")
    rooms = w.ntr("{count} room", "{count} rooms", len(answer.rooms), count=len(answer.rooms))
    talks = items_count(len(answer.talks), conference, w)
    lines = [f"{answer.track} · {on} · " + w.tr("{talks} in {rooms}", talks=talks, rooms=rooms)]
    rows = []
    for talk in answer.talks:
        noon = datetime.combine(talk.session.day, time(12), tz)  # the day, as a moment
        when = f"{w.short_weekday(noon, tz)} {timefmt.time_of(talk.slot, tz, w)}"
        room = f" ({talk.slot.room})" if talk.slot.room else ""
        rows.append((when, f"  {talk.title}{room}"))
    lines += [INDENT + line for line in _right_aligned(rows, 16)]
    if answer.other_days:
        lines.append(w.tr("Also on {days}: /track lists every day.",
                          days=weekdays(answer.other_days, w)))  # fmt: skip
    if answer.also_room:
        lines.append(w.tr("“{name}” is also a room: /session shows its day.",
                          name=answer.track))  # fmt: skip
    return "\n".join(lines)


def _session_lines(
    session: Session, talks: tuple[SessionTalk, ...], tz: ZoneInfo, w: Words = ENGLISH
) -> list[str]:
    head = f"{session_title(session, w)} — {timefmt.span(session.slot, tz, w=w)}"
    if session.slot.room:
        head += f" · {session.slot.room}"
    rows = [(timefmt.time_of(talk.slot, tz, w), f"  {talk.title}") for talk in talks]
    return [head, *(INDENT + line for line in _right_aligned(rows, 12))]


def _right_aligned(rows: Sequence[tuple[str, str]], least: int) -> list[str]:
    """Each row's first cell set right in a column as wide as the widest, `least` at
    least (what English's '≈ 10:45–11:05 PDT' needs; French's '≈ 10 h 45–11 h 05 CEST'
    needs more), then the rest of the row."""
    width = max([least, *(len(cell) for cell, _ in rows)])
    return [f"{cell:>{width}}{rest}" for cell, rest in rows]


def render_day(answer: DayAnswer, conference: Conference, w: Words = ENGLISH) -> str:
    tz = conference.tz
    rows = []
    for item in answer.items:
        span = timefmt.span(item.slot, tz, with_day=False, w=w)
        if isinstance(item, SessionBlock):
            rows.append((span, f"  {block_heading(item.session, w=w)}"))
            rows += [(timefmt.time_of(talk.slot, tz, w), f"    {talk.title}")
                     for talk in item.talks]  # fmt: skip
        else:
            room = f" ({item.slot.room})" if item.slot.room else ""
            what = w.tr("{kind}: {title}", kind=item_kind(item, w), title=item.title + room)
            rows.append((span, f"  {what}"))
    lines = [f"{conference.name} · {w.long_day(answer.day)}", *_right_aligned(rows, 20)]
    if any(i.slot.approximate for i in answer.items):
        lines.append(derived_note(conference, w))
    return "\n".join(lines)


def render_search(answer: SearchAnswer, conference: Conference, w: Words = ENGLISH) -> str:
    if answer.empty:
        return w.tr("Nothing matches “{query}”.", query=answer.query) + " " + w.tr(SEARCH_HINT)
    tz = conference.tz

    def listed(title: str, slot: Slot) -> str:
        return f"{INDENT}{title} — {timefmt.span(slot, tz, w=w)}"

    results = w.tr("Results for “{query}”", query=answer.query)
    lines = [results, search_counts(answer, conference.item_noun, w)]
    if answer.talks:
        held = len(answer.talks) - answer.close_talks
        lines.append(w.tr("Papers") if conference.is_proceedings else w.tr("Talks"))
        lines += [listed(t.title, t.slot) for t in answer.talks[:held]]
        if answer.close_talks:
            lines.append(w.tr("Also close"))
            lines += [listed(t.title, t.slot) for t in answer.talks[held:]]
    if answer.people:
        lines.append(w.tr("People"))
        lines += [f"{INDENT}{p.name} — " + semicolons([a.talk.title for a in p.talks], w)
                  for p in answer.people]  # fmt: skip
    if answer.affiliations:
        lines.append(w.tr("Affiliations"))
        for a in answer.affiliations:
            people = w.ntr("{count} person", "{count} people", len(a.people), count=len(a.people))
            names = join_names(list(a.people[:6]), w) + (" …" if len(a.people) > 6 else "")
            lines.append(f"{INDENT}{a.name} — " + w.tr("{people}, {talks}: {names}", people=people,
                         talks=items_count(len(a.talks), conference, w), names=names))  # fmt: skip
    if answer.sessions:
        lines.append(w.tr("Sessions"))
        lines += [listed(session_title(s, w), s.slot) for s in answer.sessions]
    return "\n".join(lines)


def render_about(
    conference: Conference, version: str, size: ProgramSize, w: Words = ENGLISH
) -> str:
    c = conference
    where = ", ".join(x for x in (c.venue, c.location) if x)
    times = w.tr("Times are {zone} local time.", zone=c.timezone)
    return "\n".join(
        [
            conference_title(c),
            conference_dates(c, w) + (f" · {where}" if where else ""),
            f"{size_text(size, c.item_noun, w)}. {times}",
            *([_colon(w.tr("Data"), w) + f" {source}"] if (source := source_text(c, w)) else []),
            *([derived_note(c, w)] if c.derived_note else []),
            f"confbot {version}",
        ]
    )


def render_load(program: Program, build: BuildReport, source: Path, db_path: Path) -> str:
    """What `python -m bot load` found: where from, what, the zone and why, warnings."""
    c = program.conference
    state = f"rebuilt ({build.reason})" if build.rebuilt else "already up to date"
    return "\n".join([f"{c.name}: {source} -> {db_path}, {state}", *load_details(program, build)])


def load_details(program: Program, build: BuildReport, w: Words = ENGLISH) -> list[str]:
    """The load report's lines after its first: what was found, indented (also what a
    server is shown when it adds a source, without the operator's file paths, in the
    organiser's words `w`; the formats, zones' reasons and warnings are the readers'
    own sentences, in English)."""
    c = program.conference
    lines = []
    room_blocks = any(s.kind is SessionKind.ROOM_BLOCK for s in program.sessions)
    days, sessions = len({s.day for s in program.sessions}), len(program.sessions)
    entries = sum(len(p.authors) for p in program.talks)
    people = len(program.people)
    values = {
        "days": w.ntr("{count} day", "{count} days", days, count=days),
        "blocks": (w.ntr("{count} room block", "{count} room blocks", sessions, count=sessions)
                   if room_blocks else
                   w.ntr("{count} session", "{count} sessions", sessions, count=sessions)),
        "talks": items_count(len(program.talks), c, w),
        "entries": (w.ntr("{count} author entry", "{count} author entries", entries,
                          count=entries) if c.is_proceedings else
                    w.ntr("{count} speaker entry", "{count} speaker entries", entries,
                          count=entries)),
        "people": w.ntr("{count} person", "{count} people", people, count=people),
        "others": event_counts(program.events, w),
    }  # fmt: skip
    lines.append("  " + w.tr("{days}, {blocks}, {talks}, {entries} ({people}), {others}",
                             **values))  # fmt: skip
    published = sum(p.slot.basis is TimeBasis.PUBLISHED for p in program.talks)
    derived = len(program.talks) - published
    if c.is_proceedings:
        times = w.tr("paper times: {published} published, {derived} derived (shown as ≈)",
                     published=published, derived=derived)  # fmt: skip
    else:
        times = w.tr("talk times: {published} published, {derived} derived (shown as ≈)",
                     published=published, derived=derived)  # fmt: skip
    lines.append("  " + times)
    slots = [p.slot for p in program.talks] + [e.slot for e in program.events]
    rooms = {slot.room for slot in slots if slot.room}
    kinds = Counter(p.kind for p in program.talks if p.kind)
    for report in build.reports:
        made = [w.tr("by {generator}", generator=report.generator)] if report.generator else []
        version = (
            [w.tr("version {version}", version=repr(report.version))] if report.version else []
        )
        lines.append("  " + w.tr("format: {format}",
                                 format=", ".join([report.fmt, *made, *version])))  # fmt: skip
        if report.rooms_listed > len(rooms):
            lines.append("  " + w.ntr("rooms: {count} in use of {listed} listed",
                                      "rooms: {count} in use of {listed} listed", len(rooms),
                                      count=len(rooms), listed=report.rooms_listed))  # fmt: skip
        else:
            lines.append("  " + w.ntr("rooms: {count} in use", "rooms: {count} in use",
                                      len(rooms), count=len(rooms)))  # fmt: skip
        if kinds:
            top = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common(6))
            if len(kinds) > 6:
                top = w.tr("{names} and {count} more", names=top, count=len(kinds) - 6)
            lines.append("  " + (w.tr("papers by type: {kinds}", kinds=top) if c.is_proceedings
                                 else w.tr("talks by type: {kinds}", kinds=top)))  # fmt: skip
        lines.append("  " + w.tr("time zone: {zone} ({reason})", zone=report.zone,
                                 reason=report.zone_reason))  # fmt: skip
    for warning in build.warnings:
        lines.append("  " + w.tr("warning: {warning}", warning=warning))
    if build.rebuilt and not build.warnings:
        lines.append("  " + w.tr("no warnings"))
    return lines


def change_lines(changes: Sequence[RecordedChange], tz: ZoneInfo) -> list[str]:
    """A new version's changes in plain text, one line each."""

    def where(place: Place) -> str:
        slot = slot_of(place)
        return timefmt.span(slot, tz, with_day=True) + (f", {slot.room}" if slot.room else "")

    return [f"{c.title} — {what_changed(c, where)}" for c in changes]


def render_cancelled(gone: CancelledTalk, conference: Conference, w: Words = ENGLISH) -> str:
    """The console's word for a talk a version removed (see cards.cancelled_card)."""
    tz = conference.tz
    came = gone.cancelled_at
    version = f"{w.day_and_time(came, tz)} {timefmt.zone(came, tz)}"
    was = timefmt.span(gone.was, tz, w=w) + (f", {gone.was.room}" if gone.was.room else "")
    lines: list[Row] = [
        f"{gone.title}",
        w.tr("Cancelled: taken out of the program in the version of {version}.",
             version=version),
        ("was", was),
    ]  # fmt: skip
    if gone.others:
        lines.append(w.tr("Still on, with a title like it:"))
        lines += [f"{INDENT}{t.title} — {timefmt.span(t.slot, tz, w=w)}" for t in gone.others]
    return "\n".join(_aligned(lines, w))


# -- what confbot is set to do in a server (python -m bot status) --------------------------


def _moment(at: datetime, tz: ZoneInfo, now: datetime) -> str:
    """'Wed Jul 10, 10:35 PDT (in 15 min)'."""
    when = f"{timefmt.day_label(at, tz)}, {timefmt.clock(at, tz)} {timefmt.zone(at, tz)}"
    return f"{when} ({timefmt.relative(at, now)})"


def render_status_heading(
    key: str, conference: Conference | None, program: ProgramFacts | None, now: datetime
) -> str:
    """A conference's line above its servers: its program, or why it cannot be read."""
    if conference is None or program is None:
        return f"{key}: its program database is not built yet (python -m bot load builds it)"
    size = program.size or ProgramSize(program.talks, program.sessions)
    counts = size_text(size, conference.item_noun)
    kept = f", kept {_moment(program.loaded, conference.tz, now)}" if program.loaded else ""
    follows = f"; follows {program.follows}" if program.follows else ""
    return f"{conference.name} ({key}): {counts}{kept}{follows}"


def render_status(status: ServerStatus, tz: ZoneInfo, now: datetime) -> str:
    """What /status shows a server's organisers, for the operator: channels by id."""
    config = status.announcements
    if config is None:
        announce = "off"
    elif not config.enabled:
        announce = f"disabled: {config.disabled_reason}"
    else:
        announce = (f"on in channel {config.channel_id}, {config.minutes_before} min before"
                    " each session" + (", and a line as each talk starts" if config.per_talk
                                       else ""))  # fmt: skip
    next_due = _moment(status.next_due, tz, now) if status.next_due else "nothing scheduled"
    counts = [f"{INDENT * 3}{line}" for line in delivery_lines(status.by_kind)]
    lines = [
        f"{INDENT}Server {status.guild_id}",
        f"{INDENT * 2}Announcements: {announce}",
        f"{INDENT * 2}Next announcement: {next_due}",
        f"{INDENT * 2}Reminders set in this server: {status.reminders_active}",
        f"{INDENT * 2}Announcement deliveries:{'' if counts else ' none yet'}",
        *counts,
    ]
    if status.room_channels:
        lines.append(f"{INDENT * 2}Room channels:")
        lines += [f"{INDENT * 3}{r.room} -> channel {r.channel_id}" if r.off_because is None
                  else f"{INDENT * 3}{r.room}: off ({r.off_because})"
                  for r in status.room_channels]  # fmt: skip
    if status.qa is not None:
        qa = (f"off: {status.qa.off_because}" if status.qa.off_because
              else f"a thread per talk in forum {status.qa.forum_id}")  # fmt: skip
        lines.append(f"{INDENT * 2}Q&A threads: {qa}")
    if status.streams:
        lines.append(f"{INDENT * 2}Live streams:")
        lines += [f"{INDENT * 3}{room}: {url}" for room, url in status.streams]
    return "\n".join(lines)
