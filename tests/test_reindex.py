"""An interrupted reindex is completed by the next one and loses no paper, including one whose
source file is gone (its text then lives only in the store); so is one an earlier version left
with its ``reindex-backup.jsonl``."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time

from assistant import Assistant
from assistant.config import load_settings
from assistant.library.chroma_client import Collections
from assistant.library.reindex import LEGACY_BACKUP, STATE
from assistant.library.rows import chunk_index
from tests.conftest import session_embedder
from tests.storecheck import assert_complete, driver_env, paper_files

GONE = """# Graph Sparsification for Efficient Retrieval

We study sparsifiers that keep spectral properties of citation graphs. The method, called
quokkaspar, removes 80% of edges from citation graphs.
"""
NEW_CHUNKING = {"overlap": 8}


def library(tmp_path, **chunking) -> tuple[Assistant, set[str]]:
    """A library of real abstracts plus a paper whose file was deleted after ingest; returns
    it (at the given chunk settings) and the ids of every paper it held."""
    folder = tmp_path / "papers"
    paper_files(folder, 0, 30)
    (folder / "gone.md").write_text(GONE)
    a = Assistant(store=tmp_path / "store", embedder=session_embedder())
    assert not a.ingest([folder]).failed
    (folder / "gone.md").unlink()
    ids = {p.id for p in a.papers()}
    a.close()
    return reopen(tmp_path, **chunking), ids


def reopen(tmp_path, **chunking) -> Assistant:
    settings = load_settings(None, store={"path": str(tmp_path / "store")},
                             chunking=chunking or None)
    return Assistant(settings=settings, embedder=session_embedder())


def assert_rebuilt(a: Assistant, ids: set[str]) -> None:
    assert not (a.store_dir / STATE).exists() and not (a.store_dir / LEGACY_BACKUP).exists()
    assert {p.id for p in a.papers()} == ids
    assert a.library.store.signature["chunk_overlap"] == NEW_CHUNKING["overlap"]
    assert_complete(a, len(ids))
    gone = a.paper("Graph Sparsification")
    assert "quokkaspar" in " ".join(p.text for p in a.library.paper_chunks(gone.id))


def test_sigkill_mid_reindex_then_reindex_again_loses_no_paper(tmp_path):
    _, ids = library(tmp_path)
    config = tmp_path / "new.toml"
    config.write_text(f"[chunking]\noverlap = {NEW_CHUNKING['overlap']}\n")
    backup = tmp_path / "store" / STATE
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--store", str(tmp_path / "store"), "--config",
         str(config), "reindex"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=driver_env())
    deadline = time.monotonic() + 120
    while not backup.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(random.uniform(0.0, 0.5))  # anywhere in building the new collections
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "reindex ended before it could be killed"
    assert backup.exists()

    report = reopen(tmp_path, **NEW_CHUNKING).reindex()
    assert report.papers_total == len(ids)
    assert_rebuilt(reopen(tmp_path, **NEW_CHUNKING), ids)


def test_backup_of_an_earlier_version_with_old_collections_not_dropped_yet(tmp_path):
    """An earlier version killed between writing its backup and dropping the collections: the
    store still has the old settings, and the next reindex rebuilds it from the backup."""
    a, ids = library(tmp_path, **NEW_CHUNKING)
    chroma = Collections(a.settings, a.store_dir, signature={})
    chroma.connect()
    with open(a.store_dir / LEGACY_BACKUP, "w") as out:  # that version's format
        for pid, meta in chroma.complete_papers().items():
            rows = chroma.chunks.get(where={"paper_id": pid}, include=["documents", "metadatas"])
            parts = sorted(zip(rows["documents"], rows["metadatas"], strict=True),
                           key=lambda r: chunk_index(r[1]))
            blocks = [{"text": d, "page": m.get("page") or None,
                       "section": m.get("section") or None} for d, m in parts]
            out.write(json.dumps({"id": pid, "meta": meta, "blocks": blocks}) + "\n")
    (a.store_dir / "reindex-backup.tmp").write_text('{"half": ')  # a dump cut short before
    report = a.reindex()
    assert report.papers_total == len(ids)
    assert_rebuilt(a, ids)
