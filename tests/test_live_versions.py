"""A served version kept as its zipped files, and read back as the same program."""

from __future__ import annotations

from pathlib import Path

from bot.importer.registry import read_source
from bot.live.versions import archive, unpack
from bot.settings import BUNDLED_PROGRAM
from tests.test_console import USAGE, run_cli

FRAB = Path(__file__).parent / "fixtures" / "programs" / "frab-v1.json"


def test_a_directory_program_reads_the_same_after_a_round_trip(tmp_path: Path):
    back = unpack(archive(BUNDLED_PROGRAM), tmp_path / "v1")
    assert read_source(back).program == read_source(BUNDLED_PROGRAM).program


def test_a_one_file_program_reads_the_same_after_a_round_trip(tmp_path: Path):
    back = unpack(archive(FRAB), tmp_path / "v1")
    assert back.is_file()
    assert read_source(back).program == read_source(FRAB).program


def test_diff_needs_two_versions(tmp_path: Path):
    result = run_cli("diff", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert "two versions are needed" in result.stderr
    listed = run_cli("versions", db=tmp_path / "c.db")
    assert listed.returncode == 0 and listed.stdout.startswith("No versions kept yet")


def test_diff_of_an_unknown_version_is_one_line(tmp_path: Path):
    result = run_cli("diff", "7", "9", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    (line,) = result.stderr.strip().splitlines()
    assert line == "confbot: no version 7: see versions."


def test_diff_of_a_version_that_is_not_a_number_is_one_line(tmp_path: Path):
    result = run_cli("diff", "latest", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert "invalid int value: 'latest'" in result.stderr and "Traceback" not in result.stderr
