"""The classes of mistake the token index forgives, one behaviour each, on a small index
(the hand-written queries in test_search_handwritten.py cover them on real programs)."""

from __future__ import annotations

from bot.normalize import fold, loose
from bot.search.fuzzy import TokenIndex

TITLES = {
    "chop": "Chop Chop: Byzantine Atomic Broadcast to the Network Limit",
    "iron": "IronSpec: Increasing the Reliability of Formal Specifications",
    "squirrel": "SquirrelFS: using the Rust compiler to check file-system crash consistency",
    "serverless": "ServerlessLLM: Low-Latency Serverless Inference for Large Language Models",
    "ebpf": "Validating the eBPF Verifier via State Embedding",
    "open": "Open Source Firmware in the Data Center",
    "opensource": "Opensource Tools for Quantum Computing",
}
PEOPLE = {
    "mueller": "Johannes Müller",
    "plain": "Martin Doerr",
    "weiss": "Simone Weiß",
    "lukasz": "Łukasz Nowak",
    "nazim": "Nazım Can Altınova",
    "david": "Davíð Berman",
    "ritwik": "Ritwik Agarwal",
    "annanay": "Annanay Agarwal",
}


def top(index: TokenIndex, query: str) -> str | None:
    hits = index.search(query, 3)
    return hits[0].key if hits and hits[0].score >= 65 else None


talks = TokenIndex(TITLES.items())
people = TokenIndex(PEOPLE.items(), initials=True)


def test_words_run_together_find_the_two_words():
    assert top(talks, "chopchop") == "chop"


def test_one_word_typed_as_two_finds_it():
    assert top(talks, "iron spec") == "iron"


def test_two_words_that_also_match_apart_still_do():
    assert top(talks, "open source firmware") == "open"


def test_a_transposition_in_the_part_typed_so_far():
    assert top(talks, "sqiurrel") == "squirrel"


def test_two_letters_missing_from_a_long_word():
    assert top(talks, "servrlesllm") == "serverless"


def test_four_letters_two_edits_apart_are_not_a_typo():
    assert top(talks, "epfl") is None


def test_four_letters_one_swap_apart_are_a_typo():
    assert top(talks, "ebfp verifier") == "ebpf"


def test_ue_spelling_finds_the_umlaut():
    assert top(people, "johannes mueller") == "mueller"


def test_the_umlaut_finds_the_ue_spelling():
    assert top(people, "martin dörr") == "plain"


def test_ss_finds_sharp_s():
    assert top(people, "simone weiss") == "weiss"


def test_letters_without_a_decomposition_are_folded():
    assert fold("Łukasz Altınova Davíð") == "lukasz altinova david"


def test_loose_keys_meet():
    assert loose("mueller") == loose("muller") == loose(fold("Müller"))


def test_an_initial_stands_for_another_word_than_the_family_name():
    assert top(people, "A. Agarwal") == "annanay"


def test_last_resorts_are_tried_for_two_words_of_a_query_at_most(monkeypatch):
    tried: list[str] = []
    real = TokenIndex._last_resort
    monkeypatch.setattr(
        TokenIndex, "_last_resort", lambda self, word: tried.append(word) or real(self, word)
    )
    talks.search(" ".join(f"qqzzxx{chr(97 + i)}wv" for i in range(20)))
    assert len(tried) == 2


def test_last_resorts_can_be_left_out():
    assert talks.search("sqiurrel", last_resorts=False) == []
