"""What changed between two versions of a program, talk by talk, by stable key. Pure.

Keys come from the source (guid, id, or a hash of title and start, see the importers), so a
talk that moved keeps its key and is reported as moved, not as one removed and one added.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.changes import ChangeKind
from bot.model import Program, Talk


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    kinds: tuple[ChangeKind, ...]
    before: Talk | None
    after: Talk | None

    @property
    def title(self) -> str:
        shown = self.after or self.before
        assert shown is not None
        return shown.title

    def people_moved(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Who left and who joined, by name, each in their talk's order (a name only
        reordered is neither)."""
        before = [a.name for a in self.before.authors] if self.before else []
        after = [a.name for a in self.after.authors] if self.after else []
        left = tuple(dict.fromkeys(n for n in before if n not in after))
        joined = tuple(dict.fromkeys(n for n in after if n not in before))
        return left, joined


def diff(old: Program, new: Program) -> list[Change]:
    """Every talk added, cancelled or changed, in the new program's order (cancelled ones
    after, in the old order)."""
    before = {t.key: t for t in old.talks}
    after = {t.key: t for t in new.talks}
    changes = []
    for talk in new.talks:
        previous = before.get(talk.key)
        if previous is None:
            changes.append(Change(talk.key, (ChangeKind.ADDED,), None, talk))
        elif kinds := _kinds(previous, talk):
            changes.append(Change(talk.key, kinds, previous, talk))
    changes += [
        Change(t.key, (ChangeKind.CANCELLED,), t, None) for t in old.talks if t.key not in after
    ]
    return changes


def _kinds(old: Talk, new: Talk) -> tuple[ChangeKind, ...]:
    kinds = []
    if _where_and_when(old) != _where_and_when(new):
        kinds.append(ChangeKind.MOVED)
    if old.title != new.title:
        kinds.append(ChangeKind.RETITLED)
    if [a.name for a in old.authors] != [a.name for a in new.authors]:
        kinds.append(ChangeKind.PEOPLE)
    return tuple(kinds)


def _where_and_when(talk: Talk) -> tuple[object, ...]:
    return talk.slot.start, talk.slot.end, talk.slot.room
