"""Rebuild the library under the current embedding and chunk settings.

Sources that still exist are read again; papers whose files are gone keep their stored chunk
texts, re-embedded. The old contents are first saved to ``reindex-backup.jsonl`` in the store
folder, so an interrupted reindex resumes from it instead of losing papers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..types import Block, PaperDoc
from .rows import chunk_index

if TYPE_CHECKING:
    from ..config import Settings
    from ..types import IngestReport
    from .chroma_client import Collections
    from .chunking import Chunker
    from .embedding import Embedder
    from .ingestor import Progress
    from .store import Store

BACKUP = "reindex-backup.jsonl"


class Library(Protocol):
    """What a rebuild needs of the library (:class:`assistant.library.Library`)."""

    settings: Settings
    store_dir: Path

    @property
    def store(self) -> Store: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def chunker(self) -> Chunker: ...
    def add_files(self, paths: list[str | Path], progress: Progress | None = None
                  ) -> IngestReport: ...


def write_backup(chroma: Collections, backup: Path) -> None:
    """Save every paper's metadata and chunk texts (``chroma`` connected)."""
    if not chroma.has("papers", "chunks"):
        backup.write_text("")
        return
    tmp = backup.with_suffix(".tmp")
    with open(tmp, "w") as out:
        for pid, meta in chroma.complete_papers().items():
            rows = chroma.chunks.get(where={"paper_id": pid}, include=["documents", "metadatas"])
            parts = sorted(zip(rows["documents"], rows["metadatas"], strict=True),
                           key=lambda r: chunk_index(r[1]))
            blocks = [
                {"text": d, "page": m.get("page") or None, "section": m.get("section") or None}
                for d, m in parts
            ]
            out.write(json.dumps({"id": pid, "meta": meta, "blocks": blocks}) + "\n")
    os.replace(tmp, backup)


def rebuild(library: Library, progress: Progress | None = None) -> IngestReport:
    """Drop and rebuild every collection (the caller holds the write and data locks);
    returns what the rebuild ingested.

    The backup is written whole before anything is dropped, so from then on it holds every
    paper: a run that finds one (the last was interrupted) drops whatever that run left,
    even collections it had not dropped yet, and rebuilds from the backup.
    """
    from .chroma_client import Collections, translated

    library.store_dir.mkdir(parents=True, exist_ok=True)
    backup = library.store_dir / BACKUP
    chroma = Collections(library.settings, library.store_dir, signature={})  # any settings
    with translated(library.settings, chroma.where):
        chroma.connect()
        if not backup.exists():
            write_backup(chroma, backup)
        chroma.drop()
    records = [json.loads(line) for line in backup.read_text().splitlines() if line.strip()]
    sources = sorted(
        {s for r in records for s in json.loads(r["meta"].get("sources", "[]")) if Path(s).exists()}
    )
    report = library.add_files(list(sources), progress) if sources else None
    kept = set(sources)
    missing = [r for r in records if not set(json.loads(r["meta"].get("sources", "[]"))) & kept]
    if missing:
        _restore(library, missing)
    backup.unlink()
    from ..types import IngestReport as Report

    report = report or Report()
    report.papers_total = library.store.count_papers()
    report.chunks_total = library.store.count_chunks()
    return report


def _restore(library: Library, records: list[dict]) -> None:
    """Re-embed papers whose source files are gone from their stored chunk texts."""
    from .ingestor import Ingestor

    ing = Ingestor(library.store, library.embedder, library.chunker, max_bytes=1 << 62)
    for r in records:
        m = r["meta"]
        doc = PaperDoc(
            title=m.get("title", ""),
            blocks=[Block(b["text"], b["page"], b["section"]) for b in r["blocks"]],
            source=m.get("text_source", ""),
            kind=m.get("kind", ""),
        )
        ing.restore(r["id"], doc, m)
    library.store.sync_keyword_index(force=True)
