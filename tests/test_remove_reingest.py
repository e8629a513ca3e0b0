"""`remove` can be undone by ingesting the file again: the removed paper comes back, the file's
other papers are neither duplicated nor re-embedded (library and real CLI)."""

from __future__ import annotations

import json

from tests.conftest import PAPERS, session_embedder
from tests.test_bad_input import run_cli

LISTING_HEAD = "Daily Papers\n\nbyAK and the research community\n\nDec 10\n\n"
ENTRIES = [
    ("Quokka Routing for Sparse Mixture Models",
     "We propose quokka routing, which sends each token to two experts chosen by a learned "
     "gate. It cuts training cost by 30 percent on language modelling benchmarks."),
    ("Wombat Caches for Long Context Decoding",
     "Wombat caches keep a compressed summary of old keys and values. Decoding long documents "
     "becomes 2.5 times faster with no loss in perplexity on the books benchmark."),
    ("Numbat Sampling for Diffusion Language Models",
     "Numbat sampling draws several tokens per step from a discrete diffusion model. It halves "
     "the number of denoising steps while keeping sample quality on text generation."),
]


def listing(entries=ENTRIES) -> str:
    """A listing dump in the shape of examples/papers/daily-papers (one file, many papers)."""
    body = "".join(f"{title}\n\n{abstract}\n\n  • 3 authors\n·\nOct 19, 2023\n\n"
                   for title, abstract in entries)
    return LISTING_HEAD + body


def test_removed_paper_comes_back_from_a_file_that_holds_several(tmp_path):
    from assistant import Assistant

    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "listing.txt").write_text(listing(), encoding="utf-8")
    (folder / "solo.md").write_text("# Echidna Embeddings\n\nEchidna embeddings map spines "
                                    "to vectors for retrieval of spiky documents.\n")
    a = Assistant(store=tmp_path / "store", embedder=session_embedder())
    first = a.ingest([folder])
    assert first.papers_total == 4 and not first.failed
    chunks = first.chunks_total
    kept = {p.id: p for p in a.papers()}

    wombat = a.remove("Wombat Caches")
    solo = a.remove("Echidna Embeddings")
    assert {p.title for p in a.papers()} == {ENTRIES[0][0], ENTRIES[2][0]}

    again = a.ingest([folder])
    assert again.papers_added == 2 and again.papers_total == 4
    assert again.chunks_added == wombat.chunks + solo.chunks  # the others are not re-embedded
    assert again.chunks_total == chunks
    assert sorted(again.updated + again.added) == sorted(str(p) for p in folder.iterdir())
    papers = {p.id: p for p in a.papers()}
    assert papers.keys() == kept.keys()  # same ids: nothing duplicated
    assert papers[wombat.id].sources == kept[wombat.id].sources
    assert a.ask("How much faster is decoding with wombat caches?").citations[0].paper_id \
        == wombat.id

    third = a.ingest([folder])  # and the file records are whole again
    assert len(third.unchanged) == 2 and third.papers_added == 0 and third.chunks_added == 0
    a.close()


def test_cli_remove_then_ingest_brings_the_paper_back(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "listing.txt").write_text(listing(), encoding="utf-8")
    store = tmp_path / "store"
    assert run_cli("ingest", str(folder), store=store).returncode == 0
    done = run_cli("remove", "Numbat Sampling", store=store)
    assert done.returncode == 0 and "Numbat Sampling" in done.stdout
    assert "ingest" in done.stdout  # says how to bring it back
    report = json.loads(run_cli("ingest", str(folder), "--json", store=store).stdout)
    assert report["papers_added"] == 1 and report["papers_total"] == 3
    assert report["updated"] == [str(folder / "listing.txt")]
    titles = [p["title"] for p in json.loads(run_cli("papers", "--json", store=store).stdout)]
    assert sorted(titles) == sorted(t for t, _ in ENTRIES)


def test_sample_listing_paper_removed_and_reingested(tmp_path):
    """The issue's case: a paper of the sample listings, removed, comes back on ingest."""
    from assistant import Assistant

    a = Assistant(store=tmp_path / "store", embedder=session_embedder())
    listing_file = sorted((PAPERS / "daily-papers").iterdir())[0]
    a.ingest([listing_file])
    total = len(a.papers())
    removed = a.remove("Generative Marginalization Models")
    report = a.ingest([listing_file])
    assert report.papers_added == 1 and len(a.papers()) == total
    assert a.paper("Generative Marginalization Models").id == removed.id
    a.close()
