"""Text clean-up for PDF lines: ligatures, soft hyphens at line ends, DOI and year."""

from __future__ import annotations

import re

__all__ = ["clean_line", "join_lines", "resolve_hyphens", "find_doi", "find_year", "SOFT_HYPHEN"]

SOFT_HYPHEN = "\u00ad"
# pdfium reports a hyphen at a line end as U+0002 (some tools give U+FFFE or U+00AD).
_MARKERS = str.maketrans({"\x02": SOFT_HYPHEN, "\ufffe": SOFT_HYPHEN})
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
_SPACES = re.compile(r"[\s\u00a0]+")
_SPLIT_WORD = re.compile(r"(-?)(\w+)\u00ad\s*(\w+)")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
_NEW_ARXIV = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")
_PDF_DATE = re.compile(r"^D?:?((?:19|20)\d{2})")


def clean_line(text: str) -> str:
    """One line of page text: unify hyphen markers, expand ligatures, collapse whitespace."""
    text = text.translate(_MARKERS).translate(_LIGATURES)
    return _SPACES.sub(" ", text).strip()


def join_lines(prev: str, line: str) -> str:
    """Join a line to the paragraph so far: no space after a line-end hyphen marker."""
    if prev.endswith(SOFT_HYPHEN):
        return prev + line
    if prev.endswith("-") and prev[-2:-1].isalpha() and line[:1].islower():
        return prev[:-1] + SOFT_HYPHEN + line  # a plain hyphen: settled like a soft one
    return f"{prev} {line}"


def resolve_hyphens(text: str, words: set[str], hyphened: set[str]) -> str:
    """Settle each "pa<SHY>pers": join the word, unless the document spells it with a hyphen,
    the second part starts upper-case or with a digit ("PaSa-GPT-4o"), or the first part is
    already a compound ("state-of-the-art")."""

    def choose(m: re.Match[str]) -> str:
        dash, a, b = m.group(1), m.group(2), m.group(3)
        joined, hyphen = dash + a + b, f"{dash}{a}-{b}"
        if dash or b[0].isupper() or b[0].isdigit() or a[-1].isdigit():
            return hyphen
        if hyphen.casefold() in hyphened and joined.casefold() not in words:
            return hyphen
        return joined

    return _SPLIT_WORD.sub(choose, text).replace(SOFT_HYPHEN, "")


def find_doi(text: str) -> str | None:
    """The first DOI printed in text (10.xxxx/...), trailing punctuation removed."""
    m = _DOI.search(text)
    return m.group(1).rstrip(".,;:)]}'\"") if m else None


def find_year(arxiv_id: str | None, creation_date: str) -> int | None:
    """The year from a new-style arXiv id (2501.12345 -> 2025), else the PDF's creation date."""
    if arxiv_id and (m := _NEW_ARXIV.match(arxiv_id)) and 1 <= int(m.group(2)) <= 12:
        return 2000 + int(m.group(1))
    m = _PDF_DATE.match(creation_date.strip())
    return int(m.group(1)) if m else None
