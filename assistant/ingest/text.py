"""Plain text and Markdown files: paragraphs as blocks; Markdown headings become sections."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.types import Block, PaperDoc

from .textnorm import group_paragraphs, paragraphs, title_from_stem

__all__ = ["read_text", "read_markdown", "looks_like_markdown"]

_MAX_TITLE_CHARS = 200
_MAX_TITLE_WORDS = 30
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_FRONT_TITLE = re.compile(r"^title:\s*[\"']?(.+?)[\"']?\s*$", re.MULTILINE)


def looks_like_markdown(text: str) -> bool:
    """Heading syntax: the first non-empty line is a "# " heading, or two or more ATX headings."""
    lines = [line for line in text.splitlines()[:400] if line.strip()]
    if not lines:
        return False
    if re.match(r"^#[ \t]+\S", lines[0]):
        return True
    return sum(1 for line in lines if _ATX.match(line)) >= 2


def _short_line(line: str) -> bool:
    return 0 < len(line) <= _MAX_TITLE_CHARS and len(line.split()) <= _MAX_TITLE_WORDS


def read_text(text: str, source: str) -> PaperDoc:
    """A .txt file: title from a short first line (else the file name), paragraphs as blocks."""
    paras = paragraphs(text)
    first = paras[0].split("\n", 1)[0] if paras else ""
    title = first if _short_line(first) else title_from_stem(Path(source).stem)
    blocks = [Block(text=g) for g in group_paragraphs(paras)]
    return PaperDoc(title=title, blocks=blocks, source=source, kind="text")


def _front_matter(lines: list[str]) -> tuple[str | None, list[str]]:
    if not lines or lines[0].strip() != "---":
        return None, lines
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            m = _FRONT_TITLE.search("\n".join(lines[1:end]))
            return (m.group(1) if m else None), lines[end + 1 :]
    return None, lines


def _sections(lines: list[str]) -> list[tuple[int, str | None, list[str]]]:
    """Split Markdown lines into (level, heading, body lines); fenced code is never a heading."""
    sections: list[tuple[int, str | None, list[str]]] = [(0, None, [])]
    fence: str | None = None
    for line in lines:
        body = sections[-1][2]
        fm = _FENCE.match(line)
        if fence is not None:
            if fm and fm.group(1) == fence:
                fence = None
            body.append(line)
            continue
        if fm:
            fence = fm.group(1)
            body.append(line)
            continue
        atx = _ATX.match(line)
        setext = _SETEXT.match(line)
        if atx:
            sections.append((len(atx.group(1)), atx.group(2).strip(), []))
        elif setext and body and body[-1].strip() and not _SETEXT.match(body[-1]):
            heading = body.pop().strip()
            sections.append((1 if setext.group(1)[0] == "=" else 2, heading, []))
        else:
            body.append(line)
    return sections


def read_markdown(text: str, source: str) -> PaperDoc:
    """A Markdown file: one block per section (split when long), title from the first "# "."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    front_title, lines = _front_matter(raw.split("\n"))
    sections = _sections(lines)
    headings = [(level, h) for level, h, _ in sections if h]
    h1 = next((h for level, h in headings if level == 1), None)
    bodies = [paragraphs("\n".join(body)) for _, _, body in sections]
    first_line = next((p.split("\n", 1)[0] for paras in bodies for p in paras), "")
    title = (
        h1
        or front_title
        or (headings[0][1] if headings else None)
        or (first_line if _short_line(first_line) else title_from_stem(Path(source).stem))
    )
    blocks = [
        Block(text=g, section=heading)
        for (_, heading, _), paras in zip(sections, bodies, strict=True)
        for g in group_paragraphs(paras)
    ]
    return PaperDoc(title=title, blocks=blocks, source=source, kind="markdown")
