"""Service results as cards: embed-shaped plain data, within Discord's limits.

A card is what an embed says, without the discord.py type, so that every rule about
content (times in each reader's zone, approximate marks, escaping, limits, pages) is a
pure function tested without Discord. The adapter turns a card into a discord.Embed.

Times are Discord timestamps (`<t:UNIX:t>`, shown in each reader's own zone) followed
by the conference's local time in text, because the printed program uses it.

Here: the card, its limits and pages, times, and what several builders say alike. The
builders are by what they hold: program_cards (lookups and what's on), delivery_cards
(what the deliveries send), status_cards (/status), agenda_cards (a person's reminders).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.address import AddressError, web_address
from bot.i18n import ENGLISH, Language, Words
from bot.model import Conference, Session, Slot
from bot.render import timefmt
from bot.render.common import authors_line, block_title, derived_note
from bot.render.limits import (
    BUTTON_LABEL_MAX,
    BUTTON_URL_MAX,
    CHOICE_NAME_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_NAME_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_FIELDS_MAX,
    EMBED_FOOTER_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    EMBED_URL_MAX,
)
from bot.render.markdown import escape
from bot.render.pager import Entry, Piece, Room, paginate_items
from bot.service.languages import suggested_label
from bot.service.results import (
    ProgramItem,
    SessionBlock,
    SessionTalk,
    Suggestion,
    SuggestionKind,
)

# Pages stay well under the total so a reader is not handed a wall of text.
PAGE_BUDGET = 3500
PAGE_FIELDS = 8
# What a list has on a page at least, however long what every page repeats (title,
# description, footer): the base's description is cut to leave it.
PAGE_ROOM_MIN = 1500
# Between a page's own description, its lines of a list and what ends it.
LINES_GAP = "\n\n"
# Discord refuses the whole message (400, code 50035) for one link it does not take, so
# `fit` keeps only links it takes (see `discord_link`).

BLUE, GREEN, GREY, GOLD = 0x3B82F6, 0x22C55E, 0x6B7280, 0xEAB308


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    title: str
    description: str = ""
    url: str | None = None
    colour: int = BLUE
    fields: tuple[Field, ...] = ()
    footer: str | None = None
    links: tuple[tuple[str, str], ...] = field(default=())  # (label, url) link buttons
    calendar: str | None = None  # a stable reference ('p:…', 's:…'): an "Add to calendar" button
    ask: bool = False  # an "Ask a question" button (the first message of a Q&A thread)
    # The language its words are in: the text beside it says its own few words in it too
    # (bot.render.summary). A renderer given a reader's Words sets it (paged does).
    language: Language = Language.EN

    def size(self) -> int:
        """Characters Discord counts towards the 6000 total."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer or "")
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def choice_name(text: str) -> str:
    """An autocomplete choice's name: at most 100 characters."""
    return truncate(" ".join(text.split()), CHOICE_NAME_MAX)


def suggestion_name(suggestion: Suggestion, w: Words = ENGLISH) -> str:
    """An autocomplete choice's name in `w`'s words: a session offered among talks says
    it is one, a language is named in the reader's ('Allemand (Deutsch)'); the program's
    own words (titles, names, rooms) as they are."""
    if suggestion.kind is SuggestionKind.LANGUAGE:
        return choice_name(suggested_label(suggestion.value, w.language.value))
    label = suggestion.label
    if suggestion.day is not None:
        label = block_title(label, suggestion.day, w)
    if suggestion.kind is SuggestionKind.SESSION:
        return choice_name(w.tr("Session: {title}", title=label))
    return choice_name(label)


def discord_link(url: str, limit: int = EMBED_URL_MAX) -> str | None:
    """A program's link as Discord takes it in an embed, a link button or a Markdown link,
    or None to leave it out. Discord takes a URL with a scheme, a host with a dot ('http://
    localhost:3000' is "not a well formed URL") and no space, of at most `limit`
    characters; one it does not take costs the reader the whole answer. So the link must
    read as an address (`web_address`: http or https, a host, no control character); only
    what a URL cannot hold is percent-encoded ('https://example.org/a b' is sent as
    '.../a%20b', a non-ASCII host in its IDNA form), the rest is sent as written; and it
    is dropped if still too long or without a dotted host. Discord's own discord: scheme is
    never a program's page, so it is not kept."""
    try:
        address = web_address(url)
    except AddressError:
        return None
    host = address.raw_host or ""
    if "." not in host or ":" in host:  # ':' only in an IPv6 literal
        return None
    written = url.strip()
    start = written.find("//") + 2  # web_address found 'http(s)://' and a host
    if start < 2:
        return None
    end = next((i for i in range(start, len(written)) if written[i] in "/?#"), len(written))
    authority = written[start:end]
    if _URL_UNSAFE.search(authority):  # 'bücher.de', 'user:p w@host': as yarl encodes it
        authority = address.raw_authority
    link = written[:start] + authority + _URL_UNSAFE.sub(_escaped, written[end:])
    return link if len(link) <= limit else None


# What a URL cannot hold as written: a '%' that starts no escape, and any character
# outside RFC 3986's unreserved and reserved ones (a space, '<', '|', '"', non-ASCII).
_URL_UNSAFE = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")


def _escaped(found: re.Match[str]) -> str:
    return quote(found.group(), safe="")


def link_target(url: str) -> str | None:
    """A link safe inside a Markdown link, `[label](target)`: as Discord takes it (see
    `discord_link`), its parentheses encoded too so a program's URL cannot end the link
    early and add text of its own; None to show the label without a link."""
    link = discord_link(url)
    return None if link is None else link.replace("(", "%28").replace(")", "%29")


def fit(card: Card) -> Card:
    """Cut a card down to Discord's limits, dropping the least important parts last, and
    keep only the links Discord takes (encoded as it takes them)."""
    fields = tuple(
        f  # within its limits already, as a listing's pages are: the same field
        if 0 < len(f.name) <= EMBED_FIELD_NAME_MAX and 0 < len(f.value) <= EMBED_FIELD_VALUE_MAX
        else Field(
            truncate(f.name, EMBED_FIELD_NAME_MAX) or "\u200b",
            truncate(f.value, EMBED_FIELD_VALUE_MAX) or "\u200b",
            f.inline,
        )
        for f in card.fields[:EMBED_FIELDS_MAX]
    )
    fitted = replace(
        card,
        title=truncate(card.title, EMBED_TITLE_MAX),
        description=truncate(card.description, EMBED_DESCRIPTION_MAX),
        fields=fields,
        footer=truncate(card.footer, EMBED_FOOTER_MAX) if card.footer else None,
        url=discord_link(card.url) if card.url else None,
        links=tuple(
            (truncate(label, BUTTON_LABEL_MAX), link)
            for label, url in card.links
            if (link := discord_link(url, BUTTON_URL_MAX)) is not None
        ),
    )
    while fitted.size() > EMBED_TOTAL_MAX and fitted.fields:
        fitted = replace(fitted, fields=fitted.fields[:-1])
    if fitted.size() > EMBED_TOTAL_MAX:
        room = EMBED_TOTAL_MAX - (fitted.size() - len(fitted.description))
        fitted = replace(fitted, description=truncate(fitted.description, max(room, 1)))
    return fitted


def paginate(base: Card, fields: Sequence[Field], w: Words = ENGLISH) -> list[Card]:
    """Spread fields over as many cards as needed, each field whole on one card; each
    card says which page it is."""
    return paged(base, [Entry(f.name, f.value, f.inline) for f in fields], w=w)


def page_footer(page: int, pages: int, told: str, w: Words = ENGLISH) -> str:
    """'Page 2 of 5 · 47 talks': `told` is what follows the counter (' · …'), if anything."""
    return w.tr("Page {page} of {pages}", page=page, pages=pages) + told


def paged(
    base: Card, pieces: Sequence[Piece], count: str | None = None, *,
    tail: str = "", per_page: int | None = None, w: Words = ENGLISH,
) -> list[Card]:  # fmt: skip
    """A list as cards: `base` on every page, the pieces spread by bot.render.pager so
    that each item is on exactly one page, never cut off. With more than one page the
    footer says which page and `count` (what the list holds: '484 talks'). `tail`:
    words ending every page's description (what to do next); `per_page`: items a page
    holds at most."""
    base = _leaving_room(fit(base), len(tail))
    reserved = len(tail) + 2 * len(LINES_GAP)
    room = Room(
        size=PAGE_BUDGET - base.size() - reserved,
        description=EMBED_DESCRIPTION_MAX - len(base.description) - reserved,
        fields=max(PAGE_FIELDS - len(base.fields), 1),
        items=per_page,
    )
    pages = paginate_items(pieces, room, " " + w.tr("(cont.)"))
    told = "".join(f" · {part}" for part in (count, base.footer) if part)
    cards = [
        replace(
            base,
            description=LINES_GAP.join(
                part for part in (base.description, "\n".join(page.lines), tail) if part
            ),
            fields=base.fields + tuple(Field(n, v, inline) for n, v, inline in page.fields),
            footer=page_footer(i, len(pages), told, w) if len(pages) > 1 else base.footer,
            language=w.language,
        )
        for i, page in enumerate(pages, start=1)
    ]
    return [fit(card) for card in cards]


def _leaving_room(base: Card, tail: int) -> Card:
    """A page's base short enough to leave a list at least PAGE_ROOM_MIN characters:
    only its description is cut (a program's 4000-character note), never an item."""
    over = base.size() + tail + PAGE_ROOM_MIN - PAGE_BUDGET
    if over <= 0 or not base.description:
        return base
    return replace(base, description=truncate(base.description,
                                              max(len(base.description) - over, 1)))  # fmt: skip


# -- times --------------------------------------------------------------------------------


def stamp(moment: datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def when(slot: Slot, tz: ZoneInfo, *, relative: bool = True, w: Words = ENGLISH) -> str:
    """'<t:…:t>–<t:…:t> (<t:…:R>) · 10:45–11:05 PDT', with ≈ for derived times. Discord
    shows its timestamps in each reader's own zone and language; the conference's local
    time beside them is in `w`'s."""
    mark = timefmt.APPROX if slot.approximate else ""
    local = timefmt.span(slot, tz, with_day=False, w=w).removeprefix(timefmt.APPROX)
    start = stamp(slot.start, "t" if relative else "f")
    text = f"{mark}{start}–{stamp(slot.end, 't')}"
    if relative:
        text += f" ({stamp(slot.start, 'R')})"
    return f"{text} · {mark}{local}"


def when_with_day(slot: Slot, tz: ZoneInfo, w: Words = ENGLISH) -> str:
    mark = timefmt.APPROX if slot.approximate else ""
    return f"{mark}{stamp(slot.start, 'F')} · {timefmt.span(slot, tz, w=w)}"


# -- what several builders say alike ------------------------------------------------------


def derived_footer(
    items: Sequence[ProgramItem | Session | SessionBlock], conference: Conference,
    w: Words = ENGLISH,
) -> str | None:  # fmt: skip
    return derived_note(conference, w) if any(i.slot.approximate for i in items) else None


def people_word(conference: Conference, w: Words = ENGLISH) -> str:
    """Papers have authors; talks have speakers."""
    return w.tr("Authors") if conference.is_proceedings else w.tr("Speakers")


def page_label(conference: Conference, w: Words = ENGLISH) -> str:
    """The link button to an item's page on the conference's site."""
    return w.tr("Paper page") if conference.is_proceedings else w.tr("Talk page")


def talk_fields(
    talks: Sequence[SessionTalk], tz: ZoneInfo, *, relative: bool = True, w: Words = ENGLISH
) -> list[Field]:
    """A session's talks, one field each: when, and by whom."""
    return [
        Field(
            escape(t.title),
            f"{when(t.slot, tz, relative=relative, w=w)}\n"
            f"{escape(authors_line(t.talk.authors, w))}",
        )
        for t in talks
    ]
