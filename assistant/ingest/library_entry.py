"""One reference of a reference manager's library, as its reader (BibTeX, Zotero) found it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Entry"]


@dataclass(slots=True)
class Entry:
    """One reference as a manager keeps it."""

    key: str
    title: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    venue: str | None = None
    abstract: str = ""
    files: list[tuple[str, Path]] = field(default_factory=list)  # (as written, where), best first
    missing: str = ""  # why an attachment the entry names cannot be found, if it cannot
