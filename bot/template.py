"""Our own sentences with outside words in them.

A sentence names each outside word (a title, a room, what someone typed) as `{name}`;
whoever shows the sentence fills them in its own way: Discord escapes them, so the
program's words are never read as our formatting, a ping or a link, and the console
shows them as written. One fill for every such sentence (bot.render.markdown.say and
bot.service.QueryError), so both read templates the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

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

    # A sentence quoted inside another, said without its full stop.
    clause = False

    def __init__(self, template: str, /, **values: str | int | Worded) -> None:
        self.template = template
        self.values = values
        super().__init__(self.render(str))

    def render(
        self, show: Callable[[str], str], translate: Callable[[str], str] = str,
        number: Number = english_number,
    ) -> str:  # fmt: skip
        shown = {name: value.render(show, translate, number)
                 if isinstance(value, Worded | Sentence) else shown_value(value, show, number)
                 for name, value in self.values.items()}  # fmt: skip
        said = fill(translate(self.template), shown, str)
        return said.rstrip(".") if self.clause else said


def shown_value(value: str | int, show: Callable[[str], str], number: Number) -> str:
    """An outside word as `show` shows it, or a number as `number` writes it."""
    return number(value) if isinstance(value, int) else show(value)


class Sentence(str):
    """One of our sentences with outside words in it, kept as a value rather than raised
    (why a source's last check failed: /status shows it, and it is passed between
    processes): the str is the sentence in English, for logs and whatever reads it as
    text; `render` says it in a reader's language, as Worded does. `to_json` and
    `from_json` carry it in a message between processes."""

    template: str
    values: Mapping[str, str | int | Sentence]
    clause: bool

    @classmethod
    def of(cls, template: str, values: Mapping[str, str | int | Sentence],
           clause: bool = False) -> Sentence:  # fmt: skip
        """`template` with its `values` (`clause`: said without its full stop)."""
        said = cls(_rendered(template, values, clause, str, str, english_number))
        said.template, said.values, said.clause = template, dict(values), clause
        return said

    @classmethod
    def worded(cls, failure: Worded) -> Sentence:
        """A failure's sentence (and any it quotes) kept as a value."""
        values = {name: cls.worded(value) if isinstance(value, Worded) else value
                  for name, value in failure.values.items()}  # fmt: skip
        return cls.of(failure.template, values, failure.clause)

    def render(
        self, show: Callable[[str], str], translate: Callable[[str], str] = str,
        number: Number = english_number,
    ) -> str:  # fmt: skip
        return _rendered(self.template, self.values, self.clause, show, translate, number)

    def to_json(self) -> str:
        return json.dumps(_tree(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> str:
        """The Sentence `to_json` wrote; any other text as it is (an English sentence)."""
        try:
            return _sentence(json.loads(text))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return text


def _rendered(
    template: str, values: Mapping[str, str | int | Sentence], clause: bool,
    show: Callable[[str], str], translate: Callable[[str], str], number: Number,
) -> str:  # fmt: skip
    shown = {name: value.render(show, translate, number) if isinstance(value, Sentence)
             else shown_value(value, show, number) for name, value in values.items()}  # fmt: skip
    said = fill(translate(template), shown, str)
    return said.rstrip(".") if clause else said


def _tree(said: Sentence) -> dict[str, object]:
    return {"t": said.template, "c": said.clause,
            "v": {name: _tree(value) if isinstance(value, Sentence) else value
                  for name, value in said.values.items()}}  # fmt: skip


def _sentence(tree: dict[str, Any]) -> Sentence:
    """The Sentence _tree wrote (a ValueError, TypeError or KeyError for anything else)."""
    template, clause, values = tree["t"], tree["c"], tree["v"]
    if not (isinstance(template, str) and isinstance(clause, bool) and isinstance(values, dict)):
        raise ValueError("not a sentence")
    kept: dict[str, str | int | Sentence] = {}
    for name, value in values.items():
        if isinstance(value, dict):
            kept[name] = _sentence(value)
        elif isinstance(value, str | int) and not isinstance(value, bool):
            kept[name] = value
        else:
            raise ValueError("not a value")
    return Sentence.of(template, kept, clause)
