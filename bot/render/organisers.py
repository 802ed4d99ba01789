"""What organisers' settings commands answer, said in words: what will happen, and how
much of it (an organiser at 9:00 on day one must see that nothing will flood)."""

from __future__ import annotations

from bot.render.markdown import escape
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
    listed = days[0] if len(days) == 1 else ", ".join(days[:-1]) + f" and {days[-1]}"
    plural = "thread" if ahead.total == 1 else "threads"
    return (
        f"{text} With these settings: {ahead.total} {plural}, {listed}; at most"
        f" {ahead.most_at_once} at once. `/qa off` stops."
    )


def _names(names: tuple[str, ...]) -> str:
    shown = [f"**{escape(n)}**" for n in names[:5]]
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(shown) + more
