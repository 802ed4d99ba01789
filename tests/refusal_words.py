"""A refused day or time as a reader reads it, for the tests that check its sentence:
a WhenError names its reason (bot.service.when.Refusal), bot.render.refusals says it."""

from __future__ import annotations

from bot.i18n import ENGLISH
from bot.render.refusals import refusal
from bot.service import WhenError


def english(error: BaseException) -> str:
    """The sentence in English, what was typed quoted as the console quotes it (repr);
    any other error as it reads."""
    return refusal(error, ENGLISH, repr) if isinstance(error, WhenError) else str(error)
