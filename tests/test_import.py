"""Reference-manager import: a BibTeX export with ``file`` fields and a Zotero data folder
(a real zotero.sqlite built with Zotero's own table layout, opened while "Zotero" holds it
locked). The manager's metadata wins; a missing or unreadable attachment fails its entry only.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from assistant.ingest import iter_sources, read_file
from assistant.ingest.bibtex import file_field_paths, latex_text

from .readers_fixtures import text_pdf

DATA = Path(__file__).parent / "data" / "pdfs"
NAACL = DATA / "s2orc_N18-3011.pdf"  # NAACL-HLT 2018, CC BY 4.0


def small_pdf(title: str, words: str) -> bytes:
    runs = [(72, 720, 18, title), (72, 696, 11, "Detected Author, Second Person")]
    runs += [(72, 660 - 14 * i, 10, f"{words} sentence number {i} of this short paper.")
             for i in range(5)]
    return text_pdf([runs])


# -- the file field --------------------------------------------------------------------------------
def test_file_fields_as_managers_write_them(tmp_path):
    base = tmp_path
    assert file_field_paths("papers/x.pdf", base) == [("papers/x.pdf", base / "papers/x.pdf")]
    zotero = ("Full Text PDF:files/12/Lo - 2023.pdf:application/pdf;"
              "Snapshot:files/13/a.html:text/html")
    assert [w for w, _ in file_field_paths(zotero, base)] == ["files/12/Lo - 2023.pdf",
                                                              "files/13/a.html"]
    snapshot_first = "Snapshot:s.html:text/html;:p.pdf:PDF"  # PDFs come first
    assert [w for w, _ in file_field_paths(snapshot_first, base)] == ["p.pdf", "s.html"]
    jabref = r":C\:\\papers\\x.pdf:PDF"
    assert [w for w, _ in file_field_paths(jabref, base)] == [r"C:\papers\x.pdf"]
    assert [w for w, _ in file_field_paths("/abs/y.pdf:application/pdf", base)] == ["/abs/y.pdf"]
    assert file_field_paths("/abs/y.pdf", base)[0][1] == Path("/abs/y.pdf")
    assert latex_text(r"{PaperMage}: M{\"u}ller \& Co.\ 50\%") == "PaperMage: Müller & Co. 50%"


# -- BibTeX ----------------------------------------------------------------------------------------
BIB = r"""
@inproceedings{ammar2018,
  title = {Construction of the {Literature Graph} in {Semantic Scholar}},
  author = {Ammar, Waleed and Groeneveld, Dirk and {Allen Institute}},
  booktitle = {Proceedings of NAACL-HLT 2018: Industry Papers},
  year = {2018},
  doi = {10.18653/v1/N18-3011},
  file = {Full Text PDF:papers/naacl.pdf:application/pdf},
}
@article{gone2020,
  title = {A Paper Whose File Is Gone},
  author = {Nobody, Ann},
  year = 2020,
  file = {:papers/gone.pdf:PDF},
}
@article{broken2021,
  title = {A Paper Whose File Is Broken},
  author = {Somebody, Bea},
  file = {:papers/broken.pdf:PDF},
}
@misc{abstract2022,
  title = {Abstracts Alone Can Be Searched},
  author = {M{\"u}ller, J{\"o}rg},
  date = {2022-05-01},
  eprint = {2205.00001}, archiveprefix = {arXiv},
  abstract = {We show that an abstract with no attached file is still worth searching.},
}
@misc{empty2023,
  title = {An Entry With Nothing To Read},
}
@article{small2024,
  title = {Sorghum Drought Tolerance in Field Trials},
  author = {Okafor, Ngozi and Lind, Per},
  journal = {Journal of Field Crops},
  year = {2024},
  file = {papers/small.pdf},
}
"""


@pytest.fixture
def bib_library(tmp_path) -> Path:
    folder = tmp_path / "refs"
    (folder / "papers").mkdir(parents=True)
    shutil.copy(NAACL, folder / "papers" / "naacl.pdf")
    (folder / "papers" / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< garbage")
    (folder / "papers" / "small.pdf").write_bytes(
        small_pdf("Some Detected Title of the Sorghum Paper", "Sorghum grows in dry fields"))
    (folder / "library.bib").write_text(BIB)
    return folder / "library.bib"


def test_bibtex_entries_read_with_the_managers_metadata(bib_library):
    result = read_file(bib_library, max_bytes=50_000_000)
    by_title = {d.title: d for d in result.papers}
    assert set(by_title) == {"Construction of the Literature Graph in Semantic Scholar",
                             "Abstracts Alone Can Be Searched",
                             "Sorghum Drought Tolerance in Field Trials"}
    naacl = by_title["Construction of the Literature Graph in Semantic Scholar"]
    assert naacl.authors == ["Waleed Ammar", "Dirk Groeneveld", "Allen Institute"]
    assert (naacl.doi, naacl.year, naacl.kind) == ("10.18653/v1/N18-3011", 2018, "pdf")
    assert naacl.curated and naacl.source == str(bib_library.parent / "papers/naacl.pdf")
    assert "entity linking" in naacl.text.lower()  # the PDF's text
    small = by_title["Sorghum Drought Tolerance in Field Trials"]
    assert small.authors == ["Ngozi Okafor", "Per Lind"] and small.venue == "Journal of Field Crops"
    only = by_title["Abstracts Alone Can Be Searched"]
    assert (only.authors, only.year, only.arxiv_id) == (["Jörg Müller"], 2022, "2205.00001")
    assert only.kind == "bibtex" and only.blocks[0].section_kind == "abstract"
    errors = sorted(f.error for f in result.failures)
    assert [f.path for f in result.failures] == [str(bib_library)] * 2
    assert errors[0].startswith("entry broken2021: papers/broken.pdf: corrupt PDF")
    assert errors[1] == "entry gone2020: papers/gone.pdf: no such file or directory"
    assert any("entry empty2023: no attachment and no abstract" in w for w in result.warnings)


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_ingest_a_bib_then_its_pdf_alone_and_again(make_assistant, bib_library):
    a = make_assistant()
    report = a.ingest([bib_library])
    assert report.added == [str(bib_library)] and report.papers_total == 3
    assert sorted(f.error.split(":")[0] for f in report.failed) == ["entry broken2021",
                                                                    "entry gone2020"]
    papers = {p.title: p for p in a.papers()}
    sorghum = papers["Sorghum Drought Tolerance in Field Trials"]
    assert sorghum.authors == ["Ngozi Okafor", "Per Lind"] and sorghum.year == 2024
    pdf = str((bib_library.parent / "papers" / "small.pdf").resolve())
    assert sorghum.sources == [pdf, str(bib_library.resolve())]
    # the same PDF ingested alone: the same paper, the manager's title and authors stay
    report = a.ingest([bib_library.parent / "papers" / "small.pdf"])
    assert report.papers_added == 0 and report.papers_total == 3
    assert {p.title for p in a.papers()} == set(papers)
    assert a.ingest([bib_library]).unchanged == [str(bib_library)]
    # an attachment that changes makes the library be read again (its own bytes did not change)
    (bib_library.parent / "papers" / "gone.pdf").write_bytes(
        small_pdf("Gone Paper Is Back Again Now", "It came back"))
    report = a.ingest([bib_library])
    assert report.updated == [str(bib_library)] and report.papers_total == 4
    assert "A Paper Whose File Is Gone" in {p.title for p in a.papers()}
    # entries removed from the library: their papers go, unless a file of their own holds them
    bib_library.write_text(BIB.replace("@article{small2024", "@comment{small2024")
                           .replace("@misc{abstract2022", "@comment{abstract2022"))
    report = a.ingest([bib_library])
    papers = {p.title: p for p in a.papers()}
    assert "Abstracts Alone Can Be Searched" not in papers and report.papers_total == 3
    assert papers["Sorghum Drought Tolerance in Field Trials"].sources == [pdf]


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_a_folder_with_a_bib_reads_its_pdfs_through_the_bib(make_assistant, bib_library):
    a = make_assistant()
    report = a.ingest([bib_library.parent])  # refs/: library.bib and papers/*.pdf
    assert report.added == [str(bib_library)]  # the PDFs it names are read as its entries
    assert "Sorghum Drought Tolerance in Field Trials" in {p.title for p in a.papers()}
    assert report.papers_total == 3


# -- Zotero ----------------------------------------------------------------------------------------
# The tables read, as Zotero 7 defines them (resource/schema/userdata.sql and system.sql).
ZOTERO_SCHEMA = """
CREATE TABLE version (schema TEXT PRIMARY KEY, version INT NOT NULL);
CREATE TABLE libraries (libraryID INTEGER PRIMARY KEY, type TEXT NOT NULL, editable INT NOT NULL,
    filesEditable INT NOT NULL, version INT NOT NULL DEFAULT 0,
    storageVersion INT NOT NULL DEFAULT 0, lastSync INT NOT NULL DEFAULT 0,
    archived INT NOT NULL DEFAULT 0);
CREATE TABLE itemTypes (itemTypeID INTEGER PRIMARY KEY, typeName TEXT, templateItemTypeID INT,
    display INT DEFAULT 1);
CREATE TABLE fields (fieldID INTEGER PRIMARY KEY, fieldName TEXT, fieldFormatID INT);
CREATE TABLE creatorTypes (creatorTypeID INTEGER PRIMARY KEY, creatorType TEXT);
CREATE TABLE items (itemID INTEGER PRIMARY KEY, itemTypeID INT NOT NULL,
    dateAdded TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    dateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    clientDateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    libraryID INT NOT NULL, key TEXT NOT NULL, version INT NOT NULL DEFAULT 0,
    synced INT NOT NULL DEFAULT 0, UNIQUE (libraryID, key),
    FOREIGN KEY (libraryID) REFERENCES libraries(libraryID) ON DELETE CASCADE);
CREATE TABLE itemDataValues (valueID INTEGER PRIMARY KEY, value UNIQUE);
CREATE TABLE itemData (itemID INT, fieldID INT, valueID, PRIMARY KEY (itemID, fieldID),
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE,
    FOREIGN KEY (fieldID) REFERENCES fields(fieldID),
    FOREIGN KEY (valueID) REFERENCES itemDataValues(valueID));
CREATE TABLE itemNotes (itemID INTEGER PRIMARY KEY, parentItemID INT, note TEXT, title TEXT);
CREATE TABLE itemAttachments (itemID INTEGER PRIMARY KEY, parentItemID INT, linkMode INT,
    contentType TEXT, charsetID INT, path TEXT, syncState INT DEFAULT 0, storageModTime INT,
    storageHash TEXT, lastProcessedModificationTime INT,
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE,
    FOREIGN KEY (parentItemID) REFERENCES items(itemID) ON DELETE CASCADE);
CREATE TABLE creators (creatorID INTEGER PRIMARY KEY, firstName TEXT, lastName TEXT,
    fieldMode INT, UNIQUE (lastName, firstName, fieldMode));
CREATE TABLE itemCreators (itemID INT NOT NULL, creatorID INT NOT NULL,
    creatorTypeID INT NOT NULL DEFAULT 1, orderIndex INT NOT NULL DEFAULT 0,
    PRIMARY KEY (itemID, creatorID, creatorTypeID, orderIndex), UNIQUE (itemID, orderIndex));
CREATE TABLE deletedItems (itemID INTEGER PRIMARY KEY,
    dateDeleted DEFAULT CURRENT_TIMESTAMP NOT NULL);
INSERT INTO version VALUES ('userdata', 120);
INSERT INTO libraries (libraryID, type, editable, filesEditable) VALUES (1, 'user', 1, 1);
"""


class Zotero:
    """A Zotero data folder written the way Zotero writes one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        self.con = sqlite3.connect(folder / "zotero.sqlite")
        self.con.executescript(ZOTERO_SCHEMA)

    def _id(self, table: str, id_col: str, col: str, value: str) -> int:
        row = self.con.execute(f"SELECT {id_col} FROM {table} WHERE {col} = ?", (value,)).fetchone()
        if row:
            return row[0]
        return self.con.execute(f"INSERT INTO {table} ({col}) VALUES (?)", (value,)).lastrowid

    def item(self, kind: str, key: str, fields: dict[str, str] | None = None) -> int:
        kind_id = self._id("itemTypes", "itemTypeID", "typeName", kind)
        item = self.con.execute("INSERT INTO items (itemTypeID, libraryID, key) VALUES (?, 1, ?)",
                                (kind_id, key)).lastrowid
        for name, value in (fields or {}).items():
            field = self._id("fields", "fieldID", "fieldName", name)
            value_id = self._id("itemDataValues", "valueID", "value", value)
            self.con.execute("INSERT INTO itemData VALUES (?, ?, ?)", (item, field, value_id))
        return item

    def creator(self, item: int, first: str, last: str, role: str = "author") -> None:
        role_id = self._id("creatorTypes", "creatorTypeID", "creatorType", role)
        self.con.execute("INSERT OR IGNORE INTO creators (firstName, lastName, fieldMode) "
                         "VALUES (?, ?, 0)", (first, last))
        creator = self.con.execute("SELECT creatorID FROM creators WHERE firstName = ? AND "
                                   "lastName = ?", (first, last)).fetchone()[0]
        order = self.con.execute("SELECT COUNT(*) FROM itemCreators WHERE itemID = ?",
                                 (item,)).fetchone()[0]
        self.con.execute("INSERT INTO itemCreators VALUES (?, ?, ?, ?)",
                         (item, creator, role_id, order))

    def attach(self, parent: int | None, key: str, name: str, data: bytes | None,
               mode: int = 0, ctype: str = "application/pdf") -> int:
        item = self.item("attachment", key)
        path = f"storage:{name}" if mode in (0, 1) else name
        self.con.execute("INSERT INTO itemAttachments (itemID, parentItemID, linkMode, "
                         "contentType, path) VALUES (?, ?, ?, ?, ?)",
                         (item, parent, mode, ctype, path))
        if data is not None:
            where = self.folder / "storage" / key
            where.mkdir(parents=True, exist_ok=True)
            (where / name).write_bytes(data)
        return item

    def commit(self) -> None:
        self.con.commit()


@pytest.fixture
def zotero(tmp_path) -> Zotero:
    z = Zotero(tmp_path / "Zotero")
    art = z.item("journalArticle", "ART00001", {
        "title": "Sorghum Drought Tolerance in Field Trials", "date": "2024-03-00 March 2024",
        "DOI": "https://doi.org/10.5555/sorghum.2024", "publicationTitle": "Field Crops",
        "abstractNote": "Sorghum in dry fields."})
    z.creator(art, "Ngozi", "Okafor")
    z.creator(art, "Per", "Lind")
    z.creator(art, "Ed", "Itor", role="editor")
    z.attach(art, "PDF00001", "Okafor 2024.pdf",
             small_pdf("A Detected Title That Should Lose", "Sorghum grows in dry fields"))
    z.attach(art, "SNAP0001", "page.png", b"\x89PNG", ctype="image/png")  # nothing to read
    gone = z.item("journalArticle", "ART00002", {"title": "A Paper Whose File Is Gone"})
    z.attach(gone, "PDF00002", "gone.pdf", None)  # Zotero lists it; storage lacks it
    trashed = z.item("journalArticle", "ART00003", {"title": "A Trashed Paper Nobody Wants"})
    z.attach(trashed, "PDF00003", "t.pdf", small_pdf("Trashed Paper Title Here", "Trash"))
    z.con.execute("INSERT INTO deletedItems (itemID) VALUES (?)", (trashed,))
    z.item("note", "NOTE0001")
    book = z.item("book", "BOOK0001", {"title": "Crop Science Without A File",
                                       "abstractNote": "A book abstract about crops.",
                                       "date": "2019-00-00 2019"})
    z.creator(book, "Ann", "Author")
    linked = z.item("preprint", "PRE00001", {"title": "A Linked Preprint on Wheat Yields",
                                             "archiveID": "arXiv:2403.01234"})
    outside = z.folder.parent / "elsewhere" / "wheat.pdf"
    outside.parent.mkdir()
    outside.write_bytes(small_pdf("Wheat Yield Preprint", "Wheat yields rise"))
    z.attach(linked, "LINK0001", str(outside), None, mode=2)
    z.commit()
    return z


def test_zotero_folder_is_read_through_its_database_while_zotero_holds_it(zotero):
    assert list(iter_sources([zotero.folder])) == [zotero.folder / "zotero.sqlite"]
    zotero.con.execute("PRAGMA locking_mode = EXCLUSIVE")  # as a running Zotero does
    zotero.con.execute("BEGIN EXCLUSIVE")
    zotero.con.execute("UPDATE items SET version = version + 1")
    with pytest.raises(sqlite3.OperationalError):  # an ordinary reader is locked out
        sqlite3.connect(zotero.folder / "zotero.sqlite", timeout=0.1).execute(
            "SELECT COUNT(*) FROM items").fetchone()
    result = read_file(zotero.folder / "zotero.sqlite", max_bytes=50_000_000)
    zotero.con.rollback()
    by_title = {d.title: d for d in result.papers}
    assert set(by_title) == {"Sorghum Drought Tolerance in Field Trials",
                             "Crop Science Without A File", "A Linked Preprint on Wheat Yields"}
    art = by_title["Sorghum Drought Tolerance in Field Trials"]
    assert art.authors == ["Ngozi Okafor", "Per Lind"]  # authors, not the editor
    assert (art.year, art.doi, art.venue, art.kind) == (2024, "10.5555/sorghum.2024",
                                                       "Field Crops", "pdf")
    assert "Sorghum grows in dry fields" in art.text
    assert art.source.endswith("storage/PDF00001/Okafor 2024.pdf")
    assert by_title["A Linked Preprint on Wheat Yields"].arxiv_id == "2403.01234"
    book = by_title["Crop Science Without A File"]
    assert (book.kind, book.year, book.text) == ("zotero", 2019, "A book abstract about crops.")
    (failure,) = result.failures
    assert failure.error == ("entry ART00002: storage/PDF00002/gone.pdf: "
                             "no such file or directory")


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_ingest_a_zotero_folder(make_assistant, zotero):
    a = make_assistant()
    report = a.ingest([zotero.folder])
    assert report.added == [str(zotero.folder / "zotero.sqlite")]
    assert [f.error.split(":")[0] for f in report.failed] == ["entry ART00002"]
    assert sorted(p.title for p in a.papers()) == ["A Linked Preprint on Wheat Yields",
                                                   "Crop Science Without A File",
                                                   "Sorghum Drought Tolerance in Field Trials"]
    assert a.ingest([zotero.folder]).unchanged == [str(zotero.folder / "zotero.sqlite")]


def test_a_sqlite_file_that_is_not_zotero_is_one_clear_failure(tmp_path):
    from assistant.errors import IngestError

    db = tmp_path / "zotero.sqlite"
    sqlite3.connect(db).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(IngestError) as err:
        read_file(db, max_bytes=1_000_000)
    assert err.value.reason.startswith("not a Zotero database")
    db.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(IngestError) as err:
        read_file(db, max_bytes=1_000_000)
    assert "not an SQLite database" in err.value.reason or "cannot" in err.value.reason
