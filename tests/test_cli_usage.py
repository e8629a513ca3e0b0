"""The command line as a person uses it (real subprocesses on the sample library): options
anywhere, help with examples, which library, empty libraries, readable output at 80 columns."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from assistant.cli.main import _parser
from assistant.types import Answer, Citation, Paper, Sentence

SPECTR, MULTI = "SpecTr", "Multi-draft"


def cli(*args: str, cwd: Path | None = None, columns: int | None = None,
        merged: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORT_DISABLE_TELEMETRY": "1"}
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=cwd, env=env,
                          capture_output=not merged, text=True, timeout=300,
                          stdout=subprocess.PIPE if merged else None,
                          stderr=subprocess.STDOUT if merged else None)


# -- parsing and help --------------------------------------------------------------------------
@pytest.mark.parametrize("order", [
    ["--aspects", "results", SPECTR, MULTI],
    [SPECTR, "--aspects", "results,approach", MULTI],
    [SPECTR, MULTI, "--aspects", "results", "--aspects", "approach"],
])
def test_compare_options_parse_wherever_they_stand(sample_library, order):
    proc = cli("--store", str(sample_library.store_dir), "compare", *order, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [r["title"].split(":")[0] for r in doc["table"]][0] == "SpecTr"
    assert len(doc["table"]) == 2 and list(doc["table"][0]["cells"])[0] == "results"
    assert doc["store"] == str(sample_library.store_dir)


def test_ask_options_after_the_question():
    args = _parser().parse_args(["ask", "What is PaSa?", "--paper", "PaSa", "--json"])
    assert args.question == "What is PaSa?" and args.paper == ["PaSa"] and args.json
    args = _parser().parse_args(["compare", "A", "--format", "csv", "B", "--aspects", "x,y"])
    assert args.refs == ["A", "B"] and args.format == "csv" and args.aspects == ["x,y"]


def test_every_argument_is_described_and_every_command_has_examples():
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) >= {"ingest", "papers", "ask", "summarize", "compare", "remove"}
    for name, sub in commands.choices.items():
        assert sub.epilog and sub.epilog.startswith("examples:"), name
        assert f"assistant {name}" in sub.epilog, name
        for action in sub._actions:
            assert action.help, f"{name} {action.dest} has no description"
    top = cli("--help")
    assert top.returncode == 0 and "examples:" in top.stdout and "REF" in top.stdout
    ask = " ".join(cli("ask", "--help").stdout.split())
    assert "QUESTION" in ask and "the question" in ask and "examples:" in ask
    summarize = " ".join(cli("summarize", "--help").stdout.split())
    assert "--length" in summarize and "long: more evidence" in summarize


# -- which library ---------------------------------------------------------------------------
def test_default_library_is_named_and_not_created_by_reading(tmp_path):
    """From a folder without ./store, the library is the user data dir's: say so, and do not
    create it by listing or asking."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = Path(os.environ["XDG_DATA_HOME"]) / "paper-assistant" / "store"
    papers = cli("papers", cwd=elsewhere)
    assert papers.returncode == 0
    assert str(data) in papers.stdout and "assistant ingest PATH" in papers.stdout
    ask = cli("ask", "What is PaSa?", cwd=elsewhere)
    assert ask.returncode == 3
    assert str(data) in ask.stderr and "assistant ingest PATH" in ask.stderr
    assert ask.stderr.count("\n") == 1
    assert not data.exists()  # nothing was created silently

    note = elsewhere / "note.md"
    note.write_text("# Quokka Routing for Sparse Mixture Models\n\nWe propose quokka routing, "
                    "which sends each token to two experts.\n")
    ingest = cli("ingest", str(note), cwd=elsewhere)
    assert ingest.returncode == 0, ingest.stderr
    assert f"note: creating a new library at {data}" in ingest.stderr
    listed = cli("papers", cwd=elsewhere, columns=100)
    assert listed.stdout.startswith(f"1 paper in {data}")
    answer = json.loads(cli("ask", "What does quokka routing do?", "--json",
                            cwd=elsewhere).stdout)
    assert answer["store"] == str(data) and answer["citations"]
    text = cli("ask", "What does quokka routing do?", cwd=elsewhere).stdout
    assert text.splitlines()[0].endswith(f"library: {data}")


def test_empty_named_library_says_how_to_add_papers(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    proc = cli("--store", str(store), "ask", "What is PaSa?")
    assert proc.returncode == 3
    assert "has no papers yet" in proc.stderr and "assistant ingest PATH" in proc.stderr


# -- output ----------------------------------------------------------------------------------
def test_topic_note_comes_before_the_output(sample_library):
    proc = cli("--store", str(sample_library.store_dir), "summarize", "speculative decoding",
               merged=True)
    assert proc.returncode == 0
    first = proc.stdout.splitlines()[0]
    assert first.startswith("note: 'speculative decoding' names no single paper")


def _truncated_words(text: str, known: set[str]) -> list[str]:
    """Words cut off with an ellipsis (``diffic…``): a clause may end with "…", a word may not."""
    words = re.findall(r"(?<![\w.])([A-Za-z][\w-]*)…", text)  # whole words: not the X of 2.13X…
    return [w for w in words if w.casefold() not in known]


@pytest.mark.parametrize("refs", [[SPECTR, MULTI], [SPECTR, MULTI, "PaSa"]])
def test_compare_is_readable_at_80_columns(sample_library, refs):
    proc = cli("--store", str(sample_library.store_dir), "compare", *refs, columns=80)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    answer = sample_library.compare(refs)
    source = " ".join([p.text + " " + p.title for p in answer.retrieved]
                      + [c.quote for c in answer.citations])
    known = {w.casefold() for w in re.findall(r"[\w-]+", source)}
    table = out.split("Contrast")[0]
    assert not _truncated_words(table, known)
    for aspect in ("Problem", "Approach", "Results"):
        assert aspect in table
    if len(refs) == 3:  # too narrow for three columns: one card per paper
        assert "PaSa: An LLM Agent for Comprehensive Academic Paper Search" in table
        assert re.search(r"^  Problem: ", table, re.M)
    # Sources: each quote indented under its title, wrapped lines too
    sources = out.split("\nSources\n")[1]
    for line in sources.splitlines():
        assert re.match(r"\[\d+\] ", line) or line.startswith("    "), line


def test_weak_lines_have_no_markdown_and_latex_is_tidied(capsys):
    from assistant.cli.output import print_answer

    answer = Answer(
        text="- **Patch Models** — images of 64{times}64 pixels with D{=}2048/128 [1]",
        citations=[Citation(1, "p1", "Patch Models", "p1:0", 2, "images of 64{times}64 pixels")],
        sentences=[Sentence("**Patch Models** — images of 64{times}64 pixels [1]", [1], "weak")],
        abstained=False, retrieved=[], engine="extractive")
    print_answer(answer, "extractive")
    out = capsys.readouterr().out
    assert "? doubtful (partly supported): Patch Models — images of 64×64 pixels" in out
    assert "**" not in out and "{times}" not in out and "D=2048/128" in out


def test_papers_table_counts_in_the_singular_and_shows_readable_sources():
    from assistant.cli.tables import papers_header, papers_table

    paper = Paper("p1", "Quokka Routing", [], None, ["/x/daily/000_b6e0c0bad3d66707.txt"], 2,
                  kind="listing", n_authors=3)
    assert papers_header([paper], "./store") == "1 paper in ./store"
    console = Console(width=80, file=io.StringIO(), record=True)
    console.print(papers_table([paper], 80))
    text = console.export_text()
    assert "000_b6e0….txt" in text and "3 authors" in text
