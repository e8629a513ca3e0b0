"""Page geometry: group text rectangles into lines and regions in reading order.

Pure functions over the text rectangles pdfium reports for a page (left, bottom, right, top in
PDF points, y grows upwards). A two-column page is found by its gutter: a vertical band near the
middle that (almost) no text crosses. The page is then cut into horizontal bands: full-width
bands (title, authors, wide figures) are read whole, column bands left column first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

__all__ = ["Rect", "Line", "Region", "find_gutter", "layout", "paragraph_breaks", "runs_on"]

Rect = tuple[float, float, float, float]  # left, bottom, right, top

_MIN_GUTTER = 4.0  # points of empty band between the columns
_SIDE_SHARE = 0.15  # each column holds at least this share of the text area
_CROSS_SHARE = 0.4  # at most this share of the text area may cross the gutter
_SIZE_CHANGE = 0.1  # a text size change beyond this share starts a new paragraph
_TOLERANCE = 0.05  # crossing within this share of the minimum still counts as gutter


@dataclass(slots=True)
class Line:
    """Rectangles on one text line; its box is their union."""

    rects: list[Rect]
    left: float
    bottom: float
    right: float
    top: float
    text: str = ""
    font_size: float = 0.0  # filled in by the reader when it knows the size; 0 = unknown

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def box_size(self) -> float:
        """Height of the widest box: the line's main text, without superscripts."""
        r = max(self.rects, key=lambda r: r[2] - r[0])
        return r[3] - r[1]

    @property
    def size(self) -> float:
        """The text size: the font size when known, else the main box height."""
        return self.font_size or self.box_size


@dataclass(slots=True)
class Region:
    """A run of lines read top to bottom: a full-width band or one column of a band."""

    lines: list[Line] = field(default_factory=list)
    column: bool = False


def _is_rotated(r: Rect) -> bool:
    """Tall narrow boxes: vertical text such as the arXiv stamp in the margin."""
    width, height = r[2] - r[0], r[3] - r[1]
    return height > 40 and height > 3 * width


def find_gutter(rects: list[Rect], width: float) -> float | None:
    """The x of the gap between two columns, or None for a single-column page."""
    lo, hi = 0.3 * width, 0.7 * width
    total = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects)
    if total <= 0:
        return None
    events: list[tuple[float, float]] = []
    for r in rects:
        area = (r[2] - r[0]) * (r[3] - r[1])
        events += [(r[0], area), (r[2], -area)]
    events.sort()
    # Sweep: crossing area is constant between consecutive event xs; look at [lo, hi] only.
    crossing, x_prev, spans = 0.0, lo, []
    for x, delta in events:
        if x > x_prev and x_prev < hi:
            spans.append((x_prev, min(x, hi), crossing))
            x_prev = min(x, hi)
        if x >= lo:
            x_prev = max(x_prev, x)
        crossing += delta
    if x_prev < hi:
        spans.append((x_prev, hi, crossing))
    if not spans:
        return None
    best = min(c for _, _, c in spans)
    # A wide gutter whose crossing varies a little (centred header lines) beats a narrow dip.
    gap = _widest_run([(a, b) for a, b, c in spans if c <= best + _TOLERANCE * total])
    if gap is None or gap[1] - gap[0] < _MIN_GUTTER or best > _CROSS_SHARE * total:
        return None
    x = (gap[0] + gap[1]) / 2
    left = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects if r[2] <= x)
    right = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects if r[0] >= x)
    if left < _SIDE_SHARE * total or right < _SIDE_SHARE * total:
        return None
    return x


def _widest_run(spans: list[tuple[float, float]]) -> tuple[float, float] | None:
    runs: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if runs and a <= runs[-1][1] + 1e-6:
            runs[-1] = (runs[-1][0], max(runs[-1][1], b))
        else:
            runs.append((a, b))
    return max(runs, key=lambda r: r[1] - r[0]) if runs else None


def _joins(r: Rect, line: Line) -> bool:
    """A box belongs to a line when they overlap for half the smaller height (superscripts do,
    the next line's ascenders do not)."""
    overlap = min(r[3], line.top) - max(r[1], line.bottom)
    return overlap >= 0.5 * min(r[3] - r[1], line.box_size)


def group_lines(rects: list[Rect]) -> list[Line]:
    """Rectangles grouped into lines by vertical overlap, top line first."""
    lines: list[Line] = []
    for r in sorted(rects, key=lambda r: -(r[1] + r[3])):
        if lines and _joins(r, lines[-1]):
            line = lines[-1]
            line.rects.append(r)
            line.left, line.bottom = min(line.left, r[0]), min(line.bottom, r[1])
            line.right, line.top = max(line.right, r[2]), max(line.top, r[3])
        else:
            lines.append(Line([r], r[0], r[1], r[2], r[3]))
    return lines


def _bands(lines: list[Line], gutter: float) -> list[tuple[bool, list[Line]]]:
    """Consecutive strips of the page, each marked as crossing the gutter (full width) or not."""
    bands: list[tuple[bool, list[Line]]] = []
    for i, line in enumerate(lines):
        full = any(r[0] < gutter - 1 and r[2] > gutter + 1 for r in line.rects)
        if not full and bands and bands[-1][0]:
            # The short last line of a full-width caption or paragraph stays with it.
            gap = bands[-1][1][-1].bottom - line.top
            gap_next = line.bottom - lines[i + 1].top if i + 1 < len(lines) else float("inf")
            full = gap < 0.8 * line.box_size and gap < gap_next - 1
        if bands and bands[-1][0] == full:
            bands[-1][1].append(line)
        else:
            bands.append((full, [line]))
    return bands


def layout(rects: list[Rect], width: float) -> list[Region]:
    """Regions in reading order; vertical margin text (rotated stamps) comes last."""
    body = [r for r in rects if r[2] > r[0] and r[3] > r[1] and not _is_rotated(r)]
    margin = [r for r in rects if _is_rotated(r)]
    gutter = find_gutter(body, width)
    regions: list[Region] = []
    if gutter is None:
        regions.append(Region(group_lines(body)))
    else:
        for full, strips in _bands(group_lines(body), gutter):
            band = [r for line in strips for r in line.rects]
            if full:
                regions.append(Region(group_lines(band)))
                continue
            left = [r for r in band if (r[0] + r[2]) / 2 < gutter]
            right = [r for r in band if (r[0] + r[2]) / 2 >= gutter]
            regions += [Region(group_lines(side), column=True) for side in (left, right) if side]
    regions += [Region([Line([r], *r)]) for r in margin]
    return [region for region in regions if region.lines]


def _ends_early(prev: Line, line: Line | None, right: float, slack: float) -> bool:
    """Whether a line stops before the right edge on purpose: the next line's first word
    would have fitted in the space left (guessed from the line's average character width)."""
    if line is None or not prev.text or not line.text:
        return prev.right < right - slack
    char_width = (prev.right - prev.left) / len(prev.text)
    word = line.text.split(" ", 1)[0]
    return prev.right + char_width * (len(word) + 1) < right


def _right_margin(lines: list[Line]) -> float:
    """Where full lines end: the upper quartile of the right edges (a wider header line or
    a stray label does not move it)."""
    edges = sorted(line.right for line in lines)
    return edges[(3 * len(edges)) // 4]


def _resized(a: Line, b: Line) -> bool:
    """A change of text size between two lines (font sizes when both are known)."""
    if a.font_size and b.font_size:
        x, y = a.font_size, b.font_size
    else:
        x, y = a.box_size, b.box_size
    return abs(x - y) > _SIZE_CHANGE * max(x, y)


def paragraph_breaks(region: Region) -> list[bool]:
    """For each line, whether a new paragraph starts there (lines need their text).

    A paragraph ends after a line that stops early (the next word would have fitted), before a
    change of text size, or before a vertical gap clearly larger than the usual line spacing.
    """
    lines = region.lines
    if not lines:
        return []
    right = _right_margin(lines)
    left = min(line.left for line in lines)
    slack = max(12.0, 0.12 * (right - left))
    gaps = [a.bottom - b.top for a, b in zip(lines, lines[1:], strict=False)]
    usual = median(gaps) if gaps else 0.0
    height = median(line.height for line in lines)
    breaks = [True]
    for prev, line, gap in zip(lines, lines[1:], gaps, strict=False):
        early = _ends_early(prev, line, right, slack)
        breaks.append(early or _resized(prev, line) or gap > usual + 0.6 * height)
    return breaks


def runs_on(region: Region) -> bool:
    """Whether the region's last paragraph may continue in the next region: its last line is
    full width and in the region's usual text size (not a footnote)."""
    if not region.lines:
        return False
    last = region.lines[-1]
    right = _right_margin(region.lines)
    left = min(line.left for line in region.lines)
    usual = median(line.size for line in region.lines)
    early = _ends_early(last, None, right, max(12.0, 0.12 * (right - left)))
    return not early and abs(last.size - usual) <= _SIZE_CHANGE * usual
