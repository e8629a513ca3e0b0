"""read_file: check the file, detect its kind and hand it to the right reader."""

from __future__ import annotations

from pathlib import Path

from assistant.errors import IngestError
from assistant.types import ReadResult

from .decode import decode_text, drop_controls
from .detect import sniff_bytes, text_kind
from .fsutil import os_reason, read_bounded
from .listing import parse_listing
from .managed import is_reference_library, read_reference_library
from .text import read_markdown, read_text

__all__ = ["read_file"]


def _load(path: Path, max_bytes: int) -> bytes:
    """The file's bytes: checked to be a regular file first, never more than ``max_bytes``."""
    try:
        data = read_bounded(path, max_bytes)
    except OSError as exc:
        raise IngestError(str(path), os_reason(exc)) from None
    if not data:
        raise IngestError(str(path), "empty file")
    return data


def read_file(path: Path, *, max_bytes: int) -> ReadResult:
    """Read one source file into papers (a listing dump or a reference library gives many,
    other files one); their text carries no control characters (a NUL anywhere, an escape
    sequence), whatever the reader. See :func:`_read` for the reasons a file is refused."""
    result = _read(path, max_bytes=max_bytes)
    for doc in result.papers:
        doc.title = drop_controls(doc.title)
        doc.authors = [drop_controls(a) for a in doc.authors]
        for block in doc.blocks:
            block.text = drop_controls(block.text)
            if block.section:
                block.section = drop_controls(block.section)
    return result


def _read(path: Path, *, max_bytes: int) -> ReadResult:
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
        from .html import read_html  # lxml loads only when HTML comes

        papers = [read_html(text, source)]
    elif kind == "markdown":
        papers = [read_markdown(text, source)]
    else:
        papers = [read_text(text, source)]
    if not papers or not any(p.blocks or p.kind == "listing" for p in papers):
        raise IngestError(source, "no text found")
    return ReadResult(papers=papers, warnings=warnings)
