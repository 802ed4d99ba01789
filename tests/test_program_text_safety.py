"""Text from a program file is shown as written in every card: a title, a speaker, a
room or an abstract can never become a link, formatting or a mention."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.model import Authorship, Program
from bot.render import cards
from bot.service import ProgramService
from tests.conftest import pacific

HOSTILE = "[free badge](https://evil.example) **now** <@123> _x_"


@pytest.fixture
def hostile(program: Program) -> ProgramService:
    def poison(talk):
        if talk.key != "xiang":
            return talk
        slot = dataclasses.replace(talk.slot, room=f"Room {HOSTILE}")
        author = Authorship("mallory", f"Mallory {HOSTILE}", f"Evil Corp {HOSTILE}")
        return dataclasses.replace(talk, title=f"NOMAD {HOSTILE}", slot=slot,
                                   authors=(author,), abstract=f"Abstract {HOSTILE}")  # fmt: skip

    return ProgramService(dataclasses.replace(program, talks=tuple(map(poison, program.talks))))


def texts(card_list: list[cards.Card]) -> list[str]:
    found = []
    for card in card_list:
        found += [card.title, card.description, *(f.name for f in card.fields)]
        found += [f.value for f in card.fields]
    return found


UNSAFE = [re.compile(r"(?<!\\)\[free badge(?<!\\)\]"), re.compile(r"(?<!\\)\*\*now"),
          re.compile(r"(?<!\\)<@123>")]  # fmt: skip


def assert_safe(card_list: list[cards.Card]) -> None:
    shown = [t for t in texts(card_list) if "free badge" in t]
    assert shown, "the hostile text should appear, escaped"
    for text in shown:
        for pattern in UNSAFE:
            assert not pattern.search(text), text


def test_paper_card(hostile: ProgramService):
    answer = hostile.paper("p:xiang")
    assert_safe(cards.paper_cards(answer, hostile.conference))


def test_next_and_now_cards(hostile: ProgramService):
    at = pacific("2024-07-10T11:10")
    assert_safe(cards.next_cards(hostile.next(at), hostile.conference))
    assert_safe(cards.now_cards(hostile.now(at), hostile.conference))


def test_author_and_session_cards(hostile: ProgramService):
    assert_safe(cards.author_cards(hostile.author("a:mallory"), hostile.conference))
    assert_safe(cards.session_cards(hostile.session("s:memory-management"), hostile.conference))


def test_reminder_and_announcement_cards(hostile: ProgramService):
    talk = hostile.remindable("p:xiang")
    now = pacific("2024-07-10T10:55")
    assert_safe([cards.reminder_card(talk, hostile.conference, now, ())])
    session = hostile.remindable("s:memory-management")
    assert_safe([cards.announcement_card(session, hostile.session_talks(session),
                                         hostile.conference, now)])  # fmt: skip


def test_day_card(hostile: ProgramService):
    answer = hostile.day("wednesday", pacific("2024-07-10T08:00"))
    assert_safe(cards.day_cards(answer, hostile.conference))
