"""/search finds everything that matches, says how many, and says when a kind matched
more than it shows (it showed the best 5 talks with no count: 'postgres' 5 of 7)."""

from __future__ import annotations

import re

import pytest

from bot.adapters.console import Console
from bot.clock import FixedClock
from bot.render import program_cards
from bot.render.common import search_counts
from bot.service import ProgramService
from bot.service import program_service as searching
from bot.service.results import SearchAnswer, SearchKind
from tests.conftest import pacific


def test_a_search_holds_every_talk_with_the_word_not_the_best_five(service: ProgramService):
    titled = {t.key for t in service.talks.values()
              if re.search(r"\bmemory\b", t.title, re.IGNORECASE)}  # fmt: skip
    assert len(titled) > 5
    answer = service.search("memory")
    assert titled <= {t.key for t in answer.talks}
    assert answer.more == ()
    assert answer.count == len(answer.talks) + len(answer.people) + len(answer.affiliations) + len(
        answer.sessions
    )


def test_past_the_bound_the_answer_says_more_match(
    service: ProgramService, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(searching.SEARCH_SHOWN, SearchKind.TALKS, 3)
    answer = service.search("memory")
    assert len(answer.talks) == 3 and answer.more == (SearchKind.TALKS,)
    (first, *_) = program_cards.search_cards(answer, service.conference)
    assert first.description.startswith("3 papers")
    assert "More papers match than are shown: add a word to narrow it." in first.description


def test_the_count_reads_as_a_sentence(service: ProgramService):
    talks = tuple(service.talks.values())[:2]
    person = service.person_talks(next(iter(service.people)))
    session = next(iter(service.sessions.values()))
    said = search_counts(SearchAnswer("q", talks, (person,), (), (session,)), "paper")
    assert said == "2 papers, 1 person and 1 session match."
    assert search_counts(SearchAnswer("q", (), (), (), (session,)), "talk") == (
        "1 session matches."
    )
    both = SearchAnswer("q", talks[:1], (person, person), (), (),
                        more=(SearchKind.TALKS, SearchKind.PEOPLE))  # fmt: skip
    assert search_counts(both, "talk") == (
        "1 talk and 2 people match. More talks and people match than are shown:"
        " add a word to narrow it."
    )


def test_the_console_prints_every_match_with_the_count(service: ProgramService):
    console = Console(service, FixedClock(pacific("2024-07-10T10:50")))
    text = console.execute("/search memory").text
    answer = service.search("memory")
    assert text.split("\n")[1] == search_counts(answer, "paper")
    assert all(t.title in text for t in answer.talks)
