"""The optional fields of conferences, sessions and talks, kept as one JSON column each.

Community programs bring fields academic ones lack (track, language, abstract, links) and
the other way round; nothing is ever queried by them in SQL, so a JSON column per table
keeps the schema small. Only values that differ from the model's defaults are written.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bot.model import (
    Conference,
    ItemNoun,
    Link,
    LinkKind,
    Provenance,
    Session,
    SessionKind,
    Talk,
)

# The fields stored as extras, per model type: everything after the core columns.
FIELDS: dict[type, tuple[str, ...]] = {
    Conference: ("derived_note", "item_noun", "source", "provenance", "empty_rooms"),
    Session: ("track", "kind"),
    Talk: ("subtitle", "track", "kind", "language", "abstract", "links", "do_not_record"),
}


# One encoder for every row: json.dumps with options builds a new encoder per call, which
# at 20,000 calls per 10,000-talk program was a tenth of the database build.
to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Each type's defaults, read once: dump() runs for every item of a 10,000-talk program.
_DEFAULTS: dict[type, dict[str, Any]] = {
    kind: {f.name: f.default for f in dataclasses.fields(kind) if f.name in names}
    for kind, names in FIELDS.items()
}


def dump(item: Conference | Session | Talk) -> str:
    defaults = _DEFAULTS[type(item)]
    values = {
        name: getattr(item, name)
        for name, default in defaults.items()
        if getattr(item, name) != default
    }
    if not values:
        return "{}"
    if "links" in values:
        values["links"] = [[link.title, link.url, link.kind] for link in values["links"]]
    if "provenance" in values:
        values["provenance"] = list(dataclasses.astuple(values["provenance"]))
    return to_json(values)


def load(kind: type, text: str) -> dict[str, Any]:
    """Keyword arguments for the model type, from what dump() wrote."""
    return from_values(kind, json.loads(text or "{}"))


def from_values(kind: type, values: dict[str, Any]) -> dict[str, Any]:
    """The same, from the column already decoded (a reader decodes many in one call)."""
    if "links" in values:
        values["links"] = tuple(
            Link(title, url, LinkKind(kind)) for title, url, kind in values["links"]
        )
    if kind is Session and "kind" in values:
        values["kind"] = SessionKind(values["kind"])
    if kind is Conference and "empty_rooms" in values:
        values["empty_rooms"] = tuple(values["empty_rooms"])
    if kind is Conference and "provenance" in values:
        values["provenance"] = Provenance(*values["provenance"])
    if kind is Conference and "item_noun" in values:
        values["item_noun"] = ItemNoun(values["item_noun"])
    return values
