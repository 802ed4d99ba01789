"""The catalogs' template from the code, and the catalogs brought up to it:
`python -m bot.adapters.discord.catalogs` (docs/translating.md).

Every message the code uses is found two ways: sentences by the markers of
bot.i18n.messages (`tr`, `ntr`, `ptr`, `N_`: Babel's extractor, over bot/), and the
command tree's names, descriptions, options and choices by walking the cogs' commands (as
discord.py does when it asks CatalogTranslator for them). tests/test_catalogs.py checks
every catalog against the same list, so a message used in code cannot lack a translation.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.dates import parse_pattern
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.changes_cog import ChangesCog
from bot.adapters.discord.cog import ProgramCog
from bot.adapters.discord.conference_cog import ConferenceCog
from bot.adapters.discord.events_cog import EventsCog
from bot.adapters.discord.program_cog import ProgramAdminCog
from bot.adapters.discord.qa_cog import QACog
from bot.adapters.discord.reminders_cog import RemindersCog
from bot.adapters.discord.streams_cog import StreamsCog
from bot.adapters.discord.tickets_cog import TicketsCog
from bot.i18n import Language, messages
from bot.i18n.messages import COMMAND_NAME, DATE_PATTERN, DOMAIN, OPTION_NAME

PACKAGE = Path(__file__).resolve().parents[2]  # bot/
LOCALES = PACKAGE / "locales"
TEMPLATE = LOCALES / f"{DOMAIN}.pot"
COGS: tuple[type[commands.Cog], ...] = (
    ProgramCog, RemindersCog, EventsCog, StreamsCog, QACog, ChangesCog, ProgramAdminCog,
    ConferenceCog, TicketsCog,
)  # fmt: skip
# The markers (bot.i18n.messages.Words and N_), as Babel's extractor reads them.
KEYWORDS: dict[str, Any] = {"tr": None, "ntr": (1, 2), "ptr": ((1, "c"), 2), "N_": None}
COMMENT_TAGS = ("Translators:",)
HEADER = (
    "# confbot's messages (docs/translating.md): made by\n"
    "# python -m bot.adapters.discord.catalogs; translations go in <language>/LC_MESSAGES."
)


@dataclass(frozen=True, slots=True)
class Message:
    """One message id (a pair for a plural), its context, where it is and a note for
    the translator."""

    id: str | tuple[str, str]
    context: str | None
    where: str
    note: str = ""


def code_messages(root: Path = PACKAGE) -> list[Message]:
    """The sentences under `root` marked for translation. A marker given anything but
    plain strings (an f-string, a name) is a Message with an empty id: the test fails on
    it, since no catalog could hold it."""
    found = []
    extracted = extract_from_dir(
        str(root), [("**.py", "python")], keywords=KEYWORDS, comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    )  # fmt: skip
    # Babel warns of every f-string inside a marker's call, its values' too (a value
    # f"{n:.0f}" is fine): the first argument is what matters, and is checked below.
    with contextlib.redirect_stderr(io.StringIO()):
        listed = list(extracted)
    for filename, line, message, comments, context in listed:
        where = f"bot/{filename}:{line}"
        if isinstance(message, tuple):
            singular, plural = message[0], message[1]
            ids: str | tuple[str, str] = (singular or "", plural or "")
        else:
            ids = message or ""
        found.append(Message(ids, context, where, " ".join(comments)))
    return found


def command_messages(cogs: Sequence[type[commands.Cog]] = COGS) -> list[Message]:
    """Every string of the command tree Discord shows: names, descriptions, option names
    and descriptions, choices."""
    return [m for cog in cogs for command in cog.__cog_app_commands__ for m in _walk(command)]


def _walk(
    command: app_commands.Command[Any, ..., Any] | app_commands.Group, parent: str = ""
) -> Iterator[Message]:
    where = "/" + parent + command.name
    note = "A command's name: lowercase, no spaces, at most 32 letters, digits, - or _."
    yield Message(command.name, COMMAND_NAME, where, note)
    yield Message(command.description, None, where, "A description: 100 characters at most.")
    if isinstance(command, app_commands.Group):
        for sub in command.commands:
            yield from _walk(sub, parent + command.name + " ")
        return
    for parameter in command.parameters:
        at = f"{where} {parameter.display_name}"
        yield Message(parameter.display_name, OPTION_NAME, at,
                      "An option's name: lowercase, no spaces, at most 32 characters.")  # fmt: skip
        yield Message(parameter.description, None, at, "100 characters at most.")
        for choice in parameter.choices:
            yield Message(choice.name, None, at, "A choice: 100 characters at most.")


def template(messages: Sequence[Message]) -> Catalog:
    """The .pot: every message once, with where it is used and its notes."""
    catalog = Catalog(domain=DOMAIN, project="confbot", msgid_bugs_address="",
                      copyright_holder="confbot", charset="utf-8", fuzzy=False,
                      header_comment=HEADER)  # fmt: skip
    for message in messages:
        if not message.id or (isinstance(message.id, tuple) and not all(message.id)):
            continue
        path, _, line = message.where.partition(":")
        comments = [message.note] if message.note else []
        existing = catalog.get(message.id, message.context)
        if existing is not None:
            existing.locations.append((path, int(line) if line.isdigit() else 0))
            existing.auto_comments.extend(c for c in comments if c not in existing.auto_comments)
            continue
        catalog.add(message.id, locations=[(path, int(line) if line.isdigit() else 0)],
                    auto_comments=comments, context=message.context)  # fmt: skip
    return catalog


def all_messages() -> list[Message]:
    return code_messages() + command_messages()


PLACEHOLDER = re.compile(r"\{(\w+)\}")
# A localised command or option name, as Discord takes it: letters of any script, digits,
# - and _, 1 to 32 of them, lowercase.
NAME = re.compile(r"^[-_\w]{1,32}$")
TEXT_MAX = 100  # a description's or a choice's characters, in any language


def read_catalog(language: Language, locales: Path = LOCALES) -> Catalog:
    return messages.read_catalog(locales, language)


def catalog_problems(messages: Sequence[Message], catalog: Catalog) -> list[str]:
    """What keeps `catalog` from speaking every message in `messages`, one line each: a
    message without a translation (or only a fuzzy one), a translation whose placeholders
    differ from its message's, a command's or option's name Discord would refuse, a
    command's text over 100 characters, a date pattern Babel cannot read."""
    problems = []
    commands = {(m.context, m.id) for m in messages if m.where.startswith("/")}
    for message in messages:
        if not message.id:
            problems.append(f"{message.where}: a marker given no plain string")
            continue
        found = catalog.get(message.id, message.context)
        where = f"{catalog.locale}: {message.id!r} ({message.where})"
        string = () if found is None else found.string
        forms = [f or "" for f in (string if isinstance(string, tuple | list) else [string])]
        if found is None or found.fuzzy or not all(forms) or not forms:
            problems.append(f"{where}: not translated")
            continue
        wanted = set(PLACEHOLDER.findall(message.id[-1] if isinstance(message.id, tuple)
                                         else message.id))  # fmt: skip
        for form in forms:
            if set(PLACEHOLDER.findall(form)) != wanted:
                problems.append(
                    f"{where}: {form!r} has placeholders"
                    f" {sorted(set(PLACEHOLDER.findall(form)))}, not {sorted(wanted)}"
                )
        problems += _rules(message, forms[0], where, (message.context, message.id) in commands)
    return problems


def _rules(message: Message, text: str, where: str, in_tree: bool) -> list[str]:
    """What Discord or Babel asks of a translation beyond its placeholders."""
    if message.context in (COMMAND_NAME, OPTION_NAME):
        if not NAME.match(text) or text != text.lower():
            return [f"{where}: {text!r} is not a lowercase name of 1-32 letters, digits, - or _"]
    elif in_tree and len(text) > TEXT_MAX:
        return [f"{where}: {text!r} is over {TEXT_MAX} characters"]
    elif message.context == DATE_PATTERN:
        try:
            parse_pattern(text)
        except ValueError as exc:
            return [f"{where}: {text!r} is no date pattern ({exc})"]
    return []


def update(locales: Path = LOCALES) -> None:
    """Write the template, and bring each language's catalog up to it: new messages come
    in untranslated (English shows until a translator fills them in), removed ones go."""
    pot = template(all_messages())
    with TEMPLATE.open("wb") as out:
        write_po(out, pot, width=96, include_lineno=False)
    for language in Language:
        path = locales / messages.catalog_file(language)
        if language is Language.EN or not path.is_file():
            continue
        catalog = messages.read_catalog(locales, language)
        catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        with path.open("wb") as out:
            write_po(out, catalog, width=96, ignore_obsolete=True, include_lineno=False)


if __name__ == "__main__":
    update()
    print(f"wrote {TEMPLATE.relative_to(PACKAGE.parent)} and updated the catalogs", file=sys.stderr)
