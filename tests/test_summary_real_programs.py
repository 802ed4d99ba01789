"""The text beside the embeds of the longest answers of real programs (read from
../shared): within content's limit and a phone's screenful or two, a summary of a long
card rather than the card again, and telling the first of what the card lists.
`python -m benchmarks.summaries` prints the sizes."""

from __future__ import annotations

import pytest

from benchmarks.summaries import answers, told
from bot.importer.registry import read_source
from bot.render.limits import MESSAGE_MAX
from bot.render.markdown import as_shown
from bot.render.summary import LINE_MAX, SUMMARY_MAX, summary
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.fakediscord.rules import previewed_links

FILES = ["fosdem-2025.schedule.xml", "ccc-36c3.frab.schedule.json", "debconf23.schedule.xml",
         "lca2020.ics"]  # fmt: skip

needs_shared(*(REAL_PROGRAMS / name for name in FILES), module=True)


@pytest.mark.parametrize("name", FILES)
def test_long_answers_read_as_a_screenful_of_text(name: str):
    program = read_source(REAL_PROGRAMS / name).program
    seen = 0
    for what, cards in answers(program):
        text = summary(cards)
        where = f"{name} {what}"
        assert len(text) <= SUMMARY_MAX <= MESSAGE_MAX, where
        lines = text.split("\n")
        assert all(len(line) <= LINE_MAX for line in lines), where
        assert lines[0] == f"**{cards[0].title}**", where
        assert previewed_links(text) == 0, where
        size = sum(card.size() for card in cards)
        if size > 2 * SUMMARY_MAX:  # a long card: summarised, not repeated
            assert len(text) <= size // 2, where
        shown, of = told(text, cards)
        assert shown >= min(of, 8), where  # at least a screen of what it lists
        first = (cards[0].description.split("\n")[0] if cards[0].description
                 else cards[0].fields[0].name)  # fmt: skip
        assert as_shown(first)[:40] in as_shown(text), where
        seen += 1
    assert seen >= 10
