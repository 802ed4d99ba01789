"""The store: the SQLite program database (schema, atomic build, reads)."""

from bot.store.build import BuildReport, build_database, ensure_database, fingerprint
from bot.store.reader import ProgramStore

__all__ = ["BuildReport", "ProgramStore", "build_database", "ensure_database", "fingerprint"]
