"""What /status shows, as a service (typed, kinds and states as StrEnums) and as
`python -m bot status` prints it for the operator, also beside a running bot."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.i18n import Language, bundled_messages
from bot.kinds import DeliveryKind, DeliveryState
from bot.render import status_cards
from bot.render.common import DELIVERY_WORDS, LOST_DETAIL, delivery_lines
from bot.service import ProgramService
from bot.service.status import COUNTED, DeliveryCount, ProgramFacts, StatusService
from bot.settings import BUNDLED_PROGRAM
from bot.store.ledger_store import Planned
from bot.store.state import StateStore
from tests.conftest import pacific
from tests.test_console import run_cli

NOW = int(pacific("2024-07-09T12:00").timestamp())
SLOT_DUE = pacific("2024-07-10T08:50")  # the first session's announcement
TALK_DUE = pacific("2024-07-10T11:10")
SERVER, OTHER, QUIET = 111, 999, 5


async def _set_up(state: StateStore) -> None:
    """A server with everything on, another whose announcements were turned off."""
    await state.versions.serve("osdi24", "fp", None, NOW, b"zip", [])
    await state.announcements.save(SERVER, "osdi24", 222, 10, True, NOW)
    await state.announcements.save_room(SERVER, "osdi24", "Grand Ballroom A", 333, NOW)
    await state.announcements.save_room(SERVER, "osdi24", "Grand Ballroom B", 334, NOW)
    await state.announcements.disable_room(SERVER, 334, "the channel was deleted", NOW)
    await state.reminders.add("osdi24", 1, SERVER, "p:xiang", 10, NOW)
    await state.reminders.add("osdi24", 2, SERVER, "p:xiang", 5, NOW)
    await state.reminders.add("osdi24", 3, OTHER, "p:xiang", 5, NOW)
    await state.streams.save(SERVER, "osdi24", "Grand Ballroom A", "https://example.org/a", NOW)
    await state.qa.save_forum(SERVER, "osdi24", 444, 5, NOW)
    await state.announcements.save(OTHER, "osdi24", 555, 15, False, NOW)
    await state.announcements.disable(OTHER, "turned off with /announce off", NOW)
    await state.ledger.sync_plan("osdi24", PLANNED, NOW)


PLANNED = [
    Planned(DeliveryKind.TALK, SERVER, "p:xiang", 222, int(TALK_DUE.timestamp())),
    Planned(DeliveryKind.SLOT, SERVER, "t:1", 222, int(SLOT_DUE.timestamp())),
    Planned(DeliveryKind.ROOM, SERVER, "p:xiang", 333, int(TALK_DUE.timestamp())),
    Planned(DeliveryKind.REMINDER, 1, "p:xiang", 1, NOW),  # a DM: not an announcement
]


async def test_the_status_of_a_server_is_typed(tmp_path: Path, service: ProgramService):
    async with await StateStore.open(tmp_path / "state.db") as state:
        await _set_up(state)
        statuses = StatusService(state)
        assert await statuses.servers("osdi24") == [SERVER, OTHER]
        facts = ProgramFacts.of(service.program, None)
        status = await statuses.server("osdi24", SERVER, facts)
        quiet = await statuses.server("osdi24", QUIET, facts)
    assert status.next_due == SLOT_DUE
    assert status.deliveries == {DeliveryState.PENDING: 3}
    assert all(type(state) is DeliveryState for state in status.deliveries)
    assert status.reminders_active == 2
    assert [(r.room, r.off_because) for r in status.room_channels] == [
        ("Grand Ballroom A", None), ("Grand Ballroom B", "the channel was deleted"),
    ]  # fmt: skip
    assert status.qa is not None and status.qa.forum_id == 444
    assert status.streams == (("Grand Ballroom A", "https://example.org/a"),)
    assert (quiet.announcements, quiet.next_due, quiet.deliveries) == (None, None, {})


def _sample(db: Path) -> Path:
    """The bundled program built into `db`, and a state beside it set up by _set_up."""
    assert run_cli("load", db=db).returncode == 0
    state_db = db.with_name(f"{db.stem}-state.db")

    async def fill() -> None:
        async with await StateStore.open(state_db) as state:
            await _set_up(state)

    asyncio.run(fill())
    return state_db


@pytest.fixture(scope="module")
def sample_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder _sample made once for the module: its `load` is a process of its own
    (a second of each test that reads the sample, made the same each time)."""
    folder = tmp_path_factory.mktemp("sample")
    _sample(folder / "c.db")
    return folder


@pytest.fixture
def sample(sample_made: Path, tmp_path: Path) -> Path:
    """The test's own copy of the sample (c.db, its state beside it), which it may
    write to: c.db's path."""
    for made in sample_made.iterdir():
        shutil.copy2(made, tmp_path / made.name)
    return tmp_path / "c.db"


EXPECTED_SERVER = """\
  Server 111
    Announcements: on in channel 222, 10 min before each session, and a line as each talk starts
    Next announcement: Wed Jul 10, 08:50 PDT ("""

EXPECTED_REST = """\
    Reminders set in this server: 2
    Announcement deliveries:
      Session announcements: 1 planned
      Lines as talks start: 1 planned
      Room channel lines: 1 planned
    Room channels:
      Grand Ballroom A -> channel 333
      Grand Ballroom B: off (the channel was deleted)
    Q&A threads: a thread per talk in forum 444
    Live streams:
      Grand Ballroom A: https://example.org/a
  Server 999
    Announcements: disabled: turned off with /announce off
    Next announcement: nothing scheduled
    Reminders set in this server: 1
    Announcement deliveries: none yet
"""


def _conferences(printed: str) -> str:
    """What `status` prints of the conferences, below its first block: which process does
    what, with a SQLite state one process (tests/test_cluster.py shows a cluster's)."""
    processes, conferences = printed.split("\n\n", 1)
    assert processes == status_cards.SOLE
    return conferences


def test_cli_status_prints_what_status_shows_for_every_server(sample: Path):
    result = run_cli("status", db=sample)
    assert result.returncode == 0, result.stderr
    heading, rest = _conferences(result.stdout).split("\n", 1)
    assert heading.startswith("OSDI '24 (osdi24): 53 papers in 11 sessions, kept Tue Jul 9,")
    assert rest.startswith(EXPECTED_SERVER)
    assert rest.endswith(EXPECTED_REST)


def test_cli_status_of_one_server_and_unknown_conference(sample: Path):
    one = run_cli("status", "--server", str(QUIET), "--conference", "osdi24", db=sample)
    assert one.returncode == 0, one.stderr
    assert _conferences(one.stdout).split("\n", 1)[1] == (
        "  Server 5\n    Announcements: off\n    Next announcement: nothing scheduled\n"
        "    Reminders set in this server: 0\n    Announcement deliveries: none yet\n"
    )
    unknown = run_cli("status", "--conference", "nope", db=sample)
    assert unknown.returncode == 2
    assert unknown.stderr == "confbot: --conference: no conference 'nope' (there are osdi24).\n"


async def test_cli_status_works_beside_a_running_bot_holding_the_state(sample: Path):
    state_db = sample.with_name("c-state.db")
    async with await StateStore.open(state_db) as running:  # holds the lock, as the bot does
        await running.reminders.add("osdi24", 4, SERVER, "p:xiang", 10, NOW)  # written just now
        result = await asyncio.to_thread(run_cli, "status", "--server", str(SERVER), db=sample)
        assert result.returncode == 0, result.stderr
        assert "Reminders set in this server: 3" in result.stdout
        await running.reminders.add("osdi24", 5, SERVER, "p:xiang", 10, NOW)  # still writable


def test_cli_status_before_the_program_is_built(tmp_path: Path):
    result = run_cli("status", db=tmp_path / "c.db")
    assert result.returncode == 0, result.stderr
    assert "its program database is not built yet (python -m bot load builds it)" in result.stdout


@pytest.mark.parametrize("args", [["--server", "x"], ["--bogus"]])
def test_cli_status_usage_errors_are_one_line(tmp_path: Path, args: list[str]):
    result = run_cli("status", *args, db=tmp_path / "c.db")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1


async def test_the_status_of_one_conference_counts_only_its_deliveries(
    tmp_path: Path, service: ProgramService
):
    # A server following two conferences saw both ledgers' counts under each.
    async with await StateStore.open(tmp_path / "state.db") as state:
        await _set_up(state)
        other = [Planned(DeliveryKind.SLOT, SERVER, "t:9", 222, int(SLOT_DUE.timestamp()))]
        await state.ledger.sync_plan("fosdem", other, NOW)
        facts = ProgramFacts.of(service.program, None)
        status = await StatusService(state).server("osdi24", SERVER, facts)
    assert status.deliveries == {DeliveryState.PENDING: 3}


async def test_status_says_in_words_what_each_kind_of_delivery_did_and_why(
    tmp_path: Path, service: ProgramService
):
    # /status showed the ledger's raw states, all kinds summed: "1692 pending, 12 sent".
    async with await StateStore.open(tmp_path / "state.db") as state:
        await _set_up(state)
        slots = [Planned(DeliveryKind.SLOT, SERVER, f"t:{n}", 222, NOW + n) for n in range(2, 1699)]
        await state.ledger.sync_plan("osdi24", PLANNED + slots, NOW)
        done = await state.ledger.deliveries(owner=SERVER, conference="osdi24")
        slot_ids = [d.id for d in done if d.kind is DeliveryKind.SLOT][:6]
        gone = "target gone: 404 Not Found (error code: 10003): Unknown Channel"
        outcomes = [(DeliveryState.SENT, None)] * 3 + [(DeliveryState.FAILED, gone)] * 2
        outcomes.append((DeliveryState.SKIPPED, "the session has ended"))
        for delivery_id, (outcome, why) in zip(slot_ids, outcomes, strict=True):
            await state.ledger.settle(delivery_id, DeliveryState.PENDING, outcome, NOW, why)
        facts = ProgramFacts.of(service.program, pacific("2024-07-09T12:00"),
                                "https://example.org/schedule.xml")  # fmt: skip
        status = await StatusService(state).server("osdi24", SERVER, facts)
    assert status.deliveries[DeliveryState.PENDING] == 1692 + 2  # the talk and room lines
    report = status_cards.status_report(status)
    assert report.delivery_lines == (
        "Session announcements: 1,692 planned, 3 sent, 1 skipped (the session has ended),"
        " 2 failed (target gone: 404 Not Found (error code: 10003): Unknown Channel)",
        "Lines as talks start: 1 planned",
        "Room channel lines: 1 planned",
    )
    card = status_cards.status_card(report, service.conference)
    fields = {f.name: f.value for f in card.fields}
    assert fields["Announcement deliveries"].startswith("Session announcements: 1,692 planned,")
    assert fields["Program source"] == "Follows `https://example.org/schedule.xml`"


def test_delivery_lines_name_each_reason_when_they_differ():
    counts = [
        DeliveryCount(DeliveryKind.THREAD, DeliveryState.FAILED, 4, "gave up after 5 attempts"),
        DeliveryCount(DeliveryKind.THREAD, DeliveryState.FAILED, 1, "target gone: x"),
        DeliveryCount(DeliveryKind.THREAD, DeliveryState.FAILED, 1, "recipient unreachable: y"),
        DeliveryCount(DeliveryKind.THREAD, DeliveryState.LOST, 1, "interrupted"),
    ]
    assert delivery_lines(counts) == [
        "Q&A threads: 6 failed (4 × gave up after 5 attempts; 1 × target gone: x; 1 ×"
        " recipient unreachable: y), 1 possibly lost (interrupted)"
    ]


def test_delivery_lines_count_the_reasons_past_those_named():
    # "1 other reason(s)" told nothing: a few reasons are each named; past that, the
    # commonest are, and the rest counted in words.
    whys = ["a", "b", "c", "d", "e", "f"]
    counts = [DeliveryCount(DeliveryKind.SLOT, DeliveryState.SKIPPED, 6 - n, why)
              for n, why in enumerate(whys)]  # fmt: skip
    assert delivery_lines(counts) == [
        "Session announcements: 21 skipped (6 × a; 5 × b; 4 × c; 6 for 3 other reasons)"
    ]


def test_cli_status_names_the_source_each_conference_follows(sample: Path):
    heading = _conferences(run_cli("status", db=sample).stdout).split("\n", 1)[0]
    assert heading.endswith("; follows " + str(BUNDLED_PROGRAM))


async def test_a_correction_in_a_room_channel_is_counted_in_the_status(
    tmp_path: Path, service: ProgramService
):
    # Corrections are posted in a server's room channels like the talks' lines; /status
    # counted every such kind but them.
    async with await StateStore.open(tmp_path / "state.db") as state:
        await _set_up(state)
        fix = Planned(DeliveryKind.CORRECTION, SERVER, "p:xiang", 333, NOW + 60, 7)
        await state.ledger.sync_plan("osdi24", [fix], NOW)  # the only one still planned
        status = await StatusService(state).server(
            "osdi24", SERVER, ProgramFacts.of(service.program, None)
        )
    assert status.deliveries[DeliveryState.PENDING] == 1


def test_every_kind_a_status_counts_is_said_in_words():
    assert set(COUNTED) <= set(DELIVERY_WORDS)


def test_delivery_lines_say_the_engines_reasons_in_the_readers_words():
    counts = [
        DeliveryCount(
            DeliveryKind.THREAD, DeliveryState.FAILED, 4, "gave up after 5 attempts: 503"
        ),
        DeliveryCount(DeliveryKind.THREAD, DeliveryState.FAILED, 1, "target gone: Unknown Channel"),
    ]
    german = bundled_messages().words(Language.DE)
    assert delivery_lines(counts, german) == [
        "Fragen-Threads: 5 fehlgeschlagen (4 × nach 5 Versuchen aufgegeben: 503; 1 × Ziel nicht"
        " mehr da: Unknown Channel)"
    ]


def test_delivery_lines_say_the_bots_own_reasons_whole_in_the_readers_words():
    counts = [
        DeliveryCount(DeliveryKind.SLOT, DeliveryState.SKIPPED, 1, "the thread is already closed"),
        DeliveryCount(DeliveryKind.SLOT, DeliveryState.LOST, 1, LOST_DETAIL),
    ]
    french = bundled_messages().words(Language.FR)
    (line,) = delivery_lines(counts, french)
    assert "(le fil est déjà fermé)" in line
    assert "(interrompu entre l'envoi et sa confirmation : peut-être perdu)" in line


async def test_the_ledgers_lost_detail_is_the_one_the_renderer_translates(
    tmp_path: Path, service: ProgramService
):
    # bot.store.ledger_store writes it in SQL; render.common marks the same words
    async with await StateStore.open(tmp_path / "state.db") as state:
        await _set_up(state)
        await state.ledger.sync_plan("osdi24", PLANNED, NOW)
        (first, *_) = await state.ledger.deliveries(owner=SERVER, conference="osdi24")
        await state.ledger.settle(first.id, DeliveryState.PENDING, DeliveryState.SENDING, NOW)
        await state.ledger.recover_interrupted("osdi24", NOW, alone=True)
        facts = ProgramFacts.of(service.program, pacific("2024-07-09T12:00"), None)
        status = await StatusService(state).server("osdi24", SERVER, facts)
    french = bundled_messages().words(Language.FR)
    lines = status_cards.status_report(status, w=french).delivery_lines
    assert any("peut-être perdu)" in line for line in lines), lines
