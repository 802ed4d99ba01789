"""What organisers' settings commands answer, said in words: what will happen, and how
much of it (an organiser at 9:00 on day one must see that nothing will flood), in the
organiser's language (`w`)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_skeleton

from bot.i18n import ENGLISH, Language, Words
from bot.render.common import listing
from bot.render.markdown import escape
from bot.render.timefmt import day_of
from bot.service.announcements import PostsForecast, Stopped
from bot.service.qa import Filter, Forecast

NAMES_SHOWN = 5  # rooms or tracks named in an answer; the rest are counted


def month_day(day: date, w: Words = ENGLISH) -> str:
    """'Feb 1', '1. Feb.', '1 févr.': a day of a conference's dates, without its weekday."""
    if w.language is Language.EN:
        return f"{day:%b} {day.day}"
    return format_skeleton("MMMd", day, locale=w.language.value)


def qa_channel_text(
    forum_id: int, minutes_before: int, wanted: Filter, ahead: Forecast, w: Words = ENGLISH
) -> str:
    """'💬 Each talk in Janson gets a Q&A thread in #qa 5 min before it starts (…). With
    these settings: 41 threads, 20 on Sat Feb 1 and 21 on Sun Feb 2; at most 3 at once.'"""
    rooms = _names(wanted.rooms, w)
    tracks = _names(wanted.tracks, w)
    count = len(wanted.tracks)
    if wanted.rooms and wanted.tracks:
        which = w.ntr("Each talk in {rooms} of track {tracks}",
                      "Each talk in {rooms} of tracks {tracks}", count,
                      rooms=rooms, tracks=tracks)  # fmt: skip
    elif wanted.tracks:
        which = w.ntr("Each talk of track {tracks}", "Each talk of tracks {tracks}", count,
                      tracks=tracks)  # fmt: skip
    elif wanted.rooms:
        which = w.tr("Each talk in {rooms}", rooms=rooms)
    else:
        which = w.tr("Each talk")
    text = w.tr("💬 {which} gets a Q&A thread in {forum} {minutes} min before it starts,"
                " tagged by its track or room where the forum has such tags. Threads close a"
                " day after their talk.",
                which=which, forum=f"<#{forum_id}>", minutes=minutes_before)  # fmt: skip
    stops = w.tr("`/qa off` stops.")
    if not ahead.total:
        none = w.tr("No talk ahead matches these settings: no thread will open.")
        return f"{text} {none} {stops}"
    days = [w.tr("{count} on {day}", count=n, day=day_of(d, w)) for d, n in ahead.by_day]
    forecast = w.ntr("With these settings: {count} thread, {days}; at most {most} at once.",
                     "With these settings: {count} threads, {days}; at most {most} at once.",
                     ahead.total, count=ahead.total, days=listing(days, w),
                     most=ahead.most_at_once)  # fmt: skip
    return f"{text} {forecast} {stops}"


def _names(names: tuple[str, ...], w: Words) -> str:
    shown = ", ".join(f"**{escape(n)}**" for n in names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return w.tr("{names} and {count} more", names=shown, count=more) if more > 0 else shown


def announce_channel_text(
    name: str, channel_id: int, minutes_before: int, per_talk: bool, ahead: PostsForecast,
    w: Words = ENGLISH,
) -> str:  # fmt: skip
    """'📣 I'll post in #program what starts at each time of FOSDEM 2025, 10 min before:
    the talks starting then, a line each. 193 posts over 2 days, at most one every
    5 min; with per_talk, 193 more (…).' Said by what is posted: a session of the
    program's own, or the talks starting together where its blocks are rooms' days."""
    values = {"conference": escape(name), "channel": f"<#{channel_id}>",
              "minutes": minutes_before}  # fmt: skip
    if ahead.room_talks and not ahead.sessions:
        text = w.tr("📣 I'll post in {channel} what starts at each time of {conference},"
                    " {minutes} min before: the talks starting then, a line each.",
                    **values)  # fmt: skip
    elif ahead.room_talks:
        text = w.tr("📣 I'll post each {conference} session, and the other talks starting at"
                    " each time, in {channel} {minutes} min before they start.",
                    **values)  # fmt: skip
    else:
        text = w.tr("📣 I'll post each {conference} session in {channel} {minutes} min before"
                    " it starts.", **values)  # fmt: skip
    if not ahead.posts:
        text += " " + w.tr("Nothing starts after now: no post is planned.")
    else:
        posts = _posts(ahead.posts, ahead.days, ahead.closest, w)
        if per_talk:
            text += " " + w.ntr(
                "{posts}; with per_talk, {count} more message, a line per talk as it starts"
                " (talks starting together in one).",
                "{posts}; with per_talk, {count} more messages, a line per talk as it starts"
                " (talks starting together in one).",
                ahead.per_talk, posts=posts, count=ahead.per_talk,
            )  # fmt: skip
        else:
            text += f" {posts}."
    return text + " " + w.tr("`/status` shows what's next; `/announce off` stops.")


def _posts(posts: int, days: tuple[date, ...], closest: int | None, w: Words) -> str:
    """'193 posts over 2 days, at most one every 5 min'."""
    if len(days) == 1:
        text = w.ntr("{count} post on {day}", "{count} posts on {day}", posts, count=posts,
                     day=day_of(days[0], w))  # fmt: skip
    else:
        text = w.ntr("{count} post over {days} days", "{count} posts over {days} days", posts,
                     count=posts, days=len(days))  # fmt: skip
    if closest is not None:
        text = w.tr("{posts}, at most one every {minutes} min", posts=text, minutes=closest)
    return text


def announce_off_text(off: Stopped, w: Words = ENGLISH) -> str:
    """What stopped, and what did not: 'Announcements are off: … Room channels still
    post: H.2213 (`/announce room` without a channel stops one).'"""
    if off.stopped:
        text = w.tr("Announcements are off: the announcement channel posts nothing more, lines"
                    " as talks start included.")  # fmt: skip
    else:
        text = w.tr("Announcements were not on.")
    if off.rooms_posting:
        shown = ", ".join(escape(room) for room in off.rooms_posting[:NAMES_SHOWN])
        more = len(off.rooms_posting) - NAMES_SHOWN
        named = w.tr("{names} and {count} more", names=shown, count=more) if more > 0 else shown
        text += " " + w.tr("Room channels still post: {rooms} (`/announce room` without a"
                           " channel stops one).", rooms=named)  # fmt: skip
    return text
