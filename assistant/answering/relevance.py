"""Does a sentence answer the question, and is it a whole sentence? The two tests that cap a
support mark: words found in a passage are not enough for "supported" when the sentence is a
fragment ("...we identify that an agreed upon") or says nothing about what was asked."""

from __future__ import annotations

import re

from ..types import Support

__all__ = ["cap", "is_fragment", "is_relevant"]

_ORDER = {"unsupported": 0, "weak": 1, "supported": 2}
# An ellipsis that opens or closes the sentence (one inside quotation marks cuts the quote).
_CUT = re.compile(r"^[^\w\"'\u201c\u2018]*(?:\u2026|\.\.\.)"
                  r"|(?:\u2026|\.\.\.)[^\w\"'\u201d\u2019]*$")
_DANGLING_WORDS = """a an the of to in on at by for with from as and or but nor that which
whose than upon into onto via per this these those its their our is are was were be been"""
_DANGLING = frozenset(_DANGLING_WORDS.split())
_CELL = re.compile(r"\s*\|\s*")


def is_fragment(plain: str, *, table_row: bool = False) -> bool:
    """A cut piece of a sentence: it opens or ends with an ellipsis, opens in lower case, or
    ends on a word that needs a continuation ("... an agreed upon"). In a table row each cell
    is tested for the ellipsis only."""
    text = plain.strip()
    if not text:
        return False
    if table_row:
        return any(_CUT.search(cell) for cell in _CELL.split(text.strip("| ")) if cell)
    if _CUT.search(text):
        return True
    start = re.sub(r"^[\W\d_]+", "", text)
    if start[:1].islower():
        return True
    last = re.findall(r"[A-Za-z]+", text)
    return bool(last) and last[-1].lower() in _DANGLING and not text.rstrip().endswith("?")


def is_relevant(words: set[str], asked: set[str]) -> bool:
    """Does a sentence (stemmed content words) speak of anything the question asks about?
    No question terms: everything is relevant."""
    return not asked or bool(words & asked)


def cap(mark: Support, limit: Support) -> Support:
    """The weaker of two marks."""
    return mark if _ORDER[mark] <= _ORDER[limit] else limit
