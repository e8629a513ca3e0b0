"""How a Store stays right when several processes share it: the data lock around every
operation, revisions, reopening a stale embedded client, and the keyword index catching up.

:class:`Sharing` holds that state for one :class:`~assistant.library.store.Store`, which owns
it and wraps its methods with :func:`reads` and :func:`writes`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from ..errors import StoreError
from .chroma_client import Collections, translated
from .locking import data_lock
from .rows import chunk_index, stamp, where_in

if TYPE_CHECKING:
    from ..config import Settings
    from .keyword import KeywordIndex

log = logging.getLogger(__name__)

_FETCH_PAPERS = 200  # papers per chunk fetch when the keyword index syncs a few papers
F = TypeVar("F", bound=Callable[..., Any])


class Shared(Protocol):
    """An object whose methods :func:`reads` and :func:`writes` wrap."""

    sharing: Sharing


def reads(fn: F) -> F:
    """Run a Store method holding the data lock shared, on a fresh view of the store."""

    @functools.wraps(fn)
    def wrapper(self: Shared, *args: Any, **kwargs: Any) -> Any:
        with self.sharing.reading(), self.sharing.errors():
            return fn(self, *args, **kwargs)

    return cast(F, wrapper)


def writes(fn: F) -> F:
    """Run a Store method holding the data lock exclusive, the keyword index in step."""

    @functools.wraps(fn)
    def wrapper(self: Shared, *args: Any, **kwargs: Any) -> Any:
        with self.sharing.writing(), self.sharing.errors():
            return fn(self, *args, **kwargs)

    return cast(F, wrapper)


class Sharing:
    """One Store object's view of a store other processes share.

    It holds the data lock around each operation, remembers the revision it last saw (``seen``)
    and the one at which it last looked for half-written papers (``scanned``), tells local
    readers of new revisions through a marker file, and keeps ``keyword`` in step.
    """

    def __init__(self, settings: Settings, lock_dir: Path, chroma: Collections,
                 keyword: KeywordIndex) -> None:
        self.settings = settings
        self.lock_dir = lock_dir
        self.chroma = chroma
        self.keyword = keyword
        self.data = data_lock(lock_dir)
        self.seen: str | None = None
        self.scanned: str | None = None
        self._marker_seen: str | None = None
        self._keyword_loaded = False
        self._local = threading.local()
        self._guard = threading.RLock()

    def errors(self, what: str = "the store at") -> contextlib.AbstractContextManager[None]:
        """Chroma and connection failures become one StoreError naming the store."""
        return translated(self.settings, self.chroma.where, what)

    def open(self, schema: int) -> None:
        """Open the collections, creating the missing ones (under the exclusive lock)."""
        with self.errors("cannot open the store at"), self.data.shared():
            missing = self.chroma.connect()
            if "chunks" not in missing:
                self.seen = self.chroma.revision()
        if missing:
            with self.errors("cannot open the store at"), self.data.exclusive():
                self.chroma.create(missing, schema)
                self.seen = self.chroma.revision()
                self._touch_marker()

    # -- sections ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _depth(self) -> Iterator[bool]:
        """One thread at a time in this object (its client and keyword index change under
        it); counts nested sections and yields True for the outermost."""
        with self._guard:
            depth = getattr(self._local, "depth", 0)
            self._local.depth = depth + 1
            try:
                yield depth == 0
            finally:
                self._local.depth = depth

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the data lock shared; the outermost section first catches up with writers."""
        with self.data.shared(), self._depth() as outermost:
            if outermost:
                with self.errors():
                    self._check_revision()
            yield

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the data lock exclusive, with the store and keyword index up to date.

        A write step that completes leaves no half-written paper, so when the store was known
        clean before it, it is known clean after (``recover`` need not look again).
        """
        with self.data.exclusive(), self._depth() as outermost:
            if outermost:
                with self.errors():
                    self._check_revision()
                    self.sync_keyword(force=False)
            clean = outermost and self.known_clean()
            yield
            if clean:
                self.mark_scanned()

    def known_clean(self) -> bool:
        """Has this object looked for half-written papers at the current revision?"""
        return self.scanned == self.seen

    def mark_scanned(self) -> None:
        """This object has looked for half-written papers at the current revision."""
        self.scanned = self.seen

    # -- revisions ---------------------------------------------------------------------------
    def _check_revision(self) -> None:
        """Notice writes by others; reopen an embedded client after them.

        Embedded, writers also write the revision to ``.revision`` in the lock folder after
        each bump, so an unchanged file (one small read) spares asking Chroma.
        """
        marker = self._marker_text()
        if marker is not None and marker == self._marker_seen:
            return
        current = self.chroma.fetch_revision()
        self._marker_seen = marker
        if current == self.seen:
            return
        missing = self.chroma.connect()
        if missing:
            raise StoreError(f"the store at {self.chroma.where} lost its {', '.join(missing)} "
                             "collection(s) while open; run the command again")
        self.seen = current

    @property
    def revision(self) -> str:
        """The store revision this object last saw (or wrote)."""
        return self.seen or ""

    def bump_revision(self) -> str:
        """Mark the store changed before writing, so a stale keyword index is always detected."""
        self.seen = self.chroma.new_revision()
        self._touch_marker()
        return self.seen

    def _marker_text(self) -> str | None:
        if self.settings.store.url:
            return None  # other machines do not touch our file: ask the server
        try:
            return (self.lock_dir / ".revision").read_text() or None
        except (OSError, ValueError):  # missing or damaged: only a hint, so ask Chroma
            return None

    def _touch_marker(self) -> None:
        """Tell local readers the revision changed (they then ask Chroma which it is)."""
        if self.settings.store.url:
            return
        tmp = self.lock_dir / f".revision.{uuid.uuid4().hex}"
        tmp.write_text(self.seen or "")
        os.replace(tmp, self.lock_dir / ".revision")
        self._marker_seen = self._marker_text()

    # -- keyword index -----------------------------------------------------------------------
    def sync_keyword(self, force: bool) -> None:
        """Bring the keyword index to the store's revision (the data lock held): replay what
        other processes journaled, else sync the papers whose stamps differ, else rebuild.
        ``force`` compares stamps even when the revisions agree."""
        kw = self.keyword
        if self._keyword_loaded:
            kw.catch_up()
        else:
            kw.load()
            self._keyword_loaded = True
        collection = str(self.chroma.chunks.id)
        if kw.revision is None or kw.collection not in (None, collection):
            self._rebuild_keyword(self.chroma.complete_papers())
            return
        if kw.revision == self.seen and not force:
            return
        metas = self.chroma.complete_papers()
        stamps = {pid: stamp(m) for pid, m in metas.items()}
        drop = [pid for pid, s in kw.stamps.items() if stamps.get(pid) != s]
        fetch = [pid for pid, s in stamps.items() if kw.stamps.get(pid) != s]
        if len(fetch) > max(500, len(stamps) // 3):
            self._rebuild_keyword(metas)
            return
        if drop or fetch:
            log.info("keyword index: syncing %d changed paper(s)", len(set(drop) | set(fetch)))
        stale = [pid for pid in kw.papers if pid not in metas]
        kw.apply(sorted(set(drop) | set(stale)), self._paper_texts(fetch, stamps),
                 self.seen or "", collection, papers=metas)
        self.scanned = None  # the chain was broken: look for half-written papers again

    def _rebuild_keyword(self, metas: dict[str, dict[str, Any]]) -> None:
        from .chunking import embed_text

        log.info("keyword index: rebuilding from the store")
        papers: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        for cid, doc, meta in self.chroma.iter_chunks():
            pid = str(meta.get("paper_id", ""))
            if pid in metas:
                entry = papers.setdefault(pid, (stamp(metas[pid]), []))
                entry[1].append((cid, embed_text(str(meta.get("title", "")), doc or "")))
        self.keyword.rebuild(papers, self.seen or "", str(self.chroma.chunks.id), catalog=metas)
        self.scanned = None

    def _paper_texts(self, pids: list[str], stamps: dict[str, str]
                     ) -> dict[str, tuple[str, list[tuple[str, str]]]]:
        """Indexed texts of these papers' chunks, in reading order."""
        from .chunking import embed_text

        rows: dict[str, list[tuple[int, str, str]]] = {pid: [] for pid in pids}
        for start in range(0, len(pids), _FETCH_PAPERS):
            part = pids[start : start + _FETCH_PAPERS]
            got = self.chroma.chunks.get(where=where_in("paper_id", part),
                                         include=["documents", "metadatas"])
            for cid, doc, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                text = embed_text(str(m.get("title", "")), doc or "")
                rows[str(m["paper_id"])].append((chunk_index(m), cid, text))
        return {pid: (stamps[pid], [(cid, text) for _, cid, text in sorted(rows[pid])])
                for pid in pids}
