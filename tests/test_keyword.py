"""The incremental keyword index: bm25s's scores exactly, changes in place, a journal that
survives damage (no Chroma here: the store side is in test_faults and test_server)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from assistant.ingest.listing import parse_listing
from assistant.library.keyword import JOURNAL, SNAPSHOT, KeywordIndex, query_terms, tokenize
from tests.conftest import LISTINGS

QUERIES = ["speculative decoding draft model", "graph neural networks for molecules",
           "reinforcement learning from human feedback", "diffusion image quality FID",
           "federated ranking clients server", "zeroth-order optimization memory"]


@pytest.fixture(scope="module")
def papers() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Real abstracts as one- to three-chunk papers: paper id -> (stamp, [(chunk id, text)])."""
    docs = parse_listing((LISTINGS / "000_b6e0c0bad3d66707.txt").read_text(), "x")[:60]
    out = {}
    for i, doc in enumerate(docs):
        words = doc.text.split()
        parts = [" ".join(words[j:j + 60]) for j in range(0, len(words), 60)][:3]
        out[f"p{i:02d}"] = ("s0", [(f"p{i:02d}:{j}", f"{doc.title}\n{t}")
                                   for j, t in enumerate(parts)])
    return out


def bm25s_scores(chunks: list[tuple[str, str]], query: str) -> dict[str, float]:
    import bm25s

    index = bm25s.BM25()
    index.index(tokenize([t for _, t in chunks]), show_progress=False)
    scores = index.get_scores(query_terms(query))
    return {cid: float(s) for (cid, _), s in zip(chunks, scores, strict=True)}


def our_scores(index: KeywordIndex, query: str) -> dict[str, float]:
    scores = index.scores(query_terms(query))
    alive = set(index.ids)
    return {cid: float(scores[i]) for i, cid in enumerate(index._ids) if cid in alive}


def test_scores_equal_a_fresh_bm25s_index_after_adds_and_removals(papers, tmp_path):
    index = KeywordIndex(tmp_path / "kw")
    index.rebuild(dict(list(papers.items())[:40]), "r1", "c")
    rng = random.Random(3)
    gone = rng.sample(sorted(papers)[:40], 12)
    index.apply(gone, {}, "r2")
    index.apply([], {p: ("s1", papers[p][1]) for p in sorted(papers)[40:]}, "r3")
    changed = sorted(papers)[5]
    edited = [(cid, text + " quokkaspar") for cid, text in papers[changed][1]]
    index.apply([], {changed: ("s2", edited)}, "r4")
    live = {p: ("", edited if p == changed else chunks) for p, (_, chunks) in papers.items()
            if p not in gone}
    expected_chunks = [c for _, chunks in live.values() for c in chunks]
    assert sorted(index.ids) == sorted(cid for cid, _ in expected_chunks)
    for query in [*QUERIES, "quokkaspar"]:
        assert our_scores(index, query) == bm25s_scores(expected_chunks, query), query
    assert index.search("quokkaspar", 5)[0][0].startswith(changed)
    reloaded = KeywordIndex(tmp_path / "kw")
    assert reloaded.load() and reloaded.revision == "r4"
    for query in QUERIES:
        assert our_scores(reloaded, query) == our_scores(index, query)
    terms = tokenize([t for _, t in expected_chunks])
    words = {i: w for w, i in terms.vocab.items()}
    df: dict[str, int] = {}
    for row in terms.ids:
        for w in {words[i] for i in row}:
            df[w] = df.get(w, 0) + 1
    assert all(reloaded.doc_freq(w) == n for w, n in df.items())
    assert reloaded.n_docs == len(expected_chunks)


def test_search_results_equal_the_bm25s_based_index_it_replaced(papers, tmp_path):
    index = KeywordIndex(tmp_path / "kw")
    index.rebuild(papers, "r1", "c")
    chunks = [c for _, cs in papers.values() for c in cs]
    for query in QUERIES:
        ref = bm25s_scores(chunks, query)
        scores = np.array([ref[cid] for cid, _ in chunks], dtype=np.float32)
        top = np.argpartition(-scores, 9)[:10]  # the replaced index's selection, ties and all
        top = top[np.argsort(-scores[top])]
        expected = [(chunks[i][0], float(scores[i])) for i in top if scores[i] > 0]
        assert index.search(query, 10) == expected
    allowed = {cid for cid, _ in papers["p03"][1]}
    assert {cid for cid, _ in index.search(QUERIES[0] + " " + papers["p03"][1][0][1], 50,
                                           allowed)} <= allowed


def test_journal_lines_replay_and_a_damaged_line_stops_the_chain(papers, tmp_path):
    folder = tmp_path / "kw"
    writer = KeywordIndex(folder)
    writer.rebuild(dict(list(papers.items())[:10]), "r1", "c")
    reader = KeywordIndex(folder)
    assert reader.load() and reader.revision == "r1"
    writer.apply([], {"p10": papers["p10"]}, "r2")
    writer.apply(["p00"], {}, "r3")
    reader.catch_up()
    assert reader.revision == "r3" and sorted(reader.ids) == sorted(writer.ids)
    lines = (folder / JOURNAL).read_bytes().splitlines(keepends=True)
    (folder / JOURNAL).write_bytes(lines[0] + lines[1].replace(b"p00", b"p0X"))
    damaged = KeywordIndex(folder)
    assert damaged.load() and damaged.revision == "r2"  # stops where the chain breaks


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage", "other-format"])
def test_damaged_snapshot_is_reported_for_a_rebuild(papers, tmp_path, damage):
    folder = tmp_path / "kw"
    KeywordIndex(folder).rebuild(dict(list(papers.items())[:10]), "r1", "c")
    snap = folder / SNAPSHOT
    if damage == "missing":
        snap.unlink()
    elif damage == "truncated":
        snap.write_bytes(snap.read_bytes()[: snap.stat().st_size // 2])
    elif damage == "garbage":
        data = bytearray(snap.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = b"\x00" * 64
        snap.write_bytes(bytes(data))
    else:
        snap.write_bytes(b"not an index")
    index = KeywordIndex(folder)
    assert index.load() is False and index.revision is None and index.ids == []
