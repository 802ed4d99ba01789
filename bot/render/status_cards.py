"""/status for organisers: a server's status as a card (announcements, program and its
source, room channels, Q&A threads, streams, deliveries).

The card itself and its limits are bot.render.cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import ENGLISH, N_, Words
from bot.model import Conference
from bot.render import timefmt
from bot.render.cards import BLUE, GOLD, Card, Field, fit, link_target, stamp, truncate
from bot.render.common import delivery_lines, size_text
from bot.render.limits import EMBED_FIELD_VALUE_MAX
from bot.render.markdown import escape
from bot.service.results import ProgramSize
from bot.service.status import ClusterStatus, ProcessStatus, ProgramFacts, ServerStatus
from bot.template import Sentence, Worded


def _stream_shown(url: str, w: Words) -> str:
    """A room's stream in /status: the link, or the text an organiser set and why no one
    sees it (a stream set before links were checked as Discord checks them)."""
    target = link_target(url)
    if target:
        return f"<{target}>"
    return w.tr("{link} (not shown: Discord refuses this link)", link=escape(url))


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


def status_report(
    status: ServerStatus, source: str | None = None, w: Words = ENGLISH
) -> StatusReport:
    """The card's view of a server's status (`source`: see source_text), its deliveries
    said in `w`'s words."""
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
        delivery_lines=tuple(delivery_lines(status.by_kind, w)),
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
    held: Worded | None = None,
    w: Words = ENGLISH,
) -> str:
    """The program source in /status: when it was checked, its last change, failures.
    Why the last check failed and why a version is held are said in `w`'s words where
    the sync worded them (a program file's own sentence stays as it wrote it)."""
    lines = [w.tr("Checked {when}", when=stamp(checked, "R")) if checked
             else w.tr("Not checked yet")]  # fmt: skip
    if changed:
        lines.append(w.ntr("Last new version {when} ({count} talk changed)",
                           "Last new version {when} ({count} talks changed)", changes,
                           when=stamp(changed, "R"), count=changes))  # fmt: skip
    if error:
        lines.append("⚠️ " + w.ntr(
            "{count} failed check, serving the last good version: {error}",
            "{count} failed checks, serving the last good version: {error}",
            failures, count=failures, error=_said(error, w)))  # fmt: skip
    if held:
        lines.append("⏸️ " + w.tr("A new version is held: {why}. `/program apply` takes it,"
                                  " `/program discard` drops it.",
                                  why=truncate(held.render(escape, w.tr, w.number),
                                               300)))  # fmt: skip
    return "\n".join(lines)


def _said(error: str, w: Words) -> str:
    """Why the last check failed, in `w`'s words if the sync worded it (a Sentence)."""
    if isinstance(error, Sentence):
        return truncate(error.render(escape, w.tr, w.number), 300)
    return escape(truncate(error, 300))


def _reason(reason: str | None, w: Words) -> str:
    """Why something was turned off, as kept in the state: the bot's own reasons (N_:
    /announce off, /qa off, the bot removed from the server) in `w`'s words; what the
    delivery engine wrote of a failure (a channel gone, Discord's error) as it wrote it."""
    return w.tr(reason) if reason else ""


def _follows(where: str | None, w: Words) -> str | None:
    """'Follows `https://…/schedule.xml`': as written, in code so no address or path is
    read as formatting or made a link (the organiser knows it; no need to click)."""
    if where is None:
        return None
    shown = truncate(where.replace("`", "'"), 300)
    return w.tr("Follows {source}", source=f"`{shown}`")


def status_card(report: StatusReport, conference: Conference, w: Words = ENGLISH) -> Card:
    if report.channel_id is None:
        announce = w.tr("Off. Use `/announce channel` to post each session before it starts.")
    elif not report.enabled:
        announce = "⚠️ " + w.tr("Disabled: {why}. Run `/announce channel` again to resume.",
                                why=_reason(report.disabled_reason, w))  # fmt: skip
    elif report.per_talk:
        announce = w.tr("On in {channel}, {minutes} min before each session, and a line as"
                        " each talk starts", channel=f"<#{report.channel_id}>",
                        minutes=report.minutes_before)  # fmt: skip
    else:
        announce = w.tr("On in {channel}, {minutes} min before each session",
                        channel=f"<#{report.channel_id}>",
                        minutes=report.minutes_before)  # fmt: skip
    next_due = (
        f"{stamp(report.next_due, 'F')} ({stamp(report.next_due, 'R')})"
        if report.next_due
        else w.tr("nothing scheduled")
    )
    counts = "\n".join(escape(line) for line in report.delivery_lines) or w.tr("none yet")
    size = report.size or ProgramSize(report.talks, report.sessions)
    fields: tuple[Field, ...] = (
        Field(w.tr("Announcements"), announce),
        Field(w.tr("Next announcement"), next_due),
        _program_field(size, report.program_loaded, conference, w),
        Field(w.tr("Reminders set in this server"), str(report.reminders_active)),
        Field(w.tr("Announcement deliveries"), truncate(counts, EMBED_FIELD_VALUE_MAX)),
    )  # fmt: skip
    if report.room_channels:
        lines = [f"{escape(room)} → <#{channel}>" if reason is None
                 else "⚠️ " + w.tr("{room}: off ({why}); `/announce room` again resumes",
                                   room=escape(room), why=escape(_reason(reason, w)))
                 for room, channel, reason in report.room_channels]  # fmt: skip
        fields += (Field(w.tr("Room channels"),
                         truncate("\n".join(lines), EMBED_FIELD_VALUE_MAX)),)  # fmt: skip
    fields += _source_fields(report.follows, report.source, w)
    if report.qa_forum is not None:
        if report.qa_disabled:
            qa = "⚠️ " + w.tr("Off: {why}. Run `/qa channel` again to resume.",
                              why=escape(_reason(report.qa_disabled, w)))  # fmt: skip
        else:
            qa = w.tr("A thread per talk in {forum}", forum=f"<#{report.qa_forum}>")
        fields += (Field(w.tr("Q&A threads"), qa),)
    if report.streams:
        lines = [f"{escape(room)}: {_stream_shown(url, w)}" for room, url in report.streams]
        fields += (Field(w.tr("Live streams"),
                         truncate("\n".join(lines), EMBED_FIELD_VALUE_MAX)),)  # fmt: skip
    colour = GOLD if report.channel_id is not None and not report.enabled else BLUE
    title = w.tr("confbot status · {conference}", conference=escape(conference.name))
    return fit(Card(title, fields=fields, colour=colour, language=w.language))


STATE_UNREACHABLE = N_(
    "⚠️ The bot's state database cannot be reached just now, so what this server set up"
    " and how its deliveries went cannot be shown. Reminders and announcements that fall"
    " due meanwhile wait, and go out once it answers (late ones say so); lookups answer"
    " from the program meanwhile."
)


def unreachable_status_card(
    program: ProgramFacts, source: str | None, conference: Conference, w: Words = ENGLISH
) -> Card:
    """/status while the state database is out of reach: that first, then what the bot
    knows without it (the program it serves, and how following its source goes)."""
    assert program.loaded is not None, "a served program is loaded"
    size = program.size or ProgramSize(program.talks, program.sessions)
    fields = (Field(w.tr("State database"), w.tr(STATE_UNREACHABLE)),
              _program_field(size, program.loaded, conference, w),
              *_source_fields(program.follows, source, w))  # fmt: skip
    title = w.tr("confbot status · {conference}", conference=escape(conference.name))
    return fit(Card(title, fields=fields, colour=GOLD, language=w.language))


def _program_field(size: ProgramSize, loaded: datetime, conference: Conference, w: Words) -> Field:
    tz = conference.tz
    at = w.day_and_time(loaded, tz) + f" {timefmt.zone(loaded, tz)}"
    return Field(w.tr("Program"), w.tr("{size}, loaded {when} ({local})",
                                       size=size_text(size, conference.item_noun, w),
                                       when=stamp(loaded, "F"), local=at))  # fmt: skip


def _source_fields(follows: str | None, source: str | None, w: Words) -> tuple[Field, ...]:
    shown = [x for x in (_follows(follows, w), source) if x is not None]
    if not shown:
        return ()
    return (Field(w.tr("Program source"), truncate("\n".join(shown), EMBED_FIELD_VALUE_MAX)),)


# -- which process does what (python -m bot status) ------------------------------------------

SOLE = ("One process: the state is a SQLite file, which one bot process holds; it holds"
        " every shard and follows every conference.")  # fmt: skip


def cluster_text(status: ClusterStatus, now: datetime) -> str:
    """Which process holds which shards and follows which conference, for the operator:
    the running ones first as they started, then the gone ones (no heartbeat lately)."""
    if status.sole:
        return SOLE
    running = [p for p in status.processes if not p.gone]
    gone = [p for p in status.processes if p.gone]
    if not status.processes:
        head = "Processes: none has written a heartbeat (no bot is running on this state)."
    else:
        head = f"Processes: {len(running)} running" + (f", {len(gone)} gone" if gone else "")
    lines = [head, *(f"  {_process_line(p, now)}" for p in running + gone)]
    if status.unled:
        lines.append(f"  No running process follows {', '.join(status.unled)}.")
    return "\n".join(lines)


def _process_line(process: ProcessStatus, now: datetime) -> str:
    """'web-1, pid 4242: shards 0-3 of 8; follows osdi24; seen 5 s ago, up 2 h'."""
    shards = process.shards.describe() if process.shards else "shards unknown"
    if process.leads is None:
        follows = "conferences unreadable (its row in the state is damaged)"
    else:
        follows = ", ".join(process.leads) or "no conference"
    seen = f"{_span(now - process.seen)} ago"
    if process.gone:
        return (f"{process.host}, pid {process.pid}: gone, last seen {seen}"
                f" (held {shards}; followed {follows})")  # fmt: skip
    up = _span(now - process.started)
    return f"{process.host}, pid {process.pid}: {shards}; follows {follows}; seen {seen}, up {up}"


def _span(length: timedelta) -> str:
    """'5 s', '12 min', '2 h 5 min', '3 days': a heartbeat is seconds apart."""
    seconds = max(0, int(length.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{round(minutes / 1440)} days"
