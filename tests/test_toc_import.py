"""The table of contents parser reads the seed, all three layouts, exactly."""

from __future__ import annotations

import pytest

from bot.importer.errors import ProgramFileError
from bot.importer.toc import Layout, parse_authors, parse_toc, read_toc
from bot.normalize import match_key
from tests.conftest import PROGRAM_DIR

TOC = read_toc(PROGRAM_DIR / "program.txt")


def paper(title_start: str):
    return next(p for p in TOC.papers if p.title.startswith(title_start))


def test_seed_has_three_days():
    assert [(d.weekday, d.month, d.day) for d in TOC.days] == [
        ("Wednesday", 7, 10),
        ("Thursday", 7, 11),
        ("Friday", 7, 12),
    ]


def test_seed_has_eleven_sessions_in_order():
    assert [s.title for s in TOC.sessions] == [
        "Memory Management",
        "Low-Latency LLM Serving",
        "Distributed Systems",
        "Deep Learning",
        "Operating Systems",
        "Cloud Computing",
        "Formal Verification",
        "Cloud Security",
        "Data Management",
        "Analysis of Correctness",
        "ML Scheduling",
    ]


def test_seed_has_53_papers_with_increasing_pages():
    pages = [p.page for p in TOC.papers]
    assert len(pages) == 53
    assert pages == sorted(pages)
    assert pages[0] == 1 and pages[-1] == 989


def test_seed_has_379_author_entries_and_350_distinct_people():
    entries = [a for p in TOC.papers for a in p.authors]
    assert len(entries) == 379
    assert len({match_key(a.name) for a in entries}) == 350


def test_every_author_entry_has_an_affiliation():
    assert all(a.affiliation for p in TOC.papers for a in p.authors)


def test_dot_leaders_are_stripped_from_titles():
    assert paper("INTOS").title.endswith("Intermittent Computing")
    assert paper("Inductive Invariants").title.endswith("Distributed Protocol Proofs")
    assert not any("..." in p.title for p in TOC.papers)


def test_table_row_session_headings_are_sessions():
    titles = [s.title for s in TOC.sessions]
    assert "Cloud Computing" in titles and "Formal Verification" in titles
    cloud = TOC.sessions[titles.index("Cloud Computing")]
    assert cloud.papers[0].title.startswith("When will my ML Job finish?")


def test_plain_layout_authors_keep_comma_affiliations():
    sabre = paper("Sabre")
    assert [(a.name, a.affiliation) for a in sabre.authors][:2] == [
        ("Nikita Lazarev", "MIT, CSAIL"),
        ("Varun Gohil", "MIT, CSAIL"),
    ]
    assert sabre.authors[-1].affiliation == "MIT, CSAIL"


def test_lock_fission_affiliations_keep_semicolons_and_trailing_fragment():
    lock = paper("Fast and Scalable In-network Lock Management")
    by_name = {a.name: a.affiliation for a in lock.authors}
    assert by_name["Hanze Zhang"] == (
        "Institute of Parallel and Distributed Systems, SEIEEE, Shanghai Jiao Tong University;"
        " Shanghai AI Laboratory; MoE Key Lab of Artificial Intelligence, AI Institute,"
        " Shanghai Jiao Tong University"
    )
    assert by_name["Haibo Chen"].endswith(
        "Ministry of Education, China; Key Laboratory of System Software"
        " (Chinese Academy of Sciences)"
    )
    assert "Key Laboratory" not in by_name["Rong Chen"]
    assert len(lock.authors) == 4


def test_single_name_author_anjali():
    verismo = paper("VERISMO")
    assert ("Anjali", "University of Wisconsin-Madison") in [
        (a.name, a.affiliation) for a in verismo.authors
    ]


def test_nickname_in_curly_quotes_is_kept():
    names = [a.name for a in paper("FairyWREN").authors]
    assert "Yucong “Sherry” Wang" in names


def test_greek_title_and_accented_names_come_through_unchanged():
    assert (
        paper("μSlope").title == "μSlope: High Compression and Fast Search on Semi-Structured Logs"
    )
    dsig = paper("DSig")
    assert dsig.authors[1].name == "Clément Burgevin"
    assert dsig.authors[1].affiliation == "École Polytechnique Fédérale de Lausanne (EPFL)"


def test_hyphenated_names_and_affiliation_with_ampersand():
    assert "Pierre-Louis Roman" in [a.name for a in paper("Chop Chop").authors]
    msh = paper("Harvesting Memory-bound")
    assert msh.authors[-1] == type(msh.authors[-1])("Scott Shenker", "UC Berkeley & ICSI")


def test_longest_author_lists():
    assert len(paper("Microkernel Goes General").authors) == 15
    assert len(paper("Ransom Access Memories").authors) == 12


def test_header_lines_before_the_first_day_are_kept():
    assert TOC.header[0].startswith("18th USENIX Symposium")


def test_author_groups_split_on_and_and_commas():
    authors = parse_authors("A B, C D, and E F, *X, Y*; G H and I J, *Z and W*", Layout.PLAIN)
    assert [(a.name, a.affiliation) for a in authors] == [
        ("A B", "X, Y"),
        ("C D", "X, Y"),
        ("E F", "X, Y"),
        ("G H", "Z and W"),
        ("I J", "Z and W"),
    ]


def test_names_starting_with_and_are_not_split():
    authors = parse_authors("Andy Anderson and Anand Iyer, *Lab*", Layout.PLAIN)
    assert [a.name for a in authors] == ["Andy Anderson", "Anand Iyer"]


GOOD_HEAD = "Wednesday, July 10\n\nMemory Management\n\n"


def test_unplaceable_line_names_its_line_number():
    text = GOOD_HEAD + "Sabre 1\nA, *B*\n\nC, *D*; E, *F*\n"
    with pytest.raises(ProgramFileError) as err:
        parse_toc(text)
    assert err.value.line_no == 8
    assert "C, *D*; E, *F*" in str(err.value)


def test_truncated_file_paper_without_authors_is_an_error():
    with pytest.raises(ProgramFileError, match="no author line") as err:
        parse_toc(GOOD_HEAD + "Sabre: Snapshots 1\n")
    assert err.value.line_no == 5


def test_truncated_table_row_is_an_error():
    text = GOOD_HEAD + "| Sabre | 1 |\n| Nikita, <i>MIT</i> |"
    with pytest.raises(ProgramFileError, match="cells") as err:
        parse_toc(text)
    assert err.value.line_no == 6


def test_session_without_papers_is_an_error():
    with pytest.raises(ProgramFileError, match="has no papers"):
        parse_toc(GOOD_HEAD + "Another Session\n\nSabre 1\nA, *B*\n")


def test_paper_before_session_is_an_error():
    with pytest.raises(ProgramFileError, match="before any session"):
        parse_toc("Wednesday, July 10\n| Sabre | 1 |\n| A, <i>B</i> | |\n")


def test_unbalanced_affiliation_markup_is_an_error():
    with pytest.raises(ProgramFileError, match="unbalanced"):
        parse_toc(GOOD_HEAD + "Sabre 1\nA, *MIT\n")


def test_no_day_heading_is_an_error():
    with pytest.raises(ProgramFileError, match="no day headings"):
        parse_toc("Just a title line\n")
