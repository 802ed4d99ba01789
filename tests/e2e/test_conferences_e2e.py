"""One bot, several conferences, through discord.py and the fake Discord: each server
answers about its own, a server with two honours the option and its default, a person's
pick follows them into their DMs, and a source added from Discord is guarded, fetched,
summarised, followed, kept across a restart and dropped when no server offers it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from aiohttp import web

from bot import app
from bot.adapters.discord import conference_cog
from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.conference_cog import ADD_BUDGET, ConferenceCog
from bot.importer.registry import read_source
from bot.live import conferences
from bot.render.markdown import as_shown
from bot.render.text import load_details
from bot.service import ProgramService
from bot.settings import own_db_path
from bot.store import build, extra
from tests.e2e.conftest import running_bot, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord, Interaction
from tests.local_servers import serving
from tests.markdown_checks import PAYLOAD, unsafe

FRAB = Path(__file__).parents[1] / "fixtures" / "programs" / "frab-v1.json"
BUNDLED = Path(__file__).parents[2] / "data" / "osdi24"
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD
TWO = ",".join([str(BUNDLED), str(FRAB)])


async def about(fake: FakeDiscord, **where: Any) -> str:
    answer = await fake.answer(await fake.send_command("about", **where))
    return answer.embeds[0]["title"]


async def organiser(fake: FakeDiscord, name: str, **options: Any) -> Interaction:
    interaction = await fake.send_command(name, user=fake.owner, permissions=ORGANISER, **options)
    answer = await fake.answer(interaction, timeout=30)
    if answer.callback["type"] == 5:  # deferred: the answer is the followup
        await asyncio.wait_for(answer.followed_up.wait(), 30)
    return answer


def said(interaction: Interaction) -> str:
    if interaction.followups:
        return str(interaction.followups[-1].get("content"))
    return str(interaction.data.get("content"))


# -- several conferences from CONFBOT_PROGRAM ------------------------------------------


async def test_two_servers_with_different_conferences_answer_differently(
    fake: FakeDiscord, tmp_path: Path
):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO) as bot:
        assert len(bot.conferences) == 2
        await organiser(fake, "conference add", source="fixcon")
        await organiser(fake, "conference default", conference="fixcon")
        assert "Fixture Congress" in await about(fake)
        assert "OSDI" in await about(fake, second=True)  # the operator's first, by default


async def test_a_server_with_two_conferences_honours_the_option_and_its_default(
    fake: FakeDiscord, tmp_path: Path
):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        assert "OSDI" in await about(fake)
        assert "Fixture Congress" in await about(fake, conference="fixcon")
        answer = await fake.answer(await fake.send_command("paper", title="Opening",
                                                           conference="fixcon"))  # fmt: skip
        assert "Opening" in answer.embeds[0]["title"]
        suggestions = await fake.answer(
            await fake.send_autocomplete("paper", "title", "open", conference="fixcon")
        )
        assert any("Opening" in c["name"] for c in suggestions.choices)
        await organiser(fake, "conference default", conference="fixcon")
        assert "Fixture Congress" in await about(fake)
        assert "OSDI" in await about(fake, conference="osdi24")


async def test_the_conference_option_suggests_what_is_offered(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        suggestions = await fake.answer(await fake.send_autocomplete("next", "conference", ""))
        assert [c["value"] for c in suggestions.choices] == ["osdi24", "fixcon"]


async def test_an_unknown_conference_option_is_one_private_sentence_naming_those_offered(
    fake: FakeDiscord, tmp_path: Path
):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        answer = await fake.answer(await fake.send_command("now", conference="nosuchconf"))
        assert answer.ephemeral
        assert "No conference “nosuchconf” here" in said(answer) and "fixcon" in said(answer)


async def test_a_person_picks_a_conference_and_it_follows_them_into_their_dms(
    fake: FakeDiscord, tmp_path: Path
):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        assert "OSDI" in await about(fake, dm=True, installed_by_user=True)
        picked = await fake.answer(await fake.send_command(
            "conference use", conference="fixcon", dm=True, installed_by_user=True))  # fmt: skip
        assert "Fixture Congress" in said(picked)
        assert "Fixture Congress" in await about(fake, dm=True, installed_by_user=True)
        assert "Fixture Congress" in await about(fake)  # offered in the server too


async def test_a_removed_conference_is_no_longer_offered_in_that_server(
    fake: FakeDiscord, tmp_path: Path
):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        removed = await organiser(fake, "conference remove", conference="osdi24")
        assert "no longer offers" in said(removed)
        assert "Fixture Congress" in await about(fake)  # the default moved to what is left
        answer = await fake.answer(await fake.send_command("now", conference="osdi24"))
        assert "No conference" in said(answer)
        assert "OSDI" in await about(fake, second=True)  # another server's choice stands
        last = await organiser(fake, "conference remove", conference="fixcon")
        assert "only conference here" in said(last)


async def test_attendees_cannot_choose_a_servers_conferences(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        answer = await fake.answer(await fake.send_command("conference default",
                                                           conference="fixcon"))  # fmt: skip
        assert answer.ephemeral and "permission" in said(answer)
        assert "OSDI" in await about(fake)


async def test_the_choices_outlive_a_restart(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        await organiser(fake, "conference default", conference="fixcon")
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        assert "Fixture Congress" in await about(fake)


# -- sources added from Discord: the guard ----------------------------------------------


SOURCES_REACHING_INSIDE = [
    ("http://127.0.0.1:9/schedule.json", "is not an https address"),
    ("http://169.254.169.254/latest/meta-data/", "is not an https address"),
    ("https://127.0.0.1/schedule.json", "is a loopback address"),
    ("https://169.254.169.254/latest/meta-data/", "is a link-local address"),
    ("https://[::ffff:10.0.0.1]/schedule.json", "is a private address"),
    ("https://localhost/schedule.json", "resolves to a loopback address"),
    ("https://user:pw@example.org/schedule.json", "user name or password"),
    ("/etc/passwd", "Give the https address"),
    ("   ", "Give the https address"),
    ("https://pretalx.example/" + "a" * 600, "over 500 characters"),
    ("https://[::1/x", "is not a well-formed address (Invalid IPv6 URL)"),
    ("https://[x/y", "is not a well-formed address (Invalid IPv6 URL)"),
    ("https://pretalx.example:99999/s.json", "is not a well-formed address (Port out of"),
    ("https://pretalx example/schedule.json", "has a host name no host can have"),
    ("https://[64:ff9b::a00:1]/schedule.json", "is a private address (10.0.0.1 inside a NAT64"),
    ("https://[2002:a9fe:a9fe::]/latest/", "is a link-local address"),
]


async def test_a_source_that_could_reach_inside_is_refused_with_the_reason(
    fake: FakeDiscord, tmp_path: Path
):
    # Each address asked of one bot: a refused add keeps nothing (checked after each),
    # so a bot for each would only start it sixteen times.
    async with running_bot(fake, tmp_path) as bot:
        for source, reason in SOURCES_REACHING_INSIDE:
            refused = await organiser(fake, "conference add", source=source)
            shown = as_shown(said(refused))  # as a reader sees it (an address's dots escaped)
            assert refused.ephemeral and reason in shown, (source, shown)
            assert await bot.state.conferences.added_sources() == []  # type: ignore[union-attr]
            assert len(bot.conferences) == 1, source


async def test_a_name_that_resolves_to_a_private_address_is_refused(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "program.intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    async with running_bot(fake, tmp_path) as bot:
        source = "https://program.intranet.example/schedule.json"
        refused = await organiser(fake, "conference add", source=source)
        assert "program.intranet.example resolves to a private address" in said(refused)
        assert len(bot.conferences) == 1


# -- sources added from Discord: fetched, followed, kept, dropped -------------------------


def program_app(body: bytes, *paths: str) -> web.Application:
    """`body` served at /schedule.json, or at each of `paths`."""

    async def schedule(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    for path in paths or ("/schedule.json",):
        app.router.add_get(path, schedule)
    return app


async def test_a_source_added_by_address_is_summarised_followed_and_kept_across_a_restart(
    fake: FakeDiscord, tmp_path: Path
):
    env = {"CONFBOT_ALLOW_PRIVATE_SOURCES": "yes"}  # the test server is on loopback
    async with serving(program_app(FRAB.read_bytes())) as base:
        url = f"{base}/schedule.json"
        async with running_bot(fake, tmp_path, **env) as bot:
            added = await organiser(fake, "conference add", source=url)
            text = said(added)
            assert "now offers **Fixture Congress** (`fixcon`)" in text and "format:" in text
            assert "Fixture Congress" in await about(fake, conference="fixcon")
            assert "OSDI" in await about(fake)  # the default stays
            assert "OSDI" in await about(fake, second=True)  # only this server offers it
            assert bot.conferences.get("fixcon").follower.remote is not None  # type: ignore[union-attr]
        async with running_bot(fake, tmp_path, **env):
            assert "Fixture Congress" in await about(fake, conference="fixcon")
            removed = await organiser(fake, "conference remove", conference="fixcon")
            assert "no longer followed" in said(removed)
    copy = own_db_path(tmp_path / "confbot-state-sources" / "program.db", url)
    assert not copy.exists()
    async with running_bot(fake, tmp_path, **env) as bot:
        assert [s.key for s in bot.conferences] == ["osdi24"]


async def test_a_source_is_no_longer_followed_once_the_server_that_added_it_removes_the_bot(
    fake: FakeDiscord, tmp_path: Path
):
    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        await organiser(fake, "conference add", source=f"{base}/schedule.json")
        assert bot.conferences.get("fixcon") is not None
        await fake.remove_bot()
        await wait_for(lambda: bot.conferences.get("fixcon") is None, what="the source dropped")
        assert await bot.state.conferences.added_sources() == []  # type: ignore[union-attr]


async def test_two_organisers_adding_one_address_at_once_get_one_conference(
    fake: FakeDiscord, tmp_path: Path
):
    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        url = f"{base}/schedule.json"
        first, second = await asyncio.gather(
            organiser(fake, "conference add", source=url),
            organiser(fake, "conference add", source=url),
        )
        assert all("now offers **Fixture Congress**" in said(i) for i in (first, second)), [
            said(first),
            said(second),
        ]
        served = bot.conferences.get("fixcon")
        assert served is not None and served.settings.program.is_file()
        assert "Fixture Congress" in await about(fake, conference="fixcon")


async def test_a_source_that_is_no_program_is_refused_and_leaves_nothing(
    fake: FakeDiscord, tmp_path: Path
):
    async with (
        serving(program_app(b"<html>login</html>")) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        refused = await organiser(fake, "conference add", source=f"{base}/schedule.json")
        assert "gave no program confbot reads" in said(refused)
        assert "Nothing was added" in said(refused)
        assert len(bot.conferences) == 1
    folder = tmp_path / "confbot-state-sources"
    assert not folder.exists() or not any(p.is_file() for p in folder.iterdir())


async def test_a_refused_sources_reason_shows_the_files_words_as_written(
    fake: FakeDiscord, tmp_path: Path
):
    # The reader's sentence quotes the file ('...date: '<payload>' is not a date'); the
    # refusal put it into the reply unescaped: a masked link, mentions, a timestamp.
    data = json.loads(FRAB.read_text(encoding="utf-8"))
    data["schedule"]["conference"]["days"][0]["date"] = PAYLOAD
    async with (
        serving(program_app(json.dumps(data).encode())) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes"),
    ):
        refused = await organiser(fake, "conference add", source=f"{base}/schedule.json")
    assert "gave no program confbot reads" in said(refused)
    assert f"'{PAYLOAD}' is not a date" in as_shown(said(refused))
    assert unsafe(said(refused)) == []


async def test_choosing_a_servers_conferences_is_refused_in_a_dm_and_where_the_bot_was_not_added(
    fake: FakeDiscord, tmp_path: Path
):
    # /conference list and use work anywhere, so the group is registered everywhere; its
    # organisers' subcommands refuse, when they run, anywhere but a server that added it.
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        mine = {"dm": True, "installed_by_user": True}
        in_dm = await fake.answer(
            await fake.send_command("conference default", conference="fixcon", **mine)
        )
        assert in_dm.ephemeral and "only in a server that added confbot" in said(in_dm)
        elsewhere = await fake.answer(await fake.send_command(
            "conference add", source="fixcon", elsewhere=True, permissions=ORGANISER))  # fmt: skip
        assert "Only a server that added confbot" in said(elsewhere)
        listed = await fake.answer(await fake.send_command("conference list", **mine))
        (page,) = listed.embeds
        assert "OSDI" in page["description"] and "Fixture Congress" in page["description"]
        assert "what you ask about" in page["description"]  # the default of the DM, for now


async def test_each_conference_is_announced_in_its_own_channel(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO) as bot:
        await organiser(fake, "announce channel", channel=fake.channel_id)
        await organiser(fake, "announce channel", channel=fake.room_channel_id,
                        conference="fixcon")  # fmt: skip
        configs = await bot.state.announcements.find(fake.guild_id)  # type: ignore[union-attr]
        assert {(c.conference, c.channel_id, c.enabled) for c in configs} == {
            ("osdi24", fake.channel_id, True), ("fixcon", fake.room_channel_id, True)}  # fmt: skip
        await organiser(fake, "announce off", conference="fixcon")
        configs = await bot.state.announcements.find(fake.guild_id)  # type: ignore[union-attr]
        assert {(c.conference, c.enabled) for c in configs} == {
            ("osdi24", True), ("fixcon", False)}  # fmt: skip
        status = await organiser(fake, "status")
        assert f"<#{fake.channel_id}>" in str(status.embeds)


async def test_two_addresses_whose_programs_share_an_acronym_are_served_under_two_keys(
    fake: FakeDiscord, tmp_path: Path
):
    """The first server to add a program named `fixcon` does not keep the second from
    adding another address whose program says `fixcon` too; one address is one source."""
    app = program_app(FRAB.read_bytes(), "/schedule.json", "/real/schedule.json")
    env = {"CONFBOT_ALLOW_PRIVATE_SOURCES": "yes"}
    async with serving(app) as base:
        squatter, real = f"{base}/schedule.json", f"{base}/real/schedule.json"
        async with running_bot(fake, tmp_path, **env) as bot:
            await organiser(fake, "conference add", source=squatter)
            added = await organiser(fake, "conference add", source=real, second=True)
            assert "now offers **Fixture Congress** (`fixcon-127-0-0-1`)" in said(added)
            assert [s.key for s in bot.conferences] == ["osdi24", "fixcon", "fixcon-127-0-0-1"]
            title = await about(fake, conference="fixcon-127-0-0-1", second=True)
            assert "Fixture Congress" in title
            again = await organiser(fake, "conference add", source=real)  # the same address
            assert "(`fixcon-127-0-0-1`)" in said(again) and len(bot.conferences) == 3
        async with running_bot(fake, tmp_path, **env) as bot:  # each keeps its key
            urls = {s.key: s.settings.program_url for s in bot.conferences}
            assert urls == {"osdi24": None, "fixcon": squatter, "fixcon-127-0-0-1": real}


class HeldSource:
    """Program exports on loopback: /slow/schedule.json answers only once the test lets
    it (or the block ends), /schedule.json at once."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.release = asyncio.Event()
        self.app = program_app(FRAB.read_bytes())
        self.app.router.add_get("/slow/schedule.json", self._schedule)

    async def _schedule(self, request: web.Request) -> web.Response:
        self.asked.set()
        await self.release.wait()
        return web.Response(body=FRAB.read_bytes(), content_type="application/json")

    async def add_started(self, fake: FakeDiscord, base: str) -> Interaction:
        """An organiser's add of the held address, under way: its source asked, not
        answered."""
        add = await fake.send_command("conference add", user=fake.owner, permissions=ORGANISER,
                                      source=f"{base}/slow/schedule.json")  # fmt: skip
        await asyncio.wait_for(self.asked.wait(), 10)
        return add

    @contextlib.asynccontextmanager
    async def served(self) -> AsyncIterator[str]:
        """Its base address; a test that fails while a request is held still lets it go."""
        async with serving(self.app) as base:
            try:
                yield base
            finally:
                self.release.set()


def added_cog(bot: ConfBot) -> ConferenceCog:
    cog = bot.get_cog("ConferenceCog")
    assert isinstance(cog, ConferenceCog)
    return cog


def nothing_kept(tmp_path: Path) -> bool:
    folder = tmp_path / "confbot-state-sources"
    return not folder.exists() or not any(folder.iterdir())


async def test_a_slow_source_being_added_does_not_hold_another_servers_add(
    fake: FakeDiscord, tmp_path: Path
):
    held = HeldSource()
    async with (
        held.served() as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        slow = await held.add_started(fake, base)
        fast = await fake.send_command("conference add", user=fake.owner, permissions=ORGANISER,
                                       source=f"{base}/schedule.json", second=True)  # fmt: skip
        await fake.answer(fast)
        await wait_for(lambda: fast.followed_up.is_set(), timeout=10,
                       what="the other address added while the slow one is held")  # fmt: skip
        assert "now offers **Fixture Congress**" in said(fast)
        assert not slow.followups  # still held by its source
        held.release.set()
        await asyncio.wait_for(slow.followed_up.wait(), 30)
        assert "now offers **Fixture Congress**" in said(slow)
        assert len(bot.conferences) == 3
        assert len(added_cog(bot)._turns) == 0  # no lock kept for addresses added


async def test_a_server_adds_one_source_at_a_time_and_another_server_is_not_held(
    fake: FakeDiscord, tmp_path: Path
):
    """One server's adds hold one reader at most, so its slow or huge sources cannot
    take the workers every other server's adds (and the bot's syncs) need."""
    held = HeldSource()
    async with (
        held.served() as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        slow = await held.add_started(fake, base)
        again = await organiser(fake, "conference add", source=f"{base}/schedule.json")
        assert again.ephemeral and said(again) == (
            "This server is adding another program already: wait until that is done, then"
            " try again.")  # fmt: skip
        other = await organiser(fake, "conference add", source=f"{base}/schedule.json",
                                second=True)  # fmt: skip
        assert "now offers **Fixture Congress**" in said(other)
        held.release.set()
        await asyncio.wait_for(slow.followed_up.wait(), 30)
        assert "now offers **Fixture Congress**" in said(slow)
        await added_cog(bot).settled()
        more = await organiser(fake, "conference add", source=f"{base}/schedule.json")
        assert "now offers **Fixture Congress**" in said(more)  # its turn is over


class _CountedSemaphore(asyncio.Semaphore):
    """The cog's readers, counting the adds that asked for one."""

    asked = 0

    async def acquire(self) -> Literal[True]:
        self.asked += 1
        return await super().acquire()


async def test_adds_from_many_servers_read_two_sources_at_a_time(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    reading: list[threading.Event] = []
    release = threading.Event()
    most, now = [0], [0]
    lock = threading.Lock()

    def held_read(*args: Any, **kwargs: Any) -> Any:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
            reading.append(threading.Event())
        release.wait(30)
        with lock:
            now[0] -= 1
        return read_source(*args, **kwargs)

    async with (
        serving(program_app(FRAB.read_bytes(), "/a/schedule.json", "/b/schedule.json",
                            "/c/schedule.json")) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):  # fmt: skip
        monkeypatch.setattr(build, "read_source", held_read)
        cog = added_cog(bot)
        cog._readers = readers = _CountedSemaphore(conference_cog.ADD_READERS)
        adds = [asyncio.create_task(cog._added(server, f"{base}/{name}/schedule.json"))
                for server, name in ((1, "a"), (2, "b"), (3, "c"))]  # fmt: skip
        try:
            # All three fetched and asked for a reader; the two readers are held until
            # released below, so the third waits for one: seen, not waited a second for.
            busy = conference_cog.ADD_READERS
            await wait_for(lambda: readers.asked == 3 and len(reading) == busy,
                           what="the readers busy and the third add asking for one")  # fmt: skip
            for _ in range(10):  # the loop turns: the third stays waiting
                await asyncio.sleep(0)
            assert readers.locked() and len(reading) == busy
            assert not any(add.done() for add in adds)
        finally:
            release.set()
        served = await asyncio.gather(*adds)
        assert most[0] == 2 and len(reading) == 3
        assert len({s.key for s, _ in served}) == 3


async def test_a_server_adds_at_most_max_added_sources(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(conference_cog, "MAX_ADDED", 1)
    async with (
        serving(program_app(FRAB.read_bytes(), "/a/schedule.json", "/b/schedule.json")) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes"),
    ):
        first = await organiser(fake, "conference add", source=f"{base}/a/schedule.json")
        assert "now offers **Fixture Congress**" in said(first)
        again = await organiser(fake, "conference add", source=f"{base}/a/schedule.json")
        assert "now offers **Fixture Congress** (`fixcon`)" in said(again)  # the same one
        more = await organiser(fake, "conference add", source=f"{base}/b/schedule.json")
        assert said(more) == ("This server has added 1 programs by address, the most one"
                              " server may: `/conference remove` one first.")  # fmt: skip
        other = await organiser(fake, "conference add", source=f"{base}/b/schedule.json",
                                second=True)  # fmt: skip
        assert "now offers **Fixture Congress**" in said(other)  # another server's own


async def test_two_servers_adding_one_slow_address_wait_for_each_other_and_share_it(
    fake: FakeDiscord, tmp_path: Path
):
    held = HeldSource()
    async with (
        held.served() as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        url = f"{base}/slow/schedule.json"
        add = {"user": fake.owner, "permissions": ORGANISER, "source": url}
        first = await fake.send_command("conference add", **add)
        await asyncio.wait_for(held.asked.wait(), 10)
        second = await fake.send_command("conference add", **add, second=True)
        await fake.answer(second)
        cog = added_cog(bot)
        await wait_for(lambda: len(cog._adds) == 2, what="both adds underway")
        assert len(cog._turns) == 1  # one address: one turn, the second waits in it
        assert not first.followups and not second.followups
        held.release.set()
        await asyncio.wait_for(first.followed_up.wait(), 30)
        await asyncio.wait_for(second.followed_up.wait(), 30)
        assert all("now offers **Fixture Congress** (`fixcon`)" in said(i) for i in (first, second))
        assert [s.key for s in bot.conferences] == ["osdi24", "fixcon"]
        assert "Fixture Congress" in await about(fake, conference="fixcon", second=True)


async def test_a_source_over_the_budget_is_refused_and_leaves_nothing(
    fake: FakeDiscord, tmp_path: Path
):
    held = HeldSource()
    async with (
        held.served() as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        cog = added_cog(bot)
        cog.add_budget = 0.05  # the source is held until after the refusal: over it surely
        refused = await organiser(fake, "conference add", source=f"{base}/slow/schedule.json")
        assert refused.ephemeral and "could not be fetched and read within 0.05 s" in said(refused)
        assert "Nothing was added" in said(refused)
        held.release.set()  # it answers now, to a fetch cut off already
        await cog.settled()
        assert len(bot.conferences) == 1
        assert await bot.state.conferences.added_sources() == []  # type: ignore[union-attr]
        assert "OSDI" in await about(fake)
    assert nothing_kept(tmp_path)


async def test_a_source_read_past_the_budget_is_refused_and_undone_once_read(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Reading runs in a worker thread, which cannot be stopped: the organiser is told at
    the budget, and what the read opens is undone when it ends, before the address's
    next add may start."""
    reading, release = threading.Event(), threading.Event()

    def held_read(*args: Any, **kwargs: Any) -> Any:
        reading.set()
        release.wait(30)
        return read_source(*args, **kwargs)

    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        monkeypatch.setattr(build, "read_source", held_read)
        cog = added_cog(bot)
        # The fetch from loopback takes milliseconds (a busy 2-core machine: still far less
        # than this); the read is held until after the refusal.
        cog.add_budget = 1.5
        try:
            refused = await organiser(fake, "conference add", source=f"{base}/schedule.json")
        finally:
            release.set()
        assert "could not be fetched and read within 1.5 s. Nothing was added." in said(refused)
        await cog.settled()
        assert reading.is_set()  # it was the read that was over budget
        assert [s.key for s in bot.conferences] == ["osdi24"]
        assert await bot.state.conferences.added_sources() == []  # type: ignore[union-attr]
        assert nothing_kept(tmp_path)
        monkeypatch.undo()
        cog.add_budget = ADD_BUDGET
        again = await organiser(fake, "conference add", source=f"{base}/schedule.json")
        assert "now offers **Fixture Congress** (`fixcon`)" in said(again)
    assert not nothing_kept(tmp_path)


async def test_a_source_being_added_is_built_off_the_event_loop(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Its database rows, its lookups (again under a key of its own, when its program
    shares another's) and its summary each take about a tenth of a second at 16,000
    talks: all are made in worker threads, so every other server is answered meanwhile."""
    made: list[tuple[str, bool]] = []

    def recorded(what: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            made.append((what, threading.current_thread() is threading.main_thread()))
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(extra, "dump", recorded("rows", extra.dump))
    monkeypatch.setattr(app, "ProgramService", recorded("lookups", ProgramService))
    monkeypatch.setattr(conferences, "ProgramService", recorded("renamed", ProgramService))
    monkeypatch.setattr(conference_cog, "load_details", recorded("summary", load_details))
    source = program_app(FRAB.read_bytes(), "/schedule.json", "/real/schedule.json")
    async with (
        serving(source) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes"),
    ):
        made.clear()  # the start's own
        await organiser(fake, "conference add", source=f"{base}/schedule.json")
        added = await organiser(fake, "conference add", source=f"{base}/real/schedule.json")
        assert "(`fixcon-127-0-0-1`)" in said(added)
    assert {what for what, _ in made} == {"rows", "lookups", "renamed", "summary"}
    assert [what for what, on_loop in made if on_loop] == []


@pytest.mark.parametrize("write_in_flight", [False, True])
async def test_a_source_removed_by_one_server_while_another_adds_it_is_the_others(
    fake: FakeDiscord, tmp_path: Path, write_in_flight: bool
):
    """The first server removes the source it alone offers while the second adds the
    same address. The second's add found the source still served and offered it as the
    first dropped it: the second was told it offers it but did not, or (when its choice
    was written just after the drop) offered a conference no longer served, and every
    command in that server answered with the generic apology until a restart."""
    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        url = f"{base}/schedule.json"
        await organiser(fake, "conference add", source=url)
        state, cog = bot.state, added_cog(bot)
        assert state is not None
        stored = state.conferences
        real_drop, real_offer = stored.drop_source, stored.offer
        second_offers = asyncio.Event()

        async def offer(guild_id: int, *args: Any) -> None:
            if guild_id == fake.second_guild_id:
                second_offers.set()
            await real_offer(guild_id, *args)

        def second_add_arrived() -> bool:  # it offers the source, or waits for its turn
            waiting = cog._turns._locks.get(url, (None, 0))[1] > 1
            return second_offers.is_set() or waiting

        async def drop(key: str) -> bool:
            # The drop is held until the second server's add has arrived: a slow disk.
            if not write_in_flight:
                await wait_for(second_add_arrived, what="the second server's add")
                return await real_drop(key)
            async with state._writing:  # its write holds the state database meanwhile
                await wait_for(second_add_arrived, what="the second server's add")
                return await type(stored).drop_source.__wrapped__(stored, key)  # type: ignore[attr-defined]

        stored.drop_source, stored.offer = drop, offer  # type: ignore[method-assign]
        removing = asyncio.create_task(organiser(fake, "conference remove", conference="fixcon"))
        await wait_for(lambda: len(cog._turns) > 0 or bot.conferences.offering("fixcon") == [],
                       what="the remove underway")  # fmt: skip
        added = await organiser(fake, "conference add", source=url, second=True)
        assert "no longer followed" in said(await removing)
        assert "now offers **Fixture Congress** (`fixcon`)" in said(added)
        listed = await fake.answer(await fake.send_command("conference list", second=True))
        assert listed.embeds, said(listed)  # not the generic apology
        assert "Fixture Congress" in listed.embeds[0]["description"]
        assert "Fixture Congress" in await about(fake, conference="fixcon", second=True)
        assert [s.key for s in bot.conferences] == ["osdi24", "fixcon"]
        assert [s.url for s in await state.conferences.added_sources()] == [url]
        assert bot.conferences.get("fixcon").settings.program.is_file()  # type: ignore[union-attr]
