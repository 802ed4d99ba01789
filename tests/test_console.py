"""The console adapter and the command line, as a person or a script uses them."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.console import INTERNAL, NOT_FOUND, OK, USAGE, Console
from bot.clock import FixedClock
from bot.service import ProgramService
from tests.conftest import ROOT, pacific


@pytest.fixture
def console(service: ProgramService) -> Console:
    return Console(service, FixedClock(pacific("2024-07-10T10:50")))


def test_next_at_1050_shows_sabre_then_nomad(console: Console):
    reply = console.execute("/next")
    assert reply.code == OK
    assert reply.text.index("Sabre") < reply.text.index("NOMAD")


def test_next_accepts_a_when_argument(console: Console):
    reply = console.execute("/next thursday 9:10")
    assert "Enabling Tensor Language Model" in reply.text.split("Next")[0]


def test_commands_work_without_the_leading_slash(console: Console):
    assert console.execute("paper sabre").text == console.execute("/paper sabre").text


def test_paper_answer_has_everything_known(console: Console):
    text = console.execute("/paper servicelab").text
    for part in ("ServiceLab", "Mike Chow — Meta Platforms", "Session: Cloud Computing",
                 "Thu Jul 11, ≈ 15:00–15:20 PDT (approximate)", "Room:    Grand Ballroom ABGH",
                 "🏆 Best Paper", "Page:    545", "presentation/chow"):  # fmt: skip
        assert part in text


def test_published_time_is_shown_plainly(console: Console):
    assert "When:    Wed Jul 10, 10:45–11:05 PDT\n" in console.execute("/paper sabre").text + "\n"


def test_no_match_exits_1_with_suggestions(console: Console):
    reply = console.execute("/paper snapshot banana")
    assert reply.code == NOT_FOUND
    assert reply.text.startswith("No paper matches “snapshot banana”. Did you mean: “Sabre")


def test_schedule_lists_the_day_with_meals_and_breaks(console: Console):
    text = console.execute("/schedule wednesday").text
    assert "Keynote: OSDI '24 and USENIX ATC '24 Joint Keynote" in text
    assert "Meal: Conference Luncheon" in text
    assert "Times marked ≈ are derived" in text


def test_search_groups_results(console: Console):
    text = console.execute("/search microsoft research").text
    assert "Affiliations" in text and "Microsoft Research" in text


def test_help_lists_every_command(console: Console):
    text = console.execute("/help").text
    for name in (
        "/next",
        "/now",
        "/paper",
        "/author",
        "/session",
        "/schedule",
        "/search",
        "/about",
    ):
        assert name in text


@pytest.mark.parametrize(
    ("line", "start"),
    [
        ("/frobnicate", "Unknown command 'frobnicate'"),
        ("", "Type a command"),
        ("/paper", "Usage: /paper <title>"),
        ("/paper " + "x" * 10_000, "That input is 10,007 characters long"),
        ("/paper a\x07b", "That input contains control characters"),
        ("/next 25:99", "I can't read '25:99'"),
        ("/schedule monday", "OSDI '24 has no Monday"),
    ],
)
def test_bad_input_gets_a_one_line_usage_error(console: Console, line: str, start: str):
    reply = console.execute(line)
    assert reply.code == USAGE
    assert reply.text.startswith(start)
    assert "\n" not in reply.text


def test_scripted_lines_skip_comments_and_stop_at_quit(console: Console):
    import io

    out, err = io.StringIO(), io.StringIO()
    code = console.run_lines(["# a comment\n", "\n", "/now\n", "/quit\n", "/next\n"], out, err)
    assert code == OK
    assert out.getvalue().count("On now") == 1


# -- the command line -------------------------------------------------------------------------
#
# `python -m bot` is `raise SystemExit(main())`: most tests here call main() in this
# process (the `cli` fixture), as the subprocess would, with its environment, working
# folder, stdin, stdout and stderr, and the WARNING log lines the command line would print
# on stderr (a process's start costs 0.3 s of imports). What only a process shows keeps
# one (`run_cli`, which other test modules use too): `python -m bot` itself, what it
# imports, and a reader who closed the pipe.


def _cli_env(db: Path, program: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFBOT_", "DISCORD_"))}
    env["CONFBOT_DB"] = str(db)
    if program is not None:
        env["CONFBOT_PROGRAM"] = str(program)
    return env


def run_cli(*args: str, stdin: str | None = None, db: Path, program: Path | None = None):
    """`python -m bot ARGS` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_cli_env(db, program),
        timeout=60,
    )


LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"  # Settings.configure_logging's


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """`python -m bot ARGS` as main() in this process: (returncode, stdout, stderr). The
    environment is the process's would be: no CONFBOT_ or DISCORD_ variable but CONFBOT_DB,
    CONFBOT_PROGRAM and `env`'s."""

    def run(*args: str, stdin: str | None = None, db: Path, program: Path | None = None,
            **env: str):  # fmt: skip
        from bot.cli import main

        wanted = {**_cli_env(db, program), **env}
        with monkeypatch.context() as patched:
            for name in os.environ.keys() - wanted.keys():
                patched.delenv(name)
            for name, value in wanted.items():
                patched.setenv(name, value)
            patched.chdir(ROOT)
            out, err = io.StringIO(), io.StringIO()
            patched.setattr(sys, "stdin", io.StringIO(stdin or ""))
            patched.setattr(sys, "stdout", out)
            patched.setattr(sys, "stderr", err)
            said = logging.StreamHandler(err)  # what basicConfig would print there
            said.setFormatter(logging.Formatter(LOG_FORMAT))
            said.setLevel(logging.WARNING)
            pool = logging.getLogger("psycopg.pool")
            pool_level = pool.level
            logging.getLogger().addHandler(said)
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors and --help
                code = exit_.code if isinstance(exit_.code, int) else 1
            finally:
                logging.getLogger().removeHandler(said)
                pool.setLevel(pool_level)  # configure_logging quiets it
        return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())

    return run


def test_cli_load_prints_a_validation_report(cli, tmp_path: Path):
    result = cli("load", db=tmp_path / "c.db")
    assert result.returncode == 0, result.stderr
    assert "3 days, 11 sessions, 53 papers, 379 author entries (350 people)" in result.stdout
    assert "5 published, 48 derived" in result.stdout


def test_cli_ask_travels_in_time(cli, tmp_path: Path):
    result = cli("ask", "/next", "--now", "2024-07-10T17:50Z", db=tmp_path / "c.db")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OSDI '24 · Wed Jul 10, 10:50 PDT\nOn now\n  Sabre")


def test_cli_console_reads_commands_from_a_pipe(cli, tmp_path: Path):
    script = "/paper llumnix\n/author Clement\n"
    result = cli("console", "--now", "2024-07-10T10:50", stdin=script, db=tmp_path / "c.db")
    assert result.returncode == 0, result.stderr
    assert "Llumnix: Dynamic Scheduling" in result.stdout
    assert "Clément Burgevin — 1 paper" in result.stdout


def test_cli_without_token_opens_the_console_with_a_notice(tmp_path: Path):
    result = run_cli(stdin="/about\n", db=tmp_path / "c.db")
    assert result.returncode == 0, result.stderr
    assert "No DISCORD_TOKEN is set" in result.stderr
    assert "OSDI '24" in result.stdout


def test_cli_usage_error_is_one_line_and_exit_2(cli, tmp_path: Path):
    result = cli("ask", "/next", "--now", "not-a-time", db=tmp_path / "c.db")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr


def test_cli_bad_program_file_exits_1_naming_the_line(cli, tmp_path: Path, program_copy: Path):
    toc = program_copy / "program.txt"
    toc.write_text(toc.read_text(encoding="utf-8") + "\nStray, *Author*; Line, *Here*\n")
    result = cli("load", db=tmp_path / "c.db", program=program_copy)
    assert result.returncode == 1
    assert "program.txt:213" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_paths_do_not_import_discord(tmp_path: Path):
    code = (
        "import sys; from bot.cli import main; "
        "main(['ask', '/next', '--now', '2024-07-10T10:50']); "
        "print('discord loaded' if 'discord' in sys.modules else 'discord not loaded')"
    )
    env = {**os.environ, "CONFBOT_DB": str(tmp_path / "c.db")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=60)  # fmt: skip
    assert result.stdout.strip().endswith("discord not loaded")


# -- one bad line never ends a session ---------------------------------------------------


def test_an_internal_failure_answers_that_line_and_the_session_goes_on(
    service: ProgramService, monkeypatch
):
    console = Console(service, FixedClock(pacific("2024-07-10T10:50")))

    def broken(now, *filters, **named):
        raise RuntimeError("index on fire")

    monkeypatch.setattr(service, "now", broken)
    out, err = io.StringIO(), io.StringIO()
    code = console.run_lines(["/now\n", "/paper sabre\n"], out, err)
    assert code == INTERNAL
    assert "Sorry, /now failed inside confbot (RuntimeError: index on fire)" in err.getvalue()
    assert "Sabre" in out.getvalue()  # the next line was still answered


def test_a_piped_session_survives_lines_that_used_to_crash(cli, tmp_path: Path):
    lines = "/next ,\n/next day ²\n/next 0001-01-01\n/paper sabre\n"
    result = cli("console", "--now", "2024-07-10T10:50", stdin=lines, db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert "Traceback" not in result.stderr
    assert result.stderr.count("I can't read") == 2
    assert "out of range" in result.stderr
    assert "Sabre: Hardware-Accelerated" in result.stdout


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00Z"])
def test_now_at_the_edges_of_time_is_a_usage_error(cli, tmp_path: Path, moment: str):
    result = cli("ask", "/next", "--now", moment, db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert result.stderr.startswith("confbot: --now: ")
    assert "out of range" in result.stderr
    assert "Traceback" not in result.stderr


def test_ask_into_a_closed_pipe_exits_quietly(tmp_path: Path):
    # PYTHONUNBUFFERED off, as on most machines: the answer then waits in Python's buffer
    # and meets the closed pipe only when it is flushed.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONFBOT_", "DISCORD_")) and k != "PYTHONUNBUFFERED"}  # fmt: skip
    env["CONFBOT_DB"] = str(tmp_path / "c.db")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "/schedule wednesday"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
    )  # fmt: skip
    process.stdout.close()  # like `| head -1` having read its line and left, before we write
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 141
    assert b"Traceback" not in stderr
    assert b"BrokenPipeError" not in stderr


@pytest.mark.parametrize("zone", ["Nowhere/Zone", "America", "../etc", "x" * 300])
def test_load_with_a_bad_timezone_is_one_line(cli, tmp_path: Path, zone: str):
    result = cli("load", "--timezone", zone, db=tmp_path / "c.db")
    assert result.returncode == USAGE
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("confbot: --timezone: unknown time zone")


def test_load_of_a_source_that_does_not_exist_is_one_line(cli, tmp_path: Path):
    result = cli("load", str(tmp_path / "missing.xml"), db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert result.stderr.strip() == f"confbot: {tmp_path / 'missing.xml'} does not exist."


def test_load_dry_run_shows_what_would_change_and_changes_nothing(cli, tmp_path: Path):
    import shutil

    from bot.settings import BUNDLED_PROGRAM
    from tests.program_edits import move_talk

    db = tmp_path / "c.db"
    assert cli("load", db=db).returncode == 0
    built = db.read_bytes()
    changed = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, changed)
    move_talk(changed, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
    result = cli("load", "--dry-run", str(changed), db=db)
    assert result.returncode == 0, result.stderr
    assert "would change 1 talk(s) of OSDI '24 (nothing was changed)" in result.stdout
    assert "NOMAD: Non-Exclusive Memory Tiering via Transactional Page Migration — moved:" in (
        result.stdout
    )
    assert "11:40" in result.stdout
    assert db.read_bytes() == built


def test_load_dry_run_without_a_database_says_to_load_first(cli, tmp_path: Path):
    result = cli("load", "--dry-run", db=tmp_path / "none.db")
    assert result.returncode == USAGE
    assert "holds no program yet: run load first." in result.stderr
