"""Every command, through discord.py's own gateway parsing, tree dispatch and HTTP,
against the real OSDI '24 program. Each test ends with no protocol errors (see the
`bot` fixture)."""

from __future__ import annotations

import pytest

from bot.adapters.discord.client import ConfBot
from tests.conftest import COMMANDS, pacific
from tests.fakediscord.server import DEFAULT_PERMISSIONS, EPHEMERAL, FakeDiscord

NO_PINGS = {"parse": []}


def custom_ids(message: dict) -> list[str]:
    return [
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if "custom_id" in c
    ]


async def test_bot_syncs_its_commands_and_the_fake_accepts_the_tree(fake: FakeDiscord, bot):
    names = {c["name"] for c in fake.guild_commands[fake.guild_id]}
    assert names == COMMANDS
    assert fake.global_commands == []  # never synced globally on start
    assert fake.command_syncs == 1


async def test_server_only_commands_are_registered_for_servers_only(fake: FakeDiscord, bot):
    """The payload Discord received, not a Python attribute: 0 = server, 1 = bot DM,
    2 = group DM or a DM between other people."""
    contexts = {c["name"]: c.get("contexts") for c in fake.guild_commands[fake.guild_id]}
    admin = {"announce", "status", "publish-events", "stream", "qa", "ask", "questions", "program",
             "register", "tickets"}  # fmt: skip
    for name in admin:
        assert contexts[name] == [0], name
    for name in COMMANDS - admin:
        assert sorted(contexts[name]) == [0, 1, 2], name


async def test_next_at_a_simulated_time(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("next"))
    assert answer.callback["type"] == 4
    (embed,) = answer.embeds
    assert embed["fields"][0]["name"].startswith("On now · Sabre")
    assert embed["fields"][1]["name"].startswith("Next · NOMAD")
    assert "≈ 11:05–11:25 PDT" in embed["fields"][1]["value"]


async def test_next_with_a_when_option(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("next", when="thursday 9:05"))
    assert answer.embeds[0]["fields"][0]["name"].startswith("On now · Enabling Tensor")


async def test_now_names_who_is_presenting(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("now"))
    assert "Nikita Lazarev" in answer.embeds[0]["fields"][0]["value"]


async def test_paper_with_a_misspelt_query(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("paper", title="sarthi serve"))
    (embed,) = answer.embeds
    assert embed["title"].startswith("Taming Throughput-Latency Tradeoff")
    (row,) = answer.data["components"]
    link, calendar = row["components"]
    assert link["style"] == 5
    assert link["url"].endswith("/presentation/agrawal")
    assert calendar["custom_id"] == "ics:p:agrawal"


async def test_author_with_a_misspelt_query(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("author", name="christina delimitru"))
    assert answer.embeds[0]["title"] == "Christina Delimitrou"


async def test_session_and_schedule(fake: FakeDiscord, bot):
    session = await fake.answer(await fake.send_command("session", name="formal verif"))
    assert session.embeds[0]["title"] == "Formal Verification"
    day = await fake.answer(await fake.send_command("schedule", day="2024-07-12"))
    (first_page,) = day.embeds
    assert first_page["footer"]["text"].startswith("Page 1 of 2")
    assert "`≈ 09:00` Session: Cloud Security" in [f["name"] for f in first_page["fields"]]
    _previous, _counter, next_id = custom_ids(day.message)
    turned = await fake.answer(await fake.click(day, next_id))
    names = [f["name"] for f in turned.data["embeds"][0]["fields"]]
    assert names[-1] == "`17:20` Remarks: Closing Remarks"


async def test_search_answers_in_the_channel(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("search", query="EPFL"))
    assert answer.callback["type"] == 4
    assert not answer.ephemeral
    assert answer.embeds[0]["fields"][0]["name"] == "Affiliation · EPFL"


@pytest.mark.parametrize(
    ("query", "says"),
    [("zzzzqqq", "No paper, person, affiliation or session matches"), ("x" * 250, "200 at most")],
)
async def test_search_errors_are_private(fake: FakeDiscord, bot, query: str, says: str):
    answer = await fake.answer(await fake.send_command("search", query=query))
    assert answer.callback["type"] == 4
    assert answer.ephemeral
    assert says in answer.data["content"]


async def _followed_up(interaction) -> None:
    import asyncio

    await asyncio.wait_for(interaction.followed_up.wait(), 5)


async def test_about_is_ephemeral(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("about"))
    assert answer.ephemeral
    assert "derived" in answer.embeds[0]["fields"][0]["value"]


async def test_commands_work_in_a_dm(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("paper", title="llumnix", dm=True))
    assert answer.embeds[0]["title"].startswith("Llumnix")


# -- autocomplete ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "option", "typed", "expected"),
    [
        ("paper", "title", "lumnix", "Llumnix"),
        ("paper", "title", "", "Sabre"),
        ("author", "name", "clem", "Clément Burgevin"),
        ("session", "name", "verif", "Formal Verification"),
    ],
)
async def test_autocomplete_value_resolves_to_the_chosen_item(
    fake: FakeDiscord, bot, command, option, typed, expected
):
    suggestions = await fake.answer(await fake.send_autocomplete(command, option, typed))
    assert suggestions.callback["type"] == 8
    choice = suggestions.choices[0]
    assert choice["name"].startswith(expected)
    answer = await fake.answer(await fake.send_command(command, **{option: choice["value"]}))
    assert answer.embeds[0]["title"].startswith(expected)


async def test_autocomplete_with_long_titles_truncates_names(fake: FakeDiscord, bot):
    suggestions = await fake.answer(await fake.send_autocomplete("paper", "title", "tensor"))
    assert all(len(c["name"]) <= 100 for c in suggestions.choices)
    assert any(c["name"].endswith("…") for c in suggestions.choices)


# -- pages ----------------------------------------------------------------------------


async def test_page_buttons_turn_for_the_invoker_only(fake: FakeDiscord, bot):
    first = await fake.answer(await fake.send_command("author", name="chen", user=fake.attendee))
    _previous, _counter, next_id = custom_ids(first.message)
    assert "Page 1 of" in first.embeds[0]["footer"]["text"]

    turned = await fake.answer(await fake.click(first, next_id, user=fake.attendee))
    assert turned.callback["type"] == 7  # the message is updated in place
    assert "Page 2 of" in turned.data["embeds"][0]["footer"]["text"]

    refused = await fake.answer(await fake.click(first, next_id, user=fake.owner))
    assert refused.callback["type"] == 4
    assert refused.ephemeral
    assert "Only the person who ran the command" in refused.data["content"]


# -- safety and errors ----------------------------------------------------------------


@pytest.mark.parametrize("query", ["@everyone look", "<@123> hi", "@here <@&456>"])
async def test_mention_injection_pings_no_one(fake: FakeDiscord, bot, query: str):
    search = await fake.answer(await fake.send_command("search", query=query + " epfl"))
    talk = await fake.answer(await fake.send_command("paper", title=query))
    for body in (search.callback, talk.callback):
        data = body.get("data", body)
        if "content" in data or "embeds" in data:
            assert data["allowed_mentions"] == NO_PINGS, data


async def test_no_match_is_an_ephemeral_answer_with_suggestions(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("paper", title="snapshot banana"))
    assert answer.ephemeral
    assert answer.data["content"].startswith("No paper matches")
    assert "Sabre" in answer.data["content"]


async def test_bad_when_is_an_ephemeral_explanation(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("next", when="banana"))
    assert answer.ephemeral and "Try 'now'" in answer.data["content"]


async def test_an_exception_in_a_command_is_answered_and_the_bot_keeps_serving(
    fake: FakeDiscord, bot: ConfBot, monkeypatch
):
    def explode(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(bot.service, "now", explode)
    broken = await fake.answer(await fake.send_command("now"))
    assert broken.ephemeral
    assert broken.data["content"].startswith("Sorry, something went wrong")
    fine = await fake.answer(await fake.send_command("paper", title="sabre"))
    assert fine.embeds[0]["title"].startswith("Sabre")
    assert not int(fine.data.get("flags") or 0) & EPHEMERAL


# -- faults ---------------------------------------------------------------------------


async def test_429_on_a_followup_is_retried(fake: FakeDiscord, bot):
    fake.now = pacific("2024-07-10T10:50")  # /publish-events defers, then follows up
    limit = fake.rate_limit_next("POST", "/webhooks/", retry_after=0.05)
    interaction = await fake.send_command(
        "publish-events", user=fake.owner, permissions=DEFAULT_PERMISSIONS | (1 << 33)
    )
    await fake.answer(interaction)
    await _followed_up(interaction)
    assert limit.hits == 1
    assert len(interaction.followups) == 1


async def test_429_on_a_callback_is_retried(fake: FakeDiscord, bot):
    limit = fake.rate_limit_next("POST", "/callback", retry_after=0.05)
    answer = await fake.answer(await fake.send_command("now"))
    assert limit.hits == 1
    assert len(answer.callbacks) == 1


async def test_page_buttons_are_disabled_through_original_when_they_time_out(
    fake: FakeDiscord, bot, monkeypatch
):
    from bot.adapters.discord import views
    from tests.e2e.conftest import wait_for

    original_init = views.Paginator.__init__

    def short_lived(self, cards, owner_id, timeout=views.PAGE_TIMEOUT, **words):
        original_init(self, cards, owner_id, timeout=0.2, **words)

    monkeypatch.setattr(views.Paginator, "__init__", short_lived)
    answer = await fake.answer(await fake.send_command("author", name="chen"))
    await wait_for(lambda: bool(answer.edits), timeout=5, what="the timeout edit")
    buttons = [c for row in answer.edits[-1]["components"] for c in row["components"]]
    assert buttons and all(b.get("disabled") for b in buttons)


def calendar_file(answer) -> bytes:
    (attachment,) = answer.callback["_files"]
    return attachment["content"]


async def test_add_to_calendar_sends_the_talk_as_a_private_ics(fake: FakeDiscord, bot):
    import icalendar

    talk = await fake.answer(await fake.send_command("paper", title="llumnix"))
    click = await fake.answer(await fake.click(talk, "ics:p:sun-biao"))
    assert click.ephemeral
    (event,) = icalendar.Calendar.from_ical(calendar_file(click)).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Llumnix")


async def export(fake: FakeDiscord, files: int = 1):
    from tests.e2e.conftest import wait_for

    interaction = await fake.answer(await fake.send_command("schedule", day="export"))
    await wait_for(lambda: len(interaction.followups) >= files, what=f"{files} followups")
    return interaction


def events_in(data: bytes) -> int:
    import icalendar

    return len(icalendar.Calendar.from_ical(data).walk("VEVENT"))


async def test_schedule_export_acknowledges_privately_then_sends_the_whole_program(
    fake: FakeDiscord, bot
):
    interaction = await export(fake)
    assert interaction.callback["type"] == 5  # acknowledged before any building
    assert interaction.ephemeral
    (followup,) = interaction.followups
    assert int(followup.get("flags") or 0) & EPHEMERAL
    (attachment,) = followup["_files"]
    assert attachment["filename"] == "osdi24-program.ics"
    assert events_in(attachment["content"]) == 76


async def test_the_program_calendar_is_built_off_the_event_loop_and_only_once(
    fake: FakeDiscord, bot, monkeypatch
):
    import threading

    from bot.render import ics

    on_main_thread: list[bool] = []
    real = ics.calendar

    def recording(*args, **kwargs):
        on_main_thread.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(ics, "calendar", recording)
    first, second = await export(fake), await export(fake)
    assert on_main_thread == [False]  # one build, in a worker thread; the second is cached
    assert first.followups[0]["_files"][0]["content"] == second.followups[0]["_files"][0]["content"]


async def test_a_program_over_the_upload_limit_comes_as_one_file_per_day(fake: FakeDiscord, bot):
    from bot.adapters.discord.calendar import ProgramCalendar

    calendars = ProgramCalendar()
    whole = await calendars.whole(bot.service, bot.clock.now())
    days = await calendars.by_day(bot.service, bot.clock.now())
    fake.attachment_size_limit = max(len(data) for _, data in days)
    assert fake.attachment_size_limit < len(whole)
    interaction = await export(fake, files=3)
    names = [f["_files"][0]["filename"] for f in interaction.followups]
    assert names == [f"osdi24-program-2024-07-{d}.ics" for d in (10, 11, 12)]
    assert "one per day" in interaction.followups[0]["content"]
    assert sum(events_in(f["_files"][0]["content"]) for f in interaction.followups) == 76


async def test_a_program_too_big_even_per_day_is_refused_with_one_sentence(fake: FakeDiscord, bot):
    fake.attachment_size_limit = 1000
    interaction = await export(fake)
    (followup,) = interaction.followups
    assert "_files" not in followup or not followup["_files"]
    assert "even one day of it is over Discord's 1 KB upload limit here" in followup["content"]
    assert "`python -m bot export-ics`" in followup["content"]


async def test_next_when_shows_what_was_typed_without_rendering_it(fake: FakeDiscord, bot):
    typed = "[click me](https://evil.example) **now**"
    answer = await fake.answer(await fake.send_command("next", when=typed))
    assert answer.ephemeral
    content = answer.data["content"]
    assert content.startswith(r"I can't read “\[click me\](https\://evil.example) \*\*now\*\*”.")


@pytest.mark.parametrize("typed", ["day ²", ",", "jul 99999999999999999999", "0001-01-01"])
async def test_next_when_that_used_to_crash_is_a_usage_error(fake: FakeDiscord, bot, typed: str):
    answer = await fake.answer(await fake.send_command("next", when=typed))
    assert answer.ephemeral
    assert not answer.data["content"].startswith("Sorry, something went wrong")


async def test_after_the_conference_the_answer_says_how_to_see_it_as_it_was(
    fake: FakeDiscord, tmp_path
):
    from tests.e2e.conftest import running_bot

    hint = "to see it as it was, ask `/next when: jul 10 11:00`."
    async with running_bot(fake, tmp_path, CONFBOT_NOW="2024-12-06T19:55"):
        for command in ("next", "now"):
            answer = await fake.answer(await fake.send_command(command))
            assert "OSDI '24 has ended." in answer.embeds[0]["description"]
            assert answer.embeds[0]["description"].endswith(hint) or (
                hint + " Thanks for coming!" in answer.embeds[0]["description"]
            )
        # the hint as written, in the option /next has
        then = await fake.answer(await fake.send_command("next", when="jul 10 11:00"))
        assert then.embeds[0]["fields"][0]["name"].startswith("On now · Sabre")
