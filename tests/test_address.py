"""Any text read as an http(s) address is a URL or one sentence (AddressError), never
another exception: the address comes from an operator, an organiser or a program file."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.address import AddressError, web_address
from bot.settings import Settings, SettingsError


@pytest.mark.parametrize("address", ["https://[::1]@", "https://]x[example.org@#"])
def test_a_bracket_before_an_empty_host_is_one_sentence(address: str):
    # yarl raises IndexError for these; before, CONFBOT_PROGRAM='https://[::1]@' was a
    # traceback at start and /conference add answered with the generic apology.
    with pytest.raises(AddressError, match=r"is not a well-formed address\.$"):
        web_address(address)
    with pytest.raises(SettingsError, match=r"^CONFBOT_PROGRAM: .* not a well-formed address"):
        Settings.from_mapping({"CONFBOT_PROGRAM": address})


PIECES = st.sampled_from(["[", "]", "@", ":", "/", "?", "#", "%", ".", " ", "[::1]", "x",
                          "example.org", "ü", "\\", "\x07"])  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["https://", "http://", "HTTP://", " https:"]),
       st.lists(PIECES, max_size=12).map("".join) | st.text(max_size=30))  # fmt: skip
def test_any_address_is_a_url_or_one_sentence(scheme: str, rest: str):
    with contextlib.suppress(AddressError):
        web_address(scheme + rest)


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("https://pretix.example/api/?token=s3cr3t\nX: y", "(a line break) at character 41;"),
        ("https://pretix.example/\x07s3cr3t", "(U+0007) at character 24;"),
    ],
)
def test_a_control_character_is_placed_and_named_not_the_address_repeated(address: str, says: str):
    """An address pasted with what followed it (a token, a header) is not repeated."""
    with pytest.raises(AddressError) as refused:
        web_address(address)
    message = str(refused.value)
    assert says in message and "holds a control character" in message
    assert "s3cr3t" not in message and "pretix.example" not in message
