"""Reindex never loses a paper: unreadable sources keep their stored text, removed papers stay
removed, a reindex killed at any point leaves the old library whole and announced, and one
command completes it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from assistant.library import reindex
from tests.conftest import LISTINGS
from tests.storecheck import assert_complete, driver_env, paper_files
from tests.test_faults import library_env, open_library

NOTE = """# Quokka Graph Sparsification Study

## Method
Quokkaspar removes 80% of edges from citation graphs while keeping spectral properties.

## Results
Retrieval accuracy stays within 1.5 points at 4.2 times the speed.
"""

REINDEX_DRIVER = textwrap.dedent(
    """
    import sys
    from assistant import Assistant

    class Say:
        def start(self, files): print("start", files, flush=True)
        def file_done(self, path, status): print("done", status, flush=True)
        def chunks_done(self, n): pass

    report = Assistant(store=sys.argv[1]).reindex(progress=Say())
    print("finished", report.papers_total, flush=True)
    """
)


def cli(store, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=600,
                          env=env or driver_env())


def titles(store, env=None) -> list[str]:
    proc = cli(store, "papers", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return sorted(p["title"] for p in json.loads(proc.stdout))


def test_unreadable_source_keeps_its_paper_through_reindex(tmp_path):
    papers, store = tmp_path / "p", tmp_path / "store"
    papers.mkdir()
    note = papers / "qg.md"
    note.write_text(NOTE)
    paper_files(papers, 0, 3)
    assert cli(store, "ingest", str(papers)).returncode == 0
    before = titles(store)
    note.write_bytes(os.urandom(3000))  # overwritten: the file exists but no longer reads
    again = cli(store, "ingest", str(papers))
    assert again.returncode == 1 and "qg.md" in again.stderr
    config = tmp_path / "c.toml"
    config.write_text("[chunking]\noverlap = 8\n")  # a settings change: reindex is required
    refused = cli(store, "--config", str(config), "papers")
    assert refused.returncode == 3 and "reindex" in refused.stderr
    proc = cli(store, "--config", str(config), "reindex")
    assert proc.returncode == 0, proc.stderr
    assert "reindexed: 4 papers" in proc.stdout
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 1 and "Quokka Graph Sparsification Study" in warnings[0]
    assert "qg.md" in warnings[0] and "unsupported or binary" in warnings[0]
    a = open_library(store, None, "library", chunking={"overlap": 8})
    assert sorted(p.title for p in a.papers()) == before
    kept = a.paper("Quokka Graph Sparsification Study")
    text = " ".join(c.text for c in a.library.store.paper_chunks(kept.id))
    assert "Quokkaspar removes 80% of edges" in text and "4.2 times the speed" in text
    assert text.count("Quokkaspar removes") == 1  # chunk overlaps were not doubled
    assert_complete(a, 4)
    assert not (store / reindex.STATE).exists()
    assert not [n for n in os.listdir(store) if n.startswith("keyword-library.")]


@pytest.mark.parametrize("store_kind", ["embedded", "server"])
def test_removed_papers_stay_removed_after_reindex(make_assistant, tmp_path):
    listing = sorted(LISTINGS.iterdir())[0]
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / listing.name).write_bytes(listing.read_bytes())  # one file, many papers
    a = make_assistant()
    total = a.ingest([folder]).papers_total
    gone = [a.papers()[3], a.papers()[7]]
    for p in gone:
        a.remove(p.id)
    b = make_assistant(chunking={"max_tokens": 200})
    report = b.reindex()
    assert report.papers_total == total - 2 and not report.warnings
    left = {p.id for p in b.papers()}
    assert len(left) == total - 2 and not left & {p.id for p in gone}
    assert_complete(b, total - 2)
    again = b.ingest([folder])  # the file is unchanged: nothing comes back
    assert again.unchanged and again.papers_total == total - 2


def _kill_reindex_at(store, env, rng) -> None:
    proc = subprocess.Popen([sys.executable, "-c", REINDEX_DRIVER, str(store)],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    done, kill_at = 0, rng.randint(1, 8)
    for line in proc.stdout:
        done += line.startswith("done")
        if done >= kill_at:
            time.sleep(rng.uniform(0.0, 0.3))
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


@pytest.mark.parametrize("kind", ["embedded", "server"])
def test_sigkill_during_reindex_keeps_the_old_library_until_it_is_completed(kind, tmp_path,
                                                                           request):
    folder, store = tmp_path / "papers", tmp_path / "store"
    n = paper_files(folder, 0, 12)
    url = request.getfixturevalue("chroma_url") if kind == "server" else None
    name = "r" + uuid.uuid4().hex[:10]
    env = driver_env(**library_env(url, name))
    assert cli(store, "ingest", str(folder), env=env).returncode == 0
    before = titles(store, env)
    assert len(before) == n
    _kill_reindex_at(store, env, random.Random())
    for command in (["papers", "--json"], ["show", before[0]]):
        proc = cli(store, *command, env=env)
        assert proc.returncode == 0, proc.stderr
        assert "interrupted reindex is pending" in proc.stderr  # every command says so
        assert "assistant reindex" in proc.stderr
    assert titles(store, env) == before  # the old library, whole, while pending
    done = cli(store, "reindex", env=env)
    assert done.returncode == 0, done.stderr
    assert f"reindexed: {n} papers" in done.stdout
    after = cli(store, "papers", "--json", env=env)
    assert "reindex" not in after.stderr
    assert sorted(p["title"] for p in json.loads(after.stdout)) == before
    assert_complete(open_library(store, url, name), n)


@pytest.mark.parametrize("store_kind", ["embedded"])
def test_a_swap_cut_short_is_finished_by_the_next_process(make_assistant, tmp_path,
                                                          monkeypatch):
    folder = tmp_path / "p"
    n = paper_files(folder, 0, 5)
    a = make_assistant()
    a.ingest([folder])
    renames = {"n": 0}
    real_swap = reindex._swap

    def swap_then_die(settings, store_dir):
        from chromadb.api.models.Collection import Collection

        modify = Collection.modify

        def counted(self, *args, **kwargs):
            renames["n"] += 1
            if renames["n"] == 3:  # papers renamed aside and back in, chunks aside: killed
                raise KeyboardInterrupt
            return modify(self, *args, **kwargs)

        monkeypatch.setattr(Collection, "modify", counted)
        real_swap(settings, store_dir)

    monkeypatch.setattr(reindex, "_swap", swap_then_die)
    b = make_assistant(chunking={"overlap": 4})
    with pytest.raises(KeyboardInterrupt):
        b.reindex()
    monkeypatch.undo()
    assert json.loads((b.store_dir / reindex.STATE).read_text())["phase"] == "swap"
    c = make_assistant(chunking={"overlap": 4})
    assert len(c.papers()) == n  # opening finished the swap
    assert not (c.store_dir / reindex.STATE).exists()
    assert c.library.pending_reindex() is None
    assert_complete(c, n)
    names = {x.name for x in c.library.store.chroma.client.list_collections()}
    assert not [x for x in names if ".old-" in x or ".reindex-" in x]
