"""A program's text is hostile: any server's organiser can add a program by address. Its
search indexes cost what its letters do, however they are run into words (no copy of a
word per letter), and a lookup costs what its query does, however long the titles it
matches. Typo tolerance for words anyone types is what it was (test_search_quality.py,
test_fuzzy_mistakes.py and test_search_handwritten.py hold it).

What bounds that work is counted here; the times, as ratios against a baseline in the
same run, are `python -m benchmarks.hostile_index`'s."""

from __future__ import annotations

import random
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from benchmarks.hostile_index import LETTERS, spelled, titles_of, words_of
from bot.search import fuzzy
from bot.search.fuzzy import TokenIndex
from bot.service.program_service import MAX_QUERY

# Letters a hostile title may repeat: accents and Greek fold to letters, a hyphen joins.
SEEDS = st.text(alphabet=string.ascii_lowercase + "éüμ-", min_size=1, max_size=12)


def deletions_bounded(index: TokenIndex) -> None:
    """What bounds the cost of indexing, counted: a word gets deletions only if typo
    matching can reach it (at most DELETIONS_MAX letters), one a letter, so their
    letters are at most DELETIONS_MAX times the word's (not the square of a word of
    20,000 letters: it once made 20,000 copies of itself)."""
    words = index.deletes.words
    assert all(len(word) <= fuzzy.DELETIONS_MAX for word in words)
    assert len(index.deletes.hashes) == sum(len(word) + 1 for word in words)
    assert set(words) <= set(index.postings)  # words of the titles, each once


@settings(max_examples=5, deadline=None, derandomize=True, database=None)
@given(seed=SEEDS, letters=st.integers(2_000, 5_000))
def test_indexing_a_title_of_any_length_makes_deletions_of_short_words_only(
    seed: str, letters: int
):
    title = f"Memory tiering for {spelled(seed, 8 * letters)}"
    index = TokenIndex([("huge", title), ("normal", "Formal verification")])
    deletions_bounded(index)
    assert all(len(folded) <= fuzzy.WHOLE_MAX for folded in index.folded)
    assert index.search("memory tiering")[0].key == "huge"


@settings(max_examples=8, deadline=None, derandomize=True, database=None)
@given(length=st.one_of(st.integers(1, fuzzy.DELETIONS_MAX + 2), st.integers(1, 20_000)))
@example(length=fuzzy.DELETIONS_MAX)  # the longest with deletions
@example(length=20_000)  # 3 words; each made 20,000 copies of itself before
def test_the_same_letters_cut_into_words_of_any_length_make_at_most_a_deletion_a_letter(
    length: int,
):
    # Words of up to DELETIONS_MAX letters each get one deletion per letter; longer
    # ones none: either way, what the letters cost, not the square of a word's length.
    words = words_of(length, LETTERS)
    index = TokenIndex(titles_of(words))
    deletions_bounded(index)
    letters = sum(map(len, set(words)))
    assert len(index.deletes.hashes) <= letters + len(set(words))
    if length > fuzzy.DELETIONS_MAX:
        assert len(index.deletes.hashes) == 0


def test_a_lookup_scores_at_most_whole_max_letters_of_each_title_whatever_its_length():
    """What bounds a lookup's cost in titles of any length, counted: the whole-string
    score (the one step that reads a title whole) sees at most WHOLE_MAX letters of a
    title, for at most RESCORE titles (rescoring whole titles of 200,000 letters once
    cost about 8 times what titles of 25,000 did)."""
    rng = random.Random(21)
    text = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 12)))
                    for _ in range(200_000 // 8))  # fmt: skip
    scored: list[int] = []

    def whole_scorer(query: str, title: str, **named: object) -> float:
        scored.append(len(title))
        return float(fuzz.WRatio(query, title, **named))

    documents = [(f"t{n}", f"Memory tiering {n} {text}") for n in range(3)]
    index = TokenIndex(documents, whole_scorer=whole_scorer)
    query = ("memory tierng " + " ".join(index.folded[0].split()[3:]))[:MAX_QUERY]
    for asked in ("memory", "memory tiering", query):
        scored.clear()
        assert index.search(asked)[0].key.startswith("t")
        assert 0 < len(scored) <= fuzzy.RESCORE and max(scored) <= fuzzy.WHOLE_MAX


def test_the_longest_word_typo_matching_reaches_is_still_found_with_a_letter_missing():
    word = spelled("abcdefghijklmnopqrstuvwxyz", fuzzy.DELETIONS_MAX)
    index = TokenIndex([("long", f"Proof of {word}"), ("other", "Formal verification")])
    typed = word[:10] + word[11 : fuzzy.TYPO_MAX + 1]
    assert len(typed) == fuzzy.TYPO_MAX
    (hit, *_) = index.search(f"proof {typed}")
    assert hit.key == "long"


def test_a_word_too_long_for_typo_matching_is_still_found_as_typed_and_by_its_start():
    word = spelled("hostile", 400_000)
    index = TokenIndex([("huge", f"Memory {word}"), ("other", "Memory safety")])
    assert index.search(f"memory {word[:150]}")[0].key == "huge"
    assert index.search(word[:40])[0].key == "huge"  # typed so far: a prefix
