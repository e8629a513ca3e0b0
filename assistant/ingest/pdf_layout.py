"""Page geometry: text lines -> blocks -> blocks in reading order.

Blocks are runs of lines stacked one under the other (same size, small gaps, overlapping
left-right, one line under one line: a full-width line over two columns starts new blocks).
Reading order is a recursive cut: a vertical gap no block crosses splits a region into columns
(left first); otherwise the region is cut into horizontal strips, and neighbouring strips that
share a column gap are read together, so a full-width title, abstract, figure or table is
read whole, in its place, and never interleaves with the columns beside or below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import median

from .pdf_lines import Line

__all__ = ["Block", "blocks_of", "reading_order", "merge_labels", "rejoin_rows", "row_order"]

_LABEL = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVXL]+\.?|[A-Z]\.|\(?[a-z0-9]\))$")


@dataclass(slots=True)
class Block:
    """Lines read as one piece, top to bottom (a table: row by row, see pdf_tables)."""

    lines: list[Line] = field(default_factory=list)
    rows: list[str] | None = None  # a table's rows, cells joined by " | "

    @property
    def x0(self) -> float:
        return min(ln.x0 for ln in self.lines)

    @property
    def x1(self) -> float:
        return max(ln.x1 for ln in self.lines)

    @property
    def y0(self) -> float:
        return min(ln.y0 for ln in self.lines)

    @property
    def y1(self) -> float:
        return max(ln.y1 for ln in self.lines)

    @property
    def size(self) -> float:
        return median(ln.size for ln in self.lines)

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in self.lines)


def row_order(lines: list[Line]) -> list[Line]:
    """Lines top to bottom, and left to right within a row: lines whose baselines are within
    a fifth of their size are one row (a sort on the exact baseline would put a piece of a row
    whose baseline is a hair higher before the piece left of it)."""
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: -ln.base):
        first = rows[-1][0] if rows else None
        if first is not None and abs(first.base - ln.base) < 0.2 * max(first.size, ln.size):
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [ln for row in rows for ln in sorted(row, key=lambda ln: ln.x0)]


def rejoin_rows(lines: list[Line]) -> list[Line]:
    """Join pieces of one row that a wide space split (a run-in heading, a stretched line)
    unless the space is a gutter: no line just above or below crosses it."""
    rows = row_order(lines)
    out: list[Line] = []
    for ln in rows:
        prev = out[-1] if out else None
        if prev is not None and abs(prev.base - ln.base) < 0.2 * max(prev.size, ln.size):
            gap0, gap1 = prev.x1, ln.x0
            size = max(prev.size, ln.size)
            if 0 < gap1 - gap0 <= 3 * size and abs(prev.size - ln.size) <= 0.2 * size:
                mid = (gap0 + gap1) / 2
                near = [o for o in rows if o is not prev and o is not ln
                        and 0.3 * size < abs(o.base - ln.base) < 1.8 * size
                        and abs(o.size - size) <= 0.2 * size]
                if any(o.x0 < gap0 and o.x1 > gap1 and o.x0 < mid < o.x1 for o in near):
                    prev.text = f"{prev.text}  {ln.text}"  # two spaces: a wide gap
                    prev.x1, prev.y0 = ln.x1, min(prev.y0, ln.y0)
                    prev.y1, prev.chars = max(prev.y1, ln.y1), prev.chars + ln.chars
                    prev.bold = prev.bold and ln.bold  # a run-in heading: the line is text
                    continue
        out.append(ln)
    return out


def merge_labels(lines: list[Line]) -> list[Line]:
    """Join a short label ("1", "2.1", "I.", "A.") to the text on its baseline that follows it
    after a wide gap ("1   Introduction")."""
    out: list[Line] = []
    rows = row_order(lines)
    used: set[int] = set()
    for i, ln in enumerate(rows):
        if i in used:
            continue
        if _LABEL.match(ln.text):
            for j in range(i + 1, min(i + 4, len(rows))):
                nxt = rows[j]
                if j in used or abs(nxt.base - ln.base) > 0.2 * ln.size:
                    continue
                if 0 <= nxt.x0 - ln.x1 <= 4 * ln.size and abs(nxt.size - ln.size) <= 0.15 * ln.size:
                    nxt.text = f"{ln.text} {nxt.text}"
                    nxt.x0 = ln.x0
                    nxt.bold = nxt.bold or ln.bold
                    used.add(i)
                    break
            if i in used:
                continue
        out.append(ln)
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def _same_row(a: Line, b: Line) -> bool:
    return abs(a.base - b.base) < 0.3 * max(a.size, b.size)


def blocks_of(lines: list[Line]) -> list[Block]:
    """Group a page's lines into blocks (see the module docstring)."""
    lines = sorted(lines, key=lambda ln: (-ln.base, ln.x0))
    blocks: list[Block] = []
    open_: list[Block] = []
    for i, ln in enumerate(lines):
        row = [o for o in lines[max(0, i - 12) : i + 12] if o is not ln and _same_row(o, ln)]
        home = None
        for b in open_:
            p = b.lines[-1]
            gap = p.y0 - ln.y1
            if gap > 0.8 * min(p.size, ln.size) or p.base - ln.base < 0.5 * ln.size:
                continue
            if abs(p.size - ln.size) > 0.15 * max(p.size, ln.size):
                continue
            if p.bold != ln.bold and (len(b.lines) == 1 or ln.width < 0.5 * p.width):
                continue  # a bold heading over its text
            if _overlap(p.x0, p.x1, ln.x0, ln.x1) < 0.3 * min(p.width, ln.width):
                continue
            if any(_overlap(p.x0, p.x1, o.x0, o.x1) > 0 for o in row):
                continue  # this line is one of several under p: p spans columns
            home = b
            break
        if home is None:
            home = Block([ln])
            blocks.append(home)
            open_.append(home)
        else:
            home.lines.append(ln)
        # blocks whose last line is far above cannot grow any more
        open_ = [b for b in open_ if b.lines[-1].y0 - ln.y1 < 3 * ln.size]
    out: list[Block] = []
    for b in blocks:
        out.extend(_split_narrowing(b))
    return out


def _split_narrowing(block: Block) -> list[Block]:
    """A block that narrows for good (a full-width line over one column) is cut there."""
    lines = block.lines
    for i in range(1, len(lines) - 1):
        a, b, c = lines[i - 1], lines[i], lines[i + 1]
        if a.width > 1.4 * b.width and c.width < 1.2 * b.width and abs(c.x1 - b.x1) < 0.1 * b.width:
            return [Block(lines[:i]), *_split_narrowing(Block(lines[i:]))]
    return [block]


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Empty intervals between the union of spans."""
    spans = sorted(spans)
    gaps, reach = [], spans[0][1]
    for a, b in spans[1:]:
        if a > reach:
            gaps.append((reach, a))
        reach = max(reach, b)
    return gaps


def _vertical_cut(blocks: list[Block], min_gap: float) -> float | None:
    gaps = [g for g in _gaps([(b.x0, b.x1) for b in blocks]) if g[1] - g[0] >= min_gap]
    if not gaps:
        return None
    a, b = max(gaps, key=lambda g: g[1] - g[0])
    return (a + b) / 2


def _strips(blocks: list[Block]) -> list[list[Block]]:
    """Blocks grouped into horizontal strips (chains of overlapping heights), top first."""
    strips: list[list[Block]] = []
    low = 0.0
    for b in sorted(blocks, key=lambda b: -b.y1):
        if strips and b.y1 > low + 0.5:
            strips[-1].append(b)
            low = min(low, b.y0)
        else:
            strips.append([b])
            low = b.y0
    return strips


def reading_order(blocks: list[Block]) -> list[Block]:
    """Blocks in reading order (see the module docstring)."""
    if len(blocks) <= 1:
        return list(blocks)
    size = median(b.size for b in blocks)
    min_gap = max(4.0, 0.6 * size)
    cut = _vertical_cut(blocks, min_gap)
    if cut is not None:
        left = [b for b in blocks if b.x1 <= cut]
        right = [b for b in blocks if b.x1 > cut]
        return reading_order(left) + reading_order(right)
    strips = _strips(blocks)
    if len(strips) == 1:
        return sorted(blocks, key=lambda b: (-b.y1, b.x0))
    groups: list[list[Block]] = [strips[0]]
    for strip in strips[1:]:
        group = groups[-1]
        close = min(b.y0 for b in group) - max(b.y1 for b in strip) < 2.5 * size
        if close and _vertical_cut(group + strip, min_gap) is not None:
            group.extend(strip)
        else:
            groups.append(strip)
    if len(groups) == 1:
        return sorted(blocks, key=lambda b: (-b.y1, b.x0))
    return [b for g in groups for b in reading_order(g)]
