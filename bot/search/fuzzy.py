"""A typo-tolerant token index: the engine behind talk, people and affiliation lookup.

Why not one `rapidfuzz.process.extract(query, titles, scorer=WRatio)`? It scans every
title on every keystroke (about 40 ms for 10,000 titles), it scores a short query like
'llumnix' poorly against a long title, and it weighs 'memory' (in many titles) the same
as 'fairness' (in one). So, per query:

1. Each query word is matched against the vocabulary of document words: exactly, as a
   prefix (the word being typed), or with typos. Typos are found with a symmetric
   deletion index (every word minus one letter, SymSpell-style), so finding 'stoika' ->
   'stoica' is a few dictionary look-ups, not a scan; candidates are confirmed with
   rapidfuzz's ratio.
2. Documents holding a matched word get coverage points from its postings, each query
   word weighted by how rare its match is (IDF).
3. Only the best few dozen candidates are rescored with a whole-string scorer (WRatio),
   which rewards exact titles and settles ties.

Text is folded first (no accents, Greek transliterated, no punctuation), so 'Clement'
finds 'Clément' and 'uslope' finds 'μSlope'. Hyphenated words are indexed joined too,
so 'dataflow' finds 'Data-flow'.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from bot.normalize import fold, loose

STOPWORDS = frozenset(
    (
        "a an and as at by for from in into of on or the to via with without using toward"
        " towards is are be its their our your"
    ).split()
)

# Prefixes of short input can match thousands of words; the most common ones are enough
# to rank, and the cap keeps one-letter autocomplete as fast as any other.
PREFIX_CAP = 40
# Rescoring with the whole-string scorer is the expensive step: only the best candidates.
RESCORE = 25
# A word being typed can be the prefix of many words; stop adding them past this many
# postings (the most common words come first), so a short prefix costs no more than a word.
PREFIX_POSTINGS = 1500
# An initial is checked on this many of the best candidates of the other words.
INITIALS_CHECKED = 300
# Words shorter than this only match exactly or as a prefix: 'ml' is not a typo of 'os'.
TYPO_MIN = 4
# The cost of typo matching grows with the square of a word's length (deletions of
# deletions): past this no real word is typed, so longer ones match exactly or not at all.
TYPO_MAX = 32
# The longest vocabulary word typo matching can reach. A query word of at most TYPO_MAX
# letters, less up to two deleted, meets a vocabulary word or its one-letter deletions
# of the same length: so a word of TYPO_MAX + 1 letters at most. Longer words (a hostile
# program's 400,000-letter title) get no deletions, which would cost the square of their
# length (one copy per letter), and match exactly or by prefix as before.
DELETIONS_MAX = TYPO_MAX + 1
# Similarity given to a word that differs only in how an umlaut or ß is spelled
# ('mueller' for Müller): as good as exact, a shade below so the exact spelling wins ties.
LOOSE_SIMILARITY = 97.0
# Last resorts for a word nothing else matched: two edits anywhere in a long word, or one
# edit in the part of a word typed so far ('sqiurrel' for SquirrelFS). Both compare the
# word with a slice of the vocabulary in rapidfuzz's C code, so they are only tried when
# the cheap paths found nothing.
TWO_EDITS_MIN = 8
# ... and only for this many words of one query, so hostile input (twenty unknown words)
# stays cheap.
LAST_RESORT_WORDS = 2
# Two query words that are also one vocabulary word: how much matching them apart counts.
APART = 0.95
TYPED_PREFIX_MIN = 5
# Rescoring compares the whole query with a document's folded text, and costs what that
# text's length does: only its first WHOLE_MAX characters are kept for it, four times
# the longest text of the real programs (an affiliation of 240), so a hostile program's
# 400,000-letter title costs a lookup what a normal title does. Its words are all
# indexed still.
WHOLE_MAX = 1000
# Distinct query words looked up; more add cost, not precision (16 words already name
# any title), and the whole-string rescoring still sees everything typed.
MAX_WORDS = 16


@dataclass(frozen=True, slots=True)
class Hit:
    """One document that matches a query, with a score from 0 to 100."""

    key: str
    score: float


def _deletes(word: str, depth: int) -> set[str]:
    """`word` with up to `depth` letters deleted (always at least two letters left)."""
    found = {word}
    layer = {word}
    for _ in range(depth):
        layer = {w[:i] + w[i + 1 :] for w in layer if len(w) > 2 for i in range(len(w))}
        found |= layer
    return found


class _Deletions:
    """Vocabulary words by their one-letter deletions (SymSpell), as sorted arrays of the
    deletions' hashes and the words they come from. A dict of lists held the same, but
    building it cost a dict operation per deletion (a quarter of a second at 10,000
    titles); here that is one list comprehension and one sort. Hashes are only compared
    within this process, and a collision can only add a candidate, which the caller's
    ratio check then rejects."""

    def __init__(self, words: Iterable[str]) -> None:
        # A word longer than DELETIONS_MAX shares no deletion with any query word typo
        # matching looks up (see DELETIONS_MAX), so it is left out: its deletions would
        # cost the square of its length and could never be found.
        self.words = [w for w in words if TYPO_MIN <= len(w) <= DELETIONS_MAX]
        hashes = [hash(w[:i] + w[i + 1 :]) for w in self.words for i in range(len(w))]
        hashes += map(hash, self.words)
        ids = np.arange(len(self.words))
        owners = np.concatenate([np.repeat(ids, [len(w) for w in self.words]), ids])
        table = np.array(hashes, dtype=np.int64)
        order = np.argsort(table, kind="stable")
        self.hashes = table[order]
        self.owners = owners[order]

    def near(self, variants: Iterable[str]) -> set[str]:
        """The words sharing a deletion with one of `variants`."""
        wanted = np.fromiter((hash(v) for v in variants), dtype=np.int64)
        lo = np.searchsorted(self.hashes, wanted, side="left")
        hi = np.searchsorted(self.hashes, wanted, side="right")
        return {self.words[n] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
                for n in self.owners[a:b].tolist()}  # fmt: skip


class TokenIndex:
    """Documents (key, text) searchable by fuzzy, weighted token overlap."""

    def __init__(
        self,
        documents: Iterable[tuple[str, str]],
        *,
        initials: bool = False,
        whole_scorer: Callable[..., float] = fuzz.WRatio,
        whole_weight: float = 0.25,
    ) -> None:
        self.initials = initials
        self.whole_scorer = whole_scorer
        self.whole_weight = whole_weight
        self.keys: list[str] = []
        self.folded: list[str] = []
        postings: dict[str, list[int]] = {}
        words: set[str] = set()
        for key, text in documents:
            folded = fold(text)
            tokens = folded.split()
            doc_id = len(self.keys)
            self.keys.append(key)
            self.folded.append(folded[:WHOLE_MAX])
            words.update(tokens)
            for token in {*tokens, *_hyphen_joins(text)}:
                postings.setdefault(token, []).append(doc_id)
        self.postings = {t: np.array(ids, dtype=np.int32) for t, ids in postings.items()}
        self.vocabulary = sorted(self.postings)
        self.longest = max(map(len, words), default=0)
        count = max(len(self.keys), 1)
        self.idf = {t: math.log(1 + count / len(ids)) for t, ids in self.postings.items()}
        self.max_idf = math.log(1 + count)
        # Deletion index over real words only (joined pairs match exactly or by prefix).
        self.deletes = _Deletions(sorted(words))
        # Words whose loose key differs from them; a word equal to its key is found by
        # looking the key up in the postings.
        self.loose: dict[str, list[str]] = {}
        for token in self.vocabulary:
            if (key := loose(token)) != token:
                self.loose.setdefault(key, []).append(token)
        self.by_length: dict[int, list[str]] = {}
        for token in self.vocabulary:
            self.by_length.setdefault(len(token), []).append(token)

    def __len__(self) -> int:
        return len(self.keys)

    def search(self, query: str, limit: int = 10, *, last_resorts: bool = True) -> list[Hit]:
        """Best matches first. Scores below ~70 are weak; callers pick the threshold."""
        folded = fold(query)
        words = folded.split()
        if not words:
            return []
        meaningful = [w for w in words if w not in STOPWORDS]
        only_stopwords = not meaningful
        meaningful = list(dict.fromkeys(meaningful or words))[:MAX_WORDS]
        coverage = self._coverage(meaningful, LAST_RESORT_WORDS if last_resorts else 0)
        matched = np.flatnonzero(coverage)
        if matched.size == 0:
            return []
        keep = max(RESCORE, limit)
        if matched.size > keep:
            matched = matched[np.argpartition(-coverage[matched], keep - 1)[:keep]]
        hits = []
        for doc_id in matched.tolist():
            cover = self._joined_words(meaningful, doc_id, float(coverage[doc_id]))
            whole = self.whole_scorer(folded, self.folded[doc_id])
            score = (1 - self.whole_weight) * cover + self.whole_weight * whole
            if only_stopwords:  # 'the' matches everything and so means nothing
                score /= 2
            hits.append(Hit(self.keys[doc_id], round(score, 2)))
        hits.sort(key=lambda h: (-h.score, h.key))
        return hits[:limit]

    def _coverage(self, words: list[str], last_resorts: int) -> np.ndarray:
        """Per document: the weighted share (0-100) of the query words it matches, and how
        well. Vector operations over the postings: no Python loop per document."""
        count = len(self.keys)
        initials = [w for w in words if self.initials and len(w) == 1 and len(words) > 1]
        typed = [(w, i == len(words) - 1) for i, w in enumerate(words) if w not in initials]
        per_word = []
        for word, typing in typed:
            weight, best, used = self._word_match(word, typing, last_resorts > 0)
            per_word.append((weight, best))
            last_resorts -= used
        per_word = self._with_pairs_joined([w for w, _ in typed], per_word)
        if initials:
            per_word += self._initials(initials, [w for w, _ in typed], per_word)
        total_weight = sum(w for w, _ in per_word) or 1.0
        coverage = np.zeros(count, dtype=np.float32)
        for weight, best in per_word:
            coverage += (weight / total_weight) * best
        return coverage

    def _word_match(
        self, word: str, typing: bool, last_resort: bool = False
    ) -> tuple[float, np.ndarray, bool]:
        """How important the word is (IDF) and how well each document matches it. A word
        the vocabulary lacks may be two of its words run together ('chopchop')."""
        similar = self._similar_tokens(word, typing)
        used = last_resort and not similar and TYPED_PREFIX_MIN <= len(word) <= TYPO_MAX
        if used:
            similar = self._last_resort(word)
        best = np.zeros(len(self.keys), dtype=np.float32)
        for token, sim in similar.items():
            ids = self.postings[token]
            best[ids] = np.maximum(best[ids], sim)
        weight = max((self.idf[t] for t, s in similar.items() if s >= 99), default=None)
        if weight is None:
            weight = max((self.idf[t] for t in similar), default=self.max_idf)
        if word not in self.postings and (parts := self._split(word)):
            (w1, b1, _), (w2, b2, _) = (self._word_match(part, False) for part in parts)
            best = np.maximum(best, (w1 * b1 + w2 * b2) / (w1 + w2))
            weight = max(w1, w2) if not similar else weight
        return weight, best, used

    def _split(self, word: str) -> tuple[str, str] | None:
        """Two vocabulary words that make up `word`, the longer first part preferred."""
        for cut in range(len(word) - 2, 1, -1):
            if word[:cut] in self.postings and word[cut:] in self.postings:
                return word[:cut], word[cut:]
        return None

    def _with_pairs_joined(
        self, words: list[str], per_word: list[tuple[float, np.ndarray]]
    ) -> list[tuple[float, np.ndarray]]:
        """Two query words that are one word of the vocabulary ('iron spec' for IronSpec,
        'next cloud' for Nextcloud) count as that word where it matches better; where the
        two words match better apart ('open source'), they still count apart."""
        merged: list[tuple[float, np.ndarray]] = []
        i = 0
        while i < len(words):
            if i + 1 < len(words) and (joined := words[i] + words[i + 1]) in self.postings:
                (w1, b1), (w2, b2) = per_word[i], per_word[i + 1]
                _, together, _ = self._word_match(joined, typing=i + 2 == len(words))
                # Apart, a shade weaker: 'next cloud' means Nextcloud before it means a
                # title that says 'next' and 'cloud' somewhere.
                apart = APART * (w1 * b1 + w2 * b2) / (w1 + w2)
                merged.append((w1 + w2, np.maximum(together, apart)))
                i += 2
            else:
                merged.append(per_word[i])
                i += 1
        return merged

    def _initials(
        self, letters: list[str], words: list[str], per_word: list[tuple[float, np.ndarray]]
    ) -> list[tuple[float, np.ndarray]]:
        """An initial ('H. Chen') narrows what the other words found: it is checked on the
        best of those candidates only, never expanded over every 'H' in the program. It
        stands for a word the other query words did not name: the 'A.' of 'A. Agarwal'
        is not Agarwal itself."""
        found = sum((best for _, best in per_word), np.zeros(len(self.keys), dtype=np.float32))
        candidates = np.flatnonzero(found)
        if candidates.size > INITIALS_CHECKED:
            top = np.argpartition(-found[candidates], INITIALS_CHECKED - 1)[:INITIALS_CHECKED]
            candidates = candidates[top]
        extra = []
        for letter in letters:
            best = np.zeros(len(self.keys), dtype=np.float32)
            for doc in candidates.tolist():
                if any(w[0] == letter and w not in words for w in self.folded[doc].split()):
                    best[doc] = 90.0
            extra.append((0.5, best))
        return extra

    def _similar_tokens(self, word: str, typing: bool) -> dict[str, float]:
        """Vocabulary words like `word`, with a similarity from 0 to 100.

        `typing` is true for the last word of the query, which may be unfinished.
        """
        found: dict[str, float] = {}
        if word in self.postings:
            found[word] = 100.0
            if not typing:
                return found  # a word that exists was most likely meant as typed
        if len(word) >= 2 or self.initials:
            prefixed = _prefixed(self.vocabulary, word)
            cap = PREFIX_CAP if len(word) > 1 else PREFIX_CAP // 4
            if len(prefixed) > cap:
                prefixed = heapq.nlargest(cap, prefixed, key=lambda t: len(self.postings[t]))
            budget = PREFIX_POSTINGS
            for token in prefixed:
                budget -= len(self.postings[token])
                if budget < 0 and token != prefixed[0]:
                    break
                if token == word:
                    continue
                if len(word) == 1:
                    # A lone letter is an initial ('H. Chen') or the first key pressed.
                    found.setdefault(token, 90.0 if self.initials else 70.0)
                else:
                    # A prefix is a word being typed: the more is typed, the stronger.
                    found[token] = max(found.get(token, 0.0), 75.0 + 15.0 * len(word) / len(token))
        key = loose(word)
        for token in (*self.loose.get(key, ()), *((key,) if key in self.postings else ())):
            if token != word:
                found[token] = max(found.get(token, 0.0), LOOSE_SIMILARITY)
        depth = 2 if len(word) >= 8 else 1
        # A deletion match needs the lengths within `depth`: a word longer than every
        # vocabulary word by more cannot match, so its deletions are never built.
        if TYPO_MIN <= len(word) <= min(TYPO_MAX, self.longest + depth):
            cutoff = 80.0 if len(word) <= 5 else 72.0
            for token in self.deletes.near(_deletes(word, depth)):
                score = fuzz.ratio(word, token, score_cutoff=cutoff)
                if not score and len(word) == 4 and OSA.distance(word, token) == 1:
                    # One wrong or swapped letter in a four-letter word ('xhop', 'chne')
                    # scores 75 by ratio; 'epfl' and 'ebpf' score 75 too, but are two
                    # edits apart, so the count of edits decides.
                    score = 75.0
                if score:
                    found[token] = max(found.get(token, 0.0), float(score))
        return found

    def _last_resort(self, word: str) -> dict[str, float]:
        """For a word nothing cheaper matched: two edits anywhere in a long word, else one
        edit within the start of a longer word."""
        found = self._two_edits(word) if len(word) >= TWO_EDITS_MIN else {}
        return found or self._typed_prefix(word)

    def _two_edits(self, word: str) -> dict[str, float]:
        """Words of about the same length at most two edits away: the deletion index holds
        one deletion per word, which misses two letters missing from a long word."""
        found: dict[str, float] = {}
        for length in range(len(word) - 2, len(word) + 3):
            choices = self.by_length.get(length, ())
            for token, distance, _ in process.extract(
                word, choices, scorer=Levenshtein.distance, score_cutoff=2, limit=None
            ):
                found[token] = max(found.get(token, 0.0), 78.0 - 4.0 * distance)
        return found

    def _typed_prefix(self, word: str) -> dict[str, float]:
        """Longer words whose start is one edit from `word`: the start of a name typed
        with a slip ('sqiurrel' for squirrelfs). Words sharing the first letter only, so
        the slice compared stays small."""
        choices = [t for t in _prefixed(self.vocabulary, word[0]) if len(t) > len(word)]
        starts = [t[: len(word)] for t in choices]
        return {
            choices[i]: 75.0
            for _, _, i in process.extract(
                word, starts, scorer=Levenshtein.distance, score_cutoff=2, limit=None
            )
        }

    def _joined_words(self, words: list[str], doc_id: int, cover: float) -> float:
        """'serverless llm' for 'ServerlessLLM': query words the title runs together."""
        if cover >= 90 or len(words) < 2:
            return cover
        compact = "".join(words)
        tokens = [t for t in self.folded[doc_id].split() if len(t) > 5]
        joined = max((fuzz.ratio(compact, t) for t in tokens), default=0.0)
        return max(cover, joined) if joined >= 85 else cover


def has_words(query: str, text: str) -> bool:
    """Whether `text` holds every word of `query` as typed, as a whole word or (for a
    word of four letters or more) the start of one: 'rust' is in 'Rust-ifying' and
    'postgres' in 'PostgreSQL', not in 'Trust No One'. Folded as the index folds, stop
    words left out unless there is nothing else; what /search lists first."""
    words = fold(query).split()
    wanted = [w for w in words if w not in STOPWORDS] or words
    held = {*fold(text).split(), *_hyphen_joins(text)}
    return bool(wanted) and all(
        w in held or (len(w) >= 4 and any(h.startswith(w) for h in held)) for w in wanted
    )


def _hyphen_joins(text: str) -> list[str]:
    """'Data-flow' is also 'dataflow' and 'Zu-Ming' 'zuming' to a person typing it."""
    return [fold(part).replace(" ", "") for part in text.split() if "-" in part or "/" in part]


def _prefixed(vocabulary: list[str], prefix: str) -> list[str]:
    """Sorted-vocabulary words starting with prefix (binary search, no scan)."""
    start = bisect.bisect_left(vocabulary, prefix)
    end = bisect.bisect_left(vocabulary, prefix + "\uffff")
    return vocabulary[start:end]
