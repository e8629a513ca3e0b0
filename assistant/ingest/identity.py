"""Dedup keys: one normalized title, one paper id, whichever file the paper came from."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from assistant.types import PaperDoc

__all__ = ["normalize_title", "paper_id"]

_NON_WORD = re.compile(r"[\W_]+")


def normalize_title(title: str) -> str:
    """Casefold, drop diacritics, turn punctuation into spaces and collapse whitespace runs."""
    decomposed = unicodedata.normalize("NFKD", title)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", bare.casefold()).split())


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def paper_id(doc: PaperDoc) -> str:
    """A stable id: from the title when it is distinctive, else from the source and text.

    "p" + the first 15 hex digits of sha1(normalized title) when the title has at least 3 words
    or 15 characters; otherwise of sha1(source path + NUL + text).
    """
    norm = normalize_title(doc.title)
    if len(norm.split()) >= 3 or len(norm) >= 15:
        return "p" + _sha1(norm)[:15]
    return "p" + _sha1(f"{doc.source}\0{doc.text}")[:15]
