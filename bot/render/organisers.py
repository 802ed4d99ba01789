"""What organisers' settings commands answer, said in words: what will happen, and how
much of it (an organiser at 9:00 on day one must see that nothing will flood)."""

from __future__ import annotations

from datetime import date

from bot.render.common import count_of, listing
from bot.render.markdown import escape
from bot.service.announcements import PostsForecast, Stopped
from bot.service.qa import Filter, Forecast


def qa_channel_text(forum_id: int, minutes_before: int, wanted: Filter, ahead: Forecast) -> str:
    """'💬 Each talk in Janson gets a Q&A thread in #qa 5 min before it starts (…). With
    these settings: 41 threads, 20 on Sat Feb 1 and 21 on Sun Feb 2; at most 3 at once.'"""
    which = "Each talk"
    if wanted.rooms:
        which += f" in {_names(wanted.rooms)}"
    if wanted.tracks:
        which += f" of {'track' if len(wanted.tracks) == 1 else 'tracks'} {_names(wanted.tracks)}"
    text = (
        f"💬 {which} gets a Q&A thread in <#{forum_id}> {minutes_before} min before it starts,"
        " tagged by its track or room where the forum has such tags. Threads close a day"
        " after their talk."
    )
    if not ahead.total:
        return text + " No talk ahead matches these settings: no thread will open. `/qa off` stops."
    days = [f"{n} on {d:%a %b} {d.day}" for d, n in ahead.by_day]
    listed = listing(days)
    plural = "thread" if ahead.total == 1 else "threads"
    return (
        f"{text} With these settings: {ahead.total} {plural}, {listed}; at most"
        f" {ahead.most_at_once} at once. `/qa off` stops."
    )


def _names(names: tuple[str, ...]) -> str:
    shown = [f"**{escape(n)}**" for n in names[:5]]
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(shown) + more


def announce_channel_text(
    name: str, channel_id: int, minutes_before: int, per_talk: bool, ahead: PostsForecast
) -> str:
    """'📣 I'll post in #program what starts at each time of FOSDEM 2025, 10 min before:
    the talks starting then, a line each. 193 posts over 2 days, at most one every
    5 min; with per_talk, 193 more (…).' Said by what is posted: a session of the
    program's own, or the talks starting together where its blocks are rooms' days."""
    shown, where = escape(name), f"<#{channel_id}>"
    if ahead.room_talks and not ahead.sessions:
        text = (f"📣 I'll post in {where} what starts at each time of {shown},"
                f" {minutes_before} min before: the talks starting then, a line each.")  # fmt: skip
    elif ahead.room_talks:
        text = (f"📣 I'll post each {shown} session, and the other talks starting at each"
                f" time, in {where} {minutes_before} min before they start.")  # fmt: skip
    else:
        text = (f"📣 I'll post each {shown} session in {where} {minutes_before} min before"
                " it starts.")  # fmt: skip
    if not ahead.posts:
        text += " Nothing starts after now: no post is planned."
    else:
        text += f" {_posts(ahead.posts, ahead.days, ahead.closest)}"
        if per_talk:
            lines = "message" if ahead.per_talk == 1 else "messages"
            text += (f"; with per_talk, {ahead.per_talk} more {lines}, a line per talk as it"
                     " starts (talks starting together in one).")  # fmt: skip
        else:
            text += "."
    return text + " `/status` shows what's next; `/announce off` stops."


def _posts(posts: int, days: tuple[date, ...], closest: int | None) -> str:
    """'193 posts over 2 days, at most one every 5 min'."""
    when = f"on {days[0]:%a %b} {days[0].day}" if len(days) == 1 else f"over {len(days)} days"
    text = f"{count_of(posts, 'post')} {when}"
    if closest is not None:
        text += f", at most one every {closest} min"
    return text


def announce_off_text(off: Stopped) -> str:
    """What stopped, and what did not: 'Announcements are off: … Room channels still
    post: H.2213 (`/announce room` without a channel stops one).'"""
    text = ("Announcements are off: the announcement channel posts nothing more, lines as"
            " talks start included."
            if off.stopped else "Announcements were not on.")  # fmt: skip
    if off.rooms_posting:
        shown = [escape(room) for room in off.rooms_posting[:5]]
        more = len(off.rooms_posting) - len(shown)
        named = ", ".join(shown) + (f" and {more} more" if more else "")
        text += (f" Room channels still post: {named} (`/announce room` without a channel"
                 " stops one).")  # fmt: skip
    return text
