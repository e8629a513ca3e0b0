"""Where a keyword index lives on disk: one atomic snapshot plus a journal of changes since,
which other processes replay (the index itself is :class:`~assistant.library.keyword.
KeywordIndex`; this class knows files, not postings)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FORMAT = 2
SNAPSHOT = "snapshot.npz"
JOURNAL = "journal.log"
ARRAYS = ("paper_of", "doc_ptr", "doc_terms", "doc_tfs", "term_ptr", "term_rows", "term_tfs")


class KeywordFiles:
    """``snapshot.npz`` (the whole index at one store revision: JSON metadata and arrays) and
    ``journal.log`` (one ``<crc32> <json>`` line per change since) in ``folder``.

    Tracks what this process has read: the snapshot it loaded (by inode, time and size) and
    how far into the journal it got, so catching up reads only the new lines.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._read_pos = 0
        self._loaded: tuple[int, ...] | None = None
        self.journal_bytes = 0
        self.snapshot_bytes = 0

    # -- writing ------------------------------------------------------------------------------
    def write_snapshot(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Write the snapshot atomically and start an empty journal."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{SNAPSHOT}.{uuid.uuid4().hex}.tmp"
        body = np.frombuffer(json.dumps({**meta, "format": FORMAT}).encode(), dtype=np.uint8)
        with open(tmp, "wb") as fh:
            np.savez(fh, meta=body, **arrays)  # type: ignore[arg-type]  # numpy's stubs
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.folder / SNAPSHOT)
        empty = self.folder / f".{JOURNAL}.{uuid.uuid4().hex}.tmp"
        empty.write_bytes(b"")
        os.replace(empty, self.folder / JOURNAL)
        with contextlib.suppress(OSError):  # the bm25s index this one replaced
            (self.folder / "state.json").unlink()
        shutil.rmtree(self.folder / "bm25", ignore_errors=True)
        self._read_pos = 0
        self.journal_bytes = 0
        self._loaded = self._identity()
        self.snapshot_bytes = self._loaded[2] if self._loaded else 0

    def append(self, entry: dict[str, Any]) -> None:
        """Add one change to the journal (one write: a reader sees all of it or none)."""
        body = json.dumps(entry, separators=(",", ":")).encode()
        line = b"%08x %s\n" % (zlib.crc32(body), body)
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            self.journal_bytes = os.fstat(fd).st_size
        finally:
            os.close(fd)

    def remove(self) -> None:
        """Delete the saved index."""
        for name in (SNAPSHOT, JOURNAL):
            with contextlib.suppress(OSError):
                (self.folder / name).unlink()
        self._loaded = None

    # -- reading ------------------------------------------------------------------------------
    def read_snapshot(self) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        """The snapshot's metadata and arrays; None when missing, unreadable or of another
        format (the journal is then read from its start)."""
        identity = self._identity()
        try:
            with np.load(self.folder / SNAPSHOT) as z:
                meta = json.loads(z["meta"].tobytes())
                arrays = {k: z[k] for k in ARRAYS}
        except (OSError, ValueError, KeyError, TypeError, EOFError, zlib.error,
                zipfile.BadZipFile) as exc:
            log.info("keyword index unreadable (%s): it will be rebuilt", exc)
            self._loaded = None
            return None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            log.info("keyword index of another format: it will be rebuilt")
            self._loaded = None
            return None
        self._loaded = identity
        self._read_pos = 0
        self.snapshot_bytes = identity[2] if identity else 0
        return meta, arrays

    def forget(self) -> None:
        """Stop following the saved files (their contents did not hold together)."""
        self._loaded = None

    @property
    def loaded(self) -> bool:
        """Was a snapshot read (and so is there a journal to follow)?"""
        return self._loaded is not None

    def replaced(self) -> bool:
        """Has another process written a new snapshot (or removed it) since it was read?"""
        return self._identity() != self._loaded

    def new_entries(self) -> Iterator[dict[str, Any]]:
        """Journal lines written since the last call (by this or another process); a damaged
        line is skipped, a line still being written is left for next time."""
        try:
            with open(self.folder / JOURNAL, "rb") as fh:
                fh.seek(self._read_pos)
                data = fh.read()
                self.journal_bytes = self._read_pos + len(data)
        except OSError:
            return
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # being written
            self._read_pos += len(line)
            entry = _parse(line)
            if entry is not None:
                yield entry

    def _identity(self) -> tuple[int, ...] | None:
        try:
            s = os.stat(self.folder / SNAPSHOT)
            j = os.stat(self.folder / JOURNAL)
        except OSError:
            return None
        return (s.st_ino, s.st_mtime_ns, s.st_size, j.st_ino)


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
