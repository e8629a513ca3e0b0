"""The library: Chroma collections for papers, chunks and source files, plus the keyword index.

Crash safety rests on write order. A paper record is written with ``complete=False`` before its
chunks and flipped to ``complete=True`` after them; a source file's record is written only after
all its papers are complete. On open, incomplete papers are removed with their chunks, and the
file records that named them are dropped, so the next ingest of those files redoes them.
Chunk ids are deterministic, so a redo never duplicates.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StoreError, StoreMismatchError
from .keyword import KeywordIndex
from .types import Chunk, Paper, Passage

if TYPE_CHECKING:
    import numpy as np

    from .config import Settings

log = logging.getLogger(__name__)

SCHEMA = 1
_PAGE_NONE = 0  # Chroma metadata cannot hold None
_WRITE_BATCH = 1000


@dataclass(slots=True)
class FileRecord:
    """A source file as last ingested: its content hash and the papers it gave."""

    path: str
    sha256: str
    paper_ids: list[str]


def _client(settings: Settings, folder: Path):
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    url = settings.store.url
    if not url:
        folder.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(folder / "chroma"), settings=chroma_settings)
    from urllib.parse import urlparse

    parsed = urlparse(url)
    headers = {}
    if settings.store.auth_token_env:
        token = os.environ.get(settings.store.auth_token_env, "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
    try:
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            headers=headers,
            settings=chroma_settings,
        )
    except Exception as exc:  # chromadb raises plain ValueError/ConnectionError
        raise StoreError(f"cannot reach Chroma server at {url}: {exc}") from None


def collection_names(settings: Settings) -> dict[str, str]:
    """The library's three Chroma collections."""
    return {kind: f"{settings.store.name}-{kind}" for kind in ("papers", "chunks", "files")}


def _where_in(field: str, values: list[str]) -> dict:
    return {field: {"$in": values}}


class Store:
    """Papers, chunks and file records in Chroma, with a BM25 index kept in step."""

    def __init__(self, settings: Settings, folder: Path, embedder_name: str, dim: int) -> None:
        self.settings = settings
        self.folder = folder
        self.signature = {
            "schema": SCHEMA,
            "embedding": embedder_name,
            "dim": dim,
            "chunk_max_tokens": settings.chunking.max_tokens,
            "chunk_overlap": settings.chunking.overlap,
        }
        self.client = _client(settings, folder)
        try:
            self._open_collections()
        except StoreError:
            raise
        except Exception as exc:
            where = settings.store.url or str(folder)
            raise StoreError(f"cannot open the store at {where}: {exc}") from None
        self.keyword = KeywordIndex(self._keyword_folder())
        self.recover()

    # -- opening ---------------------------------------------------------------------------
    def _open_collections(self) -> None:
        existing = {getattr(c, "name", c) for c in self.client.list_collections()}
        names = collection_names(self.settings)
        if names["chunks"] in existing:
            self.chunks = self.client.get_collection(names["chunks"], embedding_function=None)
            self.check_signature(self.chunks.metadata or {})
        self.chunks = self._collection(
            names["chunks"], existing, {**self.signature, "revision": "new"}
        )
        self.papers = self._collection(names["papers"], existing, {"schema": SCHEMA})
        # File records carry no meaning as vectors; Chroma needs one, so each gets [1.0].
        self.files = self._collection(names["files"], existing, {"schema": SCHEMA})

    def _collection(self, name: str, existing: set[str], meta: dict[str, Any]):
        if name in existing:
            return self.client.get_collection(name, embedding_function=None)
        return self.client.create_collection(
            name,
            embedding_function=None,
            metadata=meta,
            configuration={"hnsw": {"space": "cosine"}},
            get_or_create=True,
        )

    def check_signature(self, meta: dict[str, Any]) -> None:
        """Refuse a store built with another embedding model or chunk settings."""
        stored = {k: meta.get(k) for k in self.signature}
        if stored == self.signature or meta.get("embedding") is None:
            return
        diffs = ", ".join(
            f"{k}: store has {stored[k]!r}, settings say {self.signature[k]!r}"
            for k in self.signature
            if stored[k] != self.signature[k]
        )
        raise StoreMismatchError(
            f"the store was built with other settings ({diffs}); run `assistant reindex`"
        )

    def _keyword_folder(self) -> Path:
        name = self.settings.store.name
        if not self.settings.store.url:
            return self.folder / f"keyword-{name}"
        from hashlib import sha1

        from platformdirs import user_cache_dir

        key = sha1(f"{self.settings.store.url}#{name}".encode()).hexdigest()[:12]
        return Path(user_cache_dir("paper-assistant")) / "keyword" / key

    # -- revision and keyword index ----------------------------------------------------------
    @property
    def revision(self) -> str:
        return str((self.chunks.metadata or {}).get("revision", ""))

    def _bump_revision(self) -> None:
        """Mark the store changed before writing, so a stale keyword index is always detected."""
        meta = dict(self.chunks.metadata or {})
        meta["revision"] = uuid.uuid4().hex
        self.chunks.modify(metadata=meta)

    def sync_keyword_index(self, force: bool = False) -> None:
        """Load the keyword index; rebuild it when it is missing, damaged or stale."""
        self._refresh_revision()
        if not force and self.keyword.load() and self.keyword.revision == self.revision:
            return
        ids, texts = self.all_chunk_texts()
        self.keyword.build(ids, texts, self.revision)

    def _refresh_revision(self) -> None:
        self.chunks = self.client.get_collection(self.chunks.name, embedding_function=None)

    def all_chunk_texts(self) -> tuple[list[str], list[str]]:
        """Every chunk id with the text that is indexed for it (title + chunk text)."""
        from .chunking import embed_text

        ids: list[str] = []
        texts: list[str] = []
        total = self.chunks.count()
        for offset in range(0, total, 5000):
            got = self.chunks.get(include=["documents", "metadatas"], limit=5000, offset=offset)
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                ids.append(cid)
                texts.append(embed_text(str(meta.get("title", "")), doc or ""))
        return ids, texts

    # -- recovery --------------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Remove papers left half-written by a crash; returns their ids."""
        got = self.papers.get(where={"complete": False}, include=[])
        broken = list(got["ids"])
        if not broken:
            return []
        log.warning("removing %d paper(s) left incomplete by an interrupted ingest", len(broken))
        self._bump_revision()
        self.chunks.delete(where=_where_in("paper_id", broken))
        self.papers.delete(ids=broken)
        stale = [r.path for r in self.file_records().values() if set(r.paper_ids) & set(broken)]
        if stale:
            self.files.delete(ids=stale)
        return broken

    # -- file records ------------------------------------------------------------------------
    def file_records(self) -> dict[str, FileRecord]:
        got = self.files.get(include=["metadatas"])
        return {
            fid: FileRecord(fid, str(m["sha256"]), json.loads(str(m["paper_ids"])))
            for fid, m in zip(got["ids"], got["metadatas"], strict=True)
        }

    def file_record(self, path: str) -> FileRecord | None:
        got = self.files.get(ids=[path], include=["metadatas"])
        if not got["ids"]:
            return None
        m = got["metadatas"][0]
        return FileRecord(path, str(m["sha256"]), json.loads(str(m["paper_ids"])))

    def put_file(self, record: FileRecord) -> None:
        self.files.upsert(
            ids=[record.path],
            embeddings=[[1.0]],
            metadatas=[{"sha256": record.sha256, "paper_ids": json.dumps(record.paper_ids)}],
        )

    def delete_file(self, path: str) -> None:
        self.files.delete(ids=[path])

    # -- papers ------------------------------------------------------------------------------
    def paper_meta(self, paper_id: str) -> dict[str, Any] | None:
        got = self.papers.get(ids=[paper_id], include=["metadatas"])
        return got["metadatas"][0] if got["ids"] else None

    def papers_meta(self) -> dict[str, dict[str, Any]]:
        got = self.papers.get(where={"complete": True}, include=["metadatas"])
        return dict(zip(got["ids"], got["metadatas"], strict=True))

    def list_papers(self) -> list[Paper]:
        papers = [paper_from_meta(pid, m) for pid, m in self.papers_meta().items()]
        return sorted(papers, key=lambda p: p.title.casefold())

    def write_papers(self, batch: list[tuple[dict[str, Any], list[Chunk], np.ndarray]]) -> None:
        """Write papers crash-safely: incomplete records, then chunks, then complete records.

        One upsert per step for the whole batch: each Chroma write costs ~20 ms however small.
        """
        import numpy as np

        if not batch:
            return
        ids, records, centroids = [], [], []
        for meta, _chunks, vectors in batch:
            ids.append(meta["id"])
            records.append({k: v for k, v in meta.items() if k != "id"})
            centroid = vectors.mean(axis=0)
            centroids.append((centroid / max(float(np.linalg.norm(centroid)), 1e-12)).tolist())
        titles = [r["title"] for r in records]
        self.papers.upsert(
            ids=ids,
            embeddings=centroids,
            documents=titles,
            metadatas=[{**r, "complete": False} for r in records],
        )
        self.chunks.delete(where=_where_in("paper_id", ids))
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
                metadatas=[_chunk_meta(c, title) for c, _, title in part],
            )
        self.papers.upsert(
            ids=ids,
            embeddings=centroids,
            documents=titles,
            metadatas=[{**r, "complete": True} for r in records],
        )

    def set_sources(self, sources: dict[str, list[str]]) -> None:
        """Replace the source lists of papers (Chroma merges metadata on update)."""
        ids = list(sources)
        self.papers.update(ids=ids, metadatas=[{"sources": json.dumps(sources[i])} for i in ids])

    def delete_paper(self, paper_id: str) -> None:
        """Remove a paper and its chunks (marked incomplete first, so a crash finishes it)."""
        if self.paper_meta(paper_id) is not None:
            self.papers.update(ids=[paper_id], metadatas=[{"complete": False}])
        self.chunks.delete(where={"paper_id": paper_id})
        self.papers.delete(ids=[paper_id])

    def begin_write(self) -> None:
        """Call before a batch of writes: invalidates the keyword index until it is rebuilt."""
        self._bump_revision()

    # -- reading -----------------------------------------------------------------------------
    def count_chunks(self) -> int:
        return self.chunks.count()

    def count_papers(self) -> int:
        return len(self.papers.get(where={"complete": True}, include=[])["ids"])

    def paper_chunks(self, paper_id: str) -> list[Passage]:
        """All chunks of a paper in reading order."""
        got = self.chunks.get(where={"paper_id": paper_id}, include=["documents", "metadatas"])
        rows = sorted(
            zip(got["ids"], got["documents"], got["metadatas"], strict=True),
            key=lambda r: int(r[2].get("index", 0)),
        )
        return [_passage(cid, doc, meta, 0.0) for cid, doc, meta in rows]

    def get_passages(self, ids: list[str]) -> dict[str, Passage]:
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["documents", "metadatas"])
        return {
            cid: _passage(cid, doc, meta, 0.0)
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def dense_search(
        self, vector: list[float], k: int, paper_ids: list[str] | None = None
    ) -> list[Passage]:
        """Nearest chunks by cosine similarity (score = 1 - distance)."""
        total = self.chunks.count()
        if total == 0:
            return []
        where = _where_in("paper_id", paper_ids) if paper_ids else None
        got = self.chunks.query(
            query_embeddings=[vector],
            n_results=min(k, total),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            _passage(cid, doc, meta, 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                got["ids"][0],
                got["documents"][0],
                got["metadatas"][0],
                got["distances"][0],
                strict=True,
            )
        ]

    def dense_papers(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """Nearest papers by their centroid vector."""
        total = self.papers.count()
        if total == 0:
            return []
        got = self.papers.query(
            query_embeddings=[vector],
            n_results=min(k, total),
            where={"complete": True},
            include=["distances"],
        )
        return [
            (pid, 1.0 - float(d)) for pid, d in zip(got["ids"][0], got["distances"][0], strict=True)
        ]


def _chunk_meta(c: Chunk, title: str) -> dict[str, Any]:
    return {
        "paper_id": c.paper_id,
        "title": title,
        "index": c.index,
        "page": c.page if c.page is not None else _PAGE_NONE,
        "section": c.section or "",
        "start": c.start,
        "end": c.end,
    }


def _passage(cid: str, doc: str | None, meta: dict[str, Any], score: float) -> Passage:
    page = int(meta.get("page", _PAGE_NONE))
    return Passage(
        chunk_id=cid,
        paper_id=str(meta["paper_id"]),
        title=str(meta.get("title", "")),
        text=doc or "",
        page=page if page != _PAGE_NONE else None,
        section=str(meta.get("section") or "") or None,
        score=score,
    )


def paper_from_meta(pid: str, m: dict[str, Any]) -> Paper:
    """A Paper from its stored metadata (lists are stored as JSON strings)."""

    def opt(key: str):
        value = m.get(key)
        return None if value in ("", None, -1) else value

    return Paper(
        id=pid,
        title=str(m.get("title", "")),
        authors=json.loads(str(m.get("authors", "[]"))),
        year=opt("year"),
        sources=json.loads(str(m.get("sources", "[]"))),
        chunks=int(m.get("chunks", 0)),
        kind=str(m.get("kind", "")),
        n_authors=opt("n_authors"),
        date=opt("date"),
        doi=opt("doi"),
        arxiv_id=opt("arxiv_id"),
        code_url=opt("code_url"),
    )
