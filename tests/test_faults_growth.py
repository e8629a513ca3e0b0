"""Growth without bound, and cost beyond linear: the keyword journal, chunk sizes, HTML depth,
folder depth, control characters in chunks."""

from __future__ import annotations

import json
import time

from assistant.library.keyword import JOURNAL, JOURNAL_MIN_BYTES, KeywordIndex


def test_catalog_only_changes_keep_the_journal_bounded(tmp_path):
    """One paper found in thousands of files: each change rewrites its source list."""
    folder = tmp_path / "kw"
    writer = KeywordIndex(folder)
    writer.rebuild({"p": ("s", [("p:0", "Quokka graphs\nsparse retrieval")])}, "r0", "c",
                   catalog={"p": {"title": "Quokka graphs", "sources": "[]"}})
    reader = KeywordIndex(folder)
    assert reader.load()
    sources: list[str] = []
    largest = 0
    for i in range(3000):
        sources.append(f"/data/incoming/batch-{i // 100:03d}/copy-{i:05d}.md")
        entry = {"title": "Quokka graphs", "sources": json.dumps(sources)}
        writer.apply([], {}, f"r{i + 1}", papers={"p": entry})
        largest = max(largest, (folder / JOURNAL).stat().st_size)
        if i % 500 == 0:
            reader.catch_up()  # a reader following along, across snapshots
    snapshot = (folder / "snapshot.npz").stat().st_size
    assert largest <= max(JOURNAL_MIN_BYTES, snapshot) + 200_000  # a line past the bound
    reader.catch_up()
    assert reader.revision == "r3000"
    assert json.loads(reader.papers["p"]["sources"]) == sources
    start = time.perf_counter()
    fresh = KeywordIndex(folder)
    assert fresh.load() and fresh.revision == "r3000"
    assert time.perf_counter() - start < 1.0
    assert json.loads(fresh.papers["p"]["sources"]) == sources
    assert fresh.search("quokka", 1)[0][0] == "p:0"


def test_html_reading_is_linear_in_nesting_and_width():
    from assistant.ingest.html import read_html

    for depth in (10_000, 100_000):  # 20,000 nested tags took 13 s before; 100,000 > 300 s
        nested = "<html><body>" + "<div><b>x</b>" * depth + "deep text" + "</div>" * depth
        flat = "<html><body>" + "<p>one <b>paragraph</b> of text</p>" * depth
        for page in (nested, flat):
            start = time.perf_counter()
            doc = read_html(page, "page.html")
            assert time.perf_counter() - start < 15, depth
            assert doc.blocks
    unclosed = "<html><body><p>text</p>" + "<!--x>" * 50_000 + "<" * 50_000
    start = time.perf_counter()
    read_html(unclosed, "page.html")
    assert time.perf_counter() - start < 15
