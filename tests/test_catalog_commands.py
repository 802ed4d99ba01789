"""A command named inside a translated sentence is the command as that language's reader
sees it in Discord's command list: `/demnächst`, `/à-suivre wann:`, `/konferenz wählen`.
A sentence that names `/next` to a German reader, or a subcommand the tree lacks, sends
them looking for a command their client does not show."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog

from bot.adapters.discord import catalogs
from bot.i18n import Language

TRANSLATED = [language for language in Language if language is not Language.EN]
COMMAND_NAME = "command name"
OPTION_NAME = "option name"
# The console's commands keep their English names (bot/adapters/console.py says so), and
# bot/render/text.py writes the console's answers (its sentences Discord shows, the load
# report's, name no command).
CONSOLE = {"bot/adapters/console.py", "bot/render/text.py"}
# `/name`, `/name sub`, `/name [option]`, `/name option: value` inside backticks, or a
# bare /name in running text (a space, a quote or the start before it).
BACKTICKED = re.compile(r"`/([^`]*)`")
BARE = re.compile(r"(?:^|[\s(„«“])/([^\s`/:.,;)»“”]+)")


def _tree(catalog: Catalog) -> dict[str, set[str]]:
    """The localised command names: each top-level name with its subcommands' names."""
    tree: dict[str, set[str]] = {}
    subcommands: list[tuple[str, str]] = []
    for message in catalog:
        if message.context != COMMAND_NAME or not message.string:
            continue
        for where, _ in message.locations:
            path = where.lstrip("/").split()
            if len(path) == 1:
                tree.setdefault(message.string, set())
            elif len(path) == 2:
                subcommands.append((path[0], message.string))
    english_to_local = {
        where.lstrip("/"): message.string
        for message in catalog
        if message.context == COMMAND_NAME and message.string
        for where, _ in message.locations
        if len(where.lstrip("/").split()) == 1
    }
    for parent, name in subcommands:
        tree.setdefault(english_to_local[parent], set()).add(name)
    return tree


def _options(catalog: Catalog) -> set[str]:
    return {m.string for m in catalog if m.context == OPTION_NAME and m.string}


def _english_names(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if m.context in (COMMAND_NAME, OPTION_NAME) and m.string}


def command_problems(catalog: Catalog) -> list[str]:
    """Every command a translation names that the language's command list lacks, and
    every option or subcommand named alone (`room`) by its English name."""
    tree = _tree(catalog)
    options = _options(catalog)
    english = _english_names(catalog) - options - set(tree) - set().union(*tree.values())
    problems = []
    for message in catalog:
        if not message.id or message.context in (COMMAND_NAME, OPTION_NAME):
            continue
        if all(where in CONSOLE for where, _ in message.locations):
            continue
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in texts:
            named = [m.group(1).split() for m in BACKTICKED.finditer(text)]
            named += [[m.group(1)] for m in BARE.finditer(BACKTICKED.sub("", text))]
            for words in named:
                problem = _problem(words, tree, options)
                if problem:
                    problems.append(f"{text!r}: {problem}")
            for alone in re.findall(r"`([^`\s/]+)`", text):
                if alone in english:
                    problems.append(f"{text!r}: `{alone}` is the English name")
    return problems


def _problem(words: list[str], tree: dict[str, set[str]], options: set[str]) -> str | None:
    if not words:
        return "a bare /"
    name, rest = words[0], words[1:]
    if name not in tree:
        return f"/{name} is no command in this language"
    if not rest or rest[0].startswith(("[", "{")):
        return None
    following = rest[0]
    if tree[name]:
        return None if following in tree[name] else f"/{name} has no subcommand {following}"
    option = following.rstrip(":")
    if following.endswith(":") and option not in options:
        return f"/{name} has no option {option}"
    return None


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_command_a_translation_names_is_a_command_of_its_language(language):
    assert command_problems(catalogs.read_catalog(language)) == []


def test_the_check_names_an_english_command_a_missing_subcommand_and_option():
    catalog = catalogs.read_catalog(Language.DE)
    catalog.get("`/agenda` lists yours.").string = "`/next` listet deine auf."
    catalog.get(
        "Off: {why}. Run `/qa channel` again to resume."
    ).string = "Aus: {why}. Führe `/fragerunde channel` noch einmal aus."
    catalog.get("Try fewer words, or `/search`.").string = "Versuch `/demnächst when: 9`."
    catalog.get("Nothing is on stage right now. Try `/next`.").string = "Versuch /next."
    catalog.get("`/qa off` stops.").string = "`room` beendet das."
    problems = command_problems(catalog)
    assert len(problems) == 5, problems
    assert any("/next is no command" in p and "listet" in p for p in problems)
    assert any("/fragerunde has no subcommand channel" in p for p in problems)
    assert any("/demnächst has no option when" in p for p in problems)
    assert any("'Versuch /next.': /next is no command" in p for p in problems)
    assert any("`room` is the English name" in p for p in problems)
