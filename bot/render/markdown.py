"""The one way text from outside (a program file, an organiser-added source, what a person
typed) goes into a Discord message: escape() for one piece, say() for a sentence of our
own wording with such pieces in it.

Discord reads Markdown in message content, embed descriptions and fields, and scheduled
event descriptions: emphasis, code, spoilers, masked links `[x](https://…)`, headings,
lists and quotes at the start of a line, mentions `<@…>`, `<#…>`, `<@&…>`, `@everyone`,
slash-command mentions `</…>`, timestamps `<t:…>`, and it turns bare `https://…` into a
link with a preview. A program's title may hold any of that, by accident (`C++ & a_b*c`)
or on purpose. Escaped text reads exactly as written (each mark behind a backslash, which
Discord shows as the mark itself) and is never formatting, a link, a timestamp or a ping.

Escaped text is marked (the Escaped type), and escaping it again returns it unchanged: a
piece that passes through two renderers is never escaped twice (which would show the
backslashes). Plain-text surfaces (button labels, autocomplete choices, thread and event
names) show no Markdown: they take the text as written, never escaped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

from bot.template import fill

# Marks that work anywhere in a line: emphasis, code, spoilers, masked links ([..]),
# the backslash itself, and '<', which starts a mention, channel, role, slash command,
# timestamp or custom emoji.
_INLINE = re.compile(r"([\\*_~`|\[\]<])")
# Marks that work only at the start of a line: headings (# and -#), quotes, lists.
_LINE_START = re.compile(r"^(\s*)([#>+-])", re.M)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.M)
# Pings that need no '<'.
_EVERYONE = re.compile(r"@(everyone|here)\b")
# A bare address Discord would turn into a link (and a preview): 'https://…', 'steam://…'.
_AUTOLINK = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*):(?=//)")


# Whatever any of the rules above could change (a superset of each): text without it is
# shown as written already. Rendering a 100-room board escapes hundreds of titles. Three
# patterns, each starting with one character or a class of them, which the regex engine
# skips ahead to: one alternation of them all steps through every character (3.4 ms for
# a day's 1,500 titles, 0.45 ms so). _LINE_MARK reads the text after a newline: every
# line then starts after one.
_INLINE_MARKS = "\\*_~`|[]<@"
_INLINE_MARK = re.compile(f"[{re.escape(_INLINE_MARKS)}]")
_LINK_MARK = re.compile("://")
_LINE_MARK = re.compile(r"\n\s*(?:[#>+-]|\d+[.)])")


def _marked(text: str) -> bool:
    """Whether the text may hold a mark that escape() changes."""
    return bool(_INLINE_MARK.search(text) or "://" in text or _LINE_MARK.search("\n" + text))


class Escaped(str):
    """Text that escape() made safe to put in a Discord message (see the module)."""

    __slots__ = ()


def escape(text: str) -> Escaped:
    """Text from outside, shown as written: never formatting, a link, a timestamp or a
    mention. Escaping escaped text changes nothing."""
    if isinstance(text, Escaped):
        return text
    if not _marked(text):  # most titles: one search instead of five substitutions
        return Escaped(text)
    text = _INLINE.sub(r"\\\1", text)
    text = _EVERYONE.sub(r"\\@\1", text)
    text = _AUTOLINK.sub(r"\1\\:", text)
    text = _LINE_START.sub(r"\1\\\2", text)
    return Escaped(_NUMBERED.sub(r"\1\\\2", text))


def escape_all(texts: Sequence[str]) -> list[Escaped]:
    """[escape(t) for t in texts], with one search through them all instead of one per
    text: a day of 1,500 titles, most without a mark, is rendered at once.

    The texts are searched joined by newlines, after one. Every mark a text holds alone
    is found there too (a text's start is a line's start either way), inside or
    overlapping a match of the joined search, so escaping each text that a match
    touches, and only those, misses none; a match that spans texts costs one more."""
    joined = "\n" + "\n".join(texts)
    found = [
        match.span()
        for pattern, worth in (
            # `in` finds a character 30 times as fast as a class of them is searched
            (_INLINE_MARK, any(mark in joined for mark in _INLINE_MARKS)),
            (_LINK_MARK, "://" in joined),
            (_LINE_MARK, True),
        )
        if worth
        for match in pattern.finditer(joined)
    ]
    if not found:
        return list(map(Escaped, texts))
    starts = list(accumulate((len(text) + 1 for text in texts), initial=1))  # in `joined`
    touched: set[int] = set()
    for begin, end in found:
        first = max(bisect_right(starts, begin) - 1, 0)
        touched.update(range(first, bisect_right(starts, end - 1)))
    return [escape(text) if n in touched else Escaped(text) for n, text in enumerate(texts)]


def say(template: str, /, **outside: str) -> str:
    """Our own wording (Markdown and all) with each `{name}` replaced by escape(outside[name]):
    the program's words go in only escaped, whatever they are. A placeholder without a
    value is left as it is."""
    return fill(template, outside, escape)


_ESCAPED_MARK = re.compile(r"\\([^0-9A-Za-z\s])")


def as_shown(text: str) -> str:
    """What Discord shows for Markdown-escaped text: each backslash-escaped mark as the
    mark itself (Discord's escape rule). For tests and for reading a message back."""
    return _ESCAPED_MARK.sub(r"\1", text)
