"""The local index of a library: BM25 keyword postings of its chunks and a catalog of its
papers' metadata, changed in place and persisted beside the store.

Scores equal those of a fresh ``bm25s`` index of the same chunks (its default Lucene variant,
k1 = 1.5, b = 0.75, float32 sums in query-term order, numpy >= 2; ``tests/test_keyword.py``
checks this), but this index keeps term frequencies and scores at query time, so adding or
removing a paper touches only that paper's chunks. bm25s precomputes every (chunk, term) score
from the corpus size and mean length and has no call to add a document, so every change meant
re-reading and re-indexing the whole library. Measured on 100,913 synthetic chunks (2 cores,
benchmarks/scale.py): reading them back from Chroma 12 s, tokenizing 5.6 s, bm25s indexing
4.5 s, so ~22 s per change (and the retriever's term statistics paid the first two again);
here adding one paper costs ~5 ms, loading the saved index 0.1 s.

The catalog exists because Chroma's embedded client needs ~0.2 ms per record to return
metadata: listing 4,300 papers took 0.9 s at 100k chunks. Here it is a dict.

Persistence (derived data: the store is the truth):

- ``snapshot.npz`` holds the whole index at one store revision, written atomically;
- ``journal.log`` holds one line per change since, ``<crc32> <json>``; each line names the
  revision it starts from and the revision it leads to (files: :mod:`.keyword_files`).

Loading replays the journal chain from the snapshot's revision. A damaged snapshot, a broken
line, or a chain that does not reach the store's revision is noticed by the store, which then
syncs the papers that differ (each carries a write stamp) or rebuilds.

A new snapshot is written when enough rows changed, or when the journal outgrows its bound
whatever its lines hold: a line that only updates the catalog carries the paper's whole
source list, so one paper found in 3,945 files made a 480 MB journal that every command
replayed (~2 s); now the journal stays under ``JOURNAL_MIN_BYTES`` or the snapshot's size.
"""

from __future__ import annotations

import logging
import math
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .keyword_files import FORMAT, JOURNAL, SNAPSHOT, KeywordFiles

__all__ = ["FORMAT", "JOURNAL", "SNAPSHOT", "KeywordIndex", "query_terms", "tokenize"]

log = logging.getLogger(__name__)

K1 = 1.5
B = 0.75
COMPACT_MIN = 5000  # rows added or removed since the snapshot before a new one is written
COMPACT_SHARE = 0.1  # ... or this share of the snapshot's rows, whichever is larger
JOURNAL_MIN_BYTES = 4 << 20  # a journal grown past this and past the snapshot's size is folded
_EMPTY = np.zeros(0, np.int32)

Papers = dict[str, tuple[str, list[tuple[str, str]]]]
"""Papers to index: paper id -> (write stamp, [(chunk id, indexed text)])."""


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english").stemWords


def tokenize(texts: list[str]):
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)


def query_terms(query: str) -> list[str]:
    """The query's distinct terms in first-seen order (the order bm25s sums them in)."""
    return list(_query_terms(query))


@lru_cache(maxsize=4096)
def _query_terms(query: str) -> tuple[str, ...]:
    return tuple(w for w in tokenize([query]).vocab if w)


def _grow(arr: np.ndarray, size: int) -> np.ndarray:
    if size <= len(arr):
        return arr
    out = np.zeros(max(size, 2 * len(arr), 64), dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


def _csc(rows: np.ndarray, terms: np.ndarray, tfs: np.ndarray, n_terms: int
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Postings by term: (pointer per term, rows, term frequencies)."""
    order = np.argsort(terms, kind="stable")
    counts = np.bincount(terms, minlength=n_terms)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return ptr, rows[order].astype(np.int32), tfs[order].astype(np.int32)


class KeywordIndex:
    """Chunk ids, their term frequencies and postings, and the papers' metadata; saved in
    ``folder`` (by its :class:`~.keyword_files.KeywordFiles`)."""

    def __init__(self, folder: Path) -> None:
        self.files = KeywordFiles(folder)
        self._clear()

    @property
    def folder(self) -> Path:
        return self.files.folder

    # -- state ------------------------------------------------------------------------------
    def _clear(self) -> None:
        self.revision: str | None = None
        self.collection: str | None = None
        self.stamps: dict[str, str] = {}  # paper id -> write stamp of the indexed version
        self.papers: dict[str, dict[str, Any]] = {}  # paper id -> its stored metadata
        self._paper_rows: dict[str, list[int]] = {}
        self._vocab: dict[str, int] = {}
        self._terms: list[str] = []
        self._df = np.zeros(64, np.int64)
        self._ids: list[str] = []  # row -> chunk id (rows of removed chunks stay, dead)
        self._row: dict[str, int] = {}
        self._alive = np.zeros(64, bool)
        self._dl = np.zeros(64, np.int64)
        self._n = 0
        self._total = 0
        # Rows below _base come from the snapshot (or the last compaction): CSR and CSC arrays.
        self._base = 0
        self._doc_ptr = np.zeros(1, np.int64)
        self._doc_terms = _EMPTY
        self._doc_tfs = _EMPTY
        self._term_ptr = np.zeros(1, np.int64)
        self._term_rows = _EMPTY
        self._term_tfs = _EMPTY
        # Rows added since: their terms; their postings are built when first searched.
        self._extra: list[tuple[np.ndarray, np.ndarray]] = []
        self._extra_csc: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._dead_since = 0

    @property
    def ids(self) -> list[str]:
        """Indexed chunk ids."""
        return [self._ids[i] for i in np.flatnonzero(self._alive[: len(self._ids)])]

    @property
    def n_docs(self) -> int:
        return self._n

    def doc_freq(self, term: str) -> int:
        """Chunks holding ``term`` (a stemmed keyword-index term)."""
        tid = self._vocab.get(term)
        return int(self._df[tid]) if tid is not None else 0

    def chunk_terms(self, cid: str) -> set[str] | None:
        """The distinct terms of an indexed chunk; None when it is not indexed."""
        row = self._row.get(cid)
        if row is None:
            return None
        terms, _ = self._row_terms(row)
        return {self._terms[t] for t in terms.tolist()} - {""}

    def paper_chunk_ids(self, pid: str) -> list[str]:
        """The indexed chunk ids of a paper, in reading order."""
        return [self._ids[r] for r in self._paper_rows.get(pid, [])]

    def _term_ids(self, terms: list[str]) -> np.ndarray:
        """Ids of ``terms`` in this index's vocabulary (new terms are added)."""
        out = np.empty(len(terms), dtype=np.int32)
        for i, term in enumerate(terms):
            tid = self._vocab.get(term)
            if tid is None:
                tid = self._vocab[term] = len(self._terms)
                self._terms.append(term)
            out[i] = tid
        self._df = _grow(self._df, len(self._terms))
        return out

    def _row_terms(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        if row < self._base:
            lo, hi = self._doc_ptr[row], self._doc_ptr[row + 1]
            return self._doc_terms[lo:hi], self._doc_tfs[lo:hi]
        return self._extra[row - self._base]

    # -- changes ----------------------------------------------------------------------------
    def _add_rows(self, pid: str, stamp: str, docs: list[tuple[str, np.ndarray, np.ndarray]]
                  ) -> None:
        self._drop_paper(pid)
        start = len(self._ids)
        end = start + len(docs)
        self._alive = _grow(self._alive, end)
        self._dl = _grow(self._dl, end)
        self._paper_rows[pid] = list(range(start, end))
        self.stamps[pid] = stamp
        for row, (cid, terms, tfs) in enumerate(docs, start):
            if cid in self._row:
                self._drop_row(self._row[cid])
            self._ids.append(cid)
            self._row[cid] = row
            self._alive[row] = True
            dl = int(tfs.sum())
            self._dl[row] = dl
            self._df[terms] += 1
            self._n += 1
            self._total += dl
            self._extra.append((terms, tfs))
        self._extra_csc = None

    def _drop_row(self, row: int) -> None:
        if not self._alive[row]:
            return
        terms, _ = self._row_terms(row)
        self._df[terms] -= 1
        self._alive[row] = False
        self._n -= 1
        self._total -= int(self._dl[row])
        self._row.pop(self._ids[row], None)
        self._dead_since += 1

    def _drop_paper(self, pid: str) -> None:
        for row in self._paper_rows.pop(pid, []):
            self._drop_row(row)
        self.stamps.pop(pid, None)

    def _count(self, texts: list[str]) -> tuple[list[str], list[tuple[np.ndarray, np.ndarray]]]:
        """The batch's terms, and each text's term indexes into them with frequencies."""
        if not texts:
            return [], []
        tok = tokenize(texts)
        words = sorted(tok.vocab, key=tok.vocab.__getitem__)
        lens = np.fromiter((len(r) for r in tok.ids), dtype=np.int64, count=len(texts))
        if not lens.sum():
            return words, [(_EMPTY, _EMPTY) for _ in texts]
        size = max(len(words), 1)
        flat = np.concatenate([np.asarray(r, dtype=np.int64) for r in tok.ids])
        keys = np.repeat(np.arange(len(texts), dtype=np.int64), lens) * size + flat
        unique, counts = np.unique(keys, return_counts=True)
        docs, terms = np.divmod(unique, size)
        bounds = np.searchsorted(docs, np.arange(len(texts) + 1))
        terms32, counts32 = terms.astype(np.int32), counts.astype(np.int32)
        return words, [(terms32[a:b], counts32[a:b])
                       for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def apply(self, drop: list[str], add: Papers, revision: str,
              collection: str | None = None, *, papers: dict[str, dict] | None = None,
              save: bool = True) -> None:
        """Remove papers ``drop``, index ``add`` (replacing those papers), update catalog
        entries ``papers``; the index then describes the store at ``revision``. Saved as one
        journal line (or a new snapshot when enough changed)."""
        previous = self.revision
        pids = list(add)
        words, counted = self._count([text for pid in pids for _, text in add[pid][1]])
        added: list[list[Any]] = []  # [paper id, stamp, [[chunk id, terms, tfs], ...]]
        target = collection or self.collection
        entry: dict[str, Any] = {"from": previous, "to": revision, "collection": target,
                                 "drop": drop, "vocab": words, "add": added,
                                 "papers": papers or {}}
        local = self._term_ids(words)
        docs = iter(counted)
        for pid in drop:
            self._drop_paper(pid)
            self.papers.pop(pid, None)
        for pid in pids:
            stamp, chunks = add[pid]
            rows = [(cid, *next(docs)) for cid, _ in chunks]
            added.append([pid, stamp, [[cid, t.tolist(), f.tolist()] for cid, t, f in rows]])
            self._add_rows(pid, stamp, [(cid, local[t], f) for cid, t, f in rows])
        self.papers.update(papers or {})
        self.revision = revision
        self.collection = target
        if not save:
            return
        if self._needs_compaction():
            self.save_snapshot()
            return
        self.files.append(entry)
        if self.files.journal_bytes > max(JOURNAL_MIN_BYTES, self.files.snapshot_bytes):
            self.save_snapshot()

    def _apply_entry(self, entry: dict) -> None:
        local = self._term_ids(list(entry.get("vocab", [])))
        for pid in entry["drop"]:
            self._drop_paper(pid)
            self.papers.pop(pid, None)
        for pid, stamp, docs in entry["add"]:
            self._add_rows(pid, stamp, [(cid, local[np.asarray(t, dtype=np.int64)],
                                         np.asarray(f, dtype=np.int32)) for cid, t, f in docs])
        self.papers.update(entry.get("papers") or {})
        self.revision = entry["to"]
        self.collection = entry.get("collection") or self.collection

    def rebuild(self, papers: Papers, revision: str, collection: str | None,
                catalog: dict[str, dict] | None = None, batch: int = 2000) -> None:
        """Replace everything with ``papers`` (as in :meth:`apply`) and save a snapshot."""
        self._clear()
        pending: Papers = {}
        size = 0
        for pid, (stamp, chunks) in papers.items():
            pending[pid] = (stamp, chunks)
            size += len(chunks)
            if size >= batch:
                self.apply([], pending, revision, collection, save=False)
                pending, size = {}, 0
        self.apply([], pending, revision, collection, papers=catalog, save=False)
        self.save_snapshot()

    # -- search -----------------------------------------------------------------------------
    def _extra_postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._extra_csc is None:
            if self._extra:
                lens = np.fromiter((len(t) for t, _ in self._extra), dtype=np.int64,
                                   count=len(self._extra))
                rows = np.repeat(np.arange(self._base, self._base + len(self._extra)), lens)
                terms = np.concatenate([t for t, _ in self._extra])
                tfs = np.concatenate([f for _, f in self._extra])
                self._extra_csc = _csc(rows, terms, tfs, len(self._terms))
            else:
                self._extra_csc = (np.zeros(1, np.int64), _EMPTY, _EMPTY)
        return self._extra_csc

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        parts = []
        for ptr, rows, tfs in ((self._term_ptr, self._term_rows, self._term_tfs),
                               self._extra_postings()):
            if tid < len(ptr) - 1 and ptr[tid + 1] > ptr[tid]:
                parts.append((rows[ptr[tid]:ptr[tid + 1]], tfs[ptr[tid]:ptr[tid + 1]]))
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return _EMPTY, _EMPTY
        return np.concatenate([r for r, _ in parts]), np.concatenate([f for _, f in parts])

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every row for ``terms`` (dead rows score 0)."""
        scores = np.zeros(len(self._ids), dtype=np.float32)
        if not self._n:
            return scores
        avgdl = self._total / self._n
        for term in terms:
            tid = self._vocab.get(term)
            if tid is None or self._df[tid] <= 0:
                continue
            df = int(self._df[tid])
            idf = np.float32(math.log(1 + (self._n - df + 0.5) / (df + 0.5)))
            rows, tfs = self._postings(tid)
            live = self._alive[rows]
            if not live.all():
                rows, tfs = rows[live], tfs[live]
            tf = tfs.astype(np.float64)
            tfc = tf / (K1 * ((1 - B) + B * self._dl[rows] / avgdl) + tf)
            scores[rows] += (np.float64(idf) * tfc).astype(np.float32)
        return scores

    def search(self, query: str, k: int, allowed: set[str] | None = None
               ) -> list[tuple[str, float]]:
        """Best ``k`` (chunk id, score) pairs with a positive score, optionally only ``allowed``."""
        if not self._n:
            return []
        words = query_terms(query)
        if not words:
            return []
        scores = self.scores(words)
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            rows = [self._row[c] for c in allowed if c in self._row]
            mask[np.array(rows, dtype=np.int64)] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]

    # -- compaction and persistence ------------------------------------------------------------
    def _needs_compaction(self) -> bool:
        changed = len(self._extra) + self._dead_since
        return changed >= max(COMPACT_MIN, COMPACT_SHARE * self._base)

    def _compact(self) -> None:
        """Fold added rows into the CSR/CSC arrays and drop dead rows and unused terms."""
        keep = np.flatnonzero(self._alive[: len(self._ids)])
        lens_base = np.diff(self._doc_ptr)
        nnz_rows = np.repeat(np.arange(self._base), lens_base)
        sel = self._alive[nnz_rows] if len(nnz_rows) else np.zeros(0, bool)
        extra = [self._extra[int(r) - self._base] for r in keep[keep >= self._base]]
        lens = np.concatenate([lens_base[self._alive[: self._base]],
                               np.array([len(t) for t, _ in extra], dtype=np.int64)])
        terms = np.concatenate([self._doc_terms[sel], *[t for t, _ in extra]]).astype(np.int64)
        tfs = np.concatenate([self._doc_tfs[sel], *[f for _, f in extra]]).astype(np.int32)
        used = np.flatnonzero(self._df[: len(self._terms)] > 0)
        remap = np.full(len(self._terms), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        self._terms = [self._terms[i] for i in used.tolist()]
        self._vocab = {t: i for i, t in enumerate(self._terms)}
        self._df = self._df[used].copy()
        old_ids = self._ids
        self._ids = [old_ids[i] for i in keep.tolist()]
        self._row = {cid: i for i, cid in enumerate(self._ids)}
        new_row = np.full(len(old_ids), -1, dtype=np.int64)
        new_row[keep] = np.arange(len(keep))
        for pid, rows in self._paper_rows.items():
            mapped = new_row[np.asarray(rows, dtype=np.int64)]
            self._paper_rows[pid] = mapped[mapped >= 0].tolist()
        self._dl = self._dl[keep].copy()
        self._alive = np.ones(len(keep), dtype=bool)
        doc_ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        self._set_base(doc_ptr, remap[terms].astype(np.int32), tfs)

    def _set_base(self, doc_ptr: np.ndarray, terms: np.ndarray, tfs: np.ndarray) -> None:
        self._base = len(doc_ptr) - 1
        self._doc_ptr, self._doc_terms, self._doc_tfs = doc_ptr, terms, tfs
        rows = np.repeat(np.arange(self._base, dtype=np.int32), np.diff(doc_ptr))
        self._term_ptr, self._term_rows, self._term_tfs = _csc(rows, terms, tfs, len(self._terms))
        self._extra, self._extra_csc, self._dead_since = [], None, 0

    def save_snapshot(self) -> None:
        """Compact, write the snapshot atomically and start an empty journal."""
        self._compact()
        paper_of = np.zeros(len(self._ids), dtype=np.int32)
        pids = list(self._paper_rows)
        for i, pid in enumerate(pids):
            paper_of[self._paper_rows[pid]] = i
        meta = {"revision": self.revision, "collection": self.collection, "ids": self._ids,
                "terms": self._terms, "papers": pids, "stamps": [self.stamps[p] for p in pids],
                "catalog": self.papers}
        self.files.write_snapshot(meta, {
            "paper_of": paper_of, "doc_ptr": self._doc_ptr, "doc_terms": self._doc_terms,
            "doc_tfs": self._doc_tfs, "term_ptr": self._term_ptr, "term_rows": self._term_rows,
            "term_tfs": self._term_tfs})

    def load(self) -> bool:
        """Load the snapshot and replay the journal; False when missing or unreadable."""
        self._clear()
        saved = self.files.read_snapshot()
        if saved is None:
            return False
        try:
            self._restore(*saved)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.info("keyword index inconsistent (%s): it will be rebuilt", exc)
            self._clear()
            self.files.forget()
            return False
        self.catch_up()
        return True

    def catch_up(self) -> None:
        """Apply journal lines written since (by this or another process); reload if the
        snapshot was replaced."""
        if not self.files.loaded:
            return
        if self.files.replaced():
            self.load()
            return
        for entry in self.files.new_entries():
            if entry.get("from") == self.revision:
                self._apply_entry(entry)

    def remove_files(self) -> None:
        """Delete the saved index (the in-memory one is kept)."""
        self.files.remove()

    def _restore(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Take the state of a snapshot, checking that its arrays agree."""
        paper_of, doc_ptr, doc_terms, doc_tfs = (arrays[k] for k in (
            "paper_of", "doc_ptr", "doc_terms", "doc_tfs"))
        term_ptr, term_rows, term_tfs = arrays["term_ptr"], arrays["term_rows"], arrays["term_tfs"]
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
