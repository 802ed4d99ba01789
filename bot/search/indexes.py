"""The four indexes a program needs: talks, people, affiliations and sessions."""

from __future__ import annotations

from rapidfuzz import fuzz

from bot.bulk import bulk_build
from bot.model import Program
from bot.search.fuzzy import Hit, TokenIndex


class ProgramIndex:
    """Built once per loaded program; every lookup and autocomplete reads only memory."""

    def __init__(self, program: Program) -> None:
        with bulk_build():
            self._build(program)

    def _build(self, program: Program) -> None:
        self.talks = TokenIndex((p.key, p.title) for p in program.talks)
        # People: word order does not matter ('Chen Haibo'), and 'H.' is an initial.
        self.people = TokenIndex(
            ((person.key, person.name) for person in program.people),
            initials=True,
            whole_scorer=fuzz.token_sort_ratio,
        )
        affiliations = sorted(
            {a.affiliation for p in program.talks for a in p.authors if a.affiliation}
        )
        self.affiliations = TokenIndex(
            ((name, name) for name in affiliations), whole_scorer=fuzz.token_set_ratio
        )
        # A session is also found by its talks' tracks: in a room of mixed tracks (a CCC
        # hall) the block is named for the room, yet /session security should find it.
        tracks: dict[str, set[str]] = {}
        for talk in program.talks:
            if talk.track:
                tracks.setdefault(talk.session_key, set()).add(talk.track)
        self.sessions = TokenIndex(
            (s.key, " ".join([s.title, *sorted(tracks.get(s.key, set()) - {s.track})]))
            for s in program.sessions
        )
        # Tracks by name, for /track (FOSDEM has 69 of them).
        self.tracks = TokenIndex(
            (name, name) for name in sorted({t.track for t in program.talks if t.track})
        )

    # `last_resorts`: the slower matching for words nothing else matched (see fuzzy.py).
    # /search asks all four indexes at once, and a word of a title is no person's name:
    # it lets only the talks index try them.

    def find_talks(self, query: str, limit: int = 10, last_resorts: bool = True) -> list[Hit]:
        return self.talks.search(query, limit, last_resorts=last_resorts)

    def find_people(self, query: str, limit: int = 10, last_resorts: bool = True) -> list[Hit]:
        return self.people.search(query, limit, last_resorts=last_resorts)

    def find_affiliations(
        self, query: str, limit: int = 10, last_resorts: bool = True
    ) -> list[Hit]:
        return self.affiliations.search(query, limit, last_resorts=last_resorts)

    def find_sessions(self, query: str, limit: int = 10, last_resorts: bool = True) -> list[Hit]:
        return self.sessions.search(query, limit, last_resorts=last_resorts)

    def find_tracks(self, query: str, limit: int = 10) -> list[Hit]:
        return self.tracks.search(query, limit)
