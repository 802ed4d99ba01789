"""Whatever bytes a program file holds, reading it ends in a program or in one
ProgramFileError: never another exception, which would reach a person as a traceback."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.importer.errors import ProgramFileError
from bot.importer.registry import read_source

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "programs"
NAMES = ["frab-v1.json", "frab-v2.json", "schedule.xml", "program.ics", "indico.json"]


def damage(data: bytes, cut: int, flips: list[tuple[int, int]], insert: bytes) -> bytes:
    """Truncate, overwrite a few bytes and splice something in: what a broken download,
    a bad editor or a hostile export does to a file."""
    damaged = bytearray(data[: max(1, cut % (len(data) + 1))])
    for position, value in flips:
        if damaged:
            damaged[position % len(damaged)] = value
    at = (cut * 7) % (len(damaged) + 1)
    return bytes(damaged[:at]) + insert + bytes(damaged[at:])


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0, max_value=10_000),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
    insert=st.sampled_from([b"", b"\x00", b"\xff\xfe", b"{", b"]", b"<", b"&x;", b'"', b"\r",
                            b"\\", b"99999999999999999999", b"9999-12-31T23:59:59-14:00",
                            b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"TZID=Nowhere/Zone:"]),
)  # fmt: skip
def test_damaged_files_load_or_fail_with_one_program_file_error(
    tmp_path: Path, name: str, cut: int, flips: list[tuple[int, int]], insert: bytes
):
    path = tmp_path / name
    path.write_bytes(damage((FIXTURES / name).read_bytes(), cut, flips, insert))
    with contextlib.suppress(ProgramFileError):  # any other exception fails the test
        read_source(path, "Europe/Berlin")
