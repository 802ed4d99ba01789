"""The service layer: what's next, lookups. Pure; takes `now`; knows nothing of Discord."""

from bot.service.program_service import (
    PERSON_REF,
    SESSION_REF,
    TALK_REF,
    ProgramService,
    QueryError,
    clean_query,
)
from bot.service.when import (
    Refusal,
    WhenError,
    parse_day,
    parse_moment,
    parse_when,
)

__all__ = [
    "PERSON_REF",
    "SESSION_REF",
    "TALK_REF",
    "ProgramService",
    "QueryError",
    "Refusal",
    "WhenError",
    "clean_query",
    "parse_day",
    "parse_moment",
    "parse_when",
]
