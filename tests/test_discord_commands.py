"""Slash command callbacks, autocomplete and the error path, on the real program."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.cog import ProgramCog
from bot.adapters.discord.tree import APOLOGY, NothingFound
from bot.adapters.discord.views import Paginator
from bot.clock import FixedClock
from bot.render import program_cards
from bot.service import ProgramService
from bot.service.results import ProgramSize
from bot.settings import Settings
from tests.conftest import COMMANDS, pacific
from tests.discord_mocks import make_interaction, sent
from tests.refusal_words import english

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


@pytest.fixture
async def bot(tmp_path: Path):
    settings = Settings.from_env({"CONFBOT_DB": str(tmp_path / "c.db")}, dotenv_path=tmp_path / "x")
    bot = ConfBot(settings, clock=FixedClock(pacific("2024-07-10T10:50")))
    await bot.setup_hook()
    yield bot
    await bot.close()


@pytest.fixture
def cog(bot: ConfBot) -> ProgramCog:
    cog = bot.get_cog("ProgramCog")
    assert isinstance(cog, ProgramCog)
    return cog


def embed_of(interaction) -> discord.Embed:
    return sent(interaction)["embed"]


# -- registration ---------------------------------------------------------------------


def test_every_command_is_registered(bot: ConfBot):
    names = {c.name for c in bot.tree.get_commands()}
    assert names == COMMANDS


def test_registration_payload_follows_discords_rules(bot: ConfBot):
    for command in bot.tree.get_commands():
        payload = command.to_dict(bot.tree)
        assert NAME.match(payload["name"])
        assert 1 <= len(payload["description"]) <= 100
        options = payload.get("options", [])
        assert len(options) <= 25
        required = [o.get("required", False) for o in options]
        assert required == sorted(required, reverse=True), "required options come first"
        for option in options:
            assert NAME.match(option["name"])
            assert 1 <= len(option["description"]) <= 100
            assert len(option.get("choices", [])) <= 25


SERVER_ONLY_COMMANDS = {
    "announce",
    "status",
    "publish-events",
    "stream",
    "qa",
    "ask",
    "questions",
    "program",
    "register",
    "tickets",
}


def test_attendee_commands_are_registered_for_servers_and_dms(bot: ConfBot):
    for command in bot.tree.get_commands():
        if command.name not in SERVER_ONLY_COMMANDS:
            assert set(command.to_dict(bot.tree)["contexts"]) == {0, 1, 2}, command.name


async def test_schedule_offers_the_conference_days_then_the_export(cog: ProgramCog):
    # Autocomplete, not fixed choices: each conference has its own days.
    choices = await cog.schedule_autocomplete(make_interaction(), "")
    values = [c.value for c in choices]
    assert values == ["2024-07-10", "2024-07-11", "2024-07-12", "export"]


async def test_schedule_autocomplete_narrows_to_what_is_typed(cog: ProgramCog):
    choices = await cog.schedule_autocomplete(make_interaction(), "thurs")
    assert [c.value for c in choices] == ["2024-07-11"]


async def test_schedule_takes_a_typed_weekday(cog: ProgramCog):
    interaction = make_interaction()
    await cog.schedule.callback(cog, interaction, day="Friday")
    assert "July 12" in sent(interaction)["embed"].title


async def test_schedule_refuses_a_day_outside_the_conference_naming_its_days(cog: ProgramCog):
    from bot.service import QueryError

    with pytest.raises(QueryError) as refused:
        await cog.schedule.callback(cog, make_interaction(), day="2024-08-01")
    assert re.search("its days are Wednesday, July 10", english(refused.value))


# -- commands -------------------------------------------------------------------------


async def test_next_at_1050_shows_sabre_on_now_and_nomad_next(cog: ProgramCog):
    interaction = make_interaction()
    await cog.next_.callback(cog, interaction)
    embed = embed_of(interaction)
    assert embed.fields[0].name.startswith("On now · Sabre")
    assert embed.fields[1].name.startswith("Next · NOMAD")
    assert "<t:1720634700:t>" in embed.fields[1].value  # 11:05 PDT, in each reader's zone
    assert "≈ 11:05–11:25 PDT" in embed.fields[1].value
    assert sent(interaction)["ephemeral"] is False


async def test_next_with_when_travels(cog: ProgramCog):
    interaction = make_interaction()
    await cog.next_.callback(cog, interaction, when="thursday 9:05")
    assert embed_of(interaction).fields[0].name.startswith("On now · Enabling Tensor")


async def test_next_with_unreadable_when_raises_a_user_error(cog: ProgramCog):
    from bot.service import WhenError

    with pytest.raises(WhenError) as refused:
        await cog.next_.callback(cog, make_interaction(), when="banana")
    assert re.search("Try 'now'", english(refused.value))


async def test_now_names_the_authors_presenting(cog: ProgramCog):
    interaction = make_interaction()
    await cog.now.callback(cog, interaction)
    assert "By Nikita Lazarev and Varun Gohil (MIT, CSAIL)" in embed_of(interaction).fields[0].value


async def test_paper_shows_everything_and_a_link_button(cog: ProgramCog):
    interaction = make_interaction()
    await cog.talk.callback(cog, interaction, title="servicelab")
    kwargs = sent(interaction)
    embed = kwargs["embed"]
    assert embed.title.startswith("ServiceLab")
    assert "Cloud Computing" in embed.description
    assert "🏆 **Best Paper**" in embed.description
    assert "(approximate)" in embed.description
    assert any(f.name == "Proceedings" and f.value == "page 545" for f in embed.fields)
    link, calendar = kwargs["view"].children
    assert link.url == "https://www.usenix.org/conference/osdi24/presentation/chow"
    assert calendar.custom_id == "ics:p:chow"


async def test_paper_with_no_match_raises_nothing_found_with_suggestions(cog: ProgramCog):
    with pytest.raises(NothingFound) as err:
        await cog.talk.callback(cog, make_interaction(), title="snapshot banana")
    assert err.value.answer.suggestions[0].startswith("Sabre")


async def test_author_with_misspelt_name_finds_the_person(cog: ProgramCog):
    interaction = make_interaction()
    await cog.author.callback(cog, interaction, name="christina delimitru")
    embed = embed_of(interaction)
    assert embed.title == "Christina Delimitrou"
    assert embed.fields[0].name.startswith("Sabre")
    assert "as MIT, CSAIL" in embed.fields[0].value


async def test_author_shared_surname_is_paginated_for_the_invoker(cog: ProgramCog):
    interaction = make_interaction(user_id=7)
    await cog.author.callback(cog, interaction, name="chen")
    view = sent(interaction)["view"]
    assert isinstance(view, Paginator)
    assert view.owner_id == 7 and len(view.cards) >= 8


async def test_session_lists_its_talks(cog: ProgramCog):
    interaction = make_interaction()
    await cog.session.callback(cog, interaction, name="s:formal-verification")
    assert [f.name.split(":")[0] for f in embed_of(interaction).fields][:2] == [
        "Automatically Reasoning About How Systems Code Uses the CPU Cache",
        "VERISMO",
    ]


async def test_schedule_shows_the_day_with_meals(cog: ProgramCog):
    interaction = make_interaction()
    await cog.schedule.callback(cog, interaction, day="2024-07-10")
    kwargs = sent(interaction)
    names = [f.name for f in kwargs["embed"].fields]
    assert any("Keynote" in n for n in names)
    assert any("Conference Luncheon" in n for n in names)


def followup_of(interaction) -> dict:
    interaction.followup.send.assert_awaited_once()
    return interaction.followup.send.await_args.kwargs


async def test_search_answers_publicly_without_deferring(cog: ProgramCog):
    interaction = make_interaction()
    await cog.search.callback(cog, interaction, query="EPFL")
    interaction.response.defer.assert_not_awaited()
    kwargs = sent(interaction)
    assert kwargs["ephemeral"] is False
    assert kwargs["embed"].fields[0].name == "Affiliation · EPFL"


async def test_empty_search_is_a_private_nothing_found_that_says_what_to_try(
    bot: ConfBot, cog: ProgramCog
):
    interaction = make_interaction()
    with pytest.raises(NothingFound) as err:
        await cog.search.callback(cog, interaction, query="zzzzqqq")
    interaction.response.defer.assert_not_awaited()
    command = bot.tree.get_command("search")
    await bot.tree.on_error(interaction, app_commands.CommandInvokeError(command, err.value))
    kwargs = sent(interaction)
    assert kwargs["ephemeral"] is True
    assert "No paper, person, affiliation or session matches “zzzzqqq”" in kwargs["content"]
    assert "Try a title word, a surname or an affiliation." in kwargs["content"]


async def test_about_says_times_are_derived_and_the_version(cog: ProgramCog):
    interaction = make_interaction()
    await cog.about.callback(cog, interaction)
    embed = embed_of(interaction)
    assert "derived" in embed.fields[0].value
    assert embed.footer.text.startswith("confbot ")


# -- autocomplete ---------------------------------------------------------------------


async def test_paper_autocomplete_resolves_exactly(cog: ProgramCog):
    choices = await cog.talk_autocomplete(make_interaction(), "lumnix")
    assert choices[0].name.startswith("Llumnix")
    interaction = make_interaction()
    await cog.talk.callback(cog, interaction, title=choices[0].value)
    assert embed_of(interaction).title.startswith("Llumnix")


async def test_empty_autocomplete_suggests_whats_coming_up(cog: ProgramCog):
    choices = await cog.talk_autocomplete(make_interaction(), "")
    assert [c.name.split(":")[0] for c in choices[:2]] == ["Sabre", "NOMAD"]


@pytest.mark.parametrize("typed", ["", "a", "memory", "x" * 500, "\x00", "@everyone"])
async def test_autocomplete_stays_within_discords_limits(cog: ProgramCog, typed: str):
    for handler in (cog.talk_autocomplete, cog.author_autocomplete, cog.session_autocomplete):
        choices = await handler(make_interaction(), typed)
        assert len(choices) <= 25
        assert all(1 <= len(c.name) <= 100 and len(c.value) <= 100 for c in choices)


async def test_long_titles_are_truncated_with_an_ellipsis(cog: ProgramCog):
    choices = await cog.talk_autocomplete(make_interaction(), "tensor language model")
    assert choices[0].name.endswith("…")
    assert len(choices[0].name) == 100


async def test_author_autocomplete_value_resolves_to_that_person(cog: ProgramCog):
    (choice, *_) = await cog.author_autocomplete(make_interaction(), "clem")
    interaction = make_interaction()
    await cog.author.callback(cog, interaction, name=choice.value)
    assert embed_of(interaction).title == "Clément Burgevin"


# -- safety and limits ----------------------------------------------------------------


@pytest.mark.parametrize("query", ["@everyone", "@here hi", "<@123>", "<@&456> role", "<#789>"])
async def test_mention_injection_pings_no_one(bot: ConfBot, cog: ProgramCog, query: str):
    for name, options in (("search", {"query": query}), ("paper", {"title": query})):
        interaction = make_interaction()
        command = bot.tree.get_command(name)
        try:
            await command.callback(cog, interaction, **options)
        except NothingFound as exc:  # answered by the one error path, as discord.py would
            await bot.tree.on_error(interaction, app_commands.CommandInvokeError(command, exc))
        assert sent(interaction)["allowed_mentions"].to_dict() == {"parse": []}, name


async def test_echoed_user_text_has_markdown_escaped(bot: ConfBot):
    interaction = make_interaction()
    from bot.service.results import NoMatch

    error = NothingFound(NoMatch("**bold** `code`", "paper", ()))
    await bot.tree.on_error(
        interaction, app_commands.CommandInvokeError(bot.tree.get_command("paper"), error)
    )
    assert r"\*\*bold\*\* \`code\`" in sent(interaction)["content"]


@pytest.mark.parametrize("query", ["hongmeng", "ransom access memories", "tensor language model"])
async def test_embeds_with_the_longest_titles_and_author_lists_fit(cog: ProgramCog, query: str):
    interaction = make_interaction()
    await cog.talk.callback(cog, interaction, title=query)
    embed = embed_of(interaction)
    assert len(embed) <= 6000
    assert len(embed.title) <= 256 and len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in embed.fields)


async def test_hongmeng_lists_all_fifteen_authors(cog: ProgramCog):
    interaction = make_interaction()
    await cog.talk.callback(cog, interaction, title="hongmeng")
    text = " ".join(f.value for f in embed_of(interaction).fields)
    assert "Haibo Chen" in text and "Fengwei Xu" in text
    assert text.count(",") + text.count(" and ") >= 14


# -- the error path -------------------------------------------------------------------


async def test_expected_error_gets_a_short_ephemeral_reason(bot: ConfBot):
    from bot.service import QueryError

    interaction = make_interaction()
    command = bot.tree.get_command("paper")
    await bot.tree.on_error(
        interaction, app_commands.CommandInvokeError(command, QueryError("Too long."))
    )
    kwargs = sent(interaction)
    assert kwargs["ephemeral"] is True and kwargs["content"] == "Too long."


async def test_unexpected_error_is_logged_and_apologised_for(bot: ConfBot, caplog):
    interaction = make_interaction()
    command = bot.tree.get_command("next")
    interaction.command = command
    with caplog.at_level(logging.ERROR):
        await bot.tree.on_error(
            interaction, app_commands.CommandInvokeError(command, KeyError("boom"))
        )
    assert sent(interaction)["content"] == APOLOGY
    assert sent(interaction)["ephemeral"] is True
    assert any(r.exc_info and "boom" in repr(r.exc_info[1]) for r in caplog.records)


async def test_error_after_an_answer_goes_as_an_ephemeral_followup(bot: ConfBot):
    interaction = make_interaction()
    interaction.response.is_done.return_value = True
    command = bot.tree.get_command("next")
    await bot.tree.on_error(interaction, app_commands.CommandInvokeError(command, RuntimeError()))
    interaction.followup.send.assert_awaited_once()
    assert interaction.followup.send.await_args.kwargs["ephemeral"] is True


# -- pagination -----------------------------------------------------------------------


async def test_only_the_invoker_can_turn_pages(cog: ProgramCog):
    interaction = make_interaction(user_id=1)
    await cog.author.callback(cog, interaction, name="chen")
    view: Paginator = sent(interaction)["view"]
    stranger = make_interaction(user_id=2)
    assert await view.interaction_check(stranger) is False
    assert sent(stranger)["ephemeral"] is True
    owner = make_interaction(user_id=1)
    assert await view.interaction_check(owner) is True
    await view.next.callback(owner)
    assert view.page == 1
    owner.response.edit_message.assert_awaited_once()


async def test_page_buttons_are_disabled_when_they_time_out(cog: ProgramCog):
    interaction = make_interaction()
    await cog.author.callback(cog, interaction, name="chen")
    view: Paginator = sent(interaction)["view"]
    await view.on_timeout()
    assert all(item.disabled for item in view.children)
    interaction.edit_original_response.assert_awaited_once()


def test_service_is_shared_not_global(bot: ConfBot, cog: ProgramCog):
    assert isinstance(bot.service, ProgramService)
    assert cog._service(make_interaction(), None) is bot.service


def test_about_names_every_command_for_finding_talks(service):
    (card,) = program_cards.about_cards(service.conference, "1", ProgramSize(1, 1))
    shown = next(f.value for f in card.fields if f.name == "Commands")
    for command in ("/next", "/now", "/paper", "/author", "/session", "/track", "/schedule",
                    "/search"):  # fmt: skip
        assert f"`{command}" in shown, command
