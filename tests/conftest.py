"""Shared fixtures: the real OSDI '24 program as shipped in data/osdi24."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.importer.merge import read_program
from bot.model import Program
from bot.search import ProgramIndex
from bot.service import ProgramService, program_service
from tests.remembered import Remembered, migrated_state, remember
from tests.state_backends import (
    postgres_admin,
    postgres_backend,
    postgres_schemas,
    shared_state,
    state_backend,
)

# Fixtures: the state over both backends (tests/state_backends.py).
__all__ = [
    "postgres_admin",
    "postgres_backend",
    "postgres_schemas",
    "shared_state",
    "state_backend",
]

# A private PostgreSQL server a test may stop and restart (tests/postgres_fixtures.py).
from tests.postgres_fixtures import (  # noqa: F401
    postgres_template,
    private_postgres,
    private_postgres_module,
)

# Temporary folders in memory where the machine has a tmpfs: the state database commits
# with synchronous=FULL (a 'sent' mark must survive a crash), and on a disk each test's
# fsyncs cost more than its work (the suite ran 22 s faster on tmpfs, 143 s -> 121 s on
# a 2-core machine). The behaviour tested is the same; only the disk's wait is gone.
# Made once by the controller (xdist hands each worker a folder inside it) and removed
# at its end; --basetemp given on the command line wins.
_MEMORY = Path("/dev/shm")
_MADE = pytest.StashKey[str]()  # the folder this run made there, to remove at its end


_BYTECODE = pytest.StashKey[str]()  # PYTHONDONTWRITEBYTECODE as it was, to put back at the end


def _bytecode_kept_apart(config: pytest.Config) -> None:
    """Compiled modules cached in a folder of the run's own, where the environment says
    not to write them beside the source (PYTHONDONTWRITEBYTECODE, as some machines and
    containers set). Without a cache every `python -m bot` a test starts compiled bot/
    from its source again, and every xdist worker the test modules (pytest's rewritten
    asserts are cached the same way): 8 s of a 100 s suite on a 2-core machine. The
    source tree stays untouched (PYTHONPYCACHEPREFIX puts the cache elsewhere); set
    here, in the controller, before the workers start, so they and every process a test
    starts inherit it; removed at the end."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    memory = _MEMORY.is_dir() and os.access(_MEMORY, os.W_OK)
    made = tempfile.mkdtemp(prefix="confbot-bytecode-", dir=_MEMORY if memory else None)
    config.stash[_BYTECODE] = os.environ.pop("PYTHONDONTWRITEBYTECODE")
    os.environ["PYTHONPYCACHEPREFIX"] = made
    sys.pycache_prefix = made
    sys.dont_write_bytecode = False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "long: seconds of real time (processes, servers, timeouts); run first"
    )
    if hasattr(config, "workerinput"):
        return
    _bytecode_kept_apart(config)
    if config.option.basetemp:
        return
    if _MEMORY.is_dir() and os.access(_MEMORY, os.W_OK):
        made = tempfile.mkdtemp(prefix="confbot-tests-", dir=_MEMORY)
        config.option.basetemp = made
        config.stash[_MADE] = made


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` is one worker more than the cores: about a quarter of the suite's time is
    spent waiting on processes, servers and timeouts (the tests marked `long`), and a third
    worker runs short tests meanwhile. On this 2-core machine, quiet: 75-78 s with three
    workers, 79-97 s with two (five runs)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1  # sched_getaffinity: Linux's cores for this process; not on macOS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `long` first, each group in its order: xdist hands the first
    items out to its workers in turn, so the tests that wait seconds on processes and
    servers run beside the many short ones, not last on one worker while the other
    idles (a 12 s cluster test left at the end was a tenth of the suite's wall time)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[object]:
    """The cycle collector at rest while the tests are collected. Collecting imports every
    test module, each rewritten for pytest's asserts: millions of objects made, and the
    collector walked all that was alive every so often (23 full passes: 3 s of the 5.5 s
    each xdist worker spent collecting, on a 2-core machine). What collecting makes is
    no garbage worth the walk (modules, functions, parameters): after one pass it is
    frozen out of the collector's sight (gc.freeze, as bot.bulk does after a program
    build), so a test's collections walk only what tests make. The tests run with the
    collector on, as the bot does."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        return (yield)
    finally:
        gc.collect()
        gc.freeze()
        if was_on:
            gc.enable()


def pytest_unconfigure(config: pytest.Config) -> None:
    made = config.stash.get(_MADE, None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
    kept = config.stash.get(_BYTECODE, None)
    if kept is not None:
        folder = os.environ.pop("PYTHONPYCACHEPREFIX", None)
        os.environ["PYTHONDONTWRITEBYTECODE"] = kept
        sys.dont_write_bytecode = True
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


ROOT = Path(__file__).resolve().parent.parent
PROGRAM_DIR = ROOT / "data" / "osdi24"
# Real exports from real conferences, beside the clone and never copied in (see
# ../shared/data/real-programs/README.md); read through needs_shared only.
REAL_PROGRAMS = ROOT.parent / "shared" / "data" / "real-programs"
PACIFIC = ZoneInfo("America/Los_Angeles")
COMMANDS = frozenset(
    (
        "next now paper author session track schedule search about"
        " remind agenda forget announce status publish-events stream qa ask questions changes"
        " program conference register tickets"
    ).split()
)


def needs_shared(*paths: Path, module: bool = False) -> None:
    """Skip the test (or, with `module`, the whole module) when a file from ../shared is
    absent, as in a worktree; under CI fail instead, since CI runs with ../shared beside
    the clone and a skip there would pass without ever reading the real programs."""
    missing = [path for path in paths if not path.exists()]
    if not missing:
        return
    names = str(missing[0]) + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
    if os.environ.get("CI"):
        pytest.fail(f"{names} missing: CI must run with ../shared beside the clone",
                    pytrace=False)  # fmt: skip
    pytest.skip(f"{names} absent (the shared real programs)", allow_module_level=module)


@pytest.fixture(scope="session")
def remembered(tmp_path_factory: pytest.TempPathFactory) -> Remembered:
    """What this process's bots made of the same files (tests/remembered.py)."""
    folder = tmp_path_factory.mktemp("remembered")
    return Remembered(state=migrated_state(folder), folder=folder)


@pytest.fixture(autouse=True)
def remember_what_files_make(monkeypatch: pytest.MonkeyPatch, remembered: Remembered) -> None:
    """A bot started in a test reads its program at start (bot.store.build), indexes it,
    zips its files for the state database, translates its commands for their sync, and
    on a first start migrates a new state database: made again from the same unchanged
    files, each is handed what was made the first time (tests/remembered.py). Every
    test's: the unit tests start bots and open states too."""
    remember(remembered, monkeypatch.setattr)


@pytest.fixture(scope="session")
def program() -> Program:
    return read_program(PROGRAM_DIR).program


@pytest.fixture(scope="session")
def service(program: Program) -> ProgramService:
    return ProgramService(program)


def pacific(text: str) -> datetime:
    """'2024-07-10T10:50' as conference local time."""
    return datetime.fromisoformat(text).replace(tzinfo=PACIFIC)


@pytest.fixture
def at() -> Callable[[str], datetime]:
    return pacific


@pytest.fixture
def program_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled program, for tests that break or change it."""
    target = tmp_path / "osdi24"
    target.mkdir()
    for name in ("program.txt", "schedule.json"):
        (target / name).write_bytes((PROGRAM_DIR / name).read_bytes())
    return target


@dataclass
class HeldIndexing:
    """Search index builds held back until the test releases them: what a build that
    takes long (a hostile program's) does, bounded by the test instead of a clock. Once
    released, a build is the real one."""

    release: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def build(self, program: Program) -> ProgramIndex:
        self.threads.append(threading.current_thread())
        self.started.set()
        # Only a safety net: a build held on the event loop (the defect) cannot be
        # released by the test, and must end the test as a failure, not hang it.
        self.release.wait(timeout=10)
        try:
            return ProgramIndex(program)
        finally:
            self.finished.set()

    def hold(self) -> None:
        """Hold the builds from now on, as if none had run (after a start let through)."""
        for event in (self.release, self.started, self.finished):
            event.clear()
        self.threads.clear()

    async def under_way(self) -> None:
        """Wait on the event loop until a build has started."""
        for _ in range(10_000):
            if self.started.is_set():
                return
            await asyncio.sleep(0.001)
        raise AssertionError("no index build started")


@pytest.fixture
def held_indexing(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldIndexing]:
    held = HeldIndexing()
    monkeypatch.setattr(program_service, "ProgramIndex", held.build)
    yield held
    held.release.set()  # let an abandoned build end
