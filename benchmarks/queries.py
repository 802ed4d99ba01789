"""Labeled queries made from a program with a fixed seed: what people actually type.

Talks: the system name with a typo, a partial title, title words shuffled, a typo in a
title word. People: given and family name swapped, accents stripped, one typo, the
initial of the given name. Each query carries the key of the item a person means.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from bot.model import Person, Program
from bot.normalize import fold

STOP = {"a", "an", "and", "for", "in", "of", "on", "the", "to", "with", "via", "at", "by"}


@dataclass(frozen=True, slots=True)
class Labeled:
    query: str
    expected: str
    kind: str
    style: str  # how the query was made, reported as its class


def typo(rng: random.Random, word: str) -> str:
    """One edit: drop, double, swap or replace a letter (never the first)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    match rng.randrange(4):
        case 0:
            return word[:i] + word[i + 1 :]
        case 1:
            return word[:i] + word[i] + word[i:]
        case 2:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        case _:
            return word[:i] + rng.choice("aeiourstn") + word[i + 1 :]


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def talk_queries(program: Program, count: int, seed: int) -> list[Labeled]:
    rng = random.Random(seed)
    talks = list(program.talks)
    queries: list[Labeled] = []
    for i in range(count):
        talk = rng.choice(talks)
        system, _, rest = talk.title.partition(":")
        words = [w for w in (rest or system).split() if w.lower() not in STOP]
        style = i % 4
        if style == 0 and rest:
            query, made = typo(rng, system.lower()), "system name, one typo"
        elif style == 1 and len(words) >= 4:
            start = rng.randrange(0, len(words) - 3)
            query, made = " ".join(words[start : start + rng.randint(3, 4)]), "run of title words"
        elif style == 2 and len(words) >= 3:
            sample = rng.sample(words, min(4, len(words)))
            query, made = " ".join(sample).lower(), "title words shuffled"
        else:
            chosen = rng.sample(words, min(3, len(words)))
            query = " ".join(typo(rng, w) if j == 0 else w for j, w in enumerate(chosen))
            made = "title words, one typo"
        queries.append(Labeled(query, talk.key, "talk", made))
    return queries


def person_queries(people: list[Person], count: int, seed: int) -> list[Labeled]:
    rng = random.Random(seed + 1)
    # Only people whose folded name is unique can be labeled without ambiguity.
    by_fold: dict[str, list[Person]] = {}
    for person in people:
        by_fold.setdefault(fold(person.name), []).append(person)
    usable = [p for p in people if len(by_fold[fold(p.name)]) == 1 and len(p.name.split()) >= 2]
    queries: list[Labeled] = []
    for i in range(count):
        person = rng.choice(usable)
        parts = person.name.split()
        given, family = parts[0], parts[-1]
        style = i % 4
        if style == 0:
            query, made = f"{family} {given}", "family name first"
        elif style == 1:
            query, made = strip_accents(person.name).lower(), "accents stripped"
        elif style == 2:
            query, made = f"{typo(rng, given)} {family}", "given name, one typo"
        else:
            query, made = f"{given[0]}. {family}", "initial and family name"
        queries.append(Labeled(query, person.key, "person", made))
    return queries
