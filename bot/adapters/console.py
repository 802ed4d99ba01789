"""The console adapter: the same answers as the Discord bot, in plain text.

It is how organisers check a program before the conference, how we demo confbot
without a token, and what scripts drive (one command per line on stdin).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from bot import __version__
from bot.changes import RecordedChange
from bot.clock import Clock
from bot.i18n import ENGLISH, Words
from bot.i18n.messages import COMMAND_NAME
from bot.render import board, text
from bot.render.refusals import day_forms, refusal, time_forms
from bot.service import ProgramService, QueryError, WhenError
from bot.service.cancelled import find_cancelled
from bot.service.program_service import LanguageRefused
from bot.service.results import NoMatch, ProgramSize, TrackAnswer

log = logging.getLogger(__name__)

MAX_LINE = 500
# Exit codes: answered, nothing matched, usage error, a fault of ours (logged).
OK, NOT_FOUND, USAGE, INTERNAL = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    code: int = OK


@dataclass(frozen=True, slots=True)
class Command:
    usage: str
    summary: str
    run: Callable[[str], Reply]
    needs_argument: bool = False


class Console:
    def __init__(
        self, service: ProgramService, clock: Clock, cancelled: Sequence[RecordedChange] = (),
        words: Words = ENGLISH,
    ) -> None:  # fmt: skip
        """`cancelled`: the talks the kept versions removed (bot.store.versions_store), so
        /paper says one was cancelled, as the bot does. `words`: the language (--language)
        every answer is in, as the bot answers a reader of that language; the commands
        and their options keep their English names (/next, room:)."""
        self.service = service
        self.words = words
        self.clock = clock
        self.cancelled = cancelled
        self.conference = service.conference
        self.commands = _commands(self, words)
        # Each command also by the name a reader of the language sees in Discord
        # (/demnächst, /à-suivre), so that a translated sentence naming one can be typed.
        self.aliases = {alias.casefold(): name for name in self.commands
                        if (alias := words.translated(name, COMMAND_NAME))
                        and alias.casefold() not in self.commands}  # fmt: skip

    def execute(self, line: str) -> Reply:
        """Run one command line such as '/paper sabre' and return what to print."""
        w = self.words
        if len(line) > MAX_LINE:
            return Reply(w.tr("That input is {length} characters long; {limit} at most.",
                              length=w.number(len(line)), limit=w.number(MAX_LINE)),
                         USAGE)  # fmt: skip
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in line):
            return Reply(w.tr("That input contains control characters."), USAGE)
        stripped = line.strip()
        if not stripped:
            return Reply(w.tr("Type a command, such as /next or /paper sabre. /help lists them."),
                         USAGE)  # fmt: skip
        name, _, argument = stripped.lstrip("/").partition(" ")
        command = self.commands.get(self.aliases.get(name.casefold(), name.lower()))
        if command is None:
            unknown = w.tr("Unknown command {name}.", name=repr(name[:40]))
            return Reply(f"{unknown} {self._command_list()}", USAGE)
        argument = argument.strip()
        if command.needs_argument and not argument:
            return Reply(w.tr("Usage: {usage} — {summary}.", usage=command.usage,
                              summary=command.summary), USAGE)  # fmt: skip
        try:
            return command.run(argument)
        except WhenError as exc:  # before QueryError: a day refused is both
            return Reply(refusal(exc, self.words, repr), USAGE)
        except LanguageRefused as exc:  # before QueryError: the closest named in our words
            return Reply(board.language_refusal(exc, str, self.words), USAGE)
        except QueryError as exc:
            return Reply(exc.render(str, self.words.tr, self.words.number), USAGE)
        except Exception as exc:  # one line fails; a piped session goes on with the next
            log.debug("/%s failed", name, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
            return Reply(w.tr("Sorry, /{command} failed inside confbot ({error}). LOG_LEVEL=DEBUG"
                              " shows the details.", command=name.lower(), error=error),
                         INTERNAL)  # fmt: skip

    def _command_list(self) -> str:
        """'Commands: /next [when] …, /help.'"""
        usages = ", ".join(c.usage for c in self.commands.values())
        return self.words.tr("Commands: {commands}.", commands=usages)

    def next(self, argument: str) -> Reply:
        argument, options = _options(argument)
        where = self.service.where(**options)
        now = self.clock.now()
        at = self.service.when(argument, now) if argument else now
        answer = self.service.next(at, where=where)
        return Reply(text.render_next(answer, self.conference, self.words))

    def now(self, argument: str) -> Reply:
        where = self.service.where(**_options(argument)[1])
        answer = self.service.now(self.clock.now(), where=where)
        return Reply(text.render_now(answer, self.conference, self.words))

    def talk(self, argument: str) -> Reply:
        if (gone := find_cancelled(self.service, argument, self.cancelled)) is not None:
            return Reply(text.render_cancelled(gone, self.conference, self.words))
        answer = self.service.talk(argument)
        return Reply(text.render_talk(answer, self.conference, self.words), _code(answer))

    def author(self, argument: str) -> Reply:
        answer = self.service.author(argument)
        return Reply(text.render_author(answer, self.conference, self.words), _code(answer))

    def session(self, argument: str) -> Reply:
        answer = self.service.session_or_track(argument, self.clock.now())
        if isinstance(answer, TrackAnswer):
            return Reply(text.render_track(answer, self.conference, self.words))
        return Reply(text.render_session(answer, self.conference, self.words), _code(answer))

    def track(self, argument: str) -> Reply:
        """'/track Security day:saturday', the day written as Discord's option is."""
        name, _, day = argument.partition(" day:")
        answer = self.service.track(name, self.clock.now(), day.strip() or None)
        return Reply(text.render_track(answer, self.conference, self.words), _code(answer))

    def schedule(self, argument: str) -> Reply:
        answer = self.service.day(argument, self.clock.now())
        return Reply(text.render_day(answer, self.conference, self.words))

    def search(self, argument: str) -> Reply:
        answer = self.service.search(argument)
        return Reply(
            text.render_search(answer, self.conference, self.words),
            NOT_FOUND if answer.empty else OK,
        )

    def about(self, argument: str) -> Reply:
        program = self.service.program
        return Reply(
            text.render_about(self.conference, __version__, ProgramSize.of(program), self.words)
        )

    def help(self, argument: str) -> Reply:
        w = self.words
        width = max(len(c.usage) for c in self.commands.values())
        lines = [f"  {c.usage:<{width}}  {c.summary}" for c in self.commands.values()]
        lines.append(f"  /quit{'':<{width - 5}}  " + w.tr("leave the console"))
        # Translators: the console's commands keep their English names (/next, /schedule).
        lines.append(w.tr("Times for /next: {forms}.", forms=time_forms(w)))
        lines.append(w.tr("Days for /schedule and /track: {forms}.", forms=day_forms(w)))
        return Reply("\n".join([w.tr("{label}:", label=w.tr("Commands")), *lines]))

    def run_lines(self, lines: Iterable[str], out: TextIO, err: TextIO) -> int:
        """Scripted mode: one command per line; '#' comments and blank lines are skipped."""
        worst = OK
        first = True
        for raw in lines:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.strip().lstrip("/").lower() in ("quit", "exit"):
                break
            reply = self.execute(line)
            if not first:
                print(file=out)
            first = False
            print(reply.text, file=out if reply.code == OK else err)
            worst = max(worst, reply.code)
        return worst

    def interact(self, out: TextIO = sys.stdout) -> int:
        """A prompt for people at a terminal."""
        with contextlib.suppress(ImportError):  # line editing and history, where available
            import readline  # noqa: F401
        welcome = self.words.tr("/help lists commands, /quit leaves.")
        print(f"confbot console · {self.conference.name} · {welcome}", file=out)
        while True:
            try:
                line = input("confbot> ")
            except (EOFError, KeyboardInterrupt):
                print(file=out)
                return OK
            if line.strip().lstrip("/").lower() in ("quit", "exit"):
                return OK
            if line.strip():
                print(self.execute(line).text, file=out)


# '/next 14:00 room:Janson track:LLVM': the board's filters, named as Discord's options.
_OPTION = re.compile(r"(?:^|\s)(room|track|language):", re.IGNORECASE)


def _options(argument: str) -> tuple[str, dict[str, str]]:
    """What comes before the first option (a moment), and each option's value."""
    parts = _OPTION.split(argument)
    options = {
        name.lower(): value.strip() for name, value in zip(parts[1::2], parts[2::2], strict=False)
    }
    return parts[0].strip(), options


def _commands(console: Console, w: Words) -> dict[str, Command]:
    """Each command by its name: its usage and what it does, in `w`'s words (the command,
    its options and their colons as typed, in English)."""
    c = Command
    return {
        # Translators: a console command's usage: keep the command and its options (room:,
        # track:, language:, day:) as they are typed; translate the words in <> and [].
        "next": c(w.tr("/next [when] [room:…] [track:…] [language:…]"),
                  w.tr("what starts next, and what's on"), console.next),
        # Translators: as /next's usage: translate only the words in <> and [].
        "now": c(w.tr("/now [room:…] [track:…] [language:…]"),
                 w.tr("what is on stage right now"), console.now),
        "paper": c(w.tr("/paper <title>"), w.tr("find a paper by (part of) its title"),
                   console.talk, True),
        "author": c(w.tr("/author <name>"), w.tr("a person's papers, with times"),
                    console.author, True),
        "session": c(w.tr("/session <name>"), w.tr("a session's talks and times"),
                     console.session, True),
        # Translators: as /next's usage: keep day: as it is.
        "track": c(w.tr("/track <name> [day:D]"), w.tr("a track's talks in every room"),
                   console.track, True),
        "schedule": c(w.tr("/schedule <day>"),
                      # Translators: the example in quotes is a day in your language.
                      w.tr("a day at a glance ('thursday')"),
                      console.schedule, True),
        "search": c(w.tr("/search <words>"), w.tr("papers, people, affiliations"),
                    console.search, True),
        "about": c("/about", w.tr("the conference and where the data comes from"),
                   console.about),
        "help": c("/help", w.tr("this list"), console.help),
    }  # fmt: skip


def _code(answer: object) -> int:
    return NOT_FOUND if isinstance(answer, NoMatch) else OK
