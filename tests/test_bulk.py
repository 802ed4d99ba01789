"""Building a program while the bot serves: what keeps the event loop's turns short
(the numbers are in python -m benchmarks.sync; these pin the mechanisms)."""

from __future__ import annotations

import gc
import json
import sys
import threading
from pathlib import Path
from xml.etree.ElementTree import fromstring

import pytest

from bot import bulk
from bot.bulk import bulk_build
from bot.importer import files
from bot.importer.files import json_document, release
from bot.importer.registry import read_source
from tests.conftest import REAL_PROGRAMS, needs_shared

SHARED = REAL_PROGRAMS


def test_what_a_paused_block_built_is_out_of_the_collectors_sight() -> None:
    with bulk_build():
        built = [{"talk": n} for n in range(10)]
    assert gc.isenabled()
    assert not any(obj is built for obj in gc.get_objects())


def test_a_nested_pause_leaves_the_collector_to_the_outer_one() -> None:
    with bulk_build():
        with bulk_build():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_bulk_builds_take_turns_and_the_collector_rests_until_the_last_is_done() -> None:
    # Two servers' adds read at once. With both computing, the event loop waited for the
    # GIL behind two threads (a 304 ms stall); and the first to finish turned the
    # collector back on while the second was still building (226 ms collections).
    inside, leave = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with bulk_build():
            inside.set()
            leave.wait(10)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(10)
    assert not bulk._PAUSES.turn.acquire(blocking=False)  # another build waits its turn
    leave.set()
    thread.join()
    assert bulk._PAUSES.turn.acquire(blocking=False)  # and takes it once the first is done
    bulk._PAUSES.turn.release()
    assert seen == [False] and gc.isenabled()


def test_a_build_inside_a_build_in_one_thread_goes_on() -> None:
    with bulk_build(), bulk_build():  # a build that reads: the same turn
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_json_document_is_emptied_after_its_block(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"days": [{"rooms": {"A": [{"title": "T"}]}}]}))
    with json_document(path) as data:
        event = data["days"][0]["rooms"]["A"][0]
        assert event == {"title": "T"}
    assert data == {} and event == {}


def test_release_empties_lists_and_xml_elements() -> None:
    nested: list[object] = [[1, 2], {"a": [3]}]
    inner = nested[0]
    release([nested, inner])
    assert nested == [] and inner == []
    root = fromstring("<schedule><day><event/></day></schedule>")
    day = root[0]
    release(list(root.iter()))
    assert len(root) == 0 and len(day) == 0


@pytest.mark.parametrize("name", ["ccc-36c3.frab.schedule.json", "fosdem-2025.schedule.xml"])
def test_a_program_is_whole_after_its_document_is_released(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_shared(SHARED / name)
    released = read_source(SHARED / name).program
    monkeypatch.setattr(files, "release", lambda nodes: None)
    kept = read_source(SHARED / name).program
    assert released == kept and released.talks


def test_the_loop_is_favoured_with_a_short_switch_and_freed_memory_kept() -> None:
    calls: list[tuple[int, int]] = []

    class Libc:
        def mallopt(self, parameter: int, value: int) -> int:
            calls.append((parameter, value))
            return 1

    before = sys.getswitchinterval()
    try:
        bulk.favour_the_loop(lambda name: Libc())  # type: ignore[arg-type,return-value]
        assert sys.getswitchinterval() == pytest.approx(bulk.LOOP_TURN)
    finally:
        sys.setswitchinterval(before)
    assert calls == [(bulk.M_TRIM_THRESHOLD, bulk.KEEP_FREED)]


def test_without_glibcs_mallopt_the_loop_is_still_favoured() -> None:
    def no_libc(name: str | None) -> object:
        raise OSError("no C library here")

    before = sys.getswitchinterval()
    try:
        bulk.favour_the_loop(no_libc)  # type: ignore[arg-type]
        assert sys.getswitchinterval() == pytest.approx(bulk.LOOP_TURN)
    finally:
        sys.setswitchinterval(before)


def test_pausing_the_collector_never_waits_for_another_threads_build() -> None:
    """A program's rows are written on the event loop with the collector paused: had that
    waited for a worker's build to end, the whole bot would have stood still with it."""
    inside, leave = threading.Event(), threading.Event()

    def build() -> None:
        with bulk_build():
            inside.set()
            leave.wait(10)

    def pause() -> None:
        with bulk.collector_paused():
            assert not gc.isenabled()

    worker, pauser = threading.Thread(target=build), threading.Thread(target=pause)
    worker.start()
    inside.wait(10)
    pauser.start()
    pauser.join(5)  # returns at once; only a regression would use the 5 s
    waited = pauser.is_alive()
    leave.set()
    worker.join()
    pauser.join()
    assert not waited and gc.isenabled()
