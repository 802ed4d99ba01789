"""A hostile program's words, and how to tell whether Discord would read any of them as
Markdown, a link, a timestamp or a ping: for the unit tests of the renderers and for the
scan of every message the bot sent through the fake Discord."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Every construct Discord reads in a message, each with a word to recognise it by.
PAYLOAD = (
    "# Heading [click](https://evil.example) <t:0:R> <@123> <#456> <@&789> </cmd:1>"
    " @everyone @here **bold** __under__ ||spoiler|| `code` ~~gone~~"
)
# Constructs that work only at the start of a line, for text that keeps its lines.
LINES = "\n# Big\n-# small\n- item\n+ plus\n> quote\n1. first"

# Each, as Discord would read it if nothing before it is escaped.
_LIVE = {
    "masked link": re.compile(r"\[click\]"),
    "bare link": re.compile(r"https?://evil", re.I),
    "timestamp": re.compile(r"<t:0:", re.I),
    "user mention": re.compile(r"<@123>"),
    "channel mention": re.compile(r"<#456>"),
    "role mention": re.compile(r"<@&789>"),
    "command mention": re.compile(r"</cmd:1>"),
    "@everyone": re.compile(r"@everyone", re.I),
    "@here": re.compile(r"@here", re.I),
    "bold": re.compile(r"\*\*bold", re.I),
    "underline": re.compile(r"__under", re.I),
    "spoiler": re.compile(r"\|\|spoiler", re.I),
    "code": re.compile(r"`code", re.I),
    "strike": re.compile(r"~~gone", re.I),
    "heading": re.compile(r"^\s*#+ (heading|big)", re.I | re.M),
    "subtext": re.compile(r"^\s*-# small", re.I | re.M),
    "list": re.compile(r"^\s*[-+] (item|plus)", re.I | re.M),
    "quote": re.compile(r"^\s*> quote", re.I | re.M),
    "numbered list": re.compile(r"^\s*1\. first", re.I | re.M),
}
_ESCAPED = re.compile(r"\\[^0-9A-Za-z\s]")


def live(text: str) -> str:
    """The text with each character Discord takes as escaped (after a backslash, by its
    escape rule, read left to right) blotted out: what is left is what Discord reads."""
    return _ESCAPED.sub("\x00", text)


def unsafe(text: str) -> list[str]:
    """The payload's constructs that Discord would read in `text` as Markdown."""
    readable = live(text)
    return [name for name, pattern in _LIVE.items() if pattern.search(readable)]


# Where a message body carries text Discord renders as Markdown, and where as it stands.
_MARKDOWN_EMBED = ("title", "description")


def surfaces(body: dict[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(where, text, read as Markdown) for every text a person sees in a message, an
    interaction callback, a forum post or a scheduled event the bot sent."""
    data = body.get("data") if isinstance(body.get("data"), dict) else None
    if data is not None:  # an interaction callback: its message, modal or choices
        yield from surfaces(data)
        for choice in data.get("choices") or []:
            yield "choice", choice["name"], False
        if "title" in data and "custom_id" in data:  # a modal
            yield "modal title", data["title"], False
        return
    if isinstance(body.get("message"), dict):  # a forum post: the thread and its message
        yield "thread name", body.get("name") or "", False
        yield from surfaces(body["message"])
        return
    if "entity_type" in body or "scheduled_start_time" in body:  # a scheduled event
        yield "event name", body.get("name") or "", False
        yield "event description", body.get("description") or "", True
        location = (body.get("entity_metadata") or {}).get("location") or ""
        yield "event location", location, False
        return
    if isinstance(body.get("content"), str):
        yield "content", body["content"], True
    for embed in body.get("embeds") or []:
        for key in _MARKDOWN_EMBED:
            if embed.get(key):
                yield f"embed {key}", embed[key], True
        for field in embed.get("fields") or []:
            yield "field name", field["name"], True
            yield "field value", field["value"], True
        if embed.get("footer"):
            yield "footer", embed["footer"]["text"], False
    for row in body.get("components") or []:
        for component in row.get("components") or []:
            if component.get("label"):
                yield "button label", component["label"], False


def problems(body: dict[str, Any]) -> list[str]:
    """What in a body the bot sent would not show the program's words as written: a
    construct Discord would read in Markdown text, or a backslash added to plain text
    (where Discord shows it)."""
    found = []
    for where, text, markdown in surfaces(body):
        if markdown:
            found += [f"{where}: {name} in {text!r}" for name in unsafe(text)]
        elif "evil.example" in text and "\\" in text:
            found.append(f"{where}: escaped plain text {text!r}")
    return found
