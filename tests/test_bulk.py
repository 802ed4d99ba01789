"""Building a program while the bot serves: what keeps the event loop's turns short
(the numbers are in python -m benchmarks.sync; these pin the mechanisms)."""

from __future__ import annotations

import gc
import json
import os
import threading
from pathlib import Path
from xml.etree.ElementTree import fromstring

import pytest

from bot.bulk import cycle_collection_paused
from bot.importer import files
from bot.importer.files import json_document, release
from bot.importer.registry import read_source

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-programs"


def test_what_a_paused_block_built_is_out_of_the_collectors_sight() -> None:
    with cycle_collection_paused():
        built = [{"talk": n} for n in range(10)]
    assert gc.isenabled()
    assert not any(obj is built for obj in gc.get_objects())


def test_a_nested_pause_leaves_the_collector_to_the_outer_one() -> None:
    with cycle_collection_paused():
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_rests_until_the_last_of_two_threads_builds_is_done() -> None:
    # Two servers' adds read at once. The first read to finish turned the collector back
    # on while the second was still building, and the collector walked that build in
    # C calls that stalled the event loop 226 ms (python -m benchmarks.memory, 'beside').
    first_inside, second_inside, first_done = (threading.Event() for _ in range(3))
    seen = []

    def first() -> None:
        with cycle_collection_paused():
            first_inside.set()
            second_inside.wait()
        first_done.set()

    def second() -> None:
        with cycle_collection_paused():
            second_inside.set()
            first_done.wait()
            seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    first_inside.wait()
    threads[1].start()
    for thread in threads:
        thread.join()
    assert seen == [False]
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
    if not SHARED.is_dir():  # as tests/test_real_programs.py: skipped alone, never in CI
        if os.environ.get("CI"):
            raise RuntimeError(f"{SHARED} is missing: CI must run with ../shared beside the clone")
        pytest.skip(f"{SHARED} is absent (the shared real programs)")
    released = read_source(SHARED / name).program
    monkeypatch.setattr(files, "release", lambda nodes: None)
    kept = read_source(SHARED / name).program
    assert released == kept and released.talks
