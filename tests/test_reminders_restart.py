"""Restarts and kills in real processes on one state database: nothing is sent twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.store.state import StateStore
from tests.conftest import ROOT
from tests.state_backends import StateBackend

USER = 2002


def probe(
    state: Path | StateBackend, log: Path, at: str, crash: bool = False
) -> subprocess.CompletedProcess:
    where = state if isinstance(state, Path) else state.url or state.path
    args = [sys.executable, "-m", "tests.restart_probe", str(where), str(log), at]
    if crash:
        args.append("--crash-on-send")
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)


def sent_titles(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [json.loads(line)["title"].split(":")[0] for line in log.read_text().splitlines()]


async def remind(where: Path | StateBackend, *refs: str) -> None:
    opening = StateStore.open(where) if isinstance(where, Path) else where.open()
    async with await opening as state:
        for ref in refs:
            await state.reminders.add("osdi24", USER, None, ref, 10, 0)


async def test_a_restart_in_a_new_process_sends_nothing_twice_and_catches_up(tmp_path: Path):
    state, log = tmp_path / "state.db", tmp_path / "sent.jsonl"
    await remind(state, "p:xiang", "p:zhong-yuhong")  # due 10:55 and 11:15
    assert probe(state, log, "2024-07-10T10:55").returncode == 0
    assert sent_titles(log) == ["⏰ NOMAD"]
    assert probe(state, log, "2024-07-10T10:56").returncode == 0  # a restart: nothing new
    assert sent_titles(log) == ["⏰ NOMAD"]
    # Down from 10:56 to 11:28: the 11:15 reminder is sent late, the talk having begun.
    result = probe(state, log, "2024-07-10T11:28")
    assert json.loads(result.stdout)["sent"] == 1
    assert sent_titles(log) == [
        "⏰ NOMAD",
        "⏰ Managing Memory Tiers with CXL in Virtualized Environments",
    ]


async def test_a_kill_between_sending_and_sent_does_not_duplicate(
    state_backend: StateBackend, tmp_path: Path
):
    state, log = state_backend, tmp_path / "sent.jsonl"
    await remind(state, "p:luo")  # MSH at 11:45, due 11:35
    crashed = probe(state, log, "2024-07-10T11:35", crash=True)
    assert crashed.returncode == 9
    assert sent_titles(log) == ["⏰ Harvesting Memory-bound CPU Stall Cycles in Software with MSH"]
    restarted = probe(state, log, "2024-07-10T11:36")
    assert restarted.returncode == 0, restarted.stderr
    assert json.loads(restarted.stdout) == {"lost": ["p:luo"], "sent": 0}
    assert "interrupted between sending and sent: possibly lost, not resent" in restarted.stderr
    assert len(sent_titles(log)) == 1
    again = probe(state, log, "2024-07-10T11:40")
    assert json.loads(again.stdout) == {"lost": [], "sent": 0}
    assert len(sent_titles(log)) == 1
