"""Reference-manager libraries: a BibTeX export (``.bib`` with ``file`` fields, as Zotero,
JabRef or Mendeley write them) or a Zotero data folder (``zotero.sqlite`` and its ``storage/``).

Each entry becomes a paper: its attachment is read like any file (a PDF first), and the
manager's title, authors, year, DOI, arXiv id and venue replace what the reader detected
(``PaperDoc.curated``). An entry without an attachment gives its abstract, if it has one. An
entry whose attachment is missing or unreadable is reported on its own
(``entry KEY: path: reason``); the other entries are still read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from assistant.errors import IngestError
from assistant.types import Block, FileFailure, PaperDoc, ReadResult

from .decode import drop_controls
from .library_entry import Entry

Reader = Callable[..., ReadResult]  # read_file(path, max_bytes=...)

__all__ = [
    "Entry",
    "is_reference_library",
    "library_digest",
    "library_entries",
    "read_entry",
    "read_reference_library",
]

ZOTERO_DB = "zotero.sqlite"


def is_reference_library(path: Path) -> bool:
    """A BibTeX file or a Zotero database, by name."""
    return path.suffix.lower() == ".bib" or path.name.lower() == ZOTERO_DB


def _kind(path: Path) -> str:
    return "zotero" if path.name.lower() == ZOTERO_DB else "bibtex"


@lru_cache(maxsize=8)
def _entries_cached(path: str, size: int, mtime_ns: int
                    ) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
    source = Path(path)
    if _kind(source) == "zotero":
        from .zotero import zotero_entries

        entries, warnings = zotero_entries(source)
    else:
        from .bibtex import bibtex_entries

        entries, warnings = bibtex_entries(source)
    return tuple(entries), tuple(warnings)


def library_entries(path: Path) -> tuple[list[Entry], list[str]]:
    """The entries of a reference library (parsed once per version of the file)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise IngestError(str(path), "no such file or directory") from None
    except OSError as exc:
        raise IngestError(str(path), exc.strerror or str(exc)) from None
    entries, warnings = _entries_cached(str(path), st.st_size, st.st_mtime_ns)
    return list(entries), list(warnings)


def library_digest(path: Path) -> str:
    """A hash of the library file and of the size and time of every attachment it names, so
    a library whose attachments changed is read again though its own bytes did not change."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    entries, _ = library_entries(path)
    for entry in entries:
        for _, where in entry.files:
            try:
                st = os.stat(where)
                h.update(f"{where}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            except OSError:
                h.update(f"{where}\0missing\n".encode())
    return h.hexdigest()


def read_reference_library(path: Path, max_bytes: int, read: Reader) -> ReadResult:
    """Every entry of a BibTeX file or Zotero database as a paper (see the module docstring)."""
    entries, warnings = library_entries(path)
    if not entries:
        raise IngestError(str(path), "no entries found")
    result = ReadResult(papers=[], warnings=[f"{path}: {w}" for w in warnings])
    for entry in entries:
        one = read_entry(entry, path, max_bytes, read)
        result.papers += one.papers
        result.warnings += one.warnings
        result.failures += one.failures
    return result


def read_entry(entry: Entry, origin: Path, max_bytes: int, read: Reader) -> ReadResult:
    """The paper of one entry of the library ``origin``: its attachment read with ``read``
    (``read_file``; the first attachment that reads), else its abstract; a missing or
    unreadable attachment is a failure of the entry."""
    first_error = ""
    for written, where in entry.files:
        try:
            found = read(where, max_bytes=max_bytes)
        except IngestError as exc:
            first_error = first_error or f"{written}: {exc.reason}"
            continue
        docs = [d for d in found.papers if d.blocks]
        if docs:
            doc = docs[0]
            doc.source = str(where.resolve())
            return ReadResult(papers=[_curate(doc, entry)], warnings=found.warnings)
        first_error = first_error or f"{written}: no text found"
    problem = first_error or entry.missing
    if problem:
        return ReadResult(papers=[], failures=[FileFailure(str(origin),
                                                           f"entry {entry.key}: {problem}")])
    if entry.abstract.strip() and entry.title:
        abstract = drop_controls(" ".join(entry.abstract.split()))
        doc = PaperDoc(title=entry.title, source=str(origin), kind=_kind(origin),
                       blocks=[Block(text=abstract, section="Abstract", section_kind="abstract")])
        return ReadResult(papers=[_curate(doc, entry)])
    return ReadResult(papers=[], warnings=[
        f"{origin}: entry {entry.key}: no attachment and no abstract; skipped"])


def _curate(doc: PaperDoc, entry: Entry) -> PaperDoc:
    """The manager's metadata over what the reader detected (control characters dropped, as
    read_file drops them from what it reads)."""
    doc.title = drop_controls(entry.title) or doc.title
    doc.authors = [drop_controls(a) for a in entry.authors] or doc.authors
    doc.year = entry.year or doc.year
    doc.doi = entry.doi or doc.doi
    doc.arxiv_id = entry.arxiv_id or doc.arxiv_id
    doc.venue = drop_controls(entry.venue) if entry.venue else doc.venue
    doc.curated = True
    return doc
