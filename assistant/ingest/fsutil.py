"""Opening source files safely, and file-system errors as the short reasons users see.

A file is checked to be a regular file on real storage before a single byte is read, on the
descriptor that is then read (no window for a swap): a FIFO would block forever, a device or a
/proc or /sys pseudo-file (which claims size 0, or may never reach its end) would hang or lie.
Reads are bounded by the size limit, and a reader can be told to stop between blocks.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
from pathlib import Path

from assistant.errors import IngestError

__all__ = ["PSEUDO_ROOTS", "hash_file", "open_regular", "os_reason", "pseudo_file",
           "read_bounded"]

_REASONS = {
    errno.ENOENT: "no such file or directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "symlink loop",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "not a directory",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENXIO: "not a regular file",  # a FIFO with no writer, opened without blocking
}
PSEUDO_ROOTS = ("/proc", "/sys")
BLOCK = 1 << 20


def os_reason(exc: OSError) -> str:
    """A short lowercase reason for an OSError ("permission denied", "symlink loop", ...)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def _pseudo_devices() -> set[int]:
    """The devices of /proc and /sys when they are mounts of their own."""
    devices: set[int] = set()
    try:
        top = os.stat("/").st_dev
    except OSError:
        return devices
    for root in PSEUDO_ROOTS:
        try:
            dev = os.stat(root).st_dev
        except OSError:
            continue
        if dev != top:
            devices.add(dev)
    return devices


_PSEUDO_DEVICES: set[int] | None = None


def pseudo_file(path: Path | str, st: os.stat_result) -> bool:
    """Is this a kernel pseudo-file (/proc, /sys), whatever link led to it?"""
    global _PSEUDO_DEVICES
    if _PSEUDO_DEVICES is None:
        _PSEUDO_DEVICES = _pseudo_devices()
    if st.st_dev in _PSEUDO_DEVICES:
        return True
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root + "/") for root in PSEUDO_ROOTS)


def not_regular_reason(path: Path | str, st: os.stat_result) -> str | None:
    """Why a stat result is not a readable source file (None when it is one)."""
    if stat.S_ISDIR(st.st_mode):
        return "is a directory"
    if pseudo_file(path, st):
        return "not a regular file (a /proc or /sys pseudo-file)"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return None


def open_regular(path: Path | str) -> tuple[int, os.stat_result]:
    """A descriptor of ``path`` opened without blocking, checked to be a regular file on real
    storage; IngestError with the reason otherwise."""
    source = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        reason = "broken symbolic link" if os.path.islink(path) else "no such file or directory"
        raise IngestError(source, reason) from None
    except OSError as exc:
        raise IngestError(source, os_reason(exc)) from None
    try:
        st = os.fstat(fd)
        refused = not_regular_reason(path, st)
        if refused:
            raise IngestError(source, refused)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_bounded(path: Path | str, max_bytes: int) -> bytes:
    """All of a regular file, refusing one over ``max_bytes`` (by size, or by what it gave)."""
    fd, st = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        if st.st_size > max_bytes:
            raise IngestError(str(path), _too_large(st.st_size, max_bytes))
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew since it was opened
        raise IngestError(str(path), f"file too large (> limit {_mb(max_bytes)} MB)")
    return data


def hash_file(path: Path | str, max_bytes: int, stop: threading.Event | None = None) -> str:
    """SHA-256 of a regular file of at most ``max_bytes``; checks ``stop`` between blocks."""
    fd, st = open_regular(path)
    h = hashlib.sha256()
    seen = 0
    with os.fdopen(fd, "rb") as fh:
        if st.st_size > max_bytes:
            raise IngestError(str(path), _too_large(st.st_size, max_bytes))
        while block := fh.read(BLOCK):
            seen += len(block)
            if seen > max_bytes:
                raise IngestError(str(path), f"file too large (> limit {_mb(max_bytes)} MB)")
            if stop is not None and stop.is_set():
                raise IngestError(str(path), "interrupted")
            h.update(block)
    return h.hexdigest()


def _mb(n: int) -> str:
    value = n / 1_000_000
    text = f"{value:.1f}" if value >= 0.1 else f"{value:.2g}"
    return text.removesuffix(".0")


def _too_large(size: int, max_bytes: int) -> str:
    return f"file too large ({_mb(size)} MB > limit {_mb(max_bytes)} MB)"
