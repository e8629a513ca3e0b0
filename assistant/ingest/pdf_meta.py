"""A paper's metadata from its first page's layout, with the PDF's own metadata as a second
opinion: title, authors, year, venue, DOI and arXiv id.

The title is the largest text in the upper half of page 1 that is not furniture (a journal
name or running header that comes back on other pages), a label ("RESEARCH ARTICLE"), a venue
or an identifier; all its lines are kept. The PDF's metadata title wins only when it is printed
on page 1 and the layout's pick is not it. Authors are read from the lines right below the
title: items split at commas, "and", "&" and wide gaps that look like personal names
(superscript markers are already gone).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .pdf_layout import Block
from .pdf_lines import Line
from .pdf_text import clean_chars, find_doi, join_lines, resolve_hyphens

__all__ = ["Meta", "read_meta"]

_ARXIV = re.compile(r"arXiv\s*:\s*(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})", re.IGNORECASE)
_ARXIV_STAMP = re.compile(r"^\s*arXiv\s*:\s*(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})"
                          r"(?:v\d+)?\s*\[[\w.-]+\]", re.IGNORECASE | re.MULTILINE)
_NOT_TITLE = re.compile(
    r"arxiv|doi\b|https?:|www\.|@|\u00a9|copyright|proceedings|journal\b|vol\.|volume\s+\d|"
    r"conference|workshop|preprint|accepted|received|published|licen[cs]e|issn|"
    r"^(?:abstract|contents|article|research article|original article|review)\b",
    re.IGNORECASE,
)
_TITLE_MARKS = "*∗†‡§¶ "
_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "le", "la", "du",
              "dos", "das", "bin", "al", "el", "y", "ten", "ter", "zu", "st."}
_NOT_NAME = re.compile(
    r"universit|institut|department|laborator|\blab\b|school|college|centre|center|hospital|"
    r"academy|research|inc\b|ltd|corporation|company|google|microsoft|facebook|meta ai|"
    r"abstract|edited by|received|email|e-mail|correspond|equal contribution|foundation|"
    r"faculty|\bkey\b|street|road|avenue|china|germany|usa\b|france|japan|india|korea",
    re.IGNORECASE,
)
_NAME_TOKEN = re.compile(r"^(?:[A-Z][\w'\u2019-]*\.?|[A-Z]\.(?:-?[A-Z]\.)*)$")
_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\s{2,}|\|)\s*")
_VENUE = re.compile(r"\b(?:In\s+)?(Proceedings\s+of\s*(?:the\s+)?[^,;\n]+?)(?=,|;|$|\s+pages\b)",
                    re.IGNORECASE)
_VOL = re.compile(r"^([A-Z][A-Za-z.&\- ]{1,60}?)\s*,?\s*(?:\(?(?:19|20)\d\d\)?\s*,?\s*)?"
                  r"(?:Vol\.|Volume)\s*\d", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_PUBLISHED = re.compile(r"(?:published|posted|online|accepted)\b[^\n]{0,40}?((?:19|20)\d\d)",
                        re.IGNORECASE)
_RECEIVED = re.compile(r"(?:received|revised|submitted)\b[^\n]{0,40}?((?:19|20)\d\d)",
                       re.IGNORECASE)
_COPYRIGHT = re.compile(r"(?:\u00a9|\(c\)|copyright)\s*((?:19|20)\d\d)", re.IGNORECASE)
_NEW_ARXIV = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")


@dataclass(slots=True)
class Meta:
    title: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    title_block: Block | None = None


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return " ".join(re.findall(r"[a-z0-9]+", "".join(c for c in text if not
                                                      unicodedata.combining(c)).lower()))


def _block_text(lines: list[Line]) -> str:
    text = ""
    for ln in lines:
        text = join_lines(text, clean_chars(ln.text).strip())
    text = " ".join(resolve_hyphens(text, set(), set()).split())
    return text.strip(_TITLE_MARKS).strip()


def _plausible_meta_title(title: str, source: str) -> bool:
    t = title.strip()
    if len(t.split()) < 2 or len(t) > 300:
        return False
    low = t.lower()
    if low.startswith(("microsoft word", "untitled")) or re.search(r"\.(docx?|tex|pdf|dvi)\b", low):
        return False
    stem = re.sub(r"\.pdf$", "", source.rsplit("/", 1)[-1], flags=re.I)
    return _norm(t) != _norm(stem)


def _title(blocks: list[Block], height: float, body: float, furniture: set[str]
           ) -> Block | None:
    candidates: list[Block] = []
    for b in blocks:
        text = b.text.strip()
        if b.y1 < 0.45 * height or sum(c.isalpha() for c in text) < 4:
            continue
        if _NOT_TITLE.search(text) or len(text) > 350:
            continue
        if text.isupper() and len(text.split()) <= 3:
            continue  # a label: RESEARCH ARTICLE, OPEN ACCESS
        if _norm(text) in furniture or any(_norm(text) in f for f in furniture if len(f) > 8):
            continue  # the journal's name, printed again in other pages' headers
        candidates.append(b)

    def rank(b: Block) -> tuple[bool, float, float]:
        # a title has three words or more (a logo or journal name seldom has); then size
        return len(b.text.split()) >= 3, round(max(ln.size for ln in b.lines) * 2) / 2, b.y1

    best = max(candidates, key=rank, default=None)
    if best is None or max(ln.size for ln in best.lines) < 1.1 * body:
        return None
    size = max(ln.size for ln in best.lines)
    for b in blocks:  # a title line set a little apart from the rest of the title
        if b is best or abs(b.size - size) > 0.1 * size or b.y1 > best.y0:
            continue
        if best.y0 - b.y1 < 1.2 * size and min(b.x1, best.x1) > max(b.x0, best.x0):
            best.lines.extend(b.lines)
            blocks.remove(b)
            break
    return best


def _is_name(item: str) -> bool:
    tokens = item.split()
    if not 2 <= len(tokens) <= 5 or _NOT_NAME.search(item) or re.search(r"\d|@", item):
        return False
    caps = 0
    for tok in tokens:
        if tok.lower() in _PARTICLES:
            continue
        if not _NAME_TOKEN.match(tok) or len(tok) > 20:
            return False
        caps += 1
    return caps >= 2


def _clean_item(item: str) -> str:
    item = item.strip(" *∗†‡§¶#.,;:0123456789")
    return re.sub(r"^and\s+", "", item).strip()


def _authors(blocks: list[Block], title: Block) -> list[str]:
    """Names on the lines right after the title, until a line that holds none."""
    start = blocks.index(title) + 1
    names: list[str] = []
    lines = [ln for b in blocks[start : start + 8] for ln in b.lines]
    lines = [ln for ln in lines if ln.y1 <= title.y0 + 1]
    lines.sort(key=lambda ln: (-round(ln.base), ln.x0))
    misses = 0
    for ln in lines[:12]:
        text = clean_chars(ln.text)
        if re.match(r"^abstract\b", text, re.IGNORECASE):
            break
        items = [_clean_item(i) for i in _SPLIT.split(text)]
        items = [i for i in items if i]
        found = [i for i in items if _is_name(i)]
        if found and len(found) * 2 >= len(items):
            names.extend(n for n in found if n not in names)
            misses = 0
        elif names:
            misses += 1
            if misses >= 1:
                break
    return names


def _meta_authors(field_: str) -> list[str]:
    items = [i.strip() for i in re.split(r"[;]|\band\b|,(?=\s*\S+\s+\S)", field_) if i.strip()]
    return [i for i in items if _is_name(i)]


def _venue(texts: list[str], subject: str, arxiv: str | None) -> str | None:
    for text in texts:
        if m := _VENUE.search(text):
            return m.group(1).strip()
    for text in texts:
        if m := _VOL.match(text.strip()):
            return m.group(1).strip(" ,")
    subject = re.sub(r"[\s.:;,]*(?:(?:19|20)\d\d)?[\s.:;,\deE-]*$", "", subject).strip()
    if sum(c.isalpha() for c in subject) >= 6 and " " in subject:
        return subject
    return "arXiv" if arxiv else None


def _year(texts: list[str], venue: str | None, arxiv: str | None, created: str) -> int | None:
    if arxiv and (m := _NEW_ARXIV.match(arxiv)) and 1 <= int(m.group(2)) <= 12:
        return 2000 + int(m.group(1))
    made = re.match(r"^D?:?((?:19|20)\d{2})", created.strip())
    limit = int(made.group(1)) + 1 if made else 2100
    candidates = []
    if venue and (m := _YEAR.search(venue)):
        candidates.append(m.group(1))
    joined = "\n".join(texts)
    for text in texts:
        if _VOL.match(text.strip()) and (m := _YEAR.search(text)):
            candidates.append(m.group(1))
    candidates += _PUBLISHED.findall(joined) + _COPYRIGHT.findall(joined)
    candidates += _RECEIVED.findall(joined)
    for c in candidates:
        if 1950 <= int(c) <= limit:
            return int(c)
    return int(made.group(1)) if made else None


def read_meta(blocks: list[Block], furniture_lines: list[Line], stamps: list[str],
              height: float, body: float, info: dict[str, str], source: str,
              furniture_keys: set[str]) -> Meta:
    """Metadata of a paper from page 1 (``blocks`` in reading order, its furniture lines and
    rotated stamps) and the PDF's info dictionary ``info``."""
    meta = Meta()
    title_block = _title(blocks, height, body, furniture_keys)
    layout_title = _block_text(title_block.lines) if title_block else ""
    info_title = info.get("Title", "").strip()
    page_text = _norm(" ".join(b.text for b in blocks))
    if info_title and _plausible_meta_title(info_title, source):
        agrees = _norm(info_title) == _norm(layout_title)
        if not agrees and _norm(info_title) in page_text:
            layout_title, title_block = info_title, _find_block(blocks, info_title) or title_block
    meta.title = layout_title or (info_title if _plausible_meta_title(info_title, source)
                                  else "")
    meta.title_block = title_block
    if title_block is not None:
        meta.authors = _authors(blocks, title_block)
    if not meta.authors:
        meta.authors = _meta_authors(info.get("Author", ""))
    texts = [clean_chars(ln.text) for ln in furniture_lines] + stamps
    margin = "\n".join(texts)
    texts += [clean_chars(ln.text) for b in blocks for ln in b.lines]
    head = "\n".join(texts)
    # the paper's own arXiv id: in the side stamp or a margin line, a line set as the stamp is
    # ("arXiv:2501.10120v1 [cs.IR] 17 Jan 2025"), small print or a preprint notice; not an id
    # the body text cites
    notes = "\n".join(clean_chars(ln.text) for b in blocks for ln in b.lines
                      if ln.size < 0.95 * body or "preprint" in ln.text.lower())
    m = _ARXIV.search(margin) or _ARXIV_STAMP.search(head) or _ARXIV.search(notes)
    meta.arxiv_id = m.group(1) if m else None
    meta.doi = find_doi(" ".join(info.values())) or find_doi(margin) or find_doi(head)
    meta.venue = _venue(texts, info.get("Subject", ""), meta.arxiv_id)
    meta.year = _year(texts, meta.venue, meta.arxiv_id, info.get("CreationDate", ""))
    return meta


def _find_block(blocks: list[Block], title: str) -> Block | None:
    want = _norm(title)
    for b in blocks:
        if want and want in _norm(b.text):
            return b
    return None
