"""The library: Chroma collections for papers, chunks and source files, plus the keyword index.

Crash safety rests on write order. A paper record is written with ``complete=False`` before its
chunks and flipped to ``complete=True`` after them; a source file's record is written only after
all its papers are complete. Incomplete papers are removed with their chunks by the next writer
(or on open, when no writer is busy), and the file records that named them are dropped, so the
next ingest of those files redoes them. Chunk ids are deterministic, so a redo never duplicates.

Revisions: the chunks collection carries a ``revision``. Every write step sets a new one before
it writes, so a keyword index, or another process, that saw an older revision knows it is stale.
Each paper carries a ``stamp`` that changes whenever its chunks are rewritten; the keyword index
records the stamps it indexed, so catching up means syncing only the papers whose stamps differ.

Sharing (``sync.Sharing`` and ``locking``): every read holds the store's data lock shared and
every write step holds it exclusive. The first read of an operation checks the revision; when
another process changed the store, an embedded client is reopened (its loaded vector index does
not see other processes' writes) and the keyword index catches up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..types import Chunk, Paper, Passage
from .chroma_client import Collections, collection_names, lock_folder, server_cache
from .keyword import KeywordIndex
from .locking import holds_store_lock, writer_lock_if_free
from .rows import (
    FileRecord,
    chunk_index,
    chunk_meta,
    paper_from_meta,
    passage,
    span,
    where_in,
)
from .sync import Sharing, reads, writes

if TYPE_CHECKING:
    import numpy as np

    from ..config import Settings

__all__ = ["FileRecord", "Store", "collection_names", "lock_folder", "paper_from_meta"]

log = logging.getLogger(__name__)

SCHEMA = 1
_WRITE_BATCH = 1000
SERVER_GRACE = 600.0
"""Seconds before a server store's half-written paper counts as abandoned: writers on other
machines cannot be seen, so only a stale one is cleaned up (embedded: the writer lock tells)."""



class Store:
    """Papers, chunks and file records in Chroma, with a BM25 index kept in step.

    It owns its Chroma collections (:class:`~.chroma_client.Collections`), its keyword index
    and a :class:`~.sync.Sharing` that holds the locks and revisions around every operation.
    """

    def __init__(self, settings: Settings, folder: Path, embedder_name: str, dim: int) -> None:
        self.settings = settings
        self.folder = folder
        signature = {
            "schema": SCHEMA,
            "embedding": embedder_name,
            "dim": dim,
            "chunk_max_tokens": settings.chunking.max_tokens,
            "chunk_overlap": settings.chunking.overlap,
        }
        self.chroma = Collections(settings, folder, signature)
        self.keyword = KeywordIndex(self._keyword_folder())
        self.sharing = Sharing(settings, lock_folder(settings, folder), self.chroma, self.keyword)
        self._listed: tuple[str | None, list[Paper]] | None = None
        self.sharing.open(SCHEMA)
        self.recover()

    # -- the parts -------------------------------------------------------------------------
    @property
    def papers(self) -> Any:
        return self.chroma.papers

    @property
    def chunks(self) -> Any:
        return self.chroma.chunks

    @property
    def files(self) -> Any:
        return self.chroma.files

    @property
    def signature(self) -> dict[str, Any]:
        """What the vectors depend on: embedding model, dimension, chunk settings."""
        return self.chroma.signature

    @property
    def revision(self) -> str:
        """The store revision this object last saw (or wrote)."""
        return self.sharing.revision

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """A consistent view: the data lock held shared, caught up with other writers."""
        return self.sharing.reading()

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """The data lock held exclusive, the store and keyword index up to date."""
        return self.sharing.writing()

    def sync_keyword_index(self, force: bool = False) -> None:
        """Bring the keyword index to the store's revision: replay what other processes
        journaled, else sync the papers whose stamps differ, else rebuild. ``force`` compares
        stamps even when the revisions agree."""
        with self.reading(), self.sharing.errors():
            self.sharing.sync_keyword(force)

    def _keyword_folder(self) -> Path:
        if not self.settings.store.url:
            return self.folder / f"keyword-{self.settings.store.name}"
        return server_cache(self.settings) / "keyword"

    # -- recovery --------------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Remove papers left half-written by a crash; returns their ids.

        Only when no other writer is busy: embedded, the writer lock says so; for a server
        store, only a writer cleans up, and only papers incomplete for ``SERVER_GRACE``. The
        scan is skipped when this object already scanned at the current revision.
        """
        server = bool(self.settings.store.url)
        lock_dir = self.sharing.lock_dir
        if server and not holds_store_lock(lock_dir):
            return []
        with writer_lock_if_free(lock_dir) as free:
            if not free:
                return []
            with self.reading(), self.sharing.errors():
                if self.sharing.known_clean():
                    return []
                got = self.papers.get(where={"complete": False}, include=["metadatas"])
                self.sharing.mark_scanned()
            now = time.time()
            grace = SERVER_GRACE if server else 0.0
            broken = [pid for pid, m in zip(got["ids"], got["metadatas"], strict=True)
                      if now - float((m or {}).get("since", 0) or 0) >= grace]
            if broken:
                self._remove_broken(broken)
            return broken

    @writes
    def _remove_broken(self, broken: list[str]) -> None:
        log.warning("removing %d paper(s) left incomplete by an interrupted ingest", len(broken))
        revision = self.sharing.bump_revision()
        self.chunks.delete(where=where_in("paper_id", broken))
        self.papers.delete(ids=broken)
        stale = [r.path for r in self.file_records().values() if set(r.paper_ids) & set(broken)]
        if stale:
            self.files.delete(ids=stale)
        self.keyword.apply(broken, {}, revision, str(self.chunks.id))
        self.sharing.mark_scanned()

    # -- file records ------------------------------------------------------------------------
    @reads
    def file_records(self, paths: list[str] | None = None) -> dict[str, FileRecord]:
        """Records of every source file, or of ``paths`` (those that have one)."""
        if paths is not None and not paths:
            return {}
        got = self.files.get(ids=paths, include=["metadatas"])
        return {
            fid: FileRecord(fid, str(m["sha256"]), json.loads(str(m["paper_ids"])))
            for fid, m in zip(got["ids"], got["metadatas"], strict=True)
        }

    @writes
    def put_file(self, record: FileRecord) -> None:
        self.files.upsert(
            ids=[record.path],
            embeddings=[[1.0]],
            metadatas=[{"sha256": record.sha256, "paper_ids": json.dumps(record.paper_ids)}],
        )

    @writes
    def delete_file(self, path: str) -> None:
        self.files.delete(ids=[path])

    # -- papers ------------------------------------------------------------------------------
    @reads
    def paper_meta(self, paper_id: str) -> dict[str, Any] | None:
        got = self.papers.get(ids=[paper_id], include=["metadatas"])
        return got["metadatas"][0] if got["ids"] else None

    @reads
    def papers_meta(self) -> dict[str, dict[str, Any]]:
        """Metadata of every complete paper (copies), from the local catalog."""
        self.sharing.sync_keyword(force=False)
        return {pid: dict(m) for pid, m in self.keyword.papers.items()}

    @reads
    def list_papers(self) -> list[Paper]:
        """Every complete paper, by title (built once per store revision)."""
        self.sharing.sync_keyword(force=False)
        if self._listed is None or self._listed[0] != self.keyword.revision:
            papers = [paper_from_meta(pid, m) for pid, m in self.keyword.papers.items()]
            papers.sort(key=lambda p: p.title.casefold())
            self._listed = (self.keyword.revision, papers)
        return list(self._listed[1])

    @writes
    def write_papers(self, batch: list[tuple[dict[str, Any], list[Chunk], np.ndarray]]) -> None:
        """Write papers crash-safely: incomplete records, then chunks, then complete records.

        One call per step for the whole batch: each Chroma write costs ~20 ms however small.
        Old chunks are deleted by id: a record's ``span`` counts the chunk ids that may exist
        (the larger of the old and new chunk counts while a rewrite is under way). The keyword
        index then indexes just these papers (one journal line).
        """
        import numpy as np

        from .chunking import chunk_id, embed_text

        if not batch:
            return
        revision = self.sharing.bump_revision()
        ids = [meta["id"] for meta, _, _ in batch]
        got = self.papers.get(ids=ids, include=["metadatas"])
        old_span = {pid: span(m) for pid, m in zip(got["ids"], got["metadatas"], strict=True)}
        records, centroids = [], []
        for meta, _chunks, vectors in batch:
            record = {k: v for k, v in meta.items()
                      if k not in ("id", "complete", "since", "span")}
            records.append({**record, "stamp": uuid.uuid4().hex})
            centroid = vectors.mean(axis=0)
            centroids.append((centroid / max(float(np.linalg.norm(centroid)), 1e-12)).tolist())
        titles = [r["title"] for r in records]
        now = time.time()
        self.papers.upsert(
            ids=ids,
            embeddings=centroids,
            documents=titles,
            metadatas=[{**r, "complete": False, "since": now,
                        "span": max(old_span.get(pid, 0), len(chunks))}
                       for pid, r, (_, chunks, _) in zip(ids, records, batch, strict=True)],
        )
        gone = [chunk_id(pid, i) for pid, (_, chunks, _) in zip(ids, batch, strict=True)
                for i in range(len(chunks), old_span.get(pid, 0))]
        if gone:
            self.chunks.delete(ids=gone)
        rows = [
            (c, v, meta["title"])
            for meta, chunks, vectors in batch
            for c, v in zip(chunks, vectors, strict=True)
        ]
        for start in range(0, len(rows), _WRITE_BATCH):
            part = rows[start : start + _WRITE_BATCH]
            self.chunks.upsert(
                ids=[c.id for c, _, _ in part],
                embeddings=np.stack([v for _, v, _ in part]),
                documents=[c.text for c, _, _ in part],
                metadatas=[chunk_meta(c, title) for c, _, title in part],
            )
        done = [{**r, "complete": True, "since": 0, "span": len(chunks)}
                for r, (_, chunks, _) in zip(records, batch, strict=True)]
        self.papers.upsert(ids=ids, embeddings=centroids, documents=titles, metadatas=done)
        added = {
            pid: (record["stamp"], [(c.id, embed_text(meta["title"], c.text)) for c in chunks])
            for pid, (meta, chunks, _), record in zip(ids, batch, records, strict=True)
        }
        self.keyword.apply([], added, revision, str(self.chunks.id),
                           papers=dict(zip(ids, done, strict=True)))

    @writes
    def set_sources(self, sources: dict[str, list[str]]) -> None:
        """Replace the source lists of papers (Chroma merges metadata on update)."""
        ids = list(sources)
        revision = self.sharing.bump_revision()
        self.papers.update(ids=ids, metadatas=[{"sources": json.dumps(sources[i])} for i in ids])
        catalog = {pid: {**self.keyword.papers[pid], "sources": json.dumps(sources[pid])}
                   for pid in ids if pid in self.keyword.papers}
        self.keyword.apply([], {}, revision, str(self.chunks.id), papers=catalog)

    @writes
    def delete_paper(self, paper_id: str) -> None:
        """Remove a paper and its chunks (marked incomplete first, so a crash finishes it)."""
        from .chunking import chunk_id

        revision = self.sharing.bump_revision()
        meta = self.paper_meta(paper_id)
        if meta is not None:
            self.papers.update(ids=[paper_id], metadatas=[{"complete": False, "since": 0}])
            self.chunks.delete(ids=[chunk_id(paper_id, i) for i in range(span(meta))])
        else:
            self.chunks.delete(where={"paper_id": paper_id})
        self.papers.delete(ids=[paper_id])
        self.keyword.apply([paper_id], {}, revision, str(self.chunks.id))

    # -- reading -----------------------------------------------------------------------------
    @reads
    def count_chunks(self) -> int:
        return self.chunks.count()

    @reads
    def count_papers(self) -> int:
        self.sharing.sync_keyword(force=False)
        return len(self.keyword.papers)

    @reads
    def paper_chunks(self, paper_id: str) -> list[Passage]:
        """All chunks of a paper in reading order (fetched by id when the paper is known)."""
        self.sharing.sync_keyword(force=False)
        ids = self.keyword.paper_chunk_ids(paper_id)
        if ids:
            got = self.chunks.get(ids=ids, include=["documents", "metadatas"])
        else:
            got = self.chunks.get(where={"paper_id": paper_id},
                                  include=["documents", "metadatas"])
        rows = sorted(
            zip(got["ids"], got["documents"], got["metadatas"], strict=True),
            key=lambda r: chunk_index(r[2]),
        )
        return [passage(cid, doc, meta, 0.0) for cid, doc, meta in rows]

    @reads
    def get_passages(self, ids: list[str]) -> dict[str, Passage]:
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["documents", "metadatas"])
        return {
            cid: passage(cid, doc, meta, 0.0)
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    @reads
    def dense_search(
        self, vector: list[float], k: int, paper_ids: list[str] | None = None
    ) -> list[Passage]:
        """Nearest chunks by cosine similarity (score = 1 - distance)."""
        where = where_in("paper_id", paper_ids) if paper_ids else None
        got = self.chunks.query(
            query_embeddings=[vector],
            n_results=k,  # Chroma returns fewer when the collection holds fewer
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            passage(cid, doc, meta, 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                got["ids"][0],
                got["documents"][0],
                got["metadatas"][0],
                got["distances"][0],
                strict=True,
            )
        ]

    @reads
    def all_chunk_texts(self) -> tuple[list[str], list[str]]:
        """Every chunk id with the text that is indexed for it (title + chunk text)."""
        from .chunking import embed_text

        ids: list[str] = []
        texts: list[str] = []
        for cid, doc, meta in self.chroma.iter_chunks():
            ids.append(cid)
            texts.append(embed_text(str(meta.get("title", "")), doc or ""))
        return ids, texts
