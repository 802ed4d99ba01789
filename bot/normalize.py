"""String normalisation shared by the importer, the store and the search indexes.

Three different questions need three different answers:
- *matching* two files that print the same title slightly differently (case, spaces,
  dot leaders) must not lose anything meaningful, so it keeps accents and letters;
- *identity* of a person across talks uses the same conservative folding;
- *search* must forgive everything a user might not type: accents, Greek letters,
  punctuation and case.
"""

from __future__ import annotations

import re
import unicodedata

_DOT_LEADER = re.compile(r"(?:\s*[.…·]){2,}\s*$")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_SLUG_CHARS = re.compile(r"[^0-9a-z]+")

# Greek letters appear in system names (μSlope). People type them the way papers
# are pronounced or spelled in ASCII: "uslope", "mu".
_GREEK = str.maketrans(
    {
        "α": "a",
        "β": "b",
        "γ": "g",
        "δ": "d",
        "ε": "e",
        "ζ": "z",
        "η": "e",
        "θ": "th",
        "ι": "i",
        "κ": "k",
        "λ": "l",
        "μ": "u",
        "ν": "n",
        "ξ": "x",
        "ο": "o",
        "π": "p",
        "ρ": "r",
        "σ": "s",
        "ς": "s",
        "τ": "t",
        "υ": "u",
        "φ": "ph",
        "χ": "ch",
        "ψ": "ps",
        "ω": "o",
    }
)
# Letters that NFKD does not decompose into a base letter plus accents.
_LATIN_EXTRA = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
# German (and Scandinavian) spellings without umlauts write a vowel plus 'e': Müller is
# 'Mueller' as often as 'Muller'. Dropping that 'e' (and doubled s, for ß) gives one key for
# all three spellings; it is only compared with other keys, never shown.
_LOOSE = re.compile(r"(?<=[aou])e|(?<=s)s")


def strip_dot_leaders(text: str) -> str:
    """Remove the table-of-contents dot leaders ('Title.....') and trailing space."""
    text = text.strip()
    if not text.endswith((".", "…", "·")):  # most titles: skip the (slow) regex
        return text
    return _DOT_LEADER.sub("", text).strip()


def collapse_space(text: str) -> str:
    return " ".join(text.split())


def match_key(text: str) -> str:
    """Key for matching the same title or name across two files."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return collapse_space(strip_dot_leaders(text)).casefold()


def fold(text: str) -> str:
    """Fold text for search: no accents, Greek transliterated, lower case, words only."""
    if text.isascii():  # the common case, and ten times faster
        return _NOT_WORD.sub(" ", text.lower()).strip()
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_GREEK).translate(_LATIN_EXTRA)
    return _NOT_WORD.sub(" ", text).strip()


def spelling_key(text: str) -> str:
    """The key under which two spellings of one name meet when they differ only by
    accents, case or spacing ('Salle Étoile', 'salle etoile', 'Salle  Etoile'); unlike
    fold, punctuation still tells names apart ('K.3.201' is not 'K3201')."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch) and not ch.isspace())


def loose(word: str) -> str:
    """The key under which 'mueller', 'muller' and folded 'müller' meet (see _LOOSE)."""
    return _LOOSE.sub("", word)


def slug(text: str, max_words: int = 8) -> str:
    """A short, stable, URL-safe identifier made from text."""
    words = [w for w in _SLUG_CHARS.split(fold(text)) if w][:max_words]
    return "-".join(words)[:80].strip("-") or "item"


# Characters that format text without showing (Unicode's Cf): soft hyphens, zero-width
# spaces, direction marks and overrides, a BOM. Kept: the zero-width joiner and the tag
# characters, which build emoji (👩‍💻, a flag of England).
_INVISIBLE = re.compile("[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b"
                        "\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
                        "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
                        "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001]")  # fmt: skip


def without_invisible(text: str) -> str:
    """`text` without the characters that format it invisibly: a name a program writes
    with a soft hyphen, or a query copied with a zero-width space, is the name people
    see and type; and a direction override in a title cannot turn the rest of a line
    around in Discord."""
    return text if text.isascii() else _INVISIBLE.sub("", text)
