"""`python -m bot invite`: the address that adds the bot with exactly the scopes and the
permissions its features use (Manage Roles only when ticket roles need it), and one
sentence when the application id is missing."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.adapters.discord.invite import NEEDS, SCOPES, TICKET_NEEDS, invite_url, permissions
from bot.cli import main
from bot.settings import Settings, SettingsError
from tests.conftest import ROOT

# Discord's bits (discord.com/developers/docs/topics/permissions), written out here so the
# integer is checked against the documentation rather than against discord.py alone.
EXPECTED_BITS = {
    "add_reactions": 1 << 6,
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "embed_links": 1 << 14,
    "read_message_history": 1 << 16,
    "manage_threads": 1 << 34,
    "send_messages_in_threads": 1 << 38,
    "create_events": 1 << 44,
}
APPLICATION_ID = 1234567890123456789
MANAGE_ROLES = 1 << 28
PRETIX = {"CONFBOT_PRETIX_EVENT_URL": "https://pretix.eu/api/v1/organizers/democon/events/dc25/",
          "CONFBOT_PRETIX_TOKEN": "t" * 40}  # fmt: skip


def test_the_integer_is_the_named_flags_and_nothing_else():
    assert {need.flag for need in NEEDS} == set(EXPECTED_BITS)
    assert permissions().value == sum(EXPECTED_BITS.values()) == 17884243905600
    # Iterating lists each bit once; discord.py names View Channels read_messages there.
    granted = {"view_channel" if name == "read_messages" else name
               for name, on in permissions() if on}  # fmt: skip
    assert granted == set(EXPECTED_BITS)


def test_no_permission_beyond_the_features():
    """Least privilege: without ticket roles, nothing that changes the server."""
    granted = permissions()
    for risky in ("administrator", "manage_guild", "manage_channels", "manage_messages",
                  "manage_roles", "mention_everyone", "manage_events", "attach_files",
                  "create_public_threads", "kick_members", "ban_members"):  # fmt: skip
        assert not getattr(granted, risky), risky


def test_ticket_roles_add_manage_roles_and_nothing_else():
    """A conference with a pretix event gives roles: Manage Roles, and only it, is added
    (the other risky permissions stay out)."""
    assert {need.flag for need in TICKET_NEEDS} == {"manage_roles"}
    assert permissions(tickets=True).value == permissions().value | MANAGE_ROLES
    granted = permissions(tickets=True)
    for risky in ("administrator", "manage_guild", "manage_channels", "manage_messages",
                  "mention_everyone", "kick_members", "ban_members"):  # fmt: skip
        assert not getattr(granted, risky), risky
    query = parse_qs(urlsplit(invite_url(APPLICATION_ID, tickets=True)).query)
    assert query["permissions"] == [str(permissions().value | MANAGE_ROLES)]


def test_the_address_parses_with_the_scopes_and_permissions():
    parts = urlsplit(invite_url(APPLICATION_ID))
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(parts.query)
    assert query["client_id"] == [str(APPLICATION_ID)]
    assert query["scope"][0].split() == ["bot", "applications.commands"] == list(SCOPES)
    assert query["permissions"] == [str(permissions().value)]


def test_every_permission_the_bot_checks_for_itself_is_asked_for():
    """Where a command checks up front that the bot may post (`permissions_for(me)`), each
    permission it checks must be one the invite asks for."""
    checked: set[str] = set()
    for path in (ROOT / "bot" / "adapters" / "discord").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "permissions_for(me)" in text:
            checked |= set(re.findall(r"\bperms\.(\w+)", text))
    assert checked, "no permission check found: has the check moved?"
    assert checked <= {need.flag for need in NEEDS}


def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    for name in ("DISCORD_CLIENT_ID", "CONFBOT_PROGRAM", *PRETIX):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_invite_prints_the_address_alone(monkeypatch, tmp_path, capsys):
    _isolated(monkeypatch, tmp_path, DISCORD_CLIENT_ID=str(APPLICATION_ID))
    assert main(["invite"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert out == invite_url(APPLICATION_ID) + "\n"
    assert captured.err == ""  # no ticket roles: nothing to explain, no Manage Roles


def test_with_a_pretix_event_invite_asks_for_manage_roles_and_says_why(
    monkeypatch, tmp_path, capsys
):
    _isolated(monkeypatch, tmp_path, DISCORD_CLIENT_ID=str(APPLICATION_ID), **PRETIX)
    assert main(["invite"]) == 0
    captured = capsys.readouterr()
    assert captured.out == invite_url(APPLICATION_ID, tickets=True) + "\n"  # still alone
    query = parse_qs(urlsplit(captured.out.strip()).query)
    assert int(query["permissions"][0]) & MANAGE_ROLES
    assert captured.err.count("\n") == 1
    assert "Manage Roles" in captured.err and "CONFBOT_PRETIX_EVENT_URL" in captured.err
    assert "dc25" in captured.err and PRETIX["CONFBOT_PRETIX_TOKEN"] not in captured.err


def test_invite_without_an_application_id_is_one_sentence(monkeypatch, tmp_path, capsys):
    _isolated(monkeypatch, tmp_path)
    assert main(["invite"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "DISCORD_CLIENT_ID is not set" in captured.err


def test_a_client_id_that_is_not_digits_names_the_variable():
    with pytest.raises(SettingsError, match="DISCORD_CLIENT_ID"):
        Settings.from_mapping({"DISCORD_CLIENT_ID": "my-bot"})
    assert Settings.from_mapping({"DISCORD_CLIENT_ID": "42"}).discord_client_id == 42
