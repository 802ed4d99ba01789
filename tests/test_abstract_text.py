"""Abstracts arrive as HTML or Markdown; they are kept as words, never as markup."""

from __future__ import annotations

import pytest

from bot.importer.text import MAX_ABSTRACT, plain_text


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("<p>Hello <b>world</b> &amp; more</p>", "Hello world & more"),
        ('<p>See <a href="https://example.org/x">the site</a>.</p>', "See the site (https://example.org/x)."),
        ("<ul><li>one</li><li>two</li></ul>", "• one\n• two"),
        ("&lt;p&gt;escaped twice&lt;/p&gt;", "escaped twice"),
        ("<p>a</p><script>steal()</script><style>p{}</style>", "a"),
        ("<!-- hidden --><p>shown</p>", "shown"),
        ("## Heading\n\n**bold** and [link](https://e.org)", "Heading\n\nbold and link (https://e.org)"),
        ("line\r\nbreaks\r\n\r\n\r\nparagraph", "line\nbreaks\n\nparagraph"),
        ("", None),
        ("   ", None),
    ],
)  # fmt: skip
def test_markup_becomes_words(given: str, kept: str | None):
    assert plain_text(given) == kept


def test_a_huge_abstract_is_bounded():
    assert len(plain_text("word " * 10_000) or "") == MAX_ABSTRACT
