"""The optional fields of conferences, sessions and talks, kept as one JSON column each.

Community programs bring fields academic ones lack (track, language, abstract, links) and
the other way round; nothing is ever queried by them in SQL, so a JSON column per table
keeps the schema small. Only values that differ from the model's defaults are written.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bot.model import Conference, Link, Session, SessionKind, Talk

# The fields stored as extras, per model type: everything after the core columns.
FIELDS: dict[type, tuple[str, ...]] = {
    Conference: ("derived_note", "item_noun", "source"),
    Session: ("track", "kind"),
    Talk: ("subtitle", "track", "kind", "language", "abstract", "links", "do_not_record"),
}


# Each type's defaults, read once: dump() runs for every item of a 10,000-talk program.
_DEFAULTS: dict[type, dict[str, Any]] = {
    kind: {f.name: f.default for f in dataclasses.fields(kind) if f.name in names}
    for kind, names in FIELDS.items()
}


def dump(item: Conference | Session | Talk) -> str:
    defaults = _DEFAULTS[type(item)]
    values: dict[str, Any] = {}
    for name in FIELDS[type(item)]:
        value = getattr(item, name)
        if value != defaults[name]:
            values[name] = [[link.title, link.url] for link in value] if name == "links" else value
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")) if values else "{}"


def load(kind: type, text: str) -> dict[str, Any]:
    """Keyword arguments for the model type, from what dump() wrote."""
    values: dict[str, Any] = json.loads(text or "{}")
    if "links" in values:
        values["links"] = tuple(Link(title, url) for title, url in values["links"])
    if kind is Session and "kind" in values:
        values["kind"] = SessionKind(values["kind"])
    return values
