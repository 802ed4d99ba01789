"""A version of a program as kept in the state database: its files, zipped.

A program is one export file or a directory of files (USENIX); either way the files
`bot.importer.registry.source_files` names are what make it, so those are kept, by name,
and unpacked again into a folder a reader can read.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from bot.importer.registry import read_source, source_files
from bot.model import Program

ONE_FILE = "program"  # the entry name of a single-file program


def archive(source: Path) -> bytes:
    """The program's files, zipped (deflated: exports are text and shrink well)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        if source.is_dir():  # the folder's name too: a USENIX program's key comes from it
            for path in source_files(source):
                zipped.write(path, f"{source.name}/{path.name}")
        else:
            zipped.write(source, ONE_FILE)
    return buffer.getvalue()


def archive_one(body: bytes) -> bytes:
    """A one-file program zipped as `archive` zips it, from its bytes: a version fetched
    from an address is kept in the state database before its copy replaces the file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(ONE_FILE, body)
    return buffer.getvalue()


def unpack(data: bytes, into: Path, one_file: str = ONE_FILE) -> Path:
    """The program unpacked under `into`: the file for a one-file program (named
    `one_file`: a program's files hash with their names, see bot.store.build.fingerprint),
    else its folder. Only the last two parts of each kept name are used, and never '..',
    so nothing lands outside `into`."""
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        names = zipped.namelist()
        if names == [ONE_FILE]:
            into.mkdir(parents=True, exist_ok=True)
            (into / one_file).write_bytes(zipped.read(ONE_FILE))
            return into / one_file
        folder = into
        for name in names:
            parts = [p for p in Path(name).parts if p not in ("", ".", "..", "/")]
            folder = into.joinpath(*parts[-2:-1])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / parts[-1]).write_bytes(zipped.read(name))
    return folder


def one_file(data: bytes) -> bytes | None:
    """The body of a one-file program as kept (an address's version), byte for byte; None
    for a program of several files."""
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        return zipped.read(ONE_FILE) if zipped.namelist() == [ONE_FILE] else None


def read_kept(data: bytes, default_zone: str | None = None) -> Program:
    """The program of a kept version (unpacked into a folder removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="confbot-version-") as folder:
        return read_source(unpack(data, Path(folder)), default_zone).program
