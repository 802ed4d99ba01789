"""The console in German or French (--language, CONFBOT_LANGUAGE): an organiser tries
what a German or French reader meets when a day or a time cannot be used, and the
examples to type in that language; English when nothing is said."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.console import USAGE, Console
from bot.clock import FixedClock
from bot.i18n import Language, bundled_messages
from bot.service import ProgramService
from bot.settings import Settings, SettingsError
from tests.conftest import ROOT, pacific


def run_cli(*args: str, db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` with no CONFBOT_ or DISCORD_ variable but `env`'s."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("CONFBOT_", "DISCORD_"))}
    env = {**kept, "CONFBOT_DB": str(db), **env}
    command = [sys.executable, "-m", "bot", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)


def console_in(service: ProgramService, language: Language) -> Console:
    words = bundled_messages().words(language)
    return Console(service, FixedClock(pacific("2024-07-10T10:50")), words=words)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "I can't read '25:99'. Try 'now', '14:00',"),
        (Language.DE, "Ich kann '25:99' nicht lesen. Versuch es mit „jetzt“, „14:00“,"),
        (Language.FR, "Je ne comprends pas '25:99'. Essayez « maintenant », « 14h »,"),
    ],
)
def test_a_time_the_console_cannot_read_is_refused_in_its_language(
    service: ProgramService, language: Language, said: str
):
    reply = console_in(service, language).execute("/next 25:99")
    assert reply.code == USAGE
    assert reply.text.startswith(said)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "OSDI '24 has no Saturday: it runs Wed Jul 10 to Fri Jul 12."),
        (Language.DE, "OSDI '24 hat keinen Samstag, sondern läuft von Mi., 10. Juli bis Fr., 12."
                      " Juli."),
        (Language.FR, "OSDI '24 n'a pas de samedi : elle se tient du mer. 10 juil. au ven. 12"
                      " juil."),
    ],
)  # fmt: skip
def test_a_day_the_conference_lacks_is_refused_in_the_consoles_language(
    service: ProgramService, language: Language, said: str
):
    assert console_in(service, language).execute("/schedule samedi").text == said


@pytest.mark.parametrize(
    ("language", "times", "days"),
    [
        (Language.EN, "Times for /next: 'now', '14:00'", "Days for /schedule and /track: 'today'"),
        (Language.DE, "Zeiten für /next: „jetzt“, „14:00“, „14 Uhr“, „heute 14 Uhr“",
         "Tage für /schedule und /track: „heute“, „morgen“, „Tag 2“"),
        (Language.FR, "Heures pour /next : « maintenant », « 14h », « 14h30 »",
         "Jours pour /schedule et /track : « aujourd'hui », « demain », « jour 2 »"),
    ],
)  # fmt: skip
def test_help_gives_examples_in_the_consoles_language(
    service: ProgramService, language: Language, times: str, days: str
):
    lines = console_in(service, language).execute("/help").text.splitlines()
    assert any(line.startswith(times) for line in lines)
    assert any(line.startswith(days) for line in lines)


def test_the_console_speaks_english_unless_told(service: ProgramService):
    told = console_in(service, Language.EN).execute("/next 25:99").text
    assert (
        Console(service, FixedClock(pacific("2024-07-10T10:50"))).execute("/next 25:99").text
        == told
    )


# -- the setting and the option ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "language"),
    [("de", Language.DE), (" FR ", Language.FR), ("en", Language.EN), ("", Language.EN)],
)
def test_confbot_language_picks_the_consoles_language(tmp_path: Path, value: str, language):
    settings = Settings.from_env({"CONFBOT_LANGUAGE": value}, dotenv_path=tmp_path / "none")
    assert settings.console_language is language


def test_an_unknown_confbot_language_fails_fast_in_one_sentence(tmp_path: Path):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"CONFBOT_LANGUAGE": "es"}, dotenv_path=tmp_path / "none")
    assert str(refused.value) == "CONFBOT_LANGUAGE must be one of en, de, fr, not 'es'."


def test_ask_with_language_fr_refuses_in_french(tmp_path: Path):
    result = run_cli("ask", "--language", "fr", "/next 25h99", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert result.stderr.startswith("Je ne comprends pas '25h99'. Essayez « maintenant »")


def test_language_before_the_command_and_from_the_environment(tmp_path: Path):
    before = run_cli("--language", "de", "ask", "/schedule Funtag", db=tmp_path / "c.db")
    assert before.stderr.startswith("Ich kann 'Funtag' nicht als Tag lesen.")
    env = run_cli("ask", "/schedule Funtag", db=tmp_path / "c.db", CONFBOT_LANGUAGE="fr")
    assert env.stderr.startswith("Je ne comprends pas 'Funtag' comme jour.")
    option_wins = run_cli("ask", "--language", "en", "/schedule Funtag", db=tmp_path / "c.db",
                          CONFBOT_LANGUAGE="fr")  # fmt: skip
    assert option_wins.stderr.startswith("I can't read 'Funtag' as a day.")


def test_now_is_refused_in_the_chosen_language(tmp_path: Path):
    result = run_cli("ask", "/next", "--now", "bientôt", "--language", "fr", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert result.stderr == (
        "confbot: --now: 'bientôt' n'est pas une heure ISO comme 2024-07-10T10:50\n"
    )


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (("--language", "es", "ask", "/next"), {},
         "confbot: argument --language: invalid choice: 'es' (choose from 'en', 'de', 'fr')"
         " (see --help)\n"),
        (("ask", "/next"), {"CONFBOT_LANGUAGE": "klingon"},
         "confbot: CONFBOT_LANGUAGE must be one of en, de, fr, not 'klingon'.\n"),
    ],
)  # fmt: skip
def test_an_unknown_language_is_one_line_and_exit_2(tmp_path: Path, args, env, said: str):
    result = run_cli(*args, db=tmp_path / "c.db", **env)
    assert (result.returncode, result.stderr, result.stdout) == (USAGE, said, "")


def test_help_names_the_language_option():
    result = run_cli("--help", db=Path("unused.db"))
    assert result.returncode == 0
    assert "--language {en,de,fr}" in result.stdout
    assert "CONFBOT_LANGUAGE" in result.stdout
    console_help = run_cli("console", "--help", db=Path("unused.db")).stdout
    assert "--language {en,de,fr}" in console_help
