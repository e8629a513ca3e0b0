"""The library: one object that owns the store, the embedding model and the chunker, and adds,
lists, finds, removes and rebuilds papers. Components are built on first use, so making a
Library is instant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ..config import Settings
    from ..types import IngestReport, Paper, Passage
    from .chunking import Chunker
    from .embedding import Embedder
    from .ingestor import Progress
    from .store import Store

__all__ = ["Library"]


class Library:
    """The papers in the store folder ``store_dir`` (or the server ``settings.store.url``)."""

    def __init__(self, settings: Settings, store_dir: Path, *,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store_dir = store_dir
        self._embedder = embedder

    def _check_folder(self) -> None:
        """The store path must be a folder (or not exist yet): one clear line otherwise."""
        from ..errors import StoreError

        if self.store_dir.exists() and not self.store_dir.is_dir():
            raise StoreError(f"the store path {self.store_dir} is not a folder")

    # -- components ------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedding model: the one handed in, else the configured one (made on first use)."""
        if self._embedder is None:
            from .embedding import make_embedder

            self._embedder = make_embedder(self.settings.embedding)
        return self._embedder

    @cached_property
    def chunker(self) -> Chunker:
        from .chunking import Chunker

        c = self.settings.chunking
        return Chunker(self.embedder.tokenizer, c.max_tokens, c.overlap)

    @cached_property
    def store(self) -> Store:
        from .reindex import finish_interrupted_swap
        from .store import Store

        self._check_folder()
        finish_interrupted_swap(self.settings, self.store_dir)
        return Store(self.settings, self.store_dir, self.embedder.name, self.embedder.dim)

    def pending_reindex(self) -> str | None:
        """A notice when a reindex of this library is under way or was interrupted."""
        from .reindex import pending

        self._check_folder()
        return pending(self.settings, self.store_dir)

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """One writer per store (a server store: per machine); a second waits, saying why."""
        from .locking import store_lock
        from .store import lock_folder

        self._check_folder()
        with store_lock(lock_folder(self.settings, self.store_dir)):
            yield

    # -- reading ---------------------------------------------------------------------------------
    def papers(self) -> list[Paper]:
        """Every paper in the library, by title."""
        return self.store.list_papers()

    def paper(self, ref: str) -> Paper:
        """The paper a REF names: id, source path, or title (exact, prefix, fuzzy)."""
        from .resolve import resolve_ref

        return resolve_ref(ref, self.papers())

    def paper_chunks(self, paper_id: str) -> list[Passage]:
        """A paper's chunks in reading order."""
        return self.store.paper_chunks(paper_id)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``."""
        return self.embedder.embed(texts)

    # -- writing ---------------------------------------------------------------------------------
    def ingest(self, paths: list[str | Path], progress: Progress | None = None) -> IngestReport:
        """Add files and folders (recursively); unchanged files are skipped."""
        with self.write_lock():
            return self.add_files(paths, progress)

    def add_files(self, paths: list[str | Path], progress: Progress | None = None
                  ) -> IngestReport:
        """:meth:`ingest` for a caller that holds the write lock already."""
        from .ingestor import Ingestor

        max_bytes = int(self.settings.store.max_file_mb * 1e6)
        self.store.recover()  # a writer cleans up what an interrupted one left
        return Ingestor(self.store, self.embedder, self.chunker, max_bytes).run(paths, progress)

    def remove(self, ref: str) -> Paper:
        """Remove a paper and its chunks. The records of the files that held it are forgotten
        (a file that held only it) or lose their content hash (a file that also holds other
        papers), so ingesting the file again reads it and adds back just this paper."""
        paper = self.paper(ref)
        with self.write_lock():
            store = self.store
            for record in store.file_records().values():
                if paper.id in record.paper_ids:
                    record.paper_ids.remove(paper.id)
                    if record.paper_ids:
                        # No hash matches "": the next ingest re-reads the file; its other
                        # papers are unchanged there (same text), so only this one is added.
                        store.put_file(replace(record, sha256=""))
                    else:
                        store.delete_file(record.path)
            store.delete_paper(paper.id)
            store.sync_keyword_index()
        return paper

    def reindex(self, progress: Progress | None = None) -> IngestReport:
        """Rebuild the library with the current embedding and chunk settings (beside the old
        one, which readers keep seeing until the new one is verified and swapped in)."""
        from .reindex import rebuild

        with self.write_lock():
            self.__dict__.pop("store", None)
            try:
                return rebuild(self, progress)
            finally:
                self.__dict__.pop("store", None)  # reopened on next use, over the new collections
