"""Expand files and folders into the files to read: recursive, sorted, hidden entries skipped."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.types import FileFailure

from .fsutil import os_reason
from .managed import ZOTERO_DB

__all__ = ["iter_sources"]

_Key = tuple[int, int]
_Found = Iterator[Path | FileFailure]


def _stat(path: Path) -> os.stat_result | FileFailure:
    try:
        return path.stat()
    except FileNotFoundError:
        reason = "broken symbolic link" if path.is_symlink() else "no such file or directory"
        return FileFailure(str(path), reason)
    except OSError as exc:
        return FileFailure(str(path), os_reason(exc))


def _visit(path: Path, ancestors: frozenset[_Key], seen: set[_Key]) -> _Found:
    st = _stat(path)
    if isinstance(st, FileFailure):
        yield st
        return
    key = (st.st_dev, st.st_ino)
    if stat.S_ISDIR(st.st_mode):
        if key in ancestors:
            yield FileFailure(str(path), "symlink loop")
            return
        yield from _walk(path, ancestors | {key}, seen)
    elif stat.S_ISREG(st.st_mode):
        if key not in seen:  # the same file reached twice (named twice, or through a link)
            seen.add(key)
            yield path
    else:
        yield FileFailure(str(path), "not a regular file")


def _walk(folder: Path, ancestors: frozenset[_Key], seen: set[_Key]) -> _Found:
    try:
        with os.scandir(folder) as it:
            names = sorted(entry.name for entry in it)
    except OSError as exc:
        yield FileFailure(str(folder), os_reason(exc))
        return
    if ZOTERO_DB in names:  # a Zotero data folder: its library is read through the database
        names = [ZOTERO_DB]
    for name in names:
        if not name.startswith("."):
            yield from _visit(folder / name, ancestors, seen)


def iter_sources(paths: Iterable[str | Path]) -> Iterator[Path | FileFailure]:
    """Each file named, and every non-hidden file under each folder named, in sorted order; of
    a Zotero data folder (one holding zotero.sqlite) only the database, which names the files.

    Problems (no such path, a symlink loop, an unreadable folder, a FIFO) come out as
    FileFailure items in place, and the walk goes on. A file reached twice is yielded once.
    """
    seen: set[_Key] = set()
    for raw in paths:
        yield from _visit(Path(raw), frozenset(), seen)
