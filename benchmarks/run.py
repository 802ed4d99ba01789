"""Benchmark confbot at conference scale against a plain scan, in one run.

    python -m benchmarks.run --papers 10000

Prints load time and peak RSS, p50/p99 latencies for lookups, autocomplete, /next,
/now and /search, each with its ratio to a plain rapidfuzz WRatio scan measured on the
same queries in the same run (absolute times on shared machines are only indicative),
and top-1/top-5 accuracy on labeled queries at the bundled 53 papers and at the
synthetic size, for the index, the plain scan and difflib.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import fuzz, process

from benchmarks.queries import Labeled, paper_queries, person_queries
from benchmarks.synth import write_program
from bot.app import load_service
from bot.render import ics
from bot.search import Hit
from bot.service import ProgramService
from bot.settings import BUNDLED_PROGRAM, PROJECT_ROOT, Settings

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
        "from bot.app import load_service\n"
        "from bot.settings import Settings\n"
        "t1 = time.perf_counter()\n"
        f"settings = Settings.from_mapping({{'CONFBOT_PROGRAM': {str(program_dir)!r},"
        f" 'CONFBOT_DB': {str(db_path)!r}}})\n"
        "loaded = asyncio.run(load_service(settings))\n"
        "t2 = time.perf_counter()\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'imports_s': t1 - t0, 'load_s': t2 - t1, 'rss_mb': rss,"
        " 'rebuilt': loaded.report.rebuilt}))\n"
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


def accuracy(ranked: Callable[[str], list[str]], queries: list[Labeled]) -> tuple[float, float]:
    top1 = top5 = 0
    for q in queries:
        keys = ranked(q.query)
        top1 += bool(keys) and keys[0] == q.expected
        top5 += q.expected in keys[:5]
    return top1 / len(queries), top5 / len(queries)


def quality_rows(service: ProgramService, n: int, seed: int, difflib_n: int) -> list[str]:
    program = service.program
    talks = paper_queries(program, n, seed)
    people = person_queries(list(service.people.values()), n, seed)
    titles = [pp.title for pp in program.talks]
    title_keys = [pp.key for pp in program.talks]
    names = [person.name for person in service.people.values()]
    name_keys = list(service.people)

    def scan(choices: list[str], keys: list[str]) -> Callable[[str], list[str]]:
        return lambda q: [
            keys[i] for _, _, i in process.extract(q, choices, scorer=fuzz.WRatio, limit=5)
        ]

    def close(choices: list[str], keys: list[str]) -> Callable[[str], list[str]]:
        index = {c: k for c, k in zip(choices, keys, strict=True)}
        return lambda q: [index[c] for c in difflib.get_close_matches(q, choices, n=5, cutoff=0)]

    def ours(find: Callable[[str, int], list[Hit]]) -> Callable[[str], list[str]]:
        return lambda q: [h.key for h in find(q, 5)]

    rows = []
    for label, queries, find, choices, keys in (
        ("papers", talks, service.index.find_talks, titles, title_keys),
        ("people", people, service.index.find_people, names, name_keys),
    ):
        a = accuracy(ours(find), queries)
        b = accuracy(scan(choices, keys), queries)
        c = accuracy(close(choices, keys), queries[:difflib_n])
        rows.append(
            f"  {label:<7} {len(queries):>4} queries   top-1 / top-5:"
            f"  index {a[0]:.2f} / {a[1]:.2f}"
            f"   plain scan {b[0]:.2f} / {b[1]:.2f}   difflib {c[0]:.2f} / {c[1]:.2f}"
            f" ({min(difflib_n, len(queries))} queries)"
        )
    return rows


# -- latency ----------------------------------------------------------------------------


def latency_rows(service: ProgramService, n: int, seed: int, baseline_n: int) -> list[str]:
    program = service.program
    rng = random.Random(seed)
    paper_qs = [q.query for q in paper_queries(program, n, seed)]
    people_qs = [q.query for q in person_queries(list(service.people.values()), n, seed)]
    # Autocomplete sees every prefix as it is typed: 0, 1, 2, ... characters.
    ac_titles = [q[: rng.randint(0, len(q))] for q in paper_qs]
    ac_names = [q[: rng.randint(0, len(q))] for q in people_qs]
    short = [q[: i % 2] for i, q in enumerate(paper_qs)]
    first = min(pp.slot.start for pp in program.talks)
    span = (max(pp.slot.end for pp in program.talks) - first).total_seconds()
    moments = [first + timedelta(seconds=rng.uniform(-86400, span + 86400)) for _ in range(n)]
    now = first
    titles = [pp.title for pp in program.talks]
    names = [person.name for person in service.people.values()]
    items = list(service.timeline.foreground)

    def scan_next(at: datetime) -> object:
        """The plain way: look at every item."""
        current = [i for i in items if i.slot.start <= at < i.slot.end]
        later = [i for i in items if i.slot.start > at]
        return current, min((i.slot.start for i in later), default=None)

    def scan(choices: list[str]) -> Callable[[str], object]:
        return lambda q: process.extract(q, choices, scorer=fuzz.WRatio, limit=5)

    def moment_fn(fn: Callable[[datetime], object]) -> Callable[[str], object]:
        return lambda i: fn(moments[int(i)])

    indices = [str(i) for i in range(n)]
    operations = [
        ("/paper lookup", lambda q: service.paper(q), paper_qs, scan(titles)),
        ("/author lookup", lambda q: service.author(q), people_qs, scan(names)),
        ("title autocomplete", lambda q: service.suggest_talks(q, now), ac_titles, scan(titles)),
        ("author autocomplete", lambda q: service.suggest_people(q, now), ac_names, scan(names)),
        ("  empty or 1 letter", lambda q: service.suggest_talks(q, now), short, scan(titles)),
        ("/next", moment_fn(service.next), indices, moment_fn(scan_next)),
        ("/now", moment_fn(service.now), indices, moment_fn(scan_next)),
        ("/search", lambda q: service.search(q), paper_qs, scan(titles)),
    ]
    rows = [f"  {'operation':<20} {'p50 ms':>8} {'p99 ms':>8}   {'plain scan p50/p99':>20}"
            f"   {'p99 vs scan':>12}"]  # fmt: skip
    for name, fn, inputs, baseline in operations:
        measure(fn, inputs[:20])  # warm caches
        ours = measure(fn, inputs)
        base = measure(baseline, inputs[:baseline_n])
        ratio = p(base, 0.99) / max(p(ours, 0.99), 1e-6)
        rows.append(
            f"  {name:<20} {p(ours, 0.5):>8.3f} {p(ours, 0.99):>8.3f}"
            f"   {p(base, 0.5):>9.2f} / {p(base, 0.99):<8.2f}   {ratio:>9.0f}x faster"
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

    normal = [q.query for q in paper_queries(service.program, n, seed)]
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


def calendar_row(service: ProgramService) -> str:
    """The whole-program .ics as /schedule builds it (in a thread), with the longest
    event-loop stall meanwhile, against building it on the loop as before."""
    from bot.adapters.discord.calendar import ProgramCalendar

    async def stall_while(build: Callable[[], Awaitable[object]]) -> tuple[float, float]:
        worst = 0.0
        stop = False

        async def ticker() -> None:
            nonlocal worst
            loop = asyncio.get_running_loop()
            while not stop:
                before = loop.time()
                await asyncio.sleep(0.001)
                worst = max(worst, loop.time() - before - 0.001)

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        await build()
        elapsed = time.perf_counter() - started
        stop = True
        await tick
        return elapsed, worst

    async def both() -> tuple[tuple[float, float], tuple[float, float], int]:
        stamp = datetime.now(UTC)
        calendars = ProgramCalendar()
        ours = await stall_while(lambda: calendars.whole(service, stamp))
        size = len(await calendars.whole(service, stamp))

        async def on_loop() -> bytes:
            return ics.calendar(service.calendar_items(), service.conference, "x", stamp,
                                service.session_talks)  # fmt: skip

        return ours, await stall_while(on_loop), size

    (built, stall), (_, blocked), size = asyncio.run(both())
    return (
        f"whole-program .ics ({size / 1e6:.1f} MB): built in {built:.2f} s off the loop, longest"
        f" event-loop stall {stall * 1000:.0f} ms (built on the loop: {blocked * 1000:.0f} ms)"
    )


def difflib_row(service: ProgramService, n: int, seed: int) -> str:
    titles = [pp.title for pp in service.program.talks]
    queries = [q.query for q in paper_queries(service.program, n, seed)]
    times = measure(lambda q: difflib.get_close_matches(q, titles, n=5, cutoff=0), queries)
    return (
        f"  difflib.get_close_matches over titles: p50 {p(times, 0.5):.1f} ms,"
        f" p99 {p(times, 0.99):.1f} ms ({n} queries)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400, help="queries per operation")
    parser.add_argument("--baseline-queries", type=int, default=150, help="for the plain scan")
    parser.add_argument("--difflib-queries", type=int, default=30, help="difflib is slow")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    print(
        f"confbot benchmark · {platform.machine()} · {os.cpu_count()} cores"
        f" · Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="confbot-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        talks = write_program(root / "synth", args.talks, seed=args.seed)
        entries = sum(len(pp.authors) for pp in talks)
        print(f"generated {args.talks:,} papers, {entries:,} author entries, 5 days, 8 rooms"
              f" in {time.perf_counter() - started:.1f} s")  # fmt: skip

        cold = probe_load(root / "synth", root / "synth.db")
        warm = probe_load(root / "synth", root / "synth.db")
        print(f"load (parse + build database + read + index): {cold['load_s']:.2f} s cold,"
              f" {warm['load_s']:.2f} s from a fresh database; peak RSS {cold['rss_mb']:.0f} MB;"
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

        print(f"\nlatency at {args.talks:,} papers ({args.queries} queries each;"
              " plain scan = rapidfuzz WRatio over every title or name,"
              " or every item for /next)")  # fmt: skip
        for row in latency_rows(big, args.queries, args.seed, args.baseline_queries):
            print(row)
        print(difflib_row(big, args.difflib_queries, args.seed))
        print(calendar_row(big))
        print(f"\nhostile /search input at {args.talks:,} papers (bounded work per query)")
        for row in hostile_rows(big, args.queries, args.seed):
            print(row)

        print("\nquality on labeled queries (typos, partial titles, shuffled words, swapped names,"
              " stripped accents, initials)")  # fmt: skip
        print(" at 53 papers (bundled OSDI '24):")
        for row in quality_rows(small, 200, args.seed, args.difflib_queries):
            print(row)
        print(f" at {args.talks:,} papers:")
        for row in quality_rows(big, args.queries, args.seed, args.difflib_queries):
            print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
