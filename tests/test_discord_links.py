"""Links in cards are the links Discord takes (issue 21, defect 16): one it refuses costs
the reader the whole message (400, code 50035), so `fit` encodes what can be encoded and
drops the rest. Through Discord itself: tests/e2e/test_program_links_e2e.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import cards, limits
from tests.fakediscord import rules


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("https://example.org/a b c", "https://example.org/a%20b%20c"),
        ("  https://example.org/talk  ", "https://example.org/talk"),
        ("https://example.org/ä?q=x y#f g", "https://example.org/%C3%A4?q=x%20y#f%20g"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://user:p w@bücher.example/", "https://user:p%20w@xn--bcher-kva.example/"),
        ("https://example.org/<x>|{y}", "https://example.org/%3Cx%3E%7C%7By%7D"),
        ("https://example.org/100%", "https://example.org/100%25"),
        # What Discord takes is sent as written, escapes and all (real FOSDEM 2025 links).
        ("https://github.com/search?q=is%3Amerged+org%3Arust-vmm",
         "https://github.com/search?q=is%3Amerged+org%3Arust-vmm"),
        ("https://matrix.to/#/#motis:matrix.org", "https://matrix.to/#/#motis:matrix.org"),
        ("https://example.org/a/../b?label[]=x", "https://example.org/a/../b?label[]=x"),
        ("http://wWw.Open-BCI.org", "http://wWw.Open-BCI.org"),
    ],
)  # fmt: skip
def test_a_link_is_sent_encoded_as_discord_takes_it(written: str, sent: str):
    assert cards.discord_link(written) == sent
    assert rules.url_error(sent, rules.EMBED_URL_MAX) is None


@pytest.mark.parametrize(
    "written",
    [
        "ftp://example.org/x",
        "javascript:alert(1)",
        "https://",
        "https://[::1/x",
        "http://intranet/notes",  # Discord: not well formed (its host has no dot)
        "https://[2001:db8::1]/x",
        "https://exa mple.org/x",
        "https://example.org/\x00",
        pytest.param("https://example.org/" + "x" * 2029, id="2049 characters"),
    ],
)
def test_a_link_discord_would_refuse_is_dropped(written: str):
    assert cards.discord_link(written) is None


def test_fit_drops_bad_links_and_keeps_the_card():
    long = "https://example.org/" + "x" * 600  # takes an embed's url, not a button's
    card = cards.fit(
        cards.Card(
            "Talk",
            url="https://example.org/a b c",
            links=(("Slides", "https://example.org/slides deck.pdf"), ("Notes", "http://intranet/x"),
                   ("Long", long), ("L" * 100, "https://example.org/v")),
        )
    )  # fmt: skip
    assert card.url == "https://example.org/a%20b%20c"
    assert card.links == (
        ("Slides", "https://example.org/slides%20deck.pdf"),
        ("L" * 79 + "…", "https://example.org/v"),
    )
    assert cards.fit(cards.Card("Talk", url=long)).url == long
    assert cards.fit(cards.Card("Talk", url="http://intranet/x")).url is None


def test_a_markdown_link_cannot_be_ended_early_or_point_nowhere():
    assert cards.link_target("https://example.org/a (b)") == "https://example.org/a%20%28b%29"
    assert cards.link_target("https://example.org/live>now") == "https://example.org/live%3Enow"
    assert cards.link_target("http://intranet/live") is None


SCHEMES = st.sampled_from(["https://", "http://", "HTTPS://", " https://", "ftp://", "https:"])
# fmt: off
HOSTS = st.sampled_from(["example.org", "bücher.de", "localhost", "a b.org", "[::1]", "[x",
                         "u:p w@example.org", "example.org:8080", "example.org:9999999", ""])
PIECES = st.sampled_from(["/", " ", "%", "%2", "%20", "?", "#", "[", "]", "@", ":", "(",
                          ")", "<", ">", "|", "\\", "\n", "\u2028", "é", "..", "x" * 300])
# fmt: on
WRITTEN = st.builds("{}{}{}".format, SCHEMES, HOSTS, st.lists(PIECES, max_size=10).map("".join))


@settings(max_examples=400, deadline=None)
@given(WRITTEN | st.text(max_size=60))
def test_whatever_a_program_holds_the_link_sent_is_one_discord_takes(written: str):
    for limit in (limits.EMBED_URL_MAX, limits.BUTTON_URL_MAX):
        link = cards.discord_link(written, limit)
        assert link is None or rules.url_error(link, limit) is None, link
