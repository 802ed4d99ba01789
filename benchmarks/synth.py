"""Write a synthetic conference program in the formats confbot ships.

The table of contents mixes the plain and table layouts like the real one, and the
schedule has parallel rooms, so the generated program goes through the real loader.
Vocabulary comes from the real OSDI '24 titles and affiliations; names are realistic,
with accents and the shared surnames that make people search hard. A fixed seed makes
the same program every time.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.importer.toc import read_toc

SEED_PROGRAM = Path(__file__).resolve().parent.parent / "data" / "osdi24" / "program.txt"

GIVEN = (
    "Wei Li Jun Yan Hao Ming Xin Yu Jie Lei Tao Bin Rui Ying Mei Anjali Priya Arjun Rahul "
    "Sanjay Deepa Ravi Kavya Hiroshi Yuki Kenji Sakura Min-jun Ji-woo Seo-yeon Hyun James "
    "Mary Robert Patricia Michael Linda David Sarah Daniel Emily Thomas Laura Kevin Anna "
    "Peter Maria Andrea Luca Giulia Matteo Sofia Lukas Lena Jonas Clément Chloé Hélène "
    "Jérôme Zoë Søren Åsa Björn Łukasz Małgorzata Jiří Dvořák Ömer Çağla Ngọc José Inés "
    "Sebastián Joaquín Renée François Noémie Aurélien Mónica João Gonçalo"
).split()
SURNAMES_COMMON = (
    "Chen Wang Zhang Li Liu Yang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao"
).split()
SURNAMES = (
    "Kumar Sharma Patel Gupta Singh Iyer Reddy Nair Rao Tanaka Suzuki Takahashi Watanabe "
    "Kim Lee Park Choi Jung Kang Smith Johnson Williams Brown Jones Miller Davis Wilson "
    "Anderson Taylor Thomas Moore Martin Jackson White Harris Clark Lewis Walker Hall "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Koch Richter "
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Bernard Dubois Durand "
    "Lefèvre Moreau Laurent Fontaine Chevalier García Rodríguez Martínez Hernández López "
    "González Pérez Sánchez Ramírez Núñez Silva Santos Oliveira Souza Costa Pereira Nowak "
    "Kowalski Wiśniewski Dąbrowski Novák Svoboda Østergaard Nørgaard Åberg Lindqvist "
    "Yılmaz Kaya Demir Şahin Nguyễn Trần Lê Phạm Papadopoulos Georgiou Ivanov Petrov"
).split()
SYLLABLES = (
    "ka lo mi zen tra vo rix nex qua sol ter pha dyn cor lum vex bri ost ax el fi gra hel "
    "ion jo kel mar nor pri sto ul wen yar zo dra fle"
).split()
STOPWORDS = {"a", "an", "and", "for", "in", "of", "on", "the", "to", "with", "via", "at", "by"}
ROOMS = tuple(f"Room {chr(ord('A') + i)}" for i in range(26))
EXTRA_AFFILIATIONS = tuple(
    f"{kind} {place}"
    for kind in ("University of", "Institute of Technology,", "Research Lab,")
    for place in ("Lisbon", "Kraków", "São Paulo", "Zürich", "Montréal", "Bengaluru",
                  "Kyoto", "Seoul", "Toronto", "Aarhus", "Utrecht", "Valparaíso")
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SynthPaper:
    title: str
    system: str
    authors: tuple[tuple[str, str], ...]  # (name, affiliation)


def _seed_vocabulary() -> tuple[list[str], list[str], list[str]]:
    toc = read_toc(SEED_PROGRAM)
    words = [w.strip(":,.?") for p in toc.papers for w in p.title.split(":")[-1].split()]
    words = [w for w in words if w and w.lower() not in STOPWORDS and w.isascii()]
    affiliations = sorted({a.affiliation for p in toc.papers for a in p.authors if a.affiliation})
    sessions = [s.title for s in toc.sessions]
    return words, affiliations, sessions


def make_people(rng: random.Random, count: int) -> list[str]:
    """Distinct full names; a few very common surnames are shared by many people."""
    people: set[str] = set()
    while len(people) < count:
        surname = rng.choice(SURNAMES_COMMON) if rng.random() < 0.35 else rng.choice(SURNAMES)
        given = rng.choice(GIVEN)
        middle = f" {rng.choice('ABCDEFGHJKLMNPRST')}." if rng.random() < 0.15 else ""
        suffix = rng.choice(GIVEN) if rng.random() < 0.5 else ""
        name = f"{given}{suffix.lower() if suffix and given.isascii() else ''}{middle} {surname}"
        people.add(name)
    return sorted(people)


def make_papers(rng: random.Random, count: int) -> list[SynthPaper]:
    words, affiliations, _ = _seed_vocabulary()
    affiliations = affiliations + list(EXTRA_AFFILIATIONS)
    people = make_people(rng, max(count * 3 // 2, 50))
    weights = [1.0 / (i + 1) ** 0.6 for i in range(len(people))]  # a few prolific authors
    cumulative = list(itertools.accumulate(weights))
    home = {name: rng.choice(affiliations) for name in people}
    systems: set[str] = set()
    papers: list[SynthPaper] = []
    while len(papers) < count:
        system = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if rng.random() < 0.2:
            system += rng.choice(("DB", "FS", "OS", "ML", "Net"))
        if system in systems:
            continue
        systems.add(system)
        phrase = " ".join(rng.sample(words, rng.randint(5, 10)))
        title = f"{system}: {phrase[0].upper()}{phrase[1:]}"
        n_authors = min(max(1, round(rng.gauss(4.2, 2))), 15)
        names = list(dict.fromkeys(rng.choices(people, cum_weights=cumulative, k=n_authors)))
        papers.append(SynthPaper(title, system, tuple((n, home[n]) for n in names)))
    return papers


def _author_line(authors: tuple[tuple[str, str], ...], table: bool) -> str:
    groups: list[tuple[list[str], str]] = []
    for name, affiliation in authors:
        if groups and groups[-1][1] == affiliation:
            groups[-1][0].append(name)
        else:
            groups.append(([name], affiliation))
    parts = []
    for names, affiliation in groups:
        joined = names[0] if len(names) == 1 else (
            " and ".join(names) if len(names) == 2 else ", ".join(names[:-1]) + ", and " + names[-1]
        )  # fmt: skip
        emphasis = f"<i>{affiliation}</i>" if table else f"*{affiliation}*"
        parts.append(f"{joined}, {emphasis}")
    return (" ; " if table else "; ").join(parts)


def write_program(
    directory: Path,
    papers_count: int = 10_000,
    days: int = 5,
    rooms: int = 8,
    per_session: int = 10,
    seed: int = 7,
) -> list[SynthPaper]:
    """Write program.txt and schedule.json for a synthetic conference into directory."""
    rng = random.Random(seed)
    _, _, session_names = _seed_vocabulary()
    papers = make_papers(rng, papers_count)
    sessions_total = -(-papers_count // per_session)
    per_room_day = -(-sessions_total // (days * rooms))
    minutes_per_talk = max(3, min(20, (12 * 60) // max(per_room_day * per_session, 1)))
    talk_length = timedelta(minutes=minutes_per_talk)
    start_day = date(2025, 6, 2)  # a Monday
    toc = ["", "", "SynthConf '25: a synthetic program for benchmarks", "", ""]
    schedule_sessions = []
    page = 1
    index = 0
    for d in range(days):
        day = start_day + timedelta(days=d)
        toc += [f"{day:%A}, {day:%B} {day.day}", ""]
        for slot in range(per_room_day):
            for r in range(rooms):
                chunk = papers[index : index + per_session]
                if not chunk:
                    break
                index += per_session
                title = f"{rng.choice(session_names)} {d + 1}.{slot + 1}{ROOMS[r][-1]}"
                start = datetime(day.year, day.month, day.day, 8, 0) + timedelta(
                    minutes=slot * per_session * minutes_per_talk
                )
                table = rng.random() < 0.5
                toc += [f"| {title} | |" if table and rng.random() < 0.5 else title, ""]
                if table:
                    toc += ["| | |", "|---|---|"]
                talks = []
                for i, paper in enumerate(chunk):
                    leader = "....." if rng.random() < 0.1 else ""
                    if table:
                        toc += [f"| {paper.title}{leader} | {page} |",
                                f"| {_author_line(paper.authors, True)} | |"]  # fmt: skip
                    else:
                        toc += [
                            f"{paper.title}{leader} {page}",
                            _author_line(paper.authors, False),
                            "",
                        ]
                    page += rng.randint(12, 20)
                    t0 = start + timedelta(minutes=i * minutes_per_talk)
                    talks.append({
                        "title": paper.title,
                        "start": t0.isoformat(timespec="minutes"),
                        "end": (t0 + talk_length).isoformat(timespec="minutes"),
                        "url": f"https://example.org/synthconf25/{paper.system.lower()}",
                        "award": "Best Paper" if rng.random() < 0.002 else None,
                        "time_basis": "published" if rng.random() < 0.1 else "derived",
                    })  # fmt: skip
                toc.append("")
                schedule_sessions.append({
                    "day": day.isoformat(), "title": title,
                    "start": talks[0]["start"], "end": talks[-1]["end"],
                    "room": ROOMS[r], "chairs": [], "papers": talks, "time_basis": "derived",
                })  # fmt: skip
    events = []
    for d in range(days):
        day = start_day + timedelta(days=d)
        events.append({"title": "Breakfast", "start": f"{day}T07:00", "end": f"{day}T08:00",
                       "room": "Foyer", "kind": "meal", "time_basis": "published"})  # fmt: skip
        events.append({"title": "Registration", "start": f"{day}T07:00", "end": f"{day}T18:00",
                       "room": "Lobby", "kind": "registration",
                       "time_basis": "published"})  # fmt: skip
    schedule = {
        "conference": {
            "name": "SynthConf '25",
            "full_name": "Synthetic Conference on Benchmarking 2025",
            "timezone": "Europe/Lisbon",
            "venue": "Benchmark Hall",
            "start_date": start_day.isoformat(),
            "end_date": (start_day + timedelta(days=days - 1)).isoformat(),
        },
        "events": events,
        "sessions": schedule_sessions,
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "program.txt").write_text("\n".join(toc) + "\n", encoding="utf-8")
    (directory / "schedule.json").write_text(
        json.dumps(schedule, ensure_ascii=False), encoding="utf-8"
    )
    return papers


def write_rooms_program(path: Path, rooms: int = 100, days: int = 3, seed: int = 7) -> int:
    """Write a congress-like frab JSON (v1) program with `rooms` rooms: lectures of 20 to
    60 minutes on staggered starts, tracks across rooms, English and German, and in one
    room of ten an all-day assembly or a five-hour workshop (what /next collapses).
    Returns how many events it wrote."""
    rng = random.Random(seed)
    papers = make_papers(rng, rooms * days * 12)
    people = make_people(rng, 2_000)
    tracks = ("Security", "Hardware & Making", "Science", "Art & Culture", "Ethics",
              "Resilience", "CCC", "Entertainment", "Network", "Kernel")  # fmt: skip
    start_day = date(2025, 12, 27)
    names = [f"Hall {i + 1}" if i < 10 else f"Assembly area {i - 9}" for i in range(rooms)]
    ids = itertools.count(1)
    written = 0
    conference_days = []
    for d in range(days):
        day = start_day + timedelta(days=d)
        by_room: dict[str, list[dict[str, object]]] = {}
        for r, room in enumerate(names):
            events: list[dict[str, object]] = []
            if r % 10 == 9:  # background: an assembly all day, or a long workshop
                kind, hours = ("assembly", 12) if r % 20 == 19 else ("workshop", 5)
                events.append(_frab_event(next(ids), day, 10, 0, hours * 60, room,
                                          f"{room} {kind}", kind, "CCC", "en", []))  # fmt: skip
            t = datetime(day.year, day.month, day.day, 10, 0) + timedelta(minutes=5 * (r % 4))
            while t.hour < 22:
                paper = papers[next(ids) % len(papers)]
                minutes = rng.choice((20, 30, 40, 60))
                speakers = rng.sample(people, rng.randint(1, 3))
                events.append(_frab_event(next(ids), day, t.hour, t.minute, minutes, room,
                                          paper.title, "lecture", rng.choice(tracks),
                                          rng.choice(("en", "en", "de")), speakers))  # fmt: skip
                t += timedelta(minutes=minutes + rng.choice((10, 15, 20)))
            by_room[room] = events
            written += len(events)
        conference_days.append({
            "index": d + 1, "date": day.isoformat(),
            "day_start": f"{day}T09:00:00+01:00", "day_end": f"{day}T23:59:00+01:00",
            "rooms": by_room,
        })  # fmt: skip
    schedule = {"schedule": {"version": "bench", "conference": {
        "acronym": "bench100", "title": f"Benchmark Congress ({rooms} rooms)",
        "start": start_day.isoformat(), "end": (start_day + timedelta(days=days - 1)).isoformat(),
        "time_zone_name": "Europe/Berlin", "days": conference_days,
    }}}  # fmt: skip
    path.write_text(json.dumps(schedule, ensure_ascii=False), encoding="utf-8")
    return written


def _frab_event(
    n: int, day: date, hour: int, minute: int, minutes: int, room: str, title: str,
    kind: str, track: str, language: str, speakers: list[str],
) -> dict[str, object]:  # fmt: skip
    return {
        "guid": f"00000000-0000-4000-8000-{n:012d}", "id": n,
        "date": f"{day}T{hour:02d}:{minute:02d}:00+01:00", "start": f"{hour:02d}:{minute:02d}",
        "duration": f"{minutes // 60:02d}:{minutes % 60:02d}", "room": room, "title": title,
        "subtitle": "", "track": track, "type": kind, "language": language, "abstract": "",
        "description": "", "persons": [{"id": i, "public_name": p} for i, p in enumerate(speakers)],
        "links": [],
    }  # fmt: skip
