"""Reading program files safely: they come from outside and may be anything.

Every importer reads through here, so each bad file gets one sentence naming the file
(and the line, where there is one): too big, binary, not UTF-8, nested too deeply. Text
is streamed, so a huge file of blank lines costs neither the memory of holding it nor
a Python step per blank line.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.importer.errors import ProgramFileError
from bot.importer.limits import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_JSON_TEXT,
    MAX_JSON_VALUES,
    MAX_VALUE,
)

_BLOCK = 1 << 20
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, which some exports start with
_SLICE = 1024  # nodes freed in one step when a parsed document is released


def check_size(path: Path, limit: int = MAX_BYTES) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ProgramFileError(path.name, f"cannot be read ({exc.strerror})") from None
    if size > limit:
        raise ProgramFileError(
            path.name, f"is {size / 1e6:.0f} MB; a program file may be {limit / 1e6:.0f} MB at most"
        )


def text_lines(path: Path, limit: int = MAX_BYTES) -> Iterator[tuple[int, str]]:
    """(line number, line) for every line that is not blank, decoded strictly."""
    check_size(path, limit)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ProgramFileError(path.name, f"cannot be read ({exc.strerror})") from None
    with handle:
        for line_no, raw in _raw_lines(handle):
            if len(raw) > MAX_VALUE:
                raise ProgramFileError(path.name, f"has a line longer than {MAX_VALUE:,} bytes;"
                                       " no program needs one so long", line_no)  # fmt: skip
            if raw.strip():
                yield line_no, _decode(raw, path.name, line_no)


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The whole file, within the size cap (for formats that decode it themselves)."""
    check_size(path, limit)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ProgramFileError(path.name, f"cannot be read ({exc.strerror})") from None


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    """The whole file as text (for formats that need it whole, such as JSON).

    Decoded a part at a time (see _SCAN): a program is read in a worker thread while the
    bot serves, and decoding 50 MB in one C call held the GIL, and the event loop, for
    up to 87 ms."""
    data = read_bytes(path, limit)
    if b"\0" in data:
        line_no = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise ProgramFileError(path.name, "holds binary data (a NUL byte), not text", line_no)
    view = memoryview(data)[len(BOM) if data.startswith(BOM) else 0 :]
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts: list[str] = []
    for start in range(0, len(view) + 1, _SCAN):
        held = len(decoder.getstate()[0])  # the bytes of a character cut at the last part
        try:
            parts.append(
                decoder.decode(view[start : start + _SCAN], final=start + _SCAN > len(view))
            )
        except UnicodeDecodeError as exc:
            at = len(data) - len(view) + start - held + exc.start
            line_no = data.count(b"\n", 0, at) + 1
            column = at - (data.rfind(b"\n", 0, at) + 1) + 1
            raise ProgramFileError(
                path.name, f"is not UTF-8 text (byte 0x{data[at]:02x} at column {column})",
                line_no,
            ) from None  # fmt: skip
    view.release()
    del data  # before the join: the bytes, the parts and the text are not held at once
    return "".join(parts)


@contextlib.contextmanager
def json_document(path: Path, limit: int = MAX_BYTES) -> Iterator[Any]:
    """The parsed file, for the block only.

    A program is read in a worker thread while the bot serves, and the GIL decides how
    long the event loop waits: json.loads in one C call would hold it for the whole 6 MB
    of a 10,000-talk export, and so would dropping the parsed document, which frees every
    node in one cascade. So each JSON object is built by a Python call (the loop gets its
    turns between them), and each is remembered so the block's end can release them in
    small steps."""
    made: list[dict[str, Any]] = []

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        made.append(obj := dict(pairs))
        return obj

    try:
        yield read_json(path, limit, build)
    finally:
        release(made)


def release(nodes: list[Any]) -> None:
    """Empty each node (dicts, lists, XML elements), then free them a slice at a time:
    with every node already empty, each slice frees quickly (see json_document)."""
    for node in nodes:
        node.clear()
    while nodes:
        del nodes[-_SLICE:]


def read_json(
    path: Path,
    limit: int = MAX_BYTES,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """The parsed file, refused before parsing when it holds more values or deeper
    nesting than a program could (see bot.importer.limits), and with any lone surrogate
    (a legal escape such as \\ud800, which no database or Discord message can carry)
    replaced by U+FFFD."""
    text = read_text(path, limit)
    _check_json_shape(text, path.name)

    def number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
        def parse(digits: str) -> Any:
            if len(digits) > MAX_DIGITS:
                raise ProgramFileError(
                    path.name, f"holds a number of {len(digits):,} characters; a program's"
                    f" numbers have {MAX_DIGITS} at most",
                )  # fmt: skip
            return kind(digits)

        return parse

    try:
        data = json.loads(text, object_pairs_hook=object_pairs_hook,
                          parse_int=number(int), parse_float=number(float))  # fmt: skip
    except json.JSONDecodeError as exc:
        raise ProgramFileError(path.name, f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise ProgramFileError(path.name, "JSON nested too deeply to be a program") from None
    return _without_surrogates(data) if _has_surrogate_escape(text) else data


_STRING = re.compile(r'"[^"]*"')  # once escaped backslashes and quotes are out
# What valid JSON holds outside strings besides brackets: taken out, brackets are left.
_NOT_BRACKETS = str.maketrans("", "", " \t\r\n,:0123456789+-.eEtruefalsn")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters scanned in one C call. A program is read in a worker thread while the bot
# serves, and a C call holds the GIL throughout: one pattern over 14 MB of short strings
# held it 160 ms; a million characters take a few.
_SCAN = 1 << 20


def _check_json_shape(text: str, path: str) -> None:
    """Count the values (every value but the first follows a comma or opens a
    container) and measure the nesting, outside strings and at C speed, before the
    parser builds anything."""
    values = 1
    brackets: list[str] = []  # the brackets outside strings, part by part
    for bare in _outside_strings(text, path):
        values += bare.count(",") + bare.count("[") + bare.count("{")
        if values > MAX_JSON_VALUES:  # said as soon as it is known
            raise ProgramFileError(
                path, f"holds more than {MAX_JSON_VALUES:,} JSON values; a program file"
                f" may hold {MAX_JSON_VALUES:,}",
            )  # fmt: skip
        brackets.append(bare.translate(_NOT_BRACKETS))
    nesting = "".join(brackets)  # at most two for each value
    for _ in range(MAX_DEPTH):  # each pass removes the innermost level
        before = len(nesting)
        nesting = nesting.replace("[]", "").replace("{}", "")
        if not nesting or len(nesting) == before:
            return  # balanced within the depth, or unbalanced: the parser says where
    if nesting.replace("[]", "").replace("{}", "") != nesting:
        raise ProgramFileError(
            path, f"JSON nested too deeply to be a program (more than {MAX_DEPTH} levels)"
        )  # fmt: skip


def _outside_strings(text: str, path: str = "") -> Iterator[str]:
    """The JSON text without its strings, a part at a time (see _SCAN), each part cut
    after a character that is not a backslash, so never inside an escape. In a part,
    escaped backslashes and then escaped quotes are taken out, so a string is whatever
    lies between two quotes (a pattern that steps over escapes itself keeps a stack
    entry for each: 1 GB for 50 MB of \\u00e9); a string left open at a part's end
    goes on in the next.

    A string that whole parts of more than MAX_JSON_TEXT characters lie in is refused: the
    parser reads a string in one C call, holding the GIL (and the event loop: 40-60 ms
    for a 50 MB abstract), and no program's text is a thousandth as long."""
    inside = False  # whether the part starts inside a string
    spanned = 0  # characters of the whole parts inside the string open, if any
    start = 0
    while start < len(text):
        end = min(start + _SCAN, len(text))
        while end < len(text) and text[end - 1] == "\\":
            end += 1
        part = text[start:end]
        length, start = end - start, end
        if "\\" in part:
            part = part.replace("\\\\", "").replace('\\"', "")
        if inside:
            close = part.find('"')
            if close < 0:
                spanned += length
                if spanned > MAX_JSON_TEXT:
                    raise ProgramFileError(
                        path, f"holds a text longer than {MAX_JSON_TEXT:,} characters as"
                        " written; a program's longest are a few thousand",
                    )  # fmt: skip
                continue
            part, inside, spanned = part[close + 1 :], False, 0
        bare = _STRING.sub("", part)
        if (opened := bare.find('"')) >= 0:
            bare, inside = bare[:opened], True
        yield bare


def _has_surrogate_escape(text: str) -> bool:
    """Whether an escape such as \\ud800 may be in the text, looked for a part at a
    time (see _SCAN); parts overlap by an escape's length."""
    return any(
        _SURROGATE_ESCAPE.search(text, start, start + _SCAN + 5)
        for start in range(0, len(text), _SCAN)
    )


def no_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD: text read from a program file
    never carries one (the database and Discord refuse it)."""
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


def _without_surrogates(data: Any) -> Any:
    """Every string of a parsed JSON document (keys too) without lone surrogates; a
    loop, not a recursion, however deep the document."""
    if isinstance(data, str):
        return no_surrogates(data)
    todo = [data]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            items = list(node.items())
            node.clear()
            for key, value in items:
                node[no_surrogates(key)] = no_surrogates(value) if isinstance(value, str) else value
                if isinstance(value, dict | list):
                    todo.append(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str):
                    node[i] = no_surrogates(value)
                elif isinstance(value, dict | list):
                    todo.append(value)
    return data


def _raw_lines(handle: Any) -> Iterator[tuple[int, bytes]]:
    line_no = 0
    carry = b""
    first = True
    while block := handle.read(_BLOCK):
        if first:
            block, first = block.removeprefix(BOM), False
        block = carry + block
        cut = block.rfind(b"\n")
        if cut < 0:
            carry = block
            continue
        body, carry = block[: cut + 1], block[cut + 1 :]
        if not body.strip():  # only blank lines: count them, do not step through them
            line_no += body.count(b"\n")
            continue
        for raw in body.split(b"\n")[:-1]:
            line_no += 1
            yield line_no, raw.rstrip(b"\r")
    if carry:
        yield line_no + 1, carry.rstrip(b"\r")


def _decode(raw: bytes, path: str, line_no: int) -> str:
    if b"\0" in raw:
        raise ProgramFileError(path, "holds binary data (a NUL byte), not text", line_no)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
        raise ProgramFileError(path, reason, line_no) from None
