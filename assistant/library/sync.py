"""How a Store stays right when several processes share it: locks around every operation,
revisions, reopening a stale embedded client, and the keyword index catching up."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import AssistantError, StoreError
from .chroma_client import client, collection_names, reason, server_error
from .rows import stamp, where_in

if TYPE_CHECKING:
    import threading

    from ..config import Settings
    from .keyword import KeywordIndex
    from .locking import DataLock

log = logging.getLogger(__name__)

_READ_PAGE = 5000
_FETCH_PAPERS = 200  # papers per chunk fetch when the keyword index syncs a few papers
F = TypeVar("F", bound=Callable[..., Any])


def reads(fn: F) -> F:
    """Run a Store method holding the data lock shared, on a fresh view of the store."""

    @functools.wraps(fn)
    def wrapper(self: Syncing, *args: Any, **kwargs: Any) -> Any:
        with self.reading(), self._errors():
            return fn(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def writes(fn: F) -> F:
    """Run a Store method holding the data lock exclusive, the keyword index in step."""

    @functools.wraps(fn)
    def wrapper(self: Syncing, *args: Any, **kwargs: Any) -> Any:
        with self.writing(), self._errors():
            return fn(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Syncing:
    """The sharing half of :class:`~assistant.store.Store` (a mixin)."""

    settings: Settings
    folder: Any
    where: str
    lock_dir: Any
    data: DataLock
    keyword: KeywordIndex
    client: Any
    chunks: Any
    papers: Any
    _seen: str | None
    _scanned: str | None
    _marker_seen: str | None
    _keyword_loaded: bool
    _local: threading.local
    _guard: threading.RLock

    def _open_collections(self) -> list[str]:  # pragma: no cover - Store defines it
        raise NotImplementedError

    @contextlib.contextmanager
    def _errors(self, what: str = "the store at") -> Iterator[None]:
        """Chroma and connection failures become one StoreError naming the store."""
        import httpx
        from chromadb.errors import ChromaError

        try:
            yield
        except AssistantError:
            raise
        except (httpx.TransportError, ConnectionError) as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {self.where}: {reason(exc)}"
            ) from None
        except Exception as exc:
            # chromadb's HTTP client raises a bare Exception for server errors it has no class for
            server = self.settings.store.url and type(exc) is Exception
            if server or isinstance(exc, ChromaError | httpx.HTTPError | OSError | ValueError):
                if self.settings.store.url:
                    raise server_error(self.settings, exc, what + " {url} failed") from None
                raise StoreError(f"{what} {self.where} failed: {reason(exc)}") from None
            raise

    # -- sharing ---------------------------------------------------------------------------------
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
                with self._errors():
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
                with self._errors():
                    self._check_revision()
                    self._sync_keyword(force=False)
            clean = outermost and self._scanned == self._seen
            yield
            if clean:
                self._scanned = self._seen

    def _meta_revision(self) -> str:
        return str((self.chunks.metadata or {}).get("revision", ""))

    def _check_revision(self) -> None:
        """Notice writes by others; reopen an embedded client after them.

        Embedded, writers also write the revision to ``.revision`` in the lock folder after
        each bump, so an unchanged file (one small read) spares asking Chroma.
        """
        marker = self._marker_text()
        if marker is not None and marker == self._marker_seen:
            return
        name = collection_names(self.settings)["chunks"]
        self.chunks = self.client.get_collection(name, embedding_function=None)
        current = self._meta_revision()
        self._marker_seen = marker
        if current == self._seen:
            return
        if not self.settings.store.url:
            self.client = client(self.settings, self.folder, fresh=True)
        missing = self._open_collections()
        if missing:
            raise StoreError(f"the store at {self.where} lost its {', '.join(missing)} "
                             "collection(s) while open; run the command again")
        self._seen = current

    @property
    def revision(self) -> str:
        """The store revision this object last saw (or wrote)."""
        return self._seen or ""

    def _bump_revision(self) -> str:
        """Mark the store changed before writing, so a stale keyword index is always detected."""
        meta = dict(self.chunks.metadata or {})
        meta["revision"] = uuid.uuid4().hex
        self.chunks.modify(metadata=meta)
        self._seen = meta["revision"]
        self._touch_marker()
        return meta["revision"]

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
        tmp.write_text(self._seen or "")
        os.replace(tmp, self.lock_dir / ".revision")
        self._marker_seen = self._marker_text()

    def begin_write(self) -> None:
        """Kept for callers: every write step now marks the store changed by itself."""

    # -- keyword index -----------------------------------------------------------------------
    def sync_keyword_index(self, force: bool = False) -> None:
        """Bring the keyword index to the store's revision: replay what other processes
        journaled, else sync the papers whose stamps differ, else rebuild. ``force`` compares
        stamps even when the revisions agree."""
        with self.reading(), self._errors():
            self._sync_keyword(force)

    def _sync_keyword(self, force: bool) -> None:
        kw = self.keyword
        if self._keyword_loaded:
            kw.catch_up()
        else:
            kw.load()
            self._keyword_loaded = True
        collection = str(self.chunks.id)
        if kw.revision is None or kw.collection not in (None, collection):
            self._rebuild_keyword(self._catalog())
            return
        if kw.revision == self._seen and not force:
            return
        metas = self._catalog()
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
                 self._seen or "", collection, papers=metas)
        self._scanned = None  # the chain was broken: look for half-written papers again

    def _rebuild_keyword(self, metas: dict[str, dict[str, Any]]) -> None:
        from .chunking import embed_text

        log.info("keyword index: rebuilding from the store")
        papers: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        for cid, doc, meta in self._iter_chunks():
            pid = str(meta.get("paper_id", ""))
            if pid in metas:
                entry = papers.setdefault(pid, (stamp(metas[pid]), []))
                entry[1].append((cid, embed_text(str(meta.get("title", "")), doc or "")))
        self.keyword.rebuild(papers, self._seen or "", str(self.chunks.id), catalog=metas)
        self._scanned = None

    def _catalog(self) -> dict[str, dict[str, Any]]:
        """Metadata of the complete papers, from Chroma (slow: ~0.2 ms a paper, embedded)."""
        got = self.papers.get(where={"complete": True}, include=["metadatas"])
        return dict(zip(got["ids"], got["metadatas"], strict=True))

    def _paper_texts(self, pids: list[str], stamps: dict[str, str]
                     ) -> dict[str, tuple[str, list[tuple[str, str]]]]:
        """Indexed texts of these papers' chunks, in reading order."""
        from .chunking import embed_text

        rows: dict[str, list[tuple[int, str, str]]] = {pid: [] for pid in pids}
        for start in range(0, len(pids), _FETCH_PAPERS):
            part = pids[start : start + _FETCH_PAPERS]
            got = self.chunks.get(where=where_in("paper_id", part),
                                  include=["documents", "metadatas"])
            for cid, doc, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                text = embed_text(str(m.get("title", "")), doc or "")
                rows[str(m["paper_id"])].append((int(m.get("index", 0)), cid, text))
        return {pid: (stamps[pid], [(cid, text) for _, cid, text in sorted(rows[pid])])
                for pid in pids}

    def _iter_chunks(self) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        total = self.chunks.count()
        for offset in range(0, total, _READ_PAGE):
            got = self.chunks.get(include=["documents", "metadatas"], limit=_READ_PAGE,
                                  offset=offset)
            yield from zip(got["ids"], got["documents"], got["metadatas"], strict=True)

    @reads
    def all_chunk_texts(self) -> tuple[list[str], list[str]]:
        """Every chunk id with the text that is indexed for it (title + chunk text)."""
        from .chunking import embed_text

        ids: list[str] = []
        texts: list[str] = []
        for cid, doc, meta in self._iter_chunks():
            ids.append(cid)
            texts.append(embed_text(str(meta.get("title", "")), doc or ""))
        return ids, texts
