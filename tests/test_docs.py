"""README.md and docs/: the quick start CI runs, links that lead somewhere, and the tables
that restate code (settings, invite permissions, commands) kept equal to it."""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import pytest

from bot.adapters.discord.invite import NEEDS, TICKET_NEEDS, permissions
from tests.conftest import COMMANDS, ROOT
from tests.test_discord_start import SETTINGS_NAMES

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
VENV = "python3 -m venv .venv && . .venv/bin/activate && "
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def quick_start() -> list[str]:
    """The lines of README's first code block, which must come right after the title."""
    text = README.read_text(encoding="utf-8")
    match = re.match(r"# confbot\n\n```\n(.*?)\n```\n", text, re.S)
    assert match, "README.md must open with the title and the quick-start block"
    return match.group(1).split("\n")


def test_the_quick_start_is_two_lines_in_a_virtual_environment():
    install, test = quick_start()
    # PEP 668: a stock Debian python refuses pip outside a virtual environment.
    assert install.startswith(VENV) and test.startswith(VENV)
    assert install.endswith("python -m bot")
    assert "pip install -e ." in install and "pip install -e '.[dev]'" in test
    assert test.endswith("python -m pytest -n auto")  # every core: the suite under 90 s
    assert "python3 -m pip" not in install + test  # the system's pip, refused


def test_ci_runs_the_second_line():
    """.ci/run greps README for its prefix: it must find the second line and nothing else."""
    ci = ROOT / ".ci" / "run"
    prefix_line = next(line for line in ci.read_text().splitlines() if line.startswith("prefix="))
    prefix = subprocess.run(
        ["bash", "-c", f'{prefix_line}\nprintf %s "$prefix"'],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    lines = [line for line in README.read_text().splitlines() if prefix in line]
    assert lines == [quick_start()[1]] and lines[0].startswith(prefix)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_leads_to_a_page_and_heading_that_exist(page: Path):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # an address on the web
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.is_file(), f"{page.name}: {target} leads nowhere"
        if anchor:
            assert anchor in anchors(linked), f"{page.name}: no heading for {target}"


def test_readme_leads_to_every_page_in_docs():
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in LINK.findall(README.read_text())}
    assert DOCS and set(DOCS) <= linked


def table_rows(text: str, after: str) -> list[list[str]]:
    """The cells of the first Markdown table after the line containing `after`."""
    lines = text[text.index(after) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_the_configuration_table_is_every_setting_with_its_default():
    text = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    rows = {row[0].strip("`"): row[1] for row in table_rows(text, "## Configuration")}
    assert sorted(rows) == SETTINGS_NAMES
    source = (ROOT / "bot" / "settings.py").read_text()
    defaults = re.findall(r'_(?:number|whole)\(get, "([A-Z_]+)", "([^"]+)"', source)
    assert defaults
    for name, default in defaults:
        assert rows[name] == f"`{default}`", name


def test_the_invite_permissions_in_the_guide_are_the_ones_invite_asks_for():
    text = (ROOT / "docs" / "organisers.md").read_text(encoding="utf-8")
    listed = [row[0] for row in table_rows(text, "invite-permissions")]
    assert listed == [need.label for need in NEEDS]
    assert f"permissions integer `{permissions().value}`" in text
    assert "python -m bot invite" in text
    ticket_rows = [row[0] for row in table_rows(text, "invite-ticket-permissions")]
    assert ticket_rows == [need.label for need in TICKET_NEEDS]
    assert f"permissions integer `{permissions(tickets=True).value}`" in text


def test_every_command_is_in_a_reference():
    tables = "".join(
        "\n".join(line for line in page.read_text().splitlines() if line.startswith("| `/"))
        for page in (ROOT / "docs" / "commands.md", ROOT / "docs" / "organisers.md")
    )
    missing = {name for name in COMMANDS if f"`/{name}" not in tables}
    assert not missing, f"document {sorted(missing)} in docs/commands.md or organisers.md"


def test_every_command_line_command_is_in_the_docs():
    from bot.cli import build_parser

    docs = "".join(page.read_text(encoding="utf-8") for page in (ROOT / "docs").glob("*.md"))
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    missing = {name for name in sub.choices if f"python -m bot {name}" not in docs}
    assert not missing, f"document {sorted(missing)} in docs/"
