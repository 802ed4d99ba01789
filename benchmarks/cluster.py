"""Interactions a second through the fake Discord: one bot process holding every shard,
against two processes holding half each (issue 24's cluster), on this machine's cores.

    python -m benchmarks.cluster --state-url postgresql://user:password@host:port/db
                                 [--interactions 2000] [--rounds 5] [--in-flight 32]
                                 [--seconds 60] [--compare CHECKOUT ...]

Each bot is a real OS process started as `python -m bot run` is (bot.cli.main), pointed
at a fake Discord on 127.0.0.1 that runs in this process, with two servers on different
shards (of two). This process sends interactions (/next, /paper, /author and
autocomplete, seeded), alternately to the two servers, keeping `--in-flight` of them
unanswered at any time, and counts the answers. Three rows, each with a fake and bots
of its own:

1. one process, one shard, its state a SQLite file (the bot today);
2. one process holding both shards, its state on PostgreSQL (the baseline the ratios
   are against);
3. two processes holding one shard each, sharing one state on PostgreSQL: each
   server's interactions go to its own process.

The PostgreSQL state is at `--state-url` (CONFBOT_TEST_POSTGRES, the state tests'
server, when not given), each row in a schema of its own (the address's search_path),
made empty for the run and dropped after, so the rows never share a conference's lead.

`--compare CHECKOUT` adds the two PostgreSQL rows again, their bots run from another
copy of confbot (`python -m bot run` in that folder, e.g. `git archive main | tar -x -C
/tmp/main`), measured in the same rounds as this one's: a change against the code before
it on a machine whose load moves the rates more than the change does.

All of them are started first and warmed up (100 interactions: every command's first
use); then each round measures every row in turn, in another order each round, while
the others idle. A row's turn ends at `--interactions` answered or after `--seconds`.
Reported: the interactions answered a second (median and range over the rounds), the
median of each round's ratio to the baseline measured in that round, p50/p99 from
delivery to answer, the bots' CPU time an interaction (summed over the processes), and
the share of a core each process used over its turns (this one's too: the fake and the
sender share the cores with the bots, and are part of what is measured), and the share
of its turns each was ready to run but waited for a core, with the machine's load
average, since other work takes cores from the bots.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

from benchmarks.run import p
from bot.settings import PROJECT_ROOT
from tests.fakediscord.payloads import on_shard
from tests.fakediscord.server import DEADLINE, TOKEN, FakeDiscord, Interaction

WARM_UP = 100
SHARDS = 2


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


def starved(pid: int | str) -> float:
    """Seconds the threads of process `pid` spent ready to run but waiting for a core
    (Linux /proc/PID/task/*/schedstat, second field): what a machine busy with other work
    takes from it, which its CPU time does not show. 0 where the kernel keeps none."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def bot_env(fake: FakeDiscord, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's `python -m bot run`, on the fake (the tests' own)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONFBOT_", "DISCORD_")) and k != "DATABASE_URL"}  # fmt: skip
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


async def spawn(fake: FakeDiscord, folder: Path, checkout: Path, **extra: str) -> BotProcess:
    """`python -m bot run` of the confbot in `checkout` (its folder comes first on the
    module path, before any installed copy)."""
    folder.mkdir(parents=True)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=checkout, env=bot_env(fake, folder, **extra),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    bot = BotProcess(process)
    bot.reader = asyncio.create_task(bot.read())
    return bot


@contextlib.asynccontextmanager
async def bots_on(
    fake: FakeDiscord, root: Path, slices: list[dict[str, str]], checkout: Path
) -> AsyncIterator[list[BotProcess]]:
    """Start one bot process per slice's settings; wait until each is ready with its
    servers and has indexed its program; stop them with SIGTERM after, as a process
    manager does, and say so if one did not end cleanly."""
    bots = [await spawn(fake, root / f"bot{n}", checkout, **s) for n, s in enumerate(slices)]
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
    cpu: list[float]  # CPU seconds of each bot over the span, then this process's
    waited: list[float]  # seconds each was ready to run but waited for a core, likewise

    @property
    def rate(self) -> float:
        return self.answered / self.seconds

    def share(self, i: int) -> float:
        """Process i's share of one core over the span."""
        return self.cpu[i] / self.seconds

    def starved(self, i: int) -> float:
        """The share of the span process i was ready to run but waited for a core (its
        threads summed: over 100% when several waited at once)."""
        return self.waited[i] / self.seconds

    @property
    def bots_ms(self) -> float:
        """The bots' CPU milliseconds an interaction, summed over the processes: what
        other work on the machine hardly changes, unlike the rate."""
        return sum(self.cpu[:-1]) / self.answered * 1000

    @property
    def fake_ms(self) -> float:
        """The fake's and the sender's CPU milliseconds an interaction (this process)."""
        return self.cpu[-1] / self.answered * 1000


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


@dataclass
class Row:
    """One way of running the bot, started once and measured in every round."""

    label: str
    fake: FakeDiscord
    bots: list[BotProcess]
    send: Callable[[bool], Awaitable[Interaction]]
    runs: list[Measured] = field(default_factory=list)


@contextlib.asynccontextmanager
async def own_schema(server: str) -> AsyncIterator[str]:
    """A new, empty schema on the PostgreSQL at `server` for the block: the address whose
    search_path is it (libpq's `options`). Dropped after, with everything in it."""
    schema = f"bench_{secrets.token_hex(6)}"
    async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            options = quote(f"-csearch_path={schema}", safe="")
            yield f"{server}{'&' if '?' in server else '?'}options={options}"
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")


@contextlib.asynccontextmanager
async def started(
    label: str, root: Path, slices: list[dict[str, str]], seed: int, server: str | None,
    checkout: Path = PROJECT_ROOT,
) -> AsyncIterator[Row]:  # fmt: skip
    """A fake Discord with the two servers on shards 0 and 1, and the row's bots on it,
    their state in a schema of its own on the PostgreSQL at `server` (None: each a SQLite
    file); at the end, the fake must have seen no protocol error (a late or double
    answer)."""
    fake = FakeDiscord()
    fake.guild_id = on_shard(fake.guild_id, 0, SHARDS)
    fake.second_guild_id = on_shard(fake.second_guild_id, 1, SHARDS)
    await fake.start()
    try:
        async with contextlib.AsyncExitStack() as stack:
            if server is not None:
                url = await stack.enter_async_context(own_schema(server))
                slices = [{**s, "CONFBOT_STATE_URL": url} for s in slices]
            bots = await stack.enter_async_context(bots_on(fake, root, slices, checkout))
            yield Row(label, fake, bots, senders(fake, seed))
        if fake.protocol_errors:
            raise SystemExit(f"the fake Discord saw protocol errors: {fake.protocol_errors[:3]}")
    finally:
        await fake.stop()


async def measure(row: Row, args: argparse.Namespace) -> Measured:
    """One round of a row, the CPU each process used over it counted."""
    pids: list[int | str] = [b.process.pid for b in row.bots] + ["self"]
    before = [b.cpu_seconds() for b in row.bots] + [time.process_time()]
    waits = [starved(pid) for pid in pids]
    answered, took, latencies = await drive(row.fake, row.send, args.interactions,
                                            args.in_flight, args.seconds)  # fmt: skip
    after = [b.cpu_seconds() for b in row.bots] + [time.process_time()]
    cpu = [end - begin for begin, end in zip(before, after, strict=True)]
    waited = [starved(pid) - begin for pid, begin in zip(pids, waits, strict=True)]
    return Measured(answered, took, latencies, cpu, waited)


# Each row: its label, each process's settings, and whether its state is on PostgreSQL.
ROWS: list[tuple[str, list[dict[str, str]], bool]] = [
    ("one process, one shard, SQLite (today)", [{}], False),
    ("one process, both shards, PostgreSQL", [{"CONFBOT_SHARD_COUNT": str(SHARDS)}], True),
    ("two processes, a shard each, PostgreSQL",
     [{"CONFBOT_SHARD_COUNT": str(SHARDS), "CONFBOT_SHARD_IDS": str(n)} for n in range(SHARDS)],
     True),
]  # fmt: skip
BASELINE = 1


def report(row: Row, baseline: Row, width: int) -> str:
    """Median rate over the rounds and its range, the median of each round's ratio to
    the baseline measured in the same round, latency over every round, median CPU."""
    rates = [run.rate for run in row.runs]
    ratios = [run.rate / base.rate for run, base in zip(row.runs, baseline.runs, strict=True)]
    latencies = [ms for run in row.runs for ms in run.latencies_ms]
    cpu = [statistics.median(run.share(i) for run in row.runs) for i in range(len(row.bots) + 1)]
    bots = " + ".join(f"{share:.0%}" for share in cpu[:-1])
    waits = [statistics.median(run.starved(i) for run in row.runs) for i in range(len(cpu))]
    waited = " + ".join(f"{share:.0%}" for share in waits[:-1])
    bots_ms = statistics.median(run.bots_ms for run in row.runs)
    fake_ms = statistics.median(run.fake_ms for run in row.runs)
    return (f"  {row.label:<{width}} {statistics.median(rates):6.1f}/s ({min(rates):.0f}-"
            f"{max(rates):.0f})  {statistics.median(ratios):.2f}x  p50"
            f" {p(latencies, 0.5):5.1f} ms  p99 {p(latencies, 0.99):6.1f} ms\n"
            f"    CPU an interaction: bots {bots_ms:.2f} ms, fake and sender {fake_ms:.2f} ms;"
            f" share of a core: bots {bots}, fake and sender {cpu[-1]:.0%}\n"
            f"    waiting for a core, ready to run: bots {waited}, fake and sender"
            f" {waits[-1]:.0%}{warned(row)}")  # fmt: skip


def warned(row: Row) -> str:
    """The WARNING and ERROR lines the row's bots logged, counted, and the first of them
    (a fallback, a lost connection: what the rates alone do not say)."""
    lines = [line for bot in row.bots for line in bot.lines
             if " WARNING " in line or " ERROR " in line]  # fmt: skip
    return f"\n    the bots logged {len(lines)} warnings, the first: {lines[0]}" if lines else ""


async def main(args: argparse.Namespace) -> None:
    print(f"interactions through the fake Discord, two servers on shards 0 and 1 of"
          f" {SHARDS}: {args.rounds} rounds of {args.interactions:,} a row (or"
          f" {args.seconds:.0f} s), {args.in_flight} in flight · {platform.machine()}"
          f" · {os.cpu_count()} cores · Python {platform.python_version()}",
          flush=True)  # fmt: skip
    # Each row: its label, settings, whether on PostgreSQL, and the confbot it runs.
    plan = [(label, slices, shared, PROJECT_ROOT) for label, slices, shared in ROWS]
    for checkout in args.compare:
        plan += [(f"{label} [{checkout.name}]", slices, True, checkout.resolve())
                 for label, slices, shared in ROWS if shared]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            rows = [await stack.enter_async_context(started(
                        label, Path(tmp) / f"row{n}", slices, args.seed,
                        args.state_url if shared else None, checkout))
                    for n, (label, slices, shared, checkout) in enumerate(plan)]  # fmt: skip
            for row in rows:  # every command's first use, not counted
                await drive(row.fake, row.send, WARM_UP, args.in_flight, args.seconds)
            # Other work on the machine takes cores from the bots: say how much there
            # was; the rows take turns, each round in another order, so it weighs on all.
            loads = [os.getloadavg()[0]]
            for n in range(args.rounds):
                for row in rows[n % len(rows) :] + rows[: n % len(rows)]:
                    row.runs.append(await measure(row, args))
                loads.append(os.getloadavg()[0])
    print(f"  load average (1 min) over the rounds: {min(loads):.1f} to {max(loads):.1f};"
          " rate: median (range) over the rounds, ratio to the baseline (one process, both"
          " shards) in the same round")  # fmt: skip
    width = max(len(row.label) for row in rows)
    for row in rows:
        print(report(row, rows[BASELINE], width))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster")
    parser.add_argument("--interactions", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--state-url", default=os.environ.get("CONFBOT_TEST_POSTGRES"),
                        help="a PostgreSQL server for the state (a schema per row)")  # fmt: skip
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        metavar="CHECKOUT", help="the PostgreSQL rows again, with the confbot"
                        " in this folder (e.g. main's), in the same rounds")  # fmt: skip
    arguments = parser.parse_args()
    if not arguments.state_url:
        parser.error("a cluster shares its state on PostgreSQL: give --state-url"
                     " postgresql://user:password@host:port/database (or set"
                     " CONFBOT_TEST_POSTGRES)")  # fmt: skip
    asyncio.run(main(arguments))
