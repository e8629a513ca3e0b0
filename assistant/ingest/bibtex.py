"""BibTeX libraries (Zotero, JabRef, Mendeley, Better BibTeX exports) -> Entries.

Parsed with bibtexparser; LaTeX in titles and names (``{\\"u}``, ``\\&``, protective braces)
is turned into text with pylatexenc. Attachments come from the ``file`` field (or ``pdf``), in
the forms managers write: ``{path}``, ``{Description:path:mime/type}``, several joined by
``;``, ``\\:`` for a colon inside a path (``C\\:\\\\papers\\\\x.pdf``). Relative paths are
relative to the .bib file. PDFs come first.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.errors import IngestError

from .identity import bare_doi, normalize_arxiv
from .library_entry import Entry

__all__ = ["bibtex_entries", "file_field_paths"]

_ARXIV_TEXT = re.compile(r"arxiv[:\s./]*(?:abs/)?(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})",
                         re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_TYPE_LIKE = re.compile(r"^(?:[\w.+-]+/[\w.+-]+|[A-Za-z0-9]{1,12})$")  # application/pdf, PDF


@lru_cache(maxsize=1)
def _latex():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def latex_text(value: str) -> str:
    """A field value as plain text (LaTeX accents and escapes decoded, braces gone)."""
    if not re.search(r"[\\{}$~]", value):
        return " ".join(value.split())
    try:
        text = _latex().latex_to_text(value)
    except Exception:  # pylatexenc gives up on broken LaTeX: keep the letters  # noqa: BLE001
        text = re.sub(r"[{}\\$]", "", value)
    return " ".join(text.replace("~", " ").split())


def _split_unescaped(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` not preceded by a backslash (the escape stays for later)."""
    parts, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(path: str) -> str:
    path = path.replace("$\\backslash$", "\\")  # Mendeley
    return re.sub(r"\\(.)", r"\1", path)


def file_field_paths(value: str, base: Path) -> list[tuple[str, Path]]:
    """The attachments a ``file`` field names, as (path as written, path on disk), PDFs first."""
    found: list[tuple[bool, str, Path]] = []
    for item in _split_unescaped(value.strip(), ";"):
        if not item.strip():
            continue
        fields = _split_unescaped(item.strip(), ":")
        if len(fields) >= 3:
            kind, written = fields[-1], ":".join(fields[1:-1])
        elif len(fields) == 2:
            if len(fields[0]) == 1 and fields[0].isalpha():  # C:/papers/x.pdf
                kind, written = "", ":".join(fields)
            elif _TYPE_LIKE.match(fields[1].strip()) and "." in fields[0]:
                kind, written = fields[1], fields[0]  # path:type
            else:
                kind, written = "", fields[1]  # description:path
        else:
            kind, written = "", fields[0]
        written = _unescape(written.strip())
        if not written:
            continue
        path = Path(written).expanduser()
        if not path.is_absolute():
            path = base / path
        pdf = "pdf" in kind.lower() or path.suffix.lower() == ".pdf"
        found.append((pdf, written, path))
    found.sort(key=lambda f: not f[0])  # stable: PDFs first, each group in written order
    return [(written, path) for _, written, path in found]


def _names(value: str) -> list[str]:
    """Authors "Last, First and {Org}" -> ["First Last", "Org"]."""
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    out = []
    for raw in split_multiple_persons_names(value):
        if raw.strip().lower() == "others":
            continue
        try:
            parts = parse_single_name_into_parts(raw)
            words = [*parts.first, *parts.von, *parts.last]
            name = " ".join(words) + (", " + " ".join(parts.jr) if parts.jr else "")
        except Exception:  # an odd name (unbalanced braces): as written  # noqa: BLE001
            name = raw
        name = latex_text(name)
        if name:
            out.append(name)
    return out


def _year(fields: dict[str, str]) -> int | None:
    for key in ("year", "date"):
        m = _YEAR.search(fields.get(key, ""))
        if m:
            return int(m.group(1))
    return None


def _arxiv(fields: dict[str, str]) -> str | None:
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    if fields.get("eprint") and (prefix == "arxiv" or normalize_arxiv(fields["eprint"])
                                 and not prefix):
        return normalize_arxiv(fields["eprint"])
    for key in ("journal", "journaltitle", "note", "url", "howpublished"):
        m = _ARXIV_TEXT.search(fields.get(key, ""))
        if m:
            return normalize_arxiv(m.group(1))
    return None


def _entry(key: str, fields: dict[str, str], base: Path) -> Entry:
    doi = bare_doi(fields.get("doi")) or (
        bare_doi(fields["url"]) if "doi.org/" in fields.get("url", "") else None)
    venue = next((latex_text(fields[k]) for k in ("journal", "journaltitle", "booktitle")
                  if fields.get(k)), None)
    entry = Entry(
        key=key,
        title=latex_text(fields.get("title", "")),
        authors=_names(fields["author"]) if fields.get("author") else [],
        year=_year(fields),
        doi=doi,
        arxiv_id=_arxiv(fields),
        venue=venue,
        abstract=latex_text(fields.get("abstract", "")),
    )
    for name in ("file", "pdf", "local-url"):
        if fields.get(name):
            entry.files += file_field_paths(fields[name], base)
    return entry


def bibtex_entries(path: Path) -> tuple[list[Entry], list[str]]:
    """The entries of a .bib file (``@string``, ``@comment`` and ``@preamble`` aside) and
    warnings for blocks that could not be parsed or repeat a key."""
    import bibtexparser

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise IngestError(str(path), exc.strerror or str(exc)) from None
    try:
        library = bibtexparser.parse_string(text)
    except Exception as exc:  # bibtexparser's own errors have no common base  # noqa: BLE001
        raise IngestError(str(path), f"unreadable BibTeX ({exc})") from None
    base = path.parent
    entries = []
    for raw in library.entries:
        fields = {name.lower(): str(f.value) for name, f in raw.fields_dict.items()}
        entries.append(_entry(raw.key, fields, base))
    warnings = []
    for block in library.failed_blocks:
        key = getattr(block, "key", None)
        what = f"entry {key}: key used twice; the first kept" if key else (
            f"unparsable text near line {getattr(block, 'start_line', 0) + 1}; skipped")
        warnings.append(what)
    return entries, warnings
