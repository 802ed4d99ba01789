"""The cluster benchmarks (benchmarks/claims.py, benchmarks/cluster_deliveries.py) measure
what they say, kept small here: their checks catch what they are for, and a run delivers
every seeded reminder once through real worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.cluster_rig import (
    Postgres,
    StateAt,
    bundled_service,
    busiest_second,
    check_exactly_once,
)
from tests.state_backends import postgres_server


def test_the_exactly_once_check_catches_a_delivery_sent_twice_never_or_unplanned():
    check_exactly_once([3, 1, 2], [1, 2, 3], "fine")
    with pytest.raises(AssertionError, match="1 sent more than once"):
        check_exactly_once([1, 2, 2, 3], [1, 2, 3], "twice")
    with pytest.raises(AssertionError, match="1 never sent"):
        check_exactly_once([1, 3], [1, 2, 3], "missing")
    with pytest.raises(AssertionError, match="1 sent that were not planned"):
        check_exactly_once([1, 2, 3, 9], [1, 2, 3], "stray")


def test_the_busiest_second_counts_any_window_of_one_second_open_at_its_end():
    assert busiest_second([]) == 0
    # 40 a second, evenly spaced: a second holds 40, not the 41st at its very end.
    assert busiest_second([i / 40 for i in range(200)]) == 40
    assert busiest_second([0.0, 0.3, 0.99, 1.0, 5.0]) == 3
    assert busiest_second([0.0, 0.5, 0.9, 0.95, 1.2, 1.3]) == 5  # the window 0.5 to 1.5


@pytest.mark.parametrize("path", ["plain", "ledger", "scheduler"])
def test_the_claims_benchmark_settles_each_delivery_once_on_sqlite(tmp_path: Path, path: str):
    from benchmarks.claims import one_run

    measured = one_run(StateAt(str(tmp_path / "state.db")), bundled_service(), path, 1, 30, 8,
                       None)  # fmt: skip
    assert measured.settled == 30 and measured.shares == [30]
    assert measured.seconds > 0
    assert len(measured.latency_ms) == (0 if path == "scheduler" else 30)


def test_the_claims_benchmark_shares_the_ledger_between_two_processes(tmp_path: Path):
    from benchmarks.claims import one_run

    with Postgres(postgres_server()) as pg, pg.fresh(tmp_path) as where:
        measured = one_run(where, bundled_service(), "ledger", 2, 40, 4, pg)
    assert measured.settled == 40 and sum(measured.shares) == 40 and len(measured.shares) == 2


def test_the_cluster_benchmark_drains_a_burst_with_two_processes_under_the_limit(tmp_path: Path):
    from benchmarks.cluster_deliveries import one_run

    with Postgres(postgres_server()) as pg:
        drained = one_run(pg, tmp_path, bundled_service(), 2, 40, 0.0, 20.0)
    assert sum(drained.split) == 40 and len(drained.split) == 2
    assert 0 < drained.busiest_requests <= 40
    assert drained.allowed == 2.0  # 80 requests at 40 a second
    assert drained.seconds >= drained.allowed * 0.9
