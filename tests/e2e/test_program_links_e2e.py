"""A program's links reach Discord as Discord takes them (issue 21, defect 16).

Discord refuses a whole message (400, code 50035) when one embed url or link button holds
a URL it does not take, such as one with spaces; the fake Discord refuses it the same way.
So a talk page written `https://example.org/a b c` cost the reader the answer to /paper.
Each test goes through the real bot and discord.py, and ends with no protocol errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import running_bot
from tests.fakediscord.server import FakeDiscord

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "frab-v1.json"
SPACED = "https://example.org/a b c"
LONG = "https://example.org/" + "x" * 600  # over a link button's 512 characters


def program_with_links(tmp_path: Path) -> Path:
    """The frab fixture, its opening talk (10:00-10:30 on 27 December, Hall A) given a
    page with spaces and links Discord would refuse as they are written."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    opening = data["schedule"]["conference"]["days"][0]["rooms"]["Hall A"][0]
    opening["url"] = SPACED
    opening["links"] = [
        {"url": "https://example.org/live room", "title": "Live stream"},
        {"url": "https://example.org/slides deck.pdf", "title": "Slides"},
        {"url": "http://intranet/notes", "title": "Notes"},  # no dot: not well formed
        {"url": LONG, "title": "Long"},
    ]
    path = tmp_path / "links.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {c["label"]: c.get("url", "") for row in message.get("components") or []
            for c in row["components"]}  # fmt: skip


async def test_paper_with_a_spaced_talk_page_is_answered_with_its_links_encoded(
    fake: FakeDiscord, tmp_path: Path
):
    program = program_with_links(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program),
                           CONFBOT_NOW="2023-12-27T10:10"):  # fmt: skip
        answer = await fake.answer(await fake.send_command("paper", title="Opening"))
        (embed,) = answer.embeds
        assert embed["title"] == "Opening"
        assert embed["url"] == "https://example.org/a%20b%20c"
        links = buttons(answer.data)
        assert links["Watch live"] == "https://example.org/live%20room"
        assert links["Slides"] == "https://example.org/slides%20deck.pdf"
        assert "Notes" not in links and "Long" not in links  # dropped, not the answer
        assert all(" " not in url for url in links.values())


async def test_now_shows_watch_live_as_a_link_discord_takes(fake: FakeDiscord, tmp_path: Path):
    # A Markdown link is not refused by Discord; it is encoded by the same rule as the
    # buttons (spaces were already encoded there before, so this one guards, not proves).
    program = program_with_links(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program),
                           CONFBOT_NOW="2023-12-27T10:10"):  # fmt: skip
        answer = await fake.answer(await fake.send_command("now"))
        values = [f["value"] for e in answer.embeds for f in e.get("fields", [])]
        assert any("📺 [Watch live](https://example.org/live%20room)" in v for v in values)
