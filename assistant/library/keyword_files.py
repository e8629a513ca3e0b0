"""Saving and loading a keyword index: an atomic snapshot plus a journal of changes that other
processes replay (see ``keyword``)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FORMAT = 2
SNAPSHOT = "snapshot.npz"
JOURNAL = "journal.log"


class KeywordFiles:
    """The persistence half of :class:`~assistant.keyword.KeywordIndex` (a mixin)."""

    folder: Path
    revision: str | None
    collection: str | None
    stamps: dict[str, str]
    papers: dict[str, dict[str, Any]]
    _ids: list[str]
    _terms: list[str]
    _paper_rows: dict[str, list[int]]
    _journal_pos: int
    _files: tuple | None

    def _clear(self) -> None: ...
    def _compact(self) -> None: ...
    def _apply_entry(self, entry: dict) -> None: ...

    def save_snapshot(self) -> None:
        """Compact, write ``snapshot.npz`` atomically and start an empty journal."""
        self._compact()
        self.folder.mkdir(parents=True, exist_ok=True)
        paper_of = np.zeros(len(self._ids), dtype=np.int32)
        pids = list(self._paper_rows)
        for i, pid in enumerate(pids):
            paper_of[self._paper_rows[pid]] = i
        meta = {"format": FORMAT, "revision": self.revision, "collection": self.collection,
                "ids": self._ids, "terms": self._terms, "papers": pids,
                "stamps": [self.stamps[p] for p in pids], "catalog": self.papers}
        tmp = self.folder / f".{SNAPSHOT}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                     paper_of=paper_of, doc_ptr=self._doc_ptr, doc_terms=self._doc_terms,
                     doc_tfs=self._doc_tfs, term_ptr=self._term_ptr, term_rows=self._term_rows,
                     term_tfs=self._term_tfs)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.folder / SNAPSHOT)
        empty = self.folder / f".{JOURNAL}.{uuid.uuid4().hex}.tmp"
        empty.write_bytes(b"")
        os.replace(empty, self.folder / JOURNAL)
        with contextlib.suppress(OSError):  # the bm25s index this one replaced
            (self.folder / "state.json").unlink()
        shutil.rmtree(self.folder / "bm25", ignore_errors=True)
        self._journal_pos = 0
        self._files = self._identity()

    def _append(self, entry: dict) -> None:
        body = json.dumps(entry, separators=(",", ":")).encode()
        line = b"%08x %s\n" % (zlib.crc32(body), body)
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def _identity(self) -> tuple | None:
        try:
            s = os.stat(self.folder / SNAPSHOT)
            j = os.stat(self.folder / JOURNAL)
        except OSError:
            return None
        return (s.st_ino, s.st_mtime_ns, s.st_size, j.st_ino)

    def load(self) -> bool:
        """Load the snapshot and replay the journal; False when missing or unreadable."""
        self._clear()
        files = self._identity()
        try:
            with np.load(self.folder / SNAPSHOT) as z:
                meta = json.loads(z["meta"].tobytes())
                arrays = {k: z[k] for k in ("paper_of", "doc_ptr", "doc_terms", "doc_tfs",
                                            "term_ptr", "term_rows", "term_tfs")}
            self._restore(meta, **arrays)
        except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError, zlib.error,
                zipfile.BadZipFile) as exc:
            log.info("keyword index unreadable (%s): it will be rebuilt", exc)
            self._clear()
            return False
        self._files = files
        self.catch_up()
        return True

    def _restore(self, meta: dict, *, paper_of: np.ndarray, doc_ptr: np.ndarray,
                 doc_terms: np.ndarray, doc_tfs: np.ndarray, term_ptr: np.ndarray,
                 term_rows: np.ndarray, term_tfs: np.ndarray) -> None:
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')}")
        ids, words, pids = list(meta["ids"]), list(meta["terms"]), list(meta["papers"])
        n, nnz = len(ids), len(doc_terms)
        lens = np.diff(doc_ptr)
        if not (len(paper_of) == n == len(lens) and doc_ptr[0] == 0 and doc_ptr[-1] == nnz
                and (lens >= 0).all() and len(doc_tfs) == len(term_rows) == len(term_tfs) == nnz
                and len(term_ptr) == len(words) + 1 and term_ptr[-1] == nnz
                and (not nnz or (doc_terms.max() < len(words) and term_rows.max() < n))
                and (not n or paper_of.max() < len(pids))):
            raise ValueError("inconsistent arrays")
        rows = np.repeat(np.arange(n, dtype=np.int64), lens)
        self._dl = np.bincount(rows, weights=doc_tfs, minlength=n).astype(np.int64)
        self.revision, self.collection = meta["revision"], meta["collection"]
        self.papers = dict(meta.get("catalog") or {})
        self._ids, self._terms = ids, words
        self._vocab = {t: i for i, t in enumerate(words)}
        self._row = {cid: i for i, cid in enumerate(ids)}
        self._alive = np.ones(n, dtype=bool)
        self._n, self._total = n, int(self._dl.sum())
        self._df = np.diff(term_ptr).astype(np.int64)
        self.stamps = dict(zip(pids, meta["stamps"], strict=True))
        order = np.argsort(paper_of, kind="stable")
        bounds = np.searchsorted(paper_of[order], np.arange(len(pids) + 1))
        self._paper_rows = {pid: order[a:b].tolist()
                            for pid, a, b in zip(pids, bounds[:-1], bounds[1:], strict=True)}
        self._base = n
        self._doc_ptr, self._doc_terms, self._doc_tfs = doc_ptr.astype(np.int64), doc_terms, doc_tfs
        self._term_ptr = term_ptr.astype(np.int64)
        self._term_rows, self._term_tfs = term_rows, term_tfs

    def catch_up(self) -> None:
        """Apply journal lines written since (by this or another process); reload if the
        snapshot was replaced."""
        if self._files is None:
            return
        if self._identity() != self._files:
            self.load()
            return
        try:
            with open(self.folder / JOURNAL, "rb") as fh:
                fh.seek(self._journal_pos)
                data = fh.read()
        except OSError:
            return
        pos = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # being written
            pos += len(line)
            entry = _parse(line)
            if entry is not None and entry.get("from") == self.revision:
                self._apply_entry(entry)
        self._journal_pos += pos

    def remove_files(self) -> None:
        """Delete the saved index (the in-memory one is kept)."""
        for name in (SNAPSHOT, JOURNAL):
            with contextlib.suppress(OSError):
                (self.folder / name).unlink()
        self._files = None


def _parse(line: bytes) -> dict | None:
    """A journal line, or None when damaged."""
    try:
        crc, body = line.rstrip(b"\n").split(b" ", 1)
        if int(crc, 16) != zlib.crc32(body):
            return None
        entry = json.loads(body)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and "to" in entry else None
