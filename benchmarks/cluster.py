"""Interactions a second through the fake Discord: one bot process holding every shard,
against two processes holding half each (issue 24's cluster), on this machine's cores.

    python -m benchmarks.cluster [--interactions 2000] [--in-flight 32] [--seconds 60]

Each bot is a real OS process started as `python -m bot run` is (bot.cli.main), pointed
at a fake Discord on 127.0.0.1 that runs in this process, with two servers on different
shards (of two). This process sends interactions (/next, /paper, /author and
autocomplete, seeded), alternately to the two servers, keeping `--in-flight` of them
unanswered at any time, and counts the answers. Three rows, each on fresh processes:

1. one process, one shard (the bot today, both servers on it);
2. one process holding both shards (the baseline the ratios are against);
3. two processes holding one shard each: each server's interactions go to its own.

Each row stops at `--interactions` answered or after `--seconds`, whichever comes first;
a warm-up of 100 interactions (every command's first use) is not counted. Reported: the
interactions answered a second, p50/p99 from delivery to answer, and the CPU each
process used over the measured span (this one's too: the fake and the sender share a
core with the bots, and are part of what is measured).

State: the PostgreSQL backend (CONFBOT_STATE_URL) is not on main yet, and a process
holding a slice refuses SQLite state, which one process alone may use. So in row 3 each
process has a SQLite state file of its own, and the refusal is switched off in those
processes only (Settings.state_shared made true before main() runs, below). Lookups
read the state little (the reminders a person follows); once the backend lands, both
processes use one database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.run import p
from bot.settings import PROJECT_ROOT
from tests.fakediscord.payloads import on_shard
from tests.fakediscord.server import DEADLINE, TOKEN, FakeDiscord, Interaction

WARM_UP = 100
SHARDS = 2
# A bot process holding a slice: the sliced-state refusal switched off (see above),
# then the command line's own entry, `run`.
SLICED_RUN = (
    "from bot.settings import Settings\n"
    "Settings.state_shared = property(lambda self: True)  # benchmark only: see its doc\n"
    "from bot.cli import main\n"
    "raise SystemExit(main(['run']))\n"
)


@dataclass
class BotProcess:
    """One `python -m bot run`, its log lines as they come, and when it was ready."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        """Keep its stderr drained (a full pipe would stall the bot); it is ready once
        its servers are (on_ready) and its program is indexed for search."""
        assert self.process.stderr is not None
        waiting = ["ready as", "search indexes of"]
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            waiting = [w for w in waiting if w not in line]
            if not waiting:
                self.ready.set()

    def cpu_seconds(self) -> float:
        """User and system CPU time so far (Linux /proc), in seconds."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bot_env(fake: FakeDiscord, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's `python -m bot run`, on the fake (the tests' own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFBOT_", "DISCORD_"))}
    env.update({
        "DISCORD_TOKEN": TOKEN,
        "CONFBOT_DB": str(folder / "confbot.db"),
        "CONFBOT_GUILD_ID": str(fake.guild_id),
        "CONFBOT_NOW": "2024-07-10T10:50",
        "CONFBOT_TEST_DISCORD_URL": fake.base_url,
        "LOG_LEVEL": "INFO",
        **extra,
    })  # fmt: skip
    return env


async def spawn(fake: FakeDiscord, folder: Path, sliced: bool, **extra: str) -> BotProcess:
    folder.mkdir(parents=True)
    entry = ["-c", SLICED_RUN] if sliced else ["-m", "bot", "run"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *entry, cwd=PROJECT_ROOT, env=bot_env(fake, folder, **extra),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    bot = BotProcess(process)
    bot.reader = asyncio.create_task(bot.read())
    return bot


@contextlib.asynccontextmanager
async def bots_on(
    fake: FakeDiscord, root: Path, slices: list[dict[str, str]]
) -> AsyncIterator[list[BotProcess]]:
    """Start one bot process per slice's settings; wait until each is ready with its
    servers and has indexed its program; stop them with SIGTERM after, as a process
    manager does, and say so if one did not end cleanly."""
    sliced = len(slices) > 1
    bots = [await spawn(fake, root / f"bot{n}", sliced, **s) for n, s in enumerate(slices)]
    try:
        # Ready (on_ready) comes after every shard of the process has its servers, and
        # the command sync before it (in setup_hook).
        await asyncio.wait_for(asyncio.gather(*(b.ready.wait() for b in bots)), 120)
        yield bots
    finally:
        for bot in bots:
            with contextlib.suppress(ProcessLookupError):
                bot.process.send_signal(signal.SIGTERM)
        for bot in bots:
            code = await asyncio.wait_for(bot.process.wait(), 30)
            if bot.reader is not None:
                await bot.reader
            if code != 0 or any("Traceback" in line for line in bot.lines):
                print("\n".join(bot.lines[-30:]), file=sys.stderr)
                raise SystemExit(f"a bot process ended with {code}; its log is above")


def senders(fake: FakeDiscord, seed: int) -> Callable[[bool], Awaitable[Interaction]]:
    """A seeded mix of lookups and autocomplete, as people use the bot at a conference;
    `second`: in the second server."""
    rng = random.Random(seed)
    titles = ["sabre", "llumnix", "hongmeng", "uslope", "serving", "memory"]
    names = ["haibo chen", "stoica", "clement", "chen"]

    def send(second: bool) -> Awaitable[Interaction]:
        kind = rng.randrange(5)
        if kind == 0:
            return fake.send_command("next", second=second)
        if kind == 1:
            return fake.send_command("paper", title=rng.choice(titles), second=second)
        if kind == 2:
            return fake.send_command("author", name=rng.choice(names), second=second)
        if kind == 3:
            typed = rng.choice(titles)[: rng.randint(0, 4)]
            return fake.send_autocomplete("paper", "title", typed, second=second)
        typed = rng.choice(names)[: rng.randint(0, 4)]
        return fake.send_autocomplete("author", "name", typed, second=second)

    return send


@dataclass
class Measured:
    answered: int
    seconds: float
    latencies_ms: list[float]
    cpu: list[float]  # each bot's share of a core over the span, then this process's

    @property
    def rate(self) -> float:
        return self.answered / self.seconds


async def drive(
    fake: FakeDiscord, send: Callable[[bool], Awaitable[Interaction]], count: int,
    in_flight: int, seconds: float,
) -> tuple[int, float, list[float]]:  # fmt: skip
    """Keep `in_flight` interactions unanswered, alternating servers, until `count` are
    answered or `seconds` pass: how many were answered, in what time, and each one's
    milliseconds from delivery to answer."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    issued = 0

    async def one(second: bool) -> None:
        interaction = await send(second)
        await fake.answer(interaction, timeout=DEADLINE + 2)
        latencies.append((time.monotonic() - interaction.delivered_at) * 1000)

    async def worker() -> None:
        nonlocal issued
        while issued < count and time.perf_counter() < deadline:
            issued += 1
            await one(issued % 2 == 0)

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return len(latencies), time.perf_counter() - started, latencies


async def row(
    root: Path, slices: list[dict[str, str]], args: argparse.Namespace, seed: int
) -> Measured:
    fake = FakeDiscord()
    fake.guild_id = on_shard(fake.guild_id, 0, SHARDS)
    fake.second_guild_id = on_shard(fake.second_guild_id, 1, SHARDS)
    await fake.start()
    try:
        async with bots_on(fake, root, slices) as bots:
            send = senders(fake, seed)
            await drive(fake, send, WARM_UP, args.in_flight, args.seconds)
            cpu_before = [b.cpu_seconds() for b in bots] + [time.process_time()]
            answered, took, latencies = await drive(fake, send, args.interactions,
                                                    args.in_flight, args.seconds)  # fmt: skip
            cpu_after = [b.cpu_seconds() for b in bots] + [time.process_time()]
        errors = list(fake.protocol_errors)
    finally:
        await fake.stop()
    if errors:
        raise SystemExit(f"the fake Discord saw protocol errors: {errors[:3]}")
    cpu = [(after - before) / took for before, after in zip(cpu_before, cpu_after, strict=True)]
    return Measured(answered, took, latencies, cpu)


ROWS: list[tuple[str, list[dict[str, str]]]] = [
    ("one process, one shard (today)", [{}]),
    ("one process, both shards", [{"CONFBOT_SHARD_COUNT": str(SHARDS)}]),
    ("two processes, one shard each",
     [{"CONFBOT_SHARD_COUNT": str(SHARDS), "CONFBOT_SHARD_IDS": str(n)} for n in range(SHARDS)]),
]  # fmt: skip
BASELINE = 1


async def main(args: argparse.Namespace) -> None:
    print(f"interactions through the fake Discord, two servers on shards 0 and 1 of"
          f" {SHARDS}: {args.interactions:,} a row (or {args.seconds:.0f} s), {args.in_flight}"
          f" in flight · {platform.machine()} · {os.cpu_count()} cores"
          f" · Python {platform.python_version()}", flush=True)  # fmt: skip
    # Other work on the machine takes cores from the bots: say how much there was.
    print(f"  load average before the run: {os.getloadavg()[0]:.1f}", flush=True)
    results: list[Measured] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (_, slices) in enumerate(ROWS):
            results.append(await row(Path(tmp) / f"row{n}", slices, args, args.seed))
    base = results[BASELINE].rate
    for (label, _), got in zip(ROWS, results, strict=True):
        bots = " + ".join(f"{share:.0%}" for share in got.cpu[:-1])
        print(f"  {label:<32} {got.answered:>6,} in {got.seconds:5.1f} s = {got.rate:6.1f}/s"
              f"  ({got.rate / base:.2f}x)  p50 {p(got.latencies_ms, 0.5):5.1f} ms"
              f"  p99 {p(got.latencies_ms, 0.99):6.1f} ms  CPU: bot {bots}, fake and"
              f" sender {got.cpu[-1]:.0%}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster")
    parser.add_argument("--interactions", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=24)
    asyncio.run(main(parser.parse_args()))
