"""Files -> papers -> chunks -> vectors -> store, skipping what is unchanged.

Identity: a paper is its normalised title (see ``identity.paper_id``), so one paper found in
several files is stored once and lists every file as a source. When two files hold different
text for one paper (a listing abstract and the full PDF), the longer text is kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import IngestError
from ..types import Chunk, FileFailure, IngestReport, PaperDoc
from . import iter_sources, paper_id, read_file

if TYPE_CHECKING:
    from ..chunking import Chunker
    from ..embedding import Embedder
    from ..store import Store

EMBED_SLICE = 64  # chunks embedded between progress updates


class Progress(Protocol):
    """What the pipeline tells a progress display."""

    def start(self, files: int) -> None: ...
    def file_done(self, path: str, status: str) -> None: ...
    def chunks_done(self, n: int) -> None: ...


class _Silent:
    def start(self, files: int) -> None: ...
    def file_done(self, path: str, status: str) -> None: ...
    def chunks_done(self, n: int) -> None: ...


@dataclass(slots=True)
class _Planned:
    doc: PaperDoc
    meta: dict[str, Any]
    chunks: list[Chunk]
    replace: bool


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def text_sha(doc: PaperDoc) -> str:
    return hashlib.sha1(doc.text.encode("utf-8", "surrogatepass")).hexdigest()


def paper_meta(pid: str, doc: PaperDoc, sources: list[str], n_chunks: int) -> dict[str, Any]:
    """Chroma metadata for a paper (no None values; lists as JSON)."""
    return {
        "id": pid,
        "title": doc.title,
        "authors": json.dumps(doc.authors),
        "n_authors": doc.n_authors if doc.n_authors is not None else -1,
        "year": doc.year if doc.year is not None else -1,
        "date": doc.date or "",
        "doi": doc.doi or "",
        "arxiv_id": doc.arxiv_id or "",
        "code_url": doc.code_url or "",
        "kind": doc.kind,
        "sources": json.dumps(sources),
        "text_source": doc.source,
        "text_sha": text_sha(doc),
        "text_len": len(doc.text),
        "chunks": n_chunks,
    }


class Ingestor:
    """Runs one ingest over files and folders against a store."""

    def __init__(self, store: Store, embedder: Embedder, chunker: Chunker, max_bytes: int):
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.max_bytes = max_bytes
        self._began = False

    def run(self, paths: list[str | Path], progress: Progress | None = None) -> IngestReport:
        progress = progress or _Silent()
        report = IngestReport()
        sources = list(iter_sources(paths))
        progress.start(len(sources))
        records = self.store.file_records()
        known = self.store.papers_meta()
        for src in sources:
            if isinstance(src, FileFailure):
                report.failed.append(src)
                progress.file_done(src.path, "failed")
                continue
            status = self._one_file(src, records, known, report, progress)
            progress.file_done(str(src), status)
        if self._began:
            self.store.sync_keyword_index(force=True)
        report.papers_total = len(self.store.papers_meta())
        report.chunks_total = self.store.count_chunks()
        return report

    def _begin(self) -> None:
        if not self._began:
            self.store.begin_write()
            self._began = True

    def _one_file(self, src: Path, records, known, report: IngestReport, progress) -> str:
        path = str(src.resolve())
        try:
            size = src.stat().st_size
            if size > self.max_bytes:
                limit = self.max_bytes / 1e6
                reason = f"file too large ({size / 1e6:g} MB > limit {limit:g} MB)"
                raise IngestError(str(src), reason)
            digest = file_sha256(src)
            record = records.get(path)
            if record and record.sha256 == digest and all(p in known for p in record.paper_ids):
                report.unchanged.append(str(src))
                return "unchanged"
            result = read_file(src, max_bytes=self.max_bytes)
        except IngestError as exc:
            report.failed.append(FileFailure(str(src), exc.reason))
            return "failed"
        except OSError as exc:
            report.failed.append(FileFailure(str(src), exc.strerror or str(exc)))
            return "failed"
        report.warnings.extend(result.warnings)
        for doc in result.papers:
            doc.source = path
        pids = self._store_papers(path, result.papers, known, report, progress)
        old = set(record.paper_ids) if record else set()
        for gone in old - set(pids):
            self._drop_source(gone, path, known)
        from ..store import FileRecord

        self._begin()
        self.store.put_file(FileRecord(path, digest, pids))
        records[path] = FileRecord(path, digest, pids)
        (report.updated if record else report.added).append(str(src))
        return "updated" if record else "added"

    def _store_papers(self, path: str, docs: list[PaperDoc], known, report, progress) -> list[str]:
        """Plan, embed and write this file's papers; returns their ids in file order."""
        pids: list[str] = []
        planned: list[_Planned] = []
        for doc in docs:
            pid = paper_id(doc)
            if pid in pids:
                continue
            pids.append(pid)
            existing = known.get(pid)
            sources = json.loads(existing["sources"]) if existing else []
            if path not in sources:
                sources.append(path)
            if existing and not self._text_wins(doc, existing, path):
                if sources != json.loads(existing["sources"]):
                    self._begin()
                    self.store.set_sources(pid, sources)
                    existing["sources"] = json.dumps(sources)
                continue
            chunks = self.chunker.chunk(pid, doc)
            if not chunks:
                report.warnings.append(f"{path}: '{doc.title[:60]}' has no text; skipped")
                pids.remove(pid)
                continue
            meta = paper_meta(pid, doc, sources, len(chunks))
            planned.append(_Planned(doc, meta, chunks, replace=existing is not None))
        self._embed_and_write(planned, report, progress, known)
        return pids

    @staticmethod
    def _text_wins(doc: PaperDoc, existing: dict[str, Any], path: str) -> bool:
        """Should ``doc`` replace the stored text of the same paper?"""
        if existing.get("text_sha") == text_sha(doc):
            return False
        if existing.get("text_source") == path:
            return True  # the file that gave the text changed
        return len(doc.text) > int(existing.get("text_len", 0))

    def _embed_and_write(self, planned: list[_Planned], report, progress, known) -> None:
        from ..chunking import embed_text

        if not planned:
            return
        self._begin()
        flat = [(p, c) for p in planned for c in p.chunks]
        texts = [embed_text(p.doc.title, c.text) for p, c in flat]
        import numpy as np

        parts = []
        for start in range(0, len(texts), EMBED_SLICE):
            parts.append(self.embedder.embed(texts[start : start + EMBED_SLICE]))
            progress.chunks_done(len(parts[-1]))
        vectors = np.concatenate(parts)
        batch, offset = [], 0
        for plan in planned:
            n = len(plan.chunks)
            batch.append((plan.meta, plan.chunks, vectors[offset : offset + n]))
            offset += n
            known[plan.meta["id"]] = {k: v for k, v in plan.meta.items() if k != "id"}
            report.papers_added += 0 if plan.replace else 1
            report.chunks_added += n
        self.store.write_papers(batch)

    def restore(self, pid: str, doc: PaperDoc, meta: dict[str, Any]) -> None:
        """Write a paper from saved text and metadata (reindex of a paper whose file is gone)."""
        chunks = self.chunker.chunk(pid, doc)
        if chunks:
            full = {**meta, "id": pid, "chunks": len(chunks), "complete": True}
            self._embed_and_write(
                [_Planned(doc, full, chunks, replace=True)], IngestReport(), _Silent(), {}
            )

    def _drop_source(self, pid: str, path: str, known) -> None:
        """A file no longer holds a paper: forget the source; drop the paper if it was the last."""
        meta = known.get(pid)
        if meta is None:
            return
        sources = [s for s in json.loads(meta["sources"]) if s != path]
        self._begin()
        if sources:
            self.store.set_sources(pid, sources)
            meta["sources"] = json.dumps(sources)
        else:
            self.store.delete_paper(pid)
            known.pop(pid, None)
