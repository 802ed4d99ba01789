"""One bot holding many FOSDEM-sized conferences (issue 13's target: 100 of about 1,000
talks each, RSS at most 1.5 GB, start-up from the databases at most 10 s).

    python -m benchmarks.conferences [--conferences 100] [--talks 1000]

This starts the bot itself (ConfBot.setup_hook, as `python -m bot run` does before it
connects to Discord) with CONFBOT_PROGRAM listing every conference:

1. The pretalx exports are written (own keys, own titles), and a first start in a child
   process builds each conference's program database and keeps the version it serves
   (once per deployment, not part of start-up).
2. A fresh process that has imported discord.py starts the bot again, from those
   databases: every conference opened and read, its follower and scheduler started (its
   search indexes are built in the background from then on: when they are all built is
   printed too). It prints the seconds, its RSS and its threads (each open database
   connection is one) once all are indexed, then /paper,
   /author and /paper's autocomplete p99 spread over every conference against all asked
   of one (queries of the same shape),
   and the longest event-loop stall while one conference's follower reads, indexes and
   applies a changed export and lookups on the others go on.
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
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.formats import write_pretalx
from benchmarks.run import p
from benchmarks.stalls import longest_stall

KINDS = ("paper", "author", "typing")


def key_of(n: int) -> str:
    return f"c{n:03d}"


def exports(root: Path, conferences: int, talks: int) -> list[Path]:
    paths = []
    for n in range(conferences):
        path = root / f"{key_of(n)}.json"
        write_pretalx(path, talks, seed=n, acronym=key_of(n))
        paths.append(path)
    return paths


def bot_settings(root: Path) -> Any:
    from bot.settings import Settings

    listed = ",".join(str(path) for path in sorted(root.glob("c*.json")))
    env = {"CONFBOT_PROGRAM": listed, "CONFBOT_DB": str(root / "db" / "confbot.db"),
           "CONFBOT_SYNC_INTERVAL": "86400"}  # fmt: skip
    return Settings.from_env(env, dotenv_path=root / "none")


async def first_start(root: Path) -> float:
    """The one-time start that builds every database: its seconds."""
    from bot.adapters.discord.client import ConfBot

    started = time.perf_counter()
    bot = ConfBot(bot_settings(root))
    await bot.setup_hook()
    took = time.perf_counter() - started
    await bot.close()
    return took


def rss_mb() -> float:
    """Resident memory now (not the peak: the build ran in another process)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def start_up(root: Path, changed: Path) -> dict[str, Any]:
    """Measured in this (fresh) process: see the module docstring, step 2."""
    from bot.adapters.discord.client import ConfBot  # imports discord.py, as the bot does

    imported = rss_mb()
    started = time.perf_counter()
    bot = ConfBot(bot_settings(root))
    await bot.setup_hook()
    took = time.perf_counter() - started
    await bot.indexes_built()
    indexed = time.perf_counter() - started
    held, threads = rss_mb(), threading.active_count()
    try:
        times = {"startup_s": took, "indexed_s": indexed, "threads": threads}
        return await _measure(bot, changed) | times | {"rss_mb": held, "imports_rss_mb": imported}
    finally:
        await bot.close()


async def _measure(bot: Any, changed: Path) -> dict[str, Any]:
    from bot.service import ProgramService

    services: dict[str, ProgramService] = {s.key: s.service for s in bot.conferences}
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
                "paper": service.talk, "author": service.author,
                "typing": functools.partial(service.suggest_talks, now=now)}  # fmt: skip
            ask = asks[kind]
            begun = time.perf_counter()
            ask(text)
            times.append((time.perf_counter() - begun) * 1000)
        return times

    spreads = (("all", None), ("one", keys[0]))
    p99 = {f"{kind}_{where}": p(lookups(kind, only), 0.99)
           for kind in KINDS for where, only in spreads}  # fmt: skip

    first = bot.conferences.get(keys[0])

    async def sync_one_while_others_answer() -> None:
        changed.replace(first.settings.program)  # the organiser's new export
        checking = asyncio.ensure_future(first.follower.check())
        n = 0
        while not checking.done():
            key, r = picks[n % len(picks)]
            services[key].talk(query("paper", key, r))
            n += 1
            await asyncio.sleep(0.005)
        assert await checking, "the changed export was not applied"

    sync_s, stall = await longest_stall(sync_one_while_others_answer)
    return {"conferences": len(services), "sync_s": sync_s, "stall_ms": stall * 1000, **p99}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conferences")
    parser.add_argument("--conferences", type=int, default=100)
    parser.add_argument("--talks", type=int, default=1000)
    parser.add_argument("--start-up", nargs=2, metavar=("ROOT", "CHANGED"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args(argv)
    if args.start_up:
        root, changed = (Path(a) for a in args.start_up)
        print(json.dumps(asyncio.run(start_up(root, changed))))
        return 0
    with tempfile.TemporaryDirectory(prefix="confbot-conferences-") as tmp:
        root = Path(tmp)
        exports(root, args.conferences, args.talks)
        built = asyncio.run(first_start(root))
        # The version a sync brings: conference 0 with other talks.
        changed = root / "next-version.json"
        write_pretalx(changed, args.talks, seed=10_000, acronym=key_of(0))
        probe = subprocess.run(
            [sys.executable, "-m", "benchmarks.conferences", "--start-up", str(root),
             str(changed)], capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(probe.stdout.strip().splitlines()[-1])
    print(f"{r['conferences']} conferences of {args.talks:,} talks, one bot (first start, which"
          f" builds the databases, {built:.0f} s: not part of start-up):")  # fmt: skip
    print(f"  start-up from the databases: {r['startup_s']:.1f} s (target 10 s), every"
          f" conference indexed {r['indexed_s']:.1f} s after the start began")  # fmt: skip
    print(f"  RSS {r['rss_mb']:.0f} MB with all of them held ({r['imports_rss_mb']:.0f} MB after"
          f" imports, before loading; target 1,500 MB), {r['threads']} threads")  # fmt: skip
    for kind, name in zip(KINDS, ("/paper", "/author", "/paper autocomplete"), strict=True):
        print(f"  {name} p99: {r[f'{kind}_all']:.2f} ms over all conferences, "
              f"{r[f'{kind}_one']:.2f} ms all asked of one")  # fmt: skip
    print(f"  one conference's new version read, indexed and applied by its follower in"
          f" {r['sync_s']:.2f} s while the others answer: longest event-loop stall"
          f" {r['stall_ms']:.0f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
