"""Every field of a JSON program export set to a value of the wrong type, empty, or huge:
the load succeeds or fails with one ProgramFileError, never another exception."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.importer.errors import ProgramFileError
from bot.importer.registry import read_source

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "programs"
WRONG = [5, -1, 1.5, True, None, "", "x", [], {}, ["x"], {"x": 1},
         "99999999999:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
         "1" * 400, 10**30]  # fmt: skip


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value in the document (lists: their first element only)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list) and node:
        yield (*prefix, 0)
        yield from paths(node[0], (*prefix, 0))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


@pytest.mark.parametrize("name", ["frab-v1.json", "frab-v2.json", "indico.json"])
def test_any_value_anywhere_loads_or_is_one_program_file_error(tmp_path: Path, name: str):
    document = json.loads((FIXTURES / name).read_text())
    found = list(paths(document))
    assert len(found) > 20
    target = tmp_path / name
    for path in found:
        for value in WRONG:
            target.write_text(json.dumps(replaced(document, path, value)))
            try:
                read_source(target, "Europe/Berlin")
            except ProgramFileError:
                pass
            except Exception as exc:  # would reach a person as a traceback
                pytest.fail(f"{name} {path} = {value!r}: {type(exc).__name__}: {exc}")
