"""schedule.xml markup is bounded before expat reads it: a tag, comment or processing
instruction over MAX_MARKUP bytes costs expat 2.5 the square of its length (a 45 MB
attribute: 52 s), so it is refused in one sentence; text and CDATA of any length are
read (bot.importer.xml_markup)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.importer import frab_xml, xml_markup
from bot.importer.errors import ProgramFileError
from bot.importer.limits import MAX_ABSTRACT_SOURCE, MAX_MARKUP
from bot.importer.registry import read_source
from bot.importer.text import plain_text

FIXTURE = Path(__file__).parent / "fixtures" / "programs" / "schedule.xml"
LONG = MAX_MARKUP * 3  # bytes: well past the limit, small enough to read in a moment


def written(tmp_path: Path, old: str, new: str) -> Path:
    text = FIXTURE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "schedule.xml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def refused(path: Path, what: str) -> None:
    with pytest.raises(ProgramFileError, match=f"has an XML {what} longer than 65,536 bytes"):
        read_source(path)


def test_a_huge_attribute_is_refused_even_with_a_closing_mark_in_it(tmp_path: Path):
    value = ("x" * 1000 + ">") * (LONG // 1000)  # '>' is allowed in a quoted value
    refused(written(tmp_path, "<event id='10'>", f"<event id='10' note='{value}'>"), "tag")


def test_a_huge_tag_name_is_refused(tmp_path: Path):
    refused(written(tmp_path, "<track>Kultur</track>", f"<t{'x' * LONG}>Kultur</t{'x' * LONG}>"),
            "tag")  # fmt: skip


def test_an_element_with_thousands_of_attributes_is_refused(tmp_path: Path):
    attributes = " ".join(f"a{n}='{n}'" for n in range(LONG // 8))
    refused(written(tmp_path, "<event id='10'>", f"<event id='10' {attributes}>"), "tag")


def test_a_huge_comment_is_refused_even_with_markup_in_it(tmp_path: Path):
    body = ("<b>" + "c" * 997) * (LONG // 1000)  # a comment may hold '<' and '>'
    refused(written(tmp_path, "<track>Kultur</track>", f"<!--{body}--><track>Kultur</track>"),
            "comment")  # fmt: skip


def test_a_huge_processing_instruction_is_refused(tmp_path: Path):
    refused(written(tmp_path, "<track>Kultur</track>", f"<?x {'p' * LONG}?><track>K</track>"),
            "processing instruction")  # fmt: skip


def test_long_text_cdata_and_quotes_in_text_are_read(tmp_path: Path):
    text = ('She said "yes" and > then ' * (LONG // 20))[:LONG]
    cdata = "<![CDATA[" + "a < b <!-- no end " + "y" * LONG + "]]>"
    path = written(tmp_path, "<abstract>&lt;p&gt;Escaped",
                   f"<abstract>{cdata}{text.replace('<', '')}&lt;p&gt;Escaped")  # fmt: skip
    talk = next(t for t in read_source(path).program.talks if t.title == "No date, no guid")
    assert talk.abstract


def test_attributes_count_with_elements_toward_the_limit(monkeypatch: pytest.MonkeyPatch):
    root = ElementTree.parse(FIXTURE).getroot()
    elements = list(root.iter())
    attributes = sum(len(element.attrib) for element in elements)
    assert attributes > 0
    monkeypatch.setattr(frab_xml, "MAX_XML_ELEMENTS", len(elements) + attributes - 1)
    with pytest.raises(ProgramFileError, match="XML elements and attributes"):
        read_source(FIXTURE)
    monkeypatch.setattr(frab_xml, "MAX_XML_ELEMENTS", len(elements) + attributes)
    assert read_source(FIXTURE).program.talks


# -- the scan agrees with a plain reading of the markup, at every piece boundary --------


def plain_longest(data: bytes, limit: int) -> bool:
    """Whether `data` has markup over `limit` bytes, found the slow and obvious way: each
    '<' in turn, a byte at a time."""
    at = data.find(b"<")
    while at >= 0:
        nxt = at + 1
        if data.startswith(b"<![CDATA[", at):
            end = data.find(b"]]>", at + 9)
            if end < 0:
                return False
            nxt = end + 3
        elif data.startswith(b"<!--", at) or data.startswith(b"<?", at):
            closing = b"-->" if data.startswith(b"<!--", at) else b"?>"
            end = data.find(closing, at + 2 + (closing == b"-->") * 2)
            if end < 0 or end + len(closing) - at > limit:
                return True
            nxt = end + len(closing)
        elif (data.find(b"<", at + 1) % (len(data) + 1)) - at - 1 > limit:  # a long stretch
            quote, ended = b"", False
            for i in range(at + 1, at + limit):
                c = data[i : i + 1]
                if quote:
                    quote = b"" if c == quote else quote
                elif c == b">":
                    ended = True
                    break
                elif c in (b"'", b'"'):
                    quote = c
            if not ended:
                return True
        at = data.find(b"<", nxt)
    return False


PARTS = st.sampled_from([b"<a>", b"</a>", b"<b x='1>2'>", b"text ", b'"', b"'", b">", b"<!--",
                         b"-->", b"<?p", b"?>", b"<![CDATA[", b"]]>", b"yyyyyyyy"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(PARTS, max_size=40))
def test_the_scan_finds_what_a_plain_reading_finds(parts: list[bytes]):
    data = b"".join(parts)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xml_markup, "MAX_MARKUP", 12)
        patch.setattr(xml_markup, "_PIECE", 7)  # many piece boundaries in a short text
        try:
            xml_markup.check_markup(data, "x.xml")
            found = False
        except ProgramFileError:
            found = True
        assert found == plain_longest(data, 12), data


# -- texts are kept only as far as a reader looks ----------------------------------------


def test_an_abstract_longer_than_is_read_is_never_joined_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # ElementTree joined a 50 MB abstract in one C call when its element ended, holding
    # the GIL while the event loop waited (up to 100 ms), for words no reader looks at.
    words = "word " * (3 * MAX_ABSTRACT_SOURCE // 5)
    path = written(tmp_path, "<abstract>&lt;p&gt;Escaped", f"<abstract>{words}&amp; more")
    longest: list[int] = []
    read_event = frab_xml._event

    def noting(event: ElementTree.Element, *args: object) -> object:
        longest.append(max(len(e.text or "") for e in event.iter()))
        return read_event(event, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(frab_xml, "_event", noting)
    talk = next(t for t in read_source(path).program.talks if t.title == "No date, no guid")
    assert max(longest) <= MAX_ABSTRACT_SOURCE
    assert talk.abstract == plain_text(words)


def test_a_text_in_many_pieces_is_read_whole(tmp_path: Path):
    # expat hands a text over in pieces: at each entity and line, and at each 16 KB fed.
    title = "A &amp; B\n" + "&lt;x&gt;" * 4000 + "\nEnd"
    path = written(tmp_path, "<title>No date, no guid", f"<title>{title}")
    titles = [t.title for t in read_source(path).program.talks]
    assert any(t.startswith("A & B <x><x>") for t in titles)
