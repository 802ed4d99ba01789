"""What any process of a cluster may change and every process serves: the people's and
servers' choices of conference, read again when another process says one changed, or at
the periodic check.

Two registries, each a process's, on one PostgreSQL state (two connections) with two
coordinators (CONFBOT_TEST_POSTGRES); or, for what the Clock decides, coordinators whose
notices are lost. Notices take real time, waited on with a bound; the clock is the
tests'."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.cluster import Slice
from bot.live.added import AddedSources
from bot.live.cluster import ClusterMember, ThisProcess, Timing
from bot.live.conferences import Conferences, Served
from bot.settings import Settings
from bot.store.conferences_store import AddedSource
from bot.store.coordination import ChosenBy, Notice, NoticeKind
from bot.store.pg_coordination import PostgresCoordinator
from bot.store.state import StateStore
from tests.state_backends import StateBackend, opened
from tests.test_cluster import BEFORE, InMemory
from tests.test_conferences import OTHER_SERVER, PERSON, SERVER, served

PROMPTLY = 10.0  # seconds a notice may take, at most, on a loaded machine


async def until(condition: Callable[[], bool], what: str) -> None:
    """A cheap condition, polled on the loop, within PROMPTLY seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PROMPTLY
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


# -- choices -------------------------------------------------------------------------------


@dataclasses.dataclass
class Registry:
    """One process's conferences and choices, in a cluster (listening, never ticking)."""

    conferences: Conferences
    member: ClusterMember
    coordinator: PostgresCoordinator | InMemory
    state: StateStore


@pytest.fixture
async def registries(
    postgres_backend: StateBackend,
) -> AsyncIterator[tuple[Registry, Registry, FixedClock]]:
    """Processes a and b, each with its registry of the same three conferences (the
    operator's osdi24 and fixcon, and `ours`, added by SERVER), on one PostgreSQL state."""
    assert postgres_backend.url is not None
    clock = FixedClock(BEFORE)
    made = []
    try:
        for name in ("a", "b"):
            state = await postgres_backend.open()
            coordinator = await PostgresCoordinator.open(postgres_backend.url, 0.05)
            made.append(await registry(name, state, coordinator, clock))
            await asyncio.wait_for(coordinator.listening.wait(), PROMPTLY)
        yield made[0], made[1], clock
    finally:
        for one in made:
            await close(one)


async def registry(
    name: str, state: StateStore, coordinator: PostgresCoordinator | InMemory, clock: FixedClock
) -> Registry:
    conferences = Conferences(state, coordinator)
    for item in (served("osdi24", "OSDI '24"), served("fixcon", "Fixture Congress"),
                 served("ours", "Our Meetup", added_by=SERVER)):  # fmt: skip
        conferences.add(item)
    await conferences.load_choices()
    # Its member ticks over no conference (these are stand-ins): only the choices follow.
    member = ClusterMember(Conferences(state), coordinator, state, clock, lambda: Slice(),
                           ThisProcess.at(f"{name}:1", clock.now()), Timing(3600, 60),
                           (conferences.choices,))  # fmt: skip
    conferences.choices.start()
    await coordinator.listen(member.heard)
    return Registry(conferences, member, coordinator, state)


async def close(one: Registry) -> None:
    await one.conferences.choices.stop()
    await one.coordinator.close()
    await one.state.close()


async def test_a_persons_pick_on_one_process_is_honoured_on_the_other(
    registries: tuple[Registry, Registry, FixedClock],
):
    a, b, _ = registries
    assert b.conferences.pick(None, PERSON).key == "osdi24"
    await a.conferences.use(PERSON, "fixcon")
    await until(lambda: b.conferences.pick(None, PERSON).key == "fixcon", "b to read the pick")
    assert [s.key for s in b.conferences.offered(None, PERSON)] == ["osdi24", "fixcon"]
    await b.conferences.use(PERSON, "osdi24")  # and back, from b
    await until(lambda: a.conferences.pick(None, PERSON).key == "osdi24", "a to read it")


async def test_what_a_server_offers_and_its_default_on_one_process_are_honoured_on_the_other(
    registries: tuple[Registry, Registry, FixedClock],
):
    a, b, _ = registries
    await a.conferences.offer(SERVER, ["osdi24", "ours"], "ours", 0)
    await until(lambda: b.conferences.default(SERVER).key == "ours", "b to read the default")
    assert [s.key for s in b.conferences.offered(SERVER)] == ["osdi24", "ours"]
    assert b.conferences.offering("ours") == [SERVER]
    assert b.conferences.pick(SERVER, PERSON).key == "ours"
    assert b.conferences.pick(OTHER_SERVER, PERSON).key == "osdi24"  # another server's
    await a.conferences.forget_server(SERVER)  # the server removed the bot
    await until(lambda: b.conferences.offering("ours") == [], "b to forget the server")
    assert b.conferences.default(SERVER).key == "osdi24"


async def test_a_choice_of_a_conference_not_served_here_yet_is_offered_once_it_is(
    registries: tuple[Registry, Registry, FixedClock],
):
    """b hears a server's choice of a source it has not opened yet (its notice comes
    later): the choice is kept as the state holds it, and offered once the source is."""
    a, b, _ = registries
    a.conferences.add(served("newcon", "New Con", added_by=SERVER))
    await a.conferences.offer(SERVER, ["osdi24", "newcon"], "newcon", 0)
    await until(lambda: b.conferences.choices.defaults.get(SERVER) == "newcon", "b to read it")
    assert b.conferences.default(SERVER).key == "osdi24"  # not served on b yet
    b.conferences.add(served("newcon", "New Con", added_by=SERVER))
    assert b.conferences.default(SERVER).key == "newcon"


async def test_a_read_raced_by_a_write_of_this_process_is_read_again(
    registries: tuple[Registry, Registry, FixedClock], monkeypatch: pytest.MonkeyPatch
):
    """b reads the person's pick again (told by a) while b itself writes a newer pick: the
    value read before b's write must not be mirrored over it."""
    a, b, _ = registries
    stored = b.state.conferences
    real = stored.person_conference
    reads = 0

    async def raced(user_id: int) -> str | None:
        nonlocal reads
        reads += 1
        found = await real(user_id)
        if reads == 1:  # b's own write lands between this read and its mirroring
            await b.conferences.use(PERSON, "osdi24")
        return found

    monkeypatch.setattr(stored, "person_conference", raced)
    await a.conferences.use(PERSON, "fixcon")  # read by b as "fixcon", then b writes osdi24
    await until(lambda: reads >= 2, "b's read again")
    assert b.conferences.choices.people[PERSON] == "osdi24"
    assert await b.state.conferences.person_conference(PERSON) == "osdi24"


@pytest.fixture
async def lost_notices(
    postgres_backend: StateBackend,
) -> AsyncIterator[tuple[Registry, Registry, FixedClock]]:
    """a and b on one PostgreSQL state, their notices lost (coordinators in memory)."""
    clock = FixedClock(BEFORE)
    locks: dict[str, InMemory] = {}
    made = []
    try:
        for name in ("a", "b"):
            made.append(await registry(name, await postgres_backend.open(), InMemory(locks),
                                       clock))  # fmt: skip
        yield made[0], made[1], clock
    finally:
        for one in made:
            await close(one)


async def test_a_lost_choice_notice_is_made_up_for_at_the_periodic_check(
    lost_notices: tuple[Registry, Registry, FixedClock],
):
    a, b, clock = lost_notices
    choices = b.conferences.choices
    await b.member.tick()  # the first tick checks
    await until(lambda: choices.loads == 2, "b's first check")  # its start's, then this
    await a.conferences.use(PERSON, "fixcon")
    await a.conferences.offer(SERVER, ["fixcon"], "fixcon", 0)
    assert a.coordinator.sent[-1] == Notice(NoticeKind.CHOICE, detail=(ChosenBy.SERVER,
                                                                       str(SERVER)))  # fmt: skip
    await b.member.tick()  # no check due: b knows nothing of it
    assert choices.loads == 2 and b.conferences.pick(None, PERSON).key == "osdi24"
    clock.at += timedelta(seconds=60)  # CONFBOT_FOLLOW_CHECK since the last check
    await b.member.tick()
    await until(lambda: choices.loads == 3, "b's periodic check")
    assert b.conferences.pick(None, PERSON).key == "fixcon"
    assert b.conferences.default(SERVER).key == "fixcon"


# -- the sources servers added --------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class _Source:
    """Just enough of a Served for AddedSources: its key, source and who added it."""

    key: str
    settings: Settings
    added: AddedSource | None
    stopped: bool = False

    async def stop(self) -> None:
        self.stopped = True


def source(tmp_path: Path, key: str, row: AddedSource | None = None) -> _Source:
    """A source served here under `key`: at https://<key>.example, added by SERVER, or as
    the state's `row` says."""
    row = row or AddedSource(key, f"https://{key}.example/schedule.json", SERVER)
    view = Settings.from_env({"CONFBOT_DB": str(tmp_path / "c.db")},
                             dotenv_path=tmp_path / "none").added_source(row.url)  # fmt: skip
    return _Source(key, view, row)


async def test_the_added_sources_served_are_compared_with_the_state_in_each_addresss_turn(
    state_backend: StateBackend, tmp_path: Path
):
    """What another process recorded is opened, what it dropped is closed, what it
    recorded under another key is served under that one; and a source an add here has
    opened and not recorded yet is left alone until the add is done."""
    async with opened(state_backend) as state:
        conferences = Conferences(state)
        wanted, gone, renamed, adding = (source(tmp_path, k) for k in
                                         ("wanted", "gone", "renamed", "adding"))  # fmt: skip
        for one in (gone, renamed, adding):
            conferences.add(one)  # type: ignore[arg-type]
        assert wanted.added is not None and renamed.added is not None
        assert adding.added is not None
        await state.conferences.add_source(
            AddedSource(wanted.key, wanted.added.url, OTHER_SERVER), 1
        )
        await state.conferences.add_source(AddedSource("elsewise", renamed.added.url, SERVER), 2)
        opening: list[AddedSource] = []

        async def open_added(row: AddedSource) -> Served:
            opening.append(row)
            opened_now = source(tmp_path, row.conference, row)
            conferences.add(opened_now)  # type: ignore[arg-type]
            return opened_now  # type: ignore[return-value]

        sources = AddedSources(conferences, open_added)
        served_at = lambda: {s.key: s.settings.program_url for s in conferences}  # noqa: E731
        async with sources.turns.turn(adding.added.url):  # an add here, underway
            comparing = asyncio.create_task(sources.compare())
            waiting = lambda: sources.turns._locks[adding.added.url][1] > 1  # noqa: E731
            await until(waiting, "the comparison to wait for the add's turn")
            assert not adding.stopped
            await state.conferences.add_source(adding.added, 3)  # the add records it
        await asyncio.wait_for(comparing, PROMPTLY)
        assert gone.stopped and not adding.stopped
        assert renamed.stopped  # served here under a key the table gives another
        opened_rows = [(r.conference, r.guild_id) for r in opening]
        assert opened_rows == [("elsewise", SERVER), ("wanted", OTHER_SERVER)]
        assert served_at() == {"adding": adding.added.url, "elsewise": renamed.added.url,
                               "wanted": wanted.added.url}  # fmt: skip
