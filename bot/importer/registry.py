"""Which reader reads a program source: the one place formats are listed.

A source is a file or a directory. Each reader looks at the first bytes (and the name) and
says whether it is its format; the first that claims the source reads it. Adding a
format is one module with a Reader and one line in READERS.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bot.bulk import bulk_build
from bot.importer import frab_json, frab_xml, ical, indico, usenix
from bot.importer.errors import ProgramFileError
from bot.importer.files import check_size
from bot.importer.report import Loaded

HEAD = 64 * 1024


class Reader(Protocol):
    name: str

    def claims(self, head: bytes, path: Path) -> bool:
        """Whether `path` (of which `head` is the start; empty for a directory) is ours."""
        ...

    def read(self, path: Path, default_zone: str | None) -> Loaded: ...

    def files(self, path: Path) -> Sequence[Path]:
        """The files whose contents make up the program (for the cache fingerprint)."""
        ...


READERS: tuple[Reader, ...] = (
    usenix.READER,
    frab_json.READER,
    indico.READER,
    frab_xml.READER,
    ical.READER,
)


def reader_for(path: Path) -> Reader:
    """The reader that claims `path`, or a ProgramFileError that lists what is understood."""
    head = b""
    if path.is_file():
        check_size(path)
        with path.open("rb") as handle:
            head = handle.read(HEAD)
    elif not path.is_dir():
        raise ProgramFileError(str(path), "no such file or directory")
    for reader in READERS:
        if reader.claims(head, path):
            return reader
    names = "; ".join(r.name for r in READERS)
    raise ProgramFileError(str(path), f"is not a program format confbot reads ({names})")


def read_source(path: Path, default_zone: str | None = None) -> Loaded:
    with bulk_build():
        return reader_for(path).read(path, default_zone)


def source_files(path: Path) -> Sequence[Path]:
    try:
        return reader_for(path).files(path)
    except ProgramFileError:
        return (path,)  # the load itself will say what is wrong
