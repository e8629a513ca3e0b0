"""Listing dumps ("Daily Papers" pages): many titles with abstracts in one text file."""

from __future__ import annotations

import re

from assistant.types import Block, PaperDoc

__all__ = ["is_listing", "parse_listing", "find_code_url", "find_arxiv_id"]

_AUTHORS = re.compile(r"^\s*[•·*-]\s*(\d+)\s+authors?\s*$")
_DOT = re.compile(r"^\s*·\s*$")
_DATE = re.compile(
    r"^\s*((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:,\s*(\d{4}))?)(?:\s+\d+)?\s*$"
)
_UPVOTES = re.compile(r"^\s*\d+\s*$")
_URL = re.compile(r"https?://[^\s<>\"'{}\\|^`]+")
_URL_TRAIL = ".,;:!?)]}>'\"*"
_CODE_HOSTS = re.compile(
    r"^https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co|bitbucket\.org|"
    r"codeberg\.org|sourceforge\.net|gitee\.com|colab\.research\.google\.com)/",
    re.IGNORECASE,
)
_CODE_WORDS = re.compile(r"\b(?:code|codes|implementation|repository|repo|source)\b", re.I)
_ARXIV = re.compile(
    r"(?:arXiv\s*:\s*|arxiv\.org/(?:abs|pdf)/)(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})"
    r"(?:v\d+)?",
    re.IGNORECASE,
)
_MAX_TITLE = 300


def is_listing(text: str) -> bool:
    """True when the text holds at least one entry: an "N authors" line, "·", then a date."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:-2]):
        if _AUTHORS.match(line) and _DOT.match(lines[i + 1]) and _DATE.match(lines[i + 2]):
            return True
    return False


def find_arxiv_id(text: str) -> str | None:
    """The first arXiv id ("arXiv:2501.12345" or an arxiv.org link) in text, without version."""
    m = _ARXIV.search(text)
    return m.group(1) if m else None


def find_code_url(text: str) -> str | None:
    """The first URL that looks like code: a code host, or one whose lead-in mentions code."""
    urls = [(m.start(), m.group(0).rstrip(_URL_TRAIL)) for m in _URL.finditer(text)]
    for _, url in urls:
        if _CODE_HOSTS.match(url):
            return url
    for start, url in urls:
        if _CODE_WORDS.search(text[max(0, start - 120) : start]):
            return url
    return None


def _paragraphs(lines: list[str]) -> list[str]:
    paras: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paras.append(" ".join(current))
            current = []
    return paras


def _entry(paras: list[str], n_authors: int, date: str, year: int | None, source: str):
    if not paras:
        return None
    if len(paras) == 1:
        title, abstract_parts = paras[0], []
    else:
        k = len(paras) - 2  # title, then the abstract; a long paragraph is more abstract
        while k > 0 and len(paras[k]) > _MAX_TITLE:
            k -= 1
        title, abstract_parts = paras[k], paras[k + 1 :]
    if len(title) > _MAX_TITLE:
        return None
    abstract = "\n\n".join(abstract_parts)
    return PaperDoc(
        title=title,
        blocks=[Block(text=abstract, section="abstract")] if abstract else [],
        source=source,
        kind="listing",
        n_authors=n_authors,
        date=date,
        year=year,
        arxiv_id=find_arxiv_id(abstract),
        code_url=find_code_url(abstract),
    )


def parse_listing(text: str, source: str) -> list[PaperDoc]:
    """Every entry of a listing dump, in file order; the page chrome before them is skipped."""
    lines = text.splitlines()
    docs: list[PaperDoc] = []
    start = 0
    i = 0
    while i < len(lines) - 2:
        m = _AUTHORS.match(lines[i])
        date = _DATE.match(lines[i + 2]) if m and _DOT.match(lines[i + 1]) else None
        if not (m and date):
            i += 1
            continue
        year = int(date.group(2)) if date.group(2) else None
        doc = _entry(_paragraphs(lines[start:i]), int(m.group(1)), date.group(1), year, source)
        if doc is not None:
            docs.append(doc)
        i += 3
        if i < len(lines) and _UPVOTES.match(lines[i]):
            i += 1
        start = i
    return docs
