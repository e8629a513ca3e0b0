"""Markdown (with its reference list) and BibTeX exports, read back with real parsers."""

from __future__ import annotations

import subprocess
import sys

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware

from assistant.answering.markers import parse_markers
from assistant.records.export import cited_papers, parse_references, to_bibtex, to_markdown
from assistant.types import Paper


def round_trip(ans, papers: dict, heading: str) -> str:
    md = to_markdown(ans, heading=heading, papers=papers)
    assert md.startswith(f"# {heading}\n")
    body = md.split("\n## References\n")[0]
    refs = parse_references(md)
    assert [r["n"] for r in refs] == [c.n for c in ans.citations]
    assert set(parse_markers(body)) <= {r["n"] for r in refs}
    for r, c in zip(refs, ans.citations, strict=True):
        assert (r["title"], r["page"], r["section"]) == (c.title, c.page, c.section)
        assert r["quote"] == " ".join(c.quote.split())
    return md


def test_markdown_round_trip_summary_comparison_and_answer(sample_library):
    a = sample_library
    papers = {p.id: p for p in a.papers()}
    md = round_trip(a.summarize("PaSa"), papers, "Summary")
    assert "(2025; arXiv:2501.10120)" in md and "\u00a7 " in md
    md = round_trip(a.compare(["DeepZero", "ORGEval"]), papers, "Comparison")
    assert "| Paper | Problem |" in md
    round_trip(a.ask("Which optimizer did the Lion paper discover?"), papers, "Lion?")


def test_bibtex_round_trip_with_bibtexparser():
    tricky = Paper(id="p1", title="Back\\slash {braces} & 50% $cost$ #1 under_score ~x — Größe",
                   authors=["José Müller", "Li, Wei"], year=2024, sources=["/tmp/a_b&c.pdf"],
                   chunks=1, doi="10.1000/x_y(1)", arxiv_id="2401.00001")
    plain = Paper(id="p2", title="Größe matters", authors=["José Müller"], year=2024,
                  sources=["/tmp/b.txt"], chunks=1)
    bare = Paper(id="p3", title="A study", authors=[], year=None, sources=[], chunks=1)
    same = Paper(id="p4", title="A study", authors=[], year=None, sources=[], chunks=1)
    text = to_bibtex([tricky, plain, bare, same])
    lib = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not lib.failed_blocks and len(lib.entries) == 4
    assert len({e.key for e in lib.entries}) == 4
    first = {f.key: f.value for f in lib.entries[0].fields}
    assert first["title"] == tricky.title
    assert first["author"] == "José Müller and Li, Wei"
    assert (first["year"], first["doi"], first["eprint"]) == ("2024", tricky.doi, "2401.00001")
    assert first["archiveprefix"] == "arXiv" and first["note"] == "Source: /tmp/a_b&c.pdf"
    assert lib.entries[0].key == "muller2024backslash"
    assert {f.key for f in lib.entries[2].fields} == {"title"}  # nothing invented


def test_cli_ask_writes_markdown_and_bibtex_for_the_cited_papers(sample_library, tmp_path):
    out, bib = tmp_path / "a.md", tmp_path / "a.bib"
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(sample_library.store_dir), "compare",
         "DeepZero", "ORGEval", "--format", "md", "--out", str(out), "--bib", str(bib)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == out.read_text()
    lib = bibtexparser.parse_string(bib.read_text())
    assert not lib.failed_blocks
    titles = {e.fields_dict["title"].value.strip("{}") for e in lib.entries}
    assert titles == {p.title for p in cited_papers(
        sample_library.compare(["DeepZero", "ORGEval"]),
        {p.id: p for p in sample_library.papers()})}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(sample_library.store_dir), "ask",
         "Which optimizer did the Lion paper discover?", "--json", "--bib", str(bib)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert bib.read_text().startswith("@misc{")
