"""The text beside a message's embeds (bot.render.summary): what a reader who hides
embeds, or a screen reader, reads of a card."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import Language, bundled_messages
from bot.model import Conference
from bot.render import delivery_cards, posts, program_cards
from bot.render.cards import Card, Field
from bot.render.limits import MESSAGE_MAX
from bot.render.markdown import as_shown, escape
from bot.render.summary import LINE_MAX, SUMMARY_MAX, more_line, summary
from bot.service import ProgramService
from tests.conftest import pacific
from tests.fakediscord.rules import previewed_links
from tests.markdown_checks import PAYLOAD, unsafe


def test_a_short_card_reads_whole_title_description_fields_and_footer():
    card = Card(
        "⏰ NOMAD", "**Starts in 10 min** · 10:45–11:05 PDT\n📍 Grand Ballroom",
        fields=(Field("Speakers", "Ann Lee, Bo Chen"), Field("Type", "talk · en", inline=True)),
        footer="Times marked ≈ are derived.",
    )  # fmt: skip
    assert summary([card]).split("\n") == [
        "**⏰ NOMAD**",
        "**Starts in 10 min** · 10:45–11:05 PDT",
        "📍 Grand Ballroom",
        "**Speakers** — Ann Lee, Bo Chen",
        "**Type** — talk · en",
        "-# Times marked ≈ are derived.",
    ]


def test_a_field_of_a_few_lines_is_one_line_and_a_list_keeps_its_lines():
    talk = Field("Sabre", "10:45–11:05 PDT\nGrand Ballroom\nBy Ann Lee")
    day = Field("`09:00` Session: Cloud", "\n".join(f"`09:{n}0` Talk {n}" for n in range(5)))
    lines = summary([Card("Friday", fields=(talk, day))]).split("\n")
    assert lines[1] == "**Sabre** — 10:45–11:05 PDT · Grand Ballroom · By Ann Lee"
    assert lines[2:] == ["**`09:00` Session: Cloud**", *(f"`09:{n}0` Talk {n}" for n in range(5))]


def test_a_long_card_gives_its_first_screenful_and_counts_the_rest():
    lines = [f"`10:{n:02d}` **Room {n}** · A talk of about sixty characters — Speaker" for n in
             range(60)]  # fmt: skip
    card = Card("What's next", "\n".join(lines), footer="Page 1 of 2 · 80 talks")
    text = summary([card])
    assert len(text) <= SUMMARY_MAX < card.size() * 2 // 5  # a summary, not the card again
    shown = text.split("\n")
    assert shown[0] == "**What's next**" and shown[-1] == "-# Page 1 of 2 · 80 talks"
    kept = shown[1:-2]
    assert kept == lines[: len(kept)] and len(kept) >= 10  # the first lines, in order
    assert (
        shown[-2] == more_line(60 - len(kept)) == f"…and {60 - len(kept)} more lines in the embed."
    )


def test_a_line_is_cut_at_its_limit_and_a_field_name_leaves_room_for_when():
    title = "A" * 300
    text = summary([Card("T", fields=(Field(title, "10:45–11:05 PDT"),))])
    line = text.split("\n")[1]
    assert len(line) <= LINE_MAX and line.endswith("** — 10:45–11:05 PDT")
    abstract = summary([Card("T", fields=(Field("Abstract", "word " * 400),))])
    assert len(abstract.split("\n")[1]) == LINE_MAX and abstract.endswith("…")


def test_links_show_their_label_without_a_preview():
    line = "`10:30` **Janson** · [Rust \\[1\\]](https://fosdem.org/a%28b%29) · 📺 [Watch live](<https://x.org/l>)"
    text = summary([Card("📣 1 talk starts at 10:30 CET", line)])
    assert text.split("\n")[1] == "`10:30` **Janson** · Rust \\[1\\] · 📺 Watch live"
    assert previewed_links(text) == 0


def test_a_programs_words_stay_text_in_the_summary():
    """The card's parts are escaped already; the footer, plain text in an embed, is
    escaped here; cutting a line or dropping a link never unescapes a mark."""
    words = escape(PAYLOAD)
    card = Card(
        f"💬 {words}", f"By {words}\n" + escape(PAYLOAD + "\n# Big\n- item"),
        fields=(Field(words, f"[{words}](https://example.org/x) · {words}"),
                Field("Abstract", words * 8)),
        footer=f"{PAYLOAD} footer",
    )  # fmt: skip
    text = summary([card])
    assert unsafe(text) == []
    assert f"-# {PAYLOAD} footer" == as_shown(text.split("\n")[-1])


def test_the_cards_of_one_message_say_their_title_once_and_end_with_the_last_footer():
    first = Card("📣 24 talks start at 10:30 CET", "**Starts in 10 min**\n`10:30` One")
    second = Card(first.title, "`10:30` Two", footer="Times marked ≈ are derived.")
    assert summary([first, second]).split("\n") == [
        "**📣 24 talks start at 10:30 CET**", "**Starts in 10 min**", "`10:30` One",
        "`10:30` Two", "-# Times marked ≈ are derived.",
    ]  # fmt: skip
    assert summary([]) == ""


def test_however_large_the_cards_the_text_fits_a_message():
    fields = tuple(Field("n" * 256, "v" * 1024) for _ in range(25))
    huge = Card("x" * 256, "y" * 4096, fields=fields, footer="f" * 2048)
    for cards in ([huge], [huge] * 10):
        text = summary(cards)
        assert len(text) <= SUMMARY_MAX <= MESSAGE_MAX
        assert all(len(line) <= LINE_MAX for line in text.split("\n"))


# -- the bot's own cards, on the OSDI '24 program ------------------------------------------


def _osdi(service: ProgramService) -> Conference:
    return service.program.conference


def test_a_reminder_says_what_when_and_where(service: ProgramService):
    talk = service.talk("sabre").talk
    card = delivery_cards.reminder_card(
        talk, _osdi(service), talk.slot.start - timedelta(minutes=10)
    )
    text = summary([card])
    assert text.startswith(f"**⏰ {talk.title}**\n**Starts in 10 min** · <t:")
    assert f"📍 {talk.slot.room}" in text and "Nikita Lazarev" in text


def test_an_announcement_lists_its_talks(service: ProgramService):
    answer = service.session("formal verification")
    session, talks = answer.session, answer.talks
    card = delivery_cards.announcement_card(session, talks, _osdi(service),
                                            session.slot.start - timedelta(minutes=10))  # fmt: skip
    text = summary([card])
    assert text.startswith(f"**📣 {session.title}**\n**Starts in 10 min**")
    assert all(f"\n**{escape(t.title)}** — " in text for t in talks)


def test_a_slot_posts_text_lists_its_talks(service: ProgramService):
    """OSDI has one room: a session's talks stand for a slot's of many rooms."""
    conference = _osdi(service)
    talks = service.session("formal verification").talks
    start = talks[0].slot.start
    header = posts.slot_header(start, len(talks), conference, start - timedelta(minutes=5),
                               True)  # fmt: skip
    (message,) = posts.pack(header, posts.talk_lines(talks, conference, start))
    text = summary(message)
    assert text.startswith("**📣 5 talks start at 16:10 PDT**\n**Starts in 5 min**")
    assert all(escape(t.title)[:40] in text for t in talks) and previewed_links(text) == 0
    assert text.endswith("\n-# Times marked ≈ are derived from the published session blocks"
                         " (20-minute talk slots), not published per talk.")  # fmt: skip


def test_next_says_what_is_on_and_next(service: ProgramService):
    at = pacific("2024-07-10T10:50")
    answer = service.next(at, frozenset(), service.where(None, None, None))
    (card,) = program_cards.next_cards(answer, _osdi(service))
    text = summary([card])
    assert text.startswith("**What's next at OSDI '24**\nAs of <t:")
    assert "\n**On now · Sabre" in text and "\n**Next · NOMAD" in text
    assert "≈ 11:05–11:25 PDT" in text


def test_a_long_title_is_cut_inside_its_bold():
    text = summary([Card("T" * 300, "when")])
    assert text.startswith("**" + "T" * 100) and text.split("\n")[0].endswith("…**")
    assert len(text.split("\n")[0]) <= LINE_MAX


# -- in the cards' language -----------------------------------------------------------------


def test_what_the_text_leaves_out_is_said_in_the_cards_language(service: ProgramService):
    german = bundled_messages().words(Language.DE)
    french = bundled_messages().words(Language.FR)
    assert more_line(1, german) == "…und 1 weitere Zeile in der Einbettung."
    assert more_line(12, french) == "…et 12 lignes de plus dans l'intégration."
    conference = _osdi(service)
    talks = [t for s in service.program.sessions for t in service.session_talks(s)]
    start = talks[0].slot.start
    header = posts.slot_header(start, len(talks), conference, start, False, german)
    message = posts.pack(header, posts.talk_lines(talks, conference, start, w=german))[0]
    assert {card.language for card in message} == {Language.DE}
    assert summary(message, german).split("\n")[-1].endswith("weitere Zeilen in der Einbettung.")


def test_a_card_rendered_for_a_reader_says_which_language_it_is_in(service: ProgramService):
    german = bundled_messages().words(Language.DE)
    talk = service.talk("sabre").talk
    before = talk.slot.start - timedelta(minutes=10)
    assert delivery_cards.reminder_card(talk, _osdi(service), before, w=german).language == "de"
    assert delivery_cards.reminder_card(talk, _osdi(service), before).language == "en"
    answer = service.next(pacific("2024-07-10T10:50"), frozenset(), service.where(None, None, None))
    (card,) = program_cards.next_cards(answer, _osdi(service), w=german)
    assert card.language is Language.DE
