"""A Procfile-style restart (Heroku and the like wipe the disk on every deploy): the
state database is kept, every other path the bot keeps is in a fresh, empty folder, and
the organisers' server is down. The bot answers from the version it served last, as the
state keeps it, and then follows the source as usual."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from tests.e2e.conftest import running_bot
from tests.e2e.test_conferences_e2e import FRAB, organiser, program_app
from tests.e2e.test_faults_e2e import spawn_bot
from tests.e2e.test_live_remote_e2e import notices, poll, pretalx, ref_of, source_field
from tests.fakediscord.server import FakeDiscord
from tests.local_servers import Switchable, switchable
from tests.state_backends import StateBackend


@dataclass
class Organisers:
    """What the organisers' pretalx answers, and the validator each request sent."""

    body: bytes = field(default_factory=pretalx)
    etag: str = '"v1"'
    sent: list[str | None] = field(default_factory=list)
    not_modified: int = 0
    url: str = ""


@asynccontextmanager
async def organisers_server() -> AsyncIterator[tuple[Organisers, Switchable]]:
    answers = Organisers()

    async def schedule(request: web.Request) -> web.Response:
        answers.sent.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == answers.etag:
            answers.not_modified += 1
            return web.Response(status=304)
        return web.Response(body=answers.body, headers={"ETag": answers.etag},
                            content_type="application/json")  # fmt: skip

    app = web.Application()
    app.router.add_get("/live25/schedule/export/schedule.json", schedule)
    async with switchable(app) as server:
        answers.url = f"{server.base}/live25/schedule/export/schedule.json"
        yield answers, server


async def test_a_restart_on_an_empty_disk_answers_from_the_version_served_last(
    fake: FakeDiscord, tmp_path_factory: pytest.TempPathFactory, state_backend: StateBackend
):
    env = {"CONFBOT_NOW": "2025-12-27T09:00", "CONFBOT_SYNC_INTERVAL": "3600",
           "CONFBOT_DELIVERY_PACE": "0", **state_backend.env()}  # fmt: skip
    async with organisers_server() as (answers, server):
        env["CONFBOT_PROGRAM"] = answers.url
        async with running_bot(fake, tmp_path_factory.mktemp("disk"), **env) as bot:
            remind = await fake.send_command("remind", item=ref_of(bot, "Moving Target"),
                                             minutes_before=5)  # fmt: skip
            await fake.answer(remind)
            # The source moves on before the restart, and the bot with it.
            answers.body = pretalx("Moving Target", ("Dropped Talk",))
            answers.etag = '"v2"'
            await poll(bot, lambda: bot.holder.swaps == 1, "the new version")
            await poll(bot, lambda: notices(fake), "the change notice DM")

        await server.down()
        disk = tmp_path_factory.mktemp("disk")  # the deploy wiped the disk
        async with running_bot(fake, disk, **env) as again:
            paper = await fake.answer(await fake.send_command("paper", title="moving target"))
            assert "15:00" in paper.embeds[0]["description"]
            board = await fake.answer(await fake.send_command("next", when="14:50"))
            assert "Moving Target" in str(board.embeds[0])
            offered = await fake.answer(await fake.send_autocomplete("paper", "title", "dropped"))
            assert "Dropped Talk" not in [c["name"] for c in offered.choices]

            # Followed as usual: down, /status says so; back, its first check sends the
            # validators the state kept, and an unchanged program costs a 304.
            follower = again.follower
            assert follower is not None
            await poll(again, lambda: follower.status.error is not None, "the failing check")
            assert "could not be reached" in await source_field(fake)
            sent, not_modified = len(answers.sent), answers.not_modified
            await server.up()
            await poll(again, lambda: answers.not_modified > not_modified, "a 304 check")
            assert answers.sent[sent:] == ['"v2"']
            assert again.holder.swaps == 0
            await poll(again, lambda: follower.status.error is None, "the source back")
        assert (disk / "confbot-source").read_bytes() == answers.body  # the cache, back
    assert len(notices(fake)) == 1  # the move was told once, not again at the restart


async def test_a_restart_with_no_version_kept_and_no_program_stops_with_one_line(
    fake: FakeDiscord, tmp_path_factory: pytest.TempPathFactory, state_backend: StateBackend
):
    """The operator's program is not on the new disk, and the state served none from it."""
    disk = tmp_path_factory.mktemp("disk")
    program = disk / "fosdem.json"
    process = await spawn_bot(fake, disk, CONFBOT_PROGRAM=str(program), **state_backend.env())
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    text = stderr.decode()
    assert process.returncode == 2, text[-2000:]
    assert f"confbot: CONFBOT_PROGRAM={program} does not exist; give a program export" in text
    assert "Traceback" not in text


async def test_a_source_a_server_added_comes_back_from_the_state_on_an_empty_disk(
    fake: FakeDiscord, tmp_path_factory: pytest.TempPathFactory, state_backend: StateBackend
):
    """Its copy and database are kept in a folder beside the state's file: wiped with the
    disk, they are written back from the state, with its source down."""
    env = {"CONFBOT_ALLOW_PRIVATE_SOURCES": "yes", **state_backend.env()}  # on loopback
    async with switchable(program_app(FRAB.read_bytes())) as server:
        async with running_bot(fake, tmp_path_factory.mktemp("disk"), **env):
            await organiser(fake, "conference add", source=f"{server.base}/schedule.json")
        await server.down()
        folder = state_backend.path.with_name(f"{state_backend.path.stem}-sources")
        shutil.rmtree(folder)  # the deploy wiped the disk
        async with running_bot(fake, tmp_path_factory.mktemp("disk"), **env) as bot:
            assert bot.conferences.get("fixcon") is not None
            paper = await fake.answer(await fake.send_command("paper", title="Opening",
                                                              conference="fixcon"))  # fmt: skip
            assert "Opening" in paper.embeds[0]["title"]
        assert any(folder.iterdir())  # the cache, back
