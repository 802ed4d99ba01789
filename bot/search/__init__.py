"""Fuzzy search: in-memory indexes built once from the store."""

from bot.search.fuzzy import Hit, TokenIndex, has_words
from bot.search.indexes import ProgramIndex

__all__ = ["Hit", "ProgramIndex", "TokenIndex", "has_words"]
