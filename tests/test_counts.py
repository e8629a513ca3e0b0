"""Counts read as English in the CLI, the app and the exports: "1 paper", "2 papers"."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from assistant.records.export import conversation_markdown
from assistant.records.history import Exchange
from assistant.types import Answer, counted


@pytest.mark.parametrize(("n", "text"), [(0, "0 papers"), (1, "1 paper"), (2, "2 papers"),
                                         (11, "11 papers")])
def test_counted(n, text):
    assert counted(n, "paper") == text


def cli(store, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "assistant", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_cli_counts_one_paper_and_one_chunk(tmp_path):
    note = tmp_path / "note.md"
    note.write_text("# Wombat Burrows\n\nWombats dig long burrows and sleep in them by day.\n")
    store = tmp_path / "store"
    cli(store, "ingest", str(note))
    listing = cli(store, "papers").stdout.splitlines()
    assert listing[0].startswith(f"1 paper in {store}"), listing
    assert cli(store, "reindex").stdout.strip() == "reindexed: 1 paper, 1 chunk"


def test_conversation_export_counts_one_exchange():
    answer = Answer(text="Wombats dig burrows.", citations=[], sentences=[], abstained=False,
                    retrieved=[], engine="extractive")
    one = Exchange(1, 1, "ask", "What do wombats dig?", answer, created=1.0)
    assert re.search(r"^\*1 exchange, from ", conversation_markdown(None, [one]), re.M)
    assert re.search(r"^\*2 exchanges, from ", conversation_markdown(None, [one, one]), re.M)
