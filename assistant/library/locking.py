"""Locks that let several processes share one store without corrupting it.

Measured with chromadb 1.5 (embedded, Rust; separate processes, 2 cores): two processes
writing one store at once corrupt its HNSW index (15% of vectors missing, duplicate ids in
results, "Error getting embedding"). A process that opens the store, or first reads it, while
another writes can grow the index file without bound (80 GB in one run): loading the index
applies the log entries not yet saved in it, and when they pass Chroma's sync threshold (1,000)
the reader saves the index too, racing the writer. At rest the unsaved tail stays under the
threshold (writers save as they cross it), so readers that never overlap a write step only
read. A process that stays open sees new records in SQLite but not in its loaded vector index
(stale, even deleted, results) until it reopens. Hence two locks per store:

- the *writer lock* (``store_lock``): one ingest, remove or reindex at a time; a second one
  says it is waiting, then waits;
- the *data lock* (``data_lock``): a shared/exclusive lock held for each operation. Reads hold
  it shared (many readers at once); each write step holds it exclusive (a paper's chunks, a
  file record). A reader therefore waits at most one write step, never a whole ingest, and
  reopens the store when its revision changed (see ``sync``).

Both live in the store folder (embedded) or in the local cache folder of a server store (a
Chroma server serialises its own writes; the locks then only order processes on this machine).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import StoreError

WAIT_NOTICE = 0.2  # seconds before saying that we wait
DEFAULT_WAIT = 600.0


def _print_notice(message: str) -> None:
    from ..textsafe import safe_line

    print(safe_line(message), file=sys.stderr, flush=True)


notice: Callable[[str], None] = _print_notice
"""Where "waiting: ..." messages go (stderr by default; a full-screen UI may replace it)."""


# -- the writer lock ------------------------------------------------------------------------------
_writer_guards: dict[str, threading.RLock] = {}
_writer_depth: dict[str, int] = {}
_registry_lock = threading.Lock()


def _key(folder: Path) -> str:
    return str(Path(folder).expanduser().resolve())


def _guard(key: str) -> threading.RLock:
    with _registry_lock:
        return _writer_guards.setdefault(key, threading.RLock())


def _acquire_writer(folder: Path, wait: float, tell: bool) -> Callable[[], None] | None:
    """Take the writer lock of ``folder``; returns its release function, None on time-out."""
    from filelock import FileLock, Timeout

    key = _key(folder)
    guard = _guard(key)
    if not guard.acquire(timeout=min(WAIT_NOTICE, wait)):
        if tell:
            notice(f"waiting: another ingest in this process is writing to the store at {folder}")
        if not guard.acquire(timeout=max(wait - WAIT_NOTICE, 0.0)):
            return None
    if _writer_depth.get(key):
        _writer_depth[key] += 1

        def release_nested() -> None:
            _writer_depth[key] -= 1
            guard.release()

        return release_nested
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(Path(folder) / ".write.lock"))
        try:
            lock.acquire(timeout=min(WAIT_NOTICE, wait))
        except Timeout:
            if tell:
                notice(f"waiting: another process is writing to the store at {folder}")
            lock.acquire(timeout=max(wait - WAIT_NOTICE, 0.0))
    except Timeout:
        guard.release()
        return None
    except BaseException:
        guard.release()
        raise
    _writer_depth[key] = 1

    def release() -> None:
        _writer_depth[key] = 0
        lock.release()
        guard.release()

    return release


@contextlib.contextmanager
def store_lock(folder: Path | None, wait: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold the store's writer lock (re-entrant in one thread); say so when waiting for it."""
    if folder is None:
        yield
        return
    release = _acquire_writer(folder, wait, tell=True)
    if release is None:
        raise StoreError(
            f"another process has held the store's write lock for {wait:g} s ({folder})"
        )
    try:
        yield
    finally:
        release()


def holds_store_lock(folder: Path) -> bool:
    """Does this process hold the writer lock of ``folder``?"""
    return bool(_writer_depth.get(_key(folder)))


@contextlib.contextmanager
def writer_lock_if_free(folder: Path) -> Iterator[bool]:
    """Yield True holding the writer lock when it is free (or ours), else False at once.

    Used to clean up after a crash only when no other process is in the middle of writing.
    """
    release = _acquire_writer(folder, 0.0, tell=False)
    try:
        yield release is not None
    finally:
        if release is not None:
            release()


# -- the data lock --------------------------------------------------------------------------------
class DataLock:
    """A shared/exclusive lock on a file (``flock``), re-entrant per thread, one per folder.

    Within a process the lock is shared by all threads: a thread holding it exclusive may read
    (nested shared entries are free); upgrading shared to exclusive is refused.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mutex = threading.Lock()
        self._writer = threading.Lock()
        self._local = threading.local()
        self._shared_count = 0
        self._fds: dict[str, int] = {}

    def _fd(self, mode: str) -> int:
        if mode not in self._fds:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fds[mode] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        return self._fds[mode]

    def _flock(self, fd: int, op: int, what: str, wait: float) -> None:
        import fcntl

        deadline = time.monotonic() + wait
        told = False
        start = time.monotonic()
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, op | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            now = time.monotonic()
            if not told and now - start >= WAIT_NOTICE:
                notice(f"waiting: the store at {self.path.parent} is busy ({what})")
                told = True
            if now >= deadline:
                raise StoreError(f"the store was busy for {wait:g} s ({self.path.parent})")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _depth(self, name: str) -> int:
        return getattr(self._local, name, 0)

    @contextlib.contextmanager
    def shared(self, wait: float = DEFAULT_WAIT) -> Iterator[bool]:
        """Hold the lock shared; yields True for this thread's outermost hold."""
        import fcntl

        if self._depth("ex") or self._depth("sh"):
            self._local.sh = self._depth("sh") + 1
            try:
                yield False
            finally:
                self._local.sh -= 1
            return
        with self._mutex:
            if self._shared_count == 0:
                self._flock(self._fd("sh"), fcntl.LOCK_SH, "another process is writing to it", wait)
            self._shared_count += 1
        self._local.sh = 1
        try:
            yield True
        finally:
            self._local.sh = 0
            with self._mutex:
                self._shared_count -= 1
                if self._shared_count == 0:
                    fcntl.flock(self._fd("sh"), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def exclusive(self, wait: float = DEFAULT_WAIT) -> Iterator[bool]:
        """Hold the lock exclusive; yields True for this thread's outermost hold."""
        import fcntl

        if self._depth("ex"):
            self._local.ex += 1
            try:
                yield False
            finally:
                self._local.ex -= 1
            return
        if self._depth("sh"):
            raise RuntimeError("a store write inside a read section (lock upgrade)")
        if not self._writer.acquire(timeout=wait):
            raise StoreError(f"the store was busy for {wait:g} s ({self.path.parent})")
        try:
            self._flock(self._fd("ex"), fcntl.LOCK_EX, "another process is using it", wait)
            self._local.ex = 1
            try:
                yield True
            finally:
                self._local.ex = 0
                fcntl.flock(self._fd("ex"), fcntl.LOCK_UN)
        finally:
            self._writer.release()


_data_locks: dict[str, DataLock] = {}


def data_lock(folder: Path) -> DataLock:
    """The data lock of the store whose lock folder is ``folder`` (one object per process)."""
    key = _key(folder)
    with _registry_lock:
        if key not in _data_locks:
            _data_locks[key] = DataLock(Path(key) / ".data.lock")
        return _data_locks[key]
