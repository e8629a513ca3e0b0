"""The one grammar of citation markers: ``[1]``, ``[1, 2]``, ``[1; 3]``, ``[1-3]``, ``[1–3]``,
``[1—3]``. Everything that reads, strips, renumbers or renders markers goes through here, so the
engines, the citation check, the history, the exports and the app agree on what a marker is.

Only an engine places markers. Bracketed numbers inside a paper ("...Missouri.[7]", "[12-14]",
"[3, 5]") are the paper's own references: :func:`neutralise_source_markers` turns them into
``(ref. 7)`` wherever source text enters an answer or a prompt, so they can never be read as
ours. Parenthesised numbers and superscripts are no markers in this grammar at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = [
    "MARKER",
    "MAX_RANGE",
    "NOWHERE",
    "marker_numbers",
    "neutralise_copied",
    "neutralise_source_markers",
    "parse_markers",
    "remap_markers",
    "render_group",
    "rewrite_markers",
    "strip_markers",
]

_DASHES = "-\u2013\u2014"
MARKER = re.compile(
    rf"\[\s*\d{{1,3}}(?:\s*(?:[,;]|[{_DASHES}])\s*\d{{1,3}})*\s*\](?!\()"
)
"""A bracket group of numbers, ranges and separators (not a Markdown link ``[1](...)``)."""
_PART = re.compile(rf"(\d+)(?:\s*[{_DASHES}]\s*(\d+))?")
MAX_RANGE = 50
"""``[1-80]`` is not a citation range."""
NOWHERE = 999
"""A marker number no passage list reaches: the citation check drops it."""


def marker_numbers(group: str) -> list[int] | None:
    """The numbers of one bracket group, ranges expanded, without repeats; None when the group
    is not a citation (``[0, 1]`` is an interval, ``[1-80]`` no range)."""
    out: list[int] = []
    for m in _PART.finditer(group):
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        lo, hi = min(lo, hi), max(lo, hi)
        if lo < 1 or hi - lo > MAX_RANGE:
            return None
        out.extend(n for n in range(lo, hi + 1) if n not in out)
    return out


def rewrite_markers(text: str, render: Callable[[list[int]], str | None]) -> str:
    """Replace every citation group by ``render(numbers)``; None keeps the group as it was."""

    def sub(m: re.Match[str]) -> str:
        numbers = marker_numbers(m.group(0))
        out = None if numbers is None else render(numbers)
        return m.group(0) if out is None else out

    return MARKER.sub(sub, text)


def parse_markers(text: str) -> list[int]:
    """Citation numbers in ``text``, in order of first appearance, without repeats."""
    seen: list[int] = []
    for m in MARKER.finditer(text):
        for n in marker_numbers(m.group(0)) or []:
            if n not in seen:
                seen.append(n)
    return seen


def strip_markers(text: str) -> str:
    """``text`` without its citation groups (other bracketed numbers stay)."""
    return rewrite_markers(text, lambda _numbers: "")


def render_group(numbers: list[int]) -> str:
    """``[1]``, ``[1, 2]``; runs of three or more become ``[1-3]``."""
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{numbers[i]}-{numbers[j]}")
            i = j + 1
        else:
            parts.append(str(numbers[i]))
            i += 1
    return "[" + ", ".join(parts) + "]"


def remap_markers(text: str, mapping: Mapping[int, int]) -> str:
    """Renumber every marker through ``mapping``, one group per number; numbers it lacks
    become :data:`NOWHERE`, which the citation check drops."""
    return rewrite_markers(
        text, lambda numbers: "".join(f"[{mapping.get(n, NOWHERE)}]" for n in numbers)
    )


def _as_reference(m: re.Match[str]) -> str:
    body = re.sub(r"\s+", " ", m.group(0)[1:-1].strip())
    many = bool(re.search(r"[,;\-\u2013\u2014]", body))
    return f"(ref{'s' if many else ''}. {body})"


def neutralise_source_markers(text: str) -> str:
    """Source text with its bracketed reference numbers written ``(ref. 7)``, ``(refs. 12-14)``:
    no longer markers, still visible as the paper's own references. Idempotent."""
    if "[" not in text:
        return text
    return MARKER.sub(lambda m: m.group(0) if marker_numbers(m.group(0)) is None
                      else _as_reference(m), text)


_CONTEXT = 24  # characters before a bracket group that must match the source verbatim


def neutralise_copied(text: str, sources: list[str]) -> str:
    """``text`` with every bracket group that was copied from ``sources`` together with the
    words before it ("Bates County, Missouri.[7]") written as a reference: only the groups an
    engine placed stay markers."""
    flat = [" ".join(s.split()) for s in sources if "[" in s]
    if not flat or "[" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        before = " ".join(text[max(0, m.start() - _CONTEXT):m.start()].split()[1:])
        copied = " ".join(f"{before} {m.group(0)}".split()) if before else ""
        glued = " ".join((before + m.group(0)).split()) if before else ""
        if marker_numbers(m.group(0)) is not None and before and any(
                copied in s or glued in s for s in flat):
            return _as_reference(m)
        return m.group(0)

    return MARKER.sub(sub, text)
