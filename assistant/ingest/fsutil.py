"""Turn file-system errors into the short lowercase reasons users see."""

from __future__ import annotations

import errno

__all__ = ["os_reason"]

_REASONS = {
    errno.ENOENT: "no such file or directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "symlink loop",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "not a directory",
    errno.ENAMETOOLONG: "file name too long",
}


def os_reason(exc: OSError) -> str:
    """A short lowercase reason for an OSError ("permission denied", "symlink loop", ...)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or str(exc) or type(exc).__name__).lower()
