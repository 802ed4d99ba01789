"""The benchmark's synthetic program goes through the real loader (kept small here)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.queries import person_queries, talk_queries, typo
from benchmarks.synth import write_program
from bot.importer.merge import read_program
from bot.service import ProgramService


def test_synthetic_program_loads_with_parallel_rooms(tmp_path: Path):
    talks = write_program(tmp_path / "synth", papers_count=240, days=2, rooms=4, seed=3)
    program = read_program(tmp_path / "synth").program
    assert len(program.talks) == len(talks) == 240
    assert sum(len(p.authors) for p in program.talks) == sum(len(p.authors) for p in talks)
    rooms = {s.slot.room for s in program.sessions}
    assert len(rooms) == 4
    starts = [s.slot.start for s in program.sessions]
    assert len(starts) > len(set(starts)), "parallel sessions share start times"
    assert any(not a.name.isascii() for p in program.talks for a in p.authors)


def test_the_same_seed_writes_the_same_program(tmp_path: Path):
    write_program(tmp_path / "a", papers_count=50, days=1, rooms=2, seed=5)
    write_program(tmp_path / "b", papers_count=50, days=1, rooms=2, seed=5)
    for name in ("program.txt", "schedule.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_labeled_queries_point_at_real_items(tmp_path: Path):
    write_program(tmp_path / "synth", papers_count=120, days=1, rooms=3, seed=9)
    service = ProgramService(read_program(tmp_path / "synth").program)
    for q in talk_queries(service.program, 40, seed=1):
        assert q.expected in service.talks
    for q in person_queries(list(service.people.values()), 40, seed=1):
        assert q.expected in service.people


def test_typo_is_one_edit_that_keeps_the_first_letter():
    import random

    from rapidfuzz.distance import Levenshtein

    rng = random.Random(0)
    for word in ("scheduling", "memory", "llumnix"):
        results = [typo(rng, word) for _ in range(50)]
        assert all(r[0] == word[0] for r in results)
        # One drop, double or replace is distance 1; a swap of two letters is distance 2.
        assert all(Levenshtein.distance(word, r) <= 2 for r in results)
        # Replacing a letter by itself, or swapping equal letters, can leave it unchanged,
        # but rarely: most calls must really make a typo.
        assert sum(r != word for r in results) >= 40


def test_the_generated_pretalx_program_loads_through_the_real_reader(tmp_path: Path):
    from benchmarks.formats import write_pretalx
    from bot.importer.registry import read_source

    path = tmp_path / "schedule.json"
    write_pretalx(path, 60)
    loaded = read_source(path)
    assert len(loaded.program.talks) == 60
    assert loaded.report.fmt == "frab/pretalx schedule.json"
    assert loaded.program.conference.timezone == "Europe/Berlin"


async def test_the_delivery_benchmark_delivers_what_it_drains(tmp_path: Path):
    # It once set its clock hours before the reminders were due and measured nothing.
    from benchmarks.deliveries import drain
    from bot.app import load_service
    from bot.settings import Settings
    from tests.e2e.conftest import restored_discord_urls

    loaded = await load_service(Settings(db_path=tmp_path / "c.db"))
    with restored_discord_urls():
        line = await drain(5, 0.0, loaded.service, tmp_path)
    assert "5 of 5 delivered" in line


def test_each_shape_the_memory_benchmark_accepts_is_read_by_the_reader_and_plainly(
    tmp_path: Path,
):
    """Every accepted shape, written small, is a program the reader reads (at this scale
    even those over a limit fit) and a file its plain parse reads: in this process, since
    what is checked here is the files, not their cost."""
    from benchmarks.memory import PLAIN, SHAPES
    from bot.importer.registry import read_source

    for n, shape in enumerate(s for s in SHAPES if s.accepted):
        (tmp_path / str(n)).mkdir()
        path = shape.write(tmp_path / str(n), 0.001)
        assert read_source(path, "Europe/Berlin").program.talks, shape  # not refused
        PLAIN[shape.plain](path)


def test_the_memory_benchmark_reads_a_shape_in_a_fresh_process(tmp_path: Path):
    """The harness itself (a fresh process for the baseline, the reader, the plain parse
    and the stalls, then the table), on the smallest shape: every shape of it costs four
    processes, and the whole table is the benchmark's to run (python -m benchmarks.memory)."""
    from benchmarks.memory import SHAPES, measure, table

    (smallest,) = [s for s in SHAPES if s.what == "most events" and s.reader == "iCalendar"]
    baseline, found = measure((smallest,), 0.001, tmp_path)
    assert [m.shape for m in found] == [smallest]
    assert all(m.outcome.endswith("events") for m in found), [m.outcome for m in found]
    assert baseline > 0 and all(m.peak_kb >= baseline // 2 and m.size > 0 for m in found)
    assert all(m.plain_kb > 0 for m in found)
    assert len(table(baseline, found).splitlines()) == 1 + 2
