"""Files -> papers -> chunks -> vectors -> store, skipping what is unchanged.

Identity: a paper is found by DOI, then arXiv id or identical text, then normalised title plus
first author (see ``ingest.identity``), so one paper found in several files is stored once and
lists every file as a source, and two papers that only share a title stay two. When two files
hold different text for one paper (a listing abstract and the full PDF), the longer text is
kept; metadata missing from the kept document is taken from the stored paper, and metadata from
a reference manager (``PaperDoc.curated``) wins over what readers detected.

A reader thread hashes, reads and chunks the next files while the main thread embeds and
writes the current one (the model releases the GIL), so ingest costs little beyond embedding.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import IngestError
from ..ingest import iter_sources, paper_id, read_file
from ..ingest.identity import Identities, meta_keys
from ..ingest.library_entry import Entry
from ..ingest.managed import (
    is_reference_library,
    library_digest,
    library_entries,
    read_entry,
)
from ..types import Chunk, FileFailure, IngestReport, PaperDoc, Skipped

if TYPE_CHECKING:
    from .chunking import Chunker
    from .embedding import Embedder
    from .store import FileRecord, Store

EMBED_SLICE = 64  # chunks embedded between progress updates
READ_AHEAD = 2  # files read and chunked ahead of the one being embedded


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
class _Loaded:
    """One source file after the reader thread: hashed, and read and chunked if it changed."""

    src: Path
    path: str
    digest: str = ""
    docs: list[tuple[str, PaperDoc, list[Chunk]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)  # entries of a reference library
    read: bool = False
    failure: FileFailure | None = None
    entries: list[Entry] | None = None  # a reference library, to read entry by entry
    final: bool = True  # the last piece of its file (a library comes entry by entry, then this)


@dataclass(slots=True)
class _Planned:
    doc: PaperDoc
    meta: dict[str, Any]
    chunks: list[Chunk]
    replace: bool


def file_sha256(path: Path, max_bytes: int = 1 << 62, stop: threading.Event | None = None
                ) -> str:
    """Content hash of a regular file (checked before it is read; bounded; stoppable)."""
    from ..ingest.fsutil import hash_file

    return hash_file(path, max_bytes, stop)


def text_sha(doc: PaperDoc) -> str:
    return hashlib.sha1(doc.text.encode("utf-8", "surrogatepass")).hexdigest()


# What a reference manager says of a paper, kept over what a reader detects.
CURATED = ("title", "authors", "year", "doi", "arxiv_id", "venue")


def paper_meta(pid: str, doc: PaperDoc, sources: list[str], n_chunks: int,
               existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """Chroma metadata for a paper (no None values; lists as JSON). Fields ``doc`` lacks are
    taken from ``existing`` (the stored record of the same paper), and a stored reference
    manager's title, authors, year, DOI, arXiv id and venue stay unless ``doc`` is curated too.
    """
    meta = {
        "id": pid,
        "title": doc.title,
        "authors": json.dumps(doc.authors),
        "n_authors": doc.n_authors if doc.n_authors is not None else -1,
        "year": doc.year if doc.year is not None else -1,
        "date": doc.date or "",
        "doi": doc.doi or "",
        "arxiv_id": doc.arxiv_id or "",
        "venue": doc.venue or "",
        "code_url": doc.code_url or "",
        "curated": doc.curated,
        "kind": doc.kind,
        "sources": json.dumps(sources),
        "text_source": doc.source,
        "text_sha": text_sha(doc),
        "text_len": len(doc.text),
        "chunks": n_chunks,
    }
    if existing:
        keep_curated = bool(existing.get("curated")) and not doc.curated
        for key in ("authors", "n_authors", "year", "date", "doi", "arxiv_id", "venue",
                    "code_url", "title"):
            old = existing.get(key)
            if old in (None, "", -1, "[]"):
                continue
            if meta[key] in ("", -1, "[]") or (keep_curated and key in CURATED):
                meta[key] = old
        meta["curated"] = bool(meta["curated"] or keep_curated)
    return meta


class Ingestor:
    """Runs one ingest over files and folders against a store."""

    def __init__(self, store: Store, embedder: Embedder, chunker: Chunker, max_bytes: int):
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.max_bytes = max_bytes
        self._changed = False  # something was written: the keyword index syncs at the end
        self._warmed = False
        self.ids = Identities()
        self._stop = threading.Event()  # set when the run stops early: the reader stops too

    def run(self, paths: list[str | Path], progress: Progress | None = None) -> IngestReport:
        progress = progress or _Silent()
        report = IngestReport()
        self._stop = threading.Event()
        found = list(iter_sources(paths, skip=[self.store.folder, self.store.sharing.lock_dir]))
        report.skipped = [s for s in found if isinstance(s, Skipped)]
        sources = [s for s in found if not isinstance(s, Skipped)]
        progress.start(len(sources))
        records = self.store.file_records([str(s.resolve()) for s in sources
                                           if isinstance(s, Path)])
        sources = _without_attachments(sources, records)
        known = self.store.papers_meta()
        self.ids = Identities(known)
        self._pieces: dict[str, list[str]] = {}  # paper ids of a library's entries so far
        for item in self._loaded(sources, records):
            status = self._one_file(item, records, known, report, progress)
            if status:
                progress.file_done(item.failure.path if item.failure else str(item.src), status)
        if self._changed:
            self.store.sync_keyword_index()
        report.papers_total = len(self.store.papers_meta())
        report.chunks_total = self.store.count_chunks()
        return report

    # -- reader thread -------------------------------------------------------------------------
    def _loaded(self, sources: list[Path | FileFailure], records: dict[str, FileRecord]):
        """Loaded files in order, READ_AHEAD of them prepared on a reader thread."""
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-reader") as pool:
            ahead: deque[Future[_Loaded]] = deque()
            fresh = any(isinstance(s, Path) and str(s.resolve()) not in records for s in sources)
            try:
                for src in sources:
                    ahead.append(pool.submit(self._load, src, records))
                    if fresh:  # a new file will be embedded: the model loads while it is read
                        fresh = False
                        self._warm()
                    if len(ahead) > READ_AHEAD:
                        yield from self._expand(ahead.popleft().result(), pool)
                while ahead:
                    yield from self._expand(ahead.popleft().result(), pool)
            finally:  # stopped early (Ctrl+C, an error): do not wait for files not needed
                self._stop.set()
                pool.shutdown(wait=False, cancel_futures=True)

    def _expand(self, item: _Loaded, pool: ThreadPoolExecutor):
        """A file as it comes, or a reference library entry by entry (READ_AHEAD of them read
        ahead), each entry's papers written before the next are waited for, then the library."""
        if item.entries is None:
            yield item
            return
        ahead: deque[Future[_Loaded]] = deque()
        for entry in item.entries:
            ahead.append(pool.submit(self._load_entry, item, entry))
            if len(ahead) > READ_AHEAD:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
        item.entries = None
        yield item

    def _load_entry(self, library: _Loaded, entry: Entry) -> _Loaded:
        """One entry of a reference library: its attachment (or abstract) read and chunked."""
        piece = _Loaded(library.src, library.path, library.digest, read=True, final=False)
        result = read_entry(entry, library.src, self.max_bytes, read_file)
        piece.warnings, piece.failures = result.warnings, result.failures
        self._chunk_docs(piece, result.papers)
        return piece

    def _load(self, src: Path | FileFailure, records: dict[str, FileRecord], force: bool = False
              ) -> _Loaded:
        if isinstance(src, FileFailure):
            return _Loaded(Path(src.path), src.path, failure=src)
        item = _Loaded(src, str(src.resolve()))
        try:
            if is_reference_library(src):  # its size is no limit: each attachment's is
                item.digest = library_digest(src)
            else:
                item.digest = file_sha256(src, self.max_bytes, self._stop)
            record = records.get(item.path)
            if record and record.sha256 == item.digest and not force:
                return item  # probably unchanged: the main thread decides
            if is_reference_library(src):
                item.entries, warnings = library_entries(src)
                item.warnings = [f"{src}: {w}" for w in warnings]
                item.read = True
                if not item.entries:
                    raise IngestError(str(src), "no entries found")
                return item
            result = read_file(src, max_bytes=self.max_bytes)
        except IngestError as exc:
            item.failure = FileFailure(str(src), exc.reason)
            return item
        except OSError as exc:
            item.failure = FileFailure(str(src), exc.strerror or str(exc))
            return item
        item.read = True
        item.warnings = result.warnings
        item.failures = result.failures
        self._chunk_docs(item, result.papers)
        return item

    def _chunk_docs(self, item: _Loaded, docs: list[PaperDoc]) -> None:
        for doc in docs:
            if doc.source == str(item.src):  # else the attachment a reference library names
                doc.source = item.path
            pid = paper_id(doc)  # provisional: the main thread finds the stored paper it is
            item.docs.append((pid, doc, self.chunker.chunk(pid, doc)))

    # -- main thread ---------------------------------------------------------------------------
    def _warm(self) -> None:
        """Load the embedding model (if it has a local one) before the first chunks come."""
        warm = getattr(self.embedder, "warm", None)
        if warm is not None and not self._warmed:
            self._warmed = True
            warm()

    def _one_file(self, item: _Loaded, records, known, report: IngestReport, progress
                  ) -> str | None:
        """Store one loaded file (or one entry of a library: None, the file is not done)."""
        if item.failure:
            report.failed.append(item.failure)
            return "failed"
        record = records.get(item.path)
        if not item.read:
            if all(p in known for p in record.paper_ids):
                report.unchanged.append(str(item.src))
                return "unchanged"
            item = self._load(item.src, records, force=True)  # papers went missing: redo
            if item.failure:
                report.failed.append(item.failure)
                return "failed"
            for entry in item.entries or []:  # a library: its entries, here and now
                piece = self._load_entry(item, entry)
                item.docs += piece.docs
                item.warnings += piece.warnings
                item.failures += piece.failures
        report.warnings.extend(item.warnings)
        report.failed.extend(item.failures)
        pids = self._pieces.setdefault(item.path, [])
        pids += [p for p in self._store_papers(item, known, report, progress) if p not in pids]
        if not item.final:
            return None
        del self._pieces[item.path]
        old = set(record.paper_ids) if record else set()
        for gone in old - set(pids):
            self._drop_source(gone, item.path, known)
        from .store import FileRecord

        self._changed = True
        records[item.path] = FileRecord(item.path, item.digest, pids)
        self.store.put_file(records[item.path])
        (report.updated if record else report.added).append(str(item.src))
        return "updated" if record else "added"

    def _store_papers(self, item: _Loaded, known, report, progress) -> list[str]:
        """Decide, embed and write this file's papers; returns their ids in file order."""
        path = item.path
        pids: list[str] = []
        planned: list[_Planned] = []
        new_sources: dict[str, list[str]] = {}
        for first_pid, doc, chunks in item.docs:
            pid = self.ids.resolve(doc)
            if pid != first_pid:
                _relabel(chunks, pid)
            if pid in pids:
                continue
            existing = known.get(pid)
            sources = json.loads(existing["sources"]) if existing else []
            for src in dict.fromkeys((doc.source, path)):
                if src not in sources:
                    sources.append(src)
            if existing and not self._replaces(doc, existing, path):
                pids.append(pid)
                if sources != json.loads(existing["sources"]):
                    new_sources[pid] = sources
                    existing["sources"] = json.dumps(sources)
                continue
            if not chunks:
                report.warnings.append(f"{path}: '{doc.title[:60]}' has no text; skipped")
                continue
            pids.append(pid)
            meta = paper_meta(pid, doc, sources, len(chunks), existing)
            doc.title = str(meta["title"])  # a stored reference manager's title stays
            self.ids.add(pid, meta_keys(meta))  # later papers of this file find it
            planned.append(_Planned(doc, meta, chunks, replace=existing is not None))
        if new_sources:
            self._changed = True
            self.store.set_sources(new_sources)
        self._embed_and_write(planned, report, progress, known)
        return pids

    @staticmethod
    def _replaces(doc: PaperDoc, existing: dict[str, Any], path: str) -> bool:
        """Should ``doc`` be written over the stored record of the same paper?"""
        if existing.get("text_sha") == text_sha(doc):  # a reference manager's metadata wins
            return doc.curated and _curated_changes(doc, existing)
        if existing.get("text_source") in (path, doc.source):
            return True  # the file that gave the text changed
        return len(doc.text) > int(existing.get("text_len", 0))

    def _embed_and_write(self, planned: list[_Planned], report, progress, known) -> None:
        import numpy as np

        from .chunking import embed_text

        if not planned:
            return
        self._changed = True
        texts = [embed_text(p.doc.title, c.text) for p in planned for c in p.chunks]
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
            full = {**meta, "id": pid, "chunks": len(chunks)}
            full.pop("complete", None)
            plan = _Planned(doc, full, chunks, replace=True)
            self._embed_and_write([plan], IngestReport(), _Silent(), {})

    def _drop_source(self, pid: str, path: str, known) -> None:
        """A file no longer holds a paper: forget the source; drop the paper if it was the last."""
        meta = known.get(pid)
        if meta is None:
            return
        sources = [s for s in json.loads(meta["sources"]) if s != path]
        if sources and is_reference_library(Path(path)):
            # attachments came with the library: they go with it unless ingested on their own
            held = self.store.file_records(sources)
            sources = [s for s in sources if s in held or is_reference_library(Path(s))]
        self._changed = True
        if sources:
            self.store.set_sources({pid: sources})
            meta["sources"] = json.dumps(sources)
        else:
            self.store.delete_paper(pid)
            known.pop(pid, None)
            self.ids.remove(pid)


def _without_attachments(sources: list[Path | FileFailure], records: dict[str, FileRecord]
                         ) -> list[Path | FileFailure]:
    """The sources less the files that a reference library among them names as attachments
    (read through the library, with its metadata), unless they were ingested on their own."""
    attached: set[str] = set()
    for src in sources:
        if isinstance(src, Path) and is_reference_library(src):
            try:
                entries, _ = library_entries(src)
            except IngestError:
                continue  # reported when the library itself is read
            attached |= {str(where.resolve()) for e in entries for _, where in e.files}
    if not attached:
        return sources
    return [s for s in sources if not isinstance(s, Path)
            or str(s.resolve()) not in attached or str(s.resolve()) in records]


def _relabel(chunks: list[Chunk], pid: str) -> None:
    """Give chunks made under a provisional paper id the id of the paper they belong to."""
    from .chunking import chunk_id

    for c in chunks:
        c.paper_id = pid
        c.id = chunk_id(pid, c.index)


def _curated_changes(doc: PaperDoc, existing: dict[str, Any]) -> bool:
    """Whether a reference manager's metadata differs from what is stored."""
    if not existing.get("curated"):
        return True
    mine = paper_meta("", doc, [], 0)
    return any(str(mine[k]) != str(existing.get(k, "")) for k in CURATED)
