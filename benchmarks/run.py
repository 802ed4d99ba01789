"""Benchmark confbot at conference scale against a plain scan, in one run.

    python -m benchmarks.run --papers 10000

Prints load time and peak RSS (in a process holding discord.py, as the bot does),
p50/p99 latencies for lookups, autocomplete, /next, /now and /search, each with its
ratio to a plain way of doing the same on the same inputs in the same run (absolute
times on shared machines are only indicative), top-1 per class of generated query
against plain scans of folded strings with each rapidfuzz scorer, the same on the real
FOSDEM 2025 program (from ../shared), and the hand-written queries' table.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import math
import os
import platform
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import fuzz, process

from benchmarks import handwritten
from benchmarks.handwritten import SCORERS
from benchmarks.queries import Labeled, person_queries, talk_queries
from benchmarks.stalls import longest_stall
from benchmarks.synth import write_program
from bot.app import load_service
from bot.bulk import favour_the_loop
from bot.importer.registry import read_source
from bot.live.holder import ProgramHolder
from bot.model import Program
from bot.normalize import fold
from bot.render import ics
from bot.search import Hit, ProgramIndex
from bot.service import ProgramService
from bot.service.program_service import MAX_QUERY
from bot.settings import BUNDLED_PROGRAM, PROJECT_ROOT, Settings

# The plain scan latencies are measured with: the most accurate plain scorer on the
# hand-written queries (python -m benchmarks.handwritten), over folded strings.
PLAIN_SCORER = fuzz.partial_ratio

Timings = list[float]


def measure(fn: Callable[[str], object], inputs: Sequence[str]) -> Timings:
    """Milliseconds per call, one call per input."""
    times = []
    for text in inputs:
        start = time.perf_counter()
        fn(text)
        times.append((time.perf_counter() - start) * 1000)
    return times


def p(times: Timings, q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- load, in a fresh process so its peak RSS is the bot's own -------------------------


def probe_load(program_dir: Path, db_path: Path) -> dict[str, float]:
    code = (
        "import asyncio, json, resource, time, sys\n"
        "t0 = time.perf_counter()\n"
        "import discord  # the bot's process holds discord.py too: count it\n"
        "from bot.adapters.discord.client import ConfBot\n"
        "from bot.app import load_service\n"
        "from bot.settings import Settings\n"
        "t1 = time.perf_counter()\n"
        "imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        f"settings = Settings.from_mapping({{'CONFBOT_PROGRAM': {str(program_dir)!r},"
        f" 'CONFBOT_DB': {str(db_path)!r}}})\n"
        "loaded = asyncio.run(load_service(settings))\n"
        "t2 = time.perf_counter()\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'imports_s': t1 - t0, 'load_s': t2 - t1, 'rss_mb': rss,"
        " 'imports_rss_mb': imported, 'rebuilt': loaded.report.rebuilt}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PROJECT_ROOT, check=True)  # fmt: skip
    measured: dict[str, float] = json.loads(out.stdout)
    return measured


def startup_ask(db_path: Path, runs: int = 5) -> float:
    """Seconds for `python -m bot ask "/next"` on the bundled program (database warm)."""
    env = {**os.environ, "CONFBOT_DB": str(db_path)}
    env.pop("CONFBOT_PROGRAM", None)
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "/next", "--now", "2024-07-10T10:50"],
                       env=env, cwd=PROJECT_ROOT, capture_output=True, check=True)  # fmt: skip
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])  # the first run builds the database


# -- quality ----------------------------------------------------------------------------


def top1(ranked: Callable[[str], list[str]], queries: Sequence[Labeled]) -> float:
    return sum(bool(k := ranked(q.query)) and k[0] == q.expected for q in queries) / len(queries)


def folded_scan(
    choices: list[str], keys: list[str], scorer: Callable[..., float]
) -> Callable[[str], list[str]]:
    """The strongest plain approach: folded query against every folded choice."""
    folded = [fold(c) for c in choices]
    return lambda q: [
        keys[i]
        for _, _, i in process.extract(fold(q), folded, scorer=scorer, processor=None, limit=5)
    ]


def index_ranking(find: Callable[[str, int], list[Hit]]) -> Callable[[str], list[str]]:
    return lambda q: [h.key for h in find(q, 5)]


def quality_rows(service: ProgramService, n: int, seed: int) -> list[str]:
    """Top-1 per class of generated query, confbot against each plain scorer."""
    program = service.program
    talks = [p.title for p in program.talks], [p.key for p in program.talks]
    people = [p.name for p in service.people.values()], list(service.people)
    names = list(SCORERS)
    rows = [f"    {'class':<26} {'n':>4} {'confbot':>8} " + " ".join(f"{s:>10}" for s in names)
            + "   vs best plain"]  # fmt: skip
    for label, queries, find, (choices, keys) in (
        ("talks", talk_queries(program, n, seed), service.index.find_talks, talks),
        ("people", person_queries(list(service.people.values()), n, seed),
         service.index.find_people, people),
    ):  # fmt: skip
        methods = {
            "confbot": index_ranking(find),
            **{name: folded_scan(choices, keys, scorer) for name, scorer in SCORERS.items()},
        }
        styles = sorted({q.style for q in queries})
        for style, group in [(s, [q for q in queries if q.style == s]) for s in styles] + [
            ("all", queries)
        ]:
            share = {name: top1(method, group) for name, method in methods.items()}
            best = max(share[name] for name in names)
            rows.append(
                f"    {label + ': ' + style:<26} {len(group):>4} {share['confbot']:>8.2f} "
                + " ".join(f"{share[name]:>10.2f}" for name in names)
                + f"   {share['confbot'] - best:+.2f}"
            )
    return rows


# -- latency ----------------------------------------------------------------------------


def latency_rows(service: ProgramService, n: int, seed: int, baseline_n: int) -> list[str]:
    """p50/p99 of each operation over n inputs, and its p99 against a plain way of doing
    the same on the same first baseline_n inputs (scans cost tens of ms each)."""
    program = service.program
    rng = random.Random(seed)
    talk_qs = [q.query for q in talk_queries(program, n, seed)]
    people_qs = [q.query for q in person_queries(list(service.people.values()), n, seed)]
    # Autocomplete sees every prefix as it is typed: 0, 1, 2, ... characters.
    ac_titles = [q[: rng.randint(1, len(q))] for q in talk_qs]
    ac_names = [q[: rng.randint(1, len(q))] for q in people_qs]
    letters = [q[:1] for q in talk_qs]
    first = min(pp.slot.start for pp in program.talks)
    span = (max(pp.slot.end for pp in program.talks) - first).total_seconds()
    moments = [first + timedelta(seconds=rng.uniform(-86400, span + 86400)) for _ in range(n)]
    items = list(service.timeline.foreground)
    talks = list(service.talks.values())
    folded = {
        "titles": [fold(pp.title) for pp in program.talks],
        "names": [fold(person.name) for person in service.people.values()],
        "everything": [fold(t) for t in (
            *(pp.title for pp in program.talks), *(p.name for p in service.people.values()),
            *(s.title for s in program.sessions),
            *{a.affiliation for pp in program.talks for a in pp.authors if a.affiliation},
        )],
    }  # fmt: skip

    def scan(choices: str) -> Callable[[str], object]:
        return lambda q: process.extract(
            fold(q), folded[choices], scorer=PLAIN_SCORER, processor=None, limit=5
        )

    def scan_next(at: datetime) -> object:
        """The plain way: look at every item."""
        current = [i for i in items if i.slot.start <= at < i.slot.end]
        later = [i for i in items if i.slot.start > at]
        return current, min((i.slot.start for i in later), default=None)

    def scan_upcoming(at: datetime) -> object:
        """What empty autocomplete shows (the next 25 talks), by looking at every talk."""
        return sorted((t for t in talks if t.slot.start >= at), key=lambda t: t.slot.start)[:25]

    def moment_fn(fn: Callable[[datetime], object]) -> Callable[[str], object]:
        return lambda i: fn(moments[int(i)])

    indices = [str(i) for i in range(n)]
    operations = [
        ("/paper lookup", lambda q: service.talk(q), talk_qs, scan("titles")),
        ("/author lookup", lambda q: service.author(q), people_qs, scan("names")),
        ("title autocomplete", lambda q: service.suggest_talks(q, first), ac_titles,
         scan("titles")),
        ("author autocomplete", lambda q: service.suggest_people(q, first), ac_names,
         scan("names")),
        ("  one letter", lambda q: service.suggest_talks(q, first), letters, scan("titles")),
        ("  empty", moment_fn(lambda at: service.suggest_talks("", at)), indices,
         moment_fn(scan_upcoming)),
        ("/next", moment_fn(service.next), indices, moment_fn(scan_next)),
        ("/now", moment_fn(service.now), indices, moment_fn(scan_next)),
        ("/search", lambda q: service.search(q), talk_qs, scan("everything")),
    ]  # fmt: skip
    rows = [f"  {'operation':<20} {'p50 ms':>8} {'p99 ms':>8}   {'plain p50/p99':>16}"
            f"   {'p99 vs plain, same ' + str(min(n, baseline_n)) + ' inputs':>30}"]  # fmt: skip
    for name, fn, inputs, baseline in operations:
        measure(fn, inputs[:20])  # warm caches
        ours = measure(fn, inputs)
        same = ours[: min(n, baseline_n)]
        base = measure(baseline, inputs[: min(n, baseline_n)])
        ratio = p(base, 0.99) / max(p(same, 0.99), 1e-6)
        rows.append(
            f"  {name:<20} {p(ours, 0.5):>8.3f} {p(ours, 0.99):>8.3f}"
            f"   {p(base, 0.5):>7.2f} / {p(base, 0.99):<7.2f}   {ratio:>21.0f}x faster"
        )
    return rows


def hostile_rows(service: ProgramService, n: int, seed: int) -> list[str]:
    """The worst a person can type into /search (200 characters at most), against normal
    queries in the same run: bounded work means the worst costs about what normal does."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"

    def words(size: int) -> str:
        text = ""
        while len(text) + size + 1 <= 200:
            text += "".join(rng.choice(letters) for _ in range(size)) + " "
        return text.strip()

    normal = [q.query for q in talk_queries(service.program, n, seed)]
    shapes: dict[str, Callable[[], str]] = {
        "one 199-letter word": lambda: "".join(rng.choice(letters) for _ in range(199)),
        "66 two-letter words": lambda: words(2),
        "20 nine-letter words": lambda: words(9),
    }
    base = measure(service.search, normal)
    rows = [f"  normal /search: p50 {p(base, 0.5):.3f} ms, p99 {p(base, 0.99):.3f} ms"]
    for name, make in shapes.items():
        times = measure(service.search, [make() for _ in range(min(n, 100))])
        rows.append(
            f"  {name:<22} p50 {p(times, 0.5):>7.3f} ms  p99 {p(times, 0.99):>7.3f} ms"
            f"   {p(times, 0.99) / max(p(base, 0.99), 1e-6):>5.1f}x the normal p99"
        )
    return rows


def hostile_text_rows(service: ProgramService, n: int, seed: int) -> list[str]:
    """A hostile program's text, against the same program as it is in the same run: one
    talk's title gets a single word of 80,000 or 400,000 letters, or 400,000 letters in
    distinct words. Indexing costs what the letters do (a long word cost their square),
    a lookup matching that title costs what a normal one does, and the first lookup
    after a restart awaits the indexes being built in a daemon thread while the event
    loop ticks (before, it built them on the loop, or waited there for the thread)."""
    rng = random.Random(seed)
    program = service.program
    first, *others = program.talks

    def letters_of(count: int) -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(count))

    def words_of(count: int) -> str:
        words: list[str] = []
        while count > 0:
            words.append(letters_of(rng.randint(5, 12)))
            count -= len(words[-1])
        return " ".join(words)

    hostile_texts = {
        "one word of 80,000 letters": letters_of(80_000),
        "one word of 400,000 letters": letters_of(400_000),
        "400,000 letters in distinct words": words_of(400_000),
    }

    def build_s(of: Program) -> float:
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            ProgramIndex(of)
            best = min(best, time.perf_counter() - started)
        return best

    favour_the_loop()  # as the bot does from its start
    base = build_s(program)
    normal = measure(service.talk, [q.query for q in talk_queries(program, n, seed)])
    rows = [f"  as it is: indexed in {base:.2f} s; /paper p99 {p(normal, 0.99):.3f} ms"]
    for label, text in hostile_texts.items():
        talk = dataclasses.replace(first, title=f"{first.title} {text}")
        hostile = dataclasses.replace(program, talks=(talk, *others))
        took = build_s(hostile)
        answering = ProgramService(hostile)
        matching = [f"{first.title} {text[: 10 + k]}"[:MAX_QUERY] for k in range(n)]
        times = measure(answering.talk, matching)
        holder = ProgramHolder(ProgramService(hostile, index_later=True), datetime.now(UTC))
        waited, stall = asyncio.run(longest_stall(holder.indexed))
        later = ProgramService(hostile, index_later=True)
        _, blocked = asyncio.run(longest_stall(functools.partial(_indexed_in_place, later)))
        rows.append(
            f"  {label}: indexed in {took:.2f} s ({took / base:.2f}x as it is);"
            f" /paper matching it p99 {p(times, 0.99):.3f} ms"
            f" ({p(times, 0.99) / max(p(normal, 0.99), 1e-6):.1f}x); first lookup after a"
            f" restart waited {waited:.2f} s, longest event-loop stall {stall * 1000:.0f} ms"
            f" (built on the loop: {blocked * 1000:.0f} ms)"
        )
    return rows


async def _indexed_in_place(service: ProgramService) -> None:
    """What a first lookup did before: build the indexes on the event loop."""
    service.index_now()


def calendar_row(service: ProgramService) -> str:
    """The whole-program .ics as /schedule builds it (in a thread), with the longest
    event-loop stall meanwhile, against building it on the loop as before."""
    from bot.adapters.discord.calendar import ProgramCalendar

    async def both() -> tuple[tuple[float, float], tuple[float, float], int]:
        stamp = datetime.now(UTC)
        calendars = ProgramCalendar()
        ours = await longest_stall(lambda: calendars.whole(service, stamp))
        size = len(await calendars.whole(service, stamp))

        async def on_loop() -> bytes:
            return ics.calendar(service.calendar_items(), service.conference, "x", stamp,
                                service.session_talks)  # fmt: skip

        return ours, await longest_stall(on_loop), size

    (built, stall), (_, blocked), size = asyncio.run(both())
    return (
        f"whole-program .ics ({size / 1e6:.1f} MB): built in {built:.2f} s off the loop, longest"
        f" event-loop stall {stall * 1000:.0f} ms (built on the loop: {blocked * 1000:.0f} ms)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400, help="queries per operation")
    parser.add_argument("--baseline-queries", type=int, default=150, help="for the plain scan")
    parser.add_argument("--quality-queries", type=int, default=200, help="per kind, generated")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    print(
        f"confbot benchmark · {platform.machine()} · {os.cpu_count()} cores"
        f" · Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="confbot-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        papers = write_program(root / "synth", args.papers, seed=args.seed)
        entries = sum(len(pp.authors) for pp in papers)
        print(f"generated {args.papers:,} papers, {entries:,} author entries, 5 days, 8 rooms"
              f" in {time.perf_counter() - started:.1f} s")  # fmt: skip

        cold = probe_load(root / "synth", root / "synth.db")
        warm = probe_load(root / "synth", root / "synth.db")
        print(f"load (parse + build database + read + index): {cold['load_s']:.2f} s cold,"
              f" {warm['load_s']:.2f} s from a fresh database; peak RSS {cold['rss_mb']:.0f} MB"
              " in a process that imported discord.py as the bot does"
              f" ({cold['imports_rss_mb']:.0f} MB after imports, before loading);"
              f" imports {cold['imports_s']:.2f} s")  # fmt: skip
        print(
            f'start-up of `python -m bot ask "/next"` on the bundled program: '
            f"{startup_ask(root / 'bundled.db'):.2f} s (median of 5)"
        )

        settings = Settings.from_mapping({"CONFBOT_PROGRAM": str(root / "synth"),
                                          "CONFBOT_DB": str(root / "synth.db")})  # fmt: skip
        big = asyncio.run(load_service(settings)).service
        small_settings = Settings.from_mapping({"CONFBOT_PROGRAM": str(BUNDLED_PROGRAM),
                                                "CONFBOT_DB": str(root / "small.db")})  # fmt: skip
        small = asyncio.run(load_service(small_settings)).service

        print(f"\nlatency at {args.papers:,} papers ({args.queries} inputs each; plain ="
              f" rapidfuzz {PLAIN_SCORER.__name__} over every folded title, name or"
              " item)")  # fmt: skip
        for row in latency_rows(big, args.queries, args.seed, args.baseline_queries):
            print(row)
        print(calendar_row(big))
        print(f"\nhostile /search input at {args.papers:,} papers (bounded work per query)")
        for row in hostile_rows(big, args.queries, args.seed):
            print(row)
        print(f"\nhostile program text at {args.papers:,} papers (indexing and lookups)")
        for row in hostile_text_rows(big, min(args.queries, 100), args.seed):
            print(row)

        print("\ntop-1 on generated queries, per class, confbot against plain scans of folded"
              " strings with each rapidfuzz scorer")  # fmt: skip
        for label, service in (("bundled OSDI '24 (53 papers)", small),
                               (f"{args.papers:,} papers", big)):  # fmt: skip
            print(f"  {label}:")
            for row in quality_rows(service, args.quality_queries, args.seed):
                print(row)

        fosdem = handwritten.PROGRAMS["fosdem"]
        if fosdem.exists():
            real = ProgramService(read_source(fosdem).program)
            print(f"\nreal data: FOSDEM 2025 ({len(real.program.talks)} talks,"
                  f" {len(real.people)} people)")  # fmt: skip
            for row in latency_rows(real, args.queries, args.seed, args.baseline_queries):
                print(row)
            for row in quality_rows(real, args.quality_queries, args.seed):
                print(row)

        queries = handwritten.available(handwritten.read_queries())
        print(f"\nhand-written queries ({len(queries)}, benchmarks/handwritten.txt), top-1:")
        for row in handwritten.table(queries):
            print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
