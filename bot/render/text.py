"""Service results as plain text, for the console and for logs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.changes import RecordedChange
from bot.i18n import ENGLISH, Words
from bot.model import Conference, Event, Program, Session, SessionKind, TimeBasis
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
    event_counts,
    event_extra,
    item_kind,
    item_place,
    items_count,
    join_names,
    no_match_text,
    repeated_titles,
    search_counts,
    size_text,
    slot_of,
    weekdays,
    what_changed,
)
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

INDENT = "  "


def heading(conference: Conference, at: datetime) -> str:
    tz = conference.tz
    moment = f"{timefmt.clock(at, tz)} {timefmt.zone(at, tz)}"
    return f"{conference.name} · {timefmt.day_label(at, tz)}, {moment}"


def item_lines(
    item: ProgramItem,
    tz: ZoneInfo,
    now: datetime | None = None,
    *,
    with_day: bool = False,
    authors: bool = True,
) -> list[str]:
    """A program item in two to four lines: title, where and when, who."""
    when = timefmt.span(item.slot, tz, with_day=with_day)
    if now is not None and item.slot.start > now:
        when += f" ({timefmt.relative(item.slot.start, now)})"
    lines = [
        f"{INDENT}{item.title}"
        if isinstance(item, SessionTalk)
        else f"{INDENT}{item_kind(item)}: {item.title}"
    ]
    place = item_place(item)
    lines.append(f"{INDENT * 2}{when}" + (f" · {place}" if place else ""))
    if isinstance(item, SessionTalk):
        if authors and item.talk.authors:  # community talks may name no speaker
            lines.append(f"{INDENT * 2}By {authors_line(item.talk.authors)}")
        if item.talk.award:
            lines.append(f"{INDENT * 2}🏆 {item.talk.award}")
    elif isinstance(item, Event) and (extra := event_extra(item)):
        lines.append(f"{INDENT * 2}{extra}")
    return lines


def render_now(answer: NowAnswer, conference: Conference) -> str:
    tz = conference.tz
    lines = _filter_lines(conference, answer.at, answer.where)
    if answer.phase is Phase.BEFORE:
        lines.append(f"{conference.name} has not started yet. Try /next.")
    elif answer.phase is Phase.AFTER:
        lines.append(f"{conference.name} has ended. /paper and /author still find every talk.")
        lines.append(_as_it_was(conference))
    elif not answer.current:
        lines.append("Nothing is on stage right now. Try /next.")
    elif board.compact(answer):
        lines += _board(board.now_sections(answer, _as_written, tz, True))
    else:
        lines.append("On now")
        for item in answer.current:
            lines += item_lines(item, tz)
    lines += _ambient(answer.ambient, tz)
    return "\n".join(lines)


def render_next(answer: NextAnswer, conference: Conference) -> str:
    tz = conference.tz
    at = answer.at
    lines = _filter_lines(conference, at, answer.where)
    if answer.phase is Phase.AFTER:
        lines.append(f"{conference.name} has ended. Thanks for coming!")
        lines.append("/paper <title> and /author <name> still find every talk.")
        lines.append(_as_it_was(conference))
        return "\n".join(lines)
    if answer.phase is Phase.BEFORE and answer.opens is not None:
        first = answer.opens
        days = (first.astimezone(tz).date() - at.date()).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        lines.append(
            f"{conference.name} starts {when}: {timefmt.day_label(first, tz)},"
            f" {timefmt.clock(first, tz)} {timefmt.zone(first, tz)} ({timefmt.relative(first, at)})"
        )
        for item in board.opening_listed(answer):
            lines += item_lines(item, tz, authors=False)
    if board.compact(answer):
        lines += _board(board.next_sections(answer, _as_written, _board_time(at, tz), tz, True))
    else:
        lines += _next_items(answer, tz)
    if not answer.upcoming and not answer.next_talks:
        where = board.where_label(answer.where, _as_written)
        lines.append(f"Nothing more{where} at {conference.name}." if answer.where.any
                     else f"That is the last item of {conference.name}.")  # fmt: skip
    lines += _ambient(answer.ambient, tz)
    relative = lambda moment: timefmt.relative(moment, at)  # noqa: E731
    if opening := board.opening_soon(answer.opening_soon, _as_written, tz, relative):
        lines.append(opening)
    return "\n".join(lines)


def _next_items(answer: NextAnswer, tz: ZoneInfo) -> list[str]:
    """On now, next and the next talk, an item in a few lines each (a few rooms)."""
    at = answer.at
    lines: list[str] = []
    if answer.current:
        lines.append("On now")
        for item in answer.current:
            lines += item_lines(item, tz)
    if answer.upcoming:
        lines.append(_next_label(answer.upcoming[0].slot.start, at, tz))
        for item in (*answer.upcoming, *answer.soon):
            lines += item_lines(item, tz, at)
    if answer.next_talks:
        label = "First talk" if answer.upcoming else "Next talk"
        lines.append(_next_label(answer.next_talks[0].slot.start, at, tz, label))
        for talk in answer.next_talks:
            lines += item_lines(talk, tz, at)
    return lines


def _board_time(at: datetime, tz: ZoneInfo) -> Callable[[datetime], str]:
    """How the board's console text writes a start time: '11:05 (in 3 min)'."""
    return lambda moment: timefmt.relative(moment, at) + _next_label(moment, at, tz, "")


def _next_label(start: datetime, at: datetime, tz: ZoneInfo, label: str = "Next") -> str:
    if start.astimezone(tz).date() != at.astimezone(tz).date():
        return f"{label}, {timefmt.day_label(start, tz)}"
    return label


def _ambient(events: Sequence[ProgramItem], tz: ZoneInfo) -> list[str]:
    """Background items: a line each for one or two (badge pickup), else one line."""
    if len(events) > 2:
        return [board.also_open(events, _as_written, tz) or ""]
    return [
        f"Also open: {e.title}"
        + (f" ({e.slot.room})" if e.slot.room else "")
        + f" until {timefmt.clock(e.slot.end, tz)}"
        for e in events
    ]


def _as_it_was(conference: Conference) -> str:
    """How to see a past conference as it was, in the console's words."""
    first = conference.start_date.isoformat()
    return (
        f"To see it as it was, ask /next {as_it_was(conference)} (or run with --now {first}T11:00)."
    )


def _as_written(text: str) -> str:
    return text


def _board(sections: Sequence[board.Section]) -> list[str]:
    """The compact board as text: each heading, then a line per item."""
    lines: list[str] = []
    for section in sections:
        lines.append(section.heading + (f" ({section.detail})" if section.detail else ""))
        lines += [f"{INDENT}{line.replace('`', '')}" for line in section.lines]
    return lines


def _filter_lines(conference: Conference, at: datetime, where: Where) -> list[str]:
    """The heading, with the filter, and how a filter value was taken if it was."""
    lines = [heading(conference, at) + board.where_label(where, _as_written)]
    if where.note:
        lines.append(where.note.replace("{found}", where.found or ""))
    return lines


def render_talk(answer: TalkAnswer | NoMatch, conference: Conference) -> str:
    if isinstance(answer, NoMatch):
        return no_match_text(answer)
    tz = conference.tz
    staged = answer.talk
    talk = staged.talk
    lines = [talk.title]
    for names, affiliation in author_groups(talk.authors):
        lines.append(f"{INDENT}{join_names(names)}" + (f" — {affiliation}" if affiliation else ""))
    if talk.subtitle:
        lines.insert(1, f"{INDENT}{talk.subtitle}")
    if staged.session.kind is SessionKind.ROOM_BLOCK:
        if talk.track:
            lines.append(f"Track:   {talk.track}")
    else:
        lines.append(f"Session: {staged.session.title}")
    lines.append(
        f"When:    {timefmt.span(talk.slot, tz)}"
        + (" (approximate)" if talk.slot.approximate else "")
    )
    if talk.slot.room:
        lines.append(f"Room:    {talk.slot.room}")
    if talk.award:
        lines.append(f"Award:   🏆 {talk.award}")
    if talk.page is not None:
        lines.append(f"Page:    {talk.page} in the proceedings")
    language = language_label(talk.language) if talk.language else None
    if talk.kind or language:
        lines.append("Type:    " + " · ".join(x for x in (talk.kind, language) if x))
    if talk.do_not_record:
        lines.append("Not recorded (the speakers asked).")
    if talk.url:
        lines.append(f"Link:    {talk.url}")
    for link in talk.links:
        lines.append(f"Link:    {link.title} — {link.url}")
    if talk.abstract:
        lines.append(abstract_excerpt(talk.abstract, 600))
    if answer.runners_up:
        lines.append("Also close:")
        repeated = repeated_titles(answer)
        for t in answer.runners_up:
            told = f" — {timefmt.span(t.slot, tz)}" + (f" · {t.slot.room}" if t.slot.room else "")
            lines.append(f"{INDENT}{t.title}{told if t.title.casefold() in repeated else ''}")
    return "\n".join(lines)


def render_author(answer: AuthorAnswer | NoMatch, conference: Conference) -> str:
    if isinstance(answer, NoMatch):
        return no_match_text(answer)
    tz = conference.tz
    lines: list[str] = []
    if len(answer.people) > 1:
        lines.append(f"{len(answer.people)} people match “{answer.query}”:")
    for person in answer.people:
        lines.append(f"{person.name} — {count_of(len(person.talks), conference.item_noun)}")
        for authored in person.talks:
            talk = authored.talk
            lines.append(f"{INDENT}{talk.title}")
            lines.append(f"{INDENT * 2}{timefmt.span(talk.slot, tz)} · {item_place(talk)}")
            if authored.authorship.affiliation:
                lines.append(f"{INDENT * 2}as {authored.authorship.affiliation}")
    return "\n".join(lines)


def render_session(answer: SessionAnswer | NoMatch, conference: Conference) -> str:
    if isinstance(answer, NoMatch):
        return no_match_text(answer)
    tz = conference.tz
    lines = _session_lines(answer.session, answer.talks, tz)
    if answer.runners_up:
        lines.append("Other sessions: " + "; ".join(s.title for s in answer.runners_up))
    if answer.other_days:
        lines.append(f"Also on {weekdays(answer.other_days)}: add the day to the name.")
    if answer.also_track:
        track = answer.also_track
        lines.append(f"“{track}” is also a track: /track lists its talks in every room.")
    return "\n".join(lines)


def render_track(answer: TrackAnswer | NoMatch, conference: Conference) -> str:
    """A track's talks across rooms in time order, each with its day, time and room."""
    if isinstance(answer, NoMatch):
        return no_match_text(answer)
    tz = conference.tz
    on = f"{answer.day:%A, %B} {answer.day.day}" if answer.day else "every day"
    lines = [f"{answer.track} · {on} · {count_of(len(answer.talks), conference.item_noun)}"
             f" in {count_of(len(answer.rooms), 'room')}"]  # fmt: skip
    for talk in answer.talks:
        when = f"{talk.session.day:%a} {timefmt.time_of(talk.slot, tz)}"
        room = f" ({talk.slot.room})" if talk.slot.room else ""
        lines.append(f"{INDENT}{when:>16}  {talk.title}{room}")
    if answer.other_days:
        lines.append(f"Also on {weekdays(answer.other_days)}: /track lists every day.")
    if answer.also_room:
        lines.append(f"“{answer.track}” is also a room: /session shows its day.")
    return "\n".join(lines)


def _session_lines(session: Session, talks: tuple[SessionTalk, ...], tz: ZoneInfo) -> list[str]:
    head = f"{session.title} — {timefmt.span(session.slot, tz)}"
    if session.slot.room:
        head += f" · {session.slot.room}"
    lines = [head]
    for talk in talks:
        lines.append(f"{INDENT}{timefmt.time_of(talk.slot, tz):>12}  {talk.title}")
    return lines


def render_day(answer: DayAnswer, conference: Conference) -> str:
    tz = conference.tz
    lines = [f"{conference.name} · {answer.day:%A, %B} {answer.day.day}"]
    for item in answer.items:
        if isinstance(item, SessionBlock):
            lines.append(
                f"{timefmt.span(item.slot, tz, with_day=False):>20}  {block_heading(item.session)}"
            )
            for talk in item.talks:
                lines.append(f"{timefmt.time_of(talk.slot, tz):>20}    {talk.title}")
        else:
            room = f" ({item.slot.room})" if item.slot.room else ""
            lines.append(
                f"{timefmt.span(item.slot, tz, with_day=False):>20}"
                f"  {item_kind(item)}: {item.title}{room}"
            )
    if any(i.slot.approximate for i in answer.items):
        lines.append(derived_note(conference))
    return "\n".join(lines)


def render_search(answer: SearchAnswer, conference: Conference) -> str:
    if answer.empty:
        return f"Nothing matches “{answer.query}”. Try a title word, a surname or an affiliation."
    tz = conference.tz
    lines = [f"Results for “{answer.query}”", search_counts(answer, conference.item_noun)]
    if answer.talks:
        held = len(answer.talks) - answer.close_talks
        lines.append(f"{conference.item_noun.capitalize()}s")
        lines += [f"{INDENT}{t.title} — {timefmt.span(t.slot, tz)}" for t in answer.talks[:held]]
        if answer.close_talks:
            lines.append("Also close")
            lines += [
                f"{INDENT}{t.title} — {timefmt.span(t.slot, tz)}" for t in answer.talks[held:]
            ]
    if answer.people:
        lines.append("People")
        lines += [
            f"{INDENT}{p.name} — " + "; ".join(a.talk.title for a in p.talks) for p in answer.people
        ]
    if answer.affiliations:
        lines.append("Affiliations")
        for a in answer.affiliations:
            lines.append(
                f"{INDENT}{a.name} — {len(a.people)} people,"
                f" {count_of(len(a.talks), conference.item_noun)}: "
                + join_names(list(a.people[:6]))
                + (" …" if len(a.people) > 6 else "")
            )
    if answer.sessions:
        lines.append("Sessions")
        lines += [f"{INDENT}{s.title} — {timefmt.span(s.slot, tz)}" for s in answer.sessions]
    return "\n".join(lines)


def render_about(conference: Conference, version: str, size: ProgramSize) -> str:
    c = conference
    where = ", ".join(x for x in (c.venue, c.location) if x)
    return "\n".join(
        [
            conference_title(c),
            f"{c.start_date:%a %b} {c.start_date.day} – {c.end_date:%a %b} {c.end_date.day},"
            f" {c.end_date.year}" + (f" · {where}" if where else ""),
            f"{size_text(size, c.item_noun)}. Times are {c.timezone} local time.",
            *([f"Data: {c.source}"] if c.source else []),
            *([derived_note(c)] if c.derived_note else []),
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
            lines.append("  " + w.tr("rooms: {count} in use of {listed} listed",
                                     count=len(rooms), listed=report.rooms_listed))  # fmt: skip
        else:
            lines.append("  " + w.tr("rooms: {count} in use", count=len(rooms)))
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


def render_cancelled(gone: CancelledTalk, conference: Conference) -> str:
    """The console's word for a talk a version removed (see cards.cancelled_card)."""
    tz = conference.tz
    came = gone.cancelled_at
    lines = [
        f"{gone.title}",
        f"Cancelled: taken out of the program in the version of {timefmt.day_label(came, tz)},"
        f" {timefmt.clock(came, tz)} {timefmt.zone(came, tz)}.",
        f"Was:     {timefmt.span(gone.was, tz)}" + (f", {gone.was.room}" if gone.was.room else ""),
    ]
    if gone.others:
        lines.append("Still on, with a title like it:")
        lines += [f"{INDENT}{t.title} — {timefmt.span(t.slot, tz)}" for t in gone.others]
    return "\n".join(lines)


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
