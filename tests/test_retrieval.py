"""Retrieval: fusion, per-paper cap, scoping, which-papers, abstention, question kinds."""

from __future__ import annotations

import pytest

from assistant.search.question import focus_text, question_kind
from assistant.search.retriever import (
    DEFAULT_MIN_RELEVANCE,
    Retriever,
    _fill,
    _rrf,
    _with_neighbours,
)
from assistant.search.terms import short_names
from assistant.types import Passage


def _retriever(assistant, **changes) -> Retriever:
    settings = assistant.settings.retrieval.model_copy(update=changes)
    return Retriever(assistant.library.store, assistant.library.embedder, settings)


def _paper(assistant, prefix: str) -> str:
    return next(p.id for p in assistant.papers() if p.title.startswith(prefix))


# --- pure functions ----------------------------------------------------------------------------
def test_rrf_fuses_and_keeps_items_found_by_one_ranking_only():
    fused = _rrf(["a", "b", "c"], ["d", "a"])
    assert fused[0] == "a"  # found by both
    assert set(fused) == {"a", "b", "c", "d"}
    assert fused.index("d") < fused.index("c")  # rank 1 in one list beats rank 3


def test_fill_caps_passages_per_paper():
    ps = [Passage(f"{pid}:{i}", pid, pid, "t", None, None, 0.5) for pid in "ab" for i in range(2)]
    assert [p.chunk_id for p in _fill([], ps, 2, 1)] == ["a:0", "b:0"]
    assert [p.chunk_id for p in _fill([], ps, 4, 1)] == ["a:0", "b:0"]  # the cap holds
    assert len(_fill([], ps, 4, 2)) == 4


def test_the_best_passage_brings_its_neighbouring_chunks():
    # candidates in fused order: the paper's first one leads (not the one with the best
    # score), so an LLM's [1] is the passage it was without neighbours
    ps = [Passage(f"a:{i:04d}", "a", "a", "t", None, None, s)
          for i, s in [(1, 0.6), (3, 0.1), (0, 0.7), (2, 0.3)]]
    ps.append(Passage("b:0000", "b", "b", "t", None, None, 0.9))
    got = [p.chunk_id for p in _with_neighbours("a", ps, 3)]
    assert got == ["a:0001", "a:0002", "a:0000"]  # first, the next chunk, the one before
    assert [p.chunk_id for p in _with_neighbours("a", ps, 1)] == ["a:0001"]
    assert _with_neighbours("c", ps, 3) == []


@pytest.mark.parametrize(("question", "kind"), [
    ("How much does GSM8K accuracy drop when the vector is subtracted?", "number"),
    ("What range of speedups over baselines is reported?", "number"),
    ("In the large batch regime, by how much does SOAP cut iterations?", "number"),
    ("Which deep-learning library's syntax does TextGrad follow?", "fact"),
    ("In what year was the chain rule introduced?", "fact"),
    ("How does FRL aggregate the clients' rankings?", "method"),
    ("Why can't linear RNNs solve parity, and what fixes it?", "method"),
    ("When the model is distilled, what share of the benefit remains?", "number"),
    ("Which papers in the library propose dataset distillation methods?", "topic"),
    ("List papers about machine unlearning", "topic"),
    ("Summarize the paper on PFGM++.", "summary"),
    ("Give me a short summary of PaSa", "summary"),
    ("How do Quad and MASS differ in how they select data?", "compare"),
    ("Compare SOAP with Shampoo.", "compare"),
])
def test_question_kind(question, kind):
    assert question_kind(question) == kind


def test_focus_drops_the_describing_clause():
    focus = focus_text("In the scheme where machines exchange single bytes, how does each machine "
                       "reconstruct the perturbations?")
    assert focus.startswith("how does each machine reconstruct")
    assert "bytes" not in focus


def test_short_names_come_from_title_heads():
    names = short_names({"p1": "SOAP: Improving Shampoo", "p2": "A title without a colon",
                         "p3": "LLM+P: Planning"})
    assert names == {"SOAP": "p1", "LLM+P": "p3"}


# --- on the sample library ---------------------------------------------------------------------
def test_fusion_brings_in_a_keyword_only_match(sample_library):
    """With few dense candidates, an exact rare term is found by BM25 alone and still ranked."""
    a = sample_library
    question = "Dentex quadrant enumeration annotations"
    r = _retriever(a, candidates=5, top_k=10, per_paper=10)
    r.retrieve("warm up")  # loads the keyword index
    vector = a.library.embedder.embed([question])[0].tolist()
    dense = {p.chunk_id for p in a.library.store.dense_search(vector, 5)}
    keyword = [cid for cid, _ in a.library.store.keyword.search(question, 5)]
    only_keyword = [cid for cid in keyword if cid not in dense]
    assert only_keyword, "the test needs a chunk that dense search misses"
    got = [p.chunk_id for p in r.retrieve(question).passages]
    assert only_keyword[0] in got


@pytest.mark.parametrize("cap", [1, 2])
def test_per_paper_cap_holds(sample_library, cap):
    """Even when one long PDF dominates the candidates: the long paper a question is about is
    read by sentence windows (a bounded number of words), every other paper keeps the cap."""
    from assistant.search.windows import WINDOW_WORDS

    r = _retriever(sample_library, per_paper=cap, top_k=8)
    for question in ["How does PaSa use reinforcement learning to search for academic papers?",
                     "How do linear attention models compare with softmax attention?"]:
        found = r.retrieve(question)
        top = found.papers[0][0]
        papers = [p.paper_id for p in found.passages]
        assert papers and all(papers.count(pid) <= cap for pid in papers if pid != top)
        read = [p for p in found.passages if p.paper_id == top]
        assert len(read) <= cap or sum(len(p.text.split()) for p in read) <= WINDOW_WORDS


def test_an_abstract_cut_in_two_chunks_is_read_whole(sample_library):
    """The asked figure sits in the chunk after the one that matches the question best."""
    question = ("When the weight difference between a GRPO-trained and an SFT-trained Qwen2.5 "
                "model is subtracted from (rather than added to) a model, how much does GSM8K "
                "performance drop?")
    found = _retriever(sample_library).retrieve(question)
    assert found.papers[0][1].startswith("Reasoning Vectors")
    assert any("11.8%" in p.text for p in found.passages)


def test_scoping_by_paper_id(sample_library):
    pid = _paper(sample_library, "SOAP:")
    result = _retriever(sample_library).retrieve("What does the optimizer improve?",
                                                 paper_ids=[pid])
    assert result.passages
    assert {p.paper_id for p in result.passages} == {pid}
    assert not result.abstain  # the user named the paper


def test_which_papers_lists_several_distinct_papers(sample_library):
    result = _retriever(sample_library).retrieve(
        "Which papers in the library study speculative decoding to speed up sampling from "
        "language models?")
    assert result.kind == "topic"
    titles = [t for _, t, _ in result.papers]
    assert len(set(titles)) == len(titles) >= 2
    assert any(t.startswith("SpecTr") for t in titles)
    assert any(t.startswith("Towards Optimal Multi-draft") for t in titles)
    cited = {p.paper_id for p in result.passages}
    assert {pid for pid, _, _ in result.papers} <= cited  # every listed paper has a passage


def test_abstains_on_an_off_topic_question(sample_library):
    r = _retriever(sample_library)
    off = r.retrieve("What caused the decline of the Carolingian Empire in the ninth century?")
    assert off.abstain and off.relevance < DEFAULT_MIN_RELEVANCE
    assert len(off.papers) == 3  # the nearest papers, for the abstention text
    on = r.retrieve("What PSNR does ColorGS reach on endoscopic surgery videos?")
    assert not on.abstain and on.relevance > off.relevance
    assert on.papers[0][1].startswith("ColorGS")


def test_scores_are_relevances(sample_library):
    """(Retrieval latency is measured in benchmarks/ask.py, not asserted here.)"""
    r = _retriever(sample_library)
    result = r.retrieve("How does FRL restrict what clients send to the server?")
    assert all(0.0 <= p.score <= 1.2 for p in result.passages)
    assert result.passages[0].paper_id == result.papers[0][0]
