"""How papers, chunks and file records are stored in Chroma metadata, and read back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..types import Chunk, Paper, Passage

PAGE_NONE = 0  # Chroma metadata cannot hold None


@dataclass(slots=True)
class FileRecord:
    """A source file as last ingested: its content hash and the papers it gave."""

    path: str
    sha256: str
    paper_ids: list[str]


def where_in(field: str, values: list[str]) -> dict:
    """A Chroma ``where`` filter: ``field`` is one of ``values``."""
    return {field: {"$in": values}}


def span(meta: dict[str, Any] | None) -> int:
    """How many chunk ids of a paper may exist (see ``Store.write_papers``)."""
    if not meta:
        return 0
    return max(int(meta.get("span") or 0), int(meta.get("chunks") or 0))


def stamp(meta: dict[str, Any]) -> str:
    """A paper's write stamp (stores written before stamps: its text hash and size)."""
    return str(meta.get("stamp") or f"{meta.get('text_sha', '')}:{meta.get('chunks', '')}")


def chunk_index(meta: Mapping[str, Any]) -> int:
    """A stored chunk's position in its paper."""
    return int(meta.get("index", 0))


def chunk_meta(c: Chunk, title: str) -> dict[str, Any]:
    """Chroma metadata for a chunk (no None values)."""
    return {
        "paper_id": c.paper_id,
        "title": title,
        "index": c.index,
        "page": c.page if c.page is not None else PAGE_NONE,
        "section": c.section or "",
        "start": c.start,
        "end": c.end,
        "section_kind": c.section_kind or "",
        "role": c.role or "text",
    }


def passage(cid: str, doc: str | None, meta: dict[str, Any], score: float) -> Passage:
    """A Passage from a stored chunk."""
    page = int(meta.get("page", PAGE_NONE))
    return Passage(
        chunk_id=cid,
        paper_id=str(meta["paper_id"]),
        title=str(meta.get("title", "")),
        text=doc or "",
        page=page if page != PAGE_NONE else None,
        section=str(meta.get("section") or "") or None,
        score=score,
        section_kind=str(meta.get("section_kind") or "") or None,
        role=str(meta.get("role") or "text"),
    )


def paper_from_meta(pid: str, m: dict[str, Any]) -> Paper:
    """A Paper from its stored metadata (lists are stored as JSON strings)."""

    def opt(key: str) -> Any:
        value = m.get(key)
        return None if value in ("", None, -1) else value

    return Paper(
        id=pid,
        title=str(m.get("title", "")),
        authors=json.loads(str(m.get("authors") or "[]")),
        year=opt("year"),
        sources=json.loads(str(m.get("sources", "[]"))),
        chunks=int(m.get("chunks", 0)),
        kind=str(m.get("kind", "")),
        n_authors=opt("n_authors"),
        date=opt("date"),
        doi=opt("doi"),
        arxiv_id=opt("arxiv_id"),
        code_url=opt("code_url"),
        venue=opt("venue"),
    )
