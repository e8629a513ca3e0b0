"""Blocks in reading order -> paragraphs with roles and sections -> the paper's Blocks.

Roles: a heading (numbered, bold or larger, short, on its own), a caption ("Figure 2:",
"Table 1."), small print (footnotes, figure labels; smaller than the body text) and body text.
A body paragraph left open at the end of a column or page (no full stop) goes on with the next
body paragraph, over any caption or footnote between them: a sentence that crosses a page is
one sentence. Its page is the page where it starts: a paragraph crossing a page is cut at the
first sentence end after the page break, so every chunk (and the sentence a citation quotes)
names the page its sentences start on.

Sections: each heading opens a section; its kind is "abstract", "references",
"acknowledgements", "appendix" (a named appendix, or lettered sections after the references)
or "body"; text before the first heading is "front" (title, authors, affiliations).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.types import Block as DocBlock

from .pdf_layout import Block
from .pdf_lines import Line
from .pdf_text import join_lines

Join = Callable[[str, str], str]

__all__ = ["Unit", "body_size", "units_of", "doc_blocks", "section_kind"]

_CAPTION = re.compile(
    r"^(?:Supplementary\s+)?(?:Figure|Fig\.?|Table|Tab\.|Algorithm|Listing|Scheme|Chart|Box)"
    r"\s*[A-Z]?\d+[a-z]?\s*[.:|\u2014\u2013-]", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVXL]+\.|[A-Z](?:\.\d+)*\.?)\s+\S")
_FIRST_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVXL]+\.)\s+\S")  # not "A." (an initial)
_NAMED = re.compile(
    r"^(?:abstract|introduction|background|related work|methods?|materials and methods|"
    r"results(?: and discussion)?|discussion|conclusions?|references|bibliography|"
    r"acknowledge?ments?|funding|appendix|appendices|limitations|experiments?|evaluation|"
    r"significance|summary|future work)\b", re.IGNORECASE)
_END = re.compile(r"[.!?:;][\"'\u201d)\]]*$")
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d)\]]*\s+(?=[A-Z0-9(\[\"'\u201c])")
_KINDS = [
    (re.compile(r"^(?:references?(?: and notes)?|bibliography|literature cited|works cited)$"),
     "references"),
    (re.compile(r"^(?:acknowledge?ments?|funding|acknowledge?ments? and funding)$"),
     "acknowledgements"),
    (re.compile(r"^(?:appendix|appendices|supplementary (?:material|information|materials))\b"),
     "appendix"),
    (re.compile(r"^abstract$"), "abstract"),
]


@dataclass(slots=True)
class Unit:
    """A paragraph (or heading, caption, small print) in reading order."""

    text: str
    page: int
    role: str  # heading | caption | small | body
    size: float
    breaks: list[tuple[int, int]] = field(default_factory=list)  # (offset, page) after a break
    section: str | None = None
    kind: str = "front"


def body_size(lines: list[Line]) -> float:
    """The body text size: the size carrying most characters."""
    weights: Counter[float] = Counter()
    for ln in lines:
        weights[round(ln.size * 2) / 2] += ln.chars
    return weights.most_common(1)[0][0] if weights else 10.0


def section_kind(heading: str) -> str | None:
    """The kind a heading names, or None for an ordinary section."""
    name = re.sub(r"^(?:\d+(?:\.\d+)*\.?|[IVXL]+\.|[A-Z]\.)\s+", "", heading.strip())
    name = name.rstrip(".: ").casefold()
    for pattern, kind in _KINDS:
        if pattern.match(name):
            return kind
    return None


def _role(block: Block, body: float) -> str:
    if block.rows is not None:
        return "table"
    text = block.text.strip()
    if _CAPTION.match(text):
        return "caption"
    if _is_heading(block, text, body):
        return "heading"
    if block.size < 0.88 * body or _label_like(text):
        return "small"
    return "body"


def _label_like(text: str) -> bool:
    """Figure or table labels: few real words ("shNC + - - ++ IB: H3", "0.2 0.4 Accuracy")."""
    tokens = text.split()
    if not tokens:
        return True
    wordy = sum(bool(re.fullmatch(r"[(\[]?[A-Za-z][a-z]{2,}[)\],.;:]?", t)) for t in tokens)
    if len(tokens) <= 3:
        return wordy == 0 or (not _END.search(text) and wordy < len(tokens))
    return wordy < 0.45 * len(tokens)


def _is_heading(block: Block, text: str, body: float) -> bool:
    if len(block.lines) > 3 or len(text) > 150 or len(text.split()) > 18 or len(text) < 2:
        return False
    if (text.endswith((".", ",", ";")) and not re.match(r"^[\dIVXL.]+$", text.split()[0])
            and not _NAMED.match(text)):
        return False
    if not any(c.isalpha() for c in text) or text[0].islower() or not text[0].isalnum():
        return False  # ("[Stop]", "(a)": labels in a figure)
    bigger = block.size >= 1.12 * body
    bold = all(ln.bold for ln in block.lines)
    numbered = bool(_NUMBERED.match(text)) and block.size >= 0.95 * body
    named = bool(_NAMED.match(text)) and len(text.split()) <= 5 and block.size >= 0.95 * body
    return (bigger or bold or named) and (numbered or named or bold or bigger)


def _paragraphs(block: Block) -> list[list[Line]]:
    """Split a block's lines at paragraph starts (an early line end, an indented line)."""
    lines = block.lines
    if len(lines) < 2:
        return [lines]
    rights = sorted(ln.x1 for ln in lines)
    right = rights[(3 * len(rights)) // 4]
    left = min(ln.x0 for ln in lines)
    em = block.size
    paras = [[lines[0]]]
    for prev, ln in zip(lines, lines[1:], strict=False):
        early = prev.x1 < right - 3 * em or (prev.x1 < right - 1.2 * em and _END.search(prev.text))
        indent = ln.x0 > left + 0.7 * em and prev.x1 >= right - 1.2 * em and _END.search(prev.text)
        if early or indent:
            paras.append([ln])
        else:
            paras[-1].append(ln)
    return paras


def _text(lines: list[Line], join: Join) -> str:
    text = ""
    for ln in lines:
        text = join(text, ln.text.strip())
    return re.sub(r" {2,}", " ", text).strip()


def units_of(pages: list[tuple[int, list[Block]]], body: float,
             front: set[int] | None = None, join: Join = join_lines) -> list[Unit]:
    """Paragraph units of the whole paper in reading order, open paragraphs continued.
    Blocks whose id() is in ``front`` (the title) are kept as front text, never headings."""
    units: list[Unit] = []
    open_body: Unit | None = None  # the last body paragraph, which may go on
    for page, blocks in pages:
        for block in blocks:
            role = "front" if front and id(block) in front else _role(block, body)
            whole = role in ("heading", "caption", "front", "table")
            for i, lines in enumerate([block.lines] if whole else _paragraphs(block)):
                text = "\n".join(block.rows) if block.rows is not None else _text(lines, join)
                if not text:
                    continue
                if (role == "body" and i == 0 and open_body is not None
                        and (text[:1].islower() or not _END.search(open_body.text))):
                    _continue(open_body, text, page, join)
                    continue
                units.append(Unit(text, page, role, block.size))
                if role == "body":
                    open_body = units[-1]
                elif role in ("heading", "front"):
                    open_body = None
    return units


def _continue(unit: Unit, text: str, page: int, join: Join) -> None:
    current = unit.breaks[-1][1] if unit.breaks else unit.page
    joined = join(unit.text, text)
    if page != current:
        unit.breaks.append((max(0, len(joined) - len(text)), page))
    unit.text = joined


def assign_sections(units: list[Unit]) -> list[Unit]:
    """Fill in each unit's section and kind; headings themselves are dropped."""
    section: str | None = None
    kind = "front"
    after_refs = False
    out = []
    for u in units:
        if u.role == "heading" and kind == "front" and not (
                section_kind(u.text) or _FIRST_NUMBERED.match(u.text) or _NAMED.match(u.text)):
            u.role = "front"  # an author line ("D. White") or a banner set large or bold
        if u.role == "heading":
            named = section_kind(u.text)
            if named:
                kind = named
            elif after_refs and re.match(r"^[A-Z](?:\.\d+)*\.?\s+\S", u.text):
                kind = "appendix"
            elif kind in ("references", "acknowledgements") and after_refs:
                kind = "appendix" if re.match(r"^[A-Z]\b", u.text) else "body"
            else:
                kind = "body" if kind != "appendix" else "appendix"
            after_refs = after_refs or kind == "references"
            section = u.text
            if kind != "abstract":  # the heading stays in the text, as its own paragraph
                u.section, u.kind = section, kind
                out.append(u)
            continue
        if u.role == "body" and kind == "front" and re.match(r"^abstract\b", u.text, re.I):
            kind, section = "abstract", "Abstract"
            u.text = re.sub(r"^abstract[\s.:\u2014\u2013-]*", "", u.text, flags=re.I)
        u.section, u.kind = section, kind
        out.append(u)
    return out


def _cut(unit: Unit) -> list[tuple[str, int]]:
    """A unit's text per page: each page part runs to the first sentence end after its
    page break, so no sentence is split."""
    if not unit.breaks:
        return [(unit.text, unit.page)]
    parts: list[tuple[str, int]] = []
    start, page = 0, unit.page
    for offset, next_page in unit.breaks:
        m = _SENTENCE_END.search(unit.text, max(offset, start))
        cut = m.end() if m else len(unit.text)
        if cut > start:
            parts.append((unit.text[start:cut].strip(), page))
        start, page = cut, next_page
    if start < len(unit.text):
        parts.append((unit.text[start:].strip(), page))
    return [(t, p) for t, p in parts if t]


def doc_blocks(units: list[Unit]) -> list[DocBlock]:
    """The paper's Blocks: consecutive paragraphs of one page, section, kind and role."""
    blocks: list[DocBlock] = []
    key = None
    for u in units:
        for text, page in _cut(u):
            text = text.replace("\u00ad", "")  # a hyphen whose word never came
            role = u.role if u.role in ("caption", "small", "table") else "text"
            if u.role == "heading" and blocks and blocks[-1].section == u.section:
                role = blocks[-1].role  # a heading opens the block of its section
            here = (page, u.section, u.kind, role)
            if blocks and here == key:
                blocks[-1].text += "\n\n" + text
            else:
                blocks.append(DocBlock(text=text, page=page, section=u.section,
                                       section_kind=u.kind, role=role))
                key = here
    return blocks
