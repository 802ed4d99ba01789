"""A message's cards as its text: what a reader who hides embeds, or a screen reader,
reads of an answer, a DM or a post.

Discord shows a message's content to everyone, and its embeds only to those who keep
"Show embeds and preview website links" on; a message of embeds alone is empty to the
others (and to a push notification). So every message of cards carries this text beside
its embeds (the adapters put it in `content`): a summary, not the card again. It has
- the title, in bold, once for the cards of one message that share it (a long post);
- the description's lines;
- each field in one line, "**name** — its lines joined by ' · '" (when, where, who),
  or, for a field of many lines (a room's talks of the day), its name above its lines;
- the footer (which page of how many, what ≈ means), as small text;
each line at most LINE_MAX characters (an abstract gives its first sentences), the whole
at most SUMMARY_MAX, a phone's screenful or two: the lines past it are counted in a last
line (`more_line`, in the cards' language, Card.language), which says the embed has
them. A short card reads whole; a long one (FOSDEM's board of 47 talks, 3,900
characters) gives its first screenful, in the order the card has it: what starts
soonest, the first of a list's page.

Its parts are the card's, already Markdown-safe (bot.render.markdown), so nothing here
escapes them again, but the footer: a footer is plain text in an embed, Markdown here.
A link shows its label alone: the embed and the link buttons have the link, and a link
in content would add a preview of its page under the message (and cost a post's lines
their room: FOSDEM's pages are 120 characters long). Plain data, no Discord type.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.i18n import ENGLISH, Words
from bot.render.cards import Card, Field, truncate
from bot.render.limits import MESSAGE_MAX
from bot.render.markdown import escape

# The whole text: a phone's screenful or two, well under content's 2,000 characters,
# so that a long card is summarised (a page of a list holds 3,500), never repeated whole
# above itself.
SUMMARY_MAX = 1500
# One line: enough for a talk's when, where and who; an abstract's first sentences.
LINE_MAX = 220
# A field of at most this many lines reads as one line; more are a list, a line each.
JOINED_LINES = 3
JOIN = " · "
# What a page needs to say beside an empty field (Discord refuses an empty one).
_BLANKS = ("\u200b", "")
# A field's name (a talk's title) in its one line: room left for when and where.
NAME_MAX = 100
# A masked link of ours, `[label](url)` or `[label](<url>)`: its label is escaped text
# (each bracket in it behind a backslash, as is a bracket of the program's before it),
# its url one Discord takes (bot.render.cards.link_target).
_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\\\]])*)\]\(<?https?://[^\s()<>]+>?\)")


def more_line(count: int, w: Words = ENGLISH) -> str:
    """The last line of a summary that left lines out: how many, and where they are."""
    return w.ntr("…and {count} more line in the embed.", "…and {count} more lines in the embed.",
                 count, count=count)  # fmt: skip


def summary(cards: Sequence[Card], w: Words = ENGLISH) -> str:
    """The text of a message of these cards (see the module), its own words (what it
    leaves out) in `w`, the cards' language: empty for no card."""
    if not cards:
        return ""
    heads: list[str] = []
    body: list[str] = []
    title = None
    for card in cards:
        if card.title and card.title != title:
            bold = f"**{truncate(card.title.strip(), LINE_MAX - 4)}**"  # cut within the **
            (body if heads else heads).append(_line(bold))
        title = card.title
        body += [_line(line) for line in card.description.split("\n") if _shown(line)]
        for field in card.fields:
            body += _field_lines(field)
    footer = cards[-1].footer
    tail = [_line(f"-# {escape(' '.join(footer.split()))}")] if footer else []
    return _fitted(heads, body, tail, w)


def _field_lines(field: Field) -> list[str]:
    """A field in one line, or its name above its lines (see the module)."""
    name = field.name.strip()
    lines = [line.strip() for line in field.value.split("\n") if _shown(line)]
    if name in _BLANKS:
        return [_line(line) for line in lines]
    name = name if "**" in name else f"**{truncate(name, NAME_MAX)}**"
    if len(lines) > JOINED_LINES:  # a list: a line each
        return [_line(name), *(_line(line) for line in lines)]
    return [_line(f"{name} — {JOIN.join(lines)}" if lines else name)]


def _shown(line: str) -> bool:
    return line.strip() not in _BLANKS


def _line(text: str) -> str:
    """One line, cut at LINE_MAX, each link its label alone (the embed has the link)."""
    return truncate(_LINK.sub(r"\1", text.strip()), LINE_MAX)


def _fitted(heads: list[str], body: list[str], tail: list[str], w: Words) -> str:
    """The head, as many body lines as SUMMARY_MAX leaves room for, what was left out,
    and the tail; never past content's limit."""
    room = SUMMARY_MAX - sum(len(x) + 1 for x in (*heads, *tail))
    kept: list[str] = []
    for n, line in enumerate(body):
        after = len(body) - n - 1  # lines after this one, told in a last line if left out
        if len(line) + 1 + (len(more_line(after, w)) + 1 if after else 0) > room:
            kept.append(more_line(after + 1, w))
            break
        kept.append(line)
        room -= len(line) + 1
    return truncate("\n".join([*heads, *kept, *tail]), MESSAGE_MAX)
