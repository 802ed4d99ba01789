"""Every reader the registry lists is fed a file of each shape, whatever words it holds and
however it nests, at a size and at 8 times that size (benchmarks/reading.py writes them):
the larger files reach the limits of bot.importer.limits where reading them is quick (a
text almost as long as a line may be, nesting as deep as it may be) and each is read, or,
nested far past the limit, refused as nested too deeply.

That the cost grows linearly with the file (the larger under 24 times the smaller; a
quadratic step would be 64) is the benchmark's to measure: `python -m benchmarks.reading`
compares the two reads' times in one run, which no test asserts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from benchmarks.reading import FORMATS, REFUSED, Format, outcome, sizes
from bot.importer.registry import READERS, reader_for

WORDS = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12)

# A failing word is reported as found: shrinking it would read hundreds more files.
NO_SHRINKING = (Phase.explicit, Phase.reuse, Phase.generate)


def read_or_refused(form: Format, word: str, folder: Path) -> None:
    for shape, small, large in sizes(form):
        for n in (small, large):
            (place := folder / f"{shape}-{n}").mkdir()
            path = form.write(place, word, shape, n)
            assert reader_for(path) is form.reader, shape
            found = outcome(path)
            if shape in REFUSED:
                assert "nested too deeply" in found, (shape, n, found)
            else:
                assert found == "read", (shape, n, found)


@pytest.mark.parametrize("form", FORMATS, ids=[f.name for f in FORMATS])
@settings(max_examples=2, deadline=None, derandomize=True, phases=NO_SHRINKING,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.function_scoped_fixture])  # fmt: skip
@given(word=WORDS)
def test_every_shape_of_file_is_read_at_both_sizes_or_refused_nested_too_deeply(
    form: Format, word: str, tmp_path_factory: pytest.TempPathFactory
):
    read_or_refused(form, word, tmp_path_factory.mktemp("shapes"))


def test_every_reader_in_the_registry_is_fed():
    assert {id(f.reader) for f in FORMATS} == {id(r) for r in READERS}
