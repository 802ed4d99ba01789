"""A program file is hostile (any server's organiser can add one by address): whatever it
holds, reading it costs what a real program costs and ends in a program or one sentence.
Lone surrogates read as U+FFFD, nesting and counts are bounded, texts are cut (and the
report says so), huge numbers are refused (bot.importer.limits states the limits)."""

from __future__ import annotations

import bisect
import contextlib
import json
import re
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import cli
from bot.importer import community, files, frab_json, frab_xml, ical, limits, values
from bot.importer.errors import ProgramFileError
from bot.importer.registry import read_source
from bot.importer.report import Loaded

FIXTURES = Path(__file__).parent / "fixtures" / "programs"
# A title in each JSON reader's fixture, as the file spells it.
JSON_TITLES = {"frab-v1.json": '"Opening"', "frab-v2.json": '"Science Hour"',
               "indico.json": '"Detector Upgrades"'}  # fmt: skip


def edited(tmp_path: Path, fixture: str, old: str, new: str) -> Path:
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / fixture
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def titles(loaded: Loaded) -> list[str]:
    return [t.title for t in loaded.program.talks]


def load_exit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, program: Path) -> int:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("CONFBOT_PROGRAM", str(program))
    monkeypatch.setenv("CONFBOT_DB", str(tmp_path / "program.db"))
    monkeypatch.setenv("CONFBOT_TIMEZONE", "Europe/Berlin")
    return cli.main(["load"])


# -- lone surrogates -------------------------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(JSON_TITLES))
def test_a_lone_surrogate_escape_in_json_reads_as_the_replacement_character(
    tmp_path: Path, fixture: str
):
    title = JSON_TITLES[fixture]
    path = edited(tmp_path, fixture, title, title[:-1] + ' \\ud800"')
    assert f"{title[1:-1]} \ufffd" in titles(read_source(path, "Europe/Berlin"))


def test_a_program_whose_title_had_a_lone_surrogate_is_stored_by_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    path = edited(tmp_path, "frab-v1.json", '"Opening"', '"Opening \\ud800"')
    assert load_exit(monkeypatch, tmp_path, path) == 0, capsys.readouterr().err


def test_surrogate_pairs_and_an_escaped_backslash_are_read_as_written(tmp_path: Path):
    path = edited(tmp_path, "frab-v1.json", '"Opening"', '"Opening \\ud83d\\ude00 \\\\ud800"')
    assert "Opening \U0001f600 \\ud800" in titles(read_source(path))


def test_a_lone_surrogate_from_an_icalendar_charset_reads_as_the_replacement_character(
    tmp_path: Path,
):
    path = tmp_path / "feed.ics"
    data = (FIXTURES / "program.ics").read_bytes()  # a fold splits a character: bytes
    path.write_bytes(data.replace(b"LOCATION:Room 5", b"LOCATION;CHARSET=utf-7:Room +2AA-"))
    rooms = {t.slot.room for t in read_source(path).program.talks}
    assert "Room \ufffd" in rooms


# -- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(JSON_TITLES))
def test_a_json_number_of_5000_digits_is_one_sentence(tmp_path: Path, fixture: str):
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    path = tmp_path / fixture
    path.write_text(text.replace("{", '{"n": ' + "9" * 5000 + ", ", 2), encoding="utf-8")
    with pytest.raises(ProgramFileError, match="a number of 5,000 characters"):
        read_source(path)


def test_load_says_one_line_for_a_huge_json_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    path = edited(tmp_path, "frab-v1.json", '"id": 1,', '"id": ' + "1" * 5000 + ",")
    assert load_exit(monkeypatch, tmp_path, path) == cli.DATA_ERROR
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "a number of 5,000 characters" in line


# -- nesting ----------------------------------------------------------------------------


def nested_rooms(depth: int, events_in_innermost: int = 1) -> str:
    event = ("<event guid='{n:08d}-0000-4000-8000-000000000000'><date>2024-06-01T10:00:00+02:00"
             "</date><duration>00:30</duration><title>Talk {n}</title></event>")  # fmt: skip
    events = "".join(event.format(n=n) for n in range(events_in_innermost))
    rooms = "".join(f"<room name='R{i}'>" for i in range(depth))
    return (f"<schedule><conference><title>Nest</title></conference><day date='2024-06-01'>"
            f"{rooms}{events}{'</room>' * depth}</day></schedule>")  # fmt: skip


def test_a_talk_in_three_nested_rooms_is_read_once(tmp_path: Path):
    path = tmp_path / "schedule.xml"
    path.write_text(nested_rooms(3))
    loaded = read_source(path)
    assert titles(loaded) == ["Talk 0"]
    assert loaded.program.talks[0].slot.room == "R2"  # its nearest room


def test_xml_nested_deeper_than_a_program_is_one_sentence(tmp_path: Path):
    path = tmp_path / "schedule.xml"
    path.write_text(nested_rooms(5_000))
    with pytest.raises(ProgramFileError, match="nested too deeply"):
        read_source(path)


def test_json_nested_deeper_than_the_limit_is_one_sentence(tmp_path: Path):
    depth = limits.MAX_DEPTH + 1
    path = edited(tmp_path, "frab-v1.json", '"Opening"', "[" * depth + "]" * depth)
    with pytest.raises(ProgramFileError, match=f"more than {limits.MAX_DEPTH} levels"):
        read_source(path)


def test_brackets_inside_strings_are_no_nesting(tmp_path: Path):
    title = "[" * 200 + "{" * 200
    path = edited(tmp_path, "frab-v1.json", '"Opening"', json.dumps(title))
    assert title in titles(read_source(path))


@pytest.mark.parametrize("escaped", ["\\", '"', '\\"', "\\\\", '\\\\"'])
def test_escaped_quotes_and_backslashes_end_their_string_where_json_says(
    tmp_path: Path, escaped: str
):
    """The value count steps over strings: were an escaped quote taken for the end of a
    title, the brackets of the next string would count as 40 levels of nesting."""
    title, subtitle = f"a{escaped}", "[" * 40 + "]" * 40
    path = edited(tmp_path, "frab-v1.json", '"Opening",\n               "subtitle": ""',
                  f"{json.dumps(title)}, \"subtitle\": {json.dumps(subtitle)}")  # fmt: skip
    (talk,) = [t for t in read_source(path).program.talks if t.title == title]
    assert talk.subtitle == subtitle


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(st.sampled_from('ab"\\[]{},: \u00e9\U0001f600\n')),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=30,
)  # fmt: skip
# Each string, the way the JSON grammar reads it: escapes stepped over one by one.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


@settings(max_examples=200, deadline=None, derandomize=True)
@given(value=JSON_VALUES, scan=st.integers(1, 9), ascii_only=st.booleans())
def test_json_outside_its_strings_is_found_however_the_text_is_cut_into_parts(
    value: object, scan: int, ascii_only: bool
):
    """The shape check reads the text a part at a time (so no one C call holds the GIL
    long): a string, an escape or a quote cut between two parts is still one string."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(files, "_SCAN", scan)
        found = "".join(files._outside_strings(text))
    assert found == _JSON_STRING.sub("", text)


# -- counts -----------------------------------------------------------------------------


def test_json_with_more_values_than_a_program_is_refused_before_parsing(tmp_path: Path):
    path = edited(tmp_path, "frab-v1.json", '"links": []',
                  '"links": [' + "{}," * limits.MAX_JSON_VALUES + "{}]")  # fmt: skip
    with pytest.raises(ProgramFileError, match="JSON values"):
        read_source(path)


@pytest.mark.parametrize(
    "fixture", ["frab-v1.json", "frab-v2.json", "indico.json", "schedule.xml", "program.ics"]
)
def test_more_events_than_the_limit_are_refused_for_every_format(
    tmp_path: Path, fixture: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(community, "MAX_EVENTS", 0)
    with pytest.raises(ProgramFileError, match="more than 0 events"):
        read_source(FIXTURES / fixture, "Europe/Berlin")


def test_xml_with_more_elements_than_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(frab_xml, "MAX_XML_ELEMENTS", 10)
    with pytest.raises(ProgramFileError, match="more than 10 XML elements"):
        read_source(FIXTURES / "schedule.xml")


def test_an_icalendar_feed_over_the_line_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(ical, "MAX_LINES", 10)
    with pytest.raises(ProgramFileError, match="more than 10 lines"):
        read_source(FIXTURES / "program.ics")


def test_an_event_naming_more_people_than_the_limit_is_refused(tmp_path: Path):
    people = json.dumps([{"public_name": f"P{n}"} for n in range(limits.MAX_PEOPLE + 1)])
    path = edited(tmp_path, "frab-v1.json", '[{"id": 1, "public_name": "Ana Müller"}]', people)
    with pytest.raises(ProgramFileError, match=f"names {limits.MAX_PEOPLE + 1} people"):
        read_source(path)


# -- text lengths ----------------------------------------------------------------------


def test_a_title_over_the_limit_is_cut_and_the_report_says_so(tmp_path: Path):
    path = edited(tmp_path, "frab-v1.json", '"Opening"', json.dumps("Opening " * 100_000))
    loaded = read_source(path)
    (long,) = [t for t in titles(loaded) if t.startswith("Opening")]
    assert len(long) == limits.MAX_TITLE
    assert any(f"cut to {limits.MAX_TITLE}" in w for w in loaded.report.warnings)


def test_a_huge_abstract_is_cut_to_what_a_card_shows(tmp_path: Path):
    abstract = "<p>" + "word " * (limits.MAX_JSON_TEXT // 5 - 2) + "</p>"  # as long as may be
    path = edited(tmp_path, "frab-v1.json", '"<p>Welcome &amp; <b>hello</b></p>"',
                  json.dumps(abstract))  # fmt: skip
    (talk,) = [t for t in read_source(path).program.talks if t.title == "Opening"]
    assert talk.abstract is not None and len(talk.abstract) <= 4000


class _Whole(str):
    """A text that notes the length of each copy stripped from it whole."""

    stripped: list[int]

    def strip(self, chars: str | None = None) -> str:
        self.stripped.append(len(self))
        return super().strip(chars)


def test_an_abstract_is_cut_before_it_is_stripped_or_compared() -> None:
    # A program is read in a worker thread, and each C call holds the GIL: a 50 MB
    # abstract was stripped twice and hashed whole, and the event loop waited 96 ms.
    huge = _Whole("word " * (limits.MAX_ABSTRACT_SOURCE // 2))
    huge.stripped = []
    assert values.joined(huge, "A description.")
    event = ElementTree.Element("event")
    abstract = ElementTree.SubElement(event, "abstract")
    abstract.text = huge
    assert frab_xml._joined(event, "abstract", "description")
    assert huge.stripped == []


def test_an_icalendar_line_over_the_limit_is_one_sentence(tmp_path: Path):
    path = tmp_path / "feed.ics"
    data = (FIXTURES / "program.ics").read_bytes()
    fold = b"\r\n ".join([b"x" * 70] * (limits.MAX_VALUE // 70 + 1))
    path.write_bytes(data.replace(b"DESCRIPTION:Line one", b"DESCRIPTION:" + fold))
    with pytest.raises(ProgramFileError, match="longer than 1,000,000 bytes"):
        read_source(path)


SABRE = "Sabre: Hardware-Accelerated Snapshot Compression for Serverless MicroVMs"


def retitled(program_copy: Path, title: str) -> None:
    for name in ("program.txt", "schedule.json"):
        path = program_copy / name
        path.write_text(path.read_text(encoding="utf-8").replace(SABRE, title, 1), encoding="utf-8")


def test_a_usenix_title_over_the_limit_is_cut_and_the_report_says_so(program_copy: Path):
    retitled(program_copy, "Sabre " * 100_000)
    loaded = read_source(program_copy)
    (long,) = [t for t in titles(loaded) if t.startswith("Sabre")]
    assert long == ("Sabre " * 100)[: limits.MAX_TITLE]
    assert any(f"cut to {limits.MAX_TITLE}" in w for w in loaded.report.warnings)


def test_a_usenix_paper_naming_more_authors_than_the_limit_is_one_sentence(program_copy: Path):
    path = program_copy / "program.txt"
    authors = ", ".join(f"Author {n}" for n in range(limits.MAX_PEOPLE + 1))
    text = path.read_text(encoding="utf-8")
    line = "Nikita Lazarev and Varun Gohil, *MIT, CSAIL*; James Tsai"
    path.write_text(text.replace(line, f"{authors}, *MIT*; James Tsai", 1), encoding="utf-8")
    with pytest.raises(ProgramFileError, match=f"authors; a paper may name {limits.MAX_PEOPLE}"):
        read_source(program_copy)


# -- memory ----------------------------------------------------------------------------


def _small_objects(tmp_path: Path) -> Path:  # 3.3 MB: just over the value limit
    return edited(tmp_path, "frab-v1.json", '"links": []',
                  '"links": [' + "{}," * (limits.MAX_JSON_VALUES + 10_000) + "{}]")  # fmt: skip


def _json_abstract(tmp_path: Path) -> Path:  # 5 MB
    return edited(tmp_path, "frab-v1.json", '"<p>Welcome &amp; <b>hello</b></p>"',
                  json.dumps("<p>" + "word " * 1_000_000))  # fmt: skip


def _json_title(tmp_path: Path) -> Path:  # 5 MB
    return edited(tmp_path, "frab-v1.json", '"Opening"', json.dumps("Opening " * 600_000))


def _json_escapes(tmp_path: Path) -> Path:  # 6 MB: a title of a million \\u00e9
    return edited(tmp_path, "frab-v1.json", '"Opening"', '"' + "\\u00e9" * 1_000_000 + '"')


def _xml_abstract(tmp_path: Path) -> Path:  # 5 MB
    return edited(tmp_path, "schedule.xml", "<abstract>",
                  "<abstract>" + "word " * 1_000_000)  # fmt: skip


def _ics_lines(tmp_path: Path) -> Path:  # 50,000 lines the reader does not keep
    path = tmp_path / "feed.ics"
    data = (FIXTURES / "program.ics").read_bytes()
    extra = b"".join(b"X-LINE-%d:b\r\n" % n for n in range(50_000))
    path.write_bytes(data.replace(b"END:VEVENT", extra + b"END:VEVENT", 1))
    return path


@pytest.mark.parametrize(
    "write",
    [_small_objects, _json_abstract, _json_title, _json_escapes, _xml_abstract, _ics_lines],
)
def test_reading_a_hostile_file_costs_a_few_times_its_size_in_memory(
    tmp_path: Path, write: Callable[[Path], Path]
):
    """Before the limits, 48 MB of {} took 1.37 GB and a 49 MB abstract 948 MB: ten to
    thirty times the file (a few MB here show the same ratios, traced by Python)."""
    path = write(tmp_path)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with contextlib.suppress(ProgramFileError):  # refused or read: either is bounded
            read_source(path, "Europe/Berlin")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * size + 1_000_000, f"{peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


# -- schedule.json 2.0 days ---------------------------------------------------------------


def v2_with_days(tmp_path: Path, days: int, events: int, day_start: str | None) -> Path:
    """frab-v2.json with `days` declared days (each starting at `day_start`, or with no
    start) and `events` copies of its event."""
    data = json.loads((FIXTURES / "frab-v2.json").read_text(encoding="utf-8"))
    day = data["schedule"]["conference"]["days"][0]
    if day_start is None:
        del day["start"]
    else:
        day["start"] = day_start
    data["schedule"]["conference"]["days"] = [day] * days
    event = data["schedule"]["events"][0]
    data["schedule"]["events"] = [event | {"guid": f"{i:08d}-0000-4000-8000-000000000000"}
                                  for i in range(events)]  # fmt: skip
    path = tmp_path / f"v2-{days}-{day_start is None}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_v2_day_starting_without_an_offset_is_read_not_a_traceback(tmp_path: Path):
    path = v2_with_days(tmp_path, 1, 1, "2024-06-01T09:00:00")
    assert titles(read_source(path)) == ["Science Hour"]


def test_the_days_a_v2_file_declares_cost_once_not_once_for_each_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """8,000 declared days were sorted again for each of 1,000 events: 3.5 s, where the
    same file with days that give no start takes 0.04 s (now 0.05 s); 200,000 days took
    94 ms an event, so 20,000 events, within the limits, would have taken half an hour.
    Counted, not timed: the days are sorted once, and each event looks at a handful of
    them (a bisection: at most 14 of 8,000), not at all of them."""
    with_starts = v2_with_days(tmp_path, 8_000, 1_000, "2024-06-01T09:00:00+02:00")
    without = v2_with_days(tmp_path, 8_000, 1_000, None)
    sorts: list[int] = []  # the length of each list sorted
    looked_at: list[int] = []  # the days each event's day was found among

    def counted_sorted(items: Iterable[Any], **named: Any) -> list[Any]:
        found = sorted(items, **named)
        sorts.append(len(found))
        return found

    def counted_bisect(a: Any, x: Any, lo: int = 0, hi: int | None = None, *, key: Any) -> int:
        seen = [0]

        def counting(item: Any) -> Any:
            seen[0] += 1
            return key(item)

        found = bisect.bisect_right(a, x, lo, len(a) if hi is None else hi, key=counting)
        looked_at.append(seen[0])
        return found

    monkeypatch.setattr(frab_json, "sorted", counted_sorted, raising=False)
    monkeypatch.setattr(frab_json, "bisect", SimpleNamespace(bisect_right=counted_bisect))
    assert len(read_source(with_starts).program.talks) == 1_000
    assert [n for n in sorts if n >= 8_000] == [8_000]  # the days, once
    assert len(looked_at) == 1_000 and max(looked_at) <= 14
    sorts.clear()
    assert len(read_source(without).program.talks) == 1_000
    assert [n for n in sorts if n >= 8_000] == []  # no day gives a start: nothing to sort


@pytest.mark.parametrize("charset", ["punycode", "IDNA"])
def test_an_icalendar_charset_of_domain_names_is_one_sentence(tmp_path: Path, charset: str):
    """Decoding punycode is quadratic in Python code: this 0.3 MB line took 4.9 s, a
    1 MB one 48 s, and a read over an add's budget keeps its worker thread till it ends."""
    path = tmp_path / "feed.ics"
    data = (FIXTURES / "program.ics").read_bytes()
    summary = b"a" * 150_000 + b"-" + b"b" * 150_000
    path.write_bytes(data.replace(b"LOCATION:Room 5", b"LOCATION;CHARSET=%s:%s" % (
        charset.encode(), summary)))  # fmt: skip
    with pytest.raises(ProgramFileError, match=f"is not '{charset}' text"):
        read_source(path)


@pytest.mark.parametrize("part", [1, 2, 3, 5, 7])
def test_text_decoded_a_part_at_a_time_is_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: int
):
    # Decoded in parts (50 MB in one C call held the GIL for up to 87 ms): a character
    # cut between two parts is read whole, and a bad byte is named where it is.
    monkeypatch.setattr(files, "_SCAN", part)
    text = '{"title": "Café — 東京 🎉"}\n'
    path = tmp_path / "schedule.json"
    path.write_bytes(files.BOM + text.encode("utf-8"))
    assert files.read_text(path) == text
    path.write_bytes(b'{"a": 1,\n "title": "Caf\xc3\xa9 \xe2\x80"}')
    with pytest.raises(ProgramFileError, match=r"byte 0xe2 at column 18") as found:
        files.read_text(path)
    assert found.value.line_no == 2


def test_a_json_text_longer_than_a_text_may_be_written_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The parser reads a string in one C call, holding the GIL: a 50 MB abstract kept the
    # event loop waiting 40-60 ms. No program's text is a thousandth as long.
    monkeypatch.setattr(files, "_SCAN", 1000)
    monkeypatch.setattr(files, "MAX_JSON_TEXT", 5000)
    path = tmp_path / "schedule.json"
    path.write_text(
        json.dumps({"title": 'a " quote ' + "é" * 8000}, ensure_ascii=False), encoding="utf-8"
    )
    with pytest.raises(
        ProgramFileError, match="holds a text longer than 5,000 characters as written"
    ):
        files.read_json(path)
    path.write_text(
        json.dumps({"title": 'a " quote ' + "é" * 4900}, ensure_ascii=False), encoding="utf-8"
    )
    assert files.read_json(path)["title"].endswith("é")
