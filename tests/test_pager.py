"""The one pager every list uses (bot.render.pager, and cards.paged over it): each item on
exactly one page, never cut off at a limit; an item longer than a page cut only within
its own text; pages within Discord's limits; the counter right."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from bot.render import cards
from bot.render.cards import Card, paged
from bot.render.limits import (
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_NAME_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_FIELDS_MAX,
    EMBED_FOOTER_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
)
from bot.render.pager import (
    CONTINUED,
    Entry,
    Group,
    Line,
    Page,
    Piece,
    Room,
    Section,
    paginate_items,
)


def within_discords_limits(card: Card) -> None:
    assert len(card.title) <= EMBED_TITLE_MAX
    assert len(card.description) <= EMBED_DESCRIPTION_MAX
    assert len(card.fields) <= EMBED_FIELDS_MAX
    assert all(0 < len(f.name) <= EMBED_FIELD_NAME_MAX for f in card.fields)
    assert all(0 < len(f.value) <= EMBED_FIELD_VALUE_MAX for f in card.fields)
    assert len(card.footer or "") <= EMBED_FOOTER_MAX
    assert card.size() <= EMBED_TOTAL_MAX


def group_lines(pages: list[Page], heading: str) -> list[str]:
    return [line for page in pages for name, value, _ in page.fields
            if name in (heading, heading + CONTINUED) for line in value.split("\n")]  # fmt: skip


# -- items whole, once ----------------------------------------------------------------


def test_a_rooms_day_longer_than_a_field_continues_in_the_next_field_and_page():
    talks = tuple(f"`{9 + n // 6:02d}:{n % 6 * 10:02d}` Talk number {n} " + "x" * 40
                  for n in range(120))  # fmt: skip
    pages = paginate_items([Group("`09:00` Janson", talks)], Room(size=3500, fields=8))
    assert group_lines(pages, "`09:00` Janson") == list(talks)  # each once, in order
    assert len(pages) > 1
    names = [name for page in pages for name, _, _ in page.fields]
    assert names[0] == "`09:00` Janson" and set(names[1:]) == {"`09:00` Janson (cont.)"}
    assert all(len(v) <= EMBED_FIELD_VALUE_MAX for p in pages for _, v, _ in p.fields)


def test_an_item_longer_than_a_page_is_cut_within_itself_and_the_next_one_follows():
    huge = "word " * 3000  # 15,000 characters: no description or field holds it
    pieces: list[Piece] = [Line("first"), Line(huge), Line("after")]
    pages = paginate_items(pieces, Room(size=3500))
    lines = [line for page in pages for line in page.lines]
    assert lines[0] == "first" and lines[2] == "after"
    assert lines[1].endswith("…") and huge.startswith(lines[1][:-1])
    assert len(lines) == 3


def test_a_line_longer_than_a_field_is_cut_within_itself_in_its_group():
    long = "A talk title " * 200
    pages = paginate_items([Group("Room", ("`09:00` short", long, "`10:00` next"))],
                           Room(size=3500))  # fmt: skip
    shown = group_lines(pages, "Room")
    assert shown[0] == "`09:00` short" and shown[2] == "`10:00` next"
    assert len(shown[1]) == EMBED_FIELD_VALUE_MAX and shown[1].endswith("…")


def test_an_entry_too_long_for_a_field_is_cut_within_itself():
    pages = paginate_items([Entry("n" * 400, "v" * 5000), Entry("next", "value")],
                           Room(size=3500))  # fmt: skip
    fields = [f for page in pages for f in page.fields]
    assert len(fields) == 2 and fields[1][:2] == ("next", "value")
    assert len(fields[0][0]) == EMBED_FIELD_NAME_MAX and len(fields[0][1]) <= 1024


def test_an_empty_list_is_one_empty_page_and_a_group_without_lines_still_shows():
    assert paginate_items([], Room(size=3500)) == [Page((), ())]
    (page,) = paginate_items([Group("Keynote", ())], Room(size=3500))
    assert page.fields == (("Keynote", "\u200b", False),)


@pytest.mark.parametrize("seed", range(12))
def test_random_lists_keep_every_item_once_within_discords_limits(seed: int):
    rng = random.Random(seed)
    ids = iter(range(1_000_000))

    def item() -> str:
        return f"item {next(ids)} " + "y" * rng.choice([5, 40, 120, 900, 1500])

    pieces: list[Piece] = []
    for n in range(rng.randint(1, 300)):
        shape = rng.choice(["line", "entry", "group"])
        if shape == "group":
            pieces.append(Group(f"group {n}", tuple(item() for _ in range(rng.randint(1, 30)))))
        elif shape == "entry":
            pieces.append(Entry(f"entry {n}", item()))
        else:
            pieces.append(Line(item()))
    total = next(ids)
    base = Card("A list", "Times are local.", footer="Times marked ≈ are derived.")
    pages = paged(base, pieces, f"{total} items")
    for card in pages:
        within_discords_limits(card)
    shown = [int(line.split()[1]) for card in pages
             for line in (card.description.split("\n")
                          + [x for f in card.fields for x in f.value.split("\n")])
             if line.startswith("item ")]  # fmt: skip
    assert sorted(shown) == list(range(total))  # each once
    if len(pages) > 1:
        assert [c.footer for c in pages] == [
            f"Page {n} of {len(pages)} · {total} items · Times marked ≈ are derived."
            for n in range(1, len(pages) + 1)
        ]


# -- counts and the cards round them ---------------------------------------------------


def test_the_counter_says_which_page_of_how_many_and_what_the_list_holds():
    lines = [Line(f"• change {n} " + "z" * 200) for n in range(40)]
    pages = paged(Card("Changes"), lines, "40 changes")
    assert len(pages) == 3
    assert [c.footer for c in pages] == [f"Page {n} of 3 · 40 changes" for n in (1, 2, 3)]
    assert sum(c.description.count("• change") for c in pages) == 40


def test_one_page_has_no_counter():
    (card,) = paged(Card("Changes"), [Line("• one")], "1 change")
    assert card.footer is None and card.description == "• one"


def test_a_base_too_long_for_any_list_gives_up_its_own_description_not_items():
    base = Card("T", "d" * 4000)
    pages = paged(base, [Entry(f"e{n}", "v" * 500) for n in range(10)], "10 items")
    assert sum(len(c.fields) for c in pages) == 10
    for card in pages:
        within_discords_limits(card)
        assert card.description.endswith("…")


def test_items_per_page_and_a_tail_on_every_page():
    pages = paged(Card("Conferences"), [Line(f"• c{n}") for n in range(25)], "25",
                  tail="Pick one.", per_page=10)  # fmt: skip
    assert [c.description.count("• c") for c in pages] == [10, 10, 5]
    assert all(c.description.endswith("\n\nPick one.") for c in pages)


def test_the_old_field_paginator_is_the_same_pager():
    fields = [cards.Field(f"f{n}", "v" * 600, inline=n % 2 == 0) for n in range(12)]
    pages = cards.paginate(Card("T"), fields)
    assert [f.name for c in pages for f in c.fields] == [f"f{n}" for n in range(12)]
    assert [f.inline for c in pages for f in c.fields] == [n % 2 == 0 for n in range(12)]
    assert pages[0].footer == f"Page 1 of {len(pages)}"


def test_a_list_on_a_card_with_fields_of_its_own_keeps_them_on_every_page():
    base = replace(Card("T"), fields=(cards.Field("About", "x"),))
    pages = paged(base, [Entry(f"e{n}", "v") for n in range(20)])
    assert all(c.fields[0].name == "About" for c in pages)
    assert sum(len(c.fields) - 1 for c in pages) == 20


def test_a_section_repeats_its_heading_on_a_page_that_starts_amid_it():
    lines = tuple(f"• change {n} " + "w" * 300 for n in range(30))
    versions = [Section("🕒 Version A", lines[:20]), Section("🕒 Version B", lines[20:])]
    pages = paginate_items(versions, Room(size=3500))
    assert len(pages) > 2
    shown = [line for page in pages for line in page.lines]
    assert [line for line in shown if line.startswith("• ")] == list(lines)  # each once
    assert all(page.lines[0].startswith("🕒 Version ") for page in pages)
    assert shown.count("🕒 Version B") >= 1 and shown[0] == "🕒 Version A"
