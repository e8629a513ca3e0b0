"""Rebuild the library under the current embedding and chunk settings, losing nothing.

The new library is built beside the old one, in its own collections (``<name>.reindex-*``),
while the old one stays whole and readable:

1. the papers of the old library are the ones to keep, exactly: their source files are read
   again into the new collections; papers a file gives that the old library did not hold (a
   paper removed from a listing file) are dropped again;
2. a paper no file gave back (its file is gone, no longer reads, or no longer holds it) keeps
   its stored text: its old chunks are joined back into blocks and re-embedded; each such
   paper is reported as a warning;
3. every kept paper is verified present, complete and with all its chunks in the new
   collections; only then
4. the swap, under the exclusive data lock: old collections renamed aside, new ones renamed
   into place, the keyword index moved along, the old collections dropped.

``reindex.json`` in the lock folder records the phase. An interrupted build leaves the old
library untouched (every command says a reindex is pending, and ``assistant reindex`` resumes:
files already read into the new collections are not read again). An interrupted swap is
finished by the next process that opens the library (it takes no embedding, only renames).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import StoreError, StoreMismatchError
from ..types import Block, PaperDoc
from .rows import chunk_index

if TYPE_CHECKING:
    from ..config import Settings
    from ..types import IngestReport
    from .chunking import Chunker
    from .embedding import Embedder
    from .ingestor import Progress
    from .store import Store

log = logging.getLogger(__name__)

STATE = "reindex.json"
LEGACY_BACKUP = "reindex-backup.jsonl"  # an interrupted reindex of earlier versions
KINDS = ("papers", "chunks", "files")
_PAGE = 2000


class Library(Protocol):
    """What a rebuild needs of the library (:class:`assistant.library.Library`)."""

    settings: Settings
    store_dir: Path

    def __init__(self, settings: Settings, store_dir: Path, *,
                 embedder: Embedder | None = None) -> None: ...
    @property
    def store(self) -> Store: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def chunker(self) -> Chunker: ...
    def add_files(self, paths: list[str | Path], progress: Progress | None = None
                  ) -> IngestReport: ...


# -- names and state ---------------------------------------------------------------------------
def _names(settings: Settings, part: str = "") -> dict[str, str]:
    """Collection names of the library (``part`` "": live, "reindex": new, "old": aside)."""
    base = settings.store.name + (f".{part}" if part else "")
    return {kind: f"{base}-{kind}" for kind in KINDS}


def _shadow_settings(settings: Settings) -> Settings:
    """The same settings, naming the collections the new library is built in."""
    store = settings.store.model_copy(update={"name": f"{settings.store.name}.reindex"})
    return settings.model_copy(update={"store": store})


def _lock_dir(settings: Settings, store_dir: Path) -> Path:
    from .chroma_client import lock_folder

    return Path(lock_folder(settings, store_dir))


def _state_path(settings: Settings, store_dir: Path) -> Path:
    return _lock_dir(settings, store_dir) / STATE


def _read_state(settings: Settings, store_dir: Path) -> dict[str, Any] | None:
    path = _state_path(settings, store_dir)
    try:
        state = json.loads(path.read_text())
    except OSError:  # none (or no folder to hold one)
        return None
    except ValueError:
        state = {"phase": "build"}  # damaged: the old library is the truth until the swap
    return state if isinstance(state, dict) else {"phase": "build"}


def _write_state(settings: Settings, store_dir: Path, phase: str) -> None:
    path = _state_path(settings, store_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{STATE}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps({"phase": phase, "name": settings.store.name}))
    os.replace(tmp, path)


def pending(settings: Settings, store_dir: Path) -> str | None:
    """A one-line notice when a reindex of this library is under way or was interrupted."""
    state = _read_state(settings, store_dir)
    legacy = (Path(store_dir) / LEGACY_BACKUP).exists()
    if state is None and not legacy:
        return None
    from .locking import writer_lock_if_free

    with writer_lock_if_free(_lock_dir(settings, store_dir)) as free:
        if not free:
            return ("a reindex is pending: under way in another process, or interrupted (then "
                    "run `assistant reindex` to complete it); until then the library is shown "
                    "as it was before")
    return ("an interrupted reindex is pending: run `assistant reindex` to complete it "
            "(until then the library is shown as it was before)")


def finish_interrupted_swap(settings: Settings, store_dir: Path) -> None:
    """Complete a swap a killed reindex left half-done (called before the store opens)."""
    state = _read_state(settings, store_dir)
    if not state or state.get("phase") != "swap":
        return
    from .chroma_client import translated
    from .locking import data_lock, writer_lock_if_free

    with writer_lock_if_free(_lock_dir(settings, store_dir)) as free:
        if not free:
            return  # the reindex doing it is alive: opening waits for its data lock
        with data_lock(_lock_dir(settings, store_dir)).exclusive(), \
                translated(settings, settings.store.url or str(store_dir)):
            _swap(settings, store_dir)


# -- the old library ---------------------------------------------------------------------------
class _OldLibrary:
    """The papers to keep, read without a signature check: from the live collections, or from
    an earlier version's interrupted-reindex backup."""

    def __init__(self, settings: Settings, store_dir: Path) -> None:
        self.settings = settings
        self.papers: dict[str, dict[str, Any]] = {}
        self._legacy: dict[str, list[dict[str, Any]]] = {}
        backup = Path(store_dir) / LEGACY_BACKUP
        if backup.exists():
            for line in backup.read_text().splitlines():
                if line.strip():
                    record = json.loads(line)
                    self.papers[record["id"]] = record["meta"]
                    self._legacy[record["id"]] = record["blocks"]
            return
        from .chroma_client import client as open_client

        client = open_client(settings, store_dir)
        names = _names(settings)
        existing = {getattr(c, "name", c) for c in client.list_collections()}
        if names["papers"] not in existing or names["chunks"] not in existing:
            return
        papers: Any = client.get_collection(names["papers"], embedding_function=None)
        got = papers.get(where={"complete": True}, include=["metadatas"])
        self.papers = {pid: dict(m or {}) for pid, m in zip(got["ids"], got["metadatas"],
                                                            strict=True)}

    def sources(self) -> list[str]:
        """Every source file of a kept paper that still exists."""
        found = {s for m in self.papers.values() for s in json.loads(m.get("sources", "[]"))}
        return sorted(s for s in found if os.path.lexists(s))

    def doc(self, pid: str, client: Any) -> PaperDoc:
        """A kept paper rebuilt from its stored chunks (overlaps between chunks removed), read
        through ``client`` (the new library's: one embedded client per process)."""
        meta = self.papers[pid]
        if pid in self._legacy:
            blocks = [Block(b["text"], b.get("page"), b.get("section"))
                      for b in self._legacy[pid]]
        else:
            chunks = client.get_collection(_names(self.settings)["chunks"],
                                           embedding_function=None)
            got = chunks.get(where={"paper_id": pid}, include=["documents", "metadatas"])
            rows = sorted(zip(got["documents"], got["metadatas"], strict=True),
                          key=lambda r: chunk_index(r[1] or {}))
            blocks = _join_chunks([(d or "", m or {}) for d, m in rows])
        return PaperDoc(title=str(meta.get("title", "")), blocks=blocks,
                        source=str(meta.get("text_source", "")), kind=str(meta.get("kind", "")))


def _join_chunks(rows: list[tuple[str, dict[str, Any]]]) -> list[Block]:
    """Blocks from chunks in reading order: a chunk continues the block before it when page and
    section agree and its span starts inside or after the block's last chunk; the overlap the
    chunker repeated is cut when the texts agree on it."""
    blocks: list[Block] = []
    last: tuple[Any, Any, int, int] | None = None  # page, section, start, end of previous
    parts: list[str] = []
    for text, m in rows:
        page = int(m.get("page") or 0) or None
        section = str(m.get("section") or "") or None
        start, end = int(m.get("start", 0) or 0), int(m.get("end", 0) or 0)
        if last and (page, section) == last[:2] and start >= last[2]:
            overlap = last[3] - start
            if 0 < overlap < len(text) and parts[-1].endswith(text[:overlap]):
                parts.append(text[overlap:])
            else:
                parts.append(" " + text)
        else:
            if parts:
                blocks.append(Block("".join(parts), last[0], last[1]))  # type: ignore[index]
            parts = [text]
        last = (page, section, start, end)
    if parts and last:
        blocks.append(Block("".join(parts), last[0], last[1]))
    return blocks


# -- the rebuild -------------------------------------------------------------------------------
def rebuild(library: Library, progress: Progress | None = None) -> IngestReport:
    """Rebuild into new collections, verify, swap (the caller holds the writer lock)."""
    from .chroma_client import translated

    settings = library.settings
    with translated(settings, settings.store.url or str(library.store_dir)):
        return _rebuild(library, progress)


def _rebuild(library: Library, progress: Progress | None) -> IngestReport:
    from ..types import IngestReport as Report

    settings, store_dir = library.settings, Path(library.store_dir)
    store_dir.mkdir(parents=True, exist_ok=True)
    state = _read_state(settings, store_dir)
    if state and state.get("phase") == "swap":  # killed while swapping: only finish it
        _swap_locked(settings, store_dir)
        return _totals(library, Report())
    old = _OldLibrary(settings, store_dir)
    _write_state(settings, store_dir, "build")
    shadow = _open_shadow(library)
    sources = old.sources()
    report = shadow.add_files(list(sources), progress) if sources else Report()
    store = shadow.store
    _drop_extra(store, set(old.papers))
    report.warnings += _restore_missing(shadow, store, old, report)
    _verify(store, old.papers)
    store.sync_keyword_index(force=True)
    report.failed = []  # their papers were kept (warnings above)
    _swap_locked(settings, store_dir)
    with contextlib.suppress(OSError):
        (store_dir / LEGACY_BACKUP).unlink()
    return _totals(library, report)


def _totals(library: Library, report: IngestReport) -> IngestReport:
    library.__dict__.pop("store", None)  # reopened over the new collections
    report.papers_total = library.store.count_papers()
    report.chunks_total = library.store.count_chunks()
    return report


def _open_shadow(library: Library) -> Any:
    """A Library on the new collections, sharing the embedding model; a half-built one left
    under other settings is dropped and started again."""
    shadow = type(library)(_shadow_settings(library.settings), library.store_dir,
                           embedder=library.embedder)
    try:
        shadow.store  # noqa: B018 - opens (or creates) the collections
    except StoreMismatchError:
        _drop_collections(shadow.settings, library.store_dir, _names(shadow.settings))
        shadow.__dict__.pop("store", None)
        shutil.rmtree(_keyword_folder(shadow.settings, library.store_dir), ignore_errors=True)
        shadow.store  # noqa: B018
    return shadow


def _drop_extra(store: Store, keep: set[str]) -> None:
    """Papers the files gave that the old library did not hold (removed ones) go again."""
    extra = [p.id for p in store.list_papers() if p.id not in keep]
    if not extra:
        return
    log.info("reindex: dropping %d paper(s) removed from the library before", len(extra))
    for record in store.file_records().values():
        if set(record.paper_ids) & set(extra):
            record.paper_ids = [p for p in record.paper_ids if p not in extra]
            store.put_file(record)
    for pid in extra:
        store.delete_paper(pid)


def _restore_missing(shadow: Any, store: Store, old: _OldLibrary, report: IngestReport
                     ) -> list[str]:
    """Re-embed, from their stored text, the kept papers no file gave back; one warning each."""
    from .ingestor import Ingestor

    have = {p.id for p in store.list_papers()}
    missing = [pid for pid in old.papers if pid not in have]
    failed = {f.path: f.error for f in report.failed}
    told: set[str] = set()
    warnings: list[str] = []
    ing = Ingestor(store, shadow.embedder, shadow.chunker, max_bytes=1 << 62)
    for pid in missing:
        meta = old.papers[pid]
        doc = old.doc(pid, store.chroma.client)
        sources = json.loads(meta.get("sources", "[]"))
        told.update(s for s in sources if s in failed)
        why = next((f"{s}: {failed[s]}" for s in sources if s in failed), None)
        if why is None:
            gone = [s for s in sources if not os.path.lexists(s)]
            why = (f"its file is gone ({gone[0]})" if gone and len(gone) == len(sources)
                   else "its files no longer hold it")
        warnings.append(f"'{doc.title[:80]}' kept with its stored text: the source could not "
                        f"be read again ({why})")
        ing.restore(pid, doc, {k: v for k, v in meta.items() if k not in ("since", "span")})
    return warnings + [f"{path}: could not be read again ({error})"
                       for path, error in failed.items() if path not in told]


def _verify(store: Store, kept: dict[str, dict[str, Any]]) -> None:
    """Every kept paper is complete in the new collections with all its chunks, or the
    rebuild stops here (the old library untouched)."""
    papers = store.papers.get(where={"complete": True}, include=["metadatas"])
    counts = dict(zip(papers["ids"], (int((m or {}).get("chunks", 0)) for m in
                                      papers["metadatas"]), strict=True))
    found: dict[str, int] = {}
    ids = list(kept)
    for start in range(0, len(ids), 200):
        got = store.chunks.get(where={"paper_id": {"$in": ids[start:start + 200]}},
                               include=["metadatas"])
        for m in got["metadatas"]:
            pid = str((m or {}).get("paper_id"))
            found[pid] = found.get(pid, 0) + 1
    bad = [pid for pid in kept if pid not in counts or found.get(pid, 0) != counts[pid]
           or not counts[pid]]
    extra = set(counts) - set(kept)
    if bad or extra:
        titles = ", ".join(repr(str(kept[p].get("title", p))[:60]) for p in bad[:3])
        also = " and found papers it should not hold" if extra else ""
        raise StoreError(f"reindex could not rebuild {len(bad)} paper(s) ({titles}){also}; "
                         "the library is unchanged: run `assistant reindex` again")


# -- the swap ----------------------------------------------------------------------------------
def _swap_locked(settings: Settings, store_dir: Path) -> None:
    from .locking import data_lock

    with data_lock(_lock_dir(settings, store_dir)).exclusive():
        _write_state(settings, store_dir, "swap")
        _swap(settings, store_dir)


def _swap(settings: Settings, store_dir: Path) -> None:
    """Put the new collections in place of the old (idempotent: a rerun finishes a half-done
    swap). The caller holds the data lock exclusive."""
    from .chroma_client import client as open_client

    client = open_client(settings, store_dir)
    live, new, aside = _names(settings), _names(settings, "reindex"), _names(settings, "old")
    for kind in KINDS:
        existing = {getattr(c, "name", c) for c in client.list_collections()}
        if new[kind] not in existing:
            continue  # already in place
        if live[kind] in existing:
            if aside[kind] in existing:  # the live name was made again after it was put aside
                stray = client.get_collection(live[kind], embedding_function=None)
                if stray.count():
                    raise StoreError(f"cannot finish the reindex: both {live[kind]} and "
                                     f"{aside[kind]} hold data")
                client.delete_collection(live[kind])
            else:
                client.get_collection(live[kind], embedding_function=None).modify(
                    name=aside[kind])
        client.get_collection(new[kind], embedding_function=None).modify(name=live[kind])
    _move_keyword_index(settings, store_dir)
    chunks = client.get_collection(live["chunks"], embedding_function=None)
    _touch_marker(settings, store_dir, str((chunks.metadata or {}).get("revision", "")))
    _drop_collections(settings, store_dir, aside)
    with contextlib.suppress(OSError):
        _state_path(settings, store_dir).unlink()


def _keyword_folder(settings: Settings, store_dir: Path) -> Path:
    from .chroma_client import server_cache

    if not settings.store.url:
        return Path(store_dir) / f"keyword-{settings.store.name}"
    return server_cache(settings) / "keyword"


def _move_keyword_index(settings: Settings, store_dir: Path) -> None:
    """The new library's keyword index becomes the live one (a missing one is rebuilt)."""
    src = _keyword_folder(_shadow_settings(settings), store_dir)
    dst = _keyword_folder(settings, store_dir)
    if not src.exists():
        return
    shutil.rmtree(dst, ignore_errors=True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _touch_marker(settings: Settings, store_dir: Path, revision: str) -> None:
    """Tell local readers the store changed (see ``sync``: the ``.revision`` file)."""
    if settings.store.url:
        return
    folder = _lock_dir(settings, store_dir)
    tmp = folder / f".revision.{uuid.uuid4().hex}"
    tmp.write_text(revision)
    os.replace(tmp, folder / ".revision")


def _drop_collections(settings: Settings, store_dir: Path, names: dict[str, str]) -> None:
    from .chroma_client import client as open_client

    client = open_client(settings, store_dir)
    existing = {getattr(c, "name", c) for c in client.list_collections()}
    for name in names.values():
        if name in existing:
            client.delete_collection(name)
