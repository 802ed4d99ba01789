"""What a hostile program's text costs the search indexes, as ratios of times in one run.

    python -m benchmarks.hostile_index [--repeats 3]

Any server's organiser can add a program by address, so its titles may be one word of
20,000 letters, or 60,000 letters cut into words of any length. Four ratios, each the
best of a few runs against a baseline measured in the same run:

- a title 8 times as long costs under 24 times as much to index (the square of its
  length would be 64 times);
- the same 60,000 letters cost under 3 times as much to index however they are cut into
  words, against ordinary words of 8 letters (a word's deletions once cost the square of
  its length: a word of 20,000 letters made 20,000 copies of itself);
- 8 times the words cost under 16 times as much to index (8 if linear; sorting the
  vocabulary adds a little);
- a lookup matching titles 8 times as long costs under 3 times as much (rescoring the
  whole title would be about 8 times).

tests/test_search_hostile.py counts what bounds this work (no deletions of a word too
long for typo matching, none longer than DELETIONS_MAX letters; a whole-string score
sees at most WHOLE_MAX letters of a title), untimed; the times are this module's.
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import string
from collections.abc import Callable, Sequence
from time import perf_counter

from bot.search import fuzzy
from bot.search.fuzzy import TokenIndex
from bot.service.program_service import MAX_QUERY

LETTERS = 60_000  # letters cut into words: 0.05 s to index as ordinary words


def fastest(work: Callable[[], object], repeats: int = 3) -> float:
    """The best of a few runs: what the work costs, less what other processes took."""
    best = math.inf
    for _ in range(repeats):
        begun = perf_counter()
        work()
        best = min(best, perf_counter() - begun)
    return best


def spelled(seed: str, letters: int) -> str:
    return (seed * (letters // len(seed) + 1))[:letters]


def words_of(length: int, letters: int, seed: int = 21) -> list[str]:
    """Distinct-looking random words of `length` letters, `letters` in all."""
    rng = random.Random(seed)
    count = max(1, letters // length)
    return ["".join(rng.choices(string.ascii_lowercase, k=length)) for _ in range(count)]


def titles_of(words: list[str], per_title: int = 10) -> list[tuple[str, str]]:
    return [(f"t{n}", " ".join(words[n : n + per_title])) for n in range(0, len(words), per_title)]


def long_title(seed: str, letters: int, repeats: int) -> tuple[float, float]:
    """Indexing a title of `letters` letters of `seed`, and one 8 times as long."""

    def build(size: int) -> Callable[[], object]:
        title = f"Memory tiering for {spelled(seed, size)}"
        return lambda: TokenIndex([("huge", title), ("normal", "Formal verification")])

    return fastest(build(letters), repeats), fastest(build(8 * letters), repeats)


def ordinary_words(repeats: int) -> float:
    """Indexing LETTERS letters cut into ordinary words of 8 letters: the baseline."""
    ordinary = titles_of(words_of(8, LETTERS))
    return fastest(lambda: TokenIndex(ordinary), repeats)


def cut_into_words(length: int, repeats: int) -> float:
    """Indexing LETTERS letters cut into words of `length`."""
    titles = titles_of(words_of(length, LETTERS))
    return fastest(lambda: TokenIndex(titles), repeats)


def eight_times_the_words(repeats: int) -> tuple[float, float]:
    few, many = titles_of(words_of(9, 18_000)), titles_of(words_of(9, 144_000))
    return fastest(lambda: TokenIndex(few), repeats), fastest(lambda: TokenIndex(many), repeats)


def lookup_in_long_titles(repeats: int) -> tuple[float, float]:
    """Three lookups in titles of 25,000 letters, and in titles of 200,000."""
    rng = random.Random(21)

    def index_of(letters: int) -> TokenIndex:
        text = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 12)))
                        for _ in range(letters // 8))  # fmt: skip
        return TokenIndex([(f"t{n}", f"Memory tiering {n} {text}") for n in range(3)])

    short, long = index_of(25_000), index_of(200_000)
    query = ("memory tierng " + " ".join(long.folded[0].split()[3:]))[:MAX_QUERY]
    asked = {"memory", "memory tiering", query}

    def asking(index: TokenIndex) -> float:
        total = 0.0
        for query in asked:
            total += fastest(lambda: index.search(query), 5 * repeats)  # noqa: B023
        return total

    return asking(short), asking(long)


def rows(repeats: int) -> list[tuple[str, float, float, float]]:
    """(what, baseline s, measured s, target ratio) of every measure."""
    found = []
    for seed in ("a", "ab-", "éüμxyz", "abcdefghijkl"):
        for letters in (2_000, 5_000):
            found.append((f"title of {letters:,} letters of {seed!r}, 8x as long",
                          *long_title(seed, letters, repeats), 24.0))  # fmt: skip
    ordinary = ordinary_words(repeats)
    for length in (1, 2, 8, fuzzy.DELETIONS_MAX, fuzzy.DELETIONS_MAX + 2, 1_000, 20_000):
        found.append((f"{LETTERS:,} letters in words of {length:,}, against 8",
                      ordinary, cut_into_words(length, repeats), 3.0))  # fmt: skip
    found.append(("8x the words of 9 letters", *eight_times_the_words(repeats), 16.0))
    found.append(("lookups in titles 8x as long", *lookup_in_long_titles(repeats), 3.0))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best)")
    args = parser.parse_args(argv)
    print(f"hostile text in the search indexes · {platform.machine()} · Python"
          f" {platform.python_version()}")  # fmt: skip
    print(f"  {'measure':<52} {'base ms':>8} {'ms':>8}  {'ratio':>6}  target")
    over = 0
    for what, base, measured, target in rows(args.repeats):
        ratio = measured / base
        over += 0 if ratio < target else 1
        print(f"  {what:<52} {base * 1000:>8.1f} {measured * 1000:>8.1f}  {ratio:>5.1f}x"
              f"  under {target:g}x{'' if ratio < target else '  OVER'}")  # fmt: skip
    print(f"{over} over their target" if over else "every ratio under its target")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
