"""What Discord rejects: command trees, messages, embeds and autocomplete choices.

Each check returns a list of problems (empty when fine), so the fake can both refuse a
request the way Discord would and record why, for a test to assert there were none.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

NAME = re.compile(r"^[-_\w]{1,32}$")
LOWER_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
# Discord's locales (https://discord.com/developers/docs/reference#locales): the only keys a
# name's or description's localisations may have.
LOCALES = frozenset(
    "id da de en-GB en-US es-ES es-419 fr hr it lt hu nl no pl pt-BR ro fi sv-SE vi tr cs el"
    " bg ru uk hi th zh-CN ja zh-TW ko".split()
)

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
# Names, descriptions and choices of one command with all its options, in each locale.
COMMAND_CHARACTERS_MAX = 4000
# Links: an embed's url and a link button's url (Discord answers 400 with code 50035).
LINK_SCHEMES = ("http", "https", "discord")
EMBED_URL_MAX = 2048
BUTTON_URL_MAX = 512
LINK_BUTTON = 5  # a button's style when it opens a URL
# Message components (https://discord.com/developers/docs/components/reference).
ROW_ITEMS_MAX = 5  # buttons in one action row (a select fills a row alone)
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100  # an option's label, value and description
# A modal's text input.
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_PLACEHOLDER_MAX = 100
TEXT_INPUT_VALUE_MAX = 4000


def command_problems(command: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    name = command.get("name", "")
    where = f"command {name!r}"
    if not LOWER_NAME.match(name):
        problems.append(f"{where}: name must match ^[-_a-z0-9]{{1,32}}$")
    if command.get("type", 1) == 1 and not 1 <= len(command.get("description", "")) <= 100:
        problems.append(f"{where}: description must be 1-100 characters")
    problems += localisation_problems(command, where)
    problems += _option_problems(command.get("options") or [], where)
    for locale in {None, *_locales_in(command)}:
        if (size := _characters(command, locale)) > COMMAND_CHARACTERS_MAX:
            problems.append(f"{where}: {size} characters of names, descriptions and choices"
                            f" in {locale or 'the default locale'}, at most 4000")  # fmt: skip
    return problems


def _locales_in(named: dict[str, Any]) -> set[str]:
    found = {locale for field in ("name_localizations", "description_localizations")
             for locale in named.get(field) or {}}  # fmt: skip
    for child in [*(named.get("options") or []), *(named.get("choices") or [])]:
        found |= _locales_in(child)
    return found


def _characters(named: dict[str, Any], locale: str | None) -> int:
    """What Discord counts of a command in one locale: the names, descriptions and
    choices' names and values of it and all its options, each as that locale reads it."""

    def said(field: str) -> str:
        default = str(named.get(field.removesuffix("_localizations"), "") or "")
        return str((named.get(field) or {}).get(locale, default)) if locale else default

    size = len(said("name_localizations")) + len(said("description_localizations"))
    size += sum(len(str(c.get("value", ""))) + _characters(c, locale)
                for c in named.get("choices") or [])  # fmt: skip
    return size + sum(_characters(o, locale) for o in named.get("options") or [])


def localisation_problems(named: dict[str, Any], where: str) -> list[str]:
    """A command's, option's or choice's name_localizations and description_localizations
    as Discord takes them: known locales; a localised name by the rule of names (letters
    of any script, digits, - and _, 1-32 of them, lowercase where the script has case) and
    a choice's name of 1-100 characters; a description of 1-100."""
    problems: list[str] = []
    choice = "value" in named
    for field in ("name_localizations", "description_localizations"):
        for locale, text in (named.get(field) or {}).items():
            at = f"{where} {field}[{locale!r}]"
            if locale not in LOCALES:
                problems.append(f"{at}: not a Discord locale")
            if not isinstance(text, str) or not 1 <= len(text) <= 100:
                problems.append(f"{at}: must be 1-100 characters")
            elif field == "name_localizations" and not choice and not _is_name(text):
                problems.append(f"{at}: {text!r} is not a lowercase name of 1-32 characters")
    return problems


def _is_name(text: str) -> bool:
    return bool(NAME.match(text)) and text == text.lower()


def _localised_names(options: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each locale's names of these options (their own where localised, else the default)."""
    locales = {locale for o in options for locale in (o.get("name_localizations") or {})}
    return {locale: [(o.get("name_localizations") or {}).get(locale, o.get("name", ""))
                     for o in options] for locale in locales}  # fmt: skip


def _option_problems(options: list[dict[str, Any]], where: str) -> list[str]:
    problems: list[str] = []
    if len(options) > 25:
        problems.append(f"{where}: more than 25 options")
    seen_optional = False
    names = set()
    for option in options:
        name = option.get("name", "")
        at = f"{where} option {name!r}"
        if not LOWER_NAME.match(name):
            problems.append(f"{at}: bad name")
        if name in names:
            problems.append(f"{at}: duplicate name")
        names.add(name)
        problems += localisation_problems(option, at)
        if not 1 <= len(option.get("description", "")) <= 100:
            problems.append(f"{at}: description must be 1-100 characters")
        if option.get("type") in (1, 2):
            problems += _option_problems(option.get("options") or [], at)
            continue
        if option.get("required"):
            if seen_optional:
                problems.append(f"{at}: required option after an optional one")
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > CHOICES_MAX:
            problems.append(f"{at}: more than 25 choices")
        if choices and option.get("autocomplete"):
            problems.append(f"{at}: choices and autocomplete together")
        problems += choice_problems(choices, at)
        for choice in choices:
            problems += localisation_problems(choice, f"{at} choice {choice.get('name')!r}")
    for locale, localised in _localised_names(options).items():
        if len(set(localised)) != len(localised):
            problems.append(f"{where}: two options share a name in {locale}: {localised}")
    return problems


def tree_problems(commands: list[dict[str, Any]]) -> list[str]:
    """What Discord refuses of a whole command tree beyond each command's own problems:
    two commands of one type sharing a name, as registered or as a locale sees it (a
    German name given to two commands)."""
    problems: list[str] = []
    for kind in {c.get("type", 1) for c in commands}:
        same = [c for c in commands if c.get("type", 1) == kind]
        if len({c["name"] for c in same}) != len(same):
            problems.append("two commands share a name")
        for locale, localised in _localised_names(same).items():
            if len(set(localised)) != len(localised):
                twice = sorted({n for n in localised if localised.count(n) > 1})
                problems.append(f"two commands share a name in {locale}: {twice}")
    return problems


def choice_problems(choices: list[dict[str, Any]], where: str) -> list[str]:
    problems: list[str] = []
    if len(choices) > CHOICES_MAX:
        problems.append(f"{where}: {len(choices)} choices, at most 25")
    for choice in choices:
        name, value = choice.get("name", ""), choice.get("value")
        if not 1 <= len(name) <= CHOICE_NAME_MAX:
            problems.append(f"{where}: choice name of {len(name)} characters")
        if isinstance(value, str) and not 1 <= len(value) <= CHOICE_VALUE_MAX:
            problems.append(f"{where}: choice value of {len(value)} characters")
    return problems


def message_problems(data: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    content = data.get("content") or ""
    if len(content) > CONTENT_MAX:
        problems.append(f"{where}: content of {len(content)} characters")
    embeds = data.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        problems.append(f"{where}: {len(embeds)} embeds")
    total = 0
    for embed in embeds:
        size, embed_problems = _embed(embed, where)
        total += size
        problems += embed_problems
    if total > EMBED_TOTAL_MAX:
        problems.append(f"{where}: embeds hold {total} characters, at most 6000")
    if len(data.get("components") or []) > ACTION_ROWS_MAX:
        problems.append(f"{where}: more than 5 action rows")
    problems += component_problems(data.get("components") or [], where)
    return problems


def component_problems(rows: list[dict[str, Any]], where: str) -> list[str]:
    """A message's action rows as Discord takes them: at most 5 buttons a row, or one
    select alone; a button's label of at most 80 characters (a link button needs one
    label or emoji), a custom_id of 1-100; a select's placeholder of at most 150, 1-25
    options, each option's label and value 1-100 and description at most 100."""
    problems: list[str] = []
    for r, row in enumerate(rows):
        items = row.get("components") or []
        at = f"{where} row {r}"
        selects = [c for c in items if c.get("type") in (3, 5, 6, 7, 8)]
        if not 1 <= len(items) <= ROW_ITEMS_MAX or (selects and len(items) > 1):
            problems.append(f"{at}: {len(items)} components ({len(selects)} selects)")
        for item in items:
            problems += _item_problems(item, at)
    return problems


def _item_problems(item: dict[str, Any], at: str) -> list[str]:
    problems: list[str] = []
    custom_id = item.get("custom_id")
    if custom_id is not None and not 1 <= len(str(custom_id)) <= CUSTOM_ID_MAX:
        problems.append(f"{at}: custom_id of {len(str(custom_id))} characters")
    if item.get("type") == 2:
        label = item.get("label")
        if label is not None and len(label) > BUTTON_LABEL_MAX:
            problems.append(f"{at}: button label of {len(label)} characters: {label!r}")
        if not label and not item.get("emoji"):
            problems.append(f"{at}: a button with neither label nor emoji")
        return problems
    placeholder = item.get("placeholder") or ""
    if len(placeholder) > SELECT_PLACEHOLDER_MAX:
        problems.append(f"{at}: select placeholder of {len(placeholder)} characters")
    if item.get("type") == 3:
        options = item.get("options") or []
        if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
            problems.append(f"{at}: select of {len(options)} options")
        for option in options:
            for key in ("label", "value", "description"):
                text = option.get(key)
                if text is None and key == "description":
                    continue
                if not isinstance(text, str) or not 1 <= len(text) <= SELECT_OPTION_TEXT_MAX:
                    problems.append(f"{at}: select option {key} {text!r}")
    return problems


def text_input_problems(item: dict[str, Any], where: str) -> list[str]:
    """A modal's text input as Discord takes it: a label of 1-45 characters, a placeholder
    of at most 100, a value (prefilled) of at most 4,000, lengths within 0-4,000."""
    problems: list[str] = []
    label = item.get("label") or ""
    if not 1 <= len(label) <= TEXT_INPUT_LABEL_MAX:
        problems.append(f"{where}: label {label!r} of {len(label)} characters")
    placeholder = item.get("placeholder") or ""
    if len(placeholder) > TEXT_INPUT_PLACEHOLDER_MAX:
        problems.append(f"{where}: placeholder {placeholder!r} of {len(placeholder)} characters")
    value = item.get("value") or ""
    if len(value) > TEXT_INPUT_VALUE_MAX:
        problems.append(f"{where}: value of {len(value)} characters")
    for key in ("min_length", "max_length"):
        if key in item and not 0 <= int(item[key]) <= TEXT_INPUT_VALUE_MAX:
            problems.append(f"{where}: {key} {item[key]}")
    custom_id = str(item.get("custom_id") or "")
    if not 1 <= len(custom_id) <= CUSTOM_ID_MAX:
        problems.append(f"{where}: custom_id of {len(custom_id)} characters")
    return problems


def _embed(embed: dict[str, Any], where: str) -> tuple[int, list[str]]:
    problems: list[str] = []
    limits = (("title", 256), ("description", 4096))
    size = 0
    for key, limit in limits:
        text = embed.get(key) or ""
        size += len(text)
        if len(text) > limit:
            problems.append(f"{where}: embed {key} of {len(text)} characters")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(f"{where}: {len(fields)} embed fields")
    for field in fields:
        name, value = field.get("name", ""), field.get("value", "")
        size += len(name) + len(value)
        if not name or len(name) > 256:
            problems.append(f"{where}: field name of {len(name)} characters")
        if not value or len(value) > 1024:
            problems.append(f"{where}: field value of {len(value)} characters")
    footer = (embed.get("footer") or {}).get("text", "")
    size += len(footer)
    if len(footer) > 2048:
        problems.append(f"{where}: footer of {len(footer)} characters")
    author = (embed.get("author") or {}).get("name", "")
    size += len(author)
    if len(author) > 256:
        problems.append(f"{where}: author name of {len(author)} characters")
    return size, problems


def embeds_without_text(body: dict[str, Any]) -> bool:
    """Whether a body the bot sent (a message, an interaction's answer or update, an
    edit, a forum post) sets embeds with no text beside them. Discord takes it, but a
    reader who hides embeds ("Show embeds and preview website links" off) sees an empty
    message, and an edit that leaves the text as it was leaves it telling of the page or
    version before: confbot never sends one (bot.render.summary)."""
    if isinstance(body.get("data"), dict):  # an interaction callback: its message
        body = body["data"]
    elif isinstance(body.get("message"), dict):  # a forum post: its first message
        body = body["message"]
    return bool(body.get("embeds")) and not str(body.get("content") or "").strip()


# A link Discord shows a preview of (an embed of the page, under the message): a web
# address, bare or a masked link's, unless written between '<' and '>'.
_PREVIEWED = re.compile(r"(?<!<)\bhttps?://")


def previewed_links(content: str) -> int:
    """How many links in a message's text Discord would preview under it (an escaped
    address, 'https\\://', is no link)."""
    return len(_PREVIEWED.findall(content))


def link_errors(data: dict[str, Any]) -> dict[str, Any]:
    """The `errors` of Discord's 400 "Invalid Form Body" (code 50035) for the links of a
    message it refuses, keyed by where each link is (embeds.0.url,
    components.0.components.1.url), or {} when every link is one Discord takes. Unlike
    the limits in `message_problems`, which are only recorded, a bad link is refused:
    the whole message is lost, as it is with Discord."""
    errors: dict[str, Any] = {}
    for i, embed in enumerate(data.get("embeds") or []):
        for where, url in (("url", embed.get("url")),
                           ("author", (embed.get("author") or {}).get("url"))):  # fmt: skip
            if url is not None and (error := url_error(url, EMBED_URL_MAX)):
                at = errors.setdefault("embeds", {}).setdefault(str(i), {})
                if where == "author":
                    at = at.setdefault("author", {})
                at["url"] = {"_errors": [error]}
    for r, row in enumerate(data.get("components") or []):
        for c, component in enumerate(row.get("components") or []):
            if component.get("type") != 2 or component.get("style") != LINK_BUTTON:
                continue
            if error := url_error(component.get("url"), BUTTON_URL_MAX):
                rows = errors.setdefault("components", {}).setdefault(str(r), {})
                rows.setdefault("components", {})[str(c)] = {"url": {"_errors": [error]}}
    return errors


def url_error(url: Any, limit: int) -> dict[str, str] | None:
    """Discord's error for one link, or None when it takes the link: an http, https or
    discord URL of at most `limit` characters, with no space or control character, whose
    http(s) host has a dot (Discord calls 'http://localhost:3000' not well formed)."""
    invalid = {"code": "URL_TYPE_INVALID_URL", "message": "Not a well formed URL."}
    if not isinstance(url, str):
        return invalid
    if len(url) > limit:
        return {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return invalid
    if parts.scheme not in LINK_SCHEMES:
        return {
            "code": "URL_TYPE_INVALID_SCHEME",
            "message": f'Scheme "{parts.scheme}" is not supported. Scheme must be one of'
            " ('http', 'https', 'discord').",
        }
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return invalid
    if parts.scheme != "discord" and not (host and "." in host):
        return invalid
    return None
