"""Small things real programs showed wrong (issue 22, part 7), through discord.py and the
fake Discord: a title said twice, speakers joined so that two read as one family, /author
on a program that names no speakers, a feed's generator shown as its source, and /status
in words naming what it follows. Every test ends with no protocol errors."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.e2e.conftest import running_bot, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
LCA = REAL_PROGRAMS / "lca2020.ics"
needs_shared(FOSDEM, LCA, module=True)


async def test_about_names_a_community_program_once(fake: FakeDiscord, tmp_path: Path):
    # The file's <title> is the name and the full name: "FOSDEM 2025 (FOSDEM 2025)".
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM)):
        answer = await fake.answer(await fake.send_command("about"))
    assert answer.embeds[0]["title"] == "FOSDEM 2025"


async def test_a_one_word_name_before_a_full_name_is_not_read_as_one_family(
    fake: FakeDiscord, tmp_path: Path
):
    # FOSDEM 2025 lists "Geert-Jan" and "Raoul Kramer": "By Geert-Jan and Raoul Kramer"
    # read as two Kramers.
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_NOW="2025-02-01T09:00"):  # fmt: skip
        answer = await fake.answer(
            await fake.send_command("paper", title="Public values and FOSS for education")
        )
    (embed,) = answer.embeds
    assert embed["title"] == "Public values and FOSS for education"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Speakers"] == "Geert-Jan · Raoul Kramer"


async def test_author_on_a_program_that_names_no_speakers_says_so(
    fake: FakeDiscord, tmp_path: Path
):
    # linux.conf.au 2020's iCalendar feed names no one: "No author matches “Paul”" sent
    # people trying other spellings of a name that is in no field of the program.
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(LCA)):
        answer = await fake.answer(await fake.send_command("author", name="Paul"))
    assert answer.ephemeral
    assert answer.data["content"] == (
        "linux.conf.au 2020 names no speakers for its talks, so /author finds no one; /paper"
        " and /search find its talks by title."
    )


async def test_about_names_an_icalendar_feed_not_its_generator(fake: FakeDiscord, tmp_path: Path):
    # lca2020.ics names no calendar; its PRODID (-//linux.conf.au/schedule//EN) is the
    # program that wrote it, and was shown as where the data came from.
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(LCA)):
        answer = await fake.answer(await fake.send_command("about"))
    fields = {f["name"]: f["value"] for f in answer.embeds[0]["fields"]}
    assert fields["Data"] == "The organisers' iCalendar feed from lca2020.ics."


async def test_status_says_what_went_out_in_words_and_names_the_source(
    fake: FakeDiscord, tmp_path: Path
):
    # /status said "1 sent, 11 pending" for every kind together, and not what it follows.
    organiser = {"user": fake.owner, "permissions": DEFAULT_PERMISSIONS | MANAGE_GUILD}
    env = {"CONFBOT_NOW": "2025-02-01T10:20", "CONFBOT_DELIVERY_PACE": "0"}
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM), **env) as bot:
        await fake.answer(await fake.send_command("announce channel", channel=fake.channel_id,
                                                  minutes_before=10, **organiser))  # fmt: skip
        await wait_for(lambda: bot.scheduler is not None and bot.scheduler.sent,
                       what="the 10:30 announcement")  # fmt: skip
        answer = await fake.answer(await fake.send_command("status", **organiser))
    fields = {f["name"]: f["value"] for f in answer.embeds[0]["fields"]}
    (line,) = fields["Announcement deliveries"].split("\n")
    assert re.fullmatch(r"Session announcements: \d+ planned, 1 sent", line), line
    assert fields["Program source"].startswith(f"Follows `{FOSDEM}`\n")


async def test_about_and_status_count_talks_by_rooms_and_days_not_sessions(
    fake: FakeDiscord, tmp_path: Path
):
    # FOSDEM's 72 blocks are rooms' days: "943 talks in 72 sessions" named sessions that
    # /session cannot find as such.
    organiser = {"user": fake.owner, "permissions": DEFAULT_PERMISSIONS | MANAGE_GUILD}
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM)):
        about = await fake.answer(await fake.send_command("about"))
        status = await fake.answer(await fake.send_command("status", **organiser))
    assert "\n943 talks in 29 rooms over 2 days. Times show" in about.embeds[0]["description"]
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Program"].startswith("943 talks in 29 rooms over 2 days, loaded")
