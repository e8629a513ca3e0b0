"""The library: ingest, identity, update, remove, keyword index — embedded and server stores."""

from __future__ import annotations

import pytest

from tests.conftest import LISTINGS


def _write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


NOTE = """# Graph Sparsification for Efficient Retrieval

## Introduction
We study sparsifiers that keep spectral properties of citation graphs.
The method, called quokkaspar, removes 80% of edges.

## Results
Quokkaspar keeps retrieval accuracy within 1.5 points while running 4.2 times faster.
"""


def test_sample_library_has_264_listing_papers_and_reingest_adds_nothing(sample_library):
    papers = sample_library.papers()
    listing = [p for p in papers if p.kind == "listing"]
    assert len(listing) == 264
    assert len(papers) == 266  # plus pasa.pdf and paper.pdf
    assert len({p.id for p in papers}) == len(papers)
    chunks_before = sample_library.library.store.count_chunks()
    report = sample_library.ingest([LISTINGS.parent])
    assert report.added == [] and report.updated == [] and report.failed == []
    assert len(report.unchanged) == 7
    assert report.papers_total == 266 and report.chunks_total == chunks_before


def test_same_paper_in_two_listing_files_is_one_paper_with_both_sources(sample_library):
    multi = [p for p in sample_library.papers() if len(p.sources) > 1]
    assert multi, "the sample listings repeat 35 papers across files"
    assert all(len(set(p.sources)) == len(p.sources) for p in multi)


def test_chunks_fit_the_model_and_keep_their_place(sample_library):
    tok = sample_library.library.embedder.tokenizer
    pasa = sample_library.paper("PaSa")
    passages = sample_library.library.store.paper_chunks(pasa.id)
    assert len(passages) == pasa.chunks > 10
    assert {p.page for p in passages} >= set(range(1, 10))
    for p in passages:
        assert tok.count(f"{p.title}\n{p.text}") <= 254


def test_store_kinds_add_update_remove(make_assistant, tmp_path):
    a = make_assistant()
    note = _write(tmp_path / "papers" / "note.md", NOTE)
    _write(tmp_path / "papers" / "other.txt", "Bird Migration Under Changing Winds\n\n"
           "Swallows adjust their routes to seasonal wind patterns over the Sahara.")
    report = a.ingest([tmp_path / "papers"])
    assert len(report.added) == 2 and report.papers_total == 2
    paper = a.paper("Graph Sparsification")
    assert paper.kind == "markdown"
    sections = {p.section for p in a.library.store.paper_chunks(paper.id)}
    assert {"Introduction", "Results"} <= sections
    assert [c for c, _ in a.library.store.keyword.search("quokkaspar", 5)]

    # a changed file replaces its chunks; the keyword index follows
    note.write_text(NOTE.replace("quokkaspar", "wombatspar").replace("Quokkaspar", "Wombatspar"))
    report = a.ingest([tmp_path / "papers"])
    assert report.updated == [str(note)] and len(report.unchanged) == 1
    texts = " ".join(p.text for p in a.library.store.paper_chunks(paper.id))
    assert "wombatspar" in texts and "quokkaspar" not in texts
    assert not a.library.store.keyword.search("quokkaspar", 5)
    assert a.library.store.keyword.search("wombatspar", 5)

    # a fresh process (new Assistant) sees the same library and index
    b = make_assistant()
    b.library.store.sync_keyword_index()
    assert b.library.store.keyword.search("wombatspar", 5)
    assert len(b.papers()) == 2

    removed = b.remove("Bird Migration")
    assert removed.title.startswith("Bird Migration")
    assert [p.title for p in b.papers()] == [paper.title]
    assert not b.library.store.keyword.search("swallows", 5)
    # the file held only that paper, so ingesting it again brings it back
    assert b.ingest([tmp_path / "papers"]).papers_total == 2


@pytest.mark.parametrize("store_kind", ["server"])
def test_server_store_holds_the_listings(make_assistant):
    a = make_assistant()
    report = a.ingest([LISTINGS])
    assert report.papers_total == 264 and not report.failed
    again = make_assistant().ingest([LISTINGS])
    assert len(again.unchanged) == 5 and again.chunks_total == report.chunks_total


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_other_chunk_settings_are_refused_until_reindex(make_assistant, tmp_path):
    from assistant.errors import StoreMismatchError

    a = make_assistant()
    _write(tmp_path / "p" / "note.md", NOTE)
    a.ingest([tmp_path / "p"])
    b = make_assistant(chunking={"max_tokens": 128})
    with pytest.raises(StoreMismatchError, match="reindex"):
        b.papers()
    report = b.reindex()
    assert report.papers_total == 1
    assert b.library.store.signature["chunk_max_tokens"] == 128
    assert b.paper("Graph Sparsification").chunks >= 1


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_reindex_keeps_papers_whose_files_are_gone(make_assistant, tmp_path):
    a = make_assistant()
    note = _write(tmp_path / "p" / "note.md", NOTE)
    a.ingest([note])
    note.unlink()
    b = make_assistant(chunking={"overlap": 8})
    report = b.reindex()
    assert report.papers_total == 1
    assert "quokkaspar" in " ".join(p.text for p in b.library.store.paper_chunks(b.papers()[0].id))


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_half_written_paper_is_removed_on_open(make_assistant, tmp_path):
    a = make_assistant()
    note = _write(tmp_path / "p" / "note.md", NOTE)
    a.ingest([note])
    pid = a.papers()[0].id
    meta = a.library.store.paper_meta(pid)
    # as if killed
    a.library.store.papers.update(ids=[pid], metadatas=[{**meta, "complete": False}])
    b = make_assistant()
    assert b.papers() == [] and b.library.store.count_chunks() == 0
    assert b.library.store.file_records() == {}
    assert b.ingest([note]).papers_total == 1
