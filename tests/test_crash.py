"""SIGKILL in the middle of an ingest, then run it again: a complete library, nothing twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from assistant.ingest.listing import parse_listing
from tests.conftest import LISTINGS, ROOT

DRIVER = textwrap.dedent(
    """
    import sys
    from assistant import Assistant

    class Say:
        def start(self, files): print("start", files, flush=True)
        def file_done(self, path, status): print("done", status, flush=True)
        def chunks_done(self, n): pass

    Assistant(store=sys.argv[1]).ingest([sys.argv[2]], progress=Say())
    print("finished", flush=True)
    """
)


def assert_complete(store_dir, expected_papers: int) -> None:
    """No orphaned, missing or duplicated chunk; no half-present paper; files all accounted."""
    from assistant import Assistant

    a = Assistant(store=store_dir)
    store = a.store
    papers = store.papers_meta()
    assert len(papers) == expected_papers
    assert store.papers.get(where={"complete": False})["ids"] == []
    got = store.chunks.get(include=["metadatas"])
    per_paper: dict[str, int] = {}
    for meta in got["metadatas"]:
        per_paper[meta["paper_id"]] = per_paper.get(meta["paper_id"], 0) + 1
    assert set(per_paper) == set(papers), "orphaned chunks or papers without chunks"
    for pid, meta in papers.items():
        assert per_paper[pid] == meta["chunks"], pid
    assert len(got["ids"]) == len(set(got["ids"]))
    for record in store.file_records().values():
        assert set(record.paper_ids) <= set(papers)
    store.sync_keyword_index()
    assert sorted(store.keyword.ids) == sorted(got["ids"])


@pytest.fixture
def many_small_files(tmp_path):
    """40 one-paper Markdown files made from real abstracts: writes are a large share of time."""
    docs = parse_listing((LISTINGS / "000_b6e0c0bad3d66707.txt").read_text(), "x")[:40]
    folder = tmp_path / "papers"
    folder.mkdir()
    for i, doc in enumerate(docs):
        (folder / f"{i:02d}.md").write_text(f"# {doc.title}\n\n{doc.text}\n")
    return folder, len({d.title for d in docs})


def test_sigkill_mid_ingest_then_rerun_leaves_a_complete_library(many_small_files, tmp_path):
    folder, n_papers = many_small_files
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(7)
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(store), str(folder)],
            stdout=subprocess.PIPE, text=True, env=env,
        )
        done = 0
        for line in proc.stdout:
            done += line.startswith("done")
            if done >= 5 + 8 * attempt:
                time.sleep(rng.uniform(0.0, 0.15))
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL, "ingest ended before it could be killed"
    rerun = subprocess.run(
        [sys.executable, "-c", DRIVER, str(store), str(folder)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert "finished" in rerun.stdout, rerun.stderr
    assert_complete(store, n_papers)
    # and a third run finds everything unchanged
    again = subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(store), "ingest", "--json", str(folder)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert '"added": []' in again.stdout and '"updated": []' in again.stdout
