"""The console in German or French (--language, CONFBOT_LANGUAGE): an organiser tries
what a German or French reader meets, every answer in that language (a day or a time
that cannot be used, the examples to type, /next, /paper, /search, /about, /schedule,
what cannot be found), on the bundled OSDI '24 program and on FOSDEM; English when
nothing is said, and as it always was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.console import NOT_FOUND, OK, USAGE, Console
from bot.clock import FixedClock
from bot.i18n import Language, bundled_messages
from bot.importer.registry import read_source
from bot.model import Slot, TimeBasis
from bot.render import text
from bot.service import ProgramService
from bot.service.cancelled import CancelledTalk
from bot.settings import Settings, SettingsError
from tests.conftest import REAL_PROGRAMS, needs_shared, pacific
from tests.test_console import cli as cli  # the fixture: `python -m bot ARGS`, in this process

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
TAMING = "Taming Throughput-Latency Tradeoff in LLM Inference with Sarathi-Serve"


def console_in(service: ProgramService, language: Language) -> Console:
    words = bundled_messages().words(language)
    return Console(service, FixedClock(pacific("2024-07-10T10:50")), words=words)


@pytest.fixture(scope="module")
def fosdem() -> ProgramService:
    needs_shared(FOSDEM)
    return ProgramService(read_source(FOSDEM).program)


def at_fosdem(service: ProgramService, language: Language) -> Console:
    """FOSDEM 2025's first day, two minutes before noon in Brussels."""
    moment = datetime(2025, 2, 1, 10, 58, tzinfo=UTC)
    return Console(service, FixedClock(moment), words=bundled_messages().words(language))


def lines_of(console: Console, command: str, code: int = OK) -> list[str]:
    reply = console.execute(command)
    assert reply.code == code, reply.text
    return reply.text.splitlines()


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


def test_ask_with_language_fr_refuses_in_french(cli, tmp_path: Path):
    result = cli("ask", "--language", "fr", "/next 25h99", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert result.stderr.startswith("Je ne comprends pas '25h99'. Essayez « maintenant »")


def test_language_before_the_command_and_from_the_environment(cli, tmp_path: Path):
    before = cli("--language", "de", "ask", "/schedule Funtag", db=tmp_path / "c.db")
    assert before.stderr.startswith("Ich kann 'Funtag' nicht als Tag lesen.")
    env = cli("ask", "/schedule Funtag", db=tmp_path / "c.db", CONFBOT_LANGUAGE="fr")
    assert env.stderr.startswith("Je ne comprends pas 'Funtag' comme jour.")
    option_wins = cli("ask", "--language", "en", "/schedule Funtag", db=tmp_path / "c.db",
                      CONFBOT_LANGUAGE="fr")  # fmt: skip
    assert option_wins.stderr.startswith("I can't read 'Funtag' as a day.")


def test_now_is_refused_in_the_chosen_language(cli, tmp_path: Path):
    result = cli("ask", "/next", "--now", "bientôt", "--language", "fr", db=tmp_path / "c.db")
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
def test_an_unknown_language_is_one_line_and_exit_2(cli, tmp_path: Path, args, env, said: str):
    result = cli(*args, db=tmp_path / "c.db", **env)
    assert (result.returncode, result.stderr, result.stdout) == (USAGE, said, "")


def test_help_names_the_language_option(cli):
    result = cli("--help", db=Path("unused.db"))
    assert result.returncode == 0
    assert "--language {en,de,fr}" in result.stdout
    assert "CONFBOT_LANGUAGE" in result.stdout
    console_help = cli("console", "--help", db=Path("unused.db")).stdout
    assert "--language {en,de,fr}" in console_help


# -- every answer in the console's language ---------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["OSDI '24 · Wed Jul 10, 10:50 PDT", "On now",
                       "    By Nikita Lazarev and Varun Gohil (MIT, CSAIL); James Tsai,", "Next",
                       "    ≈ 11:05–11:25 PDT (in 15 min) · Memory Management · Grand Ballroom"
                       " ABGH",
                       "Also open: Badge Pickup (Lobby West) until 17:00"]),
        (Language.DE, ["OSDI '24 · Mi., 10. Juli, 10:50 PDT", "Läuft gerade",
                       "    Von Nikita Lazarev und Varun Gohil (MIT, CSAIL); James Tsai,",
                       "Als Nächstes",
                       "    ≈ 11:05–11:25 PDT (in 15 Min.) · Memory Management · Grand Ballroom"
                       " ABGH", "Ebenfalls geöffnet: Badge Pickup (Lobby West) bis 17:00"]),
        (Language.FR, ["OSDI '24 · mer. 10 juil., 10 h 50 PDT", "En ce moment",
                       "    Par Nikita Lazarev et Varun Gohil (MIT, CSAIL) ; James Tsai,",
                       "Ensuite",
                       "    ≈ 11 h 05–11 h 25 PDT (dans 15 min) · Memory Management · Grand"
                       " Ballroom ABGH",
                       "Également ouvert : Badge Pickup (Lobby West) jusqu'à 17 h 00"]),
    ],
)  # fmt: skip
def test_next_on_osdi_in_each_language(service: ProgramService, language: Language, said):
    lines = lines_of(console_in(service, language), "/next")
    assert lines[0] == said[0]
    assert [next(n for n, line in enumerate(lines) if line.startswith(s)) for s in said] == [
        0,
        1,
        4,
        5,
        7,
        9,
    ]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["FOSDEM 2025 · Sat Feb 1, 11:58 CET", "Next · 12:00 (in 2 min)"]),
        (Language.DE, ["FOSDEM 2025 · Sa., 1. Feb., 11:58 CET",
                       "Als Nächstes · 12:00 (in 2 Min.)"]),
        (Language.FR, ["FOSDEM 2025 · sam. 1er févr., 11 h 58 CET",
                       "Ensuite · 12 h 00 (dans 2 min)"]),
    ],
)  # fmt: skip
def test_next_on_fosdem_heads_the_board_in_each_language(
    fosdem: ProgramService, language: Language, said: list[str]
):
    assert lines_of(at_fosdem(fosdem, language), "/next")[:2] == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["Session: Memory Management", "When:    Wed Jul 10, 10:45–11:05 PDT",
                       "Room:    Grand Ballroom ABGH", "Page:    1 in the proceedings",
                       "Link:    https://www.usenix.org/conference/osdi24/presentation/lazarev"]),
        (Language.DE, ["Sitzung: Memory Management", "Wann:    Mi., 10. Juli, 10:45–11:05 PDT",
                       "Raum:    Grand Ballroom ABGH", "Seite:   1 im Tagungsband",
                       "Link:    https://www.usenix.org/conference/osdi24/presentation/lazarev"]),
        (Language.FR, ["Session : Memory Management",
                       "Quand :   mer. 10 juil., 10 h 45–11 h 05 PDT",
                       "Salle :   Grand Ballroom ABGH", "Page :    1 des actes",
                       "Lien :    https://www.usenix.org/conference/osdi24/presentation/lazarev"]),
    ],
)  # fmt: skip
def test_paper_on_osdi_labels_each_line_in_each_language(
    service: ProgramService, language: Language, said: list[str]
):
    lines = lines_of(console_in(service, language), "/paper sabre")
    assert lines[0] == "Sabre: Hardware-Accelerated Snapshot Compression for Serverless MicroVMs"
    assert lines[5:] == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["Track:   Educational", "When:    Sun Feb 2, 13:40–14:05 CET",
                       "Room:    UD6.215", "Type:    devroom · English"]),
        (Language.DE, ["Track:   Educational", "Wann:    So., 2. Feb., 13:40–14:05 CET",
                       "Raum:    UD6.215", "Art:     devroom · Englisch"]),
        (Language.FR, ["Parcours : Educational", "Quand :    dim. 2 févr., 13 h 40–14 h 05 CET",
                       "Salle :    UD6.215", "Type :     devroom · Anglais"]),
    ],
)  # fmt: skip
def test_paper_on_fosdem_in_each_language(
    fosdem: ProgramService, language: Language, said: list[str]
):
    lines = lines_of(at_fosdem(fosdem, language), "/paper the hedy programming language")
    assert lines[2:6] == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "No paper matches “vector”. Try fewer words, or /search vector."),
        (Language.DE, "Kein Beitrag passt zu „vector“. Versuch es mit weniger Wörtern oder mit"
                      " /search vector."),
        (Language.FR, "Aucun exposé ni article ne correspond à « vector ». Essayez avec moins"
                      " de mots, ou /search vector."),
    ],
)  # fmt: skip
def test_a_paper_not_found_is_said_in_each_language(
    service: ProgramService, language: Language, said: str
):
    assert lines_of(console_in(service, language), "/paper vector", NOT_FOUND) == [said]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["Results for “llm”", "3 papers and 1 session match.", "Papers",
                       f"  {TAMING} — Wed Jul 10, ≈ 14:00–14:20 PDT"]),
        (Language.DE, ["Ergebnisse für „llm“", "Gefunden: 3 Beiträge und 1 Sitzung.", "Beiträge",
                       f"  {TAMING} — Mi., 10. Juli, ≈ 14:00–14:20 PDT"]),
        (Language.FR, ["Résultats pour « llm »", "3 articles et 1 session correspondent.",
                       "Articles", f"  {TAMING} — mer. 10 juil., ≈ 14 h 00–14 h 20 PDT"]),
    ],
)  # fmt: skip
def test_search_on_osdi_in_each_language(service: ProgramService, language: Language, said):
    assert lines_of(console_in(service, language), "/search llm")[:4] == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "Microsoft / University of Washington — 1 person, 1 paper: Dan Ports"),
        (Language.DE, "Microsoft / University of Washington — 1 Person, 1 Beitrag: Dan Ports"),
        (Language.FR, "Microsoft / University of Washington — 1 personne, 1 article : Dan Ports"),
    ],
)
def test_an_affiliation_of_one_person_says_one_person(
    service: ProgramService, language: Language, said: str
):
    """English said '1 people' until the console learnt plurals."""
    assert f"  {said}" in lines_of(console_in(service, language), "/search microsoft")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["Results for “rust”", "24 talks, 1 person and 1 session match.", "Talks",
                       "  Programming ROS 2 with Rust — Sat Feb 1, 15:25–15:45 CET"]),
        (Language.DE, ["Ergebnisse für „rust“", "Gefunden: 24 Vorträge, 1 Person und 1 Sitzung.",
                       "Vorträge",
                       "  Programming ROS 2 with Rust — Sa., 1. Feb., 15:25–15:45 CET"]),
        (Language.FR, ["Résultats pour « rust »",
                       "24 exposés, 1 personne et 1 session correspondent.",
                       "Exposés",
                       "  Programming ROS 2 with Rust — sam. 1er févr., 15 h 25–15 h 45 CET"]),
    ],
)  # fmt: skip
def test_search_on_fosdem_in_each_language(fosdem: ProgramService, language: Language, said):
    assert lines_of(at_fosdem(fosdem, language), "/search rust")[:4] == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["Wed Jul 10 – Fri Jul 12, 2024 · Hyatt Regency Santa Clara, Santa Clara,"
                       " CA, USA",
                       "53 papers in 11 sessions. Times are America/Los_Angeles local time.",
                       "Data: The proceedings' table of contents and the public program."]),
        (Language.DE, ["Mi., 10. Juli – Fr., 12. Juli 2024 · Hyatt Regency Santa Clara, Santa"
                       " Clara, CA, USA", "53 Beiträge in 11 Sitzungen. Zeiten in Ortszeit"
                       " (America/Los_Angeles).",
                       "Daten: The proceedings' table of contents and the public program."]),
        (Language.FR, ["mer. 10 juil. – ven. 12 juil. 2024 · Hyatt Regency Santa Clara, Santa"
                       " Clara, CA, USA", "53 articles dans 11 sessions. Heures locales"
                       " (America/Los_Angeles).",
                       "Données : The proceedings' table of contents and the public program."]),
    ],
)  # fmt: skip
def test_about_on_osdi_in_each_language(service: ProgramService, language: Language, said):
    assert lines_of(console_in(service, language), "/about")[1:4] == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["Sat Feb 1 – Sun Feb 2, 2025 · ULB (Université Libre de Bruxelles),"
                       " Brussels",
                       "943 talks in 29 rooms over 2 days. Times are Europe/Brussels local time."]),
        (Language.DE, ["Sa., 1. Feb. – So., 2. Feb. 2025 · ULB (Université Libre de Bruxelles),"
                       " Brussels", "943 Vorträge in 29 Räumen an 2 Tagen. Zeiten in Ortszeit"
                       " (Europe/Brussels)."]),
        (Language.FR, ["sam. 1er févr. – dim. 2 févr. 2025 · ULB (Université Libre de Bruxelles),"
                       " Brussels", "943 exposés dans 29 salles sur 2 jours. Heures locales"
                       " (Europe/Brussels)."]),
    ],
)  # fmt: skip
def test_about_on_fosdem_in_each_language(fosdem: ProgramService, language: Language, said):
    assert lines_of(at_fosdem(fosdem, language), "/about")[1:3] == said


@pytest.mark.parametrize(
    ("language", "day", "said"),
    [
        (Language.EN, "thursday", ["OSDI '24 · Thursday, July 11",
                                   "     08:00–09:00 PDT  Meal: Continental Breakfast (Grand"
                                   " Ballroom Foyer)"]),
        (Language.DE, "Donnerstag", ["OSDI '24 · Donnerstag, 11. Juli",
                                     "     08:00–09:00 PDT  Mahlzeit: Continental Breakfast"
                                     " (Grand Ballroom Foyer)"]),
        (Language.FR, "jeudi", ["OSDI '24 · jeudi 11 juillet",
                                "  08 h 00–09 h 00 PDT  Repas : Continental Breakfast (Grand"
                                " Ballroom Foyer)"]),
    ],
)  # fmt: skip
def test_schedule_on_osdi_in_each_language(
    service: ProgramService, language: Language, day: str, said: list[str]
):
    lines = lines_of(console_in(service, language), f"/schedule {day}")
    assert lines[:2] == said
    assert lines[-1].startswith(("Times marked ≈", "Mit ≈ markierte", "Les horaires marqués ≈"))


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["FOSDEM 2025 · Saturday, February 1",
                       "     09:00–18:40 CET  RISC-V · H.1309 (Van Rijn)",
                       "           09:00 CET    Welcome to the FOSDEM 2025 RISC-V DevRoom"]),
        (Language.DE, ["FOSDEM 2025 · Samstag, 1. Februar",
                       "     09:00–18:40 CET  RISC-V · H.1309 (Van Rijn)",
                       "           09:00 CET    Welcome to the FOSDEM 2025 RISC-V DevRoom"]),
        (Language.FR, ["FOSDEM 2025 · samedi 1er février",
                       " 09 h 00–18 h 40 CET  RISC-V · H.1309 (Van Rijn)",
                       "         09 h 00 CET    Welcome to the FOSDEM 2025 RISC-V DevRoom"]),
    ],
)  # fmt: skip
def test_schedule_on_fosdem_in_each_language(fosdem: ProgramService, language: Language, said):
    assert lines_of(at_fosdem(fosdem, language), "/schedule day 1")[:3] == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "Usage: /paper <title> — find a paper by (part of) its title."),
        (Language.DE, "Aufruf: /paper <Titel> — einen Beitrag über seinen Titel (oder einen Teil"
                      " davon) finden."),
        (Language.FR, "Usage : /paper <titre> — trouver un article par son titre (ou une"
                      " partie)."),
    ],
)  # fmt: skip
def test_a_command_without_its_argument_is_refused_in_each_language(
    service: ProgramService, language: Language, said: str
):
    assert lines_of(console_in(service, language), "/paper", USAGE) == [said]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "No session matches “Zzyzx”. Try fewer words, or /search Zzyzx."),
        (Language.DE, "Keine Sitzung passt zu „Zzyzx“. Versuch es mit weniger Wörtern oder mit"
                      " /search Zzyzx."),
        (Language.FR, "Aucune session ne correspond à « Zzyzx ». Essayez avec moins de mots, ou"
                      " /search Zzyzx."),
    ],
)  # fmt: skip
def test_a_session_not_found_at_fosdem_is_said_in_each_language(
    fosdem: ProgramService, language: Language, said: str
):
    assert lines_of(at_fosdem(fosdem, language), "/session Zzyzx", NOT_FOUND) == [said]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["OSDI '24 has ended. Thanks for coming!",
                       "/paper <title> and /author <name> still find every talk.",
                       "To see it as it was, ask /next jul 10 11:00 (or run with --now"
                       " 2024-07-10T11:00)."]),
        (Language.DE, ["OSDI '24 ist vorbei. Danke fürs Kommen!",
                       "/paper <Titel> und /author <Name> finden weiterhin jeden Vortrag.",
                       "Wie es war, zeigt /next 10. Juli 2024 11:00 (oder starte mit --now"
                       " 2024-07-10T11:00)."]),
        (Language.FR, ["OSDI '24 : c'est terminé. Merci d'être venus !",
                       "/paper <titre> et /author <nom> trouvent toujours chaque exposé.",
                       "Pour le revoir tel qu'il était, demandez /next 10 juillet 2024 11 h 00 (ou"
                       " lancez avec --now 2024-07-10T11:00)."]),
    ],
)  # fmt: skip
def test_after_the_conference_next_says_how_to_see_it_as_it_was_in_each_language(
    service: ProgramService, language: Language, said: list[str]
):
    words = bundled_messages().words(language)
    console = Console(service, FixedClock(pacific("2024-07-13T12:00")), words=words)
    lines = lines_of(console, "/next")
    assert lines[1:] == said
    moment = said[2].split("/next ")[1].split(" (")[0]
    assert lines_of(console, f"/next {moment}")[0].startswith("OSDI '24 · ")  # it is read


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "Janson has no talks in this program."),
        (Language.DE, "Janson hat in diesem Programm keine Vorträge."),
        (Language.FR, "La salle Janson n'a aucun exposé dans ce programme."),
    ],
)
def test_a_room_without_talks_at_fosdem_is_refused_in_each_language(
    fosdem: ProgramService, language: Language, said: str
):
    assert lines_of(at_fosdem(fosdem, language), "/next room:Janson", USAGE) == [said]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "OSDI '24 has no tracks."),
        (Language.DE, "OSDI '24 hat keine Tracks."),
        (Language.FR, "OSDI '24 n'a pas de parcours."),
    ],
)
def test_a_track_on_osdi_is_refused_in_each_language(
    service: ProgramService, language: Language, said: str
):
    assert lines_of(console_in(service, language), "/track security", USAGE) == [said]


@pytest.mark.parametrize(
    ("language", "said", "typed"),
    [
        (Language.EN, "“K.3.201” is a room, not a track: /session K.3.201 shows its talks.",
         "/session K.3.201"),
        (Language.DE, "„K.3.201“ ist ein Raum, kein Track: /sitzung K.3.201 zeigt seine Vorträge.",
         "/sitzung K.3.201"),
        (Language.FR, "« K.3.201 » est une salle, pas un parcours : /session K.3.201 en montre les"
                      " exposés.", "/session K.3.201"),
    ],
)  # fmt: skip
def test_a_command_a_translated_sentence_names_can_be_typed_in_the_console(
    fosdem: ProgramService, language: Language, said: str, typed: str
):
    """The bot's sentences name its commands as a reader of the language sees them in
    Discord (/sitzung); the console takes those names too, beside its English ones."""
    console = at_fosdem(fosdem, language)
    assert lines_of(console, "/track K.3.201", USAGE) == [said]
    assert lines_of(console, typed)[0].startswith("LLVM, ")


def test_the_console_takes_each_commands_name_in_its_language_too(service: ProgramService):
    german, french = console_in(service, Language.DE), console_in(service, Language.FR)
    assert german.execute("/demnächst").text == german.execute("/next").text
    assert french.execute("/à-suivre").text == french.execute("/next").text
    assert console_in(service, Language.EN).execute("/demnächst").code == USAGE


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "Please give a room."),
        (Language.DE, "Bitte gib einen Raum an."),
        (Language.FR, "Veuillez indiquer une salle."),
    ],
)
def test_an_empty_filter_is_refused_in_each_language(
    service: ProgramService, language: Language, said: str
):
    assert lines_of(console_in(service, language), "/next room:", USAGE) == [said]


def test_the_console_without_a_token_says_so_in_its_language(cli, tmp_path: Path):
    """README's first line (`python -m bot`, no token), with --language fr."""
    result = cli("--language", "fr", stdin="/next jul 10 10:50\n", db=tmp_path / "c.db")
    assert result.returncode == OK
    assert result.stderr.startswith("DISCORD_TOKEN n'est pas défini : voici la console hors ligne")
    assert result.stdout.startswith("OSDI '24 · mer. 10 juil., 10 h 50 PDT\nEn ce moment\n")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, ["Cancelled: taken out of the program in the version of Wed Jul 10, 10:52"
                       " PDT.", "Was:     Wed Jul 10, 11:30–12:00 PDT, Hall A"]),
        (Language.DE, ["Abgesagt: aus dem Programm genommen, in der Version vom Mi., 10. Juli,"
                       " 10:52 PDT.", "Geplant: Mi., 10. Juli, 11:30–12:00 PDT, Hall A"]),
        (Language.FR, ["Annulé : retiré du programme dans la version du mer. 10 juil., 10 h 52"
                       " PDT.", "Prévu :  mer. 10 juil., 11 h 30–12 h 00 PDT, Hall A"]),
    ],
)  # fmt: skip
def test_a_cancelled_talk_is_said_in_each_language(
    service: ProgramService, language: Language, said: list[str]
):
    gone = CancelledTalk("p:x", "Rust in the kernel", Slot(pacific("2024-07-10T11:30"),
                         pacific("2024-07-10T12:00"), TimeBasis.PUBLISHED, "Hall A"),
                         pacific("2024-07-10T10:52"))  # fmt: skip
    words = bundled_messages().words(language)
    lines = text.render_cancelled(gone, service.conference, words).splitlines()
    assert lines == ["Rust in the kernel", *said]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "No language of FOSDEM 2025 is called “klingon”. Did you mean English?"),
        (Language.DE, "FOSDEM 2025 hat keine Sprache namens „klingon“. Meintest du Englisch?"),
        (Language.FR, "FOSDEM 2025 n'a pas de langue nommée « klingon ». Vouliez-vous dire"
                      " anglais ?"),
    ],
)  # fmt: skip
def test_the_languages_a_filter_offers_are_named_in_the_consoles_language(
    fosdem: ProgramService, language: Language, said: str
):
    assert lines_of(at_fosdem(fosdem, language), "/next language:klingon", USAGE) == [said]
