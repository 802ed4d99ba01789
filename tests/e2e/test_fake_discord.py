"""The fake itself: its checks must fail when Discord's would, or the e2e tests prove nothing."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
import pytest

from tests.e2e.conftest import wait_for
from tests.fakediscord.server import TOKEN, FakeDiscord

AUTH = {"Authorization": f"Bot {TOKEN}"}


async def deliver(fake: FakeDiscord, kind: int = 2):
    fake.global_commands = [
        {
            "id": "1",
            "name": "next",
            "type": 1,
            "options": [{"name": "when", "type": 3, "description": "d", "autocomplete": True}],
        }
    ]
    if kind == 4:
        return await fake.send_autocomplete("next", "when", "x")
    return await fake.send_command("next")


def callback_url(fake: FakeDiscord, interaction) -> str:
    return f"{fake.base_url}/api/v10/interactions/{interaction.id}/{interaction.token}/callback"


async def test_json_responses_have_the_exact_content_type(fake: FakeDiscord):
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{fake.base_url}/api/v10/users/@me", headers=AUTH)
        assert response.headers["Content-Type"] == "application/json"
        assert (await http.get(f"{fake.base_url}/api/v10/users/@me")).status == 401


async def test_a_message_answered_late_is_kept_at_once(fake: FakeDiscord):
    url = f"{fake.base_url}/api/v10/channels/{fake.second_channel_id}/messages"
    fake.answering_messages.clear()
    async with aiohttp.ClientSession() as http:
        posting = asyncio.create_task(http.post(url, json={"content": "hi"}, headers=AUTH))
        await wait_for(lambda: fake.held_messages == 1, what="the message held")
        assert [m["content"] for m in fake.channel_messages[fake.second_channel_id]] == ["hi"]
        assert not posting.done()
        fake.answering_messages.set()
        assert (await posting).status == 200
    assert fake.held_messages == 0


async def test_unknown_route_is_a_protocol_error(fake: FakeDiscord):
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{fake.base_url}/api/v10/guilds/1/audit-logs", headers=AUTH)
    assert response.status == 404
    assert fake.protocol_errors == ["unimplemented route GET /guilds/1/audit-logs"]


async def test_multipart_callback_with_a_file_is_read(fake: FakeDiscord):
    interaction = await deliver(fake)
    form = aiohttp.FormData()
    body = {"type": 4, "data": {"content": "here", "attachments": [{"id": 0, "filename": "a.ics"}]}}
    form.add_field("payload_json", json.dumps(body), content_type="application/json")
    form.add_field("files[0]", b"BEGIN:VCALENDAR", filename="a.ics")
    async with aiohttp.ClientSession() as http:
        response = await http.post(callback_url(fake, interaction), data=form)
    assert response.status == 200
    assert interaction.callback["_files"][0]["content"] == b"BEGIN:VCALENDAR"
    assert not fake.protocol_errors


async def test_double_acknowledgement_is_refused_and_recorded(fake: FakeDiscord):
    interaction = await deliver(fake)
    async with aiohttp.ClientSession() as http:
        first = await http.post(callback_url(fake, interaction), json={"type": 5})
        second = await http.post(callback_url(fake, interaction), json={"type": 5})
    assert first.status == 200
    assert second.status == 400
    assert (await second.json())["code"] == 40060
    assert "acknowledged twice" in fake.protocol_errors[0]


async def test_late_acknowledgement_is_refused_and_recorded(fake: FakeDiscord):
    interaction = await deliver(fake)
    interaction.delivered_at -= 3.5  # as if it had arrived 3.5 s ago
    async with aiohttp.ClientSession() as http:
        response = await http.post(callback_url(fake, interaction), json={"type": 5})
    assert (await response.json())["code"] == 10062
    # 3.5 s ago plus however long the request took on a busy machine
    assert re.search(r"after 3\.[5-9]\d s", fake.protocol_errors[0]), fake.protocol_errors


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"content": "x" * 2001}, "content of 2001"),
        ({"embeds": [{"title": "t" * 257}]}, "embed title of 257"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "field value of 1025"),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2500}]}, "6500 characters"),
    ],
)
async def test_oversized_messages_are_recorded(fake: FakeDiscord, data, problem):
    interaction = await deliver(fake)
    async with aiohttp.ClientSession() as http:
        await http.post(callback_url(fake, interaction), json={"type": 4, "data": data})
    assert any(problem in p for p in fake.protocol_errors), fake.protocol_errors


def _row(*items: dict) -> dict:
    return {"type": 1, "components": list(items)}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"content": "x", "components": [_row({"type": 2, "style": 1, "custom_id": "a",
                                                "label": "L" * 81})]}, "button label of 81"),
        ({"content": "x", "components": [_row(*[{"type": 2, "style": 1, "custom_id": str(i),
                                                  "label": "b"} for i in range(6)])]},
         "6 components"),
        ({"content": "x", "components": [_row({"type": 2, "style": 1, "custom_id": "c" * 101,
                                                "label": "b"})]}, "custom_id of 101"),
        ({"content": "x", "components": [_row({"type": 3, "custom_id": "s",
                                                "placeholder": "p" * 151,
                                                "options": [{"label": "a", "value": "a"}]})]},
         "select placeholder of 151"),
        ({"content": "x", "components": [_row({"type": 3, "custom_id": "s", "options": [
            {"label": "o" * 101, "value": "a"}]})]}, "select option label"),
    ],
)  # fmt: skip
async def test_components_discord_refuses_are_recorded(fake: FakeDiscord, data, problem):
    interaction = await deliver(fake)
    async with aiohttp.ClientSession() as http:
        await http.post(callback_url(fake, interaction), json={"type": 4, "data": data})
    assert any(problem in p for p in fake.protocol_errors), fake.protocol_errors


@pytest.mark.parametrize(
    ("text_input", "problem"),
    [
        ({"label": "L" * 46}, "of 46 characters"),
        ({"label": "l", "placeholder": "P" * 101}, "of 101 characters"),
        ({"label": "l", "value": "v" * 4001}, "value of 4001"),
    ],
)
async def test_a_modal_text_input_discord_refuses_is_recorded(
    fake: FakeDiscord, text_input, problem
):
    interaction = await deliver(fake)
    modal = {"title": "t", "custom_id": "m", "components": [
        _row({"type": 4, "custom_id": "q", "style": 1, **text_input})]}  # fmt: skip
    async with aiohttp.ClientSession() as http:
        await http.post(callback_url(fake, interaction), json={"type": 9, "data": modal})
    assert any(problem in p for p in fake.protocol_errors), fake.protocol_errors


async def test_too_many_or_too_long_choices_are_recorded(fake: FakeDiscord):
    interaction = await deliver(fake, kind=4)
    choices = [{"name": "n" * 101, "value": "v"}] + [{"name": "a", "value": "b"}] * 25
    async with aiohttp.ClientSession() as http:
        await http.post(
            callback_url(fake, interaction), json={"type": 8, "data": {"choices": choices}}
        )
    assert any("26 choices" in p for p in fake.protocol_errors)
    assert any("choice name of 101" in p for p in fake.protocol_errors)


async def test_a_message_answer_to_autocomplete_does_not_fit(fake: FakeDiscord):
    interaction = await deliver(fake, kind=4)
    async with aiohttp.ClientSession() as http:
        await http.post(callback_url(fake, interaction), json={"type": 4, "data": {"content": "x"}})
    assert "does not fit" in fake.protocol_errors[0]


async def test_followup_before_acknowledgement_is_recorded(fake: FakeDiscord):
    interaction = await deliver(fake)
    url = f"{fake.base_url}/api/v10/webhooks/{fake.application_id}/{interaction.token}"
    async with aiohttp.ClientSession() as http:
        response = await http.post(url, json={"content": "too early"})
    assert response.status == 404
    assert "before acknowledging" in fake.protocol_errors[0]


async def test_bad_command_tree_is_refused_with_50035(fake: FakeDiscord):
    url = f"{fake.base_url}/api/v10/applications/{fake.application_id}/commands"
    bad = [
        {
            "name": "Bad Name",
            "description": "",
            "type": 1,
            "options": [
                {"name": "a", "type": 3, "description": "d"},
                {"name": "b", "type": 3, "description": "d", "required": True},
            ],
        }
    ]
    async with aiohttp.ClientSession() as http:
        response = await http.put(url, json=bad, headers=AUTH)
    assert response.status == 400
    assert (await response.json())["code"] == 50035
    problems = fake.protocol_errors[0]
    assert "name must match" in problems
    assert "description must be 1-100" in problems
    assert "required option after an optional one" in problems


async def test_channel_and_dm_messages_are_recorded(fake: FakeDiscord):
    async with aiohttp.ClientSession(headers=AUTH) as http:
        dm = await (
            await http.post(
                f"{fake.base_url}/api/v10/users/@me/channels",
                json={"recipient_id": fake.attendee["id"]},
            )
        ).json()
        await http.post(
            f"{fake.base_url}/api/v10/channels/{dm['id']}/messages", json={"content": "hi"}
        )
        await http.post(
            f"{fake.base_url}/api/v10/channels/{fake.channel_id}/messages",
            json={"content": "session starts"},
        )
        unknown = await http.post(
            f"{fake.base_url}/api/v10/channels/1/messages", json={"content": "x"}
        )
    assert unknown.status == 404
    assert fake.channel_messages[int(dm["id"])][0]["content"] == "hi"
    assert fake.channel_messages[fake.channel_id][0]["content"] == "session starts"


def link_button(url: str) -> dict[str, object]:
    return {"type": 1, "components": [{"type": 2, "style": 5, "label": "Page", "url": url}]}


@pytest.mark.parametrize(
    ("data", "where", "code"),
    [
        ({"embeds": [{"title": "t", "url": "https://example.org/a b c"}]},
         ["embeds", "0", "url"], "URL_TYPE_INVALID_URL"),
        ({"embeds": [{"title": "t", "url": "ftp://example.org/x"}]},
         ["embeds", "0", "url"], "URL_TYPE_INVALID_SCHEME"),
        ({"embeds": [{"title": "t", "url": "http://localhost:3000/x"}]},
         ["embeds", "0", "url"], "URL_TYPE_INVALID_URL"),
        ({"embeds": [{"title": "t", "url": "https://example.org/" + "x" * 2029}]},
         ["embeds", "0", "url"], "BASE_TYPE_MAX_LENGTH"),
        ({"components": [link_button("https://example.org/" + "x" * 493)]},
         ["components", "0", "components", "0", "url"], "BASE_TYPE_MAX_LENGTH"),
        ({"components": [link_button("https://example.org/a b")]},
         ["components", "0", "components", "0", "url"], "URL_TYPE_INVALID_URL"),
    ],
)  # fmt: skip
async def test_a_link_discord_does_not_take_is_refused_with_50035(
    fake: FakeDiscord, data, where, code
):
    interaction = await deliver(fake)
    async with aiohttp.ClientSession() as http:
        response = await http.post(callback_url(fake, interaction), json={"type": 4, "data": data})
        refused = await response.json()
    assert response.status == 400
    assert refused["code"] == 50035
    errors = refused["errors"]["data"]  # an interaction's message is under "data"
    for key in where:
        errors = errors[key]
    assert errors["_errors"][0]["code"] == code
    assert not interaction.callbacks  # the whole message is lost
    assert "a link Discord refuses" in fake.protocol_errors[0]


async def test_links_discord_takes_are_delivered(fake: FakeDiscord):
    async with aiohttp.ClientSession(headers=AUTH) as http:
        response = await http.post(
            f"{fake.base_url}/api/v10/channels/{fake.channel_id}/messages",
            json={"embeds": [{"title": "t", "url": "https://example.org/a%20b%20c"}],
                  "components": [link_button("https://example.org/" + "x" * 492),
                                 link_button("discord://-/channels/1/2")]},
        )  # fmt: skip
        refused = await http.post(
            f"{fake.base_url}/api/v10/channels/{fake.channel_id}/messages",
            json={"embeds": [{"title": "t", "url": "https://example.org/a b"}]},
        )
    assert response.status == 200
    assert refused.status == 400
    assert (await refused.json())["errors"]["embeds"]["0"]["url"]["_errors"]
    assert len(fake.channel_messages[fake.channel_id]) == 1
    assert len(fake.protocol_errors) == 1


def test_two_commands_sharing_a_localised_name_are_refused():
    from tests.fakediscord import rules

    commands = [
        {"name": "next", "description": "d", "type": 1, "name_localizations": {"de": "weiter"}},
        {"name": "more", "description": "d", "type": 1, "name_localizations": {"de": "weiter"}},
        {"name": "more", "type": 2},  # a user command may share a slash command's name
    ]
    assert rules.tree_problems(commands) == ["two commands share a name in de: ['weiter']"]
    assert "two commands share a name" in rules.tree_problems(commands[:1] * 2)


def test_a_command_over_4000_characters_in_one_locale_is_refused():
    from tests.fakediscord import rules

    options = [
        {
            "name": f"o{n}",
            "description": "d" * 90,
            "type": 3,
            "description_localizations": {"de": "D" * 100},
        }
        for n in range(25)
    ]
    command = {"name": "long", "description": "d", "type": 1, "options": options,
               "description_localizations": {"de": "D"}}  # fmt: skip
    assert rules.command_problems(command) == []  # 2,320 in English, 2,570 in German
    for option in options:
        option["choices"] = [{"name": "c" * 30, "value": "v" * 30,
                              "name_localizations": {"de": "C" * 40}}]  # fmt: skip
    (problem,) = rules.command_problems(command)
    assert "4320 characters" in problem and "in de" in problem, problem  # 3,820 in English
