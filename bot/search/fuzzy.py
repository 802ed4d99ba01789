"""A typo-tolerant token index: the engine behind paper, people and affiliation lookup.

Why not one `rapidfuzz.process.extract(query, titles, scorer=WRatio)`? Three reasons:
it scans every title on every keystroke; it scores a short query like 'llumnix' poorly
against a long title, because the title's length dilutes it; and it weighs 'memory'
(in many titles) the same as 'fairness' (in one). So:

1. Each query word is matched against the vocabulary of words in the documents:
   exactly, as a prefix (the word being typed), or fuzzily (typos).
2. Documents that contain a matched word are candidates (an inverted index).
3. A candidate's score is how well it covers the query's words, each word weighted by
   how rare it is (IDF), blended with a whole-string WRatio that rewards exact titles.

Text is folded first (no accents, Greek transliterated, no punctuation), so 'Clement'
finds 'Clément' and 'uslope' finds 'μSlope'.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.normalize import fold

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "with",
        "without",
        "using",
        "toward",
        "towards",
        "is",
        "are",
        "be",
        "its",
        "their",
        "our",
        "your",
    ]
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One document that matches a query, with a score from 0 to 100."""

    key: str
    score: float


@dataclass(frozen=True, slots=True)
class _Doc:
    key: str
    folded: str
    tokens: tuple[str, ...]
    token_set: frozenset[str]


class TokenIndex:
    """Documents (key, text) searchable by fuzzy, weighted token overlap."""

    def __init__(
        self,
        documents: Iterable[tuple[str, str]],
        *,
        initials: bool = False,
        whole_scorer=fuzz.WRatio,
        whole_weight: float = 0.25,
    ) -> None:
        self.initials = initials
        self.whole_scorer = whole_scorer
        self.whole_weight = whole_weight
        self.docs: list[_Doc] = []
        postings: dict[str, list[int]] = {}
        for key, text in documents:
            folded = fold(text)
            tokens = tuple(folded.split())
            # 'Data-flow' is also 'dataflow' to a person typing it.
            joined = {a + b for a, b in itertools.pairwise(tokens)}
            token_set = frozenset(tokens) | joined
            doc_id = len(self.docs)
            self.docs.append(_Doc(key, folded, tokens, token_set))
            for token in token_set:
                postings.setdefault(token, []).append(doc_id)
        self.postings = {token: tuple(ids) for token, ids in postings.items()}
        self.vocabulary = sorted(self.postings)
        count = max(len(self.docs), 1)
        self.idf = {t: math.log(1 + count / len(ids)) for t, ids in self.postings.items()}
        self.max_idf = math.log(1 + count)
        self._folded = [doc.folded for doc in self.docs]

    def __len__(self) -> int:
        return len(self.docs)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Best matches first. Scores below ~70 are weak; callers pick the threshold."""
        folded = fold(query)
        words = folded.split()
        if not words:
            return []
        meaningful = [w for w in words if w not in STOPWORDS]
        only_stopwords = not meaningful
        meaningful = meaningful or words
        matches = {word: self._similar_tokens(word) for word in meaningful}
        candidates: set[int] = set()
        for similar in matches.values():
            for token in similar:
                candidates.update(self.postings[token])
        if not candidates:
            return self._scan(folded, limit)
        scored = [
            Hit(self.docs[i].key, self._score(self.docs[i], folded, meaningful, matches))
            for i in candidates
        ]
        if only_stopwords:  # 'the' matches everything and so means nothing
            scored = [Hit(h.key, round(h.score / 2, 2)) for h in scored]
        scored.sort(key=lambda h: (-h.score, h.key))
        return scored[:limit]

    def _similar_tokens(self, word: str) -> dict[str, float]:
        """Vocabulary words like `word`, with a similarity from 0 to 100."""
        found: dict[str, float] = {}
        if word in self.postings:
            found[word] = 100.0
        if len(word) >= 2:
            for token in _prefixed(self.vocabulary, word):
                if token != word:
                    # A prefix is the word being typed: strong, stronger the more is typed.
                    found[token] = max(found.get(token, 0.0), 75.0 + 15.0 * len(word) / len(token))
        if len(word) >= 4:
            cutoff = 80.0 if len(word) <= 5 else 72.0
            for token, score, _ in process.extract(
                word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                found[token] = max(found.get(token, 0.0), float(score))
        if self.initials and len(word) == 1:
            for token in _prefixed(self.vocabulary, word):
                found.setdefault(token, 90.0)
        return found

    def _score(
        self, doc: _Doc, folded: str, words: Sequence[str], matches: dict[str, dict[str, float]]
    ) -> float:
        total = 0.0
        weight_sum = 0.0
        for word in words:
            similar = matches[word]
            best_token, best = None, 0.0
            for token in doc.token_set:
                score = similar.get(token)
                if score is not None and score > best:
                    best_token, best = token, score
            weight = self.idf[best_token] if best_token else self._unmatched_weight(word, similar)
            if self.initials and len(word) == 1:
                weight = min(weight, 0.5)  # an initial narrows, it does not decide
            total += weight * best
            weight_sum += weight
        coverage = total / weight_sum if weight_sum else 0.0
        if coverage < 90 and len(words) > 1:
            # 'serverless llm' for 'ServerlessLLM': words the title runs together.
            compact = "".join(words)
            joined = max((fuzz.ratio(compact, t) for t in doc.token_set if len(t) > 5), default=0)
            if joined >= 85:
                coverage = max(coverage, joined)
        whole = self.whole_scorer(folded, doc.folded)
        return round((1 - self.whole_weight) * coverage + self.whole_weight * whole, 2)

    def _unmatched_weight(self, word: str, similar: dict[str, float]) -> float:
        """A query word this document lacks costs as much as the rarest word it matched."""
        if similar:
            return max(self.idf[t] for t in similar)
        return self.max_idf

    def _scan(self, folded: str, limit: int) -> list[Hit]:
        """No query word is near any indexed word: fall back to whole-string similarity."""
        results = process.extract(folded, self._folded, scorer=self.whole_scorer, limit=limit)
        return [Hit(self.docs[i].key, round(float(s) * 0.8, 2)) for _, s, i in results]


def _prefixed(vocabulary: list[str], prefix: str) -> list[str]:
    """Sorted-vocabulary words starting with prefix (binary search, no scan)."""
    start = bisect.bisect_left(vocabulary, prefix)
    end = bisect.bisect_left(vocabulary, prefix + "\uffff")
    return vocabulary[start:end]
