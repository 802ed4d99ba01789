"""The pretix settings: one event address and token per program of CONFBOT_PROGRAM, read
strictly, failing fast in one sentence; the token never shown (repr, errors, logs)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import cli
from bot.adapters.discord import runner
from bot.secret import Secret
from bot.settings import Settings, SettingsError
from tests.conftest import PROGRAM_DIR

TOKEN = "s3cr3ttoken" + "a" * 53
URL = "https://pretix.eu/api/v1/organizers/democon/events/dc25/"


def read(**values: str) -> Settings:
    return Settings.from_mapping(values)


def test_one_conference_one_event():
    settings = read(CONFBOT_PRETIX_EVENT_URL=URL.rstrip("/"), CONFBOT_PRETIX_TOKEN=TOKEN)
    event = settings.sources[0].pretix
    assert event is not None
    assert (event.url, event.organizer, event.event) == (URL, "democon", "dc25")
    assert event.token.reveal() == TOKEN
    assert settings.pretix_interval == 300 and settings.pretix_hash_key is None
    # As each conference's start-up sees its source.
    assert settings.for_source(settings.sources[0]).sources[0].pretix == event


def test_no_event_by_default():
    assert Settings.from_mapping({}).sources[0].pretix is None


def test_several_conferences_name_their_events_in_the_programs_order(tmp_path: Path):
    other = tmp_path / "other"
    other.mkdir()
    for name in ("program.txt", "schedule.json"):
        (other / name).write_bytes((PROGRAM_DIR / name).read_bytes())
    programs = f"{PROGRAM_DIR},{other},https://pretalx.example/c/schedule.json"
    second = "https://tickets.example.org/api/v1/organizers/o/events/e2/"
    settings = read(CONFBOT_PROGRAM=programs, CONFBOT_PRETIX_EVENT_URL=f"{URL}, -, {second}",
                    CONFBOT_PRETIX_TOKEN=f"{TOKEN},-,{'b' * 40}")  # fmt: skip
    events = [s.pretix for s in settings.sources]
    assert events[1] is None
    assert events[0] is not None and events[0].event == "dc25"
    assert events[2] is not None and events[2].token.reveal() == "b" * 40
    shared = read(CONFBOT_PROGRAM=programs, CONFBOT_PRETIX_EVENT_URL=f"{URL},,{second}",
                  CONFBOT_PRETIX_TOKEN=TOKEN)  # fmt: skip
    assert [s.pretix.token.reveal() if s.pretix else None for s in shared.sources] == [
        TOKEN, None, TOKEN,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"CONFBOT_PRETIX_TOKEN": TOKEN}, "TOKEN is set but CONFBOT_PRETIX_EVENT_URL is not"),
        ({"CONFBOT_PRETIX_EVENT_URL": URL}, "EVENT_URL is set but CONFBOT_PRETIX_TOKEN is not"),
        ({"CONFBOT_PRETIX_EVENT_URL": f"{URL},{URL}", "CONFBOT_PRETIX_TOKEN": TOKEN},
         "lists 2 event(s) for the 1 program(s)"),
        ({"CONFBOT_PRETIX_EVENT_URL": URL, "CONFBOT_PRETIX_TOKEN": f"{TOKEN},{TOKEN}"},
         "lists 2 tokens for the 1 entries"),
        ({"CONFBOT_PRETIX_EVENT_URL": URL.replace("https", "http"), "CONFBOT_PRETIX_TOKEN": TOKEN},
         "must be https"),
        ({"CONFBOT_PRETIX_EVENT_URL": URL + "?x=1", "CONFBOT_PRETIX_TOKEN": TOKEN},
         "no user, query or fragment"),
        ({"CONFBOT_PRETIX_EVENT_URL": "https://pretix.eu/democon/dc25/",
          "CONFBOT_PRETIX_TOKEN": TOKEN}, "is not an event's API address"),
        ({"CONFBOT_PRETIX_EVENT_URL": "pretix.eu", "CONFBOT_PRETIX_TOKEN": TOKEN},
         "not an http or https address"),
        ({"CONFBOT_PRETIX_EVENT_URL": URL, "CONFBOT_PRETIX_TOKEN": "short"},
         "not a pretix API token"),
        ({"CONFBOT_PRETIX_EVENT_URL": URL, "CONFBOT_PRETIX_TOKEN": TOKEN + " x"},
         "not a pretix API token"),
        ({"CONFBOT_PRETIX_INTERVAL": "5"}, "CONFBOT_PRETIX_INTERVAL must be seconds from 30"),
        ({"CONFBOT_PRETIX_HASH_KEY": "too-short"}, "CONFBOT_PRETIX_HASH_KEY must be at least 32"),
    ],
)  # fmt: skip
def test_a_wrong_setting_fails_fast_in_one_sentence_without_the_secret(values, words: str):
    with pytest.raises(SettingsError) as caught:
        read(**values)
    text = str(caught.value)
    assert words in text and "\n" not in text
    assert TOKEN not in text and "short" not in text.replace("shorter", "")
    assert "too-short" not in text


@pytest.mark.parametrize(
    ("address", "words"),
    [
        (f"{URL}?token={TOKEN}", "no user, query or fragment"),
        (URL.replace("https://", f"https://democon:{TOKEN}@"), "no user, query or fragment"),
        (f"{URL}#{TOKEN}", "no user, query or fragment"),
        (URL.replace("https://", f"http://democon:{TOKEN}@"), "must be https"),
    ],
)
def test_a_token_pasted_into_the_event_address_is_not_repeated(address: str, words: str):
    """The token put where it does not belong (the address's query, its user part):
    refused, and the sentence names the address without it."""
    with pytest.raises(SettingsError) as caught:
        read(CONFBOT_PRETIX_EVENT_URL=address, CONFBOT_PRETIX_TOKEN=TOKEN)
    text = str(caught.value)
    assert words in text and "pretix.eu/api/v1/organizers/democon/events/dc25/" in text
    assert TOKEN not in text and TOKEN[:16] not in text


def test_a_bad_token_is_named_by_its_event_among_the_events(tmp_path: Path):
    """With a conference without tickets ('-') listed first, the second entry's token is
    the first event's: "event 1 of 1", never "event 2 of 1"."""
    other = tmp_path / "other"
    other.mkdir()
    for name in ("program.txt", "schedule.json"):
        (other / name).write_bytes((PROGRAM_DIR / name).read_bytes())
    with pytest.raises(SettingsError) as caught:
        read(CONFBOT_PROGRAM=f"{PROGRAM_DIR},{other}", CONFBOT_PRETIX_EVENT_URL=f"-,{URL}",
             CONFBOT_PRETIX_TOKEN="-,short")  # fmt: skip
    assert "the token for event 1 of 1 is not a pretix API token" in str(caught.value)


def test_http_is_allowed_on_this_machine_only():
    local = URL.replace("https://pretix.eu", "http://127.0.0.1:8000")
    settings = read(CONFBOT_PRETIX_EVENT_URL=local, CONFBOT_PRETIX_TOKEN=TOKEN)
    assert settings.sources[0].pretix is not None


def test_the_token_and_the_key_never_show(caplog: pytest.LogCaptureFixture):
    key = "k" * 40
    settings = read(CONFBOT_PRETIX_EVENT_URL=URL, CONFBOT_PRETIX_TOKEN=TOKEN,
                    CONFBOT_PRETIX_HASH_KEY=key)  # fmt: skip
    event = settings.sources[0].pretix
    assert event is not None and settings.pretix_hash_key is not None
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("settings %s %r %s", settings, settings, event)
    for shown in (repr(settings), str(settings), repr(event), f"{event.token}", caplog.text):
        assert TOKEN not in shown and key not in shown
    assert "<hidden>" in repr(event)
    assert Secret(TOKEN) == event.token and Secret("other") != event.token


def test_a_wrong_pretix_setting_stops_the_start_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("CONFBOT_PRETIX_EVENT_URL", URL)
    monkeypatch.setenv("CONFBOT_PRETIX_TOKEN", "x")
    monkeypatch.setattr(runner, "run_bot", lambda settings: pytest.fail("the bot started"))
    assert cli.main(["run"]) == cli.USAGE_ERROR
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("confbot: CONFBOT_PRETIX_TOKEN: the token for event 1 of 1 is not")
