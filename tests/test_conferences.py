"""Several conferences in one bot: the sources CONFBOT_PROGRAM lists, and which conference
a question is about."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.adapters.discord.program_cog import refusal
from bot.app import open_program
from bot.i18n import ENGLISH
from bot.importer.registry import read_source
from bot.live.conferences import Conferences, Served, UnknownConference, decides
from bot.live.holder import ProgramHolder, StillIndexing
from bot.model import Conference, Program
from bot.search import ProgramIndex
from bot.service import ProgramService, program_service
from bot.settings import BUNDLED_PROGRAM, Settings, SettingsError
from bot.store.conferences_store import AddedSource
from bot.store.state import StateStore
from tests.conftest import HeldIndexing, pacific

FRAB = Path(__file__).parent / "fixtures" / "programs" / "frab-v1.json"
ICS = Path(__file__).parent / "fixtures" / "programs" / "program.ics"


def settings(tmp_path: Path, program: str) -> Settings:
    env = {"CONFBOT_PROGRAM": program, "CONFBOT_DB": str(tmp_path / "c.db")}
    return Settings.from_env(env, dotenv_path=tmp_path / "none")


# -- CONFBOT_PROGRAM as a list ----------------------------------------------------------


def test_one_program_keeps_its_database_at_confbot_db(tmp_path: Path):
    only = settings(tmp_path, str(FRAB))
    assert [s.db_path for s in only.sources] == [tmp_path / "c.db"]


def test_several_programs_each_get_their_own_database_named_after_the_source(tmp_path: Path):
    listed = settings(tmp_path, f"{FRAB}, https://pretalx.example/c/schedule.json")
    first, second = listed.sources
    assert (first.program, first.url) == (FRAB, None)
    assert second.url == "https://pretalx.example/c/schedule.json"
    assert len({first.db_path, second.db_path, second.program}) == 3
    assert listed.program == first.program and listed.db_path == first.db_path
    reordered = settings(tmp_path, f"https://pretalx.example/c/schedule.json,{FRAB}")
    assert {s.db_path for s in reordered.sources} == {first.db_path, second.db_path}


def test_the_same_program_listed_twice_is_refused(tmp_path: Path):
    with pytest.raises(SettingsError, match="names the same program twice"):
        settings(tmp_path, f"{FRAB},{FRAB}")


async def test_a_missing_program_in_the_list_is_named(tmp_path: Path):
    listed = settings(tmp_path, f"{FRAB},{tmp_path / 'nope.json'}")
    with pytest.raises(SettingsError, match=r"nope\.json does not exist.*separate several"):
        await open_program(listed.for_source(listed.sources[1]))


def test_a_source_servers_add_is_kept_beside_the_state_database(tmp_path: Path):
    view = settings(tmp_path, str(FRAB)).added_source("https://pretalx.example/x/schedule.json")
    assert view.program_url == "https://pretalx.example/x/schedule.json"
    assert view.db_path.parent == tmp_path / "c-state-sources"
    assert view.program.parent == view.db_path.parent


def test_settings_changed_in_code_keep_their_first_source_in_step(tmp_path: Path):
    import dataclasses

    listed = settings(tmp_path, f"{BUNDLED_PROGRAM},{FRAB}")
    changed = dataclasses.replace(listed, program=ICS)
    assert changed.sources[0].program == ICS and changed.sources[1].program == FRAB


# -- which conference a question is about ----------------------------------------------


class _Service:
    """Just enough of a ProgramService for the registry: its conference."""

    def __init__(self, key: str, name: str) -> None:
        day = date(2024, 7, 10)
        self.conference = Conference(key, name, name, "America/Los_Angeles", None, None, day, day)


@dataclass(eq=False)
class _Served:
    """Just enough of a Served for the registry: its key, conference and who added it."""

    key: str
    holder: ProgramHolder
    added: AddedSource | None

    @property
    def conference(self) -> Conference:
        return self.holder.service.conference


def served(key: str, name: str, added_by: int | None = None) -> Served:
    holder = ProgramHolder(_Service(key, name), pacific("2024-07-10T10:50"))  # type: ignore[arg-type]
    added = AddedSource(key, f"https://{key}.example/schedule.json", added_by) if added_by else None
    return _Served(key, holder, added)  # type: ignore[return-value]


SERVER, OTHER_SERVER, PERSON = 10, 20, 7


@pytest.fixture
async def conferences(tmp_path: Path):
    state = await StateStore.open(tmp_path / "state.db")
    registry = Conferences(state)
    for item in (served("osdi24", "OSDI '24"), served("fixcon", "Fixture Congress"),
                 served("ours", "Our Meetup", added_by=SERVER)):  # fmt: skip
        registry.add(item)
    yield registry
    await state.close()


async def test_a_server_that_chose_nothing_offers_the_operators_conferences_the_first_first(
    conferences: Conferences,
):
    assert [s.key for s in conferences.offered(SERVER)] == ["osdi24", "fixcon"]
    assert conferences.pick(SERVER, PERSON).key == "osdi24"


async def test_the_option_wins_then_the_persons_pick_then_the_servers_default(
    conferences: Conferences,
):
    await conferences.offer(SERVER, ["osdi24", "fixcon"], "fixcon", 0)
    assert conferences.pick(SERVER, PERSON).key == "fixcon"
    await conferences.use(PERSON, "osdi24")
    assert conferences.pick(SERVER, PERSON).key == "osdi24"
    assert conferences.pick(SERVER, PERSON, "Fixture Congress").key == "fixcon"


async def test_a_persons_pick_that_a_server_does_not_offer_gives_way_to_its_default(
    conferences: Conferences,
):
    await conferences.offer(SERVER, ["osdi24", "ours"], "osdi24", 0)
    await conferences.use(PERSON, "ours")
    assert conferences.pick(None, PERSON).key == "ours"  # their DMs
    assert conferences.pick(OTHER_SERVER, PERSON).key == "osdi24"


async def test_a_server_added_conference_is_offered_only_where_it_was_added(
    conferences: Conferences,
):
    await conferences.offer(SERVER, ["osdi24", "ours"], "osdi24", 0)
    assert conferences.pick(SERVER, PERSON, "ours").key == "ours"
    with pytest.raises(UnknownConference, match=r"No conference “ours” here.*fixcon"):
        conferences.pick(OTHER_SERVER, PERSON, "ours")
    with pytest.raises(UnknownConference):
        conferences.pick(None, PERSON, "ours")


async def test_an_added_source_gets_its_programs_key_while_no_conference_has_it(
    conferences: Conferences,
):
    assert conferences.free_key("newcon", "https://pretalx.example.org/newcon/") == "newcon"


async def test_an_added_source_whose_key_is_taken_gets_one_named_after_its_host(
    conferences: Conferences,
):
    url = "https://Pretalx.Example.org/fixcon/schedule.json"
    assert conferences.free_key("fixcon", url) == "fixcon-pretalx-example-org"
    conferences.add(served("fixcon-pretalx-example-org", "Fixture Congress", added_by=SERVER))
    assert conferences.free_key("fixcon", url) == "fixcon-pretalx-example-org-2"


def test_who_decides_on_a_new_version():
    ours, theirs = served("osdi24", "OSDI '24"), served("ours", "Our Meetup", added_by=SERVER)
    named = frozenset({OTHER_SERVER})
    assert decides(ours, SERVER, True, operator=True, operator_servers=frozenset())
    assert not decides(ours, SERVER, True, operator=False, operator_servers=named)
    assert decides(ours, OTHER_SERVER, True, operator=False, operator_servers=named)
    assert not decides(ours, OTHER_SERVER, False, operator=False, operator_servers=named)
    assert decides(theirs, SERVER, True, operator=False, operator_servers=frozenset())
    assert not decides(theirs, OTHER_SERVER, True, operator=False, operator_servers=named)
    assert "server that added it" in refusal(theirs, ENGLISH)  # its sentence, now the cog's
    assert "bot's operator" in refusal(ours, ENGLISH)


async def test_choices_are_read_back_from_the_state_database(conferences: Conferences):
    await conferences.offer(SERVER, ["fixcon"], "fixcon", 0)
    await conferences.use(PERSON, "osdi24")
    again = Conferences(conferences.state)
    for item in conferences:
        again.add(item)
    await again.load_choices()
    assert [s.key for s in again.offered(SERVER)] == ["fixcon"]
    assert again.pick(SERVER, PERSON).key == "fixcon"  # osdi24 is not offered there
    assert again.pick(None, PERSON).key == "osdi24"


async def test_a_removed_conference_leaves_no_choice_pointing_at_it(conferences: Conferences):
    await conferences.offer(SERVER, ["osdi24", "ours"], "ours", 0)
    await conferences.use(PERSON, "ours")
    conferences.remove("ours")
    assert conferences.pick(SERVER, PERSON).key == "osdi24"
    assert conferences.pick(None, PERSON).key == "osdi24"


async def test_a_conference_removed_while_a_choice_of_it_is_written_is_not_offered(
    conferences: Conferences, monkeypatch: pytest.MonkeyPatch
):
    """A choice is written, then mirrored: a conference dropped meanwhile (no server
    offered it) was mirrored all the same, and every command in that server, or in that
    person's DMs, looked up a key no longer served (KeyError: the generic apology)."""
    state = conferences.state.conferences

    def removed_while_written(write):  # type: ignore[no-untyped-def]
        async def written(*args: object) -> None:
            await write(*args)
            if "ours" in [s.key for s in conferences]:
                conferences.remove("ours")

        return written

    monkeypatch.setattr(state, "offer", removed_while_written(state.offer))
    monkeypatch.setattr(state, "use", removed_while_written(state.use))
    await conferences.offer(SERVER, ["osdi24", "ours"], "ours", 0)
    assert [s.key for s in conferences.offered(SERVER)] == ["osdi24"]
    assert conferences.pick(SERVER, PERSON).key == "osdi24"
    conferences.add(served("ours", "Our Meetup", added_by=SERVER))
    await conferences.use(PERSON, "ours")
    assert [s.key for s in conferences.offered(None, PERSON)] == ["osdi24", "fixcon"]
    assert conferences.pick(None, PERSON).key == "osdi24"


# -- indexing after start -----------------------------------------------------------------


def test_a_service_indexed_later_answers_the_same_on_first_use():
    from bot.importer.registry import read_source
    from bot.service import ProgramService

    program = read_source(FRAB).program
    later = ProgramService(program, index_later=True)
    now = ProgramService(program)
    assert later._index is None  # nothing built until asked
    assert later.talk("opening") == now.talk("opening")
    assert later.index_now() is later.index  # built once


async def test_a_bot_with_several_conferences_indexes_them_all_after_start(tmp_path: Path):
    from bot.adapters.discord.client import ConfBot

    bot = ConfBot(settings(tmp_path, f"{BUNDLED_PROGRAM},{FRAB}"))
    await bot.setup_hook()
    try:
        await bot.indexes_built()
        assert all(served.service._index is not None for served in bot.conferences)
    finally:
        await bot.close()


def unindexed_holder() -> ProgramHolder:
    """The fixture program as a start loads it: indexes to be built on first use."""
    return ProgramHolder(ProgramService(read_source(FRAB).program, index_later=True),
                         pacific("2024-07-10T10:50"))  # fmt: skip


async def test_a_lookup_awaits_an_index_built_in_a_daemon_thread_while_the_loop_serves(
    held_indexing: HeldIndexing,
):
    holder = unindexed_holder()
    lookups = [asyncio.create_task(holder.indexed()) for _ in range(3)]
    await held_indexing.under_way()  # the event loop turns while the build is held
    assert not any(lookup.done() for lookup in lookups)
    held_indexing.release.set()
    services = await asyncio.gather(*lookups)
    assert all(s is holder.service and s.indexed for s in services)
    assert services[0].talk("opening").talk.title == "Opening"  # type: ignore[union-attr]
    (thread,) = held_indexing.threads  # one build, shared by every lookup
    assert thread is not threading.main_thread() and thread.daemon


async def test_a_lookup_that_may_not_wait_longer_is_told_the_index_is_being_built(
    held_indexing: HeldIndexing,
):
    holder = unindexed_holder()
    building = asyncio.create_task(holder.indexed())
    await held_indexing.under_way()
    with pytest.raises(StillIndexing) as still:
        await holder.indexed(wait=0)
    assert still.value.conference.key == "fixcon"
    held_indexing.release.set()
    assert (await building).indexed  # the build went on for those who wait
    assert (await holder.indexed(wait=0)).indexed  # and then nobody waits
    assert len(held_indexing.threads) == 1


async def test_a_lookup_cancelled_while_waiting_leaves_the_build_to_the_others(
    held_indexing: HeldIndexing,
):
    holder = unindexed_holder()
    impatient = asyncio.create_task(holder.indexed())
    await held_indexing.under_way()
    patient = asyncio.create_task(holder.indexed())
    impatient.cancel()
    held_indexing.release.set()
    assert (await patient).indexed and impatient.cancelled()
    assert len(held_indexing.threads) == 1


async def test_a_lookup_after_a_failed_build_builds_again(monkeypatch: pytest.MonkeyPatch):
    builds: list[str] = []

    def fails_once(program: Program) -> ProgramIndex:
        builds.append(program.conference.key)
        if len(builds) == 1:
            raise MemoryError("the first build ran out of memory")
        return ProgramIndex(program)

    monkeypatch.setattr(program_service, "ProgramIndex", fails_once)
    holder = unindexed_holder()
    with pytest.raises(MemoryError):
        await holder.indexed()
    assert (await holder.indexed()).indexed and len(builds) == 2


# -- the state database under concurrent writes -------------------------------------------


async def test_writes_to_the_state_from_many_conferences_at_once_are_each_whole(tmp_path: Path):
    # One connection serves every conference's scheduler and command: a write of several
    # statements must not interleave with another, nor be committed half-way by it.
    import asyncio

    state = await StateStore.open(tmp_path / "state.db")
    try:
        await asyncio.gather(*(state.conferences.offer(SERVER, ["osdi24", "fixcon"], "fixcon", n)
                               for n in range(5)))  # fmt: skip
        rows = await state.conferences.server_conferences()
        assert sorted((r.conference, r.is_default) for r in rows) == [
            ("fixcon", True), ("osdi24", False)]  # fmt: skip
    finally:
        await state.close()


async def test_a_write_that_fails_half_way_leaves_nothing_for_the_next_to_commit(tmp_path: Path):
    import asyncio
    import sqlite3

    state = await StateStore.open(tmp_path / "state.db")
    try:
        await state.conferences.offer(SERVER, ["osdi24"], "osdi24", 0)
        with pytest.raises(sqlite3.IntegrityError):  # the same conference twice: refused
            await state.conferences.offer(SERVER, ["fixcon", "fixcon"], "fixcon", 1)
        await asyncio.gather(state.conferences.use(PERSON, "fixcon"))
        assert [r.conference for r in await state.conferences.server_conferences()] == ["osdi24"]
    finally:
        await state.close()


async def test_announcements_set_before_several_conferences_are_kept(tmp_path: Path):
    from tests.local_servers import state_at_version

    path = tmp_path / "state.db"
    state_at_version(path, 8, "INSERT INTO announcements (guild_id, conference, channel_id,"
                     " minutes_before, per_talk, enabled, updated_ts)"
                     " VALUES (10, 'osdi24', 77, 15, 1, 1, 0)")  # fmt: skip
    state = await StateStore.open(path)
    try:
        (kept,) = await state.announcements.find(SERVER)
        assert (kept.conference, kept.channel_id, kept.minutes_before) == ("osdi24", 77, 15)
        await state.announcements.save(SERVER, "fixcon", 78, 5, False, 1)
        assert len(await state.announcements.find(SERVER)) == 2
    finally:
        await state.close()


def test_a_long_list_of_conferences_is_paged_ten_at_a_time():
    from bot.render.program_cards import conference_list_cards

    lines = [f"• Conference {n}" for n in range(25)]
    pages = conference_list_cards(lines, "`/conference use` picks one.")
    assert [p.title for p in pages] == [f"Conferences here ({n}/3)" for n in (1, 2, 3)]
    assert "Conference 24" in pages[2].description
    assert all(p.description.endswith("`/conference use` picks one.") for p in pages)
