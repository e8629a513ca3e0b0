"""Page furniture: running headers and footers, page numbers, line numbers, banners.

Text is furniture when it sits in the top or bottom band of the page and the same text (digits
aside: page numbers, volume and year vary) comes back at about the same height on other pages,
or when it is a bare page number in those bands, or a column of bare numbers beside the text
(line numbers of a manuscript). Download and licence banners printed on every page are caught
by the same rule; rotated side stamps never reach here (see pdf_chars).
"""

from __future__ import annotations

import re

from .pdf_lines import Line

__all__ = ["remove_furniture", "BAND"]

BAND = 0.12  # share of the page height searched for headers and footers at top and bottom
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-\u2013(]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-\u2013)]?"
    r"(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)


def _key(text: str) -> str:
    return _DIGITS.sub("#", "".join(text.lower().split()))


def _in_band(line: Line, height: float) -> bool:
    return line.y1 > (1 - BAND) * height or line.y0 < BAND * height


def remove_furniture(pages: list[list[Line]], heights: list[float]) -> list[list[Line]]:
    """Each page's lines without headers, footers, page and line numbers. Returns new lists;
    removed lines are tagged "furniture" (the metadata reader still looks at page 1's)."""
    n = len(pages)
    need = 2 if n <= 4 else 3
    seen: dict[str, list[tuple[int, float]]] = {}
    for p, (lines, height) in enumerate(zip(pages, heights, strict=True)):
        for ln in lines:
            if _in_band(ln, height):
                seen.setdefault(_key(ln.text), []).append((p, ln.base))
    out: list[list[Line]] = []
    for lines, height in zip(pages, heights, strict=True):
        kept = []
        body = [ln for ln in lines if len(ln.text) >= 20]
        left = min((ln.x0 for ln in body), default=0.0)
        right = max((ln.x1 for ln in body), default=0.0)
        for ln in lines:
            furniture = False
            if _in_band(ln, height):
                if _PAGE_NUMBER.match(ln.text.strip()):
                    furniture = True
                elif sum(c.isalpha() for c in ln.text) >= 2:  # bare numbers: table cells
                    places = seen.get(_key(ln.text), [])
                    pages_here = {q for q, base in places if abs(base - ln.base) <= 6.0}
                    furniture = len(pages_here) >= need
            if not furniture and ln.text.isdigit() and len(ln.text) <= 4 and body:
                furniture = ln.x1 < left - 1 or ln.x0 > right + 1  # line numbers in a margin
            if furniture:
                ln.tags.add("furniture")
            else:
                kept.append(ln)
        out.append(kept)
    return out
