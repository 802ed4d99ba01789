"""Read with embeds hidden: every answer, page, DM and post carries its answer as text
beside its embeds (bot.render.summary), asserted on what the fake Discord received. A
message of embeds alone anywhere fails every e2e test (see running_bot); these say
what the text holds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.render.markdown import as_shown
from bot.settings import BUNDLED_PROGRAM
from tests.conftest import pacific
from tests.e2e.conftest import running_bot, travel, wait_for
from tests.fakediscord.rules import previewed_links
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord
from tests.program_edits import move_talk

ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path):
    """The bot at 10:50 on July 10, delivering without pacing."""
    async with running_bot(fake, tmp_path, CONFBOT_DELIVERY_PACE="0") as instance:
        yield instance


def text_of(body: dict[str, Any]) -> str:
    """A message's text as shown (escapes read), after checking that it is there, that
    it tells of the embed's title and that it adds no link preview under the message."""
    content = str(body.get("content") or "")
    assert content.strip(), body
    assert previewed_links(content) == 0, content
    shown = as_shown(content)
    for embed in body.get("embeds") or []:
        assert as_shown(embed["title"])[:60] in shown, (embed["title"], content)
    return shown


async def test_next_paper_and_author_answer_in_text(fake: FakeDiscord, bot: ConfBot):
    nxt = text_of((await fake.answer(await fake.send_command("next"))).data)
    assert nxt.startswith("**What's next at OSDI '24**\nAs of <t:")
    assert "\n**On now · Sabre" in nxt and "\n**Next · NOMAD" in nxt
    assert "≈ 11:05–11:25 PDT" in nxt
    paper = text_of(
        (await fake.answer(await fake.send_command("paper", title="sarthi serve"))).data
    )
    assert paper.startswith("**Taming Throughput-Latency Tradeoff in LLM Inference")
    assert "📍 Grand Ballroom ABGH" in paper and "PDT" in paper
    author = await fake.answer(await fake.send_command("author", name="christina delimitru"))
    told = text_of(author.data)
    assert told.startswith("**Christina Delimitrou**\n")
    assert all(f["name"][:60] in told for f in author.embeds[0]["fields"])


async def test_a_page_turned_to_tells_its_own_items_in_text(fake: FakeDiscord, bot: ConfBot):
    day = await fake.answer(await fake.send_command("schedule", day="2024-07-12"))
    first = text_of(day.data)
    assert first.endswith(f"\n-# {day.embeds[0]['footer']['text']}")
    assert first.splitlines()[-1].startswith("-# Page 1 of 2")
    ids = [c["custom_id"] for row in day.message["components"] for c in row["components"]
           if "custom_id" in c]  # fmt: skip
    labels = [c.get("label") for row in day.message["components"] for c in row["components"]]
    assert "◀ Previous" in labels and "Next ▶" in labels  # words, not an arrow alone
    turned = await fake.answer(await fake.click(day, ids[-1]))
    assert turned.callback["type"] == 7
    page = text_of(turned.data)  # the edit sets the text too: never page 1's left above
    assert page.splitlines()[-1].startswith("-# Page 2 of 2")
    (embed,) = turned.data["embeds"]
    assert f"\n**{as_shown(embed['fields'][0]['name'])}**" in page
    assert page != first


async def test_an_error_is_text(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("paper", title="zzzzqqq"))
    assert answer.ephemeral and not answer.embeds
    assert answer.data["content"].startswith("No paper matches “zzzzqqq”.")


async def test_a_reminder_dm_and_an_announcement_read_as_text(fake: FakeDiscord, bot: ConfBot):
    await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=20))
    user_id = int(fake.attendee["id"])
    await wait_for(lambda: fake.channel_messages.get(fake.dm_channels.get(user_id, 0)),
                   what="the reminder DM")  # fmt: skip
    (dm,) = fake.channel_messages[fake.dm_channels[user_id]]
    reminder = text_of(dm)
    assert reminder.startswith("**⏰ NOMAD")
    assert "\n**Starts in 15 min** · ≈ <t:" in reminder and "\n📍 Grand Ballroom ABGH" in reminder
    await fake.answer(await fake.send_command(
        "announce channel", user=fake.owner, permissions=ORGANISER, channel=fake.channel_id,
        minutes_before=200,
    ))  # fmt: skip
    await wait_for(lambda: fake.channel_messages.get(fake.channel_id), what="the announcement")
    (post,) = fake.channel_messages[fake.channel_id]
    announced = text_of(post)
    assert announced.startswith("**📣 Low-Latency LLM Serving**\n**Starts in 3 h 10 min**")
    for field in post["embeds"][0]["fields"]:
        assert f"\n**{as_shown(field['name'])[:60]}" in announced


async def test_a_qa_threads_first_message_and_its_edit_read_as_text(
    fake: FakeDiscord, tmp_path: Path
):
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    env = {"CONFBOT_PROGRAM": str(program), "CONFBOT_DELIVERY_PACE": "0"}
    clock = FixedClock(pacific("2024-07-10T10:59:57"))
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        asked = await fake.send_command("qa channel", user=fake.owner, permissions=ORGANISER,
                                        forum=fake.forum_id)  # fmt: skip
        await fake.answer(asked)
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        await wait_for(lambda: fake.threads, timeout=15, what="NOMAD's thread")
    (thread_id,) = [t for t, thread in fake.threads.items() if thread["name"].startswith("NOMAD")]
    (first,) = fake.channel_messages[thread_id]
    opened = text_of(first)
    assert opened.startswith("**💬 NOMAD") and "11:05" in opened
    assert "Press **Ask a question**" in opened
    move_talk(program, "NOMAD", "2024-07-10T11:10", "2024-07-10T11:30")
    async with running_bot(fake, tmp_path, CONFBOT_NOW="2024-07-10T11:01:00", **env):
        await wait_for(lambda: fake.edited_messages, timeout=15, what="the thread's update")
    ((_, body),) = fake.edited_messages
    edited = text_of(body)
    assert "11:10–11:30 PDT" in edited and "11:05" not in edited


async def test_the_page_buttons_words_are_the_readers(fake: FakeDiscord, bot: ConfBot):
    for locale, words in (("de", ["◀ Zurück", "Weiter ▶"]), ("fr", ["◀ Précédent", "Suivant ▶"])):
        day = await fake.answer(await fake.send_command("schedule", day="2024-07-12",
                                                        locale=locale))  # fmt: skip
        labels = [c.get("label") for row in day.message["components"] for c in row["components"]]
        assert [label for label in labels if label in words] == words, labels
        text_of(day.data)
