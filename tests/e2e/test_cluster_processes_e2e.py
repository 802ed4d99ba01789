"""A cluster, whole: two `python -m bot run` processes, each holding half of the shards
(2 shards: A has 0, B has 1), on one PostgreSQL state, through discord.py and the fake
Discord, following one program at an address (a loopback server where the organisers
publish new versions). Two servers, one on each shard.

- Announcements (/announce channel in both servers) and reminders (several people, /remind
  in both servers) arrive exactly once each, counted in the fake.
- A new version published at the address is answered by /paper in both servers, and
  posted once in each server's announcement channel.
- A, which follows the program's source, is killed with SIGKILL in the middle of a batch
  of reminders due at one moment, one DM in flight: once its leases end, B sends the rest,
  nothing twice, and the one in flight is reported lost, never resent (it went out once).
  B follows the source from then on: `python -m bot status` says so, a version published
  then is answered in B's server, and the people whose talk it moves are told once (B
  plans the people's DMs now).

Every wait is on an event with a deadline (the fake's messages, the state's rows), never a
fixed sleep; leases and renewals are set short from the environment, so it all takes
seconds (the looks at the ledger and at the state for versions keep their defaults:
nothing here waits for them). Both processes start at once, on a rehearsal's clock
(CONFBOT_NOW) that runs in real time from when each opens the program. A restarts with
the copy of the program it kept, so it opens it at once; B, on a new disk, must fetch it
first, and the organisers' server answers nothing until A leads the conference. So A
leads, and B's clock starts later, and half a second earlier (its CONFBOT_NOW): A is the
first to come to the moment the batch falls due, and takes all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiohttp import web

from bot.service.status import GONE_AFTER_BEATS
from bot.settings import Settings
from tests.e2e.conftest import process_env
from tests.fakediscord.payloads import on_shard
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord, Interaction
from tests.local_servers import serving
from tests.state_backends import StateBackend

# Seconds of real time (processes, servers, timeouts): started first (tests/conftest.py).
pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[2]
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD
Db = psycopg.AsyncConnection[tuple[Any, ...]]

# The conference's day and clock: A's clock starts at START (Berlin time) when it opens
# the program; the batch's two talks start at 11:00 and everyone asks to be reminded five
# minutes before, so the batch falls due 8 s after A's clock starts (the steps before it
# take 1 to 5 s from then), and starts going out 1.2 s before (a burst starts early enough
# to end on time), a DM every 0.1 s from each process (PACE over the bot).
DAY = "2025-12-27"
START = datetime.fromisoformat(f"{DAY}T10:54:52")
B_BEHIND = timedelta(seconds=0.5)  # B's clock, beyond its later start
BATCH = {"p:00000000-0000-4000-8000-000000000001": "Batch Talk Alpha",
         "p:00000000-0000-4000-8000-000000000002": "Batch Talk Beta"}  # fmt: skip
KEYNOTE = "Lunch Keynote"  # at 12:00; each new version renames it
REMINDED = [f"⏰ {title}" for title in BATCH.values()]  # the reminders' DMs, by title
NOTICE = "📢 Program update: your items changed"  # the DM telling a person of a change
PEOPLE_PER_SERVER = 3
REMINDERS = 2 * PEOPLE_PER_SERVER * len(BATCH)
PACE = "0.05"  # seconds between deliveries over the bot: each of two processes, 0.1 s
KILL_AFTER = 3  # reminders sent before A is killed
TIMEOUT = 20.0  # seconds any one wait may take on a loaded machine

CLUSTER = {
    "CONFBOT_SHARD_COUNT": "2",
    "CONFBOT_DELIVERY_PACE": PACE,
    "CONFBOT_SYNC_INTERVAL": "1",  # the leader polls the address every second
    "CONFBOT_LEAD_RETRY": "1",  # a conference whose leader died is led again within 1 s
    "CONFBOT_FOLLOW_CHECK": "60",  # the default: a new version is told at once
    "CONFBOT_LEASE": "2",  # a dead process's deliveries are free 2 s after its last renewal
    "CONFBOT_LEASE_RENEW": "0.5",
    "CONFBOT_LEDGER_CHECK": "20",  # the default: a plan or a lease's end wakes who needs it
}


# -- the program, at an address ------------------------------------------------------------


def program(keynote: str, alpha_in: str = "Hall A") -> bytes:
    """A pretalx schedule.json: the batch's two talks at 11:00 in two halls (the first in
    `alpha_in`), and the keynote at 12:00 (what each new version renames)."""

    def talk(n: int, title: str, start: str, room: str) -> dict[str, Any]:
        return {
            "guid": f"00000000-0000-4000-8000-{n:012d}", "id": n, "title": title,
            "date": f"{DAY}T{start}:00+01:00", "start": start, "duration": "00:25",
            "room": room, "track": "Systems", "type": "lecture", "language": "en",
            "abstract": "", "description": "", "subtitle": "", "links": [],
            "persons": [{"public_name": f"Speaker {n}"}],
        }  # fmt: skip

    alpha, beta = BATCH.values()
    rooms: dict[str, list[dict[str, Any]]] = {"Hall A": [], "Hall B": [], alpha_in: []}
    rooms[alpha_in].append(talk(1, alpha, "11:00", alpha_in))
    rooms["Hall B"].append(talk(2, beta, "11:00", "Hall B"))
    rooms["Hall A"].append(talk(3, keynote, "12:00", "Hall A"))
    data = {"schedule": {"version": keynote, "conference": {
        "acronym": "clu25", "title": "Cluster Congress", "start": DAY, "end": DAY,
        "time_zone_name": "Europe/Berlin",
        "days": [{"index": 1, "date": DAY, "rooms": rooms}]}}}  # fmt: skip
    return json.dumps(data).encode()


@dataclass
class Source:
    """The organisers' server: the version published last; requests are held until
    `open` is set."""

    body: bytes = field(default_factory=lambda: program(KEYNOTE))
    etag: str = '"v1"'
    url: str = ""
    open: asyncio.Event = field(default_factory=asyncio.Event)

    def publish(self, keynote: str, alpha_in: str = "Hall A") -> None:
        self.body, self.etag = program(keynote, alpha_in), f'"{keynote.replace(" ", "-")}"'


@contextlib.asynccontextmanager
async def organisers_server() -> AsyncIterator[Source]:
    source = Source()

    async def schedule(request: web.Request) -> web.Response:
        await source.open.wait()
        if request.headers.get("If-None-Match") == source.etag:
            return web.Response(status=304)
        return web.Response(body=source.body, headers={"ETag": source.etag},
                            content_type="application/json")  # fmt: skip

    app = web.Application()
    app.router.add_get("/clu25/schedule.json", schedule)
    async with serving(app) as base:
        source.url = f"{base}/clu25/schedule.json"
        yield source


# -- the processes -------------------------------------------------------------------------


@dataclass(eq=False)
class Bot:
    """One `python -m bot run`, its output in a file (shown when the test fails)."""

    name: str
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def said(self) -> str:
        return self.log.read_text(errors="replace")

    async def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int | None:
        """SIGTERM, as a platform stops it: its exit code (None: it had to be killed)."""
        if self.process.returncode is not None:
            return self.process.returncode
        self.process.terminate()
        try:
            return await asyncio.wait_for(self.process.wait(), TIMEOUT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            return None


@dataclass
class Cluster:
    """The processes of the test, the fake they talk to and the state they share."""

    fake: FakeDiscord
    db: Db
    folder: Path
    env: dict[str, str]
    bots: list[Bot] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)
    steps: list[str] = field(default_factory=list)

    def step(self, what: str) -> None:
        """Note a step reached, and when (shown when the test fails)."""
        self.steps.append(f"{time.monotonic() - self.began:5.1f} s  {what}")

    async def spawn(self, name: str, kept: bytes | None = None, **env: str) -> Bot:
        """`python -m bot run` with a disk of its own, there with the copy of the program
        it `kept` (as a process restarted on its disk has it), if given."""
        folder = self.folder / name
        folder.mkdir()
        log = folder / "bot.log"
        environ = process_env(self.fake, folder, **self.env, **env)
        if kept is not None:
            Settings.from_env(environ, dotenv_path=folder / "none").program.write_bytes(kept)
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=ROOT, env=environ,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        self.bots.append(bot := Bot(name, process, log))
        return bot

    def connected(self, second: bool) -> bool:
        """Whether a process is connected to Discord for the first (or second) server,
        with the commands synced."""
        guild = self.fake.second_guild_id if second else self.fake.guild_id
        return self.fake.holding(guild) is not None and bool(self.fake.guild_commands)

    def last_words(self) -> str:
        said = [f"--- {bot.name} (pid {bot.pid}):\n{bot.said()[-4000:]}" for bot in self.bots]
        return "\n".join(["--- steps:", *self.steps, *said])

    async def until(self, condition: Callable[[], Any], what: str) -> None:
        """Poll a cheap condition until it holds, with a deadline."""
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.last_words()}")
            await asyncio.sleep(0.02)

    async def rows(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        try:
            return await (await self.db.execute(query, params or None)).fetchall()
        except psycopg.errors.UndefinedTable:  # the first process has not made it yet
            return []

    async def until_rows(
        self, query: str, holds: Callable[[list[tuple[Any, ...]]], bool], what: str,
        *params: object,
    ) -> list[tuple[Any, ...]]:  # fmt: skip
        """Poll a query on the state until its rows satisfy `holds`: those rows."""
        deadline = time.monotonic() + TIMEOUT
        while not holds(rows := await self.rows(query, *params)):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {rows}\n{self.last_words()}")
            await asyncio.sleep(0.05)
        return rows

    async def leader(self) -> Bot:
        """Wait until the members table says a running process follows the conference's
        source: that one (a process killed leaves its last row behind)."""
        running = {bot.pid: bot for bot in self.bots if bot.process.returncode is None}
        rows = await self.until_rows(
            "SELECT pid FROM cluster_members WHERE leads = %s",
            lambda rows: any(pid in running for (pid,) in rows),
            "a running process to lead",
            '["clu25"]',
        )
        (pid,) = {pid for (pid,) in rows if pid in running}
        return running[pid]

    async def answered(self, interaction: Interaction) -> Interaction:
        try:
            return await self.fake.answer(interaction, timeout=TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"no answer to /{interaction.payload['data']['name']}\n"
                                 f"{self.last_words()}") from None  # fmt: skip

    async def said(self, name: str, **options: Any) -> str:
        """What a command was answered (ephemeral text)."""
        answer = await self.answered(await self.fake.send_command(name, **options))
        return str(answer.data.get("content"))

    async def paper_says(self, title: str, second: bool) -> None:
        """Ask /paper for `title` in a server until the answer is that talk: a new version
        reaches a process within a poll of its source or a notice from the one polling."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = await self.answered(
                await self.fake.send_command("paper", title=title, second=second)
            )
            if answer.embeds and title in answer.embeds[0]["title"]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"/paper never answered {title!r} in server {1 + second}:"
                                     f" {answer.data}\n{self.last_words()}")  # fmt: skip
            await asyncio.sleep(0.1)


# -- what arrived ----------------------------------------------------------------------------


def dm_titles(fake: FakeDiscord, person: int) -> list[str]:
    channel = fake.dm_channels.get(person)
    messages = fake.channel_messages.get(channel, []) if channel is not None else []
    return [m["embeds"][0]["title"] for m in messages]


def reminders_received(fake: FakeDiscord, people: list[int]) -> int:
    return sum(title in REMINDED for person in people for title in dm_titles(fake, person))


def posted(fake: FakeDiscord, channel: int) -> list[str]:
    """What was posted in a channel, by kind: the session announced, or a program update."""
    return [
        "update" if "update" in (text := json.dumps(m.get("embeds"))).lower() else
        "session" if "Batch Talk" in text else text
        for m in fake.channel_messages.get(channel, [])
    ]  # fmt: skip


# -- the test --------------------------------------------------------------------------------


@pytest.fixture
async def state_db(postgres_backend: StateBackend) -> AsyncIterator[Db]:
    """The test's own PostgreSQL schema, as the bots see it, to read their rows."""
    assert postgres_backend.url is not None
    async with await psycopg.AsyncConnection.connect(postgres_backend.url,
                                                     autocommit=True) as db:  # fmt: skip
        yield db


async def test_two_processes_deliver_once_and_one_takes_over_when_the_other_is_killed(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend, state_db: Db
):
    fake.guild_id = on_shard(fake.guild_id, 0, 2)
    fake.second_guild_id = on_shard(fake.second_guild_id, 1, 2)
    assert postgres_backend.url is not None
    async with organisers_server() as source:
        env = {**CLUSTER, "CONFBOT_STATE_URL": postgres_backend.url, "CONFBOT_PROGRAM": source.url}
        cluster = Cluster(fake, state_db, tmp_path, env)
        try:
            await run_the_conference(cluster, source)
        finally:
            codes = {bot.name: await bot.stop() for bot in cluster.bots}
        assert codes == {"A": -signal.SIGKILL, "B": 0}, cluster.last_words()
    assert all("Traceback" not in bot.said() for bot in cluster.bots), cluster.last_words()
    assert not fake.protocol_errors


async def run_the_conference(cluster: Cluster, source: Source) -> None:
    fake = cluster.fake
    # Both start at once; A leads (see the module's docstring).
    a = await cluster.spawn("A", kept=source.body, CONFBOT_SHARD_IDS="0",
                            CONFBOT_NOW=START.isoformat())  # fmt: skip
    b = await cluster.spawn("B", CONFBOT_SHARD_IDS="1",
                            CONFBOT_NOW=(START - B_BEHIND).isoformat())  # fmt: skip
    assert await cluster.leader() is a
    await cluster.until(lambda: cluster.connected(second=False), "A to connect")
    source.open.set()
    await cluster.until(lambda: cluster.connected(second=True), "B to connect")
    cluster.step("A leads; both connected")
    channels = {a: fake.channel_id, b: fake.second_channel_id}

    # Announcements in both servers: the 11:00 session is posted at once, in each, once.
    for second in (False, True):
        said = await cluster.said("announce channel", user=fake.owner, permissions=ORGANISER,
                                  minutes_before=10, second=second)  # fmt: skip
        assert said.startswith("📣 I'll post"), said
    await cluster.until(lambda: all(posted(fake, c) for c in channels.values()),
                        "each server's session announcement")  # fmt: skip
    cluster.step("announced in both servers")

    # Three people in each server ask to be reminded of both talks of the batch.
    people = [(fake.new_member(f"person {n} of {s}", second=s), s)
              for s in (False, True) for n in range(PEOPLE_PER_SERVER)]  # fmt: skip
    asked = await asyncio.gather(*(
        fake.send_command("remind", user=person, second=second, item=title, minutes_before=5)
        for person, second in people for title in BATCH.values()
    ))  # fmt: skip
    for interaction in asked:
        said = str((await cluster.answered(interaction)).data.get("content"))
        assert "I'll DM you about **Batch Talk" in said, said
    everyone = [int(person["id"]) for person, _ in people]
    cluster.step(f"{len(asked)} reminders set")

    # A new version: A keeps it and tells B; both servers answer it, and post it once (A
    # now; B when its clock, behind A's, comes to the moment A kept it: seen at the end).
    source.publish("Renamed Keynote")
    for second in (False, True):
        await cluster.paper_says("Renamed Keynote", second)
    await cluster.until(lambda: posted(fake, channels[a]) == ["session", "update"],
                        "A's post of the new version")  # fmt: skip
    cluster.step("a new version answered in both servers")

    # The batch falls due; A takes it and sends at its pace. After the first few, Discord
    # keeps the next DM, but A dies before the answer comes: that one is in flight.
    sent = lambda: reminders_received(fake, everyone)  # noqa: E731
    await cluster.until(lambda: sent() >= KILL_AFTER, f"the first {KILL_AFTER} reminders")
    fake.answering_messages.clear()
    await cluster.until(lambda: fake.held_messages == 1, "a DM in flight")
    await a.kill()
    fake.answering_messages.set()
    cluster.step(f"A killed with {sent()} reminders out, the last in flight")
    held = await cluster.rows(
        "SELECT state FROM deliveries WHERE kind = 'reminder' AND"
        " claimed_by LIKE %s AND lease_until IS NOT NULL",
        f"%:{a.pid}:%",
    )
    assert ("sending",) in held and ("pending",) in held, (
        f"A was not in the middle of the batch when it died: it held {held}\n"
        f"{cluster.last_words()}")  # fmt: skip

    # B takes the conference over: it follows the source, so the next version reaches it,
    # and its server answers it; and it plans the people's DMs now, so each person, who
    # asked about the talk that version moves, is told once.
    assert await cluster.leader() is b
    cluster.step("B follows the source")
    source.publish("Third Keynote", alpha_in="Hall C")
    await cluster.paper_says("Third Keynote", second=True)
    cluster.step("B's version answered")

    # Once A's leases end, B sends the rest of the batch; nothing twice. Meanwhile the
    # operator looks, once A's heartbeat is late enough for status to call it gone.
    settled, status = await asyncio.gather(cluster.until_rows(
        "SELECT target, item_ref, state FROM deliveries WHERE kind = 'reminder'",
        lambda rows: len(rows) == REMINDERS and all(r[2] in ("sent", "lost") for r in rows),
        "every reminder of the batch to be sent (or lost)",
    ), operators_status(cluster, b, a))  # fmt: skip
    cluster.step("the batch settled; status read")
    both = ["session", "update", "update"]  # B posted both versions in its server
    await cluster.until(lambda: posted(fake, channels[b]) == both,
                        "B's post of the version it kept")  # fmt: skip

    # Each reminder arrived once; the one in flight when A died is reported lost, never
    # resent (it went out once, before A died). Each person was told of B's version once.
    lost = [(person, BATCH[ref]) for person, ref, state in settled if state == "lost"]
    assert len(lost) == 1, settled
    await cluster.until(lambda: all(NOTICE in dm_titles(fake, p) for p in everyone),
                        "each person's notice of the version B kept")  # fmt: skip
    received = {person: sorted(dm_titles(fake, person)) for person in everyone}
    assert received == {person: sorted([*REMINDED, NOTICE]) for person in everyone}
    said_lost = [line for line in b.said().splitlines() if "possibly lost, not resent" in line]
    assert len(said_lost) == 1, said_lost
    assert posted(fake, channels[a]) == ["session", "update"]
    assert posted(fake, channels[b]) == both
    # B runs and follows the conference; A is gone.
    assert f"pid {b.pid}: shards 1 of 2; follows clu25;" in status, status
    assert f"pid {a.pid}: gone" in status, status
    assert "No running process follows" not in status, status


async def operators_status(cluster: Cluster, bot: Bot, dead: Bot) -> str:
    """What `python -m bot status` prints beside the cluster, as the operator runs it on
    `bot`'s machine, once `dead` has missed enough heartbeats to be called gone."""
    await cluster.until_rows(
        "SELECT seen_ts, every_s FROM cluster_members WHERE pid = %s",
        lambda rows: time.time() - rows[0][0] > GONE_AFTER_BEATS * rows[0][1],
        "the killed process's heartbeat to be late",
        dead.pid,
    )
    env = process_env(cluster.fake, bot.log.parent, **cluster.env)
    status = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "status", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(status.communicate(), TIMEOUT)
    assert status.returncode == 0, err.decode()
    return out.decode()
