"""The grammar of answer text: sentences, list items, headings and table rows of Markdown-ish
text, with trailing [n] markers kept on their sentence; labels ("**Results:**") are no claims."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .markers import MARKER, parse_markers

__all__ = ["Unit", "is_label", "split_sentences", "units", "wordset"]


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREV = wordset(
    "e.g. i.e. al. fig. figs. eq. eqs. eqn. sec. secs. tab. vs. cf. approx. resp. vol. pp. ch. "
    "dr. mr. mrs. ms. prof. st. inc. ltd. jr. sr. ref. refs. alg. thm. lem. def. app. appx. "
    "viz. incl. est. ca. w.r.t. a.k.a. ed. eds. dept. univ. max. min. avg. no. nos."
)
_NUMBER_ONLY_ABBREV = frozenset({"no.", "nos.", "min.", "max."})  # words unless a number follows
_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]*_]*(?:[ \t]*" + MARKER.pattern + r")*(?=\s|$)")
_STARTER = re.compile(r"[\"'\u201c\u2018(\[*_\d]|[^\W\d_]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BOLD = re.compile(r"(\*\*|__)[^*_\n]{1,80}\1:?")
_ITEM = re.compile(r"^(\s*)(?:[-*+\u2022]|\d{1,3}[.)])\s+")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SOFT_END = re.compile(r"(?:[.!?:][\"'\u201d\u2019)*_]*|" + MARKER.pattern + r")\s*$")


@dataclass(frozen=True, slots=True)
class Unit:
    start: int
    end: int
    claim: bool  # False for headings and table header rows


def _is_boundary(text: str, dot: int, after: int) -> bool:
    """Is the terminal punctuation at ``text[dot]`` a sentence end (``after`` = next start)?"""
    if after >= len(text):
        return True
    if not _STARTER.match(text, after):
        return False
    if text[after].isalpha() and not text[after].isupper():
        return False
    if text[dot] != ".":
        return True
    word = text[: dot + 1].rsplit(None, 1)[-1].lstrip("([\"'\u201c").lower()
    if word in _NUMBER_ONLY_ABBREV:
        return not text[after].isdigit()
    if word in _ABBREV or re.fullmatch(r"(?:[a-z]\.){2,}", word):
        return False
    # an initial such as "J. Smith"
    return not re.fullmatch(r"[A-Z]\.", text[: dot + 1].rsplit(None, 1)[-1])


def _split_block(text: str, start: int, end: int, units: list[Unit]) -> None:
    """Split ``text[start:end]`` into sentences, appending trimmed units."""
    pos = start
    for m in _END.finditer(text, start, end):
        if _is_boundary(text, m.start(), _skip_space(text, m.end(), end)):
            _add(text, pos, m.end(), units, True)
            pos = m.end()
    _add(text, pos, end, units, True)


def _skip_space(text: str, i: int, end: int) -> int:
    while i < end and text[i].isspace():
        i += 1
    return i


def _add(text: str, start: int, end: int, units: list[Unit], claim: bool) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        units.append(Unit(start, end, claim))


def units(text: str) -> list[Unit]:
    """Sentences, list items, headings and table rows of Markdown-ish text, as spans."""
    units: list[Unit] = []
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        lines.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    block: tuple[int, int] | None = None  # current paragraph or list item span

    def flush() -> None:
        nonlocal block
        if block is not None:
            _split_block(text, block[0], block[1], units)
            block = None

    for k, (off, line) in enumerate(lines):
        end = off + len(line)
        nxt = lines[k + 1][1] if k + 1 < len(lines) else ""
        heading = _HEADING.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            _add(text, off + heading.start(1), off + heading.end(1), units, False)
        elif _TABLE_SEP.match(line):  # also a "---" rule
            flush()
        elif _TABLE_ROW.match(line):
            flush()
            _add(text, off, end, units, not _TABLE_SEP.match(nxt))
        elif item := _ITEM.match(line):
            flush()
            block = (off + item.end(), end)
        elif block is not None and not _SOFT_END.search(text, block[0], block[1]):
            block = (block[0], end)  # a soft-wrapped line continues the sentence
        else:
            flush()
            block = (off, end)
    flush()
    return units


def is_label(unit: str) -> bool:
    """A bold-only line or a short lead-in ending with ':' and no marker: a heading, no claim."""
    unit = unit.strip()
    if parse_markers(unit) or len(unit) > 80:
        return False
    return bool(_BOLD.fullmatch(unit)) or unit.rstrip("*_ ").endswith(":")


def split_sentences(text: str) -> list[str]:
    """Sentences, list items, headings and table rows; trailing [n] markers stay attached."""
    return [text[u.start : u.end] for u in units(text)]
