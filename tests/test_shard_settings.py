"""One process's slice of the shards: CONFBOT_SHARD_COUNT and CONFBOT_SHARD_IDS, read into
one Slice, refused in one sentence when wrong, and the slice's share of the send pace."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot import cli
from bot.adapters.discord.client import ConfBot
from bot.cluster import Slice
from bot.delivery.pacer import Pacer
from bot.render.limits import MAX_REQUESTS_PER_SECOND
from bot.settings import Settings, SettingsError


@pytest.fixture
def shared_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """State several processes can share (PostgreSQL, another part of issue 24): what a
    slice needs, stood in for here, where only the reading of the slice is tested."""
    monkeypatch.setattr(Settings, "state_shared", property(lambda self: True))


def one_sentence(message: str) -> bool:
    """One line, one sentence: ends with a full stop, and none inside ends one."""
    return "\n" not in message and message.endswith(".") and not re.search(r"\.\s+[A-Z]", message)


def test_unset_the_process_holds_every_shard_discord_asks_for():
    settings = Settings.from_mapping({})
    assert settings.shards is None
    assert settings.shard_slice == Slice() and settings.shard_slice.is_whole


def test_a_count_alone_is_every_shard_of_it_here():
    settings = Settings.from_mapping({"CONFBOT_SHARD_COUNT": "4"})
    assert settings.shards == 4
    assert settings.shard_slice == Slice.whole(4)


def test_shards_is_the_older_name_of_the_count():
    assert Settings.from_mapping({"CONFBOT_SHARDS": "4"}).shard_slice == Slice.whole(4)
    both = Settings.from_mapping({"CONFBOT_SHARDS": "4", "CONFBOT_SHARD_COUNT": "4"})
    assert both.shards == 4


@pytest.mark.usefixtures("shared_state")
@pytest.mark.parametrize(
    ("ids", "count", "held"),
    [("0-1", "4", {0, 1}), ("2,3", "4", {2, 3}), (" 1 ", "2", {1}), ("0-1, 6", "8", {0, 1, 6})],
)
def test_a_slice_is_read_as_one_slice(ids: str, count: str, held: set[int]):
    settings = Settings.from_mapping({"CONFBOT_SHARD_COUNT": count, "CONFBOT_SHARD_IDS": ids})
    assert settings.shards == int(count)
    assert settings.shard_slice == Slice(int(count), frozenset(held))
    assert not settings.shard_slice.is_whole


def test_every_shard_named_is_the_whole_and_fine_on_sqlite():
    settings = Settings.from_mapping({"CONFBOT_SHARD_COUNT": "2", "CONFBOT_SHARD_IDS": "0-1"})
    assert settings.shard_slice == Slice.whole(2)


@pytest.mark.usefixtures("shared_state")
@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"CONFBOT_SHARD_COUNT": "0"}, "CONFBOT_SHARD_COUNT must be a whole number from 1 to 1024"),
        ({"CONFBOT_SHARD_COUNT": "two"}, "CONFBOT_SHARD_COUNT must be a whole number"),
        ({"CONFBOT_SHARD_COUNT": "1025"}, "CONFBOT_SHARD_COUNT must be a whole number"),
        ({"CONFBOT_SHARD_IDS": "0"}, "CONFBOT_SHARD_IDS=0 needs CONFBOT_SHARD_COUNT"),
        ({"CONFBOT_SHARD_COUNT": "4", "CONFBOT_SHARD_IDS": "4"},
         "shard 4 is not one of the 4 shards (0 to 3)"),
        ({"CONFBOT_SHARD_COUNT": "4", "CONFBOT_SHARD_IDS": "2-5"},
         "shard 5 is not one of the 4 shards (0 to 3)"),
        ({"CONFBOT_SHARD_COUNT": "4", "CONFBOT_SHARD_IDS": "3-1"},
         "the range '3-1' runs backwards"),
        ({"CONFBOT_SHARD_COUNT": "4", "CONFBOT_SHARD_IDS": "one"},
         "'one' is not a shard number or a range like 0-3"),
        ({"CONFBOT_SHARD_COUNT": "4", "CONFBOT_SHARD_IDS": "-1"},
         "'-1' is not a shard number or a range like 0-3"),
        ({"CONFBOT_SHARD_COUNT": "4", "CONFBOT_SHARD_IDS": "0,,1"}, "'' is not a shard number"),
        ({"CONFBOT_SHARDS": "2", "CONFBOT_SHARD_COUNT": "4"},
         "CONFBOT_SHARDS=2 and CONFBOT_SHARD_COUNT=4 disagree"),
    ],
)  # fmt: skip
def test_a_bad_value_is_one_sentence_naming_the_variable(env: dict[str, str], says: str):
    with pytest.raises(SettingsError) as raised:
        Settings.from_mapping(env)
    message = str(raised.value)
    assert says in message
    assert one_sentence(message), message
    if "CONFBOT_SHARD_IDS" in env:
        assert "CONFBOT_SHARD_IDS" in message


@pytest.mark.parametrize("ids", ["0", "1", "0,2"])
def test_a_slice_on_sqlite_state_is_refused_in_one_sentence(tmp_path: Path, ids: str):
    state = tmp_path / "state.db"
    with pytest.raises(SettingsError) as raised:
        Settings.from_mapping({"CONFBOT_SHARD_COUNT": "4", "CONFBOT_SHARD_IDS": ids,
                               "CONFBOT_STATE_DB": str(state)})  # fmt: skip
    message = str(raised.value)
    assert message.startswith("CONFBOT_SHARD_IDS runs shards ")
    assert f"SQLite ({state})" in message and "CONFBOT_STATE_URL" in message
    assert one_sentence(message), message


def test_the_refused_slice_stops_the_start_with_exit_2_and_that_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)
    for name, value in {"DISCORD_TOKEN": "x", "CONFBOT_DB": str(tmp_path / "c.db"),
                        "CONFBOT_SHARD_COUNT": "2", "CONFBOT_SHARD_IDS": "1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("confbot: CONFBOT_SHARD_IDS runs shards 1 of 2 in this process")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_settings_made_in_code_keep_the_slice_and_the_count_together():
    with pytest.raises(ValueError, match="a slice of the shards is a slice of all"):
        Settings(shards=4, shard_slice=Slice(2, frozenset({0})))


# -- the slice's share of the send pace ---------------------------------------------------


def test_a_pacer_for_a_share_has_that_share_of_both_paces():
    half = Pacer.for_share(0.1, 0.5)
    assert half.rate == MAX_REQUESTS_PER_SECOND / 2
    assert half.delivery_pace == pytest.approx(0.2)
    whole = Pacer.for_share(0.1, 1.0)
    assert (whole.rate, whole.delivery_pace) == (MAX_REQUESTS_PER_SECOND, 0.1)
    for share in (0.0, 1.5):
        with pytest.raises(ValueError, match="share of the shards"):
            Pacer.for_share(0.1, share)


def test_processes_splitting_the_shards_together_keep_one_process_pace():
    count = 8
    slices = [Slice(count, frozenset({0, 1, 2})), Slice(count, frozenset({3})),
              Slice(count, frozenset({4, 5, 6, 7}))]  # fmt: skip
    pacers = [Pacer.for_share(0.1, held.share) for held in slices]
    assert sum(p.rate for p in pacers) == pytest.approx(MAX_REQUESTS_PER_SECOND)
    assert sum(1 / p.delivery_pace for p in pacers) == pytest.approx(1 / 0.1)


def bot_settings(tmp_path: Path, held: Slice) -> Settings:
    base = Settings.from_mapping({"CONFBOT_DB": str(tmp_path / "c.db")})
    return dataclasses.replace(base, shards=held.count, shard_slice=held)


def test_the_bot_with_half_the_shards_connects_those_and_sends_at_half_the_pace(tmp_path: Path):
    bot = ConfBot(bot_settings(tmp_path, Slice(4, frozenset({2, 3}))))
    assert bot.shard_count == 4 and bot.shard_ids == [2, 3]
    assert bot.pacer.rate == MAX_REQUESTS_PER_SECOND / 2
    assert bot.pacer.delivery_pace == pytest.approx(0.2)


def test_the_bot_with_every_shard_keeps_todays_pace_and_connects_them_all(tmp_path: Path):
    for held, count in ((Slice(), None), (Slice.whole(4), 4)):
        settings = dataclasses.replace(bot_settings(tmp_path, held), shards=count)
        bot = ConfBot(settings)
        assert bot.shard_count == count and bot.shard_ids is None
        assert (bot.pacer.rate, bot.pacer.delivery_pace) == (MAX_REQUESTS_PER_SECOND, 0.1)
