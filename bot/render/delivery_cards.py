"""What the deliveries send, as cards and lines: a reminder's DM, a session's
announcement, a talk's start line, changes (lines, pages, a person's notice, a version's
heading), a room's correction (moved or cancelled), and a talk's Q&A thread (its card,
name, moved line, questions).

The card itself, its limits and pages are bot.render.cards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from bot.changes import RecordedChange
from bot.i18n import ENGLISH, Words
from bot.model import Conference, Session, SessionKind
from bot.render import timefmt
from bot.render.cards import (
    GOLD,
    GREEN,
    PAGE_BUDGET,
    Card,
    Field,
    derived_footer,
    fit,
    link_target,
    page_label,
    paged,
    people_word,
    stamp,
    talk_fields,
    truncate,
    when_with_day,
)
from bot.render.common import (
    Place,
    abstract_excerpt,
    authors_line,
    group_label,
    join_names,
    listing,
    session_title,
    slot_of,
    watch_of,
    what_changed,
)
from bot.render.limits import MESSAGE_MAX, THREAD_NAME_MAX
from bot.render.markdown import escape
from bot.render.pager import Line, Piece, Section
from bot.service.results import SessionTalk
from bot.service.watch import NO_STREAMS

# -- reminders and announcements ----------------------------------------------------------


def _lead(start: datetime, now: datetime, w: Words = ENGLISH) -> str:
    """'Starts in 10 min', or 'Started 3 min ago' for a delivery that is late."""
    if now >= start:
        return w.tr("Started {time} (sent late)", time=timefmt.relative(start, now, w))
    return w.tr("Starts {time}", time=timefmt.relative(start, now, w))


def reminder_card(
    item: SessionTalk | Session,
    conference: Conference,
    now: datetime,
    talks: Sequence[SessionTalk] = (),
    w: Words = ENGLISH,
) -> Card:
    """The DM before a talk or a session (with the session's talks)."""
    tz = conference.tz
    description = f"**{_lead(item.slot.start, now, w)}** · {when_with_day(item.slot, tz, w)}"
    if item.slot.room:
        description += f"\n📍 {escape(item.slot.room)}"
    if isinstance(item, SessionTalk) and (label := group_label(item)):
        if item.session.kind is not SessionKind.ROOM_BLOCK:
            description += "\n" + w.tr("Session: {title}", title=escape(label))
        else:
            description += "\n" + w.tr("Track: {title}", title=escape(label))
        fields = [Field(people_word(conference, w), escape(authors_line(item.talk.authors, w)))]
        url = item.talk.url
    else:
        fields = talk_fields(talks, tz, w=w)
        url = None
    page = page_label(conference, w)
    links = ((page, url),) if url else ()
    footer = derived_footer([item], conference, w)
    title = item.title if isinstance(item, SessionTalk) else session_title(item, w)
    card = Card(f"⏰ {escape(title)}", description, url=url, colour=GREEN,
                fields=tuple(fields), footer=footer, links=links, language=w.language)  # fmt: skip
    return fit(card)


def announcement_card(
    session: Session, talks: Sequence[SessionTalk], conference: Conference, now: datetime,
    w: Words = ENGLISH,
) -> Card:  # fmt: skip
    """A session's post in the server's channel, in the server's language (`w`)."""
    tz = conference.tz
    description = f"**{_lead(session.slot.start, now, w)}** · {when_with_day(session.slot, tz, w)}"
    if session.slot.room:
        description += f"\n📍 {escape(session.slot.room)}"
    fields = tuple(talk_fields(talks, tz, relative=False, w=w))
    footer = derived_footer(talks, conference, w)
    title = f"📣 {escape(session_title(session, w))}"
    return fit(Card(title, description, fields=fields, footer=footer, language=w.language))


def talk_start_text(
    talk: SessionTalk, conference: Conference, now: datetime,
    streams: Mapping[str, str] = NO_STREAMS, w: Words = ENGLISH,
) -> str:  # fmt: skip
    """A talk's line as it starts, in the server's language (`w`)."""
    tz = conference.tz
    names = [a.name for a in talk.talk.authors]
    by = escape(join_names(names[:3], w)) + (" et al." if len(names) > 3 else "")
    late = ""
    if now > talk.slot.start:
        late = " " + w.tr("(started {time})", time=timefmt.relative(talk.slot.start, now, w))
    watching = watch_of(talk, max(now, talk.slot.start), streams)
    target = link_target(watching.url) if watching else None
    live = f" · 📺 [{w.tr(watching.label)}](<{target}>)" if watching and target else ""
    title = f"**{escape(talk.title)}**"
    if talk.slot.room:
        now_on = w.tr("Now in {room}: {title}", room=escape(talk.slot.room), title=title)
    else:
        now_on = w.tr("Now: {title}", title=title)
    return truncate(
        f"▶️ {now_on} — {by} · {stamp(talk.slot.start, 't')}{late}"
        f" ({timefmt.time_of(talk.slot, tz, w)}){live}",
        MESSAGE_MAX,
    )


def change_line(change: RecordedChange, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    """'**Title** — moved: <time>, Ballroom → <time>, Hall B', each time a Discord
    timestamp followed by the conference's local time."""

    def where(place: Place) -> str:
        slot = slot_of(place)
        text = f"{stamp(slot.start, 'f')} ({timefmt.span(slot, tz, with_day=True, w=w)})"
        return text + (f", {escape(slot.room)}" if slot.room else "")

    return f"**{escape(change.title)}** — {what_changed(change, where, escape, w)}"


def changes_cards(
    changes: Sequence[RecordedChange], conference: Conference, title: str, dated: bool = False,
    w: Words = ENGLISH,
) -> list[Card]:  # fmt: skip
    """Change lines, a page per card when there are many, each change on one of them.
    `dated` (/changes, where versions of several days meet): each version's changes
    under the time it came, that heading repeated on a page that starts amid them."""
    tz = conference.tz
    if not dated:
        pieces: list[Piece] = [Line(f"• {change_line(c, tz, w)}") for c in changes]
    else:
        pieces = [
            Section(version_heading(group[0].applied_ts, tz, w),
                    tuple(f"• {change_line(c, tz, w)}" for c in group))
            for _, found in groupby(changes, key=lambda c: c.sync_id)
            if (group := list(found))
        ]  # fmt: skip
    count = w.ntr("{count} change", "{count} changes", len(changes), count=len(changes))
    return paged(Card(title, colour=GOLD), pieces, count, w=w)


def notice_card(
    changes: Sequence[RecordedChange], conference: Conference, title: str, w: Words = ENGLISH
) -> Card:
    """A person's own changes in one DM (a notice is one message, sent once): as many
    lines as fit on a page, then how many more there are and where to read them all,
    so no change goes unmentioned."""
    lines = [f"• {change_line(c, conference.tz, w)}" for c in changes]
    shown, size = 0, 0
    for line in lines:
        if size + len(line) + 1 > PAGE_BUDGET:
            break
        shown, size = shown + 1, size + len(line) + 1
    shown = max(shown, 1)  # a first line too long is cut within itself by fit
    more = len(lines) - shown
    tail = [w.tr("…and {count} more: `/changes` lists every change.", count=more)] if more else []
    return fit(Card(title, description="\n".join(lines[:shown] + tail), colour=GOLD,
                    language=w.language))  # fmt: skip


def version_heading(applied_ts: int, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    """'🕒 Version of Wed Jul 10, 11:02 PDT (<t:…:R>)': when a new version came, in the
    conference's zone, and how long ago in the reader's."""
    at = datetime.fromtimestamp(applied_ts, UTC)
    local = w.tr("{day}, {time}", day=w.day_label(at, tz), time=w.clock(at, tz))
    return "🕒 " + w.tr("**Version of {moment}** ({ago})",
                       moment=f"{local} {timefmt.zone(at, tz)}", ago=stamp(at, "R"))  # fmt: skip


def qa_thread_name(talk: SessionTalk) -> str:
    """A forum post's title: the talk's as written (Discord allows 100 characters, and
    shows no Markdown in channel names, so nothing is escaped here)."""
    return truncate(talk.title, THREAD_NAME_MAX)


def correction_text(
    talk: SessionTalk, was: Place, conference: Conference, w: Words = ENGLISH
) -> str:
    """The line a room's channel gets when the talk on there moves or is delayed: what
    is new first ('now starts 10:05, 5 min later', 'moved to Hall B'), then what it was;
    in the server's language (`w`)."""
    tz = conference.tz
    slot, before = talk.slot, slot_of(was)
    said = []
    if slot.room != before.room:
        said.append(w.tr("moved to {room}", room=escape(slot.room)) if slot.room
                    else w.tr("moved out of this room"))  # fmt: skip
    if slot.start != before.start:
        seconds = (slot.start - before.start).total_seconds()
        length = timefmt.length(abs(round(seconds / 60)), w)
        same_day = slot.start.astimezone(tz).date() == before.start.astimezone(tz).date()
        moment = w.clock(slot.start, tz) if same_day else timefmt.span(slot, tz, w=w)
        values = {"time": moment, "stamp": stamp(slot.start, "t"), "length": length}
        if seconds > 0:
            said.append(w.tr("now starts {time} ({stamp}), {length} later", **values))
        else:
            said.append(w.tr("now starts {time} ({stamp}), {length} earlier", **values))
    elif slot.end != before.end:
        said.append(w.tr("now ends {time} ({stamp})", time=w.clock(slot.end, tz),
                         stamp=stamp(slot.end, "t")))  # fmt: skip
    old_room = f", {escape(before.room)}" if before.room and before.room != slot.room else ""
    return truncate(
        "⚠️ " + w.tr("Correction: **{title}** {what} (was {was}).", title=escape(talk.title),
                     what=listing(said, w),
                     was=timefmt.span(before, tz, with_day=False, w=w) + old_room),
        MESSAGE_MAX,
    )  # fmt: skip


def cancelled_text(title: str, was: Place, conference: Conference, w: Words = ENGLISH) -> str:
    """The line a room's channel gets when the talk on there is taken out of the program:
    the title as it was, that it is cancelled, and when it was to run (the room is this
    one, so not said); in the server's language (`w`)."""
    span = timefmt.span(slot_of(was), conference.tz, with_day=False, w=w)
    return truncate("❌ " + w.tr("**{title}** is cancelled (was {span}).", title=escape(title),
                                 span=span), MESSAGE_MAX)  # fmt: skip


def thread_moved_text(
    talk: SessionTalk, was: Place, conference: Conference, w: Words = ENGLISH
) -> str:
    """The line a talk's Q&A thread gets when the talk moves: where and when now first,
    then what it was."""
    tz = conference.tz
    slot, before = talk.slot, slot_of(was)
    room = f", 📍 {escape(slot.room)}" if slot.room else ""
    old_room = f", {escape(before.room)}" if before.room and before.room != slot.room else ""
    sentence = w.tr("🕒 **This talk moved**: now {when} (was {was}).",
                    when=when_with_day(slot, tz, w) + room,
                    was=timefmt.span(before, tz, w=w) + old_room)  # fmt: skip
    return truncate(sentence, MESSAGE_MAX)


def thread_back_text(talk: SessionTalk, conference: Conference, w: Words = ENGLISH) -> str:
    """The line a talk's Q&A thread gets when the talk, taken out of the program, is
    put back: the thread is open again, and when and where the talk is."""
    slot = talk.slot
    room = f", 📍 {escape(slot.room)}" if slot.room else ""
    sentence = w.tr("✅ **This talk is back in the program**: {when}.",
                    when=when_with_day(slot, conference.tz, w) + room)  # fmt: skip
    return truncate(sentence, MESSAGE_MAX)


def qa_card(talk: SessionTalk, conference: Conference, w: Words = ENGLISH) -> Card:
    """The first message of a talk's Q&A thread: what, who, when, where, and how to ask."""
    tz = conference.tz
    item = talk.talk
    lines = []
    if item.authors:
        lines.append(w.tr("By {names}", names=escape(authors_line(item.authors, w))))
    approximate = " " + w.tr("(approximate)") if item.slot.approximate else ""
    lines.append(when_with_day(item.slot, tz, w) + approximate)
    if item.slot.room:
        lines.append(f"📍 {escape(item.slot.room)}")
    if item.abstract:
        lines.append("\n" + escape(abstract_excerpt(item.abstract, 300)))
    lines.append("\n" + w.tr(
        "Press **Ask a question** (or use `/ask` here): each question is posted on its own"
        " so people can vote with 👍. The chair sees them ranked with `/questions`."
    ))  # fmt: skip
    page = page_label(conference, w)
    links: tuple[tuple[str, str], ...] = ((page, item.url),) if item.url else ()
    links += tuple((link.title, link.url) for link in item.links[:3])
    return fit(Card(f"💬 {escape(talk.title)}", "\n".join(lines), url=item.url, links=links,
                    ask=True, language=w.language))  # fmt: skip


def question_text(asker: str, question: str, w: Words = ENGLISH) -> str:
    """A question as posted in its thread: who asks (escaped, never a ping), and what; in
    the server's language (`w`). It starts with ❓, which /questions looks for."""
    asks = w.tr("**{asker}** asks:", asker=escape(asker))
    return truncate(f"❓ {asks}\n{escape(question)}", MESSAGE_MAX)


def questions_text(ranked: Sequence[tuple[int, str, str]], title: str, w: Words = ENGLISH) -> str:
    """/questions: (votes, asker's question line, jump URL), most votes first, in the
    reader's language (the questions are as they were posted)."""
    if not ranked:
        return w.tr("No questions yet for **{title}**.", title=escape(title))
    lines = [w.tr("Questions for **{title}**, most 👍 first:", title=escape(title))]
    jump = w.tr("jump")
    for rank, (votes, text, url) in enumerate(ranked[:20], start=1):
        link = f" ([{jump}]({target}))" if (target := link_target(url)) else ""
        # Said in words, the emoji beside them: meaning never rests on an emoji alone.
        counted = w.ntr("{count} vote", "{count} votes", votes, count=votes)
        lines.append(f"{rank}. {counted} 👍 · {truncate(text, 150)}{link}")
    return truncate("\n".join(lines), MESSAGE_MAX)
