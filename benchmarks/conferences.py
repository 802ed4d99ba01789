"""One process holding many FOSDEM-sized conferences (issue 13's target: 100 of about
1,000 talks each, RSS at most 1.5 GB, start-up from the database at most 10 s).

    python -m benchmarks.conferences [--conferences 100] [--talks 1000]

This measures the data layer the several-conference bot will stand on, with the code
that serves one conference today: one program database holding all of them, each read
back and indexed as the bot does at start.

1. A child process generates the pretalx exports (own keys, own titles) and builds one
   program database of them (the one-time build, not part of start-up).
2. A fresh process that has imported discord.py (as the bot has) starts up from that
   database: every program read and indexed. It prints the seconds and its RSS, then
   /paper, /author and /paper's autocomplete p99 spread over every conference against
   all asked of one (queries of the same shape), and the longest event-loop stall while one
   conference's changed version is read and indexed in a worker thread and lookups on
   the others go on.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.formats import write_pretalx
from benchmarks.run import longest_stall, p

KINDS = ("paper", "author", "typing")


def key_of(n: int) -> str:
    return f"c{n:03d}"


def build(root: Path, conferences: int, talks: int) -> Path:
    """The exports and one database holding all their programs."""
    from bot.importer.registry import read_source
    from bot.store import build_database

    programs = []
    for n in range(conferences):
        path = root / f"{key_of(n)}.json"
        write_pretalx(path, talks, seed=n, acronym=key_of(n))
        programs.append(read_source(path).program)
    db = root / "conferences.db"
    asyncio.run(build_database(programs, db, "bench"))
    return db


def rss_mb() -> float:
    """Resident memory now (not the peak: the build ran in another process)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def start_up(db: Path, export: Path) -> dict[str, Any]:
    """Measured in this (fresh) process: see the module docstring, step 2."""
    import discord  # noqa: F401  (the bot's process holds it; count its memory too)

    from bot.bulk import favour_the_loop
    from bot.importer.registry import read_source
    from bot.service import ProgramService
    from bot.store import ProgramStore

    favour_the_loop()  # as the bot does when it follows programs
    imported = rss_mb()
    started = time.perf_counter()
    store = await ProgramStore.open(db)
    try:
        services = {key: ProgramService(await store.read_program(key))
                    for key in await store.conference_keys()}  # fmt: skip
    finally:
        await store.close()
    took = time.perf_counter() - started
    held = rss_mb()

    rng = random.Random(13)
    keys = sorted(services)
    picks = [(rng.choice(keys), rng.random()) for _ in range(2000)]

    def query(kind: str, key: str, r: float) -> str:
        program = services[key].program
        talk = program.talks[int(r * len(program.talks))]
        return talk.title[:25] if kind == "paper" else talk.authors[0].name[:12]

    now = datetime.now(UTC)

    def lookups(kind: str, only: str | None) -> list[float]:
        """Milliseconds per lookup: spread over every conference, or all to `only`.
        "typing" is /paper's autocomplete on the first 6 letters of a title."""
        times = []
        for key, r in picks:
            service = services[only or key]
            text = query("author" if kind == "author" else "paper", only or key, r)
            if kind == "typing":
                text = text[:6]
            asks: dict[str, Callable[[str], object]] = {
                "paper": service.paper, "author": service.author,
                "typing": functools.partial(service.suggest_talks, now=now)}  # fmt: skip
            ask = asks[kind]
            begun = time.perf_counter()
            ask(text)
            times.append((time.perf_counter() - begun) * 1000)
        return times

    spreads = (("all", None), ("one", keys[0]))
    p99 = {f"{kind}_{where}": p(lookups(kind, only), 0.99)
           for kind in KINDS for where, only in spreads}  # fmt: skip

    async def sync_one_while_others_answer() -> None:
        loop = asyncio.get_running_loop()
        building = loop.run_in_executor(None, lambda: ProgramService(read_source(export).program))
        n = 0
        while not building.done():
            key, r = picks[n % len(picks)]
            services[key].paper(query("paper", key, r))
            n += 1
            await asyncio.sleep(0.005)
        services[keys[0]] = await building

    sync_s, stall = await longest_stall(sync_one_while_others_answer)
    return {"conferences": len(services), "startup_s": took, "rss_mb": held,
            "imports_rss_mb": imported, "sync_s": sync_s, "stall_ms": stall * 1000,
            **p99}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conferences")
    parser.add_argument("--conferences", type=int, default=100)
    parser.add_argument("--talks", type=int, default=1000)
    parser.add_argument("--start-up", nargs=2, metavar=("DB", "EXPORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.start_up:
        db, export = (Path(a) for a in args.start_up)
        print(json.dumps(asyncio.run(start_up(db, export))))
        return 0
    with tempfile.TemporaryDirectory(prefix="confbot-conferences-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        db = build(root, args.conferences, args.talks)
        built = time.perf_counter() - started
        export = root / f"{key_of(0)}.json"
        # The version a sync would bring: conference 0 with other talks.
        write_pretalx(export, args.talks, seed=10_000, acronym=key_of(0))
        probe = subprocess.run(
            [sys.executable, "-m", "benchmarks.conferences", "--start-up", str(db), str(export)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(probe.stdout.strip().splitlines()[-1])
    print(f"{r['conferences']} conferences of {args.talks:,} talks (database built once in"
          f" {built:.0f} s, not part of start-up):")  # fmt: skip
    print(f"  start-up from the database: {r['startup_s']:.1f} s (target 10 s)")
    print(f"  RSS {r['rss_mb']:.0f} MB with all of them held ({r['imports_rss_mb']:.0f} MB after"
          f" imports, before loading; target 1,500 MB)")  # fmt: skip
    for kind, name in zip(KINDS, ("/paper", "/author", "/paper autocomplete"), strict=True):
        print(f"  {name} p99: {r[f'{kind}_all']:.2f} ms over all conferences, "
              f"{r[f'{kind}_one']:.2f} ms all asked of one")  # fmt: skip
    print(f"  one conference's new version read and indexed in {r['sync_s']:.2f} s while the"
          f" others answer: longest event-loop stall {r['stall_ms']:.0f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
