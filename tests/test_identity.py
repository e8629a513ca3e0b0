"""Paper identity: DOI, then arXiv id or the same text, then title plus first author. Two papers
with one title never merge; one paper in several files stays one; old stores keep their papers.
Real stores, the real embedding model, PDFs generated for each case."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from assistant import Assistant
from assistant.config import load_settings
from assistant.ingest.identity import (
    Identities,
    conflicts,
    doc_keys,
    normalize_arxiv,
    normalize_doi,
    normalize_title,
    paper_id,
    surname,
)
from assistant.records.export import to_bibtex
from assistant.types import Block, PaperDoc

from .conftest import session_embedder
from .readers_fixtures import text_pdf

TITLE = "Catalytic Conversion of Lignin into Aromatic Chemicals"


def article_pdf(title: str, authors: str, doi: str | None, topic: str, pages: int = 2) -> bytes:
    """A journal article: the journal's name as a running header on every page, a large title,
    an author line, a DOI line, then body text about ``topic``."""
    out = []
    for p in range(pages):
        runs = [(72, 760, 9, "Chemical Science"), (500, 760, 9, f"Page {p + 1}")]
        if p == 0:
            runs += [(72, 700, 18, title), (72, 676, 11, authors)]
            if doi:
                runs.append((72, 660, 9, f"https://doi.org/{doi}"))
        top = 620 if p == 0 else 720
        if p == 0:
            runs.append((72, 636, 12, "1 Introduction"))
        runs += [(72, top - 14 * i, 10, f"{topic} is studied in part {p + 1}, line {i}, "
                                         f"with care and with new measurements.")
                 for i in range(6)]
        if p == 1:
            runs.append((72, 560, 9, f"Figure 1: Yields of the {topic.lower()} runs."))
        out.append(runs)
    return text_pdf(out)


def listing_entry(title: str, abstract: str) -> str:
    return f"Daily Papers\n\n{title}\n\n{abstract}\n\n  • 2 authors\n·\nMar 6, 2024\n"


def doc(title="", doi=None, arxiv=None, authors=(), text="", kind="pdf") -> PaperDoc:
    return PaperDoc(title=title, blocks=[Block(text)] if text else [], source="x", kind=kind,
                    authors=list(authors), doi=doi, arxiv_id=arxiv)


# -- keys and matching, no store ----------------------------------------------------------------
def test_keys_are_normalised():
    assert normalize_doi("https://doi.org/10.1039/D3SC00001A.") == "10.1039/d3sc00001a"
    assert normalize_doi("doi:10.1073/pnas.2322520121") == "10.1073/pnas.2322520121"
    assert normalize_doi("no doi here") is None
    assert normalize_arxiv("arXiv:2501.10120v2") == "2501.10120"
    assert normalize_arxiv("hep-th/9901001v1") == "hep-th/9901001"
    assert surname("Kyle Lo") == surname("Lo, Kyle") == "lo"
    assert surname("Ivan Rodriguez Montoya") == surname("Rodriguez Montoya, Ivan") == "montoya"
    assert surname("Madeleine van Zuylen") == surname("van Zuylen, Madeleine") == "zuylen"
    assert normalize_title("PaSa: An LLM Agent") == normalize_title("pasa — an LLM agent")


def test_different_dois_or_first_authors_conflict():
    a = doc_keys(doc(TITLE, doi="10.1000/a", authors=["Ann Smith"]))
    assert conflicts(a, doc_keys(doc(TITLE, doi="10.1000/b", authors=["Ann Smith"])))
    assert conflicts(a, doc_keys(doc(TITLE, authors=["Bob Jones"])))
    assert not conflicts(a, doc_keys(doc(TITLE)))  # a title-only entry: nothing to conflict
    assert not conflicts(a, doc_keys(doc(TITLE, authors=["Smith, Ann"])))


def test_find_by_doi_then_text_then_title():
    ids = Identities()
    ids.add("pA", doc_keys(doc(TITLE, doi="10.1000/a", authors=["Ann Smith"], text="alpha")))
    ids.add("pB", doc_keys(doc(TITLE, doi="10.1000/b", authors=["Bob Jones"], text="beta")))
    ids.add("pC", doc_keys(doc("Another Title of Three Words", arxiv="2401.00001",
                               authors=["Cy Lee"], text="gamma")))
    assert ids.find(doc_keys(doc("Wrong title read", doi="10.1000/A"))) == "pA"
    assert ids.find(doc_keys(doc(TITLE, doi="10.1000/c"))) is None  # a third paper of that title
    assert ids.find(doc_keys(doc(TITLE))) is None  # two papers have it: no telling which
    assert ids.find(doc_keys(doc(TITLE, authors=["B. Jones"]))) == "pB"
    assert ids.find(doc_keys(doc("", text="beta"))) == "pB"  # the same text
    assert ids.find(doc_keys(doc("x", arxiv="arXiv:2401.00001v3"))) == "pC"
    assert ids.find(doc_keys(doc("Another Title of Three Words"))) == "pC"
    assert ids.find(doc_keys(doc("Another Title of Three Words", authors=["Dee Wu"]))) is None
    # a listing abstract's arXiv id may be another paper's: it is no key
    assert ids.find(doc_keys(doc("Unrelated Paper Title Here", arxiv="2401.00001",
                                 kind="listing"))) is None


def test_two_notes_with_one_body_and_two_titles_stay_two():
    body = "The method removes 80% of the edges while keeping shortest paths."
    ids = Identities()
    ids.add("pA", doc_keys(doc("Graph Sparsification for Retrieval", text=body, kind="markdown")))
    assert ids.find(doc_keys(doc("Edge Pruning for Retrieval", text=body, kind="markdown"))) is None
    # a PDF's text holds its title: the same text under another title read for it is one paper
    ids.add("pB", doc_keys(doc("Graph Sparsification for Retrieval", text=body * 3)))
    assert ids.find(doc_keys(doc("Some Detected Title", text=body * 3))) == "pB"


def test_title_only_ids_are_the_old_ids():
    """Listing entries and other title-only papers keep the ids every paper had before."""
    old = "p" + hashlib.sha1(normalize_title(TITLE).encode()).hexdigest()[:15]
    assert paper_id(doc(TITLE, text="x", kind="listing")) == old
    assert paper_id(doc(TITLE, text="x", authors=["Ann Smith"])) != old
    assert paper_id(doc(TITLE, doi="10.1000/a")) != paper_id(doc(TITLE, doi="10.1000/b"))


# -- real stores ----------------------------------------------------------------------------------
@pytest.fixture
def articles(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(article_pdf(TITLE, "Ann Smith, Carl Berg", "10.1039/d3sc00001a",
                                               "Lignin depolymerisation over nickel"))
    (folder / "b.pdf").write_bytes(article_pdf(TITLE, "Bob Jones, Dana Wu", "10.1039/d3sc00002b",
                                               "Lignin oxidation with copper catalysts"))
    return folder


def _sources(a, pid):
    return {p.id: p for p in a.papers()}[pid].sources


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_same_title_different_dois_stay_two_papers_and_copies_join(make_assistant, articles,
                                                                   tmp_path):
    a = make_assistant()
    report = a.ingest([articles])
    assert not report.failed and report.papers_total == 2
    papers = a.papers()
    assert {p.title for p in papers} == {TITLE}  # the header "Chemical Science" is no title
    assert {p.doi for p in papers} == {"10.1039/d3sc00001a", "10.1039/d3sc00002b"}
    assert sorted(p.authors[0] for p in papers) == ["Ann Smith", "Bob Jones"]
    first = next(p for p in papers if p.doi.endswith("1a"))

    copies = tmp_path / "copies"
    copies.mkdir()
    shutil.copy(articles / "a.pdf", copies / "a-copy.pdf")
    report = a.ingest([copies])
    assert report.papers_added == 0 and report.papers_total == 2
    assert sorted(_sources(a, first.id)) == sorted([str((articles / "a.pdf").resolve()),
                                                    str((copies / "a-copy.pdf").resolve())])


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_listing_entry_joins_the_pdf_of_its_paper(make_assistant, tmp_path):
    title = "Selective Hydrogenation of Furfural on Copper"
    pdf = tmp_path / "furfural.pdf"
    pdf.write_bytes(article_pdf(title, "Eve Adams, Finn Ross", "10.1039/d3sc00003c",
                                "Furfural hydrogenation"))
    listing = tmp_path / "listing.txt"
    listing.write_text(listing_entry(title, "We hydrogenate furfural selectively on copper."))
    a = make_assistant()
    a.ingest([listing])
    report = a.ingest([pdf])  # the PDF after its listing entry
    assert report.papers_total == 1 and report.papers_added == 0
    (paper,) = a.papers()
    assert paper.doi == "10.1039/d3sc00003c" and paper.authors[:1] == ["Eve Adams"]
    assert paper.kind == "pdf" and len(paper.sources) == 2
    other = Assistant(settings=load_settings(None, store={"path": str(tmp_path / "other")}),
                      embedder=session_embedder())
    other.ingest([pdf])
    report = other.ingest([listing])  # the listing entry after the PDF
    assert report.papers_total == 1
    assert len(other.papers()[0].sources) == 2 and other.papers()[0].kind == "pdf"
    other.close()


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_a_store_made_under_title_only_ids_upgrades_without_losing_papers(
        make_assistant, articles, tmp_path, monkeypatch):
    """The old scheme keyed every paper by its normalised title: one PDF and the listing entry
    of its title made one paper under the title's id. After the upgrade that paper keeps its id
    and sources, the other PDF with that title becomes a paper of its own, a copy of the first
    PDF joins the old paper, and re-ingesting changes nothing."""
    from assistant.ingest import identity

    def old_resolve(self, d):
        return "p" + hashlib.sha1(normalize_title(d.title).encode()).hexdigest()[:15]

    listing = tmp_path / "listing.txt"
    listing.write_text(listing_entry(TITLE, "A listing abstract about lignin."))
    a = make_assistant()
    with monkeypatch.context() as m:
        m.setattr(identity.Identities, "resolve", old_resolve)
        a.ingest([articles / "a.pdf", listing])
    (old,) = a.papers()
    assert old.id == old_resolve(None, old)  # stored the old way

    b = make_assistant()  # a new process on the same store
    report = b.ingest([articles, listing])
    assert report.unchanged == [str(articles / "a.pdf"), str(listing)]
    assert report.papers_total == 2  # b.pdf has another DOI: a paper of its own
    papers = {p.id: p for p in b.papers()}
    assert old.id in papers and papers[old.id].sources == old.sources
    copy = tmp_path / "a-again.pdf"
    shutil.copy(articles / "a.pdf", copy)
    report = b.ingest([copy])
    assert report.papers_total == 2 and str(copy.resolve()) in _sources(b, old.id)
    again = b.ingest([articles, listing, copy])
    assert len(again.unchanged) == 4 and again.papers_total == 2


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_pdf_metadata_reaches_show_papers_bibtex_and_chunks(make_assistant, articles):
    a = make_assistant()
    a.ingest([articles / "a.pdf"])
    (paper,) = a.papers()
    assert paper.authors == ["Ann Smith", "Carl Berg"]
    assert "author = {Ann Smith and Carl Berg}" in to_bibtex([paper])
    chunks = a.library.paper_chunks(paper.id)
    assert {c.section_kind for c in chunks} == {"front", "body"}
    assert {"text", "caption"} <= {c.role for c in chunks}
    assert [c.section for c in chunks if c.role == "caption"] == ["1 Introduction"]
    store = str(a.library.store_dir)
    env = {**os.environ, "ASSISTANT_STORE_NAME": a.settings.store.name}
    out = subprocess.run([sys.executable, "-m", "assistant", "--store", store, "papers",
                          "--json"], capture_output=True, text=True, timeout=120, check=True,
                         env=env)
    (row,) = json.loads(out.stdout)
    assert set(row) == {"id", "title", "authors", "year", "source", "chunks"}
    assert row["authors"] == ["Ann Smith", "Carl Berg"]
    shown = subprocess.run([sys.executable, "-m", "assistant", "--store", store, "show",
                            paper.id], capture_output=True, text=True, timeout=120, check=True,
                           env=env)
    assert "authors: Ann Smith; Carl Berg" in shown.stdout
