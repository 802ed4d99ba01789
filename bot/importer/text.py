"""Abstracts and descriptions come as HTML (FOSDEM, frab) or Markdown (pretalx): keep the
words, drop the markup. Renderers then escape what is left, so nothing a program says is
ever read as formatting or a ping."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from bot.importer.limits import MAX_ABSTRACT_SOURCE

MAX_ABSTRACT = 4000  # more than any card shows; bounds memory for a 10,000-talk program

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
               "blockquote", "pre", "hr"}  # fmt: skip
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\((\S+?)\)")
_MD_MARKS = re.compile(r"(\*\*|__|~~|`+)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_BLANK_LINES = re.compile(r"\n\s*\n+")
_LINK = re.compile(r"<a\s[^>]*?href=[\"'](https?://[^\"']+)[\"'][^>]*>(.*?)</a>", re.I | re.S)
_ITEM = re.compile(r"<li\b[^>]*>", re.I)
_BLOCK = re.compile(r"</?(?:p|div|br|ul|ol|h[1-6]|tr|blockquote|pre|hr)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
# What the expressions do not handle safely: comments, scripts, CDATA, '>' in attributes.
_FANCY = re.compile(r"<!--|<script|<style|<!\[CDATA\[|<[^>]*=[\"'][^\"']*>[^\"']*[\"']", re.I)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: str | None = None
        self.hidden = 0  # inside <script> or <style>: not words

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("• ")
        if tag == "a":
            self.href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        if tag == "a" and self.href and self.href.startswith(("http://", "https://")):
            if self.href not in "".join(self.parts[-3:]):
                self.parts.append(f" ({self.href})")
            self.href = None
        if tag in _BLOCK_TAGS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _html_words(text: str) -> str:
    """Simple HTML (paragraphs, lists, links, emphasis) by regular expressions, at C speed;
    anything fancier goes through the parser."""
    if _FANCY.search(text):
        parser = _Text()
        parser.feed(text)
        parser.close()
        return "".join(parser.parts)
    lowered = text.lower()  # each substitution below is skipped when it cannot apply
    if "href" in lowered:
        text = _LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2].strip() else m[1], text)
    if "<li" in lowered:
        text = _ITEM.sub("\n• ", text)
    text = _BLOCK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def plain_text(text: object) -> str | None:
    """The words of an HTML or Markdown text, with paragraphs kept as blank lines. Not a
    string (a number where a JSON export should have text): no text."""
    if not isinstance(text, str) or not text:
        return None
    text = text[:MAX_ABSTRACT_SOURCE]  # every step below copies it: bound what is copied
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<" not in text and "&lt;" in text:  # HTML escaped once more than it should be
        text = html.unescape(text)
    text = _html_words(text) if "<" in text and ">" in text else html.unescape(text)
    if "](" in text:
        text = _MD_LINK.sub(lambda m: f"{m[1]} ({m[2]})" if m[1] else m[2], text)
    if "#" in text:
        text = _MD_HEADING.sub("", text)
    if "*" in text or "_" in text or "~" in text or "`" in text:
        text = _MD_MARKS.sub("", text)
    if "\n" not in text:  # one paragraph: nothing more to tidy than its spaces
        return " ".join(text.split())[:MAX_ABSTRACT] or None
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text[:MAX_ABSTRACT] or None
