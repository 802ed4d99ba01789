"""Settings come from the environment and .env, and fail fast with a clear sentence."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.adapters.discord import runner
from bot.app import open_program
from bot.settings import BUNDLED_PROGRAM, Settings, SettingsError
from tests.conftest import ROOT


def test_defaults_use_the_bundled_program(tmp_path: Path):
    settings = Settings.from_env({}, dotenv_path=tmp_path / "none")
    assert settings.program == BUNDLED_PROGRAM
    assert settings.discord_token is None
    assert settings.guild_id is None


def test_environment_wins_over_dotenv(tmp_path: Path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("CONFBOT_GUILD_ID=1\nLOG_LEVEL=debug\n")
    settings = Settings.from_env({"CONFBOT_GUILD_ID": "2"}, dotenv_path=dotenv)
    assert settings.guild_id == 2
    assert settings.log_level == "DEBUG"


def test_token_never_appears_in_repr(tmp_path: Path):
    settings = Settings.from_env({"DISCORD_TOKEN": "secret-token-123"}, dotenv_path=tmp_path / "x")
    assert settings.discord_token == "secret-token-123"
    assert "secret-token-123" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"CONFBOT_GUILD_ID": "abc"}, "CONFBOT_GUILD_ID"),
        ({"CONFBOT_NOW": "yesterday-ish"}, "CONFBOT_NOW"),
        ({"CONFBOT_NOW": "0001-01-01T00:00"}, "CONFBOT_NOW"),
        ({"CONFBOT_NOW": "9999-12-31T23:59-12:00"}, "CONFBOT_NOW"),
        ({"CONFBOT_MAX_REMINDERS": "lots"}, "CONFBOT_MAX_REMINDERS"),
        ({"CONFBOT_TIMEZONE": "Nowhere/Zone"}, "CONFBOT_TIMEZONE"),
        ({"CONFBOT_TIMEZONE": "America"}, "CONFBOT_TIMEZONE"),  # a folder of zones
        ({"CONFBOT_MAX_REMINDERS": "0"}, "CONFBOT_MAX_REMINDERS"),
        ({"CONFBOT_MAX_REMINDERS": "²"}, "CONFBOT_MAX_REMINDERS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"CONFBOT_DELIVERY_PACE": "fast"}, "CONFBOT_DELIVERY_PACE"),
        ({"CONFBOT_DELIVERY_PACE": "-1"}, "CONFBOT_DELIVERY_PACE"),
        ({"CONFBOT_TEST_DISCORD_URL": "http://10.0.0.5:80"}, "CONFBOT_TEST_DISCORD_URL"),
    ],
)
def test_bad_values_fail_fast_naming_the_variable(tmp_path: Path, env, names):
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env, dotenv_path=tmp_path / "none")


async def test_a_missing_program_fails_at_start_naming_the_variable(tmp_path: Path):
    """Checked once the state database is at hand, not while reading the settings: a path
    the disk lost may be served from the version the state kept (bot.live.restore)."""
    settings = Settings.from_env({"CONFBOT_PROGRAM": "/no/such/dir",
                                  "CONFBOT_DB": str(tmp_path / "c.db")},
                                 dotenv_path=tmp_path / "none")  # fmt: skip
    with pytest.raises(SettingsError, match="CONFBOT_PROGRAM"):
        await open_program(settings)


def test_simulated_now_is_read(tmp_path: Path):
    settings = Settings.from_env({"CONFBOT_NOW": "2024-07-10T10:50"}, dotenv_path=tmp_path / "x")
    assert settings.simulated_now is not None and settings.simulated_now.hour == 10


def test_state_database_sits_next_to_the_program_database(tmp_path: Path):
    settings = Settings.from_env({"CONFBOT_DB": str(tmp_path / "x.db")}, dotenv_path=tmp_path / "n")
    assert settings.state_db == tmp_path / "x-state.db"
    assert settings.delivery_pace == 0.1


def test_reminder_cap_defaults_to_200_and_can_be_set(tmp_path: Path):
    assert Settings.from_env({}, dotenv_path=tmp_path / "n").max_reminders == 200
    chosen = Settings.from_env({"CONFBOT_MAX_REMINDERS": "5"}, dotenv_path=tmp_path / "n")
    assert chosen.max_reminders == 5


def test_a_program_at_an_address_is_followed_from_a_copy_beside_the_database(tmp_path):
    settings = Settings.from_mapping({"CONFBOT_PROGRAM": "https://pretalx.example/c/schedule.json",
                                      "CONFBOT_DB": str(tmp_path / "c.db")})  # fmt: skip
    assert settings.program_url == "https://pretalx.example/c/schedule.json"
    assert settings.program == tmp_path / "c-source"


def test_the_sync_interval_is_checked():
    with pytest.raises(SettingsError, match="CONFBOT_SYNC_INTERVAL must be seconds from 1"):
        Settings.from_mapping({"CONFBOT_SYNC_INTERVAL": "0.5"})


def test_the_removed_share_defaults_to_a_quarter():
    assert Settings.from_mapping({"CONFBOT_SYNC_MAX_REMOVED": ""}).sync_max_removed == 0.25


@pytest.mark.parametrize("value", ["lots", "nan", "-1", "2"])
def test_the_removed_share_is_checked(value: str):
    with pytest.raises(SettingsError, match="CONFBOT_SYNC_MAX_REMOVED must be a share"):
        Settings.from_mapping({"CONFBOT_SYNC_MAX_REMOVED": value})


def test_shards_default_to_what_discord_asks_for():
    assert Settings.from_mapping({}).shards is None
    assert Settings.from_mapping({"CONFBOT_SHARDS": "4"}).shards == 4


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5", "1001", "٣"])
def test_shards_are_checked(value: str):
    with pytest.raises(SettingsError, match="CONFBOT_SHARDS must be a whole number from 1 to 1000"):
        Settings.from_mapping({"CONFBOT_SHARDS": value})


def test_operator_servers_are_read_as_ids():
    assert Settings.from_mapping({}).operator_servers == frozenset()
    settings = Settings.from_mapping({"CONFBOT_OPERATOR_SERVERS": " 123, 456 "})
    assert settings.operator_servers == frozenset({123, 456})


@pytest.mark.parametrize("value", ["my-server", "12,abc", "-5", "1.5", "٣", "0"])
def test_operator_servers_are_checked(value: str):
    with pytest.raises(SettingsError, match="CONFBOT_OPERATOR_SERVERS must be server ids"):
        Settings.from_mapping({"CONFBOT_OPERATOR_SERVERS": value})


def test_a_malformed_operator_server_stops_the_start_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("CONFBOT_OPERATOR_SERVERS", "123, my-server")
    monkeypatch.setattr(runner, "run_bot", lambda settings: pytest.fail("the bot started"))
    assert cli.main(["run"]) == cli.USAGE_ERROR
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == ("confbot: CONFBOT_OPERATOR_SERVERS must be server ids (digits) separated"
                    " by commas, not 'my-server'.")  # fmt: skip


def test_an_address_without_a_host_is_refused():
    with pytest.raises(SettingsError, match="has no host name"):
        Settings.from_mapping({"CONFBOT_PROGRAM": "https:///schedule.json"})


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("https://[x/y", "https://[x/y is not a well-formed address (Invalid IPv6 URL)."),
        ("https://[::1/x", "is not a well-formed address"),
        ("https://pretalx.example:99999/s.json", "is not a well-formed address (Port out of range"),
        ("https://pretalx example/s.json", "has a host name no host can have"),
        ("https://pretalx.example\x07/s.json", "holds a control character"),
    ],
)
def test_a_malformed_program_address_is_one_sentence_naming_the_variable(address: str, says: str):
    with pytest.raises(SettingsError, match=r"^CONFBOT_PROGRAM: ") as refused:
        Settings.from_mapping({"CONFBOT_PROGRAM": address})
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_a_malformed_test_discord_address_is_one_sentence_naming_the_variable():
    with pytest.raises(SettingsError, match=r"^CONFBOT_TEST_DISCORD_URL: .* not a well-formed"):
        Settings.from_mapping({"CONFBOT_TEST_DISCORD_URL": "http://[127.0.0.1/"})


def test_a_malformed_program_address_stops_the_bot_at_start_with_one_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFBOT_", "DISCORD_"))}
    env |= {"CONFBOT_PROGRAM": "https://[x/y", "CONFBOT_DB": str(tmp_path / "c.db")}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        "confbot: CONFBOT_PROGRAM: https://[x/y is not a well-formed address (Invalid IPv6 URL).\n"
    )


def test_a_clusters_timings_default_to_ten_seconds_and_a_minute_and_can_be_set():
    default = Settings.from_mapping({})
    assert (default.lead_retry, default.follow_check) == (10.0, 60.0)
    chosen = Settings.from_mapping({"CONFBOT_LEAD_RETRY": "3", "CONFBOT_FOLLOW_CHECK": "600"})
    assert (chosen.lead_retry, chosen.follow_check) == (3.0, 600.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [("CONFBOT_LEAD_RETRY", "0"), ("CONFBOT_LEAD_RETRY", "soon"), ("CONFBOT_LEAD_RETRY", "7200"),
     ("CONFBOT_FOLLOW_CHECK", "0.5"), ("CONFBOT_FOLLOW_CHECK", "nan")],
)  # fmt: skip
def test_a_clusters_timings_are_checked(name: str, value: str):
    with pytest.raises(SettingsError, match=f"{name} must be seconds from 1"):
        Settings.from_mapping({name: value})


def test_the_ledgers_leases_default_to_a_minute_renewed_every_20_s_and_can_be_set():
    default = Settings.from_mapping({})
    assert (default.lease, default.lease_renew, default.ledger_check) == (60, 20.0, 20.0)
    chosen = Settings.from_mapping({"CONFBOT_LEASE": "3", "CONFBOT_LEASE_RENEW": "0.5",
                                    "CONFBOT_LEDGER_CHECK": "0.25"})  # fmt: skip
    assert (chosen.lease, chosen.lease_renew, chosen.ledger_check) == (3, 0.5, 0.25)
    # A shorter lease renews more often by itself: a third of it, unless set.
    assert Settings.from_mapping({"CONFBOT_LEASE": "9"}).lease_renew == 3.0


@pytest.mark.parametrize(
    ("values", "said"),
    [({"CONFBOT_LEASE": "1"}, "CONFBOT_LEASE must be a whole number from 2 to 3600, not '1'."),
     ({"CONFBOT_LEASE": "2.5"}, "CONFBOT_LEASE must be a whole number from 2 to 3600, not '2.5'."),
     ({"CONFBOT_LEASE": "10", "CONFBOT_LEASE_RENEW": "6"},
      "CONFBOT_LEASE_RENEW must be seconds from 0.1 to half of CONFBOT_LEASE (5), not '6'."),
     ({"CONFBOT_LEASE_RENEW": "0"},
      "CONFBOT_LEASE_RENEW must be seconds from 0.1 to half of CONFBOT_LEASE (30), not '0'."),
     ({"CONFBOT_LEDGER_CHECK": "soon"},
      "CONFBOT_LEDGER_CHECK must be seconds from 0.1 to 3600, not 'soon'.")],
)  # fmt: skip
def test_the_ledgers_leases_are_checked_in_one_sentence(values: dict[str, str], said: str):
    with pytest.raises(SettingsError) as refused:
        Settings.from_mapping(values)
    assert str(refused.value) == said


def test_a_process_keeps_four_reading_connections_to_a_postgresql_state_unless_set():
    from bot.store.postgres_database import READERS

    assert Settings.from_mapping({}).state_read_connections == READERS == 4
    for value in ("0", "32"):
        chosen = Settings.from_mapping({"CONFBOT_STATE_READ_CONNECTIONS": value})
        assert chosen.state_read_connections == int(value)


@pytest.mark.parametrize("value", ["33", "-1", "two", "1.5"])
def test_the_reading_connections_are_checked(value: str):
    with pytest.raises(SettingsError) as refused:
        Settings.from_mapping({"CONFBOT_STATE_READ_CONNECTIONS": value})
    assert str(refused.value) == (
        f"CONFBOT_STATE_READ_CONNECTIONS must be a whole number from 0 to 32, not {value!r}."
    )


@pytest.mark.parametrize(("level", "warned"), [("INFO", False), ("DEBUG", True)])
def test_the_pools_warnings_are_left_to_the_state_databases_own_lines_but_at_debug(
    level: str, warned: bool
):
    pool_log = logging.getLogger("psycopg.pool")
    kept = pool_log.level
    try:
        pool_log.setLevel(logging.NOTSET)
        Settings.from_mapping({"LOG_LEVEL": level}).configure_logging()
        assert pool_log.isEnabledFor(logging.WARNING) is warned
    finally:
        pool_log.setLevel(kept)


def test_the_state_stays_in_the_sqlite_file_without_a_server_address(tmp_path: Path):
    assert Settings.from_env({}, dotenv_path=tmp_path / "n").state_url is None


@pytest.mark.parametrize(
    ("env", "url", "name"),
    [
        ({"CONFBOT_STATE_URL": "postgresql://u:pw@db/state"}, "postgresql://u:pw@db/state",
         "CONFBOT_STATE_URL"),
        ({"DATABASE_URL": "postgres://u:pw@db:5432/d1"}, "postgres://u:pw@db:5432/d1",
         "DATABASE_URL"),
        ({"CONFBOT_STATE_URL": "postgresql://a@one/s", "DATABASE_URL": "postgres://b@two/d"},
         "postgresql://a@one/s", "CONFBOT_STATE_URL"),
    ],
)  # fmt: skip
def test_a_server_address_keeps_the_state_on_postgresql(tmp_path: Path, env, url, name):
    settings = Settings.from_env(env, dotenv_path=tmp_path / "n")
    assert (settings.state_url, settings.state_url_from) == (url, name)
    assert "pw" not in repr(settings)


@pytest.mark.parametrize("name", ["CONFBOT_STATE_URL", "DATABASE_URL"])
def test_an_address_of_another_kind_of_database_is_one_sentence(tmp_path: Path, name: str):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: "mysql://u:secret@db/state"}, dotenv_path=tmp_path / "n")
    assert str(refused.value) == (
        f"{name} must be a PostgreSQL address (postgresql://user:password@host/database),"
        " not one with mysql://."
    )
