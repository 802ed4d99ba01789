"""pretix's answers read as hostile: each field checked for its documented type and a sane
size before it becomes a record (bot.tickets.model); anything else is a PretixError of kind
GARBAGE saying which field, never repeating a value (it could be personal)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from bot.tickets.errors import Failure, PretixError
from bot.tickets.model import Item, Order, OrderStatus, Position, Variation

T = TypeVar("T")

MAX_RESULTS = 1_000  # objects on one page (pretix sends 50)
MAX_POSITIONS = 1_000  # positions in one order
MAX_VARIATIONS = 1_000
MAX_ID = 2**63 - 1
NAME_MAX = 200  # characters of a product's name kept
ID_TEXT = re.compile(r"[A-Za-z0-9]{1,64}")  # order codes and pseudonymization ids
EMAIL_MAX = 320
NEXT_MAX = 2_000  # characters of a page link


def garbage(what: str) -> PretixError:
    """GARBAGE: the client puts where it came from in front (see PretixClient)."""
    return PretixError(Failure.GARBAGE, f"answered with {what}, not what pretix's API documents")


def loads(body: bytes) -> object:
    """JSON, or GARBAGE (deeply nested arrays too: Python's parser would recurse away)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _raise(garbage("something that is not JSON"))


def _raise(error: PretixError) -> Any:
    raise error


def obj(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise garbage(f"{what} that is not an object")
    return value


def _int(data: Mapping[str, object], key: str, what: str, optional: bool = False) -> int | None:
    value = data.get(key)
    if value is None and optional:
        return None
    # bool is an int in Python, and JSON's true is not an id.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
        raise garbage(f"{what} whose {key!r} is not a whole number")
    return value


def _id(data: Mapping[str, object], key: str, what: str) -> int:
    value = _int(data, key, what)
    assert value is not None
    return value


def _text_id(data: Mapping[str, object], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not ID_TEXT.fullmatch(value):
        raise garbage(f"{what} whose {key!r} is not a code of letters and digits")
    return value


def _bool(data: Mapping[str, object], key: str, what: str, default: bool) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise garbage(f"{what} whose {key!r} is not true or false")
    return value


def _list(value: object, limit: int, what: str) -> list[object]:
    if not isinstance(value, list):
        raise garbage(f"{what} that is not a list")
    if len(value) > limit:
        raise garbage(f"more than {limit:,} {what}")
    return value


def position(value: object) -> Position:
    data = obj(value, "an order position")
    what = "an order position"
    return Position(
        id=_id(data, "id", what),
        order=_text_id(data, "order", what),
        positionid=_id(data, "positionid", what),
        item=_id(data, "item", what),
        variation=_int(data, "variation", what, optional=True),
        pseudonymization_id=_text_id(data, "pseudonymization_id", what),
        canceled=_bool(data, "canceled", what, False),
        addon_to=_int(data, "addon_to", what, optional=True),
    )


def order(value: object) -> Order:
    data = obj(value, "an order")
    what = "an order"
    status = data.get("status")
    try:
        known = OrderStatus(status) if isinstance(status, str) else None
    except ValueError:
        known = None
    if known is None:
        raise garbage(f"{what} whose status is none of n, p, e and c")
    email = data.get("email")
    if email is not None and (not isinstance(email, str) or len(email) > EMAIL_MAX):
        raise garbage(f"{what} whose e-mail is not a short text")
    positions = tuple(position(p) for p in _list(data.get("positions"), MAX_POSITIONS,
                                                   "positions in an order"))  # fmt: skip
    code = _text_id(data, "code", what)
    if any(p.order.upper() != code.upper() for p in positions):
        raise garbage(f"{what} holding a position of another order")
    return Order(code, known, email, _bool(data, "testmode", what, False), positions)


def localized(value: object, what: str) -> str:
    """A multi-lingual string ({"en": "Ticket", "de": "Karte"}) as one text: English if
    there is one, else the first language; a plain string as it is. Cut to NAME_MAX."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict) and value:
        texts = [v for v in value.values() if isinstance(v, str)]
        english = value.get("en")
        text = english if isinstance(english, str) else (texts[0] if texts else "")
    else:
        raise garbage(f"{what} whose name is not a text")
    flat = " ".join(text.split())
    return flat[:NAME_MAX]


def variation(value: object) -> Variation:
    data = obj(value, "a variation")
    return Variation(_id(data, "id", "a variation"), localized(data.get("value"), "a variation"),
                     _bool(data, "active", "a variation", True))  # fmt: skip


def item(value: object) -> Item:
    data = obj(value, "a product")
    what = "a product"
    variations = tuple(variation(v) for v in _list(data.get("variations", []), MAX_VARIATIONS,
                                                     "variations of a product"))  # fmt: skip
    return Item(
        _id(data, "id", what),
        localized(data.get("name"), what),
        _bool(data, "active", what, True),
        _bool(data, "admission", what, False),
        variations,
    )


def page(value: object, parse: Callable[[object], T]) -> tuple[list[T], str | None]:
    """A page of a list (count, next, previous, results): its records and its next link."""
    data = obj(value, "a page of a list")
    results = [parse(r) for r in _list(data.get("results"), MAX_RESULTS, "results on a page")]
    link = data.get("next")
    if link is not None and (not isinstance(link, str) or len(link) > NEXT_MAX):
        raise garbage("a page whose next link is not an address")
    return results, link


def moment(header: str | None) -> str | None:
    """X-Page-Generated, if it is the ISO 8601 moment with a zone pretix documents, in
    years a clock can mean (it is sent back as modified_since as it came, less an overlap:
    bot.service.refunds); None otherwise."""
    if header is None or len(header) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(header.replace("Z", "+00:00"))
    except ValueError:
        return None
    return header if parsed.tzinfo is not None and 1970 <= parsed.year <= 2999 else None
