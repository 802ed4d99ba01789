"""/next and /now with many rooms (FOSDEM 2025: 29 rooms; FOSDEM 2021: 106), through
discord.py and the fake Discord: at busy moments every talk starting within 15 minutes
is on the first page; the room, track and language filters keep only theirs; a room
channel's /next shows its room; hostile filter values get one sentence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.synth import write_rooms_program
from bot.adapters.discord.client import ConfBot
from bot.render import board
from bot.render.markdown import escape
from bot.service import ProgramService
from bot.service.results import ProgramItem, is_ambient
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.e2e.conftest import running_bot
from tests.fakediscord.server import DEFAULT_PERMISSIONS, FakeDiscord

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
FOSDEM_2021 = REAL_PROGRAMS / "fosdem-2021.schedule.xml"
needs_shared(FOSDEM, FOSDEM_2021, module=True)
ORGANISER = DEFAULT_PERMISSIONS | (1 << 5)  # Manage Server
SOON = timedelta(minutes=15)


@pytest.fixture
async def fosdem(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[ConfBot]:
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_NOW="2025-02-01T11:02") as bot:  # fmt: skip
        yield bot


def first_page(answer) -> str:
    embed = answer.embeds[0]
    return embed["title"] + "\n" + embed.get("description", "")


def starting(service: ProgramService, at: datetime) -> list[ProgramItem]:
    """Every item of the program starting within 15 minutes of `at`."""
    items = [*service.talks.values(), *service.program.events]
    return [i for i in items if at < i.slot.start <= at + SOON]


def assert_all_on_first_page(answer, service: ProgramService, at: datetime) -> int:
    tz = service.conference.tz
    page = first_page(answer)
    found = starting(service, at)
    assert found, "a busy moment"
    for item in found:
        if is_ambient(item):  # a stand: counted in the one "Also opening" line
            assert "Also opening at" in page
        else:
            assert board.item_line(item, escape, tz) in page, item.title
    return len(found)


async def test_every_talk_starting_within_15_minutes_is_on_the_first_page(
    fake: FakeDiscord, fosdem: ConfBot
):
    # Three busy moments asked of one bot (each asks and changes nothing: a bot each
    # would only start FOSDEM three times).
    service = fosdem.service
    for when in ["2025-02-01T11:02", "2025-02-02T08:55", "2025-02-01T13:58"]:
        at = datetime.fromisoformat(when).replace(tzinfo=service.conference.tz)
        answer = await fake.answer(await fake.send_command("next", when=when))
        assert assert_all_on_first_page(answer, service, at) >= 10, when


async def every_page(fake: FakeDiscord, answer) -> str:
    """The board's descriptions, page after page, turned with the Paginator's button."""
    pages = [answer.embeds[0].get("description", "")]
    footer = answer.embeds[0].get("footer", {}).get("text", "")
    count = int(footer.split(" of ", 1)[1].split(" ", 1)[0]) if footer.startswith("Page") else 1
    turned = answer
    for _ in range(count - 1):
        ids = [c["custom_id"] for row in answer.message["components"] for c in row["components"]]
        turned = await fake.answer(await fake.click(answer, ids[-1]))
        pages.append(turned.data["embeds"][0].get("description", ""))
    return "\n".join(pages)


def section(text: str, heading: str) -> list[str]:
    """The lines under a bold board heading (and under it again, continued on a later
    page), up to the next heading."""
    found: list[str] = []
    under = False
    for line in text.split("\n"):
        if line.startswith("**"):
            under = line.startswith(f"**{heading}**")
        elif under and line.startswith("`"):
            found.append(line)
    return found


async def test_at_1100_a_room_between_talks_shows_its_next_talk_and_says_whose_next(
    fake: FakeDiscord, fosdem: ConfBot
):
    # H.1302's talk ended at 10:55 and its next starts at 11:30: it is no room with
    # something on now, and 11:30 is past the quarter hour of talks all listed.
    answer = await fake.answer(await fake.send_command("next", when="2025-02-01T11:00"))
    text = await every_page(fake, answer)
    assert "**Next · 11:05**" in text and "**Next · 11:20**" in text
    later = section(text, "Next in its room · 11:30")
    depage = "`H.1302 (Depage)` Exploring Open Source Dual A/B"
    assert any(line.startswith(depage) for line in later)
    assert "**Next · 11:30**" not in text  # not every talk starting at 11:30 is listed


async def test_on_now_is_in_the_order_rooms_free_up_then_by_room(
    fake: FakeDiscord, fosdem: ConfBot
):
    answer = await fake.answer(await fake.send_command("next", when="2025-02-01T11:00"))
    lines = section(await every_page(fake, answer), "On now")
    assert len(lines) == 20
    order = [(line.rsplit(" · until ", 1)[1], line.split("`")[1]) for line in lines]
    assert order == sorted(order)
    assert order[0] == ("11:05", "K.3.601") and order[-1] == ("12:00", "UD6.205")


async def test_fosdem_2021_106_rooms_stands_are_one_line_and_devrooms_fit(
    fake: FakeDiscord, tmp_path: Path
):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM_2021),
                           CONFBOT_TIMEZONE="Europe/Brussels",
                           CONFBOT_NOW="2021-02-06T09:25") as bot:  # fmt: skip
        service = bot.service
        tz = service.conference.tz
        for when in ("09:25", "09:55", "13:58"):
            at = datetime.fromisoformat(f"2021-02-06T{when}").replace(tzinfo=tz)
            answer = await fake.answer(await fake.send_command("next", when=when))
            assert_all_on_first_page(answer, service, at)
        early = await fake.answer(await fake.send_command("next", when="09:25"))
        assert "Also opening at 09:30" in first_page(early)
        assert ", 53 items: " in first_page(early)  # 53 stands, one line
        assert first_page(early).count("\n") < 45


async def test_a_room_filter_keeps_only_that_room(fake: FakeDiscord, fosdem: ConfBot):
    answer = await fake.answer(await fake.send_command("next", room="k.3.201"))
    page = first_page(answer)
    assert answer.embeds[0]["title"] == "What's next at FOSDEM 2025 · K.3.201"
    rooms = {f["value"].split("\n")[1].rsplit(" · ", 1)[-1] for f in answer.embeds[0]["fields"]}
    assert rooms == {"K.3.201"}, page


async def test_a_track_filter_keeps_only_that_track(fake: FakeDiscord, fosdem: ConfBot):
    answer = await fake.answer(await fake.send_command("now", track="Security"))
    (embed,) = answer.embeds
    assert embed["title"] == "On now at FOSDEM 2025 · track Security"
    assert [f["name"] for f in embed["fields"]] == ["On now · Tightening every bolt"]
    assert all(f["value"].split("\n")[1].startswith("Security · ") for f in embed["fields"])


async def test_a_language_filter_keeps_only_that_language(fake: FakeDiscord, tmp_path: Path):
    ccc = REAL_PROGRAMS / "ccc-36c3.frab.schedule.json"
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(ccc),
                           CONFBOT_NOW="2019-12-28T14:00") as bot:  # fmt: skip
        answer = await fake.answer(await fake.send_command("next", language="German"))
        titles = [f["name"].split(" · ", 1)[1] for f in answer.embeds[0]["fields"]]
        languages = {t.talk.title: t.talk.language for t in bot.service.talks.values()}
        assert titles and {languages[t] for t in titles} == {"de"}
        assert "language German" in answer.embeds[0]["title"]  # a word, not the code


async def test_autocomplete_offers_the_programs_rooms_tracks_and_languages(
    fake: FakeDiscord, fosdem: ConfBot
):
    rooms = await fake.answer(await fake.send_autocomplete("next", "room", ""))
    assert rooms.data["choices"][0] == {"name": "Every room", "value": "*"}
    assert len(rooms.data["choices"]) == 25
    tracks = await fake.answer(await fake.send_autocomplete("next", "track", "rus"))
    assert tracks.data["choices"][0] == {"name": "Rust", "value": "Rust"}
    languages = await fake.answer(await fake.send_autocomplete("now", "language", ""))
    assert languages.data["choices"] == [{"name": "English", "value": "en"}]


async def test_in_a_room_channel_next_shows_that_room_and_says_so(
    fake: FakeDiscord, fosdem: ConfBot
):
    await fake.answer(await fake.send_command(
        "announce room", user=fake.owner, permissions=ORGANISER, room="UD6.203",
        channel=fake.channel_id,
    ))  # fmt: skip
    answer = await fake.answer(await fake.send_command("next"))
    embed = answer.embeds[0]
    assert embed["title"] == "What's next at FOSDEM 2025 · UD6.203"
    assert "This channel is for UD6.203: showing it." in embed["description"]
    everything = await fake.answer(await fake.send_command("next", room="*"))
    assert everything.embeds[0]["title"] == "What's next at FOSDEM 2025"
    other = await fake.answer(await fake.send_command("next", track="Rust"))
    assert other.embeds[0]["title"] == "What's next at FOSDEM 2025 · track Rust"
    elsewhere = await fake.answer(await fake.send_command("next", second=True))
    assert elsewhere.embeds[0]["title"] == "What's next at FOSDEM 2025"


KLINGON_REFUSED = "No language of FOSDEM 2025 is called “klingon”. Did you mean English?"


FILTERS_NAMING_NOTHING = [
    ("room", "Atlantis", "No room of FOSDEM 2025 is called “Atlantis”."),
    ("room", "K3.201", "Did you mean K.3.201, K.3.401, K.3.601?"),
    ("track", "x" * 200, "No track of FOSDEM 2025 is called “" + "x" * 59 + "…”."),
    ("track", "a" * 201, "That track is 201 characters long; 200 at most."),
    ("room", "@everyone <@1> **x**\u0007", "That room contains control characters."),
    ("room", "@everyone <@1> [a](https://x.org) **x**", "is called “\\@everyone \\<@1>"),
    ("language", "klingon", KLINGON_REFUSED),
    ("room", "Rust", "“Rust” is a track, not a room: showing the track."),
]


async def test_a_filter_value_that_names_nothing_gets_one_sentence(
    fake: FakeDiscord, fosdem: ConfBot
):
    # Each value asked of one bot: a /next with a filter changes nothing, so a bot for
    # each would only start FOSDEM eight times.
    for option, typed, said in FILTERS_NAMING_NOTHING:
        answer = await fake.answer(await fake.send_command("next", **{option: typed}))
        if answer.embeds:  # a resolution, said on the answer
            assert said in answer.embeds[0]["description"], (option, typed)
            continue
        assert answer.ephemeral, (option, typed)
        assert said in answer.data["content"], (option, typed)
        assert len(answer.data["content"]) < 300, (option, typed)


async def test_a_room_is_found_by_the_code_on_its_door(fake: FakeDiscord, fosdem: ConfBot):
    answer = await fake.answer(
        await fake.send_command("next", when="2025-02-01T11:00", room="h.1302")
    )
    assert answer.embeds[0]["title"] == "What's next at FOSDEM 2025 · H.1302 (Depage)"
    names = [f["name"] for f in answer.embeds[0]["fields"]]
    assert names[0].startswith("Next · Exploring Open Source Dual A/B"), names
    session = await fake.answer(await fake.send_command("session", name="H.1302"))
    assert session.embeds[0]["title"] == "Embedded, Mobile and Automotive, Saturday"
    assert "H.1302 (Depage)" in session.embeds[0]["description"]
    # 'H.13' is no room's code (H.1301, H.1302, H.1308, H.1309 start with it): refused.
    refused = await fake.answer(await fake.send_command("next", room="H.13"))
    assert "No room of FOSDEM 2025 is called “H.13”" in refused.data["content"]


async def test_a_room_the_program_lists_without_talks_is_said_to_be_empty(
    fake: FakeDiscord, fosdem: ConfBot
):
    answer = await fake.answer(await fake.send_command("session", name="janson"))
    assert answer.data["content"] == "Janson has no talks in this program."
    for command in ("next", "now"):  # said 'No room of FOSDEM 2025 is called “Janson”.'
        filtered = await fake.answer(await fake.send_command(command, room="janson"))
        assert filtered.ephemeral
        assert filtered.data["content"] == "Janson has no talks in this program."


def page_counter(answer) -> str:
    return answer.embeds[0].get("footer", {}).get("text", "")


async def test_the_boards_page_counter_says_how_many_talks_it_lists(
    fake: FakeDiscord, fosdem: ConfBot
):
    # Every other list reads 'Page 1 of 2 · 47 talks' (cards.paged); /next said 'Page 1 of 2'.
    service = fosdem.service
    at = datetime(2025, 2, 1, 11, 0, tzinfo=service.conference.tz)
    listed = len(board.shown_items(service.next(at)))
    answer = await fake.answer(await fake.send_command("next", when="2025-02-01T11:00"))
    assert page_counter(answer) == f"Page 1 of 2 · {listed} talks"


async def test_nows_page_counter_says_how_many_talks_are_on(fake: FakeDiscord, tmp_path: Path):
    path = tmp_path / "rooms.json"
    write_rooms_program(path, rooms=200, days=1)  # 164 talks on at once: pages of them
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path),
                           CONFBOT_NOW="2025-12-27T11:00") as bot:  # fmt: skip
        on = len(bot.service.now(bot.clock.now()).current)
        answer = await fake.answer(await fake.send_command("now"))
        assert page_counter(answer).startswith("Page 1 of ")
        assert page_counter(answer).endswith(f" · {on} talks")


async def test_before_it_opens_a_rooms_first_talk_is_shown_once(fake: FakeDiscord, fosdem: ConfBot):
    # It was under 'Opens · …' and again under 'Next (Sat Feb 1) · …'.
    answer = await fake.answer(
        await fake.send_command("next", when="2025-01-31T13:00", room="K.3.201")
    )
    names = [f["name"] for f in answer.embeds[0]["fields"]]
    first = "A New Approach to Callee-Saved Registers in LLVM"
    assert [n for n in names if n.endswith(f" · {first}")] == [f"Next (Sat Feb 1) · {first}"]
    assert "**FOSDEM 2025 opens <t:" in answer.embeds[0]["description"]


async def test_a_stream_is_set_for_a_room_the_program_lists_without_talks(
    fake: FakeDiscord, fosdem: ConfBot
):
    """FOSDEM 2025 lists Janson with no talks in it: a room all the same, which an
    organiser may give a stream (it said 'No room of FOSDEM 2025 is called “Janson”')."""
    answer = await fake.answer(await fake.send_command(
        "stream set", room="janson", url="https://live.fosdem.org/watch/janson",
        user=fake.owner, permissions=ORGANISER))  # fmt: skip
    assert answer.data["content"].startswith("📺 Talks in Janson now show"), answer.data
