"""A program followed at an address while the real discord.py client serves: a local
aiohttp server (loopback) plays the organisers' pretalx, answering each poll with the
version it holds, a 304, an error, or garbage."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.adapters.discord.client import ConfBot
from bot.render.markdown import escape
from bot.service import TALK_REF
from tests.e2e.conftest import poll_source, running_bot, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord
from tests.local_servers import serving

ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD
TITLES = ["Moving Target", "Dropped Talk", "Stays Put", "Keynote of Keynotes",
          "Late Lightning", "Closing Words", "Kernel Tales", "Rust in Orbit"]  # fmt: skip


def pretalx(moved: str | None = None, without: tuple[str, ...] = ()) -> bytes:
    """A small pretalx schedule.json on 27 Dec 2025 (Berlin), talks every 30 min from
    10:00 in two halls; `moved` starts at 15:00 instead, `without` are left out."""
    rooms: dict[str, list[dict[str, object]]] = {"Hall A": [], "Hall B": []}
    for i, title in enumerate(TITLES):
        if title in without:
            continue
        start = "15:00" if title == moved else f"{10 + i // 2:02d}:{30 * (i % 2):02d}"
        room = "Hall A" if i % 2 == 0 else "Hall B"
        rooms[room].append({
            "guid": f"00000000-0000-4000-8000-{i:012d}", "id": i + 1, "title": title,
            "date": f"2025-12-27T{start}:00+01:00", "start": start, "duration": "00:25",
            "room": room, "track": "Systems", "type": "lecture", "language": "en",
            "abstract": "", "description": "", "subtitle": "", "links": [],
            "persons": [{"public_name": f"Speaker {i}"}],
        })  # fmt: skip
    days = [{"index": 1, "date": "2025-12-27", "rooms": rooms}]
    data = {"schedule": {"version": moved or "1", "conference": {
        "acronym": "live25", "title": "Live Congress", "start": "2025-12-27",
        "end": "2025-12-27", "time_zone_name": "Europe/Berlin", "days": days}}}  # fmt: skip
    return json.dumps(data).encode()


@dataclass
class Pretalx:
    """What the organisers' server answers next."""

    body: bytes = field(default_factory=pretalx)
    etag: str = '"v1"'
    status: int = 200
    # Set: answer at once; cleared: hold each request until set again (a slow server).
    answering: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0  # requests held back right now
    served: int = 0
    not_modified: int = 0
    url: str = ""

    def publish(self, body: bytes, etag: str) -> None:
        self.body, self.etag, self.status = body, etag, 200


@asynccontextmanager
async def organisers_server() -> AsyncIterator[Pretalx]:
    state = Pretalx()
    state.answering.set()

    async def schedule(request: web.Request) -> web.Response:
        if not state.answering.is_set():
            state.waiting += 1
            try:
                await state.answering.wait()
            finally:
                state.waiting -= 1
        if state.status != 200:
            return web.Response(status=state.status)
        if request.headers.get("If-None-Match") == state.etag:
            state.not_modified += 1
            return web.Response(status=304)
        state.served += 1
        return web.Response(body=state.body, headers={"ETag": state.etag},
                            content_type="application/json")  # fmt: skip

    app = web.Application()
    app.router.add_get("/live25/schedule/export/schedule.json", schedule)
    async with serving(app) as base:
        state.url = f"{base}/live25/schedule/export/schedule.json"
        yield state


def notices(fake: FakeDiscord) -> list[dict]:
    dms = fake.channel_messages.get(fake.dm_channels.get(int(fake.attendee["id"]), 0), [])
    return [m for m in dms if m["embeds"] and m["embeds"][0]["title"].startswith("📢")]


async def source_field(fake: FakeDiscord) -> str:
    status = await fake.answer(await fake.send_command("status", user=fake.owner,
                                                       permissions=ORGANISER))  # fmt: skip
    return {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Program source"]


def ref_of(bot: ConfBot, title: str) -> str:
    return TALK_REF + next(t.key for t in bot.service.program.talks if t.title == title)


async def poll(bot: ConfBot, condition: Callable[[], object], what: str) -> None:
    """Have the bot's follower poll now (it otherwise waits its interval, and twice
    that after each failure, of wall-clock time), then wait for what that poll does."""
    poll_source(bot)
    await wait_for(condition, timeout=15, what=what)


async def test_a_program_at_an_address_is_followed_through_every_answer(
    fake: FakeDiscord, tmp_path: Path
):
    # An hour between polls: the test has the follower poll (see poll) when it has
    # changed what the organisers' server answers.
    env = {"CONFBOT_NOW": "2025-12-27T09:00", "CONFBOT_SYNC_INTERVAL": "3600",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    async with organisers_server() as pretalx_server:
        env["CONFBOT_PROGRAM"] = pretalx_server.url
        async with running_bot(fake, tmp_path, **env) as bot:
            remind = await fake.send_command("remind", item=ref_of(bot, "Moving Target"),
                                             minutes_before=5)  # fmt: skip
            await fake.answer(remind)

            # Unchanged: every poll is a 304, and nothing is read or swapped.
            await poll(bot, lambda: pretalx_server.not_modified >= 1, "a 304 poll")
            await poll(bot, lambda: pretalx_server.not_modified >= 2, "two 304 polls")
            assert pretalx_server.served == 1 and bot.holder.swaps == 0

            # An error page, then garbage: the program keeps serving, /status says why.
            pretalx_server.status = 500
            follower = bot.follower
            assert follower is not None
            await poll(bot, lambda: follower.status.error is not None, "the 500")
            assert "HTTP 500" in await source_field(fake)
            pretalx_server.publish(b"<html>Down for maintenance</html>", '"broken"')
            await poll(bot, lambda: "gave no program" in (follower.status.error or ""),
                       "the garbage refused")  # fmt: skip
            paper = await fake.answer(await fake.send_command("paper", title="moving target"))
            assert "10:00" in paper.embeds[0]["description"]

            # A real new version, answered slowly: one talk moved, one dropped. While the
            # poll waits on the server, commands are answered from the current version.
            pretalx_server.answering.clear()
            pretalx_server.publish(pretalx("Moving Target", ("Dropped Talk",)), '"v2"')
            await poll(bot, lambda: pretalx_server.waiting, "a slow poll")
            paper = await fake.answer(await fake.send_command("paper", title="moving target"))
            assert "10:00" in paper.embeds[0]["description"] and pretalx_server.waiting
            pretalx_server.answering.set()
            await wait_for(lambda: bot.holder.swaps == 1, timeout=20, what="the new version")
            paper = await fake.answer(await fake.send_command("paper", title="moving target"))
            assert "15:00" in paper.embeds[0]["description"]
            offered = await fake.answer(await fake.send_autocomplete("paper", "title", "dropped"))
            assert "Dropped Talk" not in [c["name"] for c in offered.choices]
            await wait_for(lambda: notices(fake), timeout=15, what="the change notice DM")
            assert "Moving Target" in notices(fake)[0]["embeds"][0]["description"]
            assert follower.status.error is None

            # A version that drops most talks is held for an organiser.
            pretalx_server.publish(pretalx(without=tuple(TITLES[1:])), '"v3"')
            await poll(bot, lambda: follower.held is not None, "the hold")
            assert "removes 6 of 7 talks" in await source_field(fake)
            assert len(bot.service.program.talks) == 7

    # The organisers' server is gone: a restart serves the last good version (not the
    # held one) with no network, and tells no one a second time.
    async with running_bot(fake, tmp_path, **env) as again:
        assert len(again.service.program.talks) == 7
        paper = await fake.answer(await fake.send_command("paper", title="moving target"))
        assert "15:00" in paper.embeds[0]["description"]
        checked = again.follower
        assert checked is not None
        await poll(again, lambda: checked.status.error is not None, "the failing source")
        assert "could not be reached" in await source_field(fake)
    assert len(notices(fake)) == 1


async def test_why_the_last_check_failed_is_said_in_the_organisers_language(
    fake: FakeDiscord, tmp_path: Path
):
    """/status and /program reload say why the source's last check failed in French
    ('a répondu HTTP 500'), not in the English the sync kept ('answered HTTP 500')."""
    env = {"CONFBOT_NOW": "2025-12-27T09:00", "CONFBOT_SYNC_INTERVAL": "3600"}
    async with organisers_server() as pretalx_server:
        env["CONFBOT_PROGRAM"] = pretalx_server.url
        async with running_bot(fake, tmp_path, **env) as bot:
            pretalx_server.status = 500
            follower = bot.follower
            assert follower is not None
            await poll(bot, lambda: follower.status.error is not None, "the 500")
            status = await fake.answer(await fake.send_command(
                "status", user=fake.owner, permissions=ORGANISER, locale="fr"))  # fmt: skip
            fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
            said = f"{escape(pretalx_server.url)} a répondu HTTP 500"
            assert said in fields["Source du programme"]
            reload = await fake.send_command("program reload", user=fake.owner,
                                             permissions=ORGANISER, locale="fr")  # fmt: skip
            await fake.answer(reload)
            await wait_for(lambda: reload.followups, what="the reload's answer")
            assert reload.followups[0]["content"] == f"⚠️ {said}"
