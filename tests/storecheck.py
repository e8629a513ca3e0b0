"""Checks and helpers shared by the fault and concurrency tests: a library is whole, its vector
index intact; small paper folders; an ingest driver run as a real process."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from assistant.ingest.listing import parse_listing
from tests.conftest import LISTINGS, ROOT

DRIVER = textwrap.dedent(
    """
    import sys
    from assistant import Assistant
    from assistant.errors import AssistantError

    class Say:
        def start(self, files): print("start", files, flush=True)
        def file_done(self, path, status): print("done", status, flush=True)
        def chunks_done(self, n): pass

    try:
        report = Assistant(store=sys.argv[1]).ingest(sys.argv[2:], progress=Say())
    except AssistantError as exc:
        print("error:", exc, flush=True)
        sys.exit(3)
    print("finished", report.papers_total, flush=True)
    """
)


def driver_env(**extra: str) -> dict[str, str]:
    """The environment for a driver or CLI process (the repo importable, telemetry off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def driver(store: Path, *paths: Path) -> list[str]:
    """argv for an ingest driver process."""
    return [sys.executable, "-c", DRIVER, str(store), *map(str, paths)]


def paper_files(folder: Path, start: int, count: int, listing: int = 0) -> int:
    """``count`` one-paper Markdown files from real abstracts; returns the distinct titles."""
    names = sorted(LISTINGS.iterdir())
    docs = parse_listing(names[listing].read_text(), "x")[start : start + count]
    folder.mkdir(parents=True, exist_ok=True)
    for i, doc in enumerate(docs):
        (folder / f"{start + i:03d}.md").write_text(f"# {doc.title}\n\n{doc.text}\n")
    return len({d.title for d in docs})


def assert_complete(a, expected_papers: int | None = None) -> None:
    """No orphaned, missing or duplicated chunk; no half-present paper; files all accounted;
    the keyword index holds exactly the chunks."""
    store = a.library.store
    papers = store.papers_meta()
    if expected_papers is not None:
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


def assert_vectors_intact(a) -> None:
    """The vector index holds every chunk once, with its own vector; the files stay small.

    Concurrent writers broke exactly this (about 15% of vectors gone, ids returned twice,
    "Error getting embedding"). A healthy HNSW graph may still leave a few nodes unreachable
    (measured: up to 5 of 1,560 clustered test vectors, with no concurrency), so up to 1% may
    be missed.
    """
    store = a.library.store
    got = store.chunks.get(include=["embeddings"])
    ids = got["ids"]
    assert len(ids) == len(set(ids))
    found = store.chunks.query(query_embeddings=got["embeddings"], n_results=3, include=[])
    assert all(len(hits) == len(set(hits)) for hits in found["ids"])
    unreached = [i for i, (cid, hits) in enumerate(zip(ids, found["ids"], strict=True))
                 if cid not in hits]
    assert len(unreached) <= max(2, len(ids) // 100), f"{len(unreached)} of {len(ids)} lost"
    chroma = a.store_dir / "chroma"
    if chroma.exists():
        size = sum(f.stat().st_size for f in chroma.rglob("*") if f.is_file())
        assert size < 200 * 2**20, f"the vector index grew to {size / 2**20:.0f} MiB"

def seed_library(a, n_chunks: int, start: int = 0) -> int:
    """Write ``n_chunks`` chunks of real abstracts through ``Store.write_papers``, with the real
    model's vectors of a few abstracts reused (slightly perturbed): enough chunks that Chroma
    keeps its vector index on disk (it does from 1,000), in seconds. Returns the papers written.
    """
    import numpy as np

    from assistant.library.ingestor import paper_meta
    from assistant.types import Block, Chunk, PaperDoc

    docs = [d for f in sorted(LISTINGS.iterdir()) for d in parse_listing(f.read_text(), "x")]
    base = a.library.embedder.embed([f"{d.title}\n{d.text}" for d in docs[:24]])
    rng = np.random.default_rng(start)
    batch, written, n = [], 0, start
    while written < n_chunks:
        doc = docs[n % len(docs)]
        pid = f"seed{n:05d}"
        texts = [f"{doc.text} (part {j})" for j in range(min(20, n_chunks - written))]
        source = f"/seed/{pid}.md"
        paper = PaperDoc(f"{doc.title} (seed {n})", [Block(t) for t in texts], source, "markdown")
        chunks = [Chunk(f"{pid}:{j:04d}", pid, t, j, None, None, 0, len(t))
                  for j, t in enumerate(texts)]
        noise = rng.normal(0, 0.05, (len(texts), base.shape[1]))
        vectors = base[rng.integers(len(base), size=len(texts))] + noise
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        batch.append((paper_meta(pid, paper, [source], len(chunks)), chunks, vectors))
        written += len(chunks)
        n += 1
        if len(batch) == 10 or written >= n_chunks:
            a.library.store.write_papers(batch)
            batch = []
    return n - start
