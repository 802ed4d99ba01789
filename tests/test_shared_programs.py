"""Tests that read the real programs in ../shared skip without them, and fail under CI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT, needs_shared

ABSENT = ROOT / "no-such-dir" / "fosdem-2025.schedule.xml"


def test_an_absent_file_skips_the_test(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-dir"):
        needs_shared(ABSENT)


def test_an_absent_file_fails_under_ci(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI must run with \.\./shared"):
        needs_shared(ABSENT, module=True)


def test_present_files_let_the_test_run(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    needs_shared(ROOT / "README.md", ROOT / "data" / "osdi24")


def test_no_test_finds_the_shared_programs_but_through_needs_shared():
    """A module spelling its own path to ../shared would decide alone what happens when
    it is absent: a skip in CI is how real-program tests stopped running unnoticed."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path in (ROOT / "tests" / "conftest.py", Path(__file__).resolve()):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in ("shared", "real-programs"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
