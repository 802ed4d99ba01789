"""Search against benchmarks/handwritten.txt: queries written by reading OSDI '24 and real
programs, each labelled with the kind of mistake it makes. The targets are the issue's:
top-1 at least 0.95 overall, and no class of mistake worse than the best plain scan."""

from __future__ import annotations

import pytest

from benchmarks.handwritten import (
    METHODS,
    PROGRAMS,
    SCORERS,
    Kind,
    Mistake,
    Query,
    answer_names,
    available,
    read_queries,
    score,
    service_for,
)
from tests.conftest import needs_shared

QUERIES = read_queries()
REAL = [name for name in PROGRAMS if name != "osdi"]

needs_shared(*(PROGRAMS[name] for name in REAL), module=True)

ASKED = available(QUERIES)


def test_the_file_holds_at_least_150_queries_over_osdi_and_two_real_programs():
    assert len(QUERIES) >= 150
    programs = {q.program for q in QUERIES}
    assert "osdi" in programs and len(programs - {"osdi"}) >= 2


def test_every_class_of_mistake_and_every_kind_is_asked():
    assert {q.mistake for q in QUERIES} == set(Mistake)
    assert {q.kind for q in QUERIES} == set(Kind)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"line{q.line}")
def test_each_expected_answer_is_printed_in_its_program(query: Query):
    assert query.expected in answer_names(service_for(query.program), query.kind)


def test_top1_is_at_least_095_overall():
    assert score(ASKED, METHODS["confbot"]).share >= 0.95


def test_autocomplete_top1_is_at_least_095_overall():
    assert score(ASKED, METHODS["autocomplete"]).share >= 0.95


@pytest.mark.parametrize("mistake", list(Mistake))
def test_no_class_is_below_the_best_plain_scan(mistake: Mistake):
    group = [q for q in ASKED if q.mistake is mistake]
    ours = score(group, METHODS["confbot"]).share
    best = max(score(group, METHODS[name]).share for name in SCORERS)
    assert ours >= best, f"{mistake}: confbot {ours:.2f}, best plain scan {best:.2f}"


def test_a_bad_line_is_named(tmp_path):
    bad = tmp_path / "queries.txt"
    bad.write_text("osdi | talk | typo | no arrow here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"queries.txt:1: expected"):
        read_queries(bad)
