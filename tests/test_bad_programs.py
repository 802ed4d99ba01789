"""A broken program directory gets one line naming the file (and line, or JSON path) and
exit 1 from `python -m bot load`: never a traceback, however it is broken."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import cli
from bot.importer.limits import MAX_BYTES


def _schedule(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(directory: Path) -> None:
        path = directory / "schedule.json"
        data = json.loads(path.read_text())
        edit(data)
        path.write_text(json.dumps(data))

    return apply


def _append(name: str, data: bytes) -> Callable[[Path], None]:
    def apply(directory: Path) -> None:
        with (directory / name).open("ab") as out:
            out.write(data)

    return apply


def _replace(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda directory: (directory / name).write_bytes(data)


def _set(*path_and_value) -> Callable[[dict], None]:
    *path, value = path_and_value

    def edit(data: dict) -> None:
        for step in path[:-1]:
            data = data[step]
        data[path[-1]] = value

    return edit


BROKEN = {
    "toc not utf-8": (_append("program.txt", b"\nWednesday, July 10 \xff\n"), "program.txt:",
                      "is not UTF-8 text (byte 0xff"),
    "toc binary": (_replace("program.txt", b"\x7fELF\x02\x01\x00\x00binary"), "program.txt:1",
                   "binary data"),
    "schedule not utf-8": (_append("schedule.json", b"\xfe"), "schedule.json:", "not UTF-8"),
    "events is a number": (_schedule(_set("events", 5)), "schedule.json", "'events'"),
    "chairs is a number": (_schedule(_set("sessions", 0, "chairs", 5)), "schedule.json",
                           "sessions[0]: 'chairs'"),
    "zone is a folder": (_schedule(_set("conference", "timezone", "America")), "schedule.json",
                         "unknown time zone 'America'"),
    "time overflows": (_schedule(_set("sessions", 0, "start", "0001-01-01T00:00:00+14:00")),
                       "schedule.json", "sessions[0].start: '0001-01-01T00:00:00+14:00' is out"),
    "json nested deep": (_replace("schedule.json", b"[" * 100_000 + b"]" * 100_000),
                         "schedule.json", "nested too deeply"),
    "too big": (_replace("program.txt", b" " * (MAX_BYTES + 1)), "program.txt",
                "a program file may be 50 MB at most"),
    "only blank lines": (_replace("program.txt", b"\n" * 5_000_000), "program.txt",
                         "no day headings"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_program_is_one_line_naming_the_file(
    case: str, program_copy: Path, tmp_path: Path, monkeypatch, capsys
):
    breaks, where, says = BROKEN[case]
    breaks(program_copy)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("CONFBOT_PROGRAM", str(program_copy))
    monkeypatch.setenv("CONFBOT_DB", str(tmp_path / "c.db"))
    code = cli.main(["load"])
    err = capsys.readouterr().err
    assert code == cli.DATA_ERROR, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"confbot: cannot load the program: {where}")
    assert says in line


WRONG_VALUES = [5, -1, 1.5, "x", "", None, True, [], {}, ["x"], "9999-99-99T99:99"]


def _paths(data: dict) -> list[tuple]:
    """Every field of the conference, the first session, its first paper, the first event."""
    found: list[tuple] = [("conference", k) for k in data["conference"]]
    found += [("sessions", 0, k) for k in data["sessions"][0]]
    found += [("sessions", 0, "papers", 0, k) for k in data["sessions"][0]["papers"][0]]
    found += [("events", 0, k) for k in data["events"][0]]
    return [*found, ("conference",), ("sessions",), ("events",)]


def test_any_field_of_the_wrong_type_is_a_program_file_error(program_copy: Path):
    from bot.importer.errors import ProgramFileError
    from bot.importer.merge import read_program

    original = (program_copy / "schedule.json").read_text()
    paths = _paths(json.loads(original))
    assert len(paths) >= 25  # the shape we mean to cover, not an empty loop
    for path in paths:
        for value in WRONG_VALUES:
            data = json.loads(original)
            _set(*path, value)(data)
            (program_copy / "schedule.json").write_text(json.dumps(data))
            try:
                read_program(program_copy)
            except ProgramFileError:
                pass
            except Exception as exc:  # anything else would reach a person as a traceback
                pytest.fail(f"{'.'.join(map(str, path))} = {value!r}: {type(exc).__name__}: {exc}")
