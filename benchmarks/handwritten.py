"""Search quality on hand-written queries: confbot's index against plain scans.

    python -m benchmarks.handwritten

`benchmarks/handwritten.txt` holds queries written by reading the programs (OSDI '24 and
real exports from ../shared), each labelled with the mistake it makes and the answer a
person means. Each is asked of confbot (the /paper, /author, /session lookups, their
autocompletes, and /search's first answer of the kind) and of a plain scan over the same
folded strings with each of rapidfuzz's WRatio, token_set_ratio, token_sort_ratio and
partial_ratio, and the top-1 is compared, per class of mistake. Also run by
tests/test_search_handwritten.py against the targets.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.importer.registry import read_source
from bot.normalize import fold
from bot.service import PERSON_REF, SESSION_REF, TALK_REF, ProgramService
from bot.service.results import AuthorAnswer, SessionAnswer, TalkAnswer
from bot.settings import BUNDLED_PROGRAM

QUERIES = Path(__file__).with_name("handwritten.txt")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-programs"
PROGRAMS = {
    "osdi": BUNDLED_PROGRAM,
    "fosdem": SHARED / "fosdem-2025.schedule.xml",
    "36c3": SHARED / "ccc-36c3.frab.schedule.json",
    "debconf23": SHARED / "debconf23.schedule.xml",
    "privacyweek": SHARED / "privacyweek-2017.schedule.xml",
}
SCORERS: dict[str, Callable[..., float]] = {
    "WRatio": fuzz.WRatio,
    "token_set": fuzz.token_set_ratio,
    "token_sort": fuzz.token_sort_ratio,
    "partial": fuzz.partial_ratio,
}


class Kind(StrEnum):
    TALK = "talk"
    PERSON = "person"
    SESSION = "session"


class Mistake(StrEnum):
    TYPO = "typo"  # one letter wrong, missing or extra
    TRANSPOSED = "transposed"  # two letters swapped
    TWO_EDITS = "two-edits"  # two mistakes in one long word
    FIRST_LETTER = "first-letter"  # the mistake is in the first letter
    JOINED = "joined"  # words run together: 'chopchop'
    SPLIT = "split"  # one word typed as two: 'iron spec'
    TRANSLITERATED = "transliterated"  # 'Mueller' or 'Muller' for Müller
    ACCENTED = "accented"  # the reverse: accents typed the program does not print
    INITIALS = "initials"  # 'G. Candea'
    NICKNAME = "nickname"  # a nickname the program prints: 'Sherry'
    PARTIAL = "partial"  # a few remembered words, or the start being typed


@dataclass(frozen=True, slots=True)
class Query:
    program: str
    kind: Kind
    mistake: Mistake
    text: str
    expected: str
    line: int


def read_queries(path: Path = QUERIES) -> list[Query]:
    """Every query in the file; a line that does not read is an error naming it."""
    queries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            program, kind, mistake, rest = (part.strip() for part in line.split("|", 3))
            text, expected = (part.strip() for part in rest.split(" -> "))
            if program not in PROGRAMS or not text or not expected:
                raise ValueError
            queries.append(Query(program, Kind(kind), Mistake(mistake), text, expected, number))
        except ValueError:
            raise ValueError(
                f"{path.name}:{number}: expected 'program | kind | mistake | query -> answer'"
                f" with a program from {sorted(PROGRAMS)}, got {raw!r}"
            ) from None
    return queries


@functools.cache
def service_for(program: str) -> ProgramService:
    return ProgramService(read_source(PROGRAMS[program]).program)


def answer_names(service: ProgramService, kind: Kind) -> list[str]:
    """What a plain scan ranks: every title, name or session title, as printed."""
    match kind:
        case Kind.TALK:
            return [t.title for t in service.program.talks]
        case Kind.PERSON:
            return [p.name for p in service.people.values()]
        case Kind.SESSION:
            return [s.title for s in service.program.sessions]


def ours(service: ProgramService, query: Query) -> str | None:
    """The top answer of the command a person would use."""
    match query.kind:
        case Kind.TALK:
            talk = service.talk(query.text)
            return talk.talk.title if isinstance(talk, TalkAnswer) else None
        case Kind.PERSON:
            person = service.author(query.text)
            return person.people[0].name if isinstance(person, AuthorAnswer) else None
        case Kind.SESSION:
            session = service.session(query.text)
            return session.session.title if isinstance(session, SessionAnswer) else None


def autocomplete(service: ProgramService, query: Query) -> str | None:
    """The first suggestion while typing the same text."""
    now = datetime.now(UTC)
    suggest = {Kind.TALK: service.suggest_talks, Kind.PERSON: service.suggest_people,
               Kind.SESSION: service.suggest_sessions}[query.kind]  # fmt: skip
    found = suggest(query.text, now, 1)
    if not found:
        return None
    value = found[0].value
    if value.startswith(TALK_REF):
        return service.talks[value.removeprefix(TALK_REF)].title
    if value.startswith(PERSON_REF):
        return service.people[value.removeprefix(PERSON_REF)].name
    return service.sessions[value.removeprefix(SESSION_REF)].title


def searched(service: ProgramService, query: Query) -> str | None:
    """The first answer of the query's kind that /search lists: a word found as typed
    must not sink below ones it is only close to ('rust' and 'trust')."""
    answer = service.search(query.text)
    match query.kind:
        case Kind.TALK:
            return answer.talks[0].title if answer.talks else None
        case Kind.PERSON:
            return answer.people[0].name if answer.people else None
        case Kind.SESSION:
            return answer.sessions[0].title if answer.sessions else None


@functools.cache
def _folded(program: str, kind: Kind) -> tuple[list[str], list[str]]:
    names = answer_names(service_for(program), kind)
    return names, [fold(n) for n in names]


def plain(scorer: Callable[..., float]) -> Callable[[ProgramService, Query], str | None]:
    """The strongest plain approach: the folded query against every folded answer."""

    def scan(_: ProgramService, query: Query) -> str | None:
        names, folded = _folded(query.program, query.kind)
        best = process.extractOne(fold(query.text), folded, scorer=scorer, processor=None)
        return names[best[2]] if best else None

    return scan


METHODS: dict[str, Callable[[ProgramService, Query], str | None]] = {
    "confbot": ours,
    "autocomplete": autocomplete,
    "search": searched,
    **{name: plain(scorer) for name, scorer in SCORERS.items()},
}


@dataclass(frozen=True, slots=True)
class Score:
    right: int
    total: int

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0


def score(queries: Sequence[Query], method: Callable[[ProgramService, Query], str | None]) -> Score:
    right = sum(method(service_for(q.program), q) == q.expected for q in queries)
    return Score(right, len(queries))


def misses(queries: Iterable[Query]) -> list[tuple[Query, str | None]]:
    """The queries confbot answers wrongly, with what it answered."""
    found = []
    for q in queries:
        answer = ours(service_for(q.program), q)
        if answer != q.expected:
            found.append((q, answer))
    return found


def table(queries: Sequence[Query]) -> list[str]:
    """Top-1 per class of mistake for every method, and where confbot stands."""
    scorers = list(SCORERS)
    head = f"  {'class':<15} {'n':>4}  {'confbot':>7} {'autocompl':>9} {'search':>6}  " + " ".join(
        f"{s:>10}" for s in scorers
    )
    rows = [head + "   vs best plain"]
    groups = [(m.value, [q for q in queries if q.mistake is m]) for m in Mistake]
    groups.append(("all", list(queries)))
    for label, group in groups:
        if not group:
            continue
        results = {name: score(group, method).share for name, method in METHODS.items()}
        best = max(results[s] for s in scorers)
        ours = results["confbot"]
        verdict = "ahead" if ours > best else "tie" if ours == best else "BEHIND"
        rows.append(
            f"  {label:<15} {len(group):>4}  {ours:>7.2f} {results['autocomplete']:>9.2f}"
            f" {results['search']:>6.2f}  "
            + " ".join(f"{results[s]:>10.2f}" for s in scorers)
            + f"   {verdict} ({ours - best:+.2f})"
        )
    return rows


def available(queries: Sequence[Query]) -> list[Query]:
    return [q for q in queries if PROGRAMS[q.program].exists()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.handwritten")
    parser.add_argument("--misses", action="store_true", help="list what confbot gets wrong")
    args = parser.parse_args(argv)
    queries = available(read_queries())
    programs = sorted({q.program for q in queries})
    print(f"{len(queries)} hand-written queries over {', '.join(programs)}; top-1 right:")
    for row in table(queries):
        print(row)
    if args.misses:
        for q, answer in misses(queries):
            print(f"  line {q.line}: {q.text!r} -> {answer!r}, meant {q.expected!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
