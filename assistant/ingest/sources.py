"""Expand files and folders into the files to read: recursive, sorted, the store and hidden
entries skipped."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.types import FileFailure, Skipped

from .fsutil import not_regular_reason, os_reason
from .managed import ZOTERO_DB

__all__ = ["iter_sources"]

_Key = tuple[int, int]
_Found = Iterator[Path | FileFailure | Skipped]


def _stat(path: Path) -> os.stat_result | FileFailure:
    try:
        return path.stat()
    except FileNotFoundError:
        reason = "broken symbolic link" if path.is_symlink() else "no such file or directory"
        return FileFailure(str(path), reason)
    except OSError as exc:
        return FileFailure(str(path), os_reason(exc))


def _key(path: Path) -> _Key | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class _Walk:
    """One walk: the files seen (each yielded once), the folders to skip."""

    def __init__(self, skip: Iterable[str | Path]) -> None:
        self.seen: set[_Key] = set()
        self.skip = {k for k in map(_key, map(Path, skip)) if k is not None}

    def visit(self, path: Path) -> _Found:
        """``path`` and, for a folder, everything under it, depth first in sorted order; an
        explicit stack, so any depth works (700 nested folders overflowed the recursion)."""
        stack: list[tuple[Path, frozenset[_Key]]] = [(path, frozenset())]
        while stack:
            path, ancestors = stack.pop()
            st = _stat(path)
            if isinstance(st, FileFailure):
                yield st
                continue
            key = (st.st_dev, st.st_ino)
            if key in self.skip:
                yield Skipped(str(path), "the library's own store")
                continue
            if stat.S_ISDIR(st.st_mode):
                if key in ancestors:
                    yield FileFailure(str(path), "symlink loop")
                    continue
                names = self._names(path)
                if isinstance(names, FileFailure):
                    yield names
                    continue
                if ZOTERO_DB in names:  # a Zotero data folder: read through its database
                    names = [ZOTERO_DB]
                inner = ancestors | {key}
                hidden = [n for n in names if n.startswith(".")]
                for name in hidden:
                    yield Skipped(str(path / name), "hidden (name it to ingest it)")
                shown = [n for n in names if not n.startswith(".")]
                stack.extend((path / n, inner) for n in reversed(shown))
                continue
            reason = not_regular_reason(path, st)
            if reason:
                yield FileFailure(str(path), reason)
            elif key not in self.seen:  # the same file reached twice (named twice, a link)
                self.seen.add(key)
                yield path

    @staticmethod
    def _names(folder: Path) -> list[str] | FileFailure:
        try:
            with os.scandir(folder) as it:
                return sorted(entry.name for entry in it)
        except OSError as exc:
            return FileFailure(str(folder), os_reason(exc))


def iter_sources(paths: Iterable[str | Path], skip: Iterable[str | Path] = ()
                 ) -> Iterator[Path | FileFailure | Skipped]:
    """Each file named, and every file under each folder named, in sorted order.

    Of a Zotero data folder (one holding zotero.sqlite) only the database is read: it names
    the attachment files. Inside a folder, hidden files and folders (``.git``) are passed over
    unless named themselves, and so is any folder in ``skip`` (the store: ingesting ``.`` must
    not read the library's own files); each comes out as a Skipped item. Problems (no such
    path, a symlink loop, an unreadable folder, a FIFO, a /proc file) come out as FileFailure
    items in place, and the walk goes on. A file reached twice is yielded once.
    """
    walk = _Walk(skip)
    for raw in paths:
        yield from walk.visit(Path(raw))
