"""Whitespace clean-up and paragraph grouping shared by the text, Markdown and HTML readers."""

from __future__ import annotations

import re

__all__ = ["clean_text", "paragraphs", "group_paragraphs", "title_from_stem"]

_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")
BLOCK_CHARS = 4000


def clean_text(text: str) -> str:
    """Unify newlines, collapse space runs inside lines, trim lines, keep single blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def paragraphs(text: str) -> list[str]:
    """Paragraphs of cleaned text: runs of lines between blank lines."""
    return [p for p in clean_text(text).split("\n\n") if p.strip()]


def group_paragraphs(paras: list[str], limit: int = BLOCK_CHARS) -> list[str]:
    """Join consecutive paragraphs into page-sized pieces (a long paragraph stays whole)."""
    groups: list[str] = []
    current: list[str] = []
    size = 0
    for para in paras:
        if current and size + len(para) > limit:
            groups.append("\n\n".join(current))
            current, size = [], 0
        current.append(para)
        size += len(para) + 2
    if current:
        groups.append("\n\n".join(current))
    return groups


def title_from_stem(stem: str) -> str:
    """A readable title from a file name: "my_paper-v2" -> "my paper v2"."""
    return " ".join(re.split(r"[_\-\s]+", stem)).strip() or stem
