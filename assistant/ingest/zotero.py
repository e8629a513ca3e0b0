"""A Zotero data folder -> Entries: ``zotero.sqlite`` read-only, attachments in ``storage/``.

The database is opened with ``mode=ro&immutable=1``: nothing is written and a running Zotero's
lock does not matter. Zotero's schema (``userdata.sql``): ``items`` (with ``itemTypes``; trashed
ones in ``deletedItems``), fields as ``itemData`` -> ``fields`` / ``itemDataValues``, people as
``itemCreators`` -> ``creators`` (``creatorTypes``), files as ``itemAttachments`` under a parent
item. An imported file (link mode 0 or 1) has the path ``storage:NAME`` and lives in
``storage/<attachment key>/NAME``; a linked file (mode 2) has an absolute path, or
``attachments:REL`` relative to the base folder set in Zotero's preferences (not in the data
folder, so such a file is reported unless it is found beside the data folder).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from assistant.errors import IngestError

from .identity import bare_doi, normalize_arxiv
from .library_entry import Entry

__all__ = ["zotero_entries"]

_SKIP_TYPES = ("attachment", "note", "annotation")
_IMPORTED, _IMPORTED_URL, _LINKED, _LINK_URL = 0, 1, 2, 3
_YEAR = re.compile(r"^(\d{4})")
_ARXIV = re.compile(r"arxiv[:\s./]*(?:abs/)?(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})", re.IGNORECASE)
_VENUE_FIELDS = ("publicationTitle", "proceedingsTitle", "conferenceName", "bookTitle",
                 "websiteTitle", "repository")


def _connect(db: Path) -> sqlite3.Connection:
    uri = db.resolve().as_uri() + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


def _rows(con: sqlite3.Connection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in _rows(con, "SELECT name FROM sqlite_master WHERE type = 'table'")}


_NEEDED = {"items", "itemTypes", "itemData", "itemDataValues", "fields", "creators",
           "itemCreators", "itemAttachments"}


def zotero_entries(db: Path) -> tuple[list[Entry], list[str]]:
    """The regular items of a Zotero database (not notes, attachments or trashed items), with
    their attachments; standalone attachment files are entries of their own."""
    try:
        con = _connect(db)
    except sqlite3.Error as exc:
        raise IngestError(str(db), f"cannot open the Zotero database ({exc})") from None
    try:
        try:
            missing = _NEEDED - _tables(con)
        except sqlite3.DatabaseError:
            raise IngestError(str(db), "not an SQLite database (corrupt zotero.sqlite?)") from None
        if missing:
            raise IngestError(str(db), "not a Zotero database (no "
                              + ", ".join(sorted(missing)) + " table)")
        return _read(con, db.parent), []
    except sqlite3.Error as exc:
        raise IngestError(str(db), f"cannot read the Zotero database ({exc})") from None
    finally:
        con.close()


def _read(con: sqlite3.Connection, folder: Path) -> list[Entry]:
    trashed = set()
    if "deletedItems" in _tables(con):
        trashed = {r[0] for r in _rows(con, "SELECT itemID FROM deletedItems")}
    kinds = dict(_rows(con, "SELECT itemTypeID, typeName FROM itemTypes"))
    items = {item: (key, kinds.get(kind, "")) for item, kind, key in
             _rows(con, "SELECT itemID, itemTypeID, key FROM items") if item not in trashed}
    fields: dict[int, dict[str, str]] = {}
    for item, name, value in _rows(con, """
            SELECT d.itemID, f.fieldName, v.value FROM itemData d
            JOIN fields f ON f.fieldID = d.fieldID
            JOIN itemDataValues v ON v.valueID = d.valueID"""):
        fields.setdefault(item, {})[name] = str(value)
    people = _creators(con)
    attachments: dict[int | None, list[tuple[int, int, str, str]]] = {}
    for item, parent, mode, ctype, path in _rows(con, """
            SELECT itemID, parentItemID, linkMode, contentType, path FROM itemAttachments"""):
        if item in items and (parent is None or parent in items):
            attachments.setdefault(parent, []).append((item, mode, ctype or "", path or ""))
    entries = []
    for item, (key, kind) in items.items():
        if kind in _SKIP_TYPES:
            continue
        entry = _entry(key, fields.get(item, {}), people.get(item, []))
        _attach(entry, attachments.get(item, []), items, folder)
        entries.append(entry)
    for att, mode, ctype, path in attachments.get(None, []):  # files without a parent item
        key = items[att][0]
        entry = _entry(key, fields.get(att, {}), [])
        _attach(entry, [(att, mode, ctype, path)], items, folder)
        if entry.files or entry.missing:
            entries.append(entry)
    return entries


def _creators(con: sqlite3.Connection) -> dict[int, list[str]]:
    """Each item's authors in order (its other creators when it has no author)."""
    has_types = "creatorTypes" in _tables(con)
    join = "LEFT JOIN creatorTypes t ON t.creatorTypeID = ic.creatorTypeID" if has_types else ""
    role = "t.creatorType" if has_types else "'author'"
    found: dict[int, list[tuple[str, str]]] = {}
    for item, first, last, mode, kind in _rows(con, f"""
            SELECT ic.itemID, c.firstName, c.lastName, c.fieldMode, {role}
            FROM itemCreators ic JOIN creators c ON c.creatorID = ic.creatorID {join}
            ORDER BY ic.itemID, ic.orderIndex"""):
        name = (last or "") if mode == 1 else " ".join(p for p in (first, last) if p)
        if name.strip():
            found.setdefault(item, []).append((kind or "author", " ".join(name.split())))
    out = {}
    for item, names in found.items():
        authors = [n for k, n in names if k == "author"]
        out[item] = authors or [n for _, n in names]
    return out


def _entry(key: str, f: dict[str, str], authors: list[str]) -> Entry:
    year = None
    if (m := _YEAR.match(f.get("date", ""))) and m.group(1) != "0000":
        year = int(m.group(1))
    arxiv = None
    for name in ("archiveID", "extra", "url"):
        if (m := _ARXIV.search(f.get(name, ""))):
            arxiv = normalize_arxiv(m.group(1))
            break
    return Entry(
        key=f.get("citationKey") or key,
        title=" ".join(f.get("title", "").split()),
        authors=authors,
        year=year,
        doi=bare_doi(f.get("DOI")) or bare_doi(_doi_in(f.get("extra", ""))),
        arxiv_id=arxiv,
        venue=next((f[k] for k in _VENUE_FIELDS if f.get(k)), None),
        abstract=f.get("abstractNote", ""),
    )


def _doi_in(extra: str) -> str | None:
    m = re.search(r"^DOI:\s*(\S+)", extra, re.IGNORECASE | re.MULTILINE)
    return m.group(1) if m else None


def _attach(entry: Entry, rows: list[tuple[int, int, str, str]], items: dict, folder: Path
            ) -> None:
    """Add an item's attachment files to its entry, PDFs first; note why one is missing."""
    files: list[tuple[bool, str, Path]] = []
    for att, mode, ctype, path in rows:
        if mode == _LINK_URL or not path:
            continue
        key = items[att][0]
        if mode in (_IMPORTED, _IMPORTED_URL) and path.startswith("storage:"):
            written = f"storage/{key}/{path[len('storage:'):]}"
            where = folder / "storage" / key / path[len("storage:"):]
        elif path.startswith("attachments:"):
            written = path
            where = folder / path[len("attachments:"):]
        else:
            written, where = path, Path(path).expanduser()
        pdf = "pdf" in ctype.lower() or where.suffix.lower() == ".pdf"
        if not pdf and ctype and not ctype.startswith(("text/", "application/xhtml")):
            continue  # images, EPUBs and such: nothing to read
        files.append((pdf, written, where))
    files.sort(key=lambda f: not f[0])
    entry.files = [(written, where) for _, written, where in files]
