"""Command line: `python -m bot [load|ask|console|status|run|sync|invite|...]` (also `confbot ...`).

Usage errors print one line and exit 2; a program file that cannot be loaded exits 1
with the file and line; nothing prints a traceback at a person.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

from bot import __version__
from bot.i18n.language import Language
from bot.importer.errors import ProgramFileError
from bot.settings import Settings, SettingsError, missing_program, zone_setting

if TYPE_CHECKING:
    from bot.changes import RecordedChange

log = logging.getLogger(__name__)

USAGE_ERROR = 2
DATA_ERROR = 1
BROKEN_PIPE = 128 + 13  # what a shell reports for a command ended by SIGPIPE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="confbot",
        description="A conference program in a Discord server's hands, or in your terminal.",
        epilog="With no command: runs the bot if DISCORD_TOKEN is set, else opens the console.",
    )
    parser.add_argument("--version", action="version", version=f"confbot {__version__}")
    parser.add_argument("--language", **_language_option(None))
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    load = sub.add_parser(
        "load", help="(re)build the database from the program and print what was found"
    )
    load.add_argument(
        "source", nargs="?", help="a program file or directory (default: CONFBOT_PROGRAM)"
    )
    load.add_argument("--timezone", help="the zone of a program that names none (Europe/Berlin)")
    load.add_argument("--if-stale", action="store_true", help="only rebuild when files changed")
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="show what loading SOURCE would change in the program served now; change nothing",
    )
    now_help = "travel in time: conference local time (2024-07-10T10:50) or ISO with offset/Z"
    ask = sub.add_parser("ask", help='answer one command, e.g. ask "/paper sabre"')
    ask.add_argument("line", nargs="+", help="the command, e.g. /next or /author haibo chen")
    ask.add_argument("--now", help=now_help)
    ask.add_argument("--language", **_language_option(argparse.SUPPRESS))
    console = sub.add_parser("console", help="interactive prompt (reads stdin when piped)")
    console.add_argument("--now", help=now_help)
    console.add_argument("--language", **_language_option(argparse.SUPPRESS))
    export = sub.add_parser("export-ics", help="write the whole program as an .ics calendar")
    export.add_argument(
        "--out", help="file to write (default: <conference>-program.ics; - for stdout)"
    )
    sub.add_parser("versions", help="the versions of the program the bot has served")
    diff = sub.add_parser("diff", help="what changed between two versions (default: the last two)")
    diff.add_argument("old", nargs="?", type=int, help="a version number (see versions)")
    diff.add_argument("new", nargs="?", type=int, help="a later version number")
    status = sub.add_parser(
        "status", help="what the bot is set to do in each server (as /status shows it)"
    )
    status.add_argument("--conference", metavar="KEY", help="only this conference")
    status.add_argument("--server", metavar="ID", type=int, help="only this server")
    sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    sync = sub.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, help="sync to one server (appears at once)")
    sub.add_parser(
        "invite", help="print the address that adds the bot to a server (needs DISCORD_CLIENT_ID)"
    )
    forget = sub.add_parser(
        "forget-registrations",
        help="delete a conference's ticket registrations (after the event; roles stay)",
    )
    forget.add_argument("conference", metavar="CONFERENCE", help="the conference's key")
    migrate = sub.add_parser(
        "migrate-state",
        help="copy a stopped bot's SQLite state into the empty PostgreSQL state"
        " CONFBOT_STATE_URL names",
    )
    migrate.add_argument("sqlite_file", metavar="SQLITE_FILE", help="the SQLite state file")
    return parser


def _language_option(default: object) -> dict[str, Any]:
    """--language, before the command (`confbot --language de`, the console opened with
    no DISCORD_TOKEN) or after ask or console: the subcommands' default leaves the one
    given before untouched."""
    return {
        "choices": [language.value for language in Language],
        "default": default,
        "help": "the language the console answers in, as the bot answers a reader of it;"
        " commands and options keep their English names (default: CONFBOT_LANGUAGE, else en)",
    }


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        # Flush here, not at exit: buffered output meets a reader who left (`| head -1`)
        # when it is flushed, and Python's own flush at exit would report it as exit 120.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # `confbot ask ... | head -1`: the reader left. Say nothing more, as `yes | head`
        # would, and point stdout at nothing so the flush at exit cannot complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        return _fail(str(exc), USAGE_ERROR)
    settings.configure_logging(default="INFO" if args.command in ("run", "sync") else "WARNING")
    try:
        return _dispatch(args, settings)
    except ProgramFileError as exc:
        return _fail(f"cannot load the program: {exc}", DATA_ERROR)
    except SettingsError as exc:  # found only once a file is opened (CONFBOT_DB and such)
        return _fail(str(exc), USAGE_ERROR)
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command
    if command is None:
        if settings.discord_token:
            command = "run"
        else:
            from bot.i18n import bundled_messages

            language = Language(args.language) if args.language else settings.console_language
            w = bundled_messages().words(language)
            print(w.tr("No DISCORD_TOKEN is set, so here is the offline console"
                       " (docs/organisers.md tells how to run the Discord bot)."),
                  file=sys.stderr)  # fmt: skip
            args.now = None
            command = "console"
    if command == "load":
        if args.source:
            source = Path(args.source).expanduser()
            if not source.exists():
                return _fail(f"{source} does not exist.", USAGE_ERROR)
            settings = dataclasses.replace(settings, program=source)
        if args.timezone:
            zone = zone_setting(args.timezone, "--timezone")  # SettingsError: usage error
            settings = dataclasses.replace(settings, timezone=zone)
        if args.dry_run:
            return asyncio.run(_dry_run(settings))
        return asyncio.run(_load(settings, force=not args.if_stale))
    if command in ("ask", "console"):
        return asyncio.run(_console(settings, args, command))
    if command == "export-ics":
        return asyncio.run(_export_ics(settings, args.out))
    if command == "versions":
        return asyncio.run(_versions(settings))
    if command == "diff":
        return asyncio.run(_diff(settings, args.old, args.new))
    if command == "status":
        return asyncio.run(_status(settings, args.conference, args.server))
    if command == "invite":
        return _invite(settings)
    if command == "forget-registrations":
        return asyncio.run(_forget_registrations(settings, args.conference))
    if command == "migrate-state":
        return asyncio.run(_migrate_state(settings, Path(args.sqlite_file).expanduser()))
    from bot.adapters.discord.runner import run_bot, sync_commands

    if command == "run":
        return run_bot(settings)
    return sync_commands(settings, guild_id=args.guild)


def _invite(settings: Settings) -> int:
    """The invite address on stdout alone, so a script can open or paste it; when a
    conference has a pretix event, why it also asks for Manage Roles, on stderr."""
    if settings.discord_client_id is None:
        return _fail(
            "DISCORD_CLIENT_ID is not set: copy the Application ID from General Information"
            " at https://discord.com/developers/applications into .env as"
            " DISCORD_CLIENT_ID=..., then run invite again.",
            USAGE_ERROR,
        )
    from bot.adapters.discord.invite import invite_url

    with_tickets = [s for s in settings.sources if s.pretix is not None]
    print(invite_url(settings.discord_client_id, tickets=bool(with_tickets)))
    if with_tickets:
        events = ", ".join(s.pretix.event for s in with_tickets if s.pretix is not None)
        print(
            f"It asks for Manage Roles too, because CONFBOT_PRETIX_EVENT_URL sets a pretix"
            f" event ({events}): /register gives ticket holders their roles. After adding"
            " the bot, drag its role above every role you map (docs/organisers.md, Tickets).",
            file=sys.stderr,
        )
    return 0


async def _forget_registrations(settings: Settings, conference: str) -> int:
    """Delete every ticket registration of a conference (what pretix tickets were registered
    by whom, as keyed hashes): after the event, nothing of it needs keeping. The roles given
    stay. Writes: on a SQLite state the bot must be stopped (its state file is its own while
    it runs); on PostgreSQL it runs beside the bots."""
    from bot.app import open_state

    state = await open_state(settings)
    try:
        kept = await state.tickets.conferences()
        if conference not in kept:
            listed = ", ".join(kept) if kept else "none"
            return _fail(f"no registrations of {conference!r} are kept (conferences with"
                         f" registrations: {listed}).", USAGE_ERROR)  # fmt: skip
        count = await state.tickets.forget(conference)
    finally:
        await state.close()
    print(f"Forgot {count} ticket registration(s) of {conference}; the roles given stay.")
    return 0


async def _migrate_state(settings: Settings, source: Path) -> int:
    """Copy a stopped bot's SQLite state into the PostgreSQL state the settings name, so
    a running conference moves without losing a reminder (see bot.store.state_copy)."""
    from bot.render.state_copy import copied_text
    from bot.store.connection import StoreUnavailable
    from bot.store.state_copy import copy_state

    if settings.state_url is None:
        return _fail(
            "migrate-state copies into the PostgreSQL state CONFBOT_STATE_URL (or"
            " DATABASE_URL) names, and neither is set: set CONFBOT_STATE_URL="
            "postgresql://user:password@host:port/database to an empty database, then run"
            " it again.",
            USAGE_ERROR,
        )
    try:
        copied = await copy_state(source, settings.state_url, int(datetime.now(UTC).timestamp()))
    except StoreUnavailable as exc:
        # The file by its path; the server by the setting that named it (no password).
        named = exc.path if isinstance(exc.path, Path) else f"{settings.state_url_from}={exc.path}"
        return _fail(f"{named}: {exc.reason}.", USAGE_ERROR)
    print(copied_text(copied))
    return 0


async def _versions(settings: Settings) -> int:
    from bot.app import open_state

    state = await open_state(settings, to_read=True)  # beside a running bot too
    try:
        versions = await state.versions.newest_first()
    finally:
        await state.close()
    if not versions:
        print("No versions kept yet: the bot keeps each program it serves.")
        return 0
    for v in versions:
        loaded = datetime.fromtimestamp(v.loaded_ts, UTC).strftime("%Y-%m-%d %H:%M UTC")
        label = f"  version {v.label!r}" if v.label else ""
        print(f"{v.id:>5}  {loaded}  {v.conference}{label}  ({v.size:,} bytes zipped)")
    return 0


async def _diff(settings: Settings, old: int | None, new: int | None) -> int:
    from bot.app import open_state
    from bot.live.diff import diff
    from bot.live.sync import records
    from bot.live.versions import read_kept
    from bot.render.text import change_lines

    state = await open_state(settings, to_read=True)  # beside a running bot too
    try:
        ids = [v.id for v in await state.versions.newest_first()]
        if new is None:
            new = ids[0] if ids else None
        if old is None:
            old = next((i for i in ids if new is not None and i < new), None)
        if old is None or new is None:
            return _fail("two versions are needed: see python -m bot versions.", USAGE_ERROR)
        archives = [await state.versions.archive(old), await state.versions.archive(new)]
    finally:
        await state.close()
    if None in archives:
        return _fail(f"no version {old if archives[0] is None else new}: see versions.",
                     USAGE_ERROR)  # fmt: skip
    before, after = (read_kept(data, settings.timezone) for data in archives if data is not None)
    changes = diff(before, after)
    print(f"Version {old} -> {new}: {len(changes)} talk(s) changed")
    for line in change_lines(records(changes), after.conference.tz):
        print(f"  {line}")
    return 0


async def _status(settings: Settings, only: str | None, server: int | None) -> int:
    """/status for the operator: which process holds which shards and follows which
    conference, then every conference, and in it every server that set anything up (or
    the one asked for). Only reads, so it runs beside the bot."""
    from bot.adapters.console_status import served_programs
    from bot.app import open_state
    from bot.render.status_cards import cluster_text
    from bot.render.text import render_status, render_status_heading
    from bot.service.status import StatusService

    now = datetime.now(UTC)
    state = await open_state(settings, to_read=True)  # beside a running bot too
    try:
        programs = await served_programs(settings, state)
        if only is not None:
            if only not in [p.key for p in programs]:
                keys = ", ".join(p.key for p in programs)
                return _fail(f"--conference: no conference {only!r} (there are {keys}).",
                             USAGE_ERROR)  # fmt: skip
            programs = [p for p in programs if p.key == only]
        statuses = StatusService(state)
        print(cluster_text(await statuses.cluster(now, [p.key for p in programs]), now))
        for served in programs:
            print()
            print(render_status_heading(served.key, served.conference, served.facts, now))
            servers = [server] if server is not None else await statuses.servers(served.key)
            if not servers:
                print("  No server has set anything up for it yet.")
            tz = served.conference.tz if served.conference else ZoneInfo("UTC")
            for guild_id in servers:
                status = await statuses.server(served.key, guild_id, served.facts)
                print(render_status(status, tz, now))
    finally:
        await state.close()
    return 0


async def _dry_run(settings: Settings) -> int:
    """The served program (the database as built) against SOURCE, changing nothing."""
    from bot.importer.registry import read_source
    from bot.live.diff import diff
    from bot.live.sync import records
    from bot.render.text import change_lines
    from bot.store import ProgramStore

    if settings.program_url is None and not settings.program.exists():  # as at every start
        raise missing_program(settings.program)
    if not settings.db_path.is_file():
        return _fail(f"{settings.db_path} holds no program yet: run load first.", USAGE_ERROR)
    async with await ProgramStore.open(settings.db_path) as store:
        current = await store.read_program()
    new = read_source(settings.program, settings.timezone).program
    changes = diff(current, new)
    print(f"Loading {settings.program} would change {len(changes)} talk(s) of"
          f" {current.conference.name} (nothing was changed):")  # fmt: skip
    for line in change_lines(records(changes), new.conference.tz):
        print(f"  {line}")
    return 0


async def _load(settings: Settings, force: bool) -> int:
    from bot.app import load_service
    from bot.render.text import render_load

    loaded = await load_service(settings, force=force)
    print(render_load(loaded.service.program, loaded.report, settings.program, settings.db_path))
    return 0


async def _console(settings: Settings, args: argparse.Namespace, command: str) -> int:
    from bot.adapters.console import Console
    from bot.app import load_service, make_clock
    from bot.i18n import bundled_messages
    from bot.render.refusals import refusal
    from bot.service import WhenError, parse_moment

    language = Language(args.language) if args.language else settings.console_language
    words = bundled_messages().words(language)
    loaded = await load_service(settings)
    conference = loaded.service.conference
    start: datetime | None = settings.simulated_now
    if args.now:
        try:
            start = parse_moment(args.now, conference.timezone)
        except WhenError as exc:
            return _fail(f"--now: {refusal(exc, words, repr)}", USAGE_ERROR)
    cancelled = await _cancelled(settings, conference.key)
    console = Console(loaded.service, make_clock(conference, start), cancelled, words)
    if command == "ask":
        reply = console.execute(" ".join(args.line))
        print(reply.text, file=sys.stdout if reply.code == 0 else sys.stderr)
        return reply.code
    if sys.stdin.isatty():
        return console.interact()
    return console.run_lines(sys.stdin, sys.stdout, sys.stderr)


async def _cancelled(settings: Settings, conference: str) -> list[RecordedChange]:
    """The talks the bot's kept versions removed, for the console's /paper to say so as
    the bot does; none when there is no state database yet (the console never makes one)
    or it cannot be read (the console answers from the program all the same)."""
    from bot.app import open_state

    if settings.state_url is None and not settings.state_db.exists():
        return []
    try:
        state = await open_state(settings, to_read=True)  # beside a running bot too
    except SettingsError as exc:
        log.warning("cannot read the program's changes: %s", exc)
        return []
    try:
        return await state.versions.cancelled(conference)
    finally:
        await state.close()


async def _export_ics(settings: Settings, out: str | None) -> int:
    from datetime import UTC, datetime
    from pathlib import Path

    from bot.app import load_service
    from bot.render import ics

    service = (await load_service(settings)).service
    conference = service.conference
    items = service.calendar_items()
    data = ics.calendar(items, conference, conference.name, datetime.now(UTC))
    if out == "-":
        sys.stdout.buffer.write(data)
        return 0
    path = Path(out or ics.filename(conference, "program"))
    try:
        path.write_bytes(data)
    except OSError as exc:
        return _fail(f"cannot write {path}: {exc.strerror}", USAGE_ERROR)
    print(f"Wrote {len(items)} events to {path}")
    return 0


def _fail(message: str, code: int) -> int:
    print(f"confbot: {message}", file=sys.stderr)
    return code
