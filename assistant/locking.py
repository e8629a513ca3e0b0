"""A write lock per embedded store, so two processes never write it at once."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from .errors import StoreError


@contextlib.contextmanager
def store_lock(folder: Path | None, wait: float = 600.0) -> Iterator[None]:
    """Hold the store's write lock; tell the user when another process has it, then wait."""
    if folder is None:  # a Chroma server serialises writes itself
        yield
        return
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / ".write.lock"))
    try:
        lock.acquire(timeout=0.2)
    except Timeout:
        print(f"waiting: another process is writing to the store at {folder}", file=sys.stderr)
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise StoreError(
                f"another process has held the store's write lock for {wait:g} s ({folder})"
            ) from None
    try:
        yield
    finally:
        lock.release()
