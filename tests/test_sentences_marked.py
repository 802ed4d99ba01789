"""Every refusal a service or an adapter raises is a sentence of the catalogs: a template
marked with N_ (or a constant or function holding one), never a string literal, an
f-string or a sentence glued from pieces, which reaches a German or French reader in
English (issue 26: 'OSDI '24 has no tracks.', 'names no speakers for its talks')."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

# The exceptions whose first argument is the sentence a reader is told.
SENTENCES = frozenset({"QueryError", "Worded", "FilterError", "LanguageRefused"})


def _unmarked(source: str, where: str) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name not in SENTENCES:
            continue
        first = node.args[0]
        marked = isinstance(first, ast.Call) and getattr(first.func, "id", None) == "N_"
        held = isinstance(first, ast.Name | ast.Attribute | ast.Subscript | ast.Call)
        if not (marked or held):
            found.append((where, ast.unparse(first)[:80]))
    return found


def test_every_refusal_is_a_marked_sentence():
    unmarked = [hit for path in sorted((ROOT / "bot").rglob("*.py"))
                for hit in _unmarked(path.read_text(encoding="utf-8"),
                                     str(path.relative_to(ROOT)))]  # fmt: skip
    assert unmarked == []


def test_the_check_finds_an_unmarked_sentence():
    source = ('raise QueryError("{conference} has no tracks.")\n'
              'raise QueryError(f"No {what} here.")\n'
              'raise QueryError("No " + what + " here.")\n'
              'raise QueryError(N_("{conference} has no tracks."))\n'
              "raise QueryError(EMPTY_ROOM, room=room)\n")  # fmt: skip
    assert [text for _, text in _unmarked(source, "probe")] == [
        "'{conference} has no tracks.'",
        "f'No {what} here.'",
        "'No ' + what + ' here.'",
    ]
