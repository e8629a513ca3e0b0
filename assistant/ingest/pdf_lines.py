"""Characters -> text lines: runs of characters on one baseline with no wide gap.

A line stops where the baseline moves (beyond what a superscript or subscript does), where
the pen goes back (a new line or column) and at a gap wider than about an em (a column gutter
or a table cell), so columns written row by row into the content stream come apart here.

Superscripts are found by size and baseline: citation, footnote and affiliation markers
("reconstruction⁵", "Wang¹", "Gongᵃ,ᵇ") are kept out of the text; exponents after a number or a
short symbol stay, written "10^-22", "R^2". TeX accents set as separate characters over their
letter ("´ı") are composed ("í").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from statistics import median

from .pdf_chars import HYPHEN_MARK, Char

__all__ = ["Line", "build_lines", "SOFT_HYPHEN"]

SOFT_HYPHEN = "\u00ad"
_GAP = 0.9  # a gap wider than this many ems ends a line
_SCRIPT = 0.85  # characters smaller than this share of the line's size may be scripts
_ACCENTS = {
    "\u00b4": "\u0301", "`": "\u0300", "\u00a8": "\u0308", "\u02c6": "\u0302", "^": "\u0302",
    "\u02dc": "\u0303", "~": "\u0303", "\u00b8": "\u0327", "\u02c7": "\u030c", "\u02d8": "\u0306",
    "\u02d9": "\u0307", "\u02da": "\u030a", "\u02dd": "\u030b", "\u00af": "\u0304",
}
_DOTLESS = {"\u0131": "i", "\u0237": "j"}
_MARKER = re.compile(r"^[\d\s,;.\-\u2013\u2014*\u2217\u2020\u2021\u00a7\u00b6#]+$"
                     r"|^[a-z\u03b1-\u03c9](?:[,\s]*[a-z\u03b1-\u03c9\d*\u2217])*$")


@dataclass(slots=True)
class Line:
    """A run of text on one baseline, in page units (y grows upwards)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    base: float
    size: float
    bold: bool
    page: int = 0
    chars: int = 0
    tags: set[str] = field(default_factory=set)

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass(slots=True)
class _Run:
    chars: list[Char]
    spaced: list[bool]  # a space before each character
    size: float
    base: float


def _continues(run: _Run, ch: Char) -> bool:
    last = run.chars[-1]
    s = max(run.size, ch.size)
    if ch.x0 - last.x1 > _GAP * s:
        return False
    if ch.x < last.x - 0.3 * s and not (ch.text in _ACCENTS or last.text in _ACCENTS):
        return False  # the pen went back: a new line or column
    dy = ch.base - run.base
    if abs(dy) <= 0.2 * s:
        return True
    if ch.size < _SCRIPT * run.size:  # a superscript or subscript of this line
        return -0.5 * run.size <= dy <= 0.75 * run.size
    if run.size < _SCRIPT * ch.size:  # the line began with a script ("¹ Saarland")
        return -0.75 * ch.size <= dy <= 0.5 * ch.size
    return False


def _add(run: _Run, ch: Char, spaced: bool) -> None:
    run.chars.append(ch)
    run.spaced.append(spaced)
    if ch.size >= 0.9 * run.size:
        if ch.size > 1.1 * run.size:
            run.size = ch.size
        run.base = ch.base


def _attach_accents(chars: list[Char]) -> list[Char]:
    """Put each spacing accent on the letter under it ("´" over "ı" -> "í"), wherever pdfium
    placed the accent in the character order; accents over nothing stay."""
    accents = [i for i, ch in enumerate(chars) if ch.text in _ACCENTS and not ch.space]
    if not accents:
        return chars
    drop = set()
    accented: set[int] = set()  # the letters that took an accent
    for i in accents:
        acc = chars[i]
        mid = (acc.x0 + acc.x1) / 2
        best, best_d = None, 0.0
        for j, ch in enumerate(chars):
            if ch.space or not ch.text.isalpha() or j in drop or ch.text in _ACCENTS:
                continue  # (ˆ and ˇ are letters to Python)
            if not (ch.x0 - 0.5 <= mid <= ch.x1 + 0.5):
                continue
            if not (-0.4 * ch.size <= acc.base - ch.base <= 0.8 * ch.size):
                continue
            d = abs(mid - (ch.x0 + ch.x1) / 2) + abs(acc.base - ch.base)
            if best is None or d < best_d:
                best, best_d = ch, d
        if best is not None:
            best.text = unicodedata.normalize("NFC", _DOTLESS.get(best.text, best.text)
                                              + _ACCENTS[acc.text])
            drop.add(i)
            accented.add(id(best))
    out: list[Char] = []
    for i, ch in enumerate(chars):
        if i not in drop and not (ch.space and out and out[-1].space):
            out.append(ch)
    # a space pdfium generated around a moved accent would now split the word
    return [ch for k, ch in enumerate(out)
            if not (ch.space and 0 < k < len(out) - 1
                    and (id(out[k - 1]) in accented or id(out[k + 1]) in accented)
                    and out[k - 1].text.isalpha() and out[k + 1].text.isalpha()
                    and out[k + 1].x0 - out[k - 1].x1 < 0.1 * max(out[k - 1].size, 1.0))]


def _script_text(run_text: str, before: str, word: str) -> str:
    """What a superscript becomes: '' for a marker, '^x' for an exponent, else itself."""
    t = run_text.strip()
    if not t:
        return ""
    prev = before[-1:] if before else ""
    if not any(c.isalnum() for c in t):
        return ""  # a symbol marker (*, †, a font's private code)
    if prev and prev.isdigit():
        return t if t.isalpha() else "^" + t  # 20th, 10^-22, (a+b)^2
    if _MARKER.match(t):
        short = len(word) == 1 or (len(word) == 2 and word.islower())
        if prev.isalpha() and short and t.isdigit():
            return "^" + t  # R^2, cm^2
        return ""
    return t


def _finish(run: _Run, page: int) -> Line | None:
    chars, spaced = run.chars, run.spaced
    sizes: dict[float, int] = {}
    for ch in chars:
        sizes[round(ch.size * 2) / 2] = sizes.get(round(ch.size * 2) / 2, 0) + 1
    size = max(sizes, key=lambda s: (sizes[s], s))
    main = [ch for ch in chars if ch.size >= _SCRIPT * size] or chars
    base = median(ch.base for ch in main)
    out: list[str] = []
    i = 0
    while i < len(chars):
        ch = chars[i]
        script = ch.size < _SCRIPT * size and abs(ch.base - base) > 0.12 * size
        if not script:
            wide = i > 0 and ch.x0 - chars[i - 1].x1 > 0.25 * size
            if (spaced[i] or wide) and out and not out[-1].endswith(" "):
                out.append(" ")
            out.append(ch.text)
            i += 1
            continue
        raised = ch.base > base
        j = i
        while (j < len(chars) and chars[j].size < _SCRIPT * size
               and (chars[j].base > base) == raised):
            j += 1
        piece = "".join((" " if spaced[k] and k > i else "") + chars[k].text for k in range(i, j))
        before = "".join(out)
        word = re.split(r"\W", before)[-1] if before else ""
        if raised and not before.strip() and re.fullmatch(r"\d{1,3}", piece.strip()):
            piece = piece.strip() + " "  # a footnote's own number: "³ https://..." stays
        elif raised:
            piece = _script_text(piece, before, word)
        elif piece and not piece[0].isdigit() and before[-1:].isalpha():
            piece = " " + piece.strip()  # an index: T_ν -> "T ν" (a digit stays: H2O)
        if spaced[i] and out and piece:
            out.append(" ")
        out.append(piece or "  ")  # a dropped marker separates ("Kyle Lo¹ Zejiang Shen")
        i = j
    text = "".join(out).strip()
    text = re.sub(r"\s{2,}(?=[,.;:)\]])", "", text)  # "word¹," -> "word,"
    if not text:
        return None
    bold = sum(ch.bold for ch in main) * 2 > len(main)
    return Line(
        text=text,
        x0=min(ch.x0 for ch in chars),
        y0=min(ch.y0 for ch in main),
        x1=max(ch.x1 for ch in chars),
        y1=max(ch.y1 for ch in main),
        base=base,
        size=size,
        bold=bold,
        page=page,
        chars=len(chars),
    )


def build_lines(chars: list[Char], page: int = 0) -> list[Line]:
    """Text lines in content order (a line-end hyphen becomes a soft hyphen)."""
    runs: list[_Run] = []
    run: _Run | None = None
    space = False
    for ch in _attach_accents(chars):
        if ch.space:
            space = True
            continue
        if run is not None and _continues(run, ch):
            _add(run, ch, space)
        else:
            run = _Run([ch], [False], ch.size, ch.base)
            runs.append(run)
        space = False
    lines = []
    for r in runs:
        line = _finish(r, page)
        if line is not None:
            line.text = line.text.replace(HYPHEN_MARK, SOFT_HYPHEN)
            lines.append(line)
    return lines
