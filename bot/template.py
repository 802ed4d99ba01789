"""Our own sentences with outside words in them.

A sentence names each outside word (a title, a room, what someone typed) as `{name}`;
whoever shows the sentence fills them in its own way: Discord escapes them, so the
program's words are never read as our formatting, a ping or a link, and the console
shows them as written. One fill for every such sentence (bot.render.markdown.say and
bot.service.QueryError), so both read templates the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
Number = Callable[[int], str]


def english_number(n: int) -> str:
    """'5,000': a number in a sentence as English groups its digits (bot.i18n.Words.number
    writes it as the reader's language does)."""
    return f"{n:,}"


def fill(template: str, outside: Mapping[str, str], show: Callable[[str], str]) -> str:
    """`template` with each `{name}` that `outside` has replaced by show(outside[name]);
    other braces (a placeholder without a value, a brace in our own text) stay as written."""
    if not outside:
        return template

    def one(match: re.Match[str]) -> str:
        name = match[1]
        return show(outside[name]) if name in outside else match[0]

    return _PLACEHOLDER.sub(one, template)


class Worded(Exception):
    """A failure said as one of our sentences with outside words in it (`{name}`), for
    whoever shows it in their own way and language (bot.service.QueryError, a service's
    refusal, is one): str() is the sentence in English, as written, for
    logs and /status; `render` translates it and shows its words, a value that is itself
    a Worded (a failure quoting another) rendered the same way, and a number (an int) as
    `number` writes it ('5,000', '5.000', '5 000')."""

    def __init__(self, template: str, /, **values: str | int | Worded) -> None:
        self.template = template
        self.values = values
        super().__init__(self.render(str))

    def render(
        self, show: Callable[[str], str], translate: Callable[[str], str] = str,
        number: Number = english_number,
    ) -> str:  # fmt: skip
        shown = {name: value.render(show, translate, number) if isinstance(value, Worded)
                 else shown_value(value, show, number)
                 for name, value in self.values.items()}  # fmt: skip
        return fill(translate(self.template), shown, str)


def shown_value(value: str | int, show: Callable[[str], str], number: Number) -> str:
    """An outside word as `show` shows it, or a number as `number` writes it."""
    return number(value) if isinstance(value, int) else show(value)
