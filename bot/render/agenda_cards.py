"""A person's own reminders: what /remind answers (when the DM will come, or that the
item has started) and /agenda's cards.

The card itself and its pages are bot.render.cards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from bot.i18n import ENGLISH, Words
from bot.kinds import ReminderStatus
from bot.model import Conference
from bot.render import timefmt
from bot.render.cards import GREY, Card, fit, paged, when_with_day
from bot.render.common import block_title
from bot.render.markdown import escape, say
from bot.render.pager import Entry, Piece
from bot.service.program_service import QueryError
from bot.service.reminders import AgendaLine, Reminded, TooLate


def reminded_text(reminded: Reminded, reach: str = "", w: Words = ENGLISH) -> str:
    """/remind's answer: when the DM will come. `reach`: what the person must allow for
    it to reach them (a sentence, in `w`'s language), if anything."""
    due, start = int(reminded.due.timestamp()), int(reminded.start.timestamp())
    when = (w.tr("right away: it starts sooner than that") if reminded.right_away
            else f"<t:{due}:F> (<t:{due}:R>)")  # fmt: skip
    sentence = w.tr(
        "⏰ I'll DM you about **{title}** {when}, {minutes} min before it starts at {start}.",
        when=when, minutes=reminded.minutes_before, start=f"<t:{start}:t>",
    )  # fmt: skip
    text = sentence + (" " + reach if reach else "") + " " + w.tr("`/agenda` lists yours.")
    return say(text, title=_titled(reminded.title, reminded.day, w))


def too_late_error(too_late: TooLate, tz: ZoneInfo, w: Words = ENGLISH) -> QueryError:
    """/remind for an item that has started: the error that says so, with its times (the
    sentence is chosen and filled here, in `w`'s language; the title stays outside, for
    the adapter to show)."""
    span = timefmt.span(too_late.slot, tz, w=w)
    if too_late.ended:
        sentence = w.tr("“{title}” ended ({span}), so there is nothing to remind you of.",
                        span=span)  # fmt: skip
    else:
        sentence = w.tr("“{title}” already started ({span}), so there is nothing to remind"
                        " you of.", span=span)  # fmt: skip
    return QueryError(sentence, title=_titled(too_late.title, too_late.day, w))


def _titled(title: str, day: date | None, w: Words) -> str:
    """An item's title, a room block's day in `w`'s words ('Rust, samedi')."""
    return title if day is None else block_title(title, day, w)


def agenda_cards(
    lines: Sequence[AgendaLine], conference: Conference, w: Words = ENGLISH
) -> list[Card]:
    tz = conference.tz
    title = w.tr("Your agenda at {conference}", conference=escape(conference.name))
    if not lines:
        text = w.tr("You have no reminders. Use `/remind` with a talk or a session to add one.")
        return [fit(Card(title, text, colour=GREY))]
    fields: list[Piece] = []
    for line in lines:
        reminder = (
            "✅ " + w.tr("Reminded")
            if line.status is ReminderStatus.DONE
            else w.tr("Reminder {minutes} min before", minutes=line.minutes_before)
        )
        value = f"{when_with_day(line.slot, tz, w)}\n{reminder}"
        if line.slot.room:
            value += f" · 📍 {escape(line.slot.room)}"
        if line.status is ReminderStatus.FAILED:
            value += "\n⚠️ " + w.tr("Could not be delivered: your DMs are closed to this server.")
        if line.clashes:
            days = line.clash_days or (None,) * len(line.clashes)
            clashes = "; ".join(
                escape(_titled(t, day, w)) for t, day in zip(line.clashes, days, strict=True)
            )
            value += "\n⚠️ " + w.tr("Clashes with: {titles}", titles=clashes)
        fields.append(Entry(escape(_titled(line.title, line.day, w)), value))
    clashing = sum(bool(line.clashes) for line in lines)
    count = _items(len(lines), w)
    description = w.ntr("{items} you follow, in time order, until each ends.",
                        "{items} you follow, in time order, until each ends.", len(lines),
                        items=count)  # fmt: skip
    if clashing:
        # Never 1: a clash is between two items of the agenda, each marked.
        description += " ⚠️ " + w.tr(
            "{count} overlap another item: you cannot be in two rooms at once.", count=clashing
        )
    return paged(Card(title, description), fields, count, w=w)


def _items(n: int, w: Words = ENGLISH) -> str:
    """'1 item', '3 items': what an agenda holds."""
    return w.ntr("{count} item", "{count} items", n, count=n)
