"""Tables: the grid of short cells beside a "Table N" caption, read row by row.

Cells are separate lines (a line stops at a gap wider than about an em, see pdf_lines), so a
table is a run of rows holding two or more short lines, directly above or below its caption
and overlapping it left to right, with no prose line (long, many words) among them. Requiring
the caption keeps author grids, display equations and figure labels out. The table becomes one
block whose text is its rows, cells joined by " | ", so "Baseline | 84.2 | 54.2" stays one row
instead of being read column by column into the paragraph around it.
"""

from __future__ import annotations

import re
from statistics import median

from .pdf_layout import Block
from .pdf_lines import Line

__all__ = ["find_tables"]

_TABLE_CAPTION = re.compile(r"^(?:Supplementary\s+)?(?:Table|Tab\.)\s*[A-Z]?\d+[a-z]?\s*[.:|]",
                            re.IGNORECASE)
_ANY_CAPTION = re.compile(
    r"^(?:Supplementary\s+)?(?:Figure|Fig\.?|Table|Tab\.|Algorithm|Listing|Scheme|Chart|Box)"
    r"\s*[A-Z]?\d+[a-z]?\s*[.:|\u2014\u2013-]", re.IGNORECASE)
_MAX_GAP = 2.2  # rows further apart than this many line heights end the table
_CAPTION_GAP = 3.0  # the table starts within this many line heights of its caption


def _rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped by baseline, top row first, each row left to right."""
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: -ln.base):
        if rows and abs(rows[-1][0].base - ln.base) < 0.3 * max(rows[-1][0].size, ln.size):
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [sorted(r, key=lambda ln: ln.x0) for r in rows]


def _prose_width(lines: list[Line]) -> float:
    """The width of a full line of running text on this page."""
    full = [ln.width for ln in lines if len(ln.text.split()) >= 8]
    return median(full) if full else max((ln.width for ln in lines), default=0.0)


def _is_prose(ln: Line, width: float) -> bool:
    return len(ln.text.split()) >= 6 and ln.width >= 0.7 * width


def _overlaps(ln: Line, x0: float, x1: float) -> bool:
    return ln.x1 > x0 and ln.x0 < x1


def _caption_span(caption: Line, rows: list[list[Line]], at: int) -> tuple[float, float]:
    """Left and right of the caption with the rest of its row ("Table 1." + its title)."""
    x0, x1 = caption.x0, caption.x1
    for ln in sorted(rows[at], key=lambda ln: ln.x0):
        if ln.x0 > x1 and ln.x0 - x1 < 3 * caption.size:
            x1 = ln.x1
    return x0, x1


def _widen(row: list[Line], near: list[Line], width: float, margins: list[float]) -> list[Line]:
    """A table row's cells beyond the caption's span: spaced like the cells already in it,
    short, and not starting where the page's running text starts (the other column)."""
    cells = sorted(near, key=lambda ln: ln.x0)
    if len(cells) < 2:
        return near
    gaps = [b.x0 - a.x1 for a, b in zip(cells, cells[1:], strict=False)]
    reach = max(1.5 * max(gaps), 2 * cells[0].size)
    others = [ln for ln in row if ln not in cells and not _is_prose(ln, width)
              and not any(abs(ln.x0 - m) < 2 for m in margins)]
    grown = True
    while grown:
        grown = False
        for ln in others:
            if ln in cells:
                continue
            if 0 <= ln.x0 - cells[-1].x1 <= reach or 0 <= cells[0].x0 - ln.x1 <= reach:
                cells.append(ln)
                cells.sort(key=lambda c: c.x0)
                grown = True
    return cells


def _walk(rows: list[list[Line]], start: int, step: int, caption: Line,
          span: tuple[float, float], width: float, margins: list[float], taken: set[int]
          ) -> list[list[Line]]:
    """Table rows from ``start`` going ``step`` (+1 down, -1 up) away from the caption."""
    x0, x1 = span
    found: list[list[Line]] = []
    last = caption
    i = start
    gap_limit = _CAPTION_GAP
    while 0 <= i < len(rows):
        row = [ln for ln in rows[i] if id(ln) not in taken]
        near = [ln for ln in row if _overlaps(ln, x0, x1)]
        if not near:  # a row of the other column only
            i += step
            continue
        pitch = max(ln.size for ln in near)
        if abs(last.base - near[0].base) > gap_limit * pitch * 1.2:
            break
        if any(_is_prose(ln, width) for ln in near):
            if not found and len(near) == 1 and abs(near[0].x0 - caption.x0) < pitch:
                last, i = near[0], i + step  # the caption's own next line
                continue
            break
        near = _widen(row, near, width, margins)
        found.append(near)
        x0 = min(x0, *(ln.x0 for ln in near))
        x1 = max(x1, *(ln.x1 for ln in near))
        last, i, gap_limit = near[0], i + step, _MAX_GAP
    return found if step > 0 else found[::-1]


def _inside(cells: list[Line], lines: list[Line], width: float, skip: set[int]) -> list[Line]:
    """Every short line inside the box of the rows found (header cells set on two lines, a
    column the caption did not reach)."""
    x0, x1 = min(c.x0 for c in cells), max(c.x1 for c in cells)
    y0, y1 = min(c.y0 for c in cells), max(c.y1 for c in cells)
    return [ln for ln in lines if id(ln) not in skip and not _is_prose(ln, width)
            and x0 - 1 <= (ln.x0 + ln.x1) / 2 <= x1 + 1 and y0 - 1 <= (ln.y0 + ln.y1) / 2 <= y1 + 1]


def _table_rows(cells: list[Line]) -> list[list[str]]:
    """Rows of cell texts, top to bottom. Baselines closer than a line's pitch are one row (a
    header set on two or three lines), and lines of one row stacked in one column are one
    cell ("Estimated QA" over "Performance")."""
    lines = _rows(cells)
    groups: list[list[list[Line]]] = []
    for row in lines:
        if groups and groups[-1][-1][0].base - row[0].base < 0.75 * row[0].size:
            groups[-1].append(row)
        else:
            groups.append([row])
    out = []
    for group in groups:
        stacks: list[list[Line]] = []
        for ln in sorted((ln for row in group for ln in row), key=lambda ln: ln.x0):
            if stacks and ln.x0 < max(c.x1 for c in stacks[-1]) - 1:
                stacks[-1].append(ln)
            else:
                stacks.append([ln])
        out.append([" ".join(" ".join(c.text.split()) for c in sorted(st, key=lambda c: -c.base))
                    for st in stacks])
    return out


def _grids(lines: list[Line], rows: list[list[Line]], captions: list[Line], step: int,
           width: float, margins: list[float]) -> list[tuple[Line, list[Line]]]:
    """For each caption, the table on its ``step`` side (+1: below it, -1: above it)."""
    index = {id(ln): i for i, row in enumerate(rows) for ln in row}
    stops = {id(ln) for ln in lines if _ANY_CAPTION.match(ln.text.strip())}
    taken: set[int] = set()
    found = []
    for caption in captions:
        at = index[id(caption)]
        skip = taken | stops | {id(ln) for ln in rows[at]}
        grid = _walk(rows, at + step, step, caption, _caption_span(caption, rows, at), width,
                     margins, skip)
        if sum(len(r) >= 2 for r in grid) < 2:
            continue
        cells = _inside([ln for row in grid for ln in row], lines, width, skip)
        taken.update(id(ln) for ln in cells)
        found.append((caption, cells))
    return found


def find_tables(lines: list[Line]) -> tuple[list[Line], list[Block]]:
    """The page's lines without its tables, and the tables as blocks (``Block.rows`` set).

    A page puts its captions on one side of their tables: both sides are tried, and the side
    that finds more tables (then more cells) wins, so a caption between two tables is matched
    with the right one."""
    captions = [ln for ln in lines if _TABLE_CAPTION.match(ln.text.strip())]
    if not captions:
        return lines, []
    width = _prose_width(lines)
    rows = _rows(lines)
    margins = sorted({float(round(ln.x0)) for ln in lines if _is_prose(ln, width)})
    sides = [_grids(lines, rows, captions, step, width, margins) for step in (-1, 1)]
    best = max(sides, key=lambda found: (len(found), sum(len(c) for _, c in found)))
    if not best:
        return lines, []
    tables = []
    for _, cells in best:
        block = Block(cells)
        block.rows = [" | ".join(row) for row in _table_rows(cells)]
        tables.append(block)
    taken = {id(ln) for _, cells in best for ln in cells}
    return [ln for ln in lines if id(ln) not in taken], tables
