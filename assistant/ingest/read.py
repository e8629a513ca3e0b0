"""read_file: check the file, detect its kind and hand it to the right reader."""

from __future__ import annotations

import stat
from pathlib import Path

from assistant.errors import IngestError
from assistant.types import ReadResult

from .decode import decode_text
from .detect import sniff_bytes, text_kind
from .fsutil import os_reason
from .listing import parse_listing
from .managed import is_reference_library, read_reference_library
from .text import read_markdown, read_text

__all__ = ["read_file"]

_MB = 1_000_000


def _mb(n: int) -> str:
    value = n / _MB
    text = f"{value:.1f}" if value >= 0.1 else f"{value:.2g}"
    return text.removesuffix(".0")


def _load(path: Path, max_bytes: int) -> bytes:
    source = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        reason = "broken symbolic link" if path.is_symlink() else "no such file or directory"
        raise IngestError(source, reason) from None
    except OSError as exc:
        raise IngestError(source, os_reason(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise IngestError(source, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(source, "not a regular file")
    if st.st_size == 0:
        raise IngestError(source, "empty file")
    if st.st_size > max_bytes:
        reason = f"file too large ({_mb(st.st_size)} MB > limit {_mb(max_bytes)} MB)"
        raise IngestError(source, reason)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(source, os_reason(exc)) from None
    if len(data) > max_bytes:  # grew since stat
        raise IngestError(source, f"file too large (> limit {_mb(max_bytes)} MB)")
    if not data:
        raise IngestError(source, "empty file")
    return data


def read_file(path: Path, *, max_bytes: int) -> ReadResult:
    """Read one source file into papers (a listing dump or a reference library gives many,
    other files one).

    Raises IngestError with a short lowercase reason for input it cannot read: missing, a
    directory, empty, too large, binary, an unsupported type, or an encrypted / corrupt /
    image-only PDF. Text that is not UTF-8 is decoded as cp1252 with a warning.
    """
    path = Path(path)
    source = str(path)
    if is_reference_library(path):  # a .bib or zotero.sqlite: each entry's attachment is read
        return read_reference_library(path, max_bytes, read_file)
    data = _load(path, max_bytes)
    if sniff_bytes(path, data) == "pdf":
        from .pdf import read_pdf  # pypdfium2 loads only when a PDF comes

        doc, warnings = read_pdf(data, source)
        return ReadResult(papers=[doc], warnings=warnings)
    text, warnings = decode_text(data, source)
    if not text.strip():
        raise IngestError(source, "empty file (only whitespace)")
    kind = text_kind(path, text)
    if kind == "listing":
        papers = parse_listing(text, source)
    elif kind == "html":
        from .html import read_html  # BeautifulSoup loads only when HTML comes

        papers = [read_html(text, source)]
    elif kind == "markdown":
        papers = [read_markdown(text, source)]
    else:
        papers = [read_text(text, source)]
    if not papers or not any(p.blocks or p.kind == "listing" for p in papers):
        raise IngestError(source, "no text found")
    return ReadResult(papers=papers, warnings=warnings)
