"""Channel posts of many talks at once: one compact line per talk, packed into as few
messages as Discord allows.

A slot's announcement at FOSDEM scale is 24 talks in 24 rooms; as cards of fields it
was ten messages and 50,000 characters. A line per talk (time, room, title linked to its
page, first speaker, stream) is about 150-200 characters, so some 25-30 talks fit one
message of embeds (6,000 characters in all, 4,096 per description). No line is cut and
none is lost: a line that would not fit starts the next card, or the next message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import ENGLISH, Language, Words
from bot.model import Conference
from bot.render import timefmt
from bot.render.cards import GREEN, Card, fit, link_target, stamp, truncate
from bot.render.common import derived_note, watch_of
from bot.render.limits import EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX, EMBEDS_PER_MESSAGE
from bot.render.markdown import escape
from bot.service.results import SessionTalk
from bot.service.watch import NO_STREAMS

# What one line may take of each part: enough to recognise it on a phone, and a bound on
# the line so that a hostile program cannot make one line fill a message.
TITLE_MAX = 90
ROOM_MAX = 40
SPEAKER_MAX = 40
LINK_MAX = 300  # a longer link is left out: the title shows without it
# A little under Discord's limits: what is packed never needs cutting.
DESCRIPTION_MAX = EMBED_DESCRIPTION_MAX - 16
MESSAGE_TOTAL_MAX = EMBED_TOTAL_MAX - 16

Message = list[Card]  # the embeds of one message


@dataclass(frozen=True, slots=True)
class Header:
    """What a post says before its lines: the title of each card, and a first line."""

    title: str
    lead: str
    footer: str | None = None
    language: Language = Language.EN  # the cards' (see Card.language)


def talk_line(
    talk: SessionTalk, tz: ZoneInfo, at: datetime, streams: Mapping[str, str] = NO_STREAMS,
    w: Words = ENGLISH,
) -> str:  # fmt: skip
    """'`10:30` **Janson** · [Title](page) — First Speaker +2 · 📺 [Watch live](…)'."""
    mark = timefmt.APPROX if talk.slot.approximate else ""
    parts = [f"`{mark}{w.clock(talk.slot.start, tz)}`"]
    if talk.slot.room:
        parts.append(f"**{escape(truncate(talk.slot.room, ROOM_MAX))}** ·")
    title = escape(truncate(" ".join(talk.title.split()), TITLE_MAX))
    page = link_target(talk.talk.url) if talk.talk.url else None
    parts.append(f"[{title}]({page})" if page and len(page) <= LINK_MAX else title)
    names = [a.name for a in talk.talk.authors]
    if names:
        more = f" +{len(names) - 1}" if len(names) > 1 else ""
        parts.append(f"— {escape(truncate(names[0], SPEAKER_MAX))}{more}")
    watching = watch_of(talk, max(at, talk.slot.start), streams)
    target = link_target(watching.url) if watching else None
    if watching and target and len(target) <= LINK_MAX:
        parts.append(f"· 📺 [{w.tr(watching.label)}]({target})")
    return " ".join(parts)


def talk_lines(
    talks: Sequence[SessionTalk], conference: Conference, at: datetime,
    streams: Mapping[str, str] = NO_STREAMS, w: Words = ENGLISH,
) -> list[str]:  # fmt: skip
    """The talks' lines in the order a reader scans a slot: by time, then room."""
    ordered = sorted(talks, key=lambda t: (t.slot.start, (t.slot.room or "").casefold(), t.title))
    return [talk_line(t, conference.tz, at, streams, w) for t in ordered]


def slot_header(
    start: datetime, count: int, conference: Conference, now: datetime, approximate: bool,
    w: Words = ENGLISH,
) -> Header:  # fmt: skip
    """'📣 24 talks start at 10:30 CET' over 'Starts in 10 min · <t:…:F>'."""
    tz = conference.tz
    at = f"{w.clock(start, tz)} {timefmt.zone(start, tz)}"
    title = "📣 " + w.ntr("{count} talk starts at {time}", "{count} talks start at {time}",
                         count, count=count, time=at)  # fmt: skip
    if now >= start:
        lead = w.tr("Started {time} (sent late)", time=timefmt.relative(start, now, w))
    else:
        lead = w.tr("Starts {time}", time=timefmt.relative(start, now, w))
    footer = derived_note(conference, w) if approximate else None
    return Header(title, f"**{lead}** · {stamp(start, 'F')}", footer, w.language)


def starting_header(
    start: datetime, count: int, conference: Conference, now: datetime, approximate: bool,
    w: Words = ENGLISH,
) -> Header:  # fmt: skip
    """'▶️ Now: 14 talks at 11:00 CET', for the per-talk lines of talks starting together."""
    tz = conference.tz
    at = f"{w.clock(start, tz)} {timefmt.zone(start, tz)}"
    title = "▶️ " + w.ntr("Now: {count} talk at {time}", "Now: {count} talks at {time}",
                         count, count=count, time=at)  # fmt: skip
    late = ""
    if now > start:
        late = " " + w.tr("(started {time})", time=timefmt.relative(start, now, w))
    footer = derived_note(conference, w) if approximate else None
    return Header(title, f"{stamp(start, 't')}{late}", footer, w.language)


def pack(header: Header, lines: Sequence[str]) -> list[Message]:
    """The lines in as few messages as Discord allows: each card's description under
    4,096 characters, each message's cards under 6,000 and 10 embeds. Every card of a
    message carries the title (Discord shows each embed on its own), the first card the
    lead line, the last card the footer; a part past Discord's limits is cut by `fit`,
    which a line (bounded by its parts) never reaches."""
    title = truncate(header.title, 200)
    budget = MESSAGE_TOTAL_MAX - len(header.footer or "")  # the footer may end any message
    messages: list[list[list[str]]] = [[[header.lead]]]
    for line in lines:
        cards = messages[-1]
        size = _size(cards, title)
        if _card_size(cards[-1]) + len(line) <= DESCRIPTION_MAX and size + len(line) < budget:
            cards[-1].append(line)
        elif len(cards) < EMBEDS_PER_MESSAGE and size + len(title) + len(line) <= budget:
            cards.append([line])
        else:
            messages.append([[line]])
    built = [[Card(title, "\n".join(card), colour=GREEN, language=header.language)
              for card in cards] for cards in messages]  # fmt: skip
    if header.footer:
        last = built[-1][-1]
        built[-1][-1] = replace(last, footer=header.footer)
    return [[fit(card) for card in message] for message in built]


def _card_size(card: list[str]) -> int:
    """Characters of a card's description: its lines and the line breaks between them."""
    return sum(len(x) + 1 for x in card)


def _size(cards: list[list[str]], title: str) -> int:
    """Characters Discord counts for a message of these cards (its footer aside)."""
    return sum(len(title) + _card_size(card) for card in cards)
